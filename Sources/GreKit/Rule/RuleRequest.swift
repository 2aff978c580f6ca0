#if canImport(Glibc)
import Glibc
#endif

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
    }

    static let words = KeywordTable<Word>([
        ("not", .not, false), ("from", .from, false), ("to", .to, false),
        ("preference", .priority, true), ("order", .priority, true), ("priority", .priority, true),
        ("tos", .tos, false), ("dsfield", .tos, true), ("fwmark", .fwmark, false),
        ("protocol", .protocolID, true), ("table", .table, true), ("lookup", .table, false),
        ("suppress_prefixlength", .suppressPrefixLength, true), ("sup_pl", .suppressPrefixLength, false),
        ("suppress_ifgroup", .suppressGroup, true), ("sup_group", .suppressGroup, false),
        ("dev", .inputInterface, false), ("iif", .inputInterface, false), ("oif", .outputInterface, false),
        ("l3mdev", .l3mdev, false), ("uidrange", .uidRange, false), ("ipproto", .ipProtocol, false),
        ("sport", .sourcePort, false), ("dport", .destinationPort, false),
    ])

    /// Actions other than looking up a table (`[ type ] ACTION`).
    static let actions = KeywordTable<RuleAction>([
        ("nop", .nop, true), ("prohibit", .prohibit, true), ("unreachable", .unreachable, true), ("blackhole", .blackhole, true),
    ])

    public static var keywords: [String] { words.spellings + ["type", "goto"] + actions.spellings }

    public static func parse(_ arguments: [String], _ change: RuleChange, family: AddressFamily) throws -> Rule {
        let verb = "rule \(change.rawValue)"
        guard !arguments.isEmpty else { throw InvalidArgument("\(verb) needs words: a selector and an action") }
        var words = WordScanner(arguments)
        var rule = Rule(family: family)
        var addresses: [(IPAddress, String)] = []
        var action: RuleAction?
        var tableGiven = false
        while let word = words.next() {
            guard let entry = Self.words.lookup(word, in: words) else {
                let value = word == "type" ? try words.value(for: "type") : word
                if words.word(value, is: "goto") {
                    rule.goto = try Parse.unsigned(words.value(for: "goto"), UInt32.self, for: "goto")
                    action = .goto
                } else if let named = actions.lookup(value, in: words) {
                    action = named.keyword
                } else {
                    throw InvalidArgument.unknownWord(value, in: verb)
                }
                continue
            }
            switch entry.keyword {
            case .not: rule.flags.insert(.invert)
            case .from, .to:
                let value = try words.value(for: entry.spelling)
                let prefix = try Self.prefix(value, for: entry.spelling)
                if let prefix { addresses.append((prefix.address, value)) }
                if entry.keyword == .from { rule.source = prefix } else { rule.destination = prefix }
            case .priority: rule.priority = try Parse.unsigned(words.value(for: entry.spelling), UInt32.self, for: "priority")
            case .tos: rule.tos = try Parse.dsfield(words.value(for: entry.spelling), for: "tos")
            case .fwmark:
                let fwmark = try Self.fwmark(words.value(for: "fwmark"))
                rule.fwmark = fwmark.mark
                rule.fwmask = fwmark.mask ?? rule.fwmask
            case .protocolID: rule.protocolID = try Parse.name(words.value(for: "protocol"), in: RouteNames.protocols, for: "protocol")
            case .table:
                rule.table = try Parse.table(words.value(for: entry.spelling))
                tableGiven = true
            case .suppressPrefixLength:
                rule.suppressPrefixLength = Int32(try Parse.unsigned(words.value(for: entry.spelling), UInt32.self, for: entry.spelling, in: 0...UInt32(Int32.max)))
            case .suppressGroup:
                rule.suppressInterfaceGroup = Int32(try Parse.unsigned(words.value(for: entry.spelling), UInt32.self, for: entry.spelling, in: 0...UInt32(Int32.max)))
            case .inputInterface: rule.inputInterface = try InterfaceName(words.value(for: entry.spelling)).value
            case .outputInterface: rule.outputInterface = try InterfaceName(words.value(for: "oif")).value
            case .l3mdev:
                rule.l3mdev = true
                tableGiven = true
            case .uidRange: rule.uidRange = try range(words.value(for: "uidrange"), UInt32.self, for: "uidrange", single: false)
            case .ipProtocol: rule.ipProtocol = try ipProtocol(words.value(for: "ipproto"))
            case .sourcePort: rule.sourcePorts = try range(words.value(for: "sport"), UInt16.self, for: "sport", single: true)
            case .destinationPort: rule.destinationPorts = try range(words.value(for: "dport"), UInt16.self, for: "dport", single: true)
            }
        }
        if rule.family == .unspecified { rule.family = addresses.first?.0.family ?? .inet }
        for (address, word) in addresses where address.family != rule.family {
            throw InvalidArgument("\(word) is \(address.family.label), but the rule is \(rule.family.label)")
        }
        if rule.l3mdev, tableGiven, rule.table != .unspecified { throw InvalidArgument("\(verb): l3mdev rules take no table") }
        if change == .add {
            rule.action = action ?? .toTable
            if !tableGiven, action == nil { rule.table = .main }
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

    /// A protocol name from /etc/protocols ("tcp") or a number.
    static func ipProtocol(_ text: String) throws(InvalidArgument) -> UInt8 {
        if let number = UInt8(text) { return number }
        guard let entry = getprotobyname(text) else {
            throw .badValue("ipproto", text, expected: "a protocol name (tcp, udp, ...) or a number 0..255")
        }
        return UInt8(truncatingIfNeeded: entry.pointee.p_proto)
    }

    /// The name /etc/protocols gives a protocol number, or the number.
    public static func ipProtocolName(_ number: UInt8) -> String {
        guard let entry = getprotobynumber(Int32(number)), let name = entry.pointee.p_name else { return String(number) }
        return String(cString: name)
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

    public init() {}

    public static let keywords = ["preference", "priority", "not", "tos", "fwmark", "dev", "iif", "oif", "table", "lookup",
                                  "from", "protocol", "to"]

    public static func parse(_ arguments: [String], verb: String) throws -> RuleSelector {
        var words = WordScanner(arguments)
        var selector = RuleSelector()
        while let word = words.next() {
            switch word {
            case "not": selector.invertedOnly = true
            case "tos", "dsfield": selector.tos = try Parse.dsfield(words.value(for: word), for: "tos")
            case "fwmark":
                let fwmark = try RuleRequest.fwmark(words.value(for: "fwmark"))
                selector.fwmark = fwmark.mark
                selector.fwmask = fwmark.mask ?? selector.fwmask
            case "dev", "iif": selector.inputInterface = try InterfaceName(words.value(for: word)).value
            case "oif": selector.outputInterface = try InterfaceName(words.value(for: word)).value
            default:
                if words.word(word, is: "preference") || words.word(word, is: "order") || words.word(word, is: "priority") {
                    selector.priority = try Parse.unsigned(words.value(for: "priority"), UInt32.self, for: "priority")
                } else if words.word(word, is: "lookup") || words.word(word, is: "table") {
                    selector.table = try Parse.table(words.value(for: "table"))
                } else if words.word(word, is: "from") || words.word(word, is: "src") {
                    selector.source = try RuleRequest.prefix(words.value(for: "from"), for: "from")
                } else if words.word(word, is: "protocol") {
                    let value = try words.value(for: "protocol")
                    selector.protocolID = value == "all" ? nil : try Parse.name(value, in: RouteNames.protocols, for: "protocol")
                } else {
                    let value = words.word(word, is: "dst") || words.word(word, is: "to") ? try words.value(for: "to") : word
                    selector.destination = try RuleRequest.prefix(value, for: "to")
                }
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
        return true
    }

    /// A rule's prefix is selected when it lies inside the selector's.
    private static func within(_ prefix: IPPrefix?, _ selector: IPPrefix) -> Bool {
        guard let prefix, prefix.family == selector.family, prefix.length >= selector.length else { return false }
        return selector.contains(prefix.address)
    }
}
