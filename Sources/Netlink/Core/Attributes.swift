import CMnl

/// An attribute type of one netlink attribute space (IFLA_*, RTA_*, ...).
public protocol NetlinkAttributeType: RawRepresentable, Sendable where RawValue == UInt16 {}

/// One attribute of a received message. The payload points into the receive
/// buffer and is valid only while the message being decoded is.
// Decoding is inlinable: a route dump decodes a million attributes, and generic code
// that other modules cannot specialize pays for runtime type lookups on each.
public struct Attribute<Key: NetlinkAttributeType> {
    /// The attribute type as sent, NLA_F_NESTED / NLA_F_NET_BYTEORDER bits included.
    public let typeAndFlags: UInt16
    public let payload: UnsafeRawBufferPointer

    @inlinable
    init(typeAndFlags: UInt16, payload: UnsafeRawBufferPointer) {
        self.typeAndFlags = typeAndFlags
        self.payload = payload
    }

    /// The attribute type without the flag bits.
    @inlinable
    public var rawType: UInt16 { typeAndFlags & cmnl_nla_type_mask }

    @inlinable
    public var key: Key? { Key(rawValue: rawType) }

    // Payloads are only 4-byte aligned and the kernel's policy guarantees their
    // sizes; a short payload decodes as zero rather than trapping.
    @inlinable @inline(__always)
    func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        payload.count >= MemoryLayout<T>.size ? payload.loadUnaligned(as: T.self) : 0
    }

    @inlinable public var u8: UInt8 { integer(UInt8.self) }
    @inlinable public var u16: UInt16 { integer(UInt16.self) }
    @inlinable public var u32: UInt32 { integer(UInt32.self) }
    @inlinable public var u64: UInt64 { integer(UInt64.self) }
    @inlinable public var s32: Int32 { integer(Int32.self) }
    /// A 16-bit value carried in network byte order.
    @inlinable public var be16: UInt16 { UInt16(bigEndian: integer(UInt16.self)) }
    /// A 32-bit value carried in network byte order.
    @inlinable public var be32: UInt32 { UInt32(bigEndian: integer(UInt32.self)) }

    /// A NUL-terminated string, bounded by the payload length.
    public var string: String {
        let bytes = payload.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var bytes: [UInt8] { Array(payload) }

    /// An IPv4 or IPv6 address, by payload length.
    @inlinable public var address: IPAddress? { IPAddress(bytes: payload) }

    /// The attributes nested inside this one, in another attribute space.
    @inlinable public func nested<Inner: NetlinkAttributeType>(_: Inner.Type) -> AttributeList<Inner> {
        AttributeList(payload)
    }

    /// Loads a C struct carried as the payload (e.g. rtnl_link_stats64). Structs grow
    /// at their end across kernel versions: an older kernel's shorter payload fills the
    /// fields it has and leaves the newer ones zero, as iproute2 reads it.
    /// T must be a plain C struct. Inlinable, as the rest of decoding: unspecialized, it
    /// cost 1,400 instructions for each IPv6 route's RTA_CACHEINFO in `route show`.
    @inlinable
    public func load<T>(_: T.Type) -> T? {
        guard !payload.isEmpty else { return nil }
        return withUnsafeTemporaryAllocation(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment) { storage in
            storage.initializeMemory(as: UInt8.self, repeating: 0)
            storage.copyMemory(from: UnsafeRawBufferPointer(rebasing: payload.prefix(storage.count)))
            return storage.load(as: T.self)
        }
    }
}

/// The attributes of a message or a nest, walked with libmnl's own iterator.
public struct AttributeList<Key: NetlinkAttributeType>: Sequence {
    @usableFromInline let buffer: UnsafeRawBufferPointer

