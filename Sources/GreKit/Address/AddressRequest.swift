#if canImport(Glibc)
import Glibc
#endif

/// The verbs that change addresses, each with the request iproute2 sends for it.
public enum AddressChange: String, Sendable {
    case add, change, replace, delete

    /// What `add` made (it refuses an existing address) the same description deletes,
    /// and only that: the delete carries the whole key. IPv4: the local address, the
    /// prefix length and the address (or peer) whose subnet an existing one may not
    /// share with the same local; IPv6: the address, unique on its device.
    public var request: ChangeRequest {
        switch self {
        case .add: ChangeRequest(.newAddress, flags: [.create, .exclusive], undo: .resend(as: .deleteAddress))
        case .change: ChangeRequest(.newAddress, flags: .replace)
        case .replace: ChangeRequest(.newAddress, flags: [.create, .replace])
        case .delete: ChangeRequest(.deleteAddress, flags: [])
        }
    }

    /// The request for this verb on `address`. An IPv6 address that expires (a finite
    /// valid lifetime) is added alone: deleting it would leave its prefix route behind
    /// (the kernel keeps the prefix route of an address that is not permanent), so it
    /// cannot be taken back exactly.
    public func request(for address: Address) -> ChangeRequest {
        guard self == .add, address.family == .inet6, let lifetime = address.lifetime,
              lifetime.valid != Address.Lifetime.forever else { return request }
        return ChangeRequest(.newAddress, flags: [.create, .exclusive])
    }
}

/// `address add|change|replace|del` words, as iproute2's ipaddr_modify reads them.
public enum AddressRequest {
    enum Word: Sendable { case peer, broadcast, anycast, scope, device, label, metric, validLifetime, preferredLifetime, protocolID }

    /// iproute2's order (ipaddr_modify); the rows it refuses twice (`duparg`) are
    /// given once.
    static let grammar = KeywordTable<Word>([
        Keyword(.peer, "peer", "remote", value: "PREFIX", repeatable: false),
        Keyword(.broadcast, .abbreviable("broadcast"), "brd", value: "{ ADDRESS | + | - }", repeatable: false),
        Keyword(.anycast, "anycast", value: "ADDRESS", repeatable: false),
        Keyword(.scope, "scope", value: "SCOPE"), Keyword(.device, "dev", value: "NAME"), Keyword(.label, "label", value: "LABEL"),
        Keyword(.metric, .abbreviable("metric"), .abbreviable("priority"), .abbreviable("preference"), value: "NUMBER"),
        Keyword(.validLifetime, .abbreviable("valid_lft"), value: "{ SECONDS | forever }", repeatable: false),
        Keyword(.preferredLifetime, .abbreviable("preferred_lft"), value: "{ SECONDS | forever }", repeatable: false),
        Keyword(.protocolID, "proto", value: "NUMBER", repeatable: false),
    ])

    public static var keywords: [String] { grammar.spellings + ["local"] + AddressFlags.words.filter(\.settable).map(\.name) }

