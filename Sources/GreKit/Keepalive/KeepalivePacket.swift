import Netlink

// Cisco's GRE keepalive, byte by byte. The sender pre-builds the reply: an inner
// packet from the remote end back to itself (IP protocol 47, GRE protocol type 0)
// carried in an ordinary GRE packet to the remote end. The peer decapsulates it as
// any GRE packet and forwards the inner one back, so it needs no keepalive support.

/// Who sent a GRE packet to whom, with which key: what ties a reflected keepalive to
/// its target, and what a responder accepts.
public struct GreFlow: Hashable, Sendable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    /// The GRE key, nil when the packet carries none.
    public var key: UInt32?

    public init(source: IPAddress, destination: IPAddress, key: UInt32?) {
        self.source = source
        self.destination = destination
        self.key = key
    }

    public var description: String {
        "\(source) -> \(destination)" + (key.map { " key \($0)" } ?? "")
    }
}

/// How a tunnel's outer packets are routed and marked, so its keepalives take the same
/// path through policy routing and the underlay: the tunnel's fwmark, the underlay
/// device it is bound to (`dev`), and its TOS (IPv4) or traffic class (ip6gre). Where
/// the tunnel takes one from the inner packet (`tos inherit`, `fwmark inherit`), a
/// keepalive gets 0, the value of its own inner packet.
public struct OuterPath: Hashable, Sendable {
    /// 0: no mark.
    public var mark: UInt32
    /// The interface index packets must leave by; 0: wherever routing says.
    public var interface: Int32
    public var tos: UInt8

    public init(mark: UInt32 = 0, interface: Int32 = 0, tos: UInt8 = 0) {
        self.mark = mark
        self.interface = interface
        self.tos = tos
    }

    /// The path of a tunnel's own packets.
    public init(tunnel options: any TunnelKind) {
        mark = options.outerMark
        interface = options.underlay
        tos = options.outerTOS
    }
}

/// One end's view of a keepalive exchange: the tunnel's endpoints and the GRE
/// options its packets carry, or an explicit target given on the command line.
public struct KeepaliveTarget: Hashable, Sendable {
    public var local: IPAddress
    public var remote: IPAddress
    /// Checksum, key and sequence flags of the outer GRE header, as the tunnel sends.
    public var outputFlags: GreFlags
    public var outputKey: UInt32
    /// Checksum and key flags of the inner GRE header: what the tunnel expects to receive.
    public var inputFlags: GreFlags
    public var inputKey: UInt32
    /// Hop limit of the outer header: the tunnel's TTL (255 where it inherits).
    public var hopLimit: UInt8
    /// The tunnel's mark, underlay device and TOS; none for an explicit target.
    public var path: OuterPath

    /// An explicit target: both directions keyed with `key`, or unkeyed.
    public init(local: IPAddress, remote: IPAddress, key: UInt32? = nil) {
        self.local = local
        self.remote = remote
        outputFlags = key == nil ? [] : .key
        inputFlags = outputFlags
        outputKey = key ?? 0
        inputKey = key ?? 0
        hopLimit = 255
        path = OuterPath()
    }

    /// The target of a tunnel whose local address is `local` (its own, or the one
    /// the kernel picks toward the remote when the tunnel leaves it open).
    public init(options: any TunnelKind, local: IPAddress, remote: IPAddress) {
        self.local = local
        self.remote = remote
        outputFlags = options.outputFlags.intersection([.checksum, .key, .sequence])
        inputFlags = options.inputFlags.intersection([.checksum, .key])
        outputKey = options.outputFlags.contains(.key) ? options.outputKey.value : 0
        inputKey = options.inputFlags.contains(.key) ? options.inputKey.value : 0
        hopLimit = options.ttl == 0 ? 255 : options.ttl
        path = OuterPath(tunnel: options)
    }

    public var family: AddressFamily { remote.family }

    /// What the reflected keepalive looks like on arrival: from the remote end, to
    /// this one, with the tunnel's input key.
    public var replyFlow: GreFlow {
        GreFlow(source: remote, destination: local, key: inputFlags.contains(.key) ? inputKey : nil)
    }

    /// The largest nonce the inner header can carry: the IPv4 identification field
    /// (16 bits) or the IPv6 flow label (20 bits).
    public var nonceLimit: UInt32 { family == .inet6 ? 0xF_FFFF : 0xFFFF }
}

extension GreSocket.Outgoing {
    /// A keepalive to `target`, sent as the tunnel sends its own packets.
    public init(keepalive target: KeepaliveTarget, nonce: UInt32, sequence: UInt32) {
        self.init(packet: KeepalivePacket.encode(target, nonce: nonce, sequence: sequence),
                  source: target.local, destination: target.remote, hopLimit: target.hopLimit, path: target.path)
    }
}

