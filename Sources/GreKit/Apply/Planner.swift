import Netlink

/// What a plan may do beyond making the file's objects what it says.
public struct PlanOptions: Sendable {
    /// Delete the owner's objects the file no longer declares.
    public var prune = false
    public init(prune: Bool = false) { self.prune = prune }
}

/// Compares a declared state with the kernel's and writes the plan that makes the
/// kernel match, with the fewest writes: an object already as declared is left
/// alone; one that differs is changed in place where the kernel can (`tunnel
/// change`, `route replace`, ...) and made again only where it cannot; an object
/// the file does not declare is deleted only when the owner made it and `prune`
/// asks. Everything a step touches is snapshot first, with the commands that take
/// the step back.
public final class Planner {
    let desired: NetworkState
    /// Names for the declared state (links the file makes have indexes of their own).
    let devices: DeviceDirectory
    let kernel: KernelState
    let owner: Owner
    let options: PlanOptions
    /// Names for the kernel's state.
    private let current: DeviceDirectory
    private let observation: Observation
    private var plan = Plan()
    /// Links deleted or made again: what was on them is gone.
    private var gone: Set<Int32> = []
    /// Nexthops that go with them (set by `planNexthops`): routes through them go too.
    private var goneNexthops: Set<UInt32> = []
    private var snapshotIdentities: Set<String> = []
    // Deletions of pruned objects, kept to run after every addition, in this order
    // (see `ordered`).
    private var ruleDeletions: [PlanStep] = []
    private var routeDeletions: [PlanStep] = []
    private var nexthopDeletions: [PlanStep] = []
    private var addressDeletions: [PlanStep] = []
    private var linkDeletions: [(step: PlanStep, frees: Set<Claim>)] = []
    /// What the additions claim, by their step's place in `plan.steps`.
    private var claims: [Int: Set<Claim>] = [:]
    /// The tables the file's routes are in, made when a route or rule of someone
    /// else's asks (a file may declare 10,000 routes; a plan that finds none asks nothing).
    private lazy var declaredTables = Set(desired.routes.lazy.map(\.table))

    /// What only one object may hold at a time: the kernel refuses a second link of a
    /// name or of a kind's exclusive settings, a second route of a key, a second
    /// nexthop of an id. An addition claims it; deleting a link frees what the link
    /// and everything on it held.
    enum Claim: Hashable {
        case linkName(String)
        case linkSettings(kind: String, [KindSetting])
        case route(RouteKey)
        case nexthop(UInt32)
    }

    public init(desired: NetworkState, devices: DeviceDirectory, kernel: KernelState, owner: Owner, options: PlanOptions) {
        self.desired = desired
        self.devices = devices
        self.kernel = kernel
        self.owner = owner
        self.options = options
        current = DeviceDirectory(kernel.links)
        observation = Observation(kernel)
    }

    /// `keepalives`: the keepalive service's file as it is (nil: apply does not edit it).
    public func plan(warnings: [ApplyWarning] = [], keepalives: KeepaliveLines? = nil) throws(PlanRefusal) -> Plan {
        plan = Plan()
        plan.warnings = warnings
        if let keepalives { try planKeepalives(keepalives) }
        try planLinks()
        planAddresses()
        planNexthops()
        try planRoutes()
        planRules()
        plan.steps = ordered(plan.steps)
        return plan
    }

    /// The steps with the deletions `--prune` adds: after every addition, so what
    /// goes away goes last, except a link's deletion that frees what an addition
    /// claims (a route or a nexthop moved to a new link, a tunnel renamed): it runs
    /// just before that addition. The other deletions go with the first one so
    /// moved, before it, in their order (a group before its members, which the
    /// link's deletion may take).
    private func ordered(_ steps: [PlanStep]) -> [PlanStep] {
        var pending = linkDeletions
        var others: [PlanStep]? = ruleDeletions + routeDeletions + nexthopDeletions + addressDeletions
        var ordered: [PlanStep] = []
        for (index, step) in steps.enumerated() {
            if let claimed = claims[index] {
                let freeing = pending.filter { !$0.frees.isDisjoint(with: claimed) }
                if !freeing.isEmpty {
                    ordered += others ?? []
                    others = nil
                    ordered += freeing.map(\.step)
                    pending.removeAll { !$0.frees.isDisjoint(with: claimed) }
                }
            }
            ordered.append(step)
        }
        return ordered + (others ?? []) + pending.map(\.step)
    }

    /// Appends an addition and what it claims.
    private func add(_ step: PlanStep, claiming claimed: Set<Claim>) {
        claims[plan.steps.count] = claimed
        plan.steps.append(step)
    }

    /// What a link holds that no other may: its name and its kind's exclusive settings.
    private static func claims(of name: String, _ options: (any LinkKindOptions)?, _ devices: any InterfaceResolver) -> Set<Claim> {
        var claims: Set<Claim> = [.linkName(name)]
        if let options, let settings = options.exclusiveSettings(devices) { claims.insert(.linkSettings(kind: options.kind, settings)) }
        return claims
    }

    // MARK: Steps

    private func step(
        _ operation: PlanStep.Operation, _ object: ObjectKind, _ key: String, from: [Field]?, to: [Field]?,
        _ words: [String], undo: [[String]], recreate: Bool = false
    ) -> PlanStep {
        PlanStep(operation: operation, object: object, key: key, from: from, to: to, words: words, undo: undo, recreate: recreate)
    }

    /// Keeps an object as the kernel has it now, once.
    private func touch(_ object: ObjectKind, _ identity: String) {
        guard snapshotIdentities.insert(object.rawValue + " " + identity).inserted else { return }
        plan.snapshot.append(SnapshotEntry(object: object, identity: identity, words: observation.words(object, identity)))
    }

    /// Keeps the routes of a key as the kernel has them now, once: only they are written.
    private func touch(route key: RouteKey) {
        let identity = key.description
        guard snapshotIdentities.insert(ObjectKind.route.rawValue + " " + identity).inserted else { return }
        plan.snapshot.append(SnapshotEntry(object: .route, identity: identity, words: observation.words(route: key)))
    }

    /// An object's members in the state document, from its words.
    private func fields(_ object: ObjectKind, _ words: [String]) -> [Field] {
        let schema: WordSchema = switch object {
        case .address: .address
        case .nexthop: .nexthop
        case .route: .route
        case .rule: .rule
        case .link, .keepalive: .keepalive
        }
        return schema.fields(of: Array(words.dropFirst(2)))
    }

