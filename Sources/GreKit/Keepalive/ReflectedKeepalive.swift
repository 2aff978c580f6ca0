import Netlink

/// A keepalive reflected by the peer, as it arrives back: the inner packet the
/// sender built, with whatever hop limit is left.
public struct ReflectedKeepalive: Equatable, Sendable {
    public var flow: GreFlow
    public var nonce: UInt32
    public var hopLimit: UInt8

    public init(flow: GreFlow, nonce: UInt32, hopLimit: UInt8) {
        self.flow = flow
        self.nonce = nonce
        self.hopLimit = hopLimit
    }

    /// From what a raw AF_INET IPPROTO_GRE socket reads (IPv4 header, then GRE).
    /// Nil for anything but an unfragmented GRE packet of protocol type 0.
    public init?(ipv4 packet: UnsafeRawBufferPointer) {
        guard let header = IPv4Header(packet), header.protocolNumber == KeepalivePacket.greProtocolNumber,
              let gre = GreHeader(UnsafeRawBufferPointer(rebasing: packet[header.length..<header.totalLength])),
              gre.protocolType == 0
        else { return nil }
        flow = GreFlow(source: .v4(header.source), destination: .v4(header.destination), key: gre.key)
        nonce = UInt32(header.identification)
        hopLimit = header.timeToLive
    }

    /// From what a raw AF_INET6 IPPROTO_GRE socket reads (the GRE header on), with
    /// the addresses, flow label and hop limit its control messages carry.
    public init?(ipv6 gre: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, flowLabel: UInt32, hopLimit: UInt8) {
        guard let header = GreHeader(gre), header.protocolType == 0 else { return nil }
        flow = GreFlow(source: source, destination: destination, key: header.key)
        nonce = flowLabel & IPv6Header.flowLabelMask
        self.hopLimit = hopLimit
    }
}
