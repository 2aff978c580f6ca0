import CMnl
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A socket this process owns: opened close-on-exec, closed once when its owner lets
/// go of it. Every socket gretool opens is one: netlink, raw GRE, UDP.
///
/// Calls interrupted by a signal are made again (`valueOrErrno`). A receive on a
/// non-blocking socket with nothing queued returns nil rather than failing.
public struct Socket: ~Copyable {
    public let descriptor: OwnedDescriptor

    /// Opens a socket (`socket(2)`), close-on-exec, and non-blocking when asked.
    /// `operation` words the failure: "cannot open a raw GRE socket".
    public init(
        domain: CInt, type: __socket_type, protocol number: CInt = 0, nonBlocking: Bool = false,
        _ operation: @autoclosure () -> String
    ) throws(SystemError) {
        var flags = CInt(type.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        if nonBlocking { flags |= CInt(SOCK_NONBLOCK.rawValue) }
        // Raw sockets are what CAP_NET_RAW guards; the others gretool opens need no capability.
        let capability: Capability? = type == SOCK_RAW ? .netRaw : nil
        let raw = try systemCall(operation(), needs: capability) { Glibc.socket(domain, flags, number) }
        descriptor = OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
    }

    /// Takes ownership of a socket a system call returned (`accept`).
    init(taking descriptor: consuming OwnedDescriptor) {
        self.descriptor = descriptor
    }

    /// The descriptor's number, for poll.
    public var rawValue: CInt { descriptor.rawValue }

    // MARK: Options

    public func set<Value>(_ option: SocketOption<Value>, to value: Value) throws(SystemError) {
        let result = withUnsafeBytes(of: value) { bytes in
            valueOrErrno { setsockopt(rawValue, option.level, option.name, bytes.baseAddress, socklen_t(bytes.count)) }
        }
        if case .failure(let errno) = result { throw SystemError("cannot set socket option \(option.label)", errno: errno) }
    }

    /// Turns on an option that is a switch.
    public func enable(_ option: SocketOption<CInt>) throws(SystemError) {
        try set(option, to: 1)
    }

    public func value<Value: FixedWidthInteger>(of option: SocketOption<Value>) throws(SystemError) -> Value {
        var value = Value.zero
        var length = socklen_t(MemoryLayout<Value>.size)
        try systemCall("cannot read socket option \(option.label)") {
            getsockopt(rawValue, option.level, option.name, &value, &length)
        }
        return value
    }

    /// Asks for `bytes` of receive buffer, so a burst of packets or replies is queued
    /// rather than dropped. Past net.core.rmem_max when the process may (SO_RCVBUFFORCE
    /// needs CAP_NET_ADMIN), else up to it: a smaller buffer only costs drops under
    /// load, so neither failure stops anything. Returns the size the kernel reports
    /// (twice what it grants, its bookkeeping included), 0 when it cannot be read.
    @discardableResult
    public func reserveReceiveBuffer(bytes: CInt) -> Int {
        if (try? set(.receiveBufferForce, to: bytes)) == nil {
            _ = try? set(.receiveBuffer, to: bytes)
        }
        return (try? value(of: .receiveBuffer)).map(Int.init) ?? 0
    }

    /// Attaches a classic BPF program (SO_ATTACH_FILTER): the kernel then queues only
    /// the packets it accepts, so the others cost this process nothing.
    public func attach(filter program: [sock_filter]) throws(SystemError) {
        var program = program
        // The kernel copies the program: the pointer need only live through the call.
        let result = program.withUnsafeMutableBufferPointer { instructions in
            Result { () throws(SystemError) in
                try set(.attachFilter, to: sock_fprog(len: UInt16(instructions.count), filter: instructions.baseAddress))
            }
        }
        try result.get()
    }

    // MARK: Addresses

    public func bind(to address: SocketAddress, _ operation: @autoclosure () -> String) throws(SystemError) {
        let result = address.withSockaddr { name, length in valueOrErrno { Glibc.bind(rawValue, name, length) } }
        if case .failure(let errno) = result { throw SystemError(operation(), errno: errno) }
    }

    /// Connects (a datagram socket only records the peer: nothing is sent).
    public func connect(to address: SocketAddress, _ operation: @autoclosure () -> String) throws(SystemError) {
        let result = address.withSockaddr { name, length in valueOrErrno { Glibc.connect(rawValue, name, length) } }
        if case .failure(let errno) = result { throw SystemError(operation(), errno: errno) }
    }

    /// The address the socket is bound to (getsockname).
    public func localAddress(_ operation: @autoclosure () -> String) throws(SystemError) -> SocketAddress {
        var address = SocketAddress()
        let result = address.withMutableSockaddr { name, length in valueOrErrno { getsockname(rawValue, name, length) } }
        if case .failure(let errno) = result { throw SystemError(operation(), errno: errno) }
        return address
    }

    // MARK: Sending and receiving

    /// Sends one datagram, to `destination` or to the connected peer; returns the
    /// bytes sent.
    @discardableResult
    public func send(
        _ bytes: UnsafeRawBufferPointer, to destination: SocketAddress? = nil, flags: CInt = 0,
        _ operation: @autoclosure () -> String
    ) throws(SystemError) -> Int {
        let result: Result<Int, Errno>
        if let destination {
            result = destination.withSockaddr { name, length in
                valueOrErrno { sendto(rawValue, bytes.baseAddress, bytes.count, flags, name, length) }
            }
        } else {
            result = valueOrErrno { Glibc.send(rawValue, bytes.baseAddress, bytes.count, flags) }
        }
        switch result {
        case .success(let count): return count
        case .failure(let errno): throw SystemError(operation(), errno: errno)
        }
    }

    /// Sends the bytes of an array as one datagram.
    @discardableResult
    public func send(
        _ bytes: [UInt8], to destination: SocketAddress? = nil, flags: CInt = 0, _ operation: @autoclosure () -> String
    ) throws(SystemError) -> Int {
        let result = bytes.withUnsafeBytes { bytes in
            Result { () throws(SystemError) in try send(bytes, to: destination, flags: flags, operation()) }
        }
        return try result.get()
    }

    /// A datagram `receive` read: its length, its source, its control messages and
    /// recvmsg's flags.
    public struct Received {
        public var length: Int
        public var source: SocketAddress
        /// The control messages' bytes, in the buffer the receive was given.
        public var control: UnsafeRawBufferPointer
        /// msg_flags: MSG_TRUNC when the datagram did not fit, MSG_CTRUNC when its
        /// control messages did not.
        public var flags: CInt

        public var controlMessages: ControlMessages.Received { ControlMessages.parse(control) }
        public var isTruncated: Bool { flags & CInt(MSG_TRUNC) != 0 }
    }

    /// Receives one datagram into `buffer` (recvmsg), and its control messages into
    /// `control`. Nil when the socket is non-blocking (or `flags` has MSG_DONTWAIT) and
    /// nothing is queued.
    public func receive(
        into buffer: UnsafeMutableRawBufferPointer, control: UnsafeMutableRawBufferPointer? = nil, flags: CInt = 0,
        _ operation: @autoclosure () -> String
    ) throws(SystemError) -> Received? {
        var source = SocketAddress()
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let (result, controlLength, messageFlags) = source.withMutableSockaddr { name, nameLength in
            withUnsafeMutablePointer(to: &vector) { vector in
                var message = msghdr(
                    msg_name: UnsafeMutableRawPointer(name), msg_namelen: nameLength.pointee, msg_iov: vector, msg_iovlen: 1,
                    msg_control: control?.baseAddress, msg_controllen: control?.count ?? 0, msg_flags: 0)
                let result = valueOrErrno { recvmsg(rawValue, &message, flags) }
                nameLength.pointee = message.msg_namelen
                return (result, Int(message.msg_controllen), message.msg_flags)
            }
        }
        switch result {
        case .success(let length):
            let controlBytes = control.map { UnsafeRawBufferPointer(rebasing: $0[..<controlLength]) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            return Received(length: length, source: source, control: controlBytes, flags: messageFlags)
        case .failure(let errno) where errno == .resourceTemporarilyUnavailable:
            return nil
        case .failure(let errno):
            throw SystemError(operation(), errno: errno)
        }
    }

    /// Receives as many queued datagrams as `batch` has room for, in one system call
    /// (recvmmsg), and returns how many (`batch.count`, each read by `batch.datagram`).
    /// 0 when the socket is non-blocking (or `flags` has MSG_DONTWAIT) and nothing is
    /// queued. A non-blocking receive that fills less than the batch emptied the queue.
    public func receive(_ batch: inout ReceiveBatch, flags: CInt = 0, _ operation: @autoclosure () -> String) throws(SystemError) -> Int {
        batch.prepare()
        switch valueOrErrno({ recvmmsg(rawValue, batch.headers.baseAddress!, UInt32(batch.capacity), flags, nil) }) {
        case .success(let count):
            batch.count = Int(count)
            return Int(count)
        case .failure(let errno) where errno == .resourceTemporarilyUnavailable:
            return 0
        case .failure(let errno):
            throw SystemError(operation(), errno: errno)
        }
    }

    /// Sends a batch in as few system calls as the kernel allows (sendmmsg). It stops
    /// at the first datagram the kernel refuses: that one is noted and the rest sent
    /// after it. Returns the refused ones, by position in the batch, with their errno.
    public func send(_ batch: borrowing DatagramBatch, flags: CInt = 0) -> [(index: Int, errno: Errno)] {
        var refused: [(index: Int, errno: Errno)] = []
        var next = 0
        while next < batch.count {
            switch valueOrErrno({ sendmmsg(rawValue, batch.headers.baseAddress! + next, UInt32(batch.count - next), flags) }) {
            case .success(let sent) where sent > 0:
                next += Int(sent)
            case .success:
                // Nothing sent and no error: cannot happen for a non-empty batch; skip
                // the datagram rather than loop.
                refused.append((next, .ioError))
                next += 1
            case .failure(let errno):
                refused.append((next, errno))
                next += 1
            }
        }
        return refused
    }

    /// An interface request (ioctl with a struct ifreq), such as SIOCGIFTXQLEN.
    public func interfaceRequest(_ request: CUnsignedLong, _ ifreq: inout ifreq, _ operation: @autoclosure () -> String) throws(SystemError) {
        try systemCall(operation()) { ioctl(rawValue, request, &ifreq) }
    }
}
