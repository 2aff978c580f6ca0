/// The keepalive logic of a watcher, without sockets or clocks of its own: when
/// each target sends, and what each reply means. The watcher gives it the time and
/// the packets; tests give it a simulated clock and network.
///
/// Each target is independent: its own timing, timer, counter and state. One timer
/// queue serves them all, so a hub with a thousand spokes costs O(log n) per keepalive.
public struct KeepaliveMonitor<Generator: RandomNumberGenerator> {
    public struct Member {
        /// Nil while the tunnel is absent (deleted, or no longer usable).
        public internal(set) var target: KeepaliveTarget?
        /// The address pinged through the tunnel instead of GRE keepalives (`icmp ADDRESS`).
        public internal(set) var echo: IPAddress?
        public internal(set) var stateMachine: KeepaliveStateMachine
        /// The outer GRE sequence number, for tunnels with `oseq`.
        var sequence: UInt32 = 0
        /// Bumped when the member is deactivated, so its pending timer is ignored.
        var generation: UInt32 = 0
    }

    /// A keepalive to send now.
    public struct Send: Equatable {
        public let member: Int
        public let nonce: UInt32
        public let sequence: UInt32
        /// `.down` when this keepalive is the one that takes the tunnel down.
        public let change: TunnelState?
    }

    /// Timers due this close together fire in one wake-up: a hub's keepalives go out
    /// in small batches instead of one wake-up each. 5% of the shortest interval, at
    /// most 50 ms.
    public private(set) var slack: Int64 = 50_000_000
    public private(set) var members: [Member] = []
    private var memberByReplies = ReplyIndex()
    private var timers = TimerQueue<(member: Int, generation: UInt32)>()
    private var generator: Generator

    public init(generator: Generator) {
        self.generator = generator
    }

    /// `count` members with the same timing, none active yet.
    public init(timing: KeepaliveTiming, members count: Int, generator: Generator) {
        self.init(generator: generator)
        for _ in 0..<count { addMember(timing: timing) }
    }

    /// A new member, inactive, at the end; returns its index.
    @discardableResult
    public mutating func addMember(timing: KeepaliveTiming) -> Int {
        members.append(Member(target: nil, stateMachine: KeepaliveStateMachine(timing: timing)))
        slack = min(slack, timing.interval / 20)
        return members.count - 1
    }

    /// Starts (or restarts, for a re-created tunnel) keepalives to `target`, the first
    /// one `delay` after `now`. Nil when another member gets the replies `target` would:
    /// the two could not be told apart, so this one is not started; that member's index
    /// is returned.
    @discardableResult
    public mutating func activate(_ index: Int, target: KeepaliveTarget, echo: IPAddress? = nil, at now: Int64, delay: Int64 = 0) -> Int? {
        deactivate(index)
        let replies = ReplyIdentity(target: target, echo: echo)
        if let other = member(getting: replies) { return other }
        members[index].target = target
        members[index].echo = echo
        members[index].stateMachine.restart()
        memberByReplies.insert(replies, member: index)
        timers.schedule((index, members[index].generation), at: now + delay)
        return nil
    }

    /// Points a watched member at new endpoints or options, keeping its state. Returns
    /// the member that gets the new endpoints' replies already, if one does; then
    /// nothing changes.
    @discardableResult
    public mutating func update(_ index: Int, target: KeepaliveTarget) -> Int? {
        guard let old = members[index].target, old != target else { return nil }
        let echo = members[index].echo
        let (before, after) = (ReplyIdentity(target: old, echo: echo), ReplyIdentity(target: target, echo: echo))
        if let other = member(getting: after), other != index { return other }
        memberByReplies.remove(before, member: index)
        members[index].target = target
        memberByReplies.insert(after, member: index)
        return nil
    }

    /// Gives a member new timing and thresholds, keeping its state and counters; its
    /// next keepalive follows the new interval.
    public mutating func retime(_ index: Int, timing: KeepaliveTiming, at now: Int64) {
        guard members[index].stateMachine.timing != timing else { return }
        let intervalChanged = members[index].stateMachine.timing.interval != timing.interval
        members[index].stateMachine.retime(timing)
        slack = min(slack, timing.interval / 20)
        guard intervalChanged, members[index].target != nil else { return }
        // The timer set for the old interval is dropped, and a new one set.
        members[index].generation &+= 1
        timers.schedule((index, members[index].generation), at: now + timing.interval)
    }

