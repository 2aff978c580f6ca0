import CMnl
import Netlink

/// What the keepalive actions do to the routes through a tunnel, decided from a
/// route dump: pure, so it is tested without a kernel.
struct RouteWithdrawalPlan {
    /// Routes that go entirely through the tunnel: deleted, added back later.
    var deletions: [Route] = []
    /// ECMP routes with legs through the tunnel and elsewhere: replaced by their other
    /// legs, replaced back by the original later.
    var reductions: [(original: Route, reduced: Route)] = []
    /// Routes that use the tunnel but cannot be withdrawn alone: their nexthop group is
    /// shared with other routes and has other legs.
    var kept: [Route] = []

    /// Every unicast route through interface `index`, in every table but the local one
    /// (the tunnel's own addresses) and without IPv6 link-local routes.
    init(routes: [Route], interface index: Int32) {
        for route in routes where route.uses(interface: index) && Self.isWithdrawable(route) {
            let otherLegs = route.nexthops.filter { $0.outputInterface != index }
            if otherLegs.isEmpty {
                deletions.append(route)
            } else if route.nexthopID != nil {
                kept.append(route)
            } else {
                var reduced = route
                reduced.nexthops = otherLegs
                reductions.append((route, reduced))
            }
        }
    }

    static func isWithdrawable(_ route: Route) -> Bool {
        guard route.type == .unicast, route.table != .local else { return false }
        if case .v6(let address) = route.destination.address, address.isLinkLocal || address.isMulticast { return false }
        return true
    }
}

extension Route {
    /// Orders routes for adding back. The kernel refuses a route via a gateway it cannot
    /// reach, and a route on a nexthop object that does not exist; so routes on a device
    /// come first, then routes via gateways, then routes on nexthop objects. The order is
    /// split after the routes on a device, because the nexthop objects, restored between
    /// the two halves, may need those routes too.
    static func inAddingOrder(_ routes: [Route]) -> (direct: [Route], indirect: [Route]) {
        let viaGateways = routes.filter { !$0.isDirect && $0.nexthopID == nil }
        return (routes.filter(\.isDirect), viaGateways + routes.filter { $0.nexthopID != nil })
    }

    /// Whether the route names no gateway and no nexthop object: a device route.
    var isDirect: Bool { nexthopID == nil && gateway == nil && nexthops.allSatisfy { $0.gateway == nil } }
}

/// What the keepalive actions read and change: the kernel's links, routes and
/// nexthop objects (`KernelTunnelNetwork`), or a test's stand-in.
protocol TunnelNetwork {
    func routes() throws -> [Route]
    func isUp(index: Int32) throws -> Bool
    func setAdministrativeState(up: Bool, index: Int32) throws
    func apply(_ route: Route, _ change: RouteChange) throws
    /// The nexthop objects whose device is `index`.
    func nexthops(on index: Int32) throws -> [NexthopObject]
    func nexthopGroups() throws -> [NexthopObject]
    func apply(_ nexthop: NexthopObject, _ change: NexthopChange) throws
}

/// The kernel's, through the watcher's netlink socket.
struct KernelTunnelNetwork: TunnelNetwork {
    let links: LinkService

    func routes() throws -> [Route] { try RouteService(socket: links.socket).list() }

    func isUp(index: Int32) throws -> Bool { try links.link(index: index).isUp }

    /// Sets the link up or down (IFF_UP), changing nothing else.
    func setAdministrativeState(up: Bool, index: Int32) throws {
        var request = LinkRequest(mode: .modify)
        if up { request.setFlags = .up } else { request.clearFlags = .up }
        try links.modify(request, index: index)
    }

    func apply(_ route: Route, _ change: RouteChange) throws { try RouteService(socket: links.socket).apply(route, change) }

    func nexthops(on index: Int32) throws -> [NexthopObject] {
        var selector = NexthopSelector()
        selector.outputInterface = index
        return try listNexthops(selector)
    }

    func nexthopGroups() throws -> [NexthopObject] {
        var selector = NexthopSelector()
        selector.groupsOnly = true
        return try listNexthops(selector)
    }

    func apply(_ nexthop: NexthopObject, _ change: NexthopChange) throws {
        try NexthopService(socket: links.socket).apply(nexthop, change)
    }

