import SystemPackage

/// A netlink exchange that failed: the kernel refused a request, or the socket could
/// not send it or receive the answer. Other system calls fail with `SystemError`.
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
}
