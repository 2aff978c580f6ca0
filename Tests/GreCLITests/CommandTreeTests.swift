import ArgumentParser
import FoundationEssentials
import GreKit
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
        // -color takes its value after "=": its own test, below.
        for row in GlobalOptions.rows where row.option != .help && row.option != .version && row.option != .color {
            let words = row.spellings + row.letters.map { "-\($0)" }
            let value = [GlobalOptions.Option.family: "inet", .loops: "1", .receiveBuffer: "4096"][row.option] ?? "value"
            for word in words {
                let (options, rest) = try GlobalOptions.parse(ArraySlice([word] + (row.takesValue ? [value] : []) + ["link"]))
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
                case .family: #expect(options.family == .inet)
                case .human: #expect(options.humanReadable)
                case .iec: #expect(options.iec)
                case .numeric: #expect(options.numeric)
                case .loops: #expect(options.flushRounds == 1)
                case .receiveBuffer: #expect(options.receiveBuffer == 4096)
                case .color: break
                case .help, .version: break
                }
            }
        }
        #expect(try GlobalOptions.parse(["-Version"]).0.version && GlobalOptions.parse(["-v"]).0.version)
        #expect(try GlobalOptions.parse(["-help"]).0.help && GlobalOptions.parse(["-he"]).0.help)
    }

    /// iproute2's option loop decides what an abbreviation names, and which values count.
    @Test func optionsAsIproute2TakesThem() throws {
        func parse(_ words: String) throws -> GlobalOptions { try GlobalOptions.parse(ArraySlice(words.split(separator: " ").map(String.init) + ["link"])).0 }
        // "-h" is -human (before -help in ip's loop); "-f" -family (before -force).
        #expect(try parse("-h").humanReadable && !parse("-h").help)
        #expect(try parse("-f inet6").family == .inet6 && parse("-family inet").family == .inet && parse("-fa inet").family == .inet)
        #expect(try parse("-fo").force)
        #expect(try parse("-i").iec && parse("-iec").iec)
        // "-n" is -netns, "-N" (and "-Nu") -Numeric; ip refuses "-numeric".
        #expect(try parse("-N").numeric && parse("-Nu").numeric && parse("-Numeric").numeric && !parse("-n x").numeric)
        #expect(throws: InvalidArgument.self) { try parse("-numeric") }
        #expect(try parse("-l 1").flushRounds == 1 && parse("-loops 0").flushRounds == 0 && GlobalOptions().flushRounds == 10)
        #expect(try parse("-rc 0x1000").receiveBuffer == 4096 && parse("-rcvbuf 100000").receiveBuffer == 100000)
        #expect(try parse("-color=never").json == false && parse("-c=never").family == .unspecified)
        for words in ["-l bogus", "-l -1", "-rc bogus", "-rcvbuf 4294967296", "-f bogus", "-color=bogus", "-json=1"] {
            #expect(throws: InvalidArgument.self, "\(words)") { try parse(words) }
        }
        // Refused by name, each with its reason.
        for (words, named) in [("-c", "-c"), ("-color", "-color"), ("-color=always", "-color=always"), ("-color=auto", "-color=auto"),
                               ("-t", "-t"), ("-ts", "-ts"), ("-a", "-a"), ("-all", "-all"), ("-r", "-r"), ("-0", "-0"), ("-B", "-B"),
                               ("-M", "-M"), ("-f link", "-f link"), ("-family mpls", "-family mpls"), ("-f bridge", "-f bridge")] {
            do {
                _ = try parse(words)
                Issue.record("\(words) was taken")
            } catch let error as InvalidArgument {
                #expect(error.message.hasPrefix("option \"\(named)\" is not supported: "), "\(error.message)")
            }
        }
    }

    /// -human's units, as iproute2's print_num writes them.
    @Test func humanCounts() {
        let cases: [(UInt64, UInt64, String)] = [
            (999, 1000, "999"), (1000, 1000, "1.00k"), (1234, 1000, "1.23k"), (12345, 1000, "12.3k"), (123456, 1000, "123k"),
            (999_999, 1000, "1000k"), (1_000_000, 1000, "1.00M"), (5_678_901_234, 1000, "5.68G"), (1023, 1024, "1023"),
            (1024, 1024, "1.00ki"), (1536, 1024, "1.50ki"), (1_048_576, 1024, "1.00Mi"), (UInt64.max, 1000, "18.4E"),
        ]
        for (count, base, text) in cases {
            #expect(LinkView.humanCount(count, base: base) == text, "\(count) in \(base)")
        }
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
