import CMnl
import Netlink

/// A nexthop object (RTM_NEWNEXTHOP): a gateway and device, a blackhole, or a group
/// of other nexthops, which routes refer to by id (`route add ... nhid N`).
public struct NexthopObject: Sendable, Equatable {
    public var id: UInt32
    /// Unspecified for groups.
    public var family: AddressFamily = .unspecified
    /// The kernel reports it; a request leaves it 0, as the kernel requires.
    public var scope: RouteScope = .universe
    public var protocolID: RouteProtocol = .unspecified
    /// RTNH_F_* (onlink; dead and linkdown in replies).
    public var flags: RouteFlags = []
    public var gateway: IPAddress?
    public var outputInterface: Int32?
    public var blackhole = false
    public var fdb = false
    public var group: [Member] = []
    public var groupType: NexthopGroupType?
    public var resilient: Resilient?
    /// NHA_ENCAP_TYPE and NHA_ENCAP, kept as the kernel sent them (or as words made them).
    public var opaque: [OpaqueAttribute] = []

    /// The lightweight-tunnel encapsulation, from `opaque`.
    public var encapsulation: RouteEncapsulation? { RouteEncapsulation(opaque, type: NexthopAttribute.encapType, encap: .encap) }

    /// One nexthop of a group, weight 1...65536 (Linux 6.12 on; 1...256 before).
    public struct Member: Sendable, Equatable {
        public var id: UInt32
        public var weight: UInt32
        public init(id: UInt32, weight: UInt32 = 1) {
            self.id = id
            self.weight = weight
        }
    }

    /// NHA_RES_GROUP: timers in clock ticks (USER_HZ, hundredths of a second).
    public struct Resilient: Sendable, Equatable {
        public var buckets: UInt16?
        public var idleTimer: UInt32?
        public var unbalancedTimer: UInt32?
        /// How long the group has been unbalanced: only the kernel's replies carry it.
        public var unbalancedTime: UInt64?
        public init() {}
    }

    public init(id: UInt32) { self.id = id }

    /// Decodes an RTM_NEWNEXTHOP (or RTM_DELNEXTHOP) message; nil for other types.
    public init?(_ message: NetlinkMessage) {
        guard message.routeMessageType == .newNexthop || message.routeMessageType == .deleteNexthop,
              let header = message.familyHeader(nhmsg.self) else { return nil }
        id = 0
        family = AddressFamily(rawValue: header.nh_family) ?? .unspecified
        scope = RouteScope(rawValue: header.nh_scope)
        protocolID = RouteProtocol(rawValue: header.nh_protocol)
        flags = RouteFlags(rawValue: header.nh_flags)
        for attribute in message.attributes(after: nhmsg.self, NexthopAttribute.self) {
            switch attribute.key {
            case .id?: id = attribute.u32
            case .outputInterface?: outputInterface = Int32(bitPattern: attribute.u32)
            case .gateway?: gateway = attribute.address
            case .blackhole?: blackhole = true
            case .fdb?: fdb = true
            case .encapType?, .encap?: opaque.append(OpaqueAttribute(attribute))
            case .groupType?: groupType = NexthopGroupType(rawValue: attribute.u16)
            case .group?: group = Self.decodeGroup(attribute.payload)
            case .resilientGroup?:
                var resilient = Resilient()
                for field in attribute.nested(ResilientGroupAttribute.self) {
                    switch field.key {
                    case .buckets?: resilient.buckets = field.u16
                    case .idleTimer?: resilient.idleTimer = field.u32
                    case .unbalancedTimer?: resilient.unbalancedTimer = field.u32
                    case .unbalancedTime?: resilient.unbalancedTime = field.u64
                    case nil: break
                    }
                }
                self.resilient = resilient
            default: break
            }
        }
    }

    /// A member as struct nexthop_grp: weight - 1 in `weight`, and since Linux 6.12 its high
    /// byte in the field this header still calls `resvd1` (weight_high; 0 before 6.12).
    private static func decodeGroup(_ payload: UnsafeRawBufferPointer) -> [Member] {
        let size = MemoryLayout<nexthop_grp>.size
        return stride(from: 0, through: payload.count - size, by: size).map { offset in
            let member = payload.loadUnaligned(fromByteOffset: offset, as: nexthop_grp.self)
            return Member(id: member.id, weight: (UInt32(member.resvd1) << 8 | UInt32(member.weight)) + 1)
        }
    }

    /// Writes the body of an RTM_NEWNEXTHOP request. A group carries nothing but its
    /// members, type and resilient parameters (and id and protocol).
    public func encode(_ message: MessageWriter) throws {
        var header = nhmsg()
        header.nh_family = family.rawValue
        header.nh_protocol = protocolID.rawValue
        // The other flags are states the kernel reports.
        header.nh_flags = flags.intersection(.onlink).rawValue
        let attributes = try message.header(header, attributes: NexthopAttribute.self)
        if id != 0 { try attributes.put(.id, id) }
        if let outputInterface { try attributes.put(.outputInterface, UInt32(bitPattern: outputInterface)) }
        if let gateway { try attributes.put(.gateway, gateway) }
        if blackhole { try attributes.flag(.blackhole) }
        if fdb { try attributes.flag(.fdb) }
        for attribute in opaque { try attributes.put(attribute) }
        if !group.isEmpty {
            let members = group.map { member in
                let stored = member.weight - 1
                return nexthop_grp(id: member.id, weight: UInt8(truncatingIfNeeded: stored),
                                   resvd1: UInt8(truncatingIfNeeded: stored >> 8), resvd2: 0)
            }
            try attributes.put(.group, PackedArray(members))
        }
        if let groupType { try attributes.put(.groupType, groupType.rawValue) }
        if let resilient {
            try attributes.nest(.resilientGroup, ResilientGroupAttribute.self) { nest in
                if let buckets = resilient.buckets { try nest.put(.buckets, buckets) }
                if let idle = resilient.idleTimer { try nest.put(.idleTimer, idle) }
                if let unbalanced = resilient.unbalancedTimer { try nest.put(.unbalancedTimer, unbalanced) }
            }
        }
    }

    /// Writes the body of an RTM_DELNEXTHOP (or RTM_GETNEXTHOP) request: the id only.
    public static func encodeIdentity(_ id: UInt32, _ message: MessageWriter) throws {
        try message.header(nhmsg(), attributes: NexthopAttribute.self).put(.id, id)
    }
}

extension NexthopGroupType {
    /// iproute2's name for the type (nh_group_type_name); nil for a type it does not know.
    public var name: String? {
        switch self {
        case .multipath: "mpath"
        case .resilient: "resilient"
        default: nil
        }
    }
}
