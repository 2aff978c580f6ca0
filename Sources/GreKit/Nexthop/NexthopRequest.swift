/// The verbs that change nexthop objects.
public enum NexthopChange: String, Sendable {
    case add, replace
}

/// `nexthop add|replace` words, as iproute2's ipnh_modify reads them.
public enum NexthopRequest {
    enum Word: Sendable { case id, device, via, encapsulation, blackhole, fdb, onlink, group, type, protocolID }

    /// iproute2's order; no keyword is abbreviated but `protocol`, and each may be
    /// given again (the later wins).
    static let grammar = KeywordTable<Word>([
        Keyword(.id, "id", value: "ID"), Keyword(.device, "dev", value: "NAME"),
        Keyword(.via, "via", value: "[ inet | inet6 ] ADDRESS"), Keyword(.encapsulation, "encap", value: "{ ip | ip6 } ENCAPHDR"),
        Keyword(.blackhole, "blackhole"), Keyword(.fdb, "fdb"),
        Keyword(.onlink, "onlink"), Keyword(.group, "group", value: "ID[,WEIGHT]/..."),
        Keyword(.type, "type", value: "{ mpath | resilient }"), Keyword(.protocolID, .abbreviable("protocol"), value: "PROTOCOL"),
    ])

    enum ResilientWord: Sendable { case buckets, idleTimer, unbalancedTimer }

    /// The words after `type resilient`.
    static let resilientGrammar = KeywordTable<ResilientWord>([
        Keyword(.buckets, "buckets", value: "NUMBER"), Keyword(.idleTimer, "idle_timer", value: "SECONDS"),
        Keyword(.unbalancedTimer, "unbalanced_timer", value: "SECONDS"),
    ])

    public static var keywords: [String] {
        grammar.spellings + ["mpath", "resilient"] + resilientGrammar.spellings + RouteEncapsulation.keywords
    }

