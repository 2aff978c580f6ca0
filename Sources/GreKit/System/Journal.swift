import CMnl

#if canImport(Glibc)
import Glibc
#endif

/// systemd's journal, spoken natively (systemd.journal-fields(7), the native protocol
/// of sd_journal_sendv without libsystemd): each record is one datagram of fields to
/// the journal's socket, so fields beyond the message (the tunnel, its state, the
/// round trip) are kept and can be matched on (`journalctl GRE_TUNNEL=gre1`).
public final class Journal {
    public let socketPath: String
    private let address: SocketAddress
    private let socket: Socket

    /// The journal, when standard error is connected to it: `$JOURNAL_STREAM` names the
    /// device and inode of the stream systemd gave the service, and standard error must
    /// be that stream still (not redirected by a shell in between). The socket is
    /// `/run/systemd/journal/socket`, or `$GRETOOL_JOURNAL_SOCKET` (tests).
    public static func fromEnvironment() -> Journal? {
        guard let stream = getenv("JOURNAL_STREAM").map({ String(cString: $0) }),
              let standardError = Files.identity(ofDescriptor: STDERR_FILENO),
              stream == "\(standardError.device):\(standardError.inode)"
        else { return nil }
        let path = getenv("GRETOOL_JOURNAL_SOCKET").map { String(cString: $0) } ?? "/run/systemd/journal/socket"
        guard let address = try? SocketAddress(unixPath: path), let socket = try? Socket.unixDatagram() else { return nil }
        return Journal(socketPath: path, address: address, socket: socket)
    }

    private init(socketPath: String, address: SocketAddress, socket: consuming Socket) {
        self.socketPath = socketPath
        self.address = address
        self.socket = socket
    }

    /// Sends one record, without waiting: the watcher's loop never blocks on a busy
    /// journal. False when the journal did not take it (the caller then writes the
    /// line as text instead).
    public func send(_ fields: [(name: String, value: String)]) -> Bool {
        (try? socket.send(Self.encode(fields), to: address, flags: CInt(MSG_NOSIGNAL | MSG_DONTWAIT),
                          "cannot write to \(socketPath)")) != nil
    }

    /// The native protocol: `NAME=value\n` per field; a value with a newline as `NAME\n`,
    /// its length (64 bits, little-endian), the value and `\n`.
    public static func encode(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += name.utf8
            if value.utf8.contains(10) {
                bytes.append(10)
                withUnsafeBytes(of: UInt64(value.utf8.count).littleEndian) { bytes += $0 }
            } else {
                bytes.append(UInt8(ascii: "="))
            }
            bytes += value.utf8
            bytes.append(10)
        }
        return bytes
    }
}
