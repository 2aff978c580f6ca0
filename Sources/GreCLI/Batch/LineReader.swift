import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads a batch's lines in 64 KiB blocks: memory does not grow with the file. A `#`
/// anywhere ends what a line says (a comment), as iproute2's getcmdline reads it. A
/// line may hold at most `maximumLength` bytes, so that a file without newlines
/// (`/dev/zero`, a binary file given by mistake) is refused at its first long line
/// instead of read into memory whole.
struct LineReader {
    /// The longest line read, newline excluded. A command line is a few hundred bytes;
    /// one the kernel could take is smaller than a netlink attribute's 64 KiB.
    static let maximumLength = 65536
    static let blockSize = 65536

    /// A line longer than `maximumLength`: nothing after it is read.
    struct LineTooLong: Error, Equatable {
        /// Its number, counted from 1.
        let line: Int
        var message: String { "longer than \(LineReader.maximumLength) bytes" }
    }

    /// Fills a buffer from the input; returns the bytes read, 0 at its end.
    private let read: (UnsafeMutableRawBufferPointer) throws -> Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// The number of the last line handed over.
    private(set) var lineNumber = 0

    init(descriptor: FileDescriptor) {
        read = { try descriptor.read(into: $0, retryOnInterrupt: true) }
    }

    /// Reads from memory, as from a file that holds `bytes`.
    init(bytes: [UInt8]) {
        var offset = 0
        read = { storage in
            let count = min(storage.count, bytes.count - offset)
            bytes.withUnsafeBytes { storage.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
    }

    /// Hands the next line's bytes (without its newline and comment) to `body`; nil at the end.
    /// Throws `LineTooLong` for a line past `maximumLength`.
    mutating func next<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) throws -> Result? {
        while true {
            let tooLong = lineNumber + 1
            let found: (newline: Int?, result: Result?) = try buffer.withUnsafeBufferPointer { all in
                let rest = UnsafeBufferPointer(rebasing: all[start...])
                guard let base = rest.baseAddress, !rest.isEmpty else { return (nil, nil) }
                guard let hit = memchr(base, Int32(UInt8(ascii: "\n")), rest.count) else {
                    guard rest.count <= Self.maximumLength else { throw LineTooLong(line: tooLong) }
                    return atEnd ? (all.count, try body(Self.uncommented(rest))) : (nil, nil)
                }
                let length = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
                guard length <= Self.maximumLength else { throw LineTooLong(line: tooLong) }
                return (start + length + 1, try body(Self.uncommented(UnsafeBufferPointer(start: base, count: length))))
            }
            if let newline = found.newline {
                start = min(newline, buffer.count)
                lineNumber += 1
                return found.result
            }
            if atEnd { return nil }
            buffer.removeFirst(start)
            start = 0
            let before = buffer.count
            try buffer.append(contentsOf: [UInt8](unsafeUninitializedCapacity: Self.blockSize) { storage, count in
                count = try read(UnsafeMutableRawBufferPointer(storage))
            })
            if buffer.count == before { atEnd = true }
        }
    }

    /// What a line says before its comment, if any.
    private static func uncommented(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let base = line.baseAddress, let hash = memchr(base, Int32(UInt8(ascii: "#")), line.count) else { return line }
        return UnsafeBufferPointer(start: base, count: UnsafePointer(hash.assumingMemoryBound(to: UInt8.self)) - base)
    }
}
