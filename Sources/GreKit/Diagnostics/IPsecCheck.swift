// `diag ipsec`: does IPsec protect the tunnel's GRE as a GRE-over-IPsec site means it to
// (a policy for IP protocol 47 between the two endpoints, both ways, usually in transport
// mode, served by SAs), and what does the kernel do with the packets? The policies and SAs
// come from xfrm netlink; the lookup the kernel would make is redone here over them, so
// every verdict can be tested without a kernel. The error counters of /proc/net/xfrm_stat
// are read at the start and at the end of the check: one that grows means packets are
// being dropped right now.

/// An IPsec error counter that grew while the check ran.
public struct XFRMCounterGrowth: Sendable, Equatable {
    public var name: String
    public var delta: UInt64

    public init(name: String, delta: UInt64) {
        self.name = name
        self.delta = delta
    }
}

/// What `diag ipsec` knows about a tunnel.
public struct IPsecFacts: Sendable {
    public var tunnel: String
    public var options: any TunnelKind
    /// The tunnel's GRE as the xfrm lookup sees it; nil without a remote or a route to it.
    public var flow: XFRMFlow?
    /// Nil when the kernel has no xfrm netlink (no IPsec at all).
    public var state: IPsecSnapshot?
    /// The prefixes routed through the tunnel (its routes, its own subnets).
    public var routedPrefixes: [IPPrefix] = []
    /// The error counters that grew between the start and the end of the check.
    public var counterGrowth: [XFRMCounterGrowth] = []
    /// How long the counters were watched.
    public var watchedMilliseconds = 0
    /// Packets the tunnel sent meanwhile, and those each SA protected: a tunnel that sends
    /// while its SA protects nothing sends around IPsec.
    public var sentByTunnel: UInt64 = 0
    public var protectedBySA: [SecurityAssociation.Identity: UInt64] = [:]
    /// The device the tunnel's packets leave by, with its settings that turn IPsec off.
    public var underlay: UnderlaySettings?

    /// `disable_xfrm` and `disable_policy` of the underlay device and of `all` (the kernel
    /// takes either): 1 turns IPsec off for what leaves, or arrives, by the device.
    public struct UnderlaySettings: Sendable, Equatable {
        public var device: String
        public var ipv6: Bool
        /// Those that exist, by scope ("all" or the device) and name.
        public var settings: [(scope: String, setting: String, value: Int)]

        public init(device: String, ipv6: Bool, settings: [(scope: String, setting: String, value: Int)]) {
            self.device = device
            self.ipv6 = ipv6
            self.settings = settings
        }

        public static func == (lhs: UnderlaySettings, rhs: UnderlaySettings) -> Bool {
            lhs.device == rhs.device && lhs.ipv6 == rhs.ipv6
                && lhs.settings.elementsEqual(rhs.settings) { $0.scope == $1.scope && $0.setting == $1.setting && $0.value == $1.value }
        }

        /// The setting's path under /proc/sys.
        func path(_ scope: String, _ setting: String) -> [String] { ["net", ipv6 ? "ipv6" : "ipv4", "conf", scope, setting] }
    }

    public init(tunnel: String, options: any TunnelKind, flow: XFRMFlow?, state: IPsecSnapshot?) {
        self.tunnel = tunnel
        self.options = options
        self.flow = flow
        self.state = state
    }
}

public enum IPsecCheck {
    /// How long the error counters are watched at least: long enough for a tunnel that
    /// carries traffic (or keepalives) to show its drops, short enough for `diag all`.
    public static let watchMilliseconds = 1000
    /// The priority of the guard a fix adds under the protecting policy: above (later
    /// than) what IKE daemons install (strongSwan from 200000, Libreswan up to 65536).
    static let guardPriority: UInt32 = 4_000_000

