#if canImport(Glibc)
import Glibc
#endif

extension AddressFamily {
    var socketDomain: Int32 { self == .inet6 ? AF_INET6 : AF_INET }
}

extension IPAddress {
    /// Calls `body` with this address as a sockaddr_in or sockaddr_in6.
    func withSocketAddress<Result>(port: UInt16 = 0, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result) rethrows -> Result {
        switch self {
        case .v4(let address):
            var name = sockaddr_in()
            name.sin_family = sa_family_t(AF_INET)
            name.sin_port = port.bigEndian
            name.sin_addr = in_addr(s_addr: address.value.bigEndian)
            return try withUnsafePointer(to: &name) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6:
            var name = sockaddr_in6()
            name.sin6_family = sa_family_t(AF_INET6)
            name.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &name.sin6_addr) { storage in
                withNetlinkPayload { storage.copyMemory(from: $0) }
            }
            return try withUnsafePointer(to: &name) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// The address in a sockaddr_in or sockaddr_in6.
    init?(socketAddress name: sockaddr_storage) {
        var name = name
        switch Int32(name.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &name) { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
            self = .v4(IPv4Address(UInt32(bigEndian: address)))
        case AF_INET6:
            guard let address = withUnsafeBytes(of: &name, { IPAddress(bytes: UnsafeRawBufferPointer(rebasing: $0[8..<24])) }) else { return nil }
            self = address
        default:
            return nil
        }
    }
}
