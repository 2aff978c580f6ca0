import CMnl

/// A request that changes the kernel's state, and how to take it back exactly.
public struct ChangeRequest: Sendable {
    public enum Undo: Sendable, Equatable {
        /// Not exactly: a replace, an append. When a failure must stop everything after
        /// it, such a request goes to the kernel on its own.
        case impossible
        /// The same body under another type: what `add` created with NLM_F_EXCL,
        /// the same description deletes, and only that.
        case resend(as: RouteMessageType)
        /// A body of its own (the `undo` writer of `ChangeSink.send`).
        case request(RouteMessageType)
        /// What a delete removed, created again as the kernel described it: the request
        /// asks for that description (NLM_F_ECHO) and `kind` writes the request from it.
        case recreate(as: RouteMessageType, kind: any Recreatable.Type)

        public static func == (lhs: Undo, rhs: Undo) -> Bool {
            switch (lhs, rhs) {
            case (.impossible, .impossible): true
            case let (.resend(a), .resend(b)), let (.request(a), .request(b)): a == b
            case let (.recreate(a, kindA), .recreate(b, kindB)): a == b && kindA == kindB
            default: false
            }
        }
    }

    public var type: RouteMessageType
    public var flags: NetlinkFlags
    public var undo: Undo

    public init(_ type: RouteMessageType, flags: NetlinkFlags, undo: Undo = .impossible) {
        self.type = type
        self.flags = flags
        self.undo = undo
    }
}

/// Where changes go: straight to the kernel (a socket, one acknowledged request at a
/// time), or into a `RequestPipeline` that sends many per datagram.
public protocol ChangeSink: AnyObject {
    /// Sends (or queues) the request `build` writes. `undo` writes the body that takes
    /// it back when `request.undo` is `.request`; it runs at once or never.
    func send(_ request: ChangeRequest, _ build: (MessageWriter) throws -> Void, undo: (MessageWriter) throws -> Void) throws
}

extension ChangeSink {
    public func send(_ request: ChangeRequest, _ build: (MessageWriter) throws -> Void) throws {
        try send(request, build, undo: { _ in })
    }
}

extension NetlinkSocket: ChangeSink {
    public func send(_ request: ChangeRequest, _ build: (MessageWriter) throws -> Void, undo: (MessageWriter) throws -> Void) throws {
        try perform(request.type.rawValue, flags: request.flags, build)
    }
}

/// Objects a pipelined delete can take back: from the kernel's description of what it
/// deleted (its echo of the request), the request that creates exactly that again.
public protocol Recreatable: Sendable {
    /// The flags of that request: NLM_F_CREATE, and how it may meet what exists.
    static func recreationFlags(of deleted: NetlinkMessage) -> NetlinkFlags
    /// Writes the body of the request that creates what `deleted` describes, or throws
    /// when the description holds something the request could not give back.
    static func writeRecreation(of deleted: NetlinkMessage, into message: MessageWriter) throws
}

/// What the pipeline needs from a socket (tests stand in for the kernel).
public protocol BatchTransport: AnyObject {
    func nextSequence() -> UInt32
    /// What the kernel may queue for the transport before it drops replies.
    var receiveBufferSize: Int { get }
    func perform(_ type: UInt16, flags: NetlinkFlags, _ build: (MessageWriter) throws -> Void) throws
    /// Sends the buffer's messages in one datagram and reads the replies up to the
    /// answer to `last`: failures go to `onError`, every other reply to the datagram's
    /// requests (the echoes NLM_F_ECHO asks for) to `onEcho`, in order.
    func sendBatch(
        _ buffer: MessageBuffer, last: UInt32, sequences: ClosedRange<UInt32>,
        onError: (UInt32, NetlinkError) throws -> Void, onEcho: (NetlinkMessage) throws -> Void) throws
}

extension NetlinkSocket: BatchTransport {}

/// Sends changes many per datagram, as `ip -batch` would send them one by one, and
/// keeps `ip -batch`'s meaning:
///
/// - `stopAtFirstFailure`: nothing after a failed request may take effect. The
///   kernel applies every message of a datagram, so only requests that can be taken
///   back exactly are queued (creations by their own description, deletes by the
///   kernel's echo of what they deleted); when one fails, those after it that
///   succeeded are taken back, newest first, and the failure is thrown. Other
///   requests are sent alone, after what is queued.
/// - `continueAfterFailures`: everything is queued; each failure goes to `onFailure`.
///
/// Acknowledgements are matched by sequence number; only the last message of a
/// datagram asks for one, the others are answered only when they fail.
public final class RequestPipeline: ChangeSink {
    public enum Mode: Sendable { case stopAtFirstFailure, continueAfterFailures }

