import Netlink
import Testing
@testable import GreKit

private let siteA = IPAddress("198.51.100.1")!
private let siteB = IPAddress("198.51.100.2")!

@Suite struct KeepalivePolicyTests {
    /// Sends keepalive `serial` at serial x 100 with nonce `serial`.
    private func send(_ machine: inout KeepaliveStateMachine, _ serial: Int) -> TunnelState? {
        machine.recordSend(nonce: UInt32(serial), at: Int64(serial) * 100)
    }

    private func answer(_ machine: inout KeepaliveStateMachine, _ serial: Int, after delay: Int64 = 5) -> TunnelState? {
        guard case .answered(_, let change) = machine.recordReply(nonce: UInt32(serial), at: Int64(serial) * 100 + delay) else {
            Issue.record("keepalive \(serial) not answered")
            return nil
        }
        return change
    }

    @Test func upAfterNeedsRepliesToConsecutiveKeepalives() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 100, retries: 3, upAfter: 3))
        _ = send(&machine, 1)
        #expect(answer(&machine, 1) == nil && machine.state == .unknown, "one reply is not three")
        _ = send(&machine, 2)
        #expect(answer(&machine, 2) == nil)
        _ = send(&machine, 3)
        // Keepalive 3 is lost: the run starts again from 4.
        _ = send(&machine, 4)
        #expect(answer(&machine, 4) == nil && machine.state == .unknown)
        _ = send(&machine, 5)
        #expect(answer(&machine, 5) == nil)
        _ = send(&machine, 6)
        #expect(answer(&machine, 6) == .up)
        #expect(machine.changes == 1 && machine.changedAt == 605)
    }

    /// The keepalives' places are counted back from the last sent, so they stay true
    /// once the oldest are forgotten (those of more than two windows ago, at each send).
    @Test func consecutiveKeepalivesAreToldApartAfterTheOldestAreForgotten() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 100, retries: 3, upAfter: 3))
        for serial in 1...20 { _ = send(&machine, serial) }
        #expect(machine.state == .down)
        #expect(answer(&machine, 19) == nil && answer(&machine, 20) == nil)
        _ = send(&machine, 21)
        // Keepalives 1 to 13 are forgotten by now; 21 is still the third in a row.
        _ = send(&machine, 22)
        #expect(machine.recordReply(nonce: 5, at: 2205) == .unknown)
        #expect(answer(&machine, 21) == .up)
        // Down again, then 32 and 33 answered, 34 lost, 35 answered: not three in a row.
        for serial in 23...33 { _ = send(&machine, serial) }
        #expect(machine.state == .down)
        #expect(answer(&machine, 32) == nil && answer(&machine, 33) == nil)
        _ = send(&machine, 34)
        _ = send(&machine, 35)
        #expect(answer(&machine, 35) == nil && machine.state == .down, "34 was lost")
    }

    /// Each send forgets the keepalives that aged past two windows (here 800), so the list
    /// a nonce is searched in holds the last nine, never more: a reply to the tenth from
    /// last is not known, one to the ninth is (late).
    @Test func keepalivesAreForgottenAsTheyAge() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 100, retries: 3))
        for serial in 1...50 {
            _ = send(&machine, serial)
            guard serial >= 10 else { continue }
            let now = Int64(serial) * 100 + 5
            #expect(machine.recordReply(nonce: UInt32(serial - 9), at: now) == .unknown, "keepalive \(serial - 9) forgotten")
            #expect(machine.recordReply(nonce: UInt32(serial - 8), at: now) == .stale, "keepalive \(serial - 8) remembered")
        }
    }

    @Test func upAfterOneIsCisco() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 100, retries: 3))
        _ = send(&machine, 1)
        #expect(answer(&machine, 1) == .up)
    }

    @Test func holdDownKeepsAFlappingTunnelDown() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 100, retries: 1, holdDown: 450))
        _ = send(&machine, 1)
        #expect(answer(&machine, 1) == .up, "no hold-down before the first down")
        _ = send(&machine, 2)
        #expect(send(&machine, 3) == .down)
        // Answers again from 4 (at 405): held down until replies have run for 450.
        for serial in 4...8 {
            _ = send(&machine, serial)
            #expect(answer(&machine, serial) == nil, "keepalive \(serial)")
        }
        // A loss restarts the hold-down.
        _ = send(&machine, 9)
        for serial in 10...14 {
            _ = send(&machine, serial)
            #expect(answer(&machine, serial) == nil, "keepalive \(serial)")
        }
        _ = send(&machine, 15)
        #expect(answer(&machine, 15) == .up, "1505 - 1005 >= 450")
        #expect(machine.changes == 3)
    }

    @Test func retimingKeepsTheStateAndCounters() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 100, retries: 3))
        _ = send(&machine, 1)
        _ = answer(&machine, 1)
        machine.retime(KeepaliveTiming(interval: 100, retries: 1))
        #expect(machine.state == .up && machine.sent == 1 && machine.received == 1)
        _ = send(&machine, 2)
        #expect(send(&machine, 3) == .down, "the new retries count")
    }

    @Test func roundTripStatistics() {
        var machine = KeepaliveStateMachine(timing: KeepaliveTiming(interval: 10_000_000_000, retries: 3))
        for (nonce, roundTrip) in [(1, 400_000), (2, 2_000_000), (3, 7_000_000_000)] as [(UInt32, Int64)] {
            _ = machine.recordSend(nonce: nonce, at: 0)
            _ = machine.recordReply(nonce: nonce, at: roundTrip)
        }
        let trips = machine.roundTrips
        #expect(trips.last == 7_000_000_000 && trips.minimum == 400_000 && trips.maximum == 7_000_000_000)
        #expect(trips.count == 3 && trips.average == (400_000 + 2_000_000 + 7_000_000_000) / 3)
        // 0.4 ms in the first bucket (<= 0.5 ms), 2 ms in the one up to 2.5 ms, 7 s past the last bound.
        #expect(trips.buckets[0] == 1 && trips.buckets[2] == 1 && trips.buckets.last == 1 && trips.buckets.reduce(0, +) == 3)
    }
}

