import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// Watches tunnels with keepalives, in one thread: one poll loop over a raw GRE socket
/// per address family, a netlink socket for link and route changes, a signal descriptor
/// and, as a service, a control socket; one timer queue for every target. What an
/// action takes is written to a state file first, and its changes go to the kernel in
/// slices between keepalives.
public final class KeepaliveWatcher {
    public enum Action: String, Sendable, CaseIterable {
        /// Withdraw the routes through the tunnel; put them back when it is up.
        case routes
        /// Set the link down (saving its routes); up again with its routes.
        case link
        /// Move the routes through the tunnel to a higher metric (`penalty` more); back
        /// when it is up. A site with one tunnel keeps its only path.
        case penalize
        /// Only report (and give back what a previous watcher took, at once).
        case none
    }

    /// How one target is watched: each target has its own (a line of a configuration
    /// file says them for its target).
    public struct Settings: Equatable, Sendable {
        public var timing: KeepaliveTiming
        public var action: Action
        /// What action penalize adds to a route's metric.
        public var penalty: UInt32
        public var onDown: String?
        public var onUp: String?
        /// The address to ping through the tunnel instead of sending GRE keepalives
        /// (`icmp ADDRESS`), for a peer that does not reflect them.
        public var echo: IPAddress?

        public init(timing: KeepaliveTiming, action: Action, penalty: UInt32 = 0, onDown: String? = nil, onUp: String? = nil,
                    echo: IPAddress? = nil) {
            self.timing = timing
            self.action = action
            self.penalty = penalty
            self.onDown = onDown
            self.onUp = onUp
            self.echo = echo
        }
    }

    /// One thing to watch: a tunnel device, followed by name (deleted, re-created or
    /// changed while watched); an explicit target standing for a device, whose routes
    /// the action takes; or an explicit target with no device (action none).
    public struct Subject: Sendable, Equatable {
        /// What was given: a tunnel's name or an explicit target. A reload matches the
        /// targets it reads to those watched by this.
        public let given: KeepaliveSubject
        public let target: KeepaliveTarget
        /// The device's interface index; nil for an explicit target without one.
        public let index: Int32?
        public var settings: Settings

        public init(given: KeepaliveSubject, target: KeepaliveTarget, index: Int32?, settings: Settings) {
            self.given = given
            self.target = target
            self.index = index
            self.settings = settings
        }

        public var name: String { given.name }
        /// The device the action takes from (the tunnel, or what an explicit target names).
        public var device: String? { given.device?.value }
        /// Whether the target is the device's own (a tunnel: it follows the device's
        /// options) or explicit.
        public var followsDevice: Bool { if case .tunnel = given { true } else { false } }
    }

    /// What a watcher run as a service does besides watching.
    public struct Service {
        /// systemd's notification socket: ready, status, watchdog, reload, stopping.
        public var notifier: ServiceNotifier?
        /// Reads the configuration again, on SIGHUP; nil: SIGHUP ends the watcher, as
        /// it ends a command run in a terminal.
        public var reload: (() throws -> [Subject])?
        /// Where the control socket listens, and the answer to a request's words.
        public var control: (path: String, answer: ([String], [KeepaliveTargetStatus]) -> [UInt8])?
        /// Where the metrics go, and how they are written.
        public var metrics: (path: String, render: ([KeepaliveTargetStatus]) -> [UInt8])?

        public init() {}
    }

    /// How often the metrics file is written, and how soon after a state change.
    static let metricsInterval: Int64 = 10_000_000_000
    static let metricsAfterChange: Int64 = 1_000_000_000

