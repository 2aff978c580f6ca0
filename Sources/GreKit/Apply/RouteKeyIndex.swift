/// The places of routes in a list, by their key: a table of positions only, 4 bytes a
/// slot, whose keys are the routes' own, read from the list when one is compared. A
/// file may declare routes by the ten thousand; a dictionary of keys took 80 bytes a
/// slot (memory that is paid for in page faults), and the planner made another.
/// The declaration reader builds one as it reads and the planner looks the kernel's
/// routes up in it.
struct RouteKeyIndex: Sendable {
    /// A slot holds a position plus one (0: empty) in its low 32 bits and the high 32
    /// bits of its key's hash in the others, so that a route is compared only when its
    /// hash is the key's. A power of two of them, at most half used, each key in the
    /// first free slot from its hash's (linear probing).
    private var slots: [UInt64] = []
    /// How many positions the index holds.
    private(set) var count = 0

    init() {}

    /// The first route of each key in `routes`, by its position.
    init(_ routes: [Route]) {
        reserveCapacity(routes.count, in: routes)
        for position in routes.indices { _ = insert(RouteKey(routes[position]), at: position, in: routes) }
    }

    /// Makes room for `capacity` positions in all, `routes` being the list so far.
    mutating func reserveCapacity(_ capacity: Int, in routes: [Route]) {
        guard capacity * 2 > slots.count else { return }
        var size = 16
        while size < capacity * 2 { size *= 2 }
        let used = slots.filter { $0 != 0 }
        slots = [UInt64](repeating: 0, count: size)
        for slot in used {
            let hash = RouteKey(routes[Int(slot & 0xFFFF_FFFF) - 1]).hashValue
            slots[freeSlot(for: hash)] = slot
        }
    }

    /// The position of the route of `key` in `routes`, the list the index is of.
    func position(of key: RouteKey, in routes: [Route]) -> Int? {
        position(of: key, hash: key.hashValue, in: routes)
    }

    /// Records that the route of `key` is at `position` in `routes` (it may be about to
    /// be appended there), unless a route of its key is in the list already: then
    /// returns that route's position and records nothing.
    mutating func insert(_ key: RouteKey, at position: Int, in routes: [Route]) -> Int? {
        let hash = key.hashValue
        if let existing = self.position(of: key, hash: hash, in: routes) { return existing }
        reserveCapacity(count + 1, in: routes)
        slots[freeSlot(for: hash)] = Self.tag(hash) | UInt64(position + 1)
        count += 1
        return nil
    }

    private func position(of key: RouteKey, hash: Int, in routes: [Route]) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1, tag = Self.tag(hash)
        var slot = hash & mask
        // Borrowed from the list: a route copied out would be retained and released.
        return routes.withUnsafeBufferPointer { routes in
            while slots[slot] != 0 {
                if slots[slot] & ~0xFFFF_FFFF == tag {
                    let position = Int(slots[slot] & 0xFFFF_FFFF) - 1
                    if RouteKey(routes[position]) == key { return position }
                }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    private static func tag(_ hash: Int) -> UInt64 { UInt64(UInt(bitPattern: hash)) & ~0xFFFF_FFFF }

    private func freeSlot(for hash: Int) -> Int {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        return slot
    }
}
