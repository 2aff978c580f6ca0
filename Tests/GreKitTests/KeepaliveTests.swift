import Testing
import CMnl
import KernelHeaderValues
@testable import GreKit

private let siteA = IPAddress("198.51.100.1")!
private let siteB = IPAddress("198.51.100.2")!

/// A tunnel's options from `link add` words, for targets built as from a real tunnel.
private func greOptions(_ text: String) throws -> GreOptions {
    try #require(try linkAdd("t type gre remote 198.51.100.2 local 198.51.100.1 " + text).options as? GreOptions)
}

/// The bytes of `packet` as the peer's kernel receives them: an outer IPv4 header
/// local -> remote added, as our raw socket's kernel does.
private func onTheWire(_ packet: [UInt8], from source: IPAddress, to destination: IPAddress) -> [UInt8] {
    guard case .v4(let from) = source, case .v4(let to) = destination else { return [] }
    var header: [UInt8] = []
    KeepalivePacket.appendIPv4Header(to: &header, source: from, destination: to, identification: 7, payloadLength: packet.count)
    header[8] = 64
    InternetChecksum.fill(&header, over: 0..<20, at: 10)
    return header + packet
}

/// What comes back when a router (our responder) reflects `packet`.
private func reflected(_ packet: [UInt8], _ target: KeepaliveTarget) throws -> ReflectedKeepalive {
    let wire = onTheWire(packet, from: target.local, to: target.remote)
    let reflection = try #require(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0) })
    return try #require(reflection.packet.withUnsafeBytes { ReflectedKeepalive(ipv4: $0) })
}

@Suite struct KeepalivePacketTests {
    // Expected bytes computed independently (Python struct + RFC 1071 checksum).

    @Test func withoutKeyAsCiscoSendsIt() {
        let packet = KeepalivePacket.encode(KeepaliveTarget(local: siteA, remote: siteB), nonce: 0x1234)
        #expect(hex(packet) == "00000800" + "4500001812340000ff2f5518c6336402c6336401" + "00000000")
        // Field by field: outer GRE no flags, protocol IPv4; inner IPv4 remote -> local,
        // TTL 255, protocol 47, identification = nonce; inner GRE protocol type 0.
        #expect(packet[0...1] == [0, 0] && packet[2...3] == [0x08, 0x00])
        #expect(packet[4] == 0x45 && packet[12] == 255 && packet[13] == 47)
        #expect(packet[8...9] == [0x12, 0x34])
        #expect(packet[16...19] == [198, 51, 100, 2] && packet[20...23] == [198, 51, 100, 1])
        #expect(packet[24...27] == [0, 0, 0, 0])
    }

    /// A batch encodes its keepalives through one buffer, each behind what the buffer
    /// holds (the outer IP header, when the watcher writes it): each comes out as it
    /// would alone, its checksums over its own bytes.
    @Test func keepalivesEncodedThroughOneBuffer() throws {
        let plain = KeepaliveTarget(local: siteA, remote: siteB)
        let longest = KeepaliveTarget(options: try greOptions("csum key 42 seq"), local: IPAddress("2001:db8::1")!,
                                      remote: IPAddress("2001:db8::2")!)
        var buffer: [UInt8] = []
        KeepalivePacket.encode(longest, nonce: 0xabcde, sequence: 9, appendingTo: &buffer)
        #expect(buffer == KeepalivePacket.encode(longest, nonce: 0xabcde, sequence: 9) && buffer.count == KeepalivePacket.maximumLength)
        let header: [UInt8] = Array(repeating: 0xee, count: 20)
        buffer = header
        KeepalivePacket.encode(longest, nonce: 0xabcde, sequence: 9, appendingTo: &buffer)
        #expect(buffer == header + KeepalivePacket.encode(longest, nonce: 0xabcde, sequence: 9))
        buffer = header
        KeepalivePacket.encode(plain, nonce: 0x1234, sequence: 0, appendingTo: &buffer)
        #expect(buffer == header + KeepalivePacket.encode(plain, nonce: 0x1234))
    }

