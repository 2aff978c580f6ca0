import GreKit

/// `gretool diag`: why a tunnel misbehaves. Each check prints a verdict, the numbers
/// behind it and the commands that fix what it found. The run exits 1 when a check
/// found a problem (warnings do not count), as scripts and monitors expect.
enum DiagCommands: ObjectCommands {
    /// The checks, one row each, in the order `diag all` runs them and abbreviations
    /// resolve ("m" is mtu, "r" route, "k" keepalive, "c" config). A check is a file in
    /// GreKit/Diagnostics (its facts, how the service gathers them, the pure check) and
    /// a row here.
    static let checks: [DiagCheck] = [
        DiagCheck(
            name: "mtu", words: "TUNNEL [ probe [ ADDRESS ] ] [ ipsec { transport | tunnel } [ nat-t ] ]",
            summary: "the tunnel's MTU against what its path carries; probe measures it through the tunnel",
            keywords: { MTUCheckRequest.keywords + tunnelNames() },
            request: MTUCheckRequest.parse, attempting: { "check the mtu of \($0.tunnel)" },
            facts: { try $0.mtuFacts($1) }, check: MTUCheck.report,
            inAll: { _, tunnel in MTUCheckRequest(tunnel: tunnel) }),
        DiagCheck(
            name: "route", words: "TUNNEL",
            summary: "where the tunnel's own packets go: recursive routing, local address, underlay state",
            request: { try MTUCheckRequest.tunnelName($0, verb: "diag route") }, attempting: { "check the routes of \($0)" },
            facts: { try $0.routeFacts(tunnel: $1) }, check: RouteCheck.report,
            inAll: { _, tunnel in tunnel }),
        DiagCheck(
            name: "keepalive", words: "TUNNEL",
            summary: "whether this host reflects its peer's keepalives: forwarding, accept_local, rp_filter",
            // Asked by name, what would drop the peer's keepalives is a problem; in diag all,
            // only once the peer is seen sending them.
            request: { (tunnel: try MTUCheckRequest.tunnelName($0, verb: "diag keepalive"), watchingPeer: false) },
            attempting: { "check keepalives on \($0.tunnel)" },
            facts: { try $0.keepaliveFacts(tunnel: $1.tunnel, watchingPeer: $1.watchingPeer ? KeepaliveCheck.peerWatchMilliseconds : nil) },
            check: KeepaliveCheck.report,
            inAll: { _, tunnel in (tunnel: tunnel, watchingPeer: true) }),
        DiagCheck(
            name: "config", words: "TUNNEL",
            summary: "the tunnel's options against what the kernel does with them: ttl inherit, look-alike tunnels, csum and seq mismatches, encaplimit",
            request: { try MTUCheckRequest.tunnelName($0, verb: "diag config") }, attempting: { "check the options of \($0)" },
            facts: { try $0.configFacts(tunnel: $1) }, check: ConfigCheck.report,
            inAll: { _, tunnel in tunnel }),
        DiagCheck(
            name: "ipsec", words: "TUNNEL",
            summary: "how IPsec treats the tunnel's GRE: policies both ways, SAs, error counters, keepalives",
            request: { try MTUCheckRequest.tunnelName($0, verb: "diag ipsec") }, attempting: { "check IPsec on \($0)" },
            facts: { try $0.ipsecFacts(tunnel: $1) }, check: IPsecCheck.report,
            inAll: { service, tunnel in try service.hasIPsec() ? tunnel : nil }),
    ]

    static let object = CommandObject(
        name: "diag", summary: "diagnose tunnels: MTU sizing, recursive routing, keepalive readiness, options, IPsec",
        verbs: checks.map(\.verb) + [
            Verb(name: "all", usage: "diag [ all ] [ TUNNEL ]",
                 summary: "the \(spelled(checks.count { $0.inAll != nil })) checks; without TUNNEL, on every tunnel that has a remote or local address",
                 keywords: tunnelNames, run: all),
        ],
        defaultVerb: "all", defaultVerbTakesWords: true, verbHelp: "The verb, or the tunnel to run every check on.")

    /// GRE tunnels of the namespace, for shell completion.
    @Sendable static func tunnelNames() -> [String] {
        (try? LinkService(socket: NetlinkSocket()).list().filter { $0.tunnel != nil }.map(\.name)) ?? []
    }

