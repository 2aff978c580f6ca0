import CMnl
import Netlink

/// What traffic a policy or an SA applies to (struct xfrm_selector): source and
/// destination prefixes, a protocol and ports, a device.
public struct XFRMSelector: Sendable, Hashable {
    /// Nil when it matches both families (an SA's selector may): then its prefixes are
    /// empty and only its protocol and ports count.
    public var family: AddressFamily?
    public var source: IPPrefix
    public var destination: IPPrefix
    public var proto: IPProtocol
    /// Ports with their masks, in host order; a mask of 0 matches any port.
    public var sourcePort: UInt16 = 0, sourcePortMask: UInt16 = 0
    public var destinationPort: UInt16 = 0, destinationPortMask: UInt16 = 0
    /// 0: any device.
    public var interfaceIndex: Int32 = 0

    public init(source: IPPrefix, destination: IPPrefix, proto: IPProtocol = .any) {
        family = source.family
        self.source = source
        self.destination = destination
        self.proto = proto
    }

    /// A selector of either family, matching every packet of `proto`.
    public static func anyFamily(proto: IPProtocol = .any) -> XFRMSelector {
        var selector = XFRMSelector(source: IPPrefix(address: .zero(.inet), length: 0), destination: IPPrefix(address: .zero(.inet), length: 0), proto: proto)
        selector.family = nil
        return selector
    }

    /// A selector of family 0 matches both; its addresses are then zero and its prefixes
    /// empty, read as IPv4 0.0.0.0/0.
    init(_ selector: xfrm_selector) {
        family = AddressFamily(xfrm: selector.family)
        let addressFamily = family ?? .inet
        source = IPPrefix(address: IPAddress(selector.saddr, family: addressFamily), length: selector.prefixlen_s)
        destination = IPPrefix(address: IPAddress(selector.daddr, family: addressFamily), length: selector.prefixlen_d)
        proto = IPProtocol(rawValue: selector.proto)
        sourcePort = UInt16(bigEndian: selector.sport)
        sourcePortMask = UInt16(bigEndian: selector.sport_mask)
        destinationPort = UInt16(bigEndian: selector.dport)
        destinationPortMask = UInt16(bigEndian: selector.dport_mask)
        interfaceIndex = selector.ifindex
    }

    /// Whether a packet from `source` to `destination` of protocol `proto` (no ports:
    /// GRE has none) matches, as the kernel's xfrm_selector_match() decides.
    public func matches(source: IPAddress, destination: IPAddress, proto: IPProtocol) -> Bool {
        guard self.proto == .any || self.proto == proto else { return false }
        // A packet without ports carries port 0: only a port mask of 0 or an exact 0 passes.
        guard sourcePort & sourcePortMask == 0, destinationPort & destinationPortMask == 0 else { return false }
        guard let family else { return true }
        guard source.family == family, destination.family == family else { return false }
        return self.source.contains(source) && self.destination.contains(destination)
    }

    /// Whether this selector takes exactly the packets between two hosts of one protocol.
    public func isHostPair(_ source: IPAddress, _ destination: IPAddress) -> Bool {
        family != nil && self.source == IPPrefix(address: source, length: UInt8(source.family.bitWidth))
            && self.destination == IPPrefix(address: destination, length: UInt8(destination.family.bitWidth))
    }
}

/// A policy's or an SA's mark (struct xfrm_mark): the packets whose mark, masked, equals
/// the value.
public struct XFRMMark: Sendable, Hashable {
    public var value: UInt32
    public var mask: UInt32

    public init(value: UInt32, mask: UInt32) {
        self.value = value
        self.mask = mask
    }

    /// Whether a packet with mark `mark` matches.
    public func matches(_ mark: UInt32) -> Bool { mark & mask == value & mask }
}

/// How an SA wraps a packet (XFRM_MODE_*).
public enum IPsecMode: UInt8, Sendable, CaseIterable {
    /// ESP between the original IP header and its payload.
    case transport = 0
    /// The whole packet inside a new outer IP header.
    case tunnel = 1
    case routeOptimization = 2
    case inTrigger = 3
    /// Bound end-to-end tunnel: tunnel mode's addresses with transport mode's header.
    case beet = 4

    /// The word `ip xfrm` uses.
    public var name: String {
        switch self {
        case .transport: "transport"
        case .tunnel: "tunnel"
        case .routeOptimization: "ro"
        case .inTrigger: "in_trigger"
        case .beet: "beet"
        }
    }
}

extension IPAddress {
    /// An address of an xfrm structure (xfrm_address_t: 16 bytes, IPv4 in the first 4).
    init(_ address: xfrm_address_t, family: AddressFamily) {
        self = withUnsafeBytes(of: address) { bytes in
            IPAddress(bytes: UnsafeRawBufferPointer(rebasing: bytes.prefix(family == .inet6 ? 16 : 4)))
        } ?? .zero(family)
    }
}

extension AddressFamily {
    /// The family of an xfrm structure's u16 field; nil for AF_UNSPEC or an unknown one.
    init?(xfrm value: UInt16) {
        guard let family = AddressFamily(rawValue: UInt8(truncatingIfNeeded: value)), family != .unspecified, value < 256 else { return nil }
        self = family
    }
}
