import CMnl
import Netlink
import SystemPackage

/// A change a keepalive action sends to the kernel.
enum TunnelChange {
    case route(Route, RouteChange)
    case nexthop(NexthopObject, NexthopChange)
}

/// What the keepalive actions read and change: the kernel's links, routes and
/// nexthop objects (`KernelTunnelNetwork`), or a test's stand-in.
protocol TunnelNetwork: AnyObject {
    /// Sends `changes` in order, many per datagram, and returns the error of each one the
    /// kernel refused (or whose outcome is unknown), by position.
    func send(_ changes: ArraySlice<TunnelChange>) -> [Int: any Error]
    func isUp(index: Int32) throws -> Bool
    func setAdministrativeState(up: Bool, index: Int32) throws
    /// The nexthop objects whose device is `index`.
    func nexthops(on index: Int32) throws -> [NexthopObject]
    func nexthopGroups() throws -> [NexthopObject]
    /// Hands `each` every route, or with `device` the routes through it (the kernel
    /// filters). Returns whether the dump was consistent (no change interrupted it).
    func routes(through device: Int32?, _ each: (Route) -> Void) throws -> Bool
}

/// Where what the actions take is written down before it is taken, so that it can be
/// given back after a crash (`KeepaliveStateDirectory`, or a test's stand-in).
protocol TakenJournal: AnyObject {
    /// Keeps `taken` as what is owed to `tunnel` (interface index `index`); an empty
    /// value: nothing is owed any more.
    func record(_ taken: TakenFromTunnel, tunnel: String, index: Int32) throws
}

/// What a watcher does to a tunnel that goes down, and undoes when it comes up again.
/// Action `routes` withdraws the routes through the tunnel; `penalize` moves them to a
/// higher metric instead (ECMP routes lose their legs through it as with `routes`).
/// Action `link` sets its link down, after saving what Linux deletes with it: the routes
/// through it, the nexthop objects on it (and the routes on those), and the membership
/// of the groups that contain them.
///
/// For each watched tunnel it remembers what it took until all of it is back, and
/// writes that to the journal before taking anything: what fails to come back is tried
/// again at the next up, on exit, and by the next watcher after a crash.
///
/// The changes go to the kernel many per datagram, a slice at a time (`run(until:)`):
/// a thousand tunnels failing at once do not hold up the keepalives of the others. The
/// routes through a tunnel come from an index kept by route notifications, not a dump.
final class TunnelActions {
    let network: (any TunnelNetwork)?
    var journal: (any TakenJournal)?
    /// The routes through the watched tunnels; the watcher feeds it route notifications.
    var index = RouteIndex()
    private(set) var taken: [Int: TakenFromTunnel] = [:]
    /// The members holding a legs record for each route key: what a tunnel going down
    /// looks up for every ECMP route, without going through every tunnel's records.
    private var legsHolders: [RouteKey: Set<Int>] = [:]

    /// What a job finished with, for the report.
    var onOutcome: (Int, KeepaliveActionOutcome) -> Void = { _, _ in }
    var onProblem: (Int?, KeepaliveProblem) -> Void = { _, _ in }
    /// Reads the kernel's queued notifications into the index (the watcher's; those of
    /// the actions' own route changes are dropped, the index follows them from what was
    /// sent). Called before a job is planned and before each datagram of changes, so that
    /// what happened before the actions' changes reaches the index before them (one
    /// applied after, such as an older add of a route just deleted, would bring back what
    /// the kernel no longer has), and after each datagram, for what the kernel reports of
    /// the actions' nexthop changes and of the routes a link set up brings back.
    var readNotifications: () -> Void = {}

    /// Changes sent in one datagram at most, then the clock is looked at.
    static let changesPerSend = RequestPipeline.maximumMessages

    struct Job {
        enum Kind { case takeDown, bringUp }
        var kind: Kind
        /// What a take-down does (each watched tunnel has its own action).
        var action: KeepaliveWatcher.Action = .none
        /// What action penalize adds to a route's metric.
        var penalty: UInt32 = 0
        var member: Int
        /// The tunnel's interface index when the job was queued.
        var index: Int32
        /// The tunnel's name, for the journal.
        var tunnel: String
    }

    private var queue: [Job] = []
    private var queueStart = 0
    private var running: Running?

