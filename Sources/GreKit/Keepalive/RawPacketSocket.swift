import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A raw IP socket that sends whole packets, IP header included (IPPROTO_RAW): the
/// responder's way to send a reflected keepalive as a router would forward it.
///
/// A router's forwarded packet meets the IPsec policies with its own protocol and
/// addresses. What an IPPROTO_RAW socket sends meets them as protocol 255, from the
/// source the route picks, which a policy for GRE between the tunnel's endpoints
/// does not select: the reflection would leave in clear beside the tunnel's ESP, and
/// a peer that requires ESP would drop it. So each packet names the protocol and the
/// source of its own header: the protocol in an IP_PROTOCOL control message (IPv4) or
/// the destination's port (IPv6), which Linux takes since 6.2 (commit 3632679d9e4f,
/// in the stable kernels it went to as well); the source in IP_PKTINFO or
/// IPV6_PKTINFO. A kernel from before refuses the protocol (EINVAL): the socket then
/// sends without it, as a kernel of that age can only do.
public final class RawPacketSocket {
    private let socket: Socket
    /// Whether packets name their protocol; false once the kernel refused it.
    public private(set) var namesProtocol = true

    public init(family: AddressFamily) throws(SystemError) {
        socket = try Socket(domain: family.socketDomain, type: SOCK_RAW, protocol: CInt(IPPROTO_RAW), nonBlocking: true,
                            "cannot open a raw IP socket")
    }

    public func send(_ packet: [UInt8], to destination: IPAddress) throws(SystemError) {
        guard let (source, protocolNumber) = Self.sourceAndProtocol(of: packet) else {
            // Not an IP packet this socket could send anyway: the kernel says why.
            return try send(packet, to: destination, from: nil, protocolNumber: nil)
        }
        if namesProtocol {
            do {
                return try send(packet, to: destination, from: source, protocolNumber: protocolNumber)
            } catch where error.errno == .invalidArgument {
                // The kernel predates the protocol's control message (or port): the
                // same packet without it tells whether that was the reason.
                try send(packet, to: destination, from: source, protocolNumber: nil)
                namesProtocol = false
                return
            }
        }
        try send(packet, to: destination, from: source, protocolNumber: nil)
    }

    /// Room for the control messages of one packet: IPv6's packet information and an integer.
    static let controlSpace = ControlMessages.space(for: in6_pktinfo.self) + ControlMessages.space(for: CInt.self)

    private func send(_ packet: [UInt8], to destination: IPAddress, from source: IPAddress?, protocolNumber: UInt8?) throws(SystemError) {
        var batch = DatagramBatch(capacity: 1, payloadBytes: packet.count, controlSpace: Self.controlSpace)
        packet.withUnsafeBytes { bytes in
            batch.append(bytes, to: Self.address(destination, protocolNumber: protocolNumber)) { writer in
                Self.writeControlMessages(source: source, protocolNumber: protocolNumber, into: &writer)
            }
        }
        if let (_, errno) = socket.send(batch, flags: CInt(MSG_DONTWAIT)).first {
            throw SystemError("cannot send to \(destination)", errno: errno)
        }
    }

    /// The destination as sendmsg takes it: IPv6 names the protocol in its port (sin6_port).
    static func address(_ destination: IPAddress, protocolNumber: UInt8?) -> SocketAddress {
        SocketAddress(destination, port: destination.family == .inet6 ? UInt16(protocolNumber ?? 0) : 0)
    }

    /// The source's packet information, and IPv4's IP_PROTOCOL.
    static func writeControlMessages(source: IPAddress?, protocolNumber: UInt8?, into writer: inout ControlMessages) {
        guard let source else { return }
        writer.appendPacketInformation(source: source)
        if let protocolNumber, source.family == .inet {
            writer.append(level: CInt(IPPROTO_IP), type: IP_PROTOCOL, CInt(protocolNumber))
        }
    }

    /// The source address and protocol of the packet's own IP header; nil when it has none.
    static func sourceAndProtocol(of packet: [UInt8]) -> (IPAddress, UInt8)? {
        packet.withUnsafeBytes { bytes in
            if let header = IPv4Header(bytes) { return (.v4(header.source), header.protocolNumber) }
            if let header = IPv6Header(bytes) { return (header.source, header.nextHeader) }
            return nil
        }
    }
}