    // MARK: Links

    private func planLinks() throws(PlanRefusal) {
        // Links the file makes first: a link it only configures may be one of them (a veth's peer).
        for link in desired.links.filter({ $0.options != nil }) + desired.links.filter({ $0.options == nil }) {
            guard let existing = kernel.link(named: link.name) else {
                if link.options != nil { addLink(link) } else { configureNewLink(link) }
                continue
            }
            guard let options = link.options else {
                setAttributes(of: existing, to: link)
                continue
            }
            if let other = Owner.owner(ofLinkAlias: existing.alias), other != owner {
                throw PlanRefusal(message: "\(link.name) belongs to owner \(other.name) (alias \(existing.alias!)); apply it from that owner's file, or delete it")
            }
            if existing.kind != options.kind || !canChangeInPlace(existing, to: options) {
                plan.recreatedLinks.append(link.name)
                deleteLink(existing, recreate: true)
                addLink(link, recreate: true)
                continue
            }
            let setsMTU = changeSettings(of: existing, to: options, mtu: link.mtu)
            setAttributes(of: existing, to: link, mtuSet: setsMTU)
            adopt(existing)
        }
        guard options.prune else { return }
        // A fallback device tagged by an apply that declared it is still the kernel's.
        for link in kernel.links where Owner.owner(ofLinkAlias: link.alias) == owner && desired.link(named: link.name) == nil
            && !link.isFallbackTunnel {
            linkDeletions.append(deletion(of: link, recreate: false))
        }
    }

    private func linkState(of link: Link) -> LinkState {
        var state = LinkState(name: link.name)
        state.options = link.options
        state.mtu = link.mtu
        state.txqlen = link.txqlen
        state.up = link.isUp
        state.alias = link.alias
        return state
    }

    /// A link made with another (a veth's peer): its attributes, once it exists. It
    /// goes with the link it came with.
    private func configureNewLink(_ link: LinkState) {
        let words = link.attributeWords(created: false)
        guard !words.isEmpty else { return }
        plan.steps.append(step(.change, .link, link.name, from: nil, to: StateDocument.linkFields(link, devices),
                               ["link", "set", link.name] + words, undo: []))
    }

    private func addLink(_ link: LinkState, recreate: Bool = false) {
        touch(.link, link.name)
        var claimed = Self.claims(of: link.name, link.options, devices)
        if let veth = link.options as? VethOptions, let peer = veth.peerName {
            touch(.link, peer.value)
            claimed.insert(.linkName(peer.value))
        }
        add(step(.add, .link, link.name, from: nil, to: StateDocument.linkFields(link, devices), link.words(devices),
                 undo: [["link", "delete", link.name]], recreate: recreate), claiming: claimed)
        // The kernel takes no alias with a new link: the owner's tag is a change of its own.
        plan.steps.append(step(.change, .link, link.name, from: nil, to: [.jsonOnly("ifalias", .string(owner.linkTag))],
                               ["link", "set", link.name, "alias", owner.linkTag], undo: [], recreate: recreate))
    }

    private func deleteLink(_ link: Link, recreate: Bool) {
        plan.steps.append(deletion(of: link, recreate: recreate).step)
    }

    /// Deleting a link takes what is on it: its addresses, the nexthops and routes
    /// through it, a veth's peer. Taking the deletion back makes all of them again.
    /// Returns the step and what it frees.
    private func deletion(of link: Link, recreate: Bool) -> (step: PlanStep, frees: Set<Claim>) {
        touch(.link, link.name)
        var links = [link]
        if link.options is VethOptions, let peer = link.parent.flatMap({ index in kernel.links.first { $0.index == index } }) {
            links.append(peer)
            touch(.link, peer.name)
        }
        var undo: [[String]] = []
        for (position, link) in links.enumerated() {
            var state = linkState(of: link)
            // The peer comes back with the pair: only its attributes are set again.
            if position > 0 { state.options = nil }
            undo.append(state.words(current))
            if let alias = link.alias, !alias.isEmpty { undo.append(["link", "set", link.name, "alias", alias]) }
        }
        var frees = links.reduce(into: Set<Claim>()) { $0.formUnion(Self.claims(of: $1.name, $1.options, current)) }
        let indexes = Set(links.map(\.index))
        gone.formUnion(indexes)
        for address in kernel.addresses where indexes.contains(address.interface) {
            guard let on = kernel.links.first(where: { $0.index == address.interface }), !KernelState.isKernelMade(address, on: on) else { continue }
            touch(.address, Observation.identity(of: address, current))
            undo.append(address.words(current, ownership: true))
            noteForeign(address.protocolID.map { RouteProtocol(rawValue: $0.rawValue) }, .address,
                        address.identityWords(current).joined(separator: " "), goingWith: link.name)
        }
        let nexthops = kernel.nexthops.filter { $0.outputInterface.map(indexes.contains) ?? false }
        var nexthopIDs = Set(nexthops.map(\.id))
        for nexthop in nexthops {
            touch(.nexthop, Observation.identity(of: nexthop))
            undo.append(nexthop.words(current, ownership: true))
            frees.insert(.nexthop(nexthop.id))
        }
        // The kernel takes those out of their groups, and deletes a group left without
        // a member: taking the deletion back makes the groups whole again.
        for group in kernel.nexthops where group.group.contains(where: { nexthopIDs.contains($0.id) }) {
            touch(.nexthop, Observation.identity(of: group))
            undo.append(["nexthop", "replace"] + group.words(current, ownership: true).dropFirst(2))
            if group.group.allSatisfy({ nexthopIDs.contains($0.id) }) {
                nexthopIDs.insert(group.id)
                frees.insert(.nexthop(group.id))
            }
        }
        // The routes that go with it, by key, each key's in the kernel's order.
        var going: [RouteKey: [Int]] = [:]
        var keys: [RouteKey] = []
        for position in kernel.routes.indices {
            let route = kernel.routes[position]
            guard !KernelState.kernelProtocols.contains(route.protocolID),
                  indexes.contains(where: { route.uses(interface: $0) }) || route.nexthopID.map(nexthopIDs.contains) ?? false else { continue }
            let key = RouteKey(route)
            if going[key] == nil { keys.append(key) }
            going[key, default: []].append(position)
            noteForeign(route.protocolID, .route, key.description, goingWith: link.name)
        }
        for key in keys {
            touch(route: key)
            undo += restoring(key, going[key]!)
            frees.insert(.route(key))
        }
        return (step(.delete, .link, link.name, from: StateDocument.linkFields(linkState(of: link), current), to: nil,
                     ["link", "delete", link.name], undo: undo, recreate: recreate), frees)
    }

