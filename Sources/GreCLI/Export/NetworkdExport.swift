import GreKit

/// systemd-networkd: for each tunnel, `10-NAME.netdev` (the device: systemd.netdev(5)'s
/// [Tunnel] keys) and `10-NAME.network` (its addresses, routes, nexthops and rules).
/// `Independent=true` spares the underlay's .network a `Tunnel=` line.
enum NetworkdExport {
    static func files(_ tunnels: [StateExport.Tunnel], devices: any InterfaceResolver) -> [StateExport.File] {
        tunnels.flatMap { tunnel in
            [StateExport.File(name: "10-\(tunnel.link.name).netdev", text: netdev(tunnel, devices)),
             StateExport.File(name: "10-\(tunnel.link.name).network", text: network(tunnel, devices))]
        }
    }

    /// The [Tunnel] key of each setting; a setting without one is a comment.
    private static func tunnelLine(_ setting: KindSetting, _ options: GreOptions) -> String {
        let word: String? = if case .word(let text) = setting.value { text } else { nil }
        let on: Bool = if case .flag(let flag) = setting.value { flag } else { true }
        switch setting.key {
        case "remote": return "Remote=\(word!)"
        case "local": return "Local=\(word!)"
        case "ttl": return "TTL=\(word == "inherit" ? "0" : word!)"
        case "tos": return "TOS=\(word == "inherit" ? "1" : String(UInt8(word!.dropFirst(2), radix: 16) ?? 0))"
        case "pmtudisc": return "DiscoverPathMTU=\(on ? "yes" : "no")"
        case "ignore_df": return "IgnoreDontFragment=\(on ? "yes" : "no")"
        case "key": return "Key=\(word!)"
        case "ikey": return "InputKey=\(word!)"
        case "okey": return "OutputKey=\(word!)"
        case "seq": return "SerializeTunneledPackets=yes"
        case "external": return "External=yes"
        case "encap": return "Encapsulation=\(word == "fou" ? "FooOverUDP" : "GenericUDPEncapsulation")"
        case "encap_sport": return "FOUSourcePort=\(word!)"
        case "encap_dport": return "FOUDestinationPort=\(word!)"
        case "encap_limit": return "EncapsulationLimit=\(word!)"
        case "flowlabel": return "IPv6FlowLabel=\(word!)"
        case "dscp": return "CopyDSCP=yes"
        case "allow_localremote": return "AllowLocalRemote=yes"
        default: return notExpressible(setting, options)
        }
    }

    static func notExpressible(_ setting: KindSetting, _ options: GreOptions) -> String {
        let words = LinkState.words(of: [setting], kind: options.kind).joined(separator: " ")
        return "# \(words): systemd-networkd has no setting for it (gretool apply carries it)"
    }