    @Test func keyedBothWays() throws {
        let target = KeepaliveTarget(options: try greOptions("key 42"), local: siteA, remote: siteB)
        #expect(target == KeepaliveTarget(local: siteA, remote: siteB, key: 42))
        #expect(hex(KeepalivePacket.encode(target, nonce: 0x1234))
            == "200008000000002a" + "4500001c12340000ff2f5514c6336402c6336401" + "200000000000002a")
    }

    @Test func outputKeyOutsideInputKeyInside() throws {
        let target = KeepaliveTarget(options: try greOptions("ikey 5 okey 6"), local: siteA, remote: siteB)
        let packet = KeepalivePacket.encode(target, nonce: 0x1234)
        #expect(hex(packet) == "2000080000000006" + "4500001c12340000ff2f5514c6336402c6336401" + "2000000000000005")
        #expect(target.replyFlow == GreFlow(source: siteB, destination: siteA, key: 5))
    }

    @Test func checksumAndSequenceAsTheTunnelSends() throws {
        let target = KeepaliveTarget(options: try greOptions("csum oseq"), local: siteA, remote: siteB)
        #expect(target.outputFlags == [.checksum, .sequence] && target.inputFlags == .checksum)
        let packet = KeepalivePacket.encode(target, nonce: 0x1234, sequence: 7)
        #expect(hex(packet) == "9000080067f8000000000007" + "4500001c12340000ff2f5514c6336402c6336401" + "800000007fff0000")
        // A checksum over data that includes it sums to zero: outer GRE over everything,
        // inner GRE over its own header.
        #expect(InternetChecksum.compute(packet) == 0)
        #expect(InternetChecksum.compute(Array(packet[32...])) == 0)
        #expect(InternetChecksum.compute(Array(packet[12..<32])) == 0, "inner IPv4 header checksum")
    }

    @Test func ipv6CarriesTheNonceInTheFlowLabel() {
        let local = IPAddress("2001:db8::1")!, remote = IPAddress("2001:db8::2")!
        let target = KeepaliveTarget(local: local, remote: remote, key: 9)
        let packet = KeepalivePacket.encode(target, nonce: 0xabcde)
        #expect(hex(packet) == "200086dd00000009"
            + "600abcde00082fff" + "20010db8000000000000000000000002" + "20010db8000000000000000000000001"
            + "2000000000000009")
        #expect(target.nonceLimit == 0xF_FFFF)
    }

    @Test func hopLimitFollowsTheTunnel() throws {
        #expect(KeepaliveTarget(options: try greOptions(""), local: siteA, remote: siteB).hopLimit == 255, "ttl inherit")
        #expect(KeepaliveTarget(options: try greOptions("ttl 64"), local: siteA, remote: siteB).hopLimit == 64)
    }

    @Test func markDeviceAndTOSFollowTheTunnel() throws {
        func path(_ text: String) throws -> OuterPath {
            KeepaliveTarget(options: try greOptions(text), local: siteA, remote: siteB).path
        }
        #expect(try path("fwmark 42 tos 0x28 dev eth0") == OuterPath(mark: 42, interface: 5, tos: 0x28))
        #expect(try path("") == OuterPath())
        #expect(try path("tos inherit") == OuterPath(), "a keepalive's inner TOS is 0")
        #expect(KeepaliveTarget(local: siteA, remote: siteB, key: 1).path == OuterPath())
        let local = IPAddress("2001:db8::1")!, remote = IPAddress("2001:db8::2")!
        func path6(_ text: String) throws -> OuterPath {
            let options = try #require(try linkAdd("t type ip6gre remote 2001:db8::2 local 2001:db8::1 " + text).options as? GreOptions)
            return KeepaliveTarget(options: options, local: local, remote: remote).path
        }
        #expect(try path6("tclass 0x28 fwmark 9 dev va") == OuterPath(mark: 9, interface: 7, tos: 0x28))
        #expect(try path6("tclass inherit fwmark inherit") == OuterPath())
    }
}

/// A hub's IPv4 keepalives leave behind a header the watcher writes, through a raw IP
/// socket bound to their source (`GreSocket.writeOwnHeaders`).
@Suite struct OwnHeaderTests {
    private func control(_ outgoing: GreSocket.Outgoing) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: GreSocket.controlSpace, alignment: 8)
        defer { buffer.deallocate() }
        var writer = ControlMessages(buffer: buffer)
        GreSocket.writeControlMessages(behindOwnHeader: outgoing, into: &writer)
        return hex(buffer[..<writer.length])
    }

    /// A plain target's keepalive names its protocol and nothing else (its source is the
    /// socket's): 24 bytes, within the kernel's 36 on the stack.
    @Test func aPlainKeepaliveNamesItsProtocolAlone() {
        let plain = GreSocket.Outgoing(keepalive: KeepaliveTarget(local: siteA, remote: siteB), nonce: 7, sequence: 0)
        let protocolMessage = "1400000000000000" + "00000000" + "34000000" + "2f000000" + "00000000"  // IP_PROTOCOL 47
        #expect(control(plain) == protocolMessage)
        #expect(control(plain).count / 2 <= 36)
        var tunnel = plain
        tunnel.path = OuterPath(mark: 42, interface: 5, tos: 0x28)
        #expect(control(tunnel) == protocolMessage
            + "1c00000000000000" + "00000000" + "08000000" + "05000000" + "c6336401" + "00000000" + "00000000"  // IP_PKTINFO
            + "1400000000000000" + "00000000" + "01000000" + "28000000" + "00000000"  // IP_TOS 0x28
            + "1400000000000000" + "01000000" + "24000000" + "2a000000" + "00000000")  // SO_MARK 42
        #expect(Int32(MSG_PROBE) == Int32(MSG_PROXY))
    }

    /// The header is the kernel's own for the tunnel: its TOS and hop limit, GRE, DF,
    /// the keepalive behind it as the kernel's header would have it.
    @Test func theHeaderIsTheKernels() throws {
        let target = KeepaliveTarget(options: try greOptions("csum key 42"), local: siteA, remote: siteB)
        var outgoing = GreSocket.Outgoing(keepalive: target, nonce: 0x1234, sequence: 0)
        outgoing.hopLimit = 64
        outgoing.path = OuterPath(tos: 0x28)
        var packet: [UInt8] = [0xee]
        GreSocket.append(outgoing, behindOwnHeaderTo: &packet)
        // Version 4, 20 bytes, TOS 0x28, length and checksum left to the kernel,
        // identification 0, DF, TTL 64, GRE, A -> B.
        #expect(hex(packet[..<21]) == "ee" + "4528001400004000402f0000c6336401c6336402")
        #expect(Array(packet[21...]) == KeepalivePacket.encode(target, nonce: 0x1234))
    }
}

