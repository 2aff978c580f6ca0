import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A route as RTM_NEWROUTE describes it. Decoding then encoding a route gives a
/// request that recreates it exactly: the keepalive watcher relies on that to put
/// back routes it withdrew.
public struct Route: Sendable, Equatable {
    // The stored fields are declared in the order that packs them, as Swift lays a
    // struct out in the order of its fields: the one-byte and four-byte fields fill the
    // room each address leaves before the next eight-byte boundary, and a route is 72
    // bytes. The destination takes 18 (an address is 17: 16 bytes and which family),
    // the family, tos and table the 6 after it; the gateway 17, the protocol, scope and
    // type the 3 after it and the flags 4; the metric and the device 5 each (the value
    // and whether there is one) and 3 of padding each; the rest, out of line, 8.

    /// The destination; length 0 is the default route.
    public var destination: IPPrefix
    public var family: AddressFamily
    public var tos: UInt8 = 0
    public var table: RouteTable = .main
    public var gateway: IPAddress?
    public var protocolID: RouteProtocol = .boot
    public var scope: RouteScope = .universe
    public var type: RouteType = .unicast
    /// rtm_flags: RTNH_F_* for a single-nexthop route (onlink), RTM_F_* for lookups.
    public var flags: RouteFlags = []
    /// The metric (RTA_PRIORITY).
    public var priority: UInt32?
    /// The metric the kernel gives an IPv6 route added with metric 0 or none (IP6_RT_PRIO_USER).
    public static let ipv6DefaultMetric: UInt32 = 1024
    public var outputInterface: Int32?

    /// What most routes do not have, kept out of line (nil: none of it), so that a
    /// route is small: apply holds a file's routes, and the kernel's, by the ten
    /// thousand, and memory is paid for in page faults. A route is 72 bytes so; with
    /// these fields in line it would be 256.
    private var rare: Rare?
    /// Whether any of the fields kept out of line is set (a route list keeps a route
    /// without them as a record).
    var hasOutOfLineFields: Bool { rare != nil }

    /// Source prefix of a source-specific route (RTA_SRC, "from").
    public var source: IPPrefix? {
        get { rare?.fields.source }
        set { rareFields.source = newValue }
    }
    public var preferredSource: IPAddress? {
        get { rare?.fields.preferredSource }
        set { rareFields.preferredSource = newValue }
    }
    /// ECMP legs (RTA_MULTIPATH); empty for a single-nexthop route.
    public var nexthops: [Nexthop] {
        get { rare?.fields.nexthops ?? [] }
        set { rareFields.nexthops = newValue }
    }
    /// A nexthop object (RTA_NH_ID) instead of gateway/dev/legs.
    public var nexthopID: UInt32? {
        get { rare?.fields.nexthopID }
        set { rareFields.nexthopID = newValue }
    }
    /// RTA_METRICS: mtu, advmss, ... and which of them are locked.
    public var metrics: RouteMetrics {
        get { rare?.fields.metrics ?? RouteMetrics() }
        set { rareFields.metrics = newValue }
    }
    /// Whether the route has metrics: `metrics.isEmpty` makes an empty set of them
    /// (a dictionary) for a route that has none, as most have.
    var hasMetrics: Bool { rare.map { !$0.fields.metrics.isEmpty } ?? false }
    /// Whether the route keeps an attribute of `type` in `opaque`: `opaque` makes an
    /// empty list for a route that has none, as most have, and releases it.
    func hasOpaque(_ type: RouteAttribute) -> Bool {
        rare.map { $0.fields.opaque.contains { $0.typeAndFlags == type.rawValue } } ?? false
    }
    /// IPv6 router preference (RTA_PREF).
    public var preference: RoutePreference? {
        get { rare?.fields.preference }
        set { rareFields.preference = newValue }
    }
    /// What gretool does not interpret but must send back to recreate the route:
    /// realms, lightweight-tunnel encapsulation, expiry, TTL propagation.
    public var opaque: [OpaqueAttribute] {
        get { rare?.fields.opaque ?? [] }
        set { rareFields.opaque = newValue }
    }
    /// Lookup results only: the input interface and mark asked about, the user the
    /// lookup was made for, and the cache entry's counters.
    public var inputInterface: Int32? {
        get { rare?.fields.inputInterface }
        set { rareFields.inputInterface = newValue }
    }
    public var mark: UInt32? {
        get { rare?.fields.mark }
        set { rareFields.mark = newValue }
    }
    public var uid: UInt32? {
        get { rare?.fields.uid }
        set { rareFields.uid = newValue }
    }
    public var cacheInfo: RouteCacheInfo? {
        get { rare?.fields.cacheInfo }
        set { rareFields.cacheInfo = newValue }
    }

