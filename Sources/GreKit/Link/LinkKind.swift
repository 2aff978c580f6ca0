import Netlink

/// What the data (IFLA_INFO_DATA) of a link kind says, as iproute2's `print_opt` shows
/// it under `-d`: every kind gretool decodes. The kinds it also makes and changes are
/// `LinkKindOptions`; the others (`LinkKinds.shownOnly`) it only shows.
public protocol LinkKindDescription: Sendable {
    /// The IFLA_INFO_KIND values this module serves.
    static var kinds: [String] { get }

    /// The link's data, from its IFLA_INFO_DATA (nil when absent).
    init(kind: String, data: Attribute<LinkInfoAttribute>?)

    /// The data as iproute2 shows it under `-d` (numbers it names, as `naming` says).
    func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field]

    /// Whether iproute2 has a printer for the kind's data (a `print_opt`): `-d -j`
    /// shows an `info_data` object (empty or not) only for kinds that have one.
    static var describesData: Bool { get }
}

extension LinkKindDescription {
    public static var describesData: Bool { true }
}

/// The options of one link kind: iproute2's `link_util`. A module owns both
/// directions for its kinds: words -> options -> IFLA_INFO_DATA, and
/// IFLA_INFO_DATA -> options -> fields. Its words are rows of one `KeywordTable`
/// (`grammar`), from which parsing, completion and usage text come; adding an
/// option touches its module only.
public protocol LinkKindOptions: LinkKindDescription {
    /// The grammar's words: an enum of the module's own.
    associatedtype Word: Sendable

    /// The option words, one row each, in iproute2's order.
    static var grammar: KeywordTable<Word> { get }

    /// The options a new link of `kind` starts from.
    init(kind: String)

    var kind: String { get }
    /// The address family the link's own addresses are of (a GRE tunnel's
    /// endpoints), when its words depend on it: rows of the other family are then
    /// refused. Nil for kinds whose words do not.
    var wordFamily: AddressFamily? { get }

    /// Applies one option word and the values after it. Returns false when the
    /// word is not one of this kind's, so the caller can report or reinterpret it.
    /// A kind whose grammar is rows alone has this from the protocol; one with
    /// words that are no keyword (veth's peer name) writes its own.
    mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool

    /// Sets what one keyword of `grammar` says, its value already read (and the
    /// keyword checked to be one of this link's family, and no refused repeat).
    mutating func set(_ entry: KeywordTable<Word>.Entry, _ value: String, _ devices: any InterfaceResolver) throws

    /// Refuses contradictory combinations once every word has been applied, and
    /// fills in what follows from them.
    mutating func finish() throws(InvalidArgument)

    /// Writes the kind's data (IFLA_INFO_DATA) into IFLA_LINKINFO.
    func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws

    /// What differs from a new link's options, as `apply` compares, shows and writes
    /// it: one setting per option, in the order words give them.
    func settings(_ devices: any InterfaceResolver) -> [KindSetting]

    /// How each setting of a `kind` link is written in words, and put back.
    static func settingWords(kind: String) -> [KindSettingWords]

    /// The settings no two links of this kind may share in one namespace, because the
    /// kernel refuses the second (a GRE tunnel's endpoints and key, a VXLAN device's
    /// VNI and port); nil for kinds whose links may all be alike. Apply deletes a link
    /// that holds them before it makes the one that needs them.
    func exclusiveSettings(_ devices: any InterfaceResolver) -> [KindSetting]?

    /// Takes what the link's own attributes say about its options (a veth's peer is
    /// the link IFLA_LINK names). Called once the link is decoded.
    mutating func decoded(parent: Int32?)

    /// The rows of `grammar` (by their names) that `apply` refuses because no setting
    /// keeps what they say: an action rather than a state (a bridge's `fdb_flush`), or a
    /// value the kernel reports otherwise than it was given. Read once, they would
    /// make the link and never be compared again.
    static var unmanagedWords: Set<String> { get }
}

extension LinkKindOptions {
    public mutating func decoded(parent: Int32?) {}
    public static var unmanagedWords: Set<String> { [] }

    /// The name of the grammar row `word` names, as a scanner at that word reads it.
    public static func rowName(of word: String, in words: WordScanner) -> String? {
        grammar.lookup(word, in: words).map { grammar.name(of: $0) }
    }
    public func exclusiveSettings(_ devices: any InterfaceResolver) -> [KindSetting]? { nil }
}

