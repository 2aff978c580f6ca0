/// The links of one dump, indexed: resolves names for display without further
/// queries, and answers questions about a link's neighbours (parent, master).
public struct LinkSnapshot: InterfaceResolver, Sendable {
    public let links: [Link]
    private let byIndex: [Int32: Int]

    public init(_ links: [Link]) {
        self.links = links
        byIndex = Dictionary(links.enumerated().map { ($1.index, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(index: Int32) -> Link? { byIndex[index].map { links[$0] } }

    public func link(named name: String) -> Link? { links.first { $0.name == name } }

    public func index(of name: String) throws -> Int32 {
        guard let link = link(named: name) else { throw DeviceNotFound(name) }
        return link.index
    }

    public func name(of index: Int32) -> String? { self[index]?.name }
}
