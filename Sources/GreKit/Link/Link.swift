import CMnl
import Netlink

/// A network device as RTM_NEWLINK describes it.
public struct Link: Sendable {
    public var index: Int32
    public var name: String
    public var flags: InterfaceFlags
    public var hardwareType: HardwareType
    public var mtu: UInt32?
    public var qdisc: String?
    public var master: Int32?
    /// IFLA_LINK: the device this one sits on (veth peer, vlan parent).
    public var parent: Int32?
    public var linkNetnsID: Int32?
    public var operationalState: OperationalState?
    public var linkMode: LinkMode?
    public var group: UInt32?
    public var txqlen: UInt32?
    public var address: [UInt8]?
    public var broadcast: [UInt8]?
    public var permanentAddress: [UInt8]?
    public var alias: String?
    public var promiscuity: UInt32?
    public var allmulti: UInt32?
    public var minMTU: UInt32?
    public var maxMTU: UInt32?
    public var numTxQueues: UInt32?
    public var numRxQueues: UInt32?
    public var gsoMaxSize: UInt32?
    public var gsoMaxSegs: UInt32?
    public var tsoMaxSize: UInt32?
    public var tsoMaxSegs: UInt32?
    public var groMaxSize: UInt32?
    public var carrierChanges: UInt32?
    public var kind: String?
    public var options: (any LinkKindOptions)?
    /// The data of a kind gretool shows but does not make (ip6tnl, erspan).
    public var shownOnlyData: (any LinkKindDescription)?
    /// IFLA_INFO_SLAVE_KIND: the kind of the master this link is a port of ("bridge").
    public var portKind: String?
    /// IFLA_INFO_SLAVE_DATA of a bridge's port.
    public var bridgePort: BridgePort?
    /// IFLA_INET6_ADDR_GEN_MODE: how the kernel makes the link's IPv6 link-local address.
    public var addressGenerationMode: AddressGenerationMode?
    public var statistics: LinkStatistics?

    public var isUp: Bool { flags.contains(.up) }

    /// What `-d` shows of the kind's data: the options of a kind gretool makes, or the
    /// data of one it only shows.
    public var kindData: (any LinkKindDescription)? {
        if let options { return options }
        return shownOnlyData
    }

    /// Whether this is the device a tunnel module makes in every namespace when it
    /// loads (gre0, tunl0, sit0 ...): the kernel's, never deleted by anyone.
    public var isFallbackTunnel: Bool { kind.flatMap { Self.fallbackTunnelNames[$0] } == name }

    /// The fallback device of each tunnel kind that has one, named as the modules name it.
    static let fallbackTunnelNames = [
        "gre": "gre0", "gretap": "gretap0", "erspan": "erspan0", "ipip": "tunl0", "sit": "sit0", "vti": "ip_vti0",
        "ip6tnl": "ip6tnl0", "ip6gre": "ip6gre0", "vti6": "ip6_vti0",
    ]

