import Netlink

// GRE link kinds: gre and gretap over IPv4, ip6gre and ip6gretap over IPv6; and the
// ERSPAN kinds of the same modules (erspan, ip6erspan), which gretool shows but does
// not make. Everything gretool knows about their options lives in this file, as in
// iproute2's link_gre.c and link_gre6.c.

/// IFLA_GRE_*: inside IFLA_INFO_DATA of a GRE link.
public enum GreAttribute: UInt16, NetlinkAttributeType {
    case link = 1, inputFlags, outputFlags, inputKey, outputKey, local, remote, ttl, tos, pmtudisc
    case encapLimit, flowInfo, flags, encapType, encapFlags, encapSourcePort, encapDestinationPort
    case collectMetadata, ignoreDF, fwmark
    /// ERSPAN's (`ErspanDescription`).
    case erspanIndex, erspanVersion, erspanDirection, erspanHardwareID
}

/// Flags of the GRE header (RFC 2784/2890), as host values; big-endian on the wire.
public struct GreFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let checksum = GreFlags(rawValue: 0x8000)
    public static let key = GreFlags(rawValue: 0x2000)
    public static let sequence = GreFlags(rawValue: 0x1000)
}

/// A GRE key: 32 bits, written as a number or a dotted quad.
public struct GreKey: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }

    public init(parsing text: String, for keyword: String) throws(InvalidArgument) {
        if text.contains(".") {
            guard let quad = IPv4Address(text) else {
                throw Parse.badAddress(keyword, text, expected: "a number 0..4294967295 or a dotted quad")
            }
            value = quad.value
        } else {
            guard let number = Parse.parseUnsigned(text, UInt32.self) else {
                throw .badValue(keyword, text, expected: "a number 0..4294967295 or a dotted quad")
            }
            value = number
        }
    }

    /// Dotted quad, as `ip -d link show` prints keys.
    public var dottedQuad: String { IPv4Address(value).description }
    public var description: String { String(value) }
}

/// UDP encapsulation of the tunnel (fou/gue), IFLA_GRE_ENCAP_*.
public struct TunnelEncapsulation: Sendable, Equatable {
    public enum Kind: UInt16, Sendable { case none = 0, fou = 1, gue = 2 }
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let checksum = Flags(rawValue: 1)
        public static let checksum6 = Flags(rawValue: 2)
        public static let remoteChecksum = Flags(rawValue: 4)
    }

    public var kind = Kind.none
    public var flags: Flags = []
    /// 0 means the kernel picks the source port per flow ("auto").
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0

    /// Bytes the UDP encapsulation adds to every packet.
    public var overhead: Int {
        switch kind {
        case .none: 0
        case .fou: 8
        case .gue: 12
        }
    }
}

extension TunnelEncapsulation {
    /// The encapsulation as `ip -d link show` prints it (tnl_print_encap).
    var field: Field {
        let type = kind == .fou ? "fou" : "gue"
        let text = [
            "encap \(type)",
            sourcePort == 0 ? "encap-sport auto" : "encap-sport \(sourcePort)",
            "encap-dport \(destinationPort)",
            (flags.contains(.checksum) ? "" : "no") + "encap-csum",
            (flags.contains(.checksum6) ? "" : "no") + "encap-csum6",
            (flags.contains(.remoteChecksum) ? "" : "no") + "encap-remcsum",
        ].joined(separator: " ")
        return Field("encap", .object([
            .jsonOnly("type", .string(type)),
            .jsonOnly("sport", .unsigned(UInt64(sourcePort))),
            .jsonOnly("dport", .unsigned(UInt64(destinationPort))),
            .jsonOnly("csum", .bool(flags.contains(.checksum))),
            .jsonOnly("csum6", .bool(flags.contains(.checksum6))),
            .jsonOnly("remcsum", .bool(flags.contains(.remoteChecksum))),
        ]), text: text)
    }
}

/// ip6_tnl flags: IFLA_GRE_FLAGS of ip6gre links, IFLA_IPTUN_FLAGS of ip6tnl links.
public struct IPv6TunnelFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let ignoreEncapLimit = IPv6TunnelFlags(rawValue: 0x1)
    public static let useOriginalTrafficClass = IPv6TunnelFlags(rawValue: 0x2)
    public static let useOriginalFlowLabel = IPv6TunnelFlags(rawValue: 0x4)
    /// A Mobile IPv6 device (ip6tnl's `mip6`).
    public static let mip6Device = IPv6TunnelFlags(rawValue: 0x8)
    public static let receiveDSCPCopy = IPv6TunnelFlags(rawValue: 0x10)
    public static let useOriginalFwmark = IPv6TunnelFlags(rawValue: 0x20)
    public static let allowLocalRemote = IPv6TunnelFlags(rawValue: 0x40)
}

/// The GRE link kinds: IP packets (gre, ip6gre) or Ethernet frames (gretap,
/// ip6gretap) over GRE, with an outer header of IPv4 or IPv6.
public enum GreKind: String, CaseIterable, Sendable {
    case gre, gretap, ip6gre, ip6gretap

    /// The family of the outer header, and so of the endpoints.
    public var family: AddressFamily {
        switch self {
        case .gre, .gretap: .inet
        case .ip6gre, .ip6gretap: .inet6
        }
    }

    /// Whether it carries Ethernet frames (a tap) rather than IP packets.
    public var carriesEthernet: Bool { self == .gretap || self == .ip6gretap }

    /// The kind that carries the same payload over the other family.
    public var overOtherFamily: GreKind {
        switch self {
        case .gre: .ip6gre
        case .gretap: .ip6gretap
        case .ip6gre: .gre
        case .ip6gretap: .gretap
        }
    }
}

