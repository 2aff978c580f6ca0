import Netlink

/// One end's view of a keepalive exchange: the tunnel's endpoints and the GRE
/// options its packets carry, or an explicit target given on the command line.
public struct KeepaliveTarget: Hashable, Sendable {
    public var local: IPAddress
    public var remote: IPAddress
    /// Checksum, key and sequence flags of the outer GRE header, as the tunnel sends.
    public var outputFlags: GreFlags
    public var outputKey: UInt32
    /// Checksum and key flags of the inner GRE header: what the tunnel expects to receive.
    public var inputFlags: GreFlags
    public var inputKey: UInt32
    /// Hop limit of the outer header: the tunnel's TTL (255 where it inherits).
    public var hopLimit: UInt8
    /// The tunnel's mark, underlay device and TOS; none for an explicit target.
    public var path: OuterPath

    /// An explicit target: both directions keyed with `key`, or unkeyed.
    public init(local: IPAddress, remote: IPAddress, key: UInt32? = nil) {
        self.local = local
        self.remote = remote
        outputFlags = key == nil ? [] : .key
        inputFlags = outputFlags
        outputKey = key ?? 0
        inputKey = key ?? 0
        hopLimit = 255
        path = OuterPath()
    }

    /// The target of a tunnel whose local address is `local` (its own, or the one
    /// the kernel picks toward the remote when the tunnel leaves it open).
    public init(options: any TunnelKind, local: IPAddress, remote: IPAddress) {
        self.local = local
        self.remote = remote
        outputFlags = options.outputFlags.intersection([.checksum, .key, .sequence])
        inputFlags = options.inputFlags.intersection([.checksum, .key])
        outputKey = options.outputFlags.contains(.key) ? options.outputKey.value : 0
        inputKey = options.inputFlags.contains(.key) ? options.inputKey.value : 0
        hopLimit = options.ttl == 0 ? 255 : options.ttl
        path = OuterPath(tunnel: options)
    }

    public var family: AddressFamily { remote.family }

    /// What the reflected keepalive looks like on arrival: from the remote end, to
    /// this one, with the tunnel's input key.
    public var replyFlow: GreFlow {
        GreFlow(source: remote, destination: local, key: inputFlags.contains(.key) ? inputKey : nil)
    }

    /// The largest nonce the inner header can carry: the IPv4 identification field
    /// (16 bits) or the IPv6 flow label (20 bits).
    public var nonceLimit: UInt32 { family == .inet6 ? IPv6Header.flowLabelMask : UInt32(UInt16.max) }
}
