import CMnl

// The xfrm netlink family (NETLINK_XFRM): IPsec security policies (the SPD) and
// security associations (the SAD). Values are the uapi's (linux/xfrm.h); a unit test
// pins them to the C constants.

/// xfrm message types (XFRM_MSG_*).
public enum XFRMMessageType: UInt16, Sendable {
    case newSA = 16, deleteSA, getSA
    case newPolicy = 19, deletePolicy, getPolicy
    case newSADInfo = 34, getSADInfo, newSPDInfo, getSPDInfo
    case getDefault = 40
}

extension NetlinkSocket {
    public func fetch<Result>(
        _ type: XFRMMessageType, _ build: (MessageWriter) throws -> Void,
        reply: (NetlinkMessage) throws -> Result
    ) throws -> Result {
        try fetch(type.rawValue, build, reply: reply)
    }

    public func collect<Element>(
        _ type: XFRMMessageType, _ build: (MessageWriter) throws -> Void,
        _ decode: (NetlinkMessage) throws -> Element?
    ) throws -> [Element] {
        try collect(type.rawValue, build, decode)
    }
}

extension NetlinkMessage {
    @inlinable public var xfrmMessageType: XFRMMessageType? { XFRMMessageType(rawValue: type) }
}

/// XFRMA_*: attributes of security associations and policies (those gretool reads).
public enum XFRMAttribute: UInt16, NetlinkAttributeType {
    /// struct xfrm_algo: a cipher without integrity (its key follows).
    case encryption = 2
    /// struct xfrm_encap_tmpl: ESP inside UDP or TCP.
    case encapsulation = 4
    /// struct xfrm_user_tmpl, one or more.
    case templates = 5
    /// struct xfrm_algo_aead: encryption and integrity in one.
    case aead = 18
    /// struct xfrm_algo_auth: integrity, with its truncation.
    case truncatedAuthentication = 20
    /// struct xfrm_mark.
    case mark = 21
    /// u32: the xfrm interface.
    case interfaceID = 31
}

/// XFRMA_SPD_*: attributes of XFRM_MSG_NEWSPDINFO.
public enum XFRMPolicyDatabaseAttribute: UInt16, NetlinkAttributeType {
    case info = 1, hashInfo, ipv4HashThreshold, ipv6HashThreshold
}

/// XFRMA_SAD_*: attributes of XFRM_MSG_NEWSADINFO.
public enum XFRMAssociationDatabaseAttribute: UInt16, NetlinkAttributeType {
    case count = 1, hashInfo
}
