import GreKit

/// What a command handler gets: the session and the words after its verb.
typealias CommandHandler = (Session, [String]) throws -> Void

/// One verb of an object: `add`, `show`, ...
struct Verb: Sendable {
    let name: String
    /// Other spellings ("delete" for del, "list" and "lst" for show).
    var aliases: [String] = []
    /// Whether a prefix selects it (iproute2 lets "sh" mean show, but not "s" mean set).
    var abbreviable = true
    let usage: String
    let summary: String
    /// Keywords the verb takes, for shell completion.
    var keywords: @Sendable () -> [String] = { [] }
    let run: @Sendable (Session, [String]) throws -> Void
}

/// One object of the command line: `link`, `tunnel`, ...
struct CommandObject: Sendable {
    let name: String
    let summary: String
    let verbs: [Verb]
    /// The verb used when none is given (`gretool link` lists links).
    let defaultVerb: String
    /// Whether a word that is no verb starts the default verb's words
    /// (`gretool diag gre1` is `gretool diag all gre1`).
    var defaultVerbTakesWords = false

    /// Resolves a verb as iproute2 does: exact names first, then prefixes in table order.
    func verb(_ word: String) -> Verb? {
        if let exact = verbs.first(where: { $0.name == word || $0.aliases.contains(word) }) { return exact }
        return verbs.first { verb in
            verb.abbreviable && ([verb.name] + verb.aliases).contains { $0.hasPrefix(word) }
        }
    }

    var usage: String {
        verbs.map { "  " + $0.usage }.joined(separator: "\n")
    }
}

enum CommandTable {
    /// In iproute2's order, which decides abbreviations ("a" is addr, "r" is route).
    static let objects: [CommandObject] = [
        LinkCommands.object,
        TunnelCommands.object,
        KeepaliveCommands.object,
        DiagCommands.object,
    ]

    static func object(_ word: String) -> CommandObject? {
        if let exact = objects.first(where: { $0.name == word }) { return exact }
        return objects.first { $0.name.hasPrefix(word) }
    }
}