    private struct RareFields: Sendable, Equatable {
        var source: IPPrefix?
        var preferredSource: IPAddress?
        var nexthops: [Nexthop] = []
        var nexthopID: UInt32?
        var metrics = RouteMetrics()
        var preference: RoutePreference?
        var opaque: [OpaqueAttribute] = []
        var inputInterface: Int32?
        var mark: UInt32?
        var uid: UInt32?
        var cacheInfo: RouteCacheInfo?
    }

    /// Shared by the copies of a route, and never changed: a change makes another.
    private final class Rare: Sendable, Equatable {
        let fields: RareFields
        init(_ fields: RareFields) { self.fields = fields }
        static func == (left: Rare, right: Rare) -> Bool { left.fields == right.fields }
    }

    private var rareFields: RareFields {
        get { rare?.fields ?? RareFields() }
        set { rare = newValue == RareFields() ? nil : Rare(newValue) }
    }

    /// One leg of a multipath route.
    public struct Nexthop: Sendable, Equatable {
        public var gateway: IPAddress?
        public var outputInterface: Int32
        /// From 1 to 256; the kernel stores the weight less one (rtnh_hops).
        public var weight: UInt16 = 1
        /// RTNH_F_*: dead, onlink, linkdown... (rtnh_flags: the low byte only).
        public var flags: RouteFlags = []
        /// The leg's realms and encapsulation, kept as the kernel sent them.
        public var opaque: [OpaqueAttribute] = []

        public init(gateway: IPAddress?, outputInterface: Int32, weight: UInt16 = 1, flags: RouteFlags = []) {
            self.gateway = gateway
            self.outputInterface = outputInterface
            self.weight = weight
            self.flags = flags
        }

        /// The leg's realms (see `Route.realms`).
        public var realms: UInt32? { Route.realms(in: opaque) }
        /// The leg's encapsulation (see `Route.encapsulation`).
        public var encapsulation: RouteEncapsulation? { RouteEncapsulation(opaque, type: RouteAttribute.encapType, encap: .encap) }
    }

    /// RTA_FLOW, kept in `opaque`: the realms, the source's in the high 16 bits and
    /// the destination's in the low ones. (Read where the out-of-line fields lie, and
    /// none without them: `route show` asks each route.)
    public var realms: UInt32? { rare.flatMap { Self.realms(in: $0.fields.opaque) } }

    /// RTA_ENCAP_TYPE and RTA_ENCAP, kept in `opaque`: the lightweight-tunnel encapsulation.
    public var encapsulation: RouteEncapsulation? {
        rare.flatMap { RouteEncapsulation($0.fields.opaque, type: RouteAttribute.encapType, encap: .encap) }
    }

