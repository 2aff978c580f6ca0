import CMnl

/// One received netlink message; valid while its receive buffer is.
public struct NetlinkMessage {
    public let header: UnsafePointer<nlmsghdr>

    /// Views a message in memory the caller owns (a receive buffer, a capture).
    @inlinable public init(header: UnsafePointer<nlmsghdr>) { self.header = header }

    @inlinable public var type: UInt16 { header.pointee.nlmsg_type }
    @inlinable public var flags: NetlinkFlags { NetlinkFlags(rawValue: header.pointee.nlmsg_flags) }
    @inlinable public var sequence: UInt32 { header.pointee.nlmsg_seq }
    @inlinable public var length: Int { Int(header.pointee.nlmsg_len) }

    /// Everything after the netlink header.
    @inlinable public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(
            start: mnl_nlmsg_get_payload(header),
            count: max(0, length - MemoryLayout<nlmsghdr>.size))
    }

    /// The family header (ifinfomsg, rtmsg, ...) at the start of the payload.
    @inlinable public func familyHeader<Header>(_: Header.Type) -> Header? {
        let payload = self.payload
        guard payload.count >= MemoryLayout<Header>.size else { return nil }
        return payload.loadUnaligned(as: Header.self)
    }

    /// The attributes that follow a family header of the given type.
    @inlinable public func attributes<Header, Key: NetlinkAttributeType>(
        after _: Header.Type, _: Key.Type
    ) -> AttributeList<Key> {
        let offset = (MemoryLayout<Header>.size + 3) & ~3
        let payload = self.payload
        guard payload.count > offset else { return .empty }
        return AttributeList(UnsafeRawBufferPointer(rebasing: payload[offset...]))
    }
}

/// The messages packed in one datagram, each as long as its header says and starting
/// 4-aligned; the walk ends at the first header that does not fit in what is left.
struct MessageSequence: Sequence {
    let buffer: UnsafeRawBufferPointer

    struct Iterator: IteratorProtocol {
        var cursor: UnsafePointer<nlmsghdr>?
        var remaining: Int

        // libmnl's mnl_nlmsg_ok compares the length as an int: a header claiming 2 GiB
        // or more passed as negative, and mnl_nlmsg_next then looked for the next
        // message gigabytes away, or (4 GiB less a few bytes, aligned to 0) at the same
        // place forever. So the walk is done here, in whole numbers.
        mutating func next() -> NetlinkMessage? {
            guard let message = cursor, remaining >= MemoryLayout<nlmsghdr>.size else { return nil }
            let length = Int(message.pointee.nlmsg_len)
            guard length >= MemoryLayout<nlmsghdr>.size, length <= remaining else { return nil }
            let step = Swift.min((length + 3) & ~3, remaining)
            remaining -= step
            cursor = UnsafeRawPointer(message).advanced(by: step).assumingMemoryBound(to: nlmsghdr.self)
            return NetlinkMessage(header: message)
        }
    }

    func makeIterator() -> Iterator {
        guard let base = buffer.baseAddress else { return Iterator(cursor: nil, remaining: 0) }
        return Iterator(cursor: base.assumingMemoryBound(to: nlmsghdr.self), remaining: buffer.count)
    }
}

/// Attributes of an extended acknowledgement (NLMSGERR_ATTR_*).
enum ExtendedAckAttribute: UInt16, NetlinkAttributeType {
    case message = 1
    case offset = 2
}

extension NetlinkMessage {
    static let errorType = UInt16(NLMSG_ERROR)
    static let doneType = UInt16(NLMSG_DONE)

    /// For NLMSG_ERROR (and NLMSG_DONE that ends a dump): nil when the kernel
    /// reports success, else the error with any extended-ack text.
    func acknowledgementError() -> NetlinkError? {
        let payload = self.payload
        guard payload.count >= 4 else { return nil }
        let code = payload.loadUnaligned(as: Int32.self)
        guard code != 0 else { return nil }
        // The kernel sends -errno; a malformed message may hold Int32.min, which has no
        // negation: it wraps to itself, an errno that is merely unknown.
        var error = NetlinkError(errno: .init(rawValue: 0 &- code))
        guard flags.contains(.ackTLVs) else { return error }

        // NLMSG_ERROR carries the request's header (and, unless capped, its
        // payload) after the error code; NLMSG_DONE carries only the code.
        var tlvOffset = 4
        if type == Self.errorType {
            guard payload.count >= 4 + MemoryLayout<nlmsghdr>.size else { return error }
            let original = payload.loadUnaligned(fromByteOffset: 4, as: nlmsghdr.self)
            tlvOffset += flags.contains(.capped)
                ? MemoryLayout<nlmsghdr>.size
                : (Int(original.nlmsg_len) + 3) & ~3
        }
        guard payload.count > tlvOffset else { return error }
        for attribute in AttributeList<ExtendedAckAttribute>(UnsafeRawBufferPointer(rebasing: payload[tlvOffset...])) {
            switch attribute.key {
            case .message?: error.kernelMessage = attribute.string
            case .offset?: error.offset = attribute.u32
            case nil: break
            }
        }
        return error
    }
}
