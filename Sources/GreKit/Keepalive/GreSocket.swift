import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A raw IPPROTO_GRE socket. It sends GRE packets whose IP header the kernel adds
/// (so keepalives leave whatever state the tunnel device is in), and receives every
/// GRE packet delivered to this host: with its IPv4 header for AF_INET, from the GRE
/// header on for AF_INET6, the addresses and flow label then coming as control
/// messages. Non-blocking: `receive` returns nil when nothing is queued.
public final class GreSocket {
    public let family: AddressFamily
    public let descriptor: Int32
    /// Control messages of the packet being received.
    private let controlBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)

    // Once every property is set, a throwing initialiser still runs deinit: it closes
    // and frees what the initialiser opened.
    public init(family: AddressFamily) throws(SystemCallError) {
        self.family = family
        descriptor = socket(family.socketDomain, rawSocketType, Int32(IPPROTO_GRE))
        guard descriptor >= 0 else { throw .last("cannot open a raw GRE socket") }
        guard family == .inet6 else { return }
        // Destination address, flow label and hop limit of each packet received.
        try setOption(Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, 1)
        try setOption(Int32(IPPROTO_IPV6), Self.ipv6FlowInfo, 1)
        try setOption(Int32(IPPROTO_IPV6), IPV6_RECVHOPLIMIT, 1)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        controlBuffer.deallocate()
    }

    /// IPV6_FLOWINFO (linux/in6.h; glibc does not declare it): as an option, asks for
    /// each packet's flow information as a control message of the same type.
    static let ipv6FlowInfo: Int32 = 11

    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemCallError) {
        try setSocketOption(descriptor, level, name, value)
    }

    /// A socket that receives only GRE packets of `protocolType` (see `acceptOnly`), with
    /// room for bursts: a hub's replies, or the keepalives a responder reflects, arrive together.
    public convenience init(family: AddressFamily, acceptingOnly protocolType: UInt16) throws(SystemCallError) {
        try self.init(family: family)
        try acceptOnly(protocolType: protocolType)
        reserveReceiveBuffer(bytes: 4 << 20)
    }

    /// Root may exceed rmem_max.
    private func reserveReceiveBuffer(bytes: Int32) {
        var size = bytes
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Has the kernel deliver only GRE packets of one protocol type (0 for keepalive
    /// replies): on a hub, the tunnels' data traffic never reaches this socket.
    public func acceptOnly(protocolType: UInt16) throws(SystemCallError) {
        // Classic BPF. IPv4 raw sockets see the IP header: skip its length first.
        let load: [sock_filter] = family == .inet
            ? [sock_filter(code: 0xb1, jt: 0, jf: 0, k: 0),   // ldx 4*([0]&0xf)
               sock_filter(code: 0x48, jt: 0, jf: 0, k: 2)]   // ldh [x+2]
            : [sock_filter(code: 0x28, jt: 0, jf: 0, k: 2)]   // ldh [2]
        var program = load + [
            sock_filter(code: 0x15, jt: 0, jf: 1, k: UInt32(protocolType)),  // jeq #type
            sock_filter(code: 0x06, jt: 0, jf: 0, k: 0xffff),                // ret #65535 (accept)
            sock_filter(code: 0x06, jt: 0, jf: 0, k: 0),                     // ret #0 (drop)
        ]
        let status = program.withUnsafeMutableBufferPointer { instructions in
            var filter = sock_fprog(len: UInt16(instructions.count), filter: instructions.baseAddress)
            return setsockopt(descriptor, SOL_SOCKET, SO_ATTACH_FILTER, &filter, socklen_t(MemoryLayout<sock_fprog>.size))
        }
        guard status == 0 else { throw .last("cannot attach a socket filter") }
    }

    /// A packet to send: a GRE header and what follows, from `source` to `destination`
    /// with the given hop limit, along `path`; the kernel adds the IP header.
    public struct Outgoing: Sendable {
        public var packet: [UInt8]
        public var source: IPAddress
        public var destination: IPAddress
        public var hopLimit: UInt8
        public var path: OuterPath

        public init(packet: [UInt8], source: IPAddress, destination: IPAddress, hopLimit: UInt8, path: OuterPath = OuterPath()) {
            self.packet = packet
            self.source = source
            self.destination = destination
            self.hopLimit = hopLimit
            self.path = path
        }
    }

    public func send(_ outgoing: Outgoing) throws(SystemCallError) {
        if let (_, error) = send([outgoing]).first { throw error }
    }

    /// Sends a batch in as few system calls as the kernel allows (sendmmsg). Returns
    /// the packets it refused, by position in the batch; the others went out.
    public func send(_ batch: [Outgoing]) -> [(index: Int, error: SystemCallError)] {
        guard !batch.isEmpty else { return [] }
        // Everything sendmmsg reads, laid out once: addresses, control messages,
        // packet bytes, and the headers pointing at them.
        let nameSize = MemoryLayout<sockaddr_in6>.size
        let controlSize = Self.controlSpace
        let packetBytes = batch.reduce(0) { $0 + $1.packet.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(
            byteCount: batch.count * (nameSize + controlSize) + packetBytes + 8, alignment: 8)
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: batch.count)
        let messages = UnsafeMutableBufferPointer<mmsghdr>.allocate(capacity: batch.count)
        defer {
            storage.deallocate()
            vectors.deallocate()
            messages.deallocate()
        }
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        var packetOffset = batch.count * (nameSize + controlSize)
        for (index, outgoing) in batch.enumerated() {
            let name = storage.baseAddress! + index * nameSize
            let nameLength = outgoing.destination.withSocketAddress { address, length in
                name.copyMemory(from: address, byteCount: Int(length))
                return length
            }
            let control = storage.baseAddress! + batch.count * nameSize + index * controlSize
            var writer = ControlMessages(buffer: UnsafeMutableRawBufferPointer(start: control, count: controlSize))
            Self.writeControlMessages(for: outgoing, into: &writer)
            let bytes = storage.baseAddress! + packetOffset
            outgoing.packet.withUnsafeBytes { bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            packetOffset += outgoing.packet.count
            vectors[index] = iovec(iov_base: bytes, iov_len: outgoing.packet.count)
            messages[index] = mmsghdr(
                msg_hdr: msghdr(msg_name: name, msg_namelen: nameLength, msg_iov: vectors.baseAddress! + index, msg_iovlen: 1,
                                msg_control: control, msg_controllen: writer.length, msg_flags: 0),
                msg_len: 0)
        }
        // sendmmsg stops at the first packet the kernel refuses: note it, go on after it.
        var failures: [(Int, SystemCallError)] = []
        var next = 0
        while next < batch.count {
            let sent = sendmmsg(descriptor, messages.baseAddress! + next, UInt32(batch.count - next), Int32(MSG_DONTWAIT))
            if sent > 0 {
                next += Int(sent)
            } else if errno != EINTR {
                failures.append((next, .last("cannot send to \(batch[next].destination)")))
                next += 1
            }
        }
        return failures
    }

    /// Room for the control messages of one packet.
    static let controlSpace = ControlMessages.space(20) + 3 * ControlMessages.space(4)

    /// The control messages that send a packet as the tunnel sends its own: from its
    /// local address, with its hop limit, out of its underlay device (the interface of
    /// IP_PKTINFO / IPV6_PKTINFO), with its TOS (IP_TOS) or traffic class (IPV6_TCLASS)
    /// and its mark (SO_MARK: Linux 4.19 on, CAP_NET_RAW or CAP_NET_ADMIN). TOS and mark
    /// only when set, so keepalives to explicit targets ask for nothing more.
    static func writeControlMessages(for outgoing: Outgoing, into writer: inout ControlMessages) {
        let path = outgoing.path
        switch outgoing.source {
        case .v4(let address):
            // struct in_pktinfo: ifindex, spec_dst (the source), addr.
            writer.append(level: Int32(IPPROTO_IP), type: IP_PKTINFO, length: 12) { data in
                data.storeBytes(of: path.interface, toByteOffset: 0, as: Int32.self)
                data.storeBytes(of: address.value.bigEndian, toByteOffset: 4, as: UInt32.self)
            }
            writer.append(level: Int32(IPPROTO_IP), type: IP_TTL, Int32(outgoing.hopLimit))
            if path.tos != 0 { writer.append(level: Int32(IPPROTO_IP), type: IP_TOS, Int32(path.tos)) }
        case .v6:
            // struct in6_pktinfo: the source address, ifindex.
            writer.append(level: Int32(IPPROTO_IPV6), type: IPV6_PKTINFO, length: 20) { data in
                outgoing.source.withNetlinkPayload { data.copyMemory(from: $0) }
                data.storeBytes(of: path.interface, toByteOffset: 16, as: Int32.self)
            }
            writer.append(level: Int32(IPPROTO_IPV6), type: IPV6_HOPLIMIT, Int32(outgoing.hopLimit))
            if path.tos != 0 { writer.append(level: Int32(IPPROTO_IPV6), type: IPV6_TCLASS, Int32(path.tos)) }
        }
        if path.mark != 0 { writer.append(level: SOL_SOCKET, type: SO_MARK, Int32(bitPattern: path.mark)) }
    }

    /// A packet received, and what its control messages said (IPv6 only).
    public struct Datagram: Sendable {
        public var length: Int
        public var source: IPAddress?
        public var destination: IPAddress?
        public var flowLabel: UInt32 = 0
        public var hopLimit: UInt8 = 0
    }

    /// Reads one queued packet into `buffer`; nil when none is queued.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Datagram? {
        var name = sockaddr_storage()
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let control = controlBuffer
        let (received, controlLength) = withUnsafeMutablePointer(to: &name) { namePointer in
            withUnsafeMutablePointer(to: &vector) { vector in
                var message = msghdr(
                    msg_name: UnsafeMutableRawPointer(namePointer), msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                    msg_iov: vector, msg_iovlen: 1,
                    msg_control: control.baseAddress, msg_controllen: control.count, msg_flags: 0)
                while true {
                    let count = recvmsg(descriptor, &message, Int32(MSG_DONTWAIT))
                    if count < 0 && errno == EINTR { continue }
                    return (count, Int(message.msg_controllen))
                }
            }
        }
        if received < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw SystemCallError(call: "cannot receive GRE packets", code: code)
        }
        var datagram = Datagram(length: received, source: IPAddress(socketAddress: name))
        for message in ControlMessages.parse(UnsafeRawBufferPointer(rebasing: control[..<controlLength])) {
            switch (message.level, message.type) {
            case (Int32(IPPROTO_IPV6), IPV6_PKTINFO) where message.data.count >= 16:
                datagram.destination = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: message.data[..<16]))
            case (Int32(IPPROTO_IPV6), Self.ipv6FlowInfo) where message.data.count >= 4:
                datagram.flowLabel = message.data.bigEndian(UInt32.self, at: 0) & 0xF_FFFF
            case (Int32(IPPROTO_IPV6), IPV6_HOPLIMIT) where message.data.count >= 4:
                datagram.hopLimit = UInt8(truncatingIfNeeded: message.data.loadUnaligned(as: Int32.self))
            default:
                break
            }
        }
        return datagram
    }

    /// The address this host sends from toward `remote` along `path`, as the kernel's
    /// routing picks it (for tunnels with `local any`): the lookup the tunnel makes, with
    /// its mark, device and TOS. A connected UDP socket: nothing is sent.
    public static func localAddress(toward remote: IPAddress, along path: OuterPath = OuterPath()) throws(SystemCallError) -> IPAddress {
        let probe = socket(remote.family.socketDomain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw .last("cannot open a socket") }
        defer { close(probe) }
        if path.mark != 0 { try setSocketOption(probe, SOL_SOCKET, SO_MARK, Int32(bitPattern: path.mark), "SO_MARK") }
        if path.interface != 0 { try setSocketOption(probe, SOL_SOCKET, SO_BINDTOIFINDEX, path.interface, "SO_BINDTOIFINDEX") }
        if path.tos != 0, remote.family == .inet { try setSocketOption(probe, Int32(IPPROTO_IP), IP_TOS, Int32(path.tos), "IP_TOS") }
        let connected = remote.withSocketAddress(port: 9) { connect(probe, $0, $1) }
        guard connected == 0 else { throw .last("no route to \(remote)") }
        var name = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        guard named == 0, let local = IPAddress(socketAddress: name) else { throw .last("no local address toward \(remote)") }
        return local
    }
}

