import Netlink

/// `diag mtu` words: TUNNEL [ probe [ ADDRESS ] ] [ ipsec { transport | tunnel } [ nat-t ] ].
public struct MTUCheckRequest: Sendable, Equatable {
    /// Where probes go: the peer's address on the tunnel, found or given.
    public enum ProbeTarget: Sendable, Equatable {
        case peerOnTunnel
        case address(IPAddress)
    }

    public var tunnel: String
    public var ipsec: IPsecEncapsulation?
    public var probe: ProbeTarget?

    public init(tunnel: String, ipsec: IPsecEncapsulation? = nil, probe: ProbeTarget? = nil) {
        self.tunnel = tunnel
        self.ipsec = ipsec
        self.probe = probe
    }

    enum Word: Sendable { case probe, ipsec, natTraversal }
    static let words = KeywordTable<Word>([("probe", .probe, true), ("ipsec", .ipsec, true), ("nat-t", .natTraversal, false)])

    /// For shell completion.
    public static let keywords = ["probe", "ipsec"] + IPsecEncapsulation.Mode.allCases.map(\.rawValue) + ["nat-t"]

    public static func parse(_ arguments: [String]) throws(InvalidArgument) -> MTUCheckRequest {
        var scanner = WordScanner(arguments)
        guard let name = scanner.next() else { throw InvalidArgument("diag mtu: no tunnel name given") }
        var request = MTUCheckRequest(tunnel: try InterfaceName(name).value)
        while let word = scanner.next() {
            guard let entry = words.lookup(word, in: scanner) else { throw .unknownWord(word, in: "diag mtu") }
            switch entry.keyword {
            case .probe:
                if let next = scanner.peek(), let address = IPAddress(next) {
                    _ = scanner.next()
                    request.probe = .address(address)
                } else {
                    request.probe = .peerOnTunnel
                }
            case .ipsec:
                let text = try scanner.value(for: "ipsec")
                guard let mode = IPsecEncapsulation.Mode(rawValue: text) else {
                    throw .badValue("ipsec", text, expected: "transport or tunnel")
                }
                request.ipsec = IPsecEncapsulation(mode: mode, natTraversal: request.ipsec?.natTraversal ?? false)
            case .natTraversal:
                guard request.ipsec != nil else { throw InvalidArgument("nat-t needs \"ipsec transport\" or \"ipsec tunnel\" before it") }
                request.ipsec?.natTraversal = true
            }
        }
        return request
    }

    /// The words of the checks that take only a tunnel's name (`diag route TUNNEL`).
    public static func tunnelName(_ arguments: [String], verb: String) throws(InvalidArgument) -> String {
        guard let name = arguments.first else { throw InvalidArgument("\(verb): no tunnel name given") }
        if arguments.count > 1 { throw .unknownWord(arguments[1], in: verb) }
        return try InterfaceName(name).value
    }
}

/// Runs the checks on the tunnels of the current network namespace: gathers the facts
/// from the kernel (links, addresses, route lookups, /proc/sys) and hands them to the
/// pure checks.
public final class DiagnosticsService {
    private let socket: NetlinkSocket
    private let links: LinkService
    private let controls: SystemControls
    private let routes: RouteService
    private var cachedSnapshot: LinkSnapshot?
    private var cachedAddresses: [Address]?
    /// Each tunnel's chain by link index: `diag all` checks mtu and route on the same chain.
    private var cachedChains: [Int32: RouteChain] = [:]

    public init(socket: NetlinkSocket, links: LinkService, controls: SystemControls = SystemControls()) {
        self.socket = socket
        self.links = links
        self.controls = controls
        routes = RouteService(socket: socket)
    }

    /// Every link with its counters, read once.
    private func snapshot() throws -> LinkSnapshot {
        if let cachedSnapshot { return cachedSnapshot }
        let snapshot = LinkSnapshot(try links.list(statistics: true))
        cachedSnapshot = snapshot
        return snapshot
    }

    /// Every address that has one to compare (the kernel always sends one).
    private func addresses() throws -> [Address] {
        if let cachedAddresses { return cachedAddresses }
        let addresses = try AddressService(socket: socket).list().filter { $0.primary != nil }
        cachedAddresses = addresses
        return addresses
    }

    /// The GRE tunnel of that name; an error naming what it is otherwise.
    public func tunnel(named name: String) throws -> (Link, GreOptions) {
        guard let link = try snapshot().link(named: name) else { throw DeviceNotFound(name) }
        return try Tunnel.tunnel(link)
    }

    /// What `gretool diag` checks when no tunnel is named: GRE tunnels with an endpoint
    /// (the modules' fallback devices, gre0 and the like, have none).
    public func tunnelNames() throws -> [String] {
        try snapshot().links.compactMap { link in
            guard let options = link.options as? GreOptions, !options.external,
                  options.remote != nil || options.local != nil else { return nil }
            return link.name
        }
    }

