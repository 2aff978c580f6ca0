import GreKit

/// A rule as `ip rule show` prints it (print_rule): "PRIORITY:<tab>from ... lookup TABLE".
struct RuleView {
    var details = false
    var naming = Naming.names

    func fields(_ rule: Rule) -> [Field] {
        let hostLength = rule.family.bitWidth
        var fields: [Field] = [Field("priority", .unsigned(UInt64(rule.priority ?? 0)), text: "\(rule.priority ?? 0):\t")]
        if rule.flags.contains(.invert) { fields.append(Field("not", .null, text: "not")) }
        fields += prefix(rule.source, key: "src", lengthKey: "srclen", word: "from", hostLength: hostLength)
        if rule.source == nil { fields.append(Field("src", .string("all"), text: "from all")) }
        fields += prefix(rule.destination, key: "dst", lengthKey: "dstlen", word: "to", hostLength: hostLength)
        if rule.tos != 0 { fields.append(.string("tos", naming.dsfield(rule.tos))) }
        if rule.fwmark != nil || rule.fwmask != nil {
            let mark = hexadecimal(rule.fwmark ?? 0)
            if let mask = rule.fwmask, mask != UInt32.max {
                let maskText = hexadecimal(mask)
                fields.append(Field("fwmark", .string(mark), text: "fwmark \(mark)/\(maskText)"))
                fields.append(.jsonOnly("fwmask", .string(maskText)))
            } else {
                fields.append(.string("fwmark", mark))
            }
        }
        if let name = rule.inputInterface {
            fields.append(.string("iif", name))
            if rule.flags.contains(.inputInterfaceDetached) { fields.append(Field("iif_detached", .null, text: "[detached]")) }
        }
        if let name = rule.outputInterface {
            fields.append(.string("oif", name))
            if rule.flags.contains(.outputInterfaceDetached) { fields.append(Field("oif_detached", .null, text: "[detached]")) }
        }
        if rule.l3mdev { fields.append(Field("l3mdev", .null, text: "lookup [l3mdev-table]")) }
        if let range = rule.uidRange {
            fields.append(Field("uid_start", .unsigned(UInt64(range.lowerBound)), text: "uidrange \(range.lowerBound)-\(range.upperBound)"))
            fields.append(.jsonOnly("uid_end", .unsigned(UInt64(range.upperBound))))
        }
        if let proto = rule.ipProtocol { fields.append(.string("ipproto", naming.ipProtocol(proto))) }
        fields += ports(rule.sourcePorts, "sport")
        fields += ports(rule.destinationPorts, "dport")
        if let id = rule.tunnelID { fields.append(.unsigned("tun_id", id)) }
        if rule.table != .unspecified {
            fields.append(.string("table", naming.table(rule.table), label: "lookup"))
            if let length = rule.suppressPrefixLength, length != -1 {
                fields.append(Field("suppress_prefixlen", .signed(Int64(length)), text: "suppress_prefixlength \(length)"))
            }
            if let group = rule.suppressInterfaceGroup, group != -1 {
                fields.append(.string("suppress_ifgroup", naming.linkGroup(group)))
            }
        }
        if let realms = rule.realms {
            // "realms FROM/TO", or "realms TO" without a source realm.
            let from = realms >> 16, to = naming.realm(realms & 0xffff)
            if from != 0 {
                fields.append(Field("flow_from", .string(naming.realm(from)), text: "realms \(naming.realm(from))/\(to)"))
                fields.append(.jsonOnly("flow_to", .string(to)))
            } else {
                fields.append(Field("flow_to", .string(to), text: "realms \(to)"))
            }
        }
        switch rule.action {
        case .nat: fields.append(Field("masquerade", .null, text: "masquerade"))
        case .goto:
            if let target = rule.goto { fields.append(.unsigned("goto", target)) } else { fields.append(.string("goto", "none")) }
            if rule.flags.contains(.unresolved) { fields.append(Field("unresolved", .null, text: "[unresolved]")) }
        case .nop: fields.append(Field("nop", .null, text: "nop"))
        case .toTable: break
        default:
            // Any other action is named as the route type of its number, as iproute2 names it.
            let name = naming.routeType(RouteType(rawValue: rule.action.rawValue))
            fields.append(Field("action", .string(name), text: name))
        }
        if let proto = rule.protocolID, (proto != .unspecified && proto != .kernel) || details {
            fields.append(.string("protocol", naming.routeProtocol(proto), label: "proto"))
        }
        return fields
    }

    /// "from 192.0.2.0/24": JSON splits the address and its length (shown only when not a host's).
    private func prefix(_ prefix: IPPrefix?, key: String, lengthKey: String, word: String, hostLength: Int) -> [Field] {
        guard let prefix else { return [] }
        let partial = Int(prefix.length) != hostLength
        var fields = [Field(key, .string(prefix.address.description),
                            text: "\(word) \(prefix.address)" + (partial ? "/\(prefix.length)" : ""))]
        if partial { fields.append(.jsonOnly(lengthKey, .unsigned(UInt64(prefix.length)))) }
        return fields
    }

    private func ports(_ range: ClosedRange<UInt16>?, _ key: String) -> [Field] {
        guard let range else { return [] }
        if range.lowerBound == range.upperBound { return [.unsigned(key, range.lowerBound)] }
        return [Field("\(key)_start", .unsigned(UInt64(range.lowerBound)), text: "\(key) \(range.lowerBound)-\(range.upperBound)"),
                .jsonOnly("\(key)_end", .unsigned(UInt64(range.upperBound)))]
    }
}
