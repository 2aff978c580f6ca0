import CMnl
@testable import GreKit
import Netlink

extension FuzzTarget {
    /// A packet as the raw sockets of `keepalive watch` and `keepalive respond` read it,
    /// from anyone on the network: the watcher's reflected keepalives (matched to their
    /// targets, IPv4 and IPv6, keyed, with checksums and sequence numbers, and counted by
    /// their state machines), its echo replies (`icmp ADDRESS`), and the responder's
    /// keepalives to reflect, with `accept nat` or without (the packet it would send back,
    /// checked as a router would forward it).
    ///
    /// Input: byte 0 the path (`KeepalivePath`, modulo 6; its high bit: `accept nat`); for
    /// IPv6, what the socket's address and control messages say (`ReceivedIPv6`); then
    /// the packet as the socket reads it.
    static let keepalive = FuzzTarget(
        name: "keepalive", summary: "packets the keepalive watcher and responder receive", seeds: { KeepaliveFuzz.seeds() }
    ) { bytes in
        guard let first = bytes.first, let path = KeepalivePath(rawValue: first % 6) else { return }
        let acceptingNAT = first & 0x80 != 0
        let rest = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        switch path {
        case .watcherIPv4:
            KeepaliveFuzz.watch(ReflectedKeepalive(ipv4: rest))
        case .responderIPv4:
            KeepaliveFuzz.reflect(KeepaliveReflection(ipv4: rest, acceptingNAT: acceptingNAT))
        case .echoIPv4:
            KeepaliveFuzz.echo(EchoPacket.reply(rest, family: .inet, identifier: KeepaliveFuzz.echoIdentifier), from: nil)
        case .watcherIPv6:
            guard let (received, gre) = ReceivedIPv6.split(rest) else { return }
            KeepaliveFuzz.watch(ReflectedKeepalive(ipv6: gre, source: received.source, destination: received.destination,
                                                   flowLabel: received.flowLabel, hopLimit: received.hopLimit))
        case .responderIPv6:
            guard let (received, gre) = ReceivedIPv6.split(rest) else { return }
            KeepaliveFuzz.reflect(KeepaliveReflection(ipv6: gre, source: received.source, destination: received.destination,
                                                      acceptingNAT: acceptingNAT))
        case .echoIPv6:
            guard let (received, icmp) = ReceivedIPv6.split(rest) else { return }
            KeepaliveFuzz.echo(EchoPacket.reply(icmp, family: .inet6, identifier: KeepaliveFuzz.echoIdentifier), from: received.source)
        }
    }
}

/// Which socket a keepalive input reaches.
enum KeepalivePath: UInt8, CaseIterable {
    case watcherIPv4, watcherIPv6, responderIPv4, responderIPv6, echoIPv4, echoIPv6
}

/// What an IPv6 raw socket learns besides the GRE packet: the source from its address,
/// the destination, flow label and hop limit from its control messages. In the input:
/// source (16 bytes), destination (16), flow label (4, big-endian), hop limit (1).
struct ReceivedIPv6 {
    static let length = 16 + 16 + 4 + 1

    var source: IPAddress
    var destination: IPAddress
    var flowLabel: UInt32
    var hopLimit: UInt8

    static func split(_ bytes: UnsafeRawBufferPointer) -> (ReceivedIPv6, UnsafeRawBufferPointer)? {
        guard bytes.count >= length,
              let source = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<16])),
              let destination = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: bytes[16..<32]))
        else { return nil }
        let flowInformation = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
        let received = ReceivedIPv6(source: source, destination: destination,
                                    flowLabel: flowInformation & IPv6Header.flowLabelMask, hopLimit: bytes[36])
        return (received, UnsafeRawBufferPointer(rebasing: bytes[length...]))
    }

    func append(to bytes: inout [UInt8]) {
        source.withNetlinkPayload { bytes.append(contentsOf: $0) }
        destination.withNetlinkPayload { bytes.append(contentsOf: $0) }
        bytes.append(bigEndian: flowLabel)
        bytes.append(hopLimit)
    }
}