    private static func netdev(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver) -> String {
        var lines = ["# made by gretool state export", "[NetDev]", "Name=\(tunnel.link.name)", "Kind=\(tunnel.options.kind)"]
        if let mtu = tunnel.link.mtu { lines.append("MTUBytes=\(mtu)") }
        lines.append("")
        lines.append("[Tunnel]")
        let settings = tunnel.options.settings(devices)
        var underlay: String?
        for setting in settings {
            if setting.key == "link", case .word(let name) = setting.value {
                underlay = name
                continue
            }
            lines.append(tunnelLine(setting, tunnel.options))
        }
        if let underlay {
            lines.append("# bound to \(underlay): add Tunnel=\(tunnel.link.name) to \(underlay)'s .network")
        } else {
            lines.append("Independent=true")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func network(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver) -> String {
        var lines = ["# made by gretool state export", "[Match]", "Name=\(tunnel.link.name)", "", "[Network]"]
        if tunnel.link.up == false { lines += ["# the link is down; networkd brings it up"] }
        for address in tunnel.addresses {
            lines += ["", "[Address]"]
            if let peer = address.peer {
                lines.append("Address=\(address.primary!)/\(address.prefixLength)")
                lines.append("Peer=\(peer)/\(address.prefixLength)")
            } else {
                lines.append("Address=\(address.primary!)/\(address.prefixLength)")
            }
            if let broadcast = address.broadcast { lines.append("Broadcast=\(broadcast)") }
            if let metric = address.metric { lines.append("RouteMetric=\(metric)") }
            if address.flags.contains(.noPrefixRoute) { lines.append("AddPrefixRoute=no") }
            if let label = address.label, label != tunnel.link.name { lines.append("Label=\(label)") }
        }
        for nexthop in tunnel.nexthops {
            lines += ["", "[NextHop]", "Id=\(nexthop.id)"]
            if !nexthop.group.isEmpty {
                lines.append("Group=" + nexthop.group.map { "\($0.id):\($0.weight)" }.joined(separator: " "))
            } else if nexthop.blackhole {
                lines.append("Blackhole=yes")
            } else if let gateway = nexthop.gateway {
                lines.append("Gateway=\(gateway)")
                if nexthop.flags.contains(.onlink) { lines.append("OnLink=yes") }
            }
        }
        for route in tunnel.routes { lines += [""] + self.route(route, devices) }
        for route in tunnel.otherRoutes {
            let device = route.outputInterface.map { devices.displayName(of: $0) } ?? "its device"
            lines += ["", StateExport.comment("this route belongs in \(device)'s .network", route.words(devices, ownership: false))]
        }
        for rule in tunnel.rules { lines += [""] + self.rule(rule) }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func route(_ route: Route, _ devices: any InterfaceResolver) -> [String] {
        var lines = ["[Route]", "Destination=\(route.destination)"]
        if let gateway = route.gateway { lines.append("Gateway=\(gateway)") }
        if route.flags.contains(.onlink) { lines.append("GatewayOnLink=yes") }
        if let source = route.preferredSource { lines.append("PreferredSource=\(source)") }
        if let metric = route.priority, metric != (route.family == .inet6 ? Route.ipv6DefaultMetric : 0) { lines.append("Metric=\(metric)") }
        if route.table != .main { lines.append("Table=\(route.table.rawValue)") }
        if route.type != .unicast { lines.append("Type=\(route.type.name)") }
        if let id = route.nexthopID { lines.append("NextHop=\(id)") }
        if let mtu = route.metrics[.mtu] { lines.append("MTUBytes=\(mtu)") }
        // The kernel shows a group's members as legs too: the group says them already.
        for leg in route.nexthops where route.nexthopID == nil {
            let gateway = leg.gateway?.description ?? ""
            lines.append("MultiPathRoute=\(gateway)@\(devices.displayName(of: leg.outputInterface)) \(leg.weight)")
        }
        if route.source != nil || route.tos != 0 || route.preference != nil && route.preference != .medium {
            lines.append(StateExport.comment("from, tos and pref have no [Route] key", route.words(devices, ownership: false)))
        }
        return lines
    }

    private static func rule(_ rule: Rule) -> [String] {
        var lines = ["[RoutingPolicyRule]"]
        if let source = rule.source { lines.append("From=\(source)") }
        if let destination = rule.destination { lines.append("To=\(destination)") }
        if rule.flags.contains(.invert) { lines.append("Invert=yes") }
        if let priority = rule.priority { lines.append("Priority=\(priority)") }
        if rule.tos != 0 { lines.append("TypeOfService=\(rule.tos)") }
        if let fwmark = rule.fwmark {
            lines.append("FirewallMark=\(fwmark)" + (rule.fwmask.flatMap { $0 == .max ? nil : "/\($0)" } ?? ""))
        }
        if let name = rule.inputInterface { lines.append("IncomingInterface=\(name)") }
        if let name = rule.outputInterface { lines.append("OutgoingInterface=\(name)") }
        if let ports = rule.sourcePorts { lines.append("SourcePort=\(ports.lowerBound)-\(ports.upperBound)") }
        if let ports = rule.destinationPorts { lines.append("DestinationPort=\(ports.lowerBound)-\(ports.upperBound)") }
        if let users = rule.uidRange { lines.append("User=\(users.lowerBound)-\(users.upperBound)") }
        if let length = rule.suppressPrefixLength, length >= 0 { lines.append("SuppressPrefixLength=\(length)") }
        if rule.family == .inet6 { lines.append("Family=ipv6") }
        switch rule.action {
        case .toTable: lines.append("Table=\(rule.table.rawValue)")
        case .blackhole, .unreachable, .prohibit: lines.append("Type=\(RouteType(rawValue: rule.action.rawValue).name)")
        default: lines.append(StateExport.comment("this action has no [RoutingPolicyRule] key", rule.words(ownership: false)))
        }
        return lines
    }
}