    /// What a request was queued for, reported with its failure: a batch line's number
    /// and words.
    public struct Tag: Sendable {
        public var number: Int
        public var words: [String]
        public init(number: Int, words: [String]) {
            self.number = number
            self.words = words
        }
    }

    /// A queued request the kernel refused, named by the tag it was queued with; or the
    /// requests of a datagram whose replies were lost.
    public struct Failure: Error {
        /// The request refused, or the first whose outcome is unknown.
        public let tag: Tag
        public let error: NetlinkError
        /// Set when the replies to a datagram were lost (`NetlinkError.repliesLost`):
        /// the last request whose outcome, as that of every one from `tag`, is unknown.
        public var unknownThrough: Tag?
        /// Later requests that could not be taken back (stop mode).
        public var undoFailures: [(tag: Tag, error: NetlinkError)] = []
    }

    /// Messages per datagram, at most.
    public static let maximumMessages = 128

    /// What the replies to a request may take of the socket's receive buffer, which must
    /// hold them all until the datagram's last is answered. The kernel counts a reply's
    /// buffer: the message rounded up to a power of two, plus its overhead. Any request
    /// may fail (an acknowledgement with an error text, ~1.3 KiB); a delete that asks
    /// for its echo also gets the description of what went, which may be far larger
    /// than the request (a route named by its prefix may have had 64 legs: ~8.5 KiB),
    /// so it is counted generously. A datagram's requests share the receive buffer.
    static func replyCost(requestLength: Int, echo: Bool) -> Int {
        2 * 1024 + (echo ? 8 * 1024 + 8 * requestLength : 0)
    }

    /// Room kept free in the buffers, so an ordinary request always fits after a check.
    static let reserve = 8 * 1024

    public let mode: Mode
    private let transport: any BatchTransport
    /// The receive buffer the replies to one datagram may take (`replyCost`).
    private let replyBudget: Int
    @exclusivity(unchecked) private var replyBytes = 0
    private let requests = MessageBuffer(capacity: 64 * 1024)
    private let undos = MessageBuffer(capacity: 32 * 1024)
    /// The kernel's echoes of queued deletes (a datagram's worth), as received.
    @exclusivity(unchecked) private var echoes = ByteStore()
    // One thread owns a pipeline; the runtime's exclusivity checks are not worth their cost here.
    @exclusivity(unchecked) private var entries: [Entry] = []
    /// The words of the tags queued requests carry, then the current tag's: each word's
    /// bytes followed by a newline (words of a batch line hold none). Entries name their
    /// tag by a range here, so queuing a request copies no strings and counts no references.
    @exclusivity(unchecked) private var tagWords = ByteStore()
    /// The bytes of `tagWords` that queued entries name.
    @exclusivity(unchecked) private var taggedEnd = 0
    @exclusivity(unchecked) private var currentTag = TagReference(number: 0, words: 0..<0)

    /// What the requests queued from now on are reported as.
    public var tag: Tag { tag(currentTag) }

    /// Sets the tag from words already in the stored form: each word's UTF-8 bytes
    /// followed by a newline (a batch line is split into that form anyway).
    public func tag(number: Int, wordBytes: UnsafeRawBufferPointer) {
        startTag(number: number)
        tagWords.append(wordBytes)
        currentTag.words = currentTag.words.lowerBound..<tagWords.count
    }

    /// Ends every word in the stored form of a tag.
    @inlinable public static var wordEnd: UInt8 { UInt8(ascii: "\n") }

    /// Continue mode: told of every failure, in order.
    public var onFailure: (Failure) -> Void = { _ in }

    /// A tag as entries hold it: plain values.
    private struct TagReference {
        var number: Int
        var words: Range<Int>
    }

    private struct Entry {
        let sequence: UInt32
        let offset: Int
        let tag: TagReference
        var undo: UndoStep
    }

    private enum UndoStep {
        case none
        case resend(UInt16)
        case message(offset: Int)
        /// `echo`: where the kernel's echo is in `echoes`, once it came.
        case recreate(UInt16, kind: any Recreatable.Type, echo: Int?)
    }

    public init(transport: any BatchTransport, mode: Mode) {
        self.transport = transport
        self.mode = mode
        replyBudget = transport.receiveBufferSize
        entries.reserveCapacity(Self.maximumMessages)
    }

