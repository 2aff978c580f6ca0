import CMnl
import Netlink

/// IFLA_BR_*: inside IFLA_INFO_DATA of a bridge.
public enum BridgeAttribute: UInt16, NetlinkAttributeType {
    case forwardDelay = 1, helloTime, maxAge, ageingTime, stpState, priority, vlanFiltering, vlanProtocol, groupForwardMask
    case rootID, bridgeID, rootPort, rootPathCost, topologyChange, topologyChangeDetected
    case helloTimer, tcnTimer, topologyChangeTimer, gcTimer, groupAddress, fdbFlush
    case multicastRouter, multicastSnooping, multicastQueryUseInterfaceAddress, multicastQuerier
    case multicastHashElasticity, multicastHashMax, multicastLastMemberCount, multicastStartupQueryCount
    case multicastLastMemberInterval, multicastMembershipInterval, multicastQuerierInterval, multicastQueryInterval
    case multicastQueryResponseInterval, multicastStartupQueryInterval
    case nfCallIptables, nfCallIp6tables, nfCallArptables, vlanDefaultPVID, pad, vlanStatsEnabled
    case multicastStatsEnabled, multicastIGMPVersion, multicastMLDVersion, vlanStatsPerPort, multiBoolOption, multicastQuerierState

    /// How the kernel carries the attribute and iproute2 words it.
    var format: BridgeValueFormat {
        switch self {
        case .vlanFiltering, .topologyChange, .topologyChangeDetected, .multicastRouter, .multicastSnooping,
             .multicastQueryUseInterfaceAddress, .multicastQuerier, .nfCallIptables, .nfCallIp6tables, .nfCallArptables,
             .vlanStatsEnabled, .multicastStatsEnabled, .multicastIGMPVersion, .multicastMLDVersion, .vlanStatsPerPort:
            .u8
        case .priority, .rootPort, .vlanDefaultPVID: .u16
        case .multicastLastMemberInterval, .multicastMembershipInterval, .multicastQuerierInterval, .multicastQueryInterval,
             .multicastQueryResponseInterval, .multicastStartupQueryInterval:
            .u64
        case .groupForwardMask: .hex16
        case .vlanProtocol: .ethernetProtocol
        case .groupAddress: .mac
        case .rootID, .bridgeID: .bridgeID
        case .helloTimer, .tcnTimer, .topologyChangeTimer, .gcTimer: .timer
        case .fdbFlush: .flag
        case .pad, .multiBoolOption, .multicastQuerierState: .other
        default: .u32
        }
    }
}

/// How a bridge's or a bridge port's attribute is carried, and how iproute2 prints it.
enum BridgeValueFormat: Sendable {
    case u8, u16, u32, u64
    /// A u16 printed by print_0xhex: "0x4000" ("%#llx": "0" for zero), a string in JSON.
    case hex16
    /// A u8 printed by print_on_off: "on" or "off", a boolean in JSON.
    case onOff
    /// An Ethernet protocol in network order, by its name (802.1Q, 802.1ad).
    case ethernetProtocol
    /// An Ethernet address.
    case mac
    /// struct ifla_bridge_id: a priority and an address, "8000.2:0:0:0:0:1".
    case bridgeID
    /// A timer in clock ticks (hundredths of a second): "   0.00", a number in JSON.
    case timer
    /// A flag: present or not.
    case flag
    /// Read by its own code, or not at all.
    case other
}

/// One attribute's value as the kernel sent it, or as words ask for it.
enum BridgeValue: Sendable, Equatable {
    case number(UInt64)
    case bytes([UInt8])

    init?<Key>(_ attribute: Attribute<Key>, format: BridgeValueFormat) {
        switch format {
        case .u8, .onOff: self = .number(UInt64(attribute.u8))
        case .u16, .hex16: self = .number(UInt64(attribute.u16))
        case .u32: self = .number(UInt64(attribute.u32))
        case .u64, .timer: self = .number(attribute.u64)
        case .ethernetProtocol: self = .number(UInt64(attribute.be16))
        case .mac, .bridgeID: self = .bytes(attribute.bytes)
        case .flag, .other: return nil
        }
    }

    var number: UInt64 {
        if case .number(let value) = self { return value }
        return 0
    }

