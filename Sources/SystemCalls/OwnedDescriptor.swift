import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A descriptor this process opened, closed exactly once: when its owner lets go of
/// it, or earlier by `close()`. It cannot be copied, so no second owner can close it
/// again (or close a descriptor the number was since reused for).
///
/// Every descriptor gretool opens is close-on-exec: the commands the keepalive watcher
/// runs (`on-down`, `on-up`) must not inherit its sockets.
public struct OwnedDescriptor: ~Copyable {
    public let fileDescriptor: FileDescriptor

    /// Takes ownership of a descriptor a system call just returned.
    public init(taking fileDescriptor: FileDescriptor) {
        self.fileDescriptor = fileDescriptor
    }

    /// The descriptor's number, for poll and for netlink attributes that name it.
    public var rawValue: CInt { fileDescriptor.rawValue }

    deinit {
        // Nothing can be done about a failed close here: Linux has freed the number anyway.
        _ = Glibc.close(fileDescriptor.rawValue)
    }

    /// Closes now, for a caller that wants to know whether close failed (on a file
    /// just written, a deferred write error shows only here). Never retried on EINTR.
    public consuming func close() throws(SystemError) {
        let raw = fileDescriptor.rawValue
        discard self
        try systemCall("cannot close a descriptor", retryOnInterrupt: false) { Glibc.close(raw) }
    }

    /// Opens a file for reading (close-on-exec).
    public static func open(readingFrom path: String) throws(SystemError) -> OwnedDescriptor {
        let raw = try systemCall("cannot open \(path)") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        return OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
    }

    /// Reads what is there, up to the buffer's size; 0 at the end of a file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, _ operation: @autoclosure () -> String) throws(SystemError) -> Int {
        try systemCall(operation()) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads what is at `offset` in a file, up to the buffer's size, and leaves the
    /// descriptor's own offset where it was (pread); 0 at the end. What has no offsets
    /// (a pipe) refuses with ESPIPE.
    public func read(into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64, _ operation: @autoclosure () -> String) throws(SystemError) -> Int {
        try systemCall(operation()) { Glibc.pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }
}
