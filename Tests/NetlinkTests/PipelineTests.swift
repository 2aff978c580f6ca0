import CMnl
import Testing
@testable import Netlink

/// A kernel stand-in: records what it is sent and refuses what `refuses` says.
private final class FakeKernel: BatchTransport {
    struct Sent: Equatable {
        var type: UInt16
        var flags: UInt16
        var body: [UInt8]
    }

    private var sequence: UInt32
    var receiveBufferSize = 2 << 20
    var refuses: (Sent) -> NetlinkError? = { _ in nil }
    /// Thrown for a datagram as the socket throws when replies were lost.
    var losesReplies: (_ datagram: Int) -> Bool = { _ in false }
    /// Each datagram's messages, in order.
    var datagrams: [[Sent]] = []
    /// Requests sent on their own (undos, requests that cannot be undone).
    var alone: [Sent] = []
    /// Everything, in the order it reached the kernel.
    var log: [String] = []

    init(sequencesAfter first: UInt32 = 1000) { sequence = first }

    func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    func perform(_ type: UInt16, flags: NetlinkFlags, _ build: (MessageWriter) throws -> Void) throws {
        let bytes = try MessageBuffer.encode(type: type, flags: flags, build)
        let sent = Sent(type: type, flags: flags.rawValue, body: Array(bytes.dropFirst(16)))
        alone.append(sent)
        log.append("alone \(type) \(sent.body.first ?? 0)")
        if let error = refuses(sent) { throw error }
    }

    func sendBatch(
        _ buffer: MessageBuffer, last: UInt32, sequences: ClosedRange<UInt32>,
        onError: (UInt32, NetlinkError) throws -> Void, onEcho: (NetlinkMessage) throws -> Void
    ) throws {
        var datagram: [Sent] = []
        for message in MessageSequence(buffer: buffer.bytes) {
            let sent = Sent(type: message.type, flags: message.flags.rawValue, body: Array(message.payload))
            datagram.append(sent)
            if let error = refuses(sent) { try onError(message.sequence, error) }
        }
        datagrams.append(datagram)
        log.append("datagram of \(datagram.count)")
        if losesReplies(datagrams.count) { throw NetlinkError.repliesLost }
    }
}

extension RequestPipeline {
    /// Tags what is queued next as a batch does, from a line's number and words.
    func tag(number: Int, words: [String]) {
        let bytes = words.flatMap { Array($0.utf8) + [RequestPipeline.wordEnd] }
        bytes.withUnsafeBytes { tag(number: number, wordBytes: $0) }
    }
}

/// A route-like body whose first byte tells requests apart.
private func request(_ marker: UInt8) -> (MessageWriter) throws -> Void {
    { message in
        var header = rtmsg()
        header.rtm_family = marker
        _ = try message.header(header, attributes: RouteAttribute.self)
    }
}

private let exists = NetlinkError(errno: .fileExists)
private let add = ChangeRequest(.newRoute, flags: [.create, .exclusive], undo: .resend(as: .deleteRoute))

@Suite struct PipelineTests {
    @Test func onlyTheLastMessageOfADatagramAsksForAnAcknowledgement() throws {
        let kernel = FakeKernel()
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for marker in 1...3 as ClosedRange<UInt8> { try pipeline.send(add, request(marker)) }
        #expect(kernel.datagrams.isEmpty, "nothing is sent before a flush")
        try pipeline.flush()
        let flags = kernel.datagrams.first?.map { NetlinkFlags(rawValue: $0.flags).contains(.ack) }
        #expect(flags == [false, false, true])
        #expect(kernel.datagrams.first?.map(\.body.first) == [1, 2, 3])
        try pipeline.flush()
        #expect(kernel.datagrams.count == 1, "a flush sends what is queued once")
    }

