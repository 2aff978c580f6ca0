import Netlink

/// How a description writes the numbers the kernel sends that iproute2 has names for:
/// by name ("table main proto kernel scope link"), or, as `ip -N` (`-Numeric`) does, as
/// numbers ("table 254 proto 2 scope 253"), each written as iproute2's function for it
/// writes it then (a DS field "0x28", a hardware type "[1]", an IP protocol "ipproto-6").
public struct Naming: Sendable, Equatable {
    /// Numbers instead of names.
    public var numeric: Bool

    public init(numeric: Bool = false) {
        self.numeric = numeric
    }

    /// Names, as iproute2 prints them without -N.
    public static let names = Naming()

    /// rtnl_rttable_n2a.
    public func table(_ table: RouteTable) -> String {
        numeric ? String(table.rawValue) : table.name
    }

    /// rtnl_rtprot_n2a: who installed a route, rule or nexthop.
    public func routeProtocol(_ value: RouteProtocol) -> String {
        numeric ? String(value.rawValue) : value.name
    }

    /// rtnl_rtscope_n2a: a route's, an address's or a nexthop's scope.
    public func scope(_ scope: RouteScope) -> String {
        numeric ? String(scope.rawValue) : scope.name
    }

    /// rtnl_rtntype_n2a: a route's type, and a rule's action of the same number.
    public func routeType(_ type: RouteType) -> String {
        numeric ? String(type.rawValue) : type.name
    }

    /// rtnl_dsfield_n2a: the name rt_dsfield gives the byte, else "0x" and two
    /// hexadecimal digits, which is what -N always writes.
    public func dsfield(_ value: UInt8) -> String {
        numeric ? hexadecimal(value, digits: 2) : RouteNames.dsfield(value)
    }

    /// rtnl_rtrealm_n2a.
    public func realm(_ id: UInt32) -> String {
        numeric ? String(id) : RouteNames.realm(id)
    }

    /// rtnl_group_n2a: a link group by its name in /etc/iproute2/group ("default" is
    /// group 0), else its number.
    public func linkGroup(_ group: some BinaryInteger) -> String {
        guard !numeric, let id = UInt32(exactly: group) else { return String(group) }
        return RouteNames.linkGroups.name(of: LinkGroup(rawValue: id))
    }

    /// ll_type_n2a: "ether", or "[1]" with -N, as for a type iproute2 has no name for.
    public func hardwareType(_ type: HardwareType) -> String {
        numeric ? "[\(type.rawValue)]" : type.name
    }

    /// inet_proto_n2a: the name /etc/protocols gives the number, else (and with -N
    /// always) "ipproto-" and the number.
    public func ipProtocol(_ value: IPProtocol) -> String {
        let name = numeric ? nil : value.protocolsDatabaseName
        return name ?? "ipproto-\(value.rawValue)"
    }

    /// ll_proto_n2a: an Ethernet protocol ("802.1Q"), or "[33024]" with -N.
    func ethernetProtocol(_ value: UInt16) -> String {
        numeric ? "[\(value)]" : EthernetProtocol.name(of: value)
    }
}
