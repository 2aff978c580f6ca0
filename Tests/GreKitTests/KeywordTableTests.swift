import Testing
@testable import GreKit

/// Keyword tables answer as iproute2's if/else chains: exact spellings, then the first
/// abbreviable spelling a word is a proper prefix of.
@Suite struct KeywordTableTests {
    private enum Word: Equatable { case one, two, three, four, five, six }
    private let table = KeywordTable<Word>([
        ("dev", .one, false), ("dsfield", .two, true), ("device", .three, true),
        ("reordering", .four, true), ("reorderings", .five, true), ("dev", .six, false),
    ])

    private func lookup(_ word: String, abbreviations: Bool = true) -> Word? {
        table.lookup(word, in: WordScanner([], allowsAbbreviations: abbreviations))?.keyword
    }

    @Test func exactSpellingsFirstInOrder() {
        #expect(lookup("dev") == .one)
        #expect(lookup("device") == .three)
        #expect(lookup("reordering") == .four)
        #expect(lookup("reorderings") == .five)
        #expect(table.lookup("dsfield", in: WordScanner([]))?.spelling == "dsfield")
    }

    @Test func abbreviations() {
        #expect(lookup("d") == .two, "the first abbreviable spelling it starts")
        #expect(lookup("devi") == .three)
        #expect(lookup("reorder") == .four)
        #expect(lookup("reordering ") == nil)
        #expect(lookup("reorderingss") == nil)
        #expect(lookup("devi", abbreviations: false) == nil)
        #expect(lookup("dev", abbreviations: false) == .one)
    }

    @Test func otherWords() {
        #expect(lookup("") == nil)
        #expect(lookup("10.0.0.0/8") == nil)
        #expect(lookup("x") == nil)
        #expect(lookup("dex") == nil)
        #expect(lookup("dév") == nil)
    }
}
