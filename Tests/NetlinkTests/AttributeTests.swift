import CMnl
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Netlink

@Suite struct AttributeTests {
    /// Attributes as bytes: (type, payload) pairs, each padded to 4 bytes.
    private func attributes(_ items: [(UInt16, [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (type, payload) in items {
            withUnsafeBytes(of: UInt16(4 + payload.count)) { bytes += $0 }
            withUnsafeBytes(of: type) { bytes += $0 }
            bytes += payload + [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
        }
        return bytes
    }

    @Test func walksAttributesAndReadsTypedValues() {
        let bytes = attributes([
            (3, Array("eth0".utf8) + [0]),
            (4, [0x78, 0x05, 0, 0]),
            (2 | 0x8000, [0x20, 0x00]),          // NLA_F_NESTED is masked off
            (7, [1, 2, 3, 4, 5, 6, 7, 8]),       // a u64 at a 4-byte boundary only
        ])
        bytes.withUnsafeBytes { buffer in
            let list = Array(AttributeList<LinkAttribute>(buffer))
            #expect(list.map(\.rawType) == [3, 4, 2, 7])
            #expect(list[0].string == "eth0")
            #expect(list[1].u32 == 1400)
            #expect(list[2].be16 == 0x2000)
            #expect(list[3].u64 == 0x0807_0605_0403_0201)
        }
    }

    @Test func stringsStopAtTheirPayloadEvenWithoutATerminator() {
        let bytes = attributes([(3, Array("abcd".utf8))])
        bytes.withUnsafeBytes { buffer in
            #expect(AttributeList<LinkAttribute>(buffer)[.ifname]?.string == "abcd")
        }
    }

    @Test func shortPayloadsReadAsZeroInsteadOfTrapping() {
        let bytes = attributes([(4, [1])])
        bytes.withUnsafeBytes { buffer in
            #expect(AttributeList<LinkAttribute>(buffer)[.mtu]?.u32 == 0)
        }
    }

    @Test func truncatedAttributesEndTheWalk() {
        var bytes = attributes([(4, [1, 0, 0, 0])])
        bytes += [200, 0, 3, 0]  // claims 200 bytes, has 4
        bytes.withUnsafeBytes { buffer in
            #expect(Array(AttributeList<LinkAttribute>(buffer)).count == 1)
        }
    }

    /// An attribute whose length is shorter than its header (a zero would never move
    /// on), or a tail shorter than a header, ends the walk; one of a header alone is
    /// an attribute with no payload.
    @Test func lengthsShorterThanAHeaderEndTheWalk() {
        let valid = attributes([(4, [1, 0, 0, 0]), (3, [])])
        for tail: [UInt8] in [[0, 0, 3, 0], [2, 0, 3, 0, 0, 0, 0, 0], [8, 0, 4]] {
            (valid + tail).withUnsafeBytes { buffer in
                let walked = Array(AttributeList<LinkAttribute>(buffer))
                #expect(walked.map(\.rawType) == [4, 3])
                #expect(walked.map(\.payload.count) == [4, 0])
            }
        }
    }

    @Test func nestedAttributesUseTheirOwnSpace() {
        let inner = attributes([(1, Array("gre".utf8) + [0])])
        let bytes = attributes([(18 | 0x8000, inner)])
        bytes.withUnsafeBytes { buffer in
            let info = AttributeList<LinkAttribute>(buffer)[.linkinfo]?.nested(LinkInfoAttribute.self)
            #expect(info?[.kind]?.string == "gre")
        }
    }
}

@Suite struct AddressTests {
    @Test func parsesAndFormatsIPv4() {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("10")?.description == "10.0.0.0")
        #expect(IPAddress("10.1")?.description == "10.1.0.0")
        #expect(IPAddress("256.0.0.1") == nil)
        #expect(IPAddress("1.2.3.4.5") == nil)
        #expect(IPAddress("1..2") == nil)
        #expect(IPAddress("") == nil)
    }

    @Test func parsesAndFormatsIPv6() {
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:0db8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8::zz") == nil)
    }

    @Test func formatsAsInetNtop() {
        // Every octet value in every position, and IPv6 forms with and without "::".
        var addresses: [IPAddress] = []
        for octet in 0...255 {
            for shift in stride(from: 0, through: 24, by: 8) {
                addresses.append(.v4(IPv4Address(UInt32(octet) << shift | 0x0102_0304 & ~(0xff << shift))))
            }
        }
        for (high, low) in [(0, 0), (0, 1), (0x2001_0db8_0000_0000, 1), (0, 0xffff_c000_0201), (~0, ~0), (0xfe80_0000_0000_0000, 0x0001_0000_0000_0001)] as [(UInt64, UInt64)] {
            addresses.append(.v6(IPv6Address(high: high, low: low)))
        }
        for address in addresses {
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            address.withNetlinkPayload { _ = inet_ntop(address.family == .inet ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            let expected = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(address.description == expected)
        }
    }

    @Test func encodesInNetworkOrder() {
        let bytes = IPAddress("192.0.2.1")!.withNetlinkPayload { Array($0) }
        #expect(bytes == [192, 0, 2, 1])
        let six = IPAddress("2001:db8::1")!.withNetlinkPayload { Array($0) }
        #expect(six == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
    }

    @Test func prefixes() throws {
        let prefix = try IPPrefix(parsing: "198.51.100.7/24")
        #expect(prefix.network == IPAddress("198.51.100.0"))
        #expect(prefix.contains(IPAddress("198.51.100.200")!))
        #expect(!prefix.contains(IPAddress("198.51.101.1")!))
        #expect(try IPPrefix(parsing: "2001:db8::/32").length == 32)
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/33") }
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "10.0.0.x/8") }
    }
}

@Suite struct StructPayloadTests {
    @Test func aShorterStructFromAnOlderKernelFillsWhatItHas() throws {
        // rtnl_link_stats64 grew rx_otherhost_dropped at its end (200 bytes here); kernels
        // before it send 192. The counters they send must still be read.
        var stats = rtnl_link_stats64()
        stats.rx_packets = 7
        stats.collisions = 42
        let full = withUnsafeBytes(of: stats) { Array($0) }
        var attribute: [UInt8] = []
        withUnsafeBytes(of: UInt16(4 + 192)) { attribute += $0 }
        withUnsafeBytes(of: UInt16(23)) { attribute += $0 }
        attribute += full.prefix(192)
        let decoded = attribute.withUnsafeBytes { AttributeList<LinkAttribute>($0)[.stats64]?.load(rtnl_link_stats64.self) }
        #expect(decoded?.rx_packets == 7)
        #expect(decoded?.collisions == 42)
        #expect(decoded?.rx_otherhost_dropped == 0)
    }
}

/// The byte parsers batch lines go through, at their edges.
@Suite struct AddressEdgeTests {
    @Test func prefixLengthsPastTheAddressLeaveItWhole() {
        // gretool-fuzz (xfrm target; its input is Tests/Fuzz/Corpus/xfrm/found-prefix-length-past-32):
        // an IPv4 selector of prefix length 200 was an overflow trap.
        let address = IPAddress("198.51.100.7")!
        #expect(IPPrefix(address: address, length: 200).network == address)
        #expect(IPPrefix(address: address, length: 200).contains(address))
        #expect(IPPrefix(address: address, length: 33).network == address)
        #expect(IPPrefix(address: address, length: 24).network == IPAddress("198.51.100.0"))
        let address6 = IPAddress("2001:db8::7")!
        #expect(IPPrefix(address: address6, length: 255).network == address6)
    }

    @Test func ipv4Edges() {
        #expect(IPAddress("255.255.255.255")?.description == "255.255.255.255")
        #expect(IPAddress("0.0.0.0")?.description == "0.0.0.0")
        // iproute2 reads a leading zero as octal and 0x as hexadecimal: refused, not misread.
        #expect(IPAddress("010.1.2.3") == nil)
        #expect(IPAddress("10.1.2.03") == nil)
        #expect(IPAddress("10.00.2.3") == nil)
        #expect(IPAddress("0x0a.1.2.3") == nil)
        #expect(IPAddress("10.0.100.0")?.description == "10.0.100.0")
        #expect(IPAddress("10.0.0.0")?.description == "10.0.0.0")
        #expect(IPAddress("1.2.3.") == nil)
        #expect(IPAddress(".1.2.3") == nil)
        #expect(IPAddress("1.2.3.4444") == nil)
        #expect(IPAddress("1.2.3.256") == nil)
        #expect(IPAddress("1.2.3.4/") == nil)
        #expect(IPAddress("1.2.3.-4") == nil)
        #expect(IPAddress("::ffff:192.0.2.1")?.family == .inet6)
        #expect(IPAddress("192.0.2.1:80") == nil)
    }

    @Test func prefixes() throws {
        // iproute2's netmask form, contiguous masks only.
        #expect(try IPPrefix(parsing: "10.1.0.0/255.255.0.0").description == "10.1.0.0/16")
        #expect(try IPPrefix(parsing: "10.1.2.3/255.255.255.255").description == "10.1.2.3/32")
        #expect(try IPPrefix(parsing: "0.0.0.0/0.0.0.0").description == "0.0.0.0/0")
        #expect(try IPPrefix(parsing: "10.0.0.0/255.128").description == "10.0.0.0/9")
        #expect(throws: IPPrefix.ParseError.nonContiguousMask) { try IPPrefix(parsing: "10.0.0.0/255.0.255.0") }
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/255.0.0.0.0") }
        // A length with a leading zero is octal to iproute2.
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/08") }
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/0x8") }
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/") }
        #expect(try IPPrefix(parsing: "0.0.0.0/0").length == 0)
        #expect(try IPPrefix(parsing: "10.1.2.3/32").description == "10.1.2.3/32")
        #expect(try IPPrefix(parsing: "10/8").description == "10.0.0.0/8")
        #expect(try IPPrefix(parsing: "2001:db8::/32").description == "2001:db8::/32")
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/33") }
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "10.0.0.x/8") }
    }

    /// An IPv4 prefix's address is read up to its slash in one pass (`IPv4Address.leading`);
    /// what that pass stops at before a slash, or refuses, is read from the first slash
    /// as an address of either family.
    @Test func prefixAddressesAreReadUpToTheSlash() throws {
        func leading(_ text: String) -> (String, Int)? {
            Array(text.utf8).withUnsafeBufferPointer { IPv4Address.leading($0) }.map { ($0.address.description, $0.end) }
        }
        #expect(leading("10.1.2.3/8")! == ("10.1.2.3", 8))
        #expect(leading("10.1/8")! == ("10.1.0.0", 4))
        #expect(leading("1::/16")! == ("1.0.0.0", 1))
        #expect(leading("1.2.3.4.5")! == ("1.2.3.4", 7))
        #expect(leading("10./8") == nil)
        #expect(leading("010.1.2.3/8") == nil)
        #expect(leading("1.2.3.256") == nil)
        #expect(leading("/8") == nil)
        #expect(try IPPrefix(parsing: "1::/16").description == "1::/16")
        #expect(try IPPrefix(parsing: "10::1").description == "10::1/128")
        #expect(try IPPrefix(parsing: "::ffff:192.0.2.1/128").family == .inet6)
        #expect(try IPPrefix(parsing: "192.0.2.1").description == "192.0.2.1/32")
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "10.0.0.0.0/8") }
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "10./8") }
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "1.2.3.4x/8") }
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "1.2.3.4:5/8") }
        #expect(throws: IPPrefix.ParseError.badAddress) { try IPPrefix(parsing: "/8") }
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0//8") }
        #expect(throws: IPPrefix.ParseError.badLength) { try IPPrefix(parsing: "10.0.0.0/8/8") }
    }
}

