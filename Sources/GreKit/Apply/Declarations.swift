import Netlink

/// The verbs a file may use, read as declarations: "this must exist, exactly so".
/// Each reads its words with the object's own grammar.
public enum Declaration: String, Sendable, CaseIterable {
    case tunnelAdd = "tunnel add", linkAdd = "link add", linkSet = "link set", addressAdd = "address add"
    case routeAdd = "route add", nexthopAdd = "nexthop add", ruleAdd = "rule add", keepaliveWatch = "keepalive watch"
    /// A further route of the key of a route declared before it, tried after those:
    /// IPv4 keeps several routes of a key so (`ip route append`).
    case routeAppend = "route append"
}

/// Where a declaration came from: a file's line ("/etc/gretool/site.conf:12") or a
/// JSON entry ("routes[3]"). A file's line is kept as its number and spelled only for
/// a message: a file of 10,000 routes spells none.
public struct DeclarationPlace: Sendable, CustomStringConvertible {
    fileprivate let source: String
    fileprivate let line: Int?

    /// Line `line` of the file named `file`.
    public init(_ file: String, line: Int) {
        source = file
        self.line = line
    }

    /// A place spelled whole.
    public init(_ place: String) {
        source = place
        line = nil
    }

    public var description: String { line.map { "\(source):\($0)" } ?? source }
}

/// The places of a list's declarations, by their position in it: a file declares
/// routes by the ten thousand, each on a line of its own, and their places are kept
/// as their lines' numbers, 4 bytes each, the name of the file once for the run of
/// them read from it.
struct DeclarationPlaces {
    /// Each one's line, or `none` (a place spelled whole, or a line past 32 bits).
    private var lines: [Int32] = []
    /// Where each run of places of one source starts, and the place of the first.
    private var runs: [(start: Int, first: DeclarationPlace)] = []
    private static let none: Int32 = -1

    mutating func reserveCapacity(_ count: Int) { lines.reserveCapacity(count) }

    mutating func append(_ place: DeclarationPlace) {
        let line = place.line.flatMap { Int32(exactly: $0) } ?? Self.none
        if runs.last?.first.source != place.source || line == Self.none { runs.append((lines.count, place)) }
        lines.append(line)
    }

    subscript(position: Int) -> DeclarationPlace {
        // The last run that starts at or before the position.
        var (low, high) = (0, runs.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if runs[middle].start <= position { low = middle } else { high = middle - 1 }
        }
        let run = runs[low]
        guard lines[position] != Self.none else { return run.first }
        return DeclarationPlace(run.first.source, line: Int(lines[position]))
    }
}

/// The routes a reader has read: the list, the index of their keys (the planner looks
/// the kernel's routes up in it) and where each was declared. Kept together, a route
/// read is one access to the reader's storage: each is checked as the program runs,
/// and a file declares routes by the ten thousand. The list keeps most as 32-byte
/// records, as the kernel's are kept (a Route is 72 bytes, and memory is paid for in
/// page faults).
struct DeclaredRoutes {
    private(set) var list = RouteList()
    private(set) var index = RouteKeyIndex()
    /// Where each was declared, by its place in the list.
    private var places = DeclarationPlaces()

    /// Makes room for `count` more routes' places and keys: a file of many routes, read
    /// line by line, would copy them (and hash the keys again) each time the room ran
    /// out. The list grows by chunks of a fixed count, copying none.
    mutating func reserveCapacity(_ count: Int) {
        places.reserveCapacity(list.count + count)
        index.reserveCapacity(index.count + count, in: list)
    }

    /// Keeps a route declared at `place`, moved in; a second route of a key is refused,
    /// naming where the first was declared.
    mutating func append(_ route: consuming Route, at place: DeclarationPlace) throws(InvalidArgument) {
        let key = RouteKey(route)
        if let first = index.insert(key, at: list.count, in: list) {
            throw InvalidArgument("route \(key) is declared twice (first at \(places[first]))")
        }
        list.append(route)
        places.append(place)
    }

    /// Keeps a further route of the key of one declared before it (`route append`),
    /// after the others of its key; refused without one, or as one of them again.
    mutating func append(further route: consuming Route, at place: DeclarationPlace) throws(InvalidArgument) {
        let key = RouteKey(route)
        // The kernel would make it a leg of the route before it: it could never be found so.
        if key.family == .inet6, route.gateway != nil || !route.nexthops.isEmpty {
            throw InvalidArgument("route append \(key): IPv6 makes routes of a key through a gateway legs of one route; declare that route with its legs (nexthop via ...)")
        }
        guard let first = index.position(of: key, in: list) else {
            throw InvalidArgument("route append \(key): no route of its key is declared before it (the first is a route add)")
        }
        for position in first..<list.count where list.key(at: position) == key && list[position] == route {
            throw InvalidArgument("route \(key) is declared twice, the same (first at \(places[position]))")
        }
        list.append(route)
        places.append(place)
    }
}

