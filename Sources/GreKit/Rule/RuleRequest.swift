/// The verbs that change rules.
public enum RuleChange: String, Sendable {
    case add, delete

    /// No rule can be taken back exactly: a delete matches any rule its description
    /// does not rule out (a selector it leaves out, a mark, matches anything), and an
    /// added rule goes after those of the same priority, so the delete of what `add`
    /// made would take an older rule first (`pref 100 fwmark 1 lookup 5` before the
    /// added `pref 100 lookup 5`). Without `-force` a batch sends each rule alone.
    var request: ChangeRequest {
        switch self {
        case .add: ChangeRequest(.newRule, flags: [.create, .exclusive])
        case .delete: ChangeRequest(.deleteRule, flags: [])
        }
    }
}

/// `rule add|del` words, as iproute2's iprule_modify reads them.
public enum RuleRequest {
    enum Word: Sendable {
        case not, from, to, priority, tos, fwmark, protocolID, table, suppressPrefixLength, suppressGroup
        case inputInterface, outputInterface, l3mdev, uidRange, ipProtocol, sourcePort, destinationPort
        case tunnelID, realms, nat
    }

    /// iproute2's order (iprule_modify), which takes each word again (the later wins).
    static let grammar = KeywordTable<Word>([
        Keyword(.not, "not"), Keyword(.from, "from", value: "PREFIX"), Keyword(.to, "to", value: "PREFIX"),
        Keyword(.priority, .abbreviable("preference"), .abbreviable("order"), .abbreviable("priority"), value: "NUMBER"),
        Keyword(.tos, "tos", .abbreviable("dsfield"), value: "TOS"), Keyword(.fwmark, "fwmark", value: "MARK[/MASK]"),
        Keyword(.protocolID, .abbreviable("protocol"), value: "PROTOCOL"),
        Keyword(.table, .abbreviable("table"), "lookup", value: "TABLE"),
        Keyword(.suppressPrefixLength, .abbreviable("suppress_prefixlength"), "sup_pl", value: "LENGTH"),
        Keyword(.suppressGroup, .abbreviable("suppress_ifgroup"), "sup_group", value: "GROUP"),
        Keyword(.inputInterface, "dev", "iif", value: "NAME"), Keyword(.outputInterface, "oif", value: "NAME"),
        Keyword(.l3mdev, "l3mdev"), Keyword(.uidRange, "uidrange", value: "START-END"),
        Keyword(.ipProtocol, "ipproto", value: "PROTOCOL"),
        Keyword(.sourcePort, "sport", value: "{ PORT | START-END }"), Keyword(.destinationPort, "dport", value: "{ PORT | START-END }"),
        Keyword(.tunnelID, "tun_id", value: "ID"), Keyword(.realms, .abbreviable("realms"), value: "[ FROM/ ] TO"),
        Keyword(.nat, .abbreviable("nat"), .abbreviable("map-to"), value: "ADDRESS"),
    ])

    /// Actions other than looking up a table (`[ type ] ACTION`): iproute2 reads a route
    /// type's name as the action of its number, unicast the lookup itself (then no
    /// table is taken for granted).
    static let actions = KeywordTable<RuleAction>([
        ("nop", .nop, true), ("prohibit", .prohibit, true), ("unreachable", .unreachable, true), ("blackhole", .blackhole, true),
        ("unicast", .toTable, true), ("nat", .nat, true),
    ])

    public static var keywords: [String] { grammar.spellings + ["type", "goto"] + actions.spellings }

