import Netlink

/// A change that puts right what a check found. The check says what to change, as a
/// value; the command line decides how to say it (`gretool link set gre1 mtu 1476`,
/// `sysctl -w ...`), so that the domain holds no command lines of its own.
public enum Fix: Sendable, Hashable {
    /// Set a link's MTU.
    case setMTU(link: String, mtu: Int)
    /// Set a link up.
    case setUp(link: String)
    /// Add a host route, or replace the one in the way.
    case hostRoute(HostRouteFix)
    /// Add an address (with its prefix length) to a device.
    case addAddress(FixValue<IPPrefix>, device: String)
    /// Write a kernel setting under /proc/sys, named by its path components
    /// (["net", "ipv4", "conf", "gre1", "rp_filter"]).
    case setSystemControl([String], value: Int)
    /// Change a tunnel's remote address.
    case changeRemote(tunnel: String, remote: FixValue<IPAddress>)
    /// Add an IPsec policy.
    case addIPsecPolicy(IPsecPolicy)
    /// Delete an IPsec policy (its selector, direction and mark name it).
    case deleteIPsecPolicy(IPsecPolicy)
    /// Add the SA a policy's template asks for, from `source` to `destination`. Its SPI
    /// and key are for the two ends to agree on: the command line leaves them to fill in.
    case addSecurityAssociation(IPsecTemplate, source: IPAddress, destination: IPAddress)
    /// Have the IKE daemon negotiate GRE between the tunnel's endpoints, in transport mode,
    /// in place of whatever it selects now.
    case ikeSelectsGRE
    /// Give a tunnel an outer TTL (IPv6: hop limit) of its own instead of copying each
    /// packet's; with `pathMTUDiscovery`, turn that on too (an IPv4 tunnel with a fixed
    /// TTL must set DF: iproute2 refuses one without).
    case setTunnelTTL(tunnel: String, ttl: UInt8, pathMTUDiscovery: Bool)
    /// Have a tunnel send and expect GRE checksums (`csum`), or neither.
    case setTunnelChecksums(tunnel: String, on: Bool)
    /// Have a tunnel send and expect GRE sequence numbers (`seq`), or neither.
    case setTunnelSequenceNumbers(tunnel: String, on: Bool)
    /// Give a tunnel a GRE key both ways (its peer needs the same).
    case setTunnelKey(tunnel: String, key: FixValue<GreKey>)
    /// Stop an ip6gre tunnel adding the encapsulation limit option.
    case noEncapsulationLimit(tunnel: String)
    /// Rewrite the MSS of TCP connections forwarded into a link, so that their segments fit.
    case clampTCPMSS(link: String, mss: Int)
}

/// A value a fix needs. When the check cannot know it (no route tells the gateway, the
/// tunnel has no address yet), it is `.unknown`, for the user to fill in: the command
/// line shows a placeholder word such as GATEWAY in its place.
public enum FixValue<Value: Sendable & Hashable>: Sendable, Hashable {
    case known(Value)
    case unknown
}

/// A host route that sends a tunnel's remote around the tunnels: the fix for
/// recursive routing.
public struct HostRouteFix: Sendable, Hashable {
    /// The remote: the route is for it alone (/32 or /128).
    public var destination: IPAddress
    /// Nil when the remote is on the device's own link.
    public var gateway: FixValue<IPAddress>?
    public var device: FixValue<String>
    public var table: RouteTable
    /// Whether a host route to the remote exists (through a tunnel) and must be replaced
    /// rather than added to.
    public var replacing: Bool

    public init(destination: IPAddress, gateway: FixValue<IPAddress>?, device: FixValue<String>,
                table: RouteTable = .main, replacing: Bool = false) {
        self.destination = destination
        self.gateway = gateway
        self.device = device
        self.table = table
        self.replacing = replacing
    }

    /// The route's destination prefix: the remote with its full length.
    public var prefix: IPPrefix { IPPrefix(host: destination) }
}

extension IPPrefix {
    /// The prefix of one address: /32 for IPv4, /128 for IPv6.
    init(host address: IPAddress) {
        self.init(address: address, length: UInt8(address.family.bitWidth))
    }
}
