/// Which routes `route show` and `route flush` mean, from iproute2's selector words:
/// what the kernel filters (family, table, device, protocol) and what is checked here.
public struct RouteSelector: Sendable {
    /// Nil for every table (`table all`).
    public var table: RouteTable? = .main
    public var outputInterface: Int32?
    public var protocolID: RouteProtocol?
    public var scope: RouteScope?
    public var type: RouteType?
    public var tos: UInt8?
    public var metric: UInt32?
    /// `root P`: routes inside P. `match P`: routes that contain P. `exact P` (or P alone): both.
    public var root: IPPrefix?
    public var match: IPPrefix?
    public var via: IPPrefix?
    public var preferredSource: IPPrefix?
    /// `from root P`, `from match P`, `from P`: as `root`, `match` and both, for the
    /// source prefix (a route without one has source prefix length 0).
    public var sourceRoot: IPPrefix?
    public var sourceMatch: IPPrefix?
    /// `realms`: the bits of RTA_FLOW that `realmsMask` names must be these (a realm
    /// left out of the words, "3/" or "4", is not compared).
    public var realms: UInt32 = 0
    public var realmsMask: UInt32 = 0
    public var inputInterface: Int32?
    public var mark: UInt32?
    /// `cached` (or `cloned`, `table cache`): the kernel's cached routes (exceptions)
    /// instead of the tables' entries.
    public var cloned = false
    /// "default" as the prefix: only default routes.
    public var defaultOnly = false
    /// Whether words were given (`route flush` requires some).
    public private(set) var isEmpty = true

    public init() {}

    enum Word: Sendable {
        case table, cloned, tos, protocolID, scope, type, device, inputInterface, mark, metric, via, source, realms, from
    }

    /// iproute2's order (iproute_list_flush_or_save); each may be given again.
    static let grammar = KeywordTable<Word>([
        Keyword(.table, .abbreviable("table"), value: "{ TABLE | all | cache }"),
        Keyword(.cloned, .abbreviable("cached"), .abbreviable("cloned")),
        Keyword(.tos, "tos", .abbreviable("dsfield"), value: "TOS"),
        Keyword(.protocolID, .abbreviable("protocol"), value: "{ PROTOCOL | all }"),
        Keyword(.scope, .abbreviable("scope"), value: "{ SCOPE | all }"), Keyword(.type, .abbreviable("type"), value: "TYPE"),
        Keyword(.device, "dev", "oif", value: "NAME"), Keyword(.inputInterface, "iif", value: "NAME"), Keyword(.mark, "mark", value: "MARK"),
        Keyword(.metric, .abbreviable("metric"), .abbreviable("priority"), "preference", value: "NUMBER"),
        Keyword(.via, "via", value: "[ inet | inet6 ] PREFIX"), Keyword(.source, "src", value: "PREFIX"),
        Keyword(.realms, .abbreviable("realms"), value: "[ FROM/ ] TO"),
        Keyword(.from, .abbreviable("from"), value: "[ root | match | exact ] PREFIX"),
    ])

    public static var keywords: [String] { grammar.spellings + ["to", "root", "match", "exact", "all", "cache"] }

