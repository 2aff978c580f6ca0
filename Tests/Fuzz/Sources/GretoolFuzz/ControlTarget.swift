@testable import GreCLI
@testable import GreKit
import Netlink

extension FuzzTarget {
    /// A request on the watcher's control socket (`keepalive status`), as any local
    /// process may write one: its bytes in pieces of the sizes the first byte picks, up
    /// to a newline or the end, bounded; then the answer of a watcher of two targets,
    /// which must be whole lines, each of them JSON when JSON is asked for.
    static let control = FuzzTarget(
        name: "control", summary: "the keepalive watcher's control socket: requests in pieces, and their answers",
        dictionary: { ["status", "json", " ", "\n", "gre1", "198.51.100.2#42"] }
    ) { bytes in
        guard let first = bytes.first else { return }
        // As the server reads: at most its 256-byte chunk at a time.
        let pieceSize = Int(first) % 256 + 1
        var request = ControlServer.Request()
        var rest = bytes.dropFirst()
        var words: [String]?
        do {
            while words == nil {
                let piece = rest.prefix(pieceSize)
                rest = rest.dropFirst(piece.count)
                words = try request.receive(piece, ended: piece.isEmpty)
            }
        } catch {
            require(bytes.count - 1 > ControlServer.Request.limit, "control: a request of \(bytes.count - 1) bytes refused")
            return
        }
        let answer = KeepaliveStatusView.answer(words!, ControlAnswer.statuses)
        // Only a status request for a tunnel the watcher does not have goes unanswered.
        guard !answer.isEmpty else {
            require(words!.first == "status" && words!.count > 1, "control: no answer to \(words!)")
            return
        }
        require(answer.last == UInt8(ascii: "\n"), "control: an answer that does not end its line")
        if words!.contains("json") {
            for line in answer.split(separator: UInt8(ascii: "\n")) {
                require((try? JSONValue.parse(Array(line))) != nil, "control: an answer line that is not JSON: \(String(decoding: line, as: UTF8.self))")
            }
        }
    }
}

enum ControlAnswer {
    /// What a watcher of a tunnel (keyed, with round trips, routes withdrawn) and of an
    /// explicit target (pinged, never answered) answers about.
    static let statuses: [KeepaliveTargetStatus] = {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 1_000_000_000, retries: 3))
        for (nonce, roundTrip) in [Int64(2_000_000), 3_500_000].enumerated() {
            _ = machine.recordSend(nonce: UInt32(nonce + 1), at: 0)
            _ = machine.recordReply(nonce: UInt32(nonce + 1), at: roundTrip)
        }
        let local = IPAddress("198.51.100.1")!, remote = IPAddress("198.51.100.2")!
        return [
            KeepaliveTargetStatus(name: "gre1", target: KeepaliveTarget(local: local, remote: remote, key: 42),
                                  settings: KeepaliveWatcher.Settings(timing: .cisco, action: .routes, onDown: "logger \"down\""),
                                  isDevice: true, state: .down, since: 1_740_823_213_001_000_000, sent: machine.sent,
                                  received: machine.received, missed: 3, changes: 1, roundTrips: machine.roundTrips,
                                  withdrawn: ActionCounts(routes: 3)),
            KeepaliveTargetStatus(name: "203.0.113.9", target: KeepaliveTarget(local: local, remote: IPAddress("203.0.113.9")!),
                                  settings: KeepaliveWatcher.Settings(timing: .cisco, action: .none, echo: IPAddress("10.0.0.2")),
                                  isDevice: false, state: .up, since: 0),
        ]
    }()
}
