import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// An open network namespace named by `ip netns`, for IFLA_NET_NS_FD. The
/// descriptor stays open as long as the request that names it may be sent.
public final class NamespaceReference: @unchecked Sendable, Equatable {
    public let name: String
    public let descriptor: Int32

    public init(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw InvalidArgument("invalid network namespace name \"\(name)\"")
        }
        let descriptor = open("\(NetworkNamespace.directory)/\(name)", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InvalidArgument("cannot find network namespace \"\(name)\"")
        }
        self.name = name
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    public static func == (lhs: NamespaceReference, rhs: NamespaceReference) -> Bool { lhs.name == rhs.name }
}