    /// The value as iproute2 prints it under `key` (JSON) and `label` (text).
    func field(_ key: String, label: String, format: BridgeValueFormat, naming: Naming) -> Field {
        switch (self, format) {
        case (.number(let value), .hex16):
            let text = value == 0 ? "0" : hexadecimal(value)
            return Field(key, .string(text), text: "\(label) \(text)")
        case (.number(let value), .onOff):
            return Field(key, .bool(value != 0), text: "\(label) \(value != 0 ? "on" : "off")")
        case (.number(let value), .ethernetProtocol):
            return .string(key, naming.ethernetProtocol(UInt16(truncatingIfNeeded: value)), label: label)
        case (.number(let value), .timer):
            // "%4i.%.2i", as iproute2's _print_timer.
            let seconds = String(value / 100), hundredths = String(value % 100)
            let text = String(repeating: " ", count: max(0, 4 - seconds.count)) + seconds + "."
                + (hundredths.count < 2 ? "0" : "") + hundredths
            // A value past Int64's (no timer runs that long) stays the largest JSON can say.
            return Field(key, .decimal(Int64(clamping: value), fractionDigits: 2), text: "\(label) \(text)")
        case (.number(let value), _):
            return .unsigned(key, value, label: label)
        case (.bytes(let bytes), .bridgeID):
            return .string(key, Self.bridgeID(bytes), label: label)
        case (.bytes(let bytes), _):
            return .string(key, LinkLayerAddress.format(bytes), label: label)
        }
    }

    /// "8000.2:0:0:0:0:1": the priority in hexadecimal, then the address as ether_ntoa
    /// writes it (br_dump_bridge_id).
    static func bridgeID(_ bytes: [UInt8]) -> String {
        guard bytes.count == MemoryLayout<ifla_bridge_id>.size else { return LinkLayerAddress.format(bytes) }
        let priority = bytes[0..<2].map { hexadecimal($0, digits: 2).dropFirst(2) }.joined()
        return priority + "." + bytes[2...].map { String($0, radix: 16) }.joined(separator: ":")
    }
}

/// The Ethernet protocols a bridge's VLANs may use, by iproute2's names (ll_proto).
enum EthernetProtocol {
    static let named: [(String, UInt16)] = [("802.1Q", 0x8100), ("802.1ad", 0x88A8)]

    static func name(of value: UInt16) -> String {
        named.first { $0.1 == value }?.0 ?? hexadecimal(value, digits: 4)
    }

    static func value(of name: String) -> UInt16? {
        named.first { $0.0 == name }?.1 ?? Parse.parseUnsigned(name, UInt16.self)
    }
}

/// Bridges: `type bridge` and iproute2's words for it (iplink_bridge.c).
public struct BridgeOptions: LinkKindOptions {
    public static let kinds = ["bridge"]

    public enum Word: Sendable, Hashable {
        case attribute(BridgeAttribute)
        /// A bit of IFLA_BR_MULTI_BOOLOPT (BR_BOOLOPT_*).
        case boolOption(UInt32)
    }

    /// BR_BOOLOPT_NO_LL_LEARN and BR_BOOLOPT_MCAST_VLAN_SNOOPING.
    static var noLinkLocalLearn: UInt32 { UInt32(BR_BOOLOPT_NO_LL_LEARN.rawValue) }
    static var multicastVLANSnooping: UInt32 { UInt32(BR_BOOLOPT_MCAST_VLAN_SNOOPING.rawValue) }

