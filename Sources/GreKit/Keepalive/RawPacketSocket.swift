import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A raw IP socket that sends whole packets, IP header included (IPPROTO_RAW): the
/// responder's way to send a reflected keepalive as a router would forward it.
public final class RawPacketSocket {
    private let socket: Socket

    public init(family: AddressFamily) throws(SystemError) {
        socket = try Socket(domain: family.socketDomain, type: SOCK_RAW, protocol: CInt(IPPROTO_RAW), nonBlocking: true,
                            "cannot open a raw IP socket")
    }

    public func send(_ packet: [UInt8], to destination: IPAddress) throws(SystemError) {
        try socket.send(packet, to: SocketAddress(destination), flags: CInt(MSG_DONTWAIT), "cannot send to \(destination)")
    }
}
