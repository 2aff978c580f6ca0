/// A grammar's keywords, in iproute2's order: the first row a word names wins, as
/// in iproute2's if/else chains (so "nopmtudisc" is tried before "pmtudisc", and
/// "t" abbreviates whichever abbreviable spelling starting with "t" comes first).
///
/// Built once from `Keyword` rows; looked up for every keyword of every batch line,
/// so a lookup is a hash of the word's first bytes and copies nothing counted.
public struct KeywordTable<Word: Sendable>: Sendable {
    /// One spelling of a row, with the row's facts a parser needs per word. A plain
    /// value of few fields (the facts packed in a byte): a lookup copies it per
    /// keyword of every batch line.
    public struct Entry: Sendable {
        /// Kept as the literal it is: an entry is then a plain value, copied without
        /// counting references.
        let literal: StaticString
        public let keyword: Word
        let rowIndex: UInt16
        let facts: KeywordFacts

        init(literal: StaticString, keyword: Word, row: Int, facts: KeywordFacts) {
            self.literal = literal
            self.keyword = keyword
            rowIndex = UInt16(row)
            self.facts = facts
        }

        public var spelling: String { literal.description }
        /// Its row's index in the table.
        public var row: Int { Int(rowIndex) }
        public var abbreviable: Bool { facts.contains(.abbreviable) }
        public var takesValue: Bool { facts.contains(.takesValue) }
        public var repeatable: Bool { facts.contains(.repeatable) }
        public var family: AddressFamily? { facts.contains(.inet) ? .inet : facts.contains(.inet6) ? .inet6 : nil }

        /// The same spelling as a word of another grammar: the one this grammar's
        /// first rows were taken from, at the same indexes (as `ip tunnel`'s words
        /// take GRE's).
        public func with<Other>(_ keyword: Other) -> KeywordTable<Other>.Entry {
            KeywordTable<Other>.Entry(literal: literal, keyword: keyword, row: row, facts: facts)
        }
    }

    public let rows: [Keyword<Word>]
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

    // The tables are built once per process, at first use; a command line's start-up
    // pays for them. Plain index loops keep that small: generic adapters (enumerated,
    // slices, closures) make unspecialized code (a table built in another module)
    // look their types up by name, tens of thousands of instructions each.

    public init(_ rows: [Keyword<Word>]) {
        self.rows = rows
        var entries: [Entry] = []
        var row = 0
        while row < rows.count {
            let keyword = rows[row]
            // A row given once is tracked as a bit of a 64-bit set (see WordScanner).
            precondition(keyword.repeatable || row < 64, "a keyword given once must be among a grammar's first 64 rows")
            precondition(row <= UInt16.max, "a grammar of more rows than a row index holds")
            var facts: KeywordFacts = []
            if keyword.takesValue { facts.insert(.takesValue) }
            if keyword.repeatable { facts.insert(.repeatable) }
            if keyword.family == .inet { facts.insert(.inet) }
            if keyword.family == .inet6 { facts.insert(.inet6) }
            var spelling = 0
            while spelling < keyword.spellings.count {
                let written = keyword.spellings[spelling]
                entries.append(Entry(literal: written.literal, keyword: keyword.word, row: row,
                                     facts: written.abbreviable ? facts.union(.abbreviable) : facts))
                spelling += 1
            }
            row += 1
        }
        self.entries = entries
        var keys: [Key] = []
        keys.reserveCapacity(entries.count)
        var index = 0
        while index < entries.count {
            let entry = entries[index]
            keys.append(entry.literal.withUTF8Buffer { Key($0, abbreviable: entry.abbreviable) })
            index += 1
        }
        self.keys = keys
        var size = 8
        while size < 2 * keys.count { size *= 2 }
        var slots = [Int16](repeating: 0, count: size)
        var initials: (low: UInt64, high: UInt64) = (0, 0)
        index = 0
        while index < keys.count {
            let key = keys[index]
            // Spellings of up to 8 bytes are whole in their key: only the first entry of
            // each goes in. Longer ones all go in, in order, and are told apart by their bytes.
            var seen = false
            var earlier = 0
            while key.length <= 8, !seen, earlier < index {
                seen = keys[earlier].head == key.head && keys[earlier].length == key.length
                earlier += 1
            }
            if !seen {
                var slot = key.slot & (size - 1)
                while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
                slots[slot] = Int16(index + 1)
            }
            let first = UInt8(truncatingIfNeeded: key.head)
            if key.length > 0, first < 128 {
                if first < 64 { initials.low |= 1 << UInt64(first) } else { initials.high |= 1 << UInt64(first - 64) }
            }
            index += 1
        }
        self.slots = slots
        self.initials = initials
    }

