import CMnl
import Netlink

extension Route {
    var key: RouteKey { RouteKey(self) }

    /// The route's nexthops as legs: its ECMP legs, or its single gateway and device as
    /// one leg (empty for a route on a nexthop object or without a device).
    var legs: [Nexthop] {
        if !nexthops.isEmpty { return nexthops }
        guard let outputInterface, nexthopID == nil else { return [] }
        return [Nexthop(gateway: gateway, outputInterface: outputInterface, flags: flags.intersection(Route.settableFlags))]
    }

    /// The route with `legs` as its ECMP legs (RTA_MULTIPATH), in place of whatever
    /// nexthops it had.
    func with(legs: [Nexthop]) -> Route {
        var route = self
        route.gateway = nil
        route.outputInterface = nil
        route.flags.subtract(Route.settableFlags)
        route.nexthops = legs
        return route
    }
}

extension Route.Nexthop {
    /// Whether two legs send the same way: same gateway, same device. Weights and the
    /// kernel's flags (dead, linkdown) do not make another leg.
    func isSameWay(as other: Route.Nexthop) -> Bool {
        gateway == other.gateway && outputInterface == other.outputInterface
    }
}

/// The routes through the watched tunnels, kept current from one dump and the kernel's
/// route notifications, so that a tunnel going down costs a lookup instead of a dump of
/// every table. Only routes that use a watched device are kept (and the routes whose
/// legs a tunnel took, by their key, wherever they go now): a full table through the
/// uplink costs nothing here.
///
/// The kernel does not report the actions' own route changes (the watcher's socket drops
/// those notifications): they are applied from what was sent, once acknowledged.
///
/// Linux removes IPv4 routes without a notification when their device is set down; a
/// watched device whose administrative state changed is marked stale, and read again
/// (a dump the kernel filters by device) before anything is decided from it.
struct RouteIndex {
    /// Interface indexes of the watched devices.
    private(set) var devices: Set<Int32> = []
    /// The routes kept, by key: usually one; IPv4 keeps appended routes beside the first.
    private var entries: [RouteKey: [Route]] = [:]
    private var keysByDevice: [Int32: Set<RouteKey>] = [:]
    /// Keys kept whatever devices their routes use, with how many holders asked.
    private var pins: [RouteKey: Int] = [:]
    /// Watched devices whose routes may have changed without a notification.
    private(set) var stale: Set<Int32> = []
    /// The administrative state each watched device was last seen in.
    private var wasUp: [Int32: Bool] = [:]

    init() {}

    var count: Int { entries.values.reduce(0) { $0 + $1.count } }

    // MARK: Queries

    /// The routes that use `device` (as their device or one of their legs), in the order
    /// of their keys.
    func routes(using device: Int32) -> [Route] {
        guard let keys = keysByDevice[device] else { return [] }
        var routes: [Route] = []
        routes.reserveCapacity(keys.count)
        for key in keys.sorted(by: { $0.precedes($1) }) {
            for route in entries[key] ?? [] where route.uses(interface: device) { routes.append(route) }
        }
        return routes
    }

    /// The route with `key` (the first, where IPv4 keeps several).
    func route(_ key: RouteKey) -> Route? { entries[key]?.first }

    // MARK: What is watched

    /// Starts keeping the routes through `device`; they are stale until read.
    mutating func watch(_ device: Int32) {
        guard devices.insert(device).inserted else { return }
        stale.insert(device)
    }

    /// Stops keeping the routes through `device` (deleted, or no longer watched).
    mutating func unwatch(_ device: Int32) {
        guard devices.remove(device) != nil else { return }
        stale.remove(device)
        wasUp[device] = nil
        for key in keysByDevice.removeValue(forKey: device) ?? [] {
            guard let routes = entries[key] else { continue }
            let kept = routes.filter(isKept)
            entries[key] = kept.isEmpty ? nil : kept
            // Routes that still use another watched device stay listed under it.
        }
    }

    /// Notes a watched device's administrative state: a change makes its routes stale.
    mutating func linkChanged(_ device: Int32, isUp: Bool) {
        guard devices.contains(device) else { return }
        if let before = wasUp[device], before != isUp { stale.insert(device) }
        wasUp[device] = isUp
    }

