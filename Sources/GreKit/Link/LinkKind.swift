import Netlink

/// The options of one link kind: iproute2's `link_util`. A module owns both
/// directions for its kinds: words -> options -> IFLA_INFO_DATA, and
/// IFLA_INFO_DATA -> options -> fields. Adding an option touches its module only.
public protocol LinkKindOptions: Sendable {
    /// The IFLA_INFO_KIND values this module serves.
    static var kinds: [String] { get }
    /// The option words it takes, for help and shell completion.
    static var keywords: [String] { get }
    /// Usage text for `gretool link help TYPE`.
    static func usage(kind: String) -> String

    /// The options a new link of `kind` starts from.
    init(kind: String)
    /// The options of an existing link, from its IFLA_INFO_DATA (nil when absent).
    init(kind: String, data: Attribute<LinkInfoAttribute>?)

    var kind: String { get }

    /// Applies one option word and the values after it. Returns false when the
    /// word is not one of this kind's, so the caller can report or reinterpret it.
    mutating func apply(_ word: String, _ words: inout WordScanner, _ devices: any InterfaceResolver) throws -> Bool

    /// Refuses contradictory combinations once every word has been applied, and
    /// fills in what follows from them.
    mutating func finish() throws(InvalidArgument)

    /// Writes the kind's data (IFLA_INFO_DATA) into IFLA_LINKINFO.
    func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws

    /// The options as iproute2 shows them under `-d`.
    func describe(_ devices: any InterfaceResolver) -> [Field]
}

/// The registry of link kinds, looked up by the word after `type`.
public enum LinkKinds {
    public static let modules: [any LinkKindOptions.Type] = [
        GreOptions.self, VethOptions.self, BridgeOptions.self, VxlanOptions.self, DummyOptions.self,
    ]

    public static func module(for kind: String) -> (any LinkKindOptions.Type)? {
        modules.first { $0.kinds.contains(kind) }
    }

    public static var allKinds: [String] { modules.flatMap { $0.kinds } }

    /// Options of a new link of `kind`, or an error listing the kinds gretool knows.
    public static func newOptions(kind: String) throws(InvalidArgument) -> any LinkKindOptions {
        guard let module = module(for: kind) else {
            throw InvalidArgument("unknown link type \"\(kind)\"; known types: \(allKinds.joined(separator: ", "))")
        }
        return module.init(kind: kind)
    }

    /// Options of an existing link decoded from its IFLA_LINKINFO, when gretool knows the kind.
    static func decode(kind: String, data: Attribute<LinkInfoAttribute>?) -> (any LinkKindOptions)? {
        module(for: kind)?.init(kind: kind, data: data)
    }
}
