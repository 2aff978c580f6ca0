import GreKit

/// A route as `ip route show` and `ip route get` print it (print_route), text or JSON.
struct RouteView {
    let devices: DeviceNames
    var details = false
    var statistics = false
    /// With -d, how a route's nexthop object is shown ("nh_info").
    var nexthopInfo: [UInt32: [Field]] = [:]
    /// What the listing was selected by, which iproute2 then does not repeat on each line.
    var selected = Selection()
    /// What breaks a route's text into lines (multipath legs, nh_info, a lookup's cache
    /// line): a backslash with -o, as iproute2's _SL_, so that each route is one line.
    var lineBreak = "\n"
    /// How tables, protocols, scopes, types, realms and DS fields are written (-N).
    var naming = Naming.names

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
        static let realms = Selection(rawValue: 1 << 8)
        static let inputInterface = Selection(rawValue: 1 << 9)

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
            if selector.realmsMask == .max { insert(.realms) }
            if selector.inputInterface != nil { insert(.inputInterface) }
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
        if route.type != .unicast || details { sink.string("type", nil, naming.routeType(route.type)) }
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
        if let encapsulation = route.encapsulation { Self.writeEncapsulation(encapsulation, to: &sink) }
        if route.tos != 0, !selected.contains(.tos) { sink.string("tos", "tos", naming.dsfield(route.tos)) }
        // A gateway the selector names whole is not printed; one of the other family
        // (RTA_VIA) is, as iproute2 compares the length with the route's family's.
        if let gateway = route.gateway, !selected.contains(.gateway) || gateway.family != route.family {
            writeGateway(gateway, family: route.family, to: &sink)
        }
        if let index = route.outputInterface, !selected.contains(.device) { sink.string("dev", "dev", devices.name(index)) }
        if route.table != .unspecified, route.table != .main || details, !selected.contains(.table) {
            sink.string("table", "table", naming.table(route.table))
        }
        if !route.flags.contains(.cloned) {
            if route.protocolID != .boot || details, !selected.contains(.protocolID) {
                sink.string("protocol", "proto", naming.routeProtocol(route.protocolID))
            }
            if route.scope != .universe || details, !selected.contains(.scope) {
                sink.string("scope", "scope", naming.scope(route.scope))
            }
        }
        if let source = route.preferredSource, !selected.contains(.preferredSource) { sink.quoted("prefsrc", "src") { $0.write(source) } }
        if let metric = route.priority, !selected.contains(.metric) { sink.number("metric", "metric", UInt64(metric)) }
        Self.writeFlags(route.flags, to: &sink)
        if let mark = route.mark, mark != 0 {
            if Sink.isJSON || mark < 16 { sink.number("mark", "mark", UInt64(mark)) } else { sink.string("mark", "mark", "0x" + String(mark, radix: 16)) }
        }
        if let realms = route.realms, !selected.contains(.realms) { writeRealms(realms, to: &sink) }
        if let uid = route.uid { sink.number("uid", "uid", UInt64(uid)) }
        if route.family == .inet, route.flags.contains(.cloned) { writeCacheFlags(route.flags.cacheFlags, to: &sink) }
        if let info = route.cacheInfo { writeCacheInfo(info, to: &sink) }
        if !route.metrics.isEmpty { Self.writeMetrics(route.metrics, to: &sink) }
        if let index = route.inputInterface, !selected.contains(.inputInterface) { sink.string("iif", "iif", devices.name(index)) }
        if let preference = route.preference { writePreference(preference, to: &sink) }
        if details, let id = route.nexthopID, let fields = nexthopInfo[id] { sink.object("nh_info", prefix: lineBreak + "\tnh_info ", fields) }
        if !route.nexthops.isEmpty {
            sink.beginArray("nexthops")
            for leg in route.nexthops {
                sink.beginObject(nil)
                if !Sink.isJSON {
                    sink.output.write(lineBreak)
                    sink.output.write("\tnexthop ")
                }
                if let encapsulation = leg.encapsulation { Self.writeEncapsulation(encapsulation, to: &sink) }
                if let gateway = leg.gateway { writeGateway(gateway, family: route.family, to: &sink) }
                if let realms = leg.realms { writeRealms(realms, to: &sink) }
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

    /// lwt_print_encap: " encap ip id 9 src 0.0.0.0 dst 10.1.0.2 ttl 7 tos 0 " (the blank
    /// before is iproute2's); JSON "encap":"ip","id":9,... among the route's own keys, a
    /// second "dst" included, as iproute2 writes them. Of the other types, the name.
    static func writeEncapsulation<Sink: ItemSink>(_ encapsulation: RouteEncapsulation, to sink: inout Sink) {
        if !Sink.isJSON { sink.output.write(UInt8(ascii: " ")) }
        sink.string("encap", "encap", encapsulation.typeName)
        guard encapsulation.type == .ip || encapsulation.type == .ip6 else { return }
        if let id = encapsulation.id { sink.number("id", "id", id) }
        if let source = encapsulation.source { sink.quoted("src", "src") { $0.write(source) } }
        if let destination = encapsulation.destination { sink.quoted("dst", "dst") { $0.write(destination) } }
        let ttl = encapsulation.ttlWord, tos = encapsulation.tosWord
        if let value = encapsulation.ttl { sink.number(ttl, ttl, UInt64(value)) }
        if let value = encapsulation.tos { sink.number(tos, tos, UInt64(value)) }
        for (flag, name) in RouteEncapsulation.flagNames where encapsulation.flags.contains(flag) { sink.truth(name, name) }
    }

    /// print_rta_flow: "realm TO " or "realms FROM/TO "; JSON "flow":{"from":…,"to":…},
    /// names from rt_realms.
    func writeRealms<Sink: ItemSink>(_ realms: UInt32, to sink: inout Sink) {
        let from = realms >> 16, to = realms & 0xffff
        if Sink.isJSON {
            sink.beginObject("flow")
            if from != 0 { sink.string("from", nil, naming.realm(from)) }
            sink.string("to", nil, naming.realm(to))
            sink.endObject()
        } else {
            sink.output.write(from != 0 ? "realms " + naming.realm(from) + "/" : "realm ")
            sink.string("to", nil, naming.realm(to))
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