/// A declaration refused, with the line (or JSON entry) it came from.
public struct DeclarationError: Error, Sendable, CustomStringConvertible {
    /// "line 12", "routes[3]".
    public let place: String
    public let message: String

    public init(_ place: String, _ message: String) {
        self.place = place
        self.message = message
    }

    public init(_ place: DeclarationPlace, _ message: String) {
        self.init(place.description, message)
    }

    public var description: String { "\(place): \(message)" }
}

/// Something a file declares that apply does but that people learned to avoid.
public struct ApplyWarning: Sendable, Equatable {
    public let object: String
    public let message: String
}

/// Reads declarations into the state they describe, refusing what no single state
/// could be (an object declared twice differently) and what the GRE rules forbid.
/// Devices the file makes can be named before their line: a name that is neither
/// on the system nor declared anywhere in the file is refused at the end.
public final class DeclarationReader {
    public let owner: Owner
    public let devices: DeviceDirectory
    /// What has been read so far.
    public var state: NetworkState {
        var state = declared
        state.routes = routes.list
        state.routeIndex = routes.index
        return state
    }
    /// What has been read, but the routes.
    private var declared = NetworkState()
    /// Where each object was declared, for messages: by link name, or by its words.
    private var linkPlaces: [String: DeclarationPlace] = [:]
    private var linkCreated: Set<String> = []
    private var placeOfKey: [String: DeclarationPlace] = [:]
    /// The routes read, with their index and places. One thread reads a file, and
    /// nothing the append calls comes back to the reader: the runtime's exclusivity
    /// check at each of 10,000 routes was 1.7% of the instructions of an apply.
    @exclusivity(unchecked) private var routes = DeclaredRoutes()
    /// Names used before any declaration made them, and where first.
    private var referenced: [(name: String, place: DeclarationPlace)] = []
    private var place = DeclarationPlace("")

    public init(owner: Owner, devices: DeviceDirectory) {
        self.owner = owner
        self.devices = devices
    }

    /// Makes room for `count` more routes (see `DeclaredRoutes.reserveCapacity`).
    public func reserveCapacity(routes count: Int) {
        routes.reserveCapacity(count)
    }

    /// Reads one declaration's words (those after the verb), from `place`.
    public func read(_ declaration: Declaration, _ words: [String], at place: DeclarationPlace) throws(DeclarationError) {
        try reading(at: place) {
            switch declaration {
            case .tunnelAdd: try declareLink(Tunnel.add(words, devices: resolver))
            case .linkAdd:
                try declareLink(LinkRequest.parse(words, mode: .create, devices: resolver) { _ in
                    throw InvalidArgument("unreachable")
                })
            case .linkSet:
                try declareLink(LinkRequest.parse(words, mode: .modify, devices: resolver) { name in
                    throw InvalidArgument("\(name)'s kind options belong on the line that makes it (link add or tunnel add)")
                })
            case .addressAdd: try declare(AddressRequest.parse(words, .add, family: .unspecified, devices: resolver))
            case .routeAdd: try declare(RouteRequest.parse(words, .add, family: .unspecified, devices: resolver), at: place)
            case .routeAppend: try declare(RouteRequest.parse(words, .add, family: .unspecified, devices: resolver), at: place, appending: true)
            case .nexthopAdd: try declare(NexthopRequest.parse(words, .add, family: .unspecified, devices: resolver))
            case .ruleAdd: try declare(RuleRequest.parse(words, .add, family: .unspecified))
            case .keepaliveWatch: try declareKeepalive(words)
            }
        }
    }

    /// Reads a `route add` line's route, read from its bytes (`RouteRequest.CommonAddReader`).
    /// A file of many routes hands over as many: each is moved into the state, not
    /// copied (a route is a large value).
    public func read(routeAdd route: consuming Route, at place: DeclarationPlace) throws(DeclarationError) {
        do {
            try declare(consume route, at: place)
        } catch {
            throw Self.refusal(error, at: place)
        }
    }

    /// Runs `body` on a declaration from `place`; what it refuses is refused at `place`.
    private func reading(at place: DeclarationPlace, _ body: () throws -> Void) throws(DeclarationError) {
        self.place = place
        do {
            try body()
        } catch {
            throw Self.refusal(error, at: place)
        }
    }

    private static func refusal(_ error: any Error, at place: DeclarationPlace) -> DeclarationError {
        switch error {
        case let error as DeclarationError: error
        case let error as InvalidArgument: DeclarationError(place, error.message)
        default: DeclarationError(place, "\(error)")
        }
    }

