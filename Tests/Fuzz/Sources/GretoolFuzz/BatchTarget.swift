@testable import GreCLI
@testable import GreKit
@testable import Netlink

extension FuzzTarget {
    /// A batch file, as `gretool -batch` reads it: lines (bounded), words (quotes,
    /// comments, the words a line shares with the one before), the object and verb they
    /// name (abbreviations and default verbs), and the verb's own grammar, for both
    /// address families; a request the words make is encoded as it would be sent.
    static let batch = FuzzTarget(
        name: "batch", summary: "batch files: lines, words and every verb's grammar", dictionary: { Grammar.dictionary }
    ) { bytes in
        var reader = LineReader(bytes: Array(bytes))
        var splitter = CommandLineWords.Splitter()
        // A line past the bound ends the file, as it ends a batch.
        while let split = try? reader.next({ bytes, _ in splitter.split(bytes) }) {
            guard case .success = split, let first = splitter.command.first,
                  let object = CommandTable.object(first) else { continue }
            // As Gretool.execute resolves the first two words.
            var words = splitter.arguments
            let verb: Verb
            if let second = splitter.command.dropFirst().first {
                if let named = object.verb(second) {
                    verb = named
                } else if object.defaultVerbTakesWords, let fallback = object.verb(object.defaultVerb) {
                    verb = fallback
                    words.insert(second, at: 0)
                } else {
                    continue
                }
            } else {
                guard let fallback = object.verb(object.defaultVerb) else { continue }
                verb = fallback
            }
            guard let parse = Grammar.parser(object: object.name, verb: verb.name) else { continue }
            for family in [AddressFamily.unspecified, .inet6] {
                do {
                    try parse(words, family)
                } catch {
                    // What the command would print: one line.
                    discardedOutput.write(Failure.describe(error).message)
                }
            }
        }
    }
}

extension Grammar {
    /// What the batch target's mutations start from: the objects and verbs with their
    /// other spellings, every verb's keywords (the keyword rows completion reads), the
    /// names iproute2's databases give values, the devices the lines may name, and
    /// values of each shape.
    static var dictionary: [String] {
        var words: [String] = []
        for object in CommandTable.objects {
            words += [object.name] + object.aliases + object.verbSpellings
            for verb in object.verbs { words += verb.keywords() }
        }
        words += RouteNames.tables.names + RouteNames.protocols.names + RouteNames.scopes.names
        words += deviceNames
        words += ["198.51.100.2", "203.0.113.0/24", "0.0.0.0/0", "default", "2001:db8::1", "2001:db8::/32", "fe80::1",
                  "::ffff:198.51.100.1", "1.2.3.4", "0x10/0xff", "0xffffffff", "4294967295", "65535", "-1", "1.5", "\"", "'", "#", "\t"]
        return words
    }
}
