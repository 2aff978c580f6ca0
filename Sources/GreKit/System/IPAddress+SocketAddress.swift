import CMnl
#if canImport(Glibc)
import Glibc
#endif

extension AddressFamily {
    /// AF_INET or AF_INET6, for socket(2).
    var socketDomain: Int32 { self == .inet6 ? AF_INET6 : AF_INET }
}

extension SocketAddress {
    /// An IP address and port as a sockaddr_in or sockaddr_in6.
    init(_ address: IPAddress, port: UInt16 = 0) {
        switch address {
        case .v4(let address):
            var name = sockaddr_in()
            name.sin_family = sa_family_t(AF_INET)
            name.sin_port = port.bigEndian
            name.sin_addr = in_addr(s_addr: address.value.bigEndian)
            self.init(name)
        case .v6:
            var name = sockaddr_in6()
            name.sin6_family = sa_family_t(AF_INET6)
            name.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &name.sin6_addr) { storage in
                address.withNetlinkPayload { storage.copyMemory(from: $0) }
            }
            self.init(name)
        }
    }

    /// The IP address of a sockaddr_in or sockaddr_in6; nil for other families.
    var ipAddress: IPAddress? {
        if let name = inet { return .v4(IPv4Address(UInt32(bigEndian: name.sin_addr.s_addr))) }
        if let name = inet6 { return withUnsafeBytes(of: name.sin6_addr) { IPAddress(bytes: $0) } }
        return nil
    }

    /// The port of a sockaddr_in or sockaddr_in6; nil for other families.
    var port: UInt16? {
        if let name = inet { return UInt16(bigEndian: name.sin_port) }
        if let name = inet6 { return UInt16(bigEndian: name.sin6_port) }
        return nil
    }
}

extension ControlMessages {
    /// IP_PKTINFO or IPV6_PKTINFO: send from `source`, out of the interface of that
    /// index (0: the one the route picks).
    mutating func appendPacketInformation(source: IPAddress, interface: Int32 = 0) {
        switch source {
        case .v4(let address):
            append(level: CInt(IPPROTO_IP), type: IP_PKTINFO,
                   in_pktinfo(ipi_ifindex: interface, ipi_spec_dst: in_addr(s_addr: address.value.bigEndian), ipi_addr: in_addr()))
        case .v6:
            var information = in6_pktinfo()
            information.ipi6_ifindex = UInt32(bitPattern: interface)
            withUnsafeMutableBytes(of: &information.ipi6_addr) { storage in
                source.withNetlinkPayload { storage.copyMemory(from: $0) }
            }
            append(level: CInt(IPPROTO_IPV6), type: IPV6_PKTINFO, information)
        }
    }
}
