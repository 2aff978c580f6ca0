import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// Keepalive events as lines: text for people (a timestamp, the tunnel, what happened)
/// or JSON lines for programs, through `Printer.line`. Each line is flushed as it is
/// written, so that whoever reads the stream sees each event as it happens. Under
/// systemd, with standard error going to the journal (and no `-j`), each event is a
/// journal record with fields of its own instead.
struct KeepaliveReport {
    let output: OutputBuffer
    let json: Bool
    var journal: Journal?

    init(output: OutputBuffer, json: Bool, journal: Journal? = nil) {
        self.output = output
        self.json = json
        self.journal = json ? nil : journal
    }

    func write(_ event: KeepaliveEvent) {
        if let journal, journal.send(event.journalFields) { return }
        line(event: event.name, event.fields)
    }

    /// One line: the time, the event's name (JSON only), then `fields`.
    func line(event: String, _ fields: [Field]) {
        let timestamp = Self.timestamp(SystemClock.realtime())
        Printer.line([Field("timestamp", .string(timestamp), text: timestamp), .jsonOnly("event", .string(event))] + fields,
                     output: output, json: json)
    }

    static func text(_ event: KeepaliveEvent) -> String { event.text }

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

extension KeepaliveEvent {
    /// The event's name in JSON: what scripts match on.
    var name: String {
        switch kind {
        case .watch: "watch"
        case .state: "state"
        case .sent: "probe"
        case .reply: "reply"
        case .deleted: "deleted"
        case .created: "created"
        case .action: "action"
        case .problem: "error"
        case .reloaded: "reload"
        case .removed: "removed"
        }
    }

    /// JSON: the tunnel, its state and counters, and the message when the event has one.
    /// Text: the line for people.
    var fields: [Field] {
        var fields: [Field] = [
            .jsonOnly("tunnel", .string(tunnel)),
            .jsonOnly("state", .string(state.rawValue)),
            .jsonOnly("rtt_ms", roundTrip.map(Field.Value.milliseconds) ?? .null),
            .jsonOnly("sent", .unsigned(sent)),
            .jsonOnly("received", .unsigned(received)),
            .jsonOnly("missed", .unsigned(UInt64(missed))),
        ]
        if let message { fields.append(.jsonOnly("message", .string(message))) }
        fields.append(.textOnly(text))
        return fields
    }

    /// What the event says beyond its name and counters, for JSON's "message".
    var message: String? {
        switch kind {
        case .watch(let watching), .created(let watching): watching.description
        case .sent(let failure): failure.map { "not sent: \($0)" }
        case .state, .reply, .deleted, .removed: nil
        case .action(let outcome): outcome.description(tunnel: tunnel)
        case .problem(let problem): problem.description(tunnel: tunnel)
        case .reloaded(let reload): reload.description
        }
    }