enum KeepaliveFuzz {
    /// The watcher's targets: IPv4 and IPv6, unkeyed, keyed alike both ways, with
    /// different input and output keys, and with checksums and sequence numbers.
    static let targets: [KeepaliveTarget] = {
        let local4 = IPAddress("198.51.100.1")!, local6 = IPAddress("2001:db8::1")!
        func target(_ local: IPAddress, _ remote: String, key: UInt32? = nil) -> KeepaliveTarget {
            KeepaliveTarget(local: local, remote: IPAddress(remote)!, key: key)
        }
        func tunnel(_ local: IPAddress, _ remote: String, inputKey: UInt32, outputKey: UInt32) -> KeepaliveTarget {
            var tunnel = target(local, remote)
            tunnel.inputFlags = [.checksum, .key]
            tunnel.outputFlags = [.checksum, .key, .sequence]
            tunnel.inputKey = inputKey
            tunnel.outputKey = outputKey
            tunnel.hopLimit = 64
            return tunnel
        }
        return [
            target(local4, "198.51.100.2"), target(local4, "198.51.100.2", key: 42),
            tunnel(local4, "198.51.100.3", inputKey: 0x0102_0304, outputKey: 7),
            target(local6, "2001:db8::2"), target(local6, "2001:db8::2", key: 7),
            tunnel(local6, "2001:db8::3", inputKey: 9, outputKey: 9),
        ]
    }()

    /// The addresses the watcher pings instead (`icmp ADDRESS`), through the first
    /// IPv4 and the first IPv6 target's tunnel.
    static let echoes: [(target: KeepaliveTarget, address: IPAddress)] = [
        (targets[0], IPAddress("10.0.0.2")!), (targets[3], IPAddress("2001:db8:ffff::2")!),
    ]

    /// The watcher's echo identifier (its own, random, in a real run).
    static let echoIdentifier: UInt16 = 0x4752

    static let timing = KeepaliveTiming(interval: KeepaliveTiming.nanosecondsPerSecond, retries: 3)

    /// The watcher's monitor after its first keepalives went out, with nonces that are
    /// the same in every run (so a seed can answer them).
    static func monitor() -> (KeepaliveMonitor<FixedNonces>, [KeepaliveMonitor<FixedNonces>.Send]) {
        var monitor = KeepaliveMonitor(timing: timing, members: targets.count + echoes.count, generator: FixedNonces())
        for (index, target) in targets.enumerated() { _ = monitor.activate(index, target: target, at: 0) }
        for (index, echo) in echoes.enumerated() { _ = monitor.activate(targets.count + index, target: echo.target, echo: echo.address, at: 0) }
        return (monitor, monitor.due(at: 0))
    }

    /// As the watcher does with a packet its socket read: matches it to a target and
    /// counts it; a reply must go to the target whose reply flow it carries.
    static func watch(_ reflected: ReflectedKeepalive?) {
        guard let reflected else { return }
        var (monitor, _) = monitor()
        guard let (member, outcome) = monitor.reply(reflected, at: timing.interval / 2) else { return }
        require(monitor.members[member].target?.replyFlow == reflected.flow, "a reply was counted for another target")
        if case .answered(_, let change) = outcome {
            require(change == .up && monitor.members[member].stateMachine.state == .up, "an answered keepalive left the target \(monitor.members[member].stateMachine.state)")
        }
        // The same reply again is never counted twice.
        if case .answered = outcome, case .answered? = monitor.reply(reflected, at: timing.interval / 2)?.outcome {
            fatalError("one reply answered twice")
        }
    }

    /// As the watcher does with an echo reply its socket read: matches it to the member
    /// that pings its source (IPv4: the packet's; IPv6: the socket address's) and counts it.
    static func echo(_ reply: (source: IPAddress?, sequence: UInt16)?, from socketSource: IPAddress?) {
        guard let reply, let source = reply.source ?? socketSource else { return }
        var (monitor, _) = monitor()
        guard let (member, outcome) = monitor.echoReply(from: source, sequence: reply.sequence, at: timing.interval / 2) else { return }
        require(monitor.members[member].echo == source, "an echo reply was counted for another target")
        if case .answered = outcome, case .answered? = monitor.echoReply(from: source, sequence: reply.sequence, at: timing.interval / 2)?.outcome {
            fatalError("one echo reply answered twice")
        }
    }