    public static func report(_ facts: IPsecFacts) -> CheckReport {
        let name = facts.tunnel
        var report = CheckReport(check: "ipsec", tunnel: name, summaryWhenOK: "")
        guard let state = facts.state else {
            report.summaryWhenOK = "no IPsec here: the kernel has no xfrm netlink"
            return report
        }
        guard let flow = facts.flow else {
            report.findings.append(Finding(.warning, "\(name) has no remote, or no route to it: IPsec protects GRE between two known endpoints"))
            return report
        }
        let local = flow.source, remote = flow.destination
        let outbound = flow.policy(.outbound, in: state.policies, associations: state.associations)
        let inbound = flow.reversed.policy(.inbound, in: state.policies, associations: state.associations)
        let outboundBlocked = state.defaultPolicy?.outboundBlocks ?? false
        // A default of block inbound drops what no inbound policy selects, ESP-borne or not.
        let inboundBlocked = inbound == nil && state.defaultPolicy?.inboundBlocks == true
        let toRemote = state.associations.filter { $0.proto == .esp && $0.destination == remote }
        let fromRemote = state.associations.filter { $0.proto == .esp && $0.source == remote && $0.destination == local }

        report.numbers.append(Field("gre", .object([.jsonOnly("src", .string(local.description)), .jsonOnly("dst", .string(remote.description))]),
                                    text: "gre \(local) -> \(remote)" + (flow.mark != 0 ? " fwmark 0x\(String(flow.mark, radix: 16))" : "")))
        report.numbers.append(describe("out", outbound, clear: outboundBlocked ? "no policy (the default policy blocks)" : "no policy (GRE leaves in clear)"))
        report.numbers.append(describe("in", inbound, clear: inboundBlocked ? "no policy (the default policy blocks)" : "no policy (GRE is accepted in clear)"))

        // What a fix installs: GRE between the endpoints, served by the SAs already there
        // (those that would carry GRE, transport mode first), else in transport mode.
        func carrier(_ associations: [SecurityAssociation], _ flow: XFRMFlow) -> SecurityAssociation? {
            let carrying = associations.filter { $0.selector.matches(source: flow.source, destination: flow.destination, proto: .gre) }
            return carrying.first { $0.mode == .transport } ?? carrying.first
        }
        let outboundCarrier = carrier(toRemote, flow), inboundCarrier = carrier(fromRemote, flow.reversed)
        let mode = outbound?.policy.templates.first { $0.proto == .esp }?.mode ?? outboundCarrier?.mode ?? .transport
        let outboundPolicy = grePolicy(.outbound, from: local, to: remote, mode: mode, reqid: outboundCarrier?.reqid ?? 0)
        let inboundPolicy = grePolicy(.inbound, from: remote, to: local, mode: mode, reqid: inboundCarrier?.reqid ?? 0)
        // The kernel keeps one policy per selector and direction: add only what is not there.
        func adding(_ policies: IPsecPolicy...) -> [Fix] {
            policies.filter { wanted in !state.policies.contains { $0.selector == wanted.selector && $0.direction == wanted.direction } }
                .map { .addIPsecPolicy($0) }
        }

        // Policies for subnets routed through the tunnel take their traffic before it
        // reaches the tunnel: the kernel looks policies up with the route.
        let bypasses = state.policies.filter { policy in
            policy.direction == .outbound && policy.action == .allow && !policy.templates.isEmpty
                && policy != outbound?.policy && (policy.interfaceID ?? 0) == 0
                && facts.routedPrefixes.contains { overlaps(policy.selector.destination, $0) }
        }
        for policy in bypasses {
            let routed = facts.routedPrefixes.filter { overlaps(policy.selector.destination, $0) }.map(\.description).joined(separator: ", ")
            let peer = policy.templates.first?.destination.map { " to \($0)" } ?? ""
            report.findings.append(Finding(.problem, "the policy \(selectorText(policy.selector)) takes what is routed through \(name) (\(routed)): it is ESP-tunnelled straight\(peer) and never enters \(name)",
                                           fixes: [.deleteIPsecPolicy(policy)] + adding(outboundPolicy, inboundPolicy) + [.ikeSelectsGRE]))
        }

        switch outbound {
        case nil where outboundBlocked:
            report.findings.append(Finding(.problem, "\(name)'s GRE to \(remote) is dropped: no policy selects it and the default outbound policy blocks",
                                           fixes: adding(outboundPolicy, inboundPolicy) + [.ikeSelectsGRE]))
        case nil where !toRemote.isEmpty:
            report.findings.append(Finding(.problem, "\(name)'s GRE to \(remote) leaves in clear: no IPsec policy selects it, though SAs to \(remote) exist",
                                           fixes: adding(outboundPolicy, inboundPolicy) + [.ikeSelectsGRE]))
        case nil:
            if bypasses.isEmpty && !inboundBlocked {
                report.summaryWhenOK = "\(name) is not protected by IPsec: no policy selects its GRE and no SA leads to \(remote)"
                return finish(report, facts)
            }
        case let match? where match.policy.action == .block:
            report.findings.append(Finding(.problem, "\(name)'s GRE to \(remote) is dropped by the block policy \(selectorText(match.policy.selector)) priority \(match.policy.priority)",
                                           fixes: adding(outboundPolicy) + [.ikeSelectsGRE]))
        case let match? where match.policy.templates.isEmpty:
            let text = "the policy \(selectorText(match.policy.selector)) lets \(name)'s GRE to \(remote) leave in clear"
            if toRemote.isEmpty {
                report.findings.append(.note(text))
            } else {
                let replacing = match.policy.selector == outboundPolicy.selector ? [Fix.addIPsecPolicy(outboundPolicy)] : adding(outboundPolicy)
                report.findings.append(Finding(.problem, text + ", though SAs to \(remote) exist",
                                               fixes: [.deleteIPsecPolicy(match.policy)] + replacing + [.ikeSelectsGRE]))
            }
        case let match?:
            for template in match.unservedTemplates {
                report.findings.append(Finding(.problem, "no SA serves the policy for \(name)'s GRE (\(templateText(template)) to \(remote)): GRE to \(remote) is dropped until one exists (XfrmOutNoStates counts it)",
                                               fixes: [.addSecurityAssociation(template, source: local, destination: remote)]))
            }
        }

        if inboundBlocked {
            report.findings.append(Finding(.problem, "GRE from \(remote) is dropped: no inbound policy selects it and the default inbound policy blocks (XfrmInNoPols counts it)",
                                           fixes: (outbound == nil ? adding(outboundPolicy, inboundPolicy) : adding(inboundPolicy)) + [.ikeSelectsGRE]))
        } else if let outbound, outbound.policy.action == .allow, !outbound.policy.templates.isEmpty {
            switch inbound {
            case nil:
                let tunnelled = fromRemote.contains { $0.mode == .tunnel }
                report.findings.append(Finding(.problem, tunnelled
                    ? "no inbound policy for GRE from \(remote): what its tunnel-mode SA decrypts is dropped (XfrmInNoPols counts it)"
                    : "no inbound policy requires ESP for GRE from \(remote): \(name) takes GRE in clear too, so a spoofed or leaked packet passes as the peer's",
                    fixes: adding(inboundPolicy) + [.ikeSelectsGRE]))
            case let match? where match.policy.action == .block:
                report.findings.append(Finding(.problem, "GRE from \(remote) is dropped by the block policy \(selectorText(match.policy.selector)) priority \(match.policy.priority)",
                                               fixes: adding(inboundPolicy) + [.ikeSelectsGRE]))
            case let match?:
                for template in match.unservedTemplates {
                    report.findings.append(Finding(.problem, "no SA from \(remote) serves the inbound policy (\(templateText(template))): ESP from \(remote) cannot be decrypted (XfrmInNoStates counts it)",
                                                   fixes: [.addSecurityAssociation(template, source: remote, destination: local)]))
                }
            }
        }

        // disable_xfrm on the underlay: what leaves by it skips the policies; disable_policy:
        // what arrives by it skips the inbound check. Either way GRE passes in clear.
        if let underlay = facts.underlay {
            let bypassed = [("disable_xfrm", "what leaves by \(underlay.device) skips the IPsec policies: \(name)'s GRE goes out in clear"),
                            ("disable_policy", "what arrives by \(underlay.device) skips the inbound policy check: GRE in clear is taken as the peer's")]
            for (setting, effect) in bypassed {
                let values = underlay.settings.filter { $0.setting == setting && $0.value != 0 }
                guard !values.isEmpty else { continue }
                report.findings.append(Finding(.problem, "\(setting) is on (\(values.map { "conf.\($0.scope)" }.joined(separator: ", "))): \(effect)",
                                               fixes: values.map { .setSystemControl(underlay.path($0.scope, setting), value: 0) }))
            }
        }
        if let outbound, outbound.isProtected, let association = outbound.espAssociation,
           facts.sentByTunnel > 0, (facts.protectedBySA[association.identity] ?? 0) == 0 {
            report.findings.append(Finding(.problem, "\(name) sent \(facts.sentByTunnel) packets during the check but SA 0x\(String(association.spi, radix: 16)) protected none: its GRE leaves without IPsec"))
        }
        if let outbound, outbound.isProtected {
            if let template = outbound.policy.templates.first(where: { $0.proto == .esp }), template.mode == .tunnel,
               (template.source ?? local) == local, (template.destination ?? remote) == remote {
                let bytes = local.family == .inet6 ? 40 : 20
                report.findings.append(Finding(.warning, "\(name)'s GRE is protected in tunnel mode between its own endpoints: transport mode carries the same with \(bytes) bytes less per packet",
                                               fixes: [.ikeSelectsGRE]))
            }
            var others = state.policies
            others.removeAll { $0 == outbound.policy }
            if flow.policy(.outbound, in: others, associations: state.associations) == nil, !outboundBlocked {
                report.findings.append(Finding(.warning, "nothing keeps \(name)'s GRE from leaving in clear while the policy is gone (an IKE daemon removes it when it restarts): add a block policy under it, or an nftables rule that drops GRE to \(remote) when rt ipsec missing",
                                               fixes: [.addIPsecPolicy(guardPolicy(under: outbound.policy, flow))]))
            }
            if facts.options.addsEncapsulationLimit,
               outbound.policy.templates.contains(where: { $0.proto == .esp && $0.mode == .transport }) {
                report.findings.append(Finding(.warning, "\(name) adds an 8-byte encapsulation limit option after its IPv6 header, which some peers refuse inside transport-mode ESP",
                                               fixes: [.noEncapsulationLimit(tunnel: name)]))
            }
        }

        if let outbound, outbound.isProtected, inbound?.isProtected == true {
            let spis = [outbound.espAssociation, inbound?.espAssociation].compactMap { $0.map { "0x" + String($0.spi, radix: 16) } }
            report.summaryWhenOK = "\(name)'s GRE with \(remote) is protected both ways (esp \(outbound.policy.templates[0].mode.name), SAs \(spis.joined(separator: " and ")))"
        } else {
            report.summaryWhenOK = "\(name)'s GRE with \(remote): nothing wrong found"
        }
        report.numbers.append(keepalives(outbound: outbound, inbound: inbound, outboundBlocked: outboundBlocked, inboundBlocked: inboundBlocked))
        return finish(report, facts)
    }

