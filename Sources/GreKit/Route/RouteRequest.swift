import CMnl

/// The verbs that change routes, each with the request iproute2 sends for it.
public enum RouteChange: String, Sendable {
    case add, change, replace, prepend, append, delete

    /// Only `add` refuses an existing route, so only what it made can be taken back
    /// exactly, by the same description deleted: the key (destination, source, table,
    /// TOS, metric) is then its own, and every field a delete leaves out matches
    /// anything. An IPv4 route without a metric has metric 0, the lowest, so it is the
    /// first of its key the delete meets; an IPv6 route's metric is always sent (see
    /// `parse`). What `delete` removed is added again as the kernel describes it.
    public var request: ChangeRequest {
        switch self {
        case .add: ChangeRequest(.newRoute, flags: [.create, .exclusive], undo: .resend(as: .deleteRoute))
        case .change: ChangeRequest(.newRoute, flags: .replace)
        case .replace: ChangeRequest(.newRoute, flags: [.create, .replace])
        case .prepend: ChangeRequest(.newRoute, flags: .create)
        case .append: ChangeRequest(.newRoute, flags: [.create, .append])
        case .delete: ChangeRequest(.deleteRoute, flags: [], undo: .recreate(as: .newRoute, kind: Route.self))
        }
    }

    /// The request for this verb on `route`. An IPv6 delete cannot be taken back
    /// exactly, so it goes alone (a batch sends nothing after a failure, as `ip -batch`):
    /// the kernel's account of what it deleted leaves out the route's expiry; naming a
    /// gateway deletes one leg of a multipath route, described without its weight and
    /// put back only after the legs left; naming a device describes the legs from that
    /// device's on.
    public func request(for route: Route) -> ChangeRequest {
        guard self == .delete, route.family == .inet6 else { return request }
        return ChangeRequest(.deleteRoute, flags: [])
    }
}

/// `route add|change|replace|prepend|append|del` words, as iproute2's iproute_modify
/// reads them, into the route to send.
public enum RouteRequest {
    enum Word: Sendable {
        case preferredSource, newDestination, via, from, tos, expires, metric, scope, onlink, nexthop, nexthopID, protocolID, table, device
        case preference, encapsulation, features, congestionControl, realms, ttlPropagate
        case metricValue(RouteMetric)
    }