    /// Marks a watched device's routes as changed unannounced: they are read again
    /// before anything is decided from them.
    mutating func invalidate(_ device: Int32) {
        if devices.contains(device) { stale.insert(device) }
    }

    /// Keeps the route with `key` whatever devices it uses, until as many `unpin`.
    mutating func pin(_ key: RouteKey) { pins[key, default: 0] += 1 }

    mutating func unpin(_ key: RouteKey) {
        guard let count = pins[key] else { return }
        if count > 1 {
            pins[key] = count - 1
            return
        }
        pins[key] = nil
        guard let routes = entries[key] else { return }
        let kept = routes.filter(isKept)
        entries[key] = kept.isEmpty ? nil : kept
    }

    // MARK: Reading the kernel

    /// Whether a route on a nexthop object came without its device (nexthop_compat_mode
    /// off): the index cannot tell which tunnel such routes go through.
    private(set) var sawRoutesOnObjectsWithoutDevice = false

    /// Replaces everything with a dump of every table: `dump` hands each route to the
    /// function it is given.
    mutating func reload(_ dump: (_ each: (Route) -> Void) throws -> Void) rethrows {
        entries = [:]
        keysByDevice = [:]
        stale = []
        try dump { route in insert(route) }
    }

    /// Replaces the routes through `device` with a dump of them (the kernel filtered by device).
    mutating func reload(device: Int32, _ routes: some Sequence<Route>) {
        for key in keysByDevice[device] ?? [] {
            guard let held = entries[key] else { continue }
            let left = held.filter { !$0.uses(interface: device) }
            for route in held where route.uses(interface: device) { forgetDevices(of: route, key: key, except: left) }
            entries[key] = left.isEmpty ? nil : left
        }
        keysByDevice[device] = nil
        stale.remove(device)
        for route in routes where route.uses(interface: device) { insert(route) }
    }

    /// Applies a route change this process made and the kernel acknowledged, as its
    /// notification would have (the watcher's notification socket drops those).
    mutating func apply(_ change: RouteChange, of route: Route) {
        let request = change.request(for: route)
        if request.type == .deleteRoute {
            delete(route)
        } else {
            add(route, flags: request.flags)
        }
    }

    /// Applies a route notification (RTM_NEWROUTE or RTM_DELROUTE); other messages are ignored.
    mutating func apply(_ message: NetlinkMessage) {
        guard let type = message.routeMessageType, type == .newRoute || type == .deleteRoute,
              let route = Route(message) else { return }
        if type == .deleteRoute {
            delete(route)
        } else {
            add(route, flags: message.flags)
        }
    }

    // MARK: Bookkeeping

    /// Whether a route uses a watched device or is pinned. The route's own devices are
    /// looked up among the watched ones: asking each watched device whether the route uses
    /// it cost a hub of a thousand tunnels a thousand questions for every route it read.
    private func isKept(_ route: Route) -> Bool {
        if let device = route.outputInterface, devices.contains(device) { return true }
        return route.nexthops.contains { devices.contains($0.outputInterface) } || pins[route.key] != nil
    }

    private mutating func add(_ route: Route, flags: NetlinkFlags) {
        let key = route.key
        if route.family == .inet6 {
            // IPv6 reports the whole route, every ECMP leg, when a leg is appended
            // (kernels before 4.18 reported the appended leg alone: it joins the others).
            var whole = route
            if flags.contains(.append), route.nexthops.isEmpty, let leg = route.legs.first, let held = entries[key]?.first,
               !held.legs.contains(where: { $0.isSameWay(as: leg) }) {
                whole = held.with(legs: held.legs + [leg])
            }
            remove(key: key)
            insert(whole)
            return
        }
        // IPv4: a route held already, equal in every attribute, is this one (the kernel
        // refuses two such): a dump read after the kernel queued the notification (a
        // resynchronisation, a stale device read again) listed it, and a second copy
        // would be withdrawn, and owed, twice.
        if !flags.contains(.replace), entries[key]?.contains(route) == true { return }
        // A replace takes the place of the first route with the key; an append goes
        // after those there; anything else is new (or the first of a prepend).
        if flags.contains(.replace), let held = entries[key], !held.isEmpty {
            var left = held
            let replaced = left.removeFirst()
            forgetDevices(of: replaced, key: key, except: left)
            entries[key] = left.isEmpty ? nil : left
            insert(route, atFront: true)
        } else {
            insert(route, atFront: !flags.contains(.append))
        }
    }

