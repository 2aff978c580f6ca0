/// The kernel's IPsec error counters (/proc/net/xfrm_stat, of the reading thread's network
/// namespace): each counts packets dropped for one reason.
public struct XFRMCounters: Sendable {
    /// Name and value, in the file's order ("XfrmInNoStates", 3).
    public var values: [(name: String, value: UInt64)]

    public init(_ values: [(name: String, value: UInt64)]) { self.values = values }

    /// Parses the file's "Name<blanks>value" lines; others are skipped.
    public init(parsing text: String) {
        values = text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 2, let value = UInt64(words[1]) else { return nil }
            return (String(words[0]), value)
        }
    }

    /// Reads them; nil when the kernel has no IPsec (no such file). About 30 lines of 30
    /// bytes: 64 KiB bounds what is read.
    public static func read(path: String = "/proc/net/xfrm_stat") -> XFRMCounters? {
        guard let bytes = try? Files.read(path, limit: 1 << 16) else { return nil }
        return XFRMCounters(parsing: String(decoding: bytes, as: UTF8.self))
    }

    /// The counters that grew since `earlier`, with how much.
    public func growth(since earlier: XFRMCounters) -> [(name: String, delta: UInt64)] {
        let before = Dictionary(earlier.values.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        return values.compactMap { counter in
            let old = before[counter.name] ?? 0
            return counter.value > old ? (counter.name, counter.value - old) : nil
        }
    }

    /// What a counter's growth means for GRE over IPsec (after the kernel's
    /// Documentation/networking/xfrm_proc.rst); nil for a counter gretool does not know.
    public static func meaning(of name: String) -> String? { meanings[name] }

    private static let meanings = [
        "XfrmInError": "inbound IPsec packets dropped for a reason no other counter names",
        "XfrmInBufferError": "inbound IPsec packets dropped for lack of memory",
        "XfrmInHdrError": "ESP arrived with a malformed header",
        "XfrmInNoStates": "ESP arrived for an SPI or address no inbound SA has: the peer's outbound SA is not this host's inbound one (SPI, addresses or protocol differ, or the SA is gone)",
        "XfrmInStateProtoError": "ESP failed its integrity check or decryption: the two ends' keys or algorithms differ",
        "XfrmInStateModeError": "ESP could not be unwrapped in its SA's mode",
        "XfrmInStateSeqError": "ESP arrived with a sequence number outside the replay window (replayed, or reordered far)",
        "XfrmInStateExpired": "ESP arrived for an SA whose lifetime is over",
        "XfrmInStateMismatch": "ESP arrived in a form its SA does not expect (UDP encapsulation on one side only)",
        "XfrmInStateInvalid": "ESP arrived for an SA that is not valid",
        "XfrmInTmplMismatch": "packets arrived through other SAs than the inbound policy asks for, or in clear where it requires ESP",
        "XfrmInNoPols": "decrypted packets matched no inbound policy (tunnel-mode SAs need one, as does a default of block)",
        "XfrmInPolBlock": "a block policy dropped inbound packets",
        "XfrmInPolError": "inbound packets met a policy in error",
        "XfrmAcquireError": "an SA was not negotiated in time for the packets that asked for it",
        "XfrmFwdHdrError": "forwarded packets could not be matched against the policies",
        "XfrmOutError": "outbound IPsec packets dropped for a reason no other counter names",
        "XfrmOutBundleGenError": "the kernel could not build the outbound transforms for a policy",
        "XfrmOutBundleCheckError": "an outbound transform bundle was found stale",
        "XfrmOutNoStates": "outbound packets matched a policy that no SA serves (IKE down, or between rekeys): they are dropped",
        "XfrmOutStateProtoError": "ESP failed on output (a crypto error)",
        "XfrmOutStateModeError": "packets could not be wrapped in their SA's mode",
        "XfrmOutStateSeqError": "an outbound SA ran out of sequence numbers (it needed a rekey)",
        "XfrmOutStateExpired": "outbound packets met an SA whose lifetime is over",
        "XfrmOutPolBlock": "a block policy dropped outbound packets",
        "XfrmOutPolDead": "outbound packets met a policy being deleted",
        "XfrmOutPolError": "outbound packets met a policy in error",
        "XfrmOutStateInvalid": "outbound packets met an SA that is not valid",
        "XfrmInStateDirError": "ESP arrived for an SA meant for the other direction",
        "XfrmOutStateDirError": "outbound packets met an SA meant for the other direction",
    ]
}
