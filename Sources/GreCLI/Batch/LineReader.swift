import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads lines from a descriptor in 64 KiB blocks: memory does not grow with the file.
struct LineReader {
    let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    init(descriptor: FileDescriptor) { self.descriptor = descriptor }

    /// Hands the next line's bytes (without its newline) to `body`; nil at the end.
    mutating func next<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) throws -> Result? {
        while true {
            let found: (newline: Int?, result: Result?) = try buffer.withUnsafeBufferPointer { all in
                let rest = UnsafeBufferPointer(rebasing: all[start...])
                guard let base = rest.baseAddress, !rest.isEmpty else { return (nil, nil) }
                guard let hit = memchr(base, Int32(UInt8(ascii: "\n")), rest.count) else {
                    return atEnd ? (all.count, try body(rest)) : (nil, nil)
                }
                let length = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
                return (start + length + 1, try body(UnsafeBufferPointer(start: base, count: length)))
            }
            if let newline = found.newline {
                start = min(newline, buffer.count)
                return found.result
            }
            if atEnd { return nil }
            buffer.removeFirst(start)
            start = 0
            let before = buffer.count
            try buffer.append(contentsOf: [UInt8](unsafeUninitializedCapacity: 65536) { storage, count in
                count = try descriptor.read(into: UnsafeMutableRawBufferPointer(storage), retryOnInterrupt: true)
            })
            if buffer.count == before { atEnd = true }
        }
    }
}
