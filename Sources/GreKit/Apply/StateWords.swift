import Netlink

// Each object written as the words that make it, the inverse of its grammar
// (`RouteRequest`, `AddressRequest`, ...): what a file declares, what `state show`
// prints and what a plan runs. Values the grammar would give anyway are left out.
// With `ownership`, the words carry the object's protocol (or a link's alias): the
// form of a plan's commands. The protocol goes as its number, so that a plan reads
// the same on every machine, whatever names rt_protos gives (make install names 47
// "gretool"; a plan printed where it did not would say otherwise). A unit test parses the words of every object back.

extension LinkState {
    /// `link add NAME [ mtu N ] [ txqueuelen N ] [ up ] [ alias TAG ] type KIND SETTINGS`
    /// for a link the file makes (the generic words first: after `type veth peer`
    /// they would be the peer's), else `link set NAME [ mtu N ] [ txqueuelen N ] [ up | down ]`.
    public func words(_ devices: any InterfaceResolver, alias: String? = nil) -> [String] {
        var words = ["link", options == nil ? "set" : "add"]
        // A link named like a keyword ("type", "mtu") is named by its keyword: bare, the
        // word would be read as the keyword.
        if LinkRequest.grammar.lookup(exact: name) != nil { words.append(options == nil ? "dev" : "name") }
        words.append(name)
        words += attributeWords(created: options != nil)
        if let alias { words += ["alias", alias] }
        if let options {
            words += ["type", options.kind]
            words += Self.words(of: options.settings(devices), kind: options.kind)
        }
        return words
    }

    /// The generic attributes' words; a new link is down unless it says `up`.
    func attributeWords(created: Bool) -> [String] {
        var words: [String] = []
        if let mtu { words += ["mtu", String(mtu)] }
        if let txqlen { words += ["txqueuelen", String(txqlen)] }
        if up == true { words.append("up") } else if up == false, !created { words.append("down") }
        return words
    }

    /// The words that give a kind's settings.
    public static func words(of settings: [KindSetting], kind: String) -> [String] {
        let rows = LinkKinds.module(for: kind)?.settingWords(kind: kind) ?? []
        var words: [String] = []
        for setting in settings {
            guard let row = rows.first(where: { $0.key == setting.key }), let written = row.words(setting.value) else { continue }
            words += written
        }
        return words
    }
}

extension Address {
    /// `address add ADDRESS[/LEN] [ peer PEER/LEN ] dev NAME ...`.
    public func words(_ devices: any InterfaceResolver, ownership: Bool) -> [String] {
        ["address", "add"] + identityWords(devices) + attributeWords(devices, ownership: ownership)
    }

    /// What names the address on its device: `delete` takes these.
    func identityWords(_ devices: any InterfaceResolver) -> [String] {
        var words: [String] = []
        let primary = self.primary ?? .zero(family)
        if let peer {
            words += [primary.description, "peer", IPPrefix(address: peer, length: prefixLength).description]
        } else {
            words.append(IPPrefix(address: primary, length: prefixLength).description)
        }
        return words + ["dev", devices.displayName(of: interface)]
    }

    func attributeWords(_ devices: any InterfaceResolver, ownership: Bool) -> [String] {
        var words: [String] = []
        if let broadcast { words += ["broadcast", broadcast.description] }
        if let anycast { words += ["anycast", anycast.description] }
        if scope != defaultScope { words += ["scope", scope.name] }
        // IPv4 addresses are labelled with their device's name unless given another.
        if let label, label != devices.name(of: interface) { words += ["label", label] }
        if let metric { words += ["metric", String(metric)] }
        for flag in AddressFlags.words where flag.settable && flags.contains(flag.flag) { words.append(flag.name) }
        if ownership, let protocolID { words += ["proto", String(protocolID.rawValue)] }
        return words
    }

    /// The scope `address add` gives when told none: host for IPv4 loopback addresses.
    var defaultScope: RouteScope {
        if case .v4(let v4)? = primary, v4.isLoopback { return .host }
        return .universe
    }
}

