import Testing
@testable import GreCLI
@testable import GreKit

@Suite struct KeepaliveOutputTests {
    private func event(_ kind: KeepaliveEvent.Kind, state: TunnelState = .up, roundTrip: Int64? = 412_345, missed: Int = 0) -> KeepaliveEvent {
        KeepaliveEvent(kind: kind, tunnel: "gre1", state: state, roundTrip: roundTrip, sent: 10, received: 6, missed: missed)
    }

    @Test func textLinesForPeopleAndScripts() {
        #expect(KeepaliveReport.text(event(.state)) == "gre1: up (rtt 0.412 ms)")
        #expect(KeepaliveReport.text(event(.state, state: .down, missed: 4)) == "gre1: down (4 keepalives unanswered, last rtt 0.412 ms)")
        #expect(KeepaliveReport.text(event(.state, state: .down, roundTrip: nil, missed: 4)) == "gre1: down (4 keepalives unanswered, no reply yet)")
        #expect(KeepaliveReport.text(event(.sent(failure: nil), missed: 2)) == "gre1: keepalive sent (2 unanswered)")
        #expect(KeepaliveReport.text(event(.sent(failure: "Network is unreachable"), missed: 2))
            == "gre1: keepalive not sent: Network is unreachable (2 unanswered)")
        #expect(KeepaliveReport.text(event(.reply)) == "gre1: reply in 0.412 ms")
        #expect(KeepaliveReport.text(event(.deleted, state: .absent)) == "gre1: deleted; waiting for it to come back")
        #expect(KeepaliveReport.text(event(.action(.routesWithdrawn(RouteWithdrawal(routes: 2))))) == "gre1: withdrew 2 routes")
    }

    @Test func jsonLinesCarryEveryCounter() {
        let text = captured { output in
            KeepaliveReport(output: output, json: true).write(event(.state, state: .down, missed: 4))
        }
        // The timestamp varies; everything after it is fixed.
        #expect(text.hasPrefix(#"{"timestamp":""#))
        #expect(text.hasSuffix(#"Z","event":"state","tunnel":"gre1","state":"down","rtt_ms":0.412,"sent":10,"received":6,"missed":4}"# + "\n"))
        let unanswered = captured { output in
            KeepaliveReport(output: output, json: true).write(event(.problem(.hookFailed(reason: "cannot \"x\"")), roundTrip: nil))
        }
        #expect(unanswered.hasSuffix(#""rtt_ms":null,"sent":10,"received":6,"missed":0,"message":"cannot \"x\""}"# + "\n"))
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        #expect(KeepaliveReport.timestamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(KeepaliveReport.timestamp(1_740_823_213_001_999_999) == "2025-03-01T10:00:13.001Z")
    }

    @Test func decimalsWithoutFloatingPoint() {
        #expect(String(decimal: 412, fractionDigits: 3) == "0.412")
        #expect(String(decimal: 12_005, fractionDigits: 3) == "12.005")
        #expect(String(decimal: -5, fractionDigits: 2) == "-0.05")
        #expect(String(decimal: 7, fractionDigits: 0) == "7")
    }
}

/// The domain reports what the watcher and its actions did as values; these are the
/// lines the command line makes of them.
@Suite struct KeepaliveEventTextTests {
    private let injected = "injected (Device or resource busy)"

    private func prefix(_ text: String) -> IPPrefix { try! IPPrefix(parsing: text) }

