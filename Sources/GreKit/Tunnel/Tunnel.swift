import Netlink

/// `ip tunnel`'s dialect of the GRE kinds. Tunnels are links of a GRE kind: `tunnel
/// add` builds the same request as `link add ... type gre`, `tunnel change` merges
/// into the current options, `tunnel show` lists GRE links in `ip tunnel`'s format.
/// Its words are GRE's rows (`GreOptions.grammar`) plus `mode` and `name`, never
/// abbreviated, because any other word is the tunnel's name.
public enum Tunnel {
    /// A tunnel's mode is its GRE link kind.
    public static let modes = GreKind.allCases.map(\.rawValue)

    public enum Word: Sendable {
        case mode, name
        case option(GreOptions.Word)
    }

    /// GRE's rows, then `ip tunnel`'s own two (after them, so that a GRE row keeps
    /// its index: a keyword read here is handed to `GreOptions` as its own).
    public static let grammar = KeywordTable<Word>(
        GreOptions.grammar.rows.map { $0.map(Word.option) }
            + [Keyword(.mode, "mode", value: "{ gre | gretap | ip6gre | ip6gretap }"), Keyword(.name, "name", value: "NAME")])

    /// For completion: the mode and name first, as before the options.
    public static var keywords: [String] { ["mode", "name"] + GreOptions.grammar.spellings }

    /// The value of a `mode` word, refused unless it is one of the modes.
    public static func mode(_ words: inout WordScanner) throws -> GreKind {
        try mode(words.value(for: "mode"))
    }

    private static func mode(_ value: String) throws(InvalidArgument) -> GreKind {
        guard let kind = GreKind(rawValue: value) else {
            throw InvalidArgument.badValue("mode", value, expected: modes.joined(separator: ", "))
        }
        return kind
    }

    /// Parses `tunnel add` words into a link creation.
    public static func add(_ arguments: [String], devices: any InterfaceResolver) throws -> LinkRequest {
        let words = try read(arguments, verb: "tunnel add")
        // As iproute2: without a mode, a name starting with "gre" means GRE.
        guard let kind = words.mode ?? (words.name.value.hasPrefix("gre") ? .gre : nil) else {
            throw InvalidArgument("tunnel add: cannot determine the tunnel mode; give mode gre, gretap, ip6gre or ip6gretap")
        }
        let options = try apply(words.options, to: GreOptions(kind), devices: devices)
        return LinkRequest(mode: .create, name: words.name, options: options)
    }

    /// Parses `tunnel change` words into a change of the tunnel's current options.
    public static func change(
        _ arguments: [String], devices: any InterfaceResolver, current: (InterfaceName) throws -> Link
    ) throws -> (request: LinkRequest, index: Int32) {
        let words = try read(arguments, verb: "tunnel change")
        let (link, currentOptions) = try tunnel(current(words.name))
        if let mode = words.mode, mode != currentOptions.greKind {
            throw InvalidArgument("\(link.name) is a \(currentOptions.kind) tunnel; its mode cannot change to \(mode.rawValue)")
        }
        let options = try apply(words.options, to: currentOptions, devices: devices)
        return (LinkRequest(mode: .modify, name: words.name, options: options), link.index)
    }

    /// The link and its options if it is a GRE tunnel, else an error naming what it is.
    public static func tunnel(_ link: Link) throws(InvalidArgument) -> (Link, GreOptions) {
        guard let options = link.options as? GreOptions else { throw link.notATunnel }
        return (link, options)
    }

    /// The words of `tunnel add|change`, read once: the name, the mode and the
    /// option keywords with their values. The options are applied only once the
    /// mode is known, since the name, which may come last, can decide it.
    private struct Words {
        var name: InterfaceName
        var mode: GreKind?
        var options: [(KeywordTable<GreOptions.Word>.Entry, String)]
    }

    private static func read(_ arguments: [String], verb: String) throws -> Words {
        var mode: GreKind?
        var name: InterfaceName?
        var options: [(KeywordTable<GreOptions.Word>.Entry, String)] = []
        var words = WordScanner(arguments, allowsAbbreviations: false)
        while let word = words.next() {
            let value: String
            if let entry = try words.keyword(word, in: grammar) {
                switch entry.keyword {
                case .mode:
                    mode = try Self.mode(words.value(of: entry))
                    continue
                case .option(let option):
                    options.append((entry.with(option), try words.value(of: entry)))
                    continue
                case .name:
                    value = try words.value(of: entry)
                }
            } else {
                value = word
            }
            guard name == nil else {
                throw word == "name" ? InvalidArgument("\(verb): the tunnel is named twice") : InvalidArgument.unknownWord(word, in: verb)
            }
            name = try InterfaceName(value)
        }
        guard let name else { throw InvalidArgument("\(verb): no tunnel name given") }
        return Words(name: name, mode: mode, options: options)
    }

    private static func apply(
        _ given: [(KeywordTable<GreOptions.Word>.Entry, String)], to start: GreOptions, devices: any InterfaceResolver
    ) throws -> GreOptions {
        var options = start
        for (entry, value) in given { try options.apply(entry, value, devices) }
        try options.finish(as: .tunnel)
        return options
    }

    // MARK: Show

    /// A tunnel as `ip tunnel show` prints it.
    public static func describe(_ link: Link, _ options: GreOptions, _ devices: any InterfaceResolver) -> [Field] {
        options.describeAsTunnel(name: link.name, devices)
    }
}
