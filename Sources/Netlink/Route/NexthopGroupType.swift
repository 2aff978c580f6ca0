/// How a nexthop group spreads flows over its members: NHA_GROUP_TYPE (enum
/// nexthop_grp_type, linux/nexthop.h). A struct, not an enum: a newer kernel may
/// report a type this one does not name.
public struct NexthopGroupType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's number (the attribute is 16 bits).
    public let rawValue: UInt16

    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// Hash-threshold multipath: each flow to one member by weight. The C constant is `NEXTHOP_GRP_TYPE_MPATH`.
    @inlinable public static var multipath: NexthopGroupType { NexthopGroupType(rawValue: 0) }
    /// Resilient: flows are kept in buckets, and only a failed member's buckets move.
    /// The C constant is `NEXTHOP_GRP_TYPE_RES`.
    @inlinable public static var resilient: NexthopGroupType { NexthopGroupType(rawValue: 1) }
}