    @Test func actionOutcomes() {
        func text(_ outcome: KeepaliveActionOutcome) -> String { outcome.description(tunnel: "gre1") }
        #expect(text(.linkSetDown(saved: ActionCounts(routes: 4, nexthops: 1, nexthopGroups: 2)))
            == "set link down (4 routes, 1 nexthop and 2 nexthop groups through it saved)")
        #expect(text(.restored(ActionCounts(routes: 4, nexthops: 1, nexthopGroups: 2), linkSetUp: true, keptToRetry: []))
            == "set link up, 4 routes, 1 nexthop and 2 nexthop groups back")
        let failed = text(.restored(ActionCounts(routes: 1), linkSetUp: true, keptToRetry: [
            KeepaliveActionFailure(.nexthop(id: 1), reason: injected), KeepaliveActionFailure(.nexthopGroup(id: 10), reason: "Invalid nexthop id"),
            KeepaliveActionFailure(.route(prefix("203.0.113.0/24")), reason: injected),
        ]))
        #expect(failed == "set link up, 1 route back; failed, kept to retry: nexthop id 1: \(injected), "
            + "nexthop group id 10: Invalid nexthop id, 203.0.113.0/24: \(injected)")
        #expect(text(.routesWithdrawn(RouteWithdrawal(routes: 3, kept: [prefix("10.2.0.0/16")])))
            == "withdrew 3 routes; kept (shared nexthop group): 10.2.0.0/16")
        #expect(text(.routesWithdrawn(RouteWithdrawal(routes: 6, reduced: 1))) == "withdrew 6 routes (1 ECMP, only their legs through gre1)")
        #expect(text(.routesWithdrawn(RouteWithdrawal(routes: 1, failures: [KeepaliveActionFailure(.route(prefix("10.0.0.0/30")), reason: injected)])))
            == "withdrew 1 route; failed: 10.0.0.0/30: \(injected)")
        #expect(text(.restored(ActionCounts(routes: 2), linkSetUp: false,
                               keptToRetry: [KeepaliveActionFailure(.route(prefix("10.0.0.0/30")), reason: injected)]))
            == "restored 2 routes; failed, kept to retry: 10.0.0.0/30: \(injected)")
        #expect(text(.restored(ActionCounts(routes: 1), linkSetUp: false, keptToRetry: [])) == "restored 1 route")
    }

    @Test func problemsNameTheTunnelAndWhatFailed() {
        func line(_ problem: KeepaliveProblem, tunnel: String = "gre1") -> String {
            KeepaliveEvent(kind: .problem(problem), tunnel: tunnel, state: .down).text
        }
        #expect(line(.takeDownFailed(reason: "x")) == "gre1: error: cannot take down gre1: x")
        #expect(line(.bringUpFailed(reason: "x")) == "gre1: error: cannot bring up gre1: x (kept to retry)")
        #expect(line(.restoreFailed(reason: "x")) == "gre1: error: cannot restore gre1: x")
        #expect(line(.notRestored(linkDown: true, ActionCounts(routes: 3, nexthops: 1)))
            == "gre1: error: not restored on exit: link left down, 3 routes and 1 nexthop")
        #expect(line(.notRestored(linkDown: false, ActionCounts(routes: 1))) == "gre1: error: not restored on exit: 1 route")
        #expect(line(.unusable(reason: "gre1 has no remote address")) == "gre1: error: gre1 has no remote address; keepalives stop until it is usable again")
        #expect(line(.linkNotificationsFailed(reason: "x"), tunnel: "") == "gretool: error: link notifications: x")
        #expect(line(.receiveFailed(reason: "x"), tunnel: "") == "gretool: error: x")
    }

    @Test func watchingNamesEndpointsTimingAndAction() {
        let watching = Watching(target: KeepaliveTarget(local: IPAddress("198.51.100.1")!, remote: IPAddress("198.51.100.2")!, key: 42),
                                timing: .cisco, action: .routes)
        let watch = KeepaliveEvent(kind: .watch(watching), tunnel: "gre1", state: .unknown)
        #expect(watch.text == "gre1: watching 198.51.100.1 -> 198.51.100.2 key 42 (interval 10 s, retries 3, action routes)")
        #expect(KeepaliveEvent(kind: .created(watching), tunnel: "gre1", state: .unknown).text
            == "gre1: back; watching 198.51.100.1 -> 198.51.100.2 key 42 (interval 10 s, retries 3, action routes)")
        let json = captured { KeepaliveReport(output: $0, json: true).write(watch) }
        #expect(json.hasSuffix(#""event":"watch","tunnel":"gre1","state":"unknown","rtt_ms":null,"sent":0,"received":0,"missed":0,"#
            + #""message":"198.51.100.1 -> 198.51.100.2 key 42 (interval 10 s, retries 3, action routes)"}"# + "\n"))
    }

    @Test func textLinesStartWithTheTime() {
        let text = captured { KeepaliveReport(output: $0, json: false).write(KeepaliveEvent(kind: .deleted, tunnel: "gre1", state: .absent)) }
        // "2025-03-01T10:00:13.001Z gre1: deleted; ..."
        #expect(text.count > 25 && text.dropFirst(23).hasPrefix("Z gre1: deleted; waiting for it to come back\n"))
    }

    @Test func aPingResultIsOneObjectOrOneLine() {
        func render(_ result: KeepalivePing.Result, json: Bool, pretty: Bool = false) -> String {
            captured { output in
                var options = GlobalOptions()
                options.pretty = pretty
                Printer.print(one: result.fields(tunnel: "gre1"), session: Session(options: options, output: output), json: json)
            }
        }
        let answered = KeepalivePing.Result(roundTrip: 412_345, sent: 2)
        #expect(render(answered, json: false) == "gre1: answered in 0.412 ms (2 keepalives sent)\n")
        #expect(render(answered, json: true) == #"{"tunnel":"gre1","answered":true,"rtt_ms":0.412,"sent":2}"# + "\n")
        #expect(render(KeepalivePing.Result(roundTrip: nil, sent: 3), json: true)
            == #"{"tunnel":"gre1","answered":false,"rtt_ms":null,"sent":3}"# + "\n")
        #expect(render(answered, json: true, pretty: true) == """
        {
            "tunnel": "gre1",
            "answered": true,
            "rtt_ms": 0.412,
            "sent": 2
        }

        """)
    }
}

@Suite struct KeepaliveOutputWordTests {
    @Test func theCommandLinesOptionsAmongAVerbsWords() throws {
        var output = KeepaliveOutputWords(json: false, takesVerbose: true)
        let request = try KeepaliveWatchRequest.parse(["gre1", "-json", "on-down", "-v", "-verbose"]) { output.take($0) }
        #expect(output.json && output.verbose)
        // A value stays a value.
        #expect(request.onDown == "-v")
    }

    @Test func verboseOnlyWhereTheVerbSaysMore() throws {
        var output = KeepaliveOutputWords(json: true, takesVerbose: false)
        #expect(!output.take("-v") && output.take("-j") && output.json && !output.verbose)
        #expect(throws: InvalidArgument("keepalive probe checks one tunnel at a time (got 2)")) {
            try KeepaliveProbeRequest.parse(["gre1", "-v"]) { output.take($0) }
        }
        #expect(KeepaliveOutputWords.spellings(takesVerbose: false) == ["-j", "-json"])
    }
}
