import GreKit

/// `keepalive status`: what running watchers know of their targets, as FRR's
/// `show bfd peers` shows sessions. A watcher answers on its control socket with a
/// block of text per target, or a JSON object per line; the command gathers the
/// answers of every watcher.
enum KeepaliveStatusView {
    /// A watcher's answer to a request's words: `status [json] [TUNNEL]`, in that order,
    /// as `keepalive status` asks, or `configuration`, as `apply` asks for the file the
    /// watcher reads (`configuration PATH`, PATH absolute; `configuration` is the
    /// watcher's `-f`, nil without one). Any other request (another program's, another
    /// version's) is answered with one line that says what is wrong, `error: ...`, or
    /// `{"error":"..."}` when the request has the word json anywhere: a client always
    /// gets an answer, in the form it reads.
    static func answer(_ words: [String], _ statuses: [KeepaliveTargetStatus], configuration: String? = nil) -> [UInt8] {
        let output = OutputBuffer(collectingWithLimit: 16 * 1024)
        if words == [KeepaliveServiceFile.configurationRequest] {
            guard let configuration else { return refusal("this watcher reads no configuration file", json: false, output: output) }
            output.write("\(KeepaliveServiceFile.configurationRequest) \(configuration)\n")
            return output.bytes()
        }
        guard words.first == "status" else {
            let what = words.first.map { "unknown request \"\($0)\"" } ?? "an empty request"
            return refusal("\(what): a watcher answers status [json] [TUNNEL] or configuration", json: words.contains("json"), output: output)
        }
        var rest = words.dropFirst()
        let json = rest.first == "json"
        if json { rest = rest.dropFirst() }
        let name = rest.first
        guard rest.count <= 1 else {
            return refusal("status takes one tunnel, not \(rest.count) (\(rest.joined(separator: " ")))", json: words.contains("json"), output: output)
        }
        for status in statuses where name == nil || status.name == name {
            Printer.line(fields(status), output: output, json: json)
        }
        return output.bytes()
    }

    /// JSON: one object with every value (times in RFC 3339 and milliseconds). Text:
    /// the name and state, then the target, its settings, round trips, counters and
    /// what the action holds, a line each.
    static func fields(_ status: KeepaliveTargetStatus) -> [Field] {
        let settings = status.settings
        let timing = settings.timing
        let since = KeepaliveReport.timestamp(status.since)
        let trips = status.roundTrips
        func milliseconds(_ value: Int64?) -> Field.Value { value.map(Field.Value.milliseconds) ?? .null }
        func text(_ value: Int64?) -> String { value.map { KeepaliveCommands.milliseconds($0) } ?? "-" }
        return [
            Field("tunnel", .string(status.name), text: "\(status.name):"),
            Field("state", .string(status.state.rawValue), text: status.state.rawValue),
            Field("since", .string(since), text: "since \(since)"),
            .jsonOnly("local", .string(status.target.local.description)),
            .jsonOnly("remote", .string(status.target.remote.description)),
            .textOnly("\n    " + status.target.endpointsDescription),
            Field("icmp", status.settings.echo.map { .string($0.description) } ?? .null,
                  text: status.settings.echo.map { "icmp \($0)," }),
            Field("interval", .decimal(timing.interval / 1_000_000, fractionDigits: 3),
                  text: "interval \(Seconds.format(timing.interval)) s,"),
            Field("retries", .unsigned(UInt64(timing.retries)), text: "retries \(timing.retries),"),
            Field("up_after", .unsigned(UInt64(timing.upAfter)), text: "up-after \(timing.upAfter),"),
            Field("hold_down", .decimal(timing.holdDown / 1_000_000, fractionDigits: 3),
                  text: "hold-down \(Seconds.format(timing.holdDown)) s,"),
            Field("action", .string((status.isDevice ? settings.action : .none).rawValue),
                  text: "action \((status.isDevice ? settings.action : .none).rawValue)"),
            Field("rtt_ms", .object([
                .jsonOnly("last", milliseconds(trips.last)), .jsonOnly("min", milliseconds(trips.minimum)),
                .jsonOnly("avg", milliseconds(trips.average)), .jsonOnly("max", milliseconds(trips.maximum)),
            ]), text: "\n    rtt last \(text(trips.last)) ms, min \(text(trips.minimum)) ms, avg \(text(trips.average)) ms, max \(text(trips.maximum)) ms"),
            Field("sent", .unsigned(status.sent), text: "\n    sent \(status.sent),"),
            Field("received", .unsigned(status.received), text: "received \(status.received),"),
            Field("missed", .unsigned(UInt64(status.missed)), text: "missed \(status.missed) in a row,"),
            Field("changes", .unsigned(status.changes), text: "state changes \(status.changes)"),
            Field("withdrawn", .object([
                .jsonOnly("link_down", .bool(status.linkDown)),
                .jsonOnly("routes", .unsigned(UInt64(status.withdrawn.routes))),
                .jsonOnly("nexthops", .unsigned(UInt64(status.withdrawn.nexthops))),
                .jsonOnly("nexthop_groups", .unsigned(UInt64(status.withdrawn.nexthopGroups))),
            ]), text: "\n    withdrawn: " + withdrawn(status)),
        ]
    }

    /// The message of a watcher's answer that is a refusal (`error: MESSAGE`, or
    /// {"error":"MESSAGE"} when JSON was asked), which a watcher of another version of
    /// gretool gives to a request it does not know; nil for an answer of statuses. A
    /// refusal is one line, where a target's status in text takes several (so that a
    /// tunnel called "error" is not taken for one).
    static func refusalMessage(in answer: [UInt8]) -> String? {
        let line = Array(answer.prefix { $0 != 10 })
        guard line.count + 1 >= answer.count else { return nil }
        let textPrefix = Array("error: ".utf8)
        if line.starts(with: textPrefix) { return String(decoding: line.dropFirst(textPrefix.count), as: UTF8.self) }
        guard line.first == UInt8(ascii: "{"), let object = try? JSONValue.parse(line),
              case .string(let message)? = object["error"] else { return nil }
        return message
    }

    private static func refusal(_ message: String, json: Bool, output: OutputBuffer) -> [UInt8] {
        Printer.line([Field("error", .string(message), text: "error: " + message)], output: output, json: json)
        return output.bytes()
    }

    /// "nothing", "3 routes", "link down; 4 routes and 1 nexthop saved".
    private static func withdrawn(_ status: KeepaliveTargetStatus) -> String {
        let counts = status.withdrawn
        let any = counts.routes + counts.nexthops + counts.nexthopGroups > 0
        if status.linkDown { return "link down" + (any ? "; \(counts.description) saved" : "") }
        return any ? counts.description : "nothing"
    }
}
