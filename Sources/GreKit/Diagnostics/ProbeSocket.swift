import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// The socket of a path MTU probe: UDP that sets DF and ignores the path MTU it learns
/// (IP_PMTUDISC_PROBE, so every size really goes out), leaves through the tunnel
/// (IP_UNICAST_IF: unlike SO_BINDTODEVICE, it still receives the frag-needed the tunnel
/// itself sends back over loopback), and reads ICMP errors from its error queue
/// (IP_RECVERR).
final class ProbeSocket {
    private let socket: Socket
    private let peer: IPAddress
    private var isIPv6: Bool { peer.family == .inet6 }

    /// - Parameter destinationOptions: IPv6 only: a destination options header every
    ///   probe carries (`diag config` asks whether the peer takes one).
    init(peer: IPAddress, interfaceIndex: Int32, destinationOptions: IPv6DestinationOptions? = nil) throws(SystemError) {
        self.peer = peer
        socket = try Socket(domain: peer.family.socketDomain, type: SOCK_DGRAM, "cannot open a UDP socket")
        if peer.family == .inet6 {
            try socket.set(.ipv6UnicastInterface, to: UInt32(bitPattern: interfaceIndex).bigEndian)
            try socket.set(.ipv6MTUDiscovery, to: IPV6_PMTUDISC_PROBE)
            try socket.enable(.ipv6ReceiveErrors)
            if let destinationOptions { try socket.set(.ipv6DestinationOptions, to: destinationOptions) }
        } else {
            try socket.set(.unicastInterface, to: UInt32(bitPattern: interfaceIndex).bigEndian)
            try socket.set(.mtuDiscovery, to: IP_PMTUDISC_PROBE)
            try socket.enable(.receiveErrors)
        }
    }

    /// Sends one datagram making an IP packet of `size` bytes to `port` and waits for its fate.
    func probe(size: Int, port: UInt16, timeoutMilliseconds: Int) throws(SystemError) -> PathMTUSearch.Outcome {
        while readError() != nil {}  // errors of earlier probes that came late
        let headers = (isIPv6 ? IPv6Header.length : MemoryLayout<iphdr>.size) + MemoryLayout<udphdr>.size
        let payload = [UInt8](repeating: 0, count: max(0, size - headers))
        do {
            try socket.send(payload, to: SocketAddress(peer, port: port), "cannot send to \(peer)")
        } catch {
            while readError() != nil {}
            // A tunnel that is down or has no route to the peer: no size would pass.
            return error.errno == .messageTooLong ? .tooBig(mtu: nil) : .unreachable("\(error)")
        }
        let deadline = SystemClock.milliseconds() + timeoutMilliseconds
        while true {
            let left = deadline - SystemClock.milliseconds()
            if left <= 0 { return .silent }
            var poller = pollfd(fd: socket.rawValue, events: Int16(POLLERR), revents: 0)
            // Not retried as such on EINTR: the loop waits again for what is left.
            switch valueOrErrno(retryOnInterrupt: false, { poll(&poller, 1, Int32(left)) }) {
            case .success(0): return .silent
            case .success: break
            case .failure(let errno) where errno == .interrupted: continue
            case .failure(let errno): throw SystemError("cannot wait for ICMP errors", errno: errno)
            }
            while let (errorPort, outcome) = readError() {
                if errorPort == port { return outcome }
            }
        }
    }

    /// One queued error: the destination port of the probe it is about, and what it means.
    private func readError() -> (UInt16, PathMTUSearch.Outcome)? {
        // The error queue hands back the start of the probe itself too: 64 bytes of it do.
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { data in
            withUnsafeTemporaryAllocation(byteCount: 512, alignment: 8) { control -> (UInt16, PathMTUSearch.Outcome)? in
                guard let received = try? socket.receive(into: data, control: control, flags: CInt(MSG_ERRQUEUE) | CInt(MSG_DONTWAIT),
                                                         "cannot read the error queue"),
                      let port = received.source.port,
                      let error = QueuedError(in: received.controlMessages)
                else { return nil }
                return (port, Self.outcome(of: error))
            }
        }
    }

    /// What a queued error says about the probe it is about.
    static func outcome(of error: QueuedError) -> PathMTUSearch.Outcome {
        let mtu = error.info > 0 ? Int(error.info) : nil
        switch error.origin {
        case .icmp where ICMPType(rawValue: error.type) == .destinationUnreachable:
            switch ICMPUnreachableCode(rawValue: error.code) {
            case .port: return .passed
            case .fragmentationNeeded: return .tooBig(mtu: mtu)
            default: break
            }
        case .icmp6:
            switch ICMPv6Type(rawValue: error.type) {
            case .destinationUnreachable where ICMPv6UnreachableCode(rawValue: error.code) == .port: return .passed
            case .packetTooBig: return .tooBig(mtu: mtu)
            default: break
            }
        case .local where error.errno == .messageTooLong:
            return .tooBig(mtu: mtu)
        default:
            break
        }
        switch error.origin {
        case .icmp, .icmp6:
            return .unreachable("ICMP\(error.origin == .icmp6 ? "v6" : "") type \(error.type) code \(error.code) (\(error.errno))")
        default:
            return .unreachable(error.errno.description)
        }
    }
}
