/// The places of routes in a list, by their key. A file may declare routes by the ten
/// thousand, and is mostly written in order (each route's key after the last's, as
/// `RouteKey.precedes` orders them): while the routes come so, the index holds nothing
/// but the last key, tells a repeated key by the order alone and finds a route by
/// bisecting the list. Hashing each key and probing a table for it took about a
/// tenth of the time of an apply that found 10,000 routes in state (a table of 32,768
/// slots, touched at random both times). The first route out of order makes the table:
/// of positions only, 4 bytes a slot, whose keys are the routes' own, read from the
/// list when one is compared (a dictionary of keys took 80 bytes a slot, memory that is
/// paid for in page faults). The declaration reader builds one as it reads and the
/// planner looks the kernel's routes up in it.
struct RouteKeyIndex: Sendable {
    /// A slot holds a position plus one (0: empty) in its low 32 bits and the high 32
    /// bits of its key's hash in the others, so that a route is compared only when its
    /// hash is the key's. A power of two of them, at most half used, each key in the
    /// first free slot from its hash's (linear probing). Empty while the index is in order.
    private var slots: [UInt64] = []
    /// How many positions the index holds.
    private(set) var count = 0
    /// Whether the positions held are 0..<count, of keys each after the one before:
    /// then there are no slots.
    private(set) var isInOrder = true
    /// In order, the key of the last position.
    private var lastKey: RouteKey?
    /// The room asked for, made when the index leaves its order.
    private var reserved = 0

    init() {}

    /// The first route of each key in `routes`, by its position.
    init(_ routes: RouteList) {
        reserveCapacity(routes.count, in: routes)
        for position in routes.indices { _ = insert(RouteKey(routes[position]), at: position, in: routes) }
    }

    /// Makes room for `capacity` positions in all, `routes` being the list so far.
    mutating func reserveCapacity(_ capacity: Int, in routes: RouteList) {
        guard !isInOrder else {
            reserved = Swift.max(reserved, capacity)
            return
        }
        guard capacity * 2 > slots.count else { return }
        var size = 16
        while size < capacity * 2 { size *= 2 }
        let used = slots.filter { $0 != 0 }
        slots = [UInt64](repeating: 0, count: size)
        for slot in used {
            let hash = routes.key(at: Int(slot & 0xFFFF_FFFF) - 1).hashValue
            slots[freeSlot(for: hash)] = slot
        }
    }

    /// The position of the route of `key` in `routes`, the list the index is of.
    /// `guess`: where it may be (the place after the last one found, for routes looked
    /// up in their order), tried first while the index is in order.
    func position(of key: RouteKey, in routes: RouteList, guess: Int? = nil) -> Int? {
        guard !isInOrder else { return orderedPosition(of: key, in: routes, guess: guess) }
        return position(of: key, hash: key.hashValue, in: routes)
    }

    /// The position of the route whose key is the record's, as `position(of:in:guess:)`
    /// finds it: while the index is in order, a guess kept as a record is compared with
    /// it field by field, without making either key.
    func position(ofKeyOf record: RouteList.Record, in routes: RouteList, guess: Int) -> Int? {
        if isInOrder, guess >= 0, guess < count, let guessed = routes.record(at: guess), guessed.hasKey(of: record) { return guess }
        return position(of: record.key, in: routes, guess: guess)
    }

    /// Records that the route of `key` is at `position` in `routes` (it may be about to
    /// be appended there), unless a route of its key is in the list already: then
    /// returns that route's position and records nothing.
    mutating func insert(_ key: RouteKey, at position: Int, in routes: RouteList) -> Int? {
        if isInOrder {
            // After the last key: no route before has it.
            if position == count, lastKey.map({ $0.precedes(key) }) ?? true {
                lastKey = key
                count += 1
                return nil
            }
            if let existing = orderedPosition(of: key, in: routes, guess: nil) { return existing }
            leaveOrder(routes)
        }
        let hash = key.hashValue
        if let existing = self.position(of: key, hash: hash, in: routes) { return existing }
        reserveCapacity(count + 1, in: routes)
        slots[freeSlot(for: hash)] = Self.tag(hash) | UInt64(position + 1)
        count += 1
        return nil
    }

    /// Hashes the positions held in order into slots.
    private mutating func leaveOrder(_ routes: RouteList) {
        isInOrder = false
        lastKey = nil
        let held = count
        count = 0
        reserveCapacity(Swift.max(reserved, held + 1), in: routes)
        for position in 0..<held {
            let hash = routes.key(at: position).hashValue
            slots[freeSlot(for: hash)] = Self.tag(hash) | UInt64(position + 1)
        }
        count = held
    }

    /// In order: the guess, else the first position whose key does not precede `key`
    /// (bisection), if its key is `key`. Keys in order differ in what `precedes`
    /// compares, so no other position can hold `key`.
    private func orderedPosition(of key: RouteKey, in routes: RouteList, guess: Int?) -> Int? {
        if let guess, guess >= 0, guess < count, routes.key(at: guess) == key { return guess }
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if routes.key(at: middle).precedes(key) { low = middle + 1 } else { high = middle }
        }
        return low < count && routes.key(at: low) == key ? low : nil
    }

    private func position(of key: RouteKey, hash: Int, in routes: RouteList) -> Int? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1, tag = Self.tag(hash)
        var slot = hash & mask
        while slots[slot] != 0 {
            if slots[slot] & ~0xFFFF_FFFF == tag {
                let position = Int(slots[slot] & 0xFFFF_FFFF) - 1
                if routes.key(at: position) == key { return position }
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    private static func tag(_ hash: Int) -> UInt64 { UInt64(UInt(bitPattern: hash)) & ~0xFFFF_FFFF }

    private func freeSlot(for hash: Int) -> Int {
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        return slot
    }
}
