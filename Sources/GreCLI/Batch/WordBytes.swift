import GreKit

/// Which words of a line differ from the previous line's in the same place (or had
/// none there): a bit each for the first 64, and every word after them.
struct ChangedWords {
    var bits: UInt64 = 0

    func contains(_ index: Int) -> Bool { index >= 64 || bits >> UInt64(index) & 1 != 0 }
    mutating func insert(_ index: Int) { if index < 64 { bits |= 1 << UInt64(index) } }
}

/// One line's words, each followed by `RequestPipeline.wordEnd` (no word of a line
/// holds a newline), and where those end marks are. The memory is kept from line to line.
final class WordBytes {
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

    /// The words in place, until they are next gathered.
    var lineWords: LineWords { LineWords(bytes: bytes.baseAddress!, ends: ends.baseAddress!, count: count) }

    func word(_ index: Int) -> UnsafeBufferPointer<UInt8> { lineWords[index] }

    func clear() {
        used = 0
        count = 0
    }

    /// Copies the words of `line` (blanks separate; a word that starts with a quote
    /// runs to the same quote, which goes) and compares each with the word `previous`
    /// had in its place. Nil for an unterminated quote.
    func gather(_ line: UnsafeBufferPointer<UInt8>, comparedWith previous: WordBytes) -> ChangedWords? {
        makeRoom(for: line)
        guard let (used, count, changed) = Self.gather(
            line, into: bytes.baseAddress!, ends: ends.baseAddress!,
            previous: previous.bytes.baseAddress!, previousEnds: previous.ends.baseAddress!, previousCount: previous.count)
        else { return nil }
        self.used = used
        self.count = count
        return changed
    }

    /// Copies the words of `line` as `gather(_:comparedWith:)` does, comparing none (apply
    /// reads each line's words whole: the comparisons were 1.5% of its instructions).
    /// False for an unterminated quote.
    func gather(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        makeRoom(for: line)
        // Compared with no words, each is new: what `changed` would say goes unused,
        // and with it the work of saying it.
        guard let (used, count, _) = Self.gather(
            line, into: bytes.baseAddress!, ends: ends.baseAddress!,
            previous: bytes.baseAddress!, previousEnds: ends.baseAddress!, previousCount: 0)
        else { return false }
        self.used = used
        self.count = count
        return true
    }

    /// Makes room for the words of `line`: they take at most its bytes and one end mark;
    /// each takes two bytes of the line but the last.
    private func makeRoom(for line: UnsafeBufferPointer<UInt8>) {
        if bytes.count < line.count + 1 + 8 {
            bytes.deallocate()
            bytes = Self.zeroed(line.count + 1 + 8)
        }
        if ends.count <= line.count / 2 {
            ends.deallocate()
            ends = .allocate(capacity: line.count / 2 + 1)
        }
    }

    /// `gather` on plain memory (the counts stay in registers), written into each
    /// caller so that one that compares nothing does none of the comparing.
    @inline(__always)
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
            let start = used
            if CommandLineWords.isQuote(byte) {
                // A word that starts with a quote runs to the same quote, blanks and all,
                // and ends there (as iproute2's makeargs reads it).
                index &+= 1
                while index < end, input[index] != byte {
                    output[used] = input[index]
                    used &+= 1
                    index &+= 1
                }
                guard index < end else { return nil }
                index &+= 1
            } else {
                while index < end {
                    // Eight bytes at a time, up to the first that is not plainly part of
                    // the word. (The output never runs ahead of the input: it has the room.)
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
                    if CommandLineWords.isBlank(byte) { break }
                    output[used] = byte
                    used &+= 1
                }
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

    /// How many bytes the word that starts `bytes` has, read as `gather` reads a word
    /// that does not start with a quote: up to the first blank, or all of them.
    /// Eight bytes at a time, as `gather` reads: a byte at a time, the destination of
    /// a route line took 90 instructions to find the end of.
    static func wordLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let input = bytes.baseAddress else { return 0 }
        let end = bytes.count
        var index = 0
        while index < end {
            if end &- index >= 8 {
                let plain = plainBytes(UnsafeRawPointer(input + index).loadUnaligned(as: UInt64.self))
                index &+= plain
                if plain == 8 { continue }
            }
            if CommandLineWords.isBlank(input[index]) { return index }
            index &+= 1
        }
        return end
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

    /// Blanks are all at most a space: bytes past it are a word's own. (A quote counts
    /// only where a word starts; a comment is gone before the words are read.)
    private static let lastSpecial = UInt8(ascii: " ")

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
