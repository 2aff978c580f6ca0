import GreKit

extension KeepaliveCommands {
    /// Refuses to start, in one line, without a capability the verb will need, each
    /// named with what it is for: a watcher that found out only when its first tunnel
    /// went down could not take that tunnel's routes away. Root has them all; a service
    /// is given only these (the systemd units, `setpriv`).
    static func requireCapabilities(verb: String, _ needs: [(capability: Capability, purpose: String)]) throws {
        let effective = try Capability.effective()
        let missing = needs.map(\.capability).filter { !effective.contains($0) }
        guard !missing.isEmpty else { return }
        let needed = needs.map { "\($0.capability) (\($0.purpose))" }.joined(separator: " and ")
        let lacking = missing.map(\.description).joined(separator: " and ")
        throw CommandFailure(message: "keepalive \(verb) needs \(needed); this process lacks \(lacking)")
    }
}
