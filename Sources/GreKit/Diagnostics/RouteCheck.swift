// `diag route`: where do the tunnel's own packets go? Follows route lookups from the
// tunnel's remote: into an underlay device (fine), or into a tunnel, whose remote is
// then looked up in turn, until the chain reaches an underlay device or comes back
// (recursive routing: Linux drops those packets silently and counts `collisions`).

/// The addresses and marks the kernel routes a tunnel's own packets by.
public struct TunnelEndpoints: Sendable, Equatable {
    public var name: String
    public var index: Int32
    public var remote: IPAddress?
    public var local: IPAddress?
    public var fwmark: UInt32 = 0
    /// The device the tunnel is bound to (`dev`), 0 when none.
    public var underlay: Int32 = 0
}

extension TunnelEndpoints {
    public init(_ link: Link, _ options: any TunnelKind) {
        self.init(name: link.name, index: link.index, remote: options.remote, local: options.local,
                  fwmark: options.outerMark, underlay: options.underlay)
    }
}

/// One route lookup of the chain: a tunnel's remote and the route it takes.
public struct RouteHop: Sendable, Equatable {
    /// The tunnel whose remote was looked up.
    public var tunnel: String
    public var remote: IPAddress
    /// The route table entry that matched (`ip route get ... fibmatch`).
    public var route: Route
    public var gateway: IPAddress?
    public var device: String
    public var deviceIndex: Int32
    /// A path MTU the kernel cached for the remote (learnt from ICMP).
    public var cachedPMTU: Int?
    /// The source address the kernel picks for the tunnel's packets (its local address,
    /// or for `local any` the route's).
    public var source: IPAddress?

    /// "198.51.100.2 via default dev gre1": the lookup in iproute2's words.
    var text: String {
        let table = route.table == .main ? "" : " table \(RouteCheck.tableName(route.table))"
        let via = gateway.map { " via \($0)" } ?? ""
        return "\(tunnel) remote \(remote): \(RouteCheck.prefixName(route.destination))\(via) dev \(device)\(table)"
    }
}

/// Where following the routes ended.
public enum RouteChainEnd: Sendable, Equatable {
    /// At a device that is not a tunnel of the chain: the packets leave.
    case underlay
    /// Back at a tunnel already in the chain (recursive routing).
    case loop(backTo: String)
    /// The lookup of a tunnel's remote failed (no route, unreachable); `reason` says why.
    case unresolved(tunnel: String, remote: IPAddress, reason: String)
    /// A tunnel of the chain has no remote to look up.
    case noRemote(String)
    /// More nested tunnels than anyone builds on purpose.
    case tooLong
}

public struct RouteChain: Sendable, Equatable {
    public var hops: [RouteHop]
    public var end: RouteChainEnd
}

public enum RouteCheck {
    public static let maxHops = 8

    /// Follows the routes from `start`: `resolve` looks up a tunnel's remote as the
    /// kernel would for that tunnel's packets; `tunnel` says whether a device is a GRE tunnel.
    public static func follow(
        from start: TunnelEndpoints, resolve: (TunnelEndpoints) throws -> RouteHop, tunnel: (Int32) -> TunnelEndpoints?
    ) -> RouteChain {
        var hops: [RouteHop] = []
        var visited: Set<Int32> = [start.index]
        var current = start
        while hops.count < maxHops {
            guard current.remote != nil else { return RouteChain(hops: hops, end: .noRemote(current.name)) }
            let hop: RouteHop
            do {
                hop = try resolve(current)
            } catch {
                return RouteChain(hops: hops, end: .unresolved(tunnel: current.name, remote: current.remote!, reason: "\(error)"))
            }
            hops.append(hop)
            guard let next = tunnel(hop.deviceIndex) else { return RouteChain(hops: hops, end: .underlay) }
            guard visited.insert(next.index).inserted else { return RouteChain(hops: hops, end: .loop(backTo: next.name)) }
            current = next
        }
        return RouteChain(hops: hops, end: .tooLong)
    }

    /// A table as iproute2 names it.
    static func tableName(_ table: RouteTable) -> String {
        switch table {
        case .main: "main"
        case .local: "local"
        case .default: "default"
        default: String(table.rawValue)
        }
    }

    /// "default" for the default route, else the prefix (a host route without /32).
    static func prefixName(_ prefix: IPPrefix) -> String {
        if prefix.length == 0 { return "default" }
        return prefix.length == UInt8(prefix.family.bitWidth) ? prefix.address.description : prefix.description
    }

