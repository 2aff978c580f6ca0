/// The databases routes, rules, addresses and nexthops name their numbers with.
public enum RouteNames {
    public static let directory = "/etc/iproute2"

    /// Routing tables: rt_tables; local, main, default and unspec are always known.
    public static let tables = NameTable<RouteTable>(
        builtIn: [(.local, "local"), (.main, "main"), (.default, "default"), (.unspecified, "unspec")],
        path: directory + "/rt_tables")

    /// Who installed a route: rt_protos, after the names iproute2 builds in.
    public static let protocols = NameTable<RouteProtocol>(
        builtIn: [(.unspecified, "unspec"), (.redirect, "redirect"), (.kernel, "kernel"), (.boot, "boot"),
                  (.static, "static"), (.gated, "gated"), (.routerAdvertisement, "ra"), (.mrt, "mrt"),
                  (.zebra, "zebra"), (.bird, "bird"), (.dnrouted, "dnrouted"), (.xorp, "xorp"),
                  (.netsukuku, "ntk"), (.dhcp, "dhcp"), (.keepalived, "keepalived"), (.babel, "babel"),
                  (.bgp, "bgp"), (.isis, "isis"), (.ospf, "ospf"), (.rip, "rip"), (.eigrp, "eigrp")],
        path: directory + "/rt_protos")

    /// Route and address scopes: rt_scopes.
    public static let scopes = NameTable<RouteScope>(
        builtIn: [(.universe, "global"), (.nowhere, "nowhere"), (.host, "host"), (.link, "link"), (.site, "site")],
        path: directory + "/rt_scopes")

    /// Names of DS field (TOS) values: rt_dsfield ("AF11", "EF").
    public static let dsfields = NameTable<DSField>(builtIn: [], path: directory + "/rt_dsfield")

    /// A TOS byte as iproute2 prints it (rtnl_dsfield_n2a): its name in rt_dsfield, else
    /// "0x" and two hexadecimal digits.
    public static func dsfield(_ value: UInt8) -> String {
        let name = dsfields.name(of: DSField(rawValue: value))
        return name == String(value) ? hexadecimal(value, digits: 2) : name
    }

    /// Route realms: rt_realms.
    public static let realms = NameTable<RouteRealm>(builtIn: [], path: directory + "/rt_realms")

    /// Link groups: group; 0 is "default" (rtnl_group_a2n and rtnl_group_n2a).
    public static let linkGroups = NameTable<LinkGroup>(builtIn: [(LinkGroup(rawValue: 0), "default")], path: directory + "/group")

    /// A realm as iproute2 names it (rtnl_rtrealm_n2a): from rt_realms up to 255; realm 0
    /// is "unknown" unless the file names it (iproute2's table starts so, and the file,
    /// read for the realm printed before it, renames it: Debian's says "cosmos").
    public static func realm(_ id: UInt32) -> String {
        guard let realm = UInt8(exactly: id) else { return String(id) }
        let name = realms.name(of: RouteRealm(rawValue: realm))
        return id == 0 && name == "0" ? "unknown" : name
    }
}

/// A DS field (TOS) byte with a name in rt_dsfield: routes, rules and encapsulations
/// carry one.
public struct DSField: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
}

/// A route realm with a name in rt_realms: a number iproute2 names up to 255. (The
/// kernel's realms, the halves of RTA_FLOW, are 16 bits; the ones past 255 go by
/// their number.)
public struct RouteRealm: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
}

/// A link group with a name in /etc/iproute2/group (IFLA_GROUP; a rule's suppress_ifgroup).
public struct LinkGroup: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
}

extension RouteTable {
    /// The table's name in rt_tables ("main"), or its number.
    public var name: String { RouteNames.tables.name(of: self) }
}

extension RouteProtocol {
    /// The protocol's name in rt_protos ("boot"), or its number.
    public var name: String { RouteNames.protocols.name(of: self) }
}

extension RouteScope {
    /// The scope's name in rt_scopes ("global", "link"), or its number.
    public var name: String { RouteNames.scopes.name(of: self) }
}

extension RouteType {
    /// iproute2's name for the type (rtnl_rtntype_n2a), or its number.
    public var name: String {
        switch self {
        case .unspecified: "none"
        case .unicast: "unicast"
        case .local: "local"
        case .broadcast: "broadcast"
        case .anycast: "anycast"
        case .multicast: "multicast"
        case .blackhole: "blackhole"
        case .unreachable: "unreachable"
        case .prohibit: "prohibit"
        case .throw: "throw"
        case .nat: "nat"
        case .externalResolve: "xresolve"
        default: String(rawValue)
        }
    }
}