    /// `family`: the command line's (-4, -6), which "all" as a prefix depends on.
    public static func parse(
        _ arguments: [String], family: AddressFamily, devices: any InterfaceResolver
    ) throws -> RouteSelector {
        var words = WordScanner(arguments)
        var selector = RouteSelector()
        selector.isEmpty = arguments.isEmpty
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                var value = word
                if words.word(value, is: "to") { value = try words.value(for: "to") }
                try selector.destination(value, &words, family: family)
                continue
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .table:
                if value == "all" {
                    selector.table = nil
                } else if value == "cache" {
                    selector.cloned = true
                } else {
                    selector.table = try Parse.table(value)
                }
            case .tos: selector.tos = try Parse.dsfield(value, for: "tos")
            case .protocolID:
                selector.protocolID = value == "all" ? nil : try Parse.name(value, in: RouteNames.protocols, for: "protocol")
            case .scope:
                selector.scope = value == "all" ? nil : try Parse.name(value, in: RouteNames.scopes, for: "scope")
            case .type:
                guard let type = RouteRequest.types.lookup(value, in: words)?.keyword else {
                    throw InvalidArgument.badValue("type", value, expected: RouteRequest.types.spellings.joined(separator: ", "))
                }
                selector.type = type
            case .device: selector.outputInterface = try RouteRequest.device(value, devices)
            case .metric: selector.metric = try Parse.unsigned(value, UInt32.self, for: "metric")
            case .cloned: selector.cloned = true
            case .inputInterface: selector.inputInterface = try RouteRequest.device(value, devices)
            case .mark: selector.mark = try Parse.unsigned(value, UInt32.self, for: "mark")
            case .via:
                // `via inet6 PREFIX`: a gateway of that family (an IPv4 route's through IPv6).
                guard let named = AddressFamily(name: value) else {
                    selector.via = try Parse.anyPrefix(value, for: "via")
                    break
                }
                let prefix = try Parse.anyPrefix(words.value(for: "via \(value)"), for: "via")
                guard prefix.family == named else { throw InvalidArgument("via \(value) \(prefix): not an \(named.label) prefix") }
                selector.via = prefix
            case .source: selector.preferredSource = try Parse.anyPrefix(value, for: "src")
            case .realms:
                selector.realms = try RouteRequest.realms(value)
                // As iproute2: "3/" leaves the destination's realm out, "4" the source's.
                selector.realmsMask = .max
                if selector.realms & 0xffff == 0, value.hasSuffix("/") { selector.realmsMask &= ~0xffff }
                if selector.realms & 0xffff_0000 == 0, !value.contains("/") || value.hasPrefix("/") { selector.realmsMask &= ~0xffff_0000 }
            case .from:
                let (kind, prefixWord) = try prefixWords(value, &words, for: "from")
                let prefix = try Parse.anyPrefix(prefixWord, for: "from \(kind)")
                if kind != "match" { selector.sourceRoot = prefix }
                if kind != "root" { selector.sourceMatch = prefix }
            }
        }
        return selector
    }

    /// `[ root | match | exact ] PREFIX`, or `default`. "all" and "any" name no prefix
    /// without a family (every route), and the default route with -4 or -6, as iproute2
    /// reads them (a prefix of length 0 of no family, or of the family).
    private mutating func destination(_ word: String, _ words: inout WordScanner, family: AddressFamily) throws {
        let (kind, value) = try Self.prefixWords(word, &words, for: "to")
        if value == "all" || value == "any", family == .unspecified { return }
        if value == "default" || value == "any" || value == "all" {
            defaultOnly = true
            return
        }
        let prefix = try Parse.anyPrefix(value, for: kind)
        if kind != "match" { root = prefix }
        if kind != "root" { match = prefix }
    }

    /// `[ root | match | exact ] PREFIX` from the word `first` on: which kind, and the prefix's word.
    private static func prefixWords(_ first: String, _ words: inout WordScanner, for keyword: String) throws -> (kind: String, value: String) {
        for candidate in ["root", "match", "exact"] where words.word(first, is: candidate) {
            return (candidate, try words.value(for: "\(keyword) \(candidate)"))
        }
        return ("exact", first)
    }

    /// What the kernel can filter itself.
    public func dumpFilter(family: AddressFamily) -> RouteService.DumpFilter {
        // Without a family, `route show` means IPv4 unless every table is asked for.
        let family = family == .unspecified && table != nil ? .inet : family
        return RouteService.DumpFilter(family: family, table: table, outputInterface: outputInterface, protocolID: protocolID,
                                       cloned: cloned)
    }

    /// The rest, as iproute2's filter_nlmsg checks it.
    public func matches(_ route: Route) -> Bool {
        // Cached clones are not table entries: they are listed alone, when asked for.
        if route.flags.contains(.cloned) != cloned { return false }
        if let table, route.table != table { return false }
        if let outputInterface, route.outputInterface != outputInterface { return false }
        if let protocolID, route.protocolID != protocolID { return false }
        if let scope, route.scope != scope { return false }
        if let type, route.type != type { return false }
        if let tos, route.tos != tos { return false }
        if let metric, (route.priority ?? 0) != metric { return false }
        if defaultOnly, route.destination.length != 0 { return false }
        if let root {
            guard root.family == route.family, route.destination.length >= root.length,
                  root.contains(route.destination.address) else { return false }
        }
        if let match {
            guard match.family == route.family, match.length >= route.destination.length,
                  route.destination.contains(match.address) else { return false }
        }
        if let via {
            guard let gateway = route.gateway, via.contains(gateway) else { return false }
        }
        if let preferredSource {
            guard let source = route.preferredSource, preferredSource.contains(source) else { return false }
        }
        let source = route.source ?? IPPrefix(address: .zero(route.family), length: 0)
        if let sourceRoot {
            guard sourceRoot.family == route.family, source.length >= sourceRoot.length,
                  sourceRoot.contains(source.address) else { return false }
        }
        if let sourceMatch {
            guard sourceMatch.family == route.family, sourceMatch.length >= source.length,
                  source.contains(sourceMatch.address) else { return false }
        }
        if ((route.realms ?? 0) ^ realms) & realmsMask != 0 { return false }
        if let inputInterface, route.inputInterface != inputInterface { return false }
        if let mark, (route.mark ?? 0) != mark { return false }
        return true
    }
}

