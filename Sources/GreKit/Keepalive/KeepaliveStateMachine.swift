/// What the keepalives say about a tunnel.
public enum TunnelState: String, Sendable {
    /// Watching has begun; no reply yet, and not enough keepalives lost to call it down.
    case unknown
    case up
    case down
    /// The device is gone (deleted while watched).
    case absent
}

/// Timing of a target's keepalives and the thresholds of its state machine. Times are
/// nanoseconds on the monotonic clock.
public struct KeepaliveTiming: Equatable, Sendable {
    public var interval: Int64
    public var retries: Int
    /// Replies in a row (to consecutive keepalives) before the tunnel is up: 1, as
    /// Cisco, or more, so that one lucky reply on a lossy path does not bring back
    /// its routes.
    public var upAfter: Int
    /// After going down, the tunnel comes back up only once it has answered every
    /// keepalive for this long: a flapping path stays down. 0: at once.
    public var holdDown: Int64

    public init(interval: Int64, retries: Int, upAfter: Int = 1, holdDown: Int64 = 0) {
        self.interval = interval
        self.retries = retries
        self.upAfter = upAfter
        self.holdDown = holdDown
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
/// the peer answers again. Beyond Cisco, and only when asked: `upAfter` replies to
/// consecutive keepalives are needed to come up, and after a down the replies must
/// also have run unbroken for `holdDown`.
///
/// Each keepalive carries a nonce that the peer returns untouched. A reply counts only
/// if its nonce is that of a keepalive sent within the window and not answered before:
/// so stale, duplicated and forged replies change nothing, and every reply that counts
/// gives a round-trip time.
public struct KeepaliveStateMachine: Sendable {
    public private(set) var timing: KeepaliveTiming
    public private(set) var state = TunnelState.unknown
    /// Keepalives sent since the last reply (Cisco's counter).
    public private(set) var unanswered = 0
    public private(set) var sent: UInt64 = 0
    public private(set) var received: UInt64 = 0
    /// Round-trip time of the last reply that counted, in nanoseconds.
    public var lastRoundTrip: Int64? { roundTrips.last }
    public private(set) var roundTrips = RoundTripStatistics()
    /// Changes to up or down since watching began.
    public private(set) var changes: UInt64 = 0
    /// When the state last changed (monotonic); nil while it is still the first one.
    public private(set) var changedAt: Int64?

    /// A keepalive sent and remembered by its nonce, waiting for its reply: 16 bytes,
    /// so that the search for a nonce reads few cache lines (a hub's targets' lists are
    /// rarely in the cache). Its place among the keepalives sent (1, 2, 3...), which
    /// tells replies to consecutive keepalives from replies with a loss between them,
    /// is not stored: the list holds every keepalive since the oldest it keeps, so the
    /// last is keepalive `sent` and the others count back from it.
    private struct PendingKeepalive: Sendable {
        var sentAt: Int64
        var nonce: UInt32
        var answered = false
    }

    /// Replies to consecutive keepalives, the last of them to keepalive `lastSerial`,
    /// the first arriving at `streakStart`.
    private var streak = 0
    private var lastSerial: UInt64 = 0
    private var streakStart: Int64 = 0

    /// Keepalives in the order sent. Each is kept for two windows, so that a late reply
    /// is told apart from a forged one. A list searched from its newest end, not a
    /// dictionary: it holds a few dozen at most, a reply usually answers the newest,
    /// and a hub keeps one per target, so hashing and growing one per target would cost
    /// more than the search (perf: about 5% of a watcher's own time at 10,000 targets).
    private var pending: [PendingKeepalive] = []

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
            if position(of: nonce) == nil { return nonce }
        }
    }

    /// Records a keepalive sent at `now`, whether or not the kernel took it: Cisco counts
    /// attempts. Returns `.down` when this send took the tunnel down.
    public mutating func recordSend(nonce: UInt32, at now: Int64) -> TunnelState? {
        forget(before: now - 2 * timing.window)
        sent += 1
        pending.append(PendingKeepalive(sentAt: now, nonce: nonce))
        unanswered += 1
        guard unanswered > timing.retries, state != .down else { return nil }
        change(to: .down, at: now)
        return .down
    }

