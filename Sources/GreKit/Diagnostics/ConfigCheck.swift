// `diag config`: a lint of a tunnel's options against what the kernel does with them.
// Each finding is something Linux does silently:
// - ttl inherit copies the inner packet's TTL to the outer header (ip_tunnel_xmit), so a
//   packet sent with TTL 1 (OSPF, RIP, eBGP by default) dies at the first router between
//   the endpoints;
// - the kernel finds the tunnel of a received packet by its local and remote address and
//   input key (ip_tunnel_lookup; the output key plays no part), among the tunnels that are
//   up, preferring the one bound to the device the packet arrived on: of two tunnels alike
//   in those three, one receives the other's packets. It refuses a second tunnel alike in those
//   and in its bound device (ip_tunnel_find), so two such tunnels differ in `dev`;
// - a tunnel without remote or key takes every keyless GRE packet to its local address
//   that no more specific tunnel takes, from any host;
// - a checksum flag that differs from the tunnel's icsum drops the packet as rx_crc_errors,
//   and on a tunnel with iseq a packet without sequence number, or one that arrives late,
//   is dropped as rx_fifo_errors (ip_tunnel_rcv, and __ip6_tnl_rcv for ip6gre); only the
//   packets taken count in rx_packets. The counters are the receiving side's: this host
//   sees the mismatches of what its peer sends;
// - an ip6gre tunnel puts its encapsulation limit (RFC 2473) in a destination options
//   header after its IPv6 header, and some peers and firewalls drop every packet that
//   carries one. Two UDP probes to the remote, one with such a header and one without,
//   tell it: the peer answers each with ICMP port unreachable, unless it drops it.

/// A tunnel's receive counters that tell a GRE flag mismatch.
public struct GreReceiveCounters: Sendable, Equatable {
    /// Packets the tunnel took (rx_packets).
    public var packets: UInt64
    /// Packets dropped because their checksum flag differed from the tunnel's icsum (rx_crc_errors).
    public var checksumErrors: UInt64
    /// Packets dropped by a tunnel with iseq: without a sequence number, or late (rx_fifo_errors).
    public var sequenceErrors: UInt64

    public init(packets: UInt64, checksumErrors: UInt64, sequenceErrors: UInt64) {
        self.packets = packets
        self.checksumErrors = checksumErrors
        self.sequenceErrors = sequenceErrors
    }

    init(_ statistics: LinkStatistics) {
        self.init(packets: statistics.rxPackets, checksumErrors: statistics.rxCRCErrors, sequenceErrors: statistics.rxFIFOErrors)
    }
}

/// What the two UDP probes to an ip6gre tunnel's remote told about its encapsulation limit option.
public enum EncapsulationLimitProbe: Sendable, Equatable {
    /// Not probed: the tunnel adds no option, has no remote, or was not asked to.
    case notProbed
    /// Both probes were answered: packets with a destination options header reach the remote.
    case passes
    /// The probe without the header was answered, the one with it was not.
    case dropped
    /// Neither was answered: the remote sends no port unreachable, so nothing can be told.
    case remoteSilent
}

/// What `diag config` knows about a tunnel.
public struct ConfigFacts: Sendable {
    /// Another tunnel that takes the same packets: the same kind of packets, local and
    /// remote address, and input key.
    public struct Rival: Sendable, Equatable {
        public var name: String
        /// The device it is bound to (`dev`); nil when none.
        public var boundDevice: String?
        /// Only a tunnel that is up takes packets.
        public var up: Bool

        public init(name: String, boundDevice: String?, up: Bool) {
            self.name = name
            self.boundDevice = boundDevice
            self.up = up
        }
    }

    public var tunnel: String
    public var options: any TunnelKind
    /// The device this tunnel is bound to (`dev`); nil when none.
    public var boundDevice: String?
    /// How the tunnel's packets reach the remote: its first route lookup; nil without a
    /// remote or a route to it.
    public var firstHop: RouteHop?
    public var rivals: [Rival] = []
    /// The receive counters at the start of the check; nil when the kernel gave none.
    public var counters: GreReceiveCounters?
    /// The same after `watchedMilliseconds`, read only when the first read shows errors.
    public var countersAfterWatch: GreReceiveCounters?
    public var watchedMilliseconds = 0
    public var encapsulationLimitProbe = EncapsulationLimitProbe.notProbed

