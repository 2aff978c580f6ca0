import Netlink

/// A link as `apply` declares it or finds it: a link the file makes (with its kind's
/// options), or one it only configures (up, mtu, txqueuelen).
public struct LinkState: Sendable {
    public var name: String
    /// The kind's options for a link the file makes; nil for one it only configures.
    public var options: (any LinkKindOptions)?
    public var mtu: UInt32?
    public var txqlen: UInt32?
    /// Nil: left as the kernel has it.
    public var up: Bool?
    /// The link's ifalias: an owner's tag on a live link.
    public var alias: String?

    public init(name: String) { self.name = name }

    public var kind: String? { options?.kind }
}

/// A tunnel's keepalive stanza: the words of `keepalive watch` for it, which the
/// keepalive service reads as one line of its configuration.
public struct KeepaliveStanza: Sendable, Equatable {
    public var tunnel: String
    /// The words after the tunnel's name (interval, retries, action...).
    public var words: [String]

    public init(tunnel: String, words: [String]) {
        self.tunnel = tunnel
        self.words = words
    }
}

/// Network state as `apply` sees it: what a file declares, or what the kernel holds
/// of what a file could declare. Devices are named through `devices`.
public struct NetworkState: Sendable {
    public var links: [LinkState] = []
    public var addresses: [Address] = []
    public var routes = RouteList() {
        didSet { routeIndex = nil }
    }
    /// The routes' places by key, when what made the list kept them as it went (the
    /// declaration reader does); a change to the list forgets them.
    var routeIndex: RouteKeyIndex?
    public var nexthops: [NexthopObject] = []
    public var rules: [Rule] = []
    public var keepalives: [KeepaliveStanza] = []

    public init() {}

    public func link(named name: String) -> LinkState? { links.first { $0.name == name } }

    /// Whether each route follows another of its key in the list: IPv4 keeps several
    /// routes of a key, tried in order, and a file declares the further ones with
    /// `route append` (JSON: `"append": true`).
    public var routeIsAppended: [Bool] { RouteKey.repeats(routes.indices.lazy.map(routes.key(at:))) }
}

/// The kinds of objects apply manages, in the order it makes them.
public enum ObjectKind: String, Sendable, CaseIterable {
    case link, address, nexthop, route, rule, keepalive
}

/// Names and indexes of devices for a state: the live links of one dump, and the
/// links a file declares that do not exist yet, which get indexes of their own
/// (negative, so that they can meet no real one) until they are made.
public final class DeviceDirectory: InterfaceResolver, @unchecked Sendable {
    private var indexByName: [String: Int32] = [:]
    private var nameByIndex: [Int32: String] = [:]
    private var nextPlaceholder: Int32 = -1

    public convenience init(_ links: [Link]) {
        self.init(devices: links.map { ($0.name, $0.index) })
    }

    /// Live devices by name and index.
    public init(devices: [(name: String, index: Int32)]) {
        for (name, index) in devices {
            indexByName[name] = index
            nameByIndex[index] = name
        }
    }

    /// Gives a declared link an index if it has none yet.
    public func declare(_ name: String) {
        guard indexByName[name] == nil else { return }
        indexByName[name] = nextPlaceholder
        nameByIndex[nextPlaceholder] = name
        nextPlaceholder -= 1
    }

    public func exists(_ name: String) -> Bool { (indexByName[name] ?? -1) > 0 }

    public func index(of name: String) throws -> Int32 {
        guard let index = indexByName[name] else { throw DeviceNotFound(name) }
        return index
    }

    public func name(of index: Int32) -> String? { nameByIndex[index] }

    /// The index of a device named by UTF-8 bytes, as `index(of:)` finds it, if the
    /// bytes are a valid interface name; nil for a name that is not, or is not known.
    /// A name's index never changes once found.
    func index(ofName bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let name = try? InterfaceName(String(decoding: bytes, as: UTF8.self)) else { return nil }
        return indexByName[name.value]
    }
}
