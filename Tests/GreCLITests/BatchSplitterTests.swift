import Testing
@testable import GreCLI
@testable import GreKit

/// A batch splits its lines with one splitter that keeps the words the lines share:
/// each line must still come out as if it were split on its own.
/// A line's words as a splitter of its own makes them (as the first line of a batch).
func wordsOfLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[String], InvalidArgument> {
    var splitter = CommandLineWords.Splitter()
    return splitter.split(bytes).map { splitter.command + splitter.arguments }
}

func wordsOfLine(_ line: String) throws(InvalidArgument) -> [String] {
    var line = line
    return try line.withUTF8 { wordsOfLine($0) }.get()
}

@Suite struct BatchSplitterTests {
    /// Every line through one splitter, as its command and arguments, and its tag form.
    private func splitInTurn(_ lines: [String]) throws -> [(words: [String], tag: String)] {
        var splitter = CommandLineWords.Splitter()
        return try lines.map { line in
            var line = line
            try line.withUTF8 { splitter.split($0) }.get()
            let tag = splitter.withWordBytes { String(decoding: $0, as: UTF8.self) }
            return (splitter.command + splitter.arguments, tag)
        }
    }

    static let lines = [
            "route add 10.0.0.1/32 via 198.51.100.2 dev va",
            "route add 10.0.0.2/32 via 198.51.100.2 dev va",
            "route add 10.0.0.2/32 via 198.51.100.2 dev va",
            "route add 10.0.10.2/32 via 198.51.100.2 dev va",
            "route add 10.0.0.3/32 via 198.51.100.22 dev va",
            "route add 10.0.0.3/32 via 198.51.100.2 dev vb metric 5",
            "route add 10.0.0.3/32 via 198.51.100.2 dev vb metric 6",
            "route del 10.0.0.3/32",
            "route del 10.0.0.3/3",
            "route del 10.0.0.3/32 # gone",
            "link set va alias \"to the hub\"",
            "link set va alias 'to the hub'x",
            "link set va alias \"\"",
            "link set va",
            "",
            "   # nothing",
            "link",
            "route add 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/128 dev va",
            "route add 2001:db8:aaaa:bbbb:cccc:dddd:eeee:12/128 dev va",
            "route add 2001:db8:aaaa:bbbb:cccc:dddd:eee:12/128 dev va",
            "route\tadd\t10.0.0.1/32\tdev\tva\r",
            "a b c d e f g h i j k l m n o p q r s t u v w x y z",
            "a b c d e f g h i j k l m n o p q r s t u v w x y",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b",
            "b aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "x b",
            "xb",
            "route add 10.0.0.1/32 via 198.51.100.2 dev va",
        ]

    @Test func linesSplitInTurnAreLinesSplitAlone() throws {
        let inTurn = try splitInTurn(Self.lines)
        for (line, split) in zip(Self.lines, inTurn) {
            let alone = try wordsOfLine(line)
            #expect(split.words == alone, "\(line)")
            #expect(split.tag == alone.map { $0 + "\n" }.joined(), "\(line)")
        }
    }

    /// Apply's reader of route lines gathers each line's words comparing none with
    /// another line's: they are the words the line has alone, one after another.
    @Test func wordsGatheredWithoutComparingAreTheLinesWords() throws {
        let words = WordBytes()
        for line in Self.lines.reversed() + ["route add \"10.0.0.0/8 dev va", "a 'b c' d"] {
            let bytes = Array(line.utf8)
            let gathered = bytes.withUnsafeBufferPointer { words.gather($0) }
            let alone = try? bytes.withUnsafeBufferPointer { wordsOfLine($0) }.get()
            #expect(gathered == (alone != nil), "\(line)")
            guard gathered, let alone else { continue }
            #expect((0..<words.count).map { String(decoding: words.word($0), as: UTF8.self) } == alone, "\(line)")
            // As a reader of route lines takes them, from a word on.
            for dropped in 0...alone.count {
                let rest = words.lineWords.dropFirst(dropped)
                #expect((0..<rest.count).map { String(decoding: rest[$0], as: UTF8.self) } == Array(alone.dropFirst(dropped)), "\(line)")
            }
        }
    }

    /// A word that starts a line, not with a quote, is as long as the first word the line
    /// gathers: up to the first space, tab or CR, other bytes below a space and bytes past
    /// 0x7f its own, of any length either side of eight bytes.
    @Test func aWordsLengthIsTheLengthOfTheWordGathered() {
        let words = WordBytes()
        var lines = Self.lines.filter { $0.first.map { !" \t\"'".contains($0) } ?? false }.map { Array($0.utf8) }
        for length in 1...20 {
            for end: [UInt8] in [[], [0x20], [0x09, 0x41], [0x0d], [0x01, 0x41, 0x20, 0x42], [0xc3, 0xa9, 0x20], [0x0a, 0x20]] {
                lines.append(Array(repeating: UInt8(ascii: "7"), count: length) + end)
                lines.append(Array("10.0.0.0/".utf8) + Array(repeating: UInt8(ascii: "8"), count: length) + end + Array(" dev va".utf8))
            }
        }
        for line in lines {
            let length = line.withUnsafeBufferPointer { WordBytes.wordLength($0) }
            #expect(line.withUnsafeBufferPointer { words.gather($0) })
            #expect(length == words.word(0).count, "\(line)")
        }
        #expect([UInt8]().withUnsafeBufferPointer { WordBytes.wordLength($0) } == 0)
    }

    @Test func wordsAreTheirBytesDecodedAsUTF8() throws {
        let bytes: [UInt8] = Array("link set va alias ".utf8) + [0xc3, 0xa9, 0x20, 0xff, 0x41, 0x20] + Array("1234567890123456789".utf8)
        let words = try bytes.withUnsafeBufferPointer { try wordsOfLine($0).get() }
        #expect(words == ["link", "set", "va", "alias", "é", String(decoding: [0xff, 0x41], as: UTF8.self), "1234567890123456789"])
    }

    @Test func anUnterminatedQuoteLeavesNothingBehind() throws {
        var splitter = CommandLineWords.Splitter()
        var good = "route add 10.0.0.1/32 dev va"
        var bad = "route add 10.0.0.1/32 dev \"va"
        try good.withUTF8 { splitter.split($0) }.get()
        #expect(throws: InvalidArgument("unterminated quote")) { try bad.withUTF8 { splitter.split($0) }.get() }
        #expect(splitter.command.isEmpty && splitter.arguments.isEmpty)
        try good.withUTF8 { splitter.split($0) }.get()
        #expect(splitter.command + splitter.arguments == ["route", "add", "10.0.0.1/32", "dev", "va"])
    }

    @Test func theCommandIsTheFirstTwoWords() throws {
        var splitter = CommandLineWords.Splitter()
        var line = "route"
        try line.withUTF8 { splitter.split($0) }.get()
        #expect(splitter.command == ["route"] && splitter.arguments.isEmpty)
        line = "route show dev va"
        try line.withUTF8 { splitter.split($0) }.get()
        #expect(splitter.command == ["route", "show"] && splitter.arguments == ["dev", "va"])
    }
}
