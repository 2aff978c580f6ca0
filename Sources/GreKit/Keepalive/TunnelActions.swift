import Netlink

/// What a watcher does to a tunnel that goes down, and undoes when it is up again.
struct TunnelActions {
    let action: KeepaliveWatcher.Action
    let links: LinkService?

    init(action: KeepaliveWatcher.Action, links: LinkService?) {
        self.action = action
        self.links = links
    }

    /// Members whose tunnels the action took something from.
    var membersToRestore: [Int] { [] }

    mutating func takeDown(_ member: Int, index: Int32, name: String) throws -> String? { nil }

    mutating func bringUp(_ member: Int, index: Int32) throws -> String? { nil }

    mutating func forget(_ member: Int) {}
}
