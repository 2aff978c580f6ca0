import Netlink

/// What a keepalive verb is pointed at: a tunnel device by name, or an explicit
/// target (`local A remote B [key K]`) that needs no device at all.
public enum KeepaliveSubject: Hashable, Sendable {
    case tunnel(InterfaceName)
    case explicit(KeepaliveTarget)
    /// An explicit target that stands for a device (`tunnel DEV`): keepalives go to the
    /// target, the action takes the device's routes (or link). For a tunnel gretool
    /// cannot read its endpoints from, or a stand-in on a host without GRE.
    case explicitFor(KeepaliveTarget, tunnel: InterfaceName)

    /// How output names it: the tunnel's name, or the explicit target's remote
    /// address, with `#KEY` when keyed.
    public var name: String {
        switch self {
        case .tunnel(let name), .explicitFor(_, tunnel: let name): name.value
        case .explicit(let target):
            target.remote.description + (target.inputFlags.contains(.key) ? "#\(target.inputKey)" : "")
        }
    }

    /// The explicit target, if it is one.
    public var target: KeepaliveTarget? {
        switch self {
        case .tunnel: nil
        case .explicit(let target), .explicitFor(let target, _): target
        }
    }

    /// The device the action takes from, if any.
    public var device: InterfaceName? {
        switch self {
        case .tunnel(let name), .explicitFor(_, tunnel: let name): name
        case .explicit: nil
        }
    }
}

/// `keepalive watch` words: targets and how to watch them, and options of the
/// watcher as a whole (`-f`, `metrics-file`). A line of a configuration file (`-f`)
/// takes the same words as the command line, for one target and without the
/// watcher's options; what the command line gives is its default.
public struct KeepaliveWatchRequest: Equatable, Sendable {
    public var subjects: [KeepaliveSubject] = []
    public var timing = KeepaliveTiming.cisco
    public var action = KeepaliveWatcher.Action.routes
    /// What action penalize adds to the metric of the tunnel's routes.
    public var penalty: UInt32 = 0
    public var onDown: String?
    public var onUp: String?
    /// Ping this address through the tunnel instead of sending GRE keepalives.
    public var echo: IPAddress?
    /// The configuration file: one target a line, read again on SIGHUP.
    public var file: String?
    /// Where to write the Prometheus metrics.
    public var metricsFile: String?

    /// No target, the defaults: what a line of a file is read over when no command line gives more.
    public init() {}

    public static let minimumInterval: Int64 = KeepaliveTiming.nanosecondsPerSecond / 10
    /// Cisco's ranges: 1..32767 s and 1..255 retries; intervals here go down to 0.1 s.
    public static let maximumInterval: Int64 = 32767 * KeepaliveTiming.nanosecondsPerSecond
    public static let retries: ClosedRange<UInt8> = 1...255
    public static let upAfter: ClosedRange<UInt8> = 1...255
    /// A day at most: longer is not a hold-down but an outage.
    public static let maximumHoldDown: Int64 = 86400 * KeepaliveTiming.nanosecondsPerSecond

    /// How the targets of this request are watched.
    public var settings: KeepaliveWatcher.Settings {
        KeepaliveWatcher.Settings(timing: timing, action: action, penalty: penalty, onDown: onDown, onUp: onUp, echo: echo)
    }

    enum Word: Sendable { case interval, retries, upAfter, holdDown, icmp, action, onDown, onUp, file, metricsFile }

    /// gretool's own words (no iproute2 counterpart), each a setting given once.
    static let grammar = KeywordTable<Word>([
        Keyword(.interval, "interval", value: "SECONDS", repeatable: false),
        Keyword(.retries, "retries", value: "1..255", repeatable: false),
        Keyword(.upAfter, "up-after", value: "1..255", repeatable: false),
        Keyword(.holdDown, "hold-down", value: "SECONDS", repeatable: false),
        Keyword(.icmp, "icmp", value: "ADDRESS", repeatable: false),
        Keyword(.action, "action", value: "{ routes | link | penalize METRIC | none }", repeatable: false),
        Keyword(.onDown, "on-down", value: "COMMAND", repeatable: false),
        Keyword(.onUp, "on-up", value: "COMMAND", repeatable: false),
        Keyword(.file, "-f", value: "FILE", repeatable: false),
        Keyword(.metricsFile, "metrics-file", value: "PATH", repeatable: false),
    ])

    public static func parse(_ arguments: [String], callerWords: CallerWords = { _ in false }) throws(InvalidArgument) -> KeepaliveWatchRequest {
        var request = KeepaliveWatchRequest()
        try request.read(arguments, verb: "keepalive watch", asFileLine: false, callerWords: callerWords)
        return request
    }

