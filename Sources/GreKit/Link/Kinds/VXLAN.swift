import CMnl
import Netlink

/// IFLA_VXLAN_*: inside IFLA_INFO_DATA of a vxlan link.
enum VxlanAttribute: UInt16, NetlinkAttributeType {
    case id = 1, group, link, local, ttl, tos, learning, ageing, limit, portRange, proxy, rsc, l2miss, l3miss
    case port, group6, local6, udpChecksum, udpZeroChecksum6Transmit, udpZeroChecksum6Receive
    case remoteChecksumTransmit, remoteChecksumReceive, groupPolicy, remoteChecksumNoPartial, collectMetadata, label
    case genericProtocolExtension, ttlInherit, dontFragment, vniFilter
}

/// VXLAN links: `type vxlan` and iproute2's words for it (iplink_vxlan.c).
public struct VxlanOptions: LinkKindOptions {
    public static let kinds = ["vxlan"]

    public enum Word: Sendable {
        case id, remote, local, device, ttl, tos, dontFragment, flowLabel, ageing, maxAddresses, sourcePorts, port
        case learning, proxy, rsc, l2miss, l3miss, udpChecksum, udpZeroChecksum6Transmit, udpZeroChecksum6Receive
        case remoteChecksumTransmit, remoteChecksumReceive, external, groupPolicy, genericProtocolExtension, vniFilter
    }

    /// iproute2's vxlan words, which it refuses twice (`check_duparg`, per attribute:
    /// `learning` and `nolearning` set one). gretool keeps them unabbreviated.
    public static let grammar = KeywordTable<Word>([
        Keyword(.id, "id", "vni", value: "VNI", repeatable: false),
        Keyword(.remote, "remote", "group", value: "ADDR", repeatable: false),
        Keyword(.local, "local", value: "ADDR", repeatable: false),
        Keyword(.device, "dev", value: "PHYS_DEV", repeatable: false),
        Keyword(.ttl, "ttl", "hoplimit", value: "{ 1..255 | auto | inherit }", repeatable: false),
        Keyword(.tos, "tos", "dsfield", value: "{ HEX | inherit }", repeatable: false),
        Keyword(.dontFragment, "df", value: "{ unset | set | inherit }", repeatable: false),
        Keyword(.flowLabel, "flowlabel", "label", value: "LABEL", repeatable: false),
        Keyword(.ageing, "ageing", value: "{ SECONDS | none }", repeatable: false),
        Keyword(.maxAddresses, "maxaddress", value: "{ NUMBER | unlimited }", repeatable: false),
        Keyword(.sourcePorts, "srcport", "port", value: "MIN MAX", repeatable: false),
        Keyword(.port, "dstport", value: "PORT", repeatable: false),
        Keyword(.learning, "learning", "nolearning", repeatable: false),
        Keyword(.proxy, "proxy", "noproxy", repeatable: false),
        Keyword(.rsc, "rsc", "norsc", repeatable: false),
        Keyword(.l2miss, "l2miss", "nol2miss", repeatable: false),
        Keyword(.l3miss, "l3miss", "nol3miss", repeatable: false),
        Keyword(.udpChecksum, "udpcsum", "noudpcsum", repeatable: false),
        Keyword(.udpZeroChecksum6Transmit, "udp6zerocsumtx", "noudp6zerocsumtx", repeatable: false),
        Keyword(.udpZeroChecksum6Receive, "udp6zerocsumrx", "noudp6zerocsumrx", repeatable: false),
        Keyword(.remoteChecksumTransmit, "remcsumtx", "noremcsumtx", repeatable: false),
        Keyword(.remoteChecksumReceive, "remcsumrx", "noremcsumrx", repeatable: false),
        Keyword(.external, "external", "noexternal", repeatable: false),
        Keyword(.groupPolicy, "gbp", repeatable: false),
        Keyword(.genericProtocolExtension, "gpe", repeatable: false),
        Keyword(.vniFilter, "vnifilter", "novnifilter", repeatable: false),
    ])

