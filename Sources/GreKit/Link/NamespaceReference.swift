import Netlink

/// An open network namespace named by `ip netns`, for IFLA_NET_NS_FD. The
/// descriptor stays open as long as the request that names it may be sent.
public final class NamespaceReference: @unchecked Sendable, Equatable {
    public let name: String
    private let namespace: OwnedDescriptor

    public init(_ name: String) throws {
        guard NetworkNamespace.isValidName(name) else {
            throw InvalidArgument("invalid network namespace name \"\(name)\"")
        }
        namespace = try NetworkNamespace.open(named: name)
        self.name = name
    }

    /// The descriptor's number, for IFLA_NET_NS_FD.
    public var descriptor: Int32 { namespace.rawValue }

    public static func == (lhs: NamespaceReference, rhs: NamespaceReference) -> Bool { lhs.name == rhs.name }
}
