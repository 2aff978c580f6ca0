import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A failure reported by the kernel or by the netlink socket itself.
///
/// Carries the errno and, when the kernel supplied extended acknowledgement
/// attributes, its human-readable message and the byte offset in the request
/// of the attribute it refused.
public struct NetlinkError: Error, Equatable, CustomStringConvertible, Sendable {
    public var errno: Errno
    public var kernelMessage: String?
    public var offset: UInt32?

    public init(errno: Errno, kernelMessage: String? = nil, offset: UInt32? = nil) {
        self.errno = errno
        self.kernelMessage = kernelMessage
        self.offset = offset
    }

    /// "Unknown device type (Operation not supported)", or just the errno text.
    public var description: String {
        guard let text = kernelMessage, !text.isEmpty else { return errno.description }
        return "\(text) (\(errno.description))"
    }

    /// The errno of the last failed libc call, captured right after it.
    static func lastSystemError() -> NetlinkError {
        NetlinkError(errno: Errno(rawValue: Glibc.errno))
    }
}