@Suite struct KeepaliveControlMessageTests {
    /// The control messages of `outgoing`, as sendmmsg reads them (x86-64: a 16-byte
    /// cmsghdr of length, level and type, then the data padded to 8 bytes).
    private func control(_ outgoing: GreSocket.Outgoing, socketHopLimit: UInt8? = nil) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: GreSocket.controlSpace, alignment: 8)
        defer { buffer.deallocate() }
        var writer = ControlMessages(buffer: buffer)
        GreSocket.writeControlMessages(for: outgoing, socketHopLimit: socketHopLimit, into: &writer)
        return hex(buffer[..<writer.length])
    }

    /// A packet with the socket's hop limit says none: its packet information alone fits
    /// the kernel's 36 bytes on the stack (no buffer allocated for each packet).
    @Test func theSocketsHopLimitIsNotRepeated() {
        let ipv4 = GreSocket.Outgoing(packet: [], source: siteA, destination: siteB, hopLimit: 255)
        let pktinfo = "1c00000000000000" + "00000000" + "08000000" + "00000000" + "c6336401" + "00000000" + "00000000"
        #expect(control(ipv4, socketHopLimit: 255) == pktinfo)
        #expect(control(ipv4, socketHopLimit: 255).count / 2 <= 36)
        #expect(control(ipv4, socketHopLimit: 64)
            == pktinfo + "1400000000000000" + "00000000" + "02000000" + "ff000000" + "00000000")  // IP_TTL 255
        let ipv6 = GreSocket.Outgoing(packet: [], source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::2")!,
                                      hopLimit: 64)
        #expect(control(ipv6, socketHopLimit: 64)
            == "2400000000000000" + "29000000" + "32000000" + "20010db8000000000000000000000001" + "00000000" + "00000000")
    }

    @Test func ipv4SourceHopLimitDeviceTOSAndMark() {
        let plain = GreSocket.Outgoing(packet: [], source: siteA, destination: siteB, hopLimit: 64)
        let pktinfo = "1c00000000000000" + "00000000" + "08000000"  // IPPROTO_IP, IP_PKTINFO
        let ttl = "1400000000000000" + "00000000" + "02000000" + "40000000" + "00000000"  // IP_TTL 64
        #expect(control(plain) == pktinfo + "00000000" + "c6336401" + "00000000" + "00000000" + ttl)
        var tunnel = plain
        tunnel.path = OuterPath(mark: 42, interface: 5, tos: 0x28)
        #expect(control(tunnel) == pktinfo + "05000000" + "c6336401" + "00000000" + "00000000" + ttl
            + "1400000000000000" + "00000000" + "01000000" + "28000000" + "00000000"  // IP_TOS 0x28
            + "1400000000000000" + "01000000" + "24000000" + "2a000000" + "00000000")  // SOL_SOCKET, SO_MARK 42
    }

    @Test func ipv6SourceHopLimitDeviceTrafficClassAndMark() {
        let outgoing = GreSocket.Outgoing(packet: [], source: IPAddress("2001:db8::1")!, destination: IPAddress("2001:db8::2")!,
                                          hopLimit: 64, path: OuterPath(mark: 42, interface: 7, tos: 0x28))
        #expect(control(outgoing)
            == "2400000000000000" + "29000000" + "32000000" + "20010db8000000000000000000000001" + "07000000" + "00000000"  // IPV6_PKTINFO
            + "1400000000000000" + "29000000" + "34000000" + "40000000" + "00000000"  // IPV6_HOPLIMIT 64
            + "1400000000000000" + "29000000" + "43000000" + "28000000" + "00000000"  // IPV6_TCLASS 0x28
            + "1400000000000000" + "01000000" + "24000000" + "2a000000" + "00000000")  // SO_MARK 42
    }
}

/// The responder's reflections name their protocol and source, so that the IPsec
/// policies for GRE select them as they select the tunnel's own packets.
@Suite struct ReflectionSocketTests {
    private func control(source: IPAddress?, protocolNumber: UInt8?) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: RawPacketSocket.controlSpace, alignment: 8)
        defer { buffer.deallocate() }
        var writer = ControlMessages(buffer: buffer)
        RawPacketSocket.writeControlMessages(source: source, protocolNumber: protocolNumber, into: &writer)
        return hex(buffer[..<writer.length])
    }

    @Test func ipv4NamesItsProtocolInAControlMessage() throws {
        // A reflection as the responder sends it: B -> A, GRE.
        let packet = KeepalivePacket.encode(KeepaliveTarget(local: siteA, remote: siteB), nonce: 7)
        let reflected = Array(packet[4...])  // after the outer GRE header
        let (source, protocolNumber) = try #require(RawPacketSocket.sourceAndProtocol(of: reflected))
        #expect(source == siteB && protocolNumber == 47)
        let pktinfo = "1c00000000000000" + "00000000" + "08000000" + "00000000" + "c6336402" + "00000000" + "00000000"
        #expect(control(source: source, protocolNumber: 47)
            == pktinfo + "1400000000000000" + "00000000" + "34000000" + "2f000000" + "00000000")  // IP_PROTOCOL 47
        // A kernel that refused the protocol: the source alone.
        #expect(control(source: source, protocolNumber: nil) == pktinfo)
        #expect(RawPacketSocket.address(siteA, protocolNumber: 47).inet?.sin_port == 0)
        #expect(Int32(IP_PROTOCOL) == kernel_ip_protocol())
    }

    @Test func ipv6NamesItsProtocolInTheDestinationsPort() throws {
        let local = IPAddress("2001:db8::1")!, remote = IPAddress("2001:db8::2")!
        let packet = KeepalivePacket.encode(KeepaliveTarget(local: local, remote: remote), nonce: 7)
        let reflected = Array(packet[4...])
        let (source, protocolNumber) = try #require(RawPacketSocket.sourceAndProtocol(of: reflected))
        #expect(source == remote && protocolNumber == 47)
        #expect(RawPacketSocket.address(local, protocolNumber: 47).inet6?.sin6_port == UInt16(47).bigEndian)
        #expect(RawPacketSocket.address(local, protocolNumber: nil).inet6?.sin6_port == 0)
        #expect(control(source: source, protocolNumber: 47)
            == "2400000000000000" + "29000000" + "32000000" + "20010db8000000000000000000000002" + "00000000" + "00000000")  // IPV6_PKTINFO
        #expect(RawPacketSocket.sourceAndProtocol(of: [0x45, 0, 0]) == nil)
    }
}

