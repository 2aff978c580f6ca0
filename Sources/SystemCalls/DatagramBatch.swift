import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// Datagrams laid out for one sendmmsg (`Socket.send(_:flags:)`): for each, its bytes,
/// its IP destination and its control messages, all in one allocation made up front,
/// so a batch of a thousand keepalives costs one system call and three allocations.
public struct DatagramBatch: ~Copyable {
    /// Room for one destination: a sockaddr_in6, the largest IP address.
    private static let addressSpace = (MemoryLayout<sockaddr_in6>.size + 7) & ~7

    private let capacity: Int
    private let controlSpace: Int
    private let storage: UnsafeMutableRawBufferPointer
    private let vectors: UnsafeMutableBufferPointer<iovec>
    let headers: UnsafeMutableBufferPointer<mmsghdr>
    public private(set) var count = 0
    /// Where the next datagram's bytes go in `storage`.
    private var payloadOffset: Int

    /// Room for `capacity` datagrams of `payloadBytes` in all, each with up to
    /// `controlSpace` bytes of control messages (`ControlMessages.space`).
    public init(capacity: Int, payloadBytes: Int, controlSpace: Int) {
        self.capacity = capacity
        self.controlSpace = ControlMessages.aligned(controlSpace)
        payloadOffset = capacity * (Self.addressSpace + self.controlSpace)
        storage = .allocate(byteCount: payloadOffset + payloadBytes, alignment: MemoryLayout<Int>.alignment)
        vectors = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
    }

    deinit {
        storage.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    /// Adds a datagram to an IP destination (sockaddr_in or sockaddr_in6); `control`
    /// writes its control messages. Adding past the capacity given is a programming error.
    public mutating func append(
        _ payload: UnsafeRawBufferPointer, to destination: SocketAddress, control: (inout ControlMessages) -> Void
    ) {
        precondition(count < capacity && payloadOffset + payload.count <= storage.count, "datagram batch too small")
        precondition(Int(destination.length) <= Self.addressSpace, "not an IP address")
        let base = storage.baseAddress!
        let name = base + count * Self.addressSpace
        destination.withSockaddr { address, length in name.copyMemory(from: address, byteCount: Int(length)) }
        let controlStart = base + capacity * Self.addressSpace + count * controlSpace
        var writer = ControlMessages(buffer: UnsafeMutableRawBufferPointer(start: controlStart, count: controlSpace))
        control(&writer)
        let bytes = base + payloadOffset
        if let source = payload.baseAddress { bytes.copyMemory(from: source, byteCount: payload.count) }
        payloadOffset += payload.count
        vectors[count] = iovec(iov_base: bytes, iov_len: payload.count)
        headers[count] = mmsghdr(
            msg_hdr: msghdr(msg_name: name, msg_namelen: destination.length, msg_iov: vectors.baseAddress! + count, msg_iovlen: 1,
                            msg_control: writer.length > 0 ? controlStart : nil, msg_controllen: writer.length, msg_flags: 0),
            msg_len: 0)
        count += 1
    }
}
