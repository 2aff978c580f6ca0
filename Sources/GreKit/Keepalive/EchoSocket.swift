import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A raw ICMP (or ICMPv6) socket that pings through a tunnel: each echo request leaves
/// by the tunnel's device (the interface of IP_PKTINFO / IPV6_PKTINFO), whatever the
/// routing table says. Non-blocking. Every echo reply to this host is read; those of
/// other identifiers are left alone.
final class EchoSocket {
    let family: AddressFamily
    /// The watcher's echo identifier: random, so that two watchers (or ping) on the
    /// host do not count each other's replies.
    let identifier = UInt16.random(in: 1...UInt16.max)
    private let socket: Socket

    init(family: AddressFamily) throws(SystemError) {
        self.family = family
        socket = try Socket(domain: family.socketDomain, type: SOCK_RAW,
                            protocol: family == .inet6 ? CInt(IPPROTO_ICMPV6) : CInt(IPPROTO_ICMP), nonBlocking: true,
                            "cannot open a raw ICMP socket")
    }

    /// The descriptor's number, for poll.
    var descriptor: Int32 { socket.rawValue }

    /// An echo request to send: to `address`, out of interface `device`.
    struct Outgoing {
        var address: IPAddress
        var sequence: UInt16
        var device: Int32
    }

    /// Sends a batch of echo requests in as few system calls as the kernel allows
    /// (sendmmsg). Returns those it refused, by position in the batch.
    func send(_ batch: [Outgoing]) -> [(index: Int, error: SystemError)] {
        guard !batch.isEmpty else { return [] }
        let length = MemoryLayout<icmphdr>.size + EchoPacket.payloadLength
        var datagrams = DatagramBatch(capacity: batch.count, payloadBytes: batch.count * length,
                                      controlSpace: ControlMessages.space(for: in6_pktinfo.self))
        for outgoing in batch {
            EchoPacket.request(family: family, identifier: identifier, sequence: outgoing.sequence).withUnsafeBytes { packet in
                datagrams.append(packet, to: SocketAddress(outgoing.address)) { writer in
                    // The interface to leave by; the source address is the kernel's choice.
                    if family == .inet {
                        writer.append(level: CInt(IPPROTO_IP), type: IP_PKTINFO,
                                      in_pktinfo(ipi_ifindex: outgoing.device, ipi_spec_dst: in_addr(), ipi_addr: in_addr()))
                    } else {
                        writer.append(level: CInt(IPPROTO_IPV6), type: IPV6_PKTINFO,
                                      in6_pktinfo(ipi6_addr: in6_addr(), ipi6_ifindex: UInt32(bitPattern: outgoing.device)))
                    }
                }
            }
        }
        return socket.send(datagrams, flags: CInt(MSG_DONTWAIT)).map { index, errno in
            (index, SystemError("cannot ping \(batch[index].address)", errno: errno))
        }
    }

    /// Reads every queued packet; `each` gets the echo replies to this socket's requests:
    /// who answered, and the sequence number.
    func receiveReplies(into buffer: UnsafeMutableRawBufferPointer, _ each: (IPAddress, UInt16) -> Void) throws(SystemError) {
        while let received = try socket.receive(into: buffer, "cannot read echo replies") {
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<min(received.length, buffer.count)])
            guard let (source, sequence) = EchoPacket.reply(bytes, family: family, identifier: identifier),
                  let from = source ?? received.source.ipAddress
            else { continue }
            each(from, sequence)
        }
    }
}