    /// Watched targets by member; nil for a slot a reload freed.
    private var subjects: [Subject?]
    private var freeSlots: [Int] = []
    private let links: LinkService?
    private let verbose: Bool
    private let service: Service
    private let report: (KeepaliveEvent) -> Void
    private var monitor = KeepaliveMonitor()
    /// Interface index of each tunnel member while its device exists.
    private var indexes: [Int32?] = []
    /// When each member began its current state of watching (monotonic).
    private var startedAt: [Int64] = []
    private let actions: TunnelActions
    /// The kernel as the actions change it (nil without links).
    private let network: KernelTunnelNetwork?
    /// Where state files and locks go; nil: nowhere, so nothing survives a crash and
    /// nothing stops a second watcher.
    private let runtimeDirectory: String?
    private var stateDirectory: KeepaliveStateDirectory?
    /// What was taken over from previous watchers, reported once watching begins.
    private var inheritance: [(Int, KeepaliveActionOutcome)] = []
    private var sockets: [AddressFamily: GreSocket] = [:]
    private var echoSockets: [AddressFamily: EchoSocket] = [:]
    /// Link notifications, and route notifications once an action keeps a route index.
    private var kernelEvents: NetlinkSocket?
    private var routeEvents = false
    private var control: ControlServer?
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    private var stopping = false
    private var nextWatchdog: Int64?
    private var nextMetrics: Int64?
    /// A target changed state since systemd was last told the summary.
    private var statusChanged = false

    /// `runtimeDirectory`: where state files and locks go (`KeepaliveStateDirectory`).
    public init(subjects: [Subject], links: LinkService?, verbose: Bool = false, service: Service = Service(),
                runtimeDirectory: String? = RuntimeDirectory.path, report: @escaping (KeepaliveEvent) -> Void) {
        self.subjects = subjects
        self.links = links
        self.verbose = verbose
        self.service = service
        self.runtimeDirectory = runtimeDirectory
        self.report = report
        for subject in subjects { monitor.addMember(timing: subject.settings.timing) }
        indexes = subjects.map(\.index)
        startedAt = Array(repeating: 0, count: subjects.count)
        network = links.map { KernelTunnelNetwork(links: $0) }
        actions = TunnelActions(network: network)
        actions.onOutcome = { [unowned self] member, outcome in emit(.action(outcome), member) }
        actions.onProblem = { [unowned self] member, problem in emit(.problem(problem), member) }
        actions.readNotifications = { [unowned self] in receiveKernelEvents() }
    }

    deinit { receiveBuffer.deallocate() }

    /// Runs until SIGINT, SIGTERM or SIGHUP (when it does not reload), then restores
    /// everything the actions took away and returns. Throws only when it cannot start
    /// (sockets, permissions).
    public func run() throws {
        let signals = try SignalDescriptor.termination(and: [SIGCHLD])
        // A reader that goes away must not kill the watcher before it restores routes.
        signal(SIGPIPE, SIG_IGN)
        for subject in subjects.compactMap({ $0 }) {
            if let echo = subject.settings.echo { _ = try echoSocket(for: echo.family) } else { _ = try socket(for: subject.target.family) }
        }
        try openKernelEvents()
        try takeOverDevices()
        if let control = service.control {
            // Watching goes on without it: `keepalive status` then finds nothing to ask.
            do {
                try RuntimeDirectory.create()
                self.control = try ControlServer(path: control.path) { [unowned self] words in control.answer(words, status()) }
            } catch {
                emit(.problem(.controlSocketFailed(reason: "\(error)")), nil)
            }
        }
        // The first keepalives are spread over one interval: a hub does not send its
        // hundreds at once.
        let start = SystemClock.monotonic()
        for member in subjects.indices {
            let interval = subjects[member]!.settings.timing.interval
            begin(member, at: start, delay: interval * Int64(member) / Int64(subjects.count))
        }
        for (member, inherited) in inheritance { emit(.action(inherited), member) }
        inheritance = []
        service.notifier?.ready(status: status().summary)
        nextWatchdog = service.notifier?.watchdogInterval.map { start + $0 }
        if service.metrics != nil { nextMetrics = start }
        while !stopping {
            sendDue()
            actOnTunnels()
            housekeeping()
            wait(signals: signals)
        }
        service.notifier?.stopping()
        restoreAll()
        writeMetrics()
    }

    // MARK: The loop

    /// Sends the actions' changes for a slice of time: at most until the next keepalive
    /// is due, so that a mass withdrawal never makes the keepalives of healthy tunnels late.
    private func actOnTunnels() {
        guard actions.hasWork else { return }
        let now = SystemClock.monotonic()
        let slice = now + Self.actionSlice
        actions.run(until: min(slice, monitor.nextDeadline.map { max($0, now) } ?? slice))
    }

