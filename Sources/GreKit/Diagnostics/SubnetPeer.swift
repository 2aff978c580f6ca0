import Netlink

extension Address {
    /// The primary address with its prefix length (10.1.0.1/30).
    var primaryPrefix: IPPrefix? { primary.map { IPPrefix(address: $0, length: prefixLength) } }

    /// The other end of a point-to-point subnet: the `peer` address, or the other host of
    /// a /31 or /30 (IPv6: /127). Nil when the subnet has room for more hosts.
    var subnetPeer: IPAddress? {
        if let peer { return peer }
        switch primary {
        case .v4(let address)?:
            if prefixLength == 31 { return .v4(IPv4Address(address.value ^ 1)) }
            guard prefixLength == 30 else { return nil }
            let network = address.value & ~3
            switch address.value & 3 {
            case 1: return .v4(IPv4Address(network + 2))
            case 2: return .v4(IPv4Address(network + 1))
            default: return nil
            }
        case .v6(let address)?:
            guard prefixLength == 127 else { return nil }
            return .v6(IPv6Address(high: address.high, low: address.low ^ 1))
        case nil:
            return nil
        }
    }
}