    public static func parse(
        _ arguments: [String], _ change: NexthopChange, family: AddressFamily, devices: any InterfaceResolver
    ) throws -> NexthopObject {
        let verb = "nexthop \(change.rawValue)"
        var words = WordScanner(arguments)
        var nexthop = NexthopObject(id: 0)
        var family = family
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else { throw InvalidArgument.unknownWord(word, in: verb) }
            var value = try words.value(of: entry)
            switch entry.keyword {
            case .encapsulation:
                // The type, then its words: RouteEncapsulation reads them all.
                words.unread()
                nexthop.opaque = try RouteEncapsulation.parse(&words).attributes(type: NexthopAttribute.encapType, encap: .encap)
            case .id:
                // 0: the kernel picks one (an add only; see below).
                nexthop.id = try Parse.unsigned(value, UInt32.self, for: "id")
            case .device:
                nexthop.outputInterface = try RouteRequest.device(value, devices)
                if family == .unspecified { family = .inet }
            case .via:
                if let named = AddressFamily(name: value) {
                    value = try words.value(for: "via \(value)")
                    if family == .unspecified { family = named }
                }
                let gateway = try Parse.address(value, for: "via")
                if family == .unspecified { family = gateway.family }
                guard gateway.family == family else {
                    throw InvalidArgument("via \(value) is \(gateway.family.label), but the nexthop is \(family.label)")
                }
                nexthop.gateway = gateway
            case .blackhole:
                nexthop.blackhole = true
                if family == .unspecified { family = .inet }
            case .fdb: nexthop.fdb = true
            case .onlink: nexthop.flags.insert(.onlink)
            case .group: nexthop.group = try group(value)
            case .type:
                switch value {
                case "mpath": nexthop.groupType = .multipath
                case "resilient":
                    nexthop.groupType = .resilient
                    nexthop.resilient = try resilient(&words)
                default: throw InvalidArgument.badValue("type", value, expected: "mpath or resilient")
                }
            case .protocolID:
                nexthop.protocolID = try Parse.name(value, in: RouteNames.protocols, for: "protocol")
            }
        }
        nexthop.family = family
        if change == .replace, nexthop.id == 0 { throw InvalidArgument("\(verb): \"id\" is required") }
        if !nexthop.group.isEmpty {
            guard nexthop.gateway == nil, nexthop.outputInterface == nil, !nexthop.blackhole else {
                throw InvalidArgument("\(verb): a group takes no via, dev or blackhole of its own")
            }
            // A group has no family of its own.
            nexthop.family = .unspecified
        } else if nexthop.groupType != nil {
            throw InvalidArgument("\(verb): \"type\" applies to groups only")
        } else if !nexthop.blackhole, nexthop.gateway == nil, nexthop.outputInterface == nil {
            throw InvalidArgument("\(verb): give via ADDRESS, dev NAME, blackhole or group MEMBERS")
        }
        return nexthop
    }

    enum IdentityWord: Sendable { case id }

    static let identityGrammar = KeywordTable<IdentityWord>([Keyword(.id, "id", value: "ID")])

    /// `nexthop del|get id N` (the kernel takes nothing else); `id` may come again, the
    /// later winning, as in iproute2.
    public static func identity(_ arguments: [String], verb: String) throws -> UInt32 {
        var words = WordScanner(arguments)
        var id: UInt32?
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: identityGrammar) else {
                throw InvalidArgument("usage: gretool nexthop \(verb) id ID (\"\(word)\" is not a word of it)")
            }
            id = try identifier(words.value(of: entry))
        }
        guard let id else { throw InvalidArgument("usage: gretool nexthop \(verb) id ID") }
        return id
    }

    static func identifier(_ text: String) throws(InvalidArgument) -> UInt32 {
        try Parse.unsigned(text, UInt32.self, for: "id", in: 1...UInt32.max)
    }

    /// `ID[,WEIGHT]/ID[,WEIGHT]/...`
    static func group(_ text: String) throws(InvalidArgument) -> [NexthopObject.Member] {
        var members: [NexthopObject.Member] = []
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            let fields = part.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            guard !fields[0].isEmpty else { throw .badValue("group", text, expected: "ID[,WEIGHT]/ID[,WEIGHT]...") }
            var member = NexthopObject.Member(id: try identifier(String(fields[0])))
            if fields.count == 2 {
                member.weight = try Parse.unsigned(String(fields[1]), UInt32.self, for: "weight", in: 1...256)
            }
            guard !members.contains(where: { $0.id == member.id }) else {
                throw InvalidArgument("group \(text): nexthop \(member.id) is named twice")
            }
            members.append(member)
        }
        return members
    }

    /// `[ buckets N ] [ idle_timer SECONDS ] [ unbalanced_timer SECONDS ]` after `type resilient`.
    private static func resilient(_ words: inout WordScanner) throws -> NexthopObject.Resilient {
        var resilient = NexthopObject.Resilient()
        // Seconds travel as clock ticks (hundredths).
        let seconds = 0...(UInt32.max / 100 - 1)
        // A word that is none of these ends them (and is nexthop's own).
        while let word = words.peek(), resilientGrammar.lookup(word, in: words) != nil {
            _ = words.next()
            guard let entry = try words.keyword(word, in: resilientGrammar) else { break }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .buckets:
                resilient.buckets = try Parse.unsigned(value, UInt16.self, for: "buckets")
            case .idleTimer:
                resilient.idleTimer = try Parse.unsigned(value, UInt32.self, for: "idle_timer", in: seconds) * 100
            case .unbalancedTimer:
                resilient.unbalancedTimer = try Parse.unsigned(value, UInt32.self, for: "unbalanced_timer", in: seconds) * 100
            }
        }
        return resilient
    }
}

/// Which nexthops `nexthop show` and `nexthop flush` mean.
public struct NexthopSelector: Sendable {
    public var id: UInt32?
    public var outputInterface: Int32?
    public var groupsOnly = false
    public var master: Int32?
    public var fdbOnly = false
    public var protocolID: RouteProtocol?
    public private(set) var isEmpty = true

    public init() {}

    enum Word: Sendable { case id, device, groups, master, protocolID, fdb }

    /// iproute2's words (ipnh_list_flush): `id` whole, the others abbreviable.
    static let grammar = KeywordTable<Word>([
        Keyword(.id, "id", value: "ID"), Keyword(.device, .abbreviable("dev"), value: "NAME"), Keyword(.groups, .abbreviable("groups")),
        Keyword(.master, .abbreviable("master"), value: "NAME"), Keyword(.protocolID, .abbreviable("protocol"), value: "PROTOCOL"),
        Keyword(.fdb, .abbreviable("fdb")),
    ])

    public static var keywords: [String] { grammar.spellings }

    public static func parse(_ arguments: [String], verb: String, devices: any InterfaceResolver) throws -> NexthopSelector {
        var words = WordScanner(arguments)
        var selector = NexthopSelector()
        selector.isEmpty = arguments.isEmpty
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else { throw InvalidArgument.unknownWord(word, in: "nexthop \(verb)") }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .id: selector.id = try NexthopRequest.identifier(value)
            case .device: selector.outputInterface = try RouteRequest.device(value, devices)
            case .groups: selector.groupsOnly = true
            case .master: selector.master = try RouteRequest.device(value, devices)
            case .protocolID: selector.protocolID = try Parse.name(value, in: RouteNames.protocols, for: "protocol")
            case .fdb: selector.fdbOnly = true
            }
        }
        return selector
    }
}
