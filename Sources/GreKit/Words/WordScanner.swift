/// Walks the words of an iproute2-style command line: keywords, each followed by
/// the values it takes.
public struct WordScanner: Sendable {
    public let words: [String]
    public private(set) var position = 0
    /// iproute2 accepts most keywords abbreviated ("rem" for "remote"); `ip tunnel`
    /// does not, because there an unknown word is the tunnel's name.
    public var allowsAbbreviations: Bool
    /// The rows already given that may be given only once, per grammar. A grammar
    /// is known by its word type (each has an enum of its own); a line meets one or
    /// two grammars (`link add`'s words and its kind's), and a route line none with
    /// such rows, so a short list, made only when needed, is enough.
    private var givenOnce: [(grammar: ObjectIdentifier, rows: UInt64)] = []

    public init(_ words: [String], allowsAbbreviations: Bool = true) {
        self.words = words
        self.allowsAbbreviations = allowsAbbreviations
    }

    public var isAtEnd: Bool { position >= words.count }

    public func peek() -> String? { isAtEnd ? nil : words[position] }

    public mutating func next() -> String? {
        guard !isAtEnd else { return nil }
        defer { position += 1 }
        return words[position]
    }

    /// The value after `keyword`, or an error naming the keyword that lacks it (the
    /// name is only made then).
    public mutating func value(for keyword: @autoclosure () -> String) throws(InvalidArgument) -> String {
        guard let value = next() else { throw InvalidArgument("\"\(keyword())\" needs a value") }
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

    /// The keyword of `table` that `word` (just read) names; nil when it names none,
    /// so the caller can take it as something else (a name, a prefix). A row that
    /// may be given once is refused the second time, naming the word, as iproute2's
    /// `duparg()` does. Read its value with `value(of:)`.
    @inline(__always)
    public mutating func keyword<Word>(
        _ word: String, in table: KeywordTable<Word>
    ) throws(InvalidArgument) -> KeywordTable<Word>.Entry? {
        guard let entry = table.lookup(word, abbreviations: allowsAbbreviations) else { return nil }
        if !entry.repeatable { try noteOnce(entry, in: table) }
        return entry
    }

    /// The value of a keyword just read: the next word when its row takes one (an
    /// error naming the keyword when there is none), "" when the row is a flag.
    ///
    /// The entry and its value travel apart, never as one value: a generic type
    /// holding a String is copied through its type's metadata, which cost a batch
    /// line 4% more instructions (callgrind).
    @inline(__always)
    public mutating func value<Word>(of entry: KeywordTable<Word>.Entry) throws(InvalidArgument) -> String {
        entry.takesValue ? try value(for: entry.spelling) : ""
    }

    @inline(never)
    private mutating func noteOnce<Word>(_ entry: KeywordTable<Word>.Entry, in table: KeywordTable<Word>) throws(InvalidArgument) {
        let grammar = ObjectIdentifier(Word.self)
        let bit: UInt64 = 1 << UInt64(entry.row)
        guard let index = givenOnce.firstIndex(where: { $0.grammar == grammar }) else {
            givenOnce.append((grammar, bit))
            return
        }
        guard givenOnce[index].rows & bit == 0 else {
            // The value is the word after the keyword, as in iproute2's message.
            if entry.takesValue, let second = peek() {
                throw InvalidArgument("duplicate \"\(entry.spelling)\": \"\(second)\" is the second value")
            }
            let spelling = entry.spelling, name = table.name(of: entry)
            throw InvalidArgument(spelling == name ? "duplicate \"\(spelling)\"" : "duplicate \"\(spelling)\" (\(name) is set once)")
        }
        givenOnce[index].rows |= bit
    }
}

/// The words of the caller's own that may stand among a grammar's (the command line's
/// output options, `-j` and `-v`, after a keepalive verb): given a word in a keyword's
/// place that the grammar does not know, it says whether it took the word, or throws to
/// refuse it. GreKit knows the grammar; the caller knows its own options, so neither
/// spells the other's words, and a value ("on-down -j") is never mistaken for an option.
public typealias CallerWords = (String) throws(InvalidArgument) -> Bool