    /// One line of a configuration file, its words over `defaults` (the command
    /// line's): the target it names and how to watch it.
    public static func parseLine(_ arguments: [String], defaults: KeepaliveWatchRequest, callerWords: CallerWords = { _ in false })
        throws(InvalidArgument) -> (subject: KeepaliveSubject, settings: KeepaliveWatcher.Settings) {
        var request = defaults
        request.subjects = []
        request.file = nil
        try request.read(arguments, verb: "a target line", asFileLine: true, callerWords: callerWords)
        guard request.subjects.count == 1 else {
            throw InvalidArgument("one target a line (this one names \(request.subjects.count))")
        }
        return (request.subjects[0], request.settings)
    }

    private mutating func read(_ arguments: [String], verb: String, asFileLine: Bool, callerWords: CallerWords) throws(InvalidArgument) {
        var targets = SubjectWords(verb: verb, takesTunnel: true)
        var actionGiven = false
        var words = WordScanner(arguments, allowsAbbreviations: false)
        while let word = words.next() {
            if try targets.take(word, &words) { continue }
            guard let entry = try words.keyword(word, in: Self.grammar) else {
                if try callerWords(word) { continue }
                try targets.name(word)
                continue
            }
            if asFileLine, [.file, .metricsFile].contains(entry.keyword) {
                throw InvalidArgument("\(word) is an option of the command line, not of a target")
            }
            let text = try words.value(of: entry)
            switch entry.keyword {
            case .interval:
                timing.interval = try Seconds.parse(text, for: "interval", in: Self.minimumInterval...Self.maximumInterval)
            case .retries:
                timing.retries = Int(try Parse.unsigned(text, UInt8.self, for: "retries", in: Self.retries))
            case .upAfter:
                timing.upAfter = Int(try Parse.unsigned(text, UInt8.self, for: "up-after", in: Self.upAfter))
            case .holdDown:
                timing.holdDown = try Seconds.parse(text, for: "hold-down", in: 0...Self.maximumHoldDown)
            case .icmp: echo = try Parse.address(text, for: "icmp")
            case .action:
                guard let action = KeepaliveWatcher.Action(rawValue: text) else {
                    throw .badValue("action", text, expected: "routes, link, penalize METRIC or none")
                }
                self.action = action
                if action == .penalize {
                    penalty = try Parse.unsigned(words.value(for: "penalize"), UInt32.self, for: "penalize", in: 1...UInt32.max)
                }
                actionGiven = true
            case .onDown: onDown = text
            case .onUp: onUp = text
            case .file: file = text
            case .metricsFile: metricsFile = text
            }
        }
        subjects = try targets.finish(allowingNone: file != nil)
        if echo != nil, subjects.contains(where: { $0.device == nil }) {
            throw InvalidArgument("icmp needs tunnel names: echo requests go out through the tunnel's device")
        }
        if actionGiven, action != .none, !subjects.isEmpty, !subjects.contains(where: { $0.device != nil }) {
            throw InvalidArgument("action \(action.rawValue) needs tunnel names: explicit targets are watched with action none, unless they name one (tunnel DEV)")
        }
        let devices = subjects.compactMap(\.device)
        if let twice = devices.first(where: { device in devices.filter { $0 == device }.count > 1 }) {
            throw InvalidArgument("\(verb): \(twice) is named twice")
        }
    }

    public static var keywords: [String] { grammar.spellings + SubjectWords.watchGrammar.spellings }
}

/// `keepalive probe` words.
public struct KeepaliveProbeRequest: Equatable, Sendable {
    public var subject: KeepaliveSubject
    public var count: Int
    public var timeout: Int64

    public static func parse(_ arguments: [String], callerWords: CallerWords = { _ in false }) throws(InvalidArgument) -> KeepaliveProbeRequest {
        var targets = SubjectWords(verb: "keepalive probe")
        var count = 3
        var timeout = 3 * KeepaliveTiming.nanosecondsPerSecond
        var words = WordScanner(arguments, allowsAbbreviations: false)
        while let word = words.next() {
            if try targets.take(word, &words) { continue }
            guard let entry = try words.keyword(word, in: grammar) else {
                if try callerWords(word) { continue }
                try targets.name(word)
                continue
            }
            switch entry.keyword {
            case .count: count = Int(try Parse.unsigned(words.value(of: entry), UInt16.self, for: "count", in: 1...1000))
            case .timeout:
                timeout = try Seconds.parse(words.value(of: entry), for: "timeout",
                                            in: KeepaliveWatchRequest.minimumInterval...(3600 * KeepaliveTiming.nanosecondsPerSecond))
            }
        }
        let subjects = try targets.finish()
        guard subjects.count == 1 else { throw InvalidArgument("keepalive probe checks one tunnel at a time (got \(subjects.count))") }
        return KeepaliveProbeRequest(subject: subjects[0], count: count, timeout: timeout)
    }

