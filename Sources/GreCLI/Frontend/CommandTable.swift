import GreKit

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
    /// Whether its requests may wait in a batch's pipeline (it changes routes, addresses,
    /// nexthops or rules, and reads nothing they change). A batch sends what is queued
    /// before any other verb runs.
    var pipelined = false
    let run: @Sendable (Session, [String]) throws -> Void
}

/// The verb a command's first two words named, as they were spelled.
final class ResolvedCommand {
    let object: String
    let verb: String?
    /// How many words come before the verb's own: 2, or 1 when the second word was
    /// already the default verb's.
    let leadingWords: Int
    let pipelined: Bool
    let run: @Sendable (Session, [String]) throws -> Void

    /// Whether a command's first words are the ones this was resolved from.
    func named(by command: [String]) -> Bool {
        guard command[0] == object else { return false }
        if let verb { return command.count > 1 && command[1] == verb }
        return command.count == 1
    }

    init(object: String, verb: String?, leadingWords: Int, resolved: Verb) {
        self.object = object
        self.verb = verb
        self.leadingWords = leadingWords
        pipelined = resolved.pipelined
        run = resolved.run
    }
}

/// One object of the command line: `link`, `tunnel`, ...
struct CommandObject: Sendable {
    let name: String
    /// Other whole spellings ("nh" for nexthop).
    var aliases: [String] = []
    let summary: String
    let verbs: [Verb]
    /// The verb used when none is given (`gretool link` lists links).
    let defaultVerb: String
    /// Whether a word that is no verb starts the default verb's words
    /// (`gretool diag gre1` is `gretool diag all gre1`).
    var defaultVerbTakesWords = false

    /// Resolves a verb as iproute2 does: exact names first, then prefixes in table order.
    func verb(_ word: String) -> Verb? {
        if let exact = verbs.first(where: { $0.name == word }) ?? verbs.first(where: { $0.aliases.contains(word) }) { return exact }
        return verbs.first { verb in
            verb.abbreviable && ([verb.name] + verb.aliases).contains { $0.hasPrefix(word) }
        }
    }

    var usage: String {
        verbs.map { "  " + $0.usage }.joined(separator: "\n")
    }
}

enum CommandTable {
    /// In iproute2's order, which decides abbreviations ("a" is address, "r" route,
    /// "ru" rule, "l" link, "t" tunnel).
    static let objects: [CommandObject] = [
        AddressCommands.object,
        RouteCommands.object,
        RuleCommands.object,
        LinkCommands.object,
        TunnelCommands.object,
        NexthopCommands.object,
        KeepaliveCommands.object,
        DiagCommands.object,
    ]

    static func object(_ word: String) -> CommandObject? {
        if let exact = objects.first(where: { $0.name == word }) ?? objects.first(where: { $0.aliases.contains(word) }) { return exact }
        return objects.first { $0.name.hasPrefix(word) }
    }
}
