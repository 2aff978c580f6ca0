// The values of a route's header (struct rtmsg) and of RTA_PREF, as typed values in
// the manner of swift-system's Errno: a struct around the kernel's number, with a
// named static for each number the uapi names. A struct rather than an enum because
// the kernel may send any number: a protocol is any byte a routing daemon picks, a
// table any 32-bit id, and a newer kernel may add scopes or types. The statics are
// computed and inlinable, so they compile to the bare number. The names iproute2
// prints for them come from its databases (GreKit's RouteNames), not from here.
// A unit test pins every static to the C constant.

/// How far a destination is: rtm_scope, and also ifa_scope of an address and nh_scope
/// of a nexthop object (enum rt_scope_t, linux/rtnetlink.h). Between `universe` and
/// `link`, scopes are the administrator's to define.
public struct RouteScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The scope's number, 0...255.
    public let rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// Anywhere: a destination reached through a gateway. The C constant is `RT_SCOPE_UNIVERSE`.
    @inlinable public static var universe: RouteScope { RouteScope(rawValue: 0) }
    /// Inside the site (an IPv6 notion the kernel does not use). The C constant is `RT_SCOPE_SITE`.
    @inlinable public static var site: RouteScope { RouteScope(rawValue: 200) }
    /// On the attached link: a destination reached directly. The C constant is `RT_SCOPE_LINK`.
    @inlinable public static var link: RouteScope { RouteScope(rawValue: 253) }
    /// On this host: a local address. The C constant is `RT_SCOPE_HOST`.
    @inlinable public static var host: RouteScope { RouteScope(rawValue: 254) }
    /// Nowhere: no destination; a delete that gives it matches any scope. The C constant is `RT_SCOPE_NOWHERE`.
    @inlinable public static var nowhere: RouteScope { RouteScope(rawValue: 255) }
}