    private struct Running {
        var job: Job
        var plan: ActionPlan
        var results: [(any Error)?]
        var next = 0
        var linkSetUp = false
        /// What the state file holds for the tunnel now.
        var journaled: TakenFromTunnel
        /// A take-down's: what its plan takes once every change succeeds.
        var planned = TakenFromTunnel()
    }

    init(network: (any TunnelNetwork)?, journal: (any TakenJournal)? = nil) {
        self.network = network
        self.journal = journal
    }

    /// Members whose tunnels the action took something from.
    var membersToRestore: [Int] { taken.keys.sorted() }

    /// Whether jobs are waiting or under way.
    var hasWork: Bool { running != nil || queueStart < queue.count }

    // MARK: Jobs

    /// Queues what `action` does to a tunnel that went down.
    func takeDown(_ member: Int, index: Int32, tunnel: String, action: KeepaliveWatcher.Action, penalty: UInt32 = 0) {
        guard network != nil, action != .none else { return }
        enqueue(Job(kind: .takeDown, action: action, penalty: penalty, member: member, index: index, tunnel: tunnel))
    }

    /// Queues giving back what was taken from a tunnel that came up.
    func bringUp(_ member: Int, index: Int32, tunnel: String) {
        guard network != nil else { return }
        enqueue(Job(kind: .bringUp, member: member, index: index, tunnel: tunnel))
    }

    private func enqueue(_ job: Job) {
        if queueStart > 64, queueStart * 2 > queue.count {
            queue.removeFirst(queueStart)
            queueStart = 0
        }
        queue.append(job)
    }

    /// Takes over what a watcher that is gone took from a tunnel (its state file): given
    /// back when the tunnel comes up, as if this watcher had taken it.
    func adopt(_ owed: TakenFromTunnel, member: Int) {
        guard !owed.isEmpty else { return }
        for record in owed.legs { index.pin(record.route.key) }
        var held = taken[member] ?? TakenFromTunnel()
        held.merge(owed)
        setTaken(member, held)
    }

    /// The tunnel is gone, and its routes and nexthop objects with it: nothing to
    /// restore, nothing to finish. With `keepingStateFile` (the tunnel is still there,
    /// and no longer watched), what is owed stays in its state file.
    func forget(_ member: Int, tunnel: String, index device: Int32, keepingStateFile: Bool = false) {
        if let dropped = running, dropped.job.member == member {
            for record in dropped.plan.intent.legs { index.unpin(record.route.key) }
            running = nil
        }
        queue = queue[queueStart...].filter { $0.member != member }
        queueStart = 0
        if let owed = taken[member] {
            setTaken(member, nil)
            for record in owed.legs { index.unpin(record.route.key) }
            if !keepingStateFile { write(TakenFromTunnel(), member: member, tunnel: tunnel, index: device) }
        }
    }

    /// Gives back what was taken from a member at once, ahead of the queue (the member
    /// stops being watched, or its action changes): the job under way finishes first,
    /// whoever's it is; the member's queued jobs are dropped (a take-down not begun has
    /// taken nothing, and this is its bring-up); the other members' jobs keep their
    /// turn, so a mass withdrawal under way does not hold this up.
    func restoreNow(_ member: Int, index: Int32, tunnel: String) {
        finishRunning()
        queue = queue[queueStart...].filter { $0.member != member }
        queueStart = 0
        readNotifications()
        guard network != nil, taken[member] != nil else { return }
        start(Job(kind: .bringUp, member: member, index: index, tunnel: tunnel))
        finishRunning()
    }

    private func finishRunning() {
        while running != nil { sendNext() }
    }

    /// Works through the queue until it is empty or `deadline` (monotonic) has passed,
    /// at least one datagram of changes at a time. Nil: until it is empty.
    func run(until deadline: Int64?) {
        while hasWork {
            if running == nil {
                guard queueStart < queue.count else { return }
                // What the kernel reported meanwhile, before the job is planned: a tunnel
                // deleted takes its queued jobs with it.
                readNotifications()
                guard queueStart < queue.count else { return }
                let job = queue[queueStart]
                queueStart += 1
                start(job)
                continue
            }
            sendNext()
            if let deadline, SystemClock.monotonic() >= deadline { return }
        }
    }

