/// How a tunnel's outer packets are routed and marked, so its keepalives take the same
/// path through policy routing and the underlay: the tunnel's fwmark, the underlay
/// device it is bound to (`dev`), and its TOS (IPv4) or traffic class (ip6gre). Where
/// the tunnel takes one from the inner packet (`tos inherit`, `fwmark inherit`), a
/// keepalive gets 0, the value of its own inner packet.
public struct OuterPath: Hashable, Sendable {
    /// 0: no mark.
    public var mark: UInt32
    /// The interface index packets must leave by; 0: wherever routing says.
    public var interface: Int32
    public var tos: UInt8

    public init(mark: UInt32 = 0, interface: Int32 = 0, tos: UInt8 = 0) {
        self.mark = mark
        self.interface = interface
        self.tos = tos
    }

    /// The path of a tunnel's own packets.
    public init(tunnel options: any TunnelKind) {
        mark = options.outerMark
        interface = options.underlay
        tos = options.outerTOS
    }
}