/// What `keepalive probe` makes of the ICMP errors that came back instead of replies.
@Suite struct ProbeCauseTests {
    private func icmp(_ type: UInt8, _ code: UInt8, v6: Bool = false) -> QueuedError {
        QueuedError(errno: .connectionRefused, origin: v6 ? .icmp6 : .icmp, type: type, code: code, info: 0)
    }

    @Test func thePeersUnreachableMeansNoMatchingTunnel() {
        #expect(KeepalivePing.Cause([icmp(3, 3)]) == .noMatchingTunnel(icmp(3, 3)))
        #expect(KeepalivePing.Cause([icmp(3, 2)]) == .noMatchingTunnel(icmp(3, 2)))
        #expect(KeepalivePing.Cause([icmp(1, 4, v6: true)]) == .noMatchingTunnel(icmp(1, 4, v6: true)))
        #expect(KeepalivePing.Cause([icmp(4, 1, v6: true)]) == .noMatchingTunnel(icmp(4, 1, v6: true)))
    }

    @Test func filtersRoutersAndSilence() {
        #expect(KeepalivePing.Cause([]) == .silence)
        #expect(KeepalivePing.Cause([icmp(3, 13)]) == .filtered(icmp(3, 13)))
        #expect(KeepalivePing.Cause([icmp(1, 1, v6: true)]) == .filtered(icmp(1, 1, v6: true)))
        #expect(KeepalivePing.Cause([icmp(3, 1)]) == .unreachable(icmp(3, 1)))
        #expect(KeepalivePing.Cause([icmp(11, 0)]) == .unreachable(icmp(11, 0)))
        // Too big says nothing about reach; the latest telling error wins.
        #expect(KeepalivePing.Cause([icmp(3, 4), icmp(2, 0, v6: true)]) == .silence)
        #expect(KeepalivePing.Cause([icmp(3, 1), icmp(3, 3), icmp(3, 4)]) == .noMatchingTunnel(icmp(3, 3)))
    }
}

@Suite struct KeepaliveReplyTests {
    private let target = KeepaliveTarget(local: siteA, remote: siteB, key: 42)

    @Test func aReflectedKeepaliveComesBackAsSent() throws {
        let reply = try reflected(KeepalivePacket.encode(target, nonce: 0x1234), target)
        #expect(reply == ReflectedKeepalive(flow: target.replyFlow, nonce: 0x1234, hopLimit: 254))
    }

    @Test func theResponderReflectsOnlyKeepalivesBackToTheirSender() throws {
        // Data (an inner packet that is not GRE protocol type 0) is not reflected.
        var data = KeepalivePacket.encode(target, nonce: 1)
        data[data.count - 6] = 0x08  // inner GRE protocol type 0x0800
        #expect(onTheWire(data, from: siteA, to: siteB).withUnsafeBytes { KeepaliveReflection(ipv4: $0) } == nil)
        // An inner packet toward a third address is not relayed.
        let elsewhere = KeepaliveTarget(local: IPAddress("203.0.113.9")!, remote: siteB, key: 42)
        let relay = onTheWire(KeepalivePacket.encode(elsewhere, nonce: 1), from: siteA, to: siteB)
        #expect(relay.withUnsafeBytes { KeepaliveReflection(ipv4: $0) } == nil)
        // A corrupted outer checksum is refused.
        let checked = KeepaliveTarget(options: try greOptions("csum"), local: siteA, remote: siteB)
        var wire = onTheWire(KeepalivePacket.encode(checked, nonce: 1), from: siteA, to: siteB)
        #expect(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0) } != nil)
        wire[wire.count - 1] ^= 0xff
        #expect(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0) } == nil)
    }

