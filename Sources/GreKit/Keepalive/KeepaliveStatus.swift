/// What a running watcher knows of one target: `keepalive status` shows it, the
/// metrics file exports it, the service's one-line status sums it up.
public struct KeepaliveTargetStatus: Sendable, Equatable {
    public var name: String
    /// The endpoints keepalives go to (while the tunnel is absent: went to).
    public var target: KeepaliveTarget
    public var settings: KeepaliveWatcher.Settings
    /// Whether a device is watched (a tunnel), not an explicit target.
    public var isDevice: Bool
    public var state: TunnelState
    /// When the state began (real time, nanoseconds since the epoch): the last change,
    /// or when watching began.
    public var since: Int64
    public var sent: UInt64
    public var received: UInt64
    /// Keepalives unanswered in a row.
    public var missed: Int
    /// Changes to up or down since watching began.
    public var changes: UInt64
    public var roundTrips: RoundTripStatistics
    /// What the action has taken and not given back yet.
    public var withdrawn: ActionCounts
    /// The action set the link down and it is still down.
    public var linkDown: Bool

    public init(name: String, target: KeepaliveTarget, settings: KeepaliveWatcher.Settings, isDevice: Bool,
                state: TunnelState, since: Int64, sent: UInt64 = 0, received: UInt64 = 0, missed: Int = 0,
                changes: UInt64 = 0, roundTrips: RoundTripStatistics = RoundTripStatistics(),
                withdrawn: ActionCounts = ActionCounts(routes: 0), linkDown: Bool = false) {
        self.name = name
        self.target = target
        self.settings = settings
        self.isDevice = isDevice
        self.state = state
        self.since = since
        self.sent = sent
        self.received = received
        self.missed = missed
        self.changes = changes
        self.roundTrips = roundTrips
        self.withdrawn = withdrawn
        self.linkDown = linkDown
    }
}

extension Array where Element == KeepaliveTargetStatus {
    /// The service's one-line status: "12 up, 1 down: gre7". Down targets are named,
    /// the first few of them; unknown (no reply yet) and absent ones are counted.
    public var summary: String {
        func count(_ state: TunnelState) -> Int { self.lazy.filter { $0.state == state }.count }
        var parts = ["\(count(.up)) up", "\(count(.down)) down"]
        if count(.unknown) > 0 { parts.append("\(count(.unknown)) unknown") }
        if count(.absent) > 0 { parts.append("\(count(.absent)) absent") }
        var text = parts.joined(separator: ", ")
        let down = filter { $0.state == .down }.map(\.name)
        if !down.isEmpty {
            let shown = 5
            text += ": " + down.prefix(shown).joined(separator: ", ") + (down.count > shown ? " and \(down.count - shown) more" : "")
        }
        return text
    }
}