    /// The longest the loop spends on the actions' changes before it looks at keepalives again.
    static let actionSlice: Int64 = 5_000_000

    private func wait(signals: SignalDescriptor) {
        var descriptors = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
        if let kernelEvents { descriptors.append(pollfd(fd: kernelEvents.fileDescriptor, events: Int16(POLLIN), revents: 0)) }
        let families = Array(sockets.keys)
        for family in families { descriptors.append(pollfd(fd: sockets[family]!.descriptor, events: Int16(POLLIN), revents: 0)) }
        let echoFamilies = Array(echoSockets.keys)
        for family in echoFamilies { descriptors.append(pollfd(fd: echoSockets[family]!.descriptor, events: Int16(POLLIN), revents: 0)) }
        if let control { descriptors += control.pollDescriptors }
        let deadline = [monitor.nextDeadline, nextWatchdog, nextMetrics].compactMap { $0 }.min()
        // Changes still to send: only look, do not wait.
        let timeout = actions.hasWork ? 0 : min(1000, deadline.map { SystemClock.pollTimeout(until: $0) } ?? 1000)
        guard poll(&descriptors, nfds_t(descriptors.count), timeout) > 0 else { return }
        for descriptor in descriptors where descriptor.revents != 0 {
            if descriptor.fd == signals.descriptor {
                for signal in signals.pending() {
                    switch signal {
                    case SIGCHLD: CommandHook.reap()
                    case SIGHUP where service.reload != nil: reload()
                    default: stopping = true
                    }
                }
            } else if descriptor.fd == kernelEvents?.fileDescriptor {
                receiveKernelEvents()
            } else if let family = families.first(where: { sockets[$0]!.descriptor == descriptor.fd }) {
                receiveReplies(on: sockets[family]!)
            } else if let family = echoFamilies.first(where: { echoSockets[$0]!.descriptor == descriptor.fd }) {
                receiveEchoReplies(on: echoSockets[family]!)
            } else if let control, control.owns(descriptor.fd) {
                control.serve(descriptor.fd, now: SystemClock.monotonic())
            }
        }
    }

    /// What the loop does besides keepalives: the watchdog (from the loop itself, so
    /// that a loop stuck anywhere stops it and systemd restarts the watcher), the
    /// metrics file, and dropping control connections that stall.
    private func housekeeping() {
        let now = SystemClock.monotonic()
        if let due = nextWatchdog, now >= due, let notifier = service.notifier, let interval = notifier.watchdogInterval {
            notifier.watchdog()
            nextWatchdog = now + interval
        }
        if let due = nextMetrics, now >= due {
            writeMetrics()
            nextMetrics = now + Self.metricsInterval
        }
        control?.expire(now: now)
        // Once per wake-up however many targets changed: a thousand going down at once
        // make one summary, not a thousand.
        if statusChanged, let notifier = service.notifier {
            notifier.status(status().summary)
        }
        statusChanged = false
    }

    private func socket(for family: AddressFamily) throws -> GreSocket {
        if let socket = sockets[family] { return socket }
        let socket = try GreSocket(family: family, acceptingOnly: 0)
        // A hub's sends are most of what it costs: the kernel is spared their headers.
        socket.writeOwnHeaders()
        sockets[family] = socket
        return socket
    }

    private func echoSocket(for family: AddressFamily) throws -> EchoSocket {
        if let socket = echoSockets[family] { return socket }
        let socket = try EchoSocket(family: family)
        echoSockets[family] = socket
        return socket
    }

    /// Link notifications, once a target has a device.
    private func openKernelEvents() throws {
        guard kernelEvents == nil, subjects.contains(where: { $0?.device != nil }) else { return }
        let events = try NetlinkSocket()
        try events.subscribe(groups: [UInt32(RTNLGRP_LINK.rawValue)])
        kernelEvents = events
    }

