import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// Watches tunnels with keepalives in the foreground, in one thread: one poll loop
/// over a raw GRE socket per address family, a netlink socket for link changes and a
/// signal descriptor; one timer queue for every target.
public final class KeepaliveWatcher {
    public enum Action: String, Sendable, CaseIterable {
        /// Withdraw the routes through the tunnel; put them back when it is up.
        case routes
        /// Set the link down (saving its routes); up again with its routes.
        case link
        /// Only report.
        case none
    }

    public struct Configuration: Sendable {
        public var timing: KeepaliveTiming
        public var action: Action
        public var onDown: String?
        public var onUp: String?
        /// Report every keepalive and reply too.
        public var verbose: Bool

        public init(timing: KeepaliveTiming, action: Action, onDown: String? = nil, onUp: String? = nil, verbose: Bool = false) {
            self.timing = timing
            self.action = action
            self.onDown = onDown
            self.onUp = onUp
            self.verbose = verbose
        }
    }

    /// One thing to watch: a tunnel device, followed by name (deleted, re-created or
    /// changed while watched), or an explicit target with no device (action none).
    public struct Subject: Sendable {
        public let name: String
        public let target: KeepaliveTarget
        /// The tunnel's interface index; nil for an explicit target.
        public let index: Int32?

        public init(name: String, target: KeepaliveTarget, index: Int32?) {
            self.name = name
            self.target = target
            self.index = index
        }
    }

    private let configuration: Configuration
    private let subjects: [Subject]
    private let links: LinkService?
    private let report: (KeepaliveEvent) -> Void
    private var monitor: KeepaliveMonitor<NonceGenerator>
    /// Interface index of each tunnel member while its device exists.
    private var indexes: [Int32?]
    private var actions: TunnelActions
    private var sockets: [AddressFamily: GreSocket] = [:]
    private var linkEvents: NetlinkSocket?
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    private var stopping = false

    public init(configuration: Configuration, subjects: [Subject], links: LinkService?, report: @escaping (KeepaliveEvent) -> Void) {
        self.configuration = configuration
        self.subjects = subjects
        self.links = links
        self.report = report
        monitor = KeepaliveMonitor(timing: configuration.timing, members: subjects.count)
        indexes = subjects.map(\.index)
        actions = TunnelActions(action: configuration.action, network: links.map(KernelTunnelNetwork.init))
    }

    deinit { receiveBuffer.deallocate() }

    /// Runs until SIGINT, SIGTERM or SIGHUP, then restores everything the action took
    /// away and returns. Throws only when it cannot start (sockets, permissions).
    public func run() throws {
        let signals = try SignalDescriptor.termination(and: [SIGCHLD])
        // A reader that goes away must not kill the watcher before it restores routes.
        signal(SIGPIPE, SIG_IGN)
        for family in Set(subjects.map(\.target.family)) { _ = try socket(for: family) }
        if subjects.contains(where: { $0.index != nil }) {
            let events = try NetlinkSocket()
            try events.subscribe(groups: [UInt32(RTNLGRP_LINK.rawValue)])
            linkEvents = events
        }
        // The first keepalives are spread over one interval: a hub does not send its
        // hundreds at once.
        let start = SystemClock.monotonic()
        for (member, subject) in subjects.enumerated() {
            let delay = configuration.timing.interval * Int64(member) / Int64(subjects.count)
            monitor.activate(member, target: subject.target, at: start, delay: delay)
            emit(.watch(watching(member)), member)
        }
        while !stopping {
            sendDue()
            wait(signals: signals)
        }
        restoreAll()
    }

    // MARK: The loop