    public static func parse(
        _ arguments: [String], _ change: AddressChange, family: AddressFamily, devices: any InterfaceResolver
    ) throws -> Address {
        let verb = "address \(change.rawValue)"
        var words = WordScanner(arguments)
        var local: (prefix: IPPrefix, lengthGiven: Bool, word: String)?
        var peer: (prefix: IPPrefix, word: String)?
        var broadcast: (value: IPAddress?, word: String)?
        var anycast: (IPAddress, String)?
        var scope: RouteScope?
        var device: String?
        var label: String?
        var metric: UInt32?
        var valid: UInt32?
        var preferred: UInt32?
        var flags: AddressFlags = []
        var protocolID: AddressProtocol?

        while let word = words.next() {
            if let flag = AddressFlags.words.first(where: { $0.name == word }) {
                guard flag.settable else { throw InvalidArgument("\(verb): \"\(word)\" is a state the kernel sets, not an option") }
                flags.insert(flag.flag)
                continue
            }
            guard let entry = try words.keyword(word, in: grammar) else {
                let value = word == "local" ? try words.value(for: "local") : word
                guard local == nil else { throw InvalidArgument.unknownWord(value, in: verb) }
                local = (try Parse.anyPrefix(value, for: "address"), value.contains("/"), value)
                continue
            }
            let value = try words.value(of: entry)
            switch entry.keyword {
            case .peer:
                peer = (try Parse.anyPrefix(value, for: "peer"), value)
            case .broadcast:
                broadcast = (value == "+" || value == "-" ? nil : try Parse.address(value, for: "broadcast"), value)
            case .anycast:
                anycast = (try Parse.address(value, for: "anycast"), value)
            case .scope: scope = try Parse.name(value, in: RouteNames.scopes, for: "scope")
            case .device: device = try InterfaceName(value).value
            case .label: label = value
            case .metric: metric = try Parse.unsigned(value, UInt32.self, for: "metric")
            case .validLifetime: valid = try lifetime(value, for: "valid_lft")
            case .preferredLifetime: preferred = try lifetime(value, for: "preferred_lft")
            case .protocolID:
                // iproute2 names these in rt_addrprotos; gretool takes the number.
                protocolID = AddressProtocol(rawValue: try Parse.unsigned(value, UInt8.self, for: "proto"))
            }
        }

        guard let device else { throw InvalidArgument("\(verb): \"dev\" is required") }
        guard let local else { throw InvalidArgument("\(verb): no address given") }
        var family = family == .unspecified ? local.prefix.family : family
        if family == .unspecified { family = .inet }
        func check(_ address: IPAddress, _ keyword: String, _ word: String) throws {
            guard address.family == family else {
                throw InvalidArgument("\(keyword) \(word) is \(address.family.label), but the address is \(family.label)")
            }
        }
        try check(local.prefix.address, "address", local.word)
        if let peer { try check(peer.prefix.address, "peer", peer.word) }
        if let (address, word) = anycast { try check(address, "anycast", word) }
        if let value = broadcast?.value { try check(value, "broadcast", broadcast!.word) }
        for flag in AddressFlags.words where flags.contains(flag.flag) && flag.ipv6Only && family != .inet6 {
            throw InvalidArgument("\(verb): \(flag.name) applies to IPv6 addresses only")
        }

        var address = Address(family: family, prefixLength: local.prefix.length, interface: 0)
        address.local = local.prefix.address
        if let peer {
            address.address = peer.prefix.address
            address.prefixLength = peer.prefix.length
        } else if change != .delete || family != .inet || local.lengthGiven {
            // Without a length, an IPv4 delete matches the address whatever its prefix.
            address.address = local.prefix.address
        }
        address.flags = flags
        address.label = label
        address.metric = metric
        address.protocolID = protocolID
        address.anycast = anycast?.0
        if let broadcast {
            if let value = broadcast.value {
                address.broadcast = value
            } else if change != .delete {
                guard family == .inet else { throw InvalidArgument("\(verb): a broadcast address is IPv4 only") }
                address.broadcast = computedBroadcast(peer?.prefix ?? local.prefix, allOnes: broadcast.word == "+")
            }
        }
        if change != .delete {
            // Loopback addresses are host-scoped unless told otherwise, as iproute2 has it.
            let loopback: Bool = if case .v4(let v4) = local.prefix.address { v4.isLoopback } else { false }
            address.scope = scope ?? (loopback ? .host : .universe)
        } else {
            address.scope = scope ?? .universe
        }
        if valid != nil || preferred != nil {
            let lifetime = Address.Lifetime(preferred: preferred ?? Address.Lifetime.forever, valid: valid ?? Address.Lifetime.forever)
            guard lifetime.valid != 0 else { throw InvalidArgument("\(verb): valid_lft is zero") }
            guard lifetime.valid >= lifetime.preferred else { throw InvalidArgument("\(verb): preferred_lft is greater than valid_lft") }
            address.lifetime = lifetime
        }
        if flags.contains(.multicastAutoJoin), !local.prefix.address.isMulticast {
            throw InvalidArgument("\(verb): autojoin needs a multicast address")
        }
        address.interface = try devices.index(of: device)
        return address
    }

    /// "forever" or seconds.
    private static func lifetime(_ text: String, for keyword: String) throws(InvalidArgument) -> UInt32 {
        text == "forever" ? Address.Lifetime.forever : try Parse.unsigned(text, UInt32.self, for: keyword)
    }