public struct GreOptions: TunnelKind, Equatable {
    public static let kinds = GreKind.allCases.map(\.rawValue)

    public let greKind: GreKind
    public var local: IPAddress?
    public var remote: IPAddress?
    public var inputFlags: GreFlags = []
    public var outputFlags: GreFlags = []
    public var inputKey = GreKey(0)
    public var outputKey = GreKey(0)
    /// Hop limit of the outer header; 0 inherits the inner packet's.
    public var ttl: UInt8
    /// IPv4 only: 1 inherits the inner TOS.
    public var tos: UInt8 = 0
    /// IPv4 only: set DF on the outer header and follow path MTU.
    public var pathMTUDiscovery = true
    /// IPv4 only; nil when never configured (iproute2 then leaves it out).
    public var ignoreDF: Bool?
    /// Index of the underlay device the tunnel is bound to (0: none).
    public var underlay: Int32 = 0
    public var fwmark: UInt32 = 0
    public var encapsulation = TunnelEncapsulation()
    /// `external`: a metadata-collecting device (flow-based tunnelling).
    public var external = false
    // IPv6 outer header only.
    public var encapLimit: UInt8 = 4
    /// Traffic class and flow label as the 32-bit flowinfo word (host order).
    public var flowInfo: UInt32 = 0
    public var ipv6Flags: IPv6TunnelFlags = []

    /// IFLA_INFO_KIND.
    public var kind: String { greKind.rawValue }
    public var isEthernet: Bool { greKind.carriesEthernet }
    public var family: AddressFamily { greKind.family }
    public var wordFamily: AddressFamily? { greKind.family }

    /// The defaults iproute2 sends for a new link of `kind`.
    public init(_ kind: GreKind) {
        greKind = kind
        ttl = kind.family == .inet6 ? 64 : 0
        if kind.family == .inet6 { encapsulation.flags = .checksum6 }
    }

    /// `kind` is one of `kinds` (the registry hands out this module for those only).
    public init(kind: String) {
        guard let greKind = GreKind(rawValue: kind) else { preconditionFailure("\(kind) is not a GRE kind") }
        self.init(greKind)
    }

    public init(kind: String, data: Attribute<LinkInfoAttribute>?) {
        self.init(kind: kind)
        guard let data else { return }
        // A link the kernel reports is complete: absent attributes mean zero.
        encapsulation.flags = []
        for attribute in data.nested(GreAttribute.self) {
            switch attribute.key {
            case .link?: underlay = Int32(bitPattern: attribute.u32)
            case .inputFlags?: inputFlags = GreFlags(rawValue: attribute.be16)
            case .outputFlags?: outputFlags = GreFlags(rawValue: attribute.be16)
            case .inputKey?: inputKey = GreKey(attribute.be32)
            case .outputKey?: outputKey = GreKey(attribute.be32)
            case .local?: local = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .remote?: remote = attribute.address.flatMap { $0.isUnspecified ? nil : $0 }
            case .ttl?: ttl = attribute.u8
            case .tos?: tos = attribute.u8
            case .pmtudisc?: pathMTUDiscovery = attribute.u8 != 0
            case .encapLimit?: encapLimit = attribute.u8
            case .flowInfo?: flowInfo = attribute.be32
            case .flags?: ipv6Flags = IPv6TunnelFlags(rawValue: attribute.u32)
            case .encapType?: encapsulation.kind = TunnelEncapsulation.Kind(rawValue: attribute.u16) ?? .none
            case .encapFlags?: encapsulation.flags = .init(rawValue: attribute.u16)
            case .encapSourcePort?: encapsulation.sourcePort = attribute.be16
            case .encapDestinationPort?: encapsulation.destinationPort = attribute.be16
            case .collectMetadata?: external = true
            case .ignoreDF?: ignoreDF = attribute.u8 != 0 ? true : nil
            case .fwmark?: fwmark = attribute.u32
            case .erspanIndex?, .erspanVersion?, .erspanDirection?, .erspanHardwareID?, nil: break
            }
        }
    }

    // MARK: Words

    public enum Word: Sendable {
        case key, noKey, inputKey, noInputKey, outputKey, noOutputKey
        case sequence, noSequence, inputSequence, noInputSequence, outputSequence, noOutputSequence
        case checksum, noChecksum, inputChecksum, noInputChecksum, outputChecksum, noOutputChecksum
        case noPMTUDiscovery, pmtuDiscovery, remote, local, device, ttl, tos
        case noEncap, encap, encapSourcePort, encapDestinationPort
        case encapChecksum, noEncapChecksum, encapUDP6Checksum, noEncapUDP6Checksum
        case encapRemoteChecksum, noEncapRemoteChecksum
        case external, ignoreDF, noIgnoreDF, fwmark
        case flowLabel, encapLimit, dscp, allowLocalRemote, noAllowLocalRemote
    }