    @Test func aFailureStopsEverythingAfterItEvenInTheSameDatagram() throws {
        let kernel = FakeKernel()
        kernel.refuses = { $0.type == RouteMessageType.newRoute.rawValue && $0.body.first == 3 ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for marker in 1...5 as ClosedRange<UInt8> {
            pipeline.tag(number: Int(marker), words: ["line", "\(marker)"])
            try pipeline.send(add, request(marker))
        }
        let failure = try #require(throws: RequestPipeline.Failure.self) { try pipeline.flush() }
        #expect(failure.tag.number == 3 && failure.tag.words == ["line", "3"])
        #expect(failure.error == exists)
        // Lines 5 and 4 went through with line 3: they are taken back, newest first,
        // by the same description under the undo type.
        #expect(kernel.alone.map(\.type) == [RouteMessageType.deleteRoute.rawValue, RouteMessageType.deleteRoute.rawValue])
        #expect(kernel.alone.map { $0.body.first } == [5, 4])
        #expect(kernel.alone.map(\.body) == [kernel.datagrams[0][4].body, kernel.datagrams[0][3].body])
    }

    @Test func undoFailuresAreReportedWithTheFailure() throws {
        let kernel = FakeKernel()
        kernel.refuses = { sent in
            if sent.type == RouteMessageType.newRoute.rawValue, sent.body.first == 1 { return exists }
            if sent.type == RouteMessageType.deleteRoute.rawValue { return NetlinkError(errno: .noSuchProcess) }
            return nil
        }
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for marker in 1...2 as ClosedRange<UInt8> {
            pipeline.tag(number: Int(marker), words: [])
            try pipeline.send(add, request(marker))
        }
        let failure = try #require(throws: RequestPipeline.Failure.self) { try pipeline.flush() }
        #expect(failure.tag.number == 1)
        #expect(failure.undoFailures.map(\.tag.number) == [2])
    }

    @Test func requestsThatCannotBeUndoneGoAloneAfterWhatIsQueued() throws {
        let kernel = FakeKernel()
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        try pipeline.send(add, request(1))
        try pipeline.send(ChangeRequest(.deleteRoute, flags: []), request(2))
        try pipeline.send(add, request(3))
        try pipeline.flush()
        #expect(kernel.log == ["datagram of 1", "alone 25 2", "datagram of 1"])
    }

    @Test func ownUndoBodiesAreWrittenWhenQueued() throws {
        let kernel = FakeKernel()
        kernel.refuses = { $0.body.first == 9 ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        let nexthop = ChangeRequest(.newNexthop, flags: [.create, .exclusive], undo: .request(.deleteNexthop))
        try pipeline.send(add, request(9))
        try pipeline.send(nexthop, request(1), undo: request(77))
        #expect(throws: RequestPipeline.Failure.self) { try pipeline.flush() }
        #expect(kernel.alone.map(\.type) == [RouteMessageType.deleteNexthop.rawValue])
        #expect(kernel.alone.first?.body.first == 77)
    }

    @Test func forceModeQueuesEverythingAndReportsEveryFailure() throws {
        let kernel = FakeKernel()
        kernel.refuses = { $0.body.first.map { $0 % 2 == 0 } == true ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        var reported: [Int] = []
        pipeline.onFailure = { reported.append($0.tag.number) }
        for marker in 1...6 as ClosedRange<UInt8> {
            pipeline.tag(number: Int(marker), words: [])
            try pipeline.send(marker == 4 ? ChangeRequest(.deleteRoute, flags: []) : add, request(marker))
        }
        try pipeline.flush()
        #expect(reported == [2, 4, 6])
        #expect(kernel.datagrams.map(\.count) == [6])
        #expect(kernel.alone.isEmpty, "nothing is taken back with -force")
    }

    @Test func datagramsHoldABoundedNumberOfMessages() throws {
        let kernel = FakeKernel()
        let pipeline = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        for _ in 0..<(RequestPipeline.maximumMessages * 2 + 5) { try pipeline.send(add, request(1)) }
        try pipeline.flush()
        #expect(kernel.datagrams.map(\.count) == [RequestPipeline.maximumMessages, RequestPipeline.maximumMessages, 5])
    }

    @Test func aRequestLargerThanTheRoomLeftGoesInTheNextDatagramAndAsksForTheAcknowledgement() throws {
        let kernel = FakeKernel()
        let pipeline = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        func request(_ marker: UInt8, carrying bytes: [UInt8]) -> (MessageWriter) throws -> Void {
            { message in
                var header = rtmsg()
                header.rtm_family = marker
                try message.header(header, attributes: RouteAttribute.self).put(.encap, bytes)
            }
        }
        try pipeline.send(add, request(1, carrying: [UInt8](repeating: 0, count: 16 * 1024)))
        // Too large for what is left of the buffer beside request 1, not for an empty one.
        let large = [UInt8](repeating: 0xab, count: 60 * 1024)
        try pipeline.send(add, request(2, carrying: large))
        try pipeline.flush()
        #expect(kernel.datagrams.map { $0.map(\.body.first) } == [[1], [2]])
        #expect(kernel.datagrams.map { $0.map { NetlinkFlags(rawValue: $0.flags).contains(.ack) } } == [[true], [true]])
        #expect(kernel.datagrams.last?.last?.body.suffix(large.count).elementsEqual(large) == true, "the request as written")
    }

    @Test func lostRepliesMakeEveryLineOfTheDatagramUnknownAndNothingIsTakenBack() throws {
        let kernel = FakeKernel()
        kernel.losesReplies = { $0 == 1 }
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for marker in 1...4 as ClosedRange<UInt8> {
            pipeline.tag(number: Int(marker) + 10, words: ["line", "\(marker)"])
            try pipeline.send(add, request(marker))
        }
        let failure = try #require(throws: RequestPipeline.Failure.self) { try pipeline.flush() }
        #expect(failure.tag.number == 11 && failure.unknownThrough?.number == 14)
        #expect(failure.error == .repliesLost && failure.undoFailures.isEmpty)
        #expect(kernel.alone.isEmpty, "what took effect is unknown: nothing is taken back")
        // With -force it is reported, and the batch goes on.
        let forced = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        var reported: [(Int, Int?)] = []
        forced.onFailure = { reported.append(($0.tag.number, $0.unknownThrough?.number)) }
        kernel.losesReplies = { $0 == 2 }
        for marker in 1...3 as ClosedRange<UInt8> {
            forced.tag(number: Int(marker), words: [])
            try forced.send(add, request(marker))
            if marker == 2 { try forced.flush() }
        }
        try forced.flush()
        #expect(reported.map(\.0) == [1] && reported.map(\.1) == [2])
        #expect(kernel.datagrams.map(\.count) == [4, 2, 1])
    }

    @Test func datagramsAreBoundedByWhatTheirRepliesMayTake() throws {
        let kernel = EchoingKernel()
        let length = try MessageBuffer.encode(type: RouteMessageType.deleteRoute.rawValue, flags: [], request(1)).count
        let echoCost = RequestPipeline.replyCost(requestLength: length, echo: true)
        let addCost = RequestPipeline.replyCost(requestLength: length, echo: false)
        #expect(echoCost > 8 * 1024 && addCost >= 1024)
        kernel.receiveBufferSize = 3 * echoCost + echoCost / 2
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for marker in 1...10 as ClosedRange<UInt8> { try pipeline.send(delete, request(marker)) }
        try pipeline.flush()
        #expect(kernel.datagrams.map(\.count) == [3, 3, 3, 1])
        // Requests that ask for no echo may only fail: many more fit.
        for marker in 1...10 as ClosedRange<UInt8> { try pipeline.send(add, request(marker)) }
        try pipeline.flush()
        #expect(kernel.datagrams.last?.count == 10)
    }

    @Test func failuresAreFoundBetweenLookupsAndAcrossASequenceWrap() throws {
        // Name lookups take sequences between queued requests, and sequences start from
        // the clock, so they may wrap inside a datagram: each failure still names its line.
        let kernel = FakeKernel(sequencesAfter: UInt32.max - 4)
        kernel.refuses = { [2, 5, 6].contains($0.body.first) ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        var reported: [Int] = []
        pipeline.onFailure = { reported.append($0.tag.number) }
        for marker in 1...6 as ClosedRange<UInt8> {
            pipeline.tag(number: Int(marker), words: [])
            if marker % 2 == 0 { _ = kernel.nextSequence() }
            try pipeline.send(add, request(marker))
        }
        try pipeline.flush()
        #expect(reported == [2, 5, 6])
    }

    @Test func outcomes() {
        // Stop mode: the first failure is reported; later successes are undone, newest first.
        #expect(PipelineOutcome.decide(count: 6, failed: [4, 2], stopAtFirstFailure: true)
                == PipelineOutcome(reported: [2], undone: [5, 3]))
        #expect(PipelineOutcome.decide(count: 3, failed: [2], stopAtFirstFailure: true)
                == PipelineOutcome(reported: [2], undone: []))
        #expect(PipelineOutcome.decide(count: 3, failed: [], stopAtFirstFailure: true)
                == PipelineOutcome(reported: [], undone: []))
        // Force mode: every failure, nothing undone.
        #expect(PipelineOutcome.decide(count: 6, failed: [4, 2], stopAtFirstFailure: false)
                == PipelineOutcome(reported: [2, 4], undone: []))
    }
}

