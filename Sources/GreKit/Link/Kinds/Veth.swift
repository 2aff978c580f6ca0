import CMnl
import Netlink

/// VETH_INFO_*: inside IFLA_INFO_DATA of a veth link.
enum VethAttribute: UInt16, NetlinkAttributeType {
    case peer = 1
}

/// veth pairs: `type veth [ peer [ name ] NAME [ LINK WORDS ] ]`.
public struct VethOptions: LinkKindOptions {
    public static let kinds = ["veth"]

    public enum Word: Sendable { case peer }

    /// `peer`; the words after it are the peer's own, a link's words (iproute2 reads
    /// them with iplink_parse): see `LinkRequest.parsePeer`.
    public static let grammar = KeywordTable<Word>([Keyword(.peer, "peer")])

    public let kind: String
    /// What `peer` and the words after it ask of the peer: its name, mtu, txqueuelen,
    /// namespace, state... Without `peer` the kernel names the peer itself.
    public var peer: LinkRequest?
    /// The peer of a veth the kernel reported (IFLA_LINK): its name comes from it.
    public var peerIndex: Int32?

    /// The peer's name, when the words gave one.
    public var peerName: InterfaceName? { peer?.givenName }

    public init(kind: String) { self.kind = kind }
    // The kernel reports nothing about a veth's peer in IFLA_INFO_DATA.
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) { self.kind = kind }

    /// Before `peer`, only `peer` is a veth word (the rest are the link's own); every
    /// word after it is the peer's, as in iproute2.
    public mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool {
        guard peer == nil, word == "peer" else { return false }
        var rest: [String] = []
        while let next = words.next() { rest.append(next) }
        peer = try LinkRequest.parsePeer(rest, devices: devices)
        return true
    }

    public mutating func set(_ entry: KeywordTable<Word>.Entry, _ text: String, _ devices: any InterfaceResolver) throws {
        peer = try LinkRequest.parsePeer([], devices: devices)
    }

    public mutating func finish() throws(InvalidArgument) {}

    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {
        guard let peer else { return }
        try info.nest(.data, VethAttribute.self) { data in
            try data.nest(.peer, LinkAttribute.self, header: peer.header(index: 0)) { try peer.encodeAttributes($0) }
        }
    }

    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] { [] }
    /// iproute2 prints nothing of a veth's data.
    public static var describesData: Bool { false }

    public mutating func decoded(parent: Int32?) { peerIndex = parent }

    /// The peer's name, the one thing a pair is made with that apply compares. The
    /// peer cannot change: a pair with another peer is made again.
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] {
        if let peerName { return [.word("peer", peerName.value)] }
        if let peerIndex, let name = devices.name(of: peerIndex) { return [.word("peer", name)] }
        return []
    }

    public static func settingWords(kind: String) -> [KindSettingWords] {
        [KindSettingWords("peer", word: "peer", beforeValue: "name", reset: nil)]
    }
}
