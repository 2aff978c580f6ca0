import GreKit

/// The output options a keepalive verb takes among its own words, as well as before
/// the object as every command does: `-j` (JSON, a line per event for the verbs that
/// stream) and, for `watch` and `respond`, `-v` (every keepalive and reflection, not
/// only the changes). They are the command line's, not the domain's: the verb's
/// grammar hands each word it does not know to `take` (its `CallerWords`), so a
/// value such as `on-down -j` stays a value.
struct KeepaliveOutputWords {
    var json: Bool
    var verbose = false
    private let takesVerbose: Bool

    /// `json`: the global option's (`gretool -j keepalive ...`).
    init(json: Bool, takesVerbose: Bool) {
        self.json = json
        self.takesVerbose = takesVerbose
    }

    enum Word: Sendable { case json, verbose }

    /// Both may repeat, as the global options may.
    static let grammar = KeywordTable<Word>([Keyword(.json, "-j", "-json"), Keyword(.verbose, "-v", "-verbose")])

    /// The spellings completion offers after a verb.
    static func spellings(takesVerbose: Bool) -> [String] {
        grammar.entries.filter { takesVerbose || $0.keyword != .verbose }.map(\.spelling)
    }

    /// Takes `word` when it is one of the options this verb has.
    mutating func take(_ word: String) -> Bool {
        switch Self.grammar.lookup(exact: word)?.keyword {
        case .json?: json = true
        case .verbose? where takesVerbose: verbose = true
        default: return false
        }
        return true
    }
}