    private func endpoints(at index: Int32) throws -> TunnelEndpoints? {
        guard let link = try snapshot()[index], let options = link.options as? GreOptions, !options.external else { return nil }
        return TunnelEndpoints(link, options)
    }

    private func greIndexes() throws -> Set<Int32> {
        Set(try snapshot().links.filter { $0.options is GreOptions }.map(\.index))
    }

    private func isLocal(_ address: IPAddress) throws -> Bool {
        try addresses().contains { $0.primary == address }
    }

    /// Looks up a tunnel's remote as the kernel does for the tunnel's packets: from its
    /// local address (when this host has it), with its fwmark, out of its bound device.
    private func resolve(_ tunnel: TunnelEndpoints) throws -> RouteHop {
        guard let remote = tunnel.remote else {
            throw NetlinkError(errno: .invalidArgument, kernelMessage: "\(tunnel.name) has no remote to look up")
        }
        var lookup = RouteService.Lookup(destination: remote)
        if let local = tunnel.local, try isLocal(local) { lookup.source = local }
        if tunnel.fwmark != 0 { lookup.mark = tunnel.fwmark }
        if tunnel.underlay != 0 { lookup.outputInterface = tunnel.underlay }
        let resolved = try routes.lookup(lookup)
        lookup.fibMatch = true
        let entry = (try? routes.lookup(lookup)) ?? resolved
        let index = resolved.outputInterface ?? entry.outputInterface ?? 0
        // The resolved route carries a cached PMTU in place of the route's own mtu metric.
        let routeMTU = entry.metrics[.mtu], resolvedMTU = resolved.metrics[.mtu]
        return RouteHop(tunnel: tunnel.name, remote: remote, route: entry, gateway: resolved.gateway,
                        device: try snapshot().displayName(of: index), deviceIndex: index,
                        cachedPMTU: resolvedMTU != routeMTU ? resolvedMTU.map(Int.init) : nil)
    }

    private func chain(from tunnel: TunnelEndpoints) throws -> RouteChain {
        if let chain = cachedChains[tunnel.index] { return chain }
        // Read up front, so a failure is reported as such, not as a tunnel that is none.
        _ = try snapshot()
        _ = try addresses()
        let chain = RouteCheck.follow(from: tunnel, resolve: resolve) { (try? self.endpoints(at: $0)) ?? nil }
        cachedChains[tunnel.index] = chain
        return chain
    }

    // MARK: mtu

    public func mtu(_ request: MTUCheckRequest) throws -> CheckReport {
        let (link, options) = try tunnel(named: request.tunnel)
        var facts = MTUFacts(tunnel: link.name, mtu: Int(link.mtu ?? 0), options: options,
                             path: try path(of: link, options), ipsec: request.ipsec)
        if let target = request.probe {
            let peer: IPAddress
            switch target {
            case .address(let address): peer = address
            case .peerOnTunnel: peer = try peerOnTunnel(link)
            }
            facts.probe = try PathMTUMeasurement(peer: peer, interfaceIndex: link.index, ceiling: facts.mtu).run()
        }
        return MTUCheck.report(facts)
    }

    private func path(of link: Link, _ options: GreOptions) throws -> MTUFacts.Path {
        let snapshot = try snapshot()
        guard options.remote != nil else {
            guard options.underlay != 0, let device = snapshot[options.underlay] else { return .noRemote }
            return .known(UnderlayPath(device: device.name, deviceMTU: Int(device.mtu ?? 0)))
        }
        let chain = try chain(from: TunnelEndpoints(link, options))
        switch chain.end {
        case .loop: return .broken("its remote is routed back into a tunnel (a loop)")
        case .unresolved(_, _, let reason): return .broken("no route to its remote (\(reason))")
        case .noRemote(let other): return .broken("its packets go into \(other), which has no remote")
        case .underlay, .tooLong: break
        }
        let hop = chain.hops[0]
        if hop.route.type == .local { return .broken("its remote is an address of this host") }
        return .known(UnderlayPath(device: hop.device, deviceMTU: Int(snapshot[hop.deviceIndex]?.mtu ?? 0),
                                   routeMTU: hop.route.metrics[.mtu].map(Int.init), cachedPMTU: hop.cachedPMTU))
    }

