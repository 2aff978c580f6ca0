import CMnl
import Netlink

/// What `link add` or `link set|change` asks for, parsed from iproute2's words.
///
/// The generic words come first; `type KIND` hands every word after it to the
/// kind's module. For a change, the module starts from the link's current
/// options, so only the options named change: the kernel rebuilds a tunnel's
/// parameters from the request and would reset whatever it leaves out.
public struct LinkRequest: Sendable {
    public enum Mode: Sendable { case create, modify }

    public let mode: Mode
    /// Set by `parse`, which refuses words that name no device (but for a change of a
    /// group's links).
    private var device: InterfaceName?
    /// The new link's name (create) or the existing link's name (modify).
    public var name: InterfaceName { device! }
    /// The name, when the words gave one (a veth's peer may have none).
    public var givenName: InterfaceName? { device }
    /// `link set group GROUP ...` without a device: the change is to every link of the group.
    public var changesGroup: Bool { mode == .modify && device == nil }
    public var newName: InterfaceName?
    /// Kind options; for a change, present only when kind words were given.
    public var options: (any LinkKindOptions)?
    /// The kind's words given, by the names of their grammar rows, in order.
    public var kindWords: [String] = []
    public var mtu: UInt32?
    public var txqlen: UInt32?
    public var address: [UInt8]?
    public var broadcast: [UInt8]?
    public var numTxQueues: UInt32?
    public var numRxQueues: UInt32?
    public var alias: String?
    public var group: UInt32?
    /// `link DEV`: the device this one sits on.
    public var parent: Int32?
    /// `master DEV` (an index) or `nomaster` (0).
    public var master: Int32?
    public var namespace: NamespaceReference?
    public var setFlags: InterfaceFlags = []
    public var clearFlags: InterfaceFlags = []
    /// `index N`: the new link's index (or, moved to another namespace, its index there).
    public var requestedIndex: Int32?
    public var carrier: Bool?
    public var linkMode: LinkMode?
    public var operationalState: OperationalState?
    public var addressGenerationMode: AddressGenerationMode?
    public var protoDown: Bool?
    public var gsoMaxSize: UInt32?
    public var gsoMaxSegments: UInt32?
    public var groMaxSize: UInt32?

    init(mode: Mode) { self.mode = mode }

    /// A request that sets only kind options (what `tunnel add|change` sends).
    public init(mode: Mode, name: InterfaceName, options: any LinkKindOptions) {
        self.mode = mode
        device = name
        self.options = options
    }

    enum Word: Sendable {
        case device, name, type, up, down, mtu, txqlen, address, broadcast, numTxQueues, numRxQueues
        case alias, group, parent, master, noMaster, netns, arp, multicast, allMulticast, promiscuous
        case trailers, carrier, dynamic, linkMode, operationalState, addressGenerationMode, protoDown
        case gsoMaxSize, gsoMaxSegments, groMaxSize, index, xdp
    }

    /// The words before (and, see `afterKind`, after) a kind's own, in iproute2's
    /// order (iplink_parse). The rows iproute2 refuses twice (`duparg`) are given once.
    static let grammar = KeywordTable<Word>([
        Keyword(.device, .abbreviable("dev"), value: "NAME", repeatable: false),
        Keyword(.name, .abbreviable("name"), value: "NAME", repeatable: false),
        // The words after it are the kind's (see `afterKind`): it cannot come twice.
        Keyword(.type, .abbreviable("type"), value: "TYPE"),
        Keyword(.up, "up"), Keyword(.down, "down"),
        Keyword(.mtu, .abbreviable("mtu"), value: "MTU", repeatable: false),
        Keyword(.txqlen, .abbreviable("txqueuelen"), .abbreviable("qlen"), .abbreviable("txqlen"), value: "PACKETS", repeatable: false),
        Keyword(.address, .abbreviable("address"), value: "LLADDR"),
        Keyword(.broadcast, .abbreviable("broadcast"), .abbreviable("brd"), value: "LLADDR"),
        Keyword(.numTxQueues, "numtxqueues", value: "QUEUES", repeatable: false),
        Keyword(.numRxQueues, "numrxqueues", value: "QUEUES", repeatable: false),
        Keyword(.alias, "alias", value: "NAME"),
        Keyword(.group, "group", value: "GROUP", repeatable: false),
        Keyword(.parent, "link", value: "DEVICE"),
        Keyword(.master, "master", value: "DEVICE"), Keyword(.noMaster, "nomaster"),
        Keyword(.netns, "netns", value: "{ PID | NAME }", repeatable: false),
        Keyword(.arp, "arp", value: "{ on | off }"), Keyword(.multicast, "multicast", value: "{ on | off }"),
        Keyword(.allMulticast, "allmulticast", value: "{ on | off }"), Keyword(.promiscuous, "promisc", value: "{ on | off }"),
        Keyword(.trailers, "trailers", value: "{ on | off }"), Keyword(.carrier, "carrier", value: "{ on | off }"),
        Keyword(.dynamic, .abbreviable("dynamic"), value: "{ on | off }"),
        Keyword(.linkMode, "mode", value: "{ default | dormant | testing }"),
        Keyword(.operationalState, "state", value: "STATE"),
        Keyword(.addressGenerationMode, .abbreviable("addrgenmode"), value: "{ eui64 | none | stable_secret | random }"),
        Keyword(.protoDown, "protodown", value: "{ on | off }"),
        Keyword(.gsoMaxSize, "gso_max_size", value: "BYTES"), Keyword(.gsoMaxSegments, "gso_max_segs", value: "PACKETS"),
        Keyword(.groMaxSize, "gro_max_size", value: "BYTES"),
        Keyword(.index, "index", value: "IDX", repeatable: false),
        // gretool attaches no BPF programs: the words are refused by name.
        Keyword(.xdp, "xdp", "xdpgeneric", "xdpdrv", "xdpoffload", value: "{ off | object FILE ... }"),
    ])

