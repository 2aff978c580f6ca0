import CMnl
import SystemCalls
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Whether a dump saw a consistent view of the kernel's tables.
public enum DumpConsistency: Sendable {
    case consistent
    /// The kernel flagged NLM_F_DUMP_INTR: the table changed while it was dumped.
    case interrupted
}

/// The netlink families gretool speaks.
public enum NetlinkProtocol: Sendable {
    /// rtnetlink: links, addresses, routes, rules, nexthops.
    case route
    /// xfrm: IPsec policies and security associations.
    case xfrm

    var number: Int32 {
        switch self {
        case .route: NETLINK_ROUTE
        case .xfrm: NETLINK_XFRM
        }
    }
}

/// A netlink socket with extended acks on, rtnetlink unless asked for another family.
/// Not thread-safe: one socket belongs to one thread, like the network namespace it was
/// opened in.
///
/// The socket is the system layer's `Socket`; libmnl builds and walks the messages. A
/// send or receive that fails is thrown as a `NetlinkError`, like the kernel's own
/// refusals: either way the exchange failed, and callers (the request pipeline) handle
/// both alike.
public final class NetlinkSocket {
    private let socket: Socket
    private var lastSequence: UInt32
    private let requestBuffer = MessageBuffer(capacity: 32 * 1024)
    // Large enough for the biggest datagram the kernel builds for a dump (32 KiB).
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    /// Whether a receive has succeeded yet (the kernel then knows the buffer's size).
    private var hasReceived = false
    /// What the kernel may queue for this socket before it drops replies (SO_RCVBUF as
    /// the kernel set it: it counts each reply's buffer, overhead included).
    public let receiveBufferSize: Int
    /// The port id the kernel gave the socket: the notifications of the changes it
    /// requests carry it.
    public let port: UInt32

    /// A netlink address: a port id, which is the kernel's when 0.
    private static func address(port: UInt32) -> SocketAddress {
        SocketAddress(sockaddr_nl(nl_family: sa_family_t(AF_NETLINK), nl_pad: 0, nl_pid: port, nl_groups: 0))
    }

    /// `queueBytes`: what the kernel may queue for it (SO_RCVBUF; iproute2's -rcvbuf).
    /// 1 MiB by default: a batch's pipelined replies, or a burst of notifications, must fit.
    public init(_ family: NetlinkProtocol = .route, queueBytes: CInt = 1 << 20) throws(SystemError) {
        socket = try Self.open(family)
        port = try socket.localAddress("cannot read a netlink socket's port id").netlink?.nl_pid ?? 0
        receiveBufferSize = socket.reserveReceiveBuffer(bytes: queueBytes)
        // Start from the clock, as iproute2 does, so replies to an earlier
        // process that used the same port id are never mistaken for ours.
        lastSequence = UInt32(truncatingIfNeeded: time(nil))
        // Allocated once nothing can fail: deinit, which frees it, runs only for an
        // object whose initialiser set every property.
        receiveBuffer = .allocate(byteCount: 64 * 1024, alignment: 8)
    }

    private static func open(_ family: NetlinkProtocol) throws(SystemError) -> Socket {
        let socket = try Socket(domain: AF_NETLINK, type: SOCK_RAW, protocol: family.number, "cannot open a netlink socket")
        // Bound to port id 0, the socket gets one the kernel picks.
        try socket.bind(to: address(port: 0), "cannot bind a netlink socket")
        // The kernel's reason for a refusal, and the offset of the attribute it refused.
        try socket.enable(.netlinkExtendedAck)
        // Refusals carry only the request's header back, not the whole request.
        try socket.enable(.netlinkCappedAck)
        // Strict checking makes the kernel honour dump filters (table, ifindex).
        try socket.enable(.netlinkStrictCheck)
        return socket
    }

    deinit {
        receiveBuffer.deallocate()
    }

    public func nextSequence() -> UInt32 {
        lastSequence &+= 1
        return lastSequence
    }

    // MARK: Requests

    /// Sends one request and waits for the kernel's acknowledgement.
    public func perform(_ type: UInt16, flags: NetlinkFlags = [], _ build: (MessageWriter) throws -> Void) throws {
        let sequence = try sendOne(type, flags: flags.union([.request, .ack]), build)
        try receive(sequence: sequence) { message in
            guard message.type == NetlinkMessage.errorType else { return false }
            if let error = message.acknowledgementError() { throw error }
            return true
        }
    }

    /// Sends a GET for one object and hands its reply to `reply`.
    public func fetch<Result>(
        _ type: UInt16, _ build: (MessageWriter) throws -> Void,
        reply: (NetlinkMessage) throws -> Result
    ) throws -> Result {
        let sequence = try sendOne(type, flags: .request, build)
        var result: Result?
        try receive(sequence: sequence) { message in
            if message.type == NetlinkMessage.errorType {
                if let error = message.acknowledgementError() { throw error }
                return true
            }
            result = try reply(message)
            return true
        }
        guard let result else { throw NetlinkError(errno: .noData, kernelMessage: "the kernel sent no reply") }
        return result
    }