    /// Sends the keepalives due, one batch (one system call) per address family, and
    /// the echo requests due (`icmp`), one batch per family too.
    private func sendDue() {
        let sends = monitor.due(at: SystemClock.monotonic())
        guard !sends.isEmpty else { return }
        var failures: [Int: String] = [:]
        for family in [AddressFamily.inet, .inet6] {
            var members: [Int] = []
            var batch: [GreSocket.Outgoing] = []
            var echoMembers: [Int] = []
            var echoBatch: [EchoSocket.Outgoing] = []
            for send in sends {
                // The two fields alone: a copy of the whole member would take its
                // state machine's lists along (a retain and a release each).
                if let echo = monitor.members[send.member].echo {
                    // Pinged through the device: none while it is gone.
                    guard echo.family == family, let device = indexes[send.member] else { continue }
                    echoMembers.append(send.member)
                    echoBatch.append(EchoSocket.Outgoing(address: echo, sequence: UInt16(truncatingIfNeeded: send.nonce), device: device))
                } else if let target = monitor.members[send.member].target, target.family == family {
                    // Room for every keepalive at the first: a hub's are of one family, and
                    // a batch grown step by step copied its packets at each step.
                    if batch.isEmpty {
                        members.reserveCapacity(sends.count)
                        batch.reserveCapacity(sends.count)
                    }
                    members.append(send.member)
                    batch.append(GreSocket.Outgoing(keepalive: target, nonce: send.nonce, sequence: send.sequence))
                }
            }
            if !batch.isEmpty {
                do {
                    for (index, error) in try socket(for: family).send(batch) { failures[members[index]] = error.errno.description }
                } catch {
                    for member in members { failures[member] = "\(error)" }
                }
            }
            if !echoBatch.isEmpty {
                do {
                    for (index, error) in try echoSocket(for: family).send(echoBatch) { failures[echoMembers[index]] = error.errno.description }
                } catch {
                    for member in echoMembers { failures[member] = "\(error)" }
                }
            }
        }
        for send in sends {
            // A keepalive the kernel refused (no route to the remote) is one lost, as on the wire.
            if verbose { emit(.sent(failure: failures[send.member]), send.member) }
            if send.change == .down { changed(send.member, to: .down) }
        }
    }

    /// The replies queued are timed by one reading of the clock, as the read begins: those
    /// of the first batch had arrived by then, any others within the microseconds it
    /// takes to read a batch; a hub's ten thousand a second read the clock once a wake-up
    /// instead of once a reply.
    private func receiveReplies(on socket: GreSocket) {
        let now = SystemClock.monotonic()
        countReplies { count in
            try socket.receiveKeepalives { reflected in count(monitor.reply(reflected, at: now)) }
        }
    }

    private func receiveEchoReplies(on socket: EchoSocket) {
        let now = SystemClock.monotonic()
        countReplies { count in
            try socket.receiveReplies(into: receiveBuffer) { source, sequence in
                count(monitor.echoReply(from: source, sequence: sequence, at: now))
            }
        }
    }

    /// Reads the queued replies (`receive` hands each to `count`, matched to its member,
    /// or nil), then reports them and brings up the targets they bring up: actions run
    /// once the socket is read, not in the middle of it.
    private func countReplies(
        _ receive: (_ count: ((member: Int, outcome: KeepaliveStateMachine.ReplyOutcome)?) -> Void) throws -> Void
    ) {
        var answered: [(member: Int, roundTrip: Int64, change: TunnelState?)] = []
        do {
            try receive { match in
                guard let (member, outcome) = match, case .answered(let roundTrip, let change) = outcome else { return }
                answered.append((member, roundTrip, change))
            }
        } catch {
            emit(.problem(.receiveFailed(reason: "\(error)")), nil)
        }
        for (member, roundTrip, change) in answered {
            if verbose { emit(.reply, member, roundTrip: roundTrip) }
            if change == .up { changed(member, to: .up) }
        }
    }

    // MARK: Members