    /// iproute2's words (bridge_parse_opt), each the key JSON shows; it takes each
    /// again, the later winning.
    public static let grammar = KeywordTable<Word>([
        Keyword(.attribute(.forwardDelay), "forward_delay", value: "DELAY"), Keyword(.attribute(.helloTime), "hello_time", value: "TIME"),
        Keyword(.attribute(.maxAge), "max_age", value: "AGE"), Keyword(.attribute(.ageingTime), "ageing_time", value: "TIME"),
        Keyword(.attribute(.stpState), "stp_state", value: "{ 0 | 1 }"), Keyword(.attribute(.priority), "priority", value: "PRIORITY"),
        Keyword(.attribute(.vlanFiltering), "vlan_filtering", value: "{ 0 | 1 }"),
        Keyword(.attribute(.vlanProtocol), "vlan_protocol", value: "{ 802.1Q | 802.1ad }"),
        Keyword(.attribute(.groupForwardMask), "group_fwd_mask", value: "MASK"),
        Keyword(.attribute(.groupAddress), "group_address", value: "ADDRESS"),
        Keyword(.attribute(.fdbFlush), "fdb_flush"),
        Keyword(.attribute(.vlanDefaultPVID), "vlan_default_pvid", value: "VLAN_ID"),
        Keyword(.attribute(.vlanStatsEnabled), "vlan_stats_enabled", value: "{ 0 | 1 }"),
        Keyword(.attribute(.vlanStatsPerPort), "vlan_stats_per_port", value: "{ 0 | 1 }"),
        Keyword(.attribute(.multicastRouter), "mcast_router", value: "MULTICAST_ROUTER"),
        Keyword(.attribute(.multicastSnooping), "mcast_snooping", value: "{ 0 | 1 }"),
        Keyword(.boolOption(multicastVLANSnooping), "mcast_vlan_snooping", value: "{ 0 | 1 }"),
        Keyword(.attribute(.multicastQueryUseInterfaceAddress), "mcast_query_use_ifaddr", value: "{ 0 | 1 }"),
        Keyword(.attribute(.multicastQuerier), "mcast_querier", value: "{ 0 | 1 }"),
        Keyword(.attribute(.multicastHashElasticity), "mcast_hash_elasticity", value: "HASH_ELASTICITY"),
        Keyword(.attribute(.multicastHashMax), "mcast_hash_max", value: "HASH_MAX"),
        Keyword(.attribute(.multicastLastMemberCount), "mcast_last_member_count", value: "LAST_MEMBER_COUNT"),
        Keyword(.attribute(.multicastStartupQueryCount), "mcast_startup_query_count", value: "STARTUP_QUERY_COUNT"),
        Keyword(.attribute(.multicastLastMemberInterval), "mcast_last_member_interval", value: "LAST_MEMBER_INTERVAL"),
        Keyword(.attribute(.multicastMembershipInterval), "mcast_membership_interval", value: "MEMBERSHIP_INTERVAL"),
        Keyword(.attribute(.multicastQuerierInterval), "mcast_querier_interval", value: "QUERIER_INTERVAL"),
        Keyword(.attribute(.multicastQueryInterval), "mcast_query_interval", value: "QUERY_INTERVAL"),
        Keyword(.attribute(.multicastQueryResponseInterval), "mcast_query_response_interval", value: "QUERY_RESPONSE_INTERVAL"),
        Keyword(.attribute(.multicastStartupQueryInterval), "mcast_startup_query_interval", value: "STARTUP_QUERY_INTERVAL"),
        Keyword(.attribute(.multicastStatsEnabled), "mcast_stats_enabled", value: "{ 0 | 1 }"),
        Keyword(.attribute(.multicastIGMPVersion), "mcast_igmp_version", value: "VERSION"),
        Keyword(.attribute(.multicastMLDVersion), "mcast_mld_version", value: "VERSION"),
        Keyword(.attribute(.nfCallIptables), "nf_call_iptables", value: "{ 0 | 1 }"),
        Keyword(.attribute(.nfCallIp6tables), "nf_call_ip6tables", value: "{ 0 | 1 }"),
        Keyword(.attribute(.nfCallArptables), "nf_call_arptables", value: "{ 0 | 1 }"),
        Keyword(.boolOption(noLinkLocalLearn), "no_linklocal_learn", value: "{ 0 | 1 }"),
    ])