    /// Every GRE option word, in iproute2's order (link_gre.c, then link_gre6.c's
    /// own): the first row a word names wins. iproute2 takes each of them again
    /// (the later wins), so every row is repeatable. `ip tunnel` reads the same
    /// rows (see `Tunnel`).
    public static let grammar = KeywordTable<Word>([
        Keyword(.key, .abbreviable("key"), value: "KEY"), Keyword(.noKey, .abbreviable("nokey")),
        Keyword(.inputKey, .abbreviable("ikey"), value: "KEY"), Keyword(.noInputKey, .abbreviable("noikey")),
        Keyword(.outputKey, .abbreviable("okey"), value: "KEY"), Keyword(.noOutputKey, .abbreviable("nookey")),
        Keyword(.sequence, .abbreviable("seq")), Keyword(.noSequence, .abbreviable("noseq")),
        Keyword(.inputSequence, .abbreviable("iseq")), Keyword(.noInputSequence, .abbreviable("noiseq")),
        Keyword(.outputSequence, .abbreviable("oseq")), Keyword(.noOutputSequence, .abbreviable("nooseq")),
        Keyword(.checksum, .abbreviable("csum")), Keyword(.noChecksum, .abbreviable("nocsum")),
        Keyword(.inputChecksum, .abbreviable("icsum")), Keyword(.noInputChecksum, .abbreviable("noicsum")),
        Keyword(.outputChecksum, .abbreviable("ocsum")), Keyword(.noOutputChecksum, .abbreviable("noocsum")),
        Keyword(.noPMTUDiscovery, .abbreviable("nopmtudisc"), family: .inet),
        Keyword(.pmtuDiscovery, .abbreviable("pmtudisc"), family: .inet),
        Keyword(.remote, .abbreviable("remote"), value: "ADDR"),
        Keyword(.local, .abbreviable("local"), value: "ADDR"),
        Keyword(.device, .abbreviable("dev"), value: "PHYS_DEV"),
        Keyword(.ttl, .abbreviable("ttl"), .abbreviable("hoplimit"), .abbreviable("hlim"), value: "{ 1..255 | inherit }"),
        Keyword(.tos, .abbreviable("tos"), .abbreviable("tclass"), .abbreviable("dsfield"), value: "{ HEX | inherit }"),
        Keyword(.noEncap, "noencap"), Keyword(.encap, "encap", value: "{ fou | gue | none }"),
        Keyword(.encapSourcePort, "encap-sport", value: "{ PORT | auto }"),
        Keyword(.encapDestinationPort, "encap-dport", value: "PORT"),
        Keyword(.encapChecksum, "encap-csum"), Keyword(.noEncapChecksum, "noencap-csum"),
        Keyword(.encapUDP6Checksum, "encap-udp6-csum"), Keyword(.noEncapUDP6Checksum, "noencap-udp6-csum"),
        Keyword(.encapRemoteChecksum, "encap-remcsum"), Keyword(.noEncapRemoteChecksum, "noencap-remcsum"),
        Keyword(.external, "external"),
        Keyword(.ignoreDF, "ignore-df", family: .inet), Keyword(.noIgnoreDF, "noignore-df", family: .inet),
        Keyword(.fwmark, "fwmark", value: "{ MARK | inherit }"),
        Keyword(.flowLabel, "flowlabel", "fl", value: "{ HEX | inherit }", family: .inet6),
        Keyword(.encapLimit, "encaplimit", value: "{ 0..255 | none }", family: .inet6),
        Keyword(.dscp, "dscp", value: "inherit", family: .inet6),
        Keyword(.allowLocalRemote, "allow-localremote", family: .inet6),
        Keyword(.noAllowLocalRemote, "noallow-localremote", family: .inet6),
    ])

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        let spelling = entry.spelling
        switch entry.keyword {
        case .key:
            let key = try GreKey(parsing: text, for: spelling)
            inputKey = key; outputKey = key
            inputFlags.insert(.key); outputFlags.insert(.key)
        case .noKey:
            inputKey = GreKey(0); outputKey = GreKey(0)
            inputFlags.remove(.key); outputFlags.remove(.key)
        case .inputKey:
            inputKey = try GreKey(parsing: text, for: spelling)
            inputFlags.insert(.key)
        case .noInputKey:
            inputKey = GreKey(0); inputFlags.remove(.key)
        case .outputKey:
            outputKey = try GreKey(parsing: text, for: spelling)
            outputFlags.insert(.key)
        case .noOutputKey:
            outputKey = GreKey(0); outputFlags.remove(.key)
        case .sequence: inputFlags.insert(.sequence); outputFlags.insert(.sequence)
        case .noSequence: inputFlags.remove(.sequence); outputFlags.remove(.sequence)
        case .inputSequence: inputFlags.insert(.sequence)
        case .noInputSequence: inputFlags.remove(.sequence)
        case .outputSequence: outputFlags.insert(.sequence)
        case .noOutputSequence: outputFlags.remove(.sequence)
        case .checksum: inputFlags.insert(.checksum); outputFlags.insert(.checksum)
        case .noChecksum: inputFlags.remove(.checksum); outputFlags.remove(.checksum)
        case .inputChecksum: inputFlags.insert(.checksum)
        case .noInputChecksum: inputFlags.remove(.checksum)
        case .outputChecksum: outputFlags.insert(.checksum)
        case .noOutputChecksum: outputFlags.remove(.checksum)
        case .noPMTUDiscovery: pathMTUDiscovery = false
        case .pmtuDiscovery: pathMTUDiscovery = true
        case .remote: remote = try endpoint(text, for: "remote")
        case .local: local = try endpoint(text, for: "local")
        case .device: underlay = try devices.index(of: text)
        case .ttl: ttl = text == "inherit" ? 0 : try Parse.unsigned(text, UInt8.self, for: spelling)
        case .tos: try applyTOS(text, spelling: spelling)
        case .noEncap: encapsulation.kind = .none
        case .encap:
            guard let kind = ["none": TunnelEncapsulation.Kind.none, "fou": .fou, "gue": .gue][text] else {
                throw InvalidArgument.badValue("encap", text, expected: "fou, gue or none")
            }
            encapsulation.kind = kind
        case .encapSourcePort:
            encapsulation.sourcePort = text == "auto" ? 0 : try Parse.unsigned(text, UInt16.self, for: "encap-sport")
        case .encapDestinationPort:
            encapsulation.destinationPort = try Parse.unsigned(text, UInt16.self, for: "encap-dport")
        case .encapChecksum: encapsulation.flags.insert(.checksum)
        case .noEncapChecksum: encapsulation.flags.remove(.checksum)
        case .encapUDP6Checksum: encapsulation.flags.insert(.checksum6)
        case .noEncapUDP6Checksum: encapsulation.flags.remove(.checksum6)
        case .encapRemoteChecksum: encapsulation.flags.insert(.remoteChecksum)
        case .noEncapRemoteChecksum: encapsulation.flags.remove(.remoteChecksum)
        case .external: external = true
        case .ignoreDF: ignoreDF = true
        case .noIgnoreDF: ignoreDF = false
        case .fwmark:
            if isIPv6 && text == "inherit" {
                ipv6Flags.insert(.useOriginalFwmark); fwmark = 0
            } else {
                fwmark = try Parse.unsigned(text, UInt32.self, for: "fwmark")
                ipv6Flags.remove(.useOriginalFwmark)
            }
        case .flowLabel:
            flowInfo &= ~0x000F_FFFF
            if text == "inherit" {
                ipv6Flags.insert(.useOriginalFlowLabel)
            } else {
                guard let label = UInt32(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16), label <= 0xF_FFFF else {
                    throw InvalidArgument.badValue(spelling, text, expected: "a hexadecimal flow label 0..0xfffff or inherit")
                }
                flowInfo |= label
                ipv6Flags.remove(.useOriginalFlowLabel)
            }
        case .encapLimit:
            if text == "none" {
                ipv6Flags.insert(.ignoreEncapLimit)
            } else {
                encapLimit = try Parse.unsigned(text, UInt8.self, for: "encaplimit")
                ipv6Flags.remove(.ignoreEncapLimit)
            }
        case .dscp:
            guard text == "inherit" else { throw InvalidArgument.badValue("dscp", text, expected: "inherit") }
            ipv6Flags.insert(.receiveDSCPCopy)
        case .allowLocalRemote: ipv6Flags.insert(.allowLocalRemote)
        case .noAllowLocalRemote: ipv6Flags.remove(.allowLocalRemote)
        }
    }

    private func endpoint(_ text: String, for keyword: String) throws(InvalidArgument) -> IPAddress? {
        if text == "any" { return nil }
        guard let address = IPAddress(text) else {
            throw Parse.badAddress(keyword, text, expected: isIPv6 ? "an IPv6 address or any" : "an IPv4 address or any")
        }
        guard address.family == family else {
            throw InvalidArgument("\(keyword) \(text) is \(address.family.label), but \(kind) tunnels run over \(family.label) (use \(greKind.overOtherFamily.rawValue))")
        }
        return address.isUnspecified ? nil : address
    }

    /// TOS is hexadecimal in iproute2 (rtnl_dsfield_a2n); for IPv6 it is the traffic class.
    private mutating func applyTOS(_ text: String, spelling: String) throws(InvalidArgument) {
        if text == "inherit" {
            if isIPv6 { ipv6Flags.insert(.useOriginalTrafficClass) } else { tos = 1 }
            return
        }
        guard let value = Parse.parseDSField(text) else {
            throw .badValue(spelling, text, expected: "a hexadecimal value 0..ff or inherit")
        }
        if isIPv6 {
            flowInfo = flowInfo & ~0x0FF0_0000 | UInt32(value) << 20
            ipv6Flags.remove(.useOriginalTrafficClass)
        } else {
            tos = value
        }
    }

    /// The command lines GRE options come from: `ip link`'s words, and `ip tunnel`'s
    /// (the same rows, never abbreviated, with one rule of their own in `finish`).
    public enum Dialect: Sendable { case link, tunnel }

    public mutating func finish() throws(InvalidArgument) { try finish(as: .link) }

    public mutating func finish(as dialect: Dialect) throws(InvalidArgument) {
        if !isIPv6, ignoreDF == true, pathMTUDiscovery {
            throw InvalidArgument("ignore-df needs nopmtudisc: the kernel refuses to ignore DF while path MTU discovery is on")
        }
        // A multicast remote makes a broadcast tunnel: keyed by the group, as iproute2 does.
        if let remote, remote.isMulticast, !isIPv6 {
            guard local != nil else { throw InvalidArgument("a tunnel with multicast remote \(remote) needs a local address") }
            if case .v4(let group) = remote {
                if inputKey.value == 0 { inputKey = GreKey(group.value); inputFlags.insert(.key) }
                if outputKey.value == 0 { outputKey = GreKey(group.value); outputFlags.insert(.key) }
            }
        }
        // `ip tunnel` refuses a fixed TTL without path MTU discovery: through its ioctl
        // the kernel turns discovery back on for a tunnel with a TTL (ip_tunnel_ctl sets
        // DF), so the two words contradict each other there. `ip link` sends both, and
        // the kernel keeps both.
        if dialect == .tunnel, !isIPv6, ttl != 0, !pathMTUDiscovery {
            throw InvalidArgument("ttl \(ttl) and nopmtudisc are incompatible: a fixed TTL needs path MTU discovery")
        }
    }

    // MARK: Attributes

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        try info.nest(.data, GreAttribute.self) { gre in
            if external {
                try gre.flag(.collectMetadata)
                return
            }
            try gre.put(.inputKey, BigEndian(inputKey.value))
            try gre.put(.outputKey, BigEndian(outputKey.value))
            try gre.put(.inputFlags, BigEndian(inputFlags.rawValue))
            try gre.put(.outputFlags, BigEndian(outputFlags.rawValue))
            if let local { try gre.put(.local, local) }
            if let remote { try gre.put(.remote, remote) }
            if isIPv6 {
                if underlay != 0 { try gre.put(.link, UInt32(bitPattern: underlay)) }
                try gre.put(.ttl, ttl)
                try gre.put(.encapLimit, encapLimit)
                try gre.put(.flowInfo, BigEndian(flowInfo))
                try gre.put(.flags, ipv6Flags.rawValue)
            } else {
                try gre.put(.pmtudisc, UInt8(pathMTUDiscovery ? 1 : 0))
                if let ignoreDF { try gre.put(.ignoreDF, UInt8(ignoreDF ? 1 : 0)) }
                try gre.put(.tos, tos)
                if underlay != 0 { try gre.put(.link, UInt32(bitPattern: underlay)) }
                try gre.put(.ttl, ttl)
            }
            try gre.put(.fwmark, fwmark)
            try gre.put(.encapType, encapsulation.kind.rawValue)
            try gre.put(.encapFlags, encapsulation.flags.rawValue)
            try gre.put(.encapSourcePort, BigEndian(encapsulation.sourcePort))
            try gre.put(.encapDestinationPort, BigEndian(encapsulation.destinationPort))
        }
    }

    // MARK: Description

    // iproute2 prints the same facts two ways: `ip -d link show` (link_gre.c,
    // link_gre6.c) and `ip tunnel show` (iptunnel.c, ip6tunnel.c). The items both
    // print are made by the helpers below, each of which says where the two differ.

    /// The options as `ip -d link show` prints them.
    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        describe(devices, naming: naming, beforeEncapsulation: [])
    }

    /// The options as `ip -d link show` prints them, with what an ERSPAN link adds
    /// (`extra`), which iproute2 prints before the UDP encapsulation.
    func describe(_ devices: any InterfaceResolver, naming: Naming, beforeEncapsulation extra: [Field]) -> [Field] {
        var fields: [Field] = []
        if external { fields.append(.flag("external")) }
        fields.append(endpoint("remote", remote, as: .link))
        fields.append(endpoint("local", local, as: .link))
        if underlay != 0 {
            fields.append(.string("link", devices.displayName(of: underlay), label: "dev"))
        }
        fields.append(hopLimit(as: .link))
        if isIPv6 {
            fields.append(encapsulationLimit(as: .link))
            fields.append(trafficClass(as: .link))
            fields.append(flowLabel(as: .link))
            if ipv6Flags.contains(.receiveDSCPCopy) { fields.append(ipv6Flag("ip6_tnl_f_rcv_dscp_copy", "dscp inherit", as: .link)) }
        } else {
            if let tos = typeOfService(as: .link, naming: naming) { fields.append(tos) }
            fields.append(pathMTUDiscovery ? .jsonOnly("pmtudisc", .bool(true)) : Field("pmtudisc", .bool(false), text: "nopmtudisc"))
            if ignoreDF == true { fields.append(.flag("ignore_df", text: "ignore-df")) }
        }
        if inputFlags.contains(.key) { fields.append(.string("ikey", inputKey.dottedQuad)) }
        if outputFlags.contains(.key) { fields.append(.string("okey", outputKey.dottedQuad)) }
        if inputFlags.contains(.sequence) { fields.append(.flag("iseq")) }
        if outputFlags.contains(.sequence) { fields.append(.flag("oseq")) }
        if inputFlags.contains(.checksum) { fields.append(.flag("icsum")) }
        if outputFlags.contains(.checksum) { fields.append(.flag("ocsum")) }
        if isIPv6 && ipv6Flags.contains(.allowLocalRemote) {
            fields.append(.flag("ip6_tnl_f_allow_local_remote", text: "allow-localremote"))
        }
        if isIPv6 && ipv6Flags.contains(.useOriginalFwmark) {
            fields.append(.flag("ip6_tnl_f_use_orig_fwmark", text: "fwmark inherit"))
        } else if fwmark != 0 {
            fields.append(.hex("fwmark", fwmark))
        }
        fields += extra
        if encapsulation.kind != .none { fields.append(encapsulation.field) }
        return fields
    }

    /// The tunnel `name` as `ip tunnel show` prints it.
    public func describeAsTunnel(name: String, _ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        let mode = (isEthernet ? "gretap" : "gre") + "/" + (isIPv6 ? "ipv6" : "ip")
        var fields: [Field] = [
            Field("ifname", .string(name), text: "\(name):"),
            Field("mode", .string(mode), text: mode),
            endpoint("remote", remote, as: .tunnel),
            endpoint("local", local, as: .tunnel),
        ]
        if underlay != 0, let device = devices.name(of: underlay) {
            fields.append(.string(isIPv6 ? "link" : "dev", device, label: "dev"))
        }
        if isIPv6 {
            fields.append(encapsulationLimit(as: .tunnel))
            fields.append(hopLimit(as: .tunnel))
            fields.append(trafficClass(as: .tunnel))
            fields.append(flowLabel(as: .tunnel))
            let flowInfo = hexadecimal(flowInfo, digits: 8)
            fields.append(Field("flowinfo", .string(flowInfo), text: "(flowinfo \(flowInfo))"))
        } else {
            fields.append(hopLimit(as: .tunnel))
            if let tos = typeOfService(as: .tunnel, naming: naming) { fields.append(tos) }
            if !pathMTUDiscovery { fields.append(Field("nopmtudisc", .null, text: "nopmtudisc")) }
        }
        // Keys in decimal, one "key" when both directions share it (tnl_print_gre_flags).
        if inputFlags.contains(.key), outputFlags.contains(.key), inputKey == outputKey {
            fields.append(.unsigned("key", inputKey.value))
        } else {
            if inputFlags.contains(.key) { fields.append(.unsigned("ikey", inputKey.value)) }
            if outputFlags.contains(.key) { fields.append(.unsigned("okey", outputKey.value)) }
        }
        // Each flag on a line of its own in text, as an array in JSON.
        var flags: [(String, String)] = []
        if inputFlags.contains(.sequence) { flags.append(("rx_drop_ooseq", "Drop packets out of sequence.")) }
        if inputFlags.contains(.checksum) { flags.append(("rx_csum", "Checksum in received packet is required.")) }
        if outputFlags.contains(.sequence) { flags.append(("tx_seq", "Sequence packets on output.")) }
        if outputFlags.contains(.checksum) { flags.append(("tx_csum", "Checksum output packets.")) }
        fields.append(Field(
            "flags", .array(flags.map { .string($0.0) }),
            text: flags.isEmpty ? nil : flags.map { "\n  " + $0.1 }.joined()))
        return fields
    }

    /// "remote ADDR", "any" when open; `ip -6 tunnel` writes the zero address ("::")
    /// instead, and `ip tunnel` does in JSON.
    private func endpoint(_ key: String, _ address: IPAddress?, as dialect: Dialect) -> Field {
        let text = address?.description ?? (dialect == .tunnel && isIPv6 ? IPAddress.zero(family).description : "any")
        let json = address?.description ?? (dialect == .link ? "any" : IPAddress.zero(family).description)
        return Field(key, .string(json), text: "\(key) \(text)")
    }

    /// "ttl N" (IPv6: "hoplimit N"), "inherit" for 0. `ip link` keys it "ttl" in JSON
    /// and always writes it; `ip tunnel` keys it by its text and leaves "inherit" out.
    private func hopLimit(as dialect: Dialect) -> Field {
        let label = isIPv6 ? "hoplimit" : "ttl"
        switch dialect {
        case .link: return Field("ttl", .unsigned(UInt64(ttl)), text: ttl == 0 ? "\(label) inherit" : "\(label) \(ttl)")
        case .tunnel: return ttl == 0 ? .textOnly("\(label) inherit") : .unsigned(label, ttl)
        }
    }

    /// "tos 0x10", "tos inherit" for 1; nil for 0. `ip link` writes inherit's 0x1 in
    /// JSON, `ip tunnel` leaves it out. `ip tunnel` names the byte from rt_dsfield
    /// ("tos AF11", "0x04" with -N; rtnl_dsfield_n2a) and writes a TOS that also
    /// inherits as "inherit/" and the rest, but in JSON; `ip link` writes hexadecimal.
    private func typeOfService(as dialect: Dialect, naming: Naming) -> Field? {
        guard tos != 0 else { return nil }
        switch dialect {
        case .link:
            let value = hexadecimal(tos)
            return Field("tos", .string(value), text: tos == 1 ? "tos inherit" : "tos \(value)")
        case .tunnel:
            guard tos != 1 else { return .textOnly("tos inherit") }
            let text = tos & 1 != 0 ? "inherit/" + naming.dsfield(tos & ~1) : naming.dsfield(tos)
            return Field("tos", .string(naming.dsfield(tos)), text: "tos \(text)")
        }
    }

    /// An ip6_tnl flag: true in `ip link`'s JSON, null in `ip tunnel`'s.
    private func ipv6Flag(_ key: String, _ text: String, as dialect: Dialect) -> Field {
        Field(key, dialect == .link ? .bool(true) : .null, text: text)
    }

    private func encapsulationLimit(as dialect: Dialect) -> Field {
        ipv6Flags.contains(.ignoreEncapLimit)
            ? ipv6Flag("ip6_tnl_f_ign_encap_limit", "encaplimit none", as: dialect)
            : .unsigned("encap_limit", encapLimit, label: "encaplimit")
    }

    private func trafficClass(as dialect: Dialect) -> Field {
        ipv6Flags.contains(.useOriginalTrafficClass)
            ? ipv6Flag("ip6_tnl_f_use_orig_tclass", "tclass inherit", as: dialect)
            : .string("tclass", hexadecimal(flowInfo >> 20 & 0xff, digits: 2))
    }

    private func flowLabel(as dialect: Dialect) -> Field {
        ipv6Flags.contains(.useOriginalFlowLabel)
            ? ipv6Flag("ip6_tnl_f_use_orig_flowlabel", "flowlabel inherit", as: dialect)
            : .string("flowlabel", hexadecimal(flowInfo & 0xF_FFFF, digits: 5))
    }

    // MARK: Derived facts

    public var outerMark: UInt32 { ipv6Flags.contains(.useOriginalFwmark) ? 0 : fwmark }

    public var outerTOS: UInt8 {
        if isIPv6 { return ipv6Flags.contains(.useOriginalTrafficClass) ? 0 : UInt8(truncatingIfNeeded: flowInfo >> 20) }
        // Bit 0 set: inherit (1 alone is `tos inherit`).
        return tos & 1 != 0 ? 0 : tos
    }

    public var addsEncapsulationLimit: Bool { isIPv6 && !ipv6Flags.contains(.ignoreEncapLimit) }

    public var overheadParts: [OverheadPart] {
        var parts = [outerHeader]
        if addsEncapsulationLimit {
            parts.append(OverheadPart(name: "encap limit option", bytes: 8))
        }
        switch encapsulation.kind {
        case .none: break
        case .fou: parts.append(OverheadPart(name: "FOU", bytes: encapsulation.overhead))
        case .gue: parts.append(OverheadPart(name: "GUE", bytes: encapsulation.overhead))
        }
        parts.append(OverheadPart(name: "GRE", bytes: 4))
        if outputFlags.contains(.key) { parts.append(OverheadPart(name: "key", bytes: 4)) }
        if outputFlags.contains(.sequence) { parts.append(OverheadPart(name: "seq", bytes: 4)) }
        if outputFlags.contains(.checksum) { parts.append(OverheadPart(name: "csum", bytes: 4)) }
        if isEthernet { parts.append(OverheadPart(name: "Ethernet", bytes: 14)) }
        return parts
    }
}