    /// `brd +` sets the host bits, `brd -` clears them; for prefixes of 31 and 32 bits there is none.
    private static func computedBroadcast(_ prefix: IPPrefix, allOnes: Bool) -> IPAddress? {
        guard case .v4(let address) = prefix.address, prefix.length <= 30 else { return nil }
        let host = UInt32.max >> UInt32(prefix.length)
        return .v4(IPv4Address(allOnes ? address.value | host : address.value & ~host))
    }
}

/// Which addresses `address show` and `address flush` mean (iproute2's filter words).
public struct AddressSelector: Sendable {
    public var device: String?
    public var prefix: IPPrefix?
    public var scope: RouteScope?
    public var onlyUp = false
    /// A shell pattern (fnmatch) on the label, or on the device name when there is none.
    public var label: String?
    /// Flag bits that must match `flags`, as iproute2's `permanent`, `-secondary`, `primary`...
    public var flagMask: AddressFlags = []
    public var flags: AddressFlags = []
    /// The links whose addresses are meant (`type`, `group`, `master`, `nomaster`).
    public var links = LinkFilter()
    public private(set) var isEmpty = true

    public init() {}

    enum Word: Sendable { case to, scope, up, label, device }

    /// iproute2's words (ipaddr_list_flush_or_save) besides the flag filters.
    static let grammar = KeywordTable<Word>([
        Keyword(.device, "dev", value: "NAME"), Keyword(.to, "to", value: "PREFIX"),
        Keyword(.scope, "scope", value: "{ SCOPE | all }"), Keyword(.up, "up"), Keyword(.label, "label", value: "PATTERN"),
    ])

    public static var keywords: [String] {
        grammar.spellings + LinkFilter.keywords + ["primary", "dynamic"] + AddressFlags.words.map(\.name)
    }

    public static func parse(_ arguments: [String], verb: String) throws -> AddressSelector {
        var words = WordScanner(arguments)
        var selector = AddressSelector()
        selector.isEmpty = arguments.isEmpty
        while let word = words.next() {
            let name: String
            if try selector.links.apply(word, &words) { continue }
            if let entry = try words.keyword(word, in: grammar) {
                let value = try words.value(of: entry)
                switch entry.keyword {
                case .to:
                    selector.prefix = try Parse.anyPrefix(value, for: "to")
                    continue
                case .scope:
                    selector.scope = value == "all" ? nil : try Parse.name(value, in: RouteNames.scopes, for: "scope")
                    continue
                case .up:
                    selector.onlyUp = true
                    continue
                case .label:
                    selector.label = value
                    continue
                case .device:
                    name = value
                }
            } else {
                if selector.flagFilter(word) { continue }
                name = word
            }
            // The device, named by "dev NAME" or alone (iproute2's duparg2 on a second).
            guard selector.device == nil else { throw InvalidArgument.unknownWord(name, in: "address \(verb)") }
            selector.device = try InterfaceName(name).value
        }
        return selector
    }

    /// `[-]FLAG`, `dynamic` (not permanent), `primary` (not secondary).
    private mutating func flagFilter(_ word: String) -> Bool {
        var name = Substring(word)
        var inverted = name.hasPrefix("-")
        if inverted { name = name.dropFirst() }
        if name == "dynamic" { inverted.toggle(); name = "permanent" }
        if name == "primary" { inverted.toggle(); name = "secondary" }
        guard let flag = AddressFlags.words.first(where: { $0.name == name }) else { return false }
        if inverted { flags.remove(flag.flag) } else { flags.insert(flag.flag) }
        flagMask.insert(flag.flag)
        return true
    }

    /// Everything but the device (which the dump asks the kernel for). The device's
    /// name is asked for only when a label pattern meets an address without a label.
    public func matches(_ address: Address, family: AddressFamily, deviceName: @autoclosure () -> String?) -> Bool {
        if family != .unspecified, address.family != family { return false }
        if let scope, address.scope != scope { return false }
        if !flags.symmetricDifference(address.flags).isDisjoint(with: flagMask) { return false }
        if let label, !Self.matches(pattern: label, address.label ?? deviceName() ?? "") { return false }
        if let prefix {
            guard let primary = address.primary, prefix.contains(primary) else { return false }
        }
        return true
    }

    private static func matches(pattern: String, _ text: String) -> Bool {
        fnmatch(pattern, text, 0) == 0
    }
}
