import CMnl
import Netlink

/// Routes in an order of their own, named by their place: the kernel's as a dump sent
/// them (the planner names a kernel route by its place), or those a file declares, as
/// it declares them. An IPv4 route of the usual form, as files declare them and dumps
/// send them by the ten thousand, is kept as a record of its fields; any other route
/// from a dump as the kernel's message, decoded each time it is asked for, and any
/// other declared route whole, apart. Memory is paid for in page faults (about 2 us
/// each): a record takes 32 bytes, where the message of a route through a gateway and
/// a device took 68 and its place 8 more, and the whole route takes 72; a message
/// takes about half of what the decoded route would.
public struct RouteList: RandomAccessCollection, ExpressibleByArrayLiteral, Equatable, Sendable {
    /// Each route's record or the place of its message or whole route, in chunks of a
    /// fixed count filled one after another: one array that grew would be copied each
    /// time it did, into memory touched afresh. These are the chunks filled.
    private var fullChunks: [[Entry]] = []
    /// The chunk being filled, apart from the others: appended to inside the array of
    /// chunks, it was checked for sharing twice, the array and the chunk (70
    /// instructions an entry, with 20,000 entries in an apply of 10,000 routes).
    private var filling: [Entry] = []
    /// The messages of the routes from a dump that are no records, each starting
    /// 4-aligned, as in a datagram, and whole in one block; blocks are filled one after
    /// another too.
    private var blocks: [[UInt8]] = []
    /// The routes appended whole that are no records (few: IPv6, legs, metrics, ...).
    private var apart: [Route] = []
    /// The count of a chunk: 64 KiB of entries, less than malloc maps apart (128 KiB).
    private static let entriesPerChunk = 2048
    /// The room of a block: many messages, and less than malloc maps apart.
    private static let blockSize = 64 * 1024

    private enum Entry: Sendable {
        case record(Record)
        case message(block: Int32, offset: Int32)
        /// The place of a whole route in `apart`.
        case route(Int32)
    }

    public init() {}

    /// The routes, in their order.
    public init(_ routes: some Sequence<Route>) {
        for route in routes { append(route) }
    }

    public init(arrayLiteral routes: Route...) {
        self.init(routes)
    }

    /// Two lists are equal when they hold the same routes in the same order, however
    /// each keeps them.
    public static func == (left: RouteList, right: RouteList) -> Bool { left.elementsEqual(right) }

    public var startIndex: Int { 0 }
    public private(set) var endIndex = 0

    public subscript(position: Int) -> Route {
        switch entry(at: position) {
        case .record(let record): record.route
        // Only messages that decode are kept.
        case .message(let block, let offset): withMessage(block: block, offset: offset) { Route($0)! }
        case .route(let place): apart[Int(place)]
        }
    }

    /// The route at `position` when it is of the usual form (`Route.plain`), read from
    /// its record or message; nil for a route appended whole (the planner reads a
    /// kernel's list so, and compares a declared route kept whole as a Route).
    func plain(at position: Int) -> Route.Plain? {
        switch entry(at: position) {
        case .record(let record): record.plain
        case .message(let block, let offset): withMessage(block: block, offset: offset, Route.plain)
        case .route: nil
        }
    }

    /// The record of the route at `position`, if it is kept as one.
    func record(at position: Int) -> Record? {
        guard case .record(let record) = entry(at: position) else { return nil }
        return record
    }

    /// The key of the route at `position`, without making the route when it is a record.
    func key(at position: Int) -> RouteKey {
        switch entry(at: position) {
        case .record(let record): record.key
        case .message: RouteKey(self[position])
        // Read where it lies: a route copied out of the array is retained and released.
        case .route(let place): apart.withUnsafeBufferPointer { RouteKey($0[Int(place)]) }
        }
    }

    private func entry(at position: Int) -> Entry {
        let (chunk, offset) = position.quotientAndRemainder(dividingBy: Self.entriesPerChunk)
        return chunk < fullChunks.count ? fullChunks[chunk][offset] : filling[offset]
    }

