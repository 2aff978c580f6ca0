import CMnl
import Netlink

/// The names `ip netns` gives the namespaces this one knows by id: a link whose peer
/// is in another namespace says which by an id (IFLA_LINK_NETNSID), which iproute2
/// shows as the namespace's name when one under /run/netns has it (netns_map_init):
/// each is opened and its id here asked for (RTM_GETNSID by descriptor).
public enum NamespaceNames {
    /// Ids to names; a namespace without an id here (none assigned) is left out.
    public static func byID(socket: NetlinkSocket) -> [Int32: String] {
        var names: [Int32: String] = [:]
        let listed = (try? Files.names(in: NetworkNamespace.directory)) ?? []
        for name in listed.sorted() where NetworkNamespace.isValidName(name) {
            guard let id = try? id(of: name, socket: socket), id >= 0, names[id] == nil else { continue }
            names[id] = name
        }
        return names
    }

    /// The id this namespace knows the named one by, or nil when it has none.
    static func id(of name: String, socket: NetlinkSocket) throws -> Int32? {
        let namespace = try NetworkNamespace.open(named: name)
        return try socket.fetch(.getNamespaceID, { message in
            let attributes = try message.header(rtgenmsg(rtgen_family: UInt8(AF_UNSPEC)), attributes: NamespaceIDAttribute.self)
            try attributes.put(.fd, UInt32(bitPattern: namespace.rawValue))
        }, reply: { reply in
            reply.attributes(after: rtgenmsg.self, NamespaceIDAttribute.self).first { $0.key == .nsid }?.s32
        })
    }
}
