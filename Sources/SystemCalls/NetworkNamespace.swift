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

    /// Opens the named namespace (close-on-exec). Throws `NamespaceNotFound` when
    /// there is none of that name, a `SystemError` when it cannot be opened.
    public static func open(named name: String) throws -> OwnedDescriptor {
        do {
            return try OwnedDescriptor.open(readingFrom: "\(directory)/\(name)")
        } catch where error.errno == .noSuchFileOrDirectory {
            throw NamespaceNotFound(name: name)
        } catch {
            throw SystemError("cannot open network namespace \"\(name)\"", errno: error.errno)
        }
    }

    /// The calling thread's network namespace, as the kernel tells them apart: the inode
    /// of /proc/thread-self/ns/net (the same for every process in it, another in each).
    public static func current() throws(SystemError) -> UInt64 {
        var status = stat()
        guard stat("/proc/thread-self/ns/net", &status) == 0 || stat("/proc/self/ns/net", &status) == 0 else {
            throw SystemError("cannot identify the network namespace (/proc/self/ns/net)", errno: Errno(rawValue: Glibc.errno))
        }
        return UInt64(status.st_ino)
    }

    /// Moves the calling thread into the named namespace: sockets it opens afterwards
    /// belong to it. setns changes one thread only, so call it before any other exists.
    public static func enter(named name: String) throws {
        let namespace = try open(named: name)
        try systemCall("cannot enter network namespace \"\(name)\"", needs: .sysAdmin) { setns(namespace.rawValue, cmnl_clone_newnet) }
    }
}

/// No network namespace of that name under /run/netns.
public struct NamespaceNotFound: Error, CustomStringConvertible, Sendable {
    public var name: String

    public var description: String {
        "network namespace \"\(name)\" does not exist (\(Errno.noSuchFileOrDirectory))"
    }
}
