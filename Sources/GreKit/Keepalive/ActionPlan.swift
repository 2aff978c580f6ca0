import CMnl
import Netlink
import SystemPackage

/// One change of an action's plan, and what it means for what is taken.
struct PlannedChange {
    enum Meaning {
        /// Withdrawn whole (deleted).
        case withdraw(Route)
        /// ECMP legs taken: the route deleted, or changed to its other legs (`reduced`).
        case takeLegs(RouteLegs, reduced: Bool)
        /// The copy at the higher metric added (action penalize).
        case addCopy(PenalizedRoute)
        /// The original deleted, once its copy is there.
        case dropOriginal(PenalizedRoute)
        /// Given back, by its position in what was owed: a whole route, ECMP legs, a
        /// nexthop object, a group, a penalized route's original, and then its copy deleted.
        case restore(route: Int)
        case restoreLegs(Int)
        case restoreNexthop(Int)
        case restoreGroup(Int)
        case restoreOriginal(penalized: Int)
        case dropCopy(penalized: Int)
    }

    var change: TunnelChange
    var meaning: Meaning
    /// The position of a change in an earlier phase that must have succeeded first.
    var requires: Int?

    /// Whether the kernel's answer (nil: done) means the change holds: what is given
    /// back may be there already, and what goes at the end may be gone already.
    func succeeded(_ error: (any Error)?) -> Bool {
        guard let error else { return true }
        if error is UnknownOutcome {
            // Counted as taken, so that it is given back (what is there already is
            // fine); never as given back, so that it is tried again.
            switch meaning {
            case .withdraw, .takeLegs, .addCopy, .dropOriginal: return true
            default: return false
            }
        }
        switch meaning {
        case .restore, .restoreLegs, .restoreNexthop, .restoreOriginal: return error.isErrno(.fileExists)
        case .dropCopy: return error.isAbsence
        default: return false
        }
    }

    /// The route or object the change is about, for failure reports.
    var item: KeepaliveActionFailure.Item {
        switch change {
        case .route(let route, _): .route(route.destination)
        case .nexthop(let nexthop, _): nexthop.group.isEmpty ? .nexthop(id: nexthop.id) : .nexthopGroup(id: nexthop.id)
        }
    }
}

extension Error {
    func isErrno(_ errno: Errno) -> Bool { (self as? NetlinkError)?.errno == errno }
    /// A route or object that is not there: the kernel says ESRCH for routes, ENOENT for nexthops.
    var isAbsence: Bool { isErrno(.noSuchProcess) || isErrno(.noSuchFileOrDirectory) }
}

/// The changes an action makes, in phases: a phase goes to the kernel whole before the
/// next one starts (a penalized route's copy before its original goes).
struct ActionPlan {
    var changes: [PlannedChange] = []
    /// Where each phase ends in `changes`.
    var phaseEnds: [Int] = []
    /// What holds without a change (ECMP legs the kernel revived itself).
    var unchanged: [PlannedChange.Meaning] = []
    /// Routes left in place: their nexthop group is shared and has other legs.
    var kept: [IPPrefix] = []

    mutating func append(_ change: TunnelChange, _ meaning: PlannedChange.Meaning, requires: Int? = nil) {
        changes.append(PlannedChange(change: change, meaning: meaning, requires: requires))
    }

    mutating func endPhase() {
        if phaseEnds.last != changes.count { phaseEnds.append(changes.count) }
    }

    /// What is taken once every change succeeds: what the state file keeps before any is sent.
    var intent: TakenFromTunnel {
        taken(by: changes.indices.map { _ in nil })
    }

    /// What the changes that succeeded took (a take-down's plan).
    func taken(by results: [(any Error)?]) -> TakenFromTunnel {
        var taken = TakenFromTunnel()
        for (change, result) in zip(changes, results) where change.succeeded(result) {
            switch change.meaning {
            case .withdraw(let route): taken.routes.append(route)
            case .takeLegs(let record, _): taken.legs.append(record)
            case .addCopy(let record): taken.penalized.append(record)
            default: break
            }
        }
        return taken
    }
}

extension ActionPlan {
    /// Whether a route is the kind actions take: unicast, not in the local table (the
    /// tunnel's own addresses), and no IPv6 link-local or multicast route.
    static func isWithdrawable(_ route: Route) -> Bool {
        guard route.type == .unicast, route.table != .local else { return false }
        if case .v6(let address) = route.destination.address, address.isLinkLocal || address.isMulticast { return false }
        return true
    }

    /// The route as it was with the most legs, given the routes of the legs records
    /// other tunnels hold for its key: `route` or one of those. Nil when they hold none.
    static func reference(for route: Route, among recorded: [Route]) -> Route? {
        guard let widest = recorded.max(by: { $0.legs.count < $1.legs.count }) else { return nil }
        return widest.legs.count >= route.legs.count ? widest : route
    }