    /// What `-d` shows, in iproute2's order (bridge_print_opt): the attribute, its JSON
    /// key and its text label. The multiple boolean options follow mcast_snooping.
    static let printed: [(BridgeAttribute, key: String, label: String)] = [
        (.forwardDelay, "forward_delay", "forward_delay"), (.helloTime, "hello_time", "hello_time"), (.maxAge, "max_age", "max_age"),
        (.ageingTime, "ageing_time", "ageing_time"), (.stpState, "stp_state", "stp_state"), (.priority, "priority", "priority"),
        (.vlanFiltering, "vlan_filtering", "vlan_filtering"), (.vlanProtocol, "vlan_protocol", "vlan_protocol"),
        (.bridgeID, "bridge_id", "bridge_id"), (.rootID, "root_id", "designated_root"), (.rootPort, "root_port", "root_port"),
        (.rootPathCost, "root_path_cost", "root_path_cost"), (.topologyChange, "topology_change", "topology_change"),
        (.topologyChangeDetected, "topology_change_detected", "topology_change_detected"),
        (.helloTimer, "hello_timer", "hello_timer"), (.tcnTimer, "tcn_timer", "tcn_timer"),
        (.topologyChangeTimer, "topology_change_timer", "topology_change_timer"), (.gcTimer, "gc_timer", "gc_timer"),
        (.vlanDefaultPVID, "vlan_default_pvid", "vlan_default_pvid"), (.vlanStatsEnabled, "vlan_stats_enabled", "vlan_stats_enabled"),
        (.vlanStatsPerPort, "vlan_stats_per_port", "vlan_stats_per_port"), (.groupForwardMask, "group_fwd_mask", "group_fwd_mask"),
        (.groupAddress, "group_addr", "group_address"), (.multicastSnooping, "mcast_snooping", "mcast_snooping"),
        (.multicastRouter, "mcast_router", "mcast_router"),
        (.multicastQueryUseInterfaceAddress, "mcast_query_use_ifaddr", "mcast_query_use_ifaddr"),
        (.multicastQuerier, "mcast_querier", "mcast_querier"),
        (.multicastHashElasticity, "mcast_hash_elasticity", "mcast_hash_elasticity"), (.multicastHashMax, "mcast_hash_max", "mcast_hash_max"),
        (.multicastLastMemberCount, "mcast_last_member_cnt", "mcast_last_member_count"),
        (.multicastStartupQueryCount, "mcast_startup_query_cnt", "mcast_startup_query_count"),
        (.multicastLastMemberInterval, "mcast_last_member_intvl", "mcast_last_member_interval"),
        (.multicastMembershipInterval, "mcast_membership_intvl", "mcast_membership_interval"),
        (.multicastQuerierInterval, "mcast_querier_intvl", "mcast_querier_interval"),
        (.multicastQueryInterval, "mcast_query_intvl", "mcast_query_interval"),
        (.multicastQueryResponseInterval, "mcast_query_response_intvl", "mcast_query_response_interval"),
        (.multicastStartupQueryInterval, "mcast_startup_query_intvl", "mcast_startup_query_interval"),
        (.multicastStatsEnabled, "mcast_stats_enabled", "mcast_stats_enabled"),
        (.multicastIGMPVersion, "mcast_igmp_version", "mcast_igmp_version"), (.multicastMLDVersion, "mcast_mld_version", "mcast_mld_version"),
        (.nfCallIptables, "nf_call_iptables", "nf_call_iptables"), (.nfCallIp6tables, "nf_call_ip6tables", "nf_call_ip6tables"),
        (.nfCallArptables, "nf_call_arptables", "nf_call_arptables"),
    ]

    public let kind: String
    /// Values the kernel reported, shown under -d.
    var reported: [BridgeAttribute: BridgeValue] = [:]
    /// IFLA_BR_MULTI_BOOLOPT as reported: which options the kernel knows, and their values.
    var reportedBoolOptions: br_boolopt_multi?
    /// Values the command sets; only these are sent, since the bridge changes
    /// just the attributes a request carries.
    var requested: [BridgeAttribute: BridgeValue] = [:]
    /// The boolean options the command sets.
    var requestedBoolOptions = br_boolopt_multi()

