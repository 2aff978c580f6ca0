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
    /// Where the next `#` (a comment) and the next NUL byte are in the buffer: each is
    /// looked for once a block, not once a line, in a file that holds none (a memchr
    /// call for each was a third of the instructions a line took to be found).
    private var comments = NextByte(UInt8(ascii: "#"))
    private var nulBytes = NextByte(0)
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
    /// be a command, and what reading throws. Written into its callers, so that `body`
    /// is too: called, it cost a call through a closure and its thunk a line.
    @inline(__always)
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
            // Where the next comment and NUL are is known past this line most often:
            // the reader keeps it (copied, as the buffer is read meanwhile).
            var (comments, nulBytes) = (self.comments, self.nulBytes)
            let (end, alone) = (self.end, joined.isEmpty)
            let part: Part<Result> = try buffer.withUnsafeBufferPointer { all in
                let read = UnsafeBufferPointer(rebasing: all[..<end])
                var length = line.length
                var goesOn = false
                if length > 0 {
                    let comment = comments.first(from: line.start, in: read) - line.start
                    if comment < length {
                        length = comment
                    } else if line.ended, all[line.start + length - 1] == UInt8(ascii: "\\") {
                        length -= 1
                        goesOn = true
                    }
                    if nulBytes.first(from: line.start, in: read) - line.start < length {
                        throw BadLine(line: number, reason: .nulByte)
                    }
                }
                let bytes = UnsafeBufferPointer(rebasing: all[line.start..<(line.start + length)])
                if goesOn { return .goesOn(Array(bytes)) }
                return alone ? .whole(try body(bytes, number)) : .ends(Array(bytes))
            }
            (self.comments, self.nulBytes) = (comments, nulBytes)
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
    @inline(__always)
    mutating func forEach(_ body: (UnsafeBufferPointer<UInt8>, _ line: Int) throws -> Void) throws {
        while try next(body) != nil {}
    }

    /// Where a byte next stands in the read part of the buffer, from the last search
    /// for it: the search runs to the end of what was read, and is made again only once
    /// a line starts past what it found.
    private struct NextByte {
        let byte: UInt8
        /// The first place of `byte` at or after where it was last looked for from, or
        /// the end of what was read when there is none; -1 before any search.
        private var place = -1

        init(_ byte: UInt8) { self.byte = byte }

        /// What was read moved: the next search starts afresh.
        mutating func forget() { place = -1 }

        /// The first place of `byte` at or after `from` in `read`, or `read.count`.
        mutating func first(from: Int, in read: UnsafeBufferPointer<UInt8>) -> Int {
            if place < from {
                let base = read.baseAddress!
                place = memchr(base + from, Int32(byte), read.count - from).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? read.count
            }
            return place
        }
    }

    /// A line read: a command line whole, or part of one that a backslash continues.
    private enum Part<Result> {
        case whole(Result)
        case goesOn([UInt8])
        case ends([UInt8])
    }

    /// Where the next line is in `buffer` (read up to its newline or the end of the
    /// input), and whether a newline ended it; nil at the end.
    @inline(__always)
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
            comments.forget()
            nulBytes.forget()
            if count == 0 { atEnd = true }
        }
    }
}
