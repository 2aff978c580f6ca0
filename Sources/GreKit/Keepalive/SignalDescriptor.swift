import CMnl
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Signals as a readable descriptor (signalfd), so an event loop polls them with
/// its sockets: no handlers, no async-signal-safety questions. The signals are
/// blocked for as long as the descriptor is open; children get them unblocked.
public final class SignalDescriptor {
    private let signalDescriptor: OwnedDescriptor
    /// The mask before, restored when the descriptor goes.
    private let previousMask: sigset_t

    public init(_ signals: [Int32]) throws(SystemError) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        var previous = sigset_t()
        try systemCall("cannot block signals") { sigprocmask(SIG_BLOCK, &mask, &previous) }
        do {
            let raw = try systemCall("cannot open a signal descriptor") { signalfd(-1, &mask, CInt(SFD_NONBLOCK | SFD_CLOEXEC)) }
            signalDescriptor = OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
        } catch {
            sigprocmask(SIG_SETMASK, &previous, nil)
            throw error
        }
        previousMask = previous
    }

    deinit {
        var mask = previousMask
        sigprocmask(SIG_SETMASK, &mask, nil)
    }

    /// The descriptor's number, for poll.
    public var descriptor: Int32 { signalDescriptor.rawValue }

    /// A descriptor for the signals that end a long-running command (`keepalive
    /// watch`, `respond`, `probe`), and for `extra` ones: SIGINT, SIGTERM, and SIGHUP
    /// unless the process was started with it ignored (nohup). A blocked signal reaches
    /// a signal descriptor even when its disposition is to ignore it, so an ignored
    /// SIGHUP must be left out of the mask, not merely left alone.
    public static func termination(and extra: [Int32] = []) throws(SystemError) -> SignalDescriptor {
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
        // The descriptor is non-blocking: the loop ends when none is left (EAGAIN).
        while case .success(size) = valueOrErrno({ read(descriptor, &information, size) }) {
            signals.append(Int32(bitPattern: information.ssi_signo))
        }
        return signals
    }
}
