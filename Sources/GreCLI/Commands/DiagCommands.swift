import GreKit

/// `gretool diag`: why a tunnel misbehaves. Each check prints a verdict, the numbers
/// behind it and the commands that fix what it found. The run exits 1 when a check
/// found a problem (warnings do not count), as scripts and monitors expect.
enum DiagCommands {
    static let object = CommandObject(
        name: "diag", summary: "diagnose tunnels: MTU sizing, recursive routing, keepalive readiness",
        verbs: [
            Verb(name: "mtu", usage: "diag mtu TUNNEL [ probe [ ADDRESS ] ] [ ipsec { transport | tunnel } [ nat-t ] ]",
                 summary: "the tunnel's MTU against what its path carries; probe measures it through the tunnel",
                 keywords: { MTUCheckRequest.keywords + tunnelNames() }, run: mtu),
            Verb(name: "route", usage: "diag route TUNNEL",
                 summary: "where the tunnel's own packets go: recursive routing, local address, underlay state",
                 keywords: tunnelNames, run: route),
            Verb(name: "keepalive", usage: "diag keepalive TUNNEL",
                 summary: "whether this host reflects its peer's keepalives: forwarding, accept_local, rp_filter",
                 keywords: tunnelNames, run: keepalive),
            Verb(name: "all", usage: "diag [ all ] [ TUNNEL ]",
                 summary: "the three checks; without TUNNEL, on every tunnel that has a remote or local address",
                 keywords: tunnelNames, run: all),
        ],
        defaultVerb: "all", defaultVerbTakesWords: true)

    /// GRE tunnels of the namespace, for shell completion.
    @Sendable static func tunnelNames() -> [String] {
        (try? LinkService(socket: NetlinkSocket()).list().filter { $0.options is GreOptions }.map(\.name)) ?? []
    }

    private static func service(_ session: Session) throws -> DiagnosticsService {
        try DiagnosticsService(socket: session.socket(), links: session.links())
    }

    static func mtu(_ session: Session, _ words: [String]) throws {
        let request = try MTUCheckRequest.parse(words)
        let report = try attempt("check the mtu of \(request.tunnel)") { try service(session).mtu(request) }
        show([report], session: session, single: true)
    }

    static func route(_ session: Session, _ words: [String]) throws {
        let name = try MTUCheckRequest.tunnelName(words, verb: "diag route")
        let report = try attempt("check the routes of \(name)") { try service(session).route(name) }
        show([report], session: session, single: true)
    }

    static func keepalive(_ session: Session, _ words: [String]) throws {
        let name = try MTUCheckRequest.tunnelName(words, verb: "diag keepalive")
        let report = try attempt("check keepalives on \(name)") { try service(session).keepalive(name) }
        show([report], session: session, single: true)
    }

    static func all(_ session: Session, _ words: [String]) throws {
        let named = words.isEmpty ? nil : try MTUCheckRequest.tunnelName(words, verb: "diag")
        let reports = try attempt("diagnose \(named ?? "the tunnels")") {
            let diagnostics = try service(session)
            return try (named.map { [$0] } ?? diagnostics.tunnelNames()).flatMap { name in
                [try diagnostics.mtu(MTUCheckRequest(tunnel: name)), try diagnostics.route(name), try diagnostics.keepalive(name)]
            }
        }
        show(reports, session: session, single: false)
    }

    /// One check prints as a JSON object, several as an array.
    private static func show(_ reports: [CheckReport], session: Session, single: Bool) {
        if single, let report = reports.first {
            Printer.print(one: report.describe(), session: session)
        } else {
            Printer.print(reports, session: session) { $0.describe() }
        }
        if reports.contains(where: { $0.verdict == .problem }) { session.foundProblem() }
    }
}