    private static func realms(in attributes: [OpaqueAttribute]) -> UInt32? {
        guard let flow = attributes.first(where: { $0.typeAndFlags == RouteAttribute.flow.rawValue }),
              flow.payload.count == MemoryLayout<UInt32>.size else { return nil }
        return flow.payload.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    public init(destination: IPPrefix) {
        family = destination.family
        self.destination = destination
    }

    /// Whether the route sends traffic through the interface (directly or as one of its legs).
    public func uses(interface index: Int32) -> Bool {
        outputInterface == index || nexthops.contains { $0.outputInterface == index }
    }

    // MARK: Decoding

    /// Decodes an RTM_NEWROUTE message; nil for other message types.
    public init?(_ message: NetlinkMessage) {
        guard let (header, family) = Self.header(of: message) else { return nil }
        self.family = family
        destination = IPPrefix(address: .zero(family), length: header.rtm_dst_len)
        tos = header.rtm_tos
        table = RouteTable(rawValue: UInt32(header.rtm_table))
        protocolID = RouteProtocol(rawValue: header.rtm_protocol)
        scope = RouteScope(rawValue: header.rtm_scope)
        type = RouteType(rawValue: header.rtm_type)
        flags = RouteFlags(rawValue: header.rtm_flags)
        // What is kept out of line is read in a second pass, and only for a route that
        // has some of it: most have none, and are made without gathering, comparing and
        // releasing an empty set of it (`route show` decodes routes by the hundred thousand).
        var hasRare = header.rtm_src_len > 0
        for attribute in message.attributes(after: rtmsg.self, RouteAttribute.self) {
            switch attribute.key {
            case .destination?: if let address = attribute.address { destination.address = address }
            case .table?: table = RouteTable(rawValue: attribute.u32)
            case .priority?: priority = attribute.u32
            case .gateway?: gateway = attribute.address
            case .via?: gateway = Self.decodeVia(attribute.payload)
            case .outputInterface?: outputInterface = Int32(bitPattern: attribute.u32)
            default: hasRare = true
            }
        }
        if hasRare { rareFields = Self.rareFields(of: message, header: header, family: family) }
    }

    /// What of a route's message is kept out of line.
    private static func rareFields(of message: NetlinkMessage, header: rtmsg, family: AddressFamily) -> RareFields {
        var rare = RareFields()
        if header.rtm_src_len > 0 { rare.source = IPPrefix(address: .zero(family), length: header.rtm_src_len) }
        for attribute in message.attributes(after: rtmsg.self, RouteAttribute.self) { decode(attribute, into: &rare) }
        return rare
    }

    /// Reads an attribute of what is kept out of line, if it is one. Not inlined: in the
    /// loop over a message's attributes, the many fields were moved between registers
    /// and the stack at each attribute, 650 instructions for an IPv6 route (callgrind).
    @inline(never)
    private static func decode(_ attribute: Attribute<RouteAttribute>, into rare: inout RareFields) {
        switch attribute.key {
        case .source?: if let address = attribute.address { rare.source?.address = address }
        case .preferredSource?: rare.preferredSource = attribute.address
        case .inputInterface?: rare.inputInterface = Int32(bitPattern: attribute.u32)
        case .multipath?: rare.nexthops = decodeMultipath(attribute)
        case .nexthopID?: rare.nexthopID = attribute.u32
        case .metrics?: rare.metrics = RouteMetrics(attribute.nested(RouteMetric.self))
        case .preference?: rare.preference = RoutePreference(rawValue: attribute.u8)
        case .mark?: rare.mark = attribute.u32
        case .uid?: rare.uid = attribute.u32
        case .cacheInfo?: rare.cacheInfo = attribute.load(rta_cacheinfo.self).map(RouteCacheInfo.init)
        case .flow?, .encapType?, .encap?, .expires?, .ttlPropagate?: rare.opaque.append(OpaqueAttribute(attribute))
        default: break
        }
    }

    /// A route of the usual form, as its message says it: a key without a source, and a
    /// gateway and a device at most.
    struct Plain: Sendable, Equatable {
        var key: RouteKey
        var protocolID: RouteProtocol
        var scope: RouteScope
        var type: RouteType
        var flags: RouteFlags
        var gateway: IPAddress?
        var outputInterface: Int32?
        var preference: RoutePreference?
    }

    /// The message's route when the message has no attribute but a destination, a
    /// table, a metric, a gateway and a device, and what the kernel reports of any route
    /// (cache information, an IPv6 route's preference); nil for any other, which
    /// `init?(_:)` reads. Nothing is counted or copied: apply compares a file of 10,000
    /// routes with as many of the kernel's, and making a Route of each was a tenth of its time.
    static func plain(_ message: NetlinkMessage) -> Plain? {
        guard let (header, family) = Self.header(of: message), header.rtm_src_len == 0 else { return nil }
        var destination = IPPrefix(address: .zero(family), length: header.rtm_dst_len)
        var table = RouteTable(rawValue: UInt32(header.rtm_table))
        var priority: UInt32?
        var gateway: IPAddress?
        var outputInterface: Int32?
        var preference: RoutePreference?
        for attribute in message.attributes(after: rtmsg.self, RouteAttribute.self) {
            switch attribute.key {
            case .destination?:
                guard let address = attribute.address else { return nil }
                destination.address = address
            case .table?: table = RouteTable(rawValue: attribute.u32)
            case .priority?: priority = attribute.u32
            case .gateway?: gateway = attribute.address
            case .outputInterface?: outputInterface = Int32(bitPattern: attribute.u32)
            case .preference?: preference = RoutePreference(rawValue: attribute.u8)
            case .cacheInfo?: continue
            default: return nil
            }
        }
        return Plain(key: RouteKey(family: family, table: table, destination: destination, source: nil, tos: header.rtm_tos, priority: priority),
                     protocolID: RouteProtocol(rawValue: header.rtm_protocol), scope: RouteScope(rawValue: header.rtm_scope),
                     type: RouteType(rawValue: header.rtm_type), flags: RouteFlags(rawValue: header.rtm_flags),
                     gateway: gateway, outputInterface: outputInterface, preference: preference)
    }

    /// The header of a message that describes a route (RTM_NEWROUTE or RTM_DELROUTE,
    /// of a family), and its family; nil for any other.
    static func header(of message: NetlinkMessage) -> (rtmsg, AddressFamily)? {
        guard message.routeMessageType == .newRoute || message.routeMessageType == .deleteRoute,
              let header = message.familyHeader(rtmsg.self),
              let family = AddressFamily(rawValue: header.rtm_family), family != .unspecified
        else { return nil }
        return (header, family)
    }

    private static func decodeMultipath(_ attribute: Attribute<RouteAttribute>) -> [Nexthop] {
        attribute.records(rtnexthop.self, RouteAttribute.self).map { header, attributes in
            var hop = Nexthop(gateway: nil, outputInterface: header.rtnh_ifindex,
                              weight: UInt16(header.rtnh_hops) + 1, flags: RouteFlags(nexthopFlags: header.rtnh_flags))
            for attribute in attributes {
                switch attribute.key {
                case .gateway?: hop.gateway = attribute.address
                case .via?: hop.gateway = decodeVia(attribute.payload)
                case .flow?, .encapType?, .encap?: hop.opaque.append(OpaqueAttribute(attribute))
                default: break
                }
            }
            return hop
        }
    }

    /// RTA_VIA: a family byte pair, then the address (IPv4 routes via IPv6 gateways).
    private static func decodeVia(_ payload: UnsafeRawBufferPointer) -> IPAddress? {
        guard payload.count > 2 else { return nil }
        return IPAddress(bytes: UnsafeRawBufferPointer(rebasing: payload[2...]))
    }

    // MARK: Encoding

    /// Writes this route as the body of an RTM_NEWROUTE or RTM_DELROUTE request.
    public func encode(_ message: MessageWriter) throws {
        var header = rtmsg()
        header.rtm_family = family.rawValue
        header.rtm_dst_len = destination.length
        header.rtm_src_len = source?.length ?? 0
        header.rtm_tos = tos
        // Tables past 255 travel in RTA_TABLE only, as iproute2 sends them.
        header.rtm_table = UInt8(exactly: table.rawValue) ?? 0
        header.rtm_protocol = protocolID.rawValue
        header.rtm_scope = scope.rawValue
        header.rtm_type = type.rawValue
        // A cached route keeps RTM_F_CLONED: its delete (`-6 route flush cache`) names the
        // cache entry so, not the table's route.
        header.rtm_flags = flags.intersection(Self.settableFlags.union(.cloned)).rawValue
        let route = try message.header(header, attributes: RouteAttribute.self)
        if table.rawValue >= 256 { try route.put(.table, table.rawValue) }
        if destination.length > 0 || destination.address != .zero(family) { try route.put(.destination, destination.address) }
        if let source { try route.put(.source, source.address) }
        if let priority { try route.put(.priority, priority) }
        if let preferredSource { try route.put(.preferredSource, preferredSource) }
        if let nexthopID {
            // A route on a nexthop object names only the object: dumps also report the
            // object's gateway and device, which the kernel refuses beside it.
            try route.put(.nexthopID, nexthopID)
        } else {
            try encodeNexthops(route)
        }
        if !metrics.isEmpty { try route.nest(.metrics, RouteMetric.self) { try metrics.encode($0) } }
        if let preference { try route.put(.preference, preference.rawValue) }
        // An expiring IPv6 route reports the time left in RTA_CACHEINFO, in clock
        // ticks; a request sets it with RTA_EXPIRES, in seconds (rounded up).
        if family == .inet6, let ticks = cacheInfo?.expires, ticks > 0 {
            let perSecond = max(1, Int32(sysconf(Int32(_SC_CLK_TCK))))
            try route.put(.expires, UInt32((ticks + perSecond - 1) / perSecond))
        }
        for attribute in opaque { try route.put(attribute) }
    }

    private func encodeNexthops(_ route: AttributeWriter<RouteAttribute>) throws {
        if let gateway { try putGateway(gateway, into: route) }
        if let outputInterface { try route.put(.outputInterface, UInt32(bitPattern: outputInterface)) }
        if !nexthops.isEmpty {
            try route.records(.multipath) { records in
                for hop in nexthops {
                    var record = rtnexthop()
                    record.rtnh_flags = hop.flags.intersection(Self.settableFlags).nexthopFlags
                    record.rtnh_hops = UInt8(hop.weight - 1)
                    record.rtnh_ifindex = hop.outputInterface
                    try records.record(record, RouteAttribute.self) { attributes in
                        if let gateway = hop.gateway { try putGateway(gateway, into: attributes) }
                        for attribute in hop.opaque { try attributes.put(attribute) }
                    }
                }
            }
        }
    }

    /// Of the flags a dump reports (dead, linkdown, offload, ...), a request may carry
    /// only onlink: the kernel refuses the others.
    static var settableFlags: RouteFlags { .onlink }

    /// A gateway of the route's own family is RTA_GATEWAY; another family needs RTA_VIA.
    private func putGateway(_ gateway: IPAddress, into attributes: AttributeWriter<RouteAttribute>) throws {
        if gateway.family == family {
            try attributes.put(.gateway, gateway)
        } else {
            var via: [UInt8] = [gateway.family.rawValue, 0]
            via += gateway.withNetlinkPayload { Array($0) }
            try attributes.put(.via, via)
        }
    }
}

extension Route: Recreatable {
    /// NLM_F_CREATE|NLM_F_EXCL: nothing of its key may be there. (Only IPv4 deletes are
    /// taken back: see `RouteChange.request(for:)`.)
    public static func recreationFlags(of deleted: NetlinkMessage) -> NetlinkFlags {
        [.create, .exclusive]
    }

