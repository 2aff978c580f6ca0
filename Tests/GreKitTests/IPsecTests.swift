import Testing
@testable import GreKit

/// The decoders on the xfrm replies captured in the lab (XFRMReplies).
@Suite struct XFRMDecodingTests {
    private let local = IPAddress("198.51.100.1")!, remote = IPAddress("198.51.100.2")!

    @Test func greTransportPolicy() throws {
        let policy = try #require(withMessage(XFRMReplies.grePolicy) { IPsecPolicy($0) })
        #expect(policy.direction == .outbound)
        #expect(policy.action == .allow)
        #expect(policy.priority == 100)
        #expect(policy.selector.source.description == "198.51.100.1/32")
        #expect(policy.selector.destination.description == "198.51.100.2/32")
        #expect(policy.selector.proto == .gre)
        #expect(policy.selector.isHostPair(local, remote))
        #expect(policy.selector.matches(source: local, destination: remote, proto: .gre))
        #expect(!policy.selector.matches(source: local, destination: remote, proto: .udp))
        #expect(policy.templates == [IPsecTemplate(proto: .esp, mode: .transport, source: local, destination: remote, reqid: 1)])
        #expect(policy.mark == nil && policy.interfaceID == nil)
    }

    @Test func subnetTunnelPolicyWithMarkAndInterface() throws {
        let policy = try #require(withMessage(XFRMReplies.subnetPolicy) { IPsecPolicy($0) })
        #expect(policy.direction == .inbound)
        #expect(policy.selector.source.description == "10.0.0.0/24")
        #expect(policy.selector.destination.description == "192.168.0.0/24")
        #expect(policy.selector.proto == .any)
        #expect(policy.selector.matches(source: IPAddress("10.0.0.7")!, destination: IPAddress("192.168.0.1")!, proto: .gre))
        #expect(!policy.selector.matches(source: remote, destination: local, proto: .gre))
        let template = try #require(policy.templates.first)
        #expect(template.mode == .tunnel && template.reqid == 2 && template.optional)
        #expect(template.source == remote && template.destination == local)
        #expect(policy.mark == XFRMMark(value: 0x10, mask: 0xff))
        #expect(policy.interfaceID == 7)
    }

    @Test func blockPolicy() throws {
        let policy = try #require(withMessage(XFRMReplies.blockPolicy) { IPsecPolicy($0) })
        #expect(policy.action == .block)
        #expect(policy.priority == 4000)
        #expect(policy.templates.isEmpty)
        #expect(policy.selector.source.description == "0.0.0.0/0")
        #expect(policy.selector.matches(source: local, destination: remote, proto: .gre))
    }

    @Test func gcmTransportAssociation() throws {
        let association = try #require(withMessage(XFRMReplies.gcmTransportAssociation) { SecurityAssociation($0) })
        #expect(association.source == local && association.destination == remote)
        #expect(association.spi == 0x101 && association.reqid == 1)
        #expect(association.proto == .esp && association.mode == .transport)
        #expect(association.aead == XFRMAlgorithm(name: "rfc4106(gcm(aes))", keyBits: 160, icvBits: 128))
        #expect(association.encryption == nil && association.authentication == nil && association.encapsulation == nil)
        #expect(association.selector.proto == .gre)
        #expect(ESPTransform(association) == ESPTransform(name: "AES-GCM-16", blockSize: 1, ivSize: 8, icvSize: 16))
    }

    @Test func cbcTunnelAssociationOverUDP() throws {
        let association = try #require(withMessage(XFRMReplies.cbcTunnelAssociation) { SecurityAssociation($0) })
        #expect(association.spi == 0x102 && association.mode == .tunnel)
        #expect(association.encryption == XFRMAlgorithm(name: "cbc(aes)", keyBits: 128))
        #expect(association.authentication == XFRMAlgorithm(name: "hmac(sha256)", keyBits: 256, icvBits: 128))
        #expect(association.encapsulation == ESPEncapsulation(.udp, sourcePort: 4500, destinationPort: 4500))
        #expect(association.mark == XFRMMark(value: 0x10, mask: 0xff))
        #expect(association.interfaceID == 7)
        #expect(ESPTransform(association)?.name == "AES-CBC + HMAC-SHA-256-128")
    }

