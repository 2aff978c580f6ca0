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
        let name = try words.named(verb: "tunnel add")
        // As iproute2: without a mode, a name starting with "gre" means GRE.
        guard let kind = words.mode ?? (name.value.hasPrefix("gre") ? .gre : nil) else {
            throw InvalidArgument("tunnel add: cannot determine the tunnel mode; give mode gre, gretap, ip6gre or ip6gretap")
        }
        let options = try apply(words.options, to: GreOptions(kind), devices: devices)
        return LinkRequest(mode: .create, name: name, options: options)
    }

    /// Parses `tunnel change` words into a change of the tunnel's current options. The
    /// tunnel's kind is read from the kernel, so that -4 and -6 need not say its family
    /// (ip's two programs, iptunnel.c and ip6tunnel.c, each change their own family's).
    public static func change(
        _ arguments: [String], devices: any InterfaceResolver, current: (InterfaceName) throws -> Link
    ) throws -> (request: LinkRequest, index: Int32) {
        let words = try read(arguments, verb: "tunnel change")
        let name = try words.named(verb: "tunnel change")
        let (link, currentOptions) = try tunnel(current(name))
        if let mode = words.mode, mode != currentOptions.greKind {
            throw InvalidArgument("\(link.name) is a \(currentOptions.kind) tunnel; its mode cannot change to \(mode.rawValue)")
        }
        let options = try apply(words.options, to: currentOptions, devices: devices)
        return (LinkRequest(mode: .modify, name: name, options: options), link.index)
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
        var name: InterfaceName?
        var mode: GreKind?
        var options: [(KeywordTable<GreOptions.Word>.Entry, String)]

        func named(verb: String) throws(InvalidArgument) -> InterfaceName {
            guard let name else { throw InvalidArgument("\(verb): no tunnel name given") }
            return name
        }
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

    /// The tunnels `tunnel show WORDS` lists, as `ip tunnel show` selects them. Its words
    /// are add's, their values checked; the name, dev, remote, local and (IPv4) the
    /// input key select, and ip reads and ignores the others. Listed are the tunnels
    /// of one family, as ip's two programs for them (iptunnel.c, ip6tunnel.c) list the
    /// links of the old ioctl interface: without -6 the gre kind's, with it ip6gre's;
    /// a mode selects its kind (and family). The taps and flow-based (external)
    /// tunnels are no ioctl tunnels: ip never lists them, gretool only by their mode.
    public struct Selector: Sendable {
        public let family: AddressFamily
        let name: String?
        let mode: GreKind?
        /// The values the words gave, and which words gave them.
        let wanted: GreOptions
        let given: Set<GreOptions.Word>

        public func matches(_ link: Link) -> Bool {
            guard let options = link.options as? GreOptions, !options.external,
                  options.greKind == mode ?? (family == .inet6 ? .ip6gre : .gre) else { return false }
            func selects(_ word: GreOptions.Word, _ test: () -> Bool) -> Bool { !given.contains(word) || test() }
            // An open endpoint ("any") or key 0 selects every tunnel, as in ip.
            return (name == nil || link.name == name)
                && selects(.device) { wanted.underlay == 0 || options.underlay == wanted.underlay }
                && selects(.remote) { wanted.remote == nil || options.remote == wanted.remote }
                && selects(.local) { wanted.local == nil || options.local == wanted.local }
                && (family == .inet6 || selects(.key) { wanted.inputKey.value == 0 || options.inputKey == wanted.inputKey })
                && (family == .inet6 || selects(.inputKey) { wanted.inputKey.value == 0 || options.inputKey == wanted.inputKey })
        }
    }

    /// Parses `tunnel show` words; `family` is -4's or -6's.
    public static func selector(_ arguments: [String], family: AddressFamily, devices: any InterfaceResolver) throws -> Selector {
        let words = try read(arguments, verb: "tunnel show")
        let listed = words.mode?.family ?? (family == .inet6 ? .inet6 : .inet)
        var wanted = GreOptions(words.mode ?? (listed == .inet6 ? .ip6gre : .gre))
        for (entry, value) in words.options { try wanted.apply(entry, value, devices) }
        return Selector(family: listed, name: words.name?.value, mode: words.mode, wanted: wanted,
                        given: Set(words.options.map(\.0.keyword)))
    }

    /// A tunnel as `ip tunnel show` prints it.
    public static func describe(_ link: Link, _ options: GreOptions, _ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        options.describeAsTunnel(name: link.name, devices, naming: naming)
    }
}
