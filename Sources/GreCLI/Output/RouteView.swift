import GreKit

/// Where a route's items go: text words or JSON members. Routes are written through
/// a sink rather than described as `[Field]`: a dump can hold a million of them, and
/// iproute2 takes 60% of its time formatting, so nothing is built per route but bytes.
protocol ItemSink {
    static var isJSON: Bool { get }
    var output: OutputBuffer { get }
    /// Text "[LABEL ]VALUE "; JSON "KEY":"VALUE". `value` writes bytes that need no escaping.
    mutating func quoted(_ key: String, _ label: String?, _ value: (OutputBuffer) -> Void)
    /// Text "[LABEL ]N "; JSON "KEY":N.
    mutating func number(_ key: String, _ label: String?, _ value: UInt64)
    /// Text "[LABEL ]VALUE "; JSON "KEY":"VALUE", escaped (names may hold anything).
    mutating func string(_ key: String, _ label: String?, _ value: String)
    /// JSON only: nests and lists.
    mutating func beginObject(_ key: String?)
    mutating func endObject()
    mutating func beginArray(_ key: String)
    mutating func endArray()
    /// JSON only: a string element of the open list.
    mutating func element(_ value: String)
    /// A described object: text `prefix` then its words; JSON "KEY":{...}.
    mutating func object(_ key: String, prefix: String, _ fields: [Field])
}

struct TextSink: ItemSink {
    static let isJSON = false
    let output: OutputBuffer

    mutating func quoted(_ key: String, _ label: String?, _ value: (OutputBuffer) -> Void) {
        if let label { output.write(label); output.write(UInt8(ascii: " ")) }
        value(output)
        output.write(UInt8(ascii: " "))
    }

    mutating func number(_ key: String, _ label: String?, _ value: UInt64) {
        quoted(key, label) { $0.write(decimal: value) }
    }

    mutating func string(_ key: String, _ label: String?, _ value: String) {
        quoted(key, label) { $0.write(value) }
    }

    func beginObject(_ key: String?) {}
    func endObject() {}
    func beginArray(_ key: String) {}
    func endArray() {}
    func element(_ value: String) {}

    func object(_ key: String, prefix: String, _ fields: [Field]) {
        output.write(prefix + FieldRenderer.text(fields) + " ")
    }
}

struct JSONSink: ItemSink {
    static let isJSON = true
    var writer: JSONWriter
    let output: OutputBuffer

    mutating func quoted(_ key: String, _ label: String?, _ value: (OutputBuffer) -> Void) {
        writer.name(key)
        writer.raw(quoted: true, value)
    }

    mutating func number(_ key: String, _ label: String?, _ value: UInt64) {
        writer.name(key)
        writer.unsigned(value)
    }

    mutating func string(_ key: String, _ label: String?, _ value: String) {
        writer.name(key)
        writer.string(value)
    }

    mutating func beginObject(_ key: String?) {
        if let key { writer.name(key) }
        writer.beginObject()
    }

    mutating func endObject() { writer.endObject() }

    /// A JSON array that is closed even when listing fails midway, so standard output
    /// stays valid JSON whatever goes to standard error.
    mutating func list(_ body: (inout JSONSink) throws -> Void) rethrows {
        writer.beginArray()
        defer {
            writer.endArray()
            writer.finish()
        }
        try body(&self)
    }

    mutating func beginArray(_ key: String) {
        writer.name(key)
        writer.beginArray()
    }

    mutating func endArray() { writer.endArray() }
    mutating func element(_ value: String) { writer.string(value) }

    mutating func object(_ key: String, prefix: String, _ fields: [Field]) {
        writer.name(key)
        FieldRenderer.object(fields, into: &writer)
    }
}

/// Device names for routes: one link dump, and the last answer kept (routes come in
/// runs through the same device).
final class DeviceNames {
    private let snapshot: LinkSnapshot
    private var lastIndex: Int32 = -1
    private var lastName = ""

    init(_ snapshot: LinkSnapshot) { self.snapshot = snapshot }

    /// The name, or "ifN" for a device that is gone, as iproute2 shows it.
    func name(_ index: Int32) -> String {
        if index == lastIndex { return lastName }
        lastIndex = index
        lastName = snapshot.displayName(of: index)
        return lastName
    }
}

