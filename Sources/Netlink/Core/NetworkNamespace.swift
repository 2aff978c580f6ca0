import CMnl
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Network namespaces named by `ip netns` (bind mounts under /run/netns).
public enum NetworkNamespace {
    public static let directory = "/run/netns"

    /// Whether `name` can name a namespace (a single path component).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }

    /// Opens the named namespace (close-on-exec); the descriptor is the caller's.
    /// The error says whether it is missing or could not be opened, with the errno.
    public static func open(named name: String) throws(NetlinkError) -> Int32 {
        let descriptor = Glibc.open("\(directory)/\(name)", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            var error = NetlinkError.lastSystemError()
            error.kernelMessage = error.errno == .noSuchFileOrDirectory
                ? "network namespace \"\(name)\" does not exist"
                : "cannot open network namespace \"\(name)\""
            throw error
        }
        return descriptor
    }

    /// Moves the calling thread into the named namespace. Sockets opened
    /// afterwards belong to it. Call before any other thread exists.
    public static func enter(named name: String) throws(NetlinkError) {
        let descriptor = try open(named: name)
        defer { close(descriptor) }
        guard setns(descriptor, cmnl_clone_newnet) == 0 else {
            var error = NetlinkError.lastSystemError()
            error.kernelMessage = "cannot enter network namespace \"\(name)\""
            throw error
        }
    }
}