    static func service(_ session: Session) throws -> DiagnosticsService {
        try DiagnosticsService(socket: session.socket(), links: session.links())
    }

    /// Every check that belongs in `diag all` on one tunnel, or on every tunnel that has
    /// an endpoint, sharing one service so that the kernel is read once.
    static func all(_ session: Session, _ words: [String]) throws {
        let named = words.isEmpty ? nil : try MTUCheckRequest.tunnelName(words, verb: "diag")
        let found = try attempt("diagnose \(named ?? "the tunnels")") {
            let diagnostics = try service(session)
            return try reports(on: named.map { [$0] } ?? diagnostics.tunnelNames(), checks: checks, diagnostics)
        }
        show(found, session: session, single: false)
    }

    /// Tunnel after tunnel, the reports of the checks that apply to it, in table order.
    static func reports(on tunnels: [String], checks: [DiagCheck], _ diagnostics: DiagnosticsService) throws -> [CheckReport] {
        try tunnels.flatMap { tunnel in try checks.compactMap { try $0.inAll?(diagnostics, tunnel) } }
    }

    /// One check prints as a JSON object, several as an array.
    static func show(_ reports: [CheckReport], session: Session, single: Bool) {
        if single, let report = reports.first {
            Printer.print(one: report.describe(), session: session)
        } else {
            Printer.print(reports, session: session) { $0.describe() }
        }
        if reports.contains(where: { $0.verdict == .problem }) { session.foundProblem() }
    }

    /// "three" for 3: how `diag all`'s summary counts its checks.
    private static func spelled(_ count: Int) -> String {
        let words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        return count < words.count ? words[count] : String(count)
    }
}

/// One check of `gretool diag`: its verb, how it reads its words, how its facts are
/// gathered and the pure check that judges them. Each check has a request of its own
/// (its words) and facts of its own; the row keeps them typed inside its closures.
struct DiagCheck: Sendable {
    let name: String
    /// The words after `diag NAME`, as the usage shows them.
    let words: String
    let summary: String
    let keywords: @Sendable () -> [String]
    /// Runs the check as `diag NAME WORDS...` asks: reads the words, gathers the facts,
    /// checks them.
    let run: @Sendable (Session, [String]) throws -> CheckReport
    /// Runs the check on one tunnel for `diag all`: nil when the check is no part of
    /// `diag all`; the closure returns nil when the check does not apply to that tunnel.
    let inAll: (@Sendable (DiagnosticsService, String) throws -> CheckReport?)?

    /// - Parameters:
    ///   - request: reads the check's words (the tunnel and any of its own) into its request.
    ///   - attempting: what the check does, for the message when it fails ("check the
    ///     routes of gre1").
    ///   - facts: gathers the facts of a request from the kernel.
    ///   - check: judges the facts.
    ///   - inAll: the request `diag all` makes for a tunnel, nil where the check does not
    ///     apply (an IPsec check on a tunnel without IPsec state); nil to leave the check
    ///     out of `diag all`.
    init<Request, Facts>(
        name: String, words: String, summary: String,
        keywords: @escaping @Sendable () -> [String] = DiagCommands.tunnelNames,
        request: @escaping @Sendable ([String]) throws -> Request,
        attempting: @escaping @Sendable (Request) -> String,
        facts: @escaping @Sendable (DiagnosticsService, Request) throws -> Facts,
        check: @escaping @Sendable (Facts) -> CheckReport,
        inAll: (@Sendable (DiagnosticsService, String) throws -> Request?)?
    ) {
        self.name = name
        self.words = words
        self.summary = summary
        self.keywords = keywords
        run = { session, words in
            let request = try request(words)
            return try attempt(attempting(request)) { check(try facts(DiagCommands.service(session), request)) }
        }
        if let inAll {
            self.inAll = { service, tunnel in
                guard let request = try inAll(service, tunnel) else { return nil }
                return check(try facts(service, request))
            }
        } else {
            self.inAll = nil
        }
    }

    /// The verb of `diag` that runs this check on its own and prints its report.
    var verb: Verb {
        let run = run
        return Verb(name: name, usage: "diag \(name) \(words)", summary: summary, keywords: keywords) { session, words in
            DiagCommands.show([try run(session, words)], session: session, single: true)
        }
    }
}
