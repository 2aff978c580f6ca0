// `diag mtu`: is the tunnel's MTU what its path carries? Pure arithmetic over facts
// the diagnostics service gathers (the route to the remote, the tunnel's options),
// so every verdict can be tested without a kernel.

/// Where the tunnel's own packets go toward its remote, as a route lookup reports it.
public struct UnderlayPath: Sendable, Equatable {
    public var device: String
    public var deviceMTU: Int
    /// The mtu metric of the route that matched ("ip route add ... mtu 1400").
    public var routeMTU: Int?
    /// A path MTU the kernel learnt from ICMP (frag-needed, packet too big) and cached.
    public var cachedPMTU: Int?

    /// What the path carries: the smallest of what is known.
    public var mtu: Int { min(deviceMTU, routeMTU ?? .max, cachedPMTU ?? .max) }
}

/// What `diag mtu` knows about a tunnel.
public struct MTUFacts: Sendable {
    /// Where the tunnel's packets go, or why that is unknown.
    public enum Path: Sendable, Equatable {
        case known(UnderlayPath)
        /// No remote (and no bound device): any path is possible.
        case noRemote
        /// The route to the remote fails or loops; the text says how.
        case broken(String)
    }

    /// Where the ESP sizes came from.
    public enum IPsecSizing: Sendable, Equatable {
        /// `ipsec transport|tunnel` words; no policy protects the tunnel.
        case words
        /// The SA that protects the tunnel's GRE; `overridingWords` when words asked otherwise.
        case association(overridingWords: Bool)
        /// A policy protects the tunnel but no SA exists yet: its mode, algorithms assumed.
        case policyWithoutAssociation
        /// The SA's algorithms are not in gretool's table: its mode, algorithms assumed.
        case unknownAlgorithms(SecurityAssociation)
    }

    public var tunnel: String
    public var mtu: Int
    public var options: any TunnelKind
    public var path: Path
    public var ipsec: IPsecEncapsulation?
    public var ipsecSizing: IPsecSizing = .words
    public var probe: PathMTUResult?

    /// Sizes ESP from the outbound policy that protects the tunnel's GRE: from its SA when
    /// there is one gretool can size, else from the policy's mode with the assumed algorithms.
    mutating func sizeESP(from outbound: PolicyMatch, wordsGiven: Bool) {
        guard outbound.policy.action == .allow,
              let template = outbound.policy.templates.first(where: { $0.proto == .esp }),
              let mode = IPsecEncapsulation.Mode(template.mode)
        else { return }
        if let association = outbound.espAssociation {
            if let exact = IPsecEncapsulation(association) {
                ipsec = exact
                ipsecSizing = .association(overridingWords: wordsGiven)
                return
            }
            ipsecSizing = .unknownAlgorithms(association)
        } else {
            ipsecSizing = .policyWithoutAssociation
        }
        ipsec = IPsecEncapsulation(mode: mode, natTraversal: false)
    }
}

public enum MTUCheck {
    /// An MTU this much below the recommended one still counts as right: a few bytes of
    /// slack (room for a key or sequence numbers added later) waste under 0.6%.
    public static let wasteTolerance = 8
    /// What a path is assumed to carry when nothing tells (Ethernet).
    public static let assumedPathMTU = 1500

    /// TCP's maximum segment size at an MTU: minus IPv4 + TCP headers (40) or IPv6 + TCP (60).
    public static func tcpMSS(mtu: Int, ipv6: Bool) -> Int { mtu - (ipv6 ? 60 : 40) }

    /// The recommended MTU over a path, from the tunnel's overhead and any ESP around it.
    public static func recommendedMTU(pathMTU: Int, options: any TunnelKind, ipsec: IPsecEncapsulation?) -> Int {
        guard let ipsec else { return pathMTU - options.overhead }
        return ipsec.largestInnerPacket(pathMTU: pathMTU, ipv6: options.isIPv6) - options.overhead
    }