    /// Withdraws (or, with a penalty, moves to a higher metric) the routes through
    /// interface `device`, given every route that uses it and the routes of the legs
    /// records other tunnels hold, by key. ECMP routes lose only their legs through the tunnel; a route that was ECMP
    /// before other tunnels took its other legs is recorded as such, so that each tunnel
    /// later gives back only its own legs. Routes on a shared nexthop group that has
    /// other legs are kept.
    static func withdrawal(of routes: [Route], device: Int32, penalty: UInt32?, recorded: (RouteKey) -> [Route]) -> ActionPlan {
        var plan = ActionPlan()
        var copies: [(position: Int, record: PenalizedRoute)] = []
        for route in routes where route.uses(interface: device) && isWithdrawable(route) {
            let otherLegs = route.nexthops.filter { $0.outputInterface != device }
            if route.nexthopID != nil {
                if !otherLegs.isEmpty {
                    plan.kept.append(route.destination)
                } else if let penalty {
                    copies.append((plan.changes.count, penalize(route, penalty, &plan)))
                } else {
                    plan.append(.route(route, .delete), .withdraw(route))
                }
                continue
            }
            let reference = reference(for: route, among: recorded(route.key))
            if reference == nil, otherLegs.isEmpty, let penalty {
                copies.append((plan.changes.count, penalize(route, penalty, &plan)))
            } else if reference == nil, route.nexthops.isEmpty {
                plan.append(.route(route, .delete), .withdraw(route))
            } else {
                let record = RouteLegs(route: reference ?? route, legs: route.legs.filter { $0.outputInterface == device })
                if otherLegs.isEmpty {
                    plan.append(.route(route, .delete), .takeLegs(record, reduced: false))
                } else {
                    plan.append(.route(route.with(legs: otherLegs), .change), .takeLegs(record, reduced: true))
                }
            }
        }
        plan.endPhase()
        // The originals go once their copies are there: the route never goes missing.
        for (position, record) in copies {
            plan.append(.route(record.route, .delete), .dropOriginal(record), requires: position)
        }
        plan.endPhase()
        return plan
    }

    private static func penalize(_ route: Route, _ penalty: UInt32, _ plan: inout ActionPlan) -> PenalizedRoute {
        let record = PenalizedRoute(route: route, metric: PenalizedRoute.metric(of: route, penalty: penalty))
        plan.append(.route(record.copy, .add), .addCopy(record))
        return record
    }

    /// Gives back what is owed, given the routes there now (`current`, by key): routes
    /// on a device first, then the nexthop objects and groups, then routes via gateways,
    /// then routes on objects (the kernel refuses a route via a gateway it cannot reach,
    /// and one on an object that does not exist; the objects may need the device routes
    /// too), then ECMP legs into the routes as they are, then the originals of penalized
    /// routes; their copies go last, once the originals are back.
    static func restoration(of owed: TakenFromTunnel, current: (RouteKey) -> Route?) -> ActionPlan {
        var plan = ActionPlan()
        let routes = owed.routes.indices
        for position in routes where owed.routes[position].isDirect {
            plan.append(.route(owed.routes[position], .add), .restore(route: position))
        }
        for (position, nexthop) in owed.nexthops.enumerated() { plan.append(.nexthop(nexthop, .add), .restoreNexthop(position)) }
        // A group that lost members is given them back; one that lost all is made again.
        for (position, group) in owed.groups.enumerated() { plan.append(.nexthop(group, .replace), .restoreGroup(position)) }
        // Via gateways, then on nexthop objects.
        for position in routes where !owed.routes[position].isDirect && owed.routes[position].nexthopID == nil {
            plan.append(.route(owed.routes[position], .add), .restore(route: position))
        }
        for position in routes where owed.routes[position].nexthopID != nil {
            plan.append(.route(owed.routes[position], .add), .restore(route: position))
        }
        for (position, record) in owed.legs.enumerated() {
            if let (route, change) = record.restoration(into: current(record.route.key)) {
                plan.append(.route(route, change), .restoreLegs(position))
            } else {
                plan.unchanged.append(.restoreLegs(position))
            }
        }
        var originals: [(change: Int, penalized: Int)] = []
        for (position, record) in owed.penalized.enumerated() {
            originals.append((plan.changes.count, position))
            plan.append(.route(record.route, .add), .restoreOriginal(penalized: position))
        }
        plan.endPhase()
        for (change, position) in originals {
            plan.append(.route(owed.penalized[position].copy, .delete), .dropCopy(penalized: position), requires: change)
        }
        plan.endPhase()
        return plan
    }
}

extension Route {
    /// Whether the route names no gateway and no nexthop object: a device route.
    var isDirect: Bool { nexthopID == nil && gateway == nil && nexthops.allSatisfy { $0.gateway == nil } }
}

/// A change whose answer was lost (the receive buffer overflowed, the socket failed):
/// whether it took effect is unknown.
struct UnknownOutcome: Error, CustomStringConvertible {
    var error: any Error
    var description: String { "outcome unknown: \(error)" }
}

/// A change not sent because the one it needed failed.
struct SkippedChange: Error, CustomStringConvertible {
    static let reason = "not sent: the change it needs failed"
    var description: String { Self.reason }
}