    public init(tunnel: String, options: any TunnelKind, boundDevice: String? = nil, firstHop: RouteHop? = nil) {
        self.tunnel = tunnel
        self.options = options
        self.boundDevice = boundDevice
        self.firstHop = firstHop
    }
}

public enum ConfigCheck {
    /// How long the receive counters are watched when they already show errors: long
    /// enough for a few packets of a busy tunnel, and for a keepalive at 1 s.
    public static let watchMilliseconds = 1000
    /// The TTL a fix gives a tunnel that inherits it: the usual default of hosts and of
    /// iproute2's ip6gre.
    public static let fixedTTL: UInt8 = 64

    /// Whether the kernel takes a received packet for either tunnel alike: the same kind
    /// of packets (IP or Ethernet, over IPv4 or IPv6), local and remote address, and input
    /// key (a keyless tunnel takes only keyless packets). Flow-based devices say their
    /// endpoints per packet and take part in no such lookup.
    public static func receiveAlike(_ a: any TunnelKind, _ b: any TunnelKind) -> Bool {
        guard !a.external, !b.external, a.family == b.family, a.isEthernet == b.isEthernet,
              a.local == b.local, a.remote == b.remote else { return false }
        let keyed = a.inputFlags.contains(.key)
        return keyed == b.inputFlags.contains(.key) && (!keyed || a.inputKey == b.inputKey)
    }

    public static func report(_ facts: ConfigFacts) -> CheckReport {
        let name = facts.tunnel
        let options = facts.options
        var report = CheckReport(check: "config", tunnel: name,
                                 summaryWhenOK: "\(name)'s options show none of the misconfigurations diag config knows")
        let ttlWord = options.isIPv6 ? "hoplimit" : "ttl"
        report.numbers.append(Field("ttl", options.ttl == 0 ? .string("inherit") : .unsigned(UInt64(options.ttl)),
                                    text: "\(ttlWord) \(options.ttl == 0 ? "inherit" : String(options.ttl))"))
        let keyText = options.inputFlags.contains(.key) ? "key \(options.inputKey)" : "no key"
        report.numbers.append(Field("ikey", options.inputFlags.contains(.key) ? .unsigned(UInt64(options.inputKey.value)) : .null,
                                    text: "input key " + (options.inputFlags.contains(.key) ? options.inputKey.description : "none")))

        // ttl inherit
        if options.ttl == 0, let hop = facts.firstHop {
            if let gateway = hop.gateway {
                let needsPMTUDiscovery = !options.isIPv6 && !options.pathMTUDiscovery
                report.findings.append(Finding(.warning,
                    "\(name) copies each packet's TTL to its outer header (\(ttlWord) inherit): a packet sent with TTL 1 (OSPF, RIP, eBGP by default) dies at \(gateway), before \(hop.remote)",
                    fixes: [.setTunnelTTL(tunnel: name, ttl: fixedTTL, pathMTUDiscovery: needsPMTUDiscovery)]))
            } else {
                report.findings.append(.note("\(name) copies each packet's TTL (\(ttlWord) inherit); \(hop.remote) is on \(hop.device)'s link, so a packet sent with TTL 1 still reaches it"))
            }
        }

        // Tunnels that take the same packets.
        let endpoints = "local \(options.local?.description ?? "any") remote \(options.remote?.description ?? "any") and \(keyText)"
        for rival in facts.rivals {
            let arrival = facts.firstHop?.device
            // A warning even so: the packets still enter this host (on the rival), and
            // only what names this tunnel misses them.
            if facts.boundDevice == nil, rival.up, let arrival, rival.boundDevice == arrival {
                report.findings.append(Finding(.warning,
                    "\(name) receives nothing from \(options.remote?.description ?? "its peer"): \(rival.name), bound to \(arrival), has the same \(endpoints), and takes every such packet that arrives on \(arrival), the way to the remote; they enter this host on \(rival.name), unseen by what watches \(name) (routing protocols, strict rp_filter, firewall rules)",
                    fixes: [.setTunnelKey(tunnel: name, key: .unknown)]))
            } else {
                func whereBound(_ tunnel: String, _ device: String?) -> String { device.map { "\(tunnel) on \($0)" } ?? "\(tunnel) elsewhere" }
                let bound = whereBound(name, facts.boundDevice) + ", " + whereBound(rival.name, rival.boundDevice)
                report.findings.append(Finding(.warning,
                    "\(name) and \(rival.name) have the same \(endpoints): the kernel tells their packets apart only by the device they arrive on (\(bound))\(rival.up ? "" : " once \(rival.name) is up")",
                    fixes: [.setTunnelKey(tunnel: name, key: .unknown)]))
            }
        }

        // No remote and no key: a catch-all.
        if options.remote == nil, !options.external, !options.inputFlags.contains(.key) {
            report.findings.append(Finding(.warning,
                "\(name) has no remote and no key: it takes every keyless GRE packet to \(options.local?.description ?? "any address of this host") that no other tunnel takes, from any host",
                fixes: [.setTunnelKey(tunnel: name, key: .unknown)]))
        }

        if let counters = facts.counters { judgeCounters(counters, facts, into: &report) }

        // The encapsulation limit option of ip6gre.
        if options.addsEncapsulationLimit {
            report.numbers.append(Field("encap_limit_option", .bool(true), text: "encapsulation limit option: 8 bytes after the outer IPv6 header of every packet"))
            let remote = options.remote?.description ?? "the remote"
            switch facts.encapsulationLimitProbe {
            case .dropped:
                report.findings.append(Finding(.problem,
                    "\(remote) drops IPv6 packets that carry a destination options header (a probe with one went unanswered, one without was answered): \(name) puts its encapsulation limit in one on every packet",
                    fixes: [.noEncapsulationLimit(tunnel: name)]))
            case .remoteSilent:
                report.findings.append(.note("whether \(remote) takes \(name)'s encapsulation limit option is unknown: it answered neither probe"))
            case .passes, .notProbed:
                break
            }
        }
        return report
    }