    public static func report(_ facts: MTUFacts) -> CheckReport {
        let name = facts.tunnel
        let options = facts.options
        var report = CheckReport(check: "mtu", tunnel: name, summaryWhenOK: "")
        let pathMTU: Int
        switch facts.path {
        case .known(let path):
            pathMTU = path.mtu
            let (routeValue, routeText) = Field.optional(path.routeMTU)
            let (cachedValue, cachedText) = Field.optional(path.cachedPMTU)
            report.numbers.append(Field("underlay", .object([
                .jsonOnly("dev", .string(path.device)), .jsonOnly("mtu", .unsigned(UInt64(path.deviceMTU))),
                .jsonOnly("route_mtu", routeValue), .jsonOnly("cached_pmtu", cachedValue),
                .jsonOnly("path_mtu", .unsigned(UInt64(pathMTU))),
            ]), text: "underlay \(path.device) mtu \(path.deviceMTU) (route mtu \(routeText), cached pmtu \(cachedText)), path mtu \(pathMTU)"))
        case .noRemote:
            pathMTU = assumedPathMTU
            report.numbers.append(Field("underlay", .null, text: "underlay unknown (no remote): assuming a \(pathMTU)-byte path"))
            report.findings.append(Finding(.warning, "\(name) has no remote: its path is unknown; over a \(pathMTU)-byte underlay it would need \(recommendedMTU(pathMTU: pathMTU, options: options, ipsec: facts.ipsec))"))
        case .broken(let reason):
            pathMTU = assumedPathMTU
            report.numbers.append(Field("underlay", .null, text: "underlay unknown: \(reason)"))
            report.findings.append(Finding(.warning, "cannot size \(name): \(reason) (see gretool diag route \(name))"))
        }

        let overhead = options.overheadParts
        report.numbers.append(Field("overhead", .object([
            .jsonOnly("bytes", .unsigned(UInt64(options.overhead))),
            .jsonOnly("parts", .array(overhead.map { .object([.jsonOnly("name", .string($0.name)), .jsonOnly("bytes", .unsigned(UInt64($0.bytes)))]) })),
        ]), text: "overhead \(options.overhead) = " + overhead.map { "\($0.name) \($0.bytes)" }.joined(separator: " + ")))

        var recommended = recommendedMTU(pathMTU: pathMTU, options: options, ipsec: facts.ipsec)
        if let ipsec = facts.ipsec {
            let bytes = pathMTU - options.overhead - recommended
            let parts = ipsec.parts(total: bytes, outerHeader: options.outerHeader)
            report.numbers.append(Field("ipsec", .object([
                .jsonOnly("mode", .string(ipsec.mode.rawValue)), .jsonOnly("nat_t", .bool(ipsec.natTraversal)),
                .jsonOnly("bytes", .unsigned(UInt64(bytes))),
                .jsonOnly("parts", .array(parts.map { .object([.jsonOnly("name", .string($0.name)), .jsonOnly("bytes", .unsigned(UInt64($0.bytes)))]) })),
            ]), text: "ipsec esp \(bytes) (\(ipsec.description)) = "
                + parts.map { "\($0.name) \($0.bytes)" }.joined(separator: " + ")))
            switch facts.ipsecSizing {
            case .words, .association(overridingWords: false): break
            case .association(overridingWords: true):
                report.findings.append(.note("the SA that protects \(name) gives the sizes, not the ipsec words"))
            case .policyWithoutAssociation:
                report.findings.append(.note("a policy protects \(name)'s GRE but no SA exists yet: ESP estimated in the policy's mode (see gretool diag ipsec \(name))"))
            case .unknownAlgorithms(let association):
                let names = [association.aead, association.encryption, association.authentication].compactMap { $0?.name }.joined(separator: ", ")
                report.findings.append(.note("SA 0x\(String(association.spi, radix: 16)) uses \(names), whose sizes gretool does not know: ESP estimated"))
            }
        }

        if let probe = facts.probe {
            report.numbers.append(probe.field)
            report.findings += probe.findings
            if let largest = probe.largest, largest < recommended {
                report.findings.append(.note("the probe found less than the route promises: something beyond the first hop carries only \(largest + options.overhead)-byte tunnel packets"))
                recommended = largest
            }
        }

        let effective = min(facts.mtu, recommended)
        let mssV4 = tcpMSS(mtu: effective, ipv6: false), mssV6 = tcpMSS(mtu: effective, ipv6: true)
        report.numbers.append(Field("mtu", .object([
            .jsonOnly("configured", .unsigned(UInt64(facts.mtu))),
            .jsonOnly("recommended", .signed(Int64(recommended))),
            .jsonOnly("tcp_mss_ipv4", .signed(Int64(mssV4))), .jsonOnly("tcp_mss_ipv6", .signed(Int64(mssV6))),
        ]), text: "mtu \(facts.mtu), recommended \(recommended), tcp mss \(mssV4) (IPv4) / \(mssV6) (IPv6)"))

        let fix = Fix.setMTU(link: name, mtu: recommended)
        if facts.mtu > recommended {
            let excess = "\(recommended + 1)..\(facts.mtu)"
            // Over IPsec the usable size is well under what hosts behind the tunnel send:
            // clamping the MSS of forwarded TCP spares them the ICMP round trips.
            let fixes = facts.ipsec == nil ? [fix] : [fix, .clampTCPMSS(link: name, mss: tcpMSS(mtu: recommended, ipv6: false))]
            report.findings.insert(Finding(.problem, "\(name) mtu \(facts.mtu) is \(facts.mtu - recommended) bytes over what the path carries (\(recommended))", fixes: fixes), at: 0)
            if !options.isIPv6 && !options.pathMTUDiscovery {
                report.findings.append(.note("inner packets of \(excess) bytes are fragmented after encapsulation (nopmtudisc)"))
            } else {
                report.findings.append(.note("inner packets of \(excess) bytes are dropped; their senders must get ICMP frag-needed, or they vanish (black hole)"))
            }
        } else if facts.mtu < recommended - wasteTolerance {
            report.findings.insert(Finding(.warning, "\(name) mtu \(facts.mtu) is \(recommended - facts.mtu) bytes below what the path carries (\(recommended)): every full-size packet wastes them", fixes: [fix]), at: 0)
            if facts.ipsec == nil {
                report.findings.append(.note("if the tunnel runs over IPsec, check with: gretool diag mtu \(name) ipsec tunnel (or transport)"))
            }
        }
        let spare = recommended - facts.mtu
        report.summaryWhenOK = "\(name) mtu \(facts.mtu) fits the path (\(recommended))" + (spare > 0 ? ", \(spare) bytes spare" : "")
        return report
    }
}

// MARK: Gathering the facts

extension DiagnosticsService {
    /// What `diag mtu` checks: the tunnel's MTU and options, its path, and what a probe
    /// through the tunnel finds when the request asks for one.
    public func mtuFacts(_ request: MTUCheckRequest) throws -> MTUFacts {
        let (link, options) = try tunnel(named: request.tunnel)
        var facts = MTUFacts(tunnel: link.name, mtu: Int(link.mtu ?? 0), options: options,
                             path: try path(of: link, options), ipsec: request.ipsec)
        if let flow = try greFlow(link, options), let ipsec = try ipsec(),
           let outbound = flow.policy(.outbound, in: ipsec.policies, associations: ipsec.associations) {
            facts.sizeESP(from: outbound, wordsGiven: request.ipsec != nil)
        }
        if let target = request.probe {
            let peer: IPAddress
            switch target {
            case .address(let address): peer = address
            case .peerOnTunnel: peer = try peerOnTunnel(link)
            }
            facts.probe = try PathMTUMeasurement(peer: peer, interfaceIndex: link.index, ceiling: facts.mtu).run()
        }
        return facts
    }

    private func path(of link: Link, _ options: any TunnelKind) throws -> MTUFacts.Path {
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
}
