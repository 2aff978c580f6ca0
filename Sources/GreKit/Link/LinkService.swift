import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// The links of the current network namespace, through one netlink socket.
/// Also the interface directory: it resolves names and indexes, and caches them.
public final class LinkService: InterfaceResolver {
    public let socket: NetlinkSocket
    private var indexByName: [String: Int32] = [:]
    private var nameByIndex: [Int32: String] = [:]
    private var lastLookup: (name: String, index: Int32)?

    public init(socket: NetlinkSocket) { self.socket = socket }

    /// RTEXT_FILTER_* bits for IFLA_EXT_MASK.
    private static let filterVF: UInt32 = 1 << 0
    private static let filterSkipStats: UInt32 = 1 << 3

    /// Every link, in index order. A `family` asks that family's view of the links
    /// (IPv6 reports fewer attributes), as `ip -6 address` does.
    public func list(statistics: Bool = false, family: AddressFamily = .unspecified) throws -> [Link] {
        let links = try socket.collect(.getLink, { message in
            var header = ifinfomsg()
            header.ifi_family = family.rawValue
            let request = try message.header(header, attributes: LinkAttribute.self)
            // IPv6's view of the links takes no attributes at all.
            guard family == .unspecified else { return }
            try request.put(.extMask, Self.filterVF | (statistics ? 0 : Self.filterSkipStats))
        }) { Link($0) }
        for link in links { remember(link) }
        return links
    }

    /// One link by name; `DeviceNotFound` when there is none.
    public func link(named name: String, statistics: Bool = false) throws -> Link {
        let link = try get(statistics: statistics) { try $0.put(.ifname, name) } ifMissing: { DeviceNotFound(name) }
        remember(link)
        return link
    }

    /// One link by index.
    public func link(index: Int32, statistics: Bool = false) throws -> Link {
        var header = ifinfomsg()
        header.ifi_index = index
        let link = try get(header: header, statistics: statistics) { _ in } ifMissing: { DeviceNotFound("if\(index)") }
        remember(link)
        return link
    }

    private func get(
        header: ifinfomsg = ifinfomsg(), statistics: Bool,
        _ attributes: (AttributeWriter<LinkAttribute>) throws -> Void, ifMissing: () -> Error
    ) throws -> Link {
        do {
            return try socket.fetch(.getLink, { message in
                let request = try message.header(header, attributes: LinkAttribute.self)
                try request.put(.extMask, Self.filterVF | (statistics ? 0 : Self.filterSkipStats))
                try attributes(request)
            }) { message in
                guard let link = Link(message) else { throw NetlinkError(errno: .badMessage, kernelMessage: "unexpected reply to a link query") }
                return link
            }
        } catch let error as NetlinkError where error.errno == .operationNotSupportedByDevice {
            throw ifMissing()
        }
    }

    // Every change forgets every name: one request can create, rename or delete more
    // links than it names (a veth's peer is made and deleted with it, a VLAN goes
    // with its parent, a rename frees a name another link may take).

    /// Creates a link; nothing is left behind when the kernel refuses it.
    public func create(_ request: LinkRequest) throws {
        defer { forgetAll() }
        try socket.perform(.newLink, flags: [.create, .exclusive]) { try request.encode($0, index: 0) }
    }

    /// Changes the link at `index` as the request says.
    public func modify(_ request: LinkRequest, index: Int32) throws {
        defer { forgetAll() }
        try socket.perform(.newLink) { try request.encode($0, index: index) }
    }

    public func delete(named name: String) throws {
        defer { forgetAll() }
        do {
            try socket.perform(.deleteLink) { message in
                let request = try message.header(ifinfomsg(), attributes: LinkAttribute.self)
                try request.put(.ifname, name)
            }
        } catch let error as NetlinkError where error.errno == .operationNotSupportedByDevice {
            throw DeviceNotFound(name)
        }
    }

    /// Deletes every link of a group, as the kernel does for a request that names a
    /// group and no link.
    public func delete(group: UInt32) throws {
        defer { forgetAll() }
        try socket.perform(.deleteLink) { message in
            let request = try message.header(ifinfomsg(), attributes: LinkAttribute.self)
            try request.put(.group, group)
        }
    }

    /// The transmit queue length by ioctl, for link views that lack it (IPv6's view of
    /// the links), as iproute2 fills it in.
    public static func transmitQueueLength(of name: String) -> UInt32? {
        guard let socket = try? Socket(domain: AF_INET, type: SOCK_DGRAM, "cannot open a socket") else { return nil }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { buffer in
            let bytes = Array(name.utf8.prefix(buffer.count - 1))
            buffer.copyBytes(from: bytes)
        }
        guard (try? socket.interfaceRequest(UInt(SIOCGIFTXQLEN), &request, "cannot read the queue length of \(name)")) != nil else {
            return nil
        }
        return UInt32(bitPattern: request.ifr_ifru.ifru_ivalue)
    }

    // MARK: InterfaceResolver

    public func index(of name: String) throws -> Int32 {
        // Batch lines name the same device again and again: skip the hashing then.
        if let last = lastLookup, last.name == name { return last.index }
        let index = try indexByName[name] ?? link(named: name).index
        lastLookup = (name, index)
        return index
    }

    public func name(of index: Int32) -> String? {
        if let name = nameByIndex[index] { return name }
        return try? link(index: index).name
    }

    private func remember(_ link: Link) {
        indexByName[link.name] = link.index
        nameByIndex[link.index] = link.name
    }

    private func forgetAll() {
        indexByName.removeAll(keepingCapacity: true)
        nameByIndex.removeAll(keepingCapacity: true)
        lastLookup = nil
    }
}
