import CMnl
import Netlink

/// An IPsec security policy (XFRM_MSG_NEWPOLICY: struct xfrm_userpolicy_info, then
/// XFRMA_* attributes): which packets, in which direction, must be protected how.
public struct IPsecPolicy: Sendable, Hashable {
    /// XFRM_POLICY_IN / OUT / FWD.
    public enum Direction: UInt8, Sendable {
        case inbound = 0, outbound, forward

        /// The word `ip xfrm` uses.
        public var name: String {
            switch self {
            case .inbound: "in"
            case .outbound: "out"
            case .forward: "fwd"
            }
        }
    }

    /// XFRM_POLICY_ALLOW / BLOCK.
    public enum Action: UInt8, Sendable {
        case allow = 0, block
    }

    public var selector: XFRMSelector
    public var direction: Direction
    public var action: Action
    /// The lower, the earlier it is consulted.
    public var priority: UInt32
    public var index: UInt32
    /// What an allowed packet must go through, in order (usually one ESP template).
    /// None: the packets pass in clear.
    public var templates: [IPsecTemplate] = []
    public var mark: XFRMMark?
    /// XFRMA_IF_ID: the xfrm interface the policy belongs to.
    public var interfaceID: UInt32?

    public init(selector: XFRMSelector, direction: Direction, action: Action = .allow, priority: UInt32 = 0, index: UInt32 = 0) {
        self.selector = selector
        self.direction = direction
        self.action = action
        self.priority = priority
        self.index = index
    }

    /// Decodes an XFRM_MSG_NEWPOLICY message (a dump's element); nil for other types.
    public init?(_ message: NetlinkMessage) {
        guard message.xfrmMessageType == .newPolicy,
              let info = message.familyHeader(xfrm_userpolicy_info.self),
              let direction = Direction(rawValue: info.dir)
        else { return nil }
        selector = XFRMSelector(info.sel)
        self.direction = direction
        action = Action(rawValue: info.action) ?? .block
        priority = info.priority
        index = info.index
        for attribute in message.attributes(after: xfrm_userpolicy_info.self, XFRMAttribute.self) {
            switch attribute.key {
            case .templates?: templates = IPsecTemplate.list(attribute.payload)
            case .mark?: mark = attribute.load(xfrm_mark.self).map { XFRMMark(value: $0.v, mask: $0.m) }
            case .interfaceID?: interfaceID = attribute.u32
            default: break
            }
        }
    }
}

/// One step a policy requires (struct xfrm_user_tmpl): an SA of this protocol, mode and
/// reqid toward this destination.
public struct IPsecTemplate: Sendable, Hashable {
    public var proto: IPProtocol
    public var mode: IPsecMode
    /// The tunnel endpoints; unspecified in transport mode (the packet's own addresses).
    public var source: IPAddress?
    public var destination: IPAddress?
    public var reqid: UInt32
    /// 0: any SA that fits.
    public var spi: UInt32 = 0
    /// `level use`: the packet may pass without it.
    public var optional = false

    public init(proto: IPProtocol, mode: IPsecMode, source: IPAddress? = nil, destination: IPAddress? = nil, reqid: UInt32 = 0) {
        self.proto = proto
        self.mode = mode
        self.source = source
        self.destination = destination
        self.reqid = reqid
    }

    init(_ template: xfrm_user_tmpl) {
        let family = AddressFamily(xfrm: template.family)
        proto = IPProtocol(rawValue: template.id.proto)
        mode = IPsecMode(rawValue: template.mode) ?? .transport
        source = family.map { IPAddress(template.saddr, family: $0) }.flatMap { $0.isUnspecified ? nil : $0 }
        destination = family.map { IPAddress(template.id.daddr, family: $0) }.flatMap { $0.isUnspecified ? nil : $0 }
        reqid = template.reqid
        spi = UInt32(bigEndian: template.id.spi)
        optional = template.optional != 0
    }

    /// XFRMA_TMPL: an array of xfrm_user_tmpl.
    static func list(_ payload: UnsafeRawBufferPointer) -> [IPsecTemplate] {
        let size = MemoryLayout<xfrm_user_tmpl>.size
        return stride(from: 0, to: payload.count - size + 1, by: size).map {
            IPsecTemplate(payload.loadUnaligned(fromByteOffset: $0, as: xfrm_user_tmpl.self))
        }
    }

    /// Whether `association` can serve this template for packets from `source` to
    /// `destination` (xfrm_state_find: the template's protocol, mode and reqid, and its
    /// endpoints or, in transport mode, the packet's).
    public func isServed(by association: SecurityAssociation, source: IPAddress, destination: IPAddress) -> Bool {
        association.proto == proto && association.mode == mode
            && (reqid == 0 || association.reqid == reqid)
            && (spi == 0 || association.spi == spi)
            && association.destination == (self.destination ?? destination)
            && association.source == (self.source ?? source)
    }
}
