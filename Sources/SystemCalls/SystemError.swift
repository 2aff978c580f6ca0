import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: the errno it set and what gretool was doing, so the
/// message says both ("cannot open a raw GRE socket: Operation not permitted").
///
/// Every system call outside a netlink exchange reports its failure this way; the
/// kernel's answers to netlink requests are `NetlinkError`s, which carry the kernel's
/// own explanation instead.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What was being done, worded to start a message: "cannot open a raw GRE socket".
    public var operation: String
    public var errno: Errno
    /// The capability the call needs, when only one does: a refusal (EPERM, EACCES)
    /// then names it, so an operator running with too few capabilities knows which
    /// one to grant. Nil where plain file permissions or several capabilities decide.
    public var capability: Capability?

    public init(_ operation: String, errno: Errno, capability: Capability? = nil) {
        self.operation = operation
        self.errno = errno
        self.capability = capability
    }

    public var description: String { "\(operation): \(errno)" }

    /// Whether the kernel refused for lack of privilege rather than for a fault.
    public var isRefusal: Bool { errno == .notPermitted || errno == .permissionDenied }
}

/// The Linux capabilities gretool's system calls need, as capabilities(7) names them.
public enum Capability: String, Sendable {
    /// Raw sockets: keepalives, their reflections, the path MTU probe.
    case netRaw = "CAP_NET_RAW"
    /// Network configuration: netlink requests that change state, SO_MARK.
    case netAdmin = "CAP_NET_ADMIN"
    /// setns(2) into another network namespace.
    case sysAdmin = "CAP_SYS_ADMIN"
}

/// Runs a system call that returns -1 and sets errno when it fails, and returns its
/// value or that errno (as swift-system does inside its own wrappers).
///
/// A call interrupted by a signal before it did anything (EINTR) is made again unless
/// `retryOnInterrupt` is false. Retrying is right for reads, writes, sends and receives:
/// the signal says nothing about them. It is wrong for `close`, which Linux completes
/// even when it reports EINTR (a retry could close a descriptor another thread has just
/// been given), and for waits with a timeout (`poll`), whose callers know the deadline.
@inlinable
public func valueOrErrno<Value: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ call: () -> Value) -> Result<Value, Errno> {
    while true {
        let value = call()
        if value != -1 { return .success(value) }
        // Copied at once: anything that runs next may overwrite it.
        let code = Errno(rawValue: Glibc.errno)
        if retryOnInterrupt && code == .interrupted { continue }
        return .failure(code)
    }
}

/// `valueOrErrno` that throws: a failure becomes a `SystemError` saying `operation`,
/// which is only worded when the call failed.
@inlinable @discardableResult
public func systemCall<Value: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, retryOnInterrupt: Bool = true, needs capability: Capability? = nil, _ call: () -> Value
) throws(SystemError) -> Value {
    switch valueOrErrno(retryOnInterrupt: retryOnInterrupt, call) {
    case .success(let value): return value
    case .failure(let errno): throw SystemError(operation(), errno: errno, capability: capability)
    }
}