/// Who installed a route (or a nexthop object, or a rule): rtm_protocol, nh_protocol,
/// FRA_PROTOCOL (RTPROT_*, linux/rtnetlink.h). The kernel interprets only the values
/// up to `static`; the others are labels that routing daemons register in the uapi.
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The protocol's number, 0...255.
    public let rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// Unknown; a delete that gives it matches any protocol. The C constant is `RTPROT_UNSPEC`.
    @inlinable public static var unspecified: RouteProtocol { RouteProtocol(rawValue: 0) }
    /// Installed by an ICMP redirect. The C constant is `RTPROT_REDIRECT`.
    @inlinable public static var redirect: RouteProtocol { RouteProtocol(rawValue: 1) }
    /// Installed by the kernel itself (the prefix route of an address). The C constant is `RTPROT_KERNEL`.
    @inlinable public static var kernel: RouteProtocol { RouteProtocol(rawValue: 2) }
    /// Installed during boot: what `ip route add` gives unless told. The C constant is `RTPROT_BOOT`.
    @inlinable public static var boot: RouteProtocol { RouteProtocol(rawValue: 3) }
    /// Installed by the administrator. The C constant is `RTPROT_STATIC`.
    @inlinable public static var `static`: RouteProtocol { RouteProtocol(rawValue: 4) }
    /// GateD. The C constant is `RTPROT_GATED`.
    @inlinable public static var gated: RouteProtocol { RouteProtocol(rawValue: 8) }
    /// Router discovery and IPv6 router advertisements. The C constant is `RTPROT_RA`.
    @inlinable public static var routerAdvertisement: RouteProtocol { RouteProtocol(rawValue: 9) }
    /// Merit MRT. The C constant is `RTPROT_MRT`.
    @inlinable public static var mrt: RouteProtocol { RouteProtocol(rawValue: 10) }
    /// Zebra (Quagga, FRRouting). The C constant is `RTPROT_ZEBRA`.
    @inlinable public static var zebra: RouteProtocol { RouteProtocol(rawValue: 11) }
    /// BIRD. The C constant is `RTPROT_BIRD`.
    @inlinable public static var bird: RouteProtocol { RouteProtocol(rawValue: 12) }
    /// The DECnet routing daemon. The C constant is `RTPROT_DNROUTED`.
    @inlinable public static var dnrouted: RouteProtocol { RouteProtocol(rawValue: 13) }
    /// XORP. The C constant is `RTPROT_XORP`.
    @inlinable public static var xorp: RouteProtocol { RouteProtocol(rawValue: 14) }
    /// Netsukuku. The C constant is `RTPROT_NTK`.
    @inlinable public static var netsukuku: RouteProtocol { RouteProtocol(rawValue: 15) }
    /// A DHCP client. The C constant is `RTPROT_DHCP`.
    @inlinable public static var dhcp: RouteProtocol { RouteProtocol(rawValue: 16) }
    /// The multicast daemon. The C constant is `RTPROT_MROUTED`.
    @inlinable public static var mrouted: RouteProtocol { RouteProtocol(rawValue: 17) }
    /// Keepalived. The C constant is `RTPROT_KEEPALIVED`.
    @inlinable public static var keepalived: RouteProtocol { RouteProtocol(rawValue: 18) }
    /// Babel. The C constant is `RTPROT_BABEL`.
    @inlinable public static var babel: RouteProtocol { RouteProtocol(rawValue: 42) }
    /// Open/R. The C constant is `RTPROT_OPENR`.
    @inlinable public static var openR: RouteProtocol { RouteProtocol(rawValue: 99) }
    /// BGP. The C constant is `RTPROT_BGP`.
    @inlinable public static var bgp: RouteProtocol { RouteProtocol(rawValue: 186) }
    /// IS-IS. The C constant is `RTPROT_ISIS`.
    @inlinable public static var isis: RouteProtocol { RouteProtocol(rawValue: 187) }
    /// OSPF. The C constant is `RTPROT_OSPF`.
    @inlinable public static var ospf: RouteProtocol { RouteProtocol(rawValue: 188) }
    /// RIP. The C constant is `RTPROT_RIP`.
    @inlinable public static var rip: RouteProtocol { RouteProtocol(rawValue: 189) }
    /// EIGRP. The C constant is `RTPROT_EIGRP`.
    @inlinable public static var eigrp: RouteProtocol { RouteProtocol(rawValue: 192) }
}

/// A routing table's id: rtm_table (one byte) or RTA_TABLE (32 bits), a rule's table
/// (enum rt_class_t, linux/rtnetlink.h). Any id but `unspecified` names a table; the
/// uapi names the ones the kernel makes itself.
public struct RouteTable: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The table's id.
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The id, in decimal.
    public var description: String { String(rawValue) }

    /// No table: in a dump request, every table; in an rtmsg, look in RTA_TABLE. The C constant is `RT_TABLE_UNSPEC`.
    @inlinable public static var unspecified: RouteTable { RouteTable(rawValue: 0) }
    /// Reserved for compatibility. The C constant is `RT_TABLE_COMPAT`.
    @inlinable public static var compat: RouteTable { RouteTable(rawValue: 252) }
    /// Looked up after main by the default rules. The C constant is `RT_TABLE_DEFAULT`.
    @inlinable public static var `default`: RouteTable { RouteTable(rawValue: 253) }
    /// Where routes go unless told. The C constant is `RT_TABLE_MAIN`.
    @inlinable public static var main: RouteTable { RouteTable(rawValue: 254) }
    /// The kernel's own local and broadcast routes. The C constant is `RT_TABLE_LOCAL`.
    @inlinable public static var local: RouteTable { RouteTable(rawValue: 255) }
}