    /// The other end's address on the tunnel: a point-to-point peer or the other host of a /30 or /31.
    private func peerOnTunnel(_ link: Link) throws -> IPAddress {
        let own = try addresses().filter { $0.interface == link.index }
        if let peer = own.lazy.compactMap(\.subnetPeer).first { return peer }
        let listed = own.isEmpty ? "it has no address" : "its addresses: " + own.compactMap(\.primaryPrefix?.description).joined(separator: ", ")
        throw InvalidArgument("cannot tell \(link.name)'s peer on the tunnel (\(listed)); give it: diag mtu \(link.name) probe ADDRESS")
    }

    // MARK: route

    public func route(_ name: String) throws -> CheckReport {
        let (link, options) = try tunnel(named: name)
        let snapshot = try snapshot()
        let endpoints = TunnelEndpoints(link, options)
        let chain = try chain(from: endpoints)
        var facts = RouteFacts(tunnel: endpoints, tunnelUp: link.isUp, chain: chain)

        if let address = options.local {
            if let entry = try addresses().first(where: { $0.primary == address }) {
                facts.local = .present(address, device: snapshot.displayName(of: entry.interface))
            } else {
                facts.local = .missing(address)
            }
        }
        var seen: Set<String> = []
        facts.collisions = chain.hops.compactMap { hop in
            guard seen.insert(hop.tunnel).inserted else { return nil }
            return (hop.tunnel, snapshot.link(named: hop.tunnel)?.statistics?.collisions ?? 0)
        }
        var underlays: [Int32] = []
        if case .underlay = chain.end, let last = chain.hops.last { underlays.append(last.deviceIndex) }
        if options.underlay != 0, !underlays.contains(options.underlay) { underlays.append(options.underlay) }
        facts.underlays = underlays.map { (snapshot.displayName(of: $0), snapshot[$0]?.isUp ?? false) }

        // The remotes that need a way around the tunnels, the tables they were looked up
        // in, and whether a host route for them is in the way.
        var stranded: [(remote: IPAddress, table: UInt32, hostRouteExists: Bool)] = []
        switch chain.end {
        case .loop:
            stranded = chain.hops.map { ($0.remote, $0.route.table, $0.route.destination == IPPrefix(host: $0.remote)) }
        case .unresolved(_, let remote, _):
            stranded = [(remote, RouteTable.main, false)]
        default:
            break
        }
        let tunnels = try greIndexes()
        let lone = chain.hops.count == 1 ? chain.hops.first : nil
        let mayBeOverridden = lone.map { hop in
            if case .underlay = chain.end, hop.route.type == .unicast,
               hop.route.destination.length < UInt8(hop.remote.family.bitWidth), !Self.isConnected(hop.route) {
                return true
            }
            return false
        } ?? false
        guard !stranded.isEmpty || mayBeOverridden, let family = options.remote?.family else { return RouteCheck.report(facts) }
        let table = try routes.list(RouteService.DumpFilter(family: family))

        for (remote, lookupTable, hostRouteExists) in stranded {
            let candidates = table.filter { $0.table == lookupTable || $0.table == RouteTable.main }
            if let bypass = RouteCheck.bypass(to: remote, in: candidates, avoiding: tunnels) {
                facts.bypasses.append(RouteFacts.Bypass(remote: remote, gateway: bypass.gateway,
                                                        device: snapshot.displayName(of: bypass.device),
                                                        table: bypass.route.table, replacing: hostRouteExists))
            } else {
                // Nothing outside the tunnels reaches it: the device of the local address is the best guess.
                let device = try options.local.flatMap { local in try addresses().first { $0.primary == local } }
                    .flatMap { snapshot.name(of: $0.interface) }
                facts.bypasses.append(.unknown(remote: remote, device: device, replacing: hostRouteExists))
            }
        }
        if mayBeOverridden, let hop = lone,
           let covering = RouteCheck.coveringTunnelRoute(to: hop.remote, in: table.filter { $0.table == hop.route.table }, through: tunnels) {
            let device = (covering.outputInterface ?? covering.nexthops.first?.outputInterface).flatMap { snapshot.name(of: $0) } ?? "?"
            facts.override = RouteFacts.Override(route: covering, device: device)
        }
        return RouteCheck.report(facts)
    }

    /// A route to a directly attached subnet (the kernel's, or any on-link route without a gateway).
    private static func isConnected(_ route: Route) -> Bool {
        route.gateway == nil && route.nexthops.isEmpty && route.scope == RouteScope.link
    }

    // MARK: keepalive

    public func keepalive(_ name: String) throws -> CheckReport {
        let (link, options) = try tunnel(named: name)
        let addresses = try addresses().filter { $0.interface == link.index && $0.primary?.family == options.family }
        return KeepaliveCheck.report(KeepaliveFacts(
            tunnel: link.name, options: options, up: link.isUp, addresses: addresses.compactMap(\.primaryPrefix),
            controls: KeepaliveControls(device: link.name, ipv6: options.isIPv6, from: controls)))
    }
}