    /// Stops keepalives to a member (its tunnel is gone); its state is forgotten.
    public mutating func deactivate(_ index: Int) {
        if let old = members[index].target { memberByReplies.remove(ReplyIdentity(target: old, echo: members[index].echo), member: index) }
        members[index].target = nil
        members[index].echo = nil
        members[index].generation &+= 1
    }

    /// When the next keepalive is due (possibly a timer left by a deactivated member,
    /// which firing discards).
    public var nextDeadline: Int64? { timers.nextDeadline }

    /// The keepalives due at `now`, each recorded as sent and its next one scheduled:
    /// none before the earliest is due, then that one and every other due within `slack`
    /// of now. A loop that wakes for every burst of replies would otherwise send a few
    /// keepalives at each wake-up instead of a batch per `slack`.
    public mutating func due(at now: Int64) -> [Send] {
        guard let earliest = timers.nextDeadline, earliest <= now else { return [] }
        var sends: [Send] = []
        while let (deadline, timer) = timers.popDue(at: now + slack) {
            let index = timer.member
            guard timer.generation == members[index].generation, let target = members[index].target else { continue }
            // An echo's nonce is its 16-bit sequence number.
            let limit = members[index].echo == nil ? target.nonceLimit : 0xFFFF
            let nonce = members[index].stateMachine.nextNonce(limit: limit, using: &generator)
            members[index].sequence &+= 1
            let change = members[index].stateMachine.recordSend(nonce: nonce, at: now)
            sends.append(Send(member: index, nonce: nonce, sequence: members[index].sequence, change: change))
            // The schedule keeps its phase; after a stall it resumes from now instead
            // of sending the keepalives it missed in a burst.
            let interval = members[index].stateMachine.timing.interval
            let next = deadline + interval
            timers.schedule(timer, at: next > now ? next : now + interval)
        }
        return sends
    }

    /// Matches a reflected keepalive to its member and counts it. Nil when it belongs
    /// to no member.
    public mutating func reply(_ reflected: ReflectedKeepalive, at now: Int64) -> (member: Int, outcome: KeepaliveStateMachine.ReplyOutcome)? {
        guard let index = member(getting: .gre(reflected.flow)) else { return nil }
        return (index, members[index].stateMachine.recordReply(nonce: reflected.nonce, at: now))
    }

    /// The member that gets the replies of `identity`, if one does.
    private func member(getting identity: ReplyIdentity) -> Int? {
        memberByReplies.member(identity) { member in
            members[member].target.map { ReplyIdentity(target: $0, echo: members[member].echo) }
        }
    }

    /// Matches an echo reply from `source` to the member that pings it, and counts it.
    public mutating func echoReply(from source: IPAddress, sequence: UInt16, at now: Int64)
        -> (member: Int, outcome: KeepaliveStateMachine.ReplyOutcome)? {
        guard let index = member(getting: .echo(source)) else { return nil }
        return (index, members[index].stateMachine.recordReply(nonce: UInt32(sequence), at: now))
    }
}

/// What a target's replies are known by: a GRE keepalive's reflection by its outer
/// addresses and input key, an echo reply by the address pinged. Two targets with
/// the same could not be told apart.
public enum ReplyIdentity: Hashable, Sendable {
    case gre(GreFlow)
    case echo(IPAddress)

    public init(target: KeepaliveTarget, echo: IPAddress?) {
        self = echo.map(ReplyIdentity.echo) ?? .gre(target.replyFlow)
    }
}

extension KeepaliveMonitor where Generator == NonceGenerator {
    public init() {
        self.init(generator: NonceGenerator())
    }

    public init(timing: KeepaliveTiming, members count: Int) {
        self.init(timing: timing, members: count, generator: NonceGenerator())
    }
}

/// Nonces for a thousand keepalives a second without a system call each:
/// xoshiro256**, seeded from the kernel's random source. A nonce only has to be
/// unguessable by whoever cannot see the keepalives.
public struct NonceGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init() {
        var seed = SystemRandomNumberGenerator()
        repeat {
            state = (seed.next(), seed.next(), seed.next(), seed.next())
        } while state == (0, 0, 0, 0)
    }

    public mutating func next() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 { self << count | self >> (64 - count) }
}
