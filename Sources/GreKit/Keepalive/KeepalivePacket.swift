import CMnl
import Netlink

/// Cisco's GRE keepalive. The sender builds the reply in advance: an inner packet from
/// the remote end back to itself (IP protocol 47, GRE protocol type 0) carried in an
/// ordinary GRE packet to the remote end. The peer decapsulates it as it does any GRE
/// packet and forwards the inner one back, so it needs no keepalive support.
public enum KeepalivePacket {
    static let greProtocolNumber = UInt8(IPPROTO_GRE)
    /// The GRE protocol types of IPv4 and IPv6 payloads: their EtherTypes.
    static let ipv4EtherType = UInt16(ETH_P_IP)
    static let ipv6EtherType = UInt16(ETH_P_IPV6)
    /// The inner header's hop limit, as Cisco sends it; each router on the way back lowers it.
    static let innerHopLimit: UInt8 = 255

    /// What a raw IPPROTO_GRE socket sends for `target` (the kernel adds the outer IP
    /// header, local -> remote): the outer GRE header with the tunnel's output flags,
    /// key and, with `oseq`, `sequence`; then the inner IP packet remote -> local,
    /// protocol 47, whose identification (IPv4) or flow label (IPv6) is `nonce`; then
    /// the inner GRE header, protocol type 0, with the tunnel's input key (and a
    /// checksum when the tunnel requires one on input).
    public static func encode(_ target: KeepaliveTarget, nonce: UInt32, sequence: UInt32 = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maximumLength)
        encode(target, nonce: nonce, sequence: sequence, appendingTo: &bytes)
        return bytes
    }

    /// The longest keepalive: outer GRE header with checksum, key and sequence, inner
    /// IPv6 header, inner GRE header with checksum and key.
    static let maximumLength = 16 + IPv6Header.length + 12

    /// `encode`, appended to `bytes`: a hub's batch of keepalives is encoded through one
    /// buffer instead of an array allocated for each, behind the outer IP header when
    /// the watcher writes it.
    static func encode(_ target: KeepaliveTarget, nonce: UInt32, sequence: UInt32, appendingTo bytes: inout [UInt8]) {
        let isIPv4 = target.family == .inet
        let innerFlags = target.inputFlags.subtracting(.sequence)
        let start = bytes.count
        GreHeader.append(to: &bytes, flags: target.outputFlags, protocolType: isIPv4 ? ipv4EtherType : ipv6EtherType,
                         key: target.outputKey, sequence: sequence)
        let inner = bytes.count
        let innerGRELength = GreHeader.length(flags: innerFlags)
        switch (target.remote, target.local) {
        case (.v4(let source), .v4(let destination)):
            appendIPv4Header(to: &bytes, source: source, destination: destination,
                             identification: UInt16(truncatingIfNeeded: nonce), payloadLength: innerGRELength)
        default:
            IPv6Header(source: target.remote, destination: target.local, nextHeader: greProtocolNumber, hopLimit: innerHopLimit,
                       flowLabel: nonce, payloadLength: innerGRELength).append(to: &bytes)
        }
        let innerGRE = bytes.count
        GreHeader.append(to: &bytes, flags: innerFlags, protocolType: 0, key: target.inputKey, sequence: 0)
        // Checksums last, innermost first: each outer one covers the inner ones.
        if isIPv4 { InternetChecksum.fill(&bytes, over: inner..<innerGRE, at: inner + IPv4Header.checksumOffset) }
        if innerFlags.contains(.checksum) {
            InternetChecksum.fill(&bytes, over: innerGRE..<bytes.count, at: innerGRE + GreHeader.checksumOffset)
        }
        if target.outputFlags.contains(.checksum) {
            InternetChecksum.fill(&bytes, over: start..<bytes.count, at: start + GreHeader.checksumOffset)
        }
    }

    /// The inner IPv4 header of a keepalive: not a fragment, protocol 47, TTL 255; its
    /// checksum left 0.
    static func appendIPv4Header(to bytes: inout [UInt8], source: IPv4Address, destination: IPv4Address,
                                 identification: UInt16, payloadLength: Int) {
        IPv4Header(source: source, destination: destination, protocolNumber: greProtocolNumber, timeToLive: innerHopLimit,
                   identification: identification, payloadLength: payloadLength).append(to: &bytes)
    }
}