    /// Counts a reply carrying `nonce` that arrived at `now`.
    public mutating func recordReply(nonce: UInt32, at now: Int64) -> ReplyOutcome {
        guard let position = position(of: nonce) else { return .unknown }
        let keepalive = pending[position]
        guard !keepalive.answered else { return .duplicate }
        guard now - keepalive.sentAt <= timing.window else { return .stale }
        pending[position].answered = true
        let roundTrip = now - keepalive.sentAt
        let serial = sent - UInt64(pending.count - 1 - position)
        received += 1
        unanswered = 0
        roundTrips.record(roundTrip)
        if serial == lastSerial + 1, streak > 0 {
            streak += 1
        } else if serial > lastSerial {
            // A keepalive between went unanswered (or this is the first reply).
            streak = 1
            streakStart = now
        }
        lastSerial = max(lastSerial, serial)
        guard state != .up, streak >= timing.upAfter,
              state != .down || now - streakStart >= timing.holdDown
        else { return .answered(roundTrip: roundTrip, change: nil) }
        change(to: .up, at: now)
        return .answered(roundTrip: roundTrip, change: .up)
    }

    /// Starts over, as for a tunnel just created: the state is unknown and nothing is pending.
    public mutating func restart() {
        self = KeepaliveStateMachine(timing: timing)
    }

    /// Takes new timing and thresholds, keeping the state, the counters and the
    /// keepalives waiting for replies.
    public mutating func retime(_ timing: KeepaliveTiming) {
        self.timing = timing
    }

    private mutating func change(to new: TunnelState, at now: Int64) {
        state = new
        changes += 1
        changedAt = now
    }

    private mutating func forget(before limit: Int64) {
        // The keepalives are in the order sent, so the old ones are a prefix (the count
        // back from `sent` stays true), found from the first: each send forgets the one
        // or two that aged past the limit, and the list stays two windows long, the
        // least that every send's nonce search (`nextNonce`) and many replies' read
        // through. Left to grow to four windows between prunings, it took twice the
        // cache lines, which a hub's ten thousand lists do not keep between keepalives.
        guard let oldest = pending.first, oldest.sentAt < limit else { return }
        pending.removeFirst(pending.firstIndex { $0.sentAt >= limit } ?? pending.count)
    }

    /// Where the keepalive with `nonce` is in `pending`, searched from the newest.
    private func position(of nonce: UInt32) -> Int? {
        pending.lastIndex { $0.nonce == nonce }
    }
}

/// Round-trip times of the replies that counted: the last, the extremes, the sum, and
/// a histogram over fixed bounds (Prometheus's cumulative buckets are made from it).
public struct RoundTripStatistics: Sendable, Equatable {
    /// Upper bounds of the histogram's buckets, in nanoseconds: from 0.5 ms (a LAN) to
    /// 5 s (a satellite link under load); slower replies fall in the last, unbounded one.
    public static let bucketBounds: [Int64] = [
        500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000,
    ]

    public private(set) var last: Int64?
    public private(set) var minimum: Int64?
    public private(set) var maximum: Int64?
    public private(set) var count: UInt64 = 0
    public private(set) var sum: Int64 = 0
    /// Replies per bucket (not cumulative), one more than `bucketBounds`.
    public var buckets: [UInt64] { counts.indices.map { counts[$0] } }
    /// The same, kept in the statistics themselves rather than in an array of their
    /// own: a reply counted touches its target's state and not a second allocation
    /// (with ten thousand targets, each one more cache miss).
    private var counts = InlineArray<14, UInt64>(repeating: 0)

    public init() {
        precondition(counts.count == Self.bucketBounds.count + 1, "one bucket more than bounds")
    }

    public static func == (left: Self, right: Self) -> Bool {
        left.last == right.last && left.minimum == right.minimum && left.maximum == right.maximum && left.count == right.count
            && left.sum == right.sum && left.counts.indices.allSatisfy { left.counts[$0] == right.counts[$0] }
    }

    public var average: Int64? { count == 0 ? nil : sum / Int64(count) }

    mutating func record(_ roundTrip: Int64) {
        last = roundTrip
        minimum = Swift.min(minimum ?? roundTrip, roundTrip)
        maximum = Swift.max(maximum ?? roundTrip, roundTrip)
        count += 1
        sum &+= roundTrip
        counts[Self.bucketBounds.firstIndex { roundTrip <= $0 } ?? Self.bucketBounds.count] += 1
    }
}