    private func start(_ job: Job) {
        guard let network else { return }
        refreshStale()
        let owed = taken[job.member] ?? TakenFromTunnel()
        switch (job.kind, job.action) {
        case (.takeDown, .link):
            takeLinkDown(job, owed: owed, network)
        case (.takeDown, _):
            let plan = ActionPlan.withdrawal(of: index.routes(using: job.index), device: job.index,
                                             penalty: job.action == .penalize ? job.penalty : nil,
                                             recorded: { self.recorded($0, except: job.member) })
            let planned = plan.intent
            var intent = owed
            intent.merge(planned)
            for record in planned.legs { index.pin(record.route.key) }
            write(intent, member: job.member, tunnel: job.tunnel, index: job.index)
            running = Running(job: job, plan: plan, results: [], journaled: intent, planned: planned)
        case (.bringUp, _):
            guard !owed.isEmpty else { return }
            var linkSetUp = false
            if owed.linkDown {
                do {
                    try network.setAdministrativeState(up: true, index: job.index)
                } catch {
                    // Everything stays owed, to try again at the next up and on exit.
                    onProblem(job.member, .bringUpFailed(reason: "\(error)"))
                    return
                }
                linkSetUp = true
                // Linux brings back the routes of the link's addresses and revives ECMP
                // legs itself: read them before deciding what is missing.
                readNotifications()
                index.invalidate(job.index)
                refreshStale()
            }
            let plan = ActionPlan.restoration(of: owed, current: { self.index.route($0) })
            running = Running(job: job, plan: plan, results: [], linkSetUp: linkSetUp, journaled: owed)
        }
    }

    /// Sends the next datagram of the running job's current phase; finishes the job
    /// after its last.
    private func sendNext() {
        guard var current = running, let network else { return }
        let plan = current.plan
        guard current.next < plan.changes.count else {
            running = nil
            finish(current)
            return
        }
        let phaseEnd = plan.phaseEnds.first { $0 > current.next } ?? plan.changes.count
        let end = min(phaseEnd, current.next + Self.changesPerSend)
        var positions: [Int] = []
        var batch: [TunnelChange] = []
        for position in current.next..<end {
            if let required = plan.changes[position].requires,
               !plan.changes[required].succeeded(current.results[required]) {
                current.results.append(SkippedChange())
                continue
            }
            current.results.append(nil)
            positions.append(position)
            batch.append(plan.changes[position].change)
        }
        if !batch.isEmpty {
            readNotifications()
            // The notifications read may have forgotten the tunnel (deleted meanwhile).
            guard running?.job.member == current.job.member else { return }
            for (offset, error) in network.send(batch[...]) { current.results[positions[offset]] = error }
            followOwnChanges(batch, results: positions.map { current.results[$0] })
        }
        current.next = end
        running = current
        if !batch.isEmpty { readNotifications() }
        // The notifications read may have forgotten the tunnel (deleted meanwhile).
        guard running?.job.member == current.job.member else { return }
        if end == plan.changes.count {
            running = nil
            finish(current)
        }
    }

