import CMnl
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Network namespaces named by `ip netns` (bind mounts under /run/netns).
public enum NetworkNamespace {
    public static let directory = "/run/netns"

    /// Moves the calling thread into the named namespace. Sockets opened
    /// afterwards belong to it. Call before any other thread exists.
    public static func enter(named name: String) throws {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw NetlinkError(errno: .invalidArgument, kernelMessage: "invalid network namespace name \"\(name)\"")
        }
        let path = "\(directory)/\(name)"
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            var error = NetlinkError.lastSystemError()
            error.kernelMessage = "cannot open network namespace \"\(name)\""
            throw error
        }
        defer { close(descriptor) }
        guard setns(descriptor, cmnl_clone_newnet) == 0 else {
            var error = NetlinkError.lastSystemError()
            error.kernelMessage = "cannot enter network namespace \"\(name)\""
            throw error
        }
    }
}
