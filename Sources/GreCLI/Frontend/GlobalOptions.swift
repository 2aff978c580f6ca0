import GreKit

/// The options before the object, as `ip` takes them: single dash, long or
/// abbreviated ("-j", "-json"), a double dash accepted too.
public struct GlobalOptions: Sendable {
    public var json = false
    public var pretty = false
    public var details = false
    public var statistics = 0
    public var oneline = false
    public var brief = false
    public var namespace: String?
    public var batchFile: String?
    public var force = false
    public var family: AddressFamily = .unspecified
    public var help = false
    public var version = false

    /// What breaks an object's text into lines: with -o a backslash (iproute2's _SL_),
    /// so that each object is one line.
    var lineBreak: String { oneline ? "\\" : "\n" }

    enum Option: Sendable, CaseIterable {
        case json, pretty, details, statistics, oneline, brief, inet, inet6, namespace, batch, force, help, version
    }

    /// Everything said about one option, in one place: parsing reads the spellings, and the
    /// ArgumentParser tree (help, shell completion, the manual page) reads them all
    /// (`GretoolCommand`; a unit test checks that the two agree).
    struct Row: Sendable {
        let option: Option
        /// iproute2's spellings, single dash, the one help shows first. A longer spelling
        /// may be abbreviated ("-det" for -details); "-4" and "-6" may not.
        let spellings: [String]
        /// Letters that name the option after a dash whatever the spellings say ("-v" for
        /// -Version); help shows the first as the short form.
        var letters = ""
        var takesValue = false
        let help: String
    }

    /// In the order help lists them. Help and version are ArgumentParser's own flags
    /// there, so their help is its text.
    static let rows: [Row] = [
        Row(option: .json, spellings: ["-json"], letters: "j", help: "JSON output (iproute2's keys)."),
        Row(option: .pretty, spellings: ["-pretty"], letters: "p", help: "Indent JSON output."),
        Row(option: .details, spellings: ["-details"], letters: "d", help: "Show details (all tunnel options)."),
        Row(option: .statistics, spellings: ["-stats", "-statistics"], letters: "s",
            help: "Show statistics; twice for error counters."),
        Row(option: .oneline, spellings: ["-oneline"], letters: "o",
            help: "One line per object (a backslash where its text would break)."),
        Row(option: .brief, spellings: ["-brief"],
            help: "Links and addresses in brief: name, state and addresses (or MAC and flags)."),
        Row(option: .inet, spellings: ["-4"], help: "IPv4 only (addresses, routes, rules, nexthops)."),
        Row(option: .inet6, spellings: ["-6"], help: "IPv6 only (addresses, routes, rules, nexthops)."),
        Row(option: .namespace, spellings: ["-netns"], letters: "n", takesValue: true,
            help: "Run in network namespace NETNS (/run/netns/NETNS)."),
        Row(option: .batch, spellings: ["-batch"], letters: "b", takesValue: true,
            help: "Read commands from FILE, one per line (- for standard input)."),
        Row(option: .force, spellings: ["-force"], help: "With -batch: go on after a failed line."),
        Row(option: .help, spellings: ["-help"], letters: "h", help: "Show help information."),
        Row(option: .version, spellings: ["-Version"], letters: "Vv", help: "Show the version."),
    ]

    static func row(_ option: Option) -> Row {
        rows.first { $0.option == option }!
    }

    /// Parses leading options; returns them and the words that follow.
    public static func parse(_ arguments: ArraySlice<String>) throws(InvalidArgument) -> (GlobalOptions, ArraySlice<String>) {
        var options = GlobalOptions()
        var rest = arguments
        while let word = rest.first, word.hasPrefix("-"), word.count > 1 {
            rest = rest.dropFirst()
            // "--" ends the options, as in ip: what follows is the command, even a word
            // that starts with a dash.
            if word == "--" { break }
            let spelling = word.hasPrefix("--") ? String(word.dropFirst()) : word
            // --version is the spelling help lists (ArgumentParser's); iproute2's is -Version.
            guard let option = word == "--version" ? .version : option(spelled: spelling) else {
                throw InvalidArgument("unknown option \"\(word)\"; try \"gretool help\"")
            }
            switch option {
            case .json: options.json = true
            case .pretty: options.pretty = true
            case .details: options.details = true
            case .statistics: options.statistics += 1
            case .oneline: options.oneline = true
            case .brief: options.brief = true
            case .force: options.force = true
            case .inet: options.family = .inet
            case .inet6: options.family = .inet6
            case .help: options.help = true
            case .version: options.version = true
            case .namespace, .batch:
                guard let value = rest.first else { throw InvalidArgument("option \"\(word)\" needs a value") }
                rest = rest.dropFirst()
                if option == .namespace { options.namespace = value } else { options.batchFile = value }
            }
        }
        return (options, rest)
    }

    /// The option a word names: "-X" when X is one of a row's letters; else a spelling,
    /// exactly, or else the first longer spelling it abbreviates (iproute2's matches(),
    /// through WordScanner), in the rows' order.
    private static func option(spelled word: String) -> Option? {
        if word.utf8.count == 2, let letter = word.utf8.last,
           let row = rows.first(where: { $0.letters.utf8.contains(letter) }) {
            return row.option
        }
        let scanner = WordScanner([])
        let row = rows.first { $0.spellings.contains(word) }
            ?? rows.first { $0.spellings.contains { scanner.word(word, is: $0, abbreviable: $0.utf8.count > 2) } }
        return row?.option
    }
}