    enum Word: Sendable { case count, timeout }

    /// gretool's own words, each given once.
    static let grammar = KeywordTable<Word>([
        Keyword(.count, "count", value: "1..1000", repeatable: false),
        Keyword(.timeout, "timeout", value: "SECONDS", repeatable: false),
    ])

    public static var keywords: [String] { grammar.spellings + SubjectWords.grammar.spellings }
}

/// `keepalive restore` words.
public struct KeepaliveRestoreRequest: Equatable, Sendable {
    /// The tunnel whose state to give back; nil: every tunnel no watcher holds.
    public var tunnel: InterfaceName?

    public static func parse(_ arguments: [String], callerWords: CallerWords = { _ in false }) throws(InvalidArgument) -> KeepaliveRestoreRequest {
        var request = KeepaliveRestoreRequest()
        for word in arguments {
            if try callerWords(word) { continue }
            guard request.tunnel == nil else { throw InvalidArgument("keepalive restore takes one tunnel at a time (\(word) is a second)") }
            request.tunnel = try InterfaceName(word)
        }
        return request
    }
}

/// `keepalive respond` words.
public struct KeepaliveRespondRequest: Equatable, Sendable {
    /// The tunnels whose keepalives to answer; none: any keepalive to this host.
    public var tunnels: [InterfaceName] = []
    public var count: Int?
    public var timeout: Int64?
    /// `accept nat`: answer a peer behind a NAT, whose keepalives carry its private address.
    public var acceptNAT = false

    public static func parse(_ arguments: [String], callerWords: CallerWords = { _ in false }) throws(InvalidArgument) -> KeepaliveRespondRequest {
        var request = KeepaliveRespondRequest()
        var words = WordScanner(arguments, allowsAbbreviations: false)
        while let word = words.next() {
            if let entry = try words.keyword(word, in: grammar) {
                switch entry.keyword {
                case .count: request.count = Int(try Parse.unsigned(words.value(of: entry), UInt32.self, for: "count", in: 1...UInt32(Int32.max)))
                case .timeout:
                    request.timeout = try Seconds.parse(words.value(of: entry), for: "timeout",
                                                        in: KeepaliveWatchRequest.minimumInterval...KeepaliveWatchRequest.maximumInterval)
                case .accept:
                    let value = try words.value(of: entry)
                    guard value == "nat" else { throw .badValue("accept", value, expected: "nat") }
                    request.acceptNAT = true
                }
            } else if try !callerWords(word) {
                let name = try InterfaceName(word)
                guard !request.tunnels.contains(name) else { throw InvalidArgument("keepalive respond: \(word) is named twice") }
                request.tunnels.append(name)
            }
        }
        return request
    }

    enum Word: Sendable { case count, timeout, accept }

    /// gretool's own words, each given once.
    static let grammar = KeywordTable<Word>([
        Keyword(.count, "count", value: "COUNT", repeatable: false),
        Keyword(.timeout, "timeout", value: "SECONDS", repeatable: false),
        Keyword(.accept, "accept", value: "nat", repeatable: false),
    ])

    public static var keywords: [String] { grammar.spellings }
}

/// `keepalive status` words: a target's name (a tunnel, or an explicit target as
/// output names it) or none for all.
public struct KeepaliveStatusRequest: Equatable, Sendable {
    public var name: String?

    public static func parse(_ arguments: [String], callerWords: CallerWords = { _ in false }) throws(InvalidArgument) -> KeepaliveStatusRequest {
        var request = KeepaliveStatusRequest()
        for word in arguments {
            if try callerWords(word) { continue }
            guard request.name == nil else { throw InvalidArgument("keepalive status shows one target or all (got \(request.name!) and \(word))") }
            guard !word.isEmpty, word.utf8.count <= 64, !word.contains(" ") else { throw .badValue("target", word, expected: "a tunnel name") }
            request.name = word
        }
        return request
    }
}

/// Tunnel names and explicit targets (`local A remote B [key K]`), as `watch` and
/// `probe` take them. An explicit target ends where a word it already has starts
/// the next one.
struct SubjectWords {
    let verb: String
    /// Whether an explicit target may name a device to act on (`tunnel DEV`: watch only).
    let takesTunnel: Bool
    private var subjects: [KeepaliveSubject] = []
    private var local: IPAddress?
    private var remote: IPAddress?
    private var key: (text: String, value: UInt32)?
    private var tunnel: InterfaceName?

    init(verb: String, takesTunnel: Bool = false) {
        self.verb = verb
        self.takesTunnel = takesTunnel
    }

    enum Word: Sendable { case local, remote, key, tunnel }

