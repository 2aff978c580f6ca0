/// How a keyword may be written. A plain literal ("dev") must be typed whole, as
/// iproute2's `strcmp()` compares it; `.abbreviable("remote")` also takes any
/// non-empty prefix ("rem"), as iproute2's `matches()` does. Which of the two a
/// word is follows iproute2's source for that word, so that a prefix means there
/// what it means here.
public struct Spelling: Sendable, ExpressibleByStringLiteral {
    let literal: StaticString
    let abbreviable: Bool

    public init(stringLiteral literal: StaticString) {
        self.literal = literal
        abbreviable = false
    }

    private init(_ literal: StaticString, abbreviable: Bool) {
        self.literal = literal
        self.abbreviable = abbreviable
    }

    /// A spelling any non-empty prefix of which names the keyword too.
    public static func abbreviable(_ literal: StaticString) -> Spelling { Spelling(literal, abbreviable: true) }
}

/// One keyword of a grammar: a row that holds everything gretool knows about the
/// word, so that parsing, completion, usage text and the refusal of a repeated
/// word all read the same facts.
///
/// - `word`: what the parser switches on (a case of the grammar's own enum).
/// - `spellings`: the ways to write it, in iproute2's order; the first is the name
///   usage text shows.
/// - `value`: the name of the value that follows it in usage text ("ADDR",
///   "{ fou | gue | none }"). A row with a value makes the scanner read the next
///   word as its value; a row without one is a flag.
/// - `family`: the address family of the objects that take it (GRE's `pmtudisc`
///   is IPv4's, `flowlabel` IPv6's); nil when both do.
/// - `repeatable`: whether it may be given again on one command line. iproute2
///   takes most words again (the later value wins) and refuses a few with
///   "duplicate" (its `duparg()` calls); a row that is not repeatable is one of
///   those, or a word of gretool's own that makes no sense twice.
public struct Keyword<Word: Sendable>: Sendable {
    public let word: Word
    public let spellings: [Spelling]
    public let value: StaticString?
    public let family: AddressFamily?
    public let repeatable: Bool

    public init(
        _ word: Word, _ spellings: Spelling..., value: StaticString? = nil,
        family: AddressFamily? = nil, repeatable: Bool = true
    ) {
        self.init(word, spellings, value: value, family: family, repeatable: repeatable)
    }

    init(_ word: Word, _ spellings: [Spelling], value: StaticString?, family: AddressFamily?, repeatable: Bool) {
        precondition(!spellings.isEmpty, "a keyword needs a spelling")
        self.word = word
        self.spellings = spellings
        self.value = value
        self.family = family
        self.repeatable = repeatable
    }

    /// Whether the word after it is its value.
    public var takesValue: Bool { value != nil }

    /// The same row for another grammar that includes this one (`ip tunnel`'s
    /// words are GRE's words plus its own).
    public func map<Other>(_ transform: (Word) -> Other) -> Keyword<Other> {
        Keyword<Other>(transform(word), spellings, value: value, family: family, repeatable: repeatable)
    }

    /// Whether the objects of `family` take it.
    public func applies(to family: AddressFamily) -> Bool { self.family == nil || self.family == family }
}
