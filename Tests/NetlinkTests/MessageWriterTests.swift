import CMnl
import Testing
@testable import Netlink

/// Bytes of a message, for comparing with what the uapi says it must be.
private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

@Suite struct MessageWriterTests {
    @Test func headerFamilyHeaderAndAttributes() throws {
        let bytes = try MessageBuffer.encode(type: 16, flags: [.request, .ack, .create, .exclusive], sequence: 7) { message in
            var header = ifinfomsg()
            header.ifi_index = 3
            let link = try message.header(header, attributes: LinkAttribute.self)
            try link.put(.ifname, "gre1")
            try link.put(.mtu, UInt32(1400))
        }
        let expected: [String] = [
            "34000000", "1000", "0506", "07000000", "00000000",  // nlmsghdr: len 52, RTM_NEWLINK, flags, seq, port
            "00000000", "03000000", "00000000", "00000000",      // ifinfomsg: family, type, index 3, flags, change
            "0900", "0300", "6772653100", "000000",              // IFLA_IFNAME "gre1\0" padded to 4
            "0800", "0400", "78050000",                          // IFLA_MTU 1400
        ]
        #expect(hex(bytes) == expected.joined())
    }

    @Test func bigEndianValuesTravelInNetworkOrder() throws {
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { message in
            let link = try message.header(ifinfomsg(), attributes: LinkAttribute.self)
            try link.put(.group, BigEndian(UInt32(0x0102_0304)))
            try link.put(.mtu, BigEndian(UInt16(0x2000)))
        }
        #expect(hex(Array(bytes[32...])) == "08001b0001020304" + "0600040020000000")
    }

    @Test func nestsCarryTheirLengthAndNestedFlag() throws {
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { message in
            let link = try message.header(ifinfomsg(), attributes: LinkAttribute.self)
            try link.nest(.linkinfo, LinkInfoAttribute.self) { info in
                try info.put(.kind, "gre")
            }
        }
        // IFLA_LINKINFO (18 | NLA_F_NESTED) of 12 bytes holding IFLA_INFO_KIND "gre\0".
        #expect(hex(Array(bytes[32...])) == "0c001280" + "080001006772650" + "0")
    }

    @Test func flagsAreEmptyAttributes() throws {
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { message in
            try message.header(ifinfomsg(), attributes: LinkAttribute.self).flag(.carrier)
        }
        #expect(hex(Array(bytes[32...])) == "04002100")
    }

    @Test func recordsFixUpTheirLengthAndStayUnflagged() throws {
        let bytes = try MessageBuffer.encode(type: 24, flags: []) { message in
            let route = try message.header(rtmsg(), attributes: RouteAttribute.self)
            try route.records(.multipath) { records in
                var hop = rtnexthop()
                hop.rtnh_hops = 1
                hop.rtnh_ifindex = 5
                try records.record(hop, RouteAttribute.self) { try $0.put(.gateway, IPAddress("10.0.0.2")!) }
            }
        }
        // RTA_MULTIPATH (9, no NLA_F_NESTED), one rtnexthop of 16 bytes: len 16, flags 0,
        // hops 1, ifindex 5, then RTA_GATEWAY 10.0.0.2.
        #expect(hex(Array(bytes[28...])) == "14000900" + "10000001" + "05000000" + "080005000a000002")
    }

    @Test func aFullBufferIsAnErrorNotAnOverflow() {
        #expect(throws: NetlinkError.messageTooLarge) {
            _ = try MessageBuffer.encode(type: 16, flags: [], capacity: 40) { message in
                let link = try message.header(ifinfomsg(), attributes: LinkAttribute.self)
                try link.put(.ifalias, String(repeating: "x", count: 64))
            }
        }
    }

    @Test func batchesAppendMessagesBackToBack() throws {
        let buffer = MessageBuffer(capacity: 4096)
        for sequence in 1...3 as ClosedRange<UInt32> {
            try buffer.append(type: 24, flags: [.request, .ack], sequence: sequence) { message in
                _ = try message.header(rtmsg(), attributes: RouteAttribute.self)
            }
        }
        #expect(buffer.bytes.count == 3 * 28)
        let sequences = MessageSequence(buffer: buffer.bytes).map(\.sequence)
        #expect(sequences == [1, 2, 3])
    }
}

@Suite struct AcknowledgementTests {
    /// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
    private func errorMessage(code: Int32, text: String?, offset: UInt32?) throws -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { bytes += $0 } }
        var tlvs: [UInt8] = []
        if let text {
            let payload = Array(text.utf8) + [0]
            let length = UInt16(4 + payload.count)
            withUnsafeBytes(of: length) { tlvs += $0 }
            withUnsafeBytes(of: UInt16(1)) { tlvs += $0 }
            tlvs += payload + [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
        }
        if let offset {
            withUnsafeBytes(of: UInt16(8)) { tlvs += $0 }
            withUnsafeBytes(of: UInt16(2)) { tlvs += $0 }
            withUnsafeBytes(of: offset) { tlvs += $0 }
        }
        var header = nlmsghdr()
        header.nlmsg_len = UInt32(16 + 4 + 16 + tlvs.count)
        header.nlmsg_type = UInt16(NLMSG_ERROR)
        header.nlmsg_flags = NetlinkFlags.capped.rawValue | (tlvs.isEmpty ? 0 : NetlinkFlags.ackTLVs.rawValue)
        header.nlmsg_seq = 9
        append(header)
        append(code)
        var original = nlmsghdr()
        original.nlmsg_len = 60
        original.nlmsg_type = 16
        append(original)
        return bytes + tlvs
    }

    private func decode(_ bytes: [UInt8]) -> NetlinkError? {
        bytes.withUnsafeBytes { buffer in
            MessageSequence(buffer: buffer).first { _ in true }?.acknowledgementError()
        }
    }

    @Test func anErrorCodeWithoutANegationIsAnUnknownErrno() throws {
        #expect(decode(try errorMessage(code: .min, text: nil, offset: nil))?.errno.rawValue == .min)
        // gretool-fuzz's input (rtnetlink target): a nexthop message whose first four
        // payload bytes, read as an error code, are 0x80000000.
        let found = MessageSequenceTests.bytes("440000006800020009000000227300000000008000000000080005000000000000000100030000000600030000000000140002000100000000000000020000000200000008000e0000000000")
        #expect(found.withUnsafeBytes { MessageSequence(buffer: $0).first { _ in true }?.acknowledgementError()?.errno.rawValue } == .min)
    }

    @Test func successIsNoError() throws {
        #expect(decode(try errorMessage(code: 0, text: nil, offset: nil)) == nil)
    }

    @Test func errorsCarryTheKernelsMessageAndOffset() throws {
        let error = decode(try errorMessage(code: -95, text: "Unknown device type", offset: 44))
        #expect(error?.errno.rawValue == 95)
        #expect(error?.kernelMessage == "Unknown device type")
        #expect(error?.offset == 44)
        #expect(error?.description == "Unknown device type (Operation not supported)")
    }

    @Test func errorsWithoutExtendedAckAreJustTheErrno() throws {
        let error = decode(try errorMessage(code: -17, text: nil, offset: nil))
        #expect(error?.kernelMessage == nil)
        #expect(error?.description == "File exists")
    }
}
