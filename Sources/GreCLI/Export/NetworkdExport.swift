import GreKit

/// systemd-networkd: for each tunnel, `10-NAME.netdev` (the device: systemd.netdev(5)'s
/// [Tunnel] keys) and `10-NAME.network` (its addresses, routes, nexthops and rules).
/// `Independent=true` spares the underlay's .network a `Tunnel=` line. What networkd
/// cannot set is a comment and a warning (the lab's export tests load these files into
/// systemd-networkd and compare the tunnels it makes with the source).
enum NetworkdExport {
    static func files(_ tunnels: [StateExport.Tunnel], devices: any InterfaceResolver,
                      omissions: StateExport.Omissions) -> [StateExport.File] {
        tunnels.flatMap { tunnel in
            [StateExport.File(name: "10-\(tunnel.link.name).netdev", text: netdev(tunnel, devices, omissions)),
             StateExport.File(name: "10-\(tunnel.link.name).network", text: network(tunnel, devices, omissions))]
        }
    }

    /// The [Tunnel] lines of each setting; a setting without a key is a comment.
    private static func tunnelLines(_ setting: KindSetting, _ tunnel: StateExport.Tunnel, _ omissions: StateExport.Omissions) -> [String] {
        let options = tunnel.options
        let word: String? = if case .word(let text) = setting.value { text } else { nil }
        let on: Bool = if case .flag(let flag) = setting.value { flag } else { true }
        func cannot(_ reason: String = "systemd-networkd has no setting for it (gretool apply carries it)") -> [String] {
            let words = LinkState.words(of: [setting], kind: options.kind).joined(separator: " ")
            return [omissions.comment(tunnel.link.name, words, reason)]
        }
        switch setting.key {
        case "remote": return ["Remote=\(word!)"]
        case "local": return ["Local=\(word!)"]
        case "ttl": return ["TTL=\(word == "inherit" ? "0" : word!)"]
        case "tos": return ["TOS=\(word == "inherit" ? "1" : String(UInt8(word!.dropFirst(2), radix: 16) ?? 0))"]
        case "pmtudisc": return ["DiscoverPathMTU=\(on ? "yes" : "no")"]
        case "ignore_df":
            // A key networkd before 254 does not know: it logs it and makes the tunnel without.
            return ["IgnoreDontFragment=\(on ? "yes" : "no")"] + cannot("systemd-networkd before version 254 ignores IgnoreDontFragment=")
        // networkd reads a key of 0 as no key, and sends none.
        case let key where ["key", "ikey", "okey"].contains(key) && word == "0": return cannot("systemd-networkd takes a key of 0 for no key")
        case "key": return ["Key=\(word!)"]
        case "ikey": return ["InputKey=\(word!)"]
        case "okey": return ["OutputKey=\(word!)"]
        // networkd's ip6gre message has neither sequence numbers nor FOU.
        case "seq" where options.isIPv6: return cannot("systemd-networkd sets sequence numbers on gre and gretap only")
        case let key where key.hasPrefix("encap_") && key != "encap_limit" || key == "encap":
            if options.isIPv6 { return cannot("systemd-networkd sets FOU on gre and gretap only") }
            switch key {
            // Encapsulation= alone is ignored: FooOverUDP=yes is what sends it.
            case "encap": return ["FooOverUDP=yes", "Encapsulation=\(word == "fou" ? "FooOverUDP" : "GenericUDPEncapsulation")"]
            case "encap_sport": return ["FOUSourcePort=\(word!)"]
            case "encap_dport": return ["FOUDestinationPort=\(word!)"]
            default: return cannot()
            }
        case "seq": return ["SerializeTunneledPackets=yes"]
        case "external": return ["External=yes"]
        // "none" is a flag networkd's ip6gre message carries; a number it does not.
        case "encap_limit" where word == "none": return ["EncapsulationLimit=none"]
        case "encap_limit": return cannot(ip6greEncapLimit)
        case "flowlabel": return ["IPv6FlowLabel=\(word!)"]
        // CopyDSCP= and AllowLocalRemote= are ip6tnl's: networkd's ip6gre message has neither.
        case "dscp", "allow_localremote": return cannot("systemd-networkd sets it on ip6tnl tunnels only")
        default: return cannot()
        }
    }

    /// EncapsulationLimit= is ip6tnl's: networkd's ip6gre message carries no limit.
    private static let ip6greEncapLimit = "systemd-networkd sets no encapsulation limit on ip6gre, and the kernel then inserts a limit of 0"

    private static func netdev(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver, _ omissions: StateExport.Omissions) -> String {
        let name = tunnel.link.name
        var lines = ["# made by gretool state export", "[NetDev]", "Name=\(name)", "Kind=\(tunnel.options.kind)"]
        if let mtu = tunnel.link.mtu { lines.append("MTUBytes=\(mtu)") }
        lines.append("")
        lines.append("[Tunnel]")
        let settings = tunnel.options.settings(devices)
        // The default limit (4, a setting no more) is lost too.
        if tunnel.options.isIPv6, !tunnel.options.external, !settings.contains(where: { $0.key == "encap_limit" }) {
            lines.append(omissions.comment(name, "encaplimit \(tunnel.options.encapLimit)", ip6greEncapLimit))
        }
        var underlay: String?
        for setting in settings {
            if setting.key == "link", case .word(let name) = setting.value {
                underlay = name
                continue
            }
            lines += tunnelLines(setting, tunnel, omissions)
        }
        if let underlay {
            lines.append(omissions.comment(name, "bound to \(underlay)", "add Tunnel=\(name) to \(underlay)'s .network"))
        } else {
            lines.append("Independent=true")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func network(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver, _ omissions: StateExport.Omissions) -> String {
        let name = tunnel.link.name
        var lines = ["# made by gretool state export", "[Match]", "Name=\(name)", "", "[Network]"]
        if tunnel.link.up == false { lines.append(omissions.comment(name, "the link is down", "networkd brings it up")) }
        for address in tunnel.addresses {
            lines += ["", "[Address]"]
            if let peer = address.peer {
                lines.append("Address=\(address.primary!)/\(address.prefixLength)")
                lines.append("Peer=\(peer)/\(address.prefixLength)")
            } else {
                lines.append("Address=\(address.primary!)/\(address.prefixLength)")
            }
            if let broadcast = address.broadcast {
                lines.append("Broadcast=\(broadcast)")
            } else if address.family == .inet {
                // networkd gives an IPv4 address the broadcast its prefix implies unless told not to.
                lines.append("Broadcast=no")
            }
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
        for route in tunnel.routes { lines += [""] + self.route(route, name, devices, omissions) }
        for route in tunnel.otherRoutes {
            let device = route.outputInterface.map { devices.displayName(of: $0) } ?? "its device"
            lines += ["", omissions.comment(name, "this route belongs in \(device)'s .network", words: route.words(devices, ownership: false))]
        }
        for rule in tunnel.rules { lines += [""] + self.rule(rule, name, omissions) }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func route(_ route: Route, _ tunnel: String, _ devices: any InterfaceResolver, _ omissions: StateExport.Omissions) -> [String] {
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
            lines.append(omissions.comment(tunnel, "from, tos and pref have no [Route] key", words: route.words(devices, ownership: false)))
        }
        return lines
    }

    private static func rule(_ rule: Rule, _ tunnel: String, _ omissions: StateExport.Omissions) -> [String] {
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
        default: lines.append(omissions.comment(tunnel, "this action has no [RoutingPolicyRule] key", words: rule.words(ownership: false)))
        }
        return lines
    }
}