    private func withMessage<Result>(block: Int32, offset: Int32, _ body: (NetlinkMessage) -> Result) -> Result {
        blocks[Int(block)].withUnsafeBytes { buffer in
            body(NetlinkMessage(header: (buffer.baseAddress! + Int(offset)).assumingMemoryBound(to: nlmsghdr.self)))
        }
    }

    /// Keeps a route as its record when one holds it exactly, else whole.
    public mutating func append(_ route: consuming Route) {
        if let record = Record(route) {
            append(.record(record))
        } else {
            apart.append(route)
            append(.route(Int32(apart.count - 1)))
        }
    }

    /// Keeps a message that describes a route; others are left out, as `Route.init` leaves them.
    mutating func append(_ message: NetlinkMessage) {
        guard let (header, family) = Route.header(of: message) else { return }
        let record = Record(header, family, message.attributes(after: rtmsg.self, RouteAttribute.self))
        append(record.map(Entry.record) ?? keep(message))
    }

    /// Inlined into both appends: called, the entry (a record, 31 bytes) was packed into
    /// its argument's registers and unpacked again.
    @inline(__always)
    private mutating func append(_ entry: Entry) {
        if filling.isEmpty { filling.reserveCapacity(Self.entriesPerChunk) }
        filling.append(entry)
        endIndex += 1
        if filling.count == Self.entriesPerChunk {
            fullChunks.append(filling)
            filling = []
        }
    }

    /// Copies the message into the last block, or a new one when it does not fit.
    private mutating func keep(_ message: NetlinkMessage) -> Entry {
        // A message of a length no multiple of 4 is followed by padding (the kernel's are not).
        var offset = ((blocks.last?.count ?? 0) + 3) & ~3
        if blocks.isEmpty || offset + message.length > blocks[blocks.count - 1].capacity {
            blocks.append([])
            blocks[blocks.count - 1].reserveCapacity(Swift.max(Self.blockSize, message.length))
            offset = 0
        }
        let last = blocks.count - 1
        while blocks[last].count < offset { blocks[last].append(0) }
        blocks[last].append(contentsOf: UnsafeRawBufferPointer(start: message.header, count: message.length))
        return .message(block: Int32(last), offset: Int32(offset))
    }

    /// An IPv4 route that has nothing but a destination, a table, a metric, a gateway
    /// and a device, and the fields of a message's header: every field `Route.init`
    /// fills from a message of those attributes, each of 4 bytes, so that the record
    /// makes the same Route as the message, or as the route it was made of.
    struct Record: Sendable {
        var destination = IPv4Address(0)
        /// Meant only when `present` says so, as are the device and the metric.
        var gateway = IPv4Address(0)
        var outputInterface: Int32 = 0
        var priority: UInt32 = 0
        var table: RouteTable
        var flags: RouteFlags
        var destinationLength: UInt8
        var tos: UInt8
        var protocolID: RouteProtocol
        var scope: RouteScope
        var type: RouteType
        /// Which of the gateway, the device and the metric the message had: as optionals
        /// the three would take 12 bytes more, past the 32 a record has.
        var present: Present = []

        struct Present: OptionSet, Sendable {
            let rawValue: UInt8
            static let gateway = Present(rawValue: 1 << 0)
            static let outputInterface = Present(rawValue: 1 << 1)
            static let priority = Present(rawValue: 1 << 2)
        }

