import CMnl
import Netlink

/// The nexthop objects of the current network namespace, through one netlink socket.
/// Changes go through `changes`: the socket itself unless a batch pipelines them.
public struct NexthopService {
    public let socket: NetlinkSocket
    public let changes: any ChangeSink

    public init(socket: NetlinkSocket, changes: (any ChangeSink)? = nil) {
        self.socket = socket
        self.changes = changes ?? socket
    }

    /// Every nexthop the selector's kernel-side filters (device, groups, master, fdb)
    /// let through, of one family or all.
    public func list(family: AddressFamily = .unspecified, _ selector: NexthopSelector = NexthopSelector()) throws -> [NexthopObject] {
        let objects = try socket.collect(.getNexthop, { message in
            var header = nhmsg()
            header.nh_family = family.rawValue
            let request = try message.header(header, attributes: NexthopAttribute.self)
            if let index = selector.outputInterface { try request.put(.outputInterface, UInt32(bitPattern: index)) }
            if selector.groupsOnly { try request.flag(.groups) }
            if let master = selector.master { try request.put(.master, UInt32(bitPattern: master)) }
            if selector.fdbOnly { try request.flag(.fdb) }
        }) { NexthopObject($0) }
        guard let protocolID = selector.protocolID else { return objects }
        return objects.filter { $0.protocolID == protocolID }
    }

    /// One nexthop by id.
    public func get(_ id: UInt32) throws -> NexthopObject {
        try socket.fetch(.getNexthop, { try NexthopObject.encodeIdentity(id, $0) }) { message in
            guard let nexthop = NexthopObject(message) else {
                throw NetlinkError(errno: .badMessage, kernelMessage: "unexpected reply to a nexthop query")
            }
            return nexthop
        }
    }

    /// Adds (refusing an existing id) or replaces a nexthop. What `add` made with an
    /// id of its own, deleting that id takes back.
    public func apply(_ nexthop: NexthopObject, _ change: NexthopChange) throws {
        switch change {
        case .add:
            let undo: ChangeRequest.Undo = nexthop.id != 0 ? .request(.deleteNexthop) : .impossible
            try changes.send(ChangeRequest(.newNexthop, flags: [.create, .exclusive], undo: undo),
                             { try nexthop.encode($0) }, undo: { try NexthopObject.encodeIdentity(nexthop.id, $0) })
        case .replace:
            try changes.send(ChangeRequest(.newNexthop, flags: [.create, .replace])) { try nexthop.encode($0) }
        }
    }

    public func delete(_ id: UInt32) throws {
        try changes.send(ChangeRequest(.deleteNexthop, flags: [])) { try NexthopObject.encodeIdentity(id, $0) }
    }

    /// Deletes the nexthops selected (groups first, so their members are free to go).
    /// Returns how many were deleted.
    @discardableResult
    public func flush(family: AddressFamily, _ selector: NexthopSelector) throws -> Int {
        var deleted = 0
        let passes: [NexthopSelector] = {
            guard selector.isEmpty else { return [selector] }
            var groups = selector
            groups.groupsOnly = true
            return [groups, selector]
        }()
        for pass in passes {
            for nexthop in try list(family: family, pass) {
                do {
                    try socket.perform(.deleteNexthop) { try NexthopObject.encodeIdentity(nexthop.id, $0) }
                    deleted += 1
                } catch let error as NetlinkError where error.errno == .noSuchFileOrDirectory {
                    // Gone already.
                }
            }
        }
        return deleted
    }
}