    public func send(_ request: ChangeRequest, _ build: (MessageWriter) throws -> Void, undo: (MessageWriter) throws -> Void) throws {
        let rollback = mode == .stopAtFirstFailure
        if rollback, request.undo == .impossible {
            try flush()
            try transport.perform(request.type.rawValue, flags: request.flags, build)
            return
        }
        if entries.count >= Self.maximumMessages || requests.capacity - requests.used < Self.reserve
            || undos.capacity - undos.used < Self.reserve {
            try flush()
        }
        let sequence = transport.nextSequence()
        var flags = request.flags.union(.request)
        if rollback, case .recreate = request.undo { flags.insert(.echo) }
        let (offset, replyCost) = try append(type: request.type.rawValue, flags: flags, sequence: sequence, build)
        var step = UndoStep.none
        if rollback {
            switch request.undo {
            case .impossible: break
            case .resend(let type): step = .resend(type.rawValue)
            case .recreate(let type, let kind): step = .recreate(type.rawValue, kind: kind, echo: nil)
            case .request(let type):
                let undoOffset = undos.used
                do {
                    try undos.append(type: type.rawValue, flags: .request, sequence: 0, undo)
                } catch {
                    requests.rewind(to: offset)
                    throw error
                }
                step = .message(offset: undoOffset)
            }
        }
        entries.append(Entry(sequence: sequence, offset: offset, tag: currentTag, undo: step))
        replyBytes += replyCost
        taggedEnd = currentTag.words.upperBound
    }

    /// Appends a request after those queued; when it does not fit beside them, in the
    /// buffer or with its replies in the receive buffer, sends them first. Returns
    /// where it landed and what its replies may take.
    private func append(
        type: UInt16, flags: NetlinkFlags, sequence: UInt32, _ build: (MessageWriter) throws -> Void
    ) throws -> (offset: Int, replyCost: Int) {
        func placed(_ message: UnsafeMutablePointer<nlmsghdr>) -> (offset: Int, replyCost: Int) {
            (requests.offset(of: message), Self.replyCost(requestLength: Int(message.pointee.nlmsg_len), echo: flags.contains(.echo)))
        }
        if !entries.isEmpty {
            do {
                let queued = placed(try requests.append(type: type, flags: flags, sequence: sequence, build))
                if replyBytes + queued.replyCost <= replyBudget { return queued }
                requests.rewind(to: queued.offset)
            } catch let error as NetlinkError where error == .messageTooLarge {
                // Larger than the reserve: it gets a datagram to itself.
            }
            try flush()
        }
        return placed(try requests.append(type: type, flags: flags, sequence: sequence, build))
    }

    /// Drops the current tag's words (unless queued entries name them) and starts the next.
    private func startTag(number: Int) {
        tagWords.removeLast(tagWords.count - taggedEnd)
        currentTag = TagReference(number: number, words: taggedEnd..<taggedEnd)
    }

    private func tag(_ reference: TagReference) -> Tag {
        let bytes = tagWords.withBytes { Array($0[reference.words]) }
        let words = bytes.split(separator: Self.wordEnd, omittingEmptySubsequences: false).dropLast()
        return Tag(number: reference.number, words: words.map { String(decoding: $0, as: UTF8.self) })
    }

    /// Sends what is queued and settles it: in stop mode, throws the first failure
    /// after taking back what succeeded after it; else reports every failure.
    public func flush() throws {
        guard let last = entries.last else { return }
        defer {
            entries.removeAll(keepingCapacity: true)
            replyBytes = 0
            requests.reset()
            undos.reset()
            echoes.removeAll()
            // Only the current tag's words stay: later requests may still be queued with it.
            tagWords.removeFirst(currentTag.words.lowerBound)
            currentTag.words = 0..<currentTag.words.count
            taggedEnd = 0
        }
        requests.message(at: last.offset).pointee.nlmsg_flags |= NetlinkFlags.ack.rawValue
        let first = entries[0].sequence
        // Sequences start from the clock; should they wrap inside a datagram, accept any.
        let sequences = first <= last.sequence ? first...last.sequence : 0...UInt32.max
        var refused: [(index: Int, error: NetlinkError)] = []
        do {
            try transport.sendBatch(requests, last: last.sequence, sequences: sequences, onError: { sequence, error in
                if let index = index(of: sequence) { refused.append((index, error)) }
            }, onEcho: keepEcho)
        } catch let error as NetlinkError {
            // Replies lost: which requests took effect, and so what to take back, is unknown.
            let failure = Failure(tag: tag(entries[0].tag), error: error, unknownThrough: tag(last.tag))
            guard mode == .stopAtFirstFailure else { return onFailure(failure) }
            throw failure
        }
        guard !refused.isEmpty else { return }
        let outcome = PipelineOutcome.decide(
            count: entries.count, failed: refused.map(\.index), stopAtFirstFailure: mode == .stopAtFirstFailure)
        let errors = Dictionary(refused.map { ($0.index, $0.error) }, uniquingKeysWith: { first, _ in first })
        let failures = outcome.reported.map { Failure(tag: tag(entries[$0].tag), error: errors[$0]!) }
        guard mode == .stopAtFirstFailure, var failure = failures.first else {
            failures.forEach(onFailure)
            return
        }
        for index in outcome.undone {
            do {
                try takeBack(entries[index])
            } catch let error as NetlinkError {
                failure.undoFailures.append((tag(entries[index].tag), error))
            }
        }
        throw failure
    }