    @inlinable public init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    @inlinable public static var empty: AttributeList { AttributeList(UnsafeRawBufferPointer(start: nil, count: 0)) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline var cursor: UnsafePointer<nlattr>?
        @usableFromInline var remaining: Int32

        @inlinable init(cursor: UnsafePointer<nlattr>?, remaining: Int32) {
            self.cursor = cursor
            self.remaining = remaining
        }

        /// libmnl's checks and steps (mnl_attr_ok, mnl_attr_next, mnl_attr_get_payload and
        /// its length), written here: made as calls into the shared library, four for
        /// each attribute, they took a third of the instructions of reading the fields
        /// of 10,000 dumped routes (1.5 M of 4.7 M, callgrind).
        @inlinable public mutating func next() -> Attribute<Key>? {
            let header = Int32(MemoryLayout<nlattr>.size)
            guard let attribute = cursor, remaining >= header else { return nil }
            let length = Int32(attribute.pointee.nla_len)
            guard length >= header, length <= remaining else { return nil }
            let aligned = (length + 3) & ~3
            remaining -= aligned
            let start = UnsafeRawPointer(attribute)
            cursor = remaining > 0 ? (start + Int(aligned)).assumingMemoryBound(to: nlattr.self) : nil
            let payload = UnsafeRawBufferPointer(start: start + Int(header), count: Int(length - header))
            return Attribute(typeAndFlags: attribute.pointee.nla_type, payload: payload)
        }
    }

    @inlinable public func makeIterator() -> Iterator {
        guard let base = buffer.baseAddress, buffer.count >= 4 else {
            return Iterator(cursor: nil, remaining: 0)
        }
        return Iterator(cursor: base.assumingMemoryBound(to: nlattr.self), remaining: Int32(buffer.count))
    }

    /// The first attribute of the given type, if present.
    @inlinable public subscript(key: Key) -> Attribute<Key>? {
        first { $0.rawType == key.rawValue }
    }
}

/// The records of a `records` nest (RTA_MULTIPATH): each a fixed header whose first
/// u16 is the record's length, followed by attributes of `Key`.
public struct RecordList<Header, Key: NetlinkAttributeType>: Sequence {
    let buffer: UnsafeRawBufferPointer

    public init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    public struct Iterator: IteratorProtocol {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        public mutating func next() -> (header: Header, attributes: AttributeList<Key>)? {
            let headerSize = MemoryLayout<Header>.size
            guard offset + headerSize <= buffer.count else { return nil }
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            guard length >= headerSize, offset + length <= buffer.count else { return nil }
            let header = buffer.loadUnaligned(fromByteOffset: offset, as: Header.self)
            let attributesStart = offset + ((headerSize + 3) & ~3)
            let attributes = attributesStart < offset + length
                ? AttributeList<Key>(UnsafeRawBufferPointer(rebasing: buffer[attributesStart..<(offset + length)]))
                : .empty
            offset += (length + 3) & ~3
            return (header, attributes)
        }
    }

    public func makeIterator() -> Iterator { Iterator(buffer: buffer) }
}

extension Attribute {
    /// The records inside this attribute (see `RecordList`).
    public func records<Header, Inner: NetlinkAttributeType>(_: Header.Type, _: Inner.Type) -> RecordList<Header, Inner> {
        RecordList(payload)
    }
}

/// An attribute kept as the kernel sent it, to be sent back unchanged: what a model
/// does not interpret but must not lose (a route's realms or lwtunnel encapsulation).
public struct OpaqueAttribute: Sendable, Equatable {
    public let typeAndFlags: UInt16
    public let payload: [UInt8]

    public init<Key>(_ attribute: Attribute<Key>) {
        typeAndFlags = attribute.typeAndFlags
        payload = Array(attribute.payload)
    }

    /// One made from words (a route's realms), to go with those the kernel sent.
    public init<Key: NetlinkAttributeType>(_ key: Key, _ value: some NetlinkEncodable) {
        typeAndFlags = key.rawValue
        payload = value.withNetlinkPayload { Array($0) }
    }

    /// A nest made from words (a route's encapsulation), written by `body` as any nest
    /// is, and kept as bytes to go with those the kernel sent.
    public init<Key: NetlinkAttributeType, Inner: NetlinkAttributeType>(
        nest key: Key, _: Inner.Type, _ body: (AttributeWriter<Inner>) throws -> Void
    ) throws {
        // Written into a message of its own, with no family header, then read back.
        let bytes = try MessageBuffer.encode(type: 0, flags: []) { message in
            try AttributeWriter<Key>(message: message.message, capacity: message.capacity).nest(key, Inner.self, body)
        }
        let written = bytes.withUnsafeBytes { message in
            AttributeList<Key>(UnsafeRawBufferPointer(rebasing: message[MemoryLayout<nlmsghdr>.size...]))
                .first { _ in true }.map(OpaqueAttribute.init)
        }
        guard let written else { throw NetlinkError.messageTooLarge }
        self = written
    }
}
