import GreKit

/// The watcher's metrics in Prometheus's text exposition format (version 0.0.4), for
/// node_exporter's textfile collector: a HELP and a TYPE line per metric, then a sample
/// a line. Labels are the target's name and remote address only, so the number of
/// series grows with the targets and nothing else.
enum KeepaliveMetrics {
    static func render(_ statuses: [KeepaliveTargetStatus]) -> [UInt8] {
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: (KeepaliveTargetStatus, String) -> String) {
            text += "# HELP gretool_keepalive_\(name) \(help)\n# TYPE gretool_keepalive_\(name) \(type)\n"
            for status in statuses { text += samples(status, labels(status)) }
        }
        metric("up", "gauge", "1 when the tunnel's peer answers keepalives, else 0.") { status, labels in
            "gretool_keepalive_up{\(labels)} \(status.state == .up ? 1 : 0)\n"
        }
        metric("state", "gauge", "The keepalive state of the tunnel: 1 for its current state, 0 for the others.") { status, labels in
            [TunnelState.unknown, .up, .down, .absent].map {
                "gretool_keepalive_state{\(labels),state=\"\($0.rawValue)\"} \(status.state == $0 ? 1 : 0)\n"
            }.joined()
        }
        metric("sent_total", "counter", "Keepalives sent.") { status, labels in
            "gretool_keepalive_sent_total{\(labels)} \(status.sent)\n"
        }
        metric("received_total", "counter", "Replies counted (matched to a keepalive of the window).") { status, labels in
            "gretool_keepalive_received_total{\(labels)} \(status.received)\n"
        }
        metric("rtt_seconds", "histogram", "Round-trip time of the replies counted.") { status, labels in
            var lines = ""
            var cumulative: UInt64 = 0
            for (bound, count) in zip(RoundTripStatistics.bucketBounds, status.roundTrips.buckets) {
                cumulative += count
                lines += "gretool_keepalive_rtt_seconds_bucket{\(labels),le=\"\(seconds(bound))\"} \(cumulative)\n"
            }
            lines += "gretool_keepalive_rtt_seconds_bucket{\(labels),le=\"+Inf\"} \(status.roundTrips.count)\n"
            lines += "gretool_keepalive_rtt_seconds_sum{\(labels)} \(seconds(status.roundTrips.sum))\n"
            return lines + "gretool_keepalive_rtt_seconds_count{\(labels)} \(status.roundTrips.count)\n"
        }
        metric("state_changes_total", "counter", "Changes of state to up or down.") { status, labels in
            "gretool_keepalive_state_changes_total{\(labels)} \(status.changes)\n"
        }
        metric("last_change_timestamp_seconds", "gauge",
               "When the state last changed (or watching began), in seconds since the epoch.") { status, labels in
            "gretool_keepalive_last_change_timestamp_seconds{\(labels)} \(seconds(status.since))\n"
        }
        metric("routes_withdrawn", "gauge", "Routes the action holds withdrawn (or saved with the link it set down).") { status, labels in
            "gretool_keepalive_routes_withdrawn{\(labels)} \(status.withdrawn.routes)\n"
        }
        return Array(text.utf8)
    }

    /// `tunnel="gre1",remote="198.51.100.2"`, escaped as the format requires.
    private static func labels(_ status: KeepaliveTargetStatus) -> String {
        "tunnel=\"\(escaped(status.name))\",remote=\"\(status.target.remote)\""
    }

    /// A label value with backslash, double quote and newline escaped.
    static func escaped(_ value: String) -> String {
        var text = ""
        for character in value {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.append(character)
            }
        }
        return text
    }

    /// Nanoseconds as seconds, exactly: "0.0005", "1.5", "12".
    static func seconds(_ nanoseconds: Int64) -> String { Seconds.format(max(0, nanoseconds)) }
}
