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

        // No SA yet: the policy's mode, sizes assumed, and a note that says so.
        var waiting = MTUFacts(tunnel: "gre1", mtu: 1434, options: options, path: .known(UnderlayPath(device: "va", deviceMTU: 1500)))
        waiting.sizeESP(from: try #require(flow.policy(.outbound, in: policies, associations: [])), wordsGiven: false)
        #expect(waiting.ipsecSizing == .policyWithoutAssociation)
        let estimate = MTUCheck.report(waiting)
        #expect(estimate.verdict == .ok)
        #expect(estimate.findings.contains { $0.text.hasPrefix("a policy protects gre1's GRE but no SA exists yet") })
    }
}
