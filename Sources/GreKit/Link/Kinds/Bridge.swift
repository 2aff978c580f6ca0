import Netlink

/// IFLA_BR_*: inside IFLA_INFO_DATA of a bridge (the ones gretool shows or sets).
public enum BridgeAttribute: UInt16, NetlinkAttributeType {
    case forwardDelay = 1, helloTime, maxAge, ageingTime, stpState, priority, vlanFiltering
}

/// Bridges: the few options a tunnel setup uses (a gretap port in a bridge).
public struct BridgeOptions: LinkKindOptions {
    public static let kinds = ["bridge"]
    public typealias Word = BridgeAttribute

    /// Each word is also the key shown in JSON. iproute2 (iplink_bridge.c) takes
    /// each again, the later winning.
    public static let grammar = KeywordTable<Word>([
        Keyword(.forwardDelay, "forward_delay", value: "DELAY"), Keyword(.helloTime, "hello_time", value: "TIME"),
        Keyword(.maxAge, "max_age", value: "AGE"), Keyword(.ageingTime, "ageing_time", value: "TIME"),
        Keyword(.stpState, "stp_state", value: "{ 0 | 1 }"), Keyword(.priority, "priority", value: "PRIORITY"),
        Keyword(.vlanFiltering, "vlan_filtering", value: "{ 0 | 1 }"),
    ])

    public let kind: String
    /// Values the kernel reported, shown under -d.
    var reported: [BridgeAttribute: UInt32] = [:]
    /// Values the command sets; only these are sent, since the bridge changes
    /// just the attributes a request carries.
    var requested: [BridgeAttribute: UInt32] = [:]

    public init(kind: String) { self.kind = kind }
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) {
        self.kind = kind
        for attribute in data?.nested(BridgeAttribute.self) ?? .empty {
            guard let key = attribute.key else { continue }
            switch key {
            case .stpState, .forwardDelay, .helloTime, .maxAge, .ageingTime: reported[key] = attribute.u32
            case .priority: reported[key] = UInt32(attribute.u16)
            case .vlanFiltering: reported[key] = UInt32(attribute.u8)
            }
        }
    }

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        let word = entry.spelling
        switch entry.keyword {
        case .priority: requested[.priority] = UInt32(try Parse.unsigned(text, UInt16.self, for: word))
        case .vlanFiltering, .stpState: requested[entry.keyword] = UInt32(try Parse.unsigned(text, UInt8.self, for: word, in: 0...1))
        default: requested[entry.keyword] = try Parse.unsigned(text, UInt32.self, for: word)
        }
    }

    public mutating func finish() throws(InvalidArgument) {}

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        guard !requested.isEmpty else { return }
        try info.nest(.data, BridgeAttribute.self) { data in
            for attribute in Self.grammar.rows.map(\.word) {
                guard let value = requested[attribute] else { continue }
                switch attribute {
                case .priority: try data.put(attribute, UInt16(value))
                case .vlanFiltering: try data.put(attribute, UInt8(value))
                default: try data.put(attribute, value)
                }
            }
        }
    }

    public func describe(_ devices: any InterfaceResolver) -> [Field] {
        Self.grammar.entries.compactMap { entry in
            reported[entry.keyword].map { Field.unsigned(entry.spelling, $0) }
        }
    }

    /// A new bridge's values, as the kernel sets them (br_dev_setup, br_stp_timer_init):
    /// times in hundredths of a second.
    static let defaults: [BridgeAttribute: UInt32] = [
        .forwardDelay: 1500, .helloTime: 200, .maxAge: 2000, .ageingTime: 30000,
        .stpState: 0, .priority: 32768, .vlanFiltering: 0,
    ]

    /// The values asked for or reported that differ from a new bridge's.
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] {
        Self.grammar.entries.compactMap { entry in
            guard let value = requested[entry.keyword] ?? reported[entry.keyword], value != Self.defaults[entry.keyword] else { return nil }
            return .word(entry.spelling, String(value))
        }
    }

    public static func settingWords(kind: String) -> [KindSettingWords] {
        grammar.entries.map { entry in
            KindSettingWords(entry.spelling, word: entry.spelling, reset: [entry.spelling, String(defaults[entry.keyword]!)])
        }
    }
}