    private func listNexthops(_ selector: NexthopSelector) throws -> [NexthopObject] {
        do {
            return try NexthopService(socket: links.socket).list(selector)
        } catch let error as NetlinkError where error.errno == .notSupported {
            // A kernel before nexthop objects (Linux 5.3) has none to lose.
            return []
        }
    }
}

/// What a watcher does to a tunnel that goes down, and undoes when it comes up again.
/// Action `routes` withdraws the routes through the tunnel. Action `link` sets its link
/// down, after saving what Linux deletes with it: the routes through it, the nexthop
/// objects on it (and the routes on those), and the membership of the groups that
/// contain them. For each watched tunnel it remembers what it took until all of it is
/// back: what fails to come back is tried again at the next up, and on exit.
struct TunnelActions {
    let network: (any TunnelNetwork)?
    private(set) var taken: [Int: Taken] = [:]

    /// What the action took from one tunnel and has not given back yet.
    struct Taken {
        /// The watcher set the link down (action link).
        var linkDown = false
        /// Routes to add back: withdrawn (action routes) or deleted with the link.
        var routes: [Route] = []
        /// ECMP routes as they were before their legs through the tunnel were removed (action routes).
        var reduced: [Route] = []
        /// Nexthop objects on the tunnel, deleted with the link.
        var nexthops: [NexthopObject] = []
        /// Groups with members among those nexthops, with their whole membership.
        var groups: [NexthopObject] = []

        var isEmpty: Bool { !linkDown && routes.isEmpty && reduced.isEmpty && nexthops.isEmpty && groups.isEmpty }

        /// How many of each: routes (withdrawn and reduced alike), nexthops and groups.
        var counts: ActionCounts {
            ActionCounts(routes: routes.count + reduced.count, nexthops: nexthops.count, nexthopGroups: groups.count)
        }

        /// Adds what a later take-down took. Where both hold the same route or object, the
        /// copy held already wins: it was saved first, before anything was taken, so it is
        /// the original.
        mutating func merge(_ later: Taken) {
            linkDown = linkDown || later.linkDown
            routes += later.routes.filter { !routes.contains($0) }
            reduced += later.reduced.filter { !reduced.contains($0) }
            nexthops += later.nexthops.filter { nexthop in !nexthops.contains { $0.id == nexthop.id } }
            groups += later.groups.filter { group in !groups.contains { $0.id == group.id } }
        }
    }

    init(network: (any TunnelNetwork)?) {
        self.network = network
    }

    /// Members whose tunnels the action took something from.
    var membersToRestore: [Int] { taken.keys.sorted() }

    /// Acts on a tunnel that went down, as its `action` says; returns what was done,
    /// for the report.
    mutating func takeDown(_ member: Int, index: Int32, action: KeepaliveWatcher.Action) throws -> KeepaliveActionOutcome? {
        guard let network else { return nil }
        var done = Taken()
        let outcome: KeepaliveActionOutcome
        switch action {
        case .none:
            return nil
        case .routes:
            let plan = RouteWithdrawalPlan(routes: try network.routes(), interface: index)
            var failures: [KeepaliveActionFailure] = []
            for route in plan.deletions {
                Self.attempt(.route(route.destination), &failures) {
                    try network.apply(route, .delete)
                    done.routes.append(route)
                }
            }
            for (original, reduction) in plan.reductions {
                Self.attempt(.route(original.destination), &failures) {
                    try network.apply(reduction, .change)
                    done.reduced.append(original)
                }
            }
            outcome = .routesWithdrawn(RouteWithdrawal(
                routes: done.routes.count + done.reduced.count, reduced: done.reduced.count,
                failures: failures, kept: plan.kept.map(\.destination)))
        case .link:
            // A link that someone else set down is not the watcher's to bring up later;
            // nor is one whose bringing up failed, for that one is owed already.
            guard try network.isUp(index: index) else { return nil }
            done = try Self.savedWithLink(index: index, network)
            try network.setAdministrativeState(up: false, index: index)
            done.linkDown = true
            outcome = .linkSetDown(saved: done.counts)
        }
        if var owed = taken[member] {
            owed.merge(done)
            taken[member] = owed
        } else if !done.isEmpty {
            taken[member] = done
        }
        return outcome
    }

