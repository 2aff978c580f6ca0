import Netlink

/// Everything `apply` compares a file with, read with one dump per kind of object:
/// links, addresses, routes (every table, both families), nexthops, rules.
public struct KernelState: Sendable {
    public let links: [Link]
    public let addresses: [Address]
    /// Decoded as they are read: a file of many routes is compared with as many.
    public let routes: RouteList
    public let nexthops: [NexthopObject]
    public let rules: [Rule]
    /// How many dumps the reading took.
    public let dumps: Int

    public static func read(_ socket: NetlinkSocket) throws -> KernelState {
        let links = try LinkService(socket: socket).list()
        let addresses = try AddressService(socket: socket).list()
        // A namespace that never had a route has no main table yet: no routes.
        let routes = try orEmpty(RouteList(), when: { $0.errno == .noSuchFileOrDirectory }) { try RouteService(socket: socket).messages() }
        // A kernel without nexthop objects (before 5.3) has none.
        let nexthops = try orEmpty([], when: { $0.errno == .notSupported || $0.errno == .addressFamilyNotSupported }) {
            try NexthopService(socket: socket).list()
        }
        let rules = try RuleService(socket: socket).list(family: .unspecified)
        return KernelState(links: links, addresses: addresses, routes: routes, nexthops: nexthops, rules: rules, dumps: 5)
    }

    private static func orEmpty<Objects>(_ none: Objects, when meansNone: (NetlinkError) -> Bool, body: () throws -> Objects) throws -> Objects {
        do {
            return try body()
        } catch let error as NetlinkError where meansNone(error) {
            return none
        }
    }

    public func link(named name: String) -> Link? { links.first { $0.name == name } }

    /// The state a file could declare to have what the kernel has: no object the
    /// kernel made itself (loopback, the tunnel modules' fallback devices, prefix and
    /// local routes, link-local addresses, the default rules). With `tunnels`, only those tunnels and what belongs to them:
    /// their addresses, the routes and nexthops through them, the rules that lead to
    /// those routes' tables, and the routes that carry their packets to the remote.
    public func declarable(tunnels: [String]? = nil) -> NetworkState {
        var state = NetworkState()
        let byIndex = Dictionary(links.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        for link in links where !link.flags.contains(.loopback) && !link.isFallbackTunnel {
            var declared = LinkState(name: link.name)
            declared.mtu = link.mtu
            declared.up = link.isUp
            if let txqlen = link.txqlen, txqlen != Self.defaultTransmitQueueLength { declared.txqlen = txqlen }
            declared.alias = link.alias
            declared.options = creatableOptions(of: link, byIndex)
            state.links.append(declared)
        }
        state.addresses = addresses.filter { address in
            guard let link = byIndex[address.interface] else { return false }
            return !Self.isKernelMade(address, on: link)
        }
        state.nexthops = nexthops.filter { $0.protocolID != .kernel }
        state.routes = RouteList(routes.lazy.filter { !Self.kernelProtocols.contains($0.protocolID) })
        state.rules = rules.filter { $0.protocolID != .kernel }
        guard let tunnels else { return state }
        return select(tunnels, from: state)
    }

    /// What a link's own dump says it was made with, when gretool knows its kind and
    /// the words can make it again; a veth whose peer is declared first, or is in
    /// another namespace, is configured, not made, from this end.
    private func creatableOptions(of link: Link, _ byIndex: [Int32: Link]) -> (any LinkKindOptions)? {
        guard let options = link.options else { return nil }
        if options is VethOptions {
            guard link.linkNetnsID == nil, let peer = link.parent, let peerLink = byIndex[peer] else { return nil }
            // The end apply made (it carries an owner's tag) declares the pair, else the first.
            let (tagged, peerTagged) = (Owner.owner(ofLinkAlias: link.alias) != nil, Owner.owner(ofLinkAlias: peerLink.alias) != nil)
            if tagged != peerTagged ? peerTagged : peerLink.index < link.index { return nil }
        }
        return options
    }

    /// The transmit queue length most links get.
    static let defaultTransmitQueueLength: UInt32 = 1000

    /// Routes the kernel makes and removes by itself.
    static let kernelProtocols: Set<RouteProtocol> = [.kernel, .redirect, .routerAdvertisement]

    /// Loopback addresses, link-local ones and those made from router advertisements:
    /// IFA_PROTO says so on Linux 5.18 and later; before, by what they are.
    static func isKernelMade(_ address: Address, on link: Link) -> Bool {
        if let proto = address.protocolID, proto != .unspecified {
            return [.kernelLoopback, .kernelLinkLocal, .kernelRouterAdvertisement].contains(proto)
        }
        if link.flags.contains(.loopback) { return true }
        if case .v6(let v6)? = address.primary, v6.isLinkLocal { return true }
        return false
    }

    private func select(_ names: [String], from state: NetworkState) -> NetworkState {
        var selected = NetworkState()
        let indexes = Set(links.filter { names.contains($0.name) }.map(\.index))
        let remotes = links.filter { indexes.contains($0.index) }.compactMap { ($0.options as? GreOptions)?.remote }
        selected.links = state.links.filter { names.contains($0.name) }
        selected.addresses = state.addresses.filter { indexes.contains($0.interface) }
        var nexthopIDs = Set(state.nexthops.filter { $0.outputInterface.map(indexes.contains) ?? false }.map(\.id))
        for group in state.nexthops where group.group.contains(where: { nexthopIDs.contains($0.id) }) { nexthopIDs.insert(group.id) }
        selected.nexthops = state.nexthops.filter { nexthopIDs.contains($0.id) }
        selected.routes = RouteList(state.routes.lazy.filter { route in
            indexes.contains { route.uses(interface: $0) } || route.nexthopID.map(nexthopIDs.contains) ?? false
                || remotes.contains { route.destination.length > 0 && route.destination.contains($0) && !indexes.contains { route.uses(interface: $0) } }
        })
        let tables = Set(selected.routes.map(\.table))
        selected.rules = state.rules.filter { rule in
            (rule.action == .toTable && tables.contains(rule.table) && rule.table != .main && rule.table != .local)
                || rule.inputInterface.map(names.contains) ?? false || rule.outputInterface.map(names.contains) ?? false
        }
        return selected
    }
}
