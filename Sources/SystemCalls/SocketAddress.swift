import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// A socket address of any family, as the kernel takes and returns it: a
/// sockaddr_storage and the length of the part in use. Build one from the family's C
/// struct; read one back as that struct once `family` says which.
public struct SocketAddress: Sendable {
    public private(set) var storage = sockaddr_storage()
    /// The bytes of `storage` in use: the size of the family's struct.
    public private(set) var length: socklen_t

    /// Room for any address, for a system call to fill.
    public init() {
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    }

    public init(_ address: sockaddr_in) { self.init(storing: address) }
    public init(_ address: sockaddr_in6) { self.init(storing: address) }
    public init(_ address: sockaddr_nl) { self.init(storing: address) }

    /// A sockaddr_un whose first `length` bytes are in use: a Unix socket's path is
    /// as long as its name, not the struct (`init(unixPath:)`).
    init(_ address: sockaddr_un, length: socklen_t) {
        self.init(storing: address)
        self.length = length
    }

    /// The address a system call wrote into `bytes` (as many as it said it wrote).
    init(_ bytes: UnsafeRawBufferPointer) {
        let count = min(bytes.count, MemoryLayout<sockaddr_storage>.size)
        length = socklen_t(count)
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<count])) }
    }

    private init<Address>(storing address: Address) {
        length = socklen_t(MemoryLayout<Address>.size)
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: Address.self) }
    }

    /// AF_INET, AF_INET6, AF_NETLINK...; AF_UNSPEC when nothing was stored.
    public var family: CInt { CInt(storage.ss_family) }

    public var inet: sockaddr_in? { load(AF_INET) }
    public var inet6: sockaddr_in6? { load(AF_INET6) }
    public var netlink: sockaddr_nl? { load(AF_NETLINK) }

    private func load<Address>(_ expected: CInt) -> Address? {
        guard family == expected, Int(length) >= MemoryLayout<Address>.size else { return nil }
        return withUnsafeBytes(of: storage) { $0.load(as: Address.self) }
    }

    /// Calls `body` with the address as the kernel takes it.
    public func withSockaddr<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var storage = storage
        return try withUnsafeMutablePointer(to: &storage) { (pointer) throws(Failure) -> Result in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Failure) -> Result in
                try body(address, length)
            }
        }
    }

    /// Calls `body` with room for the kernel to write an address into, and its length
    /// (which the kernel updates).
    public mutating func withMutableSockaddr<Result>(
        _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Result
    ) -> Result {
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        var length = length
        defer { self.length = length }
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
    }
}
