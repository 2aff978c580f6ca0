#if canImport(Glibc)
import Glibc
#endif

/// Buffered output to a file descriptor with write(2): no stdio, no Foundation.
/// Large outputs stream in 64 KiB chunks, so memory stays flat.
public final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let descriptor: Int32
    private let limit: Int
    /// Set when a write failed (e.g. EPIPE when the reader went away).
    public private(set) var failed = false
    /// Whether anything has been written through (not just buffered).
    public private(set) var hasFlushed = false

    public init(descriptor: Int32, limit: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.limit = limit
        bytes.reserveCapacity(limit + 4096)
    }

    deinit { flush() }

    @inline(__always)
    public func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= limit { flush() }
    }

    @inline(__always)
    public func write(_ byte: UInt8) {
        bytes.append(byte)
    }

    public func write(bytes more: some Sequence<UInt8>) {
        bytes.append(contentsOf: more)
        if bytes.count >= limit { flush() }
    }

    public func flush() {
        guard !bytes.isEmpty else { return }
        defer { bytes.removeAll(keepingCapacity: true) }
        guard !failed else { return }
        hasFlushed = true
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                offset += written
            }
        }
    }
}
