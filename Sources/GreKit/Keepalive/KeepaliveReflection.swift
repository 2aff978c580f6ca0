import Netlink

/// What a router does with a keepalive, done in user space for a host whose kernel
/// will not (no ip_gre, or forwarding off): strip the outer headers and send the
/// inner packet on, its hop limit lowered by one.
///
/// Only keepalives are reflected, and only back to where they came from: the inner
/// packet must be GRE of protocol type 0, from the outer destination to the outer
/// source. A responder is never a relay toward a third address.
///
/// A peer behind a NAT (MikroTik's keepalives do this) puts its own, private address
/// in the inner destination, which differs from the outer source the NAT wrote; a
/// router would route the reply to that private address, and it would be lost. When
/// asked (`accept nat`), the inner addresses may differ from the outer ones (a NAT on
/// either side), and the reflected packet is addressed back along the path the
/// keepalive came: from the outer destination to the outer source, which the NAT
/// translates back. It still goes nowhere else.
public struct KeepaliveReflection: Equatable, Sendable {
    /// The keepalive as it arrived (peer -> this host, with the peer's output key).
    public var outer: GreFlow
    /// The inner packet to send, IP header included.
    public var packet: [UInt8]
    /// The inner addresses the keepalive carried, when they were not the outer ones
    /// reversed (`accept nat` readdressed the reply); nil when they were.
    public var translated: InnerAddresses?

    /// The inner packet's source and destination, as the peer wrote them.
    public struct InnerAddresses: Equatable, Sendable {
        public var source: IPAddress
        public var destination: IPAddress
    }

    public var destination: IPAddress { outer.source }

    /// From what a raw AF_INET IPPROTO_GRE socket reads (outer IPv4 header, then GRE).
    /// With `acceptingNAT`, inner addresses that are not the outer ones reversed are
    /// readdressed instead of refused.
    public init?(ipv4 packet: UnsafeRawBufferPointer, acceptingNAT: Bool = false) {
        guard let outer = IPv4Header(packet), outer.protocolNumber == KeepalivePacket.greProtocolNumber else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: packet[outer.length..<outer.totalLength])
        guard let gre = GreHeader(body), gre.protocolType == KeepalivePacket.ipv4EtherType else { return nil }
        let innerBytes = UnsafeRawBufferPointer(rebasing: body[gre.length...])
        // A router would forward any inner packet; a responder forwards a keepalive,
        // back to its sender, and only while it has hops left.
        guard let inner = IPv4Header(innerBytes), inner.protocolNumber == KeepalivePacket.greProtocolNumber, inner.timeToLive > 1,
              let innerGRE = GreHeader(UnsafeRawBufferPointer(rebasing: innerBytes[inner.length..<inner.totalLength])),
              innerGRE.protocolType == 0
        else { return nil }
        let reversed = inner.source == outer.destination && inner.destination == outer.source
        guard reversed || acceptingNAT else { return nil }
        var reflected = Array(innerBytes[..<inner.totalLength])
        if !reversed {
            translated = InnerAddresses(source: .v4(inner.source), destination: .v4(inner.destination))
            IPv4Header.readdress(&reflected, source: outer.destination, destination: outer.source)
        }
        // Forwarding computes the header checksum again, over the new addresses too.
        IPv4Header.forward(&reflected, headerLength: inner.length)
        self.outer = GreFlow(source: .v4(outer.source), destination: .v4(outer.destination), key: gre.key)
        self.packet = reflected
    }

    /// From what a raw AF_INET6 IPPROTO_GRE socket reads (the GRE header on), with
    /// the outer addresses from its control messages.
    public init?(ipv6 gre: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, acceptingNAT: Bool = false) {
        guard let header = GreHeader(gre), header.protocolType == KeepalivePacket.ipv6EtherType else { return nil }
        let innerBytes = UnsafeRawBufferPointer(rebasing: gre[header.length...])
        guard let inner = IPv6Header(innerBytes), inner.nextHeader == KeepalivePacket.greProtocolNumber, inner.hopLimit > 1,
              let innerGRE = GreHeader(UnsafeRawBufferPointer(rebasing: innerBytes[IPv6Header.length..<(IPv6Header.length + inner.payloadLength)])),
              innerGRE.protocolType == 0
        else { return nil }
        let reversed = inner.source == destination && inner.destination == source
        guard reversed || acceptingNAT else { return nil }
        var reflected = Array(innerBytes[..<(IPv6Header.length + inner.payloadLength)])
        if !reversed {
            // Neither IPv6 nor the inner GRE checksum covers the addresses: nothing to compute again.
            translated = InnerAddresses(source: inner.source, destination: inner.destination)
            IPv6Header.readdress(&reflected, source: destination, destination: source)
        }
        IPv6Header.forward(&reflected)
        outer = GreFlow(source: source, destination: destination, key: header.key)
        packet = reflected
    }
}