    /// Adds what the error counters showed.
    private static func finish(_ report: CheckReport, _ facts: IPsecFacts) -> CheckReport {
        var report = report
        let seconds = CheckReport.seconds(milliseconds: facts.watchedMilliseconds)
        report.numbers.append(Field("counters", .object(facts.counterGrowth.map { .jsonOnly($0.name, .unsigned($0.delta)) }),
            text: facts.counterGrowth.isEmpty ? "counters: no IPsec error counter grew in \(seconds)"
                : "counters: " + facts.counterGrowth.map { "\($0.name) +\($0.delta)" }.joined(separator: ", ") + " in \(seconds)"))
        for growth in facts.counterGrowth {
            let meaning = XFRMCounters.meaning(of: growth.name) ?? "see the kernel's Documentation/networking/xfrm_proc.rst"
            report.findings.append(Finding(.problem, "\(growth.name) grew by \(growth.delta) during the check: \(meaning)"))
        }
        return report
    }

    /// The Cisco keepalive technote's question for Linux: are keepalives and their
    /// reflections encrypted both ways? A keepalive and this host's reflection of the
    /// peer's are both GRE from here to the peer (the outbound policy); the peer's
    /// reflection of ours is GRE from the peer (the inbound policy says if it must be ESP).
    private static func keepalives(outbound: PolicyMatch?, inbound: PolicyMatch?, outboundBlocked: Bool, inboundBlocked: Bool) -> Field {
        let sent: String
        switch outbound {
        case nil: sent = outboundBlocked ? "dropped" : "clear"
        case let match? where match.policy.action == .block: sent = "dropped"
        case let match? where match.policy.templates.isEmpty: sent = "clear"
        case let match?: sent = match.isProtected ? "encrypted" : "dropped"
        }
        let received: String
        switch inbound {
        case nil: received = inboundBlocked ? "dropped" : "either"
        case let match? where match.policy.action == .block: received = "dropped"
        case let match? where match.policy.templates.isEmpty: received = "either"
        case let match?: received = match.isProtected ? "encrypted" : "dropped"
        }
        let sentText = ["encrypted": "go out encrypted", "clear": "go out in clear", "dropped": "are dropped"][sent]!
        let receivedText = [
            "encrypted": "must come back encrypted (the inbound policy requires ESP: the peer needs the mirror policy for GRE to this host)",
            "either": "are taken encrypted or in clear (no inbound policy requires ESP)",
            "dropped": "are dropped on the way in",
        ][received]!
        return Field("keepalives", .object([.jsonOnly("out", .string(sent)), .jsonOnly("in", .string(received))]),
                     text: "keepalives: ours and our reflections of the peer's \(sentText); the peer's reflections \(receivedText)")
    }