/// A raw IP socket that sends whole packets, IP header included (IPPROTO_RAW): the
/// responder's way to send a reflected keepalive as a router would forward it.
public final class RawPacketSocket {
    public let descriptor: Int32

    public init(family: AddressFamily) throws(SystemCallError) {
        descriptor = socket(family.socketDomain, rawSocketType, Int32(IPPROTO_RAW))
        guard descriptor >= 0 else { throw .last("cannot open a raw IP socket") }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    public func send(_ packet: [UInt8], to destination: IPAddress) throws(SystemCallError) {
        let sent = destination.withSocketAddress { name, length in
            packet.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), name, length) }
        }
        guard sent >= 0 else { throw .last("cannot send to \(destination)") }
    }
}

private let rawSocketType = Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

private func setSocketOption(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Int32,
                             _ label: String? = nil) throws(SystemCallError) {
    var value = value
    guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
        throw .last("cannot set socket option \(label ?? String(name))")
    }
}

/// Ancillary data of sendmsg/recvmsg (cmsghdr records), written and read without
/// the CMSG_* macros Swift cannot import.
struct ControlMessages {
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far (msg_controllen).
    private(set) var length = 0

    init(buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    private static let headerSize = MemoryLayout<cmsghdr>.size
    private static func aligned(_ length: Int) -> Int {
        (length + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
    }

    /// CMSG_SPACE: the room a message with `dataLength` bytes of data takes.
    static func space(_ dataLength: Int) -> Int { aligned(headerSize) + aligned(dataLength) }

    /// Appends a message of `length` data bytes (zeroed) that `fill` writes.
    mutating func append(level: Int32, type: Int32, length dataLength: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = buffer.baseAddress! + length
        var header = cmsghdr()
        header.cmsg_len = Self.headerSize + dataLength
        header.cmsg_level = level
        header.cmsg_type = type
        start.initializeMemory(as: UInt8.self, repeating: 0, count: Self.space(dataLength))
        start.storeBytes(of: header, as: cmsghdr.self)
        fill(UnsafeMutableRawBufferPointer(start: start + Self.headerSize, count: dataLength))
        length += Self.space(dataLength)
    }

    mutating func append(level: Int32, type: Int32, _ value: Int32) {
        append(level: level, type: type, length: 4) { $0.storeBytes(of: value, as: Int32.self) }
    }

    struct Message {
        var level: Int32
        var type: Int32
        var data: UnsafeRawBufferPointer
    }

    static func parse(_ buffer: UnsafeRawBufferPointer) -> [Message] {
        var messages: [Message] = []
        var offset = 0
        while offset + headerSize <= buffer.count {
            let header = buffer.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let length = Int(header.cmsg_len)
            guard length >= headerSize, offset + length <= buffer.count else { break }
            let data = UnsafeRawBufferPointer(rebasing: buffer[(offset + headerSize)..<(offset + length)])
            messages.append(Message(level: header.cmsg_level, type: header.cmsg_type, data: data))
            offset += aligned(length)
        }
        return messages
    }
}

extension GreSocket {
    /// Reads every queued packet; `each` gets those that are reflected keepalives.
    public func receiveKeepalives(into buffer: UnsafeMutableRawBufferPointer, _ each: (ReflectedKeepalive) -> Void) throws(SystemCallError) {
        try receiveAll(into: buffer) { datagram, bytes in
            if family == .inet {
                ReflectedKeepalive(ipv4: bytes).map(each)
            } else if let source = datagram.source, let destination = datagram.destination {
                ReflectedKeepalive(ipv6: bytes, source: source, destination: destination,
                                   flowLabel: datagram.flowLabel, hopLimit: datagram.hopLimit).map(each)
            }
        }
    }

    /// Reads every queued packet; `each` gets those that are keepalives to reflect.
    public func receiveReflections(into buffer: UnsafeMutableRawBufferPointer, _ each: (KeepaliveReflection) -> Void) throws(SystemCallError) {
        try receiveAll(into: buffer) { datagram, bytes in
            if family == .inet {
                KeepaliveReflection(ipv4: bytes).map(each)
            } else if let source = datagram.source, let destination = datagram.destination {
                KeepaliveReflection(ipv6: bytes, source: source, destination: destination).map(each)
            }
        }
    }

    private func receiveAll(into buffer: UnsafeMutableRawBufferPointer, _ each: (Datagram, UnsafeRawBufferPointer) -> Void) throws(SystemCallError) {
        while let datagram = try receive(into: buffer) {
            each(datagram, UnsafeRawBufferPointer(rebasing: buffer[..<datagram.length]))
        }
    }
}
