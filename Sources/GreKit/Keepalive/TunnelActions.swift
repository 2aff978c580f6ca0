import CMnl
import Netlink

/// What the keepalive actions do to the routes through a tunnel, decided from a
/// route dump: pure, so it is tested without a kernel.
struct RouteWithdrawalPlan: Equatable {
    /// Routes that go entirely through the tunnel: deleted, added back later.
    var deletions: [Route] = []
    /// ECMP routes with legs through the tunnel and elsewhere: replaced by their other
    /// legs, replaced back by the original later.
    var reductions: [(original: Route, reduced: Route)] = []
    /// Routes that use the tunnel but cannot be withdrawn alone: their nexthop group is
    /// shared with other routes and has other legs.
    var kept: [Route] = []

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.deletions == rhs.deletions && lhs.kept == rhs.kept
            && lhs.reductions.map(\.original) == rhs.reductions.map(\.original)
            && lhs.reductions.map(\.reduced) == rhs.reductions.map(\.reduced)
    }

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
        guard route.type == .unicast, route.table != RouteTable.local else { return false }
        if case .v6(let address) = route.destination.address, address.isLinkLocal || address.isMulticast { return false }
        return true
    }
}

extension Route {
    /// Routes on a device before routes via gateways: a gateway must be reachable when
    /// its route is added.
    static func inAddingOrder(_ routes: [Route]) -> [Route] {
        let direct = routes.filter { $0.gateway == nil && $0.nexthops.allSatisfy { $0.gateway == nil } }
        let viaGateways = routes.filter { $0.gateway != nil || $0.nexthops.contains { $0.gateway != nil } }
        return direct + viaGateways
    }
}

/// What a watcher does to a tunnel that goes down, and undoes when it is up again:
/// withdraw its routes (`routes`), or set its link down (`link`), having saved the
/// routes Linux flushes with it. Remembers, per watched tunnel, what it took away.
struct TunnelActions {
    let action: KeepaliveWatcher.Action
    let links: LinkService?
    private var taken: [Int: Taken] = [:]

    private enum Taken {
        case routes(deleted: [Route], reduced: [Route])
        case link(saved: [Route])
    }

    init(action: KeepaliveWatcher.Action, links: LinkService?) {
        self.action = action
        self.links = links
    }

    /// Members whose tunnels the action took something from.
    var membersToRestore: [Int] { taken.keys.sorted() }

    /// Acts on a tunnel that went down; returns what was done, for the report.
    mutating func takeDown(_ member: Int, index: Int32, name: String) throws -> String? {
        guard taken[member] == nil, action != .none, let links else { return nil }
        let routes = RouteService(socket: links.socket)
        let plan = RouteWithdrawalPlan(routes: try routes.list(), interface: index)
        var failures: [String] = []
        switch action {
        case .none:
            return nil
        case .routes:
            var deleted: [Route] = []
            var reduced: [Route] = []
            for route in plan.deletions {
                do {
                    try routes.delete(route)
                    deleted.append(route)
                } catch {
                    failures.append("\(route.destination): \(error)")
                }
            }
            for (original, reduction) in plan.reductions {
                do {
                    try routes.change(reduction)
                    reduced.append(original)
                } catch {
                    failures.append("\(original.destination): \(error)")
                }
            }
            taken[member] = .routes(deleted: deleted, reduced: reduced)
            var done = "withdrew " + Self.routes(deleted.count + reduced.count)
            if !reduced.isEmpty { done += " (\(reduced.count) ECMP, only their legs through \(name))" }
            return done + Self.describe(failures: failures, kept: plan.kept)
        case .link:
            let link = try links.link(index: index)
            // A link someone else set down is not the watcher's to bring up later.
            guard link.isUp else { return nil }
            let saved = plan.deletions + plan.reductions.map(\.original)
            try links.setAdministrativeState(up: false, index: index)
            taken[member] = .link(saved: saved)
            return "set link down (\(Self.routes(saved.count)) through it saved)"
        }
    }

    /// Undoes what `takeDown` did to the tunnel; returns what was done.
    mutating func bringUp(_ member: Int, index: Int32) throws -> String? {
        guard let links, let what = taken.removeValue(forKey: member) else { return nil }
        let routes = RouteService(socket: links.socket)
        var failures: [String] = []
        var restored = 0
        switch what {
        case .routes(let deleted, let reduced):
            // A route someone put back meanwhile counts as restored.
            for route in Route.inAddingOrder(deleted) {
                Self.restore(&restored, &failures, route) { try routes.add(route) }
            }
            for route in reduced {
                Self.restore(&restored, &failures, route) { try routes.replace(route) }
            }
            return "restored " + Self.routes(restored) + Self.describe(failures: failures, kept: [])
        case .link(let saved):
            try links.setAdministrativeState(up: true, index: index)
            // Linux brings back the routes of the link's addresses and revives ECMP legs
            // itself: those exist already.
            for route in Route.inAddingOrder(saved) {
                Self.restore(&restored, &failures, route) { try routes.add(route) }
            }
            return "set link up, \(Self.routes(restored)) back" + Self.describe(failures: failures, kept: [])
        }
    }

    private static func restore(_ restored: inout Int, _ failures: inout [String], _ route: Route, _ request: () throws -> Void) {
        do {
            try request()
            restored += 1
        } catch let error as NetlinkError where error.errno == .fileExists {
            restored += 1
        } catch {
            failures.append("\(route.destination): \(error)")
        }
    }

    /// The tunnel is gone, and its routes with it: nothing to restore.
    mutating func forget(_ member: Int) {
        taken[member] = nil
    }

    private static func routes(_ count: Int) -> String { count == 1 ? "1 route" : "\(count) routes" }

    private static func describe(failures: [String], kept: [Route]) -> String {
        var text = ""
        if !failures.isEmpty { text += "; failed: " + failures.joined(separator: ", ") }
        if !kept.isEmpty {
            text += "; kept (shared nexthop group): " + kept.map(\.destination.description).joined(separator: ", ")
        }
        return text
    }
}

extension LinkService {
    /// Sets a link up or down (IFF_UP), changing nothing else.
    func setAdministrativeState(up: Bool, index: Int32) throws {
        var request = LinkRequest(mode: .modify)
        if up { request.setFlags = .up } else { request.clearFlags = .up }
        try modify(request, index: index)
    }
}
