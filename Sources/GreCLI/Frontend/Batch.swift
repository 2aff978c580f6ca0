import GreKit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

extension RequestPipeline.Tag {
    /// The batch line as run: its words (quotes and comments gone).
    var text: String { words.joined(separator: " ") }
}

/// `-batch FILE` (or `-` for standard input): one command per line, as `ip -batch`.
///
/// Changes to routes, addresses, nexthops and rules travel many per datagram through
/// the session's `RequestPipeline`; everything else first sends what is queued. The
/// meaning stays `ip -batch`'s: without `-force` the first failing line stops the
/// batch and no line after it takes effect; with `-force` every failure is reported.
/// The file is read in blocks and nothing is kept per line: memory does not grow with it.
enum Batch {
    static func run(_ path: String, session: Session) throws -> ExitStatus {
        let descriptor: FileDescriptor
        if path == "-" {
            descriptor = .standardInput
        } else {
            descriptor = try attempt("read batch file \"\(path)\"") { try FileDescriptor.open(path, .readOnly) }
        }
        defer { if path != "-" { try? descriptor.close() } }

        let force = session.options.force
        let pipeline = try session.startPipeline(force ? .continueAfterFailures : .stopAtFirstFailure)
        var status = ExitStatus.success
        // Whether a line got past its words, so that something may have reached the
        // kernel: from then on a bad word no longer means "nothing was sent" (exit 2).
        var sentSomething = false
        func exitStatus(_ status: ExitStatus) -> ExitStatus {
            status == .usage && sentSomething ? .failure : status
        }
        pipeline.onFailure = { status = report($0) }
        var reader = LineReader(descriptor: descriptor)
        var splitter = CommandLineWords.Splitter()
        var number = 0
        while let split = try reader.next({ splitter.split($0) }) {
            number += 1
            do {
                try split.get()
                guard !splitter.command.isEmpty else { continue }
                splitter.withWordBytes { pipeline.tag(number: number, wordBytes: $0) }
                try Gretool.execute(command: splitter.command, splitter.arguments, in: session)
                sentSomething = true
            } catch let failure as RequestPipeline.Failure {
                // An earlier line, refused when its datagram went out.
                return report(failure)
            } catch {
                // Lines queued before this one come first.
                if let failure = try settle(session) { return report(failure) }
                let tag = pipeline.tag
                status = report(error, line: number, text: tag.number == number ? tag.text : "")
                if status != .usage { sentSomething = true }
                if !force { return exitStatus(status) }
            }
        }
        if let failure = try settle(session) { return report(failure) }
        return status == .success ? session.findingStatus : exitStatus(status)
    }

    /// Sends what is queued; in stop mode, the failure that ends the batch, if any.
    private static func settle(_ session: Session) throws -> RequestPipeline.Failure? {
        do {
            try session.settle()
            return nil
        } catch let failure as RequestPipeline.Failure {
            return failure
        }
    }

    /// "line N: TEXT: MESSAGE". The line says what was attempted, so the message is the
    /// reason alone.
    private static func report(_ error: any Error, line: Int, text: String) -> ExitStatus {
        let (message, status) = Failure.describe((error as? ActionFailure)?.underlying ?? error)
        Gretool.reportError("line \(line): " + (text.isEmpty ? "" : text + ": ") + message)
        return status
    }

    private static func report(_ failure: RequestPipeline.Failure) -> ExitStatus {
        describe(failure).forEach(Gretool.reportError)
        return .failure
    }

    /// The lines on standard error for a failure of queued lines: the line the kernel
    /// refused, then those after it that could not be taken back; or the lines whose
    /// replies were lost.
    static func describe(_ failure: RequestPipeline.Failure) -> [String] {
        let reason = Failure.describe(failure.error).message
        if let last = failure.unknownThrough, last.number != failure.tag.number {
            return ["lines \(failure.tag.number)-\(last.number): outcome unknown: \(reason)"]
        }
        let outcome = failure.unknownThrough != nil ? "outcome unknown: " : ""
        return ["line \(failure.tag.number): \(failure.tag.text): \(outcome)\(reason)"] + failure.undoFailures.map { undo in
            "line \(undo.tag.number): \(undo.tag.text): could not be taken back after line \(failure.tag.number) failed: \(Failure.describe(undo.error).message)"
        }
    }
}