    /// A table of names that take no value and may repeat, one row per spelling (the
    /// values a keyword takes by name, such as route types, and small test tables).
    public init(_ names: [(StaticString, Word, abbreviable: Bool)]) {
        var rows: [Keyword<Word>] = []
        rows.reserveCapacity(names.count)
        var index = 0
        while index < names.count {
            let name = names[index]
            rows.append(Keyword(name.1, [name.abbreviable ? .abbreviable(name.0) : Spelling(stringLiteral: name.0)],
                                value: nil, family: nil, repeatable: true))
            index += 1
        }
        self.init(rows)
    }

    /// The name of an entry's row: its first spelling, as usage text shows it.
    public func name(of entry: Entry) -> String { rows[entry.row].spellings[0].literal.description }

    /// The entry `word` names: exactly, else as the first abbreviation that fits.
    /// Use `WordScanner.keyword(_:in:)` to read a keyword with its value and to
    /// refuse a repeated one; this only looks.
    public func lookup(_ word: String, in scanner: WordScanner) -> Entry? {
        lookup(word, abbreviations: scanner.allowsAbbreviations)
    }

    /// The same, from a flag alone: a scanner passed by value is copied, arrays and
    /// all, which costs a batch line retains.
    func lookup(_ word: String, abbreviations: Bool) -> Entry? {
        guard let index = word.withUTF8Bytes({ index(of: $0, abbreviations: abbreviations) }) else { return nil }
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

    // MARK: Completion and usage

    /// Every spelling, for help text and shell completion.
    public var spellings: [String] { entries.map(\.spelling) }

    /// The spellings of the rows that objects of `family` take.
    public func spellings(for family: AddressFamily) -> [String] {
        entries.filter { $0.family == nil || $0.family == family }.map(\.spelling)
    }

    /// Usage text from the rows, in their order: "[ remote ADDR ] [ [no]pmtudisc ]
    /// ...", wrapped to lines of at most `width` columns, each starting with
    /// `indent`. A flag "noX" is shown with its row X ("[no]seq", "[ key KEY | nokey ]")
    /// where X comes; only the first spelling of a row is shown. `family`: only the
    /// rows objects of that family take.
    public func usage(family: AddressFamily? = nil, indent: String = "", width: Int = 80) -> String {
        let shown = rows.filter { row in family.map { row.applies(to: $0) } ?? true }
        func name(_ row: Keyword<Word>) -> String { row.spellings[0].literal.description }
        func withValue(_ row: Keyword<Word>) -> String {
            row.value.map { name(row) + " " + $0.description } ?? name(row)
        }
        var items: [String] = []
        var merged = Set<String>()
        for row in shown where !merged.contains(name(row)) {
            let spelling = name(row)
            // The pair of "X" and "noX", from whichever of the two comes first.
            let positive = spelling.hasPrefix("no") ? String(spelling.dropFirst(2)) : spelling
            let negative = "no" + positive
            let pair = (shown.first { name($0) == positive }, shown.first { name($0) == negative })
            if let yes = pair.0, let no = pair.1, !no.takesValue {
                merged.formUnion([positive, negative])
                items.append(yes.takesValue ? "\(withValue(yes)) | \(negative)" : "[no]\(positive)")
            } else {
                items.append(withValue(row))
            }
        }
        var lines: [String] = []
        var line = indent
        for item in items.map({ "[ \($0) ]" }) {
            if line.count > indent.count, line.count + 1 + item.count > width {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + item
        }
        if line.count > indent.count { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}

/// A row's facts as an entry holds them: one byte.
struct KeywordFacts: OptionSet, Sendable {
    let rawValue: UInt8
    static let abbreviable = KeywordFacts(rawValue: 1)
    static let takesValue = KeywordFacts(rawValue: 2)
    static let repeatable = KeywordFacts(rawValue: 4)
    static let inet = KeywordFacts(rawValue: 8)
    static let inet6 = KeywordFacts(rawValue: 16)
}
