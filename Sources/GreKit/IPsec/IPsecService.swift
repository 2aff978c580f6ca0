import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// Reads the kernel's IPsec state over an xfrm netlink socket: policies, security
/// associations, how many of each, the default policies.
public final class IPsecService {
    private let socket: NetlinkSocket

    public init(socket: NetlinkSocket) {
        self.socket = socket
    }

    /// A service on a new xfrm socket, or nil when the kernel has no xfrm netlink
    /// (built without CONFIG_XFRM_USER, or the module is not loaded): then it has no
    /// IPsec policies either.
    public static func open() throws -> IPsecService? {
        do {
            return IPsecService(socket: try NetlinkSocket(.xfrm))
        } catch where error.errno == .protocolNotSupported {
            return nil
        }
    }

    /// Everything the checks need, read at once.
    public func snapshot() throws -> IPsecSnapshot {
        IPsecSnapshot(policies: try policies(), associations: try associations(), defaultPolicy: try defaultPolicy())
    }

    public func policies() throws -> [IPsecPolicy] {
        try socket.collect(.getPolicy, { _ in }) { IPsecPolicy($0) }
    }

    public func associations() throws -> [SecurityAssociation] {
        try socket.collect(.getSA, { _ in }) { SecurityAssociation($0) }
    }

    /// How many policies and SAs there are, without dumping them (SPD and SAD info).
    public func counts() throws -> IPsecCounts {
        var counts = IPsecCounts()
        // Both requests carry a u32 of flags, which the kernel only echoes.
        try socket.fetch(.getSPDInfo, { message in _ = try message.header(UInt32.max, attributes: XFRMPolicyDatabaseAttribute.self) }) {
            counts.readPolicies($0)
        }
        try socket.fetch(.getSADInfo, { message in _ = try message.header(UInt32.max, attributes: XFRMAssociationDatabaseAttribute.self) }) {
            counts.readAssociations($0)
        }
        return counts
    }

    /// What happens to packets no policy matches, per direction (XFRM_MSG_GETDEFAULT,
    /// Linux 5.16 and later); nil where the kernel cannot tell, which means accept.
    public func defaultPolicy() throws -> IPsecDefaultPolicy? {
        do {
            return try socket.fetch(.getDefault, { message in
                _ = try message.header(xfrm_userpolicy_default(), attributes: XFRMAttribute.self)
            }) { IPsecDefaultPolicy($0) }
        } catch let error as NetlinkError where error.errno == .invalidArgument || error.errno == .notSupported {
            return nil
        }
    }
}

/// The host's IPsec policies and SAs at one moment.
public struct IPsecSnapshot: Sendable, Equatable {
    public var policies: [IPsecPolicy]
    public var associations: [SecurityAssociation]
    public var defaultPolicy: IPsecDefaultPolicy?

    public init(policies: [IPsecPolicy], associations: [SecurityAssociation], defaultPolicy: IPsecDefaultPolicy? = nil) {
        self.policies = policies
        self.associations = associations
        self.defaultPolicy = defaultPolicy
    }
}

/// The sizes of the policy and SA databases.
public struct IPsecCounts: Sendable, Equatable {
    public var inboundPolicies = 0
    public var outboundPolicies = 0
    public var forwardPolicies = 0
    public var associations = 0

    public init() {}

    /// Whether the host has any IPsec state at all.
    public var isEmpty: Bool { inboundPolicies + outboundPolicies + forwardPolicies + associations == 0 }

    /// The policy counts of an XFRM_MSG_NEWSPDINFO reply (after its u32 of flags).
    mutating func readPolicies(_ reply: NetlinkMessage) {
        guard let info = reply.attributes(after: UInt32.self, XFRMPolicyDatabaseAttribute.self)[.info]?.load(xfrmu_spdinfo.self) else { return }
        inboundPolicies = Int(info.incnt)
        outboundPolicies = Int(info.outcnt)
        forwardPolicies = Int(info.fwdcnt)
    }

    /// The SA count of an XFRM_MSG_NEWSADINFO reply.
    mutating func readAssociations(_ reply: NetlinkMessage) {
        associations = Int(reply.attributes(after: UInt32.self, XFRMAssociationDatabaseAttribute.self)[.count]?.u32 ?? 0)
    }
}

/// The default policies (`ip xfrm policy setdefault`): whether a packet no policy
/// matches passes in clear or is dropped, per direction.
public struct IPsecDefaultPolicy: Sendable, Equatable {
    public var inboundBlocks: Bool
    public var forwardBlocks: Bool
    public var outboundBlocks: Bool

    public init(inboundBlocks: Bool = false, forwardBlocks: Bool = false, outboundBlocks: Bool = false) {
        self.inboundBlocks = inboundBlocks
        self.forwardBlocks = forwardBlocks
        self.outboundBlocks = outboundBlocks
    }

    /// Decodes the reply to XFRM_MSG_GETDEFAULT (struct xfrm_userpolicy_default).
    init?(_ reply: NetlinkMessage) {
        guard let value = reply.familyHeader(xfrm_userpolicy_default.self) else { return nil }
        let block = UInt8(XFRM_USERPOLICY_BLOCK)
        self.init(inboundBlocks: value.in == block, forwardBlocks: value.fwd == block, outboundBlocks: value.out == block)
    }
}
