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
        guard NetworkNamespace.isValidName(name) else {
            throw InvalidArgument("invalid network namespace name \"\(name)\"")
        }
        descriptor = try NetworkNamespace.open(named: name)
        self.name = name
    }

    deinit { close(descriptor) }

    public static func == (lhs: NamespaceReference, rhs: NamespaceReference) -> Bool { lhs.name == rhs.name }
}