public enum KeepalivePacket {
    static let greProtocolNumber: UInt8 = 47
    static let ipv4EtherType: UInt16 = 0x0800
    static let ipv6EtherType: UInt16 = 0x86DD
    /// The inner header's hop limit, as Cisco sends it; each router on the way back lowers it.
    static let innerHopLimit: UInt8 = 255

    /// What a raw IPPROTO_GRE socket sends for `target` (the kernel adds the outer IP
    /// header, local -> remote): the outer GRE header with the tunnel's output flags,
    /// key and, with `oseq`, `sequence`; then the inner IP packet remote -> local,
    /// protocol 47, whose identification (IPv4) or flow label (IPv6) is `nonce`; then
    /// the inner GRE header, protocol type 0, with the tunnel's input key (and a
    /// checksum when the tunnel requires one on input).
    public static func encode(_ target: KeepaliveTarget, nonce: UInt32, sequence: UInt32 = 0) -> [UInt8] {
        let isIPv4 = target.family == .inet
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + (isIPv4 ? 20 : 40) + 12)
        appendGREHeader(to: &bytes, flags: target.outputFlags, protocolType: isIPv4 ? ipv4EtherType : ipv6EtherType,
                        key: target.outputKey, sequence: sequence)
        let inner = bytes.count
        let innerGRELength = 4 + (target.inputFlags.contains(.checksum) ? 4 : 0) + (target.inputFlags.contains(.key) ? 4 : 0)
        switch (target.remote, target.local) {
        case (.v4(let source), .v4(let destination)):
            appendIPv4Header(to: &bytes, source: source, destination: destination,
                             identification: UInt16(truncatingIfNeeded: nonce), payloadLength: innerGRELength)
        default:
            appendIPv6Header(to: &bytes, source: target.remote, destination: target.local, flowLabel: nonce & 0xF_FFFF,
                             payloadLength: innerGRELength)
        }
        let innerGRE = bytes.count
        appendGREHeader(to: &bytes, flags: target.inputFlags.subtracting(.sequence), protocolType: 0, key: target.inputKey, sequence: 0)
        if isIPv4 { fillChecksum(&bytes, over: inner..<innerGRE, at: inner + 10) }
        if target.inputFlags.contains(.checksum) { fillChecksum(&bytes, over: innerGRE..<bytes.count, at: innerGRE + 4) }
        if target.outputFlags.contains(.checksum) { fillChecksum(&bytes, over: 0..<bytes.count, at: 4) }
        return bytes
    }

    /// A GRE header (RFC 2784/2890); a checksum field, when present, is left 0 for
    /// `fillChecksum` once the payload follows.
    static func appendGREHeader(to bytes: inout [UInt8], flags: GreFlags, protocolType: UInt16, key: UInt32, sequence: UInt32) {
        bytes.appendBigEndian(flags.intersection([.checksum, .key, .sequence]).rawValue)
        bytes.appendBigEndian(protocolType)
        if flags.contains(.checksum) { bytes.appendBigEndian(UInt32(0)) }
        if flags.contains(.key) { bytes.appendBigEndian(key) }
        if flags.contains(.sequence) { bytes.appendBigEndian(sequence) }
    }

    /// An IPv4 header without options; its checksum is left 0.
    static func appendIPv4Header(to bytes: inout [UInt8], source: IPv4Address, destination: IPv4Address,
                                 identification: UInt16, payloadLength: Int) {
        bytes += [0x45, 0]
        bytes.appendBigEndian(UInt16(20 + payloadLength))
        bytes.appendBigEndian(identification)
        bytes.appendBigEndian(UInt16(0))  // no fragmentation flags, offset 0
        bytes += [innerHopLimit, greProtocolNumber, 0, 0]
        bytes.appendBigEndian(source.value)
        bytes.appendBigEndian(destination.value)
    }

    static func appendIPv6Header(to bytes: inout [UInt8], source: IPAddress, destination: IPAddress, flowLabel: UInt32, payloadLength: Int) {
        bytes.appendBigEndian(UInt32(6) << 28 | flowLabel)
        bytes.appendBigEndian(UInt16(payloadLength))
        bytes += [greProtocolNumber, innerHopLimit]
        source.withNetlinkPayload { bytes += $0 }
        destination.withNetlinkPayload { bytes += $0 }
    }

    /// Stores at `offset` the Internet checksum of `range` (whose checksum field is 0).
    static func fillChecksum(_ bytes: inout [UInt8], over range: Range<Int>, at offset: Int) {
        let checksum = bytes.withUnsafeBytes { InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: $0[range])) }
        bytes[offset] = UInt8(checksum >> 8)
        bytes[offset + 1] = UInt8(checksum & 0xff)
    }
}