    @Test func aPeerBehindNATIsAnsweredBackAlongItsPathWhenAsked() throws {
        // A MikroTik behind a NAT: its keepalive says "reply to 10.0.0.1" (its own
        // address), and the NAT wrote its public address, siteA, as the outer source.
        let privateAddress = IPAddress("10.0.0.1")!
        let peer = KeepaliveTarget(local: privateAddress, remote: siteB, key: 42)
        let wire = onTheWire(KeepalivePacket.encode(peer, nonce: 0x4321), from: siteA, to: siteB)
        #expect(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0) } == nil, "not without accept nat")
        let reflection = try #require(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0, acceptingNAT: true) })
        #expect(reflection.destination == siteA)
        #expect(reflection.translated == KeepaliveReflection.InnerAddresses(source: siteB, destination: privateAddress))
        let sent = try #require(reflection.packet.withUnsafeBytes { IPv4Header($0) }, "a valid header, its checksum computed again")
        #expect(sent.source == IPv4Address(UInt32(0xc633_6402)) && sent.destination == IPv4Address(UInt32(0xc633_6401)))
        #expect(sent.timeToLive == 254)
        // The NAT gives the reply the private address back: the peer counts it.
        var delivered = reflection.packet
        IPv4Header.readdress(&delivered, source: sent.source, destination: IPv4Address(UInt32(0x0a00_0001)))
        InternetChecksum.fill(&delivered, over: 0..<20, at: IPv4Header.checksumOffset)
        let reply = try #require(delivered.withUnsafeBytes { ReflectedKeepalive(ipv4: $0) })
        #expect(reply == ReflectedKeepalive(flow: peer.replyFlow, nonce: 0x4321, hopLimit: 254))
        // A keepalive whose addresses agree is reflected as before, nothing readdressed.
        let plain = onTheWire(KeepalivePacket.encode(target, nonce: 1), from: siteA, to: siteB)
        let unchanged = try #require(plain.withUnsafeBytes { KeepaliveReflection(ipv4: $0, acceptingNAT: true) })
        #expect(unchanged.translated == nil && unchanged == plain.withUnsafeBytes { KeepaliveReflection(ipv4: $0) })
    }

    @Test func aNATOnThisSideIsAnsweredFromTheAddressItCameTo() throws {
        // This host is 10.1.0.2 behind a 1:1 NAT; the peer knows it as siteB. The reply
        // leaves from 10.1.0.2 (the NAT writes siteB again), never from an address of another.
        let here = IPAddress("10.1.0.2")!
        let wire = onTheWire(KeepalivePacket.encode(target, nonce: 9), from: siteA, to: here)
        #expect(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0) } == nil)
        let reflection = try #require(wire.withUnsafeBytes { KeepaliveReflection(ipv4: $0, acceptingNAT: true) })
        let sent = try #require(reflection.packet.withUnsafeBytes { IPv4Header($0) })
        #expect(IPAddress.v4(sent.source) == here && IPAddress.v4(sent.destination) == siteA)
        #expect(reflection.translated == KeepaliveReflection.InnerAddresses(source: siteB, destination: siteA))
    }

    @Test func anIPv6PeerBehindNPTIsReadressedToo() throws {
        let (inside, outside, hub) = (IPAddress("2001:db8:1::1")!, IPAddress("2001:db8:2::1")!, IPAddress("2001:db8:9::1")!)
        let peer = KeepaliveTarget(local: inside, remote: hub)
        let packet = KeepalivePacket.encode(peer, nonce: 0x12345)
        #expect(packet.withUnsafeBytes { KeepaliveReflection(ipv6: $0, source: outside, destination: hub) } == nil)
        let reflection = try #require(packet.withUnsafeBytes {
            KeepaliveReflection(ipv6: $0, source: outside, destination: hub, acceptingNAT: true)
        })
        let sent = try #require(reflection.packet.withUnsafeBytes { IPv6Header($0) })
        #expect(sent.source == hub && sent.destination == outside && sent.hopLimit == 254 && sent.flowLabel == 0x12345)
        #expect(reflection.translated == KeepaliveReflection.InnerAddresses(source: hub, destination: inside))
    }

    @Test func repliesAreMatchedToTheirProbes() throws {
        var monitor = KeepaliveMonitor(timing: KeepaliveTiming(interval: 1_000, retries: 3), members: 1)
        monitor.activate(0, target: target, at: 0)
        let send = try #require(monitor.due(at: 0).first)
        let good = try reflected(KeepalivePacket.encode(target, nonce: send.nonce), target)
        #expect(monitor.reply(good, at: 10)?.outcome == .answered(roundTrip: 10, change: .up))
        #expect(monitor.reply(good, at: 20)?.outcome == .duplicate)
        var forged = good
        forged.nonce = send.nonce == 1 ? 2 : 1
        #expect(monitor.reply(forged, at: 20)?.outcome == .unknown, "a nonce never sent")
        var wrongKey = good
        wrongKey.flow.key = 43
        #expect(monitor.reply(wrongKey, at: 20) == nil)
        var unkeyed = good
        unkeyed.flow.key = nil
        #expect(monitor.reply(unkeyed, at: 20) == nil)
        var wrongSource = good
        wrongSource.flow.source = IPAddress("198.51.100.3")!
        #expect(monitor.reply(wrongSource, at: 20) == nil)
        var wrongDestination = good
        wrongDestination.flow.destination = IPAddress("198.51.100.3")!
        #expect(monitor.reply(wrongDestination, at: 20) == nil)
    }

    @Test func staleRepliesCountForNothing() {
        var probe = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 1_000, retries: 3))
        _ = probe.recordSend(nonce: 7, at: 0)
        #expect(probe.recordReply(nonce: 7, at: 4_001) == .stale)
        #expect(probe.state == .unknown && probe.unanswered == 1 && probe.received == 0)
        _ = probe.recordSend(nonce: 8, at: 1_000)
        #expect(probe.recordReply(nonce: 8, at: 5_000) == .answered(roundTrip: 4_000, change: .up), "within the window")
    }
}

@Suite struct KeepaliveStateMachineTests {
    private let timing = KeepaliveTiming(interval: 100, retries: 3)

