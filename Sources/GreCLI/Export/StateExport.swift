import GreKit
import Glibc

/// `state export`: the live state of tunnels as files: an apply file (batch words or
/// JSON), or the files of systemd-networkd, ifupdown and netplan. A tunnel's every
/// setting is carried; where a format has no word for one, the file says so in a
/// comment and the command in a warning (`Omissions`) and, where the format can run
/// commands (ifupdown), sets it with ip.
enum StateExport {
    enum Format: String, CaseIterable {
        case batch, json, networkd, ifupdown, netplan
    }

    struct File {
        let name: String
        /// The permissions it is written with (-o): netplan warns about a file others can read.
        let mode: mode_t
        let write: (OutputBuffer) -> Void

        init(name: String, mode: mode_t = 0o644, text: String) {
            self.name = name
            self.mode = mode
            write = { $0.write(text) }
        }

        init(name: String, write: @escaping (OutputBuffer) -> Void) {
            self.name = name
            mode = 0o644
            self.write = write
        }
    }

    /// What the files of one export cannot carry, noted as they are written: each is a
    /// comment in the file and a warning the command prints, made from the same words,
    /// so that a script that only reads standard error learns of it too.
    final class Omissions {
        private(set) var warnings: [String] = []

        /// `# SUBJECT: REASON` for the file, noted as TUNNEL's warning.
        func comment(_ tunnel: String, _ subject: String, _ reason: String) -> String {
            warnings.append("\(tunnel): \(subject): \(reason)")
            return "# \(subject): \(reason)"
        }

        /// A route's or rule's words, which the format cannot hold, as a comment.
        func comment(_ tunnel: String, _ reason: String, words: [String]) -> String {
            comment(tunnel, reason, "gretool " + words.map(PlanView.quoted).joined(separator: " "))
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
        // A route or nexthop group over several tunnels belongs to the one whose name sorts
        // last: ifupdown brings up `source DIR/*` stanzas in name order, and each stanza's
        // lines need every device they name to be there already.
        let names = gre.map(\.0.name)
        func member(_ nexthop: NexthopObject, on name: String) -> Bool {
            guard let index = try? devices.index(of: name) else { return false }
            return state.nexthops.contains { member in nexthop.group.contains { $0.id == member.id } && member.outputInterface == index }
        }
        return gre.map { link, options in
            let index = try? devices.index(of: link.name)
            let nexthopIDs = Set(state.nexthops.filter { $0.outputInterface == index }.map(\.id))
            let groups = state.nexthops.filter { group in
                !group.group.isEmpty && names.filter { member(group, on: $0) }.max() == link.name
            }
            return Tunnel(
                link: link, options: options,
                addresses: state.addresses.filter { $0.interface == index },
                routes: state.routes.filter { route in names.filter { uses(route, $0, state, devices) }.max() == link.name },
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

    /// A prefix length as a dotted netmask (ifupdown's netmask).
    static func netmask(_ length: UInt8) -> String {
        let bits: UInt32 = length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
        return IPv4Address(bits).description
    }
}