    /// The commands that make the routes of `key` at `going` (places in the kernel's
    /// list) again, once they went with a link, each in its place among the key's
    /// routes (the kernel tries them in order). A key's only route is added again.
    /// Of several, those before every other route of the key are prepended, last
    /// first; from the first that lay after another on, the routes that stayed are
    /// deleted and all appended again in their order, as no request puts a route
    /// between two others. A route already there when they run (one a later step
    /// pruned, made here and not by its own undo) is left: its undo meets it and has
    /// nothing to do. IPv6 routes are added again in their order: the kernel makes
    /// them legs of one route or adds them after the others of the key.
    private func restoring(_ key: RouteKey, _ going: [Int]) -> [[String]] {
        let places = observation.routePlaces(of: key)
        let command = { (verb: String, place: Int) in ["route", verb] + self.kernel.routes[place].words(self.current, ownership: true).dropFirst(2) }
        guard key.family == .inet, places.count > 1 else { return going.map { command("add", $0) } }
        let leading = places.prefix { going.contains($0) }
        var commands: [[String]] = []
        if let from = places.dropFirst(leading.count).firstIndex(where: going.contains) {
            let tail = places[from...]
            commands += tail.filter { !going.contains($0) }.map { command("delete", $0) } + tail.map { command("append", $0) }
        }
        return commands + leading.reversed().map { command("prepend", $0) }
    }

    /// Someone else's object that the file declares otherwise is changed as declared,
    /// and is the owner's from then on: said, for only the JSON plan's `from` shows
    /// whose it was, and taking a route from a routing daemon starts a tug of war.
    private func warnTakingOver(_ object: ObjectKind, _ identity: String, from protocolID: RouteProtocol?) {
        guard protocolID != owner.protocolID else { return }
        plan.warnings.append(ApplyWarning(object: "\(object.rawValue) \(identity)",
                                          message: "protocol \(protocolID?.name ?? "unspec")'s, changed as declared: \(owner.name)'s from now on"))
    }

    /// Someone else's object that goes with a link apply deletes: said, not kept.
    private func noteForeign(_ protocolID: RouteProtocol?, _ object: ObjectKind, _ key: String, goingWith link: String) {
        guard protocolID != owner.protocolID else { return }
        plan.drift.append(Drift(object: object, key: key, reason: "not \(owner.name)'s, but goes with \(link), which is deleted"))
    }

    /// Whether words can take a link's settings to the declared ones.
    private func canChangeInPlace(_ link: Link, to options: any LinkKindOptions) -> Bool {
        guard let existing = link.options else { return false }
        let rows = type(of: options).settingWords(kind: options.kind)
        let (was, will) = (existing.settings(current), options.settings(devices))
        for row in rows where row.reset == nil {
            if was.first(where: { $0.key == row.key }) != will.first(where: { $0.key == row.key }) { return false }
        }
        return true
    }

    /// The words that take settings `from` to `to`: resets first (a key given as `key`
    /// that becomes `ikey` is undone before the new one is set), then what is new.
    static func settingWords(from: [KindSetting], to: [KindSetting], rows: [KindSettingWords]) -> [String] {
        var resets: [String] = []
        var sets: [String] = []
        for setting in from where !to.contains(where: { $0.key == setting.key }) {
            resets += rows.first { $0.key == setting.key }?.reset ?? []
        }
        for setting in to where !from.contains(setting) {
            sets += rows.first { $0.key == setting.key }?.words(setting.value) ?? []
        }
        return resets + sets
    }

    /// Returns whether the change sets the declared `mtu` too.
    ///
    /// The kernel derives a GRE device's MTU again when a change alters its header
    /// (a key or checksum more or less) or its path (`dev`, and any change of an
    /// ip6gre tunnel), unless the same request sets the MTU: a declared MTU goes in
    /// that request (`link set NAME mtu N type KIND ...`), and so does the one to put
    /// back in its undo.
    private func changeSettings(of link: Link, to options: any LinkKindOptions, mtu: UInt32?) -> Bool {
        guard let existing = link.options else { return false }
        let rows = type(of: options).settingWords(kind: options.kind)
        let (was, will) = (existing.settings(current), options.settings(devices))
        guard was != will else { return false }
        // The merging change: `tunnel change` for GRE, `link set ... type KIND` for the others.
        let keepsMTU = options is GreOptions ? mtu.map { ["mtu", String($0)] } : nil
        let command = options is GreOptions && keepsMTU == nil ? ["tunnel", "change", link.name] : ["link", "set", link.name]
        let kind = command.first == "link" ? ["type", options.kind] : []
        touch(.link, link.name)
        var after = linkState(of: link)
        after.options = options
        after.mtu = mtu ?? after.mtu
        let undoMTU = keepsMTU != nil ? link.mtu.map { ["mtu", String($0)] } ?? [] : []
        plan.steps.append(step(.change, .link, link.name, from: StateDocument.linkFields(linkState(of: link), current),
                               to: StateDocument.linkFields(after, devices),
                               command + (keepsMTU ?? []) + kind + Self.settingWords(from: was, to: will, rows: rows),
                               undo: [command + undoMTU + kind + Self.settingWords(from: will, to: was, rows: rows)]))
        return keepsMTU != nil
    }

