import CMnl
import SystemPackage

/// Netlink header flags (NLM_F_*). The same bits mean different things for
/// requests, dumps and acknowledgements, as in the uapi header.
public struct NetlinkFlags: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let request = NetlinkFlags(rawValue: 0x001)
    public static let multi = NetlinkFlags(rawValue: 0x002)
    public static let ack = NetlinkFlags(rawValue: 0x004)
    /// Asks the kernel to send the requester what the change did (as it tells listeners).
    public static let echo = NetlinkFlags(rawValue: 0x008)
    public static let dumpInterrupted = NetlinkFlags(rawValue: 0x010)
    // GET requests
    public static let dump = NetlinkFlags(rawValue: 0x300)
    // NEW requests
    public static let replace = NetlinkFlags(rawValue: 0x100)
    public static let exclusive = NetlinkFlags(rawValue: 0x200)
    public static let create = NetlinkFlags(rawValue: 0x400)
    public static let append = NetlinkFlags(rawValue: 0x800)
    // acknowledgements
    public static let capped = NetlinkFlags(rawValue: 0x100)
    public static let ackTLVs = NetlinkFlags(rawValue: 0x200)
}

extension NetlinkError {
    /// A request did not fit its buffer: a bug or an absurd input, never the kernel.
    public static let messageTooLarge = NetlinkError(errno: .noBufferSpace, kernelMessage: "request too large for the netlink buffer")
    /// The kernel dropped replies to a datagram: the socket's receive buffer was full.
    public static let repliesLost = NetlinkError(errno: .noBufferSpace, kernelMessage: "netlink receive buffer overflow")
}

/// Appends `bytes` at the end of `message`, then zeros to a multiple of 4, and returns
/// where they start; throws, writing nothing, if that would pass `capacity`.
@inlinable @discardableResult
func appendPadded(
    _ bytes: UnsafeRawBufferPointer, to message: UnsafeMutablePointer<nlmsghdr>, capacity: Int
) throws -> UnsafeMutableRawPointer {
    guard Int(message.pointee.nlmsg_len) + ((bytes.count + 3) & ~3) <= capacity else {
        throw NetlinkError.messageTooLarge
    }
    let tail = mnl_nlmsg_put_extra_header(message, bytes.count)!
    if let source = bytes.baseAddress { tail.copyMemory(from: source, byteCount: bytes.count) }
    return tail
}

/// Writes attributes of one attribute space into the message being built. Nests go
/// through libmnl (its `_check` variants bound them); plain attributes, by far the most
/// (a batch writes millions), are written here in a few stores.
public struct AttributeWriter<Key: NetlinkAttributeType> {
    @usableFromInline let message: UnsafeMutablePointer<nlmsghdr>
    @usableFromInline let capacity: Int

    @inlinable init(message: UnsafeMutablePointer<nlmsghdr>, capacity: Int) {
        self.message = message
        self.capacity = capacity
    }

    // Inlinable, as decoding is: a batch encodes millions of attributes.
    @inlinable public func put(_ key: Key, _ value: some NetlinkEncodable) throws {
        try value.withNetlinkPayload { try put(type: key.rawValue, $0) }
    }

    /// Sends back an attribute as it was received (type flags included).
    public func put(_ attribute: OpaqueAttribute) throws {
        try attribute.payload.withUnsafeBytes { try put(type: attribute.typeAndFlags, $0) }
    }

    @inlinable
    func put(type: UInt16, _ payload: UnsafeRawBufferPointer) throws {
        // struct nlattr { u16 nla_len; u16 nla_type; }, the payload, zeros to a multiple of 4
        // (so requests are deterministic and carry no stale memory).
        let length = MemoryLayout<nlattr>.size + payload.count
        let aligned = (length + 3) & ~3
        let end = (Int(message.pointee.nlmsg_len) + 3) & ~3
        guard end + aligned <= capacity, length <= Int(UInt16.max) else { throw NetlinkError.messageTooLarge }
        let attribute = UnsafeMutableRawPointer(message) + end
        attribute.storeBytes(of: UInt16(length), toByteOffset: 0, as: UInt16.self)
        attribute.storeBytes(of: type, toByteOffset: 2, as: UInt16.self)
        if let bytes = payload.baseAddress {
            (attribute + MemoryLayout<nlattr>.size).copyMemory(from: bytes, byteCount: payload.count)
        }
        (attribute + length).initializeMemory(as: UInt8.self, repeating: 0, count: aligned - length)
        message.pointee.nlmsg_len = UInt32(end + aligned)
    }

    /// A zero-length attribute whose presence is its meaning (NLA_FLAG).
    @inlinable public func flag(_ key: Key) throws {
        guard mnl_attr_put_check(message, capacity, key.rawValue, 0, nil) else {
            throw NetlinkError.messageTooLarge
        }
    }

    /// Opens a nest, lets `body` fill it with attributes of the inner space, closes it.
    public func nest<Inner: NetlinkAttributeType>(
        _ key: Key, _: Inner.Type = Inner.self, _ body: (AttributeWriter<Inner>) throws -> Void
    ) throws {
        try withNest(key) { _ in try body(AttributeWriter<Inner>(message: message, capacity: capacity)) }
    }

    /// A nest that starts with a family header of its own before its attributes
    /// (a veth peer carries an ifinfomsg, then IFLA_* attributes).
    public func nest<Header, Inner: NetlinkAttributeType>(
        _ key: Key, _: Inner.Type, header: Header, _ body: (AttributeWriter<Inner>) throws -> Void
    ) throws {
        try withNest(key) { _ in
            _ = try appendRaw(header)
            try body(AttributeWriter<Inner>(message: message, capacity: capacity))
        }
    }

