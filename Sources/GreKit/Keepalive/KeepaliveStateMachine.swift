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

/// Cisco's keepalive state machine for one tunnel, with each reply matched to the
/// keepalive it answers.
///
/// Every keepalive sent increments a counter; any matching reply resets it to 0 and
/// brings the tunnel up; when a send takes the counter past `retries`, the tunnel goes
/// down. Keepalives go on while it is down, so that the tunnel comes back up as soon as
/// the peer answers again.
///
/// Each keepalive carries a nonce that the peer returns untouched. A reply counts only
/// if its nonce is that of a keepalive sent within the window and not answered before:
/// so stale, duplicated and forged replies change nothing, and every reply that counts
/// gives a round-trip time.
public struct KeepaliveStateMachine: Sendable {
    public let timing: KeepaliveTiming
    public private(set) var state = TunnelState.unknown
    /// Keepalives sent since the last reply (Cisco's counter).
    public private(set) var unanswered = 0
    public private(set) var sent: UInt64 = 0
    public private(set) var received: UInt64 = 0
    /// Round-trip time of the last reply that counted, in nanoseconds.
    public private(set) var lastRoundTrip: Int64?

    /// A keepalive sent and remembered by its nonce, waiting for its reply.
    private struct PendingKeepalive: Sendable {
        var sentAt: Int64
        var answered = false
    }

    /// Keepalives by nonce. Each is kept for two windows, so that a late reply is told
    /// apart from a forged one.
    private var pending: [UInt32: PendingKeepalive] = [:]

    public init(timing: KeepaliveTiming) { self.timing = timing }

    /// What a reply meant.
    public enum ReplyOutcome: Equatable, Sendable {
        /// A reply to a keepalive of the window: the round-trip time, and the new state
        /// if the reply changed it.
        case answered(roundTrip: Int64, change: TunnelState?)
        /// The keepalive was answered already.
        case duplicate
        /// The keepalive is older than the window.
        case stale
        /// No keepalive has this nonce: the reply is forged, or older than anything remembered.
        case unknown
    }

    /// A nonce for the next keepalive. It is random, so that replies cannot be guessed;
    /// non-zero, because the kernel replaces a zero IPv4 identification; and not in use.
    public func nextNonce(limit: UInt32, using generator: inout some RandomNumberGenerator) -> UInt32 {
        while true {
            let nonce = UInt32.random(in: 1...limit, using: &generator)
            if pending[nonce] == nil { return nonce }
        }
    }

    /// Records a keepalive sent at `now`, whether or not the kernel took it: Cisco counts
    /// attempts. Returns `.down` when this send took the tunnel down.
    public mutating func recordSend(nonce: UInt32, at now: Int64) -> TunnelState? {
        forget(before: now - 2 * timing.window)
        pending[nonce] = PendingKeepalive(sentAt: now)
        sent += 1
        unanswered += 1
        guard unanswered > timing.retries, state != .down else { return nil }
        state = .down
        return .down
    }

    /// Counts a reply carrying `nonce` that arrived at `now`.
    public mutating func recordReply(nonce: UInt32, at now: Int64) -> ReplyOutcome {
        guard let keepalive = pending[nonce] else { return .unknown }
        guard !keepalive.answered else { return .duplicate }
        guard now - keepalive.sentAt <= timing.window else { return .stale }
        pending[nonce]?.answered = true
        let roundTrip = now - keepalive.sentAt
        received += 1
        unanswered = 0
        lastRoundTrip = roundTrip
        guard state != .up else { return .answered(roundTrip: roundTrip, change: nil) }
        state = .up
        return .answered(roundTrip: roundTrip, change: .up)
    }

    /// Starts over, as for a tunnel just created: the state is unknown and nothing is pending.
    public mutating func restart() {
        self = KeepaliveStateMachine(timing: timing)
    }

    private mutating func forget(before limit: Int64) {
        // Pruning walks every pending keepalive, so it runs only once about four windows'
        // worth have gathered, and keeps the last two: the cost per send stays constant
        // on average.
        guard pending.count > 4 * (timing.retries + 2) else { return }
        pending = pending.filter { $0.value.sentAt >= limit }
    }
}
