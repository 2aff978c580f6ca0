import Netlink
import Testing
@testable import GreCLI
@testable import GreKit

private func status(_ name: String, _ state: TunnelState, replies: [Int64] = [], withdrawn: Int = 0) -> KeepaliveTargetStatus {
    var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 1_000_000_000, retries: 3))
    for (nonce, roundTrip) in replies.enumerated() {
        _ = machine.recordSend(nonce: UInt32(nonce + 1), at: 0)
        _ = machine.recordReply(nonce: UInt32(nonce + 1), at: roundTrip)
    }
    return KeepaliveTargetStatus(
        name: name, target: KeepaliveTarget(local: IPAddress("198.51.100.1")!, remote: IPAddress("198.51.100.2")!, key: 42),
        settings: KeepaliveWatcher.Settings(timing: KeepaliveTiming(interval: 1_000_000_000, retries: 3, upAfter: 2), action: .routes),
        isDevice: true, state: state, since: 1_740_823_213_001_000_000, sent: machine.sent + 2, received: machine.received,
        missed: 2, changes: 3, roundTrips: machine.roundTrips, withdrawn: ActionCounts(routes: withdrawn))
}

/// A Prometheus text exposition parsed back: each sample's name, labels and value, after
/// checking every line's syntax and that each sample's family was declared (HELP, TYPE) first.
private struct Exposition {
    var types: [String: String] = [:]
    var samples: [(name: String, labels: [String: String], value: Double)] = []

    init(_ text: String) throws {
        var helped = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                try #require(Self.isName(name) && !helped.contains(String(name)), "HELP: \(line)")
                helped.insert(String(name))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                try #require(parts.count == 2 && helped.contains(String(parts[0])) && types[String(parts[0])] == nil, "TYPE: \(line)")
                try #require(["counter", "gauge", "histogram"].contains(parts[1]), "TYPE: \(line)")
                types[String(parts[0])] = String(parts[1])
            } else {
                samples.append(try Self.sample(line))
            }
        }
        for sample in samples {
            let family = ["_bucket", "_sum", "_count"].first { sample.name.hasSuffix($0) && types[String(sample.name.dropLast($0.count))] == "histogram" }
                .map { String(sample.name.dropLast($0.count)) } ?? sample.name
            try #require(types[family] != nil, "no TYPE for \(sample.name)")
        }
    }

    static func isName(_ name: some StringProtocol) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    /// `name{key="value",...} value`, label values with \\, \" and \n escaped.
    static func sample(_ line: Substring) throws -> (String, [String: String], Double) {
        var rest = line[...]
        let name = rest.prefix { $0 != "{" && $0 != " " }
        try #require(isName(name), "sample name: \(line)")
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = rest.prefix { $0 != "=" }
                try #require(isName(key) && rest.dropFirst(key.count).hasPrefix("=\""), "label: \(line)")
                rest = rest.dropFirst(key.count + 2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        let escaped = try #require(rest.first, "escape: \(line)")
                        try #require(["\\", "\"", "n"].contains(escaped), "escape: \(line)")
                        value.append(escaped == "n" ? "\n" : escaped)
                        rest = rest.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                try #require(rest.first == "\"" && labels[String(key)] == nil, "label: \(line)")
                labels[String(key)] = value
                rest = rest.dropFirst()
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        try #require(rest.first == " ", "value: \(line)")
        let value = try #require(rest.dropFirst() == "+Inf" ? Double.infinity : Double(rest.dropFirst()), "value: \(line)")
        return (String(name), labels, value)
    }
}

