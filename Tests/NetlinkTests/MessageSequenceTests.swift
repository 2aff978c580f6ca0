import Testing
@testable import Netlink

/// The walk over a datagram's messages, on datagrams no kernel sends: anyone who can
/// write to a netlink socket can (gretool-fuzz found these).
@Suite struct MessageSequenceTests {
    private func lengths(_ bytes: [UInt8]) -> [Int] {
        bytes.withUnsafeBytes { MessageSequence(buffer: $0).map(\.length) }
    }

    static func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    /// A message header: length, type, flags, sequence, port (host byte order).
    private static func header(length: UInt32) -> [UInt8] {
        withUnsafeBytes(of: length) { Array($0) } + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
    }

    @Test func aLengthOfTwoGibibytesOrMoreEndsTheWalk() {
        // The fuzzer's input (xfrm target): a message of 76 bytes, then one claiming
        // 0xfafafafa bytes, which libmnl's check let through and its next step followed.
        #expect(lengths(Self.bytes("4c0000002400000001000000d3000000ffffffff1c0001000100000002000000000000000000000000000000000000000c0002fafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafa00070000000000100006000300202000000600040080800000")) == [76])
        for claimed: UInt32 in [0x8000_0000, 0xffff_fff0, 0xffff_ffff] {
            #expect(lengths(Self.header(length: 16) + Self.header(length: claimed) + [0, 0, 0, 0]) == [16])
        }
    }

    @Test func aLengthThatAlignsToZeroEndsTheWalk() {
        // The fuzzer's input (rtnetlink target, a hang): a route of 116 bytes, then a
        // header claiming 0xffffffff bytes, which aligned to 4 is 0: the walk stayed there.
        #expect(lengths(Self.bytes("740000001800020006000000227300000a400000fe0200010000000008000f00fe0000001400010020010db80000000000000000000000000800060000010000080004000500000024000c003c0000002000020008000000227300000a000000fe0000010000000008000f00fe00000008000e00ffffffff050015000200000008000600fe7f000000000000000000000e7e050000000000000000000000000000000000000000000500140000000000")) == [116])
    }

    @Test func messagesEndAtTheFirstThatDoesNotFit() {
        #expect(lengths(Self.header(length: 16) + Self.header(length: 18) + [1, 2, 0, 0] + Self.header(length: 16)) == [16, 18, 16])
        #expect(lengths(Self.header(length: 16) + Self.header(length: 40)) == [16])
        #expect(lengths(Self.header(length: 15) + Self.header(length: 16)) == [])
        #expect(lengths(Array(Self.header(length: 16).prefix(12))) == [])
        // The last message's padding may be missing.
        #expect(lengths(Self.header(length: 16) + Self.header(length: 18) + [1, 2]) == [16, 18])
    }
}