    /// What Linux deletes with a link set down: the nexthop objects on it, with them
    /// their members in groups (and the groups left with none), and the routes through
    /// the link or on those objects.
    static func savedWithLink(index: Int32, _ network: any TunnelNetwork) throws -> Taken {
        let allRoutes = try network.routes()
        let plan = RouteWithdrawalPlan(routes: allRoutes, interface: index)
        var saved = Taken()
        saved.nexthops = try network.nexthops(on: index)
        let onLink = Set(saved.nexthops.map(\.id))
        saved.groups = try network.nexthopGroups().filter { $0.group.contains { onLink.contains($0.id) } }
        let doomed = onLink.union(saved.groups.filter { $0.group.allSatisfy { onLink.contains($0.id) } }.map(\.id))
        saved.routes = plan.deletions + plan.reductions.map(\.original)
        // Also save the routes on the nexthop objects that go with the link: with
        // nexthop_compat_mode off, the dump does not show such a route's device, and the
        // plan above misses it.
        saved.routes += allRoutes.filter { route in
            route.nexthopID.map(doomed.contains) == true && RouteWithdrawalPlan.isWithdrawable(route) && !saved.routes.contains(route)
        }
        return saved
    }

    /// Gives back what the action took from the tunnel; returns what was done. Throws,
    /// keeping everything owed, when the link cannot be set up; what else fails stays
    /// owed too, for the next up or the watcher's exit, and is reported.
    mutating func bringUp(_ member: Int, index: Int32) throws -> KeepaliveActionOutcome? {
        guard let network, var owed = taken[member] else { return nil }
        let setUp = owed.linkDown
        if setUp {
            try network.setAdministrativeState(up: true, index: index)
            owed.linkDown = false
        }
        // Linux brings back the routes of the link's addresses and revives ECMP legs
        // itself: those exist already, and count as restored.
        var failures: [KeepaliveActionFailure] = []
        let (direct, indirect) = Route.inAddingOrder(owed.routes)
        var restored = Taken()
        owed.routes = Self.restore(direct, &restored.routes, &failures, item: { .route($0.destination) }) {
            try network.apply($0, .add)
        }
        owed.nexthops = Self.restore(owed.nexthops, &restored.nexthops, &failures, item: { .nexthop(id: $0.id) }) {
            try network.apply($0, .add)
        }
        // A group that lost members is given them back; one that lost all is made again.
        owed.groups = Self.restore(owed.groups, &restored.groups, &failures, item: { .nexthopGroup(id: $0.id) }) {
            try network.apply($0, .replace)
        }
        owed.routes += Self.restore(indirect, &restored.routes, &failures, item: { .route($0.destination) }) {
            try network.apply($0, .add)
        }
        owed.reduced = Self.restore(owed.reduced, &restored.reduced, &failures, item: { .route($0.destination) }) {
            try network.apply($0, .replace)
        }
        taken[member] = owed.isEmpty ? nil : owed
        return .restored(restored.counts, linkSetUp: setUp, keptToRetry: failures)
    }

    /// Sends each of `items`; those sent (or found there already) go to `restored`,
    /// the others are returned and their errors noted in `failures`.
    private static func restore<Item>(_ items: [Item], _ restored: inout [Item], _ failures: inout [KeepaliveActionFailure],
                                      item: (Item) -> KeepaliveActionFailure.Item, _ request: (Item) throws -> Void) -> [Item] {
        var left: [Item] = []
        for element in items {
            do {
                try request(element)
                restored.append(element)
            } catch let error as NetlinkError where error.errno == .fileExists {
                restored.append(element)
            } catch {
                failures.append(KeepaliveActionFailure(item(element), error))
                left.append(element)
            }
        }
        return left
    }

    private static func attempt(_ item: KeepaliveActionFailure.Item, _ failures: inout [KeepaliveActionFailure], _ request: () throws -> Void) {
        do {
            try request()
        } catch {
            failures.append(KeepaliveActionFailure(item, error))
        }
    }

    /// The tunnel is gone, and its routes and nexthop objects with it: nothing to restore.
    mutating func forget(_ member: Int) {
        taken[member] = nil
    }

}
