import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// `gretool keepalive`: Cisco-compatible GRE keepalives. `watch` runs the state
/// machine in the foreground and acts on the routes or the link; `probe` is a
/// one-shot check; `respond` answers keepalives where the kernel will not.
enum KeepaliveCommands {
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
        let output = session.output
        if request.json || session.options.json {
            var json = session.jsonWriter()
            json.beginObject()
            json.name("tunnel"); json.string(name)
            json.name("answered"); json.bool(result.roundTrip != nil)
            json.name("rtt_ms")
            if let roundTrip = result.roundTrip { json.decimal(roundTrip / 1000, fractionDigits: 3) } else { json.null() }
            json.name("sent"); json.unsigned(UInt64(result.sent))
            json.endObject()
            json.finish()
        } else if let roundTrip = result.roundTrip {
            output.write("\(name): answered in \(milliseconds(roundTrip)) ms (\(keepalives(result.sent)) sent)\n")
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
        report.line(event: "ready", text: "responding to \(scope)")
        let count = try attempt("respond to keepalives") {
            try responder.run(count: request.count, timeout: request.timeout) { reflection in
                guard request.verbose else { return }
                report.line(event: "reflected", text: "reflected keepalive \(reflection.outer)") { json in
                    json.name("source"); json.string(reflection.outer.source.description)
                    json.name("destination"); json.string(reflection.outer.destination.description)
                    json.name("key")
                    if let key = reflection.outer.key { json.unsigned(UInt64(key)) } else { json.null() }
                }
            }
        }
        report.line(event: "done", text: "reflected \(keepalives(count))") { json in
            json.name("reflected"); json.unsigned(UInt64(count))
        }
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

/// Keepalive events as lines: text for people (a timestamp, the tunnel, what
/// happened) or JSON lines for programs. Each line is flushed as it is written.
struct KeepaliveReport {
    let output: OutputBuffer
    let json: Bool

    func write(_ event: KeepaliveEvent) {
        if json {
            line(event: event.kind.rawValue, text: "") { json in
                json.name("tunnel"); json.string(event.tunnel)
                json.name("state"); json.string(event.state.rawValue)
                json.name("rtt_ms")
                if let roundTrip = event.roundTrip { json.decimal(roundTrip / 1000, fractionDigits: 3) } else { json.null() }
                json.name("sent"); json.unsigned(event.sent)
                json.name("received"); json.unsigned(event.received)
                json.name("missed"); json.unsigned(UInt64(event.missed))
                if let message = event.message { json.name("message"); json.string(message) }
            }
        } else {
            line(event: event.kind.rawValue, text: Self.text(event))
        }
    }

    static func text(_ event: KeepaliveEvent) -> String {
        let name = event.tunnel.isEmpty ? "gretool" : event.tunnel
        let lastRoundTrip = event.roundTrip.map { "last rtt \(KeepaliveCommands.milliseconds($0)) ms" } ?? "no reply yet"
        switch event.kind {
        case .watch:
            return "\(name): watching \(event.message ?? "")"
        case .state where event.state == .up:
            return "\(name): up (rtt \(event.roundTrip.map { KeepaliveCommands.milliseconds($0) } ?? "?") ms)"
        case .state:
            return "\(name): \(event.state.rawValue) (\(KeepaliveCommands.keepalives(event.missed)) unanswered, \(lastRoundTrip))"
        case .sent:
            let outcome = event.message.map { "keepalive \($0)" } ?? "keepalive sent"
            return "\(name): \(outcome) (\(event.missed) unanswered)"
        case .reply:
            return "\(name): reply in \(event.roundTrip.map { KeepaliveCommands.milliseconds($0) } ?? "?") ms"
        case .deleted:
            return "\(name): deleted; waiting for it to come back"
        case .created:
            return "\(name): back; watching \(event.message ?? "")"
        case .action:
            return "\(name): \(event.message ?? "")"
        case .error:
            return "\(name): error: \(event.message ?? "")"
        }
    }

    /// One line: "TIMESTAMP TEXT", or a JSON object with the timestamp, the event
    /// and what `members` adds.
    func line(event: String, text: String, members: (inout JSONWriter) -> Void = { _ in }) {
        let timestamp = Self.timestamp(SystemClock.realtime())
        if json {
            var writer = JSONWriter(output: output, pretty: false)
            writer.beginObject()
            writer.name("timestamp"); writer.string(timestamp)
            writer.name("event"); writer.string(event)
            members(&writer)
            writer.endObject()
            writer.finish()
        } else {
            output.write(timestamp + " " + text + "\n")
        }
        output.flush()
    }

    /// RFC 3339 in UTC with milliseconds: 2025-01-31T12:00:00.250Z.
    static func timestamp(_ nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let milliseconds = Int32(nanoseconds % 1_000_000_000 / 1_000_000)
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2)
            + "." + digits(milliseconds, 3) + "Z"
    }
}
