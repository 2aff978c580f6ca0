import Netlink

/// IFLA_VXLAN_*: inside IFLA_INFO_DATA of a vxlan link (the ones gretool uses).
enum VxlanAttribute: UInt16, NetlinkAttributeType {
    case id = 1, group, link, local, ttl, tos, learning
    case port = 15, group6, local6
}

/// VXLAN links, for test topologies and display: id, remote/group, local, dev, dstport, ttl, tos, learning.
public struct VxlanOptions: LinkKindOptions {
    public static let kinds = ["vxlan"]

    public enum Word: Sendable { case id, remote, local, device, port, ttl, tos, learning }

    /// iproute2's vxlan words that gretool takes (iplink_vxlan.c), which refuses
    /// each of them twice (`check_duparg`, per attribute: `learning` and
    /// `nolearning` set one). gretool keeps them unabbreviated.
    public static let grammar = KeywordTable<Word>([
        Keyword(.id, "id", "vni", value: "VNI", repeatable: false),
        Keyword(.remote, "remote", "group", value: "ADDR", repeatable: false),
        Keyword(.local, "local", value: "ADDR", repeatable: false),
        Keyword(.device, "dev", value: "PHYS_DEV", repeatable: false),
        Keyword(.port, "dstport", value: "PORT", repeatable: false),
        Keyword(.ttl, "ttl", value: "{ 1..255 | auto | inherit }", repeatable: false),
        Keyword(.tos, "tos", value: "{ HEX | inherit }", repeatable: false),
        Keyword(.learning, "learning", "nolearning", repeatable: false),
    ])

    public let kind: String
    public var vni: UInt32?
    public var remote: IPAddress?
    public var local: IPAddress?
    public var underlay: Int32 = 0
    public var port: UInt16?
    public var ttl: UInt8?
    public var tos: UInt8?
    public var learning: Bool?
    /// Read from the kernel (a change starts from the link's options): only the words
    /// given are sent. vxlan's changelink keeps what a request leaves out, and refuses
    /// some attributes whatever their value ("Cannot change port"), as ip never sends.
    private var current = false
    /// The words given, for a change.
    private var given: Set<Word> = []

    public init(kind: String) { self.kind = kind }
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) {
        self.kind = kind
        current = true
        for attribute in data?.nested(VxlanAttribute.self) ?? .empty {
            switch attribute.key {
            case .id?: vni = attribute.u32
            case .group?, .group6?: remote = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .local?, .local6?: local = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .link?: underlay = Int32(bitPattern: attribute.u32)
            case .port?: port = attribute.be16
            case .ttl?: ttl = attribute.u8
            case .tos?: tos = attribute.u8
            case .learning?: learning = attribute.u8 != 0
            case nil: break
            }
        }
    }

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        let word = entry.spelling
        given.insert(entry.keyword)
        switch entry.keyword {
        case .id: vni = try Parse.unsigned(text, UInt32.self, for: word, in: 0...0xFF_FFFF)
        case .remote: remote = try Parse.address(text, for: word)
        case .local: local = try Parse.address(text, for: word)
        case .device: underlay = try devices.index(of: text)
        case .port: port = try Parse.unsigned(text, UInt16.self, for: word)
        case .ttl: ttl = text == "auto" || text == "inherit" ? 0 : try Parse.unsigned(text, UInt8.self, for: word)
        case .tos:
            // As iproute2: inherit, or hexadecimal with or without 0x.
            guard let value = text == "inherit" ? 1 : Parse.parseDSField(text) else {
                throw InvalidArgument.badValue(word, text, expected: "a hexadecimal value 0..ff or inherit")
            }
            tos = value
        case .learning: learning = word == "learning"
        }
    }

    public mutating func finish() throws(InvalidArgument) {
        guard vni != nil else { throw InvalidArgument("vxlan links need an \"id VNI\"") }
    }

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        func sends(_ word: Word) -> Bool { !current || given.contains(word) }
        try info.nest(.data, VxlanAttribute.self) { data in
            if let vni, sends(.id) { try data.put(.id, vni) }
            if let remote, sends(.remote) { try data.put(remote.family == .inet6 ? .group6 : .group, remote) }
            if let local, sends(.local) { try data.put(local.family == .inet6 ? .local6 : .local, local) }
            if underlay != 0, sends(.device) { try data.put(.link, UInt32(bitPattern: underlay)) }
            if let port, sends(.port) { try data.put(.port, BigEndian(port)) }
            if let ttl, sends(.ttl) { try data.put(.ttl, ttl) }
            if let tos, sends(.tos) { try data.put(.tos, tos) }
            if let learning, sends(.learning) { try data.put(.learning, UInt8(learning ? 1 : 0)) }
        }
    }

    public func describe(_ devices: any InterfaceResolver) -> [Field] {
        var fields: [Field] = []
        if let vni { fields.append(.unsigned("id", vni)) }
        if let remote { fields.append(.string(remote.isMulticast ? "group" : "remote", remote.description)) }
        if let local { fields.append(.string("local", local.description)) }
        if underlay != 0 { fields.append(.string("link", devices.displayName(of: underlay), label: "dev")) }
        if let port { fields.append(.unsigned("port", port, label: "dstport")) }
        if let ttl { fields.append(Field("ttl", .unsigned(UInt64(ttl)), text: ttl == 0 ? "ttl auto" : "ttl \(ttl)")) }
        if let learning { fields.append(Field("learning", .bool(learning), text: learning ? "learning" : "nolearning")) }
        return fields
    }

    /// Linux's values for what a new VXLAN device is not given (vxlan_setup,
    /// vxlan_nl2conf): port 8472, ttl 0, tos 0, learning on.
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] {
        var settings: [KindSetting] = []
        if let vni { settings.append(.word("id", String(vni))) }
        if let remote { settings.append(.word(remote.isMulticast ? "group" : "remote", remote.description)) }
        if let local { settings.append(.word("local", local.description)) }
        if underlay != 0 { settings.append(.word("link", devices.displayName(of: underlay))) }
        if let port, port != 8472 { settings.append(.word("port", String(port))) }
        if let ttl, ttl != 0 { settings.append(.word("ttl", String(ttl))) }
        if let tos, tos != 0 { settings.append(.word("tos", tos == 1 ? "inherit" : hexadecimal(tos))) }
        if learning == false { settings.append(.flag("learning", false)) }
        return settings
    }

    /// The kernel takes one device per VNI and UDP port (vxlan_vni_in_use; it tells
    /// some apart by their flags too, which this leaves out: apply then only deletes an
    /// old device sooner than it had to).
    public func exclusiveSettings(_ devices: any InterfaceResolver) -> [KindSetting]? {
        [.word("id", vni.map { String($0) } ?? "none"), .word("port", String(port ?? 8472))]
    }

    /// The kernel changes almost nothing of a VXLAN device in place: another setting
    /// makes the device again.
    public static func settingWords(kind: String) -> [KindSettingWords] {
        [
            KindSettingWords("id", word: "id", reset: nil), KindSettingWords("remote", word: "remote", reset: nil),
            KindSettingWords("group", word: "group", reset: nil), KindSettingWords("local", word: "local", reset: nil),
            KindSettingWords("link", word: "dev", reset: nil), KindSettingWords("port", word: "dstport", reset: nil),
            KindSettingWords("ttl", word: "ttl", reset: nil), KindSettingWords("tos", word: "tos", reset: nil),
            KindSettingWords("learning", word: "learning", off: "nolearning", reset: nil),
        ]
    }
}