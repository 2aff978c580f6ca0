import CMnl
import Netlink

/// VETH_INFO_*: inside IFLA_INFO_DATA of a veth link.
enum VethAttribute: UInt16, NetlinkAttributeType {
    case peer = 1
}

/// veth pairs: `type veth peer name NAME [netns NS] [address LLADDR] [mtu N]`.
public struct VethOptions: LinkKindOptions {
    public static let kinds = ["veth"]
    public static let keywords = ["peer", "name", "netns", "address", "mtu"]
    public static func usage(kind: String) -> String {
        "Usage: ... veth [ peer [ name ] NAME [ netns NETNS ] [ address LLADDR ] [ mtu MTU ] ]"
    }

    public let kind: String
    /// Whether `peer` was given: the words after it describe the peer (as in
    /// iproute2); before it, generic words such as mtu are the link's own.
    public var describesPeer = false
    public var peerName: InterfaceName?
    public var peerNamespace: NamespaceReference?
    public var peerAddress: [UInt8]?
    public var peerMTU: UInt32?

    public init(kind: String) { self.kind = kind }
    // The kernel reports nothing about a veth's peer in IFLA_INFO_DATA.
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) { self.kind = kind }

    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        guard describesPeer else {
            describesPeer = word == "peer"
            return describesPeer
        }
        switch word {
        case "name":
            peerName = try InterfaceName(words.value(for: "name"))
        case "netns":
            peerNamespace = try NamespaceReference(words.value(for: "netns"))
        case "address":
            let text = try words.value(for: "address")
            guard let bytes = LinkLayerAddress.parse(text), bytes.count == 6 else {
                throw InvalidArgument.badValue("address", text, expected: "a MAC address like 02:00:00:00:00:01")
            }
            peerAddress = bytes
        case "mtu":
            peerMTU = try Parse.unsigned(words.value(for: "mtu"), UInt32.self, for: "mtu")
        default:
            // A bare word after `peer` is the peer's name, as in iproute2.
            guard peerName == nil else { return false }
            peerName = try InterfaceName(word)
        }
        return true
    }

    public mutating func finish() throws(InvalidArgument) {}

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        // Without `peer` the kernel names the peer itself (veth0, veth1, ...).
        guard describesPeer else { return }
        try info.nest(.data, VethAttribute.self) { data in
            try data.nest(.peer, LinkAttribute.self, header: ifinfomsg()) { peer in
                if let peerName { try peer.put(.ifname, peerName.value) }
                if let peerNamespace { try peer.put(.netnsFD, UInt32(bitPattern: peerNamespace.descriptor)) }
                if let peerAddress { try peer.put(.address, peerAddress) }
                if let peerMTU { try peer.put(.mtu, peerMTU) }
            }
        }
    }

    public func describe(_ devices: any InterfaceResolver) -> [Field] { [] }
}
