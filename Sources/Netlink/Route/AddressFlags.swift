/// The flags of an interface address (IFA_F_*, linux/if_addr.h): the header's
/// ifa_flags byte, or all 32 bits in IFA_FLAGS. Some a request may set (`nodad`,
/// `noprefixroute`, ...); the others are states the kernel reports.
public struct AddressFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A secondary IPv4 address, or a temporary (privacy) IPv6 one. The C constants
    /// are `IFA_F_SECONDARY` and `IFA_F_TEMPORARY`.
    @inlinable public static var secondary: AddressFlags { AddressFlags(rawValue: 0x01) }
    /// Skip duplicate address detection. The C constant is `IFA_F_NODAD`.
    @inlinable public static var noDAD: AddressFlags { AddressFlags(rawValue: 0x02) }
    /// Optimistic duplicate address detection (RFC 4429). The C constant is `IFA_F_OPTIMISTIC`.
    @inlinable public static var optimistic: AddressFlags { AddressFlags(rawValue: 0x04) }
    /// Duplicate address detection failed. The C constant is `IFA_F_DADFAILED`.
    @inlinable public static var dadFailed: AddressFlags { AddressFlags(rawValue: 0x08) }
    /// A Mobile IPv6 home address. The C constant is `IFA_F_HOMEADDRESS`.
    @inlinable public static var homeAddress: AddressFlags { AddressFlags(rawValue: 0x10) }
    /// Past its preferred lifetime. The C constant is `IFA_F_DEPRECATED`.
    @inlinable public static var deprecated: AddressFlags { AddressFlags(rawValue: 0x20) }
    /// Duplicate address detection is under way. The C constant is `IFA_F_TENTATIVE`.
    @inlinable public static var tentative: AddressFlags { AddressFlags(rawValue: 0x40) }
    /// Configured, not learnt: no lifetime runs out. The C constant is `IFA_F_PERMANENT`.
    @inlinable public static var permanent: AddressFlags { AddressFlags(rawValue: 0x80) }
    /// Make temporary addresses from this one's prefix. The C constant is `IFA_F_MANAGETEMPADDR`.
    @inlinable public static var manageTemporaryAddress: AddressFlags { AddressFlags(rawValue: 0x100) }
    /// Add no prefix route for the address. The C constant is `IFA_F_NOPREFIXROUTE`.
    @inlinable public static var noPrefixRoute: AddressFlags { AddressFlags(rawValue: 0x200) }
    /// Join the multicast group the address is. The C constant is `IFA_F_MCAUTOJOIN`.
    @inlinable public static var multicastAutoJoin: AddressFlags { AddressFlags(rawValue: 0x400) }
    /// A stable privacy address (RFC 7217). The C constant is `IFA_F_STABLE_PRIVACY`.
    @inlinable public static var stablePrivacy: AddressFlags { AddressFlags(rawValue: 0x800) }
}
