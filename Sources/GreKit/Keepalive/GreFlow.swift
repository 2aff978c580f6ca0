import Netlink

/// Who sent a GRE packet to whom, with which key: what ties a reflected keepalive to
/// its target, and what a responder accepts.
public struct GreFlow: Hashable, Sendable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    /// The GRE key, nil when the packet carries none.
    public var key: UInt32?

    public init(source: IPAddress, destination: IPAddress, key: UInt32?) {
        self.source = source
        self.destination = destination
        self.key = key
    }

    public var description: String {
        "\(source) -> \(destination)" + (key.map { " key \($0)" } ?? "")
    }
}