    /// The keys travel in every SA the kernel sends; the decoder never looks at them, so
    /// other keys decode to the same value.
    @Test func keysAreNeverRead() throws {
        for reply in [XFRMReplies.gcmTransportAssociation, XFRMReplies.cbcTunnelAssociation] {
            let key: [UInt8] = Array(0...15)
            var scrambled = reply
            var changed = 0
            var index = 0
            while index + key.count <= scrambled.count {
                if Array(scrambled[index..<index + key.count]) == key {
                    for offset in 0..<key.count { scrambled[index + offset] ^= 0xa5 }
                    changed += 1
                    index += key.count
                } else {
                    index += 1
                }
            }
            #expect(changed >= 1, "the capture carries the test key")
            let original = withMessage(reply) { SecurityAssociation($0) }
            #expect(original != nil)
            #expect(withMessage(scrambled) { SecurityAssociation($0) } == original)
        }
    }

    @Test func databaseSizesAndDefaults() {
        var counts = IPsecCounts()
        withMessage(XFRMReplies.policyDatabaseInfo) { counts.readPolicies($0) }
        withMessage(XFRMReplies.associationDatabaseInfo) { counts.readAssociations($0) }
        #expect(counts.inboundPolicies == 1 && counts.outboundPolicies == 2 && counts.forwardPolicies == 0)
        #expect(counts.associations == 2 && !counts.isEmpty)
        #expect(IPsecCounts().isEmpty)
        #expect(withMessage(XFRMReplies.defaultPolicy) { IPsecDefaultPolicy($0) } == IPsecDefaultPolicy())
    }

    @Test func otherMessagesAreNotDecoded() {
        #expect(withMessage(XFRMReplies.grePolicy) { SecurityAssociation($0) } == nil)
        #expect(withMessage(XFRMReplies.gcmTransportAssociation) { IPsecPolicy($0) } == nil)
    }
}

/// ESP's sizes against the kernel's xfrm_state_mtu(), as measured in the lab over a
/// 1500-byte path with plain GRE (Tests/Kernel/lab/ipsec.sh).
@Suite struct ESPSizeTests {
    private static let gcm = ESPTransform(name: "AES-GCM-16", blockSize: 1, ivSize: 8, icvSize: 16)
    private static let chacha = ESPTransform(name: "ChaCha20-Poly1305", blockSize: 1, ivSize: 8, icvSize: 16)
    private static let cbc256 = ESPTransform.assumed
    private static let cbc512 = ESPTransform(name: "AES-CBC + HMAC-SHA-512-256", blockSize: 16, ivSize: 16, icvSize: 32)

    private func greMTU(_ transform: ESPTransform, _ mode: IPsecEncapsulation.Mode, natTraversal: Bool = false) -> Int {
        IPsecEncapsulation(mode: mode, natTraversal: natTraversal, transform: transform).largestInnerPacket(pathMTU: 1500, ipv6: false) - 24
    }

    @Test func theKernelsTable() {
        let table: [(ESPTransform, [Int])] = [
            // transport, transport + NAT-T, tunnel, tunnel + NAT-T
            (Self.gcm, [1442, 1434, 1422, 1414]),
            (Self.chacha, [1442, 1434, 1422, 1414]),
            (Self.cbc256, [1434, 1418, 1414, 1398]),
            (Self.cbc512, [1418, 1402, 1398, 1382]),
        ]
        for (transform, expected) in table {
            let measured = [greMTU(transform, .transport), greMTU(transform, .transport, natTraversal: true),
                            greMTU(transform, .tunnel), greMTU(transform, .tunnel, natTraversal: true)]
            #expect(measured == expected, "\(transform.name)")
        }
    }

