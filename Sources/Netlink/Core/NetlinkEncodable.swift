/// A value that can be the payload of a netlink attribute.
public protocol NetlinkEncodable {
    /// Calls `body` with the exact payload bytes of this value.
    func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

// Integers travel in host byte order unless wrapped in `BigEndian`.
extension UInt8: NetlinkEncodable {}
extension UInt16: NetlinkEncodable {}
extension UInt32: NetlinkEncodable {}
extension UInt64: NetlinkEncodable {}
extension Int32: NetlinkEncodable {}

extension FixedWidthInteger where Self: NetlinkEncodable {
    @inlinable public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self, body)
    }
}

/// An integer carried in network byte order (ports, GRE keys and flags).
public struct BigEndian<Value: FixedWidthInteger>: NetlinkEncodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: value.bigEndian, body)
    }
}

/// Strings are NUL-terminated, as the kernel's NLA_NUL_STRING / NLA_STRING policies accept.
extension String: NetlinkEncodable {
    public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { utf8 in
            try withUnsafeTemporaryAllocation(byteCount: utf8.count + 1, alignment: 1) { buffer in
                buffer.copyMemory(from: UnsafeRawBufferPointer(utf8))
                buffer[utf8.count] = 0
                return try body(UnsafeRawBufferPointer(buffer))
            }
        }
    }
}

/// Raw bytes, sent as they are (link-layer addresses, packed structs).
extension Array: NetlinkEncodable where Element == UInt8 {
    public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

/// A C struct sent as its bytes (ifa_cacheinfo, fib_rule_uid_range).
public struct Packed<Value>: NetlinkEncodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: value, body)
    }
}

/// C structs sent back to back as one payload (nexthop_grp members of a group).
public struct PackedArray<Element>: NetlinkEncodable {
    public var values: [Element]
    public init(_ values: [Element]) { self.values = values }

    public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try values.withUnsafeBytes(body)
    }
}
