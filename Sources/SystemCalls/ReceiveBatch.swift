import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// Room for the datagrams one recvmmsg reads (`Socket.receive(_:flags:_:)`): for each,
/// its bytes, its source and its control messages, all in one allocation made once, so
/// a burst of a hundred replies costs a few system calls and no allocation at all.
/// A datagram longer than its room is cut short (`Socket.Received.isTruncated`).
public struct ReceiveBatch: ~Copyable {
    public let capacity: Int
    /// Room for one source; 0 when the sources are not asked for.
    private let addressSpace: Int
    private let datagramSpace: Int
    private let controlSpace: Int
    private let storage: UnsafeMutableRawBufferPointer
    private let vectors: UnsafeMutableBufferPointer<iovec>
    let headers: UnsafeMutableBufferPointer<mmsghdr>
    /// How many datagrams the last receive read.
    public internal(set) var count = 0

    /// Room for `capacity` datagrams of up to `datagramBytes` each, with up to
    /// `controlBytes` of control messages each. Without `sources`, the kernel is not
    /// asked who sent each one (their source is then AF_UNSPEC): a reader that finds it
    /// in the datagram itself, as a raw IPv4 socket's in its IP header, spares the
    /// copy out for every datagram.
    public init(capacity: Int, datagramBytes: Int, controlBytes: Int, sources: Bool = true) {
        precondition(capacity > 0, "an empty receive batch")
        self.capacity = capacity
        addressSpace = sources ? MemoryLayout<sockaddr_storage>.size : 0
        datagramSpace = ControlMessages.aligned(datagramBytes)
        controlSpace = ControlMessages.aligned(controlBytes)
        storage = .allocate(byteCount: capacity * (addressSpace + controlSpace + datagramSpace), alignment: 8)
        vectors = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        let base = storage.baseAddress!
        for slot in 0..<capacity {
            vectors[slot] = iovec(iov_base: base + payloadOffset(slot), iov_len: datagramBytes)
        }
    }

    deinit {
        storage.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    // A source's room is a sockaddr_storage (the kernel writes no more than it has).
    private func addressOffset(_ slot: Int) -> Int { slot * addressSpace }
    private func controlOffset(_ slot: Int) -> Int { capacity * addressSpace + slot * controlSpace }
    private func payloadOffset(_ slot: Int) -> Int { capacity * (addressSpace + controlSpace) + slot * datagramSpace }

    /// Sets every header back to its full room, as recvmmsg wants it before each call
    /// (it writes the lengths of what it read into them).
    mutating func prepare() {
        let base = storage.baseAddress!
        for slot in 0..<capacity {
            headers[slot] = mmsghdr(
                msg_hdr: msghdr(msg_name: addressSpace > 0 ? base + addressOffset(slot) : nil, msg_namelen: socklen_t(addressSpace),
                                msg_iov: vectors.baseAddress! + slot, msg_iovlen: 1,
                                msg_control: controlSpace > 0 ? base + controlOffset(slot) : nil, msg_controllen: controlSpace,
                                msg_flags: 0),
                msg_len: 0)
        }
        count = 0
    }

    /// The datagram in `slot` (below `count`): what it says of itself, and its bytes.
    public func datagram(_ slot: Int) -> (received: Socket.Received, bytes: UnsafeRawBufferPointer) {
        precondition(slot < count, "no datagram there")
        let header = headers[slot]
        let base = storage.baseAddress!
        let length = min(Int(header.msg_len), datagramSpace)
        let received = Socket.Received(
            length: Int(header.msg_len),
            source: SocketAddress(UnsafeRawBufferPointer(start: base + addressOffset(slot), count: min(Int(header.msg_hdr.msg_namelen), addressSpace))),
            control: UnsafeRawBufferPointer(start: base + controlOffset(slot), count: controlSpace > 0 ? header.msg_hdr.msg_controllen : 0),
            flags: header.msg_hdr.msg_flags)
        return (received, UnsafeRawBufferPointer(start: base + payloadOffset(slot), count: length))
    }
}
