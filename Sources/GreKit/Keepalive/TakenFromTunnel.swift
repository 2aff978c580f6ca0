import Netlink

/// What a keepalive action took from one tunnel and has not given back yet: what the
/// watcher gives back when the tunnel answers again, what its state file keeps across a
/// crash, and what `keepalive restore` puts back by hand.
public struct TakenFromTunnel: Sendable, Equatable {
    /// The watcher set the link down (action link).
    public var linkDown = false
    /// Routes taken whole (withdrawn, or deleted with the link): added back as they were.
    public var routes: [Route] = []
    /// ECMP routes that lost legs through the tunnel. The legs go back into the route
    /// as it is then, beside the legs of tunnels that are up; never the legs of others.
    public var legs: [RouteLegs] = []
    /// Routes moved to a higher metric (action penalize): the originals come back and
    /// the copies go.
    public var penalized: [PenalizedRoute] = []
    /// Nexthop objects on the tunnel, deleted with the link.
    public var nexthops: [NexthopObject] = []
    /// Groups with members among those nexthops, with their whole membership.
    public var groups: [NexthopObject] = []

    public init() {}

    public var isEmpty: Bool {
        !linkDown && routes.isEmpty && legs.isEmpty && penalized.isEmpty && nexthops.isEmpty && groups.isEmpty
    }

    /// How many of each: routes (whole, ECMP and penalized alike), nexthops and groups.
    public var counts: ActionCounts {
        ActionCounts(routes: routes.count + legs.count + penalized.count, nexthops: nexthops.count, nexthopGroups: groups.count)
    }

    /// The destinations of every route taken, for reports.
    public var destinations: [IPPrefix] {
        routes.map(\.destination) + legs.map(\.route.destination) + penalized.map(\.route.destination)
    }

    /// Adds what a later take-down took. Where both hold the same route or object, the
    /// copy held already wins: it was saved first, before anything was taken, so it is
    /// the original; ECMP legs taken later join the legs taken before.
    mutating func merge(_ later: TakenFromTunnel) {
        linkDown = linkDown || later.linkDown
        routes += later.routes.filter { !routes.contains($0) }
        for record in later.legs {
            if let position = legs.firstIndex(where: { $0.route.key == record.route.key }) {
                legs[position].legs += record.legs.filter { leg in !legs[position].legs.contains { $0.isSameWay(as: leg) } }
            } else {
                legs.append(record)
            }
        }
        penalized += later.penalized.filter { record in !penalized.contains { $0.route.key == record.route.key } }
        nexthops += later.nexthops.filter { nexthop in !nexthops.contains { $0.id == nexthop.id } }
        groups += later.groups.filter { group in !groups.contains { $0.id == group.id } }
    }
}

/// ECMP legs a tunnel took from a route.
public struct RouteLegs: Sendable, Equatable {
    /// The route as it was with the most legs anyone saw: the order and weights its legs
    /// go back in.
    public var route: Route
    /// The legs through the tunnel that were taken.
    public var legs: [Route.Nexthop]

    public init(route: Route, legs: [Route.Nexthop]) {
        self.route = route
        self.legs = legs
    }

    /// What gives the legs back to `current` (the route with this key now, if any): the
    /// route to add or to replace it with; nil when every leg is there already (Linux
    /// revives the legs of a link that comes back up).
    func restoration(into current: Route?) -> (route: Route, change: RouteChange)? {
        let present = current?.legs ?? []
        let missing = legs.filter { leg in !present.contains { $0.isSameWay(as: leg) } }
        guard !missing.isEmpty else { return nil }
        let merged = ordered(present + missing)
        guard let current else { return (route.with(legs: merged), .add) }
        return (current.with(legs: merged), .replace)
    }

    /// `legs` in the order the original route had them, each as it had it (weight,
    /// onlink); legs it did not have follow, as they are.
    private func ordered(_ legs: [Route.Nexthop]) -> [Route.Nexthop] {
        let original = route.legs
        let known = original.filter { leg in legs.contains { $0.isSameWay(as: leg) } }
        let others = legs.filter { leg in !original.contains { $0.isSameWay(as: leg) } }
        return known + others
    }
}

/// A route a tunnel moved to a higher metric.
public struct PenalizedRoute: Sendable, Equatable {
    /// The route as it was.
    public var route: Route
    /// The metric of its copy.
    public var metric: UInt32

    public init(route: Route, metric: UInt32) {
        self.route = route
        self.metric = metric
    }

    /// The route at the higher metric.
    public var copy: Route {
        var copy = route
        copy.priority = metric
        return copy
    }

    /// The metric `penalty` above the route's own (saturating).
    static func metric(of route: Route, penalty: UInt32) -> UInt32 {
        let (sum, overflow) = (route.priority ?? 0).addingReportingOverflow(penalty)
        return overflow ? .max : sum
    }
}
