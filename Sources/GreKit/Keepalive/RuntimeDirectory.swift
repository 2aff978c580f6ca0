#if canImport(Glibc)
import Glibc
#endif

/// Where gretool keeps what outlives a command, by one rule for every command:
/// `$GRETOOL_RUNTIME_DIR` when it is set; else `$RUNTIME_DIRECTORY`, which systemd sets
/// for a unit with `RuntimeDirectory=` (the first directory, when it names several);
/// else `/run/gretool`. The units say `RuntimeDirectory=gretool`, so a service and a
/// command typed in a shell meet in `/run/gretool`.
///
/// In it: the keepalive watchers' control sockets, their state files and locks
/// (`keepalive/`, `KeepaliveStateDirectory`) and the journals of confirmed applies (`apply/`).
public enum RuntimeDirectory {
    public static var path: String {
        if let value = environment("GRETOOL_RUNTIME_DIR") { return value }
        if let value = environment("RUNTIME_DIRECTORY"), let first = value.split(separator: ":").first { return String(first) }
        return "/run/gretool"
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Makes the directory if it is missing (its parent must exist).
    public static func create() throws(SystemError) {
        try Files.createDirectory(path)
    }

    /// The control socket of the watcher with process id `process` in the network
    /// namespace `namespace` (`NetworkNamespace.current()`): `keepalive.net-INODE.PID.sock`.
    public static func controlSocket(of process: Int32 = getpid(), namespace: UInt64) -> String {
        "\(path)/\(prefix(namespace: namespace))\(process).sock"
    }

    /// The control sockets there, of running watchers (or of watchers that died
    /// without removing theirs: connecting to one is refused); with `namespace`, only
    /// those of watchers in that network namespace.
    public static func controlSockets(namespace: UInt64? = nil) -> [String] {
        let names = (try? Files.names(in: path)) ?? []
        let prefix = prefix(namespace: namespace)
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".sock") }.map { "\(path)/\($0)" }.sorted()
    }

    private static func prefix(namespace: UInt64?) -> String {
        "keepalive." + (namespace.map { "net-\($0)." } ?? "")
    }
}