    public static func parse(_ arguments: [String], _ change: RuleChange, family: AddressFamily) throws -> Rule {
        let verb = "rule \(change.rawValue)"
        guard !arguments.isEmpty else { throw InvalidArgument("\(verb) needs words: a selector and an action") }
        var words = WordScanner(arguments)
        var rule = Rule(family: family)
        var addresses: [(IPAddress, String)] = []
        var action: RuleAction?
        var tableGiven = false
        // An action word (a type, goto) leaves the rule without a table, as iproute2's
        // table_ok; nat sets its action but keeps the lookup of main.
        var actionWord = false
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                let value = word == "type" ? try words.value(for: "type") : word
                if words.word(value, is: "goto") {
                    rule.goto = try Parse.unsigned(words.value(for: "goto"), UInt32.self, for: "goto")
                    action = .goto
                    actionWord = true
                } else if let named = actions.lookup(value, in: words) {
                    action = named.keyword
                    actionWord = true
                } else {
                    throw InvalidArgument.unknownWord(value, in: verb)
                }
                continue
            }
            let (spelling, value) = (entry.spelling, try words.value(of: entry))
            switch entry.keyword {
            case .not: rule.flags.insert(.invert)
            case .from, .to:
                let prefix = try Self.prefix(value, for: spelling)
                if let prefix { addresses.append((prefix.address, value)) }
                if entry.keyword == .from { rule.source = prefix } else { rule.destination = prefix }
            case .priority: rule.priority = try Parse.unsigned(value, UInt32.self, for: "priority")
            case .tos: rule.tos = try Parse.dsfield(value, for: "tos")
            case .fwmark:
                let fwmark = try Self.fwmark(value)
                rule.fwmark = fwmark.mark
                rule.fwmask = fwmark.mask ?? rule.fwmask
            case .protocolID: rule.protocolID = try Parse.name(value, in: RouteNames.protocols, for: "protocol")
            case .table:
                rule.table = try Parse.table(value)
                tableGiven = true
            case .suppressPrefixLength:
                rule.suppressPrefixLength = Int32(try Parse.unsigned(value, UInt32.self, for: spelling, in: 0...UInt32(Int32.max)))
            case .suppressGroup:
                let group = try Parse.group(value, for: spelling)
                guard group <= UInt32(Int32.max) else { throw InvalidArgument.badValue(spelling, value, expected: "a group 0..\(Int32.max) or default") }
                rule.suppressInterfaceGroup = Int32(group)
            case .inputInterface: rule.inputInterface = try InterfaceName(value).value
            case .outputInterface: rule.outputInterface = try InterfaceName(value).value
            case .l3mdev:
                rule.l3mdev = true
                tableGiven = true
            case .uidRange: rule.uidRange = try range(value, UInt32.self, for: "uidrange", single: false)
            case .ipProtocol:
                guard let proto = IPProtocol(protocolsName: value) else {
                    throw InvalidArgument.badValue("ipproto", value, expected: "a protocol name (tcp, udp, ...) or a number 0..255")
                }
                rule.ipProtocol = proto
            case .sourcePort: rule.sourcePorts = try range(value, UInt16.self, for: "sport", single: true)
            case .destinationPort: rule.destinationPorts = try range(value, UInt16.self, for: "dport", single: true)
            case .tunnelID: rule.tunnelID = try Parse.unsigned(value, UInt64.self, for: "tun_id")
            case .realms: rule.realms = try RouteRequest.realms(value)
            case .nat:
                // The kernel keeps no NAT address: iproute2 sends it, and it is dropped.
                guard try Parse.address(value, for: spelling).family == .inet else {
                    throw InvalidArgument.badValue(spelling, value, expected: "an IPv4 address")
                }
                action = .nat
            }
        }
        if rule.family == .unspecified { rule.family = addresses.first?.0.family ?? .inet }
        for (address, word) in addresses where address.family != rule.family {
            throw InvalidArgument("\(word) is \(address.family.label), but the rule is \(rule.family.label)")
        }
        if rule.l3mdev, tableGiven, rule.table != .unspecified { throw InvalidArgument("\(verb): l3mdev rules take no table") }
        if change == .add {
            rule.action = action ?? .toTable
            // The last action word wins; the kernel refuses a goto target beside another
            // action ("Unexpected goto"): said before anything is sent.
            if rule.goto != nil, rule.action != .goto {
                throw InvalidArgument("\(verb): goto and type \(RouteType(rawValue: rule.action.rawValue).name) exclude each other (a rule has one action)")
            }
            if !tableGiven, !actionWord { rule.table = .main }
        } else {
            rule.action = action ?? .unspecified
        }
        return rule
    }

    /// A prefix, or nil for "all" (any source or destination).
    static func prefix(_ text: String, for keyword: String) throws(InvalidArgument) -> IPPrefix? {
        if text == "all" || text == "default" || text == "any" { return nil }
        return try Parse.anyPrefix(text, for: keyword)
    }

    /// "MARK[/MASK]", the value of `fwmark`.
    static func fwmark(_ text: String) throws(InvalidArgument) -> (mark: UInt32, mask: UInt32?) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let mark = try Parse.unsigned(String(parts[0]), UInt32.self, for: "fwmark")
        return (mark, parts.count == 2 ? try Parse.unsigned(String(parts[1]), UInt32.self, for: "fwmark mask") : nil)
    }

    /// "START-END", or a single number where `single` allows it.
    static func range<T: FixedWidthInteger & UnsignedInteger>(
        _ text: String, _: T.Type, for keyword: String, single: Bool
    ) throws(InvalidArgument) -> ClosedRange<T> {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let expected = single ? "N or N-M" : "N-M"
        guard parts.count == 2 || single, let start = T(parts[0]), let end = parts.count == 2 ? T(parts[1]) : start,
              start <= end else {
            throw .badValue(keyword, text, expected: expected)
        }
        return start...end
    }
}

