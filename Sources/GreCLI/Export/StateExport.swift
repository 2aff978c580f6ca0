import GreKit

/// `state export`: the live state of tunnels as files: an apply file (batch words or
/// JSON), or the files of systemd-networkd, ifupdown and netplan. A tunnel's every
/// setting is carried; where a format has no word for one, the file says so in a
/// comment and, where the format can run commands (ifupdown), sets it with ip.
enum StateExport {
    enum Format: String, CaseIterable {
        case batch, json, networkd, ifupdown, netplan
    }

    struct File {
        let name: String
        let write: (OutputBuffer) -> Void

        init(name: String, text: String) {
            self.name = name
            write = { $0.write(text) }
        }

        init(name: String, write: @escaping (OutputBuffer) -> Void) {
            self.name = name
            self.write = write
        }
    }

    /// One tunnel and what belongs to it, from a selected state.
    struct Tunnel {
        let link: LinkState
        let options: GreOptions
        let addresses: [Address]
        /// Routes through the tunnel (a device, a leg, a nexthop object on it).
        let routes: [Route]
        /// Routes the tunnel needs that go elsewhere (its remote's host route).
        let otherRoutes: [Route]
        let nexthops: [NexthopObject]
        let rules: [Rule]
    }

    static func tunnels(_ state: NetworkState, devices: any InterfaceResolver) -> [Tunnel] {
        let gre = state.links.compactMap { link in (link.options as? GreOptions).map { (link, $0) } }
        var ruleOwner: [Int: String] = [:]
        for (index, rule) in state.rules.enumerated() {
            let owner = gre.first { link, _ in
                rule.inputInterface == link.name || rule.outputInterface == link.name
                    || state.routes.contains { $0.table == rule.table && uses($0, link.name, state, devices) }
            }
            ruleOwner[index] = owner?.0.name ?? gre.first?.0.name
        }
        return gre.map { link, options in
            let index = try? devices.index(of: link.name)
            let nexthopIDs = Set(state.nexthops.filter { $0.outputInterface == index }.map(\.id))
            let groups = state.nexthops.filter { !$0.group.isEmpty && $0.group.contains { nexthopIDs.contains($0.id) } }
            return Tunnel(
                link: link, options: options,
                addresses: state.addresses.filter { $0.interface == index },
                routes: state.routes.filter { uses($0, link.name, state, devices) },
                otherRoutes: state.routes.filter { route in
                    !gre.contains { uses(route, $0.0.name, state, devices) }
                        && options.remote.map { route.destination.length > 0 && route.destination.contains($0) } == true
                },
                nexthops: state.nexthops.filter { nexthopIDs.contains($0.id) } + groups,
                rules: state.rules.indices.filter { ruleOwner[$0] == link.name }.map { state.rules[$0] })
        }
    }

    /// Whether a route sends through the named link (itself, a leg, or its nexthop object).
    private static func uses(_ route: Route, _ name: String, _ state: NetworkState, _ devices: any InterfaceResolver) -> Bool {
        guard let index = try? devices.index(of: name) else { return false }
        if route.uses(interface: index) { return true }
        guard let id = route.nexthopID, let nexthop = state.nexthops.first(where: { $0.id == id }) else { return false }
        let members = nexthop.group.isEmpty ? [nexthop] : state.nexthops.filter { member in nexthop.group.contains { $0.id == member.id } }
        return members.contains { $0.outputInterface == index }
    }

    /// A route's or rule's words as a comment, for what a format cannot hold.
    static func comment(_ reason: String, _ words: [String]) -> String {
        "# \(reason): gretool \(words.map(PlanView.quoted).joined(separator: " "))"
    }

    /// A prefix length as a dotted netmask (ifupdown's netmask).
    static func netmask(_ length: UInt8) -> String {
        let bits: UInt32 = length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
        return IPv4Address(bits).description
    }
}