@Suite struct ReplyIndexTests {
    /// Identities of every kind: GRE flows over IPv4, keyed or not, over IPv6, and echo targets.
    private func identity(_ number: Int) -> ReplyIdentity {
        let address = IPAddress.v4(IPv4Address(0x0a00_0000 | UInt32(number)))
        switch number % 4 {
        case 0: return .gre(GreFlow(source: address, destination: siteA, key: nil))
        case 1: return .gre(GreFlow(source: address, destination: siteA, key: UInt32(number)))
        case 2: return .gre(GreFlow(source: IPAddress("2001:db8::\(String(number, radix: 16))")!, destination: IPAddress("2001:db8::1")!, key: nil))
        default: return .echo(address)
        }
    }

    /// Files `count` identities (member n has identity n), takes out those `removed`
    /// says, in the order given, and checks every lookup.
    private func check(_ index: inout ReplyIndex, count: Int, removing removed: [Int]) {
        var known: [Int: ReplyIdentity] = [:]
        for member in 0..<count {
            index.insert(identity(member), member: member)
            known[member] = identity(member)
        }
        for member in removed {
            index.remove(identity(member), member: member)
            known[member] = nil
        }
        #expect(index.count == known.count)
        for member in 0..<count {
            #expect(index.member(identity(member)) { known[$0] } == (known[member] == nil ? nil : member), "member \(member)")
        }
        #expect(index.member(identity(count)) { known[$0] } == nil)
    }

    @Test func aHubsTargetsAreFoundAndForgotten() {
        var index = ReplyIndex()
        check(&index, count: 3000, removing: Array(stride(from: 0, to: 3000, by: 3)))
    }

    /// Every identity with one fingerprint: each is still told apart by its member's,
    /// and taking some out, first, last or between, leaves the others reachable.
    @Test func identitiesWithOneFingerprintAreToldApart() {
        var index = ReplyIndex { _ in 7 }
        check(&index, count: 40, removing: [0, 39, 17, 18, 5, 30, 1])
    }
}

@Suite struct ReplyIdentityTests {
    private let timing = KeepaliveTiming(interval: 100, retries: 3)

    @Test func aMemberIsNotStartedOnTheRepliesOfAnother() {
        var monitor = KeepaliveMonitor(timing: timing, members: 3)
        let target = KeepaliveTarget(local: siteA, remote: siteB)
        #expect(monitor.activate(0, target: target, at: 0) == nil)
        #expect(monitor.activate(1, target: target, at: 0) == 0, "member 0 gets these replies")
        #expect(monitor.members[1].target == nil && monitor.due(at: 0).map(\.member) == [0])
        // Keyed, the replies differ.
        #expect(monitor.activate(1, target: KeepaliveTarget(local: siteA, remote: siteB, key: 1), at: 0) == nil)
        // A change of endpoints onto member 0's is refused, and changes nothing.
        #expect(monitor.update(1, target: target) == 0)
        #expect(monitor.members[1].target == KeepaliveTarget(local: siteA, remote: siteB, key: 1))
        let reply = ReflectedKeepalive(flow: target.replyFlow, nonce: 1, hopLimit: 254)
        #expect(monitor.reply(reply, at: 1)?.member == 0)
    }

