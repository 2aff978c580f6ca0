import Netlink

/// What a router does with a keepalive, done in user space for a host whose kernel
/// will not (no ip_gre, or forwarding off): strip the outer headers and send the
/// inner packet on, its hop limit lowered by one.
///
/// Only keepalives are reflected, and only back to where they came from: the inner
/// packet must be GRE of protocol type 0, from the outer destination to the outer
/// source. A responder is never a relay toward a third address.
public struct KeepaliveReflection: Equatable, Sendable {
    /// The keepalive as it arrived (peer -> this host, with the peer's output key).
    public var outer: GreFlow
    /// The inner packet to send, IP header included.
    public var packet: [UInt8]

    public var destination: IPAddress { outer.source }

    /// From what a raw AF_INET IPPROTO_GRE socket reads (outer IPv4 header, then GRE).
    public init?(ipv4 packet: UnsafeRawBufferPointer) {
        guard let outer = IPv4Header(packet), outer.protocolNumber == KeepalivePacket.greProtocolNumber else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: packet[outer.length..<outer.totalLength])
        guard let gre = GreHeader(body), gre.protocolType == KeepalivePacket.ipv4EtherType else { return nil }
        let innerBytes = UnsafeRawBufferPointer(rebasing: body[gre.length...])
        guard let inner = IPv4Header(innerBytes), inner.protocolNumber == KeepalivePacket.greProtocolNumber,
              inner.source == outer.destination, inner.destination == outer.source, inner.timeToLive > 1,
              let innerGRE = GreHeader(UnsafeRawBufferPointer(rebasing: innerBytes[inner.length..<inner.totalLength])),
              innerGRE.protocolType == 0
        else { return nil }
        var reflected = Array(innerBytes[..<inner.totalLength])
        reflected[8] -= 1
        reflected[10] = 0
        reflected[11] = 0
        KeepalivePacket.fillChecksum(&reflected, over: 0..<inner.length, at: 10)
        self.outer = GreFlow(source: .v4(outer.source), destination: .v4(outer.destination), key: gre.key)
        self.packet = reflected
    }

    /// From what a raw AF_INET6 IPPROTO_GRE socket reads (the GRE header on), with
    /// the outer addresses from its control messages.
    public init?(ipv6 gre: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) {
        guard let header = GreHeader(gre), header.protocolType == KeepalivePacket.ipv6EtherType else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: gre[header.length...])
        guard inner.count >= 40, inner[0] >> 4 == 6 else { return nil }
        let payloadLength = Int(inner.bigEndian(UInt16.self, at: 4))
        guard 40 + payloadLength <= inner.count, inner[6] == KeepalivePacket.greProtocolNumber, inner[7] > 1,
              IPAddress(bytes: UnsafeRawBufferPointer(rebasing: inner[8..<24])) == destination,
              IPAddress(bytes: UnsafeRawBufferPointer(rebasing: inner[24..<40])) == source,
              let innerGRE = GreHeader(UnsafeRawBufferPointer(rebasing: inner[40..<(40 + payloadLength)])),
              innerGRE.protocolType == 0
        else { return nil }
        var reflected = Array(inner[..<(40 + payloadLength)])
        reflected[7] -= 1
        outer = GreFlow(source: source, destination: destination, key: header.key)
        packet = reflected
    }
}
