import CMnl
import Netlink

/// The policy routing rules of the current network namespace, through one netlink socket.
/// Changes go through `changes`: the socket itself unless a batch pipelines them.
public struct RuleService {
    public let socket: NetlinkSocket
    public let changes: any ChangeSink

    public init(socket: NetlinkSocket, changes: (any ChangeSink)? = nil) {
        self.socket = socket
        self.changes = changes ?? socket
    }

    /// Every rule of the family, in priority order.
    public func list(family: AddressFamily) throws -> [Rule] {
        try socket.collect(.getRule, { message in
            var header = fib_rule_hdr()
            header.family = family.rawValue
            _ = try message.header(header, attributes: RuleAttribute.self)
        }) { Rule($0) }
    }

    public func apply(_ rule: Rule, _ change: RuleChange) throws {
        try changes.send(change.request) { try rule.encode($0) }
    }

    /// Deletes the rules `matches` selects, as `ip rule flush` does: every one with a
    /// priority (the kernel's rule 0 has none). Returns how many were deleted.
    @discardableResult
    public func flush(family: AddressFamily, matching matches: (Rule) -> Bool) throws -> Int {
        var deleted = 0
        for rule in try list(family: family) where rule.priority != nil && matches(rule) {
            do {
                try socket.perform(.deleteRule) { try rule.encode($0) }
                deleted += 1
            } catch let error as NetlinkError where error.errno == .noSuchFileOrDirectory {
                // Gone already.
            }
        }
        return deleted
    }
}