    public init(kind: String) { self.kind = kind }
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) {
        self.kind = kind
        for attribute in data?.nested(BridgeAttribute.self) ?? .empty {
            guard let key = attribute.key else { continue }
            if key == .multiBoolOption {
                reportedBoolOptions = attribute.load(br_boolopt_multi.self)
            } else if let value = BridgeValue(attribute, format: key.format) {
                reported[key] = value
            }
        }
    }

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        let word = entry.spelling
        switch entry.keyword {
        case .boolOption(let bit):
            let on = try Parse.unsigned(text, UInt32.self, for: word) != 0
            requestedBoolOptions.optmask |= 1 << bit
            if on { requestedBoolOptions.optval |= 1 << bit } else { requestedBoolOptions.optval &= ~(1 << bit) }
        case .attribute(let attribute):
            requested[attribute] = try Self.value(of: attribute, text, for: word)
        }
    }

    /// The value of a word that sets `attribute`, read as iproute2 reads it.
    private static func value(of attribute: BridgeAttribute, _ text: String, for word: String) throws(InvalidArgument) -> BridgeValue {
        switch attribute.format {
        case .u8: return .number(UInt64(try Parse.unsigned(text, UInt8.self, for: word)))
        case .u16, .hex16: return .number(UInt64(try Parse.unsigned(text, UInt16.self, for: word)))
        case .u64: return .number(try Parse.unsigned(text, UInt64.self, for: word))
        case .ethernetProtocol:
            guard let value = EthernetProtocol.value(of: text) else {
                throw InvalidArgument.badValue(word, text, expected: "802.1Q or 802.1ad")
            }
            return .number(UInt64(value))
        case .mac:
            guard let bytes = LinkLayerAddress.parse(text), bytes.count == 6 else {
                throw InvalidArgument.badValue(word, text, expected: "an Ethernet address like 01:80:c2:00:00:0e")
            }
            return .bytes(bytes)
        case .flag: return .number(1)
        default: return .number(UInt64(try Parse.unsigned(text, UInt32.self, for: word)))
        }
    }

    public mutating func finish() throws(InvalidArgument) {}

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        guard !requested.isEmpty || requestedBoolOptions.optmask != 0 else { return }
        try info.nest(.data, BridgeAttribute.self) { data in
            for case .attribute(let attribute) in Self.grammar.rows.map(\.word) {
                guard let value = requested[attribute] else { continue }
                switch (attribute.format, value) {
                case (.u8, _): try data.put(attribute, UInt8(truncatingIfNeeded: value.number))
                case (.u16, _), (.hex16, _): try data.put(attribute, UInt16(truncatingIfNeeded: value.number))
                case (.u64, _): try data.put(attribute, value.number)
                case (.ethernetProtocol, _): try data.put(attribute, BigEndian(UInt16(truncatingIfNeeded: value.number)))
                case (.flag, _): try data.flag(attribute)
                case (_, .bytes(let bytes)): try data.put(attribute, bytes)
                default: try data.put(attribute, UInt32(truncatingIfNeeded: value.number))
                }
            }
            if requestedBoolOptions.optmask != 0 { try data.put(.multiBoolOption, Packed(requestedBoolOptions)) }
        }
    }

    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        var fields: [Field] = []
        for (attribute, key, label) in Self.printed {
            if let value = reported[attribute] { fields.append(value.field(key, label: label, format: attribute.format, naming: naming)) }
            if attribute == .multicastSnooping, let options = reportedBoolOptions {
                for (bit, key) in [(Self.noLinkLocalLearn, "no_linklocal_learn"), (Self.multicastVLANSnooping, "mcast_vlan_snooping")]
                where options.optmask & (1 << bit) != 0 {
                    fields.append(.unsigned(key, options.optval & (1 << bit) != 0 ? 1 : 0))
                }
            }
        }
        return fields
    }

    /// A new bridge's values of the settings `apply` compares, as the kernel sets them
    /// (br_dev_setup, br_stp_timer_init, br_multicast_init): times in hundredths of a
    /// second. A kernel without VLAN filtering reports no vlan_* values.
    static let defaults: [BridgeAttribute: UInt64] = [
        .forwardDelay: 1500, .helloTime: 200, .maxAge: 2000, .ageingTime: 30000,
        .stpState: 0, .priority: 32768, .vlanFiltering: 0, .vlanProtocol: 0x8100, .groupForwardMask: 0,
        .vlanDefaultPVID: 1, .vlanStatsEnabled: 0, .vlanStatsPerPort: 0,
        .multicastRouter: 1, .multicastSnooping: 1, .multicastQueryUseInterfaceAddress: 0, .multicastQuerier: 0,
        .multicastHashMax: 4096, .multicastLastMemberCount: 2, .multicastStartupQueryCount: 2,
        .multicastLastMemberInterval: 100, .multicastMembershipInterval: 26000, .multicastQuerierInterval: 25500,
        .multicastQueryInterval: 12500, .multicastQueryResponseInterval: 1000, .multicastStatsEnabled: 0,
        .multicastIGMPVersion: 2, .multicastMLDVersion: 1,
        .nfCallIptables: 0, .nfCallIp6tables: 0, .nfCallArptables: 0,
    ]

    /// What apply cannot compare: `fdb_flush` is an action; the kernel ignores
    /// `mcast_hash_elasticity` (it always reports 16); a new bridge's startup query
    /// interval is a quarter of the query interval in jiffies, which the kernel reports
    /// as 3124 or 3125 by its clock rate; the group address and the boolean options
    /// are not numbers this compares.
    public static let unmanagedWords: Set<String> = [
        "fdb_flush", "mcast_hash_elasticity", "mcast_startup_query_interval", "group_address",
        "no_linklocal_learn", "mcast_vlan_snooping",
    ]

    /// A setting's value as its word takes it: the VLAN protocol by name.
    private static func word(_ value: UInt64, of attribute: BridgeAttribute) -> String {
        attribute.format == .ethernetProtocol ? EthernetProtocol.name(of: UInt16(truncatingIfNeeded: value)) : String(value)
    }

    /// The words of the settings `apply` compares.
    private static var settingEntries: [KeywordTable<Word>.Entry] {
        grammar.entries.filter { if case .attribute(let attribute) = $0.keyword { defaults[attribute] != nil } else { false } }
    }

    private static func attribute(of entry: KeywordTable<Word>.Entry) -> BridgeAttribute? {
        if case .attribute(let attribute) = entry.keyword { return attribute }
        return nil
    }

    /// The values asked for or reported that differ from a new bridge's.
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] {
        Self.settingEntries.compactMap { entry in
            guard let attribute = Self.attribute(of: entry),
                  let value = (requested[attribute] ?? reported[attribute])?.number, value != Self.defaults[attribute] else { return nil }
            return .word(entry.spelling, Self.word(value, of: attribute))
        }
    }

    public static func settingWords(kind: String) -> [KindSettingWords] {
        settingEntries.compactMap { entry in
            attribute(of: entry).flatMap { attribute in
                defaults[attribute].map { KindSettingWords(entry.spelling, word: entry.spelling, reset: [entry.spelling, word($0, of: attribute)]) }
            }
        }
    }
}