/// A route as `ip route show` and `ip route get` print it (print_route), text or JSON.
struct RouteView {
    let devices: DeviceNames
    var details = false
    var statistics = false
    /// With -d, how a route's nexthop object is shown ("nh_info").
    var nexthopInfo: [UInt32: [Field]] = [:]
    /// What the listing was selected by, which iproute2 then does not repeat on each line.
    var selected = Selection()

    struct Selection: OptionSet {
        let rawValue: Int
        static let table = Selection(rawValue: 1 << 0)
        static let device = Selection(rawValue: 1 << 1)
        static let protocolID = Selection(rawValue: 1 << 2)
        static let scope = Selection(rawValue: 1 << 3)
        static let metric = Selection(rawValue: 1 << 4)
        static let tos = Selection(rawValue: 1 << 5)
        static let gateway = Selection(rawValue: 1 << 6)
        static let preferredSource = Selection(rawValue: 1 << 7)

        init(rawValue: Int) { self.rawValue = rawValue }

        init(_ selector: RouteSelector) {
            self = []
            if selector.table != nil { insert(.table) }
            if selector.outputInterface != nil { insert(.device) }
            if selector.protocolID != nil { insert(.protocolID) }
            if selector.scope != nil { insert(.scope) }
            if selector.metric != nil { insert(.metric) }
            if selector.tos != nil { insert(.tos) }
            if let via = selector.via, Int(via.length) == via.family.bitWidth { insert(.gateway) }
            if let source = selector.preferredSource, Int(source.length) == source.family.bitWidth { insert(.preferredSource) }
        }
    }

    /// The address, then "/LENGTH" unless the prefix is a single host of the route's family.
    private static func writePrefix(_ prefix: IPPrefix, family: AddressFamily, to output: OutputBuffer) {
        output.write(prefix.address)
        if Int(prefix.length) != family.bitWidth {
            output.write(UInt8(ascii: "/"))
            output.write(decimal: UInt64(prefix.length))
        }
    }

    func write<Sink: ItemSink>(_ route: Route, to sink: inout Sink) {
        sink.beginObject(nil)
        if route.type != .unicast || details { sink.string("type", nil, route.type.name) }
        sink.quoted("dst", nil) { output in
            if route.destination.length == 0, route.destination.address.isUnspecified {
                output.write("default")
            } else {
                Self.writePrefix(route.destination, family: route.family, to: output)
            }
        }
        if let source = route.source {
            sink.quoted("from", "from") { Self.writePrefix(source, family: route.family, to: $0) }
        }
        if let id = route.nexthopID { sink.number("nhid", "nhid", UInt64(id)) }
        if route.tos != 0, !selected.contains(.tos) { sink.string("tos", "tos", hexadecimal(route.tos, digits: 2)) }
        if let gateway = route.gateway, !selected.contains(.gateway) { writeGateway(gateway, family: route.family, to: &sink) }
        if let index = route.outputInterface, !selected.contains(.device) { sink.string("dev", "dev", devices.name(index)) }
        if route.table != .unspecified, route.table != .main || details, !selected.contains(.table) {
            sink.string("table", "table", route.table.name)
        }
        if !route.flags.contains(.cloned) {
            if route.protocolID != .boot || details, !selected.contains(.protocolID) {
                sink.string("protocol", "proto", route.protocolID.name)
            }
            if route.scope != .universe || details, !selected.contains(.scope) {
                sink.string("scope", "scope", route.scope.name)
            }
        }
        if let source = route.preferredSource, !selected.contains(.preferredSource) { sink.quoted("prefsrc", "src") { $0.write(source) } }
        if let metric = route.priority, !selected.contains(.metric) { sink.number("metric", "metric", UInt64(metric)) }
        Self.writeFlags(route.flags, to: &sink)
        if let mark = route.mark, mark != 0 {
            if Sink.isJSON || mark < 16 { sink.number("mark", "mark", UInt64(mark)) } else { sink.string("mark", "mark", "0x" + String(mark, radix: 16)) }
        }
        if let realms = route.realms { Self.writeRealms(realms, to: &sink) }
        if let uid = route.uid { sink.number("uid", "uid", UInt64(uid)) }
        if route.family == .inet, route.flags.contains(.cloned) { writeCacheFlags(route.flags.cacheFlags, to: &sink) }
        if let info = route.cacheInfo { writeCacheInfo(info, to: &sink) }
        if !route.metrics.isEmpty { Self.writeMetrics(route.metrics, to: &sink) }
        if let index = route.inputInterface { sink.string("iif", "iif", devices.name(index)) }
        if let preference = route.preference { writePreference(preference, to: &sink) }
        if details, let id = route.nexthopID, let fields = nexthopInfo[id] { sink.object("nh_info", prefix: "\n\tnh_info ", fields) }
        if !route.nexthops.isEmpty {
            sink.beginArray("nexthops")
            for leg in route.nexthops {
                sink.beginObject(nil)
                if !Sink.isJSON { sink.output.write("\n\tnexthop ") }
                if let gateway = leg.gateway { writeGateway(gateway, family: route.family, to: &sink) }
                if let realms = leg.realms { Self.writeRealms(realms, to: &sink) }
                sink.string("dev", "dev", devices.name(leg.outputInterface))
                sink.number("weight", "weight", UInt64(leg.weight))
                Self.writeFlags(leg.flags, to: &sink)
                sink.endObject()
            }
            sink.endArray()
        }
        sink.endObject()
    }

