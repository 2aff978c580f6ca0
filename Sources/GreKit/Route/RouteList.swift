import CMnl
import Netlink

/// Routes as a dump sent them: each route's message kept as the kernel's bytes, one
/// after another, and decoded each time it is asked for. The bytes take about half
/// the memory the decoded routes would (memory is paid for in page faults), and a reader that looks at each route once, as apply does
/// comparing a file of 10,000 routes with the kernel, decodes each once.
public struct RouteList: RandomAccessCollection, Sendable {
    /// The messages, each starting 4-aligned, as in a datagram, and whole in one block.
    /// Blocks of a fixed room are filled one after another: one array that grew would
    /// be copied each time it did, into memory touched (faulted in) afresh.
    private var blocks: [[UInt8]] = []
    /// Where each message starts: its block's place in `blocks` in the high 32 bits,
    /// its offset in the block in the low ones.
    private var starts: [Int] = []
    /// The room of a block: many messages, and less than malloc maps apart (128 KiB).
    private static let blockSize = 64 * 1024

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { starts.count }

    public subscript(position: Int) -> Route {
        // Only messages that decode are kept.
        withMessage(at: position) { Route($0)! }
    }

    /// The route at `position` when its message is of the usual form (`Route.plain`).
    func plain(at position: Int) -> Route.Plain? {
        withMessage(at: position, Route.plain)
    }

    private func withMessage<Result>(at position: Int, _ body: (NetlinkMessage) -> Result) -> Result {
        let start = starts[position]
        return blocks[start >> 32].withUnsafeBytes { buffer in
            body(NetlinkMessage(header: (buffer.baseAddress! + (start & 0xFFFF_FFFF)).assumingMemoryBound(to: nlmsghdr.self)))
        }
    }

    /// Keeps a message that describes a route; others are left out, as `Route.init` leaves them.
    mutating func append(_ message: NetlinkMessage) {
        guard Route.header(of: message) != nil else { return }
        // A message of a length no multiple of 4 is followed by padding (the kernel's are not).
        var offset = ((blocks.last?.count ?? 0) + 3) & ~3
        if blocks.isEmpty || offset + message.length > blocks[blocks.count - 1].capacity {
            blocks.append([])
            blocks[blocks.count - 1].reserveCapacity(Swift.max(Self.blockSize, message.length))
            offset = 0
        }
        let last = blocks.count - 1
        while blocks[last].count < offset { blocks[last].append(0) }
        starts.append(last << 32 | offset)
        blocks[last].append(contentsOf: UnsafeRawBufferPointer(start: message.header, count: message.length))
    }
}
