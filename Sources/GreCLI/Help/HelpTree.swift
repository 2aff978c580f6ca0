import ArgumentParser
import GreKit

/// The command tree as ArgumentParser declarations: the source of `--help`, the
/// shell completion scripts and the manual page. Commands themselves run through
/// `Gretool.execute`, which batch files use too; this tree only describes them
/// and reads their words for completion from the same tables.
enum HelpTree {
    /// Whether this command line asks for help, completion or the manual.
    static func handles(options: GlobalOptions, words: ArraySlice<String>, batch: Bool) -> Bool {
        if options.help { return true }
        guard let first = words.first else { return !batch }
        let helpWords: Set<String> = ["--help", "-h", "-help", "---completion", "--experimental-dump-help"]
        if words.contains(where: { helpWords.contains($0) || $0.hasPrefix("--generate-completion-script") }) { return true }
        if first == "help" { return true }
        let second = words.dropFirst().first
        return second == "help" && CommandTable.object(first) != nil
    }

    /// Hands the command line to ArgumentParser, in the spellings it knows.
    static func run(_ arguments: [String]) -> Int32 {
        var words = Array(arguments.dropFirst()).map { $0 == "-help" ? "--help" : $0 }
        // "gretool l help" -> "gretool link --help"; objects may be abbreviated as in iproute2.
        if let index = words.firstIndex(where: { !$0.hasPrefix("-") }), words[index] != "help",
           let object = CommandTable.object(words[index]) {
            words[index] = object.name
            if index + 1 < words.count, words[index + 1] == "help" { words[index + 1] = "--help" }
        }
        GretoolCommand.main(words)
        return ExitStatus.success.rawValue
    }

    /// Candidates for the word being completed after `gretool OBJECT VERB ...`.
    static func complete(_ object: CommandObject, words: [String], index: Int) -> [String] {
        let typed = Array(words.prefix(index))
        guard let objectPosition = typed.lastIndex(where: { CommandTable.object($0)?.name == object.name }) else { return [] }
        let after = Array(typed[(objectPosition + 1)...])
        guard let verbWord = after.first, let verb = object.verb(verbWord) else {
            return object.verbs.map(\.name)
        }
        switch after.count > 1 ? after.last : nil {
        case "dev"?, "link"?, "master"?:
            return (try? LinkService(socket: NetlinkSocket()).list().map(\.name)) ?? []
        case "type"?: return LinkKinds.allKinds
        case "mode"?: return Tunnel.modes
        default: return verb.keywords()
        }
    }
}

struct GretoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gretool",
        abstract: "GRE tunnels and the links, addresses and routes around them, in iproute2's words.",
        discussion: """
        Commands read as iproute2's: gretool [ OPTIONS ] OBJECT [ VERB ] [ WORDS ]. Objects
        and most keywords may be abbreviated ("gretool l sh" is "gretool link show").

        Exit status: 0 success; 1 the kernel refused or something failed at run time
        (missing device, no permission); 2 the command line is wrong and nothing was sent.
        """,
        version: Gretool.version,
        subcommands: [LinkCommand.self, TunnelCommand.self])

    @Flag(name: [.customShort("j"), .customLong("json", withSingleDash: true)], help: "JSON output (iproute2's keys).")
    var json = false
    @Flag(name: [.customShort("p"), .customLong("pretty", withSingleDash: true)], help: "Indent JSON output.")
    var pretty = false
    @Flag(name: [.customShort("d"), .customLong("details", withSingleDash: true)], help: "Show details (all tunnel options).")
    var details = false
    @Flag(name: [.customShort("s"), .customLong("stats", withSingleDash: true)], help: "Show statistics; twice for error counters.")
    var statistics: Int
    @Option(name: [.customShort("n"), .customLong("netns", withSingleDash: true)], help: "Run in network namespace NETNS (/run/netns/NETNS).")
    var netns: String?
    @Option(name: [.customShort("b"), .customLong("batch", withSingleDash: true)], help: "Read commands from FILE, one per line (- for standard input).", completion: .file())
    var batch: String?
    @Flag(name: .customLong("force", withSingleDash: true), help: "With -batch: go on after a failed line.")
    var force = false

    func run() throws {
        throw CleanExit.helpRequest(self)
    }
}

/// An object's command: its verbs and words are read from the command table.
protocol ObjectCommand: ParsableCommand {
    static var object: CommandObject { get }
    var verb: String? { get }
    var words: [String] { get }
}

extension ObjectCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: object.name, abstract: object.summary,
            discussion: "Verbs:\n" + object.verbs.map { "  gretool \($0.usage)\n      \($0.summary)" }.joined(separator: "\n"))
    }

    static func verbs() -> [String] { object.verbs.flatMap { [$0.name] + $0.aliases } }

    func run() throws {
        let status = Gretool.run(["gretool", Self.object.name] + (verb.map { [$0] } ?? []) + words)
        if status != 0 { throw ExitCode(status) }
    }
}

struct LinkCommand: ObjectCommand {
    static var object: CommandObject { LinkCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, _ in HelpTree.complete(LinkCommands.object, words: words, index: index) })
    var words: [String] = []
}

struct TunnelCommand: ObjectCommand {
    static var object: CommandObject { TunnelCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, _ in HelpTree.complete(TunnelCommands.object, words: words, index: index) })
    var words: [String] = []
}