    private func finish(_ done: Running) {
        let job = done.job
        switch job.kind {
        case .takeDown:
            let owed = taken[job.member] ?? TakenFromTunnel()
            // Every change took (the common case): what was taken is the plan, and the state
            // file holds it already; no second pass over a hundred routes, no second write.
            let everyChangeTook = done.results.allSatisfy { $0 == nil }
            let withdrawn = everyChangeTook ? done.planned : done.plan.taken(by: done.results)
            var now = owed
            now.merge(withdrawn)
            // One pin per record held: a record not taken, or folded into one held
            // already, lets go of its pin.
            for record in done.planned.legs {
                let key = record.route.key
                if !withdrawn.legs.contains(where: { $0.route.key == key }) || owed.legs.contains(where: { $0.route.key == key }) {
                    index.unpin(key)
                }
            }
            setTaken(job.member, now)
            if !everyChangeTook { write(now, member: job.member, tunnel: job.tunnel, index: job.index) }
            onOutcome(job.member, .routesWithdrawn(withdrawal(done.plan, results: done.results, taken: withdrawn,
                                                              penalty: job.action == .penalize ? job.penalty : nil)))
        case .bringUp:
            var restored = TakenFromTunnel()
            var failures: [KeepaliveActionFailure] = []
            // What came back, by its position in what was owed.
            var routes = Set<Int>(), legs = Set<Int>(), nexthops = Set<Int>(), groups = Set<Int>(), penalized = Set<Int>()
            let outcomes = zip(done.plan.changes, done.results).map { change, result in
                (change.meaning, change.succeeded(result), result.map { KeepaliveActionFailure(change.item, $0) })
            } + done.plan.unchanged.map { ($0, true, nil) }
            for (meaning, succeeded, failure) in outcomes {
                guard succeeded else {
                    // A change skipped for another's failure is not one more failure.
                    if let failure, failure.reason != SkippedChange.reason { failures.append(failure) }
                    continue
                }
                switch meaning {
                case .restore(let position): routes.insert(position)
                case .restoreLegs(let position): legs.insert(position)
                case .restoreNexthop(let position): nexthops.insert(position)
                case .restoreGroup(let position): groups.insert(position)
                case .dropCopy(let position): penalized.insert(position)
                default: break
                }
            }
            // Jobs run one at a time, so what is owed is what the job started from.
            let owedThen = done.journaled
            func split<Item>(_ items: [Item], _ back: Set<Int>, _ restoredItems: inout [Item]) -> [Item] {
                var left: [Item] = []
                for (position, item) in items.enumerated() {
                    if back.contains(position) { restoredItems.append(item) } else { left.append(item) }
                }
                return left
            }
            var left = owedThen
            left.linkDown = owedThen.linkDown && !done.linkSetUp
            left.routes = split(owedThen.routes, routes, &restored.routes)
            left.legs = split(owedThen.legs, legs, &restored.legs)
            left.nexthops = split(owedThen.nexthops, nexthops, &restored.nexthops)
            left.groups = split(owedThen.groups, groups, &restored.groups)
            left.penalized = split(owedThen.penalized, penalized, &restored.penalized)
            for record in restored.legs { index.unpin(record.route.key) }
            setTaken(job.member, left)
            // What is left differs from what the state file holds when anything came back.
            if !restored.isEmpty || done.linkSetUp { write(left, member: job.member, tunnel: job.tunnel, index: job.index) }
            onOutcome(job.member, .restored(restored.counts, linkSetUp: done.linkSetUp, keptToRetry: failures))
        }
    }

    private func withdrawal(_ plan: ActionPlan, results: [(any Error)?], taken withdrawn: TakenFromTunnel, penalty: UInt32?) -> RouteWithdrawal {
        var failures: [KeepaliveActionFailure] = []
        var reduced = 0
        // By position: a hundred changes are not copied to be looked at.
        for (position, result) in results.enumerated() {
            guard let result else {
                if case .takeLegs(_, reduced: true) = plan.changes[position].meaning { reduced += 1 }
                continue
            }
            // A route that is not there any more was not taken: nothing to report.
            if !(result is SkippedChange), !result.isAbsence { failures.append(KeepaliveActionFailure(plan.changes[position].item, result)) }
        }
        return RouteWithdrawal(routes: withdrawn.routes.count + withdrawn.legs.count, reduced: reduced, failures: failures,
                               kept: plan.kept, penalized: withdrawn.penalized.count, penalty: penalty)
    }

    /// Action link: saves what Linux deletes with the link, writes it down, sets the link down.
    private func takeLinkDown(_ job: Job, owed: TakenFromTunnel, _ network: any TunnelNetwork) {
        do {
            // A link that someone else set down is not the watcher's to bring up later;
            // nor is one whose bringing up failed, for that one is owed already.
            guard try network.isUp(index: job.index) else { return }
            var saved = try savedWithLink(index: job.index, network, recorded: { self.recorded($0, except: job.member) })
            saved.linkDown = true
            var intent = owed
            intent.merge(saved)
            for record in saved.legs { index.pin(record.route.key) }
            write(intent, member: job.member, tunnel: job.tunnel, index: job.index)
            do {
                try network.setAdministrativeState(up: false, index: job.index)
            } catch {
                for record in saved.legs { index.unpin(record.route.key) }
                write(owed, member: job.member, tunnel: job.tunnel, index: job.index)
                throw error
            }
            setTaken(job.member, intent)
            saved.linkDown = false
            onOutcome(job.member, .linkSetDown(saved: saved.counts))
        } catch {
            onProblem(job.member, .takeDownFailed(reason: "\(error)"))
        }
    }