// MARK: ERSPAN (shown only)

/// ERSPAN links: a GRE tap's tunnel (erspan over IPv4, ip6erspan over IPv6) whose
/// frames carry an ERSPAN header. gretool shows them as `ip -d link show` does (the
/// modules make the fallback device erspan0 in every namespace) but makes none.
public struct ErspanDescription: LinkKindDescription {
    public static let kinds = ["erspan", "ip6erspan"]

    /// The GRE tunnel under the ERSPAN header, read as the tap of the same family.
    public let tunnel: GreOptions
    /// The ERSPAN header's version: 1 (type II) or 2 (type III).
    public var version: UInt8?
    /// Version 1: the session's port index.
    public var index: UInt32?
    /// Version 2: whether the mirrored frames were received (0, "ingress") or sent.
    public var direction: UInt8?
    /// Version 2: the hardware id of the mirroring engine.
    public var hardwareID: UInt16?

    public init(kind: String, data: Attribute<LinkInfoAttribute>?) {
        tunnel = GreOptions(kind: kind == "ip6erspan" ? "ip6gretap" : "gretap", data: data)
        guard let data else { return }
        for attribute in data.nested(GreAttribute.self) {
            switch attribute.key {
            case .erspanIndex?: index = attribute.u32
            case .erspanVersion?: version = attribute.u8
            case .erspanDirection?: direction = attribute.u8
            case .erspanHardwareID?: hardwareID = attribute.u16
            default: break
            }
        }
    }

