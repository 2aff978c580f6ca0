import Netlink

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
