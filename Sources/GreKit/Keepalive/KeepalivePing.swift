#if canImport(Glibc)
import Glibc
#endif

/// Pings a peer with keepalives, for `keepalive probe`: a one-shot check for scripts.
/// Sends up to `count` keepalives spread evenly over `timeout` and stops at the first
/// reply, or at a termination signal (as `watch` and `respond` do).
public enum KeepalivePing {
    public struct Result: Sendable {
        /// The first reply's round-trip time; nil when none came back in time.
        public var roundTrip: Int64?
        public var sent: Int
        /// A termination signal ended the ping before a reply or the timeout.
        public var interrupted = false
    }

    public static func run(_ target: KeepaliveTarget, count: Int, timeout: Int64) throws -> Result {
        let signals = try SignalDescriptor.termination()
        let socket = try GreSocket(family: target.family)
        try socket.acceptOnly(protocolType: 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { buffer.deallocate() }
        let spacing = timeout / Int64(count)
        // The state machine allows one retry more than keepalives are sent, so it never
        // calls the peer down, and its window outlasts the timeout: a reply to any of the
        // keepalives counts, however late, until the timeout.
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: spacing, retries: count))
        var generator = SystemRandomNumberGenerator()
        let start = SystemClock.monotonic()
        while true {
            let now = SystemClock.monotonic()
            if machine.sent < count, now >= start + Int64(machine.sent) * spacing {
                let nonce = machine.nextNonce(limit: target.nonceLimit, using: &generator)
                _ = machine.recordSend(nonce: nonce, at: now)
                // A send that fails (no route yet) is a keepalive lost, as on the wire.
                try? socket.send(GreSocket.Outgoing(keepalive: target, nonce: nonce, sequence: UInt32(machine.sent)))
            }
            let sent = Int(machine.sent)
            let deadline = sent < count ? start + Int64(sent) * spacing : start + timeout
            if now >= start + timeout, sent >= count { return Result(roundTrip: nil, sent: sent) }
            var descriptors = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 2, SystemClock.pollTimeout(until: deadline)) > 0 else { continue }
            if descriptors[1].revents != 0, !signals.pending().isEmpty {
                return Result(roundTrip: nil, sent: sent, interrupted: true)
            }
            guard descriptors[0].revents != 0 else { continue }
            var roundTrip: Int64?
            try socket.receiveKeepalives(into: buffer) { reflected in
                guard reflected.flow == target.replyFlow, roundTrip == nil,
                      case .answered(let time, _) = machine.recordReply(nonce: reflected.nonce, at: SystemClock.monotonic())
                else { return }
                roundTrip = time
            }
            if let roundTrip { return Result(roundTrip: roundTrip, sent: sent) }
        }
    }
}
