import Glibc

/// An IP protocol number (the IPv4 protocol field, IPv6's next header), as IPsec policies
/// and SAs select and carry them and as policy rules match them (`ipproto`).
public struct IPProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// In a selector: every protocol.
    public static let any = IPProtocol(rawValue: 0)
    /// IPv4 in IP (an ip6tnl tunnel's `ipip6`).
    public static let ipip = IPProtocol(rawValue: 4)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    /// IPv6 in IP (an ip6tnl tunnel's `ip6ip6`).
    public static let ipv6 = IPProtocol(rawValue: 41)
    public static let gre = IPProtocol(rawValue: 47)
    public static let esp = IPProtocol(rawValue: 50)
    public static let ah = IPProtocol(rawValue: 51)
    /// IP payload compression (IPComp).
    public static let comp = IPProtocol(rawValue: 108)

    /// The name `ip xfrm` uses, or the number.
    public var description: String {
        switch self {
        case .any: "any"
        case .tcp: "tcp"
        case .udp: "udp"
        case .gre: "gre"
        case .esp: "esp"
        case .ah: "ah"
        case .comp: "comp"
        default: String(rawValue)
        }
    }

    /// A name from /etc/protocols ("tcp") or a number, as `ip rule ... ipproto` takes them.
    public init?(protocolsName text: String) {
        if let number = UInt8(text) { self.init(rawValue: number); return }
        guard let entry = getprotobyname(text) else { return nil }
        self.init(rawValue: UInt8(truncatingIfNeeded: entry.pointee.p_proto))
    }

    /// The name /etc/protocols gives this number, or the number: a word `ipproto` takes.
    public var protocolsName: String { protocolsDatabaseName ?? String(rawValue) }

    /// The name /etc/protocols gives this number, if it gives one.
    public var protocolsDatabaseName: String? {
        guard let entry = getprotobynumber(Int32(rawValue)), let name = entry.pointee.p_name else { return nil }
        return String(cString: name)
    }
}
