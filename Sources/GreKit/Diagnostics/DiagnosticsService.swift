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

    /// gretool's own words, each a setting given once.
    static let grammar = KeywordTable<Word>([
        // Its address is optional: read only when the next word is one.
        Keyword(.probe, .abbreviable("probe"), repeatable: false),
        Keyword(.ipsec, .abbreviable("ipsec"), value: "{ transport | tunnel }", repeatable: false),
        Keyword(.natTraversal, "nat-t", repeatable: false),
    ])

    /// For shell completion.
    public static var keywords: [String] { grammar.spellings + IPsecEncapsulation.Mode.allCases.map(\.rawValue) }

    public static func parse(_ arguments: [String]) throws(InvalidArgument) -> MTUCheckRequest {
        var scanner = WordScanner(arguments)
        guard let name = scanner.next() else { throw InvalidArgument("diag mtu: no tunnel name given") }
        var request = MTUCheckRequest(tunnel: try InterfaceName(name).value)
        while let word = scanner.next() {
            guard let entry = try scanner.keyword(word, in: grammar) else { throw .unknownWord(word, in: "diag mtu") }
            switch entry.keyword {
            case .probe:
                if let next = scanner.peek(), let address = IPAddress(next) {
                    _ = scanner.next()
                    request.probe = .address(address)
                } else {
                    request.probe = .peerOnTunnel
                }
            case .ipsec:
                let value = try scanner.value(of: entry)
                guard let mode = IPsecEncapsulation.Mode(rawValue: value) else {
                    throw .badValue("ipsec", value, expected: "transport or tunnel")
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

/// Gathers the facts the checks need from the kernel of the current network namespace:
/// links, addresses, route lookups, /proc/sys. Each check's file adds the function that
/// gathers its own facts (`mtuFacts`, `routeFacts`, ...) from the reads here, which are
/// made once per run, so that `diag all` reads the links and addresses once for every
/// check on every tunnel.
public final class DiagnosticsService {
    let socket: NetlinkSocket
    let links: LinkService
    let controls: SystemControls
    let routes: RouteService
    private var cachedSnapshot: LinkSnapshot?
    private var cachedAddresses: [Address]?
    /// Each tunnel's chain by link index: `diag all` checks mtu and route on the same chain.
    private var cachedChains: [Int32: RouteChain] = [:]
    /// The IPsec policies and SAs, read once; nil inside when the kernel has no xfrm netlink.
    private var cachedIPsec: IPsecSnapshot??

    public init(socket: NetlinkSocket, links: LinkService, controls: SystemControls = SystemControls()) {
        self.socket = socket
        self.links = links
        self.controls = controls
        routes = RouteService(socket: socket)
    }

    /// Every link with its counters, read once.
    func snapshot() throws -> LinkSnapshot {
        if let cachedSnapshot { return cachedSnapshot }
        let snapshot = LinkSnapshot(try links.list(statistics: true))
        cachedSnapshot = snapshot
        return snapshot
    }

    /// Every address that has one to compare (the kernel always sends one).
    func addresses() throws -> [Address] {
        if let cachedAddresses { return cachedAddresses }
        let addresses = try AddressService(socket: socket).list().filter { $0.primary != nil }
        cachedAddresses = addresses
        return addresses
    }

    /// The GRE tunnel of that name; an error naming what it is otherwise.
    public func tunnel(named name: String) throws -> (Link, any TunnelKind) {
        guard let link = try snapshot().link(named: name) else { throw DeviceNotFound(name) }
        return (link, try link.tunnelOptions())
    }

    /// What `gretool diag` checks when no tunnel is named: GRE tunnels with an endpoint
    /// (the modules' fallback devices, gre0 and the like, have none).
    public func tunnelNames() throws -> [String] {
        try snapshot().links.compactMap { link in
            guard let options = link.tunnel, !options.external,
                  options.remote != nil || options.local != nil else { return nil }
            return link.name
        }
    }

    private func endpoints(at index: Int32) throws -> TunnelEndpoints? {
        guard let link = try snapshot()[index], let options = link.tunnel, !options.external else { return nil }
        return TunnelEndpoints(link, options)
    }

    /// The interface indexes of the tunnels.
    func greIndexes() throws -> Set<Int32> {
        Set(try snapshot().links.filter { $0.tunnel != nil }.map(\.index))
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
                        cachedPMTU: resolvedMTU != routeMTU ? resolvedMTU.map(Int.init) : nil,
                        source: tunnel.local ?? resolved.preferredSource)
    }

    /// The route chain from a tunnel, followed once per run.
    func chain(from tunnel: TunnelEndpoints) throws -> RouteChain {
        if let chain = cachedChains[tunnel.index] { return chain }
        // The links and addresses are read before the chain is followed: the lookups
        // inside it take a device that cannot be read for one that is no tunnel, so a
        // failure to read must surface here, as the failure it is.
        _ = try snapshot()
        _ = try addresses()
        let chain = RouteCheck.follow(from: tunnel, resolve: resolve) { (try? self.endpoints(at: $0)) ?? nil }
        cachedChains[tunnel.index] = chain
        return chain
    }

    // MARK: IPsec

    /// The IPsec policies and SAs, read once; nil when the kernel has no xfrm netlink.
    func ipsec() throws -> IPsecSnapshot? {
        if let cachedIPsec { return cachedIPsec }
        let snapshot = try IPsecService.open()?.snapshot()
        cachedIPsec = .some(snapshot)
        return snapshot
    }

    /// The tunnel's own GRE packets as the xfrm lookup sees them: from the address the
    /// kernel picks, to the remote, with the tunnel's mark. Nil without a remote or a
    /// route to it.
    func greFlow(_ link: Link, _ options: any TunnelKind) throws -> XFRMFlow? {
        guard let remote = options.remote else { return nil }
        let chain = try chain(from: TunnelEndpoints(link, options))
        guard let source = chain.hops.first?.source else { return nil }
        return XFRMFlow(source: source, destination: remote, proto: .gre, mark: options.outerMark)
    }
}
