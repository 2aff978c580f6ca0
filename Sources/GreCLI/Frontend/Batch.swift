import GreKit
import SystemPackage

/// `-batch FILE` (or `-` for standard input): one command per line, as `ip -batch`.
enum Batch {
    static func run(_ path: String, session: Session) throws -> ExitStatus {
        let descriptor: FileDescriptor
        if path == "-" {
            descriptor = .standardInput
        } else {
            descriptor = try attempt("read batch file \"\(path)\"") { try FileDescriptor.open(path, .readOnly) }
        }
        defer { if path != "-" { try? descriptor.close() } }

        var status = ExitStatus.success
        var reader = LineReader(descriptor: descriptor)
        var number = 0
        while let line = try reader.next() {
            number += 1
            let words: [String]
            do {
                words = try CommandLineWords.split(line)
            } catch {
                status = report(error, line: number, text: line)
                if !session.options.force { return status }
                continue
            }
            guard !words.isEmpty else { continue }
            do {
                try Gretool.execute(words, in: session)
            } catch {
                status = report(error, line: number, text: line)
                if !session.options.force { return status }
            }
        }
        return status == .success ? session.findingStatus : status
    }

    private static func report(_ error: any Error, line: Int, text: String) -> ExitStatus {
        let (message, status) = Failure.describe(error)
        Gretool.reportError("line \(line): \(text.trimmingWhitespace()): \(message)")
        return status
    }
}

/// Splits a batch line into words: blanks separate, quotes group, `#` starts a comment.
enum CommandLineWords {
    static func split(_ line: String) throws(InvalidArgument) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        var inWord = false
        var quote: UInt8?
        for byte in line.utf8 {
            if let open = quote {
                if byte == open { quote = nil } else { current.append(byte) }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                if inWord { words.append(String(decoding: current, as: UTF8.self)); current.removeAll(); inWord = false }
            case UInt8(ascii: "#") where !inWord:
                return words
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                quote = byte
                inWord = true
            default:
                current.append(byte)
                inWord = true
            }
        }
        guard quote == nil else { throw InvalidArgument("unterminated quote") }
        if inWord { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }
}

/// Reads lines from a descriptor in 64 KiB blocks: memory does not grow with the file.
struct LineReader {
    let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    init(descriptor: FileDescriptor) { self.descriptor = descriptor }

    mutating func next() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let chunk = try [UInt8](unsafeUninitializedCapacity: 65536) { storage, count in
                count = try descriptor.read(into: UnsafeMutableRawBufferPointer(storage), retryOnInterrupt: true)
            }
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 != 32 && $0 != 9 }),
              let last = bytes.lastIndex(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
