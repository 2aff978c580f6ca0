/// The Internet checksum (RFC 1071): the one's complement of the one's complement
/// sum of 16-bit words. Over data that includes its checksum it comes out 0.
enum InternetChecksum {
    static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func compute(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { compute($0) }
    }

    /// Stores at `offset`, big-endian, the checksum of `range`, which holds the
    /// checksum field: it counts as 0, whatever it held before.
    static func fill(_ bytes: inout [UInt8], over range: Range<Int>, at offset: Int) {
        bytes[offset] = 0
        bytes[offset + 1] = 0
        let checksum = bytes.withUnsafeBytes { compute(UnsafeRawBufferPointer(rebasing: $0[range])) }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: checksum.bigEndian, toByteOffset: offset, as: UInt16.self) }
    }
}

extension Array where Element == UInt8 {
    /// Appends an integer in network byte order.
    mutating func append<Value: FixedWidthInteger>(bigEndian value: Value) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