    /// up, mtu and txqueuelen, where the file says them.
    /// `mtuSet`: a change of the kind's settings sets the MTU already.
    private func setAttributes(of link: Link, to declared: LinkState, mtuSet: Bool = false) {
        var words: [String] = []
        var undo: [String] = []
        if !mtuSet, let mtu = declared.mtu, mtu != link.mtu {
            words += ["mtu", String(mtu)]
            undo += ["mtu", String(link.mtu ?? mtu)]
        }
        if let txqlen = declared.txqlen, txqlen != link.txqlen {
            words += ["txqueuelen", String(txqlen)]
            undo += ["txqueuelen", String(link.txqlen ?? txqlen)]
        }
        var restore: [[String]] = []
        if let up = declared.up, up != link.isUp {
            words.append(up ? "up" : "down")
            undo.append(link.isUp ? "up" : "down")
            // Setting a link down takes its routes: they come back with the undo.
            if !up {
                for route in kernel.routes where route.uses(interface: link.index) && !KernelState.kernelProtocols.contains(route.protocolID) {
                    touch(route: RouteKey(route))
                    restore.append(route.words(current, ownership: true))
                }
            }
        }
        guard !words.isEmpty else { return }
        touch(.link, link.name)
        var after = linkState(of: link)
        after.mtu = declared.mtu ?? after.mtu
        after.txqlen = declared.txqlen ?? after.txqlen
        after.up = declared.up ?? after.up
        after.options = nil
        var before = linkState(of: link)
        before.options = nil
        plan.steps.append(step(.change, .link, link.name, from: StateDocument.linkFields(before, current),
                               to: StateDocument.linkFields(after, current),
                               ["link", "set", link.name] + words, undo: [["link", "set", link.name] + undo] + restore))
    }

    /// A link the file makes that someone made by hand becomes the owner's: it gets
    /// the owner's tag, unless it has an alias of its own, which apply leaves alone.
    private func adopt(_ link: Link) {
        if Owner.owner(ofLinkAlias: link.alias) == owner { return }
        if let alias = link.alias, !alias.isEmpty {
            plan.drift.append(Drift(object: .link, key: link.name, reason: "has alias \"\(alias)\", so apply cannot mark it as \(owner.name)'s: it will never delete it"))
            return
        }
        touch(.link, link.name)
        plan.steps.append(step(.change, .link, link.name, from: [.jsonOnly("ifname", .string(link.name))],
                               to: [.jsonOnly("ifname", .string(link.name)), .jsonOnly("ifalias", .string(owner.linkTag))],
                               ["link", "set", link.name, "alias", owner.linkTag], undo: [["link", "set", link.name, "alias", ""]]))
    }

    // MARK: Addresses

    private func planAddresses() {
        let present = kernel.addresses.filter { address in
            guard !gone.contains(address.interface), let link = kernel.links.first(where: { $0.index == address.interface }) else { return false }
            return !KernelState.isKernelMade(address, on: link)
        }
        var byKey: [AddressKey: Address] = [:]
        for address in present where byKey[AddressKey(address)] == nil { byKey[AddressKey(address)] = address }
        var declaredKeys: Set<AddressKey> = []
        var additions: [PlanStep] = []
        for address in desired.addresses {
            let key = AddressKey(address)
            declaredKeys.insert(key)
            let identity = Observation.identity(of: address, devices)
            let words = address.words(devices, ownership: true)
            guard let existing = byKey[key] else {
                touch(.address, identity)
                additions.append(step(.add, .address, identity, from: nil, to: fields(.address, words), words,
                                      undo: [["address", "delete"] + address.identityWords(devices)]))
                continue
            }
            let was = existing.words(current, ownership: true)
            if was.dropFirst(2) == words.dropFirst(2) { continue }
            touch(.address, identity)
            warnTakingOver(.address, identity, from: existing.protocolID.map { RouteProtocol(rawValue: $0.rawValue) })
            if changeable(existing, to: address) {
                additions.append(step(.change, .address, identity, from: fields(.address, was), to: fields(.address, words),
                                      ["address", "change"] + words.dropFirst(2), undo: [["address", "change"] + was.dropFirst(2)]))
            } else {
                additions.append(step(.delete, .address, identity, from: fields(.address, was), to: nil,
                                      ["address", "delete"] + existing.identityWords(current), undo: [was]))
                additions.append(step(.add, .address, identity, from: nil, to: fields(.address, words), words,
                                      undo: [["address", "delete"] + address.identityWords(devices)]))
            }
        }
        plan.steps += additions
        let declaredLinks = Set(desired.links.map(\.name))
        for address in present where !declaredKeys.contains(AddressKey(address)) {
            let identity = Observation.identity(of: address, current)
            if address.protocolID == owner.addressProtocol {
                guard options.prune else { continue }
                touch(.address, identity)
                let was = address.words(current, ownership: true)
                addressDeletions.append(step(.delete, .address, identity, from: fields(.address, was), to: nil,
                                             ["address", "delete"] + address.identityWords(current), undo: [was]))
            } else if let name = current.name(of: address.interface), declaredLinks.contains(name) {
                plan.drift.append(Drift(object: .address, key: identity, reason: Self.foreign(address.protocolID.map { RouteProtocol(rawValue: $0.rawValue) })))
            }
        }
    }

    /// Whether `address change` reaches the declared address: the kernel changes an
    /// address's metric, flags and protocol in place, not its broadcast, scope or label.
    private func changeable(_ existing: Address, to declared: Address) -> Bool {
        func fixed(_ address: Address, _ devices: any InterfaceResolver) -> [String] {
            var address = address
            address.metric = nil
            address.flags = []
            address.protocolID = nil
            return address.words(devices, ownership: false)
        }
        return fixed(existing, current) == fixed(declared, devices)
    }

    private static func foreign(_ protocolID: RouteProtocol?) -> String {
        "not in the file, and not apply's (protocol \(protocolID?.name ?? "unspec")): left alone"
    }

    // MARK: Nexthops

    /// The nexthops as they will be once the links that go are gone: those on them
    /// are deleted with them, and taken out of their groups; a group left without a
    /// member is deleted too.
    private var nexthopsLeft: [NexthopObject] {
        let goneIDs = Set(kernel.nexthops.filter { $0.outputInterface.map(gone.contains) ?? false }.map(\.id))
        return kernel.nexthops.compactMap { nexthop in
            guard !goneIDs.contains(nexthop.id) else { return nil }
            var left = nexthop
            left.group.removeAll { goneIDs.contains($0.id) }
            return nexthop.group.isEmpty || !left.group.isEmpty ? left : nil
        }
    }

