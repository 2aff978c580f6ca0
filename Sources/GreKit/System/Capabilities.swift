import SystemPackage

/// A capability of a process (capabilities(7)): one of the parts root's privilege is
/// split into. A service started with only those it needs (systemd's
/// CapabilityBoundingSet, `setpriv`, `capsh`) holds them without being root.
public struct Capability: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// Its number (CAP_* in linux/capability.h): its bit in a capability set.
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// CAP_NET_ADMIN: changing links, addresses, routes, rules and nexthops.
    public static var netAdmin: Capability { Capability(rawValue: 12) }
    /// CAP_NET_RAW: raw sockets (keepalives, ICMP echo) and SO_MARK.
    public static var netRaw: Capability { Capability(rawValue: 13) }

    /// The name capabilities(7) gives it.
    public var description: String {
        switch self {
        case .netAdmin: "CAP_NET_ADMIN"
        case .netRaw: "CAP_NET_RAW"
        default: "capability \(rawValue)"
        }
    }

    /// The capabilities this process may use now: its effective set, as the kernel
    /// shows it in /proc/self/status ("CapEff:", 64 bits in hexadecimal).
    public static func effective() throws(SystemError) -> Set<Capability> {
        let status = try Files.read("/proc/self/status", limit: 16384)
        guard let line = status.split(separator: UInt8(ascii: "\n")).first(where: { $0.starts(with: Array("CapEff:".utf8)) }),
              let bits = UInt64(String(decoding: line.dropFirst(7), as: UTF8.self).filter { !$0.isWhitespace }, radix: 16)
        else { throw SystemError("cannot read this process's capabilities in /proc/self/status", errno: .noData) }
        return Set((0..<64).filter { bits & (1 << UInt64($0)) != 0 }.map(Capability.init(rawValue:)))
    }
}