    /// Starts keepalives to a member's target (unless another member gets its replies).
    private func begin(_ member: Int, at now: Int64, delay: Int64 = 0) {
        let subject = subjects[member]!
        startedAt[member] = now
        if let other = monitor.activate(member, target: subject.target, echo: subject.settings.echo, at: now, delay: delay) {
            emit(.problem(.sharesReplies(with: subjects[other]?.name ?? "")), member)
            return
        }
        if let echo = subject.settings.echo { _ = try? echoSocket(for: echo.family) } else { _ = try? socket(for: subject.target.family) }
        emit(.watch(watching(member)), member)
    }

    /// A member for `subject`, in a slot a reload freed or a new one; none while
    /// another watcher holds its device.
    private func add(_ subject: Subject, at now: Int64) {
        var directory: KeepaliveStateDirectory?
        if subject.device != nil {
            do {
                directory = try openStateDirectory()
                if let device = subject.device { try directory?.lock(tunnel: device) }
            } catch {
                emit(.problem(.locked(reason: "\(error)")), nil)
                return
            }
        }
        let member: Int
        if let slot = freeSlots.popLast() {
            member = slot
            subjects[member] = subject
            indexes[member] = subject.index
            monitor.retime(member, timing: subject.settings.timing, at: now)
        } else {
            member = monitor.addMember(timing: subject.settings.timing)
            subjects.append(subject)
            indexes.append(subject.index)
            startedAt.append(now)
        }
        if let directory { adoptState(member, subject, from: directory) }
        do {
            try openKernelEvents()
            try followRoutes()
        } catch {
            emit(.problem(.routeNotificationsFailed(reason: "\(error)")), member)
        }
        begin(member, at: now)
        for (member, inherited) in inheritance { emit(.action(inherited), member) }
        inheritance = []
    }

    /// Stops watching a member: what its action took comes back first (what does not
    /// stays in its state file, for the next watcher or `keepalive restore`), and its
    /// device is left to other watchers.
    private func remove(_ member: Int) {
        restore(member)
        monitor.deactivate(member)
        emit(.removed, member)
        if let device = subjects[member]?.device {
            if let index = indexes[member] {
                actions.forget(member, tunnel: device, index: index, keepingStateFile: true)
                actions.index.unwatch(index)
            }
            stateDirectory?.unlock(tunnel: device)
        }
        subjects[member] = nil
        indexes[member] = nil
        freeSlots.append(member)
    }

    // MARK: State changes and actions

    private func changed(_ member: Int, to state: TunnelState) {
        guard let subject = subjects[member] else { return }
        emit(.state, member, roundTrip: monitor.members[member].stateMachine.lastRoundTrip)
        act(member, state: state, action: subject.settings.action)
        let command = state == .down ? subject.settings.onDown : subject.settings.onUp
        if let command, let target = monitor.members[member].target {
            let environment = [("TUNNEL", subject.name), ("STATE", state.rawValue),
                               ("REMOTE", target.remote.description), ("LOCAL", target.local.description)]
            do {
                try CommandHook.start(command, environment: environment)
            } catch {
                emit(.problem(.hookFailed(reason: "\(error)")), member)
            }
        }
        statusChanged = true
        if let due = nextMetrics { nextMetrics = min(due, SystemClock.monotonic() + Self.metricsAfterChange) }
    }

    /// Queues what a member's action does (sent between keepalives); what could not be
    /// given back stays owed: it is tried again at the next up, and on exit.
    private func act(_ member: Int, state: TunnelState, action: Action) {
        guard let index = indexes[member], let subject = subjects[member], let device = subject.device else { return }
        if state == .down {
            actions.takeDown(member, index: index, tunnel: device, action: action, penalty: subject.settings.penalty)
        } else {
            actions.bringUp(member, index: index, tunnel: device)
        }
    }

    /// On the way out: finishes what is queued, then gives back everything taken. What
    /// stays taken stays in the state files, for the next watcher or `keepalive restore`.
    private func restoreAll() {
        actions.run(until: nil)
        for member in actions.membersToRestore {
            guard let index = indexes[member], let device = subjects[member]?.device else { continue }
            actions.bringUp(member, index: index, tunnel: device)
        }
        actions.run(until: nil)
        for member in actions.membersToRestore {
            if let owed = actions.taken[member] { emit(.problem(.notRestored(linkDown: owed.linkDown, owed.counts)), member) }
        }
        CommandHook.reap()
    }

