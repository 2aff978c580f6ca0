import CMnl
import Netlink

/// An interface address as RTM_NEWADDR describes it.
public struct Address: Sendable, Equatable {
    public var family: AddressFamily
    public var prefixLength: UInt8
    /// From IFA_FLAGS when the kernel sends it (all 32 bits), else from the header's one byte.
    public var flags: AddressFlags = []
    public var scope: RouteScope = .universe
    public var interface: Int32
    /// IFA_LOCAL: the interface's own address.
    public var local: IPAddress?
    /// IFA_ADDRESS: the same as local, or the peer of a point-to-point address.
    public var address: IPAddress?
    public var broadcast: IPAddress?
    public var anycast: IPAddress?
    public var label: String?
    /// IFA_RT_PRIORITY: the metric of the prefix route.
    public var metric: UInt32?
    public var lifetime: Lifetime?
    /// IFA_PROTO: who made the address (the kernel, or a program that said so).
    public var protocolID: AddressProtocol?

    /// In seconds; `Lifetime.forever` (0xffffffff) never runs out.
    public struct Lifetime: Sendable, Equatable {
        public var preferred: UInt32
        public var valid: UInt32
        public static let forever = UInt32.max

        public init(preferred: UInt32, valid: UInt32) {
            self.preferred = preferred
            self.valid = valid
        }
    }

    public init(family: AddressFamily, prefixLength: UInt8, interface: Int32) {
        self.family = family
        self.prefixLength = prefixLength
        self.interface = interface
    }

    /// The address shown first: IFA_LOCAL, or IFA_ADDRESS when there is no local one.
    public var primary: IPAddress? { local ?? address }

    /// The peer of a point-to-point address, when it differs from the local one.
    public var peer: IPAddress? {
        guard let local, let address, address != local else { return nil }
        return address
    }

    /// Decodes an RTM_NEWADDR (or RTM_DELADDR) message; nil for other types.
    public init?(_ message: NetlinkMessage) {
        guard message.routeMessageType == .newAddress || message.routeMessageType == .deleteAddress,
              let header = message.familyHeader(ifaddrmsg.self),
              let family = AddressFamily(rawValue: header.ifa_family), family != .unspecified
        else { return nil }
        self.family = family
        prefixLength = header.ifa_prefixlen
        flags = AddressFlags(rawValue: UInt32(header.ifa_flags))
        scope = RouteScope(rawValue: header.ifa_scope)
        interface = Int32(bitPattern: header.ifa_index)
        for attribute in message.attributes(after: ifaddrmsg.self, AddressAttribute.self) {
            switch attribute.key {
            case .local?: local = attribute.address
            case .address?: address = attribute.address
            case .broadcast?: broadcast = attribute.address
            case .anycast?: anycast = attribute.address
            case .label?: label = attribute.string
            case .flags?: flags = AddressFlags(rawValue: attribute.u32)
            case .routePriority?: metric = attribute.u32
            case .protocolID?: protocolID = AddressProtocol(rawValue: attribute.u8)
            case .cacheInfo?:
                if let info = attribute.load(ifa_cacheinfo.self) {
                    lifetime = Lifetime(preferred: info.ifa_prefered, valid: info.ifa_valid)
                }
            default: break
            }
        }
    }

    /// Writes the body of an RTM_NEWADDR or RTM_DELADDR request.
    public func encode(_ message: MessageWriter) throws {
        var header = ifaddrmsg()
        header.ifa_family = family.rawValue
        header.ifa_prefixlen = prefixLength
        // Flags past the first byte travel in IFA_FLAGS only, as iproute2 sends them.
        header.ifa_flags = UInt8(exactly: flags.rawValue) ?? 0
        header.ifa_scope = scope.rawValue
        header.ifa_index = UInt32(bitPattern: interface)
        let attributes = try message.header(header, attributes: AddressAttribute.self)
        if let local { try attributes.put(.local, local) }
        if let address { try attributes.put(.address, address) }
        if let broadcast { try attributes.put(.broadcast, broadcast) }
        if let anycast { try attributes.put(.anycast, anycast) }
        if let label { try attributes.put(.label, label) }
        if let metric { try attributes.put(.routePriority, metric) }
        if let protocolID { try attributes.put(.protocolID, protocolID.rawValue) }
        if let lifetime {
            var info = ifa_cacheinfo()
            info.ifa_prefered = lifetime.preferred
            info.ifa_valid = lifetime.valid
            try attributes.put(.cacheInfo, Packed(info))
        }
        if flags.rawValue > 0xff { try attributes.put(.flags, flags.rawValue) }
    }
}

extension AddressFlags {
    /// The words iproute2 uses for the flags, in its order (ifa_flag_data): the word,
    /// the flag, whether a request may set it, and whether it applies to IPv6 only.
    public static let words: [(name: String, flag: AddressFlags, settable: Bool, ipv6Only: Bool)] = [
        ("secondary", .secondary, false, false), ("temporary", .secondary, false, false),
        ("nodad", .noDAD, true, true), ("optimistic", .optimistic, true, true),
        ("dadfailed", .dadFailed, false, true), ("home", .homeAddress, true, true),
        ("deprecated", .deprecated, false, true), ("tentative", .tentative, false, true),
        ("permanent", .permanent, false, true), ("mngtmpaddr", .manageTemporaryAddress, true, true),
        ("noprefixroute", .noPrefixRoute, true, false), ("autojoin", .multicastAutoJoin, true, false),
        ("stable-privacy", .stablePrivacy, false, true),
    ]
}
