import ArgumentParser

/// The command tree as ArgumentParser sees it, made from gretool's own tables: the
/// global options from `GlobalOptions.rows`, one subcommand per object of `CommandTable`
/// (the generic `ObjectCommand`). ArgumentParser makes `--help`, the shell completion
/// scripts and the manual page from it; it never runs a command (`Gretool.run` does).
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
        subcommands: CommandTable.objects.compactMap { $0.helpCommand?() })

    // ArgumentParser finds options as properties, so each row of GlobalOptions.rows has
    // one here; its names and help come from the row. Help and version are
    // ArgumentParser's own.
    @Flag(name: .global(.json), help: .global(.json)) var json = false
    @Flag(name: .global(.pretty), help: .global(.pretty)) var pretty = false
    @Flag(name: .global(.details), help: .global(.details)) var details = false
    @Flag(name: .global(.statistics), help: .global(.statistics)) var statistics: Int
    @Flag(name: .global(.oneline), help: .global(.oneline)) var oneline = false
    @Flag(name: .global(.brief), help: .global(.brief)) var brief = false
    @Flag(name: .global(.inet), help: .global(.inet)) var inet = false
    @Flag(name: .global(.inet6), help: .global(.inet6)) var inet6 = false
    @Option(name: .global(.family), help: .global(.family), completion: .list(["inet", "inet6"])) var family: String?
    @Flag(name: .global(.human), help: .global(.human)) var human = false
    @Flag(name: .global(.iec), help: .global(.iec)) var iec = false
    @Flag(name: .global(.numeric), help: .global(.numeric)) var numeric = false
    @Option(name: .global(.loops), help: .global(.loops)) var loops: Int?
    @Option(name: .global(.receiveBuffer), help: .global(.receiveBuffer)) var rcvbuf: UInt32?
    @Option(name: .global(.color), help: .global(.color), completion: .list(["never"])) var color: String?
    @Option(name: .global(.namespace), help: .global(.namespace), completion: .custom { _, _, _ in HelpTree.namespaces() })
    var netns: String?
    @Option(name: .global(.batch), help: .global(.batch), completion: .file()) var batch: String?
    @Flag(name: .global(.force), help: .global(.force)) var force = false

    func run() throws {
        throw CleanExit.helpRequest(self)
    }
}

/// One object's command, read from its declaration: the name, aliases and summary, the
/// verbs for the help text and for completion, the words completed from the verb's keywords.
struct ObjectCommand<Declaration: ObjectCommands>: ParsableCommand {
    static var configuration: CommandConfiguration {
        let object = Declaration.object
        return CommandConfiguration(
            commandName: object.name, abstract: object.summary,
            discussion: "Verbs:\n" + object.verbs.map { "  gretool \($0.usage)\n      \($0.summary)" }.joined(separator: "\n"),
            aliases: object.aliases)
    }

    @Argument(help: ArgumentHelp(Declaration.object.verbHelp), completion: .list(Declaration.object.verbSpellings))
    var verb: String?

    @Argument(parsing: .captureForPassthrough, help: "The verb's words.", completion: .custom { words, index, prefix in
        HelpTree.complete(Declaration.object, words: words, index: index).filter { $0.hasPrefix(prefix) }
    })
    var words: [String] = []

    func run() throws {
        let status = Gretool.run(["gretool", Declaration.object.name] + (verb.map { [$0] } ?? []) + words)
        if status != 0 { throw ExitCode(status) }
    }
}

extension NameSpecification {
    /// A global option's names as its row gives them: the first letter, then every
    /// spelling (one character after the dash is a letter too, as "-4").
    static func global(_ option: GlobalOptions.Option) -> NameSpecification {
        let row = GlobalOptions.row(option)
        let letters = row.letters.prefix(1).map { Element.customShort($0) }
        return NameSpecification(letters + row.spellings.map { spelling in
            let name = String(spelling.dropFirst())
            return name.count == 1 ? .customShort(Character(name)) : .customLong(name, withSingleDash: true)
        })
    }
}

extension ArgumentHelp {
    /// A global option's help, from its row.
    static func global(_ option: GlobalOptions.Option) -> ArgumentHelp {
        ArgumentHelp(GlobalOptions.row(option).help)
    }
}