    public let kind: String
    public var vni: UInt32?
    public var remote: IPAddress?
    public var local: IPAddress?
    public var underlay: Int32 = 0
    public var port: UInt16?
    public var ttl: UInt8?
    /// IFLA_VXLAN_TTL_INHERIT: the inner packet's TTL (`ttl inherit`).
    var ttlInherit: Bool?
    public var tos: UInt8?
    public var learning: Bool?
    var dontFragment: UInt8?
    var flowLabel: UInt32?
    /// Seconds an FDB entry lives; 0: for ever.
    var ageing: UInt32?
    /// The most FDB entries; 0: no limit.
    var maxAddresses: UInt32?
    /// IFLA_VXLAN_PORT_RANGE: the UDP source ports, lowest and highest.
    var sourcePorts: (low: UInt16, high: UInt16)?
    var proxy, rsc, l2miss, l3miss: Bool?
    var udpChecksum, udpZeroChecksum6Transmit, udpZeroChecksum6Receive: Bool?
    var remoteChecksumTransmit, remoteChecksumReceive: Bool?
    /// IFLA_VXLAN_COLLECT_METADATA (`external`).
    var external: Bool?
    /// Flags the kernel takes by their presence.
    var groupPolicy, genericProtocolExtension: Bool?
    var vniFilter: Bool?
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
            let on = attribute.u8 != 0
            switch attribute.key {
            case .id?: vni = attribute.u32
            case .group?, .group6?: remote = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .local?, .local6?: local = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .link?: underlay = Int32(bitPattern: attribute.u32)
            case .port?: port = attribute.be16
            case .ttl?: ttl = attribute.u8
            // A flag as iproute2 sends it, a u8 as the kernel reports it.
            case .ttlInherit?: ttlInherit = attribute.payload.isEmpty || on
            case .tos?: tos = attribute.u8
            case .learning?: learning = on
            case .dontFragment?: dontFragment = attribute.u8
            case .label?: flowLabel = attribute.be32
            case .ageing?: ageing = attribute.u32
            case .limit?: maxAddresses = attribute.u32
            case .portRange?:
                if let range = attribute.load(ifla_vxlan_port_range.self) {
                    sourcePorts = (UInt16(bigEndian: range.low), UInt16(bigEndian: range.high))
                }
            case .proxy?: proxy = on
            case .rsc?: rsc = on
            case .l2miss?: l2miss = on
            case .l3miss?: l3miss = on
            case .udpChecksum?: udpChecksum = on
            case .udpZeroChecksum6Transmit?: udpZeroChecksum6Transmit = on
            case .udpZeroChecksum6Receive?: udpZeroChecksum6Receive = on
            case .remoteChecksumTransmit?: remoteChecksumTransmit = on
            case .remoteChecksumReceive?: remoteChecksumReceive = on
            case .collectMetadata?: external = on
            case .groupPolicy?: groupPolicy = true
            case .genericProtocolExtension?: genericProtocolExtension = true
            case .vniFilter?: vniFilter = on
            case .remoteChecksumNoPartial?, nil: break
            }
        }
    }

    /// Reads a word's values: `srcport` takes two.
    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        guard let entry = try words.keyword(word, in: Self.grammar) else { return false }
        let value = try words.value(of: entry)
        if entry.keyword == .sourcePorts {
            let high = try words.value(for: entry.spelling)
            sourcePorts = (try Parse.unsigned(value, UInt16.self, for: "\(entry.spelling) (lowest)"),
                           try Parse.unsigned(high, UInt16.self, for: "\(entry.spelling) (highest)"))
            given.insert(.sourcePorts)
            return true
        }
        try apply(entry, value, devices)
        return true
    }

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        let word = entry.spelling
        // The spelling that turns a flag off starts with "no".
        let on = !word.hasPrefix("no")
        given.insert(entry.keyword)
        switch entry.keyword {
        case .id: vni = try Parse.unsigned(text, UInt32.self, for: word, in: 0...0xFF_FFFF)
        case .remote:
            let address = try Parse.address(text, for: word)
            // As iproute2: a group is a multicast address, a remote one that is not.
            guard address.isMulticast == (word == "group") else {
                throw InvalidArgument.badValue(word, text, expected: word == "group" ? "a multicast address" : "a unicast address")
            }
            remote = address
        case .local: local = try Parse.address(text, for: word)
        case .device: underlay = try devices.index(of: text)
        case .port: port = try Parse.unsigned(text, UInt16.self, for: word)
        case .ttl:
            ttlInherit = text == "inherit" ? true : nil
            ttl = text == "inherit" ? nil : text == "auto" ? 0 : try Parse.unsigned(text, UInt8.self, for: word)
        case .tos:
            // As iproute2: inherit, or hexadecimal with or without 0x.
            guard let value = text == "inherit" ? 1 : Parse.parseDSField(text) else {
                throw InvalidArgument.badValue(word, text, expected: "a hexadecimal value 0..ff or inherit")
            }
            tos = value
        case .dontFragment:
            guard let value = VxlanDontFragment.names.first(where: { $0.value == text })?.key else {
                throw InvalidArgument.badValue(word, text, expected: "unset, set or inherit")
            }
            dontFragment = value
        case .flowLabel: flowLabel = try Parse.unsigned(text, UInt32.self, for: word, in: 0...0xF_FFFF)
        case .ageing: ageing = text == "none" ? 0 : try Parse.unsigned(text, UInt32.self, for: word)
        case .maxAddresses: maxAddresses = text == "unlimited" ? 0 : try Parse.unsigned(text, UInt32.self, for: word)
        case .sourcePorts: preconditionFailure("apply reads srcport's two values itself")
        case .learning: learning = on
        case .proxy: proxy = on
        case .rsc: rsc = on
        case .l2miss: l2miss = on
        case .l3miss: l3miss = on
        case .udpChecksum: udpChecksum = on
        case .udpZeroChecksum6Transmit: udpZeroChecksum6Transmit = on
        case .udpZeroChecksum6Receive: udpZeroChecksum6Receive = on
        case .remoteChecksumTransmit: remoteChecksumTransmit = on
        case .remoteChecksumReceive: remoteChecksumReceive = on
        case .external:
            external = on
            // iproute2 turns learning off with external.
            if on { learning = false }
        case .groupPolicy: groupPolicy = true
        case .genericProtocolExtension: genericProtocolExtension = true
        case .vniFilter: vniFilter = on
        }
    }

    /// iproute2's rules once every word is read (vxlan_parse_opt).
    public mutating func finish() throws(InvalidArgument) {
        if vniFilter == true, external != true { throw InvalidArgument("vxlan: \"vnifilter\" needs \"external\"") }
        if external == true, given.contains(.id) { throw InvalidArgument("vxlan: \"external\" and \"id\" cannot both be given") }
        if !current, vni == nil, external != true { throw InvalidArgument("vxlan links need an \"id VNI\" (or \"external\")") }
        if given.contains(.remote), remote?.isMulticast == true, underlay == 0 {
            throw InvalidArgument("vxlan: \"group\" needs \"dev\"")
        }
        // GPE's own port, unless one is given.
        if genericProtocolExtension == true, !given.contains(.port) {
            port = 4790
            given.insert(.port)
        }
    }

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        func sends(_ word: Word) -> Bool { !current || given.contains(word) }
        try info.nest(.data, VxlanAttribute.self) { data in
            func flag(_ attribute: VxlanAttribute, _ on: Bool?, _ word: Word) throws {
                if let on, sends(word) { try data.put(attribute, UInt8(on ? 1 : 0)) }
            }
            if let vni, sends(.id) { try data.put(.id, vni) }
            if let remote, sends(.remote) { try data.put(remote.family == .inet6 ? .group6 : .group, remote) }
            if let local, sends(.local) { try data.put(local.family == .inet6 ? .local6 : .local, local) }
            if underlay != 0, sends(.device) { try data.put(.link, UInt32(bitPattern: underlay)) }
            if let port, port != 0, sends(.port) { try data.put(.port, BigEndian(port)) }
            if ttlInherit == true, sends(.ttl) { try data.flag(.ttlInherit) } else if let ttl, sends(.ttl) { try data.put(.ttl, ttl) }
            if let tos, sends(.tos) { try data.put(.tos, tos) }
            if let dontFragment, sends(.dontFragment) { try data.put(.dontFragment, dontFragment) }
            if let flowLabel, sends(.flowLabel) { try data.put(.label, BigEndian(flowLabel)) }
            if let ageing, sends(.ageing) { try data.put(.ageing, ageing) }
            if let maxAddresses, sends(.maxAddresses) { try data.put(.limit, maxAddresses) }
            if let sourcePorts, sourcePorts.low != 0 || sourcePorts.high != 0, sends(.sourcePorts) {
                var range = ifla_vxlan_port_range()
                range.low = sourcePorts.low.bigEndian
                range.high = sourcePorts.high.bigEndian
                try data.put(.portRange, Packed(range))
            }
            try flag(.learning, learning, .learning)
            try flag(.proxy, proxy, .proxy)
            try flag(.rsc, rsc, .rsc)
            try flag(.l2miss, l2miss, .l2miss)
            try flag(.l3miss, l3miss, .l3miss)
            try flag(.udpChecksum, udpChecksum, .udpChecksum)
            try flag(.udpZeroChecksum6Transmit, udpZeroChecksum6Transmit, .udpZeroChecksum6Transmit)
            try flag(.udpZeroChecksum6Receive, udpZeroChecksum6Receive, .udpZeroChecksum6Receive)
            try flag(.remoteChecksumTransmit, remoteChecksumTransmit, .remoteChecksumTransmit)
            try flag(.remoteChecksumReceive, remoteChecksumReceive, .remoteChecksumReceive)
            try flag(.collectMetadata, external, .external)
            try flag(.vniFilter, vniFilter, .vniFilter)
            if groupPolicy == true, sends(.groupPolicy) { try data.flag(.groupPolicy) }
            if genericProtocolExtension == true, sends(.genericProtocolExtension) { try data.flag(.genericProtocolExtension) }
        }
    }

    /// As iproute2's vxlan_print_opt.
    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        var fields: [Field] = []
        if external == true { fields.append(.flag("external")) }
        if vniFilter == true { fields.append(.flag("vnifilter")) }
        if let vni { fields.append(.unsigned("id", vni)) }
        if let remote {
            let key = (remote.isMulticast ? "group" : "remote") + (remote.family == .inet6 ? "6" : "")
            fields.append(.string(key, remote.description, label: remote.isMulticast ? "group" : "remote"))
        }
        if let local { fields.append(.string(local.family == .inet6 ? "local6" : "local", local.description, label: "local")) }
        if underlay != 0 { fields.append(.string("link", devices.displayName(of: underlay), label: "dev")) }
        if let (low, high) = sourcePorts {
            fields.append(Field("port_range", .object([.jsonOnly("low", .unsigned(UInt64(low))), .jsonOnly("high", .unsigned(UInt64(high)))]),
                                text: "srcport \(low) \(high)"))
        }
        if let port { fields.append(.unsigned("port", port, label: "dstport")) }
        if let learning { fields.append(Field("learning", .bool(learning), text: learning ? nil : "nolearning")) }
        for (on, key) in [(proxy, "proxy"), (rsc, "rsc"), (l2miss, "l2miss"), (l3miss, "l3miss")] where on == true {
            fields.append(.flag(key))
        }
        if let tos, tos != 0 {
            fields.append(Field("tos", .string(hexadecimal(tos)), text: tos == 1 ? "tos inherit" : "tos \(hexadecimal(tos))"))
        }
        if ttlInherit == true {
            fields.append(.textOnly("ttl inherit"))
        } else if let ttl {
            fields.append(Field("ttl", .unsigned(UInt64(ttl)), text: ttl == 0 ? "ttl auto" : "ttl \(ttl)"))
        }
        if let dontFragment, let name = VxlanDontFragment.names[dontFragment] {
            fields.append(Field("df", .string(name), text: dontFragment == VxlanDontFragment.unset ? nil : "df \(name)"))
        }
        if let flowLabel, flowLabel != 0 { fields.append(.hex("label", flowLabel, label: "flowlabel")) }
        if let ageing {
            fields.append(Field("ageing", .unsigned(UInt64(ageing)), text: ageing == 0 ? "ageing none" : "ageing \(ageing)"))
        }
        if let maxAddresses, maxAddresses != 0 { fields.append(.unsigned("limit", maxAddresses, label: "maxaddr")) }
        for (on, key, word) in [(udpChecksum, "udp_csum", "udpcsum"), (udpZeroChecksum6Transmit, "udp_zero_csum6_tx", "udp6zerocsumtx"),
                                (udpZeroChecksum6Receive, "udp_zero_csum6_rx", "udp6zerocsumrx")] {
            if let on { fields.append(Field(key, .bool(on), text: (on ? "" : "no") + word)) }
        }
        for (on, key, word) in [(remoteChecksumTransmit, "remcsum_tx", "remcsumtx"), (remoteChecksumReceive, "remcsum_rx", "remcsumrx")]
        where on == true {
            fields.append(.flag(key, text: word))
        }
        if groupPolicy == true { fields.append(.flag("gbp")) }
        if genericProtocolExtension == true { fields.append(.flag("gpe")) }
        return fields
    }

    /// Linux's values for what a new VXLAN device is not given (vxlan_setup,
    /// vxlan_nl2conf, as the kernel reports a device made without them): port 8472,
    /// ttl 0, tos 0, learning on, df unset, flow label 0, ageing 300 s, no address
    /// limit, source ports 0 0 (the kernel's own range), UDP checksums on, the rest off.
    /// An `external` device reports id 0, which it was not given.
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] {
        var settings: [KindSetting] = []
        if let vni, !(external == true && vni == 0) { settings.append(.word("id", String(vni))) }
        if let remote { settings.append(.word(remote.isMulticast ? "group" : "remote", remote.description)) }
        if let local { settings.append(.word("local", local.description)) }
        if underlay != 0 { settings.append(.word("link", devices.displayName(of: underlay))) }
        if let port, port != 8472 { settings.append(.word("port", String(port))) }
        if ttlInherit == true {
            settings.append(.word("ttl", "inherit"))
        } else if let ttl, ttl != 0 {
            settings.append(.word("ttl", String(ttl)))
        }
        if let tos, tos != 0 { settings.append(.word("tos", tos == 1 ? "inherit" : hexadecimal(tos))) }
        if learning == false { settings.append(.flag("learning", false)) }
        if let dontFragment, dontFragment != VxlanDontFragment.unset, let name = VxlanDontFragment.names[dontFragment] {
            settings.append(.word("df", name))
        }
        if let flowLabel, flowLabel != 0 { settings.append(.word("label", String(flowLabel))) }
        if let ageing, ageing != 300 { settings.append(.word("ageing", String(ageing))) }
        if let maxAddresses, maxAddresses != 0 { settings.append(.word("limit", String(maxAddresses))) }
        if let (low, high) = sourcePorts, low != 0 || high != 0 { settings.append(.word("port_range", "\(low) \(high)")) }
        for (key, on, byDefault) in flagSettings {
            if let on, on != byDefault { settings.append(.flag(key, on)) }
        }
        return settings
    }

    /// The flags apply compares, by iproute2's JSON key, with their value on a new device.
    private var flagSettings: [(key: String, on: Bool?, byDefault: Bool)] {
        [
            ("proxy", proxy, false), ("rsc", rsc, false), ("l2miss", l2miss, false), ("l3miss", l3miss, false),
            ("udp_csum", udpChecksum, true), ("udp_zero_csum6_tx", udpZeroChecksum6Transmit, false),
            ("udp_zero_csum6_rx", udpZeroChecksum6Receive, false), ("remcsum_tx", remoteChecksumTransmit, false),
            ("remcsum_rx", remoteChecksumReceive, false), ("external", external, false), ("gbp", groupPolicy, false),
            ("gpe", genericProtocolExtension, false), ("vnifilter", vniFilter, false),
        ]
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
            KindSettingWords("df", word: "df", reset: nil), KindSettingWords("label", word: "flowlabel", reset: nil),
            KindSettingWords("ageing", word: "ageing", reset: nil), KindSettingWords("limit", word: "maxaddress", reset: nil),
            KindSettingWords("port_range", word: "srcport", valueWords: 2, reset: nil),
            KindSettingWords("proxy", word: "proxy", off: "noproxy", reset: nil),
            KindSettingWords("rsc", word: "rsc", off: "norsc", reset: nil),
            KindSettingWords("l2miss", word: "l2miss", off: "nol2miss", reset: nil),
            KindSettingWords("l3miss", word: "l3miss", off: "nol3miss", reset: nil),
            KindSettingWords("udp_csum", word: "udpcsum", off: "noudpcsum", reset: nil),
            KindSettingWords("udp_zero_csum6_tx", word: "udp6zerocsumtx", off: "noudp6zerocsumtx", reset: nil),
            KindSettingWords("udp_zero_csum6_rx", word: "udp6zerocsumrx", off: "noudp6zerocsumrx", reset: nil),
            KindSettingWords("remcsum_tx", word: "remcsumtx", off: "noremcsumtx", reset: nil),
            KindSettingWords("remcsum_rx", word: "remcsumrx", off: "noremcsumrx", reset: nil),
            KindSettingWords("external", word: "external", off: "noexternal", reset: nil),
            KindSettingWords("gbp", word: "gbp", reset: nil), KindSettingWords("gpe", word: "gpe", reset: nil),
            KindSettingWords("vnifilter", word: "vnifilter", off: "novnifilter", reset: nil),
        ]
    }
}

/// IFLA_VXLAN_DF's values (enum ifla_vxlan_df), by iproute2's words.
enum VxlanDontFragment {
    static var unset: UInt8 { UInt8(VXLAN_DF_UNSET.rawValue) }
    static let names: [UInt8: String] = [
        UInt8(VXLAN_DF_UNSET.rawValue): "unset", UInt8(VXLAN_DF_SET.rawValue): "set", UInt8(VXLAN_DF_INHERIT.rawValue): "inherit",
    ]
}
