import ArgumentParser
import FoundationEssentials
import Testing
@testable import GreCLI

/// What ArgumentParser knows of the tree, as it describes it to the manual page's
/// generator (`--experimental-dump-help`): the parts gretool's tables decide.
private struct TreeDump: Decodable {
    struct Command: Decodable {
        var commandName: String
        var aliases: [String]?
        var abstract: String?
        var discussion: String?
        var subcommands: [Command]?
        var arguments: [Argument]?
    }

    struct Argument: Decodable {
        struct Name: Decodable, Hashable {
            var kind: String
            var name: String
        }

        struct Completion: Decodable {
            struct List: Decodable { var values: [String] }
            var list: List?
        }

        var kind: String
        var valueName: String?
        var names: [Name]?
        var abstract: String?
        var completionKind: Completion?
    }

    var command: Command

    /// The tree; without the `help` subcommand ArgumentParser adds by itself unless asked.
    static func read(keepingHelp: Bool = false) throws -> Command {
        var command = try JSONDecoder().decode(TreeDump.self, from: Data(GretoolCommand._dumpHelp().utf8)).command
        if !keepingHelp { command.subcommands?.removeAll { $0.commandName == "help" } }
        return command
    }
}

/// The names a global option's row gives it, as ArgumentParser writes them down.
private func expectedNames(_ row: GlobalOptions.Row) -> Set<TreeDump.Argument.Name> {
    var names = Set(row.letters.prefix(1).map { TreeDump.Argument.Name(kind: "short", name: String($0)) })
    for spelling in row.spellings {
        let name = String(spelling.dropFirst())
        names.insert(TreeDump.Argument.Name(kind: name.count == 1 ? "short" : "longWithSingleDash", name: name))
    }
    return names
}

/// Help, completion and the manual page come from ArgumentParser's tree; commands run
/// from CommandTable and GlobalOptions. The tree is made from those tables, and these
/// tests fail where the two could tell different stories.
@Suite struct CommandTreeTests {
    @Test func theTreeHasTheTablesObjectsInOrder() throws {
        let tree = try TreeDump.read()
        #expect(tree.subcommands?.map(\.commandName) == CommandTable.objects.map(\.name))
    }

    @Test(arguments: CommandTable.objects.map(\.name))
    func anObjectsCommandSaysWhatItsDeclarationSays(name: String) throws {
        let object = try #require(CommandTable.objects.first { $0.name == name })
        let command = try #require(try TreeDump.read().subcommands?.first { $0.commandName == name })
        #expect(command.aliases ?? [] == object.aliases)
        #expect(command.abstract == object.summary)
        // Every verb, and nothing else, in the help text.
        let discussion = command.discussion ?? ""
        for verb in object.verbs {
            #expect(discussion.contains("  gretool \(verb.usage)\n      \(verb.summary)"), "\(name) \(verb.name) is not in the help")
        }
        let usages = discussion.split(separator: "\n").filter { $0.hasPrefix("  gretool ") }
        #expect(usages.count == object.verbs.count)
        // The first word completes to the verbs and their aliases.
        let verb = try #require(command.arguments?.first { $0.valueName == "verb" })
        #expect(verb.abstract == object.verbHelp)
        #expect(verb.completionKind?.list?.values == object.verbSpellings)
    }

    @Test func everyOptionHasOneRow() {
        for option in GlobalOptions.Option.allCases {
            #expect(GlobalOptions.rows.filter { $0.option == option }.count == 1, "\(option)")
        }
    }

    @Test func theTreesOptionsAreTheRows() throws {
        let options = try TreeDump.read().arguments?.filter { $0.kind != "positional" } ?? []
        #expect(options.count == GlobalOptions.rows.count)
        for row in GlobalOptions.rows {
            switch row.option {
            case .help, .version:
                // ArgumentParser's own flags, named as it names them ("--help", "--version").
                let name = String(row.spellings[0].dropFirst()).lowercased()
                let flag = options.first { $0.names?.contains(.init(kind: "long", name: name)) == true }
                #expect(flag?.abstract == row.help, "\(row.option)")
            default:
                let argument = options.first { Set($0.names ?? []) == expectedNames(row) }
                #expect(argument != nil, "no option named as the row \(row.option) says")
                #expect(argument?.abstract == row.help)
                #expect(argument?.kind == (row.takesValue ? "option" : "flag"))
            }
        }
    }

    /// Parsing takes every spelling a row gives, and its letters.
    @Test func parsingTakesEverySpellingOfEachRow() throws {
        for row in GlobalOptions.rows where row.option != .help && row.option != .version {
            let words = row.spellings + row.letters.map { "-\($0)" }
            for word in words {
                let (options, rest) = try GlobalOptions.parse(ArraySlice([word] + (row.takesValue ? ["value"] : []) + ["link"]))
                #expect(Array(rest) == ["link"], "\(word)")
                switch row.option {
                case .json: #expect(options.json)
                case .pretty: #expect(options.pretty)
                case .details: #expect(options.details)
                case .statistics: #expect(options.statistics == 1)
                case .oneline: #expect(options.oneline)
                case .brief: #expect(options.brief)
                case .inet: #expect(options.family == .inet)
                case .inet6: #expect(options.family == .inet6)
                case .namespace: #expect(options.namespace == "value")
                case .batch: #expect(options.batchFile == "value")
                case .force: #expect(options.force)
                case .help, .version: break
                }
            }
        }
        #expect(try GlobalOptions.parse(["-Version"]).0.version && GlobalOptions.parse(["-v"]).0.version)
        #expect(try GlobalOptions.parse(["-help"]).0.help && GlobalOptions.parse(["-h"]).0.help)
    }

    /// Documentation/gretool.1 is generated from the tree by `make man`; this fails when
    /// the tree changed and it was not: every object, verb and option of the tree is in
    /// it with the tree's words, and it has none the tree lacks.
    @Test func theManualPageIsCurrent() throws {
        let page = try #require(readFile("\(repositoryRoot)/Documentation/gretool.1"), "Documentation/gretool.1 is missing")
        let tree = try TreeDump.read(keepingHelp: true)
        let stale = "Documentation/gretool.1 is stale: run make man"
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The objects (with their aliases: `.It Em "nexthop, nh"`), each with its summary on
        // the line after.
        let objects = lines.indices.filter { lines[$0].hasPrefix(".It Em ") }
        let named = objects.map { lines[$0].dropFirst(7).filter { $0 != "\"" }.split(separator: ", ").map(String.init) }
        #expect(named == tree.subcommands?.map { [$0.commandName] + ($0.aliases ?? []) }, "\(stale)")
        for (index, command) in zip(objects, tree.subcommands ?? []) {
            #expect(lines[index + 1] == command.abstract, "\(stale)")
        }
        // The verbs: the help text's lines, all of them and no other.
        let verbLines = (tree.subcommands ?? []).flatMap { ($0.discussion ?? "").split(separator: "\n").dropFirst().map(String.init) }
        #expect(lines.filter { $0.hasPrefix("  gretool ") || $0.hasPrefix("      ") } == verbLines, "\(stale)")
        // The global options: named as the tree names them, each with its help after it.
        let firstObject = objects.first ?? lines.count
        let optionLines = lines[..<firstObject].indices.filter { lines[$0].hasPrefix(".It Fl ") }
        let options = tree.arguments?.filter { $0.kind != "positional" } ?? []
        #expect(optionLines.count == options.count, "\(stale)")
        for (index, option) in zip(optionLines, options) {
            let named = lines[index].dropFirst(7).split(separator: " Ar ")[0]
                .split(separator: " , ").map { $0.hasPrefix("-") ? String($0.dropFirst()) : String($0) }
            #expect(named == option.names?.map(\.name), "\(stale)")
            #expect(lines[index + 1] == option.abstract, "\(stale)")
        }
    }
}