    /// iproute2's order (iproute_modify): the first keyword a word abbreviates wins
    /// ("t" is table, "p" priority). iproute2 takes every one of them again (the
    /// later wins) but `via`: more than one gateway needs the nexthop syntax.
    static let grammar = KeywordTable<Word>([
        Keyword(.preferredSource, "src", value: "ADDRESS"),
        Keyword(.newDestination, "as", value: "[ to ] ADDRESS"),
        Keyword(.via, "via", value: "[ inet | inet6 ] ADDRESS", repeatable: false),
        Keyword(.from, "from", value: "PREFIX"),
        Keyword(.tos, "tos", .abbreviable("dsfield"), value: "TOS"),
        Keyword(.expires, "expires", value: "SECONDS"),
        Keyword(.metric, .abbreviable("metric"), .abbreviable("priority"), "preference", value: "NUMBER"),
        Keyword(.scope, "scope", value: "SCOPE"),
        Keyword(.metricValue(.mtu), "mtu", value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.hoplimit), "hoplimit", value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.advmss), "advmss", value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.reordering), .abbreviable("reordering"), value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.rtt), "rtt", value: "[ lock ] TIME"),
        Keyword(.metricValue(.rtoMin), "rto_min", value: "TIME"),
        Keyword(.metricValue(.window), .abbreviable("window"), value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.cwnd), .abbreviable("cwnd"), value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.initcwnd), .abbreviable("initcwnd"), value: "[ lock ] NUMBER"),
        Keyword(.metricValue(.initrwnd), .abbreviable("initrwnd"), value: "[ lock ] NUMBER"),
        Keyword(.features, .abbreviable("features"), value: "ecn"),
        Keyword(.metricValue(.quickack), .abbreviable("quickack"), value: "{ 0 | 1 }"),
        Keyword(.congestionControl, .abbreviable("congctl"), value: "[ lock ] NAME"),
        Keyword(.metricValue(.rttvar), .abbreviable("rttvar"), value: "[ lock ] TIME"),
        Keyword(.metricValue(.ssthresh), .abbreviable("ssthresh"), value: "[ lock ] NUMBER"),
        Keyword(.realms, .abbreviable("realms"), value: "[ FROM/ ] TO"),
        Keyword(.onlink, "onlink"),
        // Its legs follow it to the end of the line: `legs` reads them.
        Keyword(.nexthop, "nexthop"),
        Keyword(.nexthopID, "nhid", value: "ID"),
        Keyword(.protocolID, .abbreviable("protocol"), value: "PROTOCOL"),
        Keyword(.table, .abbreviable("table"), value: "TABLE"),
        Keyword(.device, "dev", "oif", value: "NAME"),
        Keyword(.preference, .abbreviable("pref"), value: "{ low | medium | high }"),
        Keyword(.encapsulation, "encap", value: "{ ip | ip6 } ENCAPHDR"),
        Keyword(.ttlPropagate, "ttl-propagate", value: "{ enabled | disabled }"),
        Keyword(.metricValue(.fastopenNoCookie), .abbreviable("fastopen_no_cookie"), value: "{ 0 | 1 }"),
    ])

    /// Route types a destination may be preceded by (rtnl_rtntype_a2n).
    public static let types = KeywordTable<RouteType>([
        ("local", .local, false), ("nat", .nat, false), ("broadcast", .broadcast, true), ("brd", .broadcast, false),
        ("anycast", .anycast, true), ("multicast", .multicast, true), ("prohibit", .prohibit, true),
        ("unreachable", .unreachable, true), ("blackhole", .blackhole, true), ("xresolve", .externalResolve, true),
        ("unicast", .unicast, true), ("throw", .throw, false),
    ])

    public static var keywords: [String] {
        grammar.spellings + ["to"] + legGrammar.spellings + types.spellings + RouteEncapsulation.keywords
    }

    enum LegWord: Sendable { case via, device, weight, onlink, realms, encapsulation, newDestination }

    /// A leg's words after `nexthop`, as iproute2's parse_one_nh reads them; the first
    /// other word ends the leg.
    static let legGrammar = KeywordTable<LegWord>([
        Keyword(.via, "via", value: "[ inet | inet6 ] ADDRESS"), Keyword(.device, "dev", value: "NAME"),
        Keyword(.weight, "weight", value: "1..256"), Keyword(.onlink, "onlink"),
        Keyword(.realms, .abbreviable("realms"), value: "[ FROM/ ] TO"),
        Keyword(.encapsulation, "encap", value: "{ ip | ip6 } ENCAPHDR"), Keyword(.newDestination, "as", value: "[ to ] ADDRESS"),
    ])

    /// `as` (RTA_NEWDST) rewrites an MPLS route's labels; on an IPv4 or IPv6 route the
    /// kernel ignores it, so the words would ask for what is not made.
    static let newDestinationRefused = InvalidArgument(
        "\"as\" is the new destination of an MPLS route: an IPv4 or IPv6 route does not take it (the kernel ignores it)")

    /// Puts an encapsulation among `opaque` (a route's or a leg's), in place of one given before.
    private static func encapsulate(_ opaque: inout [OpaqueAttribute], _ words: inout WordScanner) throws {
        let encapsulation = try RouteEncapsulation.parse(&words)
        opaque.removeAll {
            let type = $0.typeAndFlags & cmnl_nla_type_mask
            return type == RouteAttribute.encapType.rawValue || type == RouteAttribute.encap.rawValue
        }
        opaque += try encapsulation.attributes(type: RouteAttribute.encapType, encap: .encap)
    }

    /// The family a route's addresses settle on: the global option, else the first address given.
    struct Family {
        var value: AddressFamily

        mutating func adopt(_ address: IPAddress, _ keyword: String, _ word: String) throws(InvalidArgument) {
            if value == .unspecified { value = address.family; return }
            guard address.family == value else {
                throw InvalidArgument("\(keyword) \(word) is \(address.family.label), but the route is \(value.label)")
            }
        }
    }

    public static func parse(
        _ arguments: [String], _ change: RouteChange, family: AddressFamily, devices: any InterfaceResolver
    ) throws -> Route {
        // Filled in place through `inout`: a route is a large value, and a batch parses one
        // per line. (Parsed into a local and returned from one function, the compiler copies
        // it several times: 8% more instructions per batch line, measured with callgrind.)
        var route = Route(destination: IPPrefix(address: .zero(.inet), length: 0))
        try parse(arguments, change, family: family, devices: devices, into: &route)
        return route
    }

    private static func parse(
        _ arguments: [String], _ change: RouteChange, family: AddressFamily, devices: any InterfaceResolver,
        into route: inout Route
    ) throws {
        var words = WordScanner(arguments)
        var family = Family(value: family)
        var destination: (prefix: IPPrefix?, word: String)?
        var type: RouteType?
        var scope: RouteScope?
        var protocolID: RouteProtocol?
        var table: RouteTable?

        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                // [ to ] [ TYPE ] PREFIX
                var target = word
                if target == "to" { target = try words.value(for: "to") }
                // Most destinations are prefixes: digits (or hex digits and colons).
                var mayBeName = false
                if let first = target.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
                    mayBeName = true
                    if let entry = types.lookup(target, in: words) {
                        type = entry.keyword
                        target = try words.value(for: entry.spelling)
                    }
                }
                guard destination == nil else { throw InvalidArgument.unknownWord(target, in: "route \(change.rawValue)") }
                let isDefault = mayBeName && (target == "default" || target == "any" || target == "all")
                let prefix = isDefault ? nil : try Parse.prefix(target, for: "destination")
                if let prefix { try family.adopt(prefix.address, "destination", target) }
                destination = (prefix, target)
                continue
            }
            // Each case reads its value where it uses it: a value kept across the switch
            // costs a batch line retains (callgrind).
            switch entry.keyword {
            case .preferredSource:
                let value = try words.value(of: entry)
                let address = try Parse.address(value, for: "src")
                try family.adopt(address, "src", value)
                route.preferredSource = address
            case .newDestination:
                throw newDestinationRefused
            case .via:
                route.gateway = try gateway(words.value(of: entry), &words, family: &family)
            case .from:
                let value = try words.value(of: entry)
                let prefix = try Parse.prefix(value, for: "from")
                try family.adopt(prefix.address, "from", value)
                route.source = prefix
            case .tos:
                route.tos = try Parse.dsfield(words.value(of: entry), for: "tos")
            case .expires:
                let seconds = try Parse.unsigned(words.value(of: entry), UInt32.self, for: "expires")
                route.opaque.append(OpaqueAttribute(RouteAttribute.expires, seconds))
            case .metric:
                route.priority = try Parse.unsigned(words.value(of: entry), UInt32.self, for: "metric")
            case .scope:
                scope = try Parse.name(words.value(of: entry), in: RouteNames.scopes, for: "scope")
            case .metricValue(let metric):
                var number = try words.value(of: entry)
                let lockable = metric != .quickack && metric != .fastopenNoCookie && metric != .rtoMin
                // rto_min is always locked, as iproute2 sends it.
                if metric == .rtoMin { route.metrics.locked |= 1 << UInt32(metric.rawValue) }
                if lockable, number == "lock" {
                    route.metrics.locked |= 1 << UInt32(metric.rawValue)
                    number = try words.value(for: "\(entry.spelling) lock")
                }
                switch metric {
                case .rtt, .rttvar, .rtoMin:
                    // Kept in the kernel's units: rtt in eighths and rttvar in quarters
                    // of a millisecond, unless the number came without a unit.
                    let (value, raw) = try rtt(number, for: entry.spelling)
                    let scale: UInt32 = raw ? 1 : metric == .rtt ? 8 : metric == .rttvar ? 4 : 1
                    route.metrics[metric] = value.multipliedReportingOverflow(by: scale).partialValue
                case .quickack, .fastopenNoCookie:
                    route.metrics[metric] = try Parse.unsigned(number, UInt32.self, for: entry.spelling, in: 0...1)
                default:
                    let limit: UInt32 = metric == .hoplimit ? 255 : .max
                    route.metrics[metric] = try Parse.unsigned(number, UInt32.self, for: entry.spelling, in: 0...limit)
                }
            case .features:
                let value = try words.value(of: entry)
                guard value == "ecn" else { throw InvalidArgument.badValue("features", value, expected: "ecn") }
                route.metrics[.features] = RouteMetric.ecnFeature
            case .congestionControl:
                var name = try words.value(of: entry)
                if name == "lock" {
                    route.metrics.locked |= 1 << UInt32(RouteMetric.congestionControl.rawValue)
                    name = try words.value(for: "congctl lock")
                }
                // The kernel knows no algorithm by an empty name or one with blanks, and
                // refuses it (nor could apply's words write it back).
                guard !name.isEmpty, !name.utf8.contains(where: { $0 <= UInt8(ascii: " ") }) else {
                    throw InvalidArgument.badValue("congctl", name, expected: "the name of a congestion control algorithm")
                }
                route.metrics.congestionControl = name
            case .realms:
                route.opaque.append(OpaqueAttribute(RouteAttribute.flow, try realms(words.value(of: entry))))
            case .ttlPropagate:
                let value = try words.value(of: entry)
                // iproute2 takes any beginning of the two words.
                let enabled: UInt8
                if !value.isEmpty, "enabled".hasPrefix(value) { enabled = 1 } else if !value.isEmpty, "disabled".hasPrefix(value) { enabled = 0 } else {
                    throw InvalidArgument.badValue("ttl-propagate", value, expected: "enabled or disabled")
                }
                route.opaque.append(OpaqueAttribute(RouteAttribute.ttlPropagate, enabled))
            case .onlink:
                route.flags.insert(.onlink)
            case .nexthop:
                words.unread()
                route.nexthops = try legs(&words, family: &family, devices: devices)
            case .nexthopID:
                route.nexthopID = try Parse.unsigned(words.value(of: entry), UInt32.self, for: "nhid")
            case .protocolID:
                protocolID = try Parse.name(words.value(of: entry), in: RouteNames.protocols, for: "protocol")
            case .table:
                table = try Parse.table(words.value(of: entry))
            case .device:
                route.outputInterface = try device(words.value(of: entry), devices)
            case .preference:
                let value = try words.value(of: entry)
                switch value {
                case "low": route.preference = .low
                case "medium": route.preference = .medium
                case "high": route.preference = .high
                default: route.preference = RoutePreference(rawValue: try Parse.unsigned(value, UInt8.self, for: "pref"))
                }
            case .encapsulation:
                try encapsulate(&route.opaque, &words)
            }
        }

        guard let destination else { throw InvalidArgument("route \(change.rawValue): no destination given (a prefix or \"default\")") }
        if route.nexthopID != nil {
            // The kernel refuses a nexthop object beside a gateway, a device or legs
            // (they are the object's); said before anything is sent.
            let other = route.gateway != nil ? "via" : route.outputInterface != nil ? "dev" : route.nexthops.isEmpty ? nil : "nexthop"
            if let other {
                throw InvalidArgument("\"nhid\" and \"\(other)\" exclude each other: a route on a nexthop object takes its gateway and device from the object")
            }
        }
        if family.value == .unspecified { family.value = .inet }
        finish(&route, family: family.value, destination: destination.prefix, type: type, scope: scope, protocolID: protocolID, table: table, change)
    }

    /// What the words left to iproute2's defaults: the table, protocol, type and scope,
    /// an IPv6 route's metric. `destination` nil: the default route.
    private static func finish(
        _ route: inout Route, family: AddressFamily, destination: IPPrefix?, type: RouteType?, scope: RouteScope?,
        protocolID: RouteProtocol?, table: RouteTable?, _ change: RouteChange
    ) {
        route.family = family
        route.destination = destination ?? IPPrefix(address: .zero(family), length: 0)
        switch type {
        case .local?, .broadcast?, .nat?, .anycast?: route.table = table ?? .local
        default: route.table = table ?? .main
        }
        if change == .delete {
            route.protocolID = protocolID ?? .unspecified
            route.type = type ?? .unspecified
        } else {
            route.protocolID = protocolID ?? .boot
            route.type = type ?? .unicast
        }
        let direct = route.gateway == nil && route.nexthops.isEmpty && route.nexthopID == nil
        route.scope = scope ?? defaultScope(route.family, route.type, direct: direct, change)
        if change != .delete, route.family == .inet6, (route.priority ?? 0) == 0 {
            // The metric the kernel gives an IPv6 route without one, said: the same route,
            // and the delete that takes back an add matches it alone (without a metric,
            // the kernel deletes the route of the lowest metric first).
            route.priority = Route.ipv6DefaultMetric
        }
    }

    /// A number in decimal, without the leading zero or sign `Parse.unsigned` reads
    /// its own way (octal, hexadecimal).
    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !bytes.isEmpty, bytes.count <= 10, bytes[0] != UInt8(ascii: "0") || bytes.count == 1 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        return UInt32(exactly: value)
    }

    /// iproute2's choice when no scope is given; `direct`: the route names no gateway.
    private static func defaultScope(_ family: AddressFamily, _ type: RouteType, direct: Bool, _ change: RouteChange) -> RouteScope {
        if family == .inet6 { return .universe }
        switch type {
        case .local, .nat: return .host
        case .broadcast, .multicast, .anycast: return .link
        case .unicast, .unspecified:
            if change == .delete { return .nowhere }
            return direct ? .link : .universe
        default:
            return change == .delete ? .nowhere : .universe
        }
    }

    /// A time as iproute2's get_time_rtt reads it: a number (a fraction rounded up),
    /// in milliseconds with "ms"/"msec"/"msecs", in seconds with "s"/"sec"/"secs";
    /// `raw` when it has no unit (then it is sent as it is).
    static func rtt(_ text: String, for keyword: String) throws(InvalidArgument) -> (value: UInt32, raw: Bool) {
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).lowercased()
        let scale: Double
        switch unit {
        case "": scale = 1
        case "s", "sec", "secs": scale = 1000
        case "ms", "msec", "msecs": scale = 1
        default: throw InvalidArgument.badValue(keyword, text, expected: "a time such as 200ms or 1.5s")
        }
        guard let number = Double(digits), number >= 0 else {
            throw InvalidArgument.badValue(keyword, text, expected: "a time such as 200ms or 1.5s")
        }
        let value = (number * scale).rounded(.up)
        guard value <= Double(UInt32.max) else { throw InvalidArgument.badValue(keyword, text, expected: "a time such as 200ms or 1.5s") }
        return (UInt32(value), unit.isEmpty)
    }

    /// `realms`, as iproute2's get_rt_realms_or_raw reads it: a number is the raw
    /// RTA_FLOW value; else `[ FROM/ ] TO`, each a realm's name or a number up to 255.
    static func realms(_ text: String) throws -> UInt32 {
        if let raw = try? Parse.unsigned(text, UInt32.self, for: "realms") { return raw }
        func realm(_ word: Substring) throws -> UInt32 {
            if let number = UInt32(word), number <= 255 { return number }
            guard let realm = RouteNames.realms.id(of: String(word)) else {
                throw InvalidArgument.badValue("realms", text, expected: "[ FROM/ ] TO, each a realm name or a number up to 255")
            }
            return UInt32(realm.rawValue)
        }
        guard let slash = text.firstIndex(of: "/") else { return try realm(Substring(text)) }
        let to = text[text.index(after: slash)...]
        return try realm(text[..<slash]) << 16 | (to.isEmpty ? 0 : try realm(to))
    }

    /// `realms`' word as `realms` reads it back: FROM/TO or TO, as
    /// numbers; the raw value where a realm is past 255 (iproute2's names stop there).
    static func realmsWord(_ flow: UInt32) -> String {
        let from = flow >> 16, to = flow & 0xffff
        guard from <= 255, to <= 255 else { return String(flow) }
        return from == 0 ? String(to) : "\(from)/\(to)"
    }

    /// `via [ inet | inet6 ] ADDRESS` (`first`: the word after "via"): a gateway of
    /// another family only when named so.
    private static func gateway(_ first: String, _ words: inout WordScanner, family: inout Family) throws -> IPAddress {
        guard let named = AddressFamily(name: first) else {
            let address = try Parse.address(first, for: "via")
            try family.adopt(address, "via", first)
            return address
        }
        let value = try words.value(for: "via \(named.name)")
        let address = try Parse.address(value, for: "via")
        guard address.family == named else { throw InvalidArgument("via \(named.name) \(value): not an \(named.label) address") }
        if family.value == .unspecified { family.value = named }
        return address
    }


    /// `nexthop [ via ADDRESS ] [ dev NAME ] [ weight 1..256 ] [ onlink ] [ realms R ] [ encap E ]`,
    /// repeated to the end.
    private static func legs(
        _ words: inout WordScanner, family: inout Family, devices: any InterfaceResolver
    ) throws -> [Route.Nexthop] {
        var legs: [Route.Nexthop] = []
        while let word = words.next() {
            guard word == "nexthop" else { throw InvalidArgument("\"nexthop\" or the end of the line expected instead of \"\(word)\"") }
            guard !words.isAtEnd else { throw InvalidArgument("nothing after \"nexthop\"") }
            var leg = Route.Nexthop(gateway: nil, outputInterface: 0)
            while let word = words.next() {
                guard let entry = try words.keyword(word, in: legGrammar) else {
                    words.unread()
                    break
                }
                switch entry.keyword {
                case .via: leg.gateway = try gateway(words.value(of: entry), &words, family: &family)
                case .device: leg.outputInterface = try device(words.value(of: entry), devices)
                case .weight: leg.weight = try Parse.unsigned(words.value(of: entry), UInt16.self, for: "weight", in: 1...256)
                case .onlink: leg.flags.insert(.onlink)
                case .realms:
                    leg.opaque.removeAll { $0.typeAndFlags == RouteAttribute.flow.rawValue }
                    leg.opaque.append(OpaqueAttribute(RouteAttribute.flow, try realms(words.value(of: entry))))
                case .encapsulation: try encapsulate(&leg.opaque, &words)
                case .newDestination: throw newDestinationRefused
                }
            }
            legs.append(leg)
        }
        return legs
    }

    static func device(_ name: String, _ devices: any InterfaceResolver) throws -> Int32 {
        try devices.index(of: InterfaceName(name).value)
    }
}

