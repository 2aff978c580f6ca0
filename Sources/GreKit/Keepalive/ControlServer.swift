import CMnl

#if canImport(Glibc)
import Glibc
#endif

/// The watcher's control socket: `gretool keepalive status` connects, writes one
/// request line (its words), and reads the answer until the watcher closes. Served
/// from the watcher's poll loop without ever blocking it: connections are
/// non-blocking, an answer is written as the client reads it, and a client that
/// neither asks nor reads is dropped after a few seconds.
public final class ControlServer {
    let path: String
    private let listener: Socket
    private let answer: ([String]) -> [UInt8]
    private var connections: [Connection] = []

    private final class Connection {
        let socket: Socket
        let openedAt: Int64
        var request = Request()
        var reply: [UInt8]?
        var written = 0

        init(socket: consuming Socket, openedAt: Int64) {
            self.socket = socket
            self.openedAt = openedAt
        }
    }

    /// A request as its pieces arrive: one line of words separated by spaces, ended by
    /// a newline (what follows it is ignored) or by the client's end of writing.
    struct Request {
        /// A request longer than this is not one `keepalive status` writes.
        static let limit = 1024

        private var bytes: [UInt8] = []

        /// Takes the next piece received (`ended`: the client wrote everything); returns
        /// the request's words once it is whole, nil while more is to come. Throws for a
        /// request over the limit that goes on.
        mutating func receive(_ piece: some Collection<UInt8>, ended: Bool) throws(SystemError) -> [String]? {
            // Only the new piece may hold the newline (what came before had none): a client
            // that writes a byte at a time costs one pass over its request, not a pass a byte.
            let received = bytes.endIndex
            bytes += piece
            if let newline = bytes[received...].firstIndex(of: UInt8(ascii: "\n")) {
                bytes.removeSubrange(newline...)
            } else if !ended {
                guard bytes.count <= Self.limit else {
                    throw SystemError("a control request is too long", errno: .messageTooLong)
                }
                return nil
            }
            return bytes.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    static let connectionLimit = 16
    static let patience: Int64 = 5_000_000_000

    init(path: String, answer: @escaping ([String]) -> [UInt8]) throws(SystemError) {
        self.path = path
        listener = try Socket.listening(atUnixPath: path)
        self.answer = answer
    }

    deinit { try? Files.remove(path) }

    /// Asks the watcher listening at `path`: writes `request` (a line of words) and
    /// returns the whole answer. Nil when the watcher did not answer within `timeout`
    /// (nanoseconds): a watcher that is stopped or stuck does not hang the asker.
    public static func ask(_ path: String, request: [String], timeout: Int64 = 5_000_000_000) throws(SystemError) -> [UInt8]? {
        let socket = try Socket.connected(toUnixPath: path, timeout: timeout)
        try socket.send(Array((request.joined(separator: " ") + "\n").utf8), flags: CInt(MSG_NOSIGNAL), "cannot ask the watcher at \(path)")
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let result = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemError) in try socket.receive(into: buffer, "cannot read the answer of the watcher at \(path)") }
            }
            guard let received = try result.get() else { return nil }
            if received.length == 0 { return answer }
            answer += chunk[..<received.length]
        }
    }

    /// What to poll: the listener, each connection for its request or for room to write.
    var pollDescriptors: [pollfd] {
        [pollfd(fd: listener.rawValue, events: Int16(POLLIN), revents: 0)] + connections.map {
            pollfd(fd: $0.socket.rawValue, events: Int16($0.reply == nil ? POLLIN : POLLOUT), revents: 0)
        }
    }

    func owns(_ descriptor: Int32) -> Bool {
        descriptor == listener.rawValue || connections.contains { $0.socket.rawValue == descriptor }
    }

    /// Serves what poll found ready on `descriptor`.
    func serve(_ descriptor: Int32, now: Int64) {
        if descriptor == listener.rawValue {
            // Past the limit, the backlog waits for a connection to end. A failed accept
            // (a client that gave up, descriptors exhausted) is retried at the next poll.
            while connections.count < Self.connectionLimit, let socket = try? listener.accept("cannot accept a control connection") {
                connections.append(Connection(socket: socket, openedAt: now))
            }
            return
        }
        guard let connection = connections.first(where: { $0.socket.rawValue == descriptor }) else { return }
        do {
            if connection.reply == nil { try read(connection) }
            if connection.reply != nil { try write(connection) }
        } catch {
            drop(connection)
        }
    }

    /// Drops the connections that have taken too long.
    func expire(now: Int64) {
        for connection in connections where now - connection.openedAt > Self.patience { drop(connection) }
    }

    private func read(_ connection: Connection) throws(SystemError) {
        var chunk = [UInt8](repeating: 0, count: 256)
        while connection.reply == nil {
            let result = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemError) in try connection.socket.receive(into: buffer, "cannot read a control request") }
            }
            // Nothing more for now: the rest of the request comes at a later poll.
            guard let received = try result.get() else { return }
            guard let words = try connection.request.receive(chunk[..<received.length], ended: received.length == 0) else { continue }
            connection.reply = answer(words)
        }
    }

    private func write(_ connection: Connection) throws(SystemError) {
        guard let reply = connection.reply else { return }
        while connection.written < reply.count {
            let result = reply[connection.written...].withUnsafeBytes { bytes in
                Result { () throws(SystemError) in
                    try connection.socket.send(bytes, flags: CInt(MSG_NOSIGNAL | MSG_DONTWAIT), "cannot answer a control request")
                }
            }
            switch result {
            case .success(let count): connection.written += count
            // The client reads slower than the answer comes: the rest at the next poll.
            case .failure(let error) where error.errno == .resourceTemporarilyUnavailable: return
            case .failure(let error): throw error
            }
        }
        try connection.socket.finishWriting("cannot end a control answer")
        drop(connection)
    }

    private func drop(_ connection: Connection) {
        connections.removeAll { $0 === connection }
    }
}
