/// What the keepalives say about a tunnel.
public enum TunnelState: String, Sendable {
    /// Watching has begun; no reply yet, and not enough keepalives lost to call it down.
    case unknown
    case up
    case down
    /// The device is gone (deleted while watched).
    case absent
}

/// Timing of the keepalives, shared by every target of a watcher. Times are
/// nanoseconds on the monotonic clock.
public struct KeepaliveTiming: Equatable, Sendable {
    public var interval: Int64
    public var retries: Int

    public init(interval: Int64, retries: Int) {
        self.interval = interval
        self.retries = retries
    }

    public static let nanosecondsPerSecond: Int64 = 1_000_000_000
    /// Cisco's defaults: `keepalive 10 3`.
    public static let cisco = KeepaliveTiming(interval: 10 * nanosecondsPerSecond, retries: 3)

    /// How long a keepalive may take to come back: as long as it counts toward the
    /// state. A reply later than this is stale.
    public var window: Int64 { interval * Int64(retries + 1) }
}

/// Cisco's keepalive state machine for one tunnel, with replies matched to probes.
///
/// Every keepalive sent increments a counter; any matching reply resets it to 0 and
/// brings the tunnel up; when a send takes the counter past `retries`, the tunnel
/// goes down. Keepalives go on while it is down. Each probe carries a nonce the
/// peer returns untouched: a reply counts only if its nonce is that of a probe sent
/// within the window and not answered before, so stale, duplicated and forged
/// replies change nothing, and every counted reply gives a round-trip time.
public struct KeepaliveProbe: Sendable {
    public let timing: KeepaliveTiming
    public private(set) var state = TunnelState.unknown
    /// Keepalives sent since the last reply (Cisco's counter).
    public private(set) var unanswered = 0
    public private(set) var sent: UInt64 = 0
    public private(set) var received: UInt64 = 0
    /// Round-trip time of the last counted reply, in nanoseconds.
    public private(set) var lastRoundTrip: Int64?

    private struct Probe: Sendable {
        var sentAt: Int64
        var answered = false
    }

    /// Probes by nonce, kept for two windows so late replies are told apart from forged ones.
    private var probes: [UInt32: Probe] = [:]

    public init(timing: KeepaliveTiming) { self.timing = timing }

    public enum Outcome: Equatable, Sendable {
        /// A reply to a probe of the window: the round-trip time, and the new state
        /// if the reply changed it.
        case answered(roundTrip: Int64, change: TunnelState?)
        /// The probe was answered already.
        case duplicate
        /// The probe is older than the window.
        case stale
        /// No probe with this nonce: forged, or older than anything remembered.
        case unknown
    }

    /// A nonce for the next probe: random (so replies cannot be guessed), non-zero
    /// (the kernel replaces a zero IPv4 identification) and not in use.
    public func nextNonce(limit: UInt32, using generator: inout some RandomNumberGenerator) -> UInt32 {
        while true {
            let nonce = UInt32.random(in: 1...limit, using: &generator)
            if probes[nonce] == nil { return nonce }
        }
    }

    /// Records a keepalive sent at `now` (whether or not the kernel took it: Cisco
    /// counts attempts). Returns `.down` when this send took the tunnel down.
    public mutating func recordSend(nonce: UInt32, at now: Int64) -> TunnelState? {
        forget(before: now - 2 * timing.window)
        probes[nonce] = Probe(sentAt: now)
        sent += 1
        unanswered += 1
        guard unanswered > timing.retries, state != .down else { return nil }
        state = .down
        return .down
    }

    /// Counts a reply carrying `nonce` that arrived at `now`.
    public mutating func recordReply(nonce: UInt32, at now: Int64) -> Outcome {
        guard let probe = probes[nonce] else { return .unknown }
        guard !probe.answered else { return .duplicate }
        guard now - probe.sentAt <= timing.window else { return .stale }
        probes[nonce]?.answered = true
        let roundTrip = now - probe.sentAt
        received += 1
        unanswered = 0
        lastRoundTrip = roundTrip
        guard state != .up else { return .answered(roundTrip: roundTrip, change: nil) }
        state = .up
        return .answered(roundTrip: roundTrip, change: .up)
    }

    /// Starts over, as for a tunnel just created: state unknown, nothing outstanding.
    public mutating func restart() {
        self = KeepaliveProbe(timing: timing)
    }

    private mutating func forget(before limit: Int64) {
        // Pruned in batches: at most about four windows' worth of probes are kept.
        guard probes.count > 4 * (timing.retries + 2) else { return }
        probes = probes.filter { $0.value.sentAt >= limit }
    }
}
