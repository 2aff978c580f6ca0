import Netlink

/// `keepalive restore`: gives back by hand what a watcher took from a tunnel and could
/// not give back itself (it was killed, and no watcher of the tunnel runs now), from
/// the tunnel's state file.
public struct KeepaliveRecovery {
    public let directory: KeepaliveStateDirectory
    public let links: LinkService

    public init(directory: KeepaliveStateDirectory, links: LinkService) {
        self.directory = directory
        self.links = links
    }

    public enum Result: Sendable, Equatable {
        /// Given back (what failed to come back stays in the state file).
        case restored(KeepaliveActionOutcome, left: TakenFromTunnel)
        /// Nothing is owed to the tunnel (no state file).
        case nothingOwed
        /// The state file was for a device that is gone (or made again, with another
        /// interface index): its routes went with it. The file is removed.
        case discarded(reason: String)
    }

    /// Gives back what is owed to `tunnel`. Throws `KeepaliveStateDirectory.Locked` when
    /// a watcher of the tunnel runs: that watcher gives it back itself.
    public func restore(tunnel: String) throws -> Result {
        try directory.lock(tunnel: tunnel)
        guard let state = try directory.load(tunnel: tunnel) else { return .nothingOwed }
        let index: Int32
        do {
            index = try links.link(named: tunnel).index
        } catch is DeviceNotFound {
            try directory.remove(tunnel: tunnel)
            return .discarded(reason: "\(tunnel) does not exist any more")
        }
        guard index == state.index else {
            try directory.remove(tunnel: tunnel)
            return .discarded(reason: "the state was left for interface index \(state.index), and \(tunnel) is \(index) now")
        }
        let actions = TunnelActions(network: KernelTunnelNetwork(links: links), journal: directory)
        var outcome: KeepaliveActionOutcome?
        var problem: KeepaliveProblem?
        actions.onOutcome = { _, done in outcome = done }
        actions.onProblem = { _, failure in problem = problem ?? failure }
        actions.adopt(state.taken, member: 0)
        actions.index.watch(index)
        try actions.reloadIndex()
        actions.bringUp(0, index: index, tunnel: tunnel)
        actions.run(until: nil)
        if let problem, outcome == nil { throw RecoveryFailure(problem: problem) }
        return .restored(outcome ?? .restored(ActionCounts(routes: 0), linkSetUp: false, keptToRetry: []),
                         left: actions.taken[0] ?? TakenFromTunnel())
    }

    /// Giving back failed before anything was sent (the link would not come up).
    public struct RecoveryFailure: Error, Sendable {
        public var problem: KeepaliveProblem
    }
}
