/// How the kernel makes a link's IPv6 link-local address (IFLA_INET6_ADDR_GEN_MODE,
/// IN6_ADDR_GEN_MODE_* in linux/if_link.h): `link set DEV addrgenmode MODE`, and
/// `addrgenmode` under `ip -d link show`.
public struct AddressGenerationMode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// IN6_ADDR_GEN_MODE_EUI64: from the link's MAC address.
    public static var eui64: AddressGenerationMode { AddressGenerationMode(rawValue: 0) }
    /// IN6_ADDR_GEN_MODE_NONE: none.
    public static var none: AddressGenerationMode { AddressGenerationMode(rawValue: 1) }
    /// IN6_ADDR_GEN_MODE_STABLE_PRIVACY: from the stable_secret sysctl (RFC 7217).
    public static var stablePrivacy: AddressGenerationMode { AddressGenerationMode(rawValue: 2) }
    /// IN6_ADDR_GEN_MODE_RANDOM: a random one.
    public static var random: AddressGenerationMode { AddressGenerationMode(rawValue: 3) }

    /// The modes by the words iproute2 reads and prints (get_addr_gen_mode, print_af_spec).
    static let named: [(String, AddressGenerationMode)] = [
        ("eui64", .eui64), ("none", .none), ("stable_secret", .stablePrivacy), ("random", .random),
    ]

    /// The mode a word names, or nil.
    public init?(name: String) {
        guard let mode = Self.named.first(where: { $0.0 == name })?.1 else { return nil }
        self = mode
    }

    /// iproute2's word for it; a value it has none for prints as "0x04".
    public var name: String { Self.named.first { $0.1 == self }?.0 ?? hexadecimal(rawValue, digits: 2) }
}
