import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// Buffered output to a file descriptor with write(2): no stdio, no Foundation.
/// Large outputs stream in 64 KiB chunks, so memory stays flat. The buffer is raw
/// memory: a route dump writes tens of millions of bytes through it, and an array's
/// uniqueness check on every append would cost more than the formatting.
public final class OutputBuffer {
    private let storage: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    // One thread writes; the runtime's exclusivity checks would cost more than the appends.
    @exclusivity(unchecked) private var count = 0
    /// Where the bytes go: a descriptor, or nil to collect them in `collected`.
    private let descriptor: Int32?
    /// What was written, when the output goes to memory (a watcher's answer to
    /// `keepalive status`, its metrics file); flush first.
    public private(set) var collected: [UInt8] = []
    /// Set when a write failed (e.g. EPIPE when the reader went away).
    public private(set) var failed = false

    public init(descriptor: Int32, limit: Int = 64 * 1024) {
        self.descriptor = descriptor
        capacity = max(limit, IPAddress.textCapacity)  // room for any one address
        storage = .allocate(capacity: capacity)
    }

    /// Output collected in memory.
    public init(collectingWithLimit limit: Int = 64 * 1024) {
        descriptor = nil
        capacity = max(limit, IPAddress.textCapacity)
        storage = .allocate(capacity: capacity)
    }

    /// Everything written, flushed.
    public func bytes() -> [UInt8] {
        flush()
        return collected
    }

    deinit {
        flush()
        storage.deallocate()
    }

    @inline(__always)
    public func write(_ byte: UInt8) {
        if count == capacity { flush() }
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(buffer: $0) }
    }

    /// Bytes in memory the caller owns.
    public func write(buffer bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if bytes.count > capacity - count {
            flush()
            guard bytes.count <= capacity else {
                writeThrough(UnsafeRawBufferPointer(bytes))
                return
            }
        }
        (storage + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// A number in decimal, without making a String (hot in route dumps).
    public func write(decimal value: UInt64) {
        guard value >= 10 else {
            write(UInt8(ascii: "0") + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            write(buffer: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    public func write(decimal value: Int64) {
        if value < 0 { write(UInt8(ascii: "-")) }
        write(decimal: value.magnitude)
    }

    /// An address in its usual text form, without making a String.
    public func write(_ address: IPAddress) {
        if capacity - count < IPAddress.textCapacity { flush() }
        count += address.writeText(to: storage + count)
    }

    public func flush() {
        guard count > 0 else { return }
        defer { count = 0 }
        guard !failed else { return }
        writeThrough(UnsafeRawBufferPointer(start: storage, count: count))
    }

    private func writeThrough(_ buffer: UnsafeRawBufferPointer) {
        guard !failed else { return }
        guard let descriptor else {
            collected += buffer
            return
        }
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