    /// The receive counters: errors that grow during the watch are packets the peer sends
    /// now and the tunnel drops (a problem, or a warning for sequence numbers on a path
    /// that reorders); errors that do not grow happened earlier (a warning).
    private static func judgeCounters(_ before: GreReceiveCounters, _ facts: ConfigFacts, into report: inout CheckReport) {
        let name = facts.tunnel
        let options = facts.options
        let after = facts.countersAfterWatch
        let watched = CheckReport.seconds(milliseconds: facts.watchedMilliseconds)
        func growth(_ counter: KeyPath<GreReceiveCounters, UInt64>) -> UInt64 { after.map { $0[keyPath: counter] &- before[keyPath: counter] } ?? 0 }
        let checksumGrowth = growth(\.checksumErrors), sequenceGrowth = growth(\.sequenceErrors)
        func during(_ growth: UInt64) -> String { after == nil ? "" : growth == 0 ? ", none during \(watched)" : ", +\(growth) during \(watched)" }
        report.numbers.append(Field("rx", .object([
            .jsonOnly("packets", .unsigned(before.packets)),
            .jsonOnly("crc_errors", .unsigned(before.checksumErrors)),
            .jsonOnly("fifo_errors", .unsigned(before.sequenceErrors)),
            .jsonOnly("crc_errors_growth", after == nil ? .null : .unsigned(checksumGrowth)),
            .jsonOnly("fifo_errors_growth", after == nil ? .null : .unsigned(sequenceGrowth)),
            .jsonOnly("watched_ms", after == nil ? .null : .unsigned(UInt64(facts.watchedMilliseconds))),
        ]), text: "rx packets \(before.packets), rx_crc_errors \(before.checksumErrors)\(during(checksumGrowth)), rx_fifo_errors \(before.sequenceErrors)\(during(sequenceGrowth))"))

        let expectsChecksums = options.inputFlags.contains(.checksum)
        if checksumGrowth > 0 {
            report.findings.append(expectsChecksums
                ? Finding(.problem, "\(name) expects GRE checksums (icsum) and its peer sends none: \(checksumGrowth) packets dropped during \(watched) (rx_crc_errors)",
                          fixes: [.setTunnelChecksums(tunnel: name, on: false)])
                : Finding(.problem, "\(name)'s peer sends GRE checksums and \(name) expects none (no icsum): \(checksumGrowth) packets dropped during \(watched) (rx_crc_errors)",
                          fixes: [.setTunnelChecksums(tunnel: name, on: true)]))
        } else if before.checksumErrors > 0 {
            report.findings.append(Finding(.warning,
                "\(name) dropped \(before.checksumErrors) packets whose checksum flag differed from its icsum (rx_crc_errors), none during \(watched): its peer's checksums did not match \(name)'s setting earlier"))
        }

        if sequenceGrowth > 0 {
            let received = (after?.packets ?? before.packets) &- before.packets
            report.findings.append(received == 0
                ? Finding(.problem, "\(name) expects GRE sequence numbers (iseq) and its peer sends none: \(sequenceGrowth) packets dropped during \(watched) (rx_fifo_errors)",
                          fixes: [.setTunnelSequenceNumbers(tunnel: name, on: false)])
                : Finding(.warning, "\(name) dropped \(sequenceGrowth) of its peer's packets during \(watched) for arriving out of order (rx_fifo_errors): with sequence numbers (iseq) it drops every late packet",
                          fixes: [.setTunnelSequenceNumbers(tunnel: name, on: false)]))
        } else if before.sequenceErrors > 0 {
            report.findings.append(Finding(.warning,
                "\(name) dropped \(before.sequenceErrors) packets without sequence number or out of order (rx_fifo_errors), none during \(watched): earlier, its peer sent no sequence numbers or the path reordered"))
        }
    }
}