    public static var keywords: [String] { grammar.spellings }

    /// Parses `link add` words (mode .create) or `link set|change` words (.modify).
    /// `current` returns the existing link for a change, so kind words merge into it.
    /// With `groupChanges`, a change without a device that names a group is one of
    /// every link of the group (`changesGroup`).
    public static func parse(
        _ arguments: [String], mode: Mode, devices: any InterfaceResolver, groupChanges: Bool = false,
        current: (InterfaceName) throws -> Link
    ) throws -> LinkRequest {
        let verb = mode == .create ? "link add" : "link set"
        var words = WordScanner(arguments)
        var request = LinkRequest(mode: mode)
        var options: (any LinkKindOptions)?

        while let word = words.next() {
            if var kindOptions = options {
                // After `type KIND` the kind's words come first; generic words that
                // cannot be mistaken for a kind's (mtu, up, txqueuelen...) follow them.
                words.allowsAbbreviations = true
                let row = type(of: kindOptions).rowName(of: word, in: words)
                if try kindOptions.apply(word, &words, devices) {
                    options = kindOptions
                    if let row { request.kindWords.append(row) }
                    continue
                }
                guard let generic = grammar.lookup(word, in: words), afterKind.contains(generic.keyword),
                      let entry = try words.keyword(word, in: grammar) else {
                    throw InvalidArgument.unknownWord(word, in: "\(kindOptions.kind) options")
                }
                try request.apply(entry, words.value(of: entry), devices: devices, verb: verb)
                continue
            }
            // Until the device is named, only whole keywords count: iproute2 reads
            // "link add t type veth" as txqueuelen, gretool makes a link called t.
            words.allowsAbbreviations = request.device != nil
            guard let entry = try words.keyword(word, in: grammar) else {
                // A bare word names the device, as in iproute2.
                guard request.device == nil else { throw InvalidArgument.unknownWord(word, in: verb) }
                request.device = try InterfaceName(word)
                continue
            }
            if entry.keyword == .type {
                options = try kindOptions(words.value(of: entry), for: request, current: current)
            } else {
                try request.apply(entry, words.value(of: entry), devices: devices, verb: verb)
            }
        }

        // As iproute2: without a device, a change's group names the links it changes.
        guard request.device != nil || (groupChanges && mode == .modify && request.group != nil && options == nil) else {
            throw InvalidArgument("\(verb): no device name given")
        }
        if mode == .modify, request.requestedIndex != nil, request.namespace == nil {
            throw InvalidArgument("\(verb): \"index\" can be given only when a link is created or moved to another namespace")
        }
        if var kindOptions = options {
            try kindOptions.finish()
            request.options = kindOptions
        } else if mode == .create {
            throw InvalidArgument("link add: no \"type\" given; known types: \(LinkKinds.allKinds.joined(separator: ", "))")
        }
        return request
    }

