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
    /// "default" as the prefix: only default routes.
    public var defaultOnly = false
    /// Whether words were given (`route flush` requires some).
    public private(set) var isEmpty = true

    public init() {}

    enum Word: Sendable { case table, tos, protocolID, scope, type, device, metric, via, source, from }

    /// iproute2's order (iproute_list_flush_or_save); each may be given again.
    static let grammar = KeywordTable<Word>([
        Keyword(.table, .abbreviable("table"), value: "{ TABLE | all }"), Keyword(.tos, "tos", .abbreviable("dsfield"), value: "TOS"),
        Keyword(.protocolID, .abbreviable("protocol"), value: "{ PROTOCOL | all }"),
        Keyword(.scope, .abbreviable("scope"), value: "{ SCOPE | all }"), Keyword(.type, .abbreviable("type"), value: "TYPE"),
        Keyword(.device, "dev", "oif", value: "NAME"),
        Keyword(.metric, .abbreviable("metric"), .abbreviable("priority"), "preference", value: "NUMBER"),
        Keyword(.via, "via", value: "PREFIX"), Keyword(.source, "src", value: "PREFIX"), Keyword(.from, .abbreviable("from"), value: "PREFIX"),
    ])

    public static var keywords: [String] { grammar.spellings + ["to", "root", "match", "exact", "all"] }

    public static func parse(_ arguments: [String], verb: String, devices: any InterfaceResolver) throws -> RouteSelector {
        var words = WordScanner(arguments)
        var selector = RouteSelector()
        selector.isEmpty = arguments.isEmpty
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                var value = word
                if words.word(value, is: "to") { value = try words.value(for: "to") }
                try selector.destination(value, &words)
                continue
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .table:
                if value == "all" {
                    selector.table = nil
                } else if value == "cache" {
                    throw InvalidArgument("route \(verb): the routing cache is not supported")
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
            case .via: selector.via = try Parse.anyPrefix(value, for: "via")
            case .source: selector.preferredSource = try Parse.anyPrefix(value, for: "src")
            case .from: throw InvalidArgument("route \(verb): \"from\" selectors are not supported")
            }
        }
        return selector
    }

    /// `[ root | match | exact ] PREFIX`, or `default`.
    private mutating func destination(_ word: String, _ words: inout WordScanner) throws {
        var value = word
        var kind = "exact"
        for candidate in ["root", "match", "exact"] where words.word(value, is: candidate) {
            kind = candidate
            value = try words.value(for: candidate)
            break
        }
        if value == "default" || value == "any" || value == "all" {
            defaultOnly = true
            return
        }
        let prefix = try Parse.anyPrefix(value, for: kind)
        if kind != "match" { root = prefix }
        if kind != "root" { match = prefix }
    }

    /// What the kernel can filter itself.
    public func dumpFilter(family: AddressFamily) -> RouteService.DumpFilter {
        // Without a family, `route show` means IPv4 unless every table is asked for.
        let family = family == .unspecified && table != nil ? .inet : family
        return RouteService.DumpFilter(family: family, table: table, outputInterface: outputInterface, protocolID: protocolID)
    }

    /// The rest, as iproute2's filter_nlmsg checks it.
    public func matches(_ route: Route) -> Bool {
        // Cached clones are not table entries.
        if route.flags.contains(.cloned) { return false }
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
        return true
    }
}

extension RouteService.Lookup {
    enum Word: Sendable { case tos, from, inputInterface, mark, outputInterface, uid, fibMatch }

    /// iproute2's order (iproute_get); each may be given again.
    static let grammar = KeywordTable<Word>([
        Keyword(.tos, "tos", .abbreviable("dsfield"), value: "TOS"), Keyword(.from, .abbreviable("from"), value: "ADDRESS"),
        Keyword(.inputInterface, .abbreviable("iif"), value: "NAME"), Keyword(.mark, .abbreviable("mark"), value: "MARK"),
        Keyword(.outputInterface, .abbreviable("oif"), "dev", value: "NAME"),
        Keyword(.uid, .abbreviable("uid"), value: "NUMBER"), Keyword(.fibMatch, .abbreviable("fibmatch")),
    ])

    public static var keywords: [String] { grammar.spellings + ["to"] }

    /// `route get [ to ] ADDRESS [ from ADDRESS ] [ iif DEV ] [ oif DEV ] [ mark N ] [ tos T ] [ uid N ] [ fibmatch ]`.
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
