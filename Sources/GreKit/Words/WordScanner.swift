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
        return keyword.utf8.count > word.utf8.count && keyword.utf8.starts(with: word.utf8)
    }
}

/// An ordered keyword table: the first entry a word names wins, as in iproute2's
/// if/else chains (so "nopmtudisc" is tried before "pmtudisc").
public struct KeywordTable<Keyword: Sendable>: Sendable {
    public struct Entry: Sendable {
        public let spelling: String
        public let keyword: Keyword
        public let abbreviable: Bool
        let length: Int
        /// The first 8 bytes as a number: exact matches compare one integer.
        let packed: UInt64
    }

    public let entries: [Entry]
    /// The first bytes of the spellings (ASCII): a word starting otherwise names none,
    /// which rules out values (addresses, numbers) at once.
    private let initials: (low: UInt64, high: UInt64)
    /// Bit n: some spelling is n bytes long (n < 64).
    private let lengths: UInt64

    public init(_ entries: [(String, Keyword, abbreviable: Bool)]) {
        self.entries = entries.map {
            Entry(spelling: $0.0, keyword: $0.1, abbreviable: $0.abbreviable, length: $0.0.utf8.count, packed: Self.pack($0.0))
        }
        var initials: (low: UInt64, high: UInt64) = (0, 0)
        for entry in entries {
            guard let first = entry.0.utf8.first, first < 128 else { continue }
            if first < 64 { initials.low |= 1 << UInt64(first) } else { initials.high |= 1 << UInt64(first - 64) }
        }
        self.initials = initials
        lengths = entries.reduce(0) { mask, entry in entry.0.utf8.count < 64 ? mask | 1 << UInt64(entry.0.utf8.count) : mask }
    }

    /// The entry `word` names: exactly, else as the first abbreviation that fits.
    public func lookup(_ word: String, in scanner: WordScanner) -> Entry? {
        guard let first = word.utf8.first, first < 128,
              (first < 64 ? initials.low >> UInt64(first) : initials.high >> UInt64(first - 64)) & 1 != 0
        else { return nil }
        let length = word.utf8.count
        if length < 64, lengths >> UInt64(length) & 1 != 0 {
            let packed = Self.pack(word)
            if let exact = entries.first(where: { $0.length == length && $0.packed == packed && (length <= 8 || $0.spelling == word) }) {
                return exact
            }
        }
        return entries.first { scanner.word(word, is: $0.spelling, abbreviable: $0.abbreviable) }
    }

    private static func pack(_ word: String) -> UInt64 {
        var word = word
        return word.withUTF8 { bytes in
            var packed: UInt64 = 0
            for index in 0..<min(8, bytes.count) { packed |= UInt64(bytes[index]) << UInt64(8 * index) }
            return packed
        }
    }

    /// Every spelling, for help text and shell completion.
    public var spellings: [String] { entries.map(\.spelling) }
}