extension AddressFamily {
    /// iproute2's family words ("inet", "inet6").
    public init?(name: String) {
        // By length first: most words that meet this are addresses.
        switch name.utf8.count {
        case 4 where name == "inet": self = .inet
        case 5 where name == "inet6": self = .inet6
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .inet: "inet"
        case .inet6: "inet6"
        case .unspecified: "unspec"
        }
    }

    /// For messages: "IPv4", "IPv6".
    public var label: String {
        switch self {
        case .inet: "IPv4"
        case .inet6: "IPv6"
        case .unspecified: "of no family"
        }
    }
}

extension RouteRequest {
    /// Reads `route add` words in the form files of many routes are in, from their bytes:
    /// `PREFIX [ via ADDRESS ] [ dev NAME ] [ metric NUMBER ]`, the keywords spelled
    /// out, in any order, each once, and a device `devices` knows. Such a file names one
    /// gateway and one device line after line: the last of each read is kept with its
    /// bytes, and the same bytes on the next line are not read again (the gateway's
    /// address cost 180 instructions a line). Most often every word after the
    /// destination is the last line's: given the line's bytes, the reader keeps those
    /// after the destination with the route they gave, and reads none of them again.
    public struct CommonAddReader {
        private let devices: DeviceDirectory
        private var gateways = LastRead<IPAddress>()
        private var deviceIndexes = LastRead<Int32>()
        /// The bytes after the destination on the last line whose words gave a route,
        /// and what they said after a destination of which family. A route is its
        /// destination, its family and these words: `finish` reads nothing else.
        private var lastRest = KeptBytes()
        private var last: (family: AddressFamily, said: RestWords)?

