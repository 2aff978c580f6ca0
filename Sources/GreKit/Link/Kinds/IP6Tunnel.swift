import Netlink

// ip6tnl links (the ip6_tunnel module: IPv4 or IPv6 packets in IPv6, iproute2's
// link_ip6tnl.c). gretool shows them, as `ip -d link show` does (the module makes its
// fallback device, ip6tnl0, in every namespace once ip6gre is loaded), but makes none.

/// IFLA_IPTUN_*: inside IFLA_INFO_DATA of an ip6tnl link (and of ipip and sit links,
/// which gretool does not decode).
public enum IPTunnelAttribute: UInt16, NetlinkAttributeType {
    case link = 1, local, remote, ttl, tos, encapLimit, flowInfo, flags, proto, pmtudisc
    case sixRDPrefix, sixRDRelayPrefix, sixRDPrefixLength, sixRDRelayPrefixLength
    case encapType, encapFlags, encapSourcePort, encapDestinationPort, collectMetadata, fwmark
}

/// What an ip6tnl link reports, as iproute2 prints it (ip6tunnel_print_opt).
public struct IPv6TunnelDescription: LinkKindDescription {
    public static let kinds = ["ip6tnl"]

    /// What the tunnel carries: IPv6 (`ip6ip6`), IPv4 (`ipip6`) or either (`any`);
    /// nil when not reported, or a protocol iproute2 has no word for.
    public var mode: String?
    public var local: IPAddress?
    public var remote: IPAddress?
    /// The device the tunnel is bound to (0: none).
    public var underlay: Int32 = 0
    /// The outer header's hop limit; 0 inherits the inner packet's.
    public var hopLimit: UInt8 = 0
    public var encapLimit: UInt8?
    /// Traffic class and flow label as the 32-bit flowinfo word (host order).
    public var flowInfo: UInt32?
    public var flags: IPv6TunnelFlags = []
    public var fwmark: UInt32?
    public var encapsulation = TunnelEncapsulation()
    /// `external`: a metadata-collecting device.
    public var external = false

    public init(kind: String, data: Attribute<LinkInfoAttribute>?) {
        guard let data else { return }
        for attribute in data.nested(IPTunnelAttribute.self) {
            switch attribute.key {
            case .proto?:
                switch IPProtocol(rawValue: attribute.u8) {
                case .ipip: mode = "ipip6"
                case .ipv6: mode = "ip6ip6"
                case .any: mode = "any"
                default: mode = nil
                }
            case .local?: local = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .remote?: remote = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .link?: underlay = Int32(bitPattern: attribute.u32)
            case .ttl?: hopLimit = attribute.u8
            case .encapLimit?: encapLimit = attribute.u8
            case .flowInfo?: flowInfo = attribute.be32
            case .flags?: flags = IPv6TunnelFlags(rawValue: attribute.u32)
            case .fwmark?: fwmark = attribute.u32
            case .encapType?: encapsulation.kind = TunnelEncapsulation.Kind(rawValue: attribute.u16) ?? .none
            case .encapFlags?: encapsulation.flags = .init(rawValue: attribute.u16)
            case .encapSourcePort?: encapsulation.sourcePort = attribute.be16
            case .encapDestinationPort?: encapsulation.destinationPort = attribute.be16
            case .collectMetadata?: external = true
            case .tos?, .pmtudisc?, .sixRDPrefix?, .sixRDRelayPrefix?, .sixRDPrefixLength?, .sixRDRelayPrefixLength?, nil: break
            }
        }
    }

    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        var fields: [Field] = []
        if external { fields.append(.flag("external")) }
        if let mode { fields.append(Field("proto", .string(mode), text: mode)) }
        for (key, address) in [("remote", remote), ("local", local)] {
            let text = address?.description ?? "any"
            fields.append(.string(key, text))
        }
        if underlay != 0 { fields.append(.string("link", devices.displayName(of: underlay), label: "dev")) }
        fields.append(Field("ttl", .unsigned(UInt64(hopLimit)), text: hopLimit == 0 ? "hoplimit inherit" : "hoplimit \(hopLimit)"))
        if flags.contains(.ignoreEncapLimit) {
            fields.append(.flag("ip6_tnl_f_ign_encap_limit", text: "encaplimit none"))
        } else if let encapLimit {
            fields.append(.unsigned("encap_limit", encapLimit, label: "encaplimit"))
        }
        if flags.contains(.useOriginalTrafficClass) {
            fields.append(.flag("ip6_tnl_f_use_orig_tclass", text: "tclass inherit"))
        } else if let flowInfo {
            fields.append(.string("tclass", hexadecimal(flowInfo >> 20 & 0xff, digits: 2)))
        }
        if flags.contains(.useOriginalFlowLabel) {
            fields.append(.flag("ip6_tnl_f_use_orig_flowlabel", text: "flowlabel inherit"))
        } else if let flowInfo {
            fields.append(.string("flowlabel", hexadecimal(flowInfo & 0xF_FFFF, digits: 5)))
        }
        if flags.contains(.receiveDSCPCopy) { fields.append(.flag("ip6_tnl_f_rcv_dscp_copy", text: "dscp inherit")) }
        if flags.contains(.mip6Device) { fields.append(.flag("ip6_tnl_f_mip6_dev", text: "mip6")) }
        if flags.contains(.allowLocalRemote) { fields.append(.flag("ip6_tnl_f_allow_local_remote", text: "allow-localremote")) }
        if flags.contains(.useOriginalFwmark) {
            fields.append(.flag("ip6_tnl_f_use_orig_fwmark", text: "fwmark inherit"))
        } else if let fwmark, fwmark != 0 {
            fields.append(.hex("fwmark", fwmark))
        }
        if encapsulation.kind != .none { fields.append(encapsulation.field) }
        return fields
    }
}