/// What a route does with a packet: rtm_type (RTN_*, linux/rtnetlink.h). The rule
/// actions that drop packets (`RuleAction`) share these numbers.
public struct RouteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's number.
    public let rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// None; a delete that gives it matches any type. The C constant is `RTN_UNSPEC`.
    @inlinable public static var unspecified: RouteType { RouteType(rawValue: 0) }
    /// Forwarded through a gateway or sent directly. The C constant is `RTN_UNICAST`.
    @inlinable public static var unicast: RouteType { RouteType(rawValue: 1) }
    /// Delivered locally. The C constant is `RTN_LOCAL`.
    @inlinable public static var local: RouteType { RouteType(rawValue: 2) }
    /// Delivered locally and sent as link-layer broadcast. The C constant is `RTN_BROADCAST`.
    @inlinable public static var broadcast: RouteType { RouteType(rawValue: 3) }
    /// Delivered locally, sent as unicast. The C constant is `RTN_ANYCAST`.
    @inlinable public static var anycast: RouteType { RouteType(rawValue: 4) }
    /// A multicast route. The C constant is `RTN_MULTICAST`.
    @inlinable public static var multicast: RouteType { RouteType(rawValue: 5) }
    /// Dropped silently. The C constant is `RTN_BLACKHOLE`.
    @inlinable public static var blackhole: RouteType { RouteType(rawValue: 6) }
    /// Dropped with "network unreachable". The C constant is `RTN_UNREACHABLE`.
    @inlinable public static var unreachable: RouteType { RouteType(rawValue: 7) }
    /// Dropped with "administratively prohibited". The C constant is `RTN_PROHIBIT`.
    @inlinable public static var prohibit: RouteType { RouteType(rawValue: 8) }
    /// Not in this table: the lookup goes on with the next rule. The C constant is `RTN_THROW`.
    @inlinable public static var `throw`: RouteType { RouteType(rawValue: 9) }
    /// Address translation (no longer supported by the kernel). The C constant is `RTN_NAT`.
    @inlinable public static var nat: RouteType { RouteType(rawValue: 10) }
    /// Left to an external resolver. The C constant is `RTN_XRESOLVE`.
    @inlinable public static var externalResolve: RouteType { RouteType(rawValue: 11) }
}

/// An IPv6 route's router preference, RTA_PREF (ICMPV6_ROUTER_PREF_*, linux/icmpv6.h):
/// the two bits of a router advertisement, in its encoding, so `high` is 1 and `low` 3.
public struct RoutePreference: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The preference as the attribute carries it.
    public let rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// The C constant is `ICMPV6_ROUTER_PREF_MEDIUM`.
    @inlinable public static var medium: RoutePreference { RoutePreference(rawValue: 0) }
    /// The C constant is `ICMPV6_ROUTER_PREF_HIGH`.
    @inlinable public static var high: RoutePreference { RoutePreference(rawValue: 1) }
    /// Reserved by RFC 4191; the kernel reads it as medium. The C constant is `ICMPV6_ROUTER_PREF_INVALID`.
    @inlinable public static var invalid: RoutePreference { RoutePreference(rawValue: 2) }
    /// The C constant is `ICMPV6_ROUTER_PREF_LOW`.
    @inlinable public static var low: RoutePreference { RoutePreference(rawValue: 3) }
}

/// Who made an address (IFA_PROTO, Linux 5.18): the kernel names its own; any other
/// number is a program's, as a route's protocol is.
public struct AddressProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The protocol's number, 0...255.
    public let rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// Not said. The C constant is `IFAPROT_UNSPEC`.
    @inlinable public static var unspecified: AddressProtocol { AddressProtocol(rawValue: 0) }
    /// A loopback address the kernel gave. The C constant is `IFAPROT_KERNEL_LO`.
    @inlinable public static var kernelLoopback: AddressProtocol { AddressProtocol(rawValue: 1) }
    /// An address the kernel made from a router advertisement. The C constant is `IFAPROT_KERNEL_RA`.
    @inlinable public static var kernelRouterAdvertisement: AddressProtocol { AddressProtocol(rawValue: 2) }
    /// A link-local address the kernel made. The C constant is `IFAPROT_KERNEL_LL`.
    @inlinable public static var kernelLinkLocal: AddressProtocol { AddressProtocol(rawValue: 3) }
}