/// Tags are kept as bytes beside the queued requests: each failure still names its own.
@Suite struct PipelineTagTests {
    @Test func tagsSurviveFlushesAndLaterLines() throws {
        let kernel = FakeKernel()
        kernel.refuses = { $0.body.first.map { $0 % 3 == 0 } == true ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        var reported: [RequestPipeline.Tag] = []
        pipeline.onFailure = { reported.append($0.tag) }
        for marker in 1...(2 * RequestPipeline.maximumMessages) {
            pipeline.tag(number: marker, words: ["route", "add", "10.0.\(marker).0/24"])
            // A line that queues nothing leaves no trace.
            if marker % 5 == 0 { continue }
            try pipeline.send(add, request(UInt8(truncatingIfNeeded: marker)))
        }
        try pipeline.flush()
        let expected = (1...(2 * RequestPipeline.maximumMessages)).filter { $0 % 5 != 0 && UInt8(truncatingIfNeeded: $0) % 3 == 0 }
        #expect(reported.map(\.number) == expected)
        #expect(reported.allSatisfy { $0.words == ["route", "add", "10.0.\($0.number).0/24"] })
        #expect(pipeline.tag.number == 2 * RequestPipeline.maximumMessages)
    }

    @Test func wordsMayBeEmptyOrHoldBlanks() {
        let pipeline = RequestPipeline(transport: FakeKernel(), mode: .continueAfterFailures)
        pipeline.tag(number: 1, words: ["link", "set", "va", "alias", "to the hub", ""])
        #expect(pipeline.tag.words == ["link", "set", "va", "alias", "to the hub", ""])
        pipeline.tag(number: 2, words: [])
        #expect(pipeline.tag.words.isEmpty && pipeline.tag.number == 2)
    }
}

/// A kernel stand-in that also echoes each request that asks for it (NLM_F_ECHO),
/// as the kernel tells the requester what a delete removed: type and body as sent,
/// with the body's first byte plus 100 (what "the kernel" knows beyond the request).
private final class EchoingKernel: BatchTransport {
    private var sequence: UInt32 = 5000
    var receiveBufferSize = 2 << 20
    var refuses: (FakeKernel.Sent) -> NetlinkError? = { _ in nil }
    var echoes = true
    var datagrams: [[FakeKernel.Sent]] = []
    var alone: [FakeKernel.Sent] = []