    /// As the responder does with a keepalive to reflect: the packet it sends back goes
    /// to the keepalive's sender, is a keepalive itself, and has one hop less.
    static func reflect(_ reflection: KeepaliveReflection?) {
        guard let reflection else { return }
        let destination = reflection.destination
        require(destination == reflection.outer.source, "a reflection sent elsewhere than to its sender")
        reflection.packet.withUnsafeBytes { packet in
            switch destination {
            case .v4(let address):
                guard let header = IPv4Header(packet) else { fatalError("a reflected IPv4 packet no router would forward") }
                require(header.destination == address && header.totalLength == packet.count, "a reflected IPv4 packet misaddressed or mis-sized")
            case .v6:
                guard let header = IPv6Header(packet) else { fatalError("a reflected IPv6 packet that does not parse") }
                require(header.destination == destination && IPv6Header.length + header.payloadLength == packet.count,
                             "a reflected IPv6 packet misaddressed or mis-sized")
            }
        }
    }

    /// Seeds for the keepalive target: for every target, the keepalive the watcher sends
    /// first as the responder receives it, and its reflection as the watcher receives it
    /// back (matching the nonce the watcher waits for).
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let (_, sends) = monitor()
        var seeds: [(String, [UInt8])] = []
        for send in sends where send.member >= targets.count {
            let (target, address) = echoes[send.member - targets.count]
            var reply = EchoPacket.request(family: target.family, identifier: echoIdentifier, sequence: UInt16(send.nonce))
            if target.family == .inet6 {
                reply[0] = ICMPv6Type.echoReply.rawValue
                var seed = [KeepalivePath.echoIPv6.rawValue]
                ReceivedIPv6(source: address, destination: target.local, flowLabel: 0, hopLimit: 64).append(to: &seed)
                seeds.append(("echo-ipv6", seed + reply))
            } else if case .v4(let source) = address, case .v4(let destination) = target.local {
                reply[0] = ICMPType.echoReply.rawValue
                InternetChecksum.fill(&reply, over: 0..<reply.count, at: MemoryLayout<icmphdr>.offset(of: \.checksum)!)
                var header: [UInt8] = []
                IPv4Header(source: source, destination: destination, protocolNumber: UInt8(IPPROTO_ICMP), timeToLive: 64,
                           identification: 1, payloadLength: reply.count).append(to: &header)
                InternetChecksum.fill(&header, over: 0..<header.count, at: IPv4Header.checksumOffset)
                seeds.append(("echo-ipv4", [KeepalivePath.echoIPv4.rawValue] + header + reply))
            }
        }
        for send in sends where send.member < targets.count {
            let target = targets[send.member]
            let packet = KeepalivePacket.encode(target, nonce: send.nonce, sequence: send.sequence)
            let name = "\(target.family == .inet6 ? "ipv6" : "ipv4")-\(target.replyFlow.key.map { "key\($0)" } ?? "unkeyed")"
                + (target.outputFlags.contains(.checksum) ? "-csum-seq" : "")
            // What the peer decapsulates: the inner packet, after the outer GRE header.
            let inner = Array(packet[GreHeader.length(flags: target.outputFlags)...])
            if target.family == .inet6 {
                var watcher = [KeepalivePath.watcherIPv6.rawValue]
                ReceivedIPv6(source: target.remote, destination: target.local, flowLabel: send.nonce, hopLimit: 254).append(to: &watcher)
                watcher += inner[IPv6Header.length...]
                var responder = [KeepalivePath.responderIPv6.rawValue]
                ReceivedIPv6(source: target.local, destination: target.remote, flowLabel: 0, hopLimit: target.hopLimit).append(to: &responder)
                responder += packet
                seeds += [("watcher-\(name)", watcher), ("responder-\(name)", responder)]
            } else {
                guard case .v4(let local) = target.local, case .v4(let remote) = target.remote else { continue }
                var responder = [KeepalivePath.responderIPv4.rawValue]
                let outer = IPv4Header(source: local, destination: remote, protocolNumber: KeepalivePacket.greProtocolNumber,
                                       timeToLive: target.hopLimit, identification: 1, payloadLength: packet.count)
                var header: [UInt8] = []
                outer.append(to: &header)
                InternetChecksum.fill(&header, over: 0..<header.count, at: IPv4Header.checksumOffset)
                responder += header + packet
                seeds += [("watcher-\(name)", [KeepalivePath.watcherIPv4.rawValue] + inner), ("responder-\(name)", responder)]
            }
        }
        return seeds
    }
}

/// Nonces that are the same in every run: splitmix64 from a fixed seed.
struct FixedNonces: RandomNumberGenerator {
    private var state: UInt64 = 0x6772_6574_6f6f_6c21

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
