#if canImport(Glibc)
import Glibc
#endif

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
        defer { socket.close() }
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

/// A UDP socket that sets DF, ignores the path MTU it learns (IP_PMTUDISC_PROBE, so
/// every size really goes out), leaves through the tunnel (IP_UNICAST_IF: unlike
/// SO_BINDTODEVICE it still receives the frag-needed the tunnel itself sends back over
/// loopback) and reads ICMP errors from its error queue (IP_RECVERR).
final class ProbeSocket {
    private let descriptor: Int32
    private let peer: IPAddress
    private var isIPv6: Bool { peer.family == .inet6 }

    // linux/errqueue.h: where a queued error came from.
    static let originLocal: UInt8 = 1, originICMP: UInt8 = 2, originICMP6: UInt8 = 3

    init(peer: IPAddress, interfaceIndex: Int32) throws {
        self.peer = peer
        descriptor = socket(peer.family.socketDomain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemCallError.last("socket") }
        do {
            if peer.family == .inet6 {
                try set(Int32(IPPROTO_IPV6), IPV6_UNICAST_IF, interfaceIndex, "IPV6_UNICAST_IF")
                try set(Int32(IPPROTO_IPV6), IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE, "IPV6_MTU_DISCOVER")
                try set(Int32(IPPROTO_IPV6), IPV6_RECVERR, 1, "IPV6_RECVERR")
            } else {
                // IPv4 takes the index in network byte order (ip(7)).
                try set(Int32(IPPROTO_IP), IP_UNICAST_IF, Int32(bitPattern: UInt32(bitPattern: interfaceIndex).bigEndian), "IP_UNICAST_IF")
                try set(Int32(IPPROTO_IP), IP_MTU_DISCOVER, IP_PMTUDISC_PROBE, "IP_MTU_DISCOVER")
                try set(Int32(IPPROTO_IP), IP_RECVERR, 1, "IP_RECVERR")
            }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
    }

    func close() { Glibc.close(descriptor) }

    private func set(_ level: Int32, _ option: Int32, _ value: Int32, _ name: String) throws {
        var value = value
        guard setsockopt(descriptor, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemCallError.last("setsockopt \(name)")
        }
    }

    /// Sends one datagram making an IP packet of `size` bytes to `port` and waits for its fate.
    func probe(size: Int, port: UInt16, timeoutMilliseconds: Int) throws -> PathMTUSearch.Outcome {
        while readError() != nil {}  // errors of earlier probes that came late
        let headers = isIPv6 ? 48 : 28
        let payload = [UInt8](repeating: 0, count: max(0, size - headers))
        let sent = peer.withSocketAddress(port: port) { address, length in
            payload.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, address, length) }
        }
        if sent < 0 {
            let code = errno
            while readError() != nil {}
            // A tunnel that is down or has no route to the peer: no size would pass.
            return code == EMSGSIZE ? .tooBig(mtu: nil) : .unreachable("cannot send to \(peer): \(String(cString: strerror(code)))")
        }
        let deadline = SystemClock.milliseconds() + timeoutMilliseconds
        while true {
            let left = deadline - SystemClock.milliseconds()
            if left <= 0 { return .silent }
            var poller = pollfd(fd: descriptor, events: Int16(POLLERR), revents: 0)
            let ready = poll(&poller, 1, Int32(left))
            if ready < 0 {
                if errno == EINTR { continue }
                throw SystemCallError.last("poll")
            }
            if ready == 0 { return .silent }
            while let (errorPort, outcome) = readError() {
                if errorPort == port { return outcome }
            }
        }
    }

    /// One queued error: the destination port of the probe it is about, and what it means.
    private func readError() -> (UInt16, PathMTUSearch.Outcome)? {
        var data = [UInt8](repeating: 0, count: 64)
        var control = [UInt8](repeating: 0, count: 512)
        var name = sockaddr_storage()
        var message = msghdr()
        let received = data.withUnsafeMutableBytes { dataBytes in
            control.withUnsafeMutableBytes { controlBytes in
                withUnsafeMutablePointer(to: &name) { namePointer in
                    var vector = iovec(iov_base: dataBytes.baseAddress, iov_len: dataBytes.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        message.msg_name = UnsafeMutableRawPointer(namePointer)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                        message.msg_iov = vectorPointer
                        message.msg_iovlen = 1
                        message.msg_control = controlBytes.baseAddress
                        message.msg_controllen = controlBytes.count
                        return recvmsg(descriptor, &message, Int32(MSG_ERRQUEUE) | Int32(MSG_DONTWAIT))
                    }
                }
            }
        }
        guard received >= 0 else { return nil }
        let port = withUnsafeBytes(of: &name) { bytes in
            // sin_port and sin6_port sit at the same offset, in network order.
            UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
        guard let error = Self.extendedError(in: control.prefix(message.msg_controllen)) else { return nil }
        return (port, Self.outcome(of: error))
    }

    /// struct sock_extended_err, as the control message of IP_RECVERR / IPV6_RECVERR carries it.
    struct ExtendedError: Equatable {
        var errno: Int32
        var origin: UInt8
        var type: UInt8
        var code: UInt8
        var info: UInt32
    }

    static func extendedError(in control: ArraySlice<UInt8>) -> ExtendedError? {
        control.withUnsafeBytes { buffer -> ExtendedError? in
            let messages = ControlMessages.parse(buffer)
            guard let data = messages.first(where: { message in
                let isError = (message.level == Int32(IPPROTO_IP) && message.type == IP_RECVERR)
                    || (message.level == Int32(IPPROTO_IPV6) && message.type == IPV6_RECVERR)
                return isError && message.data.count >= 16
            })?.data else { return nil }
            return ExtendedError(errno: data.loadUnaligned(fromByteOffset: 0, as: Int32.self),
                                 origin: data[4], type: data[5], code: data[6],
                                 info: data.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
    }

    static func outcome(of error: ExtendedError) -> PathMTUSearch.Outcome {
        switch (error.origin, error.type, error.code) {
        case (originICMP, 3, 3), (originICMP6, 1, 4):
            return .passed
        case (originICMP, 3, 4), (originICMP6, 2, _):
            return .tooBig(mtu: error.info > 0 ? Int(error.info) : nil)
        case (originLocal, _, _) where error.errno == EMSGSIZE:
            return .tooBig(mtu: error.info > 0 ? Int(error.info) : nil)
        case (originICMP, _, _), (originICMP6, _, _):
            return .unreachable("ICMP\(error.origin == originICMP6 ? "v6" : "") type \(error.type) code \(error.code) (\(String(cString: strerror(error.errno))))")
        default:
            return .unreachable(String(cString: strerror(error.errno)))
        }
    }
}
