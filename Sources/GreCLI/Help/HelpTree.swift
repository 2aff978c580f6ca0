import ArgumentParser
import GreKit

/// Where help and completion leave gretool's own dispatch for ArgumentParser, which
/// answers them from the command tree (`GretoolCommand`), and the words completion
/// offers, read from the same tables the commands parse with.
enum HelpTree {
    /// Flags only ArgumentParser knows: completion scripts and their callback, the help dump.
    static func isArgumentParserFlag(_ word: String) -> Bool {
        word == "---completion" || word == "--experimental-dump-help" || word.hasPrefix("--generate-completion-script")
    }

    /// Whether this command line asks for help.
    static func handles(options: GlobalOptions, words: ArraySlice<String>) -> Bool {
        if options.help { return true }
        guard let first = words.first else { return options.batchFile == nil }
        if words.contains(where: { $0 == "--help" || $0 == "-h" || $0 == "-help" }) { return true }
        if first == "help" { return true }
        let second = words.dropFirst().first
        return second == "help" && CommandTable.object(first) != nil
    }

    /// Hands the command line to ArgumentParser, in the spellings it knows.
    static func run(_ arguments: [String]) -> Int32 {
        var words = Array(arguments.dropFirst()).map { $0 == "-help" ? "--help" : $0 }
        // "gretool l help" -> "gretool link --help"; objects may be abbreviated as in iproute2.
        // The object is the first word after the global options (not -n's value).
        // ArgumentParser would read the words after a "--" as arguments, not a subcommand.
        var objectIndex = (try? GlobalOptions.parse(words[...]))?.1.startIndex
        if let index = objectIndex, index > 0, words[index - 1] == "--" {
            words.remove(at: index - 1)
            objectIndex = index - 1
        }
        if let index = objectIndex, index < words.count, words[index] != "help",
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
        ((try? Files.names(in: NetworkNamespace.directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }
}