    /// The route a delete removed, as the kernel described it, added again: decoding
    /// keeps everything a request can set, what gretool does not interpret included.
    public static func writeRecreation(of deleted: NetlinkMessage, into message: MessageWriter) throws {
        guard let route = Route(deleted) else {
            throw NetlinkError(errno: .badMessage, kernelMessage: "the kernel described the deleted route in an unexpected message")
        }
        try route.encode(message)
    }
}

/// RTA_CACHEINFO: what a route lookup (or an expiring IPv6 route) reports about its entry.
public struct RouteCacheInfo: Sendable, Equatable {
    public var clientReferences: UInt32
    public var lastUse: UInt32
    public var used: UInt32
    /// In clock ticks (USER_HZ); 0 when the entry does not expire.
    public var expires: Int32
    public var error: UInt32
    public var ipID: UInt32
    public var timestamp: UInt32
    public var timestampAge: UInt32

    init(_ info: rta_cacheinfo) {
        clientReferences = info.rta_clntref
        lastUse = info.rta_lastuse
        used = info.rta_used
        expires = info.rta_expires
        error = info.rta_error
        ipID = info.rta_id
        timestamp = info.rta_ts
        timestampAge = info.rta_tsage
    }
}

/// RTA_METRICS values, and RTAX_LOCK's mask of locked ones.
public struct RouteMetrics: Sendable, Equatable {
    public var values: [RouteMetric: UInt32] = [:]
    /// Bit n set: metric n is locked (e.g. "mtu lock 1400").
    public var locked: UInt32 = 0
    /// RTAX_CC_ALGO: the congestion control the route sets ("congctl bbr").
    public var congestionControl: String?

    public init() {}

    init(_ attributes: AttributeList<RouteMetric>) {
        for attribute in attributes {
            switch attribute.key {
            case .lock?: locked = attribute.u32
            case .congestionControl?: congestionControl = attribute.string
            case let key?: values[key] = attribute.u32
            case nil: break
            }
        }
    }

    public var isEmpty: Bool { values.isEmpty && locked == 0 && congestionControl == nil }

    public subscript(metric: RouteMetric) -> UInt32? {
        get { values[metric] }
        set { values[metric] = newValue }
    }

    public func isLocked(_ metric: RouteMetric) -> Bool { locked & (1 << UInt32(metric.rawValue)) != 0 }

    func encode(_ writer: AttributeWriter<RouteMetric>) throws {
        if locked != 0 { try writer.put(.lock, locked) }
        for metric in values.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            try writer.put(metric, values[metric]!)
        }
        if let congestionControl { try writer.put(.congestionControl, congestionControl) }
    }
}