@Suite struct KeepaliveMetricsTests {
    @Test func theExpositionParsesBackWithEveryMetric() throws {
        let text = String(decoding: KeepaliveMetrics.render([
            status("gre1", .up, replies: [400_000, 2_000_000, 30_000_000]),
            status("198.51.100.9#7", .down, withdrawn: 4),
        ]), as: UTF8.self)
        let exposition = try Exposition(text)
        #expect(exposition.types == [
            "gretool_keepalive_up": "gauge", "gretool_keepalive_state": "gauge", "gretool_keepalive_sent_total": "counter",
            "gretool_keepalive_received_total": "counter", "gretool_keepalive_rtt_seconds": "histogram",
            "gretool_keepalive_state_changes_total": "counter", "gretool_keepalive_last_change_timestamp_seconds": "gauge",
            "gretool_keepalive_routes_withdrawn": "gauge",
        ])
        func value(_ name: String, _ tunnel: String, _ extra: [String: String] = [:]) -> Double? {
            exposition.samples.first { $0.name == name && $0.labels == ["tunnel": tunnel, "remote": "198.51.100.2"].merging(extra) { $1 } }?.value
        }
        #expect(value("gretool_keepalive_up", "gre1") == 1 && value("gretool_keepalive_up", "198.51.100.9#7") == 0)
        #expect(value("gretool_keepalive_state", "gre1", ["state": "up"]) == 1)
        #expect(value("gretool_keepalive_state", "gre1", ["state": "down"]) == 0)
        #expect(value("gretool_keepalive_sent_total", "gre1") == 5 && value("gretool_keepalive_received_total", "gre1") == 3)
        #expect(value("gretool_keepalive_routes_withdrawn", "198.51.100.9#7") == 4)
        #expect(value("gretool_keepalive_state_changes_total", "gre1") == 3)
        #expect(value("gretool_keepalive_last_change_timestamp_seconds", "gre1") == 1_740_823_213.001)
        // The histogram: cumulative buckets in increasing order, +Inf equal to the count.
        let buckets = exposition.samples.filter { $0.name == "gretool_keepalive_rtt_seconds_bucket" && $0.labels["tunnel"] == "gre1" }
        let bounds = buckets.map { $0.labels["le"] == "+Inf" ? Double.infinity : Double($0.labels["le"]!)! }
        #expect(bounds == bounds.sorted() && bounds.last == .infinity && bounds.first == 0.0005)
        #expect(buckets.map(\.value) == buckets.map(\.value).sorted())
        #expect(value("gretool_keepalive_rtt_seconds_bucket", "gre1", ["le": "0.0005"]) == 1)
        #expect(value("gretool_keepalive_rtt_seconds_bucket", "gre1", ["le": "0.0025"]) == 2)
        #expect(value("gretool_keepalive_rtt_seconds_bucket", "gre1", ["le": "+Inf"]) == 3)
        #expect(value("gretool_keepalive_rtt_seconds_count", "gre1") == 3)
        #expect(value("gretool_keepalive_rtt_seconds_sum", "gre1") == 0.0324)
        // No series twice.
        let series = exposition.samples.map { "\($0.name)\($0.labels.sorted { $0.key < $1.key })" }
        #expect(Set(series).count == series.count)
    }

    @Test func labelValuesAreEscaped() {
        #expect(KeepaliveMetrics.escaped(#"a"b\c"# + "\n") == #"a\"b\\c\n"#)
    }
}

