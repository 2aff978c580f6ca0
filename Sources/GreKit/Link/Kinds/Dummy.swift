import Netlink

/// Links without options: dummy, and ifb (an intermediate functional block, which tc
/// sends a link's traffic through).
public struct DummyOptions: LinkKindOptions {
    public static let kinds = ["dummy", "ifb"]
    public typealias Word = Never
    public static let grammar = KeywordTable<Never>([Keyword<Never>]())
    public let kind: String
    public init(kind: String) { self.kind = kind }
    public init(kind: String, data: Attribute<LinkInfoAttribute>?) { self.kind = kind }
    public mutating func set(_ entry: KeywordTable<Never>.Entry, _ value: String, _ devices: any InterfaceResolver) throws {}
    public mutating func finish() throws(InvalidArgument) {}
    public func encode(_ info: AttributeWriter<LinkInfoAttribute>) throws {}
    public func describe(_ devices: any InterfaceResolver, naming: Naming) -> [Field] { [] }
    /// iproute2 has no module for these links.
    public static var describesData: Bool { false }
    public func settings(_ devices: any InterfaceResolver) -> [KindSetting] { [] }
    public static func settingWords(kind: String) -> [KindSettingWords] { [] }
}
