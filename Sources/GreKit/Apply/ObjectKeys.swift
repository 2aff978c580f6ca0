import Netlink

/// What makes an address the one it is on its device: its address, prefix length
/// and peer.
public struct AddressKey: Hashable, Sendable {
    public let interface: Int32
    public let local: IPAddress?
    public let prefixLength: UInt8
    public let peer: IPAddress?

    public init(_ address: Address) {
        interface = address.interface
        local = address.primary
        prefixLength = address.prefixLength
        peer = address.peer
    }
}