    private static func describe(_ direction: String, _ match: PolicyMatch?, clear: String) -> Field {
        guard let match else { return Field(direction, .null, text: "\(direction): \(clear)") }
        let policy = match.policy
        var text = "\(direction): policy \(selectorText(policy.selector)) priority \(policy.priority)"
        if policy.action == .block {
            text += ": block"
        } else if policy.templates.isEmpty {
            text += ": allow in clear"
        } else {
            text += ": " + zip(policy.templates, match.associations).map { template, association in
                templateText(template) + (association.map { ", SA 0x\(String($0.spi, radix: 16))" + (ESPTransform($0).map { " (\($0.name))" } ?? "") }
                    ?? (template.optional ? ", no SA (optional)" : ", no SA"))
            }.joined(separator: "; ")
        }
        return Field(direction, .object([
            .jsonOnly("src", .string(policy.selector.source.description)), .jsonOnly("dst", .string(policy.selector.destination.description)),
            .jsonOnly("proto", .string(policy.selector.proto.description)), .jsonOnly("priority", .unsigned(UInt64(policy.priority))),
            .jsonOnly("action", .string(policy.action == .block ? "block" : "allow")),
            .jsonOnly("templates", .array(zip(policy.templates, match.associations).map { template, association in
                .object([.jsonOnly("proto", .string(template.proto.description)), .jsonOnly("mode", .string(template.mode.name)),
                         .jsonOnly("reqid", .unsigned(UInt64(template.reqid))),
                         .jsonOnly("spi", association.map { .unsigned(UInt64($0.spi)) } ?? .null)])
            })),
        ]), text: text)
    }

