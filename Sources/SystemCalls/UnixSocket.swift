import CMnl
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

// Unix domain sockets: systemd's notification and journal sockets (datagrams to a
// path) and the keepalive watcher's control socket (a stream it listens on, and that
// `keepalive status` connects to).

extension SocketAddress {
    /// The address of a Unix socket: a file's path, or for `@NAME` an abstract name
    /// (as systemd writes them in `$NOTIFY_SOCKET`): a leading zero byte instead of
    /// the `@`, and a length that counts the name only. A path longer than sun_path
    /// (107 bytes and its terminating zero) cannot be one: ENAMETOOLONG.
    public init(unixPath path: String) throws(SystemError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let isAbstract = bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        // A file's path keeps room for its terminating zero, which sockaddr_un() holds.
        guard !bytes.isEmpty, bytes.count + (isAbstract ? 0 : 1) <= MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemError("cannot use \(path) as a Unix socket's address", errno: .fileNameTooLong)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (isAbstract ? 0 : 1)
        self.init(address, length: socklen_t(length))
    }
}

extension Socket {
    /// A Unix datagram socket, unbound: it sends to any path (`send(_:to:)` with
    /// `SocketAddress(unixPath:)`).
    public static func unixDatagram() throws(SystemError) -> Socket {
        try Socket(domain: AF_UNIX, type: SOCK_DGRAM, "cannot open a Unix socket")
    }

    /// A Unix stream socket listening at `path`, non-blocking (`accept` returns nil when
    /// nobody waits). A file left at `path` (the socket of a process that died) is
    /// replaced.
    public static func listening(atUnixPath path: String, backlog: CInt = 16) throws(SystemError) -> Socket {
        let address = try SocketAddress(unixPath: path)
        let socket = try Socket(domain: AF_UNIX, type: SOCK_STREAM, nonBlocking: true, "cannot open a Unix socket")
        if !path.hasPrefix("@") { try Files.remove(path) }
        try socket.bind(to: address, "cannot listen at \(path)")
        try systemCall("cannot listen at \(path)") { Glibc.listen(socket.rawValue, backlog) }
        return socket
    }

    /// A Unix stream socket connected to `path`, blocking. `timeout` (nanoseconds)
    /// bounds each wait to send or receive on it: a peer that stops answering makes
    /// a receive return nil, not hang.
    public static func connected(toUnixPath path: String, timeout: Int64? = nil) throws(SystemError) -> Socket {
        let address = try SocketAddress(unixPath: path)
        let socket = try Socket(domain: AF_UNIX, type: SOCK_STREAM, "cannot open a Unix socket")
        if let timeout {
            let limit = timeval(tv_sec: Int(timeout / 1_000_000_000), tv_usec: Int(timeout % 1_000_000_000 / 1000))
            try socket.set(.receiveTimeout, to: limit)
            try socket.set(.sendTimeout, to: limit)
        }
        try socket.connect(to: address, "cannot connect to \(path)")
        return socket
    }

    /// A connection waiting on a listening socket, non-blocking and close-on-exec; nil
    /// when none waits. (accept4, which sets both at once, is hidden by glibc's headers
    /// without _GNU_SOURCE; the flags follow at once, before anything can fork.)
    public func accept(_ operation: @autoclosure () -> String) throws(SystemError) -> Socket? {
        switch valueOrErrno({ Glibc.accept(rawValue, nil, nil) }) {
        case .success(let raw):
            let connection = Socket(taking: OwnedDescriptor(taking: FileDescriptor(rawValue: raw)))
            try systemCall(operation()) { fcntl(raw, F_SETFD, FD_CLOEXEC) }
            try systemCall(operation()) { fcntl(raw, F_SETFL, fcntl(raw, F_GETFL) | O_NONBLOCK) }
            return connection
        case .failure(let errno) where errno == .resourceTemporarilyUnavailable: return nil
        case .failure(let errno): throw SystemError(operation(), errno: errno)
        }
    }

    /// Ends the writing half of a stream: the peer reads the end of it, and may still
    /// send.
    public func finishWriting(_ operation: @autoclosure () -> String) throws(SystemError) {
        try systemCall(operation()) { Glibc.shutdown(rawValue, CInt(SHUT_WR)) }
    }
}

extension SocketOption where Value == timeval {
    /// SO_RCVTIMEO: how long a blocking receive waits before it fails with EAGAIN.
    public static var receiveTimeout: Self { .init(level: SOL_SOCKET, name: SO_RCVTIMEO, label: "SO_RCVTIMEO") }
    /// SO_SNDTIMEO: how long a blocking send (or a Unix socket's connect) waits for room.
    public static var sendTimeout: Self { .init(level: SOL_SOCKET, name: SO_SNDTIMEO, label: "SO_SNDTIMEO") }
}
