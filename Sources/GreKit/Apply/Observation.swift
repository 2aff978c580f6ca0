import Netlink

/// The kernel's objects by identity, each with the words that describe it whole
/// (its owner's mark included): what a snapshot keeps and what a rollback is checked
/// against. A link's index is not compared: a link made again gets a new one.
///
/// The words of a kind are written the first time an object of that kind is asked
/// for: a plan that touches nothing (a file applied again) writes none, and one that
/// touches a route writes no link's. A plan asks for routes by their key: only the
/// routes it touches are written (a file of 10,000 routes with 100 changed writes 100).
final class Observation {
    private let kernel: KernelState
    private let devices: DeviceDirectory
    private var entries: [ObjectKind: [String: [[String]]]] = [:]
    /// The place in the kernel's list of the last route of each key, and before each
    /// route the place of the one before it of its key (-1: none): a list of places
    /// for each of 10,000 keys was an array allocated for each, and the table grew by
    /// doubling, 600 page faults in all (a third of an apply that changes 100 routes).
    private var lastOfKey: [RouteKey: Int32]?
    private var previousOfKey: [Int32] = []

    init(_ kernel: KernelState) {
        self.kernel = kernel
        devices = DeviceDirectory(kernel.links)
    }

    /// The objects of one identity, their words sorted (rules may repeat); a key's
    /// routes in the kernel's order, which is the order it tries them in.
    func words(_ kind: ObjectKind, _ identity: String) -> [[String]] {
        if entries[kind] == nil { entries[kind] = index(kind) }
        let words = entries[kind]?[identity] ?? []
        return kind == .route ? words : words.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The routes of one key but those the kernel makes, in the kernel's order:
    /// `words(.route, key.description)`.
    func words(route key: RouteKey) -> [[String]] {
        routePlaces(of: key).compactMap { place in
            let route = kernel.routes[place]
            return KernelState.kernelProtocols.contains(route.protocolID) ? nil : route.words(devices, ownership: true)
        }
    }

    /// The places in the kernel's list of every route of one key (those the kernel
    /// makes too), in its order: IPv4 keeps several routes of a key (`route append`)
    /// and tries them in that order.
    func routePlaces(of key: RouteKey) -> [Int] {
        if lastOfKey == nil { indexRoutes() }
        var places: [Int] = []
        var place = lastOfKey?[key] ?? -1
        while place >= 0 {
            places.append(Int(place))
            place = previousOfKey[Int(place)]
        }
        places.reverse()
        return places
    }

    private func indexRoutes() {
        var last: [RouteKey: Int32] = [:]
        last.reserveCapacity(kernel.routes.count)
        previousOfKey = [Int32](repeating: -1, count: kernel.routes.count)
        // Each key read from the list, as a record's without making its route.
        for place in kernel.routes.indices {
            previousOfKey[place] = last.updateValue(Int32(place), forKey: kernel.routes.key(at: place)) ?? -1
        }
        lastOfKey = last
    }

    private func index(_ kind: ObjectKind) -> [String: [[String]]] {
        var index: [String: [[String]]] = [:]
        func add(_ identity: String, _ words: [String]) { index[identity, default: []].append(words) }
        switch kind {
        case .link:
            for link in kernel.links where !link.flags.contains(.loopback) { add(link.name, Self.words(of: link, devices)) }
        case .address:
            let byIndex = Dictionary(kernel.links.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
            for address in kernel.addresses {
                guard let link = byIndex[address.interface], !KernelState.isKernelMade(address, on: link) else { continue }
                add(Self.identity(of: address, devices), address.words(devices, ownership: true))
            }
        case .route:
            for route in kernel.routes where !KernelState.kernelProtocols.contains(route.protocolID) {
                add(Self.identity(of: route), route.words(devices, ownership: true))
            }
        case .nexthop:
            for nexthop in kernel.nexthops { add(Self.identity(of: nexthop), nexthop.words(devices, ownership: true)) }
        case .rule:
            for rule in kernel.rules where rule.protocolID != .kernel { add(Self.identity(of: rule), rule.words(ownership: true)) }
        case .keepalive:
            break
        }
        return index
    }

    /// A link whole: its kind and settings, mtu, queue length, state and alias.
    static func words(of link: Link, _ devices: any InterfaceResolver) -> [String] {
        var state = LinkState(name: link.name)
        state.options = link.options
        state.mtu = link.mtu
        state.txqlen = link.txqlen
        state.up = link.isUp
        var words = state.words(devices, alias: link.alias ?? "")
        if link.options == nil, let kind = link.kind { words += ["kind", kind] }
        return words
    }

    static func identity(of address: Address, _ devices: any InterfaceResolver) -> String {
        address.identityWords(devices).joined(separator: " ")
    }

    static func identity(of route: Route) -> String { RouteKey(route).description }

    static func identity(of nexthop: NexthopObject) -> String { "id \(nexthop.id)" }

    /// A rule has no key but everything it is; its priority is left out, since one
    /// added without a priority is given one by the kernel.
    static func identity(of rule: Rule) -> String {
        var rule = rule
        rule.priority = nil
        rule.protocolID = nil
        return rule.words(ownership: false).dropFirst(2).joined(separator: " ")
    }
}

extension Plan {
    /// What differs between the snapshot and the kernel now: empty when everything
    /// the plan touched is as it was.
    public func differences(from kernel: KernelState) -> [String] {
        let now = Observation(kernel)
        var differences: [String] = []
        for entry in snapshot {
            let was = entry.words
            let found = now.words(entry.object, entry.identity)
            guard found != was else { continue }
            let describe = { (words: [[String]]) in words.isEmpty ? "absent" : words.map { $0.joined(separator: " ") }.joined(separator: "; ") }
            differences.append("\(entry.object.rawValue) \(entry.identity): was \(describe(was)), is \(describe(found))")
        }
        return differences
    }
}