    private func planNexthops() {
        let present = nexthopsLeft
        goneNexthops = Set(kernel.nexthops.map(\.id)).subtracting(present.map(\.id))
        let byID = Dictionary(present.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Members before the groups that name them.
        let ordered = desired.nexthops.filter { $0.group.isEmpty } + desired.nexthops.filter { !$0.group.isEmpty }
        for nexthop in ordered {
            let identity = Observation.identity(of: nexthop)
            let words = nexthop.words(devices, ownership: true)
            guard let existing = byID[nexthop.id] else {
                touch(.nexthop, identity)
                add(step(.add, .nexthop, "nexthop " + identity, from: nil, to: fields(.nexthop, words), words,
                         undo: [["nexthop", "delete", "id", String(nexthop.id)]]), claiming: [.nexthop(nexthop.id)])
                continue
            }
            guard !Self.satisfies(nexthop, existing) else { continue }
            touch(.nexthop, identity)
            warnTakingOver(.nexthop, identity, from: existing.protocolID)
            let was = existing.words(current, ownership: true)
            plan.steps.append(step(.change, .nexthop, "nexthop " + identity, from: fields(.nexthop, was), to: fields(.nexthop, words),
                                   ["nexthop", "replace"] + words.dropFirst(2), undo: [["nexthop", "replace"] + was.dropFirst(2)]))
        }
        let declared = Set(desired.nexthops.map(\.id))
        let declaredLinks = Set(desired.links.compactMap { try? devices.index(of: $0.name) })
        // Groups before their members.
        for existing in present.filter({ !$0.group.isEmpty }) + present.filter({ $0.group.isEmpty }) where !declared.contains(existing.id) {
            let identity = Observation.identity(of: existing)
            if existing.protocolID == owner.protocolID {
                guard options.prune else { continue }
                touch(.nexthop, identity)
                nexthopDeletions.append(step(.delete, .nexthop, "nexthop " + identity, from: fields(.nexthop, existing.words(current, ownership: true)),
                                             to: nil, ["nexthop", "delete", "id", String(existing.id)],
                                             undo: [existing.words(current, ownership: true)]))
            } else if existing.outputInterface.map(declaredLinks.contains) ?? false {
                plan.drift.append(Drift(object: .nexthop, key: "nexthop " + identity, reason: Self.foreign(existing.protocolID)))
            }
        }
    }

    /// Whether a nexthop is as declared; what the declaration leaves out (a device
    /// beside a gateway, a group's type, resilient timers) is the kernel's choice.
    static func satisfies(_ declared: NexthopObject, _ existing: NexthopObject) -> Bool {
        guard declared.family == existing.family, declared.blackhole == existing.blackhole, declared.fdb == existing.fdb,
              declared.flags.contains(.onlink) == existing.flags.contains(.onlink), declared.gateway == existing.gateway,
              (declared.outputInterface ?? existing.outputInterface) == existing.outputInterface,
              declared.group == existing.group, (declared.groupType ?? .multipath) == (existing.groupType ?? .multipath),
              declared.protocolID == existing.protocolID,
              declared.encapsulation?.asReported == existing.encapsulation?.asReported else { return false }
        if let wanted = declared.resilient {
            let got = existing.resilient
            if let buckets = wanted.buckets, buckets != got?.buckets { return false }
            if let idle = wanted.idleTimer, idle != got?.idleTimer { return false }
            if let unbalanced = wanted.unbalancedTimer, unbalanced != got?.unbalancedTimer { return false }
        }
        return true
    }

    // MARK: Routes

    private func planRoutes() throws(PlanRefusal) {
        // The declared routes by key, as their place in the file's list: the reader's
        // index, or one made here: the first route of each key (a further one is a
        // `route append`).
        let declared = desired.routeIndex ?? RouteKeyIndex(desired.routes)
        // The keys the file declares several routes of (`route append`): the index holds
        // a place for each key, the first of it.
        let several = declared.count < desired.routes.count ? severalRoutesOfAKey() : []
        let severalPlaces = Set(several.lazy.flatMap(\.places))
        var match = RouteMatch(declared: desired.routes.count, owner: owner.protocolID, prune: options.prune,
                               several: Set(several.lazy.map { $0.places[0] }))
        match.compare(kernel.routes, with: desired.routes, by: declared, gone: gone, goneNexthops: goneNexthops)
        let (found, satisfied, prunable) = (match.found, match.satisfied, match.prunable)
        // A route as declared costs no string: only one that changes is described.
        for place in desired.routes.indices where !satisfied[place] && (severalPlaces.isEmpty || !severalPlaces.contains(place)) {
            let route = desired.routes[place]
            let key = RouteKey(route)
            let identity = key.description
            let words = route.words(devices, ownership: true)
            touch(route: key)
            guard found[place] >= 0 else {
                add(step(.add, .route, identity, from: nil, to: fields(.route, words), words,
                         undo: [["route", "delete"] + route.keyWords(protocol: true)]), claiming: [.route(key)])
                continue
            }
            let existing = kernel.routes[Int(found[place])]
            warnTakingOver(.route, identity, from: existing.protocolID)
            let was = existing.words(current, ownership: true)
            plan.steps.append(step(.change, .route, identity, from: fields(.route, was), to: fields(.route, words),
                                   ["route", "replace"] + words.dropFirst(2), undo: [["route", "replace"] + was.dropFirst(2)]))
        }
        for (key, places) in several { planSeveral(key, places) }
        // Whether the kernel's route at a place is one to prune (the places are in order).
        let isPruned = { (place: Int) -> Bool in
            var (low, high) = (0, prunable.count)
            while low < high {
                let middle = (low + high) / 2
                if prunable[middle] < place { low = middle + 1 } else { high = middle }
            }
            return low < prunable.count && prunable[low] == place
        }
        // In the kernel's order, as `route show` lists them; a key's routes to prune are
        // planned together, at the first of them.
        for position in prunable {
            let key = RouteKey(kernel.routes[position])
            let places = observation.routePlaces(of: key)
            guard places.first(where: isPruned) == position else { continue }
            routeDeletions += try pruning(key, places, isPruned)
        }
        let declaredLinks = desired.links.compactMap { try? current.index(of: $0.name) }
        for position in match.foreign {
            let existing = kernel.routes[position]
            guard declaredTables.contains(existing.table) || declaredLinks.contains(where: { existing.uses(interface: $0) }) else { continue }
            let key = RouteKey(existing)
            plan.drift.append(Drift(object: .route, key: key.description, reason: foreignReason(existing, at: position, of: key)))
        }
        plan.drift.sort { ($0.object.rawValue, $0.key, $0.reason) < ($1.object.rawValue, $1.key, $1.reason) }
    }

    /// The keys of which the file declares several routes, each with their places in
    /// the file's list, in the file's order.
    private func severalRoutesOfAKey() -> [(key: RouteKey, places: [Int])] {
        var placesOfKey: [RouteKey: [Int]] = [:]
        var keys: [RouteKey] = []
        for place in desired.routes.indices {
            let key = desired.routes.key(at: place)
            if placesOfKey[key] == nil { keys.append(key) }
            placesOfKey[key, default: []].append(place)
        }
        return keys.compactMap { key in placesOfKey[key].flatMap { $0.count > 1 ? (key, $0) : nil } }
    }

    /// The routes of a key the file declares several of, in their order (`route
    /// append`), which is the order the kernel tries them in. The kernel's routes of the
    /// key (but those it makes) must be these in this order: when they are, nothing is
    /// done. Otherwise the key's routes are made again: no request changes a route
    /// after the first of its key in place, or puts one between two others. Those there
    /// are deleted, last first, each by its words, and each deletion's undo appends
    /// it again (a rollback, newest first, makes them again first first); then the
    /// first declared is added and the others appended. Someone else's taken so is
    /// warned of, as a single route replaced is.
    private func planSeveral(_ key: RouteKey, _ places: [Int]) {
        let existing = observation.routePlaces(of: key).filter { !KernelState.kernelProtocols.contains(kernel.routes[$0].protocolID) }
        if existing.count == places.count, zip(places, existing).allSatisfy({ Self.satisfies(desired.routes[$0], kernel.routes[$1]) }) { return }
        touch(route: key)
        let identity = key.description
        for position in existing.reversed() {
            let route = kernel.routes[position]
            warnTakingOver(.route, identity, from: route.protocolID)
            let was = route.words(current, ownership: true)
            plan.steps.append(step(.delete, .route, identity, from: fields(.route, was), to: nil, ["route", "delete"] + was.dropFirst(2),
                                   undo: [["route", "append"] + was.dropFirst(2)]))
        }
        for (index, place) in places.enumerated() {
            let words = desired.routes[place].words(devices, ownership: true)
            add(step(.add, .route, identity, from: nil, to: fields(.route, words), index == 0 ? words : ["route", "append"] + words.dropFirst(2),
                     undo: [["route", "delete"] + words.dropFirst(2)]), claiming: index == 0 ? [.route(key)] : [])
        }
    }

    /// The deletions of the owner's routes of `key` that no declared route is matched
    /// with (`isPruned`), among all the kernel's routes of the key at `places`, each
    /// with what puts it back in its place: the kernel tries a key's routes in order.
    /// A key's only route is deleted by its key and added again, as any object. One
    /// of several is deleted by its whole words (its key's would delete the first of
    /// the key) and put back where it was among those that stay: the routes with none
    /// that stays after them are deleted last first and appended (`route append` puts
    /// a route last of its key), those with none before them first first and
    /// prepended (`route prepend` puts it first), and one between two that stay by
    /// deleting those after it, appending it and then them again, as no request puts a
    /// route between two others. Each undo is written for the state its step leaves,
    /// which is the state it meets, as a rollback takes steps back newest first.
    private func pruning(_ key: RouteKey, _ places: [Int], _ isPruned: (Int) -> Bool) throws(PlanRefusal) -> [PlanStep] {
        touch(route: key)
        let identity = key.description
        let routes = places.map { kernel.routes[$0] }
        let words = routes.map { $0.words(current, ownership: true) }
        let again = { (verb: String, index: Int) in ["route", verb] + words[index].dropFirst(2) }
        let deletion = { (index: Int, command: [String], undo: [[String]]) in
            self.step(.delete, .route, identity, from: self.fields(.route, words[index]), to: nil, command, undo: undo)
        }
        guard places.count > 1 else {
            return [deletion(0, ["route", "delete"] + routes[0].keyWords(protocol: true), [words[0]])]
        }
        let pruned = places.indices.filter { isPruned(places[$0]) }
        // The kernel keeps IPv6 routes of a key that can be legs of one route as legs,
        // and adds any other after them: none goes back in its place.
        guard key.family == .inet else {
            throw PlanRefusal(message: "cannot prune route \(words[pruned[0]].dropFirst(2).joined(separator: " ")): it shares its key with \(places.count - 1) other IPv6 route\(places.count == 2 ? "" : "s"), among which the kernel cannot put it back in its place, so its deletion could not be taken back; delete it by hand or declare it")
        }
        let staying = places.indices.filter { !isPruned(places[$0]) }
        var (last, between, first): ([PlanStep], [PlanStep], [PlanStep]) = ([], [], [])
        for index in pruned {
            let after = staying.filter { $0 > index }
            if after.isEmpty {
                last.insert(deletion(index, again("delete", index), [again("append", index)]), at: 0)
            } else if staying[0] > index {
                first.append(deletion(index, again("delete", index), [again("prepend", index)]))
            } else {
                let undo = after.map { again("delete", $0) } + [again("append", index)] + after.map { again("append", $0) }
                between.insert(deletion(index, again("delete", index), undo), at: 0)
            }
        }
        return last + between + first
    }

    /// Why a route of someone else's is drift; one of several of its key is said by
    /// its place and its words after the key.
    private func foreignReason(_ existing: Route, at position: Int, of key: RouteKey) -> String {
        let places = observation.routePlaces(of: key)
        guard places.count > 1, let index = places.firstIndex(of: position) else { return Self.foreign(existing.protocolID) }
        let alias = existing.words(current, ownership: false).dropFirst(2 + existing.keyWords(protocol: false).count)
        return "route \(index + 1) of \(places.count) of its key (\(alias.joined(separator: " "))): " + Self.foreign(existing.protocolID)
    }

    /// The kernel's route of each declared one, by its place in the kernel's list (-1:
    /// none), and whether it is as declared; and the kernel's routes no declared one is
    /// matched with. IPv4 keeps several routes of a key (`route append`), tried in
    /// order: a declared route is matched with the first of its key that is as
    /// declared, else with the first of its key (the one `route replace` changes).
    /// The kernel's routes are read once each, in one pass, by a method of this value:
    /// as variables a closure captured, these were checked for exclusive access at each
    /// use as the program ran.
    private struct RouteMatch {
        private(set) var found: [Int32]
        private(set) var satisfied: [Bool]
        /// The places, in order, of the kernel's routes matched with no declared route
        /// that the plan does something with: the owner's when pruning, and someone
        /// else's (drift). Those the kernel makes, and the owner's when not pruning, are
        /// kept in neither: an empty file would otherwise list every route of the kernel.
        private(set) var prunable: [Int] = []
        private(set) var foreign: [Int] = []
        private let owner: RouteProtocol
        private let prune: Bool
        /// The first places of the keys the file declares several routes of: the
        /// kernel's routes of those keys are compared with all of them, apart.
        private let several: Set<Int>
        /// The kernel dumps a table's routes in order, as files are mostly written: the
        /// place after the last one found is tried first.
        private var next = 0

        init(declared count: Int, owner: RouteProtocol, prune: Bool, several: Set<Int>) {
            found = [Int32](repeating: -1, count: count)
            satisfied = [Bool](repeating: false, count: count)
            self.owner = owner
            self.prune = prune
            self.several = several
        }

        /// Compares the kernel's routes, but those through links or nexthops that are
        /// `gone`, with the declared `routes`, whose keys `index` holds.
        mutating func compare(_ kernel: RouteList, with routes: RouteList, by index: RouteKeyIndex, gone: Set<Int32>, goneNexthops: Set<UInt32>) {
            for position in kernel.indices {
                // A route of the usual form is compared with its record's or message's
                // fields; a record with a declared record field by field, as neither is made a Route.
                if gone.isEmpty, let record = kernel.record(at: position) {
                    if let place = unsatisfied(index.position(ofKeyOf: record, in: routes, guess: next), record.protocolID, at: position) {
                        let isSatisfied = routes.record(at: place).map { Planner.satisfies($0, record) }
                            ?? Planner.satisfies(routes[place], record.plain) ?? Planner.satisfies(routes[place], kernel[position])
                        settle(place, with: position, satisfied: isSatisfied, record.protocolID, in: kernel)
                    }
                    continue
                }
                if gone.isEmpty, let plain = kernel.plain(at: position) {
                    if let place = unsatisfied(index.position(of: plain.key, in: routes, guess: next), plain.protocolID, at: position) {
                        let isSatisfied = Planner.satisfies(routes[place], plain) ?? Planner.satisfies(routes[place], kernel[position])
                        settle(place, with: position, satisfied: isSatisfied, plain.protocolID, in: kernel)
                    }
                    continue
                }
                let route = kernel[position]
                guard !gone.contains(where: { route.uses(interface: $0) }), !(route.nexthopID.map(goneNexthops.contains) ?? false) else { continue }
                if let place = unsatisfied(index.position(of: RouteKey(route), in: routes, guess: next), route.protocolID, at: position) {
                    settle(place, with: position, satisfied: Planner.satisfies(routes[place], route), route.protocolID, in: kernel)
                }
            }
        }

        /// The place of the declared route of the key of the kernel's route at `position`
        /// (`place`, as the index found it), when that route is to be compared with it:
        /// none of the key found before is as declared. A route of a key not declared, or
        /// of one whose declared route is found, is unmatched.
        private mutating func unsatisfied(_ place: Int?, _ protocolID: RouteProtocol, at position: Int) -> Int? {
            guard let place else {
                keepUnmatched(position, protocolID)
                return nil
            }
            next = place + 1
            // A key of several declared routes is compared apart (`planSeveral`).
            guard several.isEmpty || !several.contains(place) else { return nil }
            guard !satisfied[place] else {
                keepUnmatched(position, protocolID)
                return nil
            }
            return place
        }

        /// Matches the declared route at `place` with the kernel's at `position`, as
        /// compared: the first of the key is kept until one is as declared, which takes
        /// its place; the other is unmatched.
        private mutating func settle(_ place: Int, with position: Int, satisfied isSatisfied: Bool, _ protocolID: RouteProtocol, in kernel: RouteList) {
            let first = Int(found[place])
            guard first >= 0 else {
                found[place] = Int32(position)
                satisfied[place] = isSatisfied
                return
            }
            guard isSatisfied else {
                keepUnmatched(position, protocolID)
                return
            }
            keepUnmatched(first, kernel.plain(at: first)?.protocolID ?? kernel[first].protocolID)
            found[place] = Int32(position)
            satisfied[place] = true
        }

        /// Keeps a route no declared one is matched with, when the plan does something with it.
        /// Not inlined: a file applied again meets none, and the loop over the kernel's
        /// routes stays small without it.
        @inline(never)
        private mutating func keepUnmatched(_ position: Int, _ protocolID: RouteProtocol) {
            if protocolID == owner {
                if prune { Self.insert(position, into: &prunable) }
            } else if !KernelState.kernelProtocols.contains(protocolID) {
                Self.insert(position, into: &foreign)
            }
        }

        /// The first of a key, unmatched when a later one is as declared, goes before
        /// the routes of its key kept since: the places stay in order.
        private static func insert(_ position: Int, into places: inout [Int]) {
            places.insert(position, at: (places.lastIndex { $0 < position } ?? -1) + 1)
        }
    }

    /// Whether a route is as declared. A device the declaration leaves out beside a
    /// gateway is the kernel's choice; the states the kernel reports (dead, linkdown,
    /// an IPv6 route's medium preference) are not compared. Realm 0 is none (the kernel
    /// reports no realms then), and an encapsulation is compared as the kernel reports it.
    static func satisfies(_ declared: Route, _ existing: Route) -> Bool {
        guard declared.type == existing.type, declared.scope == existing.scope, declared.protocolID == existing.protocolID,
              declared.preferredSource == existing.preferredSource, declared.nexthopID == existing.nexthopID,
              (declared.preference ?? .medium) == (existing.preference ?? .medium), declared.metrics == existing.metrics,
              (declared.realms ?? 0) == (existing.realms ?? 0) else { return false }
        // A route on a nexthop object is reported with the object's gateway, device and encapsulation.
        if declared.nexthopID != nil { return true }
        guard declared.encapsulation?.asReported == existing.encapsulation?.asReported, declared.gateway == existing.gateway, declared.flags.contains(.onlink) == existing.flags.contains(.onlink),
              (declared.outputInterface ?? (declared.gateway == nil ? nil : existing.outputInterface)) == existing.outputInterface,
              declared.nexthops.count == existing.nexthops.count else { return false }
        return zip(declared.nexthops, existing.nexthops).allSatisfy { want, got in
            want.gateway == got.gateway && want.weight == got.weight && want.flags.contains(.onlink) == got.flags.contains(.onlink)
                && (want.outputInterface == 0 && want.gateway != nil || want.outputInterface == got.outputInterface)
                && (want.realms ?? 0) == (got.realms ?? 0) && want.encapsulation?.asReported == got.encapsulation?.asReported
        }
    }

    /// `satisfies`, for a kernel route of the usual form read from its message; nil when
    /// the declared route has more than a route of that form can (a nexthop object or
    /// legs, a preferred source, metrics, realms, an encapsulation, ...), which only the
    /// whole kernel route can be compared with.
    static func satisfies(_ declared: borrowing Route, _ existing: Route.Plain) -> Bool? {
        guard declared.nexthopID == nil, declared.nexthops.isEmpty, declared.opaque.isEmpty,
              declared.preferredSource == nil, !declared.hasMetrics else { return nil }
        let gateway = declared.gateway
        return declared.type == existing.type && declared.scope == existing.scope && declared.protocolID == existing.protocolID
            && (declared.preference ?? .medium) == (existing.preference ?? .medium) && gateway == existing.gateway
            && declared.flags.contains(.onlink) == existing.flags.contains(.onlink)
            && (declared.outputInterface ?? (gateway == nil ? nil : existing.outputInterface)) == existing.outputInterface
    }

    /// `satisfies`, for a declared route and a kernel route that are both records (of
    /// the usual form: no preference, nexthop object, legs, metrics...), field by field.
    /// Inlined: called, the two records were unpacked from their entries and packed
    /// again into its arguments, as many instructions as the comparison (100 a route).
    @inline(__always)
    static func satisfies(_ declared: RouteList.Record, _ existing: RouteList.Record) -> Bool {
        let gateway = declared.givenGateway
        return declared.type == existing.type && declared.scope == existing.scope && declared.protocolID == existing.protocolID
            && gateway == existing.givenGateway && declared.flags.contains(.onlink) == existing.flags.contains(.onlink)
            && (declared.givenOutputInterface ?? (gateway == nil ? nil : existing.givenOutputInterface)) == existing.givenOutputInterface
    }

    // MARK: Rules

    private func planRules() {
        let present = kernel.rules.filter { $0.protocolID != .kernel }
        var matched = Set<Int>()
        for rule in desired.rules {
            if let index = present.indices.first(where: { !matched.contains($0) && Self.satisfies(rule, present[$0]) }) {
                matched.insert(index)
                continue
            }
            let identity = Observation.identity(of: rule)
            touch(.rule, identity)
            let words = rule.words(ownership: true)
            plan.steps.append(step(.add, .rule, identity, from: nil, to: fields(.rule, words), words,
                                   undo: [["rule", "delete"] + words.dropFirst(2)]))
        }
        let declaredLinks = Set(desired.links.map(\.name))
        for (index, existing) in present.enumerated() where !matched.contains(index) {
            let identity = Observation.identity(of: existing)
            let was = existing.words(ownership: true)
            if existing.protocolID == owner.protocolID {
                guard options.prune else { continue }
                touch(.rule, identity)
                ruleDeletions.append(step(.delete, .rule, identity, from: fields(.rule, was), to: nil,
                                          ["rule", "delete"] + was.dropFirst(2), undo: [was]))
            } else if existing.action == .toTable && declaredTables.contains(existing.table) && existing.table != .main && existing.table != .local
                        || existing.inputInterface.map(declaredLinks.contains) ?? false
                        || existing.outputInterface.map(declaredLinks.contains) ?? false {
                plan.drift.append(Drift(object: .rule, key: identity, reason: Self.foreign(existing.protocolID)))
            }
        }
    }

    /// Whether an existing rule is the declared one: a declared rule without a
    /// priority takes the one the kernel gave; the kernel reports unset suppressors as
    /// -1 and a mark without a mask with a full mask. Whoever made the rule, it is there.
    static func satisfies(_ declared: Rule, _ existing: Rule) -> Bool {
        var existing = existing
        var declared = declared
        if declared.priority == nil { existing.priority = nil }
        existing.protocolID = nil
        declared.protocolID = nil
        existing.flags = existing.flags.intersection(.invert)
        if existing.suppressPrefixLength == -1 { existing.suppressPrefixLength = nil }
        if existing.suppressInterfaceGroup == -1 { existing.suppressInterfaceGroup = nil }
        if declared.fwmark != nil, declared.fwmask == nil, existing.fwmask == .max { existing.fwmask = nil }
        return declared == existing
    }

    // MARK: Keepalive stanzas

    /// The owner's lines in the keepalive service's file become the declared stanzas.
    /// A stanza removed from a tunnel the files still make is deleted; the stanza of a
    /// tunnel they no longer make only with `prune`, as the tunnel is. A tunnel has one
    /// line in the file (the watcher refuses a second): a line that is not the owner's
    /// and watches a declared tunnel is refused, unless it has the declared words, when
    /// it becomes the owner's.
    private func planKeepalives(_ found: KeepaliveLines) throws(PlanRefusal) {
        var stanzas: [KeepaliveStanza] = []
        var edits: [KeepaliveEdit] = []
        let declaredLinks = Set(desired.links.map(\.name))
        for existing in found.owned {
            if let declared = desired.keepalives.first(where: { $0.tunnel == existing.tunnel }) {
                stanzas.append(declared)
                if declared.words != existing.words {
                    edits.append(KeepaliveEdit(operation: .change, tunnel: existing.tunnel, from: existing.words, to: declared.words))
                }
            } else if declaredLinks.contains(existing.tunnel) || options.prune {
                edits.append(KeepaliveEdit(operation: .delete, tunnel: existing.tunnel, from: existing.words, to: nil))
            } else {
                stanzas.append(existing)
            }
        }
        for declared in desired.keepalives where !found.owned.contains(where: { $0.tunnel == declared.tunnel }) {
            stanzas.append(declared)
            guard let other = found.others.first(where: { $0.stanza.tunnel == declared.tunnel }) else {
                edits.append(KeepaliveEdit(operation: .add, tunnel: declared.tunnel, from: nil, to: declared.words))
                continue
            }
            guard other.stanza.words == declared.words else {
                throw PlanRefusal(message: "keepalive stanza for \(declared.tunnel): \(other.place) watches it already, and is not \(owner.name)'s (\(other.stanza.words.joined(separator: " "))); delete that line or declare its words")
            }
            edits.append(KeepaliveEdit(operation: .change, tunnel: declared.tunnel, from: other.stanza.words, to: declared.words))
        }
        guard !edits.isEmpty else { return }
        plan.keepaliveEdits = edits
        plan.keepaliveStanzas = stanzas
    }
}