        /// What the words after a destination say.
        private struct RestWords {
            var gateway: IPAddress?
            var device: Int32?
            var metric: UInt32?
        }

        public init(devices: DeviceDirectory) {
            self.devices = devices
        }

        /// The route of the words after `add`. Nil for anything else (another keyword,
        /// an abbreviation, a device not named before, a value the grammar refuses or
        /// reads its own way): `parse` reads those words, and reads these as this does.
        public mutating func read(_ words: LineWords) -> Route? {
            guard words.count > 0, let prefix = Self.destination(words[0]),
                  let said = read(words.dropFirst(1), family: prefix.family) else { return nil }
            return Self.route(to: prefix, said)
        }

        /// The route of a line's bytes after `add`, as `read(_:)` reads its words: the
        /// destination's word, and the bytes after it (`rest`, from the blank that ends
        /// the destination), which `restWords` splits into words (nil: they are none the
        /// grammar would take). A rest of the last line's bytes after a destination of
        /// its family says what it said then, unread: in a file of many routes, every
        /// word after the destination cost 600 instructions a line to gather and read
        /// again.
        public mutating func read(
            destination word: UnsafeBufferPointer<UInt8>, rest: UnsafeBufferPointer<UInt8>,
            restWords: (UnsafeBufferPointer<UInt8>) -> LineWords?
        ) -> Route? {
            guard let prefix = Self.destination(word) else { return nil }
            if let last, last.family == prefix.family, lastRest.equals(rest) {
                return Self.route(to: prefix, last.said)
            }
            guard let words = restWords(rest), let said = read(words, family: prefix.family) else { return nil }
            lastRest.keep(rest)
            last = (prefix.family, said)
            return Self.route(to: prefix, said)
        }