    /// Ends the reading: every device named is on the system or declared, and the
    /// GRE rules hold. Returns the state and the warnings.
    public func finish() throws(DeclarationError) -> (NetworkState, [ApplyWarning]) {
        for (name, place) in referenced where !linkCreated.contains(name) {
            throw DeclarationError(place, "cannot find device \"\(name)\": it is not on this system and the file does not make it")
        }
        for link in declared.links where link.options == nil && !devices.exists(link.name) && !linkCreated.contains(link.name) {
            throw DeclarationError(linkPlaces[link.name] ?? place, "cannot find device \"\(link.name)\": it is not on this system and the file does not make it")
        }
        for stanza in declared.keepalives where !(declared.link(named: stanza.tunnel)?.options is GreOptions) {
            throw DeclarationError(placeOfKey[stanza.tunnel] ?? place,
                                   "a keepalive stanza needs a tunnel the file makes; \(stanza.tunnel) is not one")
        }
        let warnings = try TunnelRules.check(declared.links, places: linkPlaces.mapValues(\.description), devices: devices)
        return (state, warnings)
    }

    // MARK: Links

    /// Names on the file's lines: live devices by their index, others by an index of
    /// their own until the end shows whether the file makes them.
    private var resolver: Resolver { Resolver(reader: self) }

    struct Resolver: InterfaceResolver {
        let reader: DeclarationReader
        func index(of name: String) throws -> Int32 {
            if let index = try? reader.devices.index(of: name) { return index }
            reader.devices.declare(name)
            reader.referenced.append((name, reader.place))
            return try reader.devices.index(of: name)
        }
        func name(of index: Int32) -> String? { reader.devices.name(of: index) }
    }

    private func declareLink(_ request: LinkRequest) throws {
        let name = request.name.value
        try refuseUnmanaged(request)
        var link = declared.link(named: name) ?? LinkState(name: name)
        if let options = request.options {
            let unmanaged = type(of: options).unmanagedWords
            if let word = request.kindWords.first(where: unmanaged.contains) {
                throw InvalidArgument("apply does not manage \"\(word)\" of \(options.kind) links: the kernel's state does not show what it sets")
            }
            if linkCreated.contains(name) {
                throw InvalidArgument("\(name) is made twice (first at \(linkPlaces[name]?.description ?? "?"))")
            }
            link.options = options
            linkCreated.insert(name)
            devices.declare(name)
            // A veth pair is made with its peer.
            if let peer = (options as? VethOptions)?.peerName?.value {
                linkCreated.insert(peer)
                devices.declare(peer)
            }
        }
        try declareAttributes(of: &link, request)
        // The words after a veth's `peer` are the peer's: what apply manages of them is
        // declared of the peer, as its own `link set` line would (the rest is refused).
        if let peer = (request.options as? VethOptions)?.peer, let peerName = peer.givenName?.value {
            try refuseUnmanaged(peer)
            guard peer.mtu != nil || peer.txqlen != nil || !peer.setFlags.union(peer.clearFlags).isEmpty else { return }
            var peerLink = declared.link(named: peerName) ?? LinkState(name: peerName)
            try declareAttributes(of: &peerLink, peer)
        }
    }

    /// Merges the attributes a link's words give (mtu, txqueuelen, up or down) into
    /// its declaration, and keeps it.
    private func declareAttributes(of link: inout LinkState, _ request: LinkRequest) throws {
        let name = link.name
        try merge(&link.mtu, request.mtu, "mtu", of: name)
        try merge(&link.txqlen, request.txqlen, "txqueuelen", of: name)
        let up: Bool? = request.setFlags.contains(.up) ? true : request.clearFlags.contains(.up) ? false : nil
        try merge(&link.up, up, "up/down", of: name)
        if let index = declared.links.firstIndex(where: { $0.name == name }) {
            declared.links[index] = link
        } else {
            declared.links.append(link)
            linkPlaces[name] = place
        }
    }

    /// A value given twice must be the same.
    private func merge<Value: Equatable>(_ current: inout Value?, _ new: Value?, _ what: String, of name: String) throws {
        guard let new else { return }
        if let current, current != new { throw InvalidArgument("\(name)'s \(what) is declared twice, differently") }
        current = new
    }

    /// apply manages a link's kind options, up, mtu and txqueuelen: other words would
    /// be set once and never compared again.
    private func refuseUnmanaged(_ request: LinkRequest) throws {
        let unmanaged: [(Bool, String)] = [
            (request.newName != nil, "name"), (request.address != nil, "address"), (request.broadcast != nil, "broadcast"),
            (request.numTxQueues != nil || request.numRxQueues != nil, "numtxqueues/numrxqueues"),
            (request.alias != nil, "alias (apply tags the links it makes with it)"), (request.group != nil, "group"),
            (request.parent != nil, "link"), (request.master != nil, "master"), (request.namespace != nil, "netns"),
            (!request.setFlags.union(request.clearFlags).subtracting(.up).isEmpty, "arp/multicast/allmulticast/promisc"),
        ]
        if let word = unmanaged.first(where: \.0)?.1 {
            throw InvalidArgument("apply manages a link's kind options, up, mtu and txqueuelen; \(word) is not one of them")
        }
    }

