import Netlink

/// What the kernel tells one route from another in its table: two routes with the same
/// key cannot both be added (IPv4 keeps a second only when appended), and a replace or
/// a delete names the route by it. Keepalive actions index routes by it; apply compares
/// and names them by it.
public struct RouteKey: Hashable, Sendable, CustomStringConvertible {
    public let family: AddressFamily
    public let table: RouteTable
    public let destination: IPPrefix
    public let source: IPPrefix?
    public let tos: UInt8
    /// The metric as the kernel keeps it: 0 for IPv4 without one, 1024 for IPv6.
    public let metric: UInt32

    /// An order for listing: by family, table, destination and metric.
    func precedes(_ other: RouteKey) -> Bool {
        (family.rawValue, table.rawValue, destination.address, destination.length, metric, tos)
            < (other.family.rawValue, other.table.rawValue, other.destination.address, other.destination.length, other.metric, other.tos)
    }

    /// Borrowed: an initialiser's argument is otherwise the initialiser's own, a copy of
    /// the whole route (a large value) for the caller that keeps it.
    public init(_ route: borrowing Route) {
        self.init(family: route.family, table: route.table, destination: route.destination, source: route.source, tos: route.tos,
                  priority: route.priority)
    }

    /// `priority`: the route's metric, if it has one.
    init(family: AddressFamily, table: RouteTable, destination: IPPrefix, source: IPPrefix?, tos: UInt8, priority: UInt32?) {
        self.family = family
        self.table = table
        self.destination = destination
        self.source = source
        self.tos = tos
        metric = priority ?? (family == .inet6 ? Route.ipv6DefaultMetric : 0)
    }

    /// Hashed as a few words rather than field by field: apply hashes the routes of a
    /// file, and the kernel's, by the ten thousand.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(table.rawValue) << 32 | UInt64(metric))
        hasher.combine(UInt32(family.rawValue) << 24 | UInt32(tos) << 16 | UInt32(destination.length) << 8 | UInt32(source?.length ?? 0))
        Self.combine(destination.address, into: &hasher)
        if let source { Self.combine(source.address, into: &hasher) }
    }

    private static func combine(_ address: IPAddress, into hasher: inout Hasher) {
        switch address {
        case .v4(let address): hasher.combine(address.value)
        case .v6(let address):
            hasher.combine(address.high)
            hasher.combine(address.low)
        }
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

extension RouteKey {
    /// Whether each key is one met before it: a route that follows another of its key
    /// is declared with `route append` (IPv4 keeps several so, tried in order).
    public static func repeats(_ keys: some Collection<RouteKey>) -> [Bool] {
        var met = Set<RouteKey>()
        met.reserveCapacity(keys.count)
        return keys.map { !met.insert($0).inserted }
    }
}
