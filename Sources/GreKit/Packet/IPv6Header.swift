import CMnl
import Netlink

/// The fixed IPv6 header (struct ipv6hdr), read from any bytes and validated, or
/// written. Keepalives carry no extension headers.
struct IPv6Header {
    static let length = MemoryLayout<ipv6hdr>.size
    /// Where the hop limit is, for a router's decrement.
    static let hopLimitOffset = MemoryLayout<ipv6hdr>.offset(of: \.hop_limit)!

    /// The bytes after this header.
    var payloadLength: Int
    var nextHeader: UInt8
    var hopLimit: UInt8
    /// The 20-bit flow label.
    var flowLabel: UInt32

    /// The flow label's bits in the first 32 bits of the header, or in flow information.
    static let flowLabelMask = UInt32(IPV6_FLOWINFO_FLOWLABEL)
    var source: IPAddress
    var destination: IPAddress

    /// Nil unless an IPv6 header starts `bytes` and the payload it announces fits in them.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.length else { return nil }
        let header = bytes.loadUnaligned(as: ipv6hdr.self)
        // Version, traffic class and flow label share the first 32 bits.
        let first = UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))
        payloadLength = Int(UInt16(bigEndian: header.payload_len))
        guard header.version == 6, Self.length + payloadLength <= bytes.count,
              let source = withUnsafeBytes(of: header.saddr, { IPAddress(bytes: $0) }),
              let destination = withUnsafeBytes(of: header.daddr, { IPAddress(bytes: $0) })
        else { return nil }
        nextHeader = header.nexthdr
        hopLimit = header.hop_limit
        flowLabel = first & Self.flowLabelMask
        self.source = source
        self.destination = destination
    }

    init(source: IPAddress, destination: IPAddress, nextHeader: UInt8, hopLimit: UInt8, flowLabel: UInt32, payloadLength: Int) {
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
        self.flowLabel = flowLabel
        self.source = source
        self.destination = destination
    }

    /// Gives the header that starts `packet` new addresses.
    static func readdress(_ packet: inout [UInt8], source: IPAddress, destination: IPAddress) {
        packet.withUnsafeMutableBytes { bytes in
            var header = bytes.loadUnaligned(as: ipv6hdr.self)
            withUnsafeMutableBytes(of: &header.saddr) { storage in source.withNetlinkPayload { storage.copyMemory(from: $0) } }
            withUnsafeMutableBytes(of: &header.daddr) { storage in destination.withNetlinkPayload { storage.copyMemory(from: $0) } }
            bytes.storeBytes(of: header, as: ipv6hdr.self)
        }
    }

    /// Does to the header that starts `packet` what a router forwarding it does: lowers
    /// the hop limit by one (IPv6 has no header checksum).
    static func forward(_ packet: inout [UInt8]) {
        packet[hopLimitOffset] -= 1
    }

    /// Appends the header as written on the wire, traffic class 0.
    func append(to bytes: inout [UInt8]) {
        var header = ipv6hdr()
        header.payload_len = UInt16(payloadLength).bigEndian
        header.nexthdr = nextHeader
        header.hop_limit = hopLimit
        withUnsafeMutableBytes(of: &header.saddr) { storage in source.withNetlinkPayload { storage.copyMemory(from: $0) } }
        withUnsafeMutableBytes(of: &header.daddr) { storage in destination.withNetlinkPayload { storage.copyMemory(from: $0) } }
        withUnsafeMutableBytes(of: &header) { raw in
            // Version 6, traffic class 0, then the flow label: the first 32 bits, big-endian.
            raw.storeBytes(of: (UInt32(6) << 28 | flowLabel & Self.flowLabelMask).bigEndian, as: UInt32.self)
            bytes.append(contentsOf: raw)
        }
    }
}