/// A GRE header as read from the wire.
struct GreHeader {
    var protocolType: UInt16
    var key: UInt32?
    /// Bytes up to the payload.
    var length: Int

    /// Nil unless `bytes` starts with a version 0 GRE header without routing, whose
    /// checksum, when present, holds over the whole of `bytes`.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 4 else { return nil }
        let word = bytes.bigEndian(UInt16.self, at: 0)
        // Routing present (0x4000), strict source route, recursion or a version other than 0.
        guard word & 0x4000 == 0, word & 0x0007 == 0 else { return nil }
        let flags = GreFlags(rawValue: word)
        protocolType = bytes.bigEndian(UInt16.self, at: 2)
        length = 4
        if flags.contains(.checksum) {
            guard bytes.count >= length + 4, InternetChecksum.compute(bytes) == 0 else { return nil }
            length += 4
        }
        if flags.contains(.key) {
            guard bytes.count >= length + 4 else { return nil }
            key = bytes.bigEndian(UInt32.self, at: length)
            length += 4
        }
        if flags.contains(.sequence) {
            guard bytes.count >= length + 4 else { return nil }
            length += 4
        }
    }
}

/// A keepalive reflected by the peer, as it arrives back: the inner packet the
/// sender built, with whatever hop limit is left.
public struct ReflectedKeepalive: Equatable, Sendable {
    public var flow: GreFlow
    public var nonce: UInt32
    public var hopLimit: UInt8

    public init(flow: GreFlow, nonce: UInt32, hopLimit: UInt8) {
        self.flow = flow
        self.nonce = nonce
        self.hopLimit = hopLimit
    }

    /// From what a raw AF_INET IPPROTO_GRE socket reads (IPv4 header, then GRE).
    /// Nil for anything but an unfragmented GRE packet of protocol type 0.
    public init?(ipv4 packet: UnsafeRawBufferPointer) {
        guard let header = IPv4Header(packet), header.protocolNumber == KeepalivePacket.greProtocolNumber,
              let gre = GreHeader(UnsafeRawBufferPointer(rebasing: packet[header.length..<header.totalLength])),
              gre.protocolType == 0
        else { return nil }
        flow = GreFlow(source: .v4(header.source), destination: .v4(header.destination), key: gre.key)
        nonce = UInt32(header.identification)
        hopLimit = header.timeToLive
    }

    /// From what a raw AF_INET6 IPPROTO_GRE socket reads (the GRE header on), with
    /// the addresses and the flow label its control messages carry.
    public init?(ipv6 gre: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress, flowLabel: UInt32, hopLimit: UInt8) {
        guard let header = GreHeader(gre), header.protocolType == 0 else { return nil }
        flow = GreFlow(source: source, destination: destination, key: header.key)
        nonce = flowLabel & 0xF_FFFF
        self.hopLimit = hopLimit
    }
}

/// The fixed part of an IPv4 header, validated.
struct IPv4Header {
    var length: Int
    var totalLength: Int
    var identification: UInt16
    var timeToLive: UInt8
    var protocolNumber: UInt8
    var source: IPv4Address
    var destination: IPv4Address

    /// Nil unless a complete, unfragmented IPv4 header with a good checksum starts `bytes`.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return nil }
        length = Int(bytes[0] & 0x0f) * 4
        totalLength = Int(bytes.bigEndian(UInt16.self, at: 2))
        guard length >= 20, totalLength >= length, totalLength <= bytes.count,
              InternetChecksum.compute(UnsafeRawBufferPointer(rebasing: bytes[..<length])) == 0
        else { return nil }
        // More fragments, or a fragment offset: a piece of a packet, never a keepalive.
        guard bytes.bigEndian(UInt16.self, at: 6) & 0x3fff == 0 else { return nil }
        identification = bytes.bigEndian(UInt16.self, at: 4)
        timeToLive = bytes[8]
        protocolNumber = bytes[9]
        source = IPv4Address(bytes.bigEndian(UInt32.self, at: 12))
        destination = IPv4Address(bytes.bigEndian(UInt32.self, at: 16))
    }
}

/// The Internet checksum (RFC 1071): the one's complement of the one's complement
/// sum of 16-bit words. Over data that includes its checksum it comes out 0.
enum InternetChecksum {
    static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func compute(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { compute($0) }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    func bigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
