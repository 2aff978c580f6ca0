/// Walks the words of an iproute2-style command line: keywords, each followed by
/// the values it takes.
public struct WordScanner: Sendable {
    public let words: [String]
    public private(set) var position = 0
    /// iproute2 accepts most keywords abbreviated ("rem" for "remote"); `ip tunnel`
    /// does not, because there an unknown word is the tunnel's name.
    public var allowsAbbreviations: Bool

    public init(_ words: [String], allowsAbbreviations: Bool = true) {
        self.words = words
        self.allowsAbbreviations = allowsAbbreviations
    }

    public var isAtEnd: Bool { position >= words.count }
    public var remaining: ArraySlice<String> { words[position...] }

    public func peek() -> String? { isAtEnd ? nil : words[position] }

    public mutating func next() -> String? {
        guard !isAtEnd else { return nil }
        defer { position += 1 }
        return words[position]
    }

    /// The value after `keyword`, or an error naming the keyword that lacks it.
    public mutating func value(for keyword: String) throws(InvalidArgument) -> String {
        guard let value = next() else { throw InvalidArgument("\"\(keyword)\" needs a value") }
        return value
    }

    /// Steps back one word (used when a sub-grammar hands a word back).
    public mutating func unread() { position = max(0, position - 1) }

    /// Whether `word` names `keyword`: exactly, or as iproute2's `matches()` does,
    /// as a non-empty prefix when abbreviations are allowed and `abbreviable`.
    public func word(_ word: String, is keyword: String, abbreviable: Bool = true) -> Bool {
        if word == keyword { return true }
        guard allowsAbbreviations, abbreviable, !word.isEmpty else { return false }
        return keyword.hasPrefix(word)
    }
}

/// An ordered keyword table: the first entry a word names wins, as in iproute2's
/// if/else chains (so "nopmtudisc" is tried before "pmtudisc").
public struct KeywordTable<Keyword: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let spelling: String
        public let keyword: Keyword
        public let abbreviable: Bool
    }

    public let entries: [Entry]

    public init(_ entries: [(String, Keyword, abbreviable: Bool)]) {
        self.entries = entries.map { Entry(spelling: $0.0, keyword: $0.1, abbreviable: $0.abbreviable) }
    }

    /// The entry `word` names: exactly, else as the first abbreviation that fits.
    public func lookup(_ word: String, in scanner: WordScanner) -> Entry? {
        if let exact = entries.first(where: { $0.spelling == word }) { return exact }
        return entries.first { scanner.word(word, is: $0.spelling, abbreviable: $0.abbreviable) }
    }

    /// Every spelling, for help text and shell completion.
    public var spellings: [String] { entries.map(\.spelling) }
}