    private mutating func delete(_ route: Route) {
        let key = route.key
        // Taken out of the dictionary while it changes: one lookup, and no copy of it.
        guard var held = entries.removeValue(forKey: key) else { return }
        if route.family == .inet6, let only = held.first, only.legs.count > 1, route.nexthopID == nil {
            // IPv6 deletes one leg of an ECMP route and says which: the others stay.
            let gone = route.legs
            let left = only.legs.filter { leg in !gone.contains { $0.isSameWay(as: leg) } }
            if !left.isEmpty {
                for route in held { forgetDevices(of: route, key: key, except: []) }
                insert(left.count == 1 ? only.single(left[0]) : only.with(legs: left))
                return
            }
        }
        // IPv4 deletes one route of those with the key: the one with these nexthops. A
        // notification of none of them came before a dump that no longer listed it: the
        // routes held are others, and stay.
        guard let position = held.firstIndex(where: { $0.sendsTheSameWay(as: route) }) else {
            entries[key] = held
            return
        }
        let removed = held.remove(at: position)
        forgetDevices(of: removed, key: key, except: held)
        if !held.isEmpty { entries[key] = held }
    }

    private mutating func remove(key: RouteKey) {
        for route in entries.removeValue(forKey: key) ?? [] { forgetDevices(of: route, key: key, except: []) }
    }

    private mutating func insert(_ route: Route, atFront: Bool = false) {
        if route.nexthopID != nil, route.outputInterface == nil, route.nexthops.isEmpty {
            sawRoutesOnObjectsWithoutDevice = true
        }
        guard isKept(route) else { return }
        let key = route.key
        if atFront {
            entries[key, default: []].insert(route, at: 0)
        } else {
            entries[key, default: []].append(route)
        }
        // The devices a route uses: its own and its ECMP legs' (a route's legs, made as an
        // array, would cost an allocation for each of a mass withdrawal's routes).
        for leg in route.nexthops where devices.contains(leg.outputInterface) {
            keysByDevice[leg.outputInterface, default: []].insert(key)
        }
        if let device = route.outputInterface, devices.contains(device) { keysByDevice[device, default: []].insert(key) }
    }

    /// Drops `key` from the devices of `route` that none of `others` (the routes left
    /// with that key) still uses.
    private mutating func forgetDevices(of route: Route, key: RouteKey, except others: [Route]) {
        func forget(_ device: Int32) {
            guard devices.contains(device), !others.contains(where: { $0.uses(interface: device) }) else { return }
            keysByDevice[device]?.remove(key)
        }
        if let device = route.outputInterface { forget(device) }
        for leg in route.nexthops { forget(leg.outputInterface) }
    }
}

extension Route {
    /// The route with one leg, written as a single nexthop, as the kernel reports an
    /// ECMP route left with one leg.
    func single(_ leg: Nexthop) -> Route {
        var route = self
        route.nexthops = []
        route.gateway = leg.gateway
        route.outputInterface = leg.outputInterface
        route.flags = route.flags.subtracting(Route.settableFlags).union(leg.flags.intersection(Route.settableFlags))
        return route
    }

    /// Whether two routes with the same key send the same way (for telling IPv4's
    /// appended routes apart).
    func sendsTheSameWay(as other: Route) -> Bool {
        guard nexthopID == other.nexthopID, type == other.type else { return false }
        if nexthopID == nil, nexthops.isEmpty, other.nexthops.isEmpty {
            // One leg each at most (the common case, without making arrays of them).
            guard let mine = outputInterface, let theirs = other.outputInterface else { return outputInterface == other.outputInterface }
            return mine == theirs && gateway == other.gateway
        }
        let (mine, theirs) = (legs, other.legs)
        return mine.count == theirs.count && zip(mine, theirs).allSatisfy { $0.isSameWay(as: $1) }
    }
}
