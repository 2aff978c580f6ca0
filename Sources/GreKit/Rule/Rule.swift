import CMnl
import Netlink

/// A policy routing rule (RTM_NEWRULE: struct fib_rule_hdr and FRA_* attributes).
public struct Rule: Sendable, Equatable {
    public var family: AddressFamily
    public var priority: UInt32?
    /// The `from` prefix, its length the header's src_len; nil (length 0, no address) for every source.
    public var source: IPPrefix?
    public var destination: IPPrefix?
    public var tos: UInt8 = 0
    /// Unspecified when the rule does not look up a table (header table, or FRA_TABLE past 255).
    public var table: RouteTable = .unspecified
    public var action: RuleAction = .toTable
    /// Invert (`not`), iif/oif detached, unresolved goto.
    public var flags: RuleFlags = []
    public var fwmark: UInt32?
    public var fwmask: UInt32?
    public var inputInterface: String?
    public var outputInterface: String?
    public var protocolID: RouteProtocol?
    public var goto: UInt32?
    public var suppressPrefixLength: Int32?
    public var suppressInterfaceGroup: Int32?
    public var l3mdev = false
    public var uidRange: ClosedRange<UInt32>?
    public var ipProtocol: IPProtocol?
    public var sourcePorts: ClosedRange<UInt16>?
    public var destinationPorts: ClosedRange<UInt16>?
    /// FRA_FLOW: the realms, the source's in the high 16 bits and the destination's in the low.
    public var realms: UInt32?
    /// FRA_TUN_ID: the tunnel id metadata (of a collect-metadata tunnel) the rule matches.
    public var tunnelID: UInt64?

    public init(family: AddressFamily) { self.family = family }

    /// Decodes an RTM_NEWRULE (or RTM_DELRULE) message; nil for other types.
    public init?(_ message: NetlinkMessage) {
        guard message.routeMessageType == .newRule || message.routeMessageType == .deleteRule,
              let header = message.familyHeader(fib_rule_hdr.self),
              let family = AddressFamily(rawValue: header.family), family != .unspecified
        else { return nil }
        self.family = family
        tos = header.tos
        table = RouteTable(rawValue: UInt32(header.table))
        action = RuleAction(rawValue: header.action)
        flags = RuleFlags(rawValue: header.flags)
        if header.src_len > 0 { source = IPPrefix(address: .zero(family), length: header.src_len) }
        if header.dst_len > 0 { destination = IPPrefix(address: .zero(family), length: header.dst_len) }
        for attribute in message.attributes(after: fib_rule_hdr.self, RuleAttribute.self) {
            switch attribute.key {
            case .source?: if let address = attribute.address { source = IPPrefix(address: address, length: header.src_len) }
            case .destination?: if let address = attribute.address { destination = IPPrefix(address: address, length: header.dst_len) }
            case .priority?: priority = attribute.u32
            case .table?: table = RouteTable(rawValue: attribute.u32)
            case .fwmark?: fwmark = attribute.u32
            case .fwmask?: fwmask = attribute.u32
            case .inputInterface?: inputInterface = attribute.string
            case .outputInterface?: outputInterface = attribute.string
            case .protocolID?: protocolID = RouteProtocol(rawValue: attribute.u8)
            case .goto?: goto = attribute.u32
            case .suppressPrefixLength?: suppressPrefixLength = attribute.s32
            case .suppressIfgroup?: suppressInterfaceGroup = attribute.s32
            case .l3mdev?: l3mdev = attribute.u8 != 0
            case .uidRange?: uidRange = Self.range(attribute.payload, UInt32.self)
            case .ipProto?: ipProtocol = IPProtocol(rawValue: attribute.u8)
            case .sportRange?: sourcePorts = Self.range(attribute.payload, UInt16.self)
            case .dportRange?: destinationPorts = Self.range(attribute.payload, UInt16.self)
            case .flow?: realms = attribute.u32
            case .tunnelID?: tunnelID = UInt64(bigEndian: attribute.u64)
            default: break
            }
        }
    }

    /// fib_rule_uid_range and fib_rule_port_range: start and end, host order.
    private static func range<T: FixedWidthInteger>(_ payload: UnsafeRawBufferPointer, _: T.Type) -> ClosedRange<T>? {
        let size = MemoryLayout<T>.size
        guard payload.count >= 2 * size else { return nil }
        let start = payload.loadUnaligned(as: T.self)
        let end = payload.loadUnaligned(fromByteOffset: size, as: T.self)
        return start <= end ? start...end : nil
    }

    /// Writes the body of an RTM_NEWRULE or RTM_DELRULE request.
    public func encode(_ message: MessageWriter) throws {
        var header = fib_rule_hdr()
        header.family = family.rawValue
        header.src_len = source?.length ?? 0
        header.dst_len = destination?.length ?? 0
        header.tos = tos
        // Tables past 255 travel in FRA_TABLE only, as iproute2 sends them.
        header.table = UInt8(exactly: table.rawValue) ?? 0
        header.action = action.rawValue
        // The other flags are states the kernel reports.
        header.flags = flags.intersection(.invert).rawValue
        let attributes = try message.header(header, attributes: RuleAttribute.self)
        if let source, source.length > 0 { try attributes.put(.source, source.address) }
        if let destination, destination.length > 0 { try attributes.put(.destination, destination.address) }
        if let priority { try attributes.put(.priority, priority) }
        if let fwmark { try attributes.put(.fwmark, fwmark) }
        if let fwmask { try attributes.put(.fwmask, fwmask) }
        if let protocolID { try attributes.put(.protocolID, protocolID.rawValue) }
        if table.rawValue >= 256 { try attributes.put(.table, table.rawValue) }
        if let suppressPrefixLength { try attributes.put(.suppressPrefixLength, UInt32(bitPattern: suppressPrefixLength)) }
        if let suppressInterfaceGroup { try attributes.put(.suppressIfgroup, UInt32(bitPattern: suppressInterfaceGroup)) }
        if let inputInterface { try attributes.put(.inputInterface, inputInterface) }
        if let outputInterface { try attributes.put(.outputInterface, outputInterface) }
        if l3mdev { try attributes.put(.l3mdev, UInt8(1)) }
        if let uidRange { try attributes.put(.uidRange, Packed((uidRange.lowerBound, uidRange.upperBound))) }
        if let ipProtocol { try attributes.put(.ipProto, ipProtocol.rawValue) }
        if let sourcePorts { try attributes.put(.sportRange, Packed((sourcePorts.lowerBound, sourcePorts.upperBound))) }
        if let destinationPorts { try attributes.put(.dportRange, Packed((destinationPorts.lowerBound, destinationPorts.upperBound))) }
        if let goto { try attributes.put(.goto, goto) }
        if let realms { try attributes.put(.flow, realms) }
        // Network byte order, as the kernel reads it (nla_get_be64).
        if let tunnelID { try attributes.put(.tunnelID, tunnelID.bigEndian) }
    }
}
