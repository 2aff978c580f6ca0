import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// A socket option and the C type of its value: setsockopt and getsockopt take the
/// value's bytes, so the type says how many. Options that are switches take a C int,
/// 1 for on (`Socket.enable`).
///
/// The options gretool sets are named below, each with its C name; the netlink
/// module adds those of netlink sockets.
public struct SocketOption<Value>: Sendable {
    public var level: CInt
    public var name: CInt
    /// The C name, for messages: "cannot set socket option SO_MARK".
    public var label: String

    public init(level: CInt, name: CInt, label: String) {
        self.level = level
        self.name = name
        self.label = label
    }
}

extension SocketOption where Value == CInt {
    /// SO_RCVBUF: the receive buffer, up to net.core.rmem_max (the kernel doubles it
    /// for its bookkeeping and reports the doubled size).
    public static var receiveBuffer: Self { .init(level: SOL_SOCKET, name: SO_RCVBUF, label: "SO_RCVBUF") }
    /// SO_RCVBUFFORCE: the same past rmem_max, for CAP_NET_ADMIN.
    public static var receiveBufferForce: Self { .init(level: SOL_SOCKET, name: SO_RCVBUFFORCE, label: "SO_RCVBUFFORCE") }
    /// SO_BINDTOIFINDEX: send and receive only through this interface (Linux 5.0 on).
    public static var bindToInterface: Self { .init(level: SOL_SOCKET, name: SO_BINDTOIFINDEX, label: "SO_BINDTOIFINDEX") }

    /// IP_TOS: the TOS byte of the packets sent.
    public static var typeOfService: Self { .init(level: CInt(IPPROTO_IP), name: IP_TOS, label: "IP_TOS") }
    /// IP_TTL: the TTL of the packets sent, unless a control message says another.
    public static var timeToLive: Self { .init(level: CInt(IPPROTO_IP), name: IP_TTL, label: "IP_TTL") }
    /// IP_MTU_DISCOVER: path MTU discovery (IP_PMTUDISC_*).
    public static var mtuDiscovery: Self { .init(level: CInt(IPPROTO_IP), name: IP_MTU_DISCOVER, label: "IP_MTU_DISCOVER") }
    /// IP_RECVERR: queue ICMP errors (and local ones) for `MSG_ERRQUEUE`.
    public static var receiveErrors: Self { .init(level: CInt(IPPROTO_IP), name: IP_RECVERR, label: "IP_RECVERR") }

    /// IPV6_RECVPKTINFO: each packet's destination address as an IPV6_PKTINFO control message.
    public static var ipv6ReceivePacketInfo: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_RECVPKTINFO, label: "IPV6_RECVPKTINFO") }
    /// IPV6_FLOWINFO: each packet's flow information as a control message of that type.
    public static var ipv6ReceiveFlowInfo: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_FLOWINFO, label: "IPV6_FLOWINFO") }
    /// IPV6_RECVHOPLIMIT: each packet's hop limit as an IPV6_HOPLIMIT control message.
    public static var ipv6ReceiveHopLimit: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_RECVHOPLIMIT, label: "IPV6_RECVHOPLIMIT") }
    /// IPV6_UNICAST_HOPS: the hop limit of the unicast packets sent, unless a control
    /// message says another.
    public static var ipv6UnicastHops: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_UNICAST_HOPS, label: "IPV6_UNICAST_HOPS") }
    /// IPV6_MTU_DISCOVER: path MTU discovery (IPV6_PMTUDISC_*).
    public static var ipv6MTUDiscovery: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_MTU_DISCOVER, label: "IPV6_MTU_DISCOVER") }
    /// IPV6_RECVERR: queue ICMPv6 errors (and local ones) for `MSG_ERRQUEUE`.
    public static var ipv6ReceiveErrors: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_RECVERR, label: "IPV6_RECVERR") }
}

extension SocketOption where Value == UInt32 {
    /// SO_MARK: the firewall mark of the packets sent (CAP_NET_ADMIN or CAP_NET_RAW).
    public static var mark: Self { .init(level: SOL_SOCKET, name: SO_MARK, label: "SO_MARK") }
    /// IP_UNICAST_IF: the interface unicast packets leave by. The kernel reads the index in
    /// network byte order (ip(7)): pass `index.bigEndian`.
    public static var unicastInterface: Self { .init(level: CInt(IPPROTO_IP), name: IP_UNICAST_IF, label: "IP_UNICAST_IF") }
    /// IPV6_UNICAST_IF: the same for IPv6, and in network byte order too (do_ipv6_setsockopt
    /// reads it with ntohl): pass `index.bigEndian`.
    public static var ipv6UnicastInterface: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_UNICAST_IF, label: "IPV6_UNICAST_IF") }
}

extension SocketOption where Value == IPv6DestinationOptions {
    /// IPV6_DSTOPTS: a destination options header on every packet the socket sends
    /// (needs CAP_NET_RAW).
    public static var ipv6DestinationOptions: Self { .init(level: CInt(IPPROTO_IPV6), name: IPV6_DSTOPTS, label: "IPV6_DSTOPTS") }
}

/// The value of IPV6_DSTOPTS: a destination options header (`ipv6_opt_hdr`, whose next
/// header the kernel fills in) and its options, 8 bytes in all.
public struct IPv6DestinationOptions: Sendable {
    var header: ipv6_opt_hdr
    var options: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    /// The header an ip6gre or ip6tnl tunnel puts after its outer IPv6 header (the
    /// kernel's init_tel_txopt): the tunnel encapsulation limit option of RFC 2473, then
    /// a PadN option to 8 bytes.
    public static func encapsulationLimit(_ limit: UInt8 = 4) -> Self {
        Self(header: ipv6_opt_hdr(nexthdr: 0, hdrlen: 0),
             options: (UInt8(IPV6_TLV_TNL_ENCAP_LIMIT), 1, limit, UInt8(IPV6_TLV_PADN), 1, 0))
    }
}

extension SocketOption where Value == sock_fprog {
    /// SO_ATTACH_FILTER: a classic BPF program that decides which packets the socket gets.
    public static var attachFilter: Self { .init(level: SOL_SOCKET, name: SO_ATTACH_FILTER, label: "SO_ATTACH_FILTER") }
}
