import CMnl
import Netlink

/// A route's lightweight-tunnel encapsulation (RTA_ENCAP_TYPE and RTA_ENCAP): the
/// metadata a tunnel in collect_md mode (a GRE link with `external`) sends a packet
/// with. The route keeps the attributes as the kernel sent them (`Route.opaque`);
/// this is what they say, for `route show`.
public struct RouteEncapsulation: Sendable, Equatable {
    public var type: EncapsulationType
    /// ip and ip6: the tunnel key, and the outer header's addresses and fields.
    public var id: UInt64?
    public var source: IPAddress?
    public var destination: IPAddress?
    /// The TTL (ip) or hop limit (ip6).
    public var ttl: UInt8?
    /// The TOS (ip) or traffic class (ip6).
    public var tos: UInt8?
    public var flags: Flags = []

    /// TUNNEL_* of the tunnel key (the kernel's ip_tunnels.h, not uapi; iproute2 copies
    /// them), sent in network byte order.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let checksum = Flags(rawValue: 0x01)
        public static let key = Flags(rawValue: 0x04)
        public static let sequence = Flags(rawValue: 0x08)
    }

    public init(type: EncapsulationType) { self.type = type }

    /// The encapsulation among `attributes` (a route's or a leg's, RTA_ENCAP_TYPE and
    /// RTA_ENCAP; a nexthop object's, NHA_ENCAP_TYPE and NHA_ENCAP), if any.
    init?<Key: NetlinkAttributeType>(_ attributes: [OpaqueAttribute], type typeKey: Key, encap encapKey: Key) {
        guard let typeAttribute = attributes.first(where: { $0.typeAndFlags & cmnl_nla_type_mask == typeKey.rawValue }),
              typeAttribute.payload.count >= 2 else { return nil }
        let rawType = typeAttribute.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        self.init(type: EncapsulationType(rawValue: rawType) ?? .none)
        guard let encap = attributes.first(where: { $0.typeAndFlags & cmnl_nla_type_mask == encapKey.rawValue }) else { return }
        encap.payload.withUnsafeBytes { payload in
            switch type {
            case .ip:
                for attribute in AttributeList<IPEncapAttribute>(payload) {
                    switch attribute.key {
                    case .id?: id = UInt64(bigEndian: attribute.u64)
                    case .source?: source = IPAddress(bytes: attribute.payload)
                    case .destination?: destination = IPAddress(bytes: attribute.payload)
                    case .ttl?: ttl = attribute.u8
                    case .tos?: tos = attribute.u8
                    case .flags?: flags = Flags(rawValue: UInt16(bigEndian: attribute.u16))
                    default: break
                    }
                }
            case .ip6:
                for attribute in AttributeList<IP6EncapAttribute>(payload) {
                    switch attribute.key {
                    case .id?: id = UInt64(bigEndian: attribute.u64)
                    case .source?: source = IPAddress(bytes: attribute.payload)
                    case .destination?: destination = IPAddress(bytes: attribute.payload)
                    case .hoplimit?: ttl = attribute.u8
                    case .trafficClass?: tos = attribute.u8
                    case .flags?: flags = Flags(rawValue: UInt16(bigEndian: attribute.u16))
                    default: break
                    }
                }
            default:
                break
            }
        }
    }
}

extension RouteEncapsulation {
    /// The type as iproute2 names it (format_encap_type).
    public var typeName: String {
        switch type {
        case .mpls: "mpls"
        case .ip: "ip"
        case .ila: "ila"
        case .ip6: "ip6"
        case .seg6: "seg6"
        case .bpf: "bpf"
        case .seg6Local: "seg6local"
        case .rpl: "rpl"
        case .ioam6: "ioam6"
        case .xfrm: "xfrm"
        case .none: "unknown"
        }
    }
}

extension RouteEncapsulation {
    enum Word: Sendable { case id, destination, source, tos, ttl, key, checksum, sequence }

    /// `encap ip`'s words, as iproute2's parse_encap_ip reads them: whole, each once.
    static let ipGrammar = KeywordTable<Word>([
        Keyword(.id, "id", value: "KEY", repeatable: false), Keyword(.destination, "dst", value: "ADDRESS", repeatable: false),
        Keyword(.source, "src", value: "ADDRESS", repeatable: false), Keyword(.tos, "tos", value: "TOS", repeatable: false),
        Keyword(.ttl, "ttl", value: "TTL", repeatable: false), Keyword(.key, "key", repeatable: false),
        Keyword(.checksum, "csum", repeatable: false), Keyword(.sequence, "seq", repeatable: false),
    ])

    /// `encap ip6`'s words (parse_encap_ip6): the traffic class and hop limit in the
    /// places of the TOS and TTL.
    static let ip6Grammar = KeywordTable<Word>([
        Keyword(.id, "id", value: "KEY", repeatable: false), Keyword(.destination, "dst", value: "ADDRESS", repeatable: false),
        Keyword(.source, "src", value: "ADDRESS", repeatable: false), Keyword(.tos, "tc", value: "TCLASS", repeatable: false),
        Keyword(.ttl, "hoplimit", value: "HOPLIMIT", repeatable: false), Keyword(.key, "key", repeatable: false),
        Keyword(.checksum, "csum", repeatable: false), Keyword(.sequence, "seq", repeatable: false),
    ])

    /// The types iproute2 knows (read_encap_type) but gretool does not send: the host's
    /// kernel may lack them, and no GRE setup needs them.
    static let otherTypes: Set<String> = ["mpls", "ila", "bpf", "seg6", "seg6local", "rpl", "ioam6", "xfrm"]

    public static var keywords: [String] { ["ip", "ip6"] + ipGrammar.spellings + ip6Grammar.spellings }