    func nextSequence() -> UInt32 {
        sequence += 1
        return sequence
    }

    func perform(_ type: UInt16, flags: NetlinkFlags, _ build: (MessageWriter) throws -> Void) throws {
        let bytes = try MessageBuffer.encode(type: type, flags: flags, build)
        let sent = FakeKernel.Sent(type: type, flags: flags.rawValue, body: Array(bytes.dropFirst(16)))
        alone.append(sent)
        if let error = refuses(sent) { throw error }
    }

    func sendBatch(
        _ buffer: MessageBuffer, last: UInt32, sequences: ClosedRange<UInt32>,
        onError: (UInt32, NetlinkError) throws -> Void, onEcho: (NetlinkMessage) throws -> Void
    ) throws {
        var datagram: [FakeKernel.Sent] = []
        for message in MessageSequence(buffer: buffer.bytes) {
            let sent = FakeKernel.Sent(type: message.type, flags: message.flags.rawValue, body: Array(message.payload))
            datagram.append(sent)
            if let error = refuses(sent) {
                try onError(message.sequence, error)
            } else if echoes, message.flags.contains(.echo) {
                var body = sent.body
                body[0] &+= 100
                let echo = try MessageBuffer.encode(type: message.type, flags: [], sequence: message.sequence) { writer in
                    try body.withUnsafeBytes { try writer.body($0) }
                }
                try echo.withUnsafeBytes { try onEcho(NetlinkMessage(header: $0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))) }
            }
        }
        datagrams.append(datagram)
    }
}