    /// RTA_GATEWAY, or RTA_VIA for a gateway of another family.
    private func writeGateway<Sink: ItemSink>(_ gateway: IPAddress, family: AddressFamily, to sink: inout Sink) {
        guard gateway.family != family else {
            sink.quoted("gateway", "via") { $0.write(gateway) }
            return
        }
        if Sink.isJSON {
            sink.beginObject("via")
            sink.string("family", nil, gateway.family.name)
            sink.quoted("host", nil) { $0.write(gateway) }
            sink.endObject()
        } else {
            sink.quoted("via", "via " + gateway.family.name) { $0.write(gateway) }
        }
    }

    /// print_rta_flow: "realm TO " or "realms FROM/TO "; JSON "flow":{"from":…,"to":…},
    /// names from rt_realms.
    static func writeRealms<Sink: ItemSink>(_ realms: UInt32, to sink: inout Sink) {
        let from = realms >> 16, to = realms & 0xffff
        if Sink.isJSON {
            sink.beginObject("flow")
            if from != 0 { sink.string("from", nil, RouteNames.realm(from)) }
            sink.string("to", nil, RouteNames.realm(to))
            sink.endObject()
        } else {
            sink.output.write(from != 0 ? "realms " + RouteNames.realm(from) + "/" : "realm ")
            sink.string("to", nil, RouteNames.realm(to))
        }
    }

    /// print_rt_flags: "flags" is always a list in JSON.
    static func writeFlags<Sink: ItemSink>(_ flags: RouteFlags, to sink: inout Sink) {
        sink.beginArray("flags")
        for (flag, name) in flagNames where flags.contains(flag) {
            if Sink.isJSON { sink.element(name) } else { sink.output.write(name); sink.output.write(UInt8(ascii: " ")) }
        }
        sink.endArray()
    }

    /// print_rt_flags' words, in its order.
    static let flagNames: [(flag: RouteFlags, name: String)] = [
        (.dead, "dead"), (.onlink, "onlink"), (.pervasive, "pervasive"), (.offload, "offload"), (.trap, "trap"),
        (.notify, "notify"), (.linkdown, "linkdown"), (.unresolved, "unresolved"),
        (.routeOffload, "rt_offload"), (.routeTrap, "rt_trap"), (.routeOffloadFailed, "rt_offload_failed"),
    ]

    /// How the kernel cached an IPv4 route, on a line of its own.
    private func writeCacheFlags<Sink: ItemSink>(_ flags: RouteCacheFlags, to sink: inout Sink) {
        var rest = flags
        if Sink.isJSON {
            sink.beginArray("cache")
            for (flag, name) in Self.cacheFlagNames where rest.contains(flag) { sink.element(name) }
            sink.endArray()
            return
        }
        let output = sink.output
        output.write("\n    cache ")
        guard !rest.isEmpty else { return }
        output.write(UInt8(ascii: "<"))
        for (flag, name) in Self.cacheFlagNames where rest.contains(flag) {
            rest.remove(flag)
            output.write(name)
            output.write(!rest.isEmpty ? "," : "> ")
        }
        if !rest.isEmpty { output.write(String(rest.rawValue, radix: 16) + ">") }
    }

    /// print_cache_flags' words, in its order.
    static let cacheFlagNames: [(flag: RouteCacheFlags, name: String)] = [
        (.local, "local"), (.reject, "reject"), (.multicast, "mc"), (.broadcast, "brd"),
        (.destinationNAT, "dst-nat"), (.sourceNAT, "src-nat"), (.masquerade, "masq"), (.directDestination, "dst-direct"),
        (.directSource, "src-direct"), (.redirected, "redirected"), (.doRedirect, "redirect"),
        (.fast, "fastroute"), (.notify, "notify"), (.transparentProxy, "proxy"),
    ]

