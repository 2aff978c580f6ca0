import CMnl
import Netlink

/// An IPsec security association (XFRM_MSG_NEWSA: struct xfrm_usersa_info, then XFRMA_*
/// attributes): the keys and algorithms for one direction between two endpoints.
///
/// The kernel sends the keys with every SA; they are never read: each algorithm
/// attribute is decoded as its C struct, which ends where the key begins, and the key
/// bytes stay in the receive buffer.
public struct SecurityAssociation: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var spi: UInt32
    public var proto: IPProtocol
    public var mode: IPsecMode
    public var reqid: UInt32
    /// The packets it may protect (often any: the policy decides).
    public var selector: XFRMSelector
    /// An AEAD (encryption and integrity in one: AES-GCM, ChaCha20-Poly1305).
    public var aead: XFRMAlgorithm?
    /// Encryption and integrity apart (AES-CBC with HMAC-SHA-256).
    public var encryption: XFRMAlgorithm?
    public var authentication: XFRMAlgorithm?
    /// ESP inside UDP (NAT traversal) or TCP.
    public var encapsulation: ESPEncapsulation?
    public var mark: XFRMMark?
    public var interfaceID: UInt32?
    /// What it protected so far.
    public var bytes: UInt64 = 0
    public var packets: UInt64 = 0
    /// Packets it refused: replayed, failed their integrity check.
    public var replayed: UInt32 = 0
    public var integrityFailures: UInt32 = 0

    public init(source: IPAddress, destination: IPAddress, spi: UInt32, proto: IPProtocol = .esp, mode: IPsecMode, reqid: UInt32 = 0) {
        self.source = source
        self.destination = destination
        self.spi = spi
        self.proto = proto
        self.mode = mode
        self.reqid = reqid
        selector = .anyFamily()
    }

    /// Decodes an XFRM_MSG_NEWSA message (a dump's element); nil for other types.
    public init?(_ message: NetlinkMessage) {
        guard message.xfrmMessageType == .newSA,
              let info = message.familyHeader(xfrm_usersa_info.self),
              let family = AddressFamily(xfrm: info.family)
        else { return nil }
        source = IPAddress(info.saddr, family: family)
        destination = IPAddress(info.id.daddr, family: family)
        spi = UInt32(bigEndian: info.id.spi)
        proto = IPProtocol(rawValue: info.id.proto)
        mode = IPsecMode(rawValue: info.mode) ?? .transport
        reqid = info.reqid
        selector = XFRMSelector(info.sel)
        bytes = info.curlft.bytes
        packets = info.curlft.packets
        replayed = info.stats.replay
        integrityFailures = info.stats.integrity_failed
        for attribute in message.attributes(after: xfrm_usersa_info.self, XFRMAttribute.self) {
            switch attribute.key {
            case .aead?:
                aead = attribute.load(xfrm_algo_aead.self).map {
                    XFRMAlgorithm(name: XFRMAlgorithm.name($0.alg_name), keyBits: $0.alg_key_len, icvBits: $0.alg_icv_len)
                }
            case .encryption?:
                encryption = attribute.load(xfrm_algo.self).map {
                    XFRMAlgorithm(name: XFRMAlgorithm.name($0.alg_name), keyBits: $0.alg_key_len)
                }
            case .truncatedAuthentication?:
                authentication = attribute.load(xfrm_algo_auth.self).map {
                    XFRMAlgorithm(name: XFRMAlgorithm.name($0.alg_name), keyBits: $0.alg_key_len, icvBits: $0.alg_trunc_len)
                }
            case .encapsulation?:
                encapsulation = attribute.load(xfrm_encap_tmpl.self).flatMap {
                    ESPEncapsulation(type: $0.encap_type, sourcePort: UInt16(bigEndian: $0.encap_sport),
                                     destinationPort: UInt16(bigEndian: $0.encap_dport))
                }
            case .mark?: mark = attribute.load(xfrm_mark.self).map { XFRMMark(value: $0.v, mask: $0.m) }
            case .interfaceID?: interfaceID = attribute.u32
            default: break
            }
        }
    }

    /// What names an SA in the kernel: destination, SPI and protocol.
    public struct Identity: Sendable, Hashable {
        public var destination: IPAddress
        public var spi: UInt32
        public var proto: IPProtocol
    }

    public var identity: Identity { Identity(destination: destination, spi: spi, proto: proto) }

    /// "esp spi 0x101 transport 198.51.100.1 -> 198.51.100.2 reqid 1".
    public var summary: String {
        "\(proto) spi 0x\(String(spi, radix: 16)) \(mode.name) \(source) -> \(destination) reqid \(reqid)"
    }
}

/// An algorithm of an SA: its kernel crypto name and sizes (never its key).
public struct XFRMAlgorithm: Sendable, Equatable {
    /// As the kernel's crypto API names it: "rfc4106(gcm(aes))", "hmac(sha256)".
    public var name: String
    public var keyBits: UInt32
    /// The integrity check value's size (an AEAD's ICV, an authentication's truncation).
    public var icvBits: UInt32?

    public init(name: String, keyBits: UInt32, icvBits: UInt32? = nil) {
        self.name = name
        self.keyBits = keyBits
        self.icvBits = icvBits
    }

    /// alg_name: a NUL-terminated char[64].
    static func name<Characters>(_ characters: Characters) -> String {
        withUnsafeBytes(of: characters) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// ESP carried inside UDP (NAT traversal, RFC 3948) or TCP (RFC 8229): the bytes that
/// adds to every packet, as the kernel's esp_init_state() counts them.
public struct ESPEncapsulation: Sendable, Equatable {
    /// UDP_ENCAP_ESPINUDP_NON_IKE, UDP_ENCAP_ESPINUDP, TCP_ENCAP_ESPINTCP.
    public enum Kind: UInt16, Sendable {
        case udpNonIKE = 1, udp = 2, tcp = 7

        /// The word `ip xfrm` uses.
        public var name: String {
            switch self {
            case .udpNonIKE: "espinudp-nonike"
            case .udp: "espinudp"
            case .tcp: "espintcp"
            }
        }

        /// A UDP header (and the non-IKE marker), or TCP's 2-byte length field.
        public var bytes: Int {
            switch self {
            case .udpNonIKE: 16
            case .udp: 8
            case .tcp: 2
            }
        }
    }

    public var kind: Kind
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(_ kind: Kind, sourcePort: UInt16 = 4500, destinationPort: UInt16 = 4500) {
        self.kind = kind
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// Nil for a type the kernel does not know either.
    init?(type: UInt16, sourcePort: UInt16, destinationPort: UInt16) {
        guard let kind = Kind(rawValue: type) else { return nil }
        self.init(kind, sourcePort: sourcePort, destinationPort: destinationPort)
    }
}
