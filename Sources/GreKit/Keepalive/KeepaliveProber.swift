#if canImport(Glibc)
import Glibc
#endif

/// `keepalive probe`: a one-shot check for scripts. Sends up to `count` keepalives
/// spread evenly over `timeout` and stops at the first reply, or at a termination
/// signal (as `watch` and `respond` do).
public enum KeepaliveProber {
    public struct Result: Sendable {
        /// The first reply's round-trip time; nil when none came back in time.
        public var roundTrip: Int64?
        public var sent: Int
        /// A termination signal ended the probe before a reply or the timeout.
        public var interrupted = false
    }

    public static func probe(_ target: KeepaliveTarget, count: Int, timeout: Int64) throws -> Result {
        let signals = try SignalDescriptor.termination()
        let socket = try GreSocket(family: target.family)
        try socket.acceptOnly(protocolType: 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
        defer { buffer.deallocate() }
        let spacing = timeout / Int64(count)
        // Retries past the count: a reply to any of them, however late, counts until the timeout.
        var probe = KeepaliveProbe(timing: KeepaliveTiming(interval: spacing, retries: count))
        var generator = SystemRandomNumberGenerator()
        let start = SystemClock.monotonic()
        while true {
            let now = SystemClock.monotonic()
            if probe.sent < count, now >= start + Int64(probe.sent) * spacing {
                let nonce = probe.nextNonce(limit: target.nonceLimit, using: &generator)
                _ = probe.recordSend(nonce: nonce, at: now)
                // A send that fails (no route yet) is a keepalive lost, as on the wire.
                try? socket.send(GreSocket.Outgoing(keepalive: target, nonce: nonce, sequence: UInt32(probe.sent)))
            }
            let sent = Int(probe.sent)
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
                      case .answered(let time, _) = probe.recordReply(nonce: reflected.nonce, at: SystemClock.monotonic())
                else { return }
                roundTrip = time
            }
            if let roundTrip { return Result(roundTrip: roundTrip, sent: sent) }
        }
    }
}