    /// "gre1: up (rtt 0.412 ms)", "gre1: withdrew 2 routes", ...
    var text: String {
        let name = tunnel.isEmpty ? "gretool" : tunnel
        let lastRoundTrip = roundTrip.map { "last rtt \(KeepaliveCommands.milliseconds($0)) ms" } ?? "no reply yet"
        switch kind {
        case .watch:
            return "\(name): watching \(message ?? "")"
        case .state where state == .up:
            return "\(name): up (rtt \(roundTrip.map { KeepaliveCommands.milliseconds($0) } ?? "?") ms)"
        case .state:
            return "\(name): \(state.rawValue) (\(KeepaliveCommands.keepalives(missed)) unanswered, \(lastRoundTrip))"
        case .sent:
            return "\(name): keepalive \(message ?? "sent") (\(missed) unanswered)"
        case .reply:
            return "\(name): reply in \(roundTrip.map { KeepaliveCommands.milliseconds($0) } ?? "?") ms"
        case .deleted:
            return "\(name): deleted; waiting for it to come back"
        case .created:
            return "\(name): back; watching \(message ?? "")"
        case .action:
            return "\(name): \(message ?? "")"
        case .problem:
            return "\(name): error: \(message ?? "")"
        case .reloaded:
            return "\(name): \(message ?? "")"
        case .removed:
            return "\(name): no longer in the configuration; not watched"
        }
    }
}

extension KeepaliveEvent {
    /// The journal record of the event: its text line as MESSAGE (the journal keeps
    /// the time), a MESSAGE_ID per kind of event (Documentation/gretool.md lists them),
    /// a PRIORITY, and the tunnel, state, round trip and counters as fields.
    var journalFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", text), ("MESSAGE_ID", messageID), ("PRIORITY", String(priority)),
            ("SYSLOG_IDENTIFIER", "gretool"), ("GRE_EVENT", name),
        ]
        if !tunnel.isEmpty {
            fields += [("GRE_TUNNEL", tunnel), ("GRE_STATE", state.rawValue), ("GRE_SENT", String(sent)),
                       ("GRE_RECEIVED", String(received)), ("GRE_MISSED", String(missed))]
        }
        if let roundTrip { fields.append(("GRE_RTT_USEC", String(roundTrip / 1000))) }
        return fields
    }

    /// Fixed 128-bit ids, one per kind of event (and per new state), to find every
    /// such event in the journal (`journalctl MESSAGE_ID=...`).
    var messageID: String {
        switch kind {
        case .watch: "c7082b2a4a9f4adca2c93914dea42460"
        case .state where state == .up: "1dfe2079aaad4eaf8103e58a741112f8"
        case .state where state == .down: "8c3fdd3b4cce4f6784d20ecafc3d07b7"
        case .state: "90a7e4c728024f98b0d2eb0387c9213e"
        case .sent: "6e620b4fa708422e8d0bce5834a4f7f6"
        case .reply: "c41760dc25d642c8a36c92d93729b9dc"
        case .deleted: "7df6d14300c34457b37a3d3e1d2c8019"
        case .created: "5d888dd411834c2daee1647d58ae2b26"
        case .action: "bc79e8f469594d7ea39df574aa9ad83b"
        case .problem: "2a1cc68835f344f1a9d6f537f7082c9d"
        case .reloaded: "606aa4461de8402aa3ec92acc0befb26"
        case .removed: "6246b57ace67405ea3f8f690617f2691"
        }
    }

    /// syslog's levels: a tunnel down is a warning, a failure an error, a tunnel up a
    /// notice, what the watcher does information, each keepalive (verbose) debug.
    var priority: Int {
        switch kind {
        case .state where state == .down, .deleted: 4
        case .problem: 3
        case .state: 5
        case .sent, .reply: 7
        case .watch, .created, .action, .reloaded, .removed: 6
        }
    }
}

extension Watching {
    /// "198.51.100.1 -> 198.51.100.2 key 42 (interval 10 s, retries 3, action routes)",
    /// "198.51.100.1 -> 198.51.100.2 (icmp 10.0.0.2, interval 1 s, ...)"
    var description: String {
        let ping = echo.map { "icmp \($0), " } ?? ""
        let penalty = penalty.map { " \($0)" } ?? ""
        return "\(target.endpointsDescription) (\(ping)interval \(Seconds.format(timing.interval)) s, retries \(timing.retries), action \(action.rawValue)\(penalty))"
    }
}

extension ReplyIdentity {
    /// "198.51.100.2 -> 198.51.100.1 without key", "echo replies from 10.0.0.2"
    var description: String {
        switch self {
        case .gre(let flow): flow.description + (flow.key == nil ? " without key" : "")
        case .echo(let address): "echo replies from \(address)"
        }
    }
}

