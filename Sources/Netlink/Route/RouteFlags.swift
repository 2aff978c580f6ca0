/// The flags of a route: rtm_flags, and also rtnh_flags of each leg of a multipath
/// route (one byte) and nh_flags of a nexthop object. The low byte holds a nexthop's
/// state (RTNH_F_*), the bits above it what a request asks and a dump reports
/// (RTM_F_*), both in linux/rtnetlink.h. An IPv4 lookup reply also fills the high
/// half with how the kernel cached the route (`cacheFlags`).
public struct RouteFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The flags of a leg's one-byte rtnh_flags.
    @inlinable public init(nexthopFlags: UInt8) { rawValue = UInt32(nexthopFlags) }

    // RTNH_F_*: a nexthop's state.

    /// The nexthop's device is down. The C constant is `RTNH_F_DEAD`.
    @inlinable public static var dead: RouteFlags { RouteFlags(rawValue: 0x1) }
    /// Look the gateway up recursively. The C constant is `RTNH_F_PERVASIVE`.
    @inlinable public static var pervasive: RouteFlags { RouteFlags(rawValue: 0x2) }
    /// The gateway is on the link even if no address says so. The C constant is `RTNH_F_ONLINK`.
    @inlinable public static var onlink: RouteFlags { RouteFlags(rawValue: 0x4) }
    /// The nexthop is offloaded to hardware. The C constant is `RTNH_F_OFFLOAD`.
    @inlinable public static var offload: RouteFlags { RouteFlags(rawValue: 0x8) }
    /// The nexthop's device has no carrier. The C constant is `RTNH_F_LINKDOWN`.
    @inlinable public static var linkdown: RouteFlags { RouteFlags(rawValue: 0x10) }
    /// The entry is unresolved (multicast routing). The C constant is `RTNH_F_UNRESOLVED`.
    @inlinable public static var unresolved: RouteFlags { RouteFlags(rawValue: 0x20) }
    /// The nexthop traps packets to the CPU. The C constant is `RTNH_F_TRAP`.
    @inlinable public static var trap: RouteFlags { RouteFlags(rawValue: 0x40) }

    // RTM_F_*: about the route as a whole.

    /// Tell the requester about the change. The C constant is `RTM_F_NOTIFY`.
    @inlinable public static var notify: RouteFlags { RouteFlags(rawValue: 0x100) }
    /// A cached clone (a lookup's result, an exception), not a table entry. The C constant is `RTM_F_CLONED`.
    @inlinable public static var cloned: RouteFlags { RouteFlags(rawValue: 0x200) }
    /// Multipath equalizer (never implemented). The C constant is `RTM_F_EQUALIZE`.
    @inlinable public static var equalize: RouteFlags { RouteFlags(rawValue: 0x400) }
    /// Prefix addresses (IPv6 dumps). The C constant is `RTM_F_PREFIX`.
    @inlinable public static var prefix: RouteFlags { RouteFlags(rawValue: 0x800) }
    /// A lookup: report the table the route was found in. The C constant is `RTM_F_LOOKUP_TABLE`.
    @inlinable public static var lookupTable: RouteFlags { RouteFlags(rawValue: 0x1000) }
    /// A lookup: return the table entry that matched, not the resolved route. The C constant is `RTM_F_FIB_MATCH`.
    @inlinable public static var fibMatch: RouteFlags { RouteFlags(rawValue: 0x2000) }
    /// The route is offloaded to hardware. The C constant is `RTM_F_OFFLOAD`.
    @inlinable public static var routeOffload: RouteFlags { RouteFlags(rawValue: 0x4000) }
    /// The route traps packets to the CPU. The C constant is `RTM_F_TRAP`.
    @inlinable public static var routeTrap: RouteFlags { RouteFlags(rawValue: 0x8000) }
    /// Offloading the route failed. The C constant is `RTM_F_OFFLOAD_FAILED`.
    @inlinable public static var routeOffloadFailed: RouteFlags { RouteFlags(rawValue: 0x2000_0000) }

    /// The flags a leg of a multipath route carries: the low byte.
    @inlinable public var nexthopFlags: UInt8 { UInt8(truncatingIfNeeded: rawValue) }

    /// The high half of an IPv4 lookup's reply: how the kernel cached the route.
    @inlinable public var cacheFlags: RouteCacheFlags { RouteCacheFlags(rawValue: rawValue & 0xffff_0000) }
}

/// How the kernel cached an IPv4 route (RTCF_*, linux/in_route.h): the high half of
/// rtm_flags in a lookup's reply. Several bits are no longer set by any kernel; they
/// are named because iproute2 names them.
public struct RouteCacheFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The C constant is `RTCF_NOTIFY`.
    @inlinable public static var notify: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0001_0000) }
    /// Unused. The C constant is `RTCF_DIRECTDST`.
    @inlinable public static var directDestination: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0002_0000) }
    /// The C constant is `RTCF_REDIRECTED`.
    @inlinable public static var redirected: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0004_0000) }
    /// Unused. The C constant is `RTCF_TPROXY`.
    @inlinable public static var transparentProxy: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0008_0000) }
    /// Unused. The C constant is `RTCF_FAST`.
    @inlinable public static var fast: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0020_0000) }
    /// Unused. The C constant is `RTCF_MASQ`.
    @inlinable public static var masquerade: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0040_0000) }
    /// Unused. The C constant is `RTCF_SNAT`.
    @inlinable public static var sourceNAT: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0080_0000) }
    /// The C constant is `RTCF_DOREDIRECT`.
    @inlinable public static var doRedirect: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0100_0000) }
    /// The C constant is `RTCF_DIRECTSRC`.
    @inlinable public static var directSource: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0400_0000) }
    /// The C constant is `RTCF_DNAT`.
    @inlinable public static var destinationNAT: RouteCacheFlags { RouteCacheFlags(rawValue: 0x0800_0000) }
    /// The C constant is `RTCF_BROADCAST`.
    @inlinable public static var broadcast: RouteCacheFlags { RouteCacheFlags(rawValue: 0x1000_0000) }
    /// The C constant is `RTCF_MULTICAST`.
    @inlinable public static var multicast: RouteCacheFlags { RouteCacheFlags(rawValue: 0x2000_0000) }
    /// Unused. The C constant is `RTCF_REJECT`.
    @inlinable public static var reject: RouteCacheFlags { RouteCacheFlags(rawValue: 0x4000_0000) }
    /// The C constant is `RTCF_LOCAL`.
    @inlinable public static var local: RouteCacheFlags { RouteCacheFlags(rawValue: 0x8000_0000) }
}
