import GreKit

/// netplan (one YAML file, `network.tunnels`): mode, local, remote, ttl, keys, mtu,
/// addresses, routes and routing-policy. netplan has no words for checksums, sequence
/// numbers, path MTU discovery, TOS, marks, encapsulation, ECMP legs or nexthop
/// objects: each is a comment with the gretool words that carry it, and a warning.
/// The lab's export tests run `netplan generate` on this file and load what it makes
/// into systemd-networkd.
enum NetplanExport {
    static func files(_ tunnels: [StateExport.Tunnel], devices: any InterfaceResolver,
                      omissions: StateExport.Omissions) -> [StateExport.File] {
        var entries: [String] = []
        for tunnel in tunnels {
            // netplan refuses the whole file over a tunnel without both endpoints.
            guard tunnel.options.local != nil, tunnel.options.remote != nil, !tunnel.options.external else {
                entries.append("    " + omissions.comment(tunnel.link.name, "netplan needs a tunnel's local and remote addresses",
                                                          words: tunnel.link.words(devices)))
                continue
            }
            entries += self.tunnel(tunnel, devices, omissions)
        }
        let tunnelsKey = entries.contains { !$0.hasPrefix("    #") } ? "  tunnels:" : "  tunnels: {}"
        let lines = ["# made by gretool state export", "network:", "  version: 2", tunnelsKey] + entries
        // netplan warns about a configuration others can read (it may hold secrets).
        return [StateExport.File(name: "60-gretool.yaml", mode: 0o600, text: lines.joined(separator: "\n") + "\n")]
    }

    private static let ip6greEncapLimit = "netplan has no setting for it, and networkd (its renderer) sets no limit on ip6gre: the kernel then inserts one of 0"

    private static func tunnel(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver, _ omissions: StateExport.Omissions) -> [String] {
        let options = tunnel.options
        let name = tunnel.link.name
        var lines = ["    \(name):", "      mode: \(options.kind)"]
        var keys: [String] = []
        func cannot(_ setting: KindSetting, _ reason: String = "netplan has no setting for it (gretool apply carries it)") -> String {
            let words = LinkState.words(of: [setting], kind: options.kind).joined(separator: " ")
            return "      " + omissions.comment(name, words, reason)
        }
        let settings = options.settings(devices)
        // netplan writes networkd files, and networkd's ip6gre carries no encapsulation limit.
        if options.isIPv6, !settings.contains(where: { $0.key == "encap_limit" }) {
            lines.append("      " + omissions.comment(name, "encaplimit \(options.encapLimit)", ip6greEncapLimit))
        }
        for setting in settings {
            switch (setting.key, setting.value) {
            case ("remote", .word(let word)): lines.append("      remote: \(word)")
            case ("local", .word(let word)): lines.append("      local: \(word)")
            case ("ttl", .word(let word)) where word != "inherit": lines.append("      ttl: \(word)")
            case ("key", .word(let word)) where word != "0": keys += ["input: \(word)", "output: \(word)"]
            case ("ikey", .word(let word)) where word != "0": keys.append("input: \(word)")
            case ("okey", .word(let word)) where word != "0": keys.append("output: \(word)")
            case ("key", _), ("ikey", _), ("okey", _): lines.append(cannot(setting, "netplan's networkd files read a key of 0 as no key"))
            case ("encap_limit", _): lines.append(cannot(setting, ip6greEncapLimit))
            default: lines.append(cannot(setting))
            }
        }
        if !keys.isEmpty { lines.append("      keys: {\(keys.joined(separator: ", "))}") }
        if let mtu = tunnel.link.mtu { lines.append("      mtu: \(mtu)") }
        if !tunnel.addresses.isEmpty {
            lines.append("      addresses:")
            for address in tunnel.addresses {
                lines.append("        - \(address.primary!)/\(address.prefixLength)")
                if address.peer != nil || address.broadcast != nil || address.metric != nil || address.label != nil && address.label != tunnel.link.name {
                    lines.append("        " + omissions.comment(name, "netplan keeps only the address of", words: address.words(devices, ownership: false)))
                }
            }
        }
        var routes: [String] = []
        for route in tunnel.routes {
            guard route.nexthops.isEmpty, route.nexthopID == nil, route.source == nil, route.tos == 0 else {
                routes.append("        " + omissions.comment(name, "netplan has no multipath, nexthop or source routes", words: route.words(devices, ownership: false)))
                continue
            }
            // The prefix, never "default": netplan 0.106 aborts on a default route without a via (it cannot tell its family).
            routes.append("        - to: \(route.destination)")
            if let gateway = route.gateway { routes.append("          via: \(gateway)") }
            if route.flags.contains(.onlink) { routes.append("          on-link: true") }
            if let metric = route.priority, metric != (route.family == .inet6 ? Route.ipv6DefaultMetric : 0) { routes.append("          metric: \(metric)") }
            if route.table != .main { routes.append("          table: \(route.table.rawValue)") }
            if route.type != .unicast { routes.append("          type: \(route.type.name)") }
            if route.scope == .link, route.gateway == nil { routes.append("          scope: link") }
            if let source = route.preferredSource { routes.append("          from: \(source)") }
        }
        for nexthop in tunnel.nexthops {
            routes.append("        " + omissions.comment(name, "netplan has no nexthop objects", words: nexthop.words(devices, ownership: false)))
        }
        for route in tunnel.otherRoutes {
            routes.append("        " + omissions.comment(name, "this route goes through another device and belongs to it", words: route.words(devices, ownership: false)))
        }
        lines += list("routes", routes)
        var rules: [String] = []
        for rule in tunnel.rules {
            guard rule.action == .toTable, rule.inputInterface == nil, rule.outputInterface == nil, !rule.flags.contains(.invert) else {
                rules.append("        " + omissions.comment(name, "netplan cannot say this rule", words: rule.words(ownership: false)))
                continue
            }
            rules.append("        - table: \(rule.table.rawValue)")
            if let source = rule.source { rules.append("          from: \(source)") }
            if let destination = rule.destination { rules.append("          to: \(destination)") }
            if let priority = rule.priority { rules.append("          priority: \(priority)") }
            if let fwmark = rule.fwmark { rules.append("          mark: \(fwmark)") }
            if rule.tos != 0 { rules.append("          type-of-service: \(rule.tos)") }
        }
        return lines + list("routing-policy", rules)
    }

    /// A list under KEY; comments alone stand without it (a key with no item is null,
    /// and netplan refuses the file: "expected sequence").
    private static func list(_ key: String, _ entries: [String]) -> [String] {
        entries.contains { !$0.hasPrefix("        #") } ? ["      \(key):"] + entries : entries
    }
}
