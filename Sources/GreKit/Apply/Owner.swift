import Netlink

/// Who applied an object, written into the object itself so that it survives in the
/// kernel: the protocol number of routes, rules, nexthops and addresses (as routing
/// daemons mark theirs), and a link's ifalias. `apply` deletes only what carries its
/// owner's mark; everything else is someone else's.
public struct Owner: Sendable, Equatable {
    /// The owner's protocol number.
    public let protocolID: RouteProtocol

    /// gretool's own number, unassigned in Linux and iproute2 (47, GRE's IP protocol
    /// number); `--owner gretool` names it.
    public static let gretool = Owner(RouteProtocol(rawValue: 47))

    public init(_ protocolID: RouteProtocol) { self.protocolID = protocolID }

    /// An owner by protocol name (rt_protos) or number. The numbers up to `static` are
    /// the kernel's and what people add by hand: never an owner's.
    public init(named word: String) throws(InvalidArgument) {
        if word == "gretool" { self = .gretool; return }
        guard let protocolID = RouteNames.protocols.id(of: word) else {
            throw InvalidArgument.badValue("owner", word, expected: "a protocol number 5..255 or a name in \(RouteNames.protocols.source)")
        }
        guard protocolID.rawValue > RouteProtocol.static.rawValue else {
            throw InvalidArgument("owner \(word) is protocol \(protocolID.rawValue), which the kernel and hand-made routes use; pick 5..255")
        }
        self.protocolID = protocolID
    }

    /// The owner's name: its protocol's in rt_protos, or "gretool", or the number.
    public var name: String {
        self == .gretool && protocolID.name == String(protocolID.rawValue) ? "gretool" : protocolID.name
    }

    /// The same number as an address's protocol (IFA_PROTO).
    public var addressProtocol: AddressProtocol { AddressProtocol(rawValue: protocolID.rawValue) }

    /// The ifalias of a link this owner made: "gretool:47".
    public var linkTag: String { Self.tagPrefix + String(protocolID.rawValue) }

    private static let tagPrefix = "gretool:"

    /// The owner a link's alias names, nil when the alias is not an owner's tag.
    public static func owner(ofLinkAlias alias: String?) -> Owner? {
        guard let alias, alias.hasPrefix(tagPrefix), let number = UInt8(alias.dropFirst(tagPrefix.count)) else { return nil }
        return Owner(RouteProtocol(rawValue: number))
    }
}