    /// The route a packet to `destination` would take if no route through a tunnel
    /// existed: the longest matching unicast route (lowest metric among equals) with a
    /// leg outside `tunnels`. Its gateway and device make the host route that fixes a loop.
    public static func bypass(to destination: IPAddress, in routes: [Route], avoiding tunnels: Set<Int32>) -> (route: Route, gateway: IPAddress?, device: Int32)? {
        var best: (route: Route, gateway: IPAddress?, device: Int32)?
        for route in routes where route.type == .unicast && route.destination.contains(destination) {
            let leg: (IPAddress?, Int32)?
            if let device = route.outputInterface, !tunnels.contains(device) {
                leg = (route.gateway, device)
            } else if let hop = route.nexthops.first(where: { !tunnels.contains($0.outputInterface) }) {
                leg = (hop.gateway, hop.outputInterface)
            } else {
                leg = nil
            }
            guard let (gateway, device) = leg else { continue }
            if let current = best?.route {
                let longer = route.destination.length > current.destination.length
                let cheaper = route.destination.length == current.destination.length && (route.priority ?? 0) < (current.priority ?? 0)
                guard longer || cheaper else { continue }
            }
            best = (route, gateway, device)
        }
        return best
    }

    /// A route through one of `tunnels` that also covers `destination` (and would take
    /// over if the route that wins now went away).
    public static func coveringTunnelRoute(to destination: IPAddress, in routes: [Route], through tunnels: Set<Int32>) -> Route? {
        routes.first { route in
            route.type == .unicast && route.destination.contains(destination) && tunnels.contains { route.uses(interface: $0) }
        }
    }

    public static func report(_ facts: RouteFacts) -> CheckReport {
        let tunnel = facts.tunnel
        let name = tunnel.name
        var report = CheckReport(check: "route", tunnel: name, summaryWhenOK: "")
        let chain = facts.chain

        report.numbers.append(Field("hops", .array(chain.hops.map { hop in
            .object([
                .jsonOnly("tunnel", .string(hop.tunnel)), .jsonOnly("remote", .string(hop.remote.description)),
                .jsonOnly("route", .string(prefixName(hop.route.destination))), .jsonOnly("table", .string(tableName(hop.route.table))),
                .jsonOnly("gateway", hop.gateway.map { .string($0.description) } ?? .null), .jsonOnly("dev", .string(hop.device)),
            ])
        }), text: chain.hops.map(\.text).joined(separator: "\n    ")))
        if !facts.collisions.isEmpty {
            report.numbers.append(Field("collisions", .object(facts.collisions.map { .jsonOnly($0.tunnel, .unsigned($0.count)) }),
                                        text: "collisions " + facts.collisions.map { "\($0.tunnel) \($0.count)" }.joined(separator: ", ")))
        }
        switch facts.local {
        case .any:
            report.numbers.append(Field("local", .null, text: "local any"))
        case .present(let address, let device):
            report.numbers.append(Field("local", .object([.jsonOnly("address", .string(address.description)), .jsonOnly("dev", .string(device))]),
                                        text: "local \(address) on \(device)"))
        case .missing(let address):
            report.numbers.append(Field("local", .object([.jsonOnly("address", .string(address.description)), .jsonOnly("dev", .null)]),
                                        text: "local \(address) on no device"))
            let device = facts.underlays.first?.name
            report.findings.append(Finding(.problem, "local \(address) is not an address of this host: the kernel cannot send \(name)'s packets",
                                           fixes: device.map { [.addAddress(.known(IPPrefix(host: address)), device: $0)] } ?? []))
        }
        for underlay in facts.underlays {
            report.numbers.append(Field("underlay", .object([.jsonOnly("dev", .string(underlay.name)), .jsonOnly("up", .bool(underlay.up))]),
                                        text: "underlay \(underlay.name) \(underlay.up ? "up" : "down")"))
            if !underlay.up {
                report.findings.append(Finding(.problem, "underlay \(underlay.name) is down", fixes: [.setUp(link: underlay.name)]))
            }
        }
        if !facts.tunnelUp {
            report.findings.append(Finding(.problem, "\(name) is down", fixes: [.setUp(link: name)]))
        }

        switch chain.end {
        case .underlay:
            let last = chain.hops.last!
            let through = chain.hops.count > 1 ? " (over \(chain.hops.dropLast().map(\.device).joined(separator: ", ")))" : ""
            report.summaryWhenOK = "\(name)'s remote \(chain.hops[0].remote) is reached through \(last.device)\(through)"
            if last.route.type == .local {
                report.findings.append(Finding(.problem, "\(last.tunnel)'s remote \(last.remote) is an address of this host"))
            }
            if let override = facts.override {
                report.findings.append(Finding(
                    .warning,
                    "\(name)'s remote is reached through \(last.device) only because \(prefixName(last.route.destination)) wins over \(prefixName(override.route.destination)) dev \(override.device); without it the tunnel would loop",
                    fixes: [.hostRoute(HostRouteFix(destination: last.remote, gateway: last.gateway.map { .known($0) },
                                                    device: .known(last.device), table: last.route.table))]))
            }
        case .loop(let backTo):
            let text = chain.hops.count == 1
                ? "\(name)'s remote \(chain.hops[0].remote) is routed into \(name) itself (recursive routing): the kernel drops its packets"
                : "\(name)'s remote is routed into \(chain.hops[0].device), and the routes lead back into \(backTo): a loop, the kernel drops the packets"
            report.findings.append(Finding(.problem, text, fixes: facts.bypasses.map(\.fix)))
            for bypass in facts.bypasses where bypass.route.gateway == .unknown {
                report.findings.append(.note("no route outside the tunnels reaches \(bypass.remote); put the underlay's gateway for GATEWAY"))
            }
            if facts.collisions.contains(where: { $0.count > 0 }) {
                report.findings.append(.note("collisions counts the packets dropped so far: the loop is real, not only possible"))
            }
        case .unresolved(let tunnelName, let remote, let reason):
            report.findings.append(Finding(.problem, "\(tunnelName)'s remote \(remote) has no usable route: \(reason)", fixes: facts.bypasses.map(\.fix)))
        case .noRemote(let tunnelName):
            let verdict: Verdict = tunnelName == name ? .warning : .problem
            report.findings.append(Finding(verdict, tunnelName == name
                ? "\(name) has no remote: its packets go wherever each one is addressed (nothing to check)"
                : "\(name)'s packets go into \(tunnelName), which has no remote"))
        case .tooLong:
            report.findings.append(Finding(.warning, "\(name)'s remote goes through more than \(maxHops) nested tunnels"))
        }
        return report
    }
}

