// How many bytes ESP adds, as the kernel counts them. The kernel sizes what may enter
// an SA with xfrm_state_mtu() (net/xfrm/xfrm_state.c), from what esp_init_state() set up:
//
//     header = ESP 8 + IV (+ the new outer IP header in tunnel mode) (+ UDP/TCP encapsulation)
//     block  = the cipher's block size rounded up to 4
//     adjust = the packet's own IP header in transport mode (it stays outside ESP), else 0
//     inner  = ((path - header - ICV - adjust) & ~(block - 1)) + adjust - 2
//
// (2: the trailer's pad length and next header bytes). Measured in the lab over a
// 1500-byte path, GRE without key: AES-GCM-16 and ChaCha20-Poly1305 1442 (transport) and
// 1422 (tunnel), AES-CBC with HMAC-SHA-256-128 1434 and 1414, with HMAC-SHA-512-256 1418,
// NAT-T 8 less.

/// The sizes one ESP SA's algorithms add to each packet.
public struct ESPTransform: Sendable, Equatable {
    /// As people name it: "AES-GCM-16", "AES-CBC + HMAC-SHA-256-128".
    public var name: String
    public var blockSize: Int
    public var ivSize: Int
    /// The integrity check value at the end.
    public var icvSize: Int

    public init(name: String, blockSize: Int, ivSize: Int, icvSize: Int) {
        self.name = name
        self.blockSize = blockSize
        self.ivSize = ivSize
        self.icvSize = icvSize
    }

    /// What `diag mtu ... ipsec` assumes when no SA tells: AES-CBC with HMAC-SHA-256-128
    /// (RFC 3602, RFC 4868), the most common suite, which needs more than AES-GCM or
    /// ChaCha20-Poly1305 (so the estimate is safe for them too).
    public static let assumed = ESPTransform(name: "AES-CBC + HMAC-SHA-256-128", blockSize: 16, ivSize: 16, icvSize: 16)

    /// The sizes of an SA's algorithms; nil for a cipher this table does not know.
    public init?(_ association: SecurityAssociation) {
        if let aead = association.aead {
            // Every AEAD ESP uses is a stream mode with an 8-byte IV (RFC 4106, 4309, 4543, 7634).
            guard let name = Self.aeadNames[aead.name] else { return nil }
            let icv = Int(aead.icvBits ?? 128) / 8
            self.init(name: name + (aead.name.hasPrefix("rfc4106") || aead.name.hasPrefix("rfc4309") ? "-\(icv)" : ""),
                      blockSize: 1, ivSize: 8, icvSize: icv)
            return
        }
        guard let encryption = association.encryption, let cipher = Self.ciphers[encryption.name] else { return nil }
        var name = cipher.name
        var icv = 0
        if let authentication = association.authentication, authentication.name != "digest_null" {
            let bits = Int(authentication.icvBits ?? 0)
            icv = bits / 8
            name += " + " + (Self.authenticationNames[authentication.name] ?? authentication.name) + "-\(bits)"
        }
        self.init(name: name, blockSize: cipher.block, ivSize: cipher.iv, icvSize: icv)
    }

    private static let aeadNames = [
        "rfc4106(gcm(aes))": "AES-GCM", "rfc4309(ccm(aes))": "AES-CCM",
        "rfc4543(gcm(aes))": "AES-GMAC", "rfc7539esp(chacha20,poly1305)": "ChaCha20-Poly1305",
    ]
    /// The crypto API's block and IV sizes of each ESP cipher.
    private static let ciphers: [String: (name: String, block: Int, iv: Int)] = [
        "cbc(aes)": ("AES-CBC", 16, 16), "rfc3686(ctr(aes))": ("AES-CTR", 1, 8),
        "cbc(des3_ede)": ("3DES-CBC", 8, 8), "cbc(des)": ("DES-CBC", 8, 8),
        "cbc(cast5)": ("CAST5-CBC", 8, 8), "cbc(blowfish)": ("Blowfish-CBC", 8, 8),
        "cbc(serpent)": ("Serpent-CBC", 16, 16), "cbc(twofish)": ("Twofish-CBC", 16, 16),
        "cbc(camellia)": ("Camellia-CBC", 16, 16), "cbc(sm4)": ("SM4-CBC", 16, 16),
        "ecb(cipher_null)": ("NULL", 1, 0),
    ]
    private static let authenticationNames = [
        "hmac(sha1)": "HMAC-SHA-1", "hmac(sha256)": "HMAC-SHA-256", "hmac(sha384)": "HMAC-SHA-384",
        "hmac(sha512)": "HMAC-SHA-512", "hmac(md5)": "HMAC-MD5", "xcbc(aes)": "AES-XCBC", "cmac(aes)": "AES-CMAC",
    ]
}