/// Splits a batch line into words: blanks separate, quotes group, `#` starts a comment.
enum CommandLineWords {
    /// Splits line after line straight from their bytes, into the command (object and
    /// verb) and the verb's words. Lines of a batch repeat most of their words ("route
    /// add ... via 198.51.100.2 dev va"): a word whose bytes are those of the previous
    /// line's word in the same place stays where it is, so a line costs a string only
    /// for each word that changed, and no array.
    struct Splitter {
        /// The line's first two words (the object and the verb), then the others.
        private(set) var command: [String] = []
        private(set) var arguments: [String] = []
        /// The bytes of the words above, and the previous line's (swapped, not reallocated).
        private var line = WordBytes()
        private var previous = WordBytes()

        /// The line's words in the form a pipeline's tag keeps them.
        func withWordBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
            body(UnsafeRawBufferPointer(line.words))
        }

        mutating func split(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Void, InvalidArgument> {
            swap(&line, &previous)
            guard let changed = line.gather(bytes, comparedWith: previous) else {
                // No word is kept: the next line is compared with nothing.
                line.clear()
                command.removeAll()
                arguments.removeAll()
                return .failure(InvalidArgument("unterminated quote"))
            }
            let count = line.count
            for index in 0..<count where changed.contains(index) {
                let word = line.word(index)
                // A string made in place: short ASCII words (most) need no validation.
                store(String(unsafeUninitializedCapacity: word.count) { $0.initialize(fromContentsOf: word) }, at: index)
            }
            if command.count > min(count, 2) { command.removeLast(command.count - min(count, 2)) }
            if arguments.count > max(count - 2, 0) { arguments.removeLast(arguments.count - max(count - 2, 0)) }
            return .success(())
        }

        private mutating func store(_ word: String, at index: Int) {
            if index < 2 {
                if index < command.count { command[index] = word } else { command.append(word) }
            } else if index - 2 < arguments.count {
                arguments[index - 2] = word
            } else {
                arguments.append(word)
            }
        }
    }
}

/// Which words of a line differ from the previous line's in the same place (or had
/// none there): a bit each for the first 64, and every word after them.
private struct ChangedWords {
    var bits: UInt64 = 0

    func contains(_ index: Int) -> Bool { index >= 64 || bits >> UInt64(index) & 1 != 0 }
    mutating func insert(_ index: Int) { if index < 64 { bits |= 1 << UInt64(index) } }
}

/// One line's words, each followed by `RequestPipeline.wordEnd` (no word of a line
/// holds a newline), and where those end marks are. The memory is kept from line to line.
private final class WordBytes {
    /// Eight bytes more than the words take: a word is compared eight bytes at a time.
    private var bytes = WordBytes.zeroed(256 + 8)
    private var ends = UnsafeMutableBufferPointer<Int>.allocate(capacity: 129)
    private var used = 0
    private(set) var count = 0

    deinit {
        bytes.deallocate()
        ends.deallocate()
    }