extension KeepaliveActionOutcome {
    /// "withdrew 3 routes (1 ECMP, only their legs through gre1)", "set link down (4 routes
    /// and 1 nexthop through it saved)", "set link up, 4 routes back", "restored 2 routes;
    /// failed, kept to retry: 10.0.0.0/30: ..."
    func description(tunnel: String) -> String {
        switch self {
        case .routesWithdrawn(let withdrawal):
            var parts: [String] = []
            if let penalty = withdrawal.penalty, withdrawal.penalized > 0 || withdrawal.routes == 0 {
                parts.append("penalized \(count(withdrawal.penalized, "route")) (metric +\(penalty))")
            }
            if withdrawal.routes > 0 || withdrawal.penalty == nil {
                var withdrew = "withdrew " + count(withdrawal.routes, "route")
                if withdrawal.reduced > 0 { withdrew += " (\(withdrawal.reduced) ECMP, only their legs through \(tunnel))" }
                parts.append(withdrew)
            }
            var text = parts.joined(separator: ", ")
            if !withdrawal.failures.isEmpty { text += "; failed: " + withdrawal.failures.map(\.description).joined(separator: ", ") }
            if !withdrawal.kept.isEmpty {
                text += "; kept (shared nexthop group): " + withdrawal.kept.map(\.description).joined(separator: ", ")
            }
            return text
        case .linkSetDown(let saved):
            return "set link down (\(saved.description) through it saved)"
        case .restored(let counts, let linkSetUp, let kept):
            var text = linkSetUp ? "set link up, \(counts.description) back" : "restored \(counts.description)"
            if !kept.isEmpty { text += "; failed, kept to retry: " + kept.map(\.description).joined(separator: ", ") }
            return text
        case .inherited(let counts, let linkDown):
            return "taking over from a previous watcher: \(linkDown ? "link set down, " : "")\(counts.description) to give back"
        }
    }
}

extension KeepaliveReload {
    /// "reloaded: 1 added, 2 removed, 0 changed, 9 unchanged"
    var description: String {
        "reloaded: \(added) added, \(removed) removed, \(changed) changed, \(unchanged) unchanged"
    }
}

extension ActionCounts {
    /// "3 routes", "3 routes, 2 nexthops and 1 nexthop group".
    var description: String {
        var parts = [count(routes, "route")]
        if nexthops > 0 { parts.append(count(nexthops, "nexthop")) }
        if nexthopGroups > 0 { parts.append(count(nexthopGroups, "nexthop group")) }
        guard parts.count > 1 else { return parts[0] }
        return parts.dropLast().joined(separator: ", ") + " and " + parts.last!
    }
}

extension KeepaliveActionFailure {
    /// "10.0.0.0/30: injected (Device or resource busy)", "nexthop id 1: ..."
    var description: String {
        switch item {
        case .route(let prefix): "\(prefix): \(reason)"
        case .nexthop(let id): "nexthop id \(id): \(reason)"
        case .nexthopGroup(let id): "nexthop group id \(id): \(reason)"
        }
    }
}

extension KeepaliveProblem {
    func description(tunnel: String) -> String {
        switch self {
        case .takeDownFailed(let reason): "cannot take down \(tunnel): \(reason)"
        case .bringUpFailed(let reason): "cannot bring up \(tunnel): \(reason) (kept to retry)"
        case .restoreFailed(let reason): "cannot restore \(tunnel): \(reason)"
        case .notRestored(let linkDown, let counts): "not restored on exit: \(linkDown ? "link left down, " : "")\(counts.description)"
        case .unusable(let reason): "\(reason); keepalives stop until it is usable again"
        case .hookFailed(let reason), .receiveFailed(let reason): reason
        case .linkNotificationsFailed(let reason): "link notifications: \(reason)"
        case .sharesReplies(let other):
            "\(tunnel) now gets the same replies as \(other); keepalives to it stop until that changes"
        case .reloadRefused(let reason): "configuration not reloaded, going on with the old one: \(reason)"
        case .metricsFailed(let reason): "metrics: \(reason)"
        case .controlSocketFailed(let reason): "no control socket (keepalive status cannot reach this watcher): \(reason)"
        case .routeNotificationsFailed(let reason): "route notifications: \(reason)"
        case .journalFailed(let reason): "cannot write the state file (a crash now would lose what was taken): \(reason)"
        case .stateDiscarded(let reason): "state left by a previous watcher discarded: \(reason)"
        case .locked(let reason): "not watched: \(reason)"
        }
    }
}