    @Test func ciscoTransitions() {
        var probe = KeepaliveStateMachine(timing: timing)
        #expect(probe.state == .unknown)
        #expect(probe.recordSend(nonce: 1, at: 0) == nil)
        #expect(probe.recordReply(nonce: 1, at: 5) == .answered(roundTrip: 5, change: .up))
        #expect(probe.state == .up && probe.unanswered == 0)
        // Three unanswered keepalives keep it up; the fourth takes it down.
        for (step, nonce) in [2, 3, 4].enumerated() {
            #expect(probe.recordSend(nonce: UInt32(nonce), at: Int64(100 * (step + 1))) == nil)
        }
        #expect(probe.state == .up && probe.unanswered == 3)
        #expect(probe.recordSend(nonce: 5, at: 400) == .down)
        #expect(probe.state == .down && probe.unanswered == 4)
        // While down it keeps probing, and says down only once.
        #expect(probe.recordSend(nonce: 6, at: 500) == nil)
        #expect(probe.unanswered == 5 && probe.sent == 6)
        // Any reply of the window brings it up, even one to an earlier probe.
        #expect(probe.recordReply(nonce: 5, at: 520) == .answered(roundTrip: 120, change: .up))
        #expect(probe.state == .up && probe.unanswered == 0 && probe.received == 2)
        #expect(probe.recordReply(nonce: 6, at: 530) == .answered(roundTrip: 30, change: nil))
    }

    @Test func aPeerThatNeverAnswersIsDownAfterRetriesPlusOne() {
        var probe = KeepaliveStateMachine(timing: timing)
        let changes = (1...5).map { probe.recordSend(nonce: UInt32($0), at: Int64($0) * 100) }
        #expect(changes == [nil, nil, nil, .down, nil])
    }

    /// A simulated network: the peer answers after `latency` until the path is cut at
    /// `cut`. The watcher must say down within interval x (retries + 1) of the cut,
    /// wherever the cut falls between keepalives.
    @Test(arguments: [0, 1, 37, 50, 99] as [Int64])
    func detectionIsBoundedByTheRetryWindow(phase: Int64) throws {
        let timing = KeepaliveTiming(interval: 100_000_000, retries: 3)  // 0.1 s, as the bench
        let latency: Int64 = 300_000
        let target = KeepaliveTarget(local: siteA, remote: siteB)
        var monitor = KeepaliveMonitor(timing: timing, members: 1)
        monitor.activate(0, target: target, at: 0)
        let cut = 1_000_000_000 + phase * 1_000_000
        var inFlight: [(arrival: Int64, nonce: UInt32)] = []
        var wentDown: Int64?
        var now: Int64 = 0
        while now < 3_000_000_000, wentDown == nil {
            for send in monitor.due(at: now) {
                if now < cut { inFlight.append((now + latency, send.nonce)) }
                if send.change == .down { wentDown = now }
            }
            for reply in inFlight where reply.arrival <= now {
                let packet = ReflectedKeepalive(flow: target.replyFlow, nonce: reply.nonce, hopLimit: 254)
                _ = monitor.reply(packet, at: now)
            }
            inFlight.removeAll { $0.arrival <= now }
            now += 1_000_000  // the loop wakes at least once a millisecond here
        }
        let down = try #require(wentDown)
        #expect(monitor.members[0].stateMachine.state == .down)
        #expect(down - cut <= timing.interval * Int64(timing.retries + 1), "took \(down - cut) ns")
        #expect(down - cut >= timing.interval * Int64(timing.retries) - latency, "not before retries keepalives were lost")
    }

    @Test func aDeactivatedMemberSendsNothingAndAReactivatedOneStartsOver() throws {
        let target = KeepaliveTarget(local: siteA, remote: siteB)
        var monitor = KeepaliveMonitor(timing: timing, members: 1)
        monitor.activate(0, target: target, at: 0)
        #expect(monitor.due(at: 0).count == 1)
        monitor.deactivate(0)
        #expect(monitor.due(at: 1_000).isEmpty)
        monitor.activate(0, target: target, at: 2_000, delay: 50)
        #expect(monitor.due(at: 2_000).isEmpty)
        #expect(monitor.due(at: 2_050).map(\.member) == [0])
        #expect(monitor.members[0].stateMachine.sent == 1, "counters start over")
    }

    /// Timers within the slack of the earliest go with it, and no sooner: a wake-up
    /// before the earliest is due (for replies) sends nothing.
    @Test func keepalivesGoInBatchesOfTheSlack() {
        var monitor = KeepaliveMonitor(timing: KeepaliveTiming(interval: 1_000, retries: 3), members: 3)
        #expect(monitor.slack == 50)
        for (member, delay) in [0, 30, 60].enumerated() {
            monitor.activate(member, target: KeepaliveTarget(local: siteA, remote: IPAddress("198.51.100.\(member + 2)")!), at: 0, delay: Int64(delay))
        }
        #expect(monitor.due(at: 0).map(\.member) == [0, 1])
        #expect(monitor.due(at: 20).isEmpty)
        #expect(monitor.due(at: 60).map(\.member) == [2])
        #expect(monitor.nextDeadline == 1_000)
    }

    @Test func sequenceNumbersCountPerTarget() {
        var monitor = KeepaliveMonitor(timing: timing, members: 2)
        monitor.activate(0, target: KeepaliveTarget(local: siteA, remote: siteB), at: 0)
        monitor.activate(1, target: KeepaliveTarget(local: siteA, remote: IPAddress("198.51.100.3")!), at: 0, delay: 10)
        let sends = (0..<3).flatMap { monitor.due(at: Int64($0) * 100 + 10) }
        #expect(sends.map(\.member) == [0, 1, 0, 1, 0, 1])
        #expect(sends.map(\.sequence) == [1, 1, 2, 2, 3, 3])
    }
}

