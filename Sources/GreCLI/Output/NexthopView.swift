import GreKit

/// A nexthop object as `ip nexthop show` prints it (__print_nexthop_entry).
struct NexthopView {
    let devices: DeviceNames
    var details = false

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
        if let gateway = nexthop.gateway { fields.append(.string("gateway", gateway.description, label: "via")) }
        if let index = nexthop.outputInterface { fields.append(.string("dev", devices.name(index))) }
        if nexthop.scope != .universe || details {
            fields.append(.string("scope", nexthop.scope.name))
        }
        if nexthop.blackhole { fields.append(Field("blackhole", .null, text: "blackhole")) }
        if nexthop.protocolID != .unspecified || details {
            fields.append(.string("protocol", nexthop.protocolID.name, label: "proto"))
        }
        let flags = RouteView.flagNames.filter { nexthop.flags.contains($0.flag) }.map(\.name)
        fields.append(Field("flags", .array(flags.map { .string($0) }), text: flags.joined(separator: " ")))
        if nexthop.fdb { fields.append(Field("fdb", .null, text: "fdb")) }
        return fields
    }

    /// Clock ticks as seconds, the way "%g" prints them ("120", "0.5"). Timers are set
    /// in whole seconds; a fraction (a running unbalanced time) is a JSON string here.
    static func seconds(_ key: String, _ ticks: UInt64) -> Field {
        let whole = ticks / 100, hundredths = ticks % 100
        guard hundredths != 0 else { return .unsigned(key, whole) }
        let fraction = hundredths % 10 == 0 ? String(hundredths / 10) : (hundredths < 10 ? "0" : "") + String(hundredths)
        return .string(key, "\(whole).\(fraction)")
    }
}