@Suite struct XFRMConstantTests {
    @Test func messageTypesAndAttributes() {
        // The message types are also macros, which import as Int; the attributes are enums.
        let types: [(XFRMMessageType, Int)] = [
            (.newSA, XFRM_MSG_NEWSA), (.getSA, XFRM_MSG_GETSA), (.newPolicy, XFRM_MSG_NEWPOLICY),
            (.getPolicy, XFRM_MSG_GETPOLICY), (.newSADInfo, XFRM_MSG_NEWSADINFO), (.getSADInfo, XFRM_MSG_GETSADINFO),
            (.newSPDInfo, XFRM_MSG_NEWSPDINFO), (.getSPDInfo, XFRM_MSG_GETSPDINFO), (.getDefault, XFRM_MSG_GETDEFAULT),
        ]
        for (type, value) in types { #expect(Int(type.rawValue) == value, "\(type)") }
        let attributes: [(XFRMAttribute, xfrm_attr_type_t)] = [
            (.encryption, XFRMA_ALG_CRYPT), (.encapsulation, XFRMA_ENCAP), (.templates, XFRMA_TMPL),
            (.aead, XFRMA_ALG_AEAD), (.truncatedAuthentication, XFRMA_ALG_AUTH_TRUNC), (.mark, XFRMA_MARK),
            (.interfaceID, XFRMA_IF_ID),
        ]
        for (attribute, value) in attributes { #expect(UInt32(attribute.rawValue) == value.rawValue, "\(attribute)") }
        #expect(UInt32(XFRMPolicyDatabaseAttribute.info.rawValue) == XFRMA_SPD_INFO.rawValue)
        #expect(UInt32(XFRMAssociationDatabaseAttribute.count.rawValue) == XFRMA_SAD_CNT.rawValue)
    }
}
