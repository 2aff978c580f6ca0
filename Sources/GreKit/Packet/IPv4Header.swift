import CMnl
import Netlink

/// The fields of an IPv4 header (struct iphdr) that keepalives read and write. Read
/// from any bytes (a socket's packet, or a fuzzer's), validated; written without
/// options, its checksum left to `InternetChecksum.fill`.
struct IPv4Header {
    /// The header's length in bytes, options included.
    var length: Int
    /// The packet's length in bytes, header included.
    var totalLength: Int
    var identification: UInt16
    var typeOfService: UInt8
    /// DF: the packet is never fragmented on its way.
    var dontFragment: Bool
    var timeToLive: UInt8
    var protocolNumber: UInt8
    var source: IPv4Address
    var destination: IPv4Address

    /// Where the header checksum is, for `InternetChecksum.fill`.
    static let checksumOffset = MemoryLayout<iphdr>.offset(of: \.check)!
    /// Where the time to live is, for a router's decrement.
    static let timeToLiveOffset = MemoryLayout<iphdr>.offset(of: \.ttl)!

    /// Nil unless a complete, unfragmented IPv4 header with a good checksum starts
    /// `bytes`, and the packet it announces fits in them.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= MemoryLayout<iphdr>.size else { return nil }
        let header = bytes.loadUnaligned(as: iphdr.self)
        guard header.version == 4 else { return nil }
        length = Int(header.ihl) * 4
        totalLength = Int(UInt16(bigEndian: header.tot_len))
        guard length >= MemoryLayout<iphdr>.size, totalLength >= length, totalLength <= bytes.count,
              InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: bytes[..<length])) == 0
        else { return nil }
        // More fragments to come, or an offset: a piece of a packet, never a whole keepalive.
        guard UInt16(bigEndian: header.frag_off) & UInt16(IP_MF | IP_OFFMASK) == 0 else { return nil }
        identification = UInt16(bigEndian: header.id)
        typeOfService = header.tos
        dontFragment = UInt16(bigEndian: header.frag_off) & UInt16(IP_DF) != 0
        timeToLive = header.ttl
        protocolNumber = header.protocol
        source = IPv4Address(UInt32(bigEndian: header.saddr))
        destination = IPv4Address(UInt32(bigEndian: header.daddr))
    }

    /// A header without options for a packet of `payloadLength` bytes after it; not
    /// a fragment, its checksum 0.
    init(source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, timeToLive: UInt8,
         identification: UInt16, payloadLength: Int, typeOfService: UInt8 = 0, dontFragment: Bool = false) {
        length = MemoryLayout<iphdr>.size
        totalLength = length + payloadLength
        self.identification = identification
        self.typeOfService = typeOfService
        self.dontFragment = dontFragment
        self.timeToLive = timeToLive
        self.protocolNumber = protocolNumber
        self.source = source
        self.destination = destination
    }

    /// Appends the header as written on the wire (without options: `length` is 20).
    func append(to bytes: inout [UInt8]) {
        var header = iphdr()
        header.version = 4
        header.ihl = UInt8(MemoryLayout<iphdr>.size / 4)
        header.tos = typeOfService
        header.tot_len = UInt16(totalLength).bigEndian
        header.id = identification.bigEndian
        header.frag_off = (dontFragment ? UInt16(IP_DF) : 0).bigEndian
        header.ttl = timeToLive
        header.protocol = protocolNumber
        header.saddr = source.value.bigEndian
        header.daddr = destination.value.bigEndian
        withUnsafeBytes(of: header) { bytes.append(contentsOf: $0) }
    }

    /// Gives the header that starts `packet` new addresses; its checksum is then
    /// stale, for `forward` (or `InternetChecksum.fill`) to compute again.
    static func readdress(_ packet: inout [UInt8], source: IPv4Address, destination: IPv4Address) {
        packet.withUnsafeMutableBytes { bytes in
            var header = bytes.loadUnaligned(as: iphdr.self)
            header.saddr = source.value.bigEndian
            header.daddr = destination.value.bigEndian
            bytes.storeBytes(of: header, as: iphdr.self)
        }
    }

    /// Does to the header that starts `packet` what a router forwarding it does: lowers
    /// the time to live by one and computes the checksum again.
    static func forward(_ packet: inout [UInt8], headerLength: Int) {
        packet[timeToLiveOffset] -= 1
        InternetChecksum.fill(&packet, over: 0..<headerLength, at: checksumOffset)
    }
}