    /// Gives back what the action took from a member, at once (ahead of what other
    /// members have queued): when it stops being watched, or its action changes.
    private func restore(_ member: Int) {
        guard let index = indexes[member], let device = subjects[member]?.device else { return }
        actions.restoreNow(member, index: index, tunnel: device)
        if let owed = actions.taken[member] {
            emit(.problem(.notRestored(linkDown: owed.linkDown, owed.counts)), member)
        }
    }

    // MARK: Devices: locks, state left by a previous watcher, the route index

    /// At start: locks every device in the runtime directory, so that no second watcher
    /// takes from it; takes over what a watcher that died took from them (given back
    /// when they answer; at once with action none); reads the routes through them.
    private func takeOverDevices() throws {
        if subjects.contains(where: { $0?.device != nil }), let directory = try openStateDirectory() {
            for subject in subjects { if let device = subject?.device { try directory.lock(tunnel: device) } }
            for member in subjects.indices { adoptState(member, subjects[member]!, from: directory) }
        }
        try followRoutes()
    }

    /// The state directory, opened the first time a target with a device needs it;
    /// nil without a runtime directory.
    private func openStateDirectory() throws -> KeepaliveStateDirectory? {
        if let stateDirectory { return stateDirectory }
        guard let runtimeDirectory else { return nil }
        let directory = try KeepaliveStateDirectory(runtimeDirectory: runtimeDirectory)
        stateDirectory = directory
        actions.journal = directory
        return directory
    }

    /// Takes over a device's state file: what is owed to the device as it is now (the
    /// same interface index; a device made again lost its routes with the old one).
    /// With action none, it comes back at once.
    private func adoptState(_ member: Int, _ subject: Subject, from directory: KeepaliveStateDirectory) {
        guard let device = subject.device, let index = indexes[member] else { return }
        do {
            guard let state = try directory.load(tunnel: device) else { return }
            guard state.index == index else {
                try directory.remove(tunnel: device)
                emit(.problem(.stateDiscarded(reason: "it was left for interface index \(state.index), and \(device) is \(index) now")), member)
                return
            }
            actions.adopt(state.taken, member: member)
            inheritance.append((member, .inherited(state.taken.counts, linkDown: state.taken.linkDown)))
            if subject.settings.action == .none { actions.bringUp(member, index: index, tunnel: device) }
        } catch {
            emit(.problem(.stateDiscarded(reason: "\(error)")), member)
        }
    }

    /// Keeps the route index of the devices whose routes an action takes (or to which
    /// something is owed): route notifications, subscribed before one dump of every
    /// table, so that no change falls between the two; a device added later is read
    /// alone before it is acted on.
    private func followRoutes() throws {
        let members = subjects.indices.filter { member in
            guard let subject = subjects[member], subject.device != nil, indexes[member] != nil else { return false }
            return subject.settings.action != .none || actions.taken[member] != nil
        }
        guard let kernelEvents, !members.isEmpty else { return }
        for member in members { if let index = indexes[member] { actions.index.watch(index) } }
        guard !routeEvents else { return }
        // The kernel drops its reports of the actions' own route changes instead of
        // queueing them here (a mass withdrawal read back one per route): the actions
        // apply those to the index themselves.
        if let network { try kernelEvents.dropRouteNotifications(causedBy: network.routeChangesPort()) }
        try kernelEvents.subscribe(groups: [UInt32(RTNLGRP_IPV4_ROUTE.rawValue), UInt32(RTNLGRP_IPV6_ROUTE.rawValue)])
        routeEvents = true
        try actions.reloadIndex()
    }

    // MARK: Reload