    /// A nest whose payload is a list of fixed headers each followed by attributes
    /// (RTA_MULTIPATH's rtnexthop records): `body` gets a writer for records.
    public func records(_ key: Key, _ body: (RecordWriter) throws -> Void) throws {
        try withNest(key) { start in
            // RTA_MULTIPATH is not an attribute nest: it must not carry NLA_F_NESTED.
            start.pointee.nla_type = key.rawValue
            try body(RecordWriter(message: message, capacity: capacity))
        }
    }

    /// Opens a nest, lets `body` fill it (given the nest's header), closes it.
    private func withNest(_ key: Key, _ body: (UnsafeMutablePointer<nlattr>) throws -> Void) throws {
        guard let start = mnl_attr_nest_start_check(message, capacity, key.rawValue) else {
            throw NetlinkError.messageTooLarge
        }
        try body(start)
        mnl_attr_nest_end(message, start)
    }

    /// Raw payload bytes appended at the current end of the message (no attribute header).
    func appendRaw<T>(_ value: T) throws -> UnsafeMutableRawPointer {
        try withUnsafeBytes(of: value) { try appendPadded($0, to: message, capacity: capacity) }
    }
}

/// Writes fixed-size records, each followed by its own attributes, inside a
/// `records` nest. The record's length field (its first u16) is fixed up when
/// the record's attributes are written.
public struct RecordWriter {
    let message: UnsafeMutablePointer<nlmsghdr>
    let capacity: Int

    public func record<Record, Key: NetlinkAttributeType>(
        _ value: Record, _: Key.Type, _ body: (AttributeWriter<Key>) throws -> Void
    ) throws {
        let writer = AttributeWriter<Key>(message: message, capacity: capacity)
        let start = try writer.appendRaw(value)
        try body(writer)
        let length = Int(message.pointee.nlmsg_len) - (start - UnsafeMutableRawPointer(message))
        start.storeBytes(of: UInt16(length), as: UInt16.self)
    }
}

/// The message being built: a header, then the family header, then attributes.
public struct MessageWriter {
    public let message: UnsafeMutablePointer<nlmsghdr>
    @usableFromInline let capacity: Int

    @inlinable init(message: UnsafeMutablePointer<nlmsghdr>, capacity: Int) {
        self.message = message
        self.capacity = capacity
    }

    /// Writes the family header (ifinfomsg, rtmsg, ...) and returns the writer for
    /// the attributes that follow it.
    @inlinable public func header<Header, Key: NetlinkAttributeType>(
        _ value: Header, attributes: Key.Type
    ) throws -> AttributeWriter<Key> {
        _ = try withUnsafeBytes(of: value) { try appendPadded($0, to: message, capacity: capacity) }
        return AttributeWriter(message: message, capacity: capacity)
    }

    /// Appends another message's body (family header and attributes) as it is: to
    /// send what one message described under another type (undoing a creation).
    public func body(_ bytes: UnsafeRawBufferPointer) throws {
        try appendPadded(bytes, to: message, capacity: capacity)
    }
}

/// Memory for requests: one at a time, or a batch of them back to back.
public final class MessageBuffer {
    let base: UnsafeMutableRawPointer
    public let capacity: Int
    /// Bytes taken by the complete messages written so far. (One thread owns a buffer;
    /// the runtime's exclusivity checks cost more than a batch line's encoding.)
    @exclusivity(unchecked) public private(set) var used = 0

    public init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// Appends one message after those already in the buffer. On failure the
    /// buffer is left as it was, so the caller may send what it has and retry.
    @discardableResult
    public func append(
        type: UInt16, flags: NetlinkFlags, sequence: UInt32,
        _ build: (MessageWriter) throws -> Void
    ) throws -> UnsafeMutablePointer<nlmsghdr> {
        let room = capacity - used
        guard room >= MemoryLayout<nlmsghdr>.size else { throw NetlinkError.messageTooLarge }
        let header = mnl_nlmsg_put_header(base + used)!
        header.pointee.nlmsg_type = type
        header.pointee.nlmsg_flags = flags.rawValue
        header.pointee.nlmsg_seq = sequence
        try build(MessageWriter(message: header, capacity: room))
        used += Int(header.pointee.nlmsg_len + 3) & ~3
        return header
    }

    public func reset() { used = 0 }

    /// Drops the messages written after `offset` (a value `used` had).
    func rewind(to offset: Int) { used = min(used, offset) }

    /// The message that starts at `offset` (a value `used` had before it was appended).
    func message(at offset: Int) -> UnsafeMutablePointer<nlmsghdr> {
        (base + offset).assumingMemoryBound(to: nlmsghdr.self)
    }

    /// Where a message `append` returned starts.
    func offset(of message: UnsafeMutablePointer<nlmsghdr>) -> Int {
        UnsafeMutableRawPointer(message) - base
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: used) }

    /// Encodes one message on its own and returns its bytes: for tests and tools.
    public static func encode(
        type: UInt16, flags: NetlinkFlags, sequence: UInt32 = 0,
        capacity: Int = 8192, _ build: (MessageWriter) throws -> Void
    ) throws -> [UInt8] {
        let buffer = MessageBuffer(capacity: capacity)
        try buffer.append(type: type, flags: flags, sequence: sequence, build)
        return Array(buffer.bytes)
    }
}
