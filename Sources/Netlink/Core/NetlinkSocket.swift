import CMnl
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

/// A netlink socket (libmnl) with extended acks on, rtnetlink unless asked for another
/// family. Not thread-safe: one socket belongs to one thread, like the network namespace
/// it was opened in.
public final class NetlinkSocket {
    private let handle: OpaquePointer
    private var lastSequence: UInt32
    private let requestBuffer = MessageBuffer(capacity: 32 * 1024)
    // Large enough for the biggest datagram the kernel builds for a dump (32 KiB).
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    /// Whether a receive has succeeded yet (the kernel then knows the buffer's size).
    private var hasReceived = false
    /// What the kernel may queue for this socket before it drops replies (SO_RCVBUF as
    /// the kernel set it: it counts each reply's buffer, overhead included).
    public private(set) var receiveBufferSize = 0

    public init(_ family: NetlinkProtocol = .route) throws {
        // Close-on-exec: commands the keepalive watcher runs must not inherit it.
        guard let socket = mnl_socket_open2(family.number, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw NetlinkError.lastSystemError()
        }
        handle = socket
        do {
            guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else { throw NetlinkError.lastSystemError() }
            try Self.enable(NETLINK_EXT_ACK, on: socket)
            try Self.enable(NETLINK_CAP_ACK, on: socket)
            // Strict checking makes the kernel honour dump filters (table, ifindex).
            try Self.enable(NETLINK_GET_STRICT_CHK, on: socket)
            receiveBufferSize = Self.enlargeReceiveBuffer(mnl_socket_get_fd(socket))
        } catch {
            mnl_socket_close(socket)
            receiveBuffer.deallocate()
            throw error
        }
        // Start from the clock, as iproute2 does, so replies to an earlier
        // process that used the same port id are never mistaken for ours.
        lastSequence = UInt32(truncatingIfNeeded: time(nil))
    }

    deinit {
        mnl_socket_close(handle)
        receiveBuffer.deallocate()
    }

    /// Asks for 1 MiB of receive buffer, past net.core.rmem_max when allowed (CAP_NET_ADMIN,
    /// which changes need anyway), else up to it; returns what the kernel set.
    private static func enlargeReceiveBuffer(_ descriptor: Int32) -> Int {
        var size: Int32 = 1 << 20
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, length) != 0 {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, length)
        }
        var actual: Int32 = 0
        var actualLength = length
        guard getsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &actual, &actualLength) == 0 else { return 0 }
        return Int(actual)
    }

    private static func enable(_ option: Int32, on socket: OpaquePointer) throws {
        var one: Int32 = 1
        guard mnl_socket_setsockopt(socket, option, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw NetlinkError.lastSystemError()
        }
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
    public func collect<Element>(
        _ type: UInt16, _ build: (MessageWriter) throws -> Void,
        _ decode: (NetlinkMessage) throws -> Element?
    ) throws -> [Element] {
        for _ in 0..<4 {
            var elements: [Element] = []
            let consistency = try dump(type, build) { message in
                if let element = try decode(message) { elements.append(element) }
            }
            if consistency == .consistent { return elements }
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

    private func send(_ bytes: UnsafeRawBufferPointer) throws {
        while mnl_socket_sendto(handle, bytes.baseAddress, bytes.count) < 0 {
            let error = NetlinkError.lastSystemError()
            if error.errno != .interrupted { throw error }
        }
    }

    private func receive(sequence: UInt32, _ handle: (NetlinkMessage) throws -> Bool) throws {
        try receive(accepting: { $0 == sequence }, handle)
    }

    /// Reads datagrams until `handle` returns true for a message whose sequence is
    /// accepted. Messages for other sequences (late replies to earlier requests)
    /// are skipped.
    private func receive(accepting: (UInt32) -> Bool, _ handle: (NetlinkMessage) throws -> Bool) throws {
        while true {
            let received = mnl_socket_recvfrom(self.handle, receiveBuffer.baseAddress, receiveBuffer.count)
            if received < 0 {
                let error = NetlinkError.lastSystemError()
                if error.errno == .interrupted { continue }
                throw error
            }
            hasReceived = true
            let datagram = UnsafeRawBufferPointer(rebasing: receiveBuffer[..<received])
            for message in MessageSequence(buffer: datagram) where accepting(message.sequence) {
                if try handle(message) { return }
            }
        }
    }

    /// The underlying file descriptor (for poll-based event loops).
    public var fileDescriptor: Int32 { mnl_socket_get_fd(handle) }

    // MARK: Notifications

    /// Joins rtnetlink multicast groups (RTNLGRP_*: 1 is links) so the kernel sends
    /// this socket a message for every change of what they cover. Use a socket of its
    /// own for them: requests skip messages that are not their replies.
    public func subscribe(groups: [UInt32]) throws {
        for group in groups {
            var value = group
            guard mnl_socket_setsockopt(handle, Int32(NETLINK_ADD_MEMBERSHIP), &value, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
                throw NetlinkError.lastSystemError()
            }
        }
    }

    /// Hands every notification already queued to `each`, without waiting. Throws
    /// `NetlinkError(errno: .noBufferSpace)` when the kernel dropped some because the
    /// socket was full: the caller's view is stale and should be read again.
    public func receiveQueued(_ each: (NetlinkMessage) throws -> Void) throws {
        while true {
            let received = recv(fileDescriptor, receiveBuffer.baseAddress, receiveBuffer.count, Int32(MSG_DONTWAIT))
            if received < 0 {
                let error = NetlinkError.lastSystemError()
                switch error.errno {
                case .interrupted: continue
                case .resourceTemporarilyUnavailable: return
                default: throw error
                }
            }
            let datagram = UnsafeRawBufferPointer(rebasing: receiveBuffer[..<received])
            for message in MessageSequence(buffer: datagram) { try each(message) }
        }
    }
}