    @Test func ipv6OuterHeaders() {
        // Transport: the IPv6 header (40) stays outside; tunnel mode adds a new one.
        let transport = IPsecEncapsulation(mode: .transport, transform: Self.gcm).largestInnerPacket(pathMTU: 1500, ipv6: true)
        #expect(transport == ((1500 - 16 - 16 - 40) & ~3) + 40 - 2)
        let tunnel = IPsecEncapsulation(mode: .tunnel, transform: Self.gcm).largestInnerPacket(pathMTU: 1500, ipv6: true)
        #expect(tunnel == ((1500 - 56 - 16) & ~3) - 2)
    }

    @Test func transformsOfOtherSuites() {
        var association = SecurityAssociation(source: IPAddress("192.0.2.1")!, destination: IPAddress("192.0.2.2")!, spi: 1, mode: .transport)
        association.aead = XFRMAlgorithm(name: "rfc7539esp(chacha20,poly1305)", keyBits: 288, icvBits: 128)
        #expect(ESPTransform(association) == Self.chacha)
        association.aead = XFRMAlgorithm(name: "rfc4106(gcm(aes))", keyBits: 288, icvBits: 64)
        #expect(ESPTransform(association)?.icvSize == 8)
        association.aead = nil
        association.encryption = XFRMAlgorithm(name: "cbc(aes)", keyBits: 256)
        association.authentication = XFRMAlgorithm(name: "hmac(sha512)", keyBits: 512, icvBits: 256)
        #expect(ESPTransform(association) == Self.cbc512)
        association.authentication = XFRMAlgorithm(name: "hmac(sha1)", keyBits: 160, icvBits: 96)
        #expect(ESPTransform(association)?.icvSize == 12)
        association.encryption = XFRMAlgorithm(name: "cbc(unheard-of)", keyBits: 128)
        #expect(ESPTransform(association) == nil)
    }

    @Test func sizesOfAnAssociation() throws {
        let association = try #require(withMessage(XFRMReplies.cbcTunnelAssociation) { SecurityAssociation($0) })
        let encapsulation = try #require(IPsecEncapsulation(association))
        #expect(encapsulation.mode == .tunnel && encapsulation.natTraversal && encapsulation.spi == 0x102)
        #expect(encapsulation.largestInnerPacket(pathMTU: 1500, ipv6: false) - 24 == 1398)
        #expect(encapsulation.description == "tunnel mode, nat-t, AES-CBC + HMAC-SHA-256-128 of SA 0x102")
    }
}

/// Which policy and SAs the kernel's lookup finds for a tunnel's GRE.
@Suite struct PolicyLookupTests {
    private let local = IPAddress("198.51.100.1")!, remote = IPAddress("198.51.100.2")!
    private var flow: XFRMFlow { XFRMFlow(source: local, destination: remote) }

    private func captured() throws -> (policies: [IPsecPolicy], associations: [SecurityAssociation]) {
        let policies = try [XFRMReplies.blockPolicy, XFRMReplies.subnetPolicy, XFRMReplies.grePolicy].map { reply in
            try #require(withMessage(reply) { IPsecPolicy($0) })
        }
        let associations = try [XFRMReplies.cbcTunnelAssociation, XFRMReplies.gcmTransportAssociation].map { reply in
            try #require(withMessage(reply) { SecurityAssociation($0) })
        }
        return (policies, associations)
    }

    @Test func theLowestPriorityWinsAndItsSAServesIt() throws {
        let (policies, associations) = try captured()
        let match = try #require(flow.policy(.outbound, in: policies, associations: associations))
        #expect(match.policy.priority == 100, "the GRE policy (100), not the block guard (4000)")
        #expect(match.isProtected)
        #expect(match.espAssociation?.spi == 0x101)
        // Without it, the block guard catches the GRE.
        let guarded = try #require(flow.policy(.outbound, in: policies.filter { $0.priority != 100 }, associations: associations))
        #expect(guarded.policy.action == .block && !guarded.isProtected)
    }

