import ArgumentParser
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
    /// What help says the word after the object is.
    var verbHelp = "The verb."
    /// The object's command in the ArgumentParser tree (`CommandTable` sets it).
    var helpCommand: (@Sendable () -> any ParsableCommand.Type)?

    /// Resolves a verb as iproute2 does: exact names first, then prefixes in table order.
    func verb(_ word: String) -> Verb? {
        if let exact = verbs.first(where: { $0.name == word }) ?? verbs.first(where: { $0.aliases.contains(word) }) { return exact }
        return verbs.first { verb in
            verb.abbreviable && ([verb.name] + verb.aliases).contains { $0.hasPrefix(word) }
        }
    }

    /// Every verb's name and aliases, for completion.
    var verbSpellings: [String] {
        verbs.flatMap { [$0.name] + $0.aliases }
    }
}

/// What an object's file, `Commands/<Object>Commands.swift`, declares: the object, its
/// verbs and the functions that run them. Dispatch, help, shell completion and the
/// manual page all read it from `CommandTable`.
protocol ObjectCommands: Sendable {
    static var object: CommandObject { get }
}

/// The objects of the command line: the one list of them.
enum CommandTable {
    /// In iproute2's order, which decides abbreviations ("a" is address, "r" route,
    /// "ru" rule, "l" link, "t" tunnel).
    static let objects: [CommandObject] = [
        declared(by: AddressCommands.self),
        declared(by: RouteCommands.self),
        declared(by: RuleCommands.self),
        declared(by: LinkCommands.self),
        declared(by: TunnelCommands.self),
        declared(by: NexthopCommands.self),
        declared(by: KeepaliveCommands.self),
        declared(by: DiagCommands.self),
        declared(by: ApplyCommands.self),
        declared(by: StateCommands.self),
    ]

    /// The object a file declares, given its command in the ArgumentParser tree. The
    /// command is a type made only when help asks for it, so a command line that runs
    /// a command never makes one.
    private static func declared<Declaration: ObjectCommands>(by _: Declaration.Type) -> CommandObject {
        var object = Declaration.object
        object.helpCommand = { ObjectCommand<Declaration>.self }
        return object
    }

    static func object(_ word: String) -> CommandObject? {
        if let exact = objects.first(where: { $0.name == word }) ?? objects.first(where: { $0.aliases.contains(word) }) { return exact }
        return objects.first { $0.name.hasPrefix(word) }
    }
}