/// IFLA_BRPORT_*: inside IFLA_INFO_SLAVE_DATA of a bridge's port.
public enum BridgePortAttribute: UInt16, NetlinkAttributeType {
    case state = 1, priority, cost, mode, bpduGuard, protect, fastLeave, learning, unicastFlood, proxyARP, learningSync
    case proxyARPWifi, rootID, bridgeID, designatedPort, designatedCost, id, number, topologyChangeAck, configPending
    case messageAgeTimer, forwardDelayTimer, holdTimer, flush, multicastRouter, pad, multicastFlood, multicastToUnicast
    case vlanTunnel, broadcastFlood, groupForwardMask, neighbourSuppress, isolated, backupPort, mrpRingOpen, mrpInOpen
    case multicastEHTHostsLimit, multicastEHTHostsCount, locked
}

/// A bridge's port, as the kernel describes it in IFLA_INFO_SLAVE_DATA: what
/// `-d` shows on its `bridge_slave` line.
public struct BridgePort: Sendable {
    var reported: [BridgePortAttribute: BridgeValue] = [:]

    /// iproute2's order (bridge_slave_print_opt): the attribute, its JSON key, its
    /// text label, its format. The state, the group mask and the backup port are
    /// worded by `describe` itself.
    static let printed: [(BridgePortAttribute, key: String, label: String, BridgeValueFormat)] = [
        (.priority, "priority", "priority", .u16), (.cost, "cost", "cost", .u32), (.mode, "hairpin", "hairpin", .onOff),
        (.bpduGuard, "guard", "guard", .onOff), (.protect, "root_block", "root_block", .onOff),
        (.fastLeave, "fastleave", "fastleave", .onOff), (.learning, "learning", "learning", .onOff),
        (.unicastFlood, "flood", "flood", .onOff), (.id, "id", "port_id", .hex16), (.number, "no", "port_no", .hex16),
        (.designatedPort, "designated_port", "designated_port", .u16),
        // iproute2 reads the u32 as a u16.
        (.designatedCost, "designated_cost", "designated_cost", .u16),
        (.bridgeID, "bridge_id", "designated_bridge", .bridgeID), (.rootID, "root_id", "designated_root", .bridgeID),
        (.holdTimer, "hold_timer", "hold_timer", .timer), (.messageAgeTimer, "message_age_timer", "message_age_timer", .timer),
        (.forwardDelayTimer, "forward_delay_timer", "forward_delay_timer", .timer),
        (.topologyChangeAck, "topology_change_ack", "topology_change_ack", .u8),
        (.configPending, "config_pending", "config_pending", .u8), (.proxyARP, "proxy_arp", "proxy_arp", .onOff),
        (.proxyARPWifi, "proxy_arp_wifi", "proxy_arp_wifi", .onOff), (.multicastRouter, "multicast_router", "mcast_router", .u8),
    ]
    /// The ones after `mcast_fast_leave` (the fast leave flag again, in text only).
    static let printedAfterFastLeave: [(BridgePortAttribute, key: String, label: String, BridgeValueFormat)] = [
        (.multicastFlood, "mcast_flood", "mcast_flood", .onOff), (.broadcastFlood, "bcast_flood", "bcast_flood", .onOff),
        (.multicastToUnicast, "mcast_to_unicast", "mcast_to_unicast", .onOff),
        (.neighbourSuppress, "neigh_suppress", "neigh_suppress", .onOff),
    ]
    static let printedLast: [(BridgePortAttribute, key: String, label: String, BridgeValueFormat)] = [
        (.vlanTunnel, "vlan_tunnel", "vlan_tunnel", .onOff), (.isolated, "isolated", "isolated", .onOff),
        (.locked, "locked", "locked", .onOff),
    ]