/// ESP around every tunnel packet: the mode, any UDP or TCP encapsulation and the
/// algorithms' sizes, either an SA's own or assumed.
public struct IPsecEncapsulation: Sendable, Equatable {
    /// The modes whose sizes are known (BEET and the others are not sized).
    public enum Mode: String, Sendable, CaseIterable {
        case transport, tunnel

        /// Nil for the modes whose sizes are not known.
        init?(_ mode: IPsecMode) {
            switch mode {
            case .transport: self = .transport
            case .tunnel: self = .tunnel
            default: return nil
            }
        }
    }

    public var mode: Mode
    public var encapsulation: ESPEncapsulation.Kind?
    public var transform: ESPTransform
    /// The SA the sizes were read from; nil when they are assumed.
    public var spi: UInt32?

    public init(mode: Mode, natTraversal: Bool = false, transform: ESPTransform = .assumed) {
        self.mode = mode
        self.encapsulation = natTraversal ? .udp : nil
        self.transform = transform
    }

    /// The sizes of the SA that protects a tunnel; nil when they cannot be told (a
    /// mode other than transport or tunnel, or a cipher the table lacks).
    public init?(_ association: SecurityAssociation) {
        guard association.proto == .esp, let transform = ESPTransform(association),
              let mode = Mode(association.mode)
        else { return nil }
        self.mode = mode
        encapsulation = association.encapsulation?.kind
        self.transform = transform
        spi = association.spi
    }

    /// NAT traversal: ESP inside UDP, as `nat-t` asks.
    public var natTraversal: Bool {
        get { encapsulation != nil }
        set { encapsulation = newValue ? .udp : nil }
    }

    /// The largest IP packet (a whole tunnel packet, its outer header included) that fits
    /// in `pathMTU` bytes once ESP has wrapped it: the kernel's xfrm_state_mtu(). ESP's
    /// own header is IPv6 (40) or IPv4 (20) as `ipv6` says.
    public func largestInnerPacket(pathMTU: Int, ipv6: Bool) -> Int {
        let ipHeader = ipv6 ? 40 : 20
        let header = Self.espHeader + transform.ivSize + (mode == .tunnel ? ipHeader : 0) + (encapsulation?.bytes ?? 0)
        let adjust = mode == .transport ? ipHeader : 0
        let block = (max(transform.blockSize, 1) + 3) & ~3
        return ((pathMTU - header - transform.icvSize - adjust) & ~(block - 1)) + adjust - Self.trailer
    }

    static let espHeader = 8, trailer = 2

    /// The bytes ESP takes when it adds `total`, item by item; padding is what remains.
    func parts(total: Int, outerHeader: OverheadPart) -> [OverheadPart] {
        var parts: [OverheadPart] = []
        if mode == .tunnel { parts.append(outerHeader) }
        if let encapsulation {
            parts.append(.init(name: encapsulation == .tcp ? "TCP length" : "UDP", bytes: encapsulation.bytes))
        }
        parts += [
            .init(name: "ESP", bytes: Self.espHeader), .init(name: "IV", bytes: transform.ivSize),
            .init(name: "ICV", bytes: transform.icvSize), .init(name: "trailer", bytes: Self.trailer),
        ]
        let padding = total - parts.reduce(0) { $0 + $1.bytes }
        if padding > 0 { parts.append(.init(name: "padding", bytes: padding)) }
        return parts
    }

    /// "transport mode, nat-t, AES-GCM-16 from SA 0x101" or "..., estimate for AES-CBC/HMAC-SHA-256".
    var description: String {
        let encapsulated = encapsulation.map { $0 == .udp ? ", nat-t" : ", \($0.name)" } ?? ""
        let source = spi.map { "\(transform.name) of SA 0x\(String($0, radix: 16))" } ?? "estimate for AES-CBC/HMAC-SHA-256"
        return "\(mode.rawValue) mode\(encapsulated), \(source)"
    }
}
