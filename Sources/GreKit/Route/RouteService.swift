import CMnl
import Netlink

/// The routes of the current network namespace, through one netlink socket.
public struct RouteService {
    public let socket: NetlinkSocket

    public init(socket: NetlinkSocket) { self.socket = socket }

    /// What a dump asks the kernel for; with strict checking on, the kernel
    /// filters by family and table itself.
    public struct DumpFilter: Sendable {
        public var family: AddressFamily = .unspecified
        /// nil: every table.
        public var table: UInt32?
        public init(family: AddressFamily = .unspecified, table: UInt32? = nil) {
            self.family = family
            self.table = table
        }
    }

    /// Streams every route the filter selects; `each` sees them in the kernel's order.
    /// Returns whether the kernel flagged the dump as interrupted.
    @discardableResult
    public func dump(_ filter: DumpFilter = DumpFilter(), each: (Route) throws -> Void) throws -> DumpConsistency {
        try socket.dump(.getRoute, { try Self.encodeDumpRequest($0, filter) }) { message in
            if let route = Route(message) { try each(route) }
        }
    }

    /// Every route the filter selects, restarted when a concurrent change interrupts the dump.
    public func list(_ filter: DumpFilter = DumpFilter()) throws -> [Route] {
        try socket.collect(.getRoute, { try Self.encodeDumpRequest($0, filter) }) { Route($0) }
    }

    private static func encodeDumpRequest(_ message: MessageWriter, _ filter: DumpFilter) throws {
        var header = rtmsg()
        header.rtm_family = filter.family.rawValue
        if let table = filter.table, table < 256 { header.rtm_table = UInt8(table) }
        let request = try message.header(header, attributes: RouteAttribute.self)
        if let table = filter.table, table >= 256 { try request.put(.table, table) }
    }

    /// Adds a route; `exclusive` refuses one that exists (add), else it is appended.
    public func add(_ route: Route, exclusive: Bool = true) throws {
        try socket.perform(.newRoute, flags: exclusive ? [.create, .exclusive] : [.create, .append]) { try route.encode($0) }
    }

    /// Replaces the route with the same key (destination, tos, priority, table), or adds it.
    public func replace(_ route: Route) throws {
        try socket.perform(.newRoute, flags: [.create, .replace]) { try route.encode($0) }
    }

    /// Changes an existing route with the same key.
    public func change(_ route: Route) throws {
        try socket.perform(.newRoute, flags: [.replace]) { try route.encode($0) }
    }

    /// Deletes the first route the description matches (the kernel's rule: unset fields match anything).
    public func delete(_ route: Route) throws {
        try socket.perform(.deleteRoute) { try route.encode($0) }
    }

    /// A route lookup, as `ip route get`: the route the kernel would use for a packet.
    public struct Lookup: Sendable {
        public var destination: IPAddress
        public var source: IPAddress?
        public var inputInterface: Int32?
        public var outputInterface: Int32?
        public var mark: UInt32?
        /// Return the matching table entry rather than the resolved (cloned) result.
        public var fibMatch = false

        public init(destination: IPAddress) { self.destination = destination }
    }

    /// RTM_F_FIB_MATCH in rtm_flags.
    private static let fibMatchFlag: UInt32 = 0x2000

    public func lookup(_ lookup: Lookup) throws -> Route {
        try socket.fetch(.getRoute, { message in
            var header = rtmsg()
            header.rtm_family = lookup.destination.family.rawValue
            header.rtm_dst_len = UInt8(lookup.destination.family.bitWidth)
            if let source = lookup.source { header.rtm_src_len = UInt8(source.family.bitWidth) }
            if lookup.fibMatch { header.rtm_flags = Self.fibMatchFlag }
            let request = try message.header(header, attributes: RouteAttribute.self)
            try request.put(.destination, lookup.destination)
            if let source = lookup.source { try request.put(.source, source) }
            if let index = lookup.inputInterface { try request.put(.inputInterface, UInt32(bitPattern: index)) }
            if let index = lookup.outputInterface { try request.put(.outputInterface, UInt32(bitPattern: index)) }
            if let mark = lookup.mark { try request.put(.mark, mark) }
        }) { message in
            guard let route = Route(message) else {
                throw NetlinkError(errno: .badMessage, kernelMessage: "unexpected reply to a route lookup")
            }
            return route
        }
    }
}