    /// The words, end marks and all.
    var words: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[..<used]) }

    private static func zeroed(_ capacity: Int) -> UnsafeMutableBufferPointer<UInt8> {
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        bytes.initialize(repeating: 0)
        return bytes
    }

    func word(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[(index == 0 ? 0 : ends[index - 1] + 1)..<ends[index]])
    }

    func clear() {
        used = 0
        count = 0
    }

    /// Copies the words of `line` (quotes group and go, blanks separate, `#` at the
    /// start of a word ends the line) and compares each with the word `previous` had
    /// in its place. Nil for an unterminated quote.
    func gather(_ line: UnsafeBufferPointer<UInt8>, comparedWith previous: WordBytes) -> ChangedWords? {
        // A line's words take at most its bytes and one end mark; each takes two bytes
        // of the line but the last.
        if bytes.count < line.count + 1 + 8 {
            bytes.deallocate()
            bytes = Self.zeroed(line.count + 1 + 8)
        }
        if ends.count <= line.count / 2 {
            ends.deallocate()
            ends = .allocate(capacity: line.count / 2 + 1)
        }
        guard let (used, count, changed) = Self.gather(
            line, into: bytes.baseAddress!, ends: ends.baseAddress!,
            previous: previous.bytes.baseAddress!, previousEnds: previous.ends.baseAddress!, previousCount: previous.count)
        else { return nil }
        self.used = used
        self.count = count
        return changed
    }

    /// `gather` on plain memory (the counts stay in registers).
    private static func gather(
        _ line: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>, ends: UnsafeMutablePointer<Int>,
        previous: UnsafePointer<UInt8>, previousEnds: UnsafePointer<Int>, previousCount: Int
    ) -> (used: Int, count: Int, changed: ChangedWords)? {
        guard let input = line.baseAddress else { return (0, 0, ChangedWords()) }
        let end = line.count
        var index = 0, used = 0, count = 0
        var changed = ChangedWords()
        while index < end {
            let byte = input[index]
            if CommandLineWords.isBlank(byte) { index &+= 1; continue }
            if byte == UInt8(ascii: "#") { break }
            let start = used
            while index < end {
                // Eight bytes at a time, up to the first that is not plainly part of the
                // word. (The output never runs ahead of the input: it has the room.)
                if end &- index >= 8 {
                    let chunk = UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self)
                    UnsafeMutableRawPointer(output + used).storeBytes(of: chunk, as: UInt64.self)
                    let plain = plainBytes(chunk)
                    index &+= plain
                    used &+= plain
                    if plain == 8 { continue }
                }
                let byte = input[index]
                index &+= 1
                if byte > lastSpecial {
                    output[used] = byte
                    used &+= 1
                    continue
                }
                if CommandLineWords.isBlank(byte) { break }
                guard CommandLineWords.isQuote(byte) else {
                    output[used] = byte
                    used &+= 1
                    continue
                }
                // Quoted: everything up to the same quote.
                while index < end, input[index] != byte {
                    output[used] = input[index]
                    used &+= 1
                    index &+= 1
                }
                guard index < end else { return nil }
                index &+= 1
            }
            if count >= previousCount {
                changed.insert(count)
            } else {
                let previousStart = count == 0 ? 0 : previousEnds[count &- 1] &+ 1
                if previousEnds[count] &- previousStart != used &- start
                    || !sameBytes(output + start, previous + previousStart, count: used &- start) {
                    changed.insert(count)
                }
            }
            output[used] = RequestPipeline.wordEnd
            ends[count] = used
            count &+= 1
            used &+= 1
        }
        return (used, count, changed)
    }

    /// Whether `count` bytes at `a` and `b` are the same; both may be read eight bytes
    /// past the last (the buffers have that room).
    @inline(__always)
    private static func sameBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        var offset = 0
        while true {
            let difference = UInt64(littleEndian: UnsafeRawPointer(a + offset).loadUnaligned(as: UInt64.self)
                ^ UnsafeRawPointer(b + offset).loadUnaligned(as: UInt64.self))
            let left = count &- offset
            if left <= 8 { return left <= 0 || difference & (~0 >> UInt64(64 &- 8 &* left)) == 0 }
            if difference != 0 { return false }
            offset &+= 8
        }
    }

    /// Blanks, quotes and `#` are all at most `'`: bytes past it are a word's own.
    private static let lastSpecial = UInt8(ascii: "'")

    /// How many of the chunk's bytes (in memory order) come before the first one
    /// that is at most `lastSpecial`.
    @inline(__always)
    private static func plainBytes(_ bytes: UInt64) -> Int {
        // Sets the top bit of each byte below lastSpecial + 1 (bytes of 0x80 and up
        // are never flagged); the lowest flag is always a true one.
        let chunk = UInt64(littleEndian: bytes)
        let below = (chunk &- 0x0101_0101_0101_0101 &* UInt64(lastSpecial + 1)) & ~chunk & 0x8080_8080_8080_8080
        return below == 0 ? 8 : below.trailingZeroBitCount / 8
    }
}

extension CommandLineWords {
    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    @inline(__always)
    static func isQuote(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}

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