/// Which rules `rule show` and `rule flush` mean (iprule_list_flush_or_save's words).
public struct RuleSelector: Sendable {
    public var priority: UInt32?
    public var invertedOnly = false
    public var tos: UInt8?
    public var fwmark: UInt32?
    public var fwmask: UInt32?
    public var inputInterface: String?
    public var outputInterface: String?
    public var table: RouteTable?
    public var source: IPPrefix?
    public var destination: IPPrefix?
    public var protocolID: RouteProtocol?
    public var l3mdev = false
    public var uidRange: ClosedRange<UInt32>?
    public var ipProtocol: IPProtocol?
    public var sourcePorts: ClosedRange<UInt16>?
    public var destinationPorts: ClosedRange<UInt16>?
    public var tunnelID: UInt64?

    public init() {}

    enum Word: Sendable {
        case not, tos, fwmark, inputInterface, outputInterface, l3mdev, uidRange, tunnelID, priority, table, from, protocolID
        case ipProtocol, sourcePort, destinationPort, to
    }

    /// iproute2's words (iprule_list_flush_or_save): the exact ones, then the
    /// abbreviable ones in its order (`tun_id` before `table`: "t" is tun_id); any
    /// other word is the destination prefix.
    static let grammar = KeywordTable<Word>([
        Keyword(.not, "not"), Keyword(.tos, "tos", "dsfield", value: "TOS"), Keyword(.fwmark, "fwmark", value: "MARK[/MASK]"),
        Keyword(.inputInterface, "dev", "iif", value: "NAME"), Keyword(.outputInterface, "oif", value: "NAME"),
        Keyword(.l3mdev, "l3mdev"), Keyword(.uidRange, "uidrange", value: "START-END"),
        Keyword(.ipProtocol, "ipproto", value: "PROTOCOL"),
        Keyword(.sourcePort, "sport", value: "{ PORT | START-END }"), Keyword(.destinationPort, "dport", value: "{ PORT | START-END }"),
        Keyword(.priority, .abbreviable("preference"), .abbreviable("order"), .abbreviable("priority"), value: "NUMBER"),
        Keyword(.tunnelID, .abbreviable("tun_id"), value: "ID"),
        Keyword(.table, .abbreviable("lookup"), .abbreviable("table"), value: "TABLE"),
        Keyword(.from, .abbreviable("from"), .abbreviable("src"), value: "PREFIX"),
        Keyword(.protocolID, .abbreviable("protocol"), value: "{ PROTOCOL | all }"),
        Keyword(.to, .abbreviable("dst"), .abbreviable("to"), value: "PREFIX"),
    ])

