/// The policy the kernel applies to one direction of a flow, and the SAs that serve its
/// templates: what xfrm_lookup() (out) and xfrm_policy_check() (in) would find.
public struct PolicyMatch: Sendable, Equatable {
    public var policy: IPsecPolicy
    /// For each of the policy's templates, in order, an SA that serves it; nil where
    /// none does (the kernel then drops the packet, or asks the IKE daemon for one).
    public var associations: [SecurityAssociation?]

    /// Whether packets leave (or are accepted) protected: an allow policy with
    /// templates, each served by an SA or optional.
    public var isProtected: Bool {
        policy.action == .allow && !policy.templates.isEmpty
            && zip(policy.templates, associations).allSatisfy { $0.optional || $1 != nil }
    }

    /// The templates no SA serves, but which the policy requires.
    public var unservedTemplates: [IPsecTemplate] {
        zip(policy.templates, associations).filter { !$0.optional && $1 == nil }.map(\.0)
    }

    /// The SA of the first ESP template, which sizes the packets.
    public var espAssociation: SecurityAssociation? {
        zip(policy.templates, associations).first { $0.0.proto == .esp }?.1
    }
}

/// One flow as the xfrm lookup sees it: addresses, protocol, mark.
public struct XFRMFlow: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var proto: IPProtocol
    /// The packet's mark (a GRE tunnel's fwmark).
    public var mark: UInt32

    public init(source: IPAddress, destination: IPAddress, proto: IPProtocol = .gre, mark: UInt32 = 0) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.mark = mark
    }

    /// The same flow the other way.
    public var reversed: XFRMFlow { XFRMFlow(source: destination, destination: source, proto: proto, mark: mark) }

    /// The policy the kernel applies to this flow in `direction`, with its SAs; nil when
    /// none matches (the packet passes in clear, unless the default policy blocks).
    /// Among matching policies the lowest priority wins; a policy bound to an xfrm
    /// interface (if_id) never matches a tunnel's own packets, which carry none.
    public func policy(_ direction: IPsecPolicy.Direction, in policies: [IPsecPolicy], associations: [SecurityAssociation]) -> PolicyMatch? {
        let candidates = policies.filter {
            $0.direction == direction && ($0.interfaceID ?? 0) == 0
                && ($0.mark?.matches(mark) ?? true)
                && $0.selector.matches(source: source, destination: destination, proto: proto)
        }
        // min(by:) keeps the first of equal priorities, as the kernel keeps the older policy.
        guard let policy = candidates.min(by: { $0.priority < $1.priority }) else { return nil }
        return PolicyMatch(policy: policy, associations: policy.templates.map { template in
            associations.first { association in
                template.isServed(by: association, source: source, destination: destination)
                    && (association.mark?.matches(mark) ?? true) && (association.interfaceID ?? 0) == 0
                    && association.selector.matches(source: source, destination: destination, proto: proto)
            }
        })
    }
}