    /// A target's words. Each repeats by design: a word the target being given
    /// already has starts the next one.
    static let grammar = KeywordTable<Word>([
        Keyword(.local, "local", value: "ADDR"), Keyword(.remote, "remote", value: "ADDR"), Keyword(.key, "key", value: "KEY"),
    ])

    /// `watch`'s: a target may also name the device its action takes from.
    static let watchGrammar = KeywordTable<Word>([
        Keyword(.local, "local", value: "ADDR"), Keyword(.remote, "remote", value: "ADDR"), Keyword(.key, "key", value: "KEY"),
        Keyword(.tunnel, "tunnel", value: "DEV"),
    ])

    /// Takes `word` (and its value) if it belongs to an explicit target.
    mutating func take(_ word: String, _ words: inout WordScanner) throws(InvalidArgument) -> Bool {
        guard let entry = try words.keyword(word, in: takesTunnel ? Self.watchGrammar : Self.grammar) else { return false }
        let text = try words.value(of: entry)
        switch entry.keyword {
        case .local:
            if local != nil { try close() }
            local = try Parse.address(text, for: "local")
        case .remote:
            if remote != nil { try close() }
            remote = try Parse.address(text, for: "remote")
        case .key:
            if key != nil { try close() }
            key = (text, try GreKey(parsing: text, for: "key").value)
        case .tunnel:
            if tunnel != nil { try close() }
            tunnel = try InterfaceName(text)
        }
        return true
    }

    /// Any other word names a tunnel (and ends an explicit target before it).
    mutating func name(_ word: String) throws(InvalidArgument) {
        let name = try InterfaceName(word)
        try close()
        guard !subjects.contains(.tunnel(name)) else { throw InvalidArgument("\(verb): \(word) is named twice") }
        subjects.append(.tunnel(name))
    }

    /// The subjects given; none only when `allowingNone` (a configuration file names them).
    mutating func finish(allowingNone: Bool = false) throws(InvalidArgument) -> [KeepaliveSubject] {
        try close()
        guard !subjects.isEmpty || allowingNone else {
            throw InvalidArgument("\(verb): no tunnel given; name one, or give local ADDR remote ADDR")
        }
        return subjects
    }

    /// Ends the explicit target being given, if one is.
    private mutating func close() throws(InvalidArgument) {
        guard local != nil || remote != nil || key != nil || tunnel != nil else { return }
        defer { (local, remote, key, tunnel) = (nil, nil, nil, nil) }
        guard let local, let remote else {
            let given = local.map { "local \($0)" } ?? remote.map { "remote \($0)" } ?? key.map { "key \($0.text)" } ?? "tunnel \(tunnel!)"
            throw InvalidArgument("\(verb): \(given) belongs to no target: an explicit target is local ADDR remote ADDR [ key KEY ]\(takesTunnel ? " [ tunnel DEV ]" : "")")
        }
        guard local.family == remote.family else {
            throw InvalidArgument("\(verb): local \(local) and remote \(remote) are of different address families")
        }
        guard !local.isUnspecified, !remote.isUnspecified, !remote.isMulticast else {
            throw InvalidArgument("\(verb): local \(local) remote \(remote) is not a point-to-point path")
        }
        let target = KeepaliveTarget(local: local, remote: remote, key: key?.value)
        guard !subjects.contains(where: { $0.target == target }) else {
            throw InvalidArgument("\(verb): the target \(target.endpointsDescription) is given twice")
        }
        subjects.append(tunnel.map { .explicitFor(target, tunnel: $0) } ?? .explicit(target))
    }
}

/// Durations in seconds as people write them ("10", "0.5"), held as nanoseconds.
public enum Seconds {
    /// Parses up to nine decimals; refuses anything outside `range`.
    public static func parse(_ text: String, for keyword: String, in range: ClosedRange<Int64>) throws(InvalidArgument) -> Int64 {
        let expected = "seconds from \(format(range.lowerBound)) to \(format(range.upperBound))"
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty, whole.count <= 9, fraction.count <= 9,
              whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit)
        else { throw .badValue(keyword, text, expected: expected) }
        let seconds = Int64(whole) ?? 0
        let nanoseconds = Int64(fraction + String(repeating: "0", count: 9 - fraction.count)) ?? 0
        let value = seconds * KeepaliveTiming.nanosecondsPerSecond + nanoseconds
        guard range.contains(value) else { throw .badValue(keyword, text, expected: expected) }
        return value
    }

    /// "10", "0.1", "1.25": seconds without trailing zeros.
    public static func format(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / KeepaliveTiming.nanosecondsPerSecond
        var fraction = String(nanoseconds % KeepaliveTiming.nanosecondsPerSecond)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