    /// "198.51.100.1/32 -> 198.51.100.2/32 proto gre".
    static func selectorText(_ selector: XFRMSelector) -> String {
        guard selector.family != nil else { return "any" }
        return "\(selector.source) -> \(selector.destination)" + (selector.proto == .any ? "" : " proto \(selector.proto)")
    }

    /// "esp transport reqid 1".
    private static func templateText(_ template: IPsecTemplate) -> String {
        "\(template.proto) \(template.mode.name) reqid \(template.reqid)"
    }

    /// Whether two prefixes share addresses.
    private static func overlaps(_ a: IPPrefix, _ b: IPPrefix) -> Bool {
        a.family == b.family && (a.contains(b.address) || b.contains(a.address))
    }

    /// The policy that protects GRE from `source` to `destination` in one ESP template.
    private static func grePolicy(_ direction: IPsecPolicy.Direction, from source: IPAddress, to destination: IPAddress,
                                  mode: IPsecMode, reqid: UInt32) -> IPsecPolicy {
        var policy = IPsecPolicy(selector: XFRMSelector(source: IPPrefix(host: source), destination: IPPrefix(host: destination), proto: .gre),
                                 direction: direction)
        policy.templates = [IPsecTemplate(proto: .esp, mode: mode, source: source, destination: destination, reqid: reqid)]
        return policy
    }

