import CMnl
import Netlink

/// One bucket of a resilient nexthop group (RTM_NEWNEXTHOPBUCKET): which member its
/// flows go to, and how long it has been idle.
public struct NexthopBucket: Sendable, Equatable {
    /// The group's id.
    public var groupID: UInt32 = 0
    public var index: UInt16?
    /// In clock ticks (USER_HZ, hundredths of a second).
    public var idleTime: UInt64?
    /// The member the bucket sends to.
    public var nexthopID: UInt32?
    /// RTNH_F_* (trap, offload).
    public var flags: RouteFlags = []

    /// Decodes an RTM_NEWNEXTHOPBUCKET message; nil for other types.
    public init?(_ message: NetlinkMessage) {
        guard message.routeMessageType == .newNexthopBucket, let header = message.familyHeader(nhmsg.self) else { return nil }
        flags = RouteFlags(rawValue: header.nh_flags)
        for attribute in message.attributes(after: nhmsg.self, NexthopAttribute.self) {
            switch attribute.key {
            case .id?: groupID = attribute.u32
            case .resilientBucket?:
                for field in attribute.nested(ResilientBucketAttribute.self) {
                    switch field.key {
                    case .index?: index = field.u16
                    case .idleTime?: idleTime = field.u64
                    case .nexthopID?: nexthopID = field.u32
                    case nil: break
                    }
                }
            default: break
            }
        }
    }
}

/// `nexthop bucket` words: `show` (or `list`, `lst`, or nothing) with a selector, or
/// `get` of one bucket.
public enum NexthopBucketRequest: Sendable {
    case list(NexthopBucketSelector)
    case get(NexthopBucketKey)

    enum Verb: Sendable { case list, get }

    /// iproute2's (do_ipnh_bucket): any beginning of each word, list, show and lst first.
    static let verbs = KeywordTable<Verb>([
        Keyword(.list, .abbreviable("list"), .abbreviable("show"), .abbreviable("lst")), Keyword(.get, .abbreviable("get")),
    ])

    public static var keywords: [String] { verbs.spellings + NexthopBucketSelector.keywords + NexthopBucketKey.keywords }

    public static func parse(_ arguments: [String], devices: any InterfaceResolver) throws -> NexthopBucketRequest {
        var words = WordScanner(arguments)
        guard let verb = words.next() else { return .list(NexthopBucketSelector()) }
        guard let entry = try words.keyword(verb, in: verbs) else { throw InvalidArgument.unknownWord(verb, in: "nexthop bucket") }
        let rest = Array(arguments.dropFirst())
        switch entry.keyword {
        case .list: return .list(try NexthopBucketSelector.parse(rest, devices: devices))
        case .get: return .get(try NexthopBucketKey.parse(rest))
        }
    }
}

/// Which buckets `nexthop bucket show` means: the kernel filters them all.
public struct NexthopBucketSelector: Sendable {
    public var groupID: UInt32?
    public var nexthopID: UInt32?
    public var outputInterface: Int32?
    public var master: Int32?

    public init() {}

    enum Word: Sendable { case device, master, id, nexthopID }

    /// iproute2's words (ipnh_bucket_list): `id` and `nhid` whole, the others abbreviable.
    static let grammar = KeywordTable<Word>([
        Keyword(.device, .abbreviable("dev"), value: "NAME"), Keyword(.master, .abbreviable("master"), value: "NAME"),
        Keyword(.id, "id", value: "ID"), Keyword(.nexthopID, "nhid", value: "ID"),
    ])

    public static var keywords: [String] { grammar.spellings }

    public static func parse(_ arguments: [String], devices: any InterfaceResolver) throws -> NexthopBucketSelector {
        var words = WordScanner(arguments)
        var selector = NexthopBucketSelector()
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                throw InvalidArgument.unknownWord(word, in: "nexthop bucket show")
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .device: selector.outputInterface = try RouteRequest.device(value, devices)
            case .master: selector.master = try RouteRequest.device(value, devices)
            case .id: selector.groupID = try NexthopRequest.identifier(value)
            case .nexthopID: selector.nexthopID = try NexthopRequest.identifier(value)
            }
        }
        return selector
    }

    /// The dump request's filters (nh_dump_bucket_filter).
    func encode(_ message: MessageWriter, family: AddressFamily) throws {
        var header = nhmsg()
        header.nh_family = family.rawValue
        let request = try message.header(header, attributes: NexthopAttribute.self)
        if let index = outputInterface { try request.put(.outputInterface, UInt32(bitPattern: index)) }
        if let master { try request.put(.master, UInt32(bitPattern: master)) }
        if let groupID { try request.put(.id, groupID) }
        if let nexthopID {
            try request.nest(.resilientBucket, ResilientBucketAttribute.self) { try $0.put(.nexthopID, nexthopID) }
        }
    }
}

/// `nexthop bucket get id ID index INDEX`: one bucket of a group.
public struct NexthopBucketKey: Sendable {
    public var groupID: UInt32
    public var index: UInt16

    enum Word: Sendable { case id, index }

    static let grammar = KeywordTable<Word>([Keyword(.id, "id", value: "ID"), Keyword(.index, "index", value: "INDEX")])

    public static var keywords: [String] { grammar.spellings }

    /// Both words are needed; each may come again, the later winning (ipnh_bucket_get).
    public static func parse(_ arguments: [String]) throws -> NexthopBucketKey {
        var words = WordScanner(arguments)
        var groupID: UInt32?, index: UInt16?
        while let word = words.next() {
            guard let entry = try words.keyword(word, in: grammar) else {
                throw InvalidArgument.unknownWord(word, in: "nexthop bucket get")
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .id: groupID = try NexthopRequest.identifier(value)
            case .index: index = try Parse.unsigned(value, UInt16.self, for: "index")
            }
        }
        guard let groupID, let index else { throw InvalidArgument("nexthop bucket get: \"id\" and \"index\" are required") }
        return NexthopBucketKey(groupID: groupID, index: index)
    }

    func encode(_ message: MessageWriter) throws {
        let request = try message.header(nhmsg(), attributes: NexthopAttribute.self)
        try request.put(.id, groupID)
        try request.nest(.resilientBucket, ResilientBucketAttribute.self) { try $0.put(.index, index) }
    }
}

extension NexthopService {
    /// The buckets of the resilient groups the selector lets through.
    public func buckets(family: AddressFamily, _ selector: NexthopBucketSelector) throws -> [NexthopBucket] {
        try socket.collect(.getNexthopBucket, { try selector.encode($0, family: family) }) { NexthopBucket($0) }
    }

    /// One bucket of a group.
    public func bucket(_ key: NexthopBucketKey) throws -> NexthopBucket {
        try socket.fetch(.getNexthopBucket, { try key.encode($0) }) { message in
            guard let bucket = NexthopBucket(message) else {
                throw NetlinkError(errno: .badMessage, kernelMessage: "unexpected reply to a nexthop bucket query")
            }
            return bucket
        }
    }
}