    public static var keywords: [String] { grammar.spellings }

    public static func parse(_ arguments: [String], verb: String) throws -> RuleSelector {
        var words = WordScanner(arguments)
        var selector = RuleSelector()
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                selector.destination = try RuleRequest.prefix(word, for: "to")
                continue
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .not: selector.invertedOnly = true
            case .tos: selector.tos = try Parse.dsfield(value, for: "tos")
            case .fwmark:
                let fwmark = try RuleRequest.fwmark(value)
                selector.fwmark = fwmark.mark
                selector.fwmask = fwmark.mask ?? selector.fwmask
            case .inputInterface: selector.inputInterface = try InterfaceName(value).value
            case .outputInterface: selector.outputInterface = try InterfaceName(value).value
            case .priority: selector.priority = try Parse.unsigned(value, UInt32.self, for: "priority")
            case .table: selector.table = try Parse.table(value)
            case .from: selector.source = try RuleRequest.prefix(value, for: "from")
            case .protocolID:
                selector.protocolID = value == "all" ? nil : try Parse.name(value, in: RouteNames.protocols, for: "protocol")
            case .to: selector.destination = try RuleRequest.prefix(value, for: "to")
            case .l3mdev: selector.l3mdev = true
            case .uidRange: selector.uidRange = try RuleRequest.range(value, UInt32.self, for: "uidrange", single: false)
            case .ipProtocol:
                guard let proto = IPProtocol(protocolsName: value) else {
                    throw InvalidArgument.badValue("ipproto", value, expected: "a protocol name (tcp, udp, ...) or a number 0..255")
                }
                selector.ipProtocol = proto
            case .sourcePort: selector.sourcePorts = try RuleRequest.range(value, UInt16.self, for: "sport", single: true)
            case .destinationPort: selector.destinationPorts = try RuleRequest.range(value, UInt16.self, for: "dport", single: true)
            case .tunnelID: selector.tunnelID = try Parse.unsigned(value, UInt64.self, for: "tun_id")
            }
        }
        return selector
    }

    /// As iproute2's filter_nlmsg.
    public func matches(_ rule: Rule) -> Bool {
        if let priority, (rule.priority ?? 0) != priority { return false }
        if invertedOnly, !rule.flags.contains(.invert) { return false }
        if let source, !Self.within(rule.source, source) { return false }
        if let destination, !Self.within(rule.destination, destination) { return false }
        if let tos, rule.tos != tos { return false }
        if let fwmark, (rule.fwmark ?? 0) != fwmark { return false }
        if let fwmask, (rule.fwmask ?? 0) != fwmask { return false }
        if let inputInterface, rule.inputInterface != inputInterface { return false }
        if let outputInterface, rule.outputInterface != outputInterface { return false }
        if let table, table != .unspecified, rule.table != table { return false }
        if let protocolID, (rule.protocolID ?? .unspecified) != protocolID { return false }
        if l3mdev, !rule.l3mdev { return false }
        if let uidRange, rule.uidRange != uidRange { return false }
        // iproute2 takes 0 (an ipproto, a port range starting at 0, a tun_id) as no filter.
        if let ipProtocol, ipProtocol.rawValue != 0, rule.ipProtocol?.rawValue ?? 0 != ipProtocol.rawValue { return false }
        if let sourcePorts, sourcePorts.lowerBound != 0, rule.sourcePorts != sourcePorts { return false }
        if let destinationPorts, destinationPorts.lowerBound != 0, rule.destinationPorts != destinationPorts { return false }
        if let tunnelID, tunnelID != 0, rule.tunnelID != tunnelID { return false }
        return true
    }

    /// A rule's prefix is selected when it lies inside the selector's.
    private static func within(_ prefix: IPPrefix?, _ selector: IPPrefix) -> Bool {
        guard let prefix, prefix.family == selector.family, prefix.length >= selector.length else { return false }
        return selector.contains(prefix.address)
    }
}
