import GreKit

/// netplan (one YAML file, `network.tunnels`): mode, local, remote, ttl, keys, mtu,
/// addresses, routes and routing-policy. netplan has no words for checksums, sequence
/// numbers, path MTU discovery, TOS, marks, encapsulation, ECMP legs or nexthop
/// objects: each is a comment with the gretool words that carry it.
enum NetplanExport {
    static func files(_ tunnels: [StateExport.Tunnel], devices: any InterfaceResolver) -> [StateExport.File] {
        var lines = ["# made by gretool state export", "network:", "  version: 2", "  tunnels:"]
        for tunnel in tunnels { lines += self.tunnel(tunnel, devices) }
        return [StateExport.File(name: "60-gretool.yaml", text: lines.joined(separator: "\n") + "\n")]
    }

    private static func tunnel(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver) -> [String] {
        let options = tunnel.options
        var lines = ["    \(tunnel.link.name):", "      mode: \(options.kind)"]
        var keys: [String] = []
        for setting in options.settings(devices) {
            switch (setting.key, setting.value) {
            case ("remote", .word(let word)): lines.append("      remote: \(word)")
            case ("local", .word(let word)): lines.append("      local: \(word)")
            case ("ttl", .word(let word)) where word != "inherit": lines.append("      ttl: \(word)")
            case ("key", .word(let word)): keys += ["input: \(word)", "output: \(word)"]
            case ("ikey", .word(let word)): keys.append("input: \(word)")
            case ("okey", .word(let word)): keys.append("output: \(word)")
            default:
                let words = LinkState.words(of: [setting], kind: options.kind).joined(separator: " ")
                lines.append("      # \(words): netplan has no setting for it (gretool apply carries it)")
            }
        }
        if !keys.isEmpty { lines.append("      keys: {\(keys.joined(separator: ", "))}") }
        if let mtu = tunnel.link.mtu { lines.append("      mtu: \(mtu)") }
        if !tunnel.addresses.isEmpty {
            lines.append("      addresses:")
            for address in tunnel.addresses {
                lines.append("        - \(address.primary!)/\(address.prefixLength)")
                if address.peer != nil || address.broadcast != nil || address.metric != nil || address.label != nil && address.label != tunnel.link.name {
                    lines.append("        " + StateExport.comment("netplan keeps only the address of", address.words(devices, ownership: false)))
                }
            }
        }
        var routes: [String] = []
        for route in tunnel.routes {
            guard route.nexthops.isEmpty, route.nexthopID == nil, route.source == nil, route.tos == 0 else {
                routes.append("        " + StateExport.comment("netplan has no multipath, nexthop or source routes", route.words(devices, ownership: false)))
                continue
            }
            routes.append("        - to: \(route.destination.length == 0 ? "default" : route.destination.description)")
            if let gateway = route.gateway { routes.append("          via: \(gateway)") }
            if route.flags.contains(.onlink) { routes.append("          on-link: true") }
            if let metric = route.priority, metric != (route.family == .inet6 ? Route.ipv6DefaultMetric : 0) { routes.append("          metric: \(metric)") }
            if route.table != .main { routes.append("          table: \(route.table.rawValue)") }
            if route.type != .unicast { routes.append("          type: \(route.type.name)") }
            if route.scope == .link, route.gateway == nil { routes.append("          scope: link") }
            if let source = route.preferredSource { routes.append("          from: \(source)") }
        }
        for nexthop in tunnel.nexthops {
            routes.append("        " + StateExport.comment("netplan has no nexthop objects", nexthop.words(devices, ownership: false)))
        }
        for route in tunnel.otherRoutes {
            routes.append("        " + StateExport.comment("this route goes through another device and belongs to it", route.words(devices, ownership: false)))
        }
        if !routes.isEmpty { lines += ["      routes:"] + routes }
        if !tunnel.rules.isEmpty {
            lines.append("      routing-policy:")
            for rule in tunnel.rules {
                guard rule.action == .toTable, rule.inputInterface == nil, rule.outputInterface == nil, !rule.flags.contains(.invert) else {
                    lines.append("        " + StateExport.comment("netplan cannot say this rule", rule.words(ownership: false)))
                    continue
                }
                lines.append("        - table: \(rule.table.rawValue)")
                if let source = rule.source { lines.append("          from: \(source)") }
                if let destination = rule.destination { lines.append("          to: \(destination)") }
                if let priority = rule.priority { lines.append("          priority: \(priority)") }
                if let fwmark = rule.fwmark { lines.append("          mark: \(fwmark)") }
                if rule.tos != 0 { lines.append("          type-of-service: \(rule.tos)") }
            }
        }
        return lines
    }
}