    /// A block policy that catches the tunnel's GRE when `protecting` is gone and loses to
    /// it while it is there. Its selector must differ from the protecting one (the kernel
    /// keeps one policy per selector and direction): from any address, unless that is
    /// the protecting policy's.
    private static func guardPolicy(under protecting: IPsecPolicy, _ flow: XFRMFlow) -> IPsecPolicy {
        let any = IPPrefix(address: .zero(flow.source.family), length: 0)
        var selector = XFRMSelector(source: any, destination: IPPrefix(host: flow.destination), proto: .gre)
        if selector == protecting.selector { selector.source = IPPrefix(host: flow.source) }
        return IPsecPolicy(selector: selector, direction: .outbound, action: .block,
                           priority: max(guardPriority, protecting.priority &+ 1))
    }
}

extension DiagnosticsService {
    /// What `diag ipsec` checks: the tunnel's GRE flow, the host's policies and SAs, what
    /// is routed through the tunnel, and the error counters over at least
    /// `IPsecCheck.watchMilliseconds`.
    public func ipsecFacts(tunnel name: String) throws -> IPsecFacts {
        let started = SystemClock.milliseconds()
        let before = XFRMCounters.read()
        let (link, options) = try tunnel(named: name)
        var facts = IPsecFacts(tunnel: link.name, options: options, flow: try greFlow(link, options), state: try ipsec())
        guard facts.state != nil else { return facts }
        if let hop = try chain(from: TunnelEndpoints(link, options)).hops.first {
            var underlay = IPsecFacts.UnderlaySettings(device: hop.device, ipv6: options.isIPv6, settings: [])
            for scope in ["all", hop.device] {
                for setting in ["disable_xfrm", "disable_policy"] {
                    if let value = controls.integer(underlay.path(scope, setting)) { underlay.settings.append((scope, setting, value)) }
                }
            }
            facts.underlay = underlay
        }
        let sentBefore = try links.link(index: link.index, statistics: true).statistics?.txPackets ?? 0
        let protectedBefore = try protectedPackets()
        facts.routedPrefixes = try routes.list(RouteService.DumpFilter()).filter { route in
            route.type == .unicast && (route.outputInterface == link.index || route.nexthops.contains { $0.outputInterface == link.index })
        }.map(\.destination)
        let remaining = IPsecCheck.watchMilliseconds - (SystemClock.milliseconds() - started)
        if remaining > 0 { SystemClock.sleep(milliseconds: remaining) }
        facts.watchedMilliseconds = SystemClock.milliseconds() - started
        if let before, let after = XFRMCounters.read() {
            facts.counterGrowth = after.growth(since: before).map { XFRMCounterGrowth(name: $0.name, delta: $0.delta) }
        }
        facts.sentByTunnel = (try links.link(index: link.index, statistics: true).statistics?.txPackets ?? 0) &- sentBefore
        facts.protectedBySA = try protectedPackets().reduce(into: [:]) { deltas, entry in
            deltas[entry.key] = entry.value &- (protectedBefore[entry.key] ?? 0)
        }
        return facts
    }

    /// The packets each SA has protected so far, read afresh.
    private func protectedPackets() throws -> [SecurityAssociation.Identity: UInt64] {
        let associations = try IPsecService.open()?.associations() ?? []
        return Dictionary(associations.map { ($0.identity, $0.packets) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether the host has any IPsec policy or SA: `diag all` runs the IPsec check only then.
    public func hasIPsec() throws -> Bool {
        guard let state = try ipsec() else { return false }
        return !state.policies.isEmpty || !state.associations.isEmpty
    }
}
