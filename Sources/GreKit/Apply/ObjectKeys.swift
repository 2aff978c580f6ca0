import Netlink

/// What makes a route the one it is for the kernel: two routes of one key cannot both
/// be added (NLM_F_EXCL), and a replace changes the route of its key in place.
public struct RouteKey: Hashable, Sendable, CustomStringConvertible {
    public let family: AddressFamily
    public let table: RouteTable
    public let destination: IPPrefix
    public let source: IPPrefix?
    public let tos: UInt8
    /// The metric as the kernel keeps it: 0 for IPv4 without one, 1024 for IPv6.
    public let metric: UInt32

    public init(_ route: Route) {
        family = route.family
        table = route.table
        destination = route.destination
        source = route.source
        tos = route.tos
        metric = route.priority ?? (route.family == .inet6 ? Route.ipv6DefaultMetric : 0)
    }

    /// "203.0.113.0/24", "default table 100", "2001:db8::/32 metric 5".
    public var description: String {
        var text = destination.length == 0 && family == .inet ? "default" : destination.description
        if let source { text += " from \(source)" }
        if tos != 0 { text += " tos \(hexadecimal(tos))" }
        if table != .main { text += " table \(table.name)" }
        if metric != (family == .inet6 ? Route.ipv6DefaultMetric : 0) { text += " metric \(metric)" }
        return text
    }
}

/// What makes an address the one it is on its device: its address, prefix length
/// and peer.
public struct AddressKey: Hashable, Sendable {
    public let interface: Int32
    public let local: IPAddress?
    public let prefixLength: UInt8
    public let peer: IPAddress?

    public init(_ address: Address) {
        interface = address.interface
        local = address.primary
        prefixLength = address.prefixLength
        peer = address.peer
    }
}
