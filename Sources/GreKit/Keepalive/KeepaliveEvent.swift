import Netlink

/// Something a watcher reports: watching begins, a state change, a keepalive sent or a
/// reply counted (verbose), a tunnel that went away or came back, what the action did,
/// a problem it lived through. The events are values; the command line decides how to
/// show them (text lines or JSON lines).
public struct KeepaliveEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Watching begins.
        case watch(Watching)
        /// The state changed (to the event's `state`).
        case state
        /// A keepalive was sent (verbose). `failure` is why the kernel refused it, if it
        /// did: that keepalive counts as lost, as on the wire.
        case sent(failure: String?)
        /// A reply was counted (verbose).
        case reply
        /// The tunnel device was deleted; keepalives stop until it is back.
        case deleted
        /// The tunnel device is back (re-created) or usable again; keepalives resume.
        case created(Watching)
        /// What the action did to the tunnel's routes or link.
        case action(KeepaliveActionOutcome)
        /// Something failed; the watcher goes on.
        case problem(KeepaliveProblem)
        /// The configuration was read again: how many targets it added, removed and
        /// changed, and how many it left as they were.
        case reloaded(KeepaliveReload)
        /// The target was taken out of the configuration: watching it stops, after
        /// what its action took was given back.
        case removed
    }

    public var kind: Kind
    /// The watched tunnel's name; empty for what concerns the whole watcher.
    public var tunnel: String
    public var state: TunnelState
    /// The round-trip time of this reply (reply, state up) or of the last one, in nanoseconds.
    public var roundTrip: Int64?
    public var sent: UInt64
    public var received: UInt64
    /// Keepalives unanswered in a row (Cisco's counter).
    public var missed: Int

    public init(kind: Kind, tunnel: String, state: TunnelState, roundTrip: Int64? = nil,
                sent: UInt64 = 0, received: UInt64 = 0, missed: Int = 0) {
        self.kind = kind
        self.tunnel = tunnel
        self.state = state
        self.roundTrip = roundTrip
        self.sent = sent
        self.received = received
        self.missed = missed
    }
}

/// What a reload changed, by targets.
public struct KeepaliveReload: Sendable, Equatable {
    public var added = 0
    public var removed = 0
    public var changed = 0
    public var unchanged = 0

    public init(added: Int = 0, removed: Int = 0, changed: Int = 0, unchanged: Int = 0) {
        self.added = added
        self.removed = removed
        self.changed = changed
        self.unchanged = unchanged
    }
}

/// What a watcher keeps to one target: its endpoints, the timing and the action.
public struct Watching: Sendable, Equatable {
    public var target: KeepaliveTarget
    public var timing: KeepaliveTiming
    /// `.none` for an explicit target, which has no device to act on.
    public var action: KeepaliveWatcher.Action
    /// What action penalize adds to a route's metric.
    public var penalty: UInt32?
    /// The address pinged through the tunnel instead of GRE keepalives.
    public var echo: IPAddress?

    public init(target: KeepaliveTarget, timing: KeepaliveTiming, action: KeepaliveWatcher.Action, penalty: UInt32? = nil,
                echo: IPAddress? = nil) {
        self.target = target
        self.timing = timing
        self.action = action
        self.penalty = penalty
        self.echo = echo
    }
}

/// What a keepalive action did when its tunnel went down or came back up.
public enum KeepaliveActionOutcome: Sendable, Equatable {
    /// Action routes, tunnel down: the routes through the tunnel were withdrawn.
    case routesWithdrawn(RouteWithdrawal)
    /// Action link, tunnel down: the link was set down, after saving what Linux deletes
    /// with it.
    case linkSetDown(saved: ActionCounts)
    /// Tunnel up (or the watcher exiting): what was taken came back, the link set up
    /// first when the action had set it down. What failed to come back is kept, and
    /// tried again at the next up and on exit.
    case restored(ActionCounts, linkSetUp: Bool, keptToRetry: [KeepaliveActionFailure])
    /// At start: what a previous watcher took from the tunnel and did not give back (it
    /// died), taken over from its state file, to give back when the tunnel answers.
    case inherited(ActionCounts, linkDown: Bool)
}

