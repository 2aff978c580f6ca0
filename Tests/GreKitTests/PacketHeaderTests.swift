import Testing
import CMnl
@testable import GreKit

/// Packet headers read from bytes as a socket (or a fuzzer) hands them over, and the
/// filter that picks the packets.
@Suite struct PacketHeaderTests {
    @Test func theReplyFilterReadsGREsProtocolType() {
        func program(_ family: AddressFamily) -> [[UInt32]] {
            GreSocket.filter(family: family, acceptingOnly: 0x0800).map { [UInt32($0.code), UInt32($0.jt), UInt32($0.jf), $0.k] }
        }
        // tcpdump -dd of "ldx 4*([0]&0xf); ldh [x+2]" / "ldh [2]", then "jeq #0x800, accept, drop".
        let compare: [[UInt32]] = [[0x15, 0, 1, 0x0800], [0x06, 0, 0, 0xffff], [0x06, 0, 0, 0]]
        #expect(program(.inet) == [[0xb1, 0, 0, 0], [0x48, 0, 0, 2]] + compare)
        #expect(program(.inet6) == [[0x28, 0, 0, 2]] + compare)
    }

    @Test func anIPv6HeaderReadsBackAsWritten() throws {
        let source = IPAddress("2001:db8::2")!, destination = IPAddress("2001:db8::1")!
        var bytes: [UInt8] = []
        IPv6Header(source: source, destination: destination, nextHeader: 47, hopLimit: 255, flowLabel: 0xabcde, payloadLength: 4)
            .append(to: &bytes)
        bytes += [0, 0, 0, 0]
        #expect(bytes.count == 44 && bytes[0] >> 4 == 6)
        let header = try #require(bytes.withUnsafeBytes { IPv6Header($0) })
        #expect(header.source == source && header.destination == destination)
        #expect((header.nextHeader, header.hopLimit, header.flowLabel, header.payloadLength) == (47, 255, 0xabcde, 4))
        // A payload longer than the bytes, or not version 6: no header.
        #expect(bytes.dropLast().withUnsafeBytes { IPv6Header($0) } == nil)
        var four = bytes
        four[0] = 0x40
        #expect(four.withUnsafeBytes { IPv6Header($0) } == nil)
    }

    @Test func fragmentsAndBadChecksumsAreNoIPv4Header() {
        var bytes: [UInt8] = []
        KeepalivePacket.appendIPv4Header(to: &bytes, source: IPv4Address(1), destination: IPv4Address(2), identification: 9, payloadLength: 0)
        InternetChecksum.fill(&bytes, over: 0..<20, at: IPv4Header.checksumOffset)
        #expect(bytes.withUnsafeBytes { IPv4Header($0) }?.identification == 9)
        var fragment = bytes
        fragment[6] = 0x20  // more fragments
        InternetChecksum.fill(&fragment, over: 0..<20, at: IPv4Header.checksumOffset)
        #expect(fragment.withUnsafeBytes { IPv4Header($0) } == nil)
        var corrupt = bytes
        corrupt[15] ^= 1
        #expect(corrupt.withUnsafeBytes { IPv4Header($0) } == nil)
        #expect(bytes.dropLast().withUnsafeBytes { IPv4Header($0) } == nil)
    }

    @Test func greHeadersTheKernelWouldNotDecapsulateAreRefused() {
        // Routing present, or version 1 (PPTP): not GRE the kernel decapsulates.
        #expect([UInt8]([0x40, 0, 0, 0]).withUnsafeBytes { GreHeader($0) } == nil)
        #expect([UInt8]([0x00, 1, 0, 0]).withUnsafeBytes { GreHeader($0) } == nil)
        let keyed = [UInt8]([0x20, 0, 0x08, 0, 0, 0, 0, 42])
        #expect(keyed.withUnsafeBytes { GreHeader($0) }.map { ($0.protocolType, $0.key, $0.length) } ?? (0, nil, 0) == (0x0800, 42, 8))
        #expect(keyed.dropLast().withUnsafeBytes { GreHeader($0) } == nil, "key cut short")
    }
}