    /// The words after a veth's `peer`: a link's own words, which iproute2 reads with
    /// iplink_parse (a bare word names the peer; no kind), on a scanner of their own,
    /// so the peer's mtu is not the link's mtu given twice.
    static func parsePeer(_ arguments: [String], devices: any InterfaceResolver) throws -> LinkRequest {
        var words = WordScanner(arguments)
        var request = LinkRequest(mode: .create)
        while let word = words.next() {
            words.allowsAbbreviations = request.device != nil
            guard let entry = try words.keyword(word, in: grammar), entry.keyword != .type else {
                guard request.device == nil, grammar.lookup(word, in: words) == nil else {
                    throw InvalidArgument.unknownWord(word, in: "veth peer")
                }
                request.device = try InterfaceName(word)
                continue
            }
            try request.apply(entry, words.value(of: entry), devices: devices, verb: "veth peer")
        }
        return request
    }

    /// Generic words accepted after a kind's words.
    static let afterKind: Set<Word> = [
        .up, .down, .mtu, .txqlen, .address, .broadcast, .numTxQueues, .numRxQueues, .alias, .group,
        .master, .noMaster, .netns, .arp, .multicast, .allMulticast, .promiscuous,
    ]

    /// The options `type KIND` starts from: a new link's defaults, or, for a change,
    /// the link's current options (the kind cannot change).
    private static func kindOptions(
        _ kind: String, for request: LinkRequest, current: (InterfaceName) throws -> Link
    ) throws -> any LinkKindOptions {
        if request.mode == .create { return try LinkKinds.newOptions(kind: kind) }
        guard let name = request.device else { throw InvalidArgument("link set: name the device before \"type\"") }
        let link = try current(name)
        guard link.kind == kind else {
            throw InvalidArgument("\(name) is a \(link.kind ?? "plain") link; its type cannot change to \(kind)")
        }
        guard let existing = link.options else { throw InvalidArgument("changing the options of \(kind) links is not supported") }
        return existing
    }

    /// Applies one generic word and its value.
    private mutating func apply(
        _ entry: KeywordTable<Word>.Entry, _ text: String, devices: any InterfaceResolver, verb: String
    ) throws {
        let spelling = entry.spelling
        switch entry.keyword {
        case .device:
            // A bare word may have named it already (iproute2's duparg2).
            guard device == nil else { throw InvalidArgument("\(verb): the device is named twice") }
            device = try InterfaceName(text)
        case .name:
            let value = try InterfaceName(text)
            if mode == .create {
                guard device == nil else { throw InvalidArgument("\(verb): the device is named twice") }
                device = value
            } else {
                newName = value
            }
        case .type:
            preconditionFailure("parse reads \"type\" itself")
        case .up:
            setFlags.insert(.up); clearFlags.remove(.up)
        case .down:
            clearFlags.insert(.up); setFlags.remove(.up)
        case .mtu:
            mtu = try Parse.unsigned(text, UInt32.self, for: "mtu", in: 68...65535)
        case .txqlen:
            txqlen = try Parse.unsigned(text, UInt32.self, for: spelling)
        case .address, .broadcast:
            guard let bytes = LinkLayerAddress.parse(text) else {
                throw InvalidArgument.badValue(spelling, text, expected: "a link-layer address like 02:00:00:00:00:01")
            }
            if entry.keyword == .address { address = bytes } else { broadcast = bytes }
        case .numTxQueues, .numRxQueues:
            guard mode == .create else {
                throw InvalidArgument("\(spelling) can only be given when the link is created")
            }
            let value = try Parse.unsigned(text, UInt32.self, for: spelling, in: 1...4096)
            if entry.keyword == .numTxQueues { numTxQueues = value } else { numRxQueues = value }
        case .alias:
            guard text.utf8.count < 256 else { throw InvalidArgument("alias is longer than 255 bytes") }
            alias = text
        case .group:
            group = try Parse.group(text, for: "group")
        case .parent:
            // The device a link sits on is fixed when it is made (iproute2 ignores the word in a change).
            guard mode == .create else { throw InvalidArgument("\(verb): \"link\" can be given only when a link is created") }
            parent = try devices.index(of: text)
        case .master:
            master = try devices.index(of: text)
        case .noMaster:
            master = 0
        case .netns:
            namespace = try NamespaceReference(text)
        case .arp, .multicast, .allMulticast, .promiscuous, .trailers, .dynamic:
            let on = try Parse.onOff(text, for: spelling)
            let flag: InterfaceFlags = switch entry.keyword {
            case .arp: .noARP
            case .multicast: .multicast
            case .allMulticast: .allMulticast
            case .trailers: .noTrailers
            case .dynamic: .dynamic
            default: .promiscuous
            }
            // "arp on" clears NOARP and "trailers on" NOTRAILERS; the others set their flag.
            if entry.keyword == .arp || entry.keyword == .trailers ? !on : on {
                setFlags.insert(flag); clearFlags.remove(flag)
            } else {
                clearFlags.insert(flag); setFlags.remove(flag)
            }
        case .carrier:
            carrier = try Parse.onOff(text, for: spelling)
        case .protoDown:
            protoDown = try Parse.onOff(text, for: spelling)
        case .linkMode:
            guard let mode = LinkMode(name: text) else {
                throw InvalidArgument.badValue(spelling, text, expected: "default, dormant or testing")
            }
            linkMode = mode
        case .operationalState:
            guard let state = OperationalState(name: text) else {
                throw InvalidArgument.badValue(spelling, text, expected: OperationalState.names.joined(separator: ", "))
            }
            operationalState = state
        case .addressGenerationMode:
            guard let mode = AddressGenerationMode(name: text) else {
                throw InvalidArgument.badValue(spelling, text, expected: "eui64, none, stable_secret or random")
            }
            addressGenerationMode = mode
        case .gsoMaxSize:
            gsoMaxSize = try Parse.unsigned(text, UInt32.self, for: spelling)
        case .gsoMaxSegments:
            // GSO_MAX_SEGS, as iproute2 bounds it.
            gsoMaxSegments = try Parse.unsigned(text, UInt32.self, for: spelling, in: 0...65535)
        case .groMaxSize:
            groMaxSize = try Parse.unsigned(text, UInt32.self, for: spelling)
        case .index:
            requestedIndex = Int32(try Parse.unsigned(text, UInt32.self, for: spelling, in: 1...UInt32(Int32.max)))
        case .xdp:
            throw InvalidArgument("\"\(spelling)\" is not supported: gretool attaches no XDP programs (use ip link set DEV \(spelling) ...)")
        }
    }