    /// Dumps a table: `each` sees every object message in order. Returns whether the
    /// kernel flagged the dump as interrupted by a concurrent change.
    @discardableResult
    public func dump(
        _ type: UInt16, _ build: (MessageWriter) throws -> Void,
        each: (NetlinkMessage) throws -> Void
    ) throws -> DumpConsistency {
        // The kernel sizes a dump's first datagram by the largest receive it has seen on
        // the socket, a page before any: a bigger first object (a route with hundreds of
        // legs) would end the dump without it. One acknowledged no-op teaches it ours.
        if !hasReceived { try perform(UInt16(NLMSG_NOOP)) { _ in } }
        let sequence = try sendOne(type, flags: [.request, .dump], build)
        var consistency = DumpConsistency.consistent
        try receive(sequence: sequence) { message in
            if message.flags.contains(.dumpInterrupted) { consistency = .interrupted }
            switch message.type {
            case NetlinkMessage.doneType, NetlinkMessage.errorType:
                if let error = message.acknowledgementError() { throw error }
                return true
            default:
                try each(message)
                return false
            }
        }
        return consistency
    }

    /// Dumps a table into values, starting over (a bounded number of times) when
    /// the kernel reports the dump was interrupted by a concurrent change.
    // Inlinable, as `collect(_:_:into:_:)` is: a dump of 10,000 routes appends as many
    // values, which generic code that other modules cannot specialise copies through
    // their type's metadata.
    @inlinable
    public func collect<Element>(
        _ type: UInt16, _ build: (MessageWriter) throws -> Void,
        _ decode: (NetlinkMessage) throws -> Element?
    ) throws -> [Element] {
        try collect(type, build, into: []) { elements, message in
            if let element = try decode(message) { elements.append(element) }
        }
    }

    /// Dumps a table into a result that `add` builds from each message, from `empty`,
    /// starting over (a bounded number of times) when the kernel reports the dump was
    /// interrupted by a concurrent change.
    @inlinable
    public func collect<Result>(
        _ type: UInt16, _ build: (MessageWriter) throws -> Void, into empty: @autoclosure () -> Result,
        _ add: (inout Result, NetlinkMessage) throws -> Void
    ) throws -> Result {
        for _ in 0..<4 {
            var result = empty()
            let consistency = try dump(type, build) { message in try add(&result, message) }
            if consistency == .consistent { return result }
        }
        throw NetlinkError(errno: .interrupted, kernelMessage: "dump kept being interrupted by concurrent changes")
    }

    // MARK: Pipelined requests

    /// Sends the messages written into `buffer` in one datagram. Only the last one
    /// (sequence `last`) asks for an acknowledgement: the kernel answers the others
    /// only when they fail, and in order, so once `last` is answered every failure
    /// in the datagram has been seen. `onError` gets each failure with its sequence;
    /// the other replies to the datagram's requests (echoes of what they did, for
    /// NLM_F_ECHO) go to `onEcho`, before the request's own answer. Sequences outside
    /// `sequences` (replies to earlier requests) are skipped.
    ///
    /// Throws `NetlinkError.repliesLost` when the kernel dropped replies because the
    /// receive buffer was full: which requests took effect is then unknown.
    public func sendBatch(
        _ buffer: MessageBuffer, last: UInt32, sequences: ClosedRange<UInt32>,
        onError: (UInt32, NetlinkError) throws -> Void, onEcho: (NetlinkMessage) throws -> Void
    ) throws {
        try send(buffer.bytes)
        do {
            try receive(accepting: { sequences.contains($0) }) { message in
                guard message.type == NetlinkMessage.errorType else {
                    try onEcho(message)
                    return false
                }
                if let error = message.acknowledgementError() { try onError(message.sequence, error) }
                return message.sequence == last
            }
        } catch let error as NetlinkError where error.errno == .noBufferSpace {
            // The kernel answered the whole datagram before sendto returned: what it
            // could queue is there. Dropped too, so the next requests start clean.
            try? receiveQueued { _ in }
            throw NetlinkError.repliesLost
        }
    }

    // MARK: Transport

    private func sendOne(_ type: UInt16, flags: NetlinkFlags, _ build: (MessageWriter) throws -> Void) throws -> UInt32 {
        let sequence = nextSequence()
        requestBuffer.reset()
        try requestBuffer.append(type: type, flags: flags, sequence: sequence, build)
        try send(requestBuffer.bytes)
        return sequence
    }

    private func send(_ bytes: UnsafeRawBufferPointer) throws(NetlinkError) {
        do {
            try socket.send(bytes, to: Self.address(port: 0), "cannot send to the kernel")
        } catch {
            throw NetlinkError(errno: error.errno)
        }
    }

