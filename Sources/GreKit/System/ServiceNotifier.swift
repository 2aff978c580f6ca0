import CMnl

#if canImport(Glibc)
import Glibc
#endif

/// systemd's notification protocol (sd_notify(3)) without libsystemd: each message is
/// one datagram of `KEY=VALUE` lines to the socket named in `$NOTIFY_SOCKET`. Under
/// `Type=notify` systemd waits for `READY=1` before it calls the service started, shows
/// `STATUS=` in `systemctl status`, restarts the service when `WATCHDOG=1` stops coming
/// for `WatchdogSec`, and follows a reload from `RELOADING=1` to the next `READY=1`.
public final class ServiceNotifier {
    public let socketPath: String
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises; nil when systemd watches nothing.
    public let watchdogInterval: Int64?
    private let socket: Socket
    private let address: SocketAddress
    private var lastStatus: String?

    /// The notifier systemd asked for in the environment, or nil when there is none
    /// (not started by systemd, or not as `Type=notify`). The variables are removed,
    /// as sd_notify does with `unset_environment`, so that hook commands do not
    /// notify in the watcher's name.
    public static func fromEnvironment() throws(SystemError) -> ServiceNotifier? {
        defer { for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) } }
        guard let path = variable("NOTIFY_SOCKET"), path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        var watchdog: Int64?
        // The watchdog is this process's unless WATCHDOG_PID names another.
        if let microseconds = variable("WATCHDOG_USEC").flatMap(Int64.init), microseconds > 0,
           variable("WATCHDOG_PID").flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdog = microseconds * 1000 / 2
        }
        return ServiceNotifier(socketPath: path, address: try SocketAddress(unixPath: path), watchdogInterval: watchdog,
                               socket: try Socket.unixDatagram())
    }

    private init(socketPath: String, address: SocketAddress, watchdogInterval: Int64?, socket: consuming Socket) {
        self.socketPath = socketPath
        self.address = address
        self.watchdogInterval = watchdogInterval
        self.socket = socket
    }

    /// Started: sockets open, targets resolved.
    public func ready(status: String) { send(["READY=1", "STATUS=" + status]) }

    /// The one-line summary, sent only when it changed.
    public func status(_ status: String) {
        guard status != lastStatus else { return }
        send(["STATUS=" + status])
    }

    public func watchdog() { send(["WATCHDOG=1"]) }

    /// A reload begins; `READY=1` (`ready(status:)`) ends it.
    public func reloading() {
        send(["RELOADING=1", "MONOTONIC_USEC=\(SystemClock.monotonic() / 1000)"])
    }

    /// Exiting: what the watcher took is being given back.
    public func stopping() { send(["STOPPING=1"]) }

    private func send(_ lines: [String]) {
        for line in lines where line.hasPrefix("STATUS=") { lastStatus = String(line.dropFirst(7)) }
        // A manager that has gone away cannot be told anything: the watcher goes on.
        _ = try? socket.send(Array(lines.joined(separator: "\n").utf8), to: address, flags: CInt(MSG_NOSIGNAL | MSG_DONTWAIT),
                             "cannot notify \(socketPath)")
    }

    private static func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
