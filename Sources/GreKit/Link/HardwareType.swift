/// A link's hardware type (ARPHRD_* in net/if_arp.h and linux/if_arp.h): what its
/// link-layer addresses are, and the word `link show` prints after "link/". The types
/// gretool names are below; a unit test pins them to the C headers.
public struct HardwareType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// ARPHRD_ETHER: Ethernet (veth, bridge, vxlan, gretap).
    public static var ether: HardwareType { HardwareType(rawValue: 1) }
    /// ARPHRD_TUNNEL: IPIP.
    public static var ipip: HardwareType { HardwareType(rawValue: 768) }
    /// ARPHRD_TUNNEL6: IP over IPv6.
    public static var tunnel6: HardwareType { HardwareType(rawValue: 769) }
    /// ARPHRD_LOOPBACK
    public static var loopback: HardwareType { HardwareType(rawValue: 772) }
    /// ARPHRD_SIT: IPv6 in IPv4.
    public static var sit: HardwareType { HardwareType(rawValue: 776) }
    /// ARPHRD_IPGRE: GRE over IPv4.
    public static var gre: HardwareType { HardwareType(rawValue: 778) }
    /// ARPHRD_IP6GRE: GRE over IPv6.
    public static var ip6gre: HardwareType { HardwareType(rawValue: 823) }
    /// ARPHRD_NONE: no link-layer header (wireguard, tun).
    public static var none: HardwareType { HardwareType(rawValue: 0xfffe) }
    /// ARPHRD_VOID: nothing is known.
    public static var void: HardwareType { HardwareType(rawValue: 0xffff) }

    /// The word iproute2 prints for the type: "ether", "gre", or "[NUMBER]" for the
    /// types it has no name for here.
    public var name: String {
        switch self {
        case .ether: "ether"
        case .ipip: "ipip"
        case .tunnel6: "tunnel6"
        case .loopback: "loopback"
        case .sit: "sit"
        case .gre: "gre"
        case .ip6gre: "gre6"
        case .none: "none"
        case .void: "void"
        default: "[\(rawValue)]"
        }
    }

    /// Whether the link-layer addresses are IP addresses (the tunnels' endpoints).
    public var carriesIPAddress: Bool {
        [.ipip, .tunnel6, .sit, .gre, .ip6gre].contains(self)
    }
}