@Suite struct KeepaliveStatusViewTests {
    @Test func textBlocksAsFRRShowsPeers() {
        let text = String(decoding: KeepaliveStatusView.answer(["status"], [status("gre1", .up, replies: [400_000, 600_000], withdrawn: 0),
                                                                              status("gre2", .down, withdrawn: 3)]), as: UTF8.self)
        #expect(text == """
            gre1: up since 2025-03-01T10:00:13.001Z
                198.51.100.1 -> 198.51.100.2 key 42 interval 1 s, retries 3, up-after 2, hold-down 0 s, action routes
                rtt last 0.600 ms, min 0.400 ms, avg 0.500 ms, max 0.600 ms
                sent 4, received 2, missed 2 in a row, state changes 3
                withdrawn: nothing
            gre2: down since 2025-03-01T10:00:13.001Z
                198.51.100.1 -> 198.51.100.2 key 42 interval 1 s, retries 3, up-after 2, hold-down 0 s, action routes
                rtt last - ms, min - ms, avg - ms, max - ms
                sent 2, received 0, missed 2 in a row, state changes 3
                withdrawn: 3 routes

            """)
    }

    @Test func jsonLinesForOneTarget() {
        let text = String(decoding: KeepaliveStatusView.answer(["status", "json", "gre2"], [status("gre1", .up), status("gre2", .down, withdrawn: 3)]),
                          as: UTF8.self)
        #expect(text == #"{"tunnel":"gre2","state":"down","since":"2025-03-01T10:00:13.001Z","local":"198.51.100.1","remote":"198.51.100.2","icmp":null,"interval":1.000,"retries":3,"up_after":2,"hold_down":0.000,"action":"routes","rtt_ms":{"last":null,"min":null,"avg":null,"max":null},"sent":2,"received":0,"missed":2,"changes":3,"withdrawn":{"link_down":false,"routes":3,"nexthops":0,"nexthop_groups":0}}"# + "\n")
    }

    @Test func anyOtherRequestIsAnsweredWithAnError() {
        let statuses = [status("gre1", .up), status("json", .down)]
        func answer(_ words: [String]) -> String { String(decoding: KeepaliveStatusView.answer(words, statuses), as: UTF8.self) }
        #expect(answer(["stats"]) == "error: unknown request \"stats\": a watcher answers status [json] [TUNNEL] or configuration\n")
        #expect(answer([]) == "error: an empty request: a watcher answers status [json] [TUNNEL] or configuration\n")
        #expect(answer(["status", "gre1", "json"]) == #"{"error":"status takes one tunnel, not 2 (gre1 json)"}"# + "\n")
        #expect(answer(["show", "json"]) == #"{"error":"unknown request \"show\": a watcher answers status [json] [TUNNEL] or configuration"}"# + "\n")
        #expect(answer(["status", "gre1", "gre2"]) == "error: status takes one tunnel, not 2 (gre1 gre2)\n")
        // The words in their order: json, then the tunnel, which may be called json.
        #expect(answer(["status", "gre1"]).hasPrefix("gre1: up since"))
        #expect(answer(["status", "json", "json"]).hasPrefix(#"{"tunnel":"json","state":"down""#))
        #expect(answer(["status", "json"]).split(separator: "\n").count == 2)
        // The file a watcher reads, for apply; a watcher without one says so.
        #expect(answer(["configuration"]) == "error: this watcher reads no configuration file\n")
        #expect(String(decoding: KeepaliveStatusView.answer(["configuration"], statuses, configuration: "/etc/gretool/keepalive.conf"), as: UTF8.self)
                == "configuration /etc/gretool/keepalive.conf\n")
    }

    /// `keepalive status` fails on a watcher's refusal (a watcher of another version that
    /// does not know the request) instead of printing it as a status and exiting 0.
    @Test func aRefusalIsToldFromStatuses() {
        let statuses = [status("gre1", .up), status("error", .down)]
        func refusal(_ words: [String]) -> String? { KeepaliveStatusView.refusalMessage(in: KeepaliveStatusView.answer(words, statuses)) }
        #expect(refusal(["stats"]) == "unknown request \"stats\": a watcher answers status [json] [TUNNEL] or configuration")
        #expect(refusal(["show", "json"]) == "unknown request \"show\": a watcher answers status [json] [TUNNEL] or configuration")
        #expect(refusal(["status", "gre1", "gre2"]) == "status takes one tunnel, not 2 (gre1 gre2)")
        #expect(refusal(["status"]) == nil)
        #expect(refusal(["status", "json"]) == nil)
        // A tunnel called "error": its status starts as a refusal would, but takes several lines.
        #expect(refusal(["status", "error"]) == nil)
        #expect(refusal(["status", "json", "error"]) == nil)
        #expect(refusal(["status", "nothing-such"]) == nil)
    }
}
