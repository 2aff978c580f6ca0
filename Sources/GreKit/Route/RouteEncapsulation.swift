import CMnl
import Netlink

/// A route's lightweight-tunnel encapsulation (RTA_ENCAP_TYPE and RTA_ENCAP): the
/// metadata a tunnel in collect_md mode (a GRE link with `external`) sends a packet
/// with. The route keeps the attributes as the kernel sent them (`Route.opaque`);
/// this is what they say, for `route show`.
public struct RouteEncapsulation: Sendable, Equatable {
    public var type: EncapsulationType
    /// ip and ip6: the tunnel key, and the outer header's addresses and fields.
    public var id: UInt64?
    public var source: IPAddress?
    public var destination: IPAddress?
    /// The TTL (ip) or hop limit (ip6).
    public var ttl: UInt8?
    /// The TOS (ip) or traffic class (ip6).
    public var tos: UInt8?
    public var flags: Flags = []

    /// TUNNEL_* of the tunnel key (the kernel's ip_tunnels.h, not uapi; iproute2 copies
    /// them), sent in network byte order.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let checksum = Flags(rawValue: 0x01)
        public static let key = Flags(rawValue: 0x04)
        public static let sequence = Flags(rawValue: 0x08)
    }

    public init(type: EncapsulationType) { self.type = type }

    /// The encapsulation among `attributes` (a route's or a leg's), if any.
    init?(_ attributes: [OpaqueAttribute]) {
        guard let typeAttribute = attributes.first(where: { $0.typeAndFlags & cmnl_nla_type_mask == RouteAttribute.encapType.rawValue }),
              typeAttribute.payload.count >= 2 else { return nil }
        let rawType = typeAttribute.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        self.init(type: EncapsulationType(rawValue: rawType) ?? .none)
        guard let encap = attributes.first(where: { $0.typeAndFlags & cmnl_nla_type_mask == RouteAttribute.encap.rawValue }) else { return }
        encap.payload.withUnsafeBytes { payload in
            switch type {
            case .ip:
                for attribute in AttributeList<IPEncapAttribute>(payload) {
                    switch attribute.key {
                    case .id?: id = UInt64(bigEndian: attribute.u64)
                    case .source?: source = IPAddress(bytes: attribute.payload)
                    case .destination?: destination = IPAddress(bytes: attribute.payload)
                    case .ttl?: ttl = attribute.u8
                    case .tos?: tos = attribute.u8
                    case .flags?: flags = Flags(rawValue: UInt16(bigEndian: attribute.u16))
                    default: break
                    }
                }
            case .ip6:
                for attribute in AttributeList<IP6EncapAttribute>(payload) {
                    switch attribute.key {
                    case .id?: id = UInt64(bigEndian: attribute.u64)
                    case .source?: source = IPAddress(bytes: attribute.payload)
                    case .destination?: destination = IPAddress(bytes: attribute.payload)
                    case .hoplimit?: ttl = attribute.u8
                    case .trafficClass?: tos = attribute.u8
                    case .flags?: flags = Flags(rawValue: UInt16(bigEndian: attribute.u16))
                    default: break
                    }
                }
            default:
                break
            }
        }
    }
}

extension RouteEncapsulation {
    /// The type as iproute2 names it (format_encap_type).
    public var typeName: String {
        switch type {
        case .mpls: "mpls"
        case .ip: "ip"
        case .ila: "ila"
        case .ip6: "ip6"
        case .seg6: "seg6"
        case .bpf: "bpf"
        case .seg6Local: "seg6local"
        case .rpl: "rpl"
        case .ioam6: "ioam6"
        case .xfrm: "xfrm"
        case .none: "unknown"
        }
    }
}
