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
}

/// An ordered keyword table: the first entry a word names wins, as in iproute2's
/// if/else chains (so "nopmtudisc" is tried before "pmtudisc").
public struct KeywordTable<Keyword: Sendable>: Sendable {
    public struct Entry: Sendable {
        /// Kept as the literal it is: an entry is then a plain value, copied without
        /// counting references (a batch looks one up per keyword of every line).
        let literal: StaticString
        public let keyword: Keyword
        public let abbreviable: Bool
        public var spelling: String { literal.description }
    }

    public let entries: [Entry]
    /// The entries' spellings as plain numbers, in the same order: a word is matched
    /// against these, its bytes against their bytes, with no string operations.
    private let keys: [Key]
    /// Exact spellings by their key: open addressing, each slot an index into `keys`
    /// plus one (0: empty), the first entry of a spelling only.
    private let slots: [Int16]
    /// The first bytes of the spellings (ASCII): a word starting otherwise names none,
    /// which rules out values (addresses, numbers) at once.
    private let initials: (low: UInt64, high: UInt64)

    /// A spelling's length and first 8 bytes (as one number: most keywords fit whole).
    private struct Key {
        var head: UInt64
        var length: Int
        var abbreviable: Bool

        init(_ bytes: UnsafeBufferPointer<UInt8>, abbreviable: Bool = false) {
            var head: UInt64 = 0
            for index in 0..<min(8, bytes.count) { head |= UInt64(bytes[index]) << UInt64(8 * index) }
            self.head = head
            length = bytes.count
            self.abbreviable = abbreviable
        }

        /// Where its slot search starts (Fibonacci hashing).
        var slot: Int { Int(truncatingIfNeeded: ((head ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 48) }
    }

    public init(_ entries: [(StaticString, Keyword, abbreviable: Bool)]) {
        self.entries = entries.map { Entry(literal: $0.0, keyword: $0.1, abbreviable: $0.abbreviable) }
        let keys = entries.map { entry in entry.0.withUTF8Buffer { Key($0, abbreviable: entry.abbreviable) } }
        self.keys = keys
        var size = 8
        while size < 2 * keys.count { size *= 2 }
        var slots = [Int16](repeating: 0, count: size)
        // Spellings of up to 8 bytes are whole in their key: only the first entry of each
        // goes in. Longer ones all go in, in order, and are told apart by their bytes.
        for (index, key) in keys.enumerated()
        where key.length > 8 || !keys[..<index].contains(where: { $0.head == key.head && $0.length == key.length }) {
            var slot = key.slot & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int16(index + 1)
        }
        self.slots = slots
        var initials: (low: UInt64, high: UInt64) = (0, 0)
        for entry in entries {
            guard let first = entry.0.withUTF8Buffer({ $0.first }), first < 128 else { continue }
            if first < 64 { initials.low |= 1 << UInt64(first) } else { initials.high |= 1 << UInt64(first - 64) }
        }
        self.initials = initials
    }

    /// The entry `word` names: exactly, else as the first abbreviation that fits.
    public func lookup(_ word: String, in scanner: WordScanner) -> Entry? {
        guard let index = word.withUTF8Bytes({ index(of: $0, abbreviations: scanner.allowsAbbreviations) }) else { return nil }
        return entries[index]
    }

    /// The entry spelled exactly `word`, never one it abbreviates.
    public func lookup(exact word: String) -> Entry? {
        word.withUTF8Bytes { index(of: $0, abbreviations: false) }.map { entries[$0] }
    }

    private func index(of word: UnsafeBufferPointer<UInt8>, abbreviations: Bool) -> Int? {
        guard let first = word.first, first < 128,
              (first < 64 ? initials.low >> UInt64(first) : initials.high >> UInt64(first - 64)) & 1 != 0
        else { return nil }
        let key = Key(word)
        var slot = key.slot & (slots.count - 1)
        while slots[slot] != 0 {
            let index = Int(slots[slot]) - 1
            if keys[index].head == key.head, keys[index].length == key.length,
               key.length <= 8 || entries[index].literal.withUTF8Buffer({ $0.elementsEqual(word) }) {
                return index
            }
            slot = (slot + 1) & (slots.count - 1)
        }
        // An abbreviation: a proper prefix of an abbreviable spelling (iproute2's matches()).
        guard abbreviations else { return nil }
        let mask: UInt64 = key.length >= 8 ? ~0 : (1 << UInt64(8 * key.length)) - 1
        return keys.indices.first { index in
            let candidate = keys[index]
            guard candidate.abbreviable, candidate.length > key.length, candidate.head & mask == key.head else { return false }
            return key.length <= 8 || entries[index].literal.withUTF8Buffer({ $0.starts(with: word) })
        }
    }

    /// Every spelling, for help text and shell completion.
    public var spellings: [String] { entries.map(\.spelling) }
}
