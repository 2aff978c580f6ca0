import CMnl
import Netlink

/// VETH_INFO_*: inside IFLA_INFO_DATA of a veth link.
enum VethAttribute: UInt16, NetlinkAttributeType {
    case peer = 1
}

/// veth pairs: `type veth peer name NAME [netns NS] [address LLADDR] [mtu N]`.
public struct VethOptions: LinkKindOptions {
    public static let kinds = ["veth"]

    public enum Word: Sendable { case peer, name, netns, address, mtu }

    /// `peer`, then the peer's own words, which iproute2 reads with iplink_parse (so
    /// name, netns and mtu are refused twice there, as for any link).
    public static let grammar = KeywordTable<Word>([
        Keyword(.peer, "peer"),
        Keyword(.name, "name", value: "NAME", repeatable: false),
        Keyword(.netns, "netns", value: "NETNS", repeatable: false),
        Keyword(.address, "address", value: "LLADDR"),
        Keyword(.mtu, "mtu", value: "MTU", repeatable: false),
    ])

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

    /// Before `peer`, only `peer` is a veth word (the rest are the link's own);
    /// after it, a bare word is the peer's name, as in iproute2.
    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        guard describesPeer else {
            describesPeer = word == "peer"
            return describesPeer
        }
        if let entry = try words.keyword(word, in: Self.grammar), entry.keyword != .peer {
            try set(entry, words.value(of: entry), devices)
            return true
        }
        guard peerName == nil else { return false }
        peerName = try InterfaceName(word)
        return true
    }

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        switch entry.keyword {
        case .peer: describesPeer = true
        case .name: peerName = try InterfaceName(text)
        case .netns: peerNamespace = try NamespaceReference(text)
        case .address:
            guard let bytes = LinkLayerAddress.parse(text), bytes.count == 6 else {
                throw InvalidArgument.badValue("address", text, expected: "a MAC address like 02:00:00:00:00:01")
            }
            peerAddress = bytes
        case .mtu: peerMTU = try Parse.unsigned(text, UInt32.self, for: "mtu")
        }
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