/// One option of a link kind as `apply` sees it: iproute2's key for it (the name
/// `ip -d -j link show` gives it, where it has one) and its value, written as the
/// word after the keyword writes it ("255", "198.51.100.2", "inherit"), or whether
/// a flag is on.
public struct KindSetting: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case word(String)
        case flag(Bool)
    }

    public let key: String
    public let value: Value

    public init(_ key: String, _ value: Value) {
        self.key = key
        self.value = value
    }

    public static func word(_ key: String, _ value: String) -> KindSetting { KindSetting(key, .word(value)) }
    public static func flag(_ key: String, _ on: Bool = true) -> KindSetting { KindSetting(key, .flag(on)) }
}

/// How one setting is written in the kind's own words.
public struct KindSettingWords: Sendable {
    public let key: String
    /// The keyword: followed by the value, or alone for a flag that is on.
    public let word: String
    /// The word that turns a flag off; nil for a setting with a value.
    public let off: String?
    /// A word between the keyword and the value: a veth's `peer name NAME`, without
    /// which a peer named like a link's keyword (`link`, `mtu`) would be read as it.
    public let beforeValue: String?
    /// How many words the value is, written with a blank between them (a VXLAN
    /// device's `srcport LOW HIGH`).
    public let valueWords: Int
    /// The words that put the setting back as a new link has it; nil when words
    /// cannot (a veth's peer, a VXLAN id, `external`): then the link is made again.
    public let reset: [String]?

    public init(_ key: String, word: String, off: String? = nil, beforeValue: String? = nil, valueWords: Int = 1, reset: [String]?) {
        self.key = key
        self.word = word
        self.off = off
        self.beforeValue = beforeValue
        self.valueWords = valueWords
        self.reset = reset
    }

    /// The words that give `value` to the setting.
    public func words(_ value: KindSetting.Value) -> [String]? {
        switch value {
        case .word(let text):
            [word] + (beforeValue.map { [$0] } ?? []) + (valueWords == 1 ? [text] : text.split(separator: " ").map(String.init))
        case .flag(true): [word]
        case .flag(false): off.map { [$0] }
        }
    }
}

extension LinkKindOptions {
    public var wordFamily: AddressFamily? { nil }

    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        guard let entry = try words.keyword(word, in: Self.grammar) else { return false }
        try apply(entry, words.value(of: entry), devices)
        return true
    }

    /// Sets what a keyword of `grammar` says, unless it belongs to the other address
    /// family's links.
    public mutating func apply(_ entry: KeywordTable<Word>.Entry, _ value: String, _ devices: any InterfaceResolver) throws {
        if let family = wordFamily, let only = entry.family, only != family {
            throw InvalidArgument("\"\(entry.spelling)\" is not an option of \(kind) links")
        }
        try set(entry, value, devices)
    }

    /// The option words, for help and shell completion.
    public static var keywords: [String] { grammar.spellings }

    /// Usage text for `gretool link help TYPE`: the rows that links of `kind` take.
    public static func usage(kind: String) -> String {
        let family = Self(kind: kind).wordFamily
        let words = grammar.usage(family: family, indent: "    ")
        return words.isEmpty ? "Usage: ... \(kind)" : "Usage: ... \(kind)\n" + words
    }
}

/// The registry of link kinds, looked up by the word after `type`.
public enum LinkKinds {
    public static let modules: [any LinkKindOptions.Type] = [
        GreOptions.self, VethOptions.self, BridgeOptions.self, VxlanOptions.self, DummyOptions.self,
    ]

    public static func module(for kind: String) -> (any LinkKindOptions.Type)? {
        modules.first { $0.kinds.contains(kind) }
    }

    public static var allKinds: [String] { modules.flatMap { $0.kinds } }

    /// Options of a new link of `kind`, or an error listing the kinds gretool knows.
    public static func newOptions(kind: String) throws(InvalidArgument) -> any LinkKindOptions {
        guard let module = module(for: kind) else {
            throw InvalidArgument("unknown link type \"\(kind)\"; known types: \(allKinds.joined(separator: ", "))")
        }
        return module.init(kind: kind)
    }

    /// The kinds gretool shows (`-d`) but does not make: those of the fallback devices
    /// the GRE modules bring with them (erspan0, ip6tnl0).
    public static let shownOnly: [any LinkKindDescription.Type] = [ErspanDescription.self, IPv6TunnelDescription.self]

    /// Options of an existing link decoded from its IFLA_LINKINFO, when gretool knows the kind.
    static func decode(kind: String, data: Attribute<LinkInfoAttribute>?) -> (any LinkKindOptions)? {
        module(for: kind)?.init(kind: kind, data: data)
    }

    /// The data of a link of a kind gretool shows only, decoded from its IFLA_LINKINFO.
    static func describe(kind: String, data: Attribute<LinkInfoAttribute>?) -> (any LinkKindDescription)? {
        shownOnly.first { $0.kinds.contains(kind) }?.init(kind: kind, data: data)
    }
}