    @Test func membersHaveTheirOwnTiming() {
        var monitor = KeepaliveMonitor()
        let fast = monitor.addMember(timing: KeepaliveTiming(interval: 100, retries: 3))
        let slow = monitor.addMember(timing: KeepaliveTiming(interval: 300, retries: 3))
        monitor.activate(fast, target: KeepaliveTarget(local: siteA, remote: siteB), at: 0)
        monitor.activate(slow, target: KeepaliveTarget(local: siteA, remote: IPAddress("198.51.100.3")!), at: 0)
        let sends = stride(from: 0, through: 600, by: 100).flatMap { monitor.due(at: Int64($0)) }
        #expect(sends.filter { $0.member == fast }.count == 7 && sends.filter { $0.member == slow }.count == 3)
        #expect(monitor.slack == 5)
        // Retimed, the slow one follows its new interval from now.
        monitor.retime(slow, timing: KeepaliveTiming(interval: 100, retries: 3), at: 600)
        #expect(monitor.due(at: 700).map(\.member) == [fast, slow])
    }
}

@Suite struct KeepaliveServiceWordTests {
    private let defaults = try! KeepaliveWatchRequest.parse(["-f", "/etc/gretool/keepalive.conf", "interval", "2", "on-down", "logger down"])

    @Test func policyWords() throws {
        let request = try KeepaliveWatchRequest.parse(["gre1", "up-after", "3", "hold-down", "30", "metrics-file", "/run/k.prom"])
        #expect(request.timing == KeepaliveTiming(interval: 10_000_000_000, retries: 3, upAfter: 3, holdDown: 30_000_000_000))
        #expect(request.metricsFile == "/run/k.prom")
        #expect(throws: InvalidArgument(#"invalid up-after "0": expected a number 1..255"#)) {
            try KeepaliveWatchRequest.parse(["gre1", "up-after", "0"])
        }
        #expect(throws: InvalidArgument(#"invalid hold-down "90000": expected seconds from 0 to 86400"#)) {
            try KeepaliveWatchRequest.parse(["gre1", "hold-down", "90000"])
        }
    }

    @Test func aFileAloneIsEnough() throws {
        #expect(defaults.subjects.isEmpty && defaults.file == "/etc/gretool/keepalive.conf")
    }

    @Test func aLineTakesTheCommandLinesWordsAsDefaults() throws {
        let (subject, settings) = try KeepaliveWatchRequest.parseLine(["gre7", "retries", "5", "action", "link"], defaults: defaults)
        #expect(subject == .tunnel(try InterfaceName("gre7")))
        #expect(settings == KeepaliveWatcher.Settings(timing: KeepaliveTiming(interval: 2_000_000_000, retries: 5), action: .link,
                                                      onDown: "logger down"))
        let explicit = try KeepaliveWatchRequest.parseLine(words("local 198.51.100.1 remote 198.51.100.2 key 9"), defaults: defaults)
        #expect(explicit.subject == .explicit(KeepaliveTarget(local: siteA, remote: siteB, key: 9)))
    }

    @Test(arguments: [
        ("gre1 gre2", "one target a line (this one names 2)"),
        ("gre1 -f other.conf", "-f is an option of the command line, not of a target"),
        ("gre1 metrics-file /tmp/m", "metrics-file is an option of the command line, not of a target"),
        ("interval 1", "a target line: no tunnel given; name one, or give local ADDR remote ADDR"),
        ("gre1 retries 0", #"invalid retries "0": expected a number 1..255"#),
    ])
    func lineRefusals(text: String, message: String) {
        #expect(throws: InvalidArgument(message)) { try KeepaliveWatchRequest.parseLine(words(text), defaults: defaults) }
    }

    @Test func statusWords() throws {
        #expect(try KeepaliveStatusRequest.parse([]) == KeepaliveStatusRequest())
        #expect(try KeepaliveStatusRequest.parse(["gre1", "-j"]) { $0 == "-j" } == KeepaliveStatusRequest(name: "gre1"))
        #expect(throws: InvalidArgument("keepalive status shows one target or all (got gre1 and gre2)")) {
            try KeepaliveStatusRequest.parse(["gre1", "gre2"])
        }
    }
}