@Suite struct TimerQueueTests {
    @Test func earliestFirstAndFIFOOnTies() {
        var queue = TimerQueue<String>()
        for (name, deadline) in [("c", 30), ("a", 10), ("d", 30), ("b", 20), ("e", 5), ("f", 30)] as [(String, Int64)] {
            queue.schedule(name, at: deadline)
        }
        #expect(queue.nextDeadline == 5)
        #expect(queue.popDue(at: 4) == nil)
        var order: [String] = []
        while let (_, name) = queue.popDue(at: 100) { order.append(name) }
        #expect(order == ["e", "a", "b", "c", "d", "f"])
        #expect(queue.isEmpty)
    }

    @Test func manyTimersComeOutSorted() {
        var queue = TimerQueue<Int>()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<2000).map { _ in Int64.random(in: 0..<1_000_000, using: &generator) }
        for (index, deadline) in deadlines.enumerated() { queue.schedule(index, at: deadline) }
        var popped: [Int64] = []
        while let (deadline, _) = queue.popDue(at: .max) { popped.append(deadline) }
        #expect(popped == deadlines.sorted())
    }

    /// A hub's pattern (each timer set again one interval after it fell due) mixed with
    /// timers set out of order, some on the same deadlines: every pop is the earliest,
    /// the first added of equals, as a sorted list of everything set says.
    @Test func periodicAndOutOfOrderTimersComeOutAsOneSortedList() {
        var queue = TimerQueue<Int>()
        var reference: [(deadline: Int64, order: Int)] = []
        var added = 0
        func schedule(at deadline: Int64) {
            queue.schedule(added, at: deadline)
            reference.append((deadline, added))
            added += 1
        }
        for member in 0..<300 { schedule(at: Int64(member % 100) * 10) }
        var generator = SystemRandomNumberGenerator()
        var now: Int64 = 0
        while now < 4_000 {
            now += Int64.random(in: 1...70, using: &generator)
            while let (deadline, order) = queue.popDue(at: now) {
                let expected = reference.indices.min { (reference[$0].deadline, reference[$0].order) < (reference[$1].deadline, reference[$1].order) }!
                #expect(deadline == reference[expected].deadline && order == reference[expected].order)
                reference.remove(at: expected)
                schedule(at: max(deadline + 1_000, now))
                // On the tens, as the periodic ones mostly are: many equal deadlines.
                if order % 7 == 0 { schedule(at: now / 10 * 10 + 10 * Int64.random(in: 0...100, using: &generator)) }
            }
            #expect(queue.nextDeadline == reference.map(\.deadline).min())
        }
        #expect(!queue.isEmpty)
    }
}

@Suite struct KeepaliveWordTests {
    @Test func watchDefaultsAreCisco() throws {
        let request = try KeepaliveWatchRequest.parse(words("gre1 gre2"))
        #expect(request.subjects == [.tunnel(try InterfaceName("gre1")), .tunnel(try InterfaceName("gre2"))])
        #expect(request.timing == KeepaliveTiming(interval: 10_000_000_000, retries: 3))
        #expect(request.action == .routes)
    }

    @Test func watchTakesEveryWord() throws {
        var callers: [String] = []
        let request = try KeepaliveWatchRequest.parse(
            ["gre1", "interval", "0.1", "retries", "5", "-x", "action", "link", "on-down", "-x", "on-up", "true", "-y"]
        ) { word in
            callers.append(word)
            return word.hasPrefix("-")
        }
        #expect(request.timing == KeepaliveTiming(interval: 100_000_000, retries: 5))
        #expect(request.action == .link && request.onDown == "-x" && request.onUp == "true")
        // The caller is asked about the words the grammar does not know, never about a value.
        #expect(callers == ["gre1", "-x", "-y"])
        #expect(request.subjects == [.tunnel(try InterfaceName("gre1"))])
    }

