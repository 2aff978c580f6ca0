/// What diagnostics and keepalives need to know of a tunnel link, whatever its
/// kind: where its packets go (endpoints, bound device, mark, TOS, hop limit), the
/// bytes it adds in front of each inner packet, and the keys and flags of its GRE
/// header. The GRE kinds (`GreOptions`) are the tunnels gretool knows today; a kind
/// that adds tunnels conforms, and `diag` and `keepalive` take its links as they are.
public protocol TunnelKind: LinkKindOptions {
    /// The family of the outer header, and so of the endpoints.
    var family: AddressFamily { get }
    /// Whether it carries Ethernet frames (a tap) rather than IP packets.
    var isEthernet: Bool { get }
    var local: IPAddress? { get }
    var remote: IPAddress? { get }
    /// A flow-based (metadata-collecting) device, whose packets say their endpoints.
    var external: Bool { get }
    /// The device the tunnel is bound to (`dev`); 0 when none.
    var underlay: Int32 { get }
    /// The mark its packets carry; 0 when none, or when each takes the inner packet's.
    var outerMark: UInt32 { get }
    /// The TOS (IPv6: traffic class) its packets carry; 0 when each takes the inner
    /// packet's.
    var outerTOS: UInt8 { get }
    /// Hop limit of the outer header; 0 inherits the inner packet's.
    var ttl: UInt8 { get }
    /// IPv4: whether its packets carry DF and follow the path MTU.
    var pathMTUDiscovery: Bool { get }
    var inputFlags: GreFlags { get }
    var outputFlags: GreFlags { get }
    var inputKey: GreKey { get }
    var outputKey: GreKey { get }
    /// What the tunnel adds in front of every inner packet, item by item, from its
    /// actual options (what `diag mtu` explains).
    var overheadParts: [OverheadPart] { get }
    /// Whether an IPv6 tunnel puts the 8-byte encapsulation limit option (RFC 2473)
    /// after its outer header (`encaplimit` other than none).
    var addsEncapsulationLimit: Bool { get }
}

/// One item of a tunnel's per-packet overhead: what it is and how many bytes it takes.
public struct OverheadPart: Sendable, Equatable {
    public let name: String
    public let bytes: Int

    public init(name: String, bytes: Int) {
        self.name = name
        self.bytes = bytes
    }
}

extension TunnelKind {
    public var isIPv6: Bool { family == .inet6 }

    /// Bytes the tunnel adds in front of every inner packet, from its actual options.
    public var overhead: Int { overheadParts.reduce(0) { $0 + $1.bytes } }

    /// The outer IP header: the first part of the overhead, repeated by tunnel-mode ESP.
    public var outerHeader: OverheadPart {
        isIPv6 ? OverheadPart(name: "outer IPv6", bytes: 40) : OverheadPart(name: "outer IPv4", bytes: 20)
    }
}

extension Link {
    /// The link's options when it is a tunnel.
    public var tunnel: (any TunnelKind)? { options as? any TunnelKind }

    /// The link's tunnel options, or an error naming what the link is instead.
    public func tunnelOptions() throws(InvalidArgument) -> any TunnelKind {
        guard let tunnel else { throw notATunnel }
        return tunnel
    }

    /// The refusal of a link that is no tunnel, naming what it is.
    var notATunnel: InvalidArgument {
        InvalidArgument("\(name) is not a GRE tunnel (it is a \(kind ?? "plain \(hardwareType.name)") link)")
    }
}