    // MARK: Encoding

    /// Writes the RTM_NEWLINK request for this link. `index` is the existing
    /// link's for a change, 0 for a new one.
    public func encode(_ message: MessageWriter, index: Int32) throws {
        try encodeAttributes(message.header(header(index: index), attributes: LinkAttribute.self))
    }

    /// The request's ifinfomsg: the link's index and the flags it sets or clears.
    func header(index: Int32) -> ifinfomsg {
        var header = ifinfomsg()
        header.ifi_index = mode == .create ? requestedIndex ?? index : index
        header.ifi_change = setFlags.union(clearFlags).rawValue
        header.ifi_flags = setFlags.rawValue
        return header
    }

    /// The IFLA_* attributes after the header (for a veth peer, inside VETH_INFO_PEER).
    func encodeAttributes(_ link: AttributeWriter<LinkAttribute>) throws {
        switch mode {
        case .create: if let device { try link.put(.ifname, device.value) }
        case .modify: if let newName { try link.put(.ifname, newName.value) }
        }
        if let mtu { try link.put(.mtu, mtu) }
        if let txqlen { try link.put(.txqlen, txqlen) }
        if let address { try link.put(.address, address) }
        if let broadcast { try link.put(.broadcast, broadcast) }
        if let numTxQueues { try link.put(.numTxQueues, numTxQueues) }
        if let numRxQueues { try link.put(.numRxQueues, numRxQueues) }
        if let alias { try link.put(.ifalias, alias) }
        if let group { try link.put(.group, group) }
        if let parent { try link.put(.link, UInt32(bitPattern: parent)) }
        if let master { try link.put(.master, UInt32(bitPattern: master)) }
        if let namespace { try link.put(.netnsFD, UInt32(bitPattern: namespace.descriptor)) }
        if mode == .modify, let requestedIndex { try link.put(.newIfindex, UInt32(bitPattern: requestedIndex)) }
        if let carrier { try link.put(.carrier, UInt8(carrier ? 1 : 0)) }
        if let linkMode { try link.put(.linkmode, linkMode.rawValue) }
        if let operationalState { try link.put(.operstate, operationalState.rawValue) }
        if let protoDown { try link.put(.protoDown, UInt8(protoDown ? 1 : 0)) }
        if let gsoMaxSize { try link.put(.gsoMaxSize, gsoMaxSize) }
        if let gsoMaxSegments { try link.put(.gsoMaxSegs, gsoMaxSegments) }
        if let groMaxSize { try link.put(.groMaxSize, groMaxSize) }
        if let addressGenerationMode {
            try link.nest(.afSpec, LinkAddressFamilyAttribute.self) { families in
                try families.nest(.inet6, Inet6LinkAttribute.self) { try $0.put(.addressGenerationMode, addressGenerationMode.rawValue) }
            }
        }
        if let options {
            try link.nest(.linkinfo, LinkInfoAttribute.self) { info in
                try info.put(.kind, options.kind)
                try options.encode(info)
            }
        }
    }
}
