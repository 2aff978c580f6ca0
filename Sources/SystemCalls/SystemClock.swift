#if canImport(Glibc)
import Glibc
#endif

/// The clocks, in nanoseconds: monotonic for timers and round trips (never jumps),
/// real time for timestamps people read.
public enum SystemClock {
    public static func monotonic() -> Int64 { read(CLOCK_MONOTONIC) }
    public static func realtime() -> Int64 { read(CLOCK_REALTIME) }
    /// Monotonic milliseconds, for timeouts counted in them.
    public static func milliseconds() -> Int { Int(monotonic() / 1_000_000) }
    /// A poll timeout: milliseconds until the monotonic `deadline`, rounded up (waking
    /// early would only spin); 0 once it has passed.
    public static func pollTimeout(until deadline: Int64) -> Int32 {
        Int32(clamping: (max(0, deadline - monotonic()) + 999_999) / 1_000_000)
    }

    /// Waits that long; a signal that interrupts the wait does not shorten it.
    public static func sleep(milliseconds: Int) {
        var remaining = timespec(tv_sec: milliseconds / 1000, tv_nsec: milliseconds % 1000 * 1_000_000)
        var request = remaining
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
