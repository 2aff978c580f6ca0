import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// Control messages (ancillary data) written into a buffer for sendmsg or sendmmsg
/// (msg_control), and read back from one recvmsg filled: cmsghdr records, each padded
/// to the size of a long. Swift cannot import the CMSG_* macros, so this is their
/// arithmetic, once.
public struct ControlMessages {
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far: msg_controllen.
    public private(set) var length = 0

    public init(buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    static let headerSize = MemoryLayout<cmsghdr>.size

    static func aligned(_ length: Int) -> Int {
        (length + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
    }

    /// CMSG_SPACE: the room a message whose data is `dataLength` bytes takes.
    public static func space(_ dataLength: Int) -> Int { aligned(headerSize) + aligned(dataLength) }

    /// CMSG_SPACE of a message whose data is one `Value`.
    public static func space<Value>(for _: Value.Type) -> Int { space(MemoryLayout<Value>.size) }

    /// Appends a message whose data is `value` (a C struct or integer), its padding
    /// zeroed. The buffer must have room for it (`space(for:)`): running past it is a
    /// programming error, not an input to handle.
    public mutating func append<Value>(level: CInt, type: CInt, _ value: Value) {
        let dataLength = MemoryLayout<Value>.size
        let room = Self.space(dataLength)
        precondition(length + room <= buffer.count, "control message buffer too small")
        let start = buffer.baseAddress! + length
        var header = cmsghdr()
        header.cmsg_len = Self.headerSize + dataLength
        header.cmsg_level = level
        header.cmsg_type = type
        start.initializeMemory(as: UInt8.self, repeating: 0, count: room)
        start.storeBytes(of: header, as: cmsghdr.self)
        (start + Self.aligned(Self.headerSize)).storeBytes(of: value, as: Value.self)
        length += room
    }

    /// One message: the protocol level it belongs to (IPPROTO_IPV6...), what it says
    /// (IPV6_PKTINFO...) and its data.
    public struct Message {
        public var level: CInt
        public var type: CInt
        public var data: UnsafeRawBufferPointer

        public func `is`(level: CInt, type: CInt) -> Bool { self.level == level && self.type == type }

        /// The data as one `Value` (a C struct or integer); nil when it is too short.
        public func load<Value>(as _: Value.Type) -> Value? {
            guard data.count >= MemoryLayout<Value>.size else { return nil }
            return data.loadUnaligned(as: Value.self)
        }
    }

    /// The messages in the first msg_controllen bytes of a buffer recvmsg filled.
    public static func parse(_ buffer: UnsafeRawBufferPointer) -> Received { Received(buffer: buffer) }

    /// Received messages, in order. Walking them allocates nothing; a truncated last
    /// message (the buffer was too small) is left out.
    public struct Received: Sequence, IteratorProtocol {
        fileprivate let buffer: UnsafeRawBufferPointer
        private var offset = 0

        fileprivate init(buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

        public mutating func next() -> Message? {
            guard offset + ControlMessages.headerSize <= buffer.count else { return nil }
            let header = buffer.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let length = Int(header.cmsg_len)
            guard length >= ControlMessages.headerSize, offset + length <= buffer.count else { return nil }
            let data = UnsafeRawBufferPointer(rebasing: buffer[(offset + ControlMessages.aligned(ControlMessages.headerSize))..<(offset + length)])
            offset += ControlMessages.aligned(length)
            return Message(level: header.cmsg_level, type: header.cmsg_type, data: data)
        }
    }
}