extension RouteService.Lookup {
    enum Word: Sendable {
        case tos, from, inputInterface, mark, outputInterface, notify, connected, uid, fibMatch, sourcePort, destinationPort, ipProtocol
    }

    /// iproute2's order (iproute_get); each may be given again.
    static let grammar = KeywordTable<Word>([
        Keyword(.tos, "tos", .abbreviable("dsfield"), value: "TOS"), Keyword(.from, .abbreviable("from"), value: "ADDRESS"),
        Keyword(.inputInterface, .abbreviable("iif"), value: "NAME"), Keyword(.mark, .abbreviable("mark"), value: "MARK"),
        Keyword(.outputInterface, .abbreviable("oif"), "dev", value: "NAME"),
        Keyword(.notify, .abbreviable("notify")), Keyword(.connected, .abbreviable("connected")),
        Keyword(.uid, .abbreviable("uid"), value: "NUMBER"), Keyword(.fibMatch, .abbreviable("fibmatch")),
        Keyword(.sourcePort, .abbreviable("sport"), value: "PORT"), Keyword(.destinationPort, .abbreviable("dport"), value: "PORT"),
        Keyword(.ipProtocol, .abbreviable("ipproto"), value: "PROTOCOL"),
    ])

    public static var keywords: [String] { grammar.spellings + ["to"] }

    /// `route get [ to ] ADDRESS [ from ADDRESS ] [ iif DEV ] [ oif DEV ] [ mark N ] [ tos T ] [ uid N ] [ fibmatch ]
    /// [ notify ] [ connected ] [ ipproto P ] [ sport N ] [ dport N ]`.
    public static func parse(_ arguments: [String], family: AddressFamily, devices: any InterfaceResolver) throws -> Self {
        var words = WordScanner(arguments)
        var destination: IPAddress?
        var lookup = Self(destination: .zero(.inet))
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                let value = word == "to" ? try words.value(for: "to") : word
                guard destination == nil else { throw InvalidArgument.unknownWord(value, in: "route get") }
                // iproute2 takes "ADDRESS/32"; a shorter prefix is a mistake it only warns about.
                let prefix = try Parse.anyPrefix(value, for: "destination")
                guard Int(prefix.length) == prefix.family.bitWidth else {
                    throw InvalidArgument("route get: \(value) is a prefix; give an address")
                }
                destination = prefix.address
                continue
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .tos: lookup.tos = try Parse.dsfield(value, for: "tos")
            case .from: lookup.source = try Parse.address(value, for: "from")
            case .inputInterface: lookup.inputInterface = try RouteRequest.device(value, devices)
            case .outputInterface: lookup.outputInterface = try RouteRequest.device(value, devices)
            case .mark: lookup.mark = try Parse.unsigned(value, UInt32.self, for: "mark")
            case .uid: lookup.uid = try Parse.unsigned(value, UInt32.self, for: "uid")
            case .fibMatch: lookup.fibMatch = true
            case .notify: lookup.notify = true
            case .connected: lookup.connected = true
            case .sourcePort: lookup.sourcePort = try Parse.unsigned(value, UInt16.self, for: "sport")
            case .destinationPort: lookup.destinationPort = try Parse.unsigned(value, UInt16.self, for: "dport")
            case .ipProtocol:
                guard let proto = IPProtocol(protocolsName: value) else {
                    throw InvalidArgument.badValue("ipproto", value, expected: "a protocol name (tcp, udp, ...) or a number 0..255")
                }
                lookup.ipProtocol = proto
            }
        }
        guard let destination else { throw InvalidArgument("route get: no destination address given") }
        if family != .unspecified, destination.family != family {
            throw InvalidArgument("route get: \(destination) is \(destination.family.label), but -\(family == .inet ? 4 : 6) was given")
        }
        if let source = lookup.source, source.family != destination.family {
            throw InvalidArgument("route get: from \(source) is \(source.family.label), but the destination is \(destination.family.label)")
        }
        lookup.destination = destination
        return lookup
    }
}
