import ArgumentParser
import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// The command tree as ArgumentParser declarations: the source of `--help`, the
/// shell completion scripts and the manual page. Commands themselves run through
/// `Gretool.execute`, which batch files use too; this tree only describes them
/// and reads their words for completion from the same tables.
enum HelpTree {
    /// Flags only ArgumentParser knows: completion scripts and their callback, the help dump.
    static func isArgumentParserFlag(_ word: String) -> Bool {
        word == "---completion" || word == "--experimental-dump-help" || word.hasPrefix("--generate-completion-script")
    }

    /// Whether this command line asks for help.
    static func handles(options: GlobalOptions, words: ArraySlice<String>) -> Bool {
        if options.help { return true }
        guard let first = words.first else { return options.batchFile == nil }
        if words.contains(where: { ["--help", "-h", "-help"].contains($0) }) { return true }
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

    /// Candidates for the word being completed (`words[index]`) after `gretool OBJECT`.
    static func complete(_ object: CommandObject, words: [String], index: Int) -> [String] {
        // Past the program's name and the global options, the object, then the verb.
        guard index <= words.count, let (_, rest) = try? GlobalOptions.parse(words[1..<index]) else { return [] }
        let typed = Array(rest.dropFirst())
        guard let verbWord = typed.first, let verb = object.verb(verbWord) else {
            return object.verbs.flatMap { [$0.name] + $0.aliases }
        }
        switch typed.count > 1 ? typed.last : nil {
        case "dev"?, "link"?, "master"?:
            return (try? LinkService(socket: NetlinkSocket()).list().map(\.name)) ?? []
        case "type"?: return object.name == "route" ? RouteRequest.types.spellings : LinkKinds.allKinds
        case "mode"?: return Tunnel.modes
        case "table"?, "lookup"?: return RouteNames.tables.names
        case "proto"?, "protocol"?: return RouteNames.protocols.names
        case "scope"?: return RouteNames.scopes.names
        case "action"?: return KeepaliveWatcher.Action.allCases.map(\.rawValue)
        default: return verb.keywords()
        }
    }

    /// Names under /run/netns, for `-n`.
    static func namespaces() -> [String] {
        guard let directory = opendir(NetworkNamespace.directory) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
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
        (missing device, no permission), or a diag check found a problem; 2 the command
        line is wrong and nothing was sent.
        """,
        version: Gretool.version,
        subcommands: [AddressCommand.self, RouteCommand.self, RuleCommand.self, LinkCommand.self, TunnelCommand.self,
                      NexthopCommand.self, KeepaliveCommand.self, DiagCommand.self])

    @Flag(name: [.customShort("j"), .customLong("json", withSingleDash: true)], help: "JSON output (iproute2's keys).")
    var json = false
    @Flag(name: [.customShort("p"), .customLong("pretty", withSingleDash: true)], help: "Indent JSON output.")
    var pretty = false
    @Flag(name: [.customShort("d"), .customLong("details", withSingleDash: true)], help: "Show details (all tunnel options).")
    var details = false
    @Flag(name: [.customShort("s"), .customLong("stats", withSingleDash: true)], help: "Show statistics; twice for error counters.")
    var statistics: Int
    @Flag(name: .customShort("4"), help: "IPv4 only (addresses, routes, rules, nexthops).")
    var inet = false
    @Flag(name: .customShort("6"), help: "IPv6 only (addresses, routes, rules, nexthops).")
    var inet6 = false
    @Option(name: [.customShort("n"), .customLong("netns", withSingleDash: true)], help: "Run in network namespace NETNS (/run/netns/NETNS).",
            completion: .custom { _, _, _ in HelpTree.namespaces() })
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
              completion: .custom { words, index, prefix in HelpTree.complete(LinkCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct TunnelCommand: ObjectCommand {
    static var object: CommandObject { TunnelCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(TunnelCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct AddressCommand: ObjectCommand {
    static var object: CommandObject { AddressCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(AddressCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct RouteCommand: ObjectCommand {
    static var object: CommandObject { RouteCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(RouteCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct RuleCommand: ObjectCommand {
    static var object: CommandObject { RuleCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(RuleCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct NexthopCommand: ObjectCommand {
    static var object: CommandObject { NexthopCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(NexthopCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct KeepaliveCommand: ObjectCommand {
    static var object: CommandObject { KeepaliveCommands.object }
    @Argument(help: "The verb.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(KeepaliveCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}

struct DiagCommand: ObjectCommand {
    static var object: CommandObject { DiagCommands.object }
    @Argument(help: "The verb, or the tunnel to run every check on.", completion: .list(verbs())) var verb: String?
    @Argument(parsing: .captureForPassthrough, help: "The verb's words.",
              completion: .custom { words, index, prefix in HelpTree.complete(DiagCommands.object, words: words, index: index).filter { $0.hasPrefix(prefix) } })
    var words: [String] = []
}
