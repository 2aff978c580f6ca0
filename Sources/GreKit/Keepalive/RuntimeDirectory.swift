#if canImport(Glibc)
import Glibc
#endif

/// Where running watchers keep what outlives a command: their control sockets.
/// `/run/gretool` (the units' `RuntimeDirectory=gretool`, kept across restarts), or
/// `$GRETOOL_RUNTIME_DIR`.
public enum RuntimeDirectory {
    public static var path: String {
        getenv("GRETOOL_RUNTIME_DIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/run/gretool"
    }

    /// Makes the directory if it is missing (its parent must exist).
    public static func create() throws(SystemError) {
        try Files.createDirectory(path)
    }

    /// The control socket of the watcher with process id `process`.
    public static func controlSocket(of process: Int32 = getpid()) -> String {
        "\(path)/keepalive.\(process).sock"
    }

    /// The control sockets there, of running watchers (or of watchers that died
    /// without removing theirs: connecting to one is refused).
    public static func controlSockets() -> [String] {
        let names = (try? Files.names(in: path)) ?? []
        return names.filter { $0.hasPrefix("keepalive.") && $0.hasSuffix(".sock") }.map { "\(path)/\($0)" }.sorted()
    }
}