    static let portStates = ["disabled", "listening", "learning", "forwarding", "blocking"]
    /// The group forward mask's bits by name (fwd_mask_tbl).
    static let forwardMaskNames: [Int: String] = [0: "stp", 2: "lacp", 14: "lldp"]

    public init(_ data: Attribute<LinkInfoAttribute>) {
        let formats = Dictionary(uniqueKeysWithValues: (Self.printed + Self.printedAfterFastLeave + Self.printedLast).map { ($0.0, $0.3) })
        for attribute in data.nested(BridgePortAttribute.self) {
            guard let key = attribute.key else { continue }
            let format: BridgeValueFormat? = switch key {
            case .state: .u8
            case .groupForwardMask: .u16
            case .backupPort: .u32
            default: formats[key]
            }
            if let format, let value = BridgeValue(attribute, format: format) { reported[key] = value }
        }
    }

    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        var fields: [Field] = []
        if let state = reported[.state]?.number {
            fields.append(state < Self.portStates.count
                ? .string("state", Self.portStates[Int(state)])
                : Field("state_index", .signed(Int64(state)), text: "state (\(state))"))
        }
        func append(_ items: [(BridgePortAttribute, key: String, label: String, BridgeValueFormat)]) {
            for (attribute, key, label, format) in items {
                if let value = reported[attribute] { fields.append(value.field(key, label: label, format: format, naming: naming)) }
            }
        }
        append(Self.printed)
        if let fastLeave = reported[.fastLeave]?.number { fields.append(.textOnly("mcast_fast_leave \(fastLeave != 0 ? "on" : "off")")) }
        append(Self.printedAfterFastLeave)
        if let mask = reported[.groupForwardMask]?.number {
            fields.append(reported[.groupForwardMask]!.field("group_fwd_mask", label: "group_fwd_mask", format: .hex16, naming: naming))
            let names = (0..<16).filter { mask & (1 << $0) != 0 }.map { Self.forwardMaskNames[$0] ?? hexadecimal(1 << $0) }
            fields.append(.string("group_fwd_mask_str", names.isEmpty ? "0x0" : names.joined(separator: ",")))
        }
        append(Self.printedLast)
        if let backup = reported[.backupPort]?.number {
            fields.append(.string("backup_port", devices.displayName(of: Int32(truncatingIfNeeded: backup))))
        }
        return fields
    }
}
