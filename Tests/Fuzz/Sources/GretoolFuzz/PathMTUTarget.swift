import CMnl
@testable import GreKit
import Netlink
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

extension FuzzTarget {
    /// The errors `diag mtu probe` reads from its socket's error queue, which anyone on
    /// the path can cause (ICMP frag-needed with any MTU, port unreachable, ICMPv6 packet
    /// too big): the control messages as recvmsg fills them, the queued error among them,
    /// what it says of the probe, and the search it steers, to its result.
    ///
    /// Input: the tunnel's MTU (2 bytes, big-endian) and family (byte 2: odd for IPv6);
    /// then, for each probe in turn, the control messages of its error (2 bytes of
    /// length, then the buffer): none, or none left, is a probe that got no answer.
    static let pathMTU = FuzzTarget(name: "pmtu", summary: "ICMP errors the path MTU probe reads", seeds: { pathMTUSeeds() }) { bytes in
        guard bytes.count >= 3 else { return }
        let ceiling = Int(UInt16(bigEndian: bytes.loadUnaligned(as: UInt16.self)))
        let peer = bytes[2] & 1 == 1 ? IPAddress("2001:db8::2")! : IPAddress("198.51.100.2")!
        var records = Records(UnsafeRawBufferPointer(rebasing: bytes[3...]))
        var search = PathMTUSearch(floor: peer.family == .inet6 ? 1280 : 68, ceiling: ceiling)
        let measurement = PathMTUMeasurement(peer: peer, interfaceIndex: 1, ceiling: ceiling)
        while search.probes < measurement.maxProbes, let size = search.next() {
            guard let record = records.next() else { break }
            let error = QueuedError(in: ControlMessages.parse(record))
            search.record(size, error.map(ProbeSocket.outcome(of:)) ?? .silent)
        }
        let result = search.result(peer: peer)
        render([result.field])
        for finding in result.findings { discardedOutput.write(finding.text) }
    }
}

/// Records of an input, each 2 bytes of length (big-endian) then that many bytes; a
/// last record shorter than it says is what is left.
struct Records: IteratorProtocol {
    private var rest: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { rest = bytes }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard rest.count >= 2 else { return nil }
        let length = min(Int(UInt16(bigEndian: rest.loadUnaligned(as: UInt16.self))), rest.count - 2)
        let record = UnsafeRawBufferPointer(rebasing: rest[2..<(2 + length)])
        rest = UnsafeRawBufferPointer(rebasing: rest[(2 + length)...])
        return record
    }
}

extension FuzzTarget {
    /// Seeds for the pmtu target: searches through a 1476-byte tunnel (IPv4) and a
    /// 1456-byte one (IPv6) whose path takes 1400, the errors queued as the kernel
    /// queues them (struct sock_extended_err, then the address of who sent it).
    static func pathMTUSeeds() -> [(name: String, bytes: [UInt8])] {
        func error(ipv6: Bool, origin: QueuedError.Origin, errno: CInt, type: UInt8, code: UInt8, info: UInt32) -> [UInt8] {
            var extended = sock_extended_err()
            extended.ee_errno = UInt32(errno)
            extended.ee_origin = origin.rawValue
            extended.ee_type = type
            extended.ee_code = code
            extended.ee_info = info
            let space = ControlMessages.space(MemoryLayout<sock_extended_err>.size + MemoryLayout<sockaddr_in6>.size)
            var buffer = [UInt8](repeating: 0, count: space)
            buffer.withUnsafeMutableBytes { raw in
                var writer = ControlMessages(buffer: raw)
                // The offender's address follows the error (SO_EE_OFFENDER): padding here.
                writer.append(level: ipv6 ? CInt(IPPROTO_IPV6) : CInt(IPPROTO_IP), type: ipv6 ? IPV6_RECVERR : IP_RECVERR,
                              (extended, sockaddr_in6()))
            }
            return buffer
        }
        func record(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes }
        let fragmentationNeeded = error(ipv6: false, origin: .icmp, errno: EMSGSIZE, type: 3, code: 4, info: 1400)
        let portUnreachable4 = error(ipv6: false, origin: .icmp, errno: ECONNREFUSED, type: 3, code: 3, info: 0)
        let local = error(ipv6: false, origin: .local, errno: EMSGSIZE, type: 0, code: 0, info: 1400)
        let packetTooBig = error(ipv6: true, origin: .icmp6, errno: EMSGSIZE, type: 2, code: 0, info: 1400)
        let portUnreachable6 = error(ipv6: true, origin: .icmp6, errno: ECONNREFUSED, type: 1, code: 4, info: 0)
        let hostUnreachable = error(ipv6: false, origin: .icmp, errno: EHOSTUNREACH, type: 3, code: 1, info: 0)
        return [
            ("ipv4-frag-needed", [0x05, 0xc4, 0] + record(fragmentationNeeded) + record(portUnreachable4) + record([])),
            ("ipv4-local-emsgsize", [0x05, 0xc4, 0] + record(local) + record([]) + record(portUnreachable4)),
            ("ipv4-host-unreachable", [0x05, 0xc4, 0] + record(hostUnreachable)),
            ("ipv6-packet-too-big", [0x05, 0xb0, 1] + record(packetTooBig) + record(portUnreachable6)),
        ]
    }
}