    /// print_rta_cacheinfo: what a lookup reports about the cached entry.
    private func writeCacheInfo<Sink: ItemSink>(_ info: RouteCacheInfo, to sink: inout Sink) {
        let hz: Int32 = 100
        if info.expires != 0 {
            if Sink.isJSON { sink.number("expires", nil, UInt64(max(0, info.expires / hz))) } else {
                sink.output.write("expires \(info.expires / hz)sec ")
            }
        }
        if info.error != 0 { sink.number("error", "error", UInt64(info.error)) }
        if statistics {
            if info.clientReferences != 0 { sink.number("users", "users", UInt64(info.clientReferences)) }
            if info.used != 0 { sink.number("used", "used", UInt64(info.used)) }
            if info.lastUse != 0 {
                if Sink.isJSON { sink.number("age", nil, UInt64(info.lastUse) / 100) } else {
                    sink.output.write("age \(info.lastUse / 100)sec ")
                }
            }
        }
        if info.ipID != 0 {
            sink.string("ipid", "ipid", hexadecimal(info.ipID, digits: 4))
        }
        if info.timestamp != 0 || info.timestampAge != 0 {
            sink.string("ts", "ts", hexadecimal(info.timestamp))
            if Sink.isJSON { sink.number("tsage", nil, UInt64(info.timestampAge)) } else {
                sink.output.write("tsage \(info.timestampAge)sec ")
            }
        }
    }

    /// print_rta_metrics: "mtu lock 1400 advmss 1300 congctl cubic "; JSON
    /// "metrics":[{...,"congestion":"cubic"}] (no locks in JSON).
    static func writeMetrics<Sink: ItemSink>(_ metrics: RouteMetrics, to sink: inout Sink) {
        sink.beginArray("metrics")
        sink.beginObject(nil)
        for metric in RouteMetric.allCases where metric != .lock {
            if metric == .congestionControl {
                // A name, not a number: its own field of the metrics.
                guard let algorithm = metrics.congestionControl else { continue }
                if !Sink.isJSON { sink.output.write(metrics.isLocked(metric) ? "congctl lock " : "congctl ") }
                sink.string("congestion", nil, algorithm)
                continue
            }
            let value = metrics[metric]
            guard value != nil || metrics.isLocked(metric) else { continue }
            var number = value ?? 0
            if metric == .hoplimit, number == UInt32.max { continue }
            let name = metricNames[metric] ?? "metric \(metric.rawValue)"
            if !Sink.isJSON {
                sink.output.write(name)
                sink.output.write(metrics.isLocked(metric) ? " lock " : " ")
            }
            switch metric {
            case .rtt, .rttvar, .rtoMin:
                if metric == .rtt { number /= 8 } else if metric == .rttvar { number /= 4 }
                if Sink.isJSON {
                    sink.number(name, nil, UInt64(number))
                } else {
                    sink.output.write(number >= 1000 ? "\(Double(number) / 1000)s " : "\(number)ms ")
                }
            default:
                if Sink.isJSON { sink.number(name, nil, UInt64(number)) } else {
                    sink.output.write(decimal: UInt64(number))
                    sink.output.write(UInt8(ascii: " "))
                }
            }
        }
        sink.endObject()
        sink.endArray()
    }

    static let metricNames: [RouteMetric: String] = [
        .mtu: "mtu", .window: "window", .rtt: "rtt", .rttvar: "rttvar", .ssthresh: "ssthresh", .cwnd: "cwnd",
        .advmss: "advmss", .reordering: "reordering", .hoplimit: "hoplimit", .initcwnd: "initcwnd",
        .features: "features", .rtoMin: "rto_min", .initrwnd: "initrwnd", .quickack: "quickack",
        .fastopenNoCookie: "fastopen_no_cookie",
    ]

    /// RTA_PREF: "pref medium" ends the line without a space, as iproute2 prints it.
    private func writePreference<Sink: ItemSink>(_ preference: RoutePreference, to sink: inout Sink) {
        let name: String? = switch preference {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        default: nil
        }
        if Sink.isJSON {
            if let name { sink.string("pref", nil, name) } else { sink.number("pref", nil, UInt64(preference.rawValue)) }
        } else {
            sink.output.write(name.map { "pref " + $0 } ?? String(preference.rawValue))
        }
    }
}
