import Testing
@testable import GreCLI
@testable import GreKit

@Suite struct KeepaliveOutputTests {
    private func event(_ kind: KeepaliveEvent.Kind, state: TunnelState = .up, roundTrip: Int64? = 412_345, missed: Int = 0,
                       message: String? = nil) -> KeepaliveEvent {
        KeepaliveEvent(kind: kind, tunnel: "gre1", state: state, roundTrip: roundTrip, sent: 10, received: 6, missed: missed, message: message)
    }

    @Test func textLinesForPeopleAndScripts() {
        #expect(KeepaliveReport.text(event(.state)) == "gre1: up (rtt 0.412 ms)")
        #expect(KeepaliveReport.text(event(.state, state: .down, missed: 4)) == "gre1: down (4 keepalives unanswered, last rtt 0.412 ms)")
        #expect(KeepaliveReport.text(event(.state, state: .down, roundTrip: nil, missed: 4)) == "gre1: down (4 keepalives unanswered, no reply yet)")
        #expect(KeepaliveReport.text(event(.sent, missed: 2)) == "gre1: keepalive sent (2 unanswered)")
        #expect(KeepaliveReport.text(event(.sent, missed: 2, message: "not sent: Network is unreachable"))
            == "gre1: keepalive not sent: Network is unreachable (2 unanswered)")
        #expect(KeepaliveReport.text(event(.reply)) == "gre1: reply in 0.412 ms")
        #expect(KeepaliveReport.text(event(.deleted, state: .absent)) == "gre1: deleted; waiting for it to come back")
        #expect(KeepaliveReport.text(event(.action, message: "withdrew 2 routes")) == "gre1: withdrew 2 routes")
    }

    @Test func jsonLinesCarryEveryCounter() {
        let text = captured { output in
            KeepaliveReport(output: output, json: true).write(event(.state, state: .down, missed: 4))
        }
        // The timestamp varies; everything after it is fixed.
        #expect(text.hasPrefix(#"{"timestamp":""#))
        #expect(text.hasSuffix(#"Z","event":"state","tunnel":"gre1","state":"down","rtt_ms":0.412,"sent":10,"received":6,"missed":4}"# + "\n"))
        let unanswered = captured { output in
            KeepaliveReport(output: output, json: true).write(event(.error, roundTrip: nil, message: "cannot \"x\""))
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
