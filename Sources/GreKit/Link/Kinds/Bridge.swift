import Netlink

/// IFLA_BR_*: inside IFLA_INFO_DATA of a bridge (the ones gretool shows or sets).
enum BridgeAttribute: UInt16, NetlinkAttributeType {
    case forwardDelay = 1, helloTime, maxAge, ageingTime, stpState, priority, vlanFiltering
}

/// Bridges: the few options a tunnel setup uses (a gretap port in a bridge).
public struct BridgeOptions: LinkKindOptions {
    public static let kinds = ["bridge"]
    /// Each word is also the key shown in JSON.
    static let settable: [(word: String, attribute: BridgeAttribute)] = [
        ("forward_delay", .forwardDelay), ("hello_time", .helloTime), ("max_age", .maxAge), ("ageing_time", .ageingTime),
        ("stp_state", .stpState), ("priority", .priority), ("vlan_filtering", .vlanFiltering),
    ]
    public static let keywords = settable.map(\.word)
    public static func usage(kind: String) -> String {
        "Usage: ... bridge [ " + keywords.map { "\($0) N" }.joined(separator: " ] [ ") + " ]"
    }

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

    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        guard let entry = Self.settable.first(where: { $0.word == word }) else { return false }
        let text = try words.value(for: word)
        switch entry.attribute {
        case .priority: requested[.priority] = UInt32(try Parse.unsigned(text, UInt16.self, for: word))
        case .vlanFiltering, .stpState: requested[entry.attribute] = UInt32(try Parse.unsigned(text, UInt8.self, for: word, in: 0...1))
        default: requested[entry.attribute] = try Parse.unsigned(text, UInt32.self, for: word)
        }
        return true
    }

    public mutating func finish() throws(InvalidArgument) {}

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        guard !requested.isEmpty else { return }
        try info.nest(.data, BridgeAttribute.self) { data in
            for attribute in Self.settable.map(\.attribute) {
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
        Self.settable.compactMap { entry in
            reported[entry.attribute].map { Field.unsigned(entry.word, $0) }
        }
    }
}