        /// The record of a route message's header and attributes; nil when the route is
        /// not of that form, for `Route.init` to read from the message.
        init?(_ header: rtmsg, _ family: AddressFamily, _ attributes: AttributeList<RouteAttribute>) {
            guard family == .inet, header.rtm_src_len == 0 else { return nil }
            table = RouteTable(rawValue: UInt32(header.rtm_table))
            flags = RouteFlags(rawValue: header.rtm_flags)
            destinationLength = header.rtm_dst_len
            tos = header.rtm_tos
            protocolID = RouteProtocol(rawValue: header.rtm_protocol)
            scope = RouteScope(rawValue: header.rtm_scope)
            type = RouteType(rawValue: header.rtm_type)
            for attribute in attributes {
                // `Route.init` reads a payload of another length otherwise (a 16-byte
                // gateway as an IPv6 one, a short number as 0): such a message is kept.
                guard attribute.payload.count == MemoryLayout<UInt32>.size else { return nil }
                let value = attribute.payload.loadUnaligned(as: UInt32.self)
                // The type's number is matched, not the RouteAttribute made of it: making
                // one is a call for each attribute of 10,000 routes (0.44 M instructions).
                switch attribute.rawType {
                case RouteAttribute.destination.rawValue: destination = IPv4Address(UInt32(bigEndian: value))
                case RouteAttribute.table.rawValue: table = RouteTable(rawValue: value)
                case RouteAttribute.priority.rawValue:
                    priority = value
                    present.insert(.priority)
                case RouteAttribute.gateway.rawValue:
                    gateway = IPv4Address(UInt32(bigEndian: value))
                    present.insert(.gateway)
                case RouteAttribute.outputInterface.rawValue:
                    outputInterface = Int32(bitPattern: value)
                    present.insert(.outputInterface)
                default: return nil
                }
            }
        }

        /// The record of a route that has no field but those a record holds, of an
        /// IPv4 gateway if any; nil for any other, which is kept whole.
        init?(_ route: borrowing Route) {
            guard route.family == .inet, !route.hasOutOfLineFields, case .v4(let destination) = route.destination.address else { return nil }
            switch route.gateway {
            case .v4(let gateway)?:
                self.gateway = gateway
                present.insert(.gateway)
            case .v6?: return nil
            case nil: break
            }
            self.destination = destination
            destinationLength = route.destination.length
            table = route.table
            flags = route.flags
            tos = route.tos
            protocolID = route.protocolID
            scope = route.scope
            type = route.type
            if let priority = route.priority {
                self.priority = priority
                present.insert(.priority)
            }
            if let outputInterface = route.outputInterface {
                self.outputInterface = outputInterface
                present.insert(.outputInterface)
            }
        }

        var route: Route {
            var route = Route(destination: prefix)
            route.tos = tos
            route.table = table
            route.protocolID = protocolID
            route.scope = scope
            route.type = type
            route.flags = flags
            route.priority = givenPriority
            route.gateway = givenGateway
            route.outputInterface = givenOutputInterface
            return route
        }

        var key: RouteKey { RouteKey(family: .inet, table: table, destination: prefix, source: nil, tos: tos, priority: givenPriority) }

        /// Whether the other record's route has this one's key (`key == other.key`,
        /// compared field by field without making either).
        func hasKey(of other: Record) -> Bool {
            destination == other.destination && destinationLength == other.destinationLength && table == other.table
                && metric == other.metric && tos == other.tos
        }

        /// The metric as the kernel keeps it (`RouteKey.metric`): 0 for none.
        private var metric: UInt32 { present.contains(.priority) ? priority : 0 }

        var plain: Route.Plain {
            Route.Plain(key: key,
                        protocolID: protocolID, scope: scope, type: type, flags: flags,
                        gateway: givenGateway, outputInterface: givenOutputInterface, preference: nil)
        }

        // The destination, and the metric, gateway and device as the route has them (nil: none).
        private var prefix: IPPrefix { IPPrefix(address: .v4(destination), length: destinationLength) }
        private var givenPriority: UInt32? { present.contains(.priority) ? priority : nil }
        var givenGateway: IPAddress? { present.contains(.gateway) ? .v4(gateway) : nil }
        var givenOutputInterface: Int32? { present.contains(.outputInterface) ? outputInterface : nil }
    }
}