/// The routes the action took from a tunnel that went down.
public struct RouteWithdrawal: Sendable, Equatable {
    /// Routes withdrawn: deleted, or reduced to their legs elsewhere.
    public var routes: Int
    /// Of those, the ECMP routes that only lost their legs through the tunnel.
    public var reduced: Int
    public var failures: [KeepaliveActionFailure]
    /// Routes left in place: they are on a nexthop group that other routes share.
    public var kept: [IPPrefix]
    /// Routes moved to a higher metric instead (action penalize), and by how much.
    public var penalized: Int
    public var penalty: UInt32?

    public init(routes: Int, reduced: Int = 0, failures: [KeepaliveActionFailure] = [], kept: [IPPrefix] = [],
                penalized: Int = 0, penalty: UInt32? = nil) {
        self.routes = routes
        self.reduced = reduced
        self.failures = failures
        self.kept = kept
        self.penalized = penalized
        self.penalty = penalty
    }
}

/// How much an action took or gave back.
public struct ActionCounts: Sendable, Equatable {
    public var routes: Int
    public var nexthops: Int
    public var nexthopGroups: Int

    public init(routes: Int, nexthops: Int = 0, nexthopGroups: Int = 0) {
        self.routes = routes
        self.nexthops = nexthops
        self.nexthopGroups = nexthopGroups
    }
}

/// A route or nexthop object the action could not withdraw or restore, and why.
public struct KeepaliveActionFailure: Sendable, Equatable {
    public enum Item: Sendable, Equatable {
        case route(IPPrefix)
        case nexthop(id: UInt32)
        case nexthopGroup(id: UInt32)
    }

    public var item: Item
    /// The error's own message.
    public var reason: String

    public init(_ item: Item, reason: String) {
        self.item = item
        self.reason = reason
    }

    init(_ item: Item, _ error: any Error) {
        self.init(item, reason: "\(error)")
    }
}

/// A failure the watcher lives through. Each reason is the error's own message.
public enum KeepaliveProblem: Sendable, Equatable {
    /// The action on a tunnel that went down failed.
    case takeDownFailed(reason: String)
    /// Bringing a tunnel's routes or link back failed; everything is kept, to try again
    /// at the next up and on exit.
    case bringUpFailed(reason: String)
    /// On exit, bringing back what the action took failed.
    case restoreFailed(reason: String)
    /// On exit, this much stayed taken: the link left down, and these counts.
    case notRestored(linkDown: Bool, ActionCounts)
    /// The tunnel changed so that keepalives cannot go on (its remote went away, say);
    /// they stop until it is usable again.
    case unusable(reason: String)
    /// An on-down or on-up command could not be started.
    case hookFailed(reason: String)
    /// Reading replies failed.
    case receiveFailed(reason: String)
    /// Reading link notifications failed.
    case linkNotificationsFailed(reason: String)
    /// The tunnel now has the endpoints (and key) of another watched target, whose
    /// replies its own could not be told from: keepalives to it stop until that changes.
    case sharesReplies(with: String)
    /// The configuration could not be read again: the watcher goes on with the one it had.
    case reloadRefused(reason: String)
    /// The metrics file could not be written.
    case metricsFailed(reason: String)
    /// The control socket could not be opened: `keepalive status` cannot ask this watcher.
    case controlSocketFailed(reason: String)
    /// Reading the routes through the watched tunnels failed: what the actions take may
    /// miss routes until they are read again.
    case routeNotificationsFailed(reason: String)
    /// What the action takes could not be written to the state file: taken anyway (the
    /// tunnel is down), but a crash now would lose it.
    case journalFailed(reason: String)
    /// A state file left by a previous watcher was not taken over (unreadable, or left
    /// for a device since deleted).
    case stateDiscarded(reason: String)
    /// Another watcher holds the device's lock: a target a reload added is not watched.
    case locked(reason: String)
}
