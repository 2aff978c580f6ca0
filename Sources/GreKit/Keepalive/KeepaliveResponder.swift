#if canImport(Glibc)
import Glibc
#endif

/// `keepalive respond`: reflects keepalives in user space, as a router would, for a
/// host whose kernel will not (no ip_gre, or forwarding off). Runs until signalled,
/// or until `count` keepalives were reflected or `timeout` passed.
public final class KeepaliveResponder {
    /// The keepalives to answer, as they arrive (peer -> here, with the peer's output
    /// key); nil answers any keepalive addressed to this host.
    private let flows: Set<GreFlow>?
    /// Reflect keepalives whose inner addresses a NAT made differ from the outer ones
    /// (`accept nat`), back along the path they came.
    private let acceptingNAT: Bool
    private var receivers: [GreSocket] = []
    private var senders: [AddressFamily: RawPacketSocket] = [:]

    /// Opens the sockets: both families when `flows` is nil (IPv6 only where the host
    /// has it), else those the flows use.
    public init(flows: Set<GreFlow>?, acceptingNAT: Bool = false) throws {
        self.flows = flows
        self.acceptingNAT = acceptingNAT
        let families: [AddressFamily] = flows.map { Array(Set($0.map(\.source.family))) } ?? [.inet, .inet6]
        for family in families {
            do {
                let (receiver, sender) = try Self.open(family)
                receivers.append(receiver)
                senders[family] = sender
            } catch {
                // A responder for any keepalive answers IPv4 alone on a host without IPv6;
                // one asked for IPv6 flows needs IPv6.
                guard flows == nil, family == .inet6, error.errno == .addressFamilyNotSupported else { throw error }
            }
        }
    }

    private static func open(_ family: AddressFamily) throws(SystemError) -> (GreSocket, RawPacketSocket) {
        let protocolType = family == .inet ? KeepalivePacket.ipv4EtherType : KeepalivePacket.ipv6EtherType
        return (try GreSocket(family: family, acceptingOnly: protocolType), try RawPacketSocket(family: family))
    }

    /// Reflects keepalives; `reflected` sees each one sent. Returns how many were.
    public func run(count: Int?, timeout: Int64?, reflected: (KeepaliveReflection) -> Void) throws -> Int {
        let signals = try SignalDescriptor.termination()
        let deadline = timeout.map { SystemClock.monotonic() + $0 }
        var done = 0
        var descriptors = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
            + receivers.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        while count.map({ done < $0 }) ?? true {
            var wait: Int32 = -1
            if let deadline {
                wait = SystemClock.pollTimeout(until: deadline)
                if wait == 0 { break }
            }
            // Nothing ready, or a wait cut short (EINTR): the loop checks the deadline and waits again.
            guard poll(&descriptors, nfds_t(descriptors.count), wait) > 0 else { continue }
            if descriptors[0].revents != 0, !signals.pending().isEmpty { break }
            for (receiver, descriptor) in zip(receivers, descriptors.dropFirst()) where descriptor.revents != 0 {
                try receiver.receiveReflections(acceptingNAT: acceptingNAT) { reflection in
                    guard count.map({ done < $0 }) ?? true, flows?.contains(reflection.outer) ?? true,
                          let sender = senders[reflection.destination.family],
                          (try? sender.send(reflection.packet, to: reflection.destination)) != nil
                    else { return }
                    done += 1
                    reflected(reflection)
                }
            }
        }
        return done
    }
}
