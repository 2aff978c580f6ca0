import CMnl
import Netlink

/// Routes as a dump sent them: each route's message kept as the kernel's bytes, one
/// after another, and decoded each time it is asked for. The bytes take a quarter of
/// the memory the decoded routes would (a route is a large value, and memory is paid
/// for in page faults), and a reader that looks at each route once, as apply does
/// comparing a file of 10,000 routes with the kernel, decodes each once.
public struct RouteList: RandomAccessCollection, Sendable {
    /// The messages, each starting 4-aligned, as in a datagram.
    private var bytes: [UInt8] = []
    /// Where each message starts in `bytes`.
    private var starts: [Int] = []

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { starts.count }

    public subscript(position: Int) -> Route {
        bytes.withUnsafeBytes { buffer in
            // Only messages that decode are kept.
            Route(NetlinkMessage(header: (buffer.baseAddress! + starts[position]).assumingMemoryBound(to: nlmsghdr.self)))!
        }
    }

    /// Keeps a message that describes a route; others are left out, as `Route.init` leaves them.
    mutating func append(_ message: NetlinkMessage) {
        guard Route.header(of: message) != nil else { return }
        // A message of a length no multiple of 4 is followed by padding (the kernel's are not).
        let start = (bytes.count + 3) & ~3
        while bytes.count < start { bytes.append(0) }
        starts.append(start)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: message.header, count: message.length))
    }
}
