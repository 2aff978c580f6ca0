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
    /// -human: counters in -s listings as 1.2k, 3.4M (powers of 1000, or of 1024 with -iec).
    public var humanReadable = false
    public var iec = false
    /// -Numeric: listings write numbers where iproute2 has names (tables, protocols,
    /// scopes, realms, DS fields, route types, link groups and types).
    public var numeric = false
    /// -loops: the rounds of listing and deleting an address flush makes at most; 0 for
    /// as many as it takes (iproute2's max_flush_loops, 10 unless given).
    public var flushRounds = 10
    /// -rcvbuf: the netlink socket's receive buffer (SO_RCVBUF), in bytes; 1 MiB unless given.
    public var receiveBuffer: UInt32?
    public var help = false
    public var version = false

    /// What breaks an object's text into lines: with -o a backslash (iproute2's _SL_),
    /// so that each object is one line.
    var lineBreak: String { oneline ? "\\" : "\n" }

    /// How listings write the numbers iproute2 has names for.
    var naming: Naming { Naming(numeric: numeric) }

    enum Option: Sendable, CaseIterable {
        case json, pretty, details, statistics, oneline, brief, inet, inet6, family, human, iec, numeric, loops, receiveBuffer
        case color
        case namespace, batch, force, help, version
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
        Row(option: .family, spellings: ["-family"], letters: "f", takesValue: true,
            help: "inet (as -4) or inet6 (as -6)."),
        Row(option: .human, spellings: ["-human", "-human-readable"],
            help: "With -s, counters in human units (1.2k, 3.4M; -h is this, not help, as in iproute2)."),
        Row(option: .iec, spellings: ["-iec"], help: "With -human, powers of 1024 (1.20ki) rather than of 1000."),
        Row(option: .numeric, spellings: ["-Numeric"], letters: "N",
            help: "Numbers where ip has names: tables, protocols, scopes, realms, DS fields, types, groups."),
        Row(option: .loops, spellings: ["-loops"], letters: "l", takesValue: true,
            help: "Rounds an address flush makes at most (default 10; 0: until none is left)."),
        Row(option: .receiveBuffer, spellings: ["-rcvbuf"], takesValue: true,
            help: "The netlink socket's receive buffer in bytes (default 1 MiB)."),
        Row(option: .color, spellings: ["-color"], takesValue: true,
            help: "never: plain text, which is all gretool prints (other values are refused)."),
        Row(option: .namespace, spellings: ["-netns"], letters: "n", takesValue: true,
            help: "Run in network namespace NETNS (/run/netns/NETNS)."),
        Row(option: .batch, spellings: ["-batch"], letters: "b", takesValue: true,
            help: "Read commands from FILE, one per line (- for standard input)."),
        Row(option: .force, spellings: ["-force"], help: "With -batch: go on after a failed line."),
        Row(option: .help, spellings: ["-help"], help: "Show help information."),
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
            var spelling = word.hasPrefix("--") ? String(word.dropFirst()) : word
            // Only -color takes its value after "=" ("-color=never"), as iproute2's matches_color.
            var inlineValue: String?
            if let equals = spelling.firstIndex(of: "=") {
                inlineValue = String(spelling[spelling.index(after: equals)...])
                spelling = String(spelling[..<equals])
            }
            // --version is the spelling help lists (ArgumentParser's); iproute2's is -Version.
            let named = word == "--version" ? .version : try option(spelled: spelling, word: word)
            guard let option = named, inlineValue == nil || option == .color else {
                throw InvalidArgument("unknown option \"\(word)\"; try \"gretool help\"")
            }
            func value() throws(InvalidArgument) -> String {
                guard let value = rest.first else { throw InvalidArgument("option \"\(word)\" needs a value") }
                rest = rest.dropFirst()
                return value
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
            case .family: options.family = try family(value(), option: word)
            case .human: options.humanReadable = true
            case .iec: options.iec = true
            case .numeric: options.numeric = true
            case .loops:
                let text = try value()
                guard let rounds = Int(text), rounds >= 0 else {
                    throw .badValue(word, text, expected: "a number of rounds (0: no limit)")
                }
                options.flushRounds = rounds
            case .receiveBuffer:
                options.receiveBuffer = try Parse.unsigned(value(), UInt32.self, for: word)
            case .color:
                // gretool prints plain text only: -color=never asks for just that.
                switch inlineValue {
                case "never"?: break
                case nil, "always"?, "auto"?:
                    throw refusal(word, "gretool prints plain text only (-color=never is taken)")
                default: throw InvalidArgument("unknown option \"\(word)\"; try \"gretool help\"")
                }
            case .help: options.help = true
            case .version: options.version = true
            case .namespace: options.namespace = try value()
            case .batch: options.batchFile = try value()
            }
        }
        return (options, rest)
    }

    /// The family -family names: inet and inet6 as -4 and -6; iproute2's others name
    /// objects gretool has none of.
    private static func family(_ name: String, option: String) throws(InvalidArgument) -> AddressFamily {
        switch name {
        case "inet": return .inet
        case "inet6": return .inet6
        case "link", "mpls", "bridge": throw refusal("\(option) \(name)", Refused.otherFamilies)
        default: throw .badValue(option, name, expected: "a protocol family (inet or inet6)")
        }
    }

    private static func refusal(_ word: String, _ reason: String) -> InvalidArgument {
        InvalidArgument("option \"\(word)\" is not supported: \(reason)")
    }

    /// iproute2's options that gretool refuses by name, each with its reason
    /// (Documentation/gretool.md, "Differences from iproute2").
    enum Refused {
        static let otherFamilies = "gretool's objects are IPv4 and IPv6 (ip's -0, -B and -M list link-layer, bridge and MPLS objects)"
        static let spellings: [String: String] = [
            "-0": otherFamilies, "-B": otherFamilies, "-M": otherFamilies,
            "-resolve": "gretool prints addresses, not host names",
            "-timestamp": "timestamps are for ip monitor, which gretool does not have",
            "-tshort": "timestamps are for ip monitor, which gretool does not have",
            "-all": "it is for ip -all netns, which gretool does not have",
        ]
    }

    /// iproute2's option loop (ip/ip.c), in its order: a word that abbreviates several
    /// spellings names the first ("-h" is -human, not -help; "-f" -family, not -force).
    private static let optionLoop = [
        "-loops", "-family", "-human", "-human-readable", "-iec", "-stats", "-statistics", "-details", "-resolve",
        "-oneline", "-timestamp", "-tshort", "-Version", "-force", "-batch", "-brief", "-json", "-pretty", "-rcvbuf",
        "-color", "-help", "-netns", "-Numeric", "-all",
    ]

    /// The option a word names: "-X" when X is one of a row's letters; else a spelling,
    /// exactly, or else the first spelling of iproute2's option loop it abbreviates
    /// (iproute2's matches(), through WordScanner). An option gretool refuses is an
    /// error naming it.
    private static func option(spelled word: String, word original: String) throws(InvalidArgument) -> Option? {
        if word.utf8.count == 2, let letter = word.utf8.last,
           let row = rows.first(where: { $0.letters.utf8.contains(letter) }) {
            return row.option
        }
        let scanner = WordScanner([])
        let spelling = optionLoop.contains(word) || Refused.spellings[word] != nil || rows.contains { $0.spellings.contains(word) }
            ? word : optionLoop.first { scanner.word(word, is: $0) }
        guard let spelling else { return nil }
        if let reason = Refused.spellings[spelling] { throw refusal(original, reason) }
        return rows.first { $0.spellings.contains(spelling) }?.option
    }
}
