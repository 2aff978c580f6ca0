import GreKit

/// ifupdown (Debian's /etc/network/interfaces.d/NAME): a `tunnel` stanza with the
/// options its method has (mode, endpoint, local, ttl, address, netmask, pointopoint,
/// mtu). What it has none for is set by `post-up ip link set NAME type KIND ...`, which
/// changes only what it names; routes and rules follow with `up` lines. gretap tunnels,
/// which `ip tunnel` (the method's tool) cannot make, are `manual` stanzas.
enum IfupdownExport {
    static func files(_ tunnels: [StateExport.Tunnel], devices: any InterfaceResolver) -> [StateExport.File] {
        tunnels.map { StateExport.File(name: $0.link.name, text: stanza($0, devices)) }
    }

    /// The tunnel method's option for each setting.
    private static func option(_ setting: KindSetting) -> String? {
        guard case .word(let word) = setting.value else { return nil }
        switch setting.key {
        case "remote": return "endpoint \(word)"
        case "local": return "local \(word)"
        case "ttl": return "ttl \(word)"
        default: return nil
        }
    }

    private static func stanza(_ tunnel: StateExport.Tunnel, _ devices: any InterfaceResolver) -> String {
        let name = tunnel.link.name
        let options = tunnel.options
        let primary = tunnel.addresses.first { $0.family == .inet } ?? tunnel.addresses.first
        let family = primary?.family == .inet6 ? "inet6" : "inet"
        // The method needs an address and a remote; a tap is not an `ip tunnel` mode.
        let method = !options.isEthernet && primary != nil && options.remote != nil && !options.external
        var lines = ["# made by gretool state export", "auto \(name)"]
        var rest: [String] = []
        let settings = options.settings(devices)
        if method, let primary {
            lines.append("iface \(name) \(family) tunnel")
            lines.append("    mode \(options.kind)")
            var unsupported: [KindSetting] = []
            for setting in settings {
                if let line = option(setting) { lines.append("    " + line) } else { unsupported.append(setting) }
            }
            lines.append("    address \(primary.primary!)")
            if primary.family == .inet {
                lines.append("    netmask \(StateExport.netmask(primary.prefixLength))")
            } else {
                lines.append("    netmask \(primary.prefixLength)")
            }
            if let peer = primary.peer { lines.append("    dstaddr \(peer)") }
            if let mtu = tunnel.link.mtu { lines.append("    mtu \(mtu)") }
            if !unsupported.isEmpty {
                let words = LinkState.words(of: unsupported, kind: options.kind)
                lines.append("    # the tunnel method has no option for \(unsupported.map(\.key).joined(separator: ", ")): ip sets them")
                // A changed header makes the kernel derive the MTU again, unless the same
                // message sets one: the declared MTU goes with the options.
                let mtu = tunnel.link.mtu.map { "mtu \($0) " } ?? ""
                lines.append("    post-up ip link set \(name) \(mtu)type \(options.kind) " + words.map(PlanView.quoted).joined(separator: " "))
            }
            rest = tunnel.addresses.filter { $0 != primary }.map { "    up ip " + words($0.words(devices, ownership: false)) }
        } else {
            lines.append("iface \(name) \(family) manual")
            var link = tunnel.link
            link.up = nil
            lines.append("    pre-up ip " + words(link.words(devices)))
            lines.append("    up ip link set \(name) up")
            lines.append("    post-down ip link delete \(name)")
            rest = tunnel.addresses.map { "    up ip " + words($0.words(devices, ownership: false)) }
        }
        lines += rest
        for nexthop in tunnel.nexthops { lines.append("    up ip " + words(nexthop.words(devices, ownership: false))) }
        for (route, appended) in zip(tunnel.routes, RouteKey.repeats(tunnel.routes.map(RouteKey.init))) {
            let added = route.words(devices, ownership: false)
            lines.append("    up ip " + words(appended ? ["route", "append"] + added.dropFirst(2) : added))
        }
        for route in tunnel.otherRoutes {
            // It outlives the tunnel's device: taken away when the tunnel goes down, or the
            // next ifup finds it there and fails.
            let added = route.words(devices, ownership: false)
            lines.append("    # the route to the remote goes through another device; it belongs in that device's stanza:")
            lines.append("    up ip " + words(added))
            lines.append("    down ip " + words(["route", "del"] + added.dropFirst(2)))
        }
        for rule in tunnel.rules {
            let added = rule.words(ownership: false)
            lines.append("    up ip " + words(added))
            lines.append("    down ip " + words(["rule", "del"] + added.dropFirst(2)))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// gretool's words are iproute2's: the same command for ip.
    private static func words(_ words: [String]) -> String {
        words.map(PlanView.quoted).joined(separator: " ")
    }
}
