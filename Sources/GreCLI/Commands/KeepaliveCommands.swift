import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// `gretool keepalive`: Cisco-compatible GRE keepalives. `watch` runs the state
/// machine in the foreground and acts on the routes or the link; `probe` is a
/// one-shot check; `respond` answers keepalives where the kernel will not.
enum KeepaliveCommands: ObjectCommands {
    static let targetWords = "{ TUNNEL | local ADDR remote ADDR [ key KEY ] }"

    static let object = CommandObject(
        name: "keepalive", summary: "Cisco-compatible GRE keepalives: watch tunnels, probe a peer, answer as a peer",
        verbs: [
            Verb(name: "watch",
                 usage: "keepalive watch \(targetWords)... [ interval SEC ] [ retries N ] [ action { routes | link | none } ] [ on-down CMD ] [ on-up CMD ] [ -j ] [ -v ]",
                 summary: "watch tunnels until SIGINT, SIGTERM or SIGHUP (unless ignored); down: withdraw their routes (or set the link down), up: restore",
                 keywords: { KeepaliveWatchRequest.keywords }, run: watch),
            Verb(name: "probe", usage: "keepalive probe \(targetWords) [ count N ] [ timeout SEC ] [ -j ]",
                 summary: "send keepalives until one comes back: exit 0 if the peer answered, 1 if not",
                 keywords: { KeepaliveProbeRequest.keywords }, run: probe),
            Verb(name: "respond", usage: "keepalive respond [ TUNNEL... ] [ count N ] [ timeout SEC ] [ -j ] [ -v ]",
                 summary: "reflect keepalives as a router would, for a host whose kernel does not",
                 keywords: { KeepaliveRespondRequest.keywords }, run: respond),
        ],
        defaultVerb: "watch")

    // MARK: watch

    static func watch(_ session: Session, _ words: [String]) throws {
        let request = try KeepaliveWatchRequest.parse(words)
        let links = try session.links()
        let subjects = try request.subjects.map { subject in
            let (target, index) = try resolve(subject, links: links, verb: "watch")
            return KeepaliveWatcher.Subject(name: subject.name, target: target, index: index)
        }
        let report = KeepaliveReport(output: session.output, json: request.json || session.options.json)
        let configuration = KeepaliveWatcher.Configuration(
            timing: request.timing, action: request.action, onDown: request.onDown, onUp: request.onUp,
            verbose: request.verbose)
        let watcher = KeepaliveWatcher(configuration: configuration, subjects: subjects, links: links) { event in
            report.write(event)
        }
        try attempt("watch keepalives") { try watcher.run() }
    }

    /// The target of a subject: a tunnel's from its current options (with its index),
    /// or the explicit one. Unknown devices fail (exit 1); unusable links are refused (exit 2).
    static func resolve(_ subject: KeepaliveSubject, links: LinkService, verb: String) throws -> (KeepaliveTarget, Int32?) {
        switch subject {
        case .explicit(let target):
            return (target, nil)
        case .tunnel(let name):
            return try attempt("\(verb) tunnel \"\(name)\"") {
                let link = try links.link(named: name.value)
                return (try KeepaliveTarget(tunnel: link), link.index)
            }
        }
    }

    // MARK: probe

    static func probe(_ session: Session, _ words: [String]) throws {
        let request = try KeepaliveProbeRequest.parse(words)
        let (target, _) = try resolve(request.subject, links: session.links(), verb: "probe")
        let result = try attempt("probe \(request.subject.name)") {
            try KeepalivePing.run(target, count: request.count, timeout: request.timeout)
        }
        let name = request.subject.name
        let json = request.json || session.options.json
        // Silence prints nothing as text: the error message below says it.
        if json || result.roundTrip != nil {
            Printer.print(one: result.fields(tunnel: name), session: session, json: json)
        }
        guard result.roundTrip != nil else {
            if result.interrupted {
                throw CommandFailure(message: "\(name): interrupted after \(keepalives(result.sent)), no reply")
            }
            throw CommandFailure(message: "\(name): no reply to \(keepalives(result.sent)) in \(Seconds.format(request.timeout)) s")
        }
    }

    // MARK: respond

    static func respond(_ session: Session, _ words: [String]) throws {
        let request = try KeepaliveRespondRequest.parse(words)
        var flows: Set<GreFlow>?
        if !request.tunnels.isEmpty {
            let links = try session.links()
            flows = Set(try request.tunnels.map { try resolve(.tunnel($0), links: links, verb: "respond to").0.replyFlow })
        }
        let responder = try attempt("respond to keepalives") { try KeepaliveResponder(flows: flows) }
        let json = request.json || session.options.json
        let scope = request.tunnels.isEmpty ? "any keepalive to this host" : request.tunnels.map(\.value).joined(separator: ", ")
        let report = KeepaliveReport(output: session.output, json: json)
        report.line(event: "ready", [.textOnly("responding to \(scope)")])
        let count = try attempt("respond to keepalives") {
            try responder.run(count: request.count, timeout: request.timeout) { reflection in
                guard request.verbose else { return }
                let outer = reflection.outer
                report.line(event: "reflected", [
                    .jsonOnly("source", .string(outer.source.description)),
                    .jsonOnly("destination", .string(outer.destination.description)),
                    .jsonOnly("key", outer.key.map { .unsigned(UInt64($0)) } ?? .null),
                    .textOnly("reflected keepalive \(outer)"),
                ])
            }
        }
        report.line(event: "done", [Field("reflected", .unsigned(UInt64(count)), text: "reflected \(keepalives(count))")])
    }

    // MARK: Formatting

    /// Nanoseconds as milliseconds with three decimals.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        String(decimal: nanoseconds / 1000, fractionDigits: 3)
    }

    static func keepalives(_ count: some BinaryInteger) -> String {
        count == 1 ? "1 keepalive" : "\(count) keepalives"
    }
}