        /// A destination word as the grammar reads it: an address with the length that
        /// leaves no host bits, which starts with a digit (no keyword or type does).
        private static func destination(_ word: UnsafeBufferPointer<UInt8>) -> IPPrefix? {
            guard let lead = word.first, lead &- UInt8(ascii: "0") < 10,
                  let prefix = try? IPPrefix(utf8: word), prefix.network == prefix.address else { return nil }
            return prefix
        }

        /// What the words after a destination of `family` say.
        private mutating func read(_ words: LineWords, family: AddressFamily) -> RestWords? {
            let count = words.count
            var said = RestWords()
            var index = 0
            while index < count {
                guard index + 1 < count else { return nil }
                let keyword = words[index], value = words[index + 1]
                index += 2
                if keyword.spells("via"), said.gateway == nil {
                    guard let gateway = gateways.value(of: value, IPAddress.init(utf8:)), gateway.family == family else { return nil }
                    said.gateway = gateway
                } else if keyword.spells("dev"), said.device == nil {
                    guard let device = deviceIndexes.value(of: value, devices.index(ofName:)) else { return nil }
                    said.device = device
                } else if keyword.spells("metric"), said.metric == nil {
                    guard let metric = RouteRequest.decimal(value) else { return nil }
                    said.metric = metric
                } else {
                    return nil
                }
            }
            return said
        }

        /// The route to `prefix` that the words after it say.
        private static func route(to prefix: IPPrefix, _ said: RestWords) -> Route {
            var route = Route(destination: prefix)
            route.gateway = said.gateway
            route.outputInterface = said.device
            route.priority = said.metric
            RouteRequest.finish(&route, family: prefix.family, destination: prefix, type: nil, scope: nil, protocolID: nil, table: nil, .add)
            return route
        }
    }
}