    // MARK: Addresses, routes, nexthops, rules

    private func declare(_ address: Address) throws {
        if let lifetime = address.lifetime, lifetime.valid != Address.Lifetime.forever || lifetime.preferred != Address.Lifetime.forever {
            throw InvalidArgument("valid_lft/preferred_lft: apply declares lasting state; an address whose lifetime runs out cannot be kept so")
        }
        var address = address
        address.protocolID = try ownProtocol(address.protocolID.map { RouteProtocol(rawValue: $0.rawValue) }, unset: nil).map {
            AddressProtocol(rawValue: $0.rawValue)
        }
        try claim(address.identityWords(devices).joined(separator: " "), for: "address")
        declared.addresses.append(address)
    }

    private func declare(_ route: consuming Route, at place: DeclarationPlace, appending: Bool = false) throws {
        // What the kernel does not keep of an IPv4 or IPv6 route could never be found
        // again: the plan would change the route on every run.
        if route.hasOpaque(.expires) {
            throw InvalidArgument("expires: apply declares lasting state; a route that expires cannot be kept so")
        }
        if route.hasOpaque(.ttlPropagate) {
            throw InvalidArgument("ttl-propagate: the kernel keeps it on MPLS routes only; an IPv4 or IPv6 route drops it")
        }
        // `route add` gives boot when told nothing.
        route.protocolID = try ownProtocol(route.protocolID, unset: .boot)!
        if appending {
            try routes.append(further: route, at: place)
        } else {
            try routes.append(route, at: place)
        }
    }

    private func declare(_ nexthop: NexthopObject) throws {
        guard nexthop.id != 0 else { throw InvalidArgument("nexthop add: apply needs an \"id\" to find the nexthop again") }
        var nexthop = nexthop
        nexthop.protocolID = try ownProtocol(nexthop.protocolID, unset: .unspecified)!
        try claim("nexthop id \(nexthop.id)", for: "nexthop")
        declared.nexthops.append(nexthop)
    }

    private func declare(_ rule: Rule) throws {
        var rule = rule
        rule.protocolID = try ownProtocol(rule.protocolID, unset: nil)
        try claim(rule.words(ownership: false).joined(separator: " "), for: "rule")
        declared.rules.append(rule)
    }

    /// The owner's protocol: a file may name it, or none (`unset` is the grammar's
    /// value when none is given), but no other.
    private func ownProtocol(_ given: RouteProtocol?, unset: RouteProtocol?) throws -> RouteProtocol? {
        if let given, given != unset, given != owner.protocolID {
            throw InvalidArgument("protocol \(given.name) is not this file's owner (\(owner.name)): apply marks what it makes with its owner's protocol")
        }
        return owner.protocolID
    }

    /// An object declared twice is refused, naming where first.
    private func claim(_ key: String, for object: String) throws {
        if let first = placeOfKey[key] { throw InvalidArgument("\(object) \(key) is declared twice (first at \(first))") }
        placeOfKey[key] = place
    }

    // MARK: Keepalive stanzas

    private func declareKeepalive(_ words: [String]) throws {
        // A stanza is one line of the keepalive service's file: the watcher's own
        // options (-f, metrics-file) and the command line's output options are refused.
        let (subject, _) = try KeepaliveWatchRequest.parseLine(words, defaults: KeepaliveWatchRequest()) { word throws(InvalidArgument) in
            guard word.hasPrefix("-") else { return false }
            throw InvalidArgument("a keepalive stanza takes no output options (\(word))")
        }
        guard case .tunnel(let name) = subject else {
            throw InvalidArgument("a keepalive stanza watches one tunnel the file makes, by name")
        }
        // The file's lines are read as a batch's: a # ends one wherever it is, and a
        // word is quoted with one kind of quote.
        for word in words where word.contains("#") || word.contains("\n") || word.contains("\"") && word.contains("'") {
            throw InvalidArgument("keepalive stanza for \(name.value): \"\(word)\" cannot be a word of the keepalive service's file (a # starts a comment there, a newline ends the line, and a word takes one kind of quote)")
        }
        try claim(name.value, for: "keepalive stanza for")
        var rest = words
        rest.remove(at: rest.firstIndex(of: name.value)!)
        declared.keepalives.append(KeepaliveStanza(tunnel: name.value, words: rest))
    }
}