extension Route {
    /// `route add [ TYPE ] PREFIX ...`: everything the route's grammar can give.
    public func words(_ devices: any InterfaceResolver, ownership: Bool) -> [String] {
        var words = ["route", "add"] + keyWords(protocol: ownership)
        if scope != defaultScope { words += ["scope", scope.name] }
        if let preferredSource { words += ["src", preferredSource.description] }
        if let nexthopID {
            words += ["nhid", String(nexthopID)]
        } else {
            if let gateway { words += gatewayWords(gateway) }
            if let outputInterface { words += ["dev", devices.displayName(of: outputInterface)] }
            if flags.contains(.onlink) { words.append("onlink") }
        }
        if let preference, !(family == .inet6 && preference == .medium) { words += ["pref", preference.name] }
        words += metrics.words
        if let realms { words += ["realms", RouteRequest.realmsWord(realms)] }
        // The encapsulation's words end where the next keyword is not its own: last
        // before the legs, it ends at "nexthop" (`state show -j` reads it so).
        if let encapsulation { words += encapsulation.words }
        // An expiry and ttl-propagate are not written: the kernel reports neither of an
        // IPv4 or IPv6 route (it keeps ttl-propagate for MPLS only, and an IPv6 route's
        // expiry comes back in its cache information), and apply refuses them.
        if nexthopID == nil {
            for leg in nexthops {
                words.append("nexthop")
                if let gateway = leg.gateway { words += gatewayWords(gateway) }
                if leg.outputInterface != 0 { words += ["dev", devices.displayName(of: leg.outputInterface)] }
                if leg.weight != 1 { words += ["weight", String(leg.weight)] }
                if leg.flags.contains(.onlink) { words.append("onlink") }
                if let realms = leg.realms { words += ["realms", RouteRequest.realmsWord(realms)] }
                if let encapsulation = leg.encapsulation { words += encapsulation.words }
            }
        }
        return words
    }

    /// The words after the verb that name the route's key (type, destination, source,
    /// TOS, table, metric), and its protocol when asked: what `route del` takes to
    /// delete this route and no other.
    public func keyWords(protocol withProtocol: Bool) -> [String] {
        var words: [String] = []
        if type != .unicast { words.append(type.name) }
        // An IPv6 default route says so by its prefix: "default" alone means IPv4.
        words.append(destination.length == 0 && family == .inet ? "default" : destination.description)
        if let source { words += ["from", source.description] }
        if tos != 0 { words += ["tos", hexadecimal(tos)] }
        if table != defaultTable { words += ["table", table.name] }
        if let priority, priority != (family == .inet6 ? Route.ipv6DefaultMetric : 0) { words += ["metric", String(priority)] }
        if withProtocol { words += ["proto", String(protocolID.rawValue)] }
        return words
    }

    /// The table `route add` puts a route of this type in when told none.
    var defaultTable: RouteTable {
        switch type {
        case .local, .broadcast, .nat, .anycast: .local
        default: .main
        }
    }

    /// The scope `route add` gives when told none (iproute2's choice).
    var defaultScope: RouteScope {
        if family == .inet6 { return .universe }
        switch type {
        case .local, .nat: return .host
        case .broadcast, .multicast, .anycast: return .link
        case .unicast, .unspecified:
            return gateway == nil && nexthops.isEmpty && nexthopID == nil ? .link : .universe
        default: return .universe
        }
    }

    /// `via ADDRESS`, or `via inet6 ADDRESS` for a gateway of the other family.
    private func gatewayWords(_ gateway: IPAddress) -> [String] {
        gateway.family == family ? ["via", gateway.description] : ["via", gateway.family.name, gateway.description]
    }

    /// The metrics a route's words set with a number, in the order they are written:
    /// rtt, rttvar and rto_min without a unit, which the grammar takes as the kernel's
    /// own units (rtt in eighths of a millisecond...), so they read back exactly.
    static let metricWords: [(RouteMetric, String)] = [
        (.mtu, "mtu"), (.hoplimit, "hoplimit"), (.advmss, "advmss"), (.reordering, "reordering"), (.window, "window"),
        (.cwnd, "cwnd"), (.initcwnd, "initcwnd"), (.initrwnd, "initrwnd"), (.ssthresh, "ssthresh"),
        (.rtt, "rtt"), (.rttvar, "rttvar"), (.rtoMin, "rto_min"), (.quickack, "quickack"), (.fastopenNoCookie, "fastopen_no_cookie"),
    ]

    /// Every metric's word, the numbers' and features and congctl.
    static let allMetricWords = metricWords.map(\.1) + ["features", "congctl"]
}

extension RouteMetrics {
    /// The words that set these metrics. `lock` goes only where the grammar takes it:
    /// rto_min is locked by its word alone, quickack and fastopen_no_cookie never.
    var words: [String] {
        var words: [String] = []
        for (metric, name) in Route.metricWords {
            guard let value = self[metric] else { continue }
            let lockable = metric != .rtoMin && metric != .quickack && metric != .fastopenNoCookie
            words += lockable && isLocked(metric) ? [name, "lock", String(value)] : [name, String(value)]
        }
        // ECN is the one feature a route's words can ask for.
        if let features = self[.features], features & RouteMetric.ecnFeature != 0 { words += ["features", "ecn"] }
        if let congestionControl {
            words += isLocked(.congestionControl) ? ["congctl", "lock", congestionControl] : ["congctl", congestionControl]
        }
        return words
    }
}

