// ICMP and ICMPv6 types and codes: those the path MTU probe and keepalive probe read
// from the error queue, and the echo a keepalive watcher pings with (`icmp ADDRESS`). Each static names its C constant; a unit test pins them to the headers.

/// ICMP message types (RFC 792; ICMP_* in linux/icmp.h).
public struct ICMPType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// ICMP_DEST_UNREACH: its codes are `ICMPUnreachableCode`s.
    public static var destinationUnreachable: ICMPType { ICMPType(rawValue: 3) }
    /// ICMP_ECHO: a ping.
    public static var echoRequest: ICMPType { ICMPType(rawValue: 8) }
    /// ICMP_ECHOREPLY: its answer, with the request's identifier and sequence number.
    public static var echoReply: ICMPType { ICMPType(rawValue: 0) }
}

/// The codes of ICMP destination unreachable (ICMP_*_UNREACH, ICMP_FRAG_NEEDED).
public struct ICMPUnreachableCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// ICMP_PROT_UNREACH: the packet arrived, and nothing there takes its protocol.
    public static var `protocol`: ICMPUnreachableCode { ICMPUnreachableCode(rawValue: 2) }
    /// ICMP_PORT_UNREACH: the packet arrived, and nothing listens on its port.
    public static var port: ICMPUnreachableCode { ICMPUnreachableCode(rawValue: 3) }
    /// ICMP_NET_ANO, ICMP_HOST_ANO, ICMP_PKT_FILTERED: refused by a filter.
    public static var networkProhibited: ICMPUnreachableCode { ICMPUnreachableCode(rawValue: 9) }
    public static var hostProhibited: ICMPUnreachableCode { ICMPUnreachableCode(rawValue: 10) }
    public static var filtered: ICMPUnreachableCode { ICMPUnreachableCode(rawValue: 13) }
    /// ICMP_FRAG_NEEDED: too big for a link on the way, and not to be fragmented (DF).
    public static var fragmentationNeeded: ICMPUnreachableCode { ICMPUnreachableCode(rawValue: 4) }
}

/// ICMPv6 message types (RFC 4443; ICMPV6_* in linux/icmpv6.h).
public struct ICMPv6Type: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// ICMPV6_DEST_UNREACH: its codes are `ICMPv6UnreachableCode`s.
    public static var destinationUnreachable: ICMPv6Type { ICMPv6Type(rawValue: 1) }
    /// ICMPV6_PKT_TOOBIG: too big for a link on the way (IPv6 routers never fragment).
    public static var packetTooBig: ICMPv6Type { ICMPv6Type(rawValue: 2) }
    /// ICMPV6_PARAMPROB: its code 1 (ICMPV6_UNK_NEXTHDR) says nothing takes the packet's
    /// next header, IPv6's protocol unreachable.
    public static var parameterProblem: ICMPv6Type { ICMPv6Type(rawValue: 4) }
    /// ICMPV6_ECHO_REQUEST: a ping.
    public static var echoRequest: ICMPv6Type { ICMPv6Type(rawValue: 128) }
    /// ICMPV6_ECHO_REPLY: its answer, with the request's identifier and sequence number.
    public static var echoReply: ICMPv6Type { ICMPv6Type(rawValue: 129) }
}

/// The codes of ICMPv6 destination unreachable (ICMPV6_NOROUTE ... ICMPV6_PORT_UNREACH).
public struct ICMPv6UnreachableCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// ICMPV6_ADM_PROHIBITED, ICMPV6_POLICY_FAIL, ICMPV6_REJECT_ROUTE: refused by a filter
    /// or a route that rejects.
    public static var administrativelyProhibited: ICMPv6UnreachableCode { ICMPv6UnreachableCode(rawValue: 1) }
    public static var policyFailed: ICMPv6UnreachableCode { ICMPv6UnreachableCode(rawValue: 5) }
    public static var rejectRoute: ICMPv6UnreachableCode { ICMPv6UnreachableCode(rawValue: 6) }
    /// ICMPV6_PORT_UNREACH: the packet arrived, and nothing listens on its port.
    public static var port: ICMPv6UnreachableCode { ICMPv6UnreachableCode(rawValue: 4) }
}