    /// What Linux deletes with a link set down: the nexthop objects on it, with them
    /// their members in groups (and the groups left with none), and the routes through
    /// the link or on those objects. ECMP routes keep their other legs (Linux marks the
    /// leg dead and revives it when the link comes back): their legs are recorded, so
    /// that a route whose every leg went is given back only the legs of links that are up.
    func savedWithLink(index device: Int32, _ network: any TunnelNetwork, recorded: (RouteKey) -> [Route]) throws -> TakenFromTunnel {
        var saved = TakenFromTunnel()
        saved.nexthops = try network.nexthops(on: device)
        let onLink = Set(saved.nexthops.map(\.id))
        saved.groups = try network.nexthopGroups().filter { $0.group.contains { onLink.contains($0.id) } }
        let doomed = onLink.union(saved.groups.filter { $0.group.allSatisfy { onLink.contains($0.id) } }.map(\.id))
        for route in index.routes(using: device) where ActionPlan.isWithdrawable(route) {
            if route.nexthopID != nil {
                // On an object: it goes with the link only if its object does.
                if route.nexthops.allSatisfy({ $0.outputInterface == device }) { saved.routes.append(route) }
                continue
            }
            let reference = ActionPlan.reference(for: route, among: recorded(route.key))
            if reference == nil, route.nexthops.isEmpty {
                saved.routes.append(route)
            } else {
                saved.legs.append(RouteLegs(route: reference ?? route, legs: route.legs.filter { $0.outputInterface == device }))
            }
        }
        // With nexthop_compat_mode off, notifications and dumps do not show the device of
        // a route on an object, and the index misses it: only then, read them all.
        if !doomed.isEmpty, index.sawRoutesOnObjectsWithoutDevice {
            _ = try network.routes(through: nil) { route in
                if let id = route.nexthopID, doomed.contains(id), ActionPlan.isWithdrawable(route), !saved.routes.contains(route) {
                    saved.routes.append(route)
                }
            }
        }
        return saved
    }

    // MARK: The index and the journal

    /// Records what is owed to a member (nothing: nil or empty), keeping `legsHolders` current.
    private func setTaken(_ member: Int, _ owed: TakenFromTunnel?) {
        for record in taken[member]?.legs ?? [] {
            // A key no member holds any more goes: with none left, a withdrawal looks up nothing.
            if legsHolders[record.route.key]?.remove(member) != nil, legsHolders[record.route.key]?.isEmpty == true {
                legsHolders[record.route.key] = nil
            }
        }
        taken[member] = owed.flatMap { $0.isEmpty ? nil : $0 }
        for record in owed?.legs ?? [] { legsHolders[record.route.key, default: []].insert(member) }
    }

    /// The routes of the legs records members other than `member` hold for `key`.
    private func recorded(_ key: RouteKey, except member: Int) -> [Route] {
        guard !legsHolders.isEmpty, let holders = legsHolders[key] else { return [] }
        return holders.filter { $0 != member }.compactMap { holder in
            taken[holder]?.legs.first { $0.route.key == key }?.route
        }
    }

    /// Applies the route changes the kernel acknowledged to the index: it does not report
    /// them. One whose outcome is unknown (replies lost) has the index read again whole.
    private func followOwnChanges(_ batch: [TunnelChange], results: [(any Error)?]) {
        var unknown = false
        for (change, result) in zip(batch, results) {
            guard case .route(let route, let kind) = change else { continue }
            if result == nil {
                index.apply(kind, of: route)
            } else if result is UnknownOutcome {
                unknown = true
            }
        }
        guard unknown else { return }
        do {
            try reloadIndex()
        } catch {
            onProblem(nil, .routeNotificationsFailed(reason: "\(error)"))
        }
    }

    /// Reads again the routes of watched devices that may have changed unannounced.
    func refreshStale() {
        guard let network else { return }
        for device in index.stale.sorted() {
            do {
                var routes: [Route] = []
                _ = try network.routes(through: device) { routes.append($0) }
                index.reload(device: device, routes)
            } catch {
                onProblem(nil, .routeNotificationsFailed(reason: "\(error)"))
                return
            }
        }
    }

    /// Reads every route again (at start, and after notifications were lost).
    func reloadIndex() throws {
        guard let network else { return }
        for _ in 0..<4 {
            var consistent = false
            try index.reload { each in consistent = try network.routes(through: nil, each) }
            if consistent { return }
        }
    }

    private func write(_ owed: TakenFromTunnel, member: Int, tunnel: String, index device: Int32) {
        do {
            try journal?.record(owed, tunnel: tunnel, index: device)
        } catch {
            onProblem(member, .journalFailed(reason: "\(error)"))
        }
    }
}