    /// The tunnel's options, then the header's fields, before the UDP encapsulation (as
    /// gre_print_opt, which serves both).
    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] {
        var fields: [Field] = []
        if let index { fields.append(.unsigned("erspan_index", index)) }
        if let version { fields.append(.unsigned("erspan_ver", version)) }
        if let direction { fields.append(.string("erspan_dir", direction == 0 ? "ingress" : "egress")) }
        if let hardwareID {
            // print_0xhex's "%#llx": no "0x" before a zero.
            let text = hardwareID == 0 ? "0" : hexadecimal(hardwareID)
            fields.append(.string("erspan_hwid", text))
        }
        return tunnel.describe(devices, naming: naming, beforeEncapsulation: fields)
    }
}

// MARK: Settings (apply)

extension GreOptions {
    /// The kernel finds a tunnel by its endpoints, its underlay and its input key
    /// (ip_tunnel_find, ip6gre's lookup) and refuses a second one so found; it keeps one
    /// `external` device per kind.
    public func exclusiveSettings(_ devices: any InterfaceResolver) -> [KindSetting]? {
        if external { return [.flag("external")] }
        var settings = settings(devices).filter { ["remote", "local", "link"].contains($0.key) }
        if inputFlags.contains(.key) { settings.append(.word("ikey", String(inputKey.value))) }
        return settings
    }