@Suite struct KeepaliveSummaryTests {
    private func status(_ name: String, _ state: TunnelState) -> KeepaliveTargetStatus {
        KeepaliveTargetStatus(name: name, target: KeepaliveTarget(local: siteA, remote: siteB),
                              settings: KeepaliveWatcher.Settings(timing: .cisco, action: .routes), isDevice: true,
                              state: state, since: 0)
    }

    @Test func theServiceStatusNamesWhatIsDown() {
        let statuses = (1...12).map { status("gre\($0)", .up) } + [status("gre13", .down), status("gre14", .unknown)]
        #expect(statuses.summary == "12 up, 1 down, 1 unknown: gre13")
        let many = (1...7).map { status("gre\($0)", .down) } + [status("gre8", .absent)]
        #expect(many.summary == "0 up, 7 down, 1 absent: gre1, gre2, gre3, gre4, gre5 and 2 more")
    }
}

@Suite struct EchoTests {
    @Test func anEchoRequestAndItsReply() throws {
        let request = EchoPacket.request(family: .inet, identifier: 0x1234, sequence: 0xbeef)
        #expect(Array(request[..<8]) == [8, 0, request[2], request[3], 0x12, 0x34, 0xbe, 0xef] && request.count == 16)
        #expect(request.withUnsafeBytes { InternetChecksum.compute($0) } == 0, "the checksum covers the message")
        #expect(EchoPacket.request(family: .inet6, identifier: 1, sequence: 2)[0] == 128)
        // An IPv4 echo reply as a raw socket reads it: the IP header, then ICMP.
        var reply: [UInt8] = [0x45, 0, 0, 36, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1]
        reply += [0, 0, 0, 0, 0x12, 0x34, 0xbe, 0xef] + [UInt8](repeating: 0, count: 8)
        InternetChecksum.fill(&reply, over: 0..<20, at: IPv4Header.checksumOffset)
        var damaged = reply
        damaged[8] = 63
        #expect(damaged.withUnsafeBytes { EchoPacket.reply($0, family: .inet, identifier: 0x1234) } == nil, "a bad IP header")
        let parsed = reply.withUnsafeBytes { EchoPacket.reply($0, family: .inet, identifier: 0x1234) }
        #expect(parsed?.source == IPAddress("10.0.0.2") && parsed?.sequence == 0xbeef)
        #expect(reply.withUnsafeBytes { EchoPacket.reply($0, family: .inet, identifier: 0x4321) } == nil, "another pinger's")
        reply[20] = 8
        #expect(reply.withUnsafeBytes { EchoPacket.reply($0, family: .inet, identifier: 0x1234) } == nil, "a request")
        let v6: [UInt8] = [129, 0, 0, 0, 0x12, 0x34, 0, 7]
        #expect(v6.withUnsafeBytes { EchoPacket.reply($0, family: .inet6, identifier: 0x1234) }?.sequence == 7)
    }

    @Test func echoTargetsAreKnownByTheAddressPinged() {
        var monitor = KeepaliveMonitor(timing: KeepaliveTiming(interval: 100, retries: 3), members: 3)
        let target = KeepaliveTarget(local: siteA, remote: siteB)
        let peer = IPAddress("10.0.0.2")!
        #expect(monitor.activate(0, target: target, echo: peer, at: 0) == nil)
        // The same tunnel endpoints with GRE keepalives: other replies.
        #expect(monitor.activate(1, target: target, at: 0) == nil)
        #expect(monitor.activate(2, target: KeepaliveTarget(local: siteA, remote: IPAddress("198.51.100.3")!), echo: peer, at: 0) == 0)
        let sends = monitor.due(at: 0)
        let nonce = try! #require(sends.first { $0.member == 0 }).nonce
        #expect(nonce <= 0xFFFF)
        #expect(monitor.echoReply(from: peer, sequence: UInt16(nonce), at: 3)?.outcome == .answered(roundTrip: 3, change: .up))
        #expect(monitor.echoReply(from: siteB, sequence: UInt16(nonce), at: 3) == nil)
    }

    @Test func icmpWords() throws {
        let request = try KeepaliveWatchRequest.parse(words("gre1 icmp 10.0.0.2"))
        #expect(request.settings.echo == IPAddress("10.0.0.2"))
        #expect(throws: InvalidArgument("icmp needs tunnel names: echo requests go out through the tunnel's device")) {
            try KeepaliveWatchRequest.parse(words("local 198.51.100.1 remote 198.51.100.2 icmp 10.0.0.2"))
        }
    }
}
