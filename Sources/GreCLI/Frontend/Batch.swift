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
        pipeline.onFailure = { status = report($0) }
        var reader = LineReader(descriptor: descriptor)
        var splitter = CommandLineWords.Splitter()
        var number = 0
        while let words = try reader.next({ splitter.split($0) }) {
            number += 1
            do {
                let words = try words.get()
                guard !words.isEmpty else { continue }
                pipeline.tag = RequestPipeline.Tag(number: number, words: words)
                try Gretool.execute(words, in: session)
            } catch let failure as RequestPipeline.Failure {
                // An earlier line, refused when its datagram went out.
                return report(failure)
            } catch {
                // Lines queued before this one come first.
                if let failure = try settle(session) { return report(failure) }
                status = report(error, line: number, text: pipeline.tag.number == number ? pipeline.tag.text : "")
                if !force { return status }
            }
        }
        if let failure = try settle(session) { return report(failure) }
        return status == .success ? session.findingStatus : status
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
        let status = report(failure.error, line: failure.tag.number, text: failure.tag.text)
        for undo in failure.undoFailures {
            Gretool.reportError("line \(undo.tag.number): \(undo.tag.text): could not be taken back after line \(failure.tag.number) failed: \(Failure.describe(undo.error).message)")
        }
        return status
    }
}

/// Splits a batch line into words: blanks separate, quotes group, `#` starts a comment.
enum CommandLineWords {
    static func split(_ line: String) throws(InvalidArgument) -> [String] {
        var line = line
        var splitter = Splitter()
        return try line.withUTF8 { splitter.split($0) }.get()
    }

    static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[String], InvalidArgument> {
        var splitter = Splitter()
        return splitter.split(bytes)
    }

    /// Splits line after line straight from their bytes. Lines of a batch repeat most
    /// of their words ("route add ... via 198.51.100.2 dev va"): a word whose bytes
    /// are those of the previous line's word in the same place is that word again,
    /// and no new string is made for it.
    struct Splitter {
        /// The previous line's bytes, where its words were, and the words; the
        /// current line's are gathered beside them and swapped in (no allocation).
        private var previous = Line()
        private var current = Line()

        private struct Line {
            var bytes: [UInt8] = []
            var ranges: [Range<Int>] = []
            var words: [String] = []
        }

        mutating func split(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[String], InvalidArgument> {
            current.bytes.removeAll(keepingCapacity: true)
            current.bytes.append(contentsOf: bytes)
            current.ranges.removeAll(keepingCapacity: true)
            var words: [String] = []
            words.reserveCapacity(max(8, previous.words.count))
            var index = 0
            let end = bytes.count
            while index < end {
                let byte = bytes[index]
                if isBlank(byte) { index += 1; continue }
                if byte == UInt8(ascii: "#") { break }
                let start = index
                while index < end, !isBlank(bytes[index]), !isQuote(bytes[index]) { index += 1 }
                guard index < end, isQuote(bytes[index]) else {
                    let word = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    words.append(repeated(word, at: words.count) ?? String(decoding: word, as: UTF8.self))
                    current.ranges.append(start..<index)
                    continue
                }
                // A word with quotes: its bytes are gathered without them.
                var gathered = Array(bytes[start..<index])
                var quote: UInt8?
                while index < end {
                    let byte = bytes[index]
                    if let open = quote {
                        if byte == open { quote = nil } else { gathered.append(byte) }
                    } else if isQuote(byte) {
                        quote = byte
                    } else if isBlank(byte) {
                        break
                    } else {
                        gathered.append(byte)
                    }
                    index += 1
                }
                guard quote == nil else { return .failure(InvalidArgument("unterminated quote")) }
                words.append(String(decoding: gathered, as: UTF8.self))
                current.ranges.append(0..<0)
            }
            current.words = words
            swap(&previous, &current)
            return .success(words)
        }

        /// The previous line's word at `position`, if it had these bytes.
        private func repeated(_ word: UnsafeBufferPointer<UInt8>, at position: Int) -> String? {
            guard position < previous.ranges.count else { return nil }
            let range = previous.ranges[position]
            guard range.count == word.count, !range.isEmpty else { return nil }
            // Words are short: a loop beats a call to memcmp.
            for offset in 0..<word.count where previous.bytes[range.lowerBound + offset] != word[offset] { return nil }
            return previous.words[position]
        }
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