/// What `diag route` knows about a tunnel.
public struct RouteFacts: Sendable {
    public enum LocalAddress: Sendable, Equatable {
        /// The tunnel has no fixed local address.
        case any
        case present(IPAddress, device: String)
        case missing(IPAddress)
    }

    /// A host route that sends a looping remote around the tunnels.
    public struct Bypass: Sendable, Equatable {
        public var route: HostRouteFix

        public var remote: IPAddress { route.destination }
        public var fix: Fix { .hostRoute(route) }

        /// `replacing`: a host route for the remote exists (through a tunnel) and must give way.
        public init(remote: IPAddress, gateway: IPAddress?, device: String, table: RouteTable = .main, replacing: Bool = false) {
            route = HostRouteFix(destination: remote, gateway: gateway.map { .known($0) }, device: .known(device),
                                 table: table, replacing: replacing)
        }

        /// No route outside the tunnels reaches `remote`: the gateway, and the device when
        /// `device` is nil, are for the user to fill in.
        public static func unknown(remote: IPAddress, device: String?, replacing: Bool = false) -> Bypass {
            var bypass = Bypass(remote: remote, gateway: nil, device: "", replacing: replacing)
            bypass.route.gateway = .unknown
            bypass.route.device = device.map { .known($0) } ?? .unknown
            return bypass
        }
    }

    /// A route through a tunnel that covers the remote but loses to a more specific one.
    public struct Override: Sendable, Equatable {
        public var route: Route
        public var device: String
    }

    public var tunnel: TunnelEndpoints
    public var tunnelUp: Bool
    public var chain: RouteChain
    /// The `collisions` counter of each tunnel in the chain.
    public var collisions: [(tunnel: String, count: UInt64)] = []
    public var local = LocalAddress.any
    /// The device the chain ends on, and the one the tunnel is bound to if any.
    public var underlays: [(name: String, up: Bool)] = []
    public var bypasses: [Bypass] = []
    public var override: Override?
}

// MARK: Gathering the facts

extension DiagnosticsService {
    /// What `diag route` checks: the route chain from the tunnel, its local address, the
    /// state of the devices it ends on, and the routes that would fix a loop.
    public func routeFacts(tunnel name: String) throws -> RouteFacts {
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
        var stranded: [(remote: IPAddress, table: RouteTable, hostRouteExists: Bool)] = []
        switch chain.end {
        case .loop:
            stranded = chain.hops.map { ($0.remote, $0.route.table, $0.route.destination == IPPrefix(host: $0.remote)) }
        case .unresolved(_, let remote, _):
            stranded = [(remote, .main, false)]
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
        guard !stranded.isEmpty || mayBeOverridden, let family = options.remote?.family else { return facts }
        let table = try routes.list(RouteService.DumpFilter(family: family))

        for (remote, lookupTable, hostRouteExists) in stranded {
            let candidates = table.filter { $0.table == lookupTable || $0.table == .main }
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
        return facts
    }

    /// A route to a directly attached subnet (the kernel's, or any on-link route without a gateway).
    private static func isConnected(_ route: Route) -> Bool {
        route.gateway == nil && route.nexthops.isEmpty && route.scope == .link
    }
}