/// What the tests' deletes remove comes back as the echo says, marked 200 + its byte.
private enum MarkedRoute: Recreatable {
    static func recreationFlags(of deleted: NetlinkMessage) -> NetlinkFlags { [.create, .append] }

    static func writeRecreation(of deleted: NetlinkMessage, into message: MessageWriter) throws {
        var header = deleted.familyHeader(rtmsg.self)!
        header.rtm_family &+= 100
        _ = try message.header(header, attributes: RouteAttribute.self)
    }
}

private let delete = ChangeRequest(.deleteRoute, flags: [], undo: .recreate(as: .newRoute, kind: MarkedRoute.self))

@Suite struct PipelinedDeleteTests {
    @Test func deletesAfterAFailureComeBackAsTheKernelDescribedThem() throws {
        let kernel = EchoingKernel()
        kernel.refuses = { $0.type == RouteMessageType.newRoute.rawValue && $0.body.first == 3 ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for (marker, change) in [(1, delete), (2, add), (3, add), (4, delete), (5, add), (6, delete)] as [(UInt8, ChangeRequest)] {
            pipeline.tag(number: Int(marker), words: [])
            try pipeline.send(change, request(marker))
        }
        let failure = try #require(throws: RequestPipeline.Failure.self) { try pipeline.flush() }
        #expect(failure.tag.number == 3 && failure.undoFailures.isEmpty)
        #expect(kernel.datagrams.count == 1, "deletes travel in the datagram with the rest")
        #expect(kernel.datagrams[0].map { NetlinkFlags(rawValue: $0.flags).contains(.echo) } == [true, false, false, true, false, true])
        // Newest first: 6 and 4 created again from their echoes (4 + 100, + 100 again), 5 deleted.
        #expect(kernel.alone.map(\.type) == [RouteMessageType.newRoute.rawValue, RouteMessageType.deleteRoute.rawValue,
                                             RouteMessageType.newRoute.rawValue])
        #expect(kernel.alone.map { $0.body.first } == [206, 5, 204])
        // With the flags the kind gives.
        let append = NetlinkFlags([.create, .append]).rawValue
        #expect(kernel.alone.map(\.flags) == [append, 0, append])
    }

    @Test func aDeleteTheKernelDidNotDescribeIsReported() throws {
        let kernel = EchoingKernel()
        kernel.echoes = false
        kernel.refuses = { $0.body.first == 1 ? exists : nil }
        let pipeline = RequestPipeline(transport: kernel, mode: .stopAtFirstFailure)
        for marker in 1...2 as ClosedRange<UInt8> {
            pipeline.tag(number: Int(marker), words: [])
            try pipeline.send(marker == 1 ? add : delete, request(marker))
        }
        let failure = try #require(throws: RequestPipeline.Failure.self) { try pipeline.flush() }
        #expect(failure.undoFailures.map(\.tag.number) == [2])
        #expect(failure.undoFailures.first?.error.errno == .noData)
        #expect(kernel.alone.isEmpty)
    }

    @Test func withForceDeletesAskForNoEcho() throws {
        let kernel = EchoingKernel()
        let pipeline = RequestPipeline(transport: kernel, mode: .continueAfterFailures)
        try pipeline.send(delete, request(1))
        try pipeline.flush()
        #expect(kernel.datagrams.first?.map { NetlinkFlags(rawValue: $0.flags).contains(.echo) } == [false])
    }

    @Test func undoKindsCompare() {
        #expect(ChangeRequest.Undo.recreate(as: .newRoute, kind: MarkedRoute.self) == .recreate(as: .newRoute, kind: MarkedRoute.self))
        #expect(ChangeRequest.Undo.recreate(as: .newRoute, kind: MarkedRoute.self) != .recreate(as: .newAddress, kind: MarkedRoute.self))
        #expect(ChangeRequest.Undo.recreate(as: .newRoute, kind: MarkedRoute.self) != .resend(as: .newRoute))
    }
}
