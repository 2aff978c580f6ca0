import CMnl
import Netlink

/// The addresses of the current network namespace, through one netlink socket.
/// Changes go through `changes`: the socket itself unless a batch pipelines them.
public struct AddressService {
    public let socket: NetlinkSocket
    public let changes: any ChangeSink

    public init(socket: NetlinkSocket, changes: (any ChangeSink)? = nil) {
        self.socket = socket
        self.changes = changes ?? socket
    }

    /// Every address of the family (all when unspecified), of one interface or all of them.
    public func list(family: AddressFamily = .unspecified, interface: Int32? = nil) throws -> [Address] {
        try socket.collect(.getAddress, { message in
            var header = ifaddrmsg()
            header.ifa_family = family.rawValue
            // With strict checking the kernel filters by index itself.
            header.ifa_index = UInt32(bitPattern: interface ?? 0)
            _ = try message.header(header, attributes: AddressAttribute.self)
        }) { Address($0) }
    }

    /// Sends the address as the verb asks (add, change, replace, delete).
    public func apply(_ address: Address, _ change: AddressChange) throws {
        try changes.send(change.request(for: address)) { try address.encode($0) }
    }

    /// Deletes the addresses `matches` selects, listing again until none is left (a
    /// deleted primary can promote a secondary), in at most `rounds` rounds of deletes
    /// (nil: no limit, iproute2's -loops 0). Returns how many were deleted; throws
    /// `FlushIncomplete` when the last round allowed deleted some, as iproute2 fails
    /// then (it has not listed again to see none left).
    @discardableResult
    public func flush(
        family: AddressFamily, interface: Int32?, rounds: Int? = 10, matching matches: (Address) -> Bool
    ) throws -> Int {
        var deleted = 0
        var round = 0
        while true {
            let doomed = try list(family: family, interface: interface).filter(matches)
            if doomed.isEmpty { return deleted }
            for address in doomed {
                do {
                    try socket.perform(.deleteAddress) { try address.encode($0) }
                    deleted += 1
                } catch let error as NetlinkError where error.errno == .addressNotAvailable {
                    // Gone with the primary it depended on.
                }
            }
            round += 1
            if let rounds, round == rounds { throw FlushIncomplete(rounds: rounds) }
        }
    }
}

/// A flush that deleted in each of the rounds it was given, so it never saw none left.
public struct FlushIncomplete: Error, CustomStringConvertible, Sendable {
    public let rounds: Int
    public var description: String { "flush remains incomplete after \(rounds) rounds" }
}
