import GreKit

/// A nexthop object as `ip nexthop show` prints it (__print_nexthop_entry).
struct NexthopView {
    let devices: DeviceNames
    var details = false
    var naming = Naming.names

    func fields(_ nexthop: NexthopObject) -> [Field] {
        var fields: [Field] = [.unsigned("id", nexthop.id)]
        if !nexthop.group.isEmpty {
            let text = nexthop.group.map { $0.weight > 1 ? "\($0.id),\($0.weight)" : "\($0.id)" }.joined(separator: "/")
            let members: [Field.Value] = nexthop.group.map { member in
                var fields: [Field] = [.jsonOnly("id", .unsigned(UInt64(member.id)))]
                if member.weight > 1 { fields.append(.jsonOnly("weight", .unsigned(UInt64(member.weight)))) }
                return .object(fields)
            }
            fields.append(Field("group", .array(members), text: "group " + text))
        }
        if let type = nexthop.groupType, type != .multipath, let name = type.name { fields.append(.string("type", name)) }
        if let resilient = nexthop.resilient {
            let args: [Field] = [
                .unsigned("buckets", resilient.buckets ?? 0),
                Self.seconds("idle_timer", UInt64(resilient.idleTimer ?? 0)),
                Self.seconds("unbalanced_timer", UInt64(resilient.unbalancedTimer ?? 0)),
                Self.seconds("unbalanced_time", resilient.unbalancedTime ?? 0),
            ]
            fields.append(Field("resilient_args", .object(args), text: FieldRenderer.text(args)))
        }
        if let encapsulation = nexthop.encapsulation { fields += Self.encapsulation(encapsulation) }
        if let gateway = nexthop.gateway { fields.append(.string("gateway", gateway.description, label: "via")) }
        if let index = nexthop.outputInterface { fields.append(.string("dev", devices.name(index))) }
        if nexthop.scope != .universe || details {
            fields.append(.string("scope", naming.scope(nexthop.scope)))
        }
        if nexthop.blackhole { fields.append(Field("blackhole", .null, text: "blackhole")) }
        if nexthop.protocolID != .unspecified || details {
            fields.append(.string("protocol", naming.routeProtocol(nexthop.protocolID), label: "proto"))
        }
        fields.append(flags(nexthop.flags))
        if nexthop.fdb { fields.append(Field("fdb", .null, text: "fdb")) }
        return fields
    }

    /// lwt_print_encap, as `RouteView.writeEncapsulation` writes it for routes: " encap ip
    /// id 5 src 0.0.0.0 ..." (the blank before is iproute2's), its keys among the
    /// nexthop's own in JSON ("id" a second time).
    static func encapsulation(_ encapsulation: RouteEncapsulation) -> [Field] {
        var fields = [Field("encap", .string(encapsulation.typeName), text: " encap " + encapsulation.typeName)]
        guard encapsulation.type == .ip || encapsulation.type == .ip6 else { return fields }
        if let id = encapsulation.id { fields.append(.unsigned("id", id)) }
        if let source = encapsulation.source { fields.append(.string("src", source.description)) }
        if let destination = encapsulation.destination { fields.append(.string("dst", destination.description)) }
        if let ttl = encapsulation.ttl { fields.append(.unsigned(encapsulation.ttlWord, ttl)) }
        if let tos = encapsulation.tos { fields.append(.unsigned(encapsulation.tosWord, tos)) }
        for (flag, name) in RouteEncapsulation.flagNames where encapsulation.flags.contains(flag) {
            fields.append(Field(name, .bool(true), text: name))
        }
        return fields
    }

    /// Clock ticks as seconds, the way "%g" prints them ("120", "0.5", "2.95"), a
    /// number in JSON too.
    static func seconds(_ key: String, _ ticks: UInt64) -> Field {
        guard ticks % 100 != 0 else { return .unsigned(key, ticks / 100) }
        let tenths = ticks % 10 == 0
        let value = Int64(clamping: tenths ? ticks / 10 : ticks), digits = tenths ? 1 : 2
        return Field(key, .decimal(value, fractionDigits: digits), text: "\(key) \(String(decimal: value, fractionDigits: digits))")
    }

    /// A bucket of a resilient group as print_nexthop_bucket prints it.
    func fields(_ bucket: NexthopBucket) -> [Field] {
        var args: [Field] = []
        if let index = bucket.index { args.append(.unsigned("index", index)) }
        if let idle = bucket.idleTime { args.append(Self.seconds("idle_time", idle)) }
        if let member = bucket.nexthopID { args.append(.unsigned("nhid", member)) }
        return [.unsigned("id", bucket.groupID), Field("bucket", .object(args), text: FieldRenderer.text(args)), flags(bucket.flags)]
    }

    /// print_rt_flags: the flags' words, and "flags": [...] in JSON.
    private func flags(_ flags: RouteFlags) -> Field {
        let names = RouteView.flagNames.filter { flags.contains($0.flag) }.map(\.name)
        return Field("flags", .array(names.map { .string($0) }), text: names.joined(separator: " "))
    }
}
