import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads a batch's command lines in 64 KiB blocks, as iproute2's getcmdline reads them:
/// a `#` anywhere ends what the line says (a comment), and a line that ends in a
/// backslash goes on in the next one (joined without the backslash). Memory does not
/// grow with the file: a command line may hold at most `maximumLength` bytes, so that a
/// file without newlines (`/dev/zero`, a binary file given by mistake) is refused at
/// its first long line instead of read into memory whole.
struct LineReader {
    /// The longest command line read, newline excluded. A command line is a few hundred
    /// bytes; one the kernel could take is smaller than a netlink attribute's 64 KiB.
    static let maximumLength = 65536
    static let blockSize = 65536

    /// A line that cannot be a command: nothing after it is read.
    struct BadLine: Error, Equatable {
        enum Reason: Equatable {
            /// Longer than `maximumLength` (continued lines counted together).
            case tooLong
            /// A NUL byte, which would cut the line short unseen (C strings end there).
            case nulByte
            /// The last line ends in a backslash: the command was cut short.
            case missingContinuation
        }
        /// Its number, counted from 1 (a continued line counts each of its lines).
        let line: Int
        let reason: Reason

        var message: String {
            switch reason {
            case .tooLong: "longer than \(LineReader.maximumLength) bytes"
            case .nulByte: "holds a NUL byte"
            case .missingContinuation: "ends in a backslash, but no line follows"
            }
        }
    }

    /// Fills a buffer from the input; returns the bytes read, 0 at its end.
    private let read: (UnsafeMutableRawBufferPointer) throws -> Int
    /// The bytes read and not yet handed out are `buffer[start..<end]`. One buffer serves
    /// every block: a buffer per block was memory touched afresh each time (a page fault
    /// per 4 KiB, as dear as reading the page), 53 of an apply's 900 faults.
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// What the lines before a backslash said, while a command line goes on.
    private var joined: [UInt8] = []
    /// The number of the last line read (of a continued command line, its last).
    private(set) var lineNumber = 0

    init(descriptor: FileDescriptor) {
        read = { try descriptor.read(into: $0, retryOnInterrupt: true) }
    }

    /// Reads lines of bytes already in memory whole (an apply file, read at once), in
    /// place: no block is copied out of them.
    init(whole bytes: [UInt8]) {
        read = { _ in 0 }
        buffer = bytes
        end = bytes.count
        atEnd = true
    }

    /// Reads from memory, as from a file that holds `bytes`, a block at a time.
    init(bytes: [UInt8]) {
        var offset = 0
        read = { storage in
            let count = min(storage.count, bytes.count - offset)
            bytes.withUnsafeBytes { storage.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
    }

    /// Hands the next command line's bytes (without newline, comment or continuation
    /// backslashes) to `body`, with its number (`lineNumber`, which `body` cannot read
    /// while the reader is busy); nil at the end. Throws `BadLine` for a line that cannot
    /// be a command, and what reading throws.
    mutating func next<Result>(_ body: (UnsafeBufferPointer<UInt8>, _ line: Int) throws -> Result) throws -> Result? {
        while true {
            guard let line = try nextLine() else {
                guard joined.isEmpty else { throw BadLine(line: lineNumber, reason: .missingContinuation) }
                return nil
            }
            lineNumber += 1
            // The usual line, complete and alone, is handed over in place; a line that
            // goes on, and the one that ends it, are copied out.
            let number = lineNumber
            let part: Part<Result> = try buffer.withUnsafeBufferPointer { all in
                var bytes = UnsafeBufferPointer(rebasing: all[line.start..<(line.start + line.length)])
                var goesOn = false
                if let base = bytes.baseAddress, !bytes.isEmpty {
                    if let hash = memchr(base, Int32(UInt8(ascii: "#")), bytes.count) {
                        bytes = UnsafeBufferPointer(start: base, count: UnsafePointer(hash.assumingMemoryBound(to: UInt8.self)) - base)
                    } else if line.ended, bytes.last == UInt8(ascii: "\\") {
                        bytes = UnsafeBufferPointer(rebasing: bytes.dropLast())
                        goesOn = true
                    }
                    if let base = bytes.baseAddress, memchr(base, 0, bytes.count) != nil {
                        throw BadLine(line: number, reason: .nulByte)
                    }
                }
                if goesOn { return .goesOn(Array(bytes)) }
                return joined.isEmpty ? .whole(try body(bytes, number)) : .ends(Array(bytes))
            }
            switch part {
            case .whole(let result):
                return result
            case .goesOn(let bytes):
                joined += bytes
                guard joined.count <= Self.maximumLength else { throw BadLine(line: lineNumber, reason: .tooLong) }
            case .ends(let bytes):
                joined += bytes
                defer { joined.removeAll() }
                guard joined.count <= Self.maximumLength else { throw BadLine(line: lineNumber, reason: .tooLong) }
                return try joined.withUnsafeBufferPointer { try body($0, lineNumber) }
            }
        }
    }

    /// Hands every command line left to `body`, as `next` hands one. A reader of many
    /// lines passes its closure once so: a loop around `next` makes a closure per line,
    /// and retains and releases what the closure captures each time.
    mutating func forEach(_ body: (UnsafeBufferPointer<UInt8>, _ line: Int) throws -> Void) throws {
        while try next(body) != nil {}
    }

    /// A line read: a command line whole, or part of one that a backslash continues.
    private enum Part<Result> {
        case whole(Result)
        case goesOn([UInt8])
        case ends([UInt8])
    }

    /// Where the next line is in `buffer` (read up to its newline or the end of the
    /// input), and whether a newline ended it; nil at the end.
    private mutating func nextLine() throws -> (start: Int, length: Int, ended: Bool)? {
        while true {
            let tooLong = lineNumber + 1
            let length: Int? = try buffer.withUnsafeBufferPointer { all in
                let rest = UnsafeBufferPointer(rebasing: all[start..<end])
                guard let base = rest.baseAddress, !rest.isEmpty else { return nil }
                guard let hit = memchr(base, Int32(UInt8(ascii: "\n")), rest.count) else {
                    guard rest.count <= Self.maximumLength else { throw BadLine(line: tooLong, reason: .tooLong) }
                    return atEnd ? rest.count : nil
                }
                let length = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
                guard length <= Self.maximumLength else { throw BadLine(line: tooLong, reason: .tooLong) }
                return length
            }
            if let length {
                let line = (start: start, length: length, ended: start + length < end)
                start = min(start + length + 1, end)
                return line
            }
            if atEnd { return nil }
            // What is left of the last block (part of a line) moves to the front, and the
            // next block is read in after it. The buffer grows only when that part leaves
            // less than half a block of room: a line may be as long as a block.
            let rest = end - start
            if buffer.count - rest < Self.blockSize / 2 { buffer += repeatElement(0, count: Self.blockSize) }
            let count = try buffer.withUnsafeMutableBytes { storage in
                memmove(storage.baseAddress!, storage.baseAddress! + start, rest)
                return try read(UnsafeMutableRawBufferPointer(rebasing: storage[rest...]))
            }
            (start, end) = (0, rest + count)
            if count == 0 { atEnd = true }
        }
    }
}
