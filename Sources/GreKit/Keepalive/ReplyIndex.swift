/// Which member gets the replies of which `ReplyIdentity`: a hub looks one up for each
/// of ten thousand replies a second. An open-addressing table of 16-byte slots, each a
/// fingerprint of an identity and the member that has it, so that the table stays small
/// enough for the cache (a dictionary of the identities themselves, some 50 bytes each, made
/// a reply's lookup the watcher's costliest line of its own). The member a fingerprint
/// leads to is checked against the identity looked up, so two identities with one
/// fingerprint are still told apart. The fingerprints are seeded at random: nobody who
/// sends packets to the hub can pick flows that all land in one place of the table.
struct ReplyIndex {
    private struct Slot {
        var fingerprint: UInt64
        /// Negative for an empty slot.
        var member: Int32
    }

    private var slots = [Slot](repeating: Slot(fingerprint: 0, member: -1), count: 16)
    private var mask = 15
    private(set) var count = 0
    private let fingerprint: (ReplyIdentity) -> UInt64

    /// `fingerprint`: for tests, one that makes identities collide.
    init(fingerprint: ((ReplyIdentity) -> UInt64)? = nil) {
        var random = SystemRandomNumberGenerator()
        let seed: UInt64 = random.next()
        self.fingerprint = fingerprint ?? { Self.fingerprint($0, seed: seed) }
    }

    /// The member with `identity`; `identityOf` says what a member's is now.
    func member(_ identity: ReplyIdentity, identityOf: (Int) -> ReplyIdentity?) -> Int? {
        let print = fingerprint(identity)
        var slot = Int(truncatingIfNeeded: print) & mask
        while slots[slot].member >= 0 {
            let member = Int(slots[slot].member)
            if slots[slot].fingerprint == print, identityOf(member) == identity { return member }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Files `member` under `identity`, which no member has.
    mutating func insert(_ identity: ReplyIdentity, member: Int) {
        if 2 * (count + 1) > slots.count { grow() }
        place(Slot(fingerprint: fingerprint(identity), member: Int32(member)))
        count += 1
    }

    /// Takes `member` out from under `identity`, if it is there.
    mutating func remove(_ identity: ReplyIdentity, member: Int) {
        let print = fingerprint(identity)
        var hole = Int(truncatingIfNeeded: print) & mask
        while slots[hole].member >= 0, slots[hole].fingerprint != print || slots[hole].member != Int32(member) {
            hole = (hole + 1) & mask
        }
        guard slots[hole].member >= 0 else { return }
        count -= 1
        // The slots after it that could have been placed in the hole move back into it,
        // so that a search never stops short at an empty slot (no tombstones).
        var next = (hole + 1) & mask
        while slots[next].member >= 0 {
            let home = Int(truncatingIfNeeded: slots[next].fingerprint) & mask
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole].member = -1
    }

    private mutating func place(_ entry: Slot) {
        var slot = Int(truncatingIfNeeded: entry.fingerprint) & mask
        while slots[slot].member >= 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(fingerprint: 0, member: -1), count: 2 * old.count)
        mask = slots.count - 1
        for entry in old where entry.member >= 0 { place(entry) }
    }

    /// An identity's fingerprint under `seed`: its words stirred one after the other
    /// with SplitMix64's finaliser, a bijection, so the seed decides where each lands.
    static func fingerprint(_ identity: ReplyIdentity, seed: UInt64) -> UInt64 {
        switch identity {
        case .gre(let flow):
            let key = flow.key.map { UInt64($0) | 1 << 32 } ?? 0
            return mix(mix(mix(seed ^ word(flow.source)) ^ word(flow.destination)) ^ key)
        case .echo(let address):
            return mix(mix(~seed) ^ word(address))
        }
    }

    private static func word(_ address: IPAddress) -> UInt64 {
        switch address {
        case .v4(let address): UInt64(address.value)
        case .v6(let address): mix(address.high) ^ address.low
        }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
