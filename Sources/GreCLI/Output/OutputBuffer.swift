import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// Buffered output to a file descriptor with write(2): no stdio, no Foundation.
/// Large outputs stream in 64 KiB chunks, so memory stays flat.
public final class OutputBuffer {
    // One thread writes; the runtime's exclusivity checks would cost more than the appends.
    @exclusivity(unchecked) private var bytes: [UInt8] = []
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
        if bytes.count >= limit { flush() }
    }

    /// A number in decimal, without making a String (hot in route dumps).
    public func write(decimal value: UInt64) {
        guard value >= 10 else {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
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
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    public func write(decimal value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        write(decimal: value.magnitude)
    }

    /// An address in its usual text form, without making a String.
    public func write(_ address: IPAddress) {
        switch address {
        case .v4(let v4):
            let (a, b, c, d) = v4.octets
            write(decimal: UInt64(a)); bytes.append(UInt8(ascii: "."))
            write(decimal: UInt64(b)); bytes.append(UInt8(ascii: "."))
            write(decimal: UInt64(c)); bytes.append(UInt8(ascii: "."))
            write(decimal: UInt64(d))
        case .v6:
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { text in
                address.withNetlinkPayload { raw in
                    _ = inet_ntop(AF_INET6, raw.baseAddress, text.baseAddress, socklen_t(text.count))
                }
                let length = strlen(text.baseAddress!)
                text.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: length) {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
                }
            }
        }
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