extension RoutePreference {
    /// The word `pref` takes.
    var name: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        default: String(rawValue)
        }
    }
}

extension NexthopObject {
    /// `nexthop add id N ...`.
    public func words(_ devices: any InterfaceResolver, ownership: Bool) -> [String] {
        var words = ["nexthop", "add", "id", String(id)]
        if !group.isEmpty {
            words += ["group", group.map { $0.weight == 1 ? String($0.id) : "\($0.id),\($0.weight)" }.joined(separator: "/")]
            if groupType == .resilient {
                words += ["type", "resilient"]
                if let resilient {
                    if let buckets = resilient.buckets { words += ["buckets", String(buckets)] }
                    // Timers travel in hundredths of a second; the words take seconds.
                    if let idle = resilient.idleTimer { words += ["idle_timer", String(idle / 100)] }
                    if let unbalanced = resilient.unbalancedTimer { words += ["unbalanced_timer", String(unbalanced / 100)] }
                }
            }
        } else if blackhole {
            words.append("blackhole")
        } else {
            if let gateway { words += ["via", gateway.description] }
            if let outputInterface { words += ["dev", devices.displayName(of: outputInterface)] }
            if flags.contains(.onlink) { words.append("onlink") }
        }
        if fdb { words.append("fdb") }
        if ownership { words += ["protocol", String(protocolID.rawValue)] }
        // Last: the encapsulation's words end where its own do (`state show -j` reads them so).
        if let encapsulation { words += encapsulation.words }
        return words
    }
}

extension Rule {
    /// `rule add ...` with the rule's priority when it has one.
    public func words(ownership: Bool) -> [String] {
        var words = ["rule", "add"]
        if flags.contains(.invert) { words.append("not") }
        // A rule says its family by its prefixes: one of IPv6 without any says so with ::/0.
        if let source { words += ["from", source.description] }
        if let destination { words += ["to", destination.description] }
        if source == nil, destination == nil, family == .inet6 { words += ["from", "::/0"] }
        if tos != 0 { words += ["tos", hexadecimal(tos)] }
        if let fwmark {
            let mask = fwmask.flatMap { $0 == .max ? nil : $0 }
            words += ["fwmark", hexadecimal(fwmark) + (mask.map { "/" + hexadecimal($0) } ?? "")]
        }
        if let inputInterface { words += ["iif", inputInterface] }
        if let outputInterface { words += ["oif", outputInterface] }
        if let priority { words += ["pref", String(priority)] }
        if let ipProtocol { words += ["ipproto", ipProtocol.protocolsName] }
        if let sourcePorts { words += ["sport", Self.range(sourcePorts)] }
        if let destinationPorts { words += ["dport", Self.range(destinationPorts)] }
        if let uidRange { words += ["uidrange", "\(uidRange.lowerBound)-\(uidRange.upperBound)"] }
        if let suppressPrefixLength, suppressPrefixLength >= 0 { words += ["suppress_prefixlength", String(suppressPrefixLength)] }
        if let suppressInterfaceGroup, suppressInterfaceGroup >= 0 { words += ["suppress_ifgroup", String(suppressInterfaceGroup)] }
        if let tunnelID { words += ["tun_id", String(tunnelID)] }
        if let realms { words += ["realms", RouteRequest.realmsWord(realms)] }
        // An l3mdev rule looks up the table of its device: no table is written beside it,
        // but another action is.
        if l3mdev { words.append("l3mdev") }
        switch action {
        case .toTable: if !l3mdev { words += ["lookup", table.name] }
        case .goto: words += ["goto", String(goto ?? 0)]
        case .nop: words.append("nop")
        // The other actions are named as the route types of their numbers. A table
        // beside one is kept: nat keeps main's lookup (the kernel shows "lookup main
        // masquerade"), and a type word alone would leave the rule without it.
        default:
            if table != .unspecified { words += ["lookup", table.name] }
            words += ["type", RouteType(rawValue: action.rawValue).name]
        }
        if ownership, let protocolID { words += ["protocol", String(protocolID.rawValue)] }
        return words
    }

    private static func range<T: BinaryInteger>(_ range: ClosedRange<T>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}

extension KeepaliveStanza {
    /// `keepalive watch TUNNEL WORDS...`.
    public var lineWords: [String] { ["keepalive", "watch", tunnel] + words }
}
