import CMnl
import Netlink

/// The routes of the current network namespace, through one netlink socket.
/// Changes go through `changes`: the socket itself unless a batch pipelines them.
public struct RouteService {
    public let socket: NetlinkSocket
    public let changes: any ChangeSink

    public init(socket: NetlinkSocket, changes: (any ChangeSink)? = nil) {
        self.socket = socket
        self.changes = changes ?? socket
    }

    /// What a dump asks the kernel for; with strict checking on, the kernel
    /// filters by family, table, output device and protocol itself.
    public struct DumpFilter: Sendable {
        public var family: AddressFamily = .unspecified
        /// Nil for every table.
        public var table: RouteTable?
        public var outputInterface: Int32?
        public var protocolID: RouteProtocol?
        /// The cached routes (exceptions: learned path MTUs, redirects) instead of the tables'.
        public var cloned: Bool
        public init(family: AddressFamily = .unspecified, table: RouteTable? = nil,
                    outputInterface: Int32? = nil, protocolID: RouteProtocol? = nil, cloned: Bool = false) {
            self.family = family
            self.table = table
            self.outputInterface = outputInterface
            self.protocolID = protocolID
            self.cloned = cloned
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

    /// `list`, as the kernel's messages: each route decoded when it is asked for.
    public func messages(_ filter: DumpFilter = DumpFilter()) throws -> RouteList {
        try socket.collect(.getRoute, { try Self.encodeDumpRequest($0, filter) }, into: RouteList()) { $0.append($1) }
    }

    private static func encodeDumpRequest(_ message: MessageWriter, _ filter: DumpFilter) throws {
        var header = rtmsg()
        header.rtm_family = filter.family.rawValue
        header.rtm_protocol = (filter.protocolID ?? .unspecified).rawValue
        if filter.cloned { header.rtm_flags = RouteFlags.cloned.rawValue }
        let request = try message.header(header, attributes: RouteAttribute.self)
        if let table = filter.table { try request.put(.table, table.rawValue) }
        if let index = filter.outputInterface { try request.put(.outputInterface, UInt32(bitPattern: index)) }
    }

    /// Sends the route as the verb asks (add, change, replace, prepend, append, delete).
    public func apply(_ route: Route, _ change: RouteChange) throws {
        try changes.send(change.request(for: route)) { try route.encode($0) }
    }

    /// Deletes every route the dump filter and `matches` select, dumping again until
    /// none is left (deleting one route can take others with it, or a concurrent
    /// change can add some), at most `rounds` times. Returns how many were deleted.
    @discardableResult
    public func flush(_ filter: DumpFilter, rounds: Int = 10, matching matches: (Route) -> Bool) throws -> Int {
        var deleted = 0
        for _ in 0..<rounds {
            let doomed = try list(filter).filter(matches)
            if doomed.isEmpty { return deleted }
            let pipeline = RequestPipeline(transport: socket, mode: .continueAfterFailures)
            var failures: [NetlinkError] = []
            pipeline.onFailure = { failure in
                // Gone already (taken with an address or device deleted before it): flushed.
                if failure.error.errno != .noSuchProcess && failure.error.errno != .noSuchFileOrDirectory {
                    failures.append(failure.error)
                }
            }
            for route in doomed { try pipeline.send(RouteChange.delete.request) { try route.encode($0) } }
            try pipeline.flush()
            if let failure = failures.first { throw failure }
            deleted += doomed.count
        }
        return deleted
    }

    /// Empties the IPv4 routing cache (`route flush cache`): writes -1 to
    /// /proc/sys/net/ipv4/route/flush, as iproute2 does; IPv4 keeps its cached routes
    /// there, out of netlink's reach.
    public func flushIPv4Cache(_ controls: SystemControls = SystemControls()) throws {
        try controls.set(["net", "ipv4", "route", "flush"], to: "-1")
    }

    /// A route lookup, as `ip route get`: the route the kernel would use for a packet.
    public struct Lookup: Sendable {
        public var destination: IPAddress
        public var source: IPAddress?
        public var inputInterface: Int32?
        public var outputInterface: Int32?
        public var mark: UInt32?
        public var tos: UInt8 = 0
        public var uid: UInt32?
        /// Return the matching table entry rather than the resolved (cloned) result.
        public var fibMatch = false
        /// The flow's transport: its protocol and ports (as a socket's lookup gives them).
        public var ipProtocol: IPProtocol?
        public var sourcePort: UInt16?
        public var destinationPort: UInt16?
        /// RTM_F_NOTIFY: the kernel marks the cached route it answers with.
        public var notify = false
        /// Look up again from the source address the first answer chose, as a socket
        /// connected by that answer would (without `from` only).
        public var connected = false

        public init(destination: IPAddress) { self.destination = destination }
    }

    public func lookup(_ lookup: Lookup) throws -> Route {
        let route = try ask(lookup)
        guard lookup.connected, lookup.source == nil else { return route }
        guard let source = route.preferredSource ?? route.source?.address else {
            throw NetlinkError(errno: .addressNotAvailable, kernelMessage: "the route has no source address to connect from")
        }
        var connected = lookup
        connected.source = source
        return try ask(connected)
    }

    private func ask(_ lookup: Lookup) throws -> Route {
        try socket.fetch(.getRoute, { message in
            var header = rtmsg()
            header.rtm_family = lookup.destination.family.rawValue
            header.rtm_dst_len = UInt8(lookup.destination.family.bitWidth)
            header.rtm_tos = lookup.tos
            if let source = lookup.source { header.rtm_src_len = UInt8(source.family.bitWidth) }
            // Only IPv4 reports the table the route was found in.
            var flags: RouteFlags = []
            if lookup.destination.family == .inet { flags.insert(.lookupTable) }
            if lookup.fibMatch { flags.insert(.fibMatch) }
            if lookup.notify { flags.insert(.notify) }
            header.rtm_flags = flags.rawValue
            let request = try message.header(header, attributes: RouteAttribute.self)
            try request.put(.destination, lookup.destination)
            if let source = lookup.source { try request.put(.source, source) }
            if let index = lookup.inputInterface { try request.put(.inputInterface, UInt32(bitPattern: index)) }
            if let index = lookup.outputInterface { try request.put(.outputInterface, UInt32(bitPattern: index)) }
            if let mark = lookup.mark { try request.put(.mark, mark) }
            if let uid = lookup.uid { try request.put(.uid, uid) }
            if let ipProtocol = lookup.ipProtocol { try request.put(.ipProto, ipProtocol.rawValue) }
            if let port = lookup.sourcePort { try request.put(.sport, BigEndian(port)) }
            if let port = lookup.destinationPort { try request.put(.dport, BigEndian(port)) }
        }) { message in
            guard let route = Route(message) else {
                throw NetlinkError(errno: .badMessage, kernelMessage: "unexpected reply to a route lookup")
            }
            return route
        }
    }
}