    /// Reads the configuration again and applies what changed: targets no longer in it
    /// stop being watched (what their action took comes back), new ones start, those
    /// whose settings changed take them, keeping their state; the others are not touched.
    /// A configuration that cannot be read changes nothing.
    private func reload() {
        service.notifier?.reloading()
        defer { service.notifier?.ready(status: status().summary) }
        let wanted: [Subject]
        do {
            wanted = try service.reload!()
        } catch {
            emit(.problem(.reloadRefused(reason: "\(error)")), nil)
            return
        }
        let now = SystemClock.monotonic()
        var summary = KeepaliveReload()
        let wantedByGiven = Dictionary(wanted.map { ($0.given, $0) }, uniquingKeysWith: { first, _ in first })
        for member in subjects.indices {
            guard let subject = subjects[member], wantedByGiven[subject.given] == nil else { continue }
            remove(member)
            summary.removed += 1
        }
        var watched: [KeepaliveSubject: Int] = [:]
        for member in subjects.indices { if let subject = subjects[member] { watched[subject.given] = member } }
        for subject in wanted {
            guard let member = watched[subject.given] else {
                add(subject, at: now)
                summary.added += 1
                continue
            }
            let old = subjects[member]!.settings
            guard old != subject.settings else {
                summary.unchanged += 1
                continue
            }
            guard old.echo == subject.settings.echo else {
                // Pinged instead of keepalives (or the other way): replies of another
                // kind, so the target starts over.
                remove(member)
                add(subject, at: now)
                summary.changed += 1
                continue
            }
            subjects[member]!.settings = subject.settings
            monitor.retime(member, timing: subject.settings.timing, at: now)
            if old.action != subject.settings.action || old.penalty != subject.settings.penalty {
                // What the old action took comes back; the new one acts on the state as it is.
                restore(member)
                if monitor.members[member].stateMachine.state == .down { act(member, state: .down, action: subject.settings.action) }
            }
            summary.changed += 1
        }
        do {
            try openKernelEvents()
            try followRoutes()
        } catch {
            emit(.problem(.linkNotificationsFailed(reason: "\(error)")), nil)
        }
        emit(.reloaded(summary), nil)
    }

    // MARK: Link changes

    /// Reads the link and route notifications queued (the route index follows the routes).
    private func receiveKernelEvents() {
        guard let kernelEvents else { return }
        do {
            try kernelEvents.receiveQueued { message in
                switch message.routeMessageType {
                case .newLink?:
                    if let link = Link(message) { linkChanged(link) }
                case .deleteLink?:
                    if let header = message.familyHeader(ifinfomsg.self) { linkDeleted(index: header.ifi_index) }
                case .newRoute?, .deleteRoute?:
                    actions.index.apply(message)
                default:
                    break
                }
            }
        } catch let error as NetlinkError where error.errno == .noBufferSpace {
            resynchronize()
        } catch {
            emit(.problem(.linkNotificationsFailed(reason: "\(error)")), nil)
        }
    }

    /// Notifications were lost: read every watched device, and every route, again.
    private func resynchronize() {
        guard let links, let current = try? links.list() else { return }
        let snapshot = LinkSnapshot(current)
        for (member, subject) in subjects.enumerated() {
            guard let device = subject?.device else { continue }
            if let link = snapshot.link(named: device) {
                linkChanged(link)
            } else if let index = indexes[member] {
                linkDeleted(index: index)
            }
        }
        guard routeEvents else { return }
        do {
            try actions.reloadIndex()
        } catch {
            emit(.problem(.routeNotificationsFailed(reason: "\(error)")), nil)
        }
    }

