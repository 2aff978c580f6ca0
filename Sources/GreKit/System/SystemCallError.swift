#if canImport(Glibc)
import Glibc
#endif

/// A failed system call outside netlink (raw and UDP sockets, signalfd, files).
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let code: Int32
    public var description: String { "\(call): \(reason)" }

    /// What went wrong, without the call ("Network is unreachable").
    public var reason: String { String(cString: strerror(code)) }

    /// The errno of the call that just failed, copied before anything else runs.
    static func last(_ call: String) -> SystemCallError {
        SystemCallError(call: call, code: errno)
    }
}
