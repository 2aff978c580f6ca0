/// Which links a listing means beyond their name and state: iproute2's link filters
/// (ipaddr_list_flush_or_save), which `link show` and `address show` share.
public struct LinkFilter: Sendable {
    /// `group GROUP`.
    public var group: UInt32?
    /// `master DEVICE`: the ports of that device (its index once `resolve`d).
    public var master: String?
    private var masterIndex: Int32?
    /// `nomaster`: links without a master.
    public var noMaster = false
    /// `type KIND`.
    public var kind: String?
    /// `type KIND_slave`: the ports of a KIND master.
    public var portKind: String?

    public init() {}

    enum Word: Sendable { case group, master, noMaster, type }

    /// iproute2's words for these filters.
    static let grammar = KeywordTable<Word>([
        Keyword(.group, "group", value: "GROUP"), Keyword(.master, "master", value: "DEVICE"), Keyword(.noMaster, "nomaster"),
        Keyword(.type, "type", value: "TYPE"),
    ])

    public static var keywords: [String] { grammar.spellings }

    public var isEmpty: Bool { group == nil && master == nil && !noMaster && kind == nil && portKind == nil }

    /// Takes `word` (and its value) when it is one of the filters' words; false otherwise.
    public mutating func apply(_ word: String, _ words: inout WordScanner) throws -> Bool {
        guard let entry = try words.keyword(word, in: Self.grammar) else { return false }
        let value = try words.value(of: entry)
        switch entry.keyword {
        case .group: group = try Parse.group(value, for: "group")
        case .master: master = try InterfaceName(value).value; noMaster = false
        case .noMaster: noMaster = true; master = nil
        case .type:
            if value.hasSuffix("_slave") { portKind = String(value.dropLast("_slave".count)) } else { kind = value }
        }
        return true
    }

    /// Looks the master up: it must exist, as iproute2 requires.
    public mutating func resolve(_ devices: any InterfaceResolver) throws {
        masterIndex = try master.map { try devices.index(of: $0) }
    }

    /// Whether the link passes, as iproute2 filters: a link the kernel reports without
    /// a group (its IPv6 dump) is in any.
    public func matches(_ link: Link) -> Bool {
        if let group, let linkGroup = link.group, linkGroup != group { return false }
        if let masterIndex, link.master != masterIndex { return false }
        if noMaster, link.master != nil { return false }
        if let kind, link.kind != kind { return false }
        if let portKind, link.portKind != portKind { return false }
        return true
    }
}