    private func linkChanged(_ link: Link) {
        // Members follow their device by name, so a watched device renamed to something
        // else counts as deleted.
        if let member = indexes.firstIndex(where: { $0 == link.index }), subjects[member]?.device != link.name {
            linkDeleted(index: link.index)
        }
        guard let member = subjects.indices.first(where: { subjects[$0]?.device == link.name }) else { return }
        if routeEvents {
            if indexes[member] != link.index {
                if let old = indexes[member] { actions.index.unwatch(old) }
                actions.index.watch(link.index)
            }
            actions.index.linkChanged(link.index, isUp: link.isUp)
        }
        guard subjects[member]!.followsDevice else {
            // An explicit target goes on as it was; only the device it acts on is back.
            if indexes[member] != link.index {
                if let old = indexes[member] { actions.forget(member, tunnel: link.name, index: old) }
                indexes[member] = link.index
                emit(.created(watching(member)), member)
            }
            return
        }
        let target: KeepaliveTarget
        do {
            target = try KeepaliveTarget(tunnel: link)
        } catch {
            if monitor.members[member].target != nil {
                emit(.problem(.unusable(reason: "\(error)")), member)
                monitor.deactivate(member)
            }
            return
        }
        if indexes[member] == link.index, monitor.members[member].target != nil {
            if let other = monitor.update(member, target: target) {
                emit(.problem(.sharesReplies(with: subjects[other]?.name ?? "")), member)
                monitor.deactivate(member)
            }
            return
        }
        if indexes[member] != link.index, let old = indexes[member] { actions.forget(member, tunnel: link.name, index: old) }
        indexes[member] = link.index
        _ = try? socket(for: target.family)
        startedAt[member] = SystemClock.monotonic()
        if let other = monitor.activate(member, target: target, echo: subjects[member]?.settings.echo, at: startedAt[member]) {
            emit(.problem(.sharesReplies(with: subjects[other]?.name ?? "")), member)
            return
        }
        emit(.created(watching(member)), member)
    }

    private func linkDeleted(index: Int32) {
        guard let member = indexes.firstIndex(where: { $0 == index }), let subject = subjects[member] else { return }
        indexes[member] = nil
        actions.index.unwatch(index)
        // The kernel removed the device's routes with it: there is nothing to put back.
        actions.forget(member, tunnel: subject.device ?? subject.name, index: index)
        // An explicit target's keepalives never needed the device.
        if subject.followsDevice { monitor.deactivate(member) }
        emit(.deleted, member)
    }

    // MARK: Reporting

    /// What the watcher knows of each target now.
    private func status() -> [KeepaliveTargetStatus] {
        let now = SystemClock.monotonic(), realNow = SystemClock.realtime()
        return subjects.indices.compactMap { member in
            guard let subject = subjects[member] else { return nil }
            let entry = monitor.members[member]
            let machine = entry.stateMachine
            let taken = actions.taken[member]
            return KeepaliveTargetStatus(
                name: subject.name, target: entry.target ?? subject.target, settings: subject.settings, isDevice: subject.index != nil,
                state: state(of: member), since: realNow - (now - (machine.changedAt ?? startedAt[member])),
                sent: machine.sent, received: machine.received, missed: machine.unanswered, changes: machine.changes,
                roundTrips: machine.roundTrips, withdrawn: taken?.counts ?? ActionCounts(routes: 0), linkDown: taken?.linkDown ?? false)
        }
    }

    private func writeMetrics() {
        guard let metrics = service.metrics else { return }
        do {
            try Files.replace(metrics.path, with: metrics.render(status()))
        } catch {
            emit(.problem(.metricsFailed(reason: "\(error)")), nil)
        }
    }

    /// A member's state as reported: absent while its device is gone.
    private func state(of member: Int) -> TunnelState {
        let entry = monitor.members[member]
        return entry.target == nil && indexes[member] == nil && subjects[member]?.index != nil ? .absent : entry.stateMachine.state
    }

    /// What the watcher keeps to a member: its current target (or the one it was given),
    /// the timing, and the action (none for a target without a device).
    private func watching(_ member: Int) -> Watching {
        let subject = subjects[member]!
        let action = indexes[member] == nil ? .none : subject.settings.action
        return Watching(target: monitor.members[member].target ?? subject.target, timing: subject.settings.timing,
                        action: action, penalty: action == .penalize ? subject.settings.penalty : nil, echo: subject.settings.echo)
    }

    private func emit(_ kind: KeepaliveEvent.Kind, _ member: Int?, roundTrip: Int64? = nil) {
        guard let member, let subject = subjects[member] else {
            report(KeepaliveEvent(kind: kind, tunnel: "", state: .unknown))
            return
        }
        let machine = monitor.members[member].stateMachine
        report(KeepaliveEvent(
            kind: kind, tunnel: subject.name, state: state(of: member), roundTrip: roundTrip ?? machine.lastRoundTrip,
            sent: machine.sent, received: machine.received, missed: machine.unanswered))
    }
}