// MARK: Gathering the facts

extension DiagnosticsService {
    /// What `diag config` checks: the tunnel's options, the first hop to its remote, the
    /// tunnels that take the same packets, its receive counters (watched for
    /// `ConfigCheck.watchMilliseconds` when they show errors), and for an ip6gre tunnel
    /// that adds the encapsulation limit option, with `probing`, whether its remote takes it.
    public func configFacts(tunnel name: String, probing: Bool = true) throws -> ConfigFacts {
        let (link, options) = try tunnel(named: name)
        let snapshot = try snapshot()
        func device(_ index: Int32) -> String? { index == 0 ? nil : snapshot.displayName(of: index) }
        var facts = ConfigFacts(tunnel: link.name, options: options, boundDevice: device(options.underlay))
        if options.remote != nil, !options.external {
            facts.firstHop = try chain(from: TunnelEndpoints(link, options)).hops.first { $0.tunnel == link.name }
        }
        facts.rivals = snapshot.links.compactMap { other in
            guard other.index != link.index, let theirs = other.tunnel, ConfigCheck.receiveAlike(options, theirs) else { return nil }
            return ConfigFacts.Rival(name: other.name, boundDevice: device(theirs.underlay), up: other.isUp)
        }
        // Read afresh: the snapshot may be older than the other checks of diag all.
        func counters() throws -> GreReceiveCounters? {
            try links.link(index: link.index, statistics: true).statistics.map(GreReceiveCounters.init)
        }
        facts.counters = try counters()
        if let first = facts.counters, first.checksumErrors > 0 || first.sequenceErrors > 0 {
            let started = SystemClock.milliseconds()
            SystemClock.sleep(milliseconds: ConfigCheck.watchMilliseconds)
            facts.countersAfterWatch = try counters()
            facts.watchedMilliseconds = SystemClock.milliseconds() - started
        }
        if probing, options.addsEncapsulationLimit, let remote = options.remote {
            // A host that may not set IPv6 options (CAP_NET_RAW) or send to the remote cannot tell.
            facts.encapsulationLimitProbe = (try? probeEncapsulationLimit(to: remote, underlay: options.underlay)) ?? .notProbed
        }
        return facts
    }

    /// Whether `remote` answers a UDP probe that carries an encapsulation limit option
    /// as the one it answers without: each is sent twice at most (the first may only
    /// resolve the neighbour), the plain one first.
    private func probeEncapsulationLimit(to remote: IPAddress, underlay: Int32) throws -> EncapsulationLimitProbe {
        func answered(_ options: IPv6DestinationOptions?, port: UInt16) throws -> Bool {
            let socket = try ProbeSocket(peer: remote, interfaceIndex: underlay, destinationOptions: options)
            for _ in 0..<2 {
                if try socket.probe(size: 128, port: port, timeoutMilliseconds: 700) == .passed { return true }
            }
            return false
        }
        guard try answered(nil, port: PathMTUMeasurement.firstPort) else { return .remoteSilent }
        return try answered(.encapsulationLimit(), port: PathMTUMeasurement.firstPort &+ 2) ? .passes : .dropped
    }
}
