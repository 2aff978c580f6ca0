import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

extension OuterPath {
    /// The address this host sends from toward `remote` along this path, as the
    /// kernel's routing picks it (for tunnels with `local any`): the lookup the tunnel
    /// makes, with its mark, device and TOS. A connected UDP socket asks; nothing is sent.
    public func localAddress(toward remote: IPAddress) throws(SystemError) -> IPAddress {
        let socket = try Socket(domain: remote.family.socketDomain, type: SOCK_DGRAM, "cannot open a socket")
        if mark != 0 { try socket.set(.mark, to: mark) }
        if interface != 0 { try socket.set(.bindToInterface, to: interface) }
        if tos != 0, remote.family == .inet { try socket.set(.typeOfService, to: CInt(tos)) }
        // Any port: connecting a datagram socket only looks the route up.
        try socket.connect(to: SocketAddress(remote, port: 9), "no route to \(remote)")
        let local = try socket.localAddress("no local address toward \(remote)")
        guard let address = local.ipAddress else {
            throw SystemError("no local address toward \(remote)", errno: .addressFamilyNotSupported)
        }
        return address
    }
}