    /// The options that differ from a new tunnel's, keyed as `ip -d -j link show` names
    /// them; a key and a sequence or checksum flag given both ways is one setting
    /// (`key`, `seq`, `csum`), as `ip tunnel` writes it.
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] {
        if external { return [.flag("external")] }
        let defaults = GreOptions(kind: kind)
        var settings: [KindSetting] = []
        if let remote { settings.append(.word("remote", remote.description)) }
        if let local { settings.append(.word("local", local.description)) }
        if underlay != 0 { settings.append(.word("link", devices.displayName(of: underlay))) }
        if ttl != defaults.ttl { settings.append(.word("ttl", ttl == 0 ? "inherit" : String(ttl))) }
        if !isIPv6 {
            if tos != 0 { settings.append(.word("tos", tos == 1 ? "inherit" : hexadecimal(tos))) }
            if !pathMTUDiscovery { settings.append(.flag("pmtudisc", false)) }
            if ignoreDF == true { settings.append(.flag("ignore_df")) }
        }
        let (input, output) = (inputFlags.contains(.key), outputFlags.contains(.key))
        if input, output, inputKey == outputKey {
            settings.append(.word("key", String(inputKey.value)))
        } else {
            if input { settings.append(.word("ikey", String(inputKey.value))) }
            if output { settings.append(.word("okey", String(outputKey.value))) }
        }
        for (flag, both, inward, outward) in [(GreFlags.sequence, "seq", "iseq", "oseq"), (.checksum, "csum", "icsum", "ocsum")] {
            switch (inputFlags.contains(flag), outputFlags.contains(flag)) {
            case (true, true): settings.append(.flag(both))
            case (true, false): settings.append(.flag(inward))
            case (false, true): settings.append(.flag(outward))
            case (false, false): break
            }
        }
        if isIPv6 && ipv6Flags.contains(.useOriginalFwmark) {
            settings.append(.word("fwmark", "inherit"))
        } else if fwmark != 0 {
            settings.append(.word("fwmark", hexadecimal(fwmark)))
        }
        if encapsulation.kind != .none {
            settings.append(.word("encap", encapsulation.kind == .fou ? "fou" : "gue"))
            if encapsulation.sourcePort != 0 { settings.append(.word("encap_sport", String(encapsulation.sourcePort))) }
            if encapsulation.destinationPort != 0 { settings.append(.word("encap_dport", String(encapsulation.destinationPort))) }
        }
        for (flag, key) in [(TunnelEncapsulation.Flags.checksum, "encap_csum"), (.checksum6, "encap_csum6"), (.remoteChecksum, "encap_remcsum")]
        where encapsulation.flags.contains(flag) != defaults.encapsulation.flags.contains(flag) {
            settings.append(.flag(key, encapsulation.flags.contains(flag)))
        }
        if isIPv6 { settings += ipv6Settings(defaults) }
        return settings
    }

    private func ipv6Settings(_ defaults: GreOptions) -> [KindSetting] {
        var settings: [KindSetting] = []
        if ipv6Flags.contains(.ignoreEncapLimit) {
            settings.append(.word("encap_limit", "none"))
        } else if encapLimit != defaults.encapLimit {
            settings.append(.word("encap_limit", String(encapLimit)))
        }
        if ipv6Flags.contains(.useOriginalTrafficClass) {
            settings.append(.word("tclass", "inherit"))
        } else if flowInfo >> 20 & 0xff != 0 {
            settings.append(.word("tclass", hexadecimal(flowInfo >> 20 & 0xff, digits: 2)))
        }
        if ipv6Flags.contains(.useOriginalFlowLabel) {
            settings.append(.word("flowlabel", "inherit"))
        } else if flowInfo & 0xF_FFFF != 0 {
            settings.append(.word("flowlabel", hexadecimal(flowInfo & 0xF_FFFF, digits: 5)))
        }
        if ipv6Flags.contains(.receiveDSCPCopy) { settings.append(.word("dscp", "inherit")) }
        if ipv6Flags.contains(.allowLocalRemote) { settings.append(.flag("allow_localremote")) }
        return settings
    }

    /// Resets go back to a new tunnel's values. `dev` and `dscp inherit` have no word
    /// that undoes them, and `external` changes what the device is: the tunnel is made
    /// again instead.
    public static func settingWords(kind: String) -> [KindSettingWords] {
        let defaults = GreOptions(kind: kind)
        func encapFlag(_ key: String, _ word: String, _ flag: TunnelEncapsulation.Flags) -> KindSettingWords {
            KindSettingWords(key, word: word, off: "no" + word, reset: [(defaults.encapsulation.flags.contains(flag) ? "" : "no") + word])
        }
        var rows: [KindSettingWords] = [
            KindSettingWords("remote", word: "remote", reset: ["remote", "any"]),
            KindSettingWords("local", word: "local", reset: ["local", "any"]),
            KindSettingWords("link", word: "dev", reset: nil),
            KindSettingWords("ttl", word: "ttl", reset: ["ttl", defaults.ttl == 0 ? "inherit" : String(defaults.ttl)]),
            KindSettingWords("key", word: "key", reset: ["nokey"]),
            KindSettingWords("ikey", word: "ikey", reset: ["noikey"]),
            KindSettingWords("okey", word: "okey", reset: ["nookey"]),
            KindSettingWords("seq", word: "seq", off: "noseq", reset: ["noseq"]),
            KindSettingWords("iseq", word: "iseq", off: "noiseq", reset: ["noiseq"]),
            KindSettingWords("oseq", word: "oseq", off: "nooseq", reset: ["nooseq"]),
            KindSettingWords("csum", word: "csum", off: "nocsum", reset: ["nocsum"]),
            KindSettingWords("icsum", word: "icsum", off: "noicsum", reset: ["noicsum"]),
            KindSettingWords("ocsum", word: "ocsum", off: "noocsum", reset: ["noocsum"]),
            KindSettingWords("fwmark", word: "fwmark", reset: ["fwmark", "0"]),
            KindSettingWords("encap", word: "encap", reset: ["encap", "none"]),
            KindSettingWords("encap_sport", word: "encap-sport", reset: ["encap-sport", "auto"]),
            KindSettingWords("encap_dport", word: "encap-dport", reset: ["encap-dport", "0"]),
            encapFlag("encap_csum", "encap-csum", .checksum),
            encapFlag("encap_csum6", "encap-udp6-csum", .checksum6),
            encapFlag("encap_remcsum", "encap-remcsum", .remoteChecksum),
            KindSettingWords("external", word: "external", reset: nil),
        ]
        if defaults.isIPv6 {
            rows += [
                KindSettingWords("encap_limit", word: "encaplimit", reset: ["encaplimit", String(defaults.encapLimit)]),
                KindSettingWords("tclass", word: "tclass", reset: ["tclass", "0"]),
                KindSettingWords("flowlabel", word: "flowlabel", reset: ["flowlabel", "0"]),
                KindSettingWords("dscp", word: "dscp", reset: nil),
                KindSettingWords("allow_localremote", word: "allow-localremote", off: "noallow-localremote", reset: ["noallow-localremote"]),
            ]
        } else {
            rows += [
                KindSettingWords("tos", word: "tos", reset: ["tos", "0"]),
                KindSettingWords("pmtudisc", word: "pmtudisc", off: "nopmtudisc", reset: ["pmtudisc"]),
                KindSettingWords("ignore_df", word: "ignore-df", off: "noignore-df", reset: ["noignore-df"]),
            ]
        }
        return rows
    }
}
