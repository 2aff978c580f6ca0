import GreKit

// A route's metrics (RTA_METRICS), as iproute2's print_rta_metrics writes them.
extension RouteView {
    /// print_rta_metrics: "mtu lock 1400 advmss 1300 congctl cubic "; JSON
    /// "metrics":[{...,"congestion":"cubic"}] (no locks in JSON).
    static func writeMetrics<Sink: ItemSink>(_ metrics: RouteMetrics, to sink: inout Sink) {
        sink.beginArray("metrics")
        sink.beginObject(nil)
        for metric in RouteMetric.allCases where metric != .lock {
            if metric == .congestionControl {
                // A name, not a number: its own field of the metrics.
                guard let algorithm = metrics.congestionControl else { continue }
                if !Sink.isJSON { sink.output.write(metrics.isLocked(metric) ? "congctl lock " : "congctl ") }
                sink.string("congestion", nil, algorithm)
                continue
            }
            let value = metrics[metric]
            guard value != nil || metrics.isLocked(metric) else { continue }
            var number = value ?? 0
            if metric == .hoplimit, number == UInt32.max { continue }
            let name = metricNames[metric] ?? "metric \(metric.rawValue)"
            if !Sink.isJSON {
                sink.output.write(name)
                sink.output.write(metrics.isLocked(metric) ? " lock " : " ")
            }
            switch metric {
            case .features:
                // print_rtax_features: ECN by name ("features ecn"; JSON "ecn":null),
                // other bits as the whole value in hexadecimal.
                if number & RouteMetric.ecnFeature != 0 { sink.null("ecn", "ecn") }
                if number & ~RouteMetric.ecnFeature != 0 { sink.string("features", nil, "0x" + String(number, radix: 16)) }
            case .rtt, .rttvar, .rtoMin:
                if metric == .rtt { number /= 8 } else if metric == .rttvar { number /= 4 }
                if Sink.isJSON {
                    sink.number(name, nil, UInt64(number))
                } else {
                    sink.output.write(number >= 1000 ? "\(Double(number) / 1000)s " : "\(number)ms ")
                }
            default:
                if Sink.isJSON { sink.number(name, nil, UInt64(number)) } else {
                    sink.output.write(decimal: UInt64(number))
                    sink.output.write(UInt8(ascii: " "))
                }
            }
        }
        sink.endObject()
        sink.endArray()
    }

    static let metricNames: [RouteMetric: String] = [
        .mtu: "mtu", .window: "window", .rtt: "rtt", .rttvar: "rttvar", .ssthresh: "ssthresh", .cwnd: "cwnd",
        .advmss: "advmss", .reordering: "reordering", .hoplimit: "hoplimit", .initcwnd: "initcwnd",
        .features: "features", .rtoMin: "rto_min", .initrwnd: "initrwnd", .quickack: "quickack",
        .fastopenNoCookie: "fastopen_no_cookie",
    ]
}