    @Test func penalizeAndExplicitTargetsStandingForADevice() throws {
        let request = try KeepaliveWatchRequest.parse(words(
            "local 198.51.100.1 remote 10.200.0.1 tunnel v1 local 198.51.100.1 remote 10.200.0.2 action penalize 100"))
        #expect(request.action == .penalize && request.penalty == 100)
        #expect(request.subjects == [.explicitFor(KeepaliveTarget(local: siteA, remote: IPAddress("10.200.0.1")!), tunnel: try InterfaceName("v1")),
                                     .explicit(KeepaliveTarget(local: siteA, remote: IPAddress("10.200.0.2")!))])
        #expect(request.subjects.map(\.name) == ["v1", "10.200.0.2"])
        #expect(request.subjects.map(\.device) == [try InterfaceName("v1"), nil])
        // Only watch acts on a device.
        #expect(throws: InvalidArgument("keepalive probe checks one tunnel at a time (got 3)")) {
            try KeepaliveProbeRequest.parse(words("local 198.51.100.1 remote 10.200.0.1 tunnel v1"))
        }
        #expect(try KeepaliveRestoreRequest.parse(words("gre1 -j")) { $0 == "-j" } == KeepaliveRestoreRequest(tunnel: try InterfaceName("gre1")))
        #expect(throws: InvalidArgument("keepalive restore takes one tunnel at a time (gre2 is a second)")) {
            try KeepaliveRestoreRequest.parse(words("gre1 gre2"))
        }
    }

    @Test func explicitTargets() throws {
        let request = try KeepaliveWatchRequest.parse(words(
            "local 198.51.100.1 remote 198.51.100.2 key 7 local 198.51.100.1 remote 198.51.100.3 gre1"))
        #expect(request.subjects.map(\.name) == ["198.51.100.2#7", "198.51.100.3", "gre1"])
        #expect(request.subjects[0] == .explicit(KeepaliveTarget(local: siteA, remote: siteB, key: 7)))
        let probe = try KeepaliveProbeRequest.parse(words("local 2001:db8::1 remote 2001:db8::2 count 2 timeout 0.5"))
        #expect(probe.subject == .explicit(KeepaliveTarget(local: IPAddress("2001:db8::1")!, remote: IPAddress("2001:db8::2")!)))
        #expect(probe.count == 2 && probe.timeout == 500_000_000)
    }

    @Test(arguments: [
        ("gre1 interval 0", #"invalid interval "0": expected seconds from 0.1 to 32767"#),
        ("gre1 interval 0.05", #"invalid interval "0.05": expected seconds from 0.1 to 32767"#),
        ("gre1 interval ten", #"invalid interval "ten": expected seconds from 0.1 to 32767"#),
        ("gre1 interval 1e3", #"invalid interval "1e3": expected seconds from 0.1 to 32767"#),
        ("gre1 interval", #""interval" needs a value"#),
        ("gre1 retries 0", #"invalid retries "0": expected a number 1..255"#),
        ("gre1 retries 256", #"invalid retries "256": expected a number 1..255"#),
        ("gre1 action shutdown", #"invalid action "shutdown": expected routes, link, penalize METRIC or none"#),
        ("gre1 action penalize", #""penalize" needs a value"#),
        ("gre1 action penalize 0", #"invalid penalize "0": expected a number 1..4294967295"#),
        ("local 198.51.100.1 remote 198.51.100.2 tunnel va gre1 va", "keepalive watch: va is named twice"),
        ("tunnel va", "keepalive watch: tunnel va belongs to no target: an explicit target is local ADDR remote ADDR [ key KEY ] [ tunnel DEV ]"),
        ("", "keepalive watch: no tunnel given; name one, or give local ADDR remote ADDR"),
        ("gre1 gre1", "keepalive watch: gre1 is named twice"),
        ("local 198.51.100.1", "keepalive watch: local 198.51.100.1 belongs to no target: an explicit target is local ADDR remote ADDR [ key KEY ] [ tunnel DEV ]"),
        ("local 198.51.100.1 remote 198.51.100.2 key 1 key 2", "keepalive watch: key 2 belongs to no target: an explicit target is local ADDR remote ADDR [ key KEY ] [ tunnel DEV ]"),
        ("local 198.51.100.1 remote 2001:db8::2", "keepalive watch: local 198.51.100.1 and remote 2001:db8::2 are of different address families"),
        ("local 198.51.100.1 remote 198.51.100.2 local 198.51.100.1 remote 198.51.100.2", "keepalive watch: the target 198.51.100.1 -> 198.51.100.2 is given twice"),
        ("local 198.51.100.1 remote 198.51.100.2 action routes", "action routes needs tunnel names: explicit targets are watched with action none, unless they name one (tunnel DEV)"),
        ("local 198.51.100.1 remote 198.51.100.x", #"invalid remote "198.51.100.x": expected an IPv4 or IPv6 address"#),
        ("local 198.51.100.1 remote 198.51.100.2 key -1", #"invalid key "-1": expected a number 0..4294967295 or a dotted quad"#),
        ("this-name-is-far-too-long", #"interface name "this-name-is-far-too-long" is 25 bytes long; the limit is 15"#),
    ])
    func watchRefusals(text: String, message: String) {
        #expect(throws: InvalidArgument(message)) { try KeepaliveWatchRequest.parse(words(text)) }
    }

    @Test func probeAndRespondRefusals() throws {
        #expect(throws: InvalidArgument("keepalive probe checks one tunnel at a time (got 2)")) {
            try KeepaliveProbeRequest.parse(words("gre1 gre2"))
        }
        #expect(throws: InvalidArgument(#"invalid count "0": expected a number 1..1000"#)) {
            try KeepaliveProbeRequest.parse(words("gre1 count 0"))
        }
        #expect(throws: InvalidArgument(#"invalid timeout "0": expected seconds from 0.1 to 3600"#)) {
            try KeepaliveProbeRequest.parse(words("gre1 timeout 0"))
        }
        #expect(throws: InvalidArgument("keepalive respond: gre1 is named twice")) {
            try KeepaliveRespondRequest.parse(words("gre1 gre1"))
        }
        #expect(try KeepaliveRespondRequest.parse([]).tunnels.isEmpty)
    }

    @Test func secondsReadAndWritten() throws {
        #expect(try Seconds.parse("10", for: "x", in: 0...Int64.max) == 10_000_000_000)
        #expect(try Seconds.parse("0.25", for: "x", in: 0...Int64.max) == 250_000_000)
        #expect(try Seconds.parse(".5", for: "x", in: 0...Int64.max) == 500_000_000)
        #expect(try Seconds.parse("1.000000001", for: "x", in: 0...Int64.max) == 1_000_000_001)
        #expect(throws: InvalidArgument.self) { try Seconds.parse("1.0000000001", for: "x", in: 0...Int64.max) }
        #expect(throws: InvalidArgument.self) { try Seconds.parse(".", for: "x", in: 0...Int64.max) }
        #expect(Seconds.format(100_000_000) == "0.1" && Seconds.format(10_000_000_000) == "10" && Seconds.format(1_250_000_000) == "1.25")
    }
}