    @Test func withoutItsSAThePolicyIsUnserved() throws {
        let (policies, associations) = try captured()
        let match = try #require(flow.policy(.outbound, in: policies, associations: associations.filter { $0.spi != 0x101 }))
        #expect(!match.isProtected)
        #expect(match.unservedTemplates.map(\.reqid) == [1])
    }

    @Test func marksAndInterfacesDecide() throws {
        var (policies, associations) = try captured()
        // The inbound subnet policy is bound to xfrm interface 7: a tunnel's packets never match it.
        let inbound = XFRMFlow(source: IPAddress("10.0.0.1")!, destination: IPAddress("192.168.0.1")!, proto: .gre, mark: 0x10)
        #expect(inbound.policy(.inbound, in: policies, associations: associations) == nil)
        policies[1].interfaceID = nil
        #expect(inbound.policy(.inbound, in: policies, associations: associations) != nil)
        var unmarked = inbound
        unmarked.mark = 0x20
        #expect(unmarked.policy(.inbound, in: policies, associations: associations) == nil)
        // A different reqid is not the template's SA.
        associations[1].reqid = 9
        #expect(flow.policy(.outbound, in: policies, associations: associations)?.isProtected == false)
    }

    @Test func mtuSizesFromTheSA() throws {
        let (policies, associations) = try captured()
        let options = GreOptions(kind: "gre")
        var facts = MTUFacts(tunnel: "gre1", mtu: 1476, options: options, path: .known(UnderlayPath(device: "va", deviceMTU: 1500)))
        facts.sizeESP(from: try #require(flow.policy(.outbound, in: policies, associations: associations)), wordsGiven: false)
        #expect(facts.ipsecSizing == .association(overridingWords: false))
        let report = MTUCheck.report(facts)
        #expect(report.verdict == .problem)
        let lines = report.numbers.compactMap(\.text)
        #expect(lines.contains("ipsec esp 34 (transport mode, AES-GCM-16 of SA 0x101) = ESP 8 + IV 8 + ICV 16 + trailer 2"))
        #expect(lines.contains("mtu 1476, recommended 1442, tcp mss 1402 (IPv4) / 1382 (IPv6)"))
        #expect(report.fixes == [.setMTU(link: "gre1", mtu: 1442), .clampTCPMSS(link: "gre1", mss: 1402)])

        // No SA yet: the policy's mode, sizes assumed, and a note that says so.
        var waiting = MTUFacts(tunnel: "gre1", mtu: 1434, options: options, path: .known(UnderlayPath(device: "va", deviceMTU: 1500)))
        waiting.sizeESP(from: try #require(flow.policy(.outbound, in: policies, associations: [])), wordsGiven: false)
        #expect(waiting.ipsecSizing == .policyWithoutAssociation)
        let estimate = MTUCheck.report(waiting)
        #expect(estimate.verdict == .ok)
        #expect(estimate.findings.contains { $0.text.hasPrefix("a policy protects gre1's GRE but no SA exists yet") })
    }
}

/// `diag ipsec` verdicts on facts.
@Suite struct IPsecCheckTests {
    private static let local = IPAddress("198.51.100.1")!, remote = IPAddress("198.51.100.2")!
    private let flow = XFRMFlow(source: local, destination: remote)

    private func policy(_ direction: IPsecPolicy.Direction, _ source: String, _ destination: String, proto: IPProtocol = .gre,
                        mode: IPsecMode = .transport, reqid: UInt32, action: IPsecPolicy.Action = .allow, priority: UInt32 = 0) throws -> IPsecPolicy {
        var policy = IPsecPolicy(selector: XFRMSelector(source: try IPPrefix(parsing: source), destination: try IPPrefix(parsing: destination), proto: proto),
                                 direction: direction, action: action, priority: priority)
        if action == .allow {
            let (from, to) = direction == .outbound ? (Self.local, Self.remote) : (Self.remote, Self.local)
            policy.templates = [IPsecTemplate(proto: .esp, mode: mode, source: from, destination: to, reqid: reqid)]
        }
        return policy
    }

    private func association(out: Bool, mode: IPsecMode = .transport, spi: UInt32) -> SecurityAssociation {
        var association = SecurityAssociation(source: out ? Self.local : Self.remote, destination: out ? Self.remote : Self.local,
                                              spi: spi, mode: mode, reqid: out ? 1 : 2)
        association.aead = XFRMAlgorithm(name: "rfc4106(gcm(aes))", keyBits: 160, icvBits: 128)
        return association
    }

    /// Transport mode both ways, SAs both ways, and a block guard under the outbound policy.
    private func clean(mode: IPsecMode = .transport) throws -> IPsecSnapshot {
        IPsecSnapshot(policies: [
            try policy(.outbound, "198.51.100.1/32", "198.51.100.2/32", mode: mode, reqid: 1),
            try policy(.inbound, "198.51.100.2/32", "198.51.100.1/32", mode: mode, reqid: 2),
            try policy(.outbound, "0.0.0.0/0", "198.51.100.2/32", reqid: 0, action: .block, priority: 4_000_000),
        ], associations: [association(out: true, mode: mode, spi: 0x101), association(out: false, mode: mode, spi: 0x102)])
    }

    private func report(_ state: IPsecSnapshot?, routed: [String] = ["10.1.0.0/30"], growth: [XFRMCounterGrowth] = [],
                        options: GreOptions = GreOptions(kind: "gre")) throws -> CheckReport {
        var facts = IPsecFacts(tunnel: "gre1", options: options, flow: flow, state: state)
        facts.routedPrefixes = try routed.map { try IPPrefix(parsing: $0) }
        facts.counterGrowth = growth
        facts.watchedMilliseconds = 1000
        return IPsecCheck.report(facts)
    }

    @Test func aCleanTransportSetupIsOK() throws {
        let report = try report(try clean())
        #expect(report.verdict == .ok, "\(report.findings)")
        #expect(report.summary == "gre1's GRE with 198.51.100.2 is protected both ways (esp transport, SAs 0x101 and 0x102)")
        let lines = report.numbers.compactMap(\.text)
        #expect(lines.contains("out: policy 198.51.100.1/32 -> 198.51.100.2/32 proto gre priority 0: esp transport reqid 1, SA 0x101 (AES-GCM-16)"))
        #expect(lines.contains("in: policy 198.51.100.2/32 -> 198.51.100.1/32 proto gre priority 0: esp transport reqid 2, SA 0x102 (AES-GCM-16)"))
        #expect(lines.contains("keepalives: ours and our reflections of the peer's go out encrypted; the peer's reflections must come back encrypted (the inbound policy requires ESP: the peer needs the mirror policy for GRE to this host)"))
        #expect(lines.contains("counters: no IPsec error counter grew in 1.0 s"))
    }

    @Test func noPolicyWhileSAsExistLeavesInClear() throws {
        var state = try clean()
        state.policies = []
        let report = try report(state)
        #expect(report.verdict == .problem)
        #expect(report.summary == "gre1's GRE to 198.51.100.2 leaves in clear: no IPsec policy selects it, though SAs to 198.51.100.2 exist")
        let out = try policy(.outbound, "198.51.100.1/32", "198.51.100.2/32", reqid: 1)
        let inbound = try policy(.inbound, "198.51.100.2/32", "198.51.100.1/32", reqid: 2)
        #expect(report.fixes == [.addIPsecPolicy(out), .addIPsecPolicy(inbound), .ikeSelectsGRE])
        // The fixes applied, the check passes but for the guard.
        state.policies = [out, inbound]
        #expect(try self.report(state).verdict == .warning)
    }

    @Test func withoutIPsecNothingIsWrong() throws {
        #expect(try report(nil).summary == "no IPsec here: the kernel has no xfrm netlink")
        let report = try report(IPsecSnapshot(policies: [], associations: []))
        #expect(report.verdict == .ok)
        #expect(report.summary == "gre1 is not protected by IPsec: no policy selects its GRE and no SA leads to 198.51.100.2")
    }

    /// The seed guide's wrong example: the policy selects the passenger subnets.
    @Test func aSubnetPolicyBypassesTheTunnel() throws {
        var subnets = try policy(.outbound, "10.0.0.0/24", "192.168.0.0/24", proto: .any, mode: .tunnel, reqid: 1)
        subnets.templates[0].source = Self.local
        let state = IPsecSnapshot(policies: [subnets], associations: [association(out: true, mode: .tunnel, spi: 0x101)])
        let report = try report(state, routed: ["10.1.0.0/30", "192.168.0.0/24"])
        #expect(report.verdict == .problem)
        #expect(report.summary == "the policy 10.0.0.0/24 -> 192.168.0.0/24 takes what is routed through gre1 (192.168.0.0/24): it is ESP-tunnelled straight to 198.51.100.2 and never enters gre1")
        #expect(report.fixes.first == .deleteIPsecPolicy(subnets))
        #expect(report.fixes.contains(.ikeSelectsGRE))
        // Not routed through the tunnel: not this tunnel's business.
        #expect(!(try self.report(state, routed: ["10.1.0.0/30"]).findings.contains { $0.text.hasPrefix("the policy 10.0.0.0/24") }))
    }

    @Test func aPolicyWithoutSADropsGRE() throws {
        var state = try clean()
        state.associations.removeAll { $0.spi == 0x101 }
        let report = try report(state)
        #expect(report.summary == "no SA serves the policy for gre1's GRE (esp transport reqid 1 to 198.51.100.2): GRE to 198.51.100.2 is dropped until one exists (XfrmOutNoStates counts it)")
        #expect(report.fixes == [.addSecurityAssociation(IPsecTemplate(proto: .esp, mode: .transport, source: Self.local, destination: Self.remote, reqid: 1),
                                                         source: Self.local, destination: Self.remote)])
        #expect(report.numbers.compactMap(\.text).contains("keepalives: ours and our reflections of the peer's are dropped; the peer's reflections must come back encrypted (the inbound policy requires ESP: the peer needs the mirror policy for GRE to this host)"))
        state = try clean()
        state.associations.removeAll { $0.spi == 0x102 }
        #expect(try self.report(state).summary == "no SA from 198.51.100.2 serves the inbound policy (esp transport reqid 2): ESP from 198.51.100.2 cannot be decrypted (XfrmInNoStates counts it)")
    }

    @Test func aMissingInboundPolicy() throws {
        var state = try clean()
        state.policies.removeAll { $0.direction == .inbound }
        let report = try report(state)
        #expect(report.summary == "no inbound policy requires ESP for GRE from 198.51.100.2: gre1 takes GRE in clear too, so a spoofed or leaked packet passes as the peer's")
        #expect(report.fixes.first == .addIPsecPolicy(try policy(.inbound, "198.51.100.2/32", "198.51.100.1/32", reqid: 2)))
        #expect(report.numbers.compactMap(\.text).last { $0.hasPrefix("keepalives") }?.hasSuffix("the peer's reflections are taken encrypted or in clear (no inbound policy requires ESP)") == true)
        // Over tunnel-mode SAs the kernel drops what they decrypt instead.
        var tunnel = try clean(mode: .tunnel)
        tunnel.policies.removeAll { $0.direction == .inbound }
        #expect(try self.report(tunnel).summary.hasPrefix("no inbound policy for GRE from 198.51.100.2: what its tunnel-mode SA decrypts is dropped"))
    }

    /// disable_xfrm on the underlay lets GRE leave around the policies: the check sees the
    /// setting, and the tunnel sending while its SA protects nothing.
    @Test func aTunnelThatSendsAroundItsSA() throws {
        let state = try clean()
        var facts = IPsecFacts(tunnel: "gre1", options: GreOptions(kind: "gre"), flow: flow, state: state)
        facts.watchedMilliseconds = 1000
        facts.sentByTunnel = 10
        let sa = state.associations[0].identity
        facts.protectedBySA = [sa: 0]
        facts.underlay = .init(device: "va", ipv6: false, settings: [("all", "disable_xfrm", 0), ("va", "disable_xfrm", 1), ("va", "disable_policy", 0)])
        let report = IPsecCheck.report(facts)
        #expect(report.summary == "disable_xfrm is on (conf.va): what leaves by va skips the IPsec policies: gre1's GRE goes out in clear")
        #expect(report.fixes == [.setSystemControl(["net", "ipv4", "conf", "va", "disable_xfrm"], value: 0)])
        #expect(report.findings.contains { $0.text == "gre1 sent 10 packets during the check but SA 0x101 protected none: its GRE leaves without IPsec" })
        facts.protectedBySA = [sa: 10]
        facts.underlay?.settings = [("all", "disable_policy", 1)]
        #expect(IPsecCheck.report(facts).summary == "disable_policy is on (conf.all): what arrives by va skips the inbound policy check: GRE in clear is taken as the peer's")
        facts.underlay?.settings = []
        #expect(IPsecCheck.report(facts).verdict == .ok)
    }

    /// A default policy of block drops what no policy selects: GRE out without its
    /// outbound policy, GRE in (ESP-borne or not) without an inbound one.
    @Test func defaultPoliciesOfBlock() throws {
        var state = try clean()
        state.defaultPolicy = IPsecDefaultPolicy(inboundBlocks: true, outboundBlocks: true)
        #expect(try report(state).verdict == .ok)
        state.policies.removeAll { $0.direction == .inbound }
        let inbound = try report(state)
        #expect(inbound.summary == "GRE from 198.51.100.2 is dropped: no inbound policy selects it and the default inbound policy blocks (XfrmInNoPols counts it)")
        #expect(inbound.fixes == [.addIPsecPolicy(try policy(.inbound, "198.51.100.2/32", "198.51.100.1/32", reqid: 2)), .ikeSelectsGRE])
        let lines = inbound.numbers.compactMap(\.text)
        #expect(lines.contains("in: no policy (the default policy blocks)"))
        #expect(lines.contains { $0.hasPrefix("keepalives: ours and our reflections of the peer's go out encrypted; the peer's reflections are dropped on the way in") })

        state = try clean()
        state.defaultPolicy = IPsecDefaultPolicy(outboundBlocks: true)
        state.policies.removeAll { $0.direction == .outbound }
        let outbound = try report(state)
        #expect(outbound.summary == "gre1's GRE to 198.51.100.2 is dropped: no policy selects it and the default outbound policy blocks")
        #expect(outbound.fixes == [.addIPsecPolicy(try policy(.outbound, "198.51.100.1/32", "198.51.100.2/32", reqid: 1)), .ikeSelectsGRE])

        // Not protected at all, and the default drops the peer's GRE: both policies.
        let bare = try report(IPsecSnapshot(policies: [], associations: [], defaultPolicy: IPsecDefaultPolicy(inboundBlocks: true)))
        #expect(bare.verdict == .problem)
        #expect(bare.fixes.count == 3)
    }

    @Test func growingCountersAreProblemsWithTheirMeaning() throws {
        let report = try report(try clean(), growth: [XFRMCounterGrowth(name: "XfrmInNoStates", delta: 3)])
        #expect(report.verdict == .problem)
        #expect(report.summary.hasPrefix("XfrmInNoStates grew by 3 during the check: ESP arrived for an SPI or address no inbound SA has"))
        #expect(report.numbers.compactMap(\.text).contains("counters: XfrmInNoStates +3 in 1.0 s"))
    }

    @Test func tunnelModeBetweenTheEndpointsWastesBytes() throws {
        let report = try report(try clean(mode: .tunnel))
        #expect(report.verdict == .warning)
        #expect(report.summary == "gre1's GRE is protected in tunnel mode between its own endpoints: transport mode carries the same with 20 bytes less per packet")
        #expect(report.fixes == [.ikeSelectsGRE])
    }

    @Test func withoutAGuardGRELeaksWhileThePolicyIsGone() throws {
        var state = try clean()
        state.policies.removeAll { $0.action == .block }
        let report = try report(state)
        #expect(report.verdict == .warning)
        #expect(report.summary.hasPrefix("nothing keeps gre1's GRE from leaving in clear while the policy is gone"))
        let guardPolicy = try policy(.outbound, "0.0.0.0/0", "198.51.100.2/32", reqid: 0, action: .block, priority: 4_000_000)
        #expect(report.fixes == [.addIPsecPolicy(guardPolicy)])
        // A default policy of block guards as well.
        state.defaultPolicy = IPsecDefaultPolicy(outboundBlocks: true)
        #expect(try self.report(state).verdict == .ok)
    }

    @Test func ip6greWithItsEncapsulationLimitOption() throws {
        var options = GreOptions(kind: "ip6gre")
        let v6Local = IPAddress("2001:db8::1")!, v6Remote = IPAddress("2001:db8::2")!
        var out = IPsecPolicy(selector: XFRMSelector(source: IPPrefix(host: v6Local), destination: IPPrefix(host: v6Remote), proto: .gre), direction: .outbound)
        out.templates = [IPsecTemplate(proto: .esp, mode: .transport, reqid: 1)]
        var inbound = IPsecPolicy(selector: XFRMSelector(source: IPPrefix(host: v6Remote), destination: IPPrefix(host: v6Local), proto: .gre), direction: .inbound)
        inbound.templates = [IPsecTemplate(proto: .esp, mode: .transport, reqid: 2)]
        let state = IPsecSnapshot(policies: [out, inbound],
                                  associations: [SecurityAssociation(source: v6Local, destination: v6Remote, spi: 1, mode: .transport, reqid: 1),
                                                 SecurityAssociation(source: v6Remote, destination: v6Local, spi: 2, mode: .transport, reqid: 2)],
                                  defaultPolicy: IPsecDefaultPolicy(outboundBlocks: true))
        func check(_ options: GreOptions) -> CheckReport {
            var facts = IPsecFacts(tunnel: "t6", options: options, flow: XFRMFlow(source: v6Local, destination: v6Remote), state: state)
            facts.watchedMilliseconds = 1000
            return IPsecCheck.report(facts)
        }
        #expect(check(options).summary == "t6 adds an 8-byte encapsulation limit option after its IPv6 header, which some peers refuse inside transport-mode ESP")
        #expect(check(options).fixes == [.noEncapsulationLimit(tunnel: "t6")])
        options.ipv6Flags.insert(.ignoreEncapLimit)
        #expect(check(options).verdict == .ok)
    }
}

@Suite struct XFRMCounterTests {
    @Test func growthBetweenTwoReadings() {
        let before = XFRMCounters(parsing: "XfrmInError             \t0\nXfrmInNoStates          \t4\nXfrmOutNoStates         \t1\n")
        let after = XFRMCounters(parsing: "XfrmInError             \t0\nXfrmInNoStates          \t7\nXfrmOutNoStates         \t1\nXfrmInStateDirError\t2\n")
        #expect(after.growth(since: before).map { "\($0.name) \($0.delta)" } == ["XfrmInNoStates 3", "XfrmInStateDirError 2"])
        #expect(XFRMCounters.meaning(of: "XfrmInNoStates")?.hasPrefix("ESP arrived for an SPI or address no inbound SA has") == true)
        #expect(XFRMCounters.meaning(of: "XfrmSomethingNew") == nil)
    }
}