    /// Decodes an RTM_NEWLINK message; nil for other message types.
    public init?(_ message: NetlinkMessage) {
        guard message.routeMessageType == .newLink, let header = message.familyHeader(ifinfomsg.self) else {
            return nil
        }
        index = header.ifi_index
        flags = InterfaceFlags(rawValue: header.ifi_flags)
        hardwareType = HardwareType(rawValue: header.ifi_type)
        name = ""
        for attribute in message.attributes(after: ifinfomsg.self, LinkAttribute.self) {
            switch attribute.key {
            case .ifname?: name = attribute.string
            case .mtu?: mtu = attribute.u32
            case .qdisc?: qdisc = attribute.string
            case .master?: master = Int32(bitPattern: attribute.u32)
            case .link?: parent = Int32(bitPattern: attribute.u32)
            case .linkNetnsID?: linkNetnsID = attribute.s32
            case .operstate?: operationalState = OperationalState(rawValue: attribute.u8)
            case .linkmode?: linkMode = LinkMode(rawValue: attribute.u8)
            case .group?: group = attribute.u32
            case .txqlen?: txqlen = attribute.u32
            case .address?: address = attribute.bytes
            case .broadcast?: broadcast = attribute.bytes
            case .permAddress?: permanentAddress = attribute.bytes
            case .ifalias?: alias = attribute.string
            case .promiscuity?: promiscuity = attribute.u32
            case .allmulti?: allmulti = attribute.u32
            case .minMTU?: minMTU = attribute.u32
            case .maxMTU?: maxMTU = attribute.u32
            case .numTxQueues?: numTxQueues = attribute.u32
            case .numRxQueues?: numRxQueues = attribute.u32
            case .gsoMaxSize?: gsoMaxSize = attribute.u32
            case .gsoMaxSegs?: gsoMaxSegs = attribute.u32
            case .tsoMaxSize?: tsoMaxSize = attribute.u32
            case .tsoMaxSegs?: tsoMaxSegs = attribute.u32
            case .groMaxSize?: groMaxSize = attribute.u32
            case .carrierChanges?: carrierChanges = attribute.u32
            case .stats64?: statistics = attribute.load(rtnl_link_stats64.self).map(LinkStatistics.init)
            case .linkinfo?: decodeLinkInfo(attribute.nested(LinkInfoAttribute.self))
            case .afSpec?:
                if let inet6 = attribute.nested(LinkAddressFamilyAttribute.self)[.inet6],
                   let mode = inet6.nested(Inet6LinkAttribute.self)[.addressGenerationMode] {
                    addressGenerationMode = AddressGenerationMode(rawValue: mode.u8)
                }
            default: break
            }
        }
        options?.decoded(parent: parent)
    }

    private mutating func decodeLinkInfo(_ info: AttributeList<LinkInfoAttribute>) {
        var data: Attribute<LinkInfoAttribute>?
        var portData: Attribute<LinkInfoAttribute>?
        for attribute in info {
            switch attribute.key {
            case .kind?: kind = attribute.string
            case .data?: data = attribute
            case .slaveKind?: portKind = attribute.string
            case .slaveData?: portData = attribute
            default: break
            }
        }
        if let kind {
            options = LinkKinds.decode(kind: kind, data: data)
            if options == nil { shownOnlyData = LinkKinds.describe(kind: kind, data: data) }
        }
        if portKind == "bridge", let portData { bridgePort = BridgePort(portData) }
    }
}

/// rtnl_link_stats64: the counters `ip -s link` shows. `collisions` is where
/// Linux counts packets a tunnel dropped because its route led back into itself.
public struct LinkStatistics: Sendable, Equatable {
    public var rxPackets, txPackets, rxBytes, txBytes: UInt64
    public var rxErrors, txErrors, rxDropped, txDropped: UInt64
    public var multicast, collisions: UInt64
    public var rxOverErrors, rxMissedErrors, txCarrierErrors: UInt64
    public var rxLengthErrors, rxCRCErrors, rxFrameErrors, rxFIFOErrors: UInt64
    public var txAbortedErrors, txFIFOErrors, txWindowErrors, txHeartbeatErrors: UInt64
    public var rxCompressed, txCompressed, rxNoHandler: UInt64

    init(_ s: rtnl_link_stats64) {
        rxPackets = s.rx_packets; txPackets = s.tx_packets
        rxBytes = s.rx_bytes; txBytes = s.tx_bytes
        rxErrors = s.rx_errors; txErrors = s.tx_errors
        rxDropped = s.rx_dropped; txDropped = s.tx_dropped
        multicast = s.multicast; collisions = s.collisions
        rxOverErrors = s.rx_over_errors; rxMissedErrors = s.rx_missed_errors
        txCarrierErrors = s.tx_carrier_errors
        rxLengthErrors = s.rx_length_errors; rxCRCErrors = s.rx_crc_errors
        rxFrameErrors = s.rx_frame_errors; rxFIFOErrors = s.rx_fifo_errors
        txAbortedErrors = s.tx_aborted_errors; txFIFOErrors = s.tx_fifo_errors
        txWindowErrors = s.tx_window_errors; txHeartbeatErrors = s.tx_heartbeat_errors
        rxCompressed = s.rx_compressed; txCompressed = s.tx_compressed
        rxNoHandler = s.rx_nohandler
    }
}
