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
        /// Why no reply came, as far as the network told; nil when one came.
        public var cause: Cause?
    }

    /// What came back instead of a reply.
    public enum Cause: Sendable, Equatable {
        /// The peer itself said that nothing there takes these keepalives: ICMP port or
        /// protocol unreachable (ICMPv6 port unreachable, or an unknown next header). Its
        /// GRE has no tunnel for them: the key or the addresses differ from its tunnel's.
        case noMatchingTunnel(QueuedError)
        /// The peer or a router said it refuses them (administratively prohibited).
        case filtered(QueuedError)
        /// A router said the peer cannot be reached (network or host unreachable...).
        case unreachable(QueuedError)
        /// Nothing: the keepalives or their replies are dropped without a word on the way,
        /// or the peer is down, or it does not reflect keepalives.
        case silence

        /// The cause the latest telling error gives; `silence` without one.
        public init(_ errors: [QueuedError]) {
            self = .silence
            for error in errors {
                switch error.origin {
                case .icmp where ICMPType(rawValue: error.type) == .destinationUnreachable:
                    switch ICMPUnreachableCode(rawValue: error.code) {
                    case .port, .protocol: self = .noMatchingTunnel(error)
                    case .networkProhibited, .hostProhibited, .filtered: self = .filtered(error)
                    // About size, not reach: keepalives are small.
                    case .fragmentationNeeded: continue
                    default: self = .unreachable(error)
                    }
                case .icmp6 where ICMPv6Type(rawValue: error.type) == .destinationUnreachable:
                    switch ICMPv6UnreachableCode(rawValue: error.code) {
                    case .port: self = .noMatchingTunnel(error)
                    case .administrativelyProhibited, .policyFailed, .rejectRoute: self = .filtered(error)
                    default: self = .unreachable(error)
                    }
                // Code 1: nothing takes the next header (GRE) there.
                case .icmp6 where ICMPv6Type(rawValue: error.type) == .parameterProblem && error.code == 1:
                    self = .noMatchingTunnel(error)
                case .icmp6 where ICMPv6Type(rawValue: error.type) == .packetTooBig:
                    continue
                case .icmp, .icmp6:
                    self = .unreachable(error)
                default:
                    continue
                }
            }
        }
    }

    public static func run(_ target: KeepaliveTarget, count: Int, timeout: Int64) throws -> Result {
        let signals = try SignalDescriptor.termination()
        let socket = try GreSocket(family: target.family)
        try socket.acceptOnly(protocolType: 0)
        // ICMP errors about the keepalives say why a peer does not answer.
        try socket.receiveErrors()
        var errors: [QueuedError] = []
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
            if now >= start + timeout, sent >= count { return Result(roundTrip: nil, sent: sent, cause: Cause(errors)) }
            var descriptors = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 2, SystemClock.pollTimeout(until: deadline)) > 0 else { continue }
            if descriptors[1].revents != 0, !signals.pending().isEmpty {
                return Result(roundTrip: nil, sent: sent, interrupted: true, cause: Cause(errors))
            }
            guard descriptors[0].revents != 0 else { continue }
            errors += socket.queuedErrors().filter { $0.destination == target.remote }.map(\.error)
            var roundTrip: Int64?
            do {
                try socket.receiveKeepalives { reflected in
                    guard reflected.flow == target.replyFlow, roundTrip == nil,
                          case .answered(let time, _) = machine.recordReply(nonce: reflected.nonce, at: SystemClock.monotonic())
                    else { return }
                    roundTrip = time
                }
            } catch {
                // An ICMP error that came after the queue was read (about any GRE packet
                // of the host) fails the receive once, as the socket's pending error.
                let late = socket.queuedErrors()
                guard !late.isEmpty else { throw error }
                errors += late.filter { $0.destination == target.remote }.map(\.error)
            }
            if let roundTrip { return Result(roundTrip: roundTrip, sent: sent) }
        }
    }
}
