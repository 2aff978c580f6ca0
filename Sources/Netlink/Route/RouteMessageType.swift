/// rtnetlink message types (RTM_*).
public enum RouteMessageType: UInt16, Sendable {
    case newLink = 16, deleteLink, getLink, setLink
    case newAddress = 20, deleteAddress, getAddress
    case newRoute = 24, deleteRoute, getRoute
    case newRule = 32, deleteRule, getRule
    case newNamespaceID = 88, deleteNamespaceID, getNamespaceID
    case newNexthop = 104, deleteNexthop, getNexthop
    case newNexthopBucket = 116, deleteNexthopBucket, getNexthopBucket
}

extension NetlinkSocket {
    public func perform(_ type: RouteMessageType, flags: NetlinkFlags = [], _ build: (MessageWriter) throws -> Void) throws {
        try perform(type.rawValue, flags: flags, build)
    }

    public func fetch<Result>(
        _ type: RouteMessageType, _ build: (MessageWriter) throws -> Void,
        reply: (NetlinkMessage) throws -> Result
    ) throws -> Result {
        try fetch(type.rawValue, build, reply: reply)
    }

    @discardableResult
    public func dump(
        _ type: RouteMessageType, _ build: (MessageWriter) throws -> Void,
        each: (NetlinkMessage) throws -> Void
    ) throws -> DumpConsistency {
        try dump(type.rawValue, build, each: each)
    }

    @inlinable
    public func collect<Element>(
        _ type: RouteMessageType, _ build: (MessageWriter) throws -> Void,
        _ decode: (NetlinkMessage) throws -> Element?
    ) throws -> [Element] {
        try collect(type.rawValue, build, decode)
    }

    @inlinable
    public func collect<Result>(
        _ type: RouteMessageType, _ build: (MessageWriter) throws -> Void, into empty: @autoclosure () -> Result,
        _ add: (inout Result, NetlinkMessage) throws -> Void
    ) throws -> Result {
        try collect(type.rawValue, build, into: empty(), add)
    }
}

extension NetlinkMessage {
    @inlinable public var routeMessageType: RouteMessageType? { RouteMessageType(rawValue: type) }
}