    private func wait(signals: SignalDescriptor) {
        var descriptors = [pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)]
        if let linkEvents { descriptors.append(pollfd(fd: linkEvents.fileDescriptor, events: Int16(POLLIN), revents: 0)) }
        let families = Array(sockets.keys)
        for family in families { descriptors.append(pollfd(fd: sockets[family]!.descriptor, events: Int16(POLLIN), revents: 0)) }
        let timeout = min(1000, monitor.nextDeadline.map { SystemClock.pollTimeout(until: $0) } ?? 1000)
        guard poll(&descriptors, nfds_t(descriptors.count), timeout) > 0 else { return }
        for descriptor in descriptors where descriptor.revents != 0 {
            if descriptor.fd == signals.descriptor {
                for signal in signals.pending() {
                    if signal == SIGCHLD { CommandHook.reap() } else { stopping = true }
                }
            } else if descriptor.fd == linkEvents?.fileDescriptor {
                receiveLinkEvents()
            } else if let family = families.first(where: { sockets[$0]!.descriptor == descriptor.fd }) {
                receiveReplies(on: sockets[family]!)
            }
        }
    }

    private func socket(for family: AddressFamily) throws -> GreSocket {
        if let socket = sockets[family] { return socket }
        let socket = try GreSocket(family: family, acceptingOnly: 0)
        sockets[family] = socket
        return socket
    }

    /// Sends the keepalives due, one batch (one system call) per address family.
    private func sendDue() {
        let sends = monitor.due(at: SystemClock.monotonic())
        guard !sends.isEmpty else { return }
        var failures: [Int: String] = [:]
        for family in [AddressFamily.inet, .inet6] {
            var members: [Int] = []
            var batch: [GreSocket.Outgoing] = []
            for send in sends {
                guard let target = monitor.members[send.member].target, target.family == family else { continue }
                members.append(send.member)
                batch.append(GreSocket.Outgoing(keepalive: target, nonce: send.nonce, sequence: send.sequence))
            }
            guard !batch.isEmpty else { continue }
            do {
                for (index, error) in try socket(for: family).send(batch) { failures[members[index]] = error.errno.description }
            } catch {
                for member in members { failures[member] = "\(error)" }
            }
        }
        for send in sends {
            // A keepalive the kernel refused (no route to the remote) is one lost, as on the wire.
            if configuration.verbose { emit(.sent(failure: failures[send.member]), send.member) }
            if send.change == .down { changed(send.member, to: .down) }
        }
    }

    private func receiveReplies(on socket: GreSocket) {
        var answered: [(member: Int, roundTrip: Int64, change: TunnelState?)] = []
        do {
            try socket.receiveKeepalives(into: receiveBuffer) { reflected in
                guard let (member, outcome) = monitor.reply(reflected, at: SystemClock.monotonic()),
                      case .answered(let roundTrip, let change) = outcome else { return }
                answered.append((member, roundTrip, change))
            }
        } catch {
            emit(.problem(.receiveFailed(reason: "\(error)")), nil)
        }
        for (member, roundTrip, change) in answered {
            if configuration.verbose { emit(.reply, member, roundTrip: roundTrip) }
            if change == .up { changed(member, to: .up) }
        }
    }

    // MARK: State changes and actions

    private func changed(_ member: Int, to state: TunnelState) {
        emit(.state, member, roundTrip: monitor.members[member].stateMachine.lastRoundTrip)
        if let index = indexes[member] {
            do {
                let done = state == .down ? try actions.takeDown(member, index: index) : try actions.bringUp(member, index: index)
                if let done { emit(.action(done), member) }
            } catch {
                // What could not be given back stays owed: it is tried again at the next up, and on exit.
                emit(.problem(state == .down ? .takeDownFailed(reason: "\(error)") : .bringUpFailed(reason: "\(error)")), member)
            }
        }
        let command = state == .down ? configuration.onDown : configuration.onUp
        if let command, let target = monitor.members[member].target {
            let environment = [("TUNNEL", subjects[member].name), ("STATE", state.rawValue),
                               ("REMOTE", target.remote.description), ("LOCAL", target.local.description)]
            do {
                try CommandHook.start(command, environment: environment)
            } catch {
                emit(.problem(.hookFailed(reason: "\(error)")), member)
            }
        }
    }

    private func restoreAll() {
        for member in actions.membersToRestore {
            guard let index = indexes[member] else { continue }
            do {
                if let done = try actions.bringUp(member, index: index) { emit(.action(done), member) }
            } catch {
                emit(.problem(.restoreFailed(reason: "\(error)")), member)
            }
            if let owed = actions.taken[member] {
                emit(.problem(.notRestored(linkDown: owed.linkDown, owed.counts)), member)
            }
        }
        CommandHook.reap()
    }

    // MARK: Link changes

    private func receiveLinkEvents() {
        guard let linkEvents else { return }
        do {
            try linkEvents.receiveQueued { message in
                switch message.routeMessageType {
                case .newLink?:
                    if let link = Link(message) { linkChanged(link) }
                case .deleteLink?:
                    if let header = message.familyHeader(ifinfomsg.self) { linkDeleted(index: header.ifi_index) }
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

    /// Notifications were lost: read every watched tunnel again.
    private func resynchronize() {
        guard let links, let current = try? links.list() else { return }
        let snapshot = LinkSnapshot(current)
        for (member, subject) in subjects.enumerated() where subject.index != nil {
            if let link = snapshot.link(named: subject.name) {
                linkChanged(link)
            } else if let index = indexes[member] {
                linkDeleted(index: index)
            }
        }
    }

    private func linkChanged(_ link: Link) {
        // Members follow their tunnel by name, so a watched device renamed to something
        // else counts as deleted.
        if let member = indexes.firstIndex(where: { $0 == link.index }), subjects[member].name != link.name {
            linkDeleted(index: link.index)
        }
        guard let member = subjects.indices.first(where: { subjects[$0].index != nil && subjects[$0].name == link.name }) else { return }
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
            monitor.update(member, target: target)
            return
        }
        if indexes[member] != link.index { actions.forget(member) }
        indexes[member] = link.index
        _ = try? socket(for: target.family)
        monitor.activate(member, target: target, at: SystemClock.monotonic())
        emit(.created(watching(member)), member)
    }

    private func linkDeleted(index: Int32) {
        guard let member = indexes.firstIndex(where: { $0 == index }) else { return }
        indexes[member] = nil
        // The kernel removed the device's routes with it: there is nothing to put back.
        actions.forget(member)
        monitor.deactivate(member)
        emit(.deleted, member)
    }

    // MARK: Reporting

    /// What the watcher keeps to a member: its current target (or the one it was given),
    /// the timing, and the action (none for a target without a device).
    private func watching(_ member: Int) -> Watching {
        Watching(target: monitor.members[member].target ?? subjects[member].target, timing: configuration.timing,
                 action: indexes[member] == nil ? .none : configuration.action)
    }

    private func emit(_ kind: KeepaliveEvent.Kind, _ member: Int?, roundTrip: Int64? = nil) {
        guard let member else {
            report(KeepaliveEvent(kind: kind, tunnel: "", state: .unknown))
            return
        }
        let entry = monitor.members[member]
        let machine = entry.stateMachine
        let state: TunnelState = entry.target == nil && indexes[member] == nil && subjects[member].index != nil ? .absent : machine.state
        report(KeepaliveEvent(
            kind: kind, tunnel: subjects[member].name, state: state, roundTrip: roundTrip ?? machine.lastRoundTrip,
            sent: machine.sent, received: machine.received, missed: machine.unanswered))
    }
}
