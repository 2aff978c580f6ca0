import Netlink

/// The rules for GRE tunnels that others learned the hard way, checked over a whole
/// file before anything is sent.
enum TunnelRules {
    static func check(_ links: [LinkState], places: [String: String], devices: any InterfaceResolver) throws(DeclarationError) -> [ApplyWarning] {
        var warnings: [ApplyWarning] = []
        var endpoints: [EndpointKey: String] = [:]
        for link in links {
            guard let options = link.options as? GreOptions, !options.external else { continue }
            let place = places[link.name] ?? link.name
            func refuse(_ message: String) -> DeclarationError { DeclarationError(place, "\(link.name): \(message)") }
            if !options.isIPv6 {
                // The kernel documents a fixed TTL as always doing path MTU discovery;
                // NetworkManager refuses the pair too.
                if options.ttl != 0, !options.pathMTUDiscovery {
                    throw refuse("ttl \(options.ttl) with nopmtudisc: a fixed TTL needs path MTU discovery")
                }
                if options.ignoreDF == true, options.pathMTUDiscovery {
                    throw refuse("ignore-df with pmtudisc: the kernel refuses to ignore DF while path MTU discovery is on")
                }
            }
            let keyed = options.inputFlags.contains(.key) || options.outputFlags.contains(.key)
            if options.remote == nil, !keyed {
                throw refuse("a tunnel without a remote needs a key, or it takes every GRE packet that reaches its local address")
            }
            let key = EndpointKey(kind: options.kind, local: options.local, remote: options.remote,
                                  inputKey: options.inputFlags.contains(.key) ? options.inputKey.value : nil)
            if let other = endpoints[key] {
                let keying = key.inputKey.map { "the same key \($0)" } ?? "no key"
                throw refuse("\(other) has the same local and remote addresses and \(keying): the kernel cannot tell their packets apart")
            }
            endpoints[key] = link.name
            if options.ttl == 0 {
                warnings.append(ApplyWarning(object: link.name, message:
                    "ttl inherit: packets leave with the inner packet's TTL (1 for OSPF hellos and eBGP), so routing protocols over the tunnel fail; give ttl 64"))
            }
        }
        return warnings
    }

    /// What the kernel looks a received packet's tunnel up by.
    struct EndpointKey: Hashable {
        let kind: String
        let local: IPAddress?
        let remote: IPAddress?
        let inputKey: UInt32?
    }
}