extension KeepalivePing.Result {
    /// JSON: the tunnel, whether it answered, the round trip and the keepalives sent.
    /// Text: "gre1: answered in 0.412 ms (2 keepalives sent)" when it answered; silence
    /// is an error message instead.
    func fields(tunnel: String) -> [Field] {
        var fields: [Field] = [
            .jsonOnly("tunnel", .string(tunnel)),
            .jsonOnly("answered", .bool(roundTrip != nil)),
            .jsonOnly("rtt_ms", roundTrip.map(Field.Value.milliseconds) ?? .null),
            .jsonOnly("sent", .unsigned(UInt64(sent))),
        ]
        if let cause {
            fields.append(.jsonOnly("cause", .string(cause.name)))
            fields.append(.jsonOnly("icmp", cause.error.map { .string($0.icmpName) } ?? .null))
        }
        if let roundTrip {
            fields.append(.textOnly("\(tunnel): answered in \(KeepaliveCommands.milliseconds(roundTrip)) ms (\(KeepaliveCommands.keepalives(sent)) sent)"))
        }
        return fields
    }
}

extension KeepalivePing.Cause {
    /// JSON's word for it.
    var name: String {
        switch self {
        case .noMatchingTunnel: "no_matching_tunnel"
        case .filtered: "filtered"
        case .unreachable: "unreachable"
        case .silence: "silence"
        }
    }

    var error: QueuedError? {
        switch self {
        case .noMatchingTunnel(let error), .filtered(let error), .unreachable(let error): error
        case .silence: nil
        }
    }

    /// What a failed probe's message says after "no reply to ...".
    var explanation: String {
        switch self {
        case .noMatchingTunnel(let error):
            "the peer answered ICMP \(error.icmpName): no tunnel there takes these keepalives (its key, or its local and remote addresses, differ from this tunnel's)"
        case .filtered(let error):
            "ICMP \(error.icmpName) came back: a filter on the way or at the peer refuses GRE"
        case .unreachable(let error):
            "ICMP \(error.icmpName) came back: the peer cannot be reached"
        case .silence:
            "nothing came back: GRE is dropped without a word on the way, or the peer is down or does not reflect keepalives"
        }
    }
}

extension QueuedError {
    /// "port unreachable", "administratively prohibited" (ICMPv6 named so too); the
    /// numbers for what has no name here.
    var icmpName: String {
        let names: [UInt8: [UInt8: String]] = origin == .icmp6
            ? [1: [0: "no route", 1: "administratively prohibited", 3: "address unreachable", 4: "port unreachable",
                   5: "source address failed policy", 6: "reject route"],
               3: [0: "hop limit exceeded"], 4: [1: "unknown next header"]]
            : [3: [0: "network unreachable", 1: "host unreachable", 2: "protocol unreachable", 3: "port unreachable",
                   9: "network administratively prohibited", 10: "host administratively prohibited",
                   13: "communication administratively prohibited"],
               11: [0: "time to live exceeded"]]
        return names[type]?[code] ?? "\(origin == .icmp6 ? "v6 " : "")type \(type) code \(code)"
    }
}

extension Field.Value {
    /// Nanoseconds as milliseconds with three decimals, a JSON number.
    static func milliseconds(_ nanoseconds: Int64) -> Field.Value { .decimal(nanoseconds / 1000, fractionDigits: 3) }
}

/// "1 route", "3 routes".
private func count(_ count: Int, _ noun: String) -> String { count == 1 ? "1 \(noun)" : "\(count) \(noun)s" }