    /// `encap { ip | ip6 } WORDS`, "encap" just read: its words are taken while they
    /// are the type's (the next word ends them and is the caller's).
    public static func parse(_ words: inout WordScanner) throws -> RouteEncapsulation {
        let name = try words.value(for: "encap")
        var encapsulation: RouteEncapsulation
        switch name {
        case "ip": encapsulation = RouteEncapsulation(type: .ip)
        case "ip6": encapsulation = RouteEncapsulation(type: .ip6)
        case _ where otherTypes.contains(name):
            throw InvalidArgument("encap \(name): gretool sends the ip and ip6 encapsulations only")
        default:
            throw InvalidArgument.badValue("encap", name, expected: "ip or ip6")
        }
        // iproute2 (lwt_parse_encap) wants two words at least after the type.
        guard words.words.count - words.position >= 2 else { throw InvalidArgument("unexpected end of line after \"encap\"") }
        let grammar = encapsulation.type == .ip ? ipGrammar : ip6Grammar
        let family: AddressFamily = encapsulation.type == .ip ? .inet : .inet6
        // A scanner of its own: each leg of a route may have an encapsulation, and each
        // encapsulation's words once.
        var own = WordScanner(Array(words.words[words.position...]), allowsAbbreviations: false)
        while let word = own.next() {
            guard let entry = try own.keyword(word, in: grammar) else {
                own.unread()
                break
            }
            let value = try own.value(of: entry)
            switch entry.keyword {
            case .id: encapsulation.id = try Parse.unsigned(value, UInt64.self, for: "id")
            case .destination, .source:
                let address = try Parse.address(value, for: entry.spelling)
                guard address.family == family else {
                    throw InvalidArgument("\(entry.spelling) \(value): encap \(name) takes an \(family.label) address")
                }
                if entry.keyword == .destination { encapsulation.destination = address } else { encapsulation.source = address }
            case .tos: encapsulation.tos = try Parse.dsfield(value, for: entry.spelling)
            case .ttl: encapsulation.ttl = try Parse.unsigned(value, UInt8.self, for: entry.spelling)
            case .key: encapsulation.flags.insert(.key)
            case .checksum: encapsulation.flags.insert(.checksum)
            case .sequence: encapsulation.flags.insert(.sequence)
            }
        }
        for _ in 0..<own.position { _ = words.next() }
        return encapsulation
    }

    /// The flags' words, in the order iproute2 prints them (print_encap_ip).
    public static let flagNames: [(flag: Flags, name: String)] = [(.key, "key"), (.checksum, "csum"), (.sequence, "seq")]

    /// The words of the TTL and the TOS: `ttl` and `tos` for ip, `hoplimit` and `tc` for ip6.
    public var ttlWord: String { type == .ip ? "ttl" : "hoplimit" }
    public var tosWord: String { type == .ip ? "tos" : "tc" }

    /// `encap { ip | ip6 } ...` as `parse` reads it back: the fields it has, in the
    /// order iproute2 prints them (the TOS and traffic class in hexadecimal, as read).
    /// None for the other types, which gretool does not send.
    public var words: [String] {
        guard type == .ip || type == .ip6 else { return [] }
        var words = ["encap", typeName]
        if let id { words += ["id", String(id)] }
        if let source { words += ["src", source.description] }
        if let destination { words += ["dst", destination.description] }
        if let ttl { words += [ttlWord, String(ttl)] }
        if let tos { words += [tosWord, hexadecimal(tos)] }
        for (flag, name) in Self.flagNames where flags.contains(flag) { words.append(name) }
        return words
    }

    /// As the kernel reports it: ip and ip6 encapsulations come back with every field,
    /// zero where none was given. Two encapsulations are the same header when their
    /// reported forms are equal.
    public var asReported: RouteEncapsulation {
        guard type == .ip || type == .ip6 else { return self }
        var reported = self
        let family: AddressFamily = type == .ip ? .inet : .inet6
        reported.id = id ?? 0
        reported.source = source ?? .zero(family)
        reported.destination = destination ?? .zero(family)
        reported.ttl = ttl ?? 0
        reported.tos = tos ?? 0
        return reported
    }

    /// The attributes that carry it, under `type` and `encap` (RTA_ENCAP_TYPE and
    /// RTA_ENCAP for a route or a leg, NHA_ENCAP_TYPE and NHA_ENCAP for a nexthop), as
    /// iproute2 writes them: the nest, then the type.
    public func attributes<Key: NetlinkAttributeType>(type typeKey: Key, encap encapKey: Key) throws -> [OpaqueAttribute] {
        let nest: OpaqueAttribute
        switch type {
        case .ip:
            nest = try OpaqueAttribute(nest: encapKey, IPEncapAttribute.self) { encap in
                if let id { try encap.put(.id, BigEndian(id)) }
                if let destination { try encap.put(.destination, destination) }
                if let source { try encap.put(.source, source) }
                if let tos { try encap.put(.tos, tos) }
                if let ttl { try encap.put(.ttl, ttl) }
                if !flags.isEmpty { try encap.put(.flags, BigEndian(flags.rawValue)) }
            }
        case .ip6:
            nest = try OpaqueAttribute(nest: encapKey, IP6EncapAttribute.self) { encap in
                if let id { try encap.put(.id, BigEndian(id)) }
                if let destination { try encap.put(.destination, destination) }
                if let source { try encap.put(.source, source) }
                if let tos { try encap.put(.trafficClass, tos) }
                if let ttl { try encap.put(.hoplimit, ttl) }
                if !flags.isEmpty { try encap.put(.flags, BigEndian(flags.rawValue)) }
            }
        default:
            throw InvalidArgument("encap \(typeName): gretool sends the ip and ip6 encapsulations only")
        }
        return [nest, OpaqueAttribute(typeKey, type.rawValue)]
    }
}
