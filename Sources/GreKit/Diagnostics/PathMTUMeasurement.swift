// `diag mtu TUNNEL probe` measures the path MTU through a tunnel: it finds the largest
// packet that crosses the tunnel to the peer's tunnel address, as tracepath does. Each
// probe is a UDP datagram with DF set, sent to a high port, so that its arrival shows as
// the peer's ICMP port unreachable; no raw socket is needed.

/// The path MTU search, apart from the packets: which size to probe next given what
/// the earlier probes learnt. Sizes at or below `largestPassed` pass, sizes at or
/// above `smallestFailed` do not; the search narrows the gap between them.
public struct PathMTUSearch: Sendable {
    /// What one probe of a given size learnt.
    public enum Outcome: Sendable, Equatable {
        /// The peer answered (ICMP port unreachable): the size crosses the path.
        case passed
        /// Too big: refused locally (EMSGSIZE) or ICMP frag-needed / packet too big, with
        /// the MTU it reported when it did.
        case tooBig(mtu: Int?)
        /// No answer in time: dropped on the way, or the peer rate-limits its ICMP.
        case silent
        /// Another ICMP error (net or host unreachable, prohibited): probing is pointless.
        case unreachable(String)
    }

    public let floor: Int
    public let ceiling: Int
    public private(set) var largestPassed: Int?
    /// `ceiling + 1` while no size failed.
    public private(set) var smallestFailed: Int
    public private(set) var probes = 0
    public private(set) var stopReason: String?
    /// An MTU an ICMP error reported: tried next, as it usually is the answer.
    private var hint: Int?
    /// A size that got no answer, sent once more before it counts as too big: the
    /// first packet often only teaches the kernel the path MTU (or meets a rate limit).
    private var resend: Int?
    private var resent: Set<Int> = []
    private var answered = false

    public init(floor: Int, ceiling: Int) {
        self.floor = floor
        self.ceiling = max(floor, ceiling)
        smallestFailed = self.ceiling + 1
    }

    private var knownToPass: Int { largestPassed ?? floor - 1 }

    /// Whether the sizes are narrowed to one, or probing stopped.
    public var isDone: Bool { stopReason != nil || knownToPass + 1 >= smallestFailed }

    public mutating func next() -> Int? {
        guard !isDone else { return nil }
        if let size = resend {
            resend = nil
            return size
        }
        if probes == 0 { return ceiling }
        if let size = hint {
            hint = nil
            if size > knownToPass && size < smallestFailed { return size }
        }
        // Nothing answered yet: whether the smallest size passes tells a small MTU
        // from a peer that does not answer at all.
        if !answered { return floor }
        return (knownToPass + smallestFailed) / 2
    }

    public mutating func record(_ size: Int, _ outcome: Outcome) {
        probes += 1
        switch outcome {
        case .passed:
            answered = true
            largestPassed = max(largestPassed ?? size, size)
        case .tooBig(let mtu):
            answered = true
            smallestFailed = min(smallestFailed, size)
            // The MTU an ICMP error reports is trusted, so the sizes above it need not be
            // tried: the next probe is that size.
            if let mtu, mtu < size, mtu > knownToPass {
                hint = mtu
                smallestFailed = min(smallestFailed, mtu + 1)
            }
        case .silent:
            if resent.insert(size).inserted {
                resend = size
            } else {
                smallestFailed = min(smallestFailed, size)
            }
        case .unreachable(let reason):
            stopReason = reason
        }
    }

    public func result(peer: IPAddress) -> PathMTUResult {
        PathMTUResult(peer: peer, largest: largestPassed, smallestFailed: smallestFailed > ceiling ? nil : smallestFailed,
                    probes: probes, complete: isDone && stopReason == nil, stopReason: stopReason)
    }
}

/// What a path MTU measurement found.
public struct PathMTUResult: Sendable, Equatable {
    public var peer: IPAddress
    /// The largest packet that reached the peer; nil when none did.
    public var largest: Int?
    /// The smallest packet known not to cross; nil when none failed.
    public var smallestFailed: Int?
    public var probes: Int
    /// Whether the search narrowed down to one size (and was not cut short by its bounds).
    public var complete: Bool
    public var stopReason: String?

    var field: Field {
        let count = probes == 1 ? "1 probe" : "\(probes) probes"
        let text: String
        if let largest {
            let above = smallestFailed.map { ", \($0) do not" } ?? " (the tunnel's mtu)"
            text = complete ? "\(largest) bytes pass\(above) (\(count))" : "at least \(largest) bytes pass\(above) (\(count), search cut short)"
        } else if let stopReason {
            text = "stopped: \(stopReason) (\(count))"
        } else {
            text = "no answer (\(count))"
        }
        let (largestValue, _) = Field.optional(largest)
        let (failedValue, _) = Field.optional(smallestFailed)
        return Field("probe", .object([
            .jsonOnly("peer", .string(peer.description)), .jsonOnly("largest", largestValue),
            .jsonOnly("smallest_failed", failedValue), .jsonOnly("probes", .unsigned(UInt64(probes))),
            .jsonOnly("complete", .bool(complete)), .jsonOnly("error", stopReason.map { .string($0) } ?? .null),
        ]), text: "probe \(peer): " + text)
    }

    var findings: [Finding] {
        if let stopReason { return [Finding(.warning, "probe to \(peer) stopped: \(stopReason)")] }
        if largest == nil {
            return [Finding(.warning, "probe: no answer from \(peer) (is it up, and does it send ICMP port unreachable?)")]
        }
        return []
    }
}

/// Measures the path MTU through a tunnel device: sends the probes the search asks
/// for and records what became of each.
public struct PathMTUMeasurement: Sendable {
    public var peer: IPAddress
    /// The tunnel device the probes must leave through.
    public var interfaceIndex: Int32
    /// The largest size to try: the tunnel's MTU (the kernel refuses larger ones).
    public var ceiling: Int
    public var maxProbes = 16
    public var probeTimeoutMilliseconds = 1000
    public var deadlineMilliseconds = 20_000

    /// traceroute's first port: unlikely to be open, so the peer answers port unreachable.
    static let firstPort: UInt16 = 33434

    public func run() throws -> PathMTUResult {
        let socket = try ProbeSocket(peer: peer, interfaceIndex: interfaceIndex)
        var search = PathMTUSearch(floor: peer.family == .inet6 ? 1280 : 68, ceiling: ceiling)
        let deadline = SystemClock.milliseconds() + deadlineMilliseconds
        while search.probes < maxProbes, SystemClock.milliseconds() < deadline, let size = search.next() {
            let port = Self.firstPort &+ UInt16(truncatingIfNeeded: search.probes)
            let wait = min(probeTimeoutMilliseconds, max(0, deadline - SystemClock.milliseconds()))
            search.record(size, try socket.probe(size: size, port: port, timeoutMilliseconds: wait))
        }
        return search.result(peer: peer)
    }
}
