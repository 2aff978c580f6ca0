import CMnl

#if canImport(Glibc)
import Glibc
#endif

/// Signals as a readable descriptor (signalfd), so an event loop polls them with
/// its sockets: no handlers, no async-signal-safety questions. The signals are
/// blocked for as long as the descriptor is open; children get them unblocked.
public final class SignalDescriptor {
    public let descriptor: Int32
    private var previousMask = sigset_t()

    public init(_ signals: [Int32]) throws(SystemCallError) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        guard sigprocmask(SIG_BLOCK, &mask, &previousMask) == 0 else { throw .last("cannot block signals") }
        // Should signalfd fail, deinit (run once every property is set) unblocks them.
        descriptor = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard descriptor >= 0 else { throw .last("cannot open a signal descriptor") }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        sigprocmask(SIG_SETMASK, &previousMask, nil)
    }

    /// A descriptor for the signals that end a long-running command (`keepalive
    /// watch`, `respond`, `probe`), and for `extra` ones: SIGINT, SIGTERM, and SIGHUP
    /// unless the process was started with it ignored (nohup). A blocked signal reaches
    /// a signal descriptor even when its disposition is to ignore it, so an ignored
    /// SIGHUP must be left out of the mask, not merely left alone.
    public static func termination(and extra: [Int32] = []) throws(SystemCallError) -> SignalDescriptor {
        let hangUp = isIgnored(SIGHUP) ? [] : [SIGHUP]
        return try SignalDescriptor([SIGINT, SIGTERM] + hangUp + extra)
    }

    /// Whether the process was started with `signal` ignored (SIGHUP under nohup).
    static func isIgnored(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1  // SIG_IGN
    }

    /// The signals delivered since the last call, in order.
    public func pending() -> [Int32] {
        var signals: [Int32] = []
        var information = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while read(descriptor, &information, size) == size {
            signals.append(Int32(bitPattern: information.ssi_signo))
        }
        return signals
    }
}