    /// Reads one datagram into the receive buffer; nil when `flags` has MSG_DONTWAIT
    /// and nothing is queued.
    private func receiveDatagram(flags: CInt = 0) throws(NetlinkError) -> UnsafeRawBufferPointer? {
        let received: Socket.Received?
        do {
            received = try socket.receive(into: receiveBuffer, flags: flags, "cannot receive from the kernel")
        } catch {
            throw NetlinkError(errno: error.errno)
        }
        guard let received else { return nil }
        hasReceived = true
        // A datagram cut to the buffer would be read as messages that end early (libmnl
        // says ENOSPC too); one not from the kernel is no reply at all.
        guard !received.isTruncated else { throw NetlinkError(errno: .noSpace) }
        guard received.source.netlink != nil else { throw NetlinkError(errno: .invalidArgument) }
        return UnsafeRawBufferPointer(rebasing: receiveBuffer[..<received.length])
    }

    private func receive(sequence: UInt32, _ handle: (NetlinkMessage) throws -> Bool) throws {
        try receive(accepting: { $0 == sequence }, handle)
    }

    /// Reads datagrams until `handle` returns true for a message whose sequence is
    /// accepted. Messages for other sequences (late replies to earlier requests)
    /// are skipped.
    private func receive(accepting: (UInt32) -> Bool, _ handle: (NetlinkMessage) throws -> Bool) throws {
        while true {
            guard let datagram = try receiveDatagram() else { continue }
            for message in MessageSequence(buffer: datagram) where accepting(message.sequence) {
                if try handle(message) { return }
            }
        }
    }

    /// The underlying file descriptor (for poll-based event loops).
    public var fileDescriptor: Int32 { socket.rawValue }

    // MARK: Notifications

    /// Joins rtnetlink multicast groups (RTNLGRP_*: 1 is links) so the kernel sends
    /// this socket a message for every change of what they cover. Use a socket of its
    /// own for them: requests skip messages that are not their replies.
    public func subscribe(groups: [UInt32]) throws(SystemError) {
        for group in groups { try socket.set(.netlinkAddMembership, to: group) }
    }

    /// Has the kernel drop, before they are queued here, the route notifications
    /// (RTM_NEWROUTE, RTM_DELROUTE) of the changes requested through the socket with
    /// port id `port`: a process that keeps its own account of the routes it changes
    /// does not read a hundred thousand of them back. The notifications of everything
    /// else come as before.
    public func dropRouteNotifications(causedBy port: UInt32) throws(SystemError) {
        try socket.attach(filter: Self.filter(droppingRouteNotificationsOf: port))
    }

    /// The program of `dropRouteNotifications`. A notification is one message, its
    /// header first: the type, and the port id of the request that caused it. The
    /// header is in the host's byte order and BPF loads in network order, so each
    /// constant is compared as its bytes read big-endian.
    static func filter(droppingRouteNotificationsOf port: UInt32) -> [sock_filter] {
        let typeOffset = UInt32(MemoryLayout<nlmsghdr>.offset(of: \.nlmsg_type)!)
        let portOffset = UInt32(MemoryLayout<nlmsghdr>.offset(of: \.nlmsg_pid)!)
        func loaded(_ type: RouteMessageType) -> UInt32 { UInt32(UInt16(bigEndian: type.rawValue)) }
        return [
            SocketFilter.statement(BPF_LD | BPF_H | BPF_ABS, typeOffset),
            SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, loaded(.newRoute), ifTrue: 1, ifFalse: 0),
            SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, loaded(.deleteRoute), ifTrue: 0, ifFalse: 2),
            SocketFilter.statement(BPF_LD | BPF_W | BPF_ABS, portOffset),
            SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, UInt32(bigEndian: port), ifTrue: 1, ifFalse: 0),
            SocketFilter.acceptWhole,
            SocketFilter.drop,
        ]
    }

    /// Hands every notification already queued to `each`, without waiting. Throws
    /// `NetlinkError(errno: .noBufferSpace)` when the kernel dropped some because the
    /// socket was full: the caller's view is stale and should be read again.
    public func receiveQueued(_ each: (NetlinkMessage) throws -> Void) throws {
        while let datagram = try receiveDatagram(flags: CInt(MSG_DONTWAIT)) {
            for message in MessageSequence(buffer: datagram) { try each(message) }
        }
    }
}

extension SocketOption where Value == CInt {
    /// NETLINK_EXT_ACK: refusals carry the kernel's reason and the offset of the
    /// attribute it refused.
    static var netlinkExtendedAck: Self { .init(level: SOL_NETLINK, name: NETLINK_EXT_ACK, label: "NETLINK_EXT_ACK") }
    /// NETLINK_CAP_ACK: refusals carry the request's header only, not all of it.
    static var netlinkCappedAck: Self { .init(level: SOL_NETLINK, name: NETLINK_CAP_ACK, label: "NETLINK_CAP_ACK") }
    /// NETLINK_GET_STRICT_CHK: dump requests are checked, and their filters honoured.
    static var netlinkStrictCheck: Self { .init(level: SOL_NETLINK, name: NETLINK_GET_STRICT_CHK, label: "NETLINK_GET_STRICT_CHK") }
}

extension SocketOption where Value == UInt32 {
    /// NETLINK_ADD_MEMBERSHIP: join a multicast group (RTNLGRP_*).
    static var netlinkAddMembership: Self { .init(level: SOL_NETLINK, name: NETLINK_ADD_MEMBERSHIP, label: "NETLINK_ADD_MEMBERSHIP") }
}
