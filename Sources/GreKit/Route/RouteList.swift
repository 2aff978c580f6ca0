import CMnl
import Netlink

/// Routes as a dump sent them, in its order: the planner names a kernel route by its
/// place. An IPv4 route of the usual form, as files of routes declare them by the ten
/// thousand, is kept as a record of its fields, decoded once as it comes; any other as
/// the kernel's message, decoded each time it is asked for. Memory is paid for in page
/// faults (about 2 us each): a record takes 32 bytes, where the message of a route
/// through a gateway and a device took 68 and its place 8 more, and a message takes
/// about half of what the decoded route would.
public struct RouteList: RandomAccessCollection, Sendable {
    /// Each route's record or the place of its message, in chunks of a fixed count
    /// filled one after another: one array that grew would be copied each time it did,
    /// into memory touched afresh.
    private var entries: [[Entry]] = []
    /// The messages of the routes that are no records, each starting 4-aligned, as in
    /// a datagram, and whole in one block; blocks are filled one after another too.
    private var blocks: [[UInt8]] = []
    /// The count of a chunk: 64 KiB of entries, less than malloc maps apart (128 KiB).
    private static let entriesPerChunk = 2048
    /// The room of a block: many messages, and less than malloc maps apart.
    private static let blockSize = 64 * 1024

    private enum Entry: Sendable {
        case record(Record)
        case message(block: Int32, offset: Int32)
    }

    public init() {}

    public var startIndex: Int { 0 }
    public private(set) var endIndex = 0

    public subscript(position: Int) -> Route {
        switch entry(at: position) {
        case .record(let record): record.route
        // Only messages that decode are kept.
        case .message(let block, let offset): withMessage(block: block, offset: offset) { Route($0)! }
        }
    }

    /// The route at `position` when it is of the usual form (`Route.plain`).
    func plain(at position: Int) -> Route.Plain? {
        switch entry(at: position) {
        case .record(let record): record.plain
        case .message(let block, let offset): withMessage(block: block, offset: offset, Route.plain)
        }
    }

    private func entry(at position: Int) -> Entry {
        entries[position / Self.entriesPerChunk][position % Self.entriesPerChunk]
    }

    private func withMessage<Result>(block: Int32, offset: Int32, _ body: (NetlinkMessage) -> Result) -> Result {
        blocks[Int(block)].withUnsafeBytes { buffer in
            body(NetlinkMessage(header: (buffer.baseAddress! + Int(offset)).assumingMemoryBound(to: nlmsghdr.self)))
        }
    }

    /// Keeps a message that describes a route; others are left out, as `Route.init` leaves them.
    mutating func append(_ message: NetlinkMessage) {
        guard let (header, family) = Route.header(of: message) else { return }
        let record = Record(header, family, message.attributes(after: rtmsg.self, RouteAttribute.self))
        let entry = record.map(Entry.record) ?? keep(message)
        if entries.isEmpty || entries[entries.count - 1].count == Self.entriesPerChunk {
            entries.append([])
            entries[entries.count - 1].reserveCapacity(Self.entriesPerChunk)
        }
        entries[entries.count - 1].append(entry)
        endIndex += 1
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

    /// An IPv4 route whose message had no attribute but a destination, a table, a
    /// metric, a gateway and a device, each of 4 bytes: every field `Route.init` fills
    /// from such a message, so that the record makes the same Route.
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

        var plain: Route.Plain {
            Route.Plain(key: RouteKey(family: .inet, table: table, destination: prefix, source: nil, tos: tos, priority: givenPriority),
                        protocolID: protocolID, scope: scope, type: type, flags: flags,
                        gateway: givenGateway, outputInterface: givenOutputInterface, preference: nil)
        }

        // The destination, and the metric, gateway and device as the route has them (nil: none).
        private var prefix: IPPrefix { IPPrefix(address: .v4(destination), length: destinationLength) }
        private var givenPriority: UInt32? { present.contains(.priority) ? priority : nil }
        private var givenGateway: IPAddress? { present.contains(.gateway) ? .v4(gateway) : nil }
        private var givenOutputInterface: Int32? { present.contains(.outputInterface) ? outputInterface : nil }
    }
}
