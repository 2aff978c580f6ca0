import CMnl

/// A GRE header (RFC 2784, with RFC 2890's key and sequence number): the fixed part
/// (struct gre_base_hdr), then a checksum, a key and a sequence number, each 32 bits
/// and present when its flag is set, in that order.
struct GreHeader {
    var protocolType: UInt16
    var key: UInt32?
    /// Bytes up to the payload.
    var length: Int

    /// Where the checksum is when the header has one.
    static let checksumOffset = MemoryLayout<gre_base_hdr>.size

    /// Nil unless `bytes` start with a GRE header the kernel would decapsulate
    /// (version 0, no routing) whose checksum, when present, holds over all of `bytes`.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= MemoryLayout<gre_base_hdr>.size else { return nil }
        let base = bytes.loadUnaligned(as: gre_base_hdr.self)
        let flags = GreFlags(rawValue: UInt16(bigEndian: base.flags))
        // As the kernel's gre_parse_header: routing (RFC 1701) or another version is
        // not GRE it decapsulates, so it is no keepalive either.
        guard flags.isDisjoint(with: [.routing, .version]) else { return nil }
        protocolType = UInt16(bigEndian: base.protocol)
        length = MemoryLayout<gre_base_hdr>.size
        if flags.contains(.checksum) {
            guard bytes.count >= length + 4, InternetChecksum.compute(bytes) == 0 else { return nil }
            length += 4
        }
        if flags.contains(.key) {
            guard bytes.count >= length + 4 else { return nil }
            key = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: length, as: UInt32.self))
            length += 4
        }
        if flags.contains(.sequence) {
            guard bytes.count >= length + 4 else { return nil }
            length += 4
        }
    }

    /// The length of a header with these flags.
    static func length(flags: GreFlags) -> Int {
        MemoryLayout<gre_base_hdr>.size + 4 * flags.intersection([.checksum, .key, .sequence]).rawValue.nonzeroBitCount
    }

    /// Appends a header with the checksum, key and sequence fields `flags` asks for;
    /// the checksum is left 0, for `InternetChecksum.fill` once the payload follows.
    static func append(to bytes: inout [UInt8], flags: GreFlags, protocolType: UInt16, key: UInt32, sequence: UInt32) {
        let flags = flags.intersection([.checksum, .key, .sequence])
        let base = gre_base_hdr(flags: flags.rawValue.bigEndian, protocol: protocolType.bigEndian)
        withUnsafeBytes(of: base) { bytes.append(contentsOf: $0) }
        if flags.contains(.checksum) { bytes.append(bigEndian: UInt32(0)) }
        if flags.contains(.key) { bytes.append(bigEndian: key) }
        if flags.contains(.sequence) { bytes.append(bigEndian: sequence) }
    }
}

extension GreFlags {
    /// GRE_ROUTING: a routing field follows (RFC 1701), which Linux does not decapsulate.
    static let routing = GreFlags(rawValue: 0x4000)
    /// GRE_VERSION: three bits, 0 for GRE (1 is PPTP's enhanced GRE).
    static let version = GreFlags(rawValue: 0x0007)
}
