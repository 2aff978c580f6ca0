import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A raw IP socket that sends whole packets, IP header included (IPPROTO_RAW): the
/// responder's way to send a reflected keepalive as a router would forward it, and a
/// hub's way to send its IPv4 keepalives cheaply (`GreSocket.writeOwnHeaders`).
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

    /// A socket for the IPv4 packets from `source` alone, bound to it: the kernel takes
    /// the source of their route from the socket, so a packet needs no packet information
    /// of its own, and its protocol's control message alone (24 bytes) fits the 36 the
    /// kernel keeps on its stack for them (more is a buffer allocated and freed for each
    /// packet). Throws when `source` is not an address of this host, or when the kernel
    /// predates the protocol's control message: its packets would meet the IPsec
    /// policies as protocol 255, not as what they carry.
    public convenience init(boundTo source: IPv4Address, protocolNumber: UInt8) throws(SystemError) {
        try self.init(family: .inet)
        try socket.bind(to: SocketAddress(.v4(source)), "cannot bind a raw IP socket to \(source)")
        // A probe (MSG_PROBE) goes as far as the route and sends nothing, but the kernel
        // reads the control messages first and refuses one it does not know (EINVAL).
        var header: [UInt8] = []
        IPv4Header(source: source, destination: source, protocolNumber: protocolNumber, timeToLive: 1, identification: 0,
                   payloadLength: 0).append(to: &header)
        var probe = DatagramBatch(capacity: 1, payloadBytes: header.count, controlSpace: Self.controlSpace)
        header.withUnsafeBytes { bytes in
            probe.append(bytes, to: SocketAddress(.v4(source))) { writer in
                writer.append(level: CInt(IPPROTO_IP), type: IP_PROTOCOL, CInt(protocolNumber))
            }
        }
        if let (_, errno) = socket.send(probe, flags: CInt(MSG_PROBE) | CInt(MSG_DONTWAIT)).first {
            throw SystemError("cannot send IPv4 packets that name their protocol", errno: errno)
        }
    }

    /// Sends packets that have their own IP headers and control messages, in as few
    /// system calls as the kernel allows. Returns the refused ones, by position.
    public func send(_ batch: borrowing DatagramBatch) -> [(index: Int, error: SystemError)] {
        socket.send(batch, flags: CInt(MSG_DONTWAIT)).map { index, errno in (index, SystemError("cannot send an IP packet", errno: errno)) }
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
