import CMnl
import Netlink

/// An interface address as RTM_NEWADDR reports it: only what diagnostics needs (is the
/// tunnel's local address here, which addresses does a tunnel have, who is its peer).
/// Kept apart so the Address model can replace it.
struct InterfaceAddress: Sendable, Equatable {
    var interfaceIndex: Int32
    /// This host's address (IFA_LOCAL; IFA_ADDRESS where there is no IFA_LOCAL, as for IPv6).
    var local: IPAddress
    /// The other end of a point-to-point address (`peer`), when it differs from `local`.
    var peer: IPAddress?
    var prefixLength: UInt8

    init?(_ message: NetlinkMessage) {
        guard message.routeMessageType == .newAddress, let header = message.familyHeader(ifaddrmsg.self) else { return nil }
        interfaceIndex = Int32(bitPattern: header.ifa_index)
        prefixLength = header.ifa_prefixlen
        var address: IPAddress?
        var local: IPAddress?
        for attribute in message.attributes(after: ifaddrmsg.self, AddressAttribute.self) {
            switch attribute.key {
            case .address?: address = attribute.address
            case .local?: local = attribute.address
            default: break
            }
        }
        guard let mine = local ?? address else { return nil }
        self.local = mine
        peer = address.flatMap { $0 == mine ? nil : $0 }
    }

    init(interfaceIndex: Int32, local: IPAddress, peer: IPAddress? = nil, prefixLength: UInt8) {
        self.interfaceIndex = interfaceIndex
        self.local = local
        self.peer = peer
        self.prefixLength = prefixLength
    }

    var prefix: IPPrefix { IPPrefix(address: local, length: prefixLength) }

    /// The other end of a point-to-point subnet: the `peer` address, or the other host of
    /// a /31 or /30 (IPv6: /127). Nil when the subnet has room for more hosts.
    var subnetPeer: IPAddress? {
        if let peer { return peer }
        switch local {
        case .v4(let address):
            if prefixLength == 31 { return .v4(IPv4Address(address.value ^ 1)) }
            guard prefixLength == 30 else { return nil }
            let network = address.value & ~3
            switch address.value & 3 {
            case 1: return .v4(IPv4Address(network + 2))
            case 2: return .v4(IPv4Address(network + 1))
            default: return nil
            }
        case .v6(let address):
            guard prefixLength == 127 else { return nil }
            return .v6(IPv6Address(high: address.high, low: address.low ^ 1))
        }
    }

    /// Every address of one family (or of all) in the current namespace.
    static func list(_ socket: NetlinkSocket, family: AddressFamily = .unspecified) throws -> [InterfaceAddress] {
        try socket.collect(.getAddress, { message in
            var header = ifaddrmsg()
            header.ifa_family = family.rawValue
            _ = try message.header(header, attributes: AddressAttribute.self)
        }) { InterfaceAddress($0) }
    }
}