    private func index(of sequence: UInt32) -> Int? {
        guard let first = entries.first?.sequence else { return nil }
        // Queued requests take increasing sequences, counted from the first (so a
        // wrap past 2^32 keeps the order). Mostly consecutive: look there first. Name
        // lookups between them (a batch line's "dev va") take sequences too: then search.
        let distance = sequence &- first
        let guess = Int(distance)
        if guess < entries.count, entries[guess].sequence == sequence { return guess }
        var low = 0, high = entries.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let found = entries[middle].sequence &- first
            if found == distance { return middle }
            if found < distance { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// Keeps the kernel's description of what a queued delete deleted: its undo.
    private func keepEcho(_ message: NetlinkMessage) {
        guard let index = index(of: message.sequence),
              case .recreate(let type, let kind, echo: nil) = entries[index].undo,
              message.type == requests.message(at: entries[index].offset).pointee.nlmsg_type
        else { return }
        entries[index].undo = .recreate(type, kind: kind, echo: echoes.count)
        // Messages start 4-aligned, as in a datagram.
        echoes.append(UnsafeRawBufferPointer(start: message.header, count: message.length), alignedTo: 4)
    }

    private func takeBack(_ entry: Entry) throws {
        switch entry.undo {
        case .none:
            return
        case .resend(let type):
            let original = NetlinkMessage(header: requests.message(at: entry.offset))
            try transport.perform(type, flags: []) { try $0.body(original.payload) }
        case .message(let offset):
            let undo = NetlinkMessage(header: undos.message(at: offset))
            try transport.perform(undo.type, flags: []) { try $0.body(undo.payload) }
        case .recreate(_, _, echo: nil):
            throw NetlinkError(errno: .noData, kernelMessage: "the kernel did not say what it deleted")
        case .recreate(let type, let kind, echo: let offset?):
            try echoes.withBytes { bytes in
                let deleted = NetlinkMessage(header: (bytes.baseAddress! + offset).assumingMemoryBound(to: nlmsghdr.self))
                try transport.perform(type, flags: kind.recreationFlags(of: deleted)) { try kind.writeRecreation(of: deleted, into: $0) }
            }
        }
    }
}

/// Which failures of a datagram are reported and which successes are taken back:
/// the whole policy of the pipeline, apart from the kernel.
struct PipelineOutcome: Equatable {
    /// Indexes of refused requests to report, in order.
    var reported: [Int]
    /// Indexes of requests to take back, in the order to do it (newest first).
    var undone: [Int]

    static func decide(count: Int, failed: [Int], stopAtFirstFailure: Bool) -> PipelineOutcome {
        let failures = failed.sorted()
        guard stopAtFirstFailure, let first = failures.first else {
            return PipelineOutcome(reported: failures, undone: [])
        }
        let refused = Set(failures)
        let undone = (first + 1..<count).reversed().filter { !refused.contains($0) }
        return PipelineOutcome(reported: [first], undone: Array(undone))
    }
}

/// Bytes appended, dropped from either end and read in place: plain memory, owned.
struct ByteStore: ~Copyable {
    private var memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    private(set) var count = 0

    deinit { memory.deallocate() }

    /// Appends the bytes, then zeros up to a multiple of `alignment` (a power of two).
    mutating func append(_ bytes: UnsafeRawBufferPointer, alignedTo alignment: Int = 1) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        let padded = (bytes.count + alignment - 1) & ~(alignment - 1)
        if count + padded > memory.count {
            let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2 * memory.count, count + padded), alignment: 8)
            larger.baseAddress!.copyMemory(from: memory.baseAddress!, byteCount: count)
            memory.deallocate()
            memory = larger
        }
        (memory.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        (memory.baseAddress! + count + bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: padded - bytes.count)
        count += padded
    }

    mutating func removeLast(_ dropped: Int) { count -= dropped }

    mutating func removeFirst(_ dropped: Int) {
        guard dropped > 0 else { return }
        memory.baseAddress!.copyMemory(from: memory.baseAddress! + dropped, byteCount: count - dropped)
        count -= dropped
    }

    mutating func removeAll() { count = 0 }

    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: memory[..<count]))
    }
}
