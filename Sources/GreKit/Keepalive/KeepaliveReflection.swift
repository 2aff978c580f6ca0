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
        // A router would forward any inner packet; a responder forwards a keepalive,
        // back to its sender, and only while it has hops left.
        guard let inner = IPv4Header(innerBytes), inner.protocolNumber == KeepalivePacket.greProtocolNumber,
              inner.source == outer.destination, inner.destination == outer.source, inner.timeToLive > 1,
              let innerGRE = GreHeader(UnsafeRawBufferPointer(rebasing: innerBytes[inner.length..<inner.totalLength])),
              innerGRE.protocolType == 0
        else { return nil }
        var reflected = Array(innerBytes[..<inner.totalLength])
        IPv4Header.forward(&reflected, headerLength: inner.length)
        self.outer = GreFlow(source: .v4(outer.source), destination: .v4(outer.destination), key: gre.key)
        self.packet = reflected
    }

    /// From what a raw AF_INET6 IPPROTO_GRE socket reads (the GRE header on), with
    /// the outer addresses from its control messages.
    public init?(ipv6 gre: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) {
        guard let header = GreHeader(gre), header.protocolType == KeepalivePacket.ipv6EtherType else { return nil }
        let innerBytes = UnsafeRawBufferPointer(rebasing: gre[header.length...])
        guard let inner = IPv6Header(innerBytes), inner.nextHeader == KeepalivePacket.greProtocolNumber, inner.hopLimit > 1,
              inner.source == destination, inner.destination == source,
              let innerGRE = GreHeader(UnsafeRawBufferPointer(rebasing: innerBytes[IPv6Header.length..<(IPv6Header.length + inner.payloadLength)])),
              innerGRE.protocolType == 0
        else { return nil }
        var reflected = Array(innerBytes[..<(IPv6Header.length + inner.payloadLength)])
        IPv6Header.forward(&reflected)
        outer = GreFlow(source: source, destination: destination, key: header.key)
        packet = reflected
    }
}
