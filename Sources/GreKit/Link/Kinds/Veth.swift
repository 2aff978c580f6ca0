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
    public var peerName: InterfaceName?
    public var peerNamespace: NamespaceReference?
    public var peerAddress: [UInt8]?
    public var peerMTU: UInt32?

    public init(kind: String) { self.kind = kind }
    // The kernel reports nothing about a veth's peer in IFLA_INFO_DATA.
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) { self.kind = kind }

    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        switch word {
        case "peer":
            return true
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
            guard peerName == nil, words.words.prefix(words.position).contains("peer") else { return false }
            peerName = try InterfaceName(word)
        }
        return true
    }

    public mutating func finish() throws(InvalidArgument) {}

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        guard let peerName else { return }
        try info.nest(.data, VethAttribute.self) { data in
            try data.nest(.peer, LinkAttribute.self, header: ifinfomsg()) { peer in
                try peer.put(.ifname, peerName.value)
                if let peerNamespace { try peer.put(.netnsFD, UInt32(bitPattern: peerNamespace.descriptor)) }
                if let peerAddress { try peer.put(.address, peerAddress) }
                if let peerMTU { try peer.put(.mtu, peerMTU) }
            }
        }
    }

    public func describe(_ devices: any InterfaceResolver) -> [Field] { [] }
}

/// dummy links take no options.
public struct DummyOptions: LinkKindOptions {
    public static let kinds = ["dummy"]
    public static let keywords: [String] = []
    public static func usage(kind: String) -> String { "Usage: ... dummy" }
    public let kind: String
    public init(kind: String) { self.kind = kind }
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) { self.kind = kind }
    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool { false }
    public mutating func finish() throws(InvalidArgument) {}
    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {}
    public func describe(_ devices: any InterfaceResolver) -> [Field] { [] }
}
