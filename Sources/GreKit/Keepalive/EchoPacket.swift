import CMnl
import Netlink

/// ICMP echo, for targets watched with `icmp ADDRESS`: peers that do not reflect GRE
/// keepalives (some cloud endpoints) still answer a ping to their inner address,
/// sent through the tunnel. The nonce travels in the echo's sequence number; the
/// identifier is the watcher's, so that other pings on the host are not taken for
/// replies. The header is struct icmphdr for IPv4 and struct icmp6hdr for IPv6: the
/// same 8 bytes (type, code, checksum, identifier, sequence).
enum EchoPacket {
    /// Bytes after the header: enough for routers that drop empty pings.
    static let payloadLength = 8

    /// An echo request. IPv4's checksum is filled in here; the kernel fills ICMPv6's,
    /// which covers a pseudo-header with addresses only it knows for certain.
    static func request(family: AddressFamily, identifier: UInt16, sequence: UInt16) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(MemoryLayout<icmphdr>.size + payloadLength)
        if family == .inet6 {
            var header = icmp6hdr()
            header.icmp6_type = ICMPv6Type.echoRequest.rawValue
            header.icmp6_dataun.u_echo.identifier = identifier.bigEndian
            header.icmp6_dataun.u_echo.sequence = sequence.bigEndian
            withUnsafeBytes(of: header) { bytes.append(contentsOf: $0) }
        } else {
            var header = icmphdr()
            header.type = ICMPType.echoRequest.rawValue
            header.un.echo.id = identifier.bigEndian
            header.un.echo.sequence = sequence.bigEndian
            withUnsafeBytes(of: header) { bytes.append(contentsOf: $0) }
        }
        bytes += repeatElement(0, count: payloadLength)
        if family == .inet { InternetChecksum.fill(&bytes, over: 0..<bytes.count, at: MemoryLayout<icmphdr>.offset(of: \.checksum)!) }
        return bytes
    }

    /// The sequence number of an echo reply with `identifier`, from what a raw ICMP
    /// socket reads: a whole IPv4 packet (its source returned too), or for ICMPv6 the
    /// message alone (its source is the socket's). Nil for anything else.
    static func reply(_ packet: UnsafeRawBufferPointer, family: AddressFamily, identifier: UInt16) -> (source: IPAddress?, sequence: UInt16)? {
        guard family == .inet else {
            guard packet.count >= MemoryLayout<icmp6hdr>.size else { return nil }
            let header = packet.loadUnaligned(as: icmp6hdr.self)
            guard ICMPv6Type(rawValue: header.icmp6_type) == .echoReply, header.icmp6_code == 0,
                  UInt16(bigEndian: header.icmp6_dataun.u_echo.identifier) == identifier
            else { return nil }
            return (nil, UInt16(bigEndian: header.icmp6_dataun.u_echo.sequence))
        }
        guard let ip = IPv4Header(packet), ip.protocolNumber == UInt8(IPPROTO_ICMP),
              ip.totalLength - ip.length >= MemoryLayout<icmphdr>.size
        else { return nil }
        let header = packet.loadUnaligned(fromByteOffset: ip.length, as: icmphdr.self)
        guard ICMPType(rawValue: header.type) == .echoReply, header.code == 0, UInt16(bigEndian: header.un.echo.id) == identifier
        else { return nil }
        return (.v4(ip.source), UInt16(bigEndian: header.un.echo.sequence))
    }
}
