import CMnl
import Testing
@testable import GreKit

/// A C constant as a number, whichever type the importer gave it (an integer, or a
/// struct for a C enum such as rt_scope_t).
private func number(_ constant: some BinaryInteger) -> Int64 { Int64(constant) }
private func number<Constant: RawRepresentable>(_ constant: Constant) -> Int64 where Constant.RawValue: BinaryInteger {
    Int64(constant.rawValue)
}

/// Each enum's cases, found by trying every raw value up to `largest`.
private func rawValues<Case: RawRepresentable>(of _: Case.Type, upTo largest: Case.RawValue) -> Set<Case.RawValue>
where Case.RawValue: FixedWidthInteger {
    Set((0...largest).filter { Case(rawValue: $0) != nil })
}

/// The uapi values the domain writes out in Swift (those of link kinds live with their
/// kind, as the kinds' attribute spaces do), each pinned to the C header's constant.
/// The rtnetlink values of Netlink are pinned in NetlinkTests.
@Suite struct UapiConstantTests {
    @Test func greAttributes() {
        let pins: [(GreAttribute, Int)] = [
            (.link, IFLA_GRE_LINK), (.inputFlags, IFLA_GRE_IFLAGS), (.outputFlags, IFLA_GRE_OFLAGS),
            (.inputKey, IFLA_GRE_IKEY), (.outputKey, IFLA_GRE_OKEY), (.local, IFLA_GRE_LOCAL), (.remote, IFLA_GRE_REMOTE),
            (.ttl, IFLA_GRE_TTL), (.tos, IFLA_GRE_TOS), (.pmtudisc, IFLA_GRE_PMTUDISC), (.encapLimit, IFLA_GRE_ENCAP_LIMIT),
            (.flowInfo, IFLA_GRE_FLOWINFO), (.flags, IFLA_GRE_FLAGS), (.encapType, IFLA_GRE_ENCAP_TYPE),
            (.encapFlags, IFLA_GRE_ENCAP_FLAGS), (.encapSourcePort, IFLA_GRE_ENCAP_SPORT),
            (.encapDestinationPort, IFLA_GRE_ENCAP_DPORT), (.collectMetadata, IFLA_GRE_COLLECT_METADATA),
            (.ignoreDF, IFLA_GRE_IGNORE_DF), (.fwmark, IFLA_GRE_FWMARK), (.erspanIndex, IFLA_GRE_ERSPAN_INDEX),
            (.erspanVersion, IFLA_GRE_ERSPAN_VER), (.erspanDirection, IFLA_GRE_ERSPAN_DIR), (.erspanHardwareID, IFLA_GRE_ERSPAN_HWID),
        ]
        for (attribute, value) in pins { #expect(Int(attribute.rawValue) == value, "\(attribute)") }
        #expect(rawValues(of: GreAttribute.self, upTo: 0xff) == Set(pins.map(\.0.rawValue)), "a GRE attribute without a pin")
    }

    @Test func ipTunnelAttributes() {
        let pins: [(IPTunnelAttribute, Int)] = [
            (.link, IFLA_IPTUN_LINK), (.local, IFLA_IPTUN_LOCAL), (.remote, IFLA_IPTUN_REMOTE), (.ttl, IFLA_IPTUN_TTL),
            (.tos, IFLA_IPTUN_TOS), (.encapLimit, IFLA_IPTUN_ENCAP_LIMIT), (.flowInfo, IFLA_IPTUN_FLOWINFO),
            (.flags, IFLA_IPTUN_FLAGS), (.proto, IFLA_IPTUN_PROTO), (.pmtudisc, IFLA_IPTUN_PMTUDISC),
            (.sixRDPrefix, IFLA_IPTUN_6RD_PREFIX), (.sixRDRelayPrefix, IFLA_IPTUN_6RD_RELAY_PREFIX),
            (.sixRDPrefixLength, IFLA_IPTUN_6RD_PREFIXLEN), (.sixRDRelayPrefixLength, IFLA_IPTUN_6RD_RELAY_PREFIXLEN),
            (.encapType, IFLA_IPTUN_ENCAP_TYPE), (.encapFlags, IFLA_IPTUN_ENCAP_FLAGS), (.encapSourcePort, IFLA_IPTUN_ENCAP_SPORT),
            (.encapDestinationPort, IFLA_IPTUN_ENCAP_DPORT), (.collectMetadata, IFLA_IPTUN_COLLECT_METADATA),
            (.fwmark, IFLA_IPTUN_FWMARK),
        ]
        for (attribute, value) in pins { #expect(Int(attribute.rawValue) == value, "\(attribute)") }
        #expect(rawValues(of: IPTunnelAttribute.self, upTo: 0xff) == Set(pins.map(\.0.rawValue)), "an IP tunnel attribute without a pin")
    }

    @Test func greHeaderAndTunnelFlags() {
        // The GRE flags travel big-endian (GRE_KEY is __cpu_to_be16(0x2000)); GreFlags holds host values.
        let header: [(GreFlags, UInt16)] = [(.checksum, cmnl_gre_csum), (.key, cmnl_gre_key), (.sequence, cmnl_gre_seq)]
        for (flag, value) in header { #expect(flag.rawValue.bigEndian == value, "\(flag)") }
        let encapsulation: [(TunnelEncapsulation.Flags, Int64)] = [
            (.checksum, number(TUNNEL_ENCAP_FLAG_CSUM)), (.checksum6, number(TUNNEL_ENCAP_FLAG_CSUM6)),
            (.remoteChecksum, number(TUNNEL_ENCAP_FLAG_REMCSUM)),
        ]
        for (flag, value) in encapsulation { #expect(Int64(flag.rawValue) == value, "\(flag)") }
        let kinds: [(TunnelEncapsulation.Kind, Int64)] = [
            (.none, number(TUNNEL_ENCAP_NONE)), (.fou, number(TUNNEL_ENCAP_FOU)), (.gue, number(TUNNEL_ENCAP_GUE)),
        ]
        for (kind, value) in kinds { #expect(Int64(kind.rawValue) == value, "\(kind)") }
        #expect(rawValues(of: TunnelEncapsulation.Kind.self, upTo: 0xff) == Set(kinds.map(\.0.rawValue)), "an encapsulation without a pin")
        let ipv6: [(IPv6TunnelFlags, Int64)] = [
            (.ignoreEncapLimit, number(IP6_TNL_F_IGN_ENCAP_LIMIT)), (.useOriginalTrafficClass, number(IP6_TNL_F_USE_ORIG_TCLASS)),
            (.useOriginalFlowLabel, number(IP6_TNL_F_USE_ORIG_FLOWLABEL)), (.receiveDSCPCopy, number(IP6_TNL_F_RCV_DSCP_COPY)),
            (.useOriginalFwmark, number(IP6_TNL_F_USE_ORIG_FWMARK)), (.allowLocalRemote, number(IP6_TNL_F_ALLOW_LOCAL_REMOTE)),
            (.mip6Device, number(IP6_TNL_F_MIP6_DEV)),
        ]
        for (flag, value) in ipv6 { #expect(Int64(flag.rawValue) == value, "\(flag)") }
    }

    @Test func otherKindsAttributes() {
        let bridge: [(BridgeAttribute, Int)] = [
            (.forwardDelay, IFLA_BR_FORWARD_DELAY), (.helloTime, IFLA_BR_HELLO_TIME), (.maxAge, IFLA_BR_MAX_AGE),
            (.ageingTime, IFLA_BR_AGEING_TIME), (.stpState, IFLA_BR_STP_STATE), (.priority, IFLA_BR_PRIORITY),
            (.vlanFiltering, IFLA_BR_VLAN_FILTERING), (.vlanProtocol, IFLA_BR_VLAN_PROTOCOL),
            (.groupForwardMask, IFLA_BR_GROUP_FWD_MASK), (.rootID, IFLA_BR_ROOT_ID), (.bridgeID, IFLA_BR_BRIDGE_ID),
            (.rootPort, IFLA_BR_ROOT_PORT), (.rootPathCost, IFLA_BR_ROOT_PATH_COST), (.topologyChange, IFLA_BR_TOPOLOGY_CHANGE),
            (.topologyChangeDetected, IFLA_BR_TOPOLOGY_CHANGE_DETECTED), (.helloTimer, IFLA_BR_HELLO_TIMER),
            (.tcnTimer, IFLA_BR_TCN_TIMER), (.topologyChangeTimer, IFLA_BR_TOPOLOGY_CHANGE_TIMER), (.gcTimer, IFLA_BR_GC_TIMER),
            (.groupAddress, IFLA_BR_GROUP_ADDR), (.fdbFlush, IFLA_BR_FDB_FLUSH), (.multicastRouter, IFLA_BR_MCAST_ROUTER),
            (.multicastSnooping, IFLA_BR_MCAST_SNOOPING), (.multicastQueryUseInterfaceAddress, IFLA_BR_MCAST_QUERY_USE_IFADDR),
            (.multicastQuerier, IFLA_BR_MCAST_QUERIER), (.multicastHashElasticity, IFLA_BR_MCAST_HASH_ELASTICITY),
            (.multicastHashMax, IFLA_BR_MCAST_HASH_MAX), (.multicastLastMemberCount, IFLA_BR_MCAST_LAST_MEMBER_CNT),
            (.multicastStartupQueryCount, IFLA_BR_MCAST_STARTUP_QUERY_CNT),
            (.multicastLastMemberInterval, IFLA_BR_MCAST_LAST_MEMBER_INTVL),
            (.multicastMembershipInterval, IFLA_BR_MCAST_MEMBERSHIP_INTVL),
            (.multicastQuerierInterval, IFLA_BR_MCAST_QUERIER_INTVL), (.multicastQueryInterval, IFLA_BR_MCAST_QUERY_INTVL),
            (.multicastQueryResponseInterval, IFLA_BR_MCAST_QUERY_RESPONSE_INTVL),
            (.multicastStartupQueryInterval, IFLA_BR_MCAST_STARTUP_QUERY_INTVL), (.nfCallIptables, IFLA_BR_NF_CALL_IPTABLES),
            (.nfCallIp6tables, IFLA_BR_NF_CALL_IP6TABLES), (.nfCallArptables, IFLA_BR_NF_CALL_ARPTABLES),
            (.vlanDefaultPVID, IFLA_BR_VLAN_DEFAULT_PVID), (.pad, IFLA_BR_PAD), (.vlanStatsEnabled, IFLA_BR_VLAN_STATS_ENABLED),
            (.multicastStatsEnabled, IFLA_BR_MCAST_STATS_ENABLED), (.multicastIGMPVersion, IFLA_BR_MCAST_IGMP_VERSION),
            (.multicastMLDVersion, IFLA_BR_MCAST_MLD_VERSION), (.vlanStatsPerPort, IFLA_BR_VLAN_STATS_PER_PORT),
            (.multiBoolOption, IFLA_BR_MULTI_BOOLOPT), (.multicastQuerierState, IFLA_BR_MCAST_QUERIER_STATE),
        ]
        for (attribute, value) in bridge { #expect(Int(attribute.rawValue) == value, "\(attribute)") }
        #expect(rawValues(of: BridgeAttribute.self, upTo: 0xff) == Set(bridge.map(\.0.rawValue)), "a bridge attribute without a pin")
        let bridgePort: [(BridgePortAttribute, Int)] = [
            (.state, IFLA_BRPORT_STATE), (.priority, IFLA_BRPORT_PRIORITY), (.cost, IFLA_BRPORT_COST), (.mode, IFLA_BRPORT_MODE),
            (.bpduGuard, IFLA_BRPORT_GUARD), (.protect, IFLA_BRPORT_PROTECT), (.fastLeave, IFLA_BRPORT_FAST_LEAVE),
            (.learning, IFLA_BRPORT_LEARNING), (.unicastFlood, IFLA_BRPORT_UNICAST_FLOOD), (.proxyARP, IFLA_BRPORT_PROXYARP),
            (.learningSync, IFLA_BRPORT_LEARNING_SYNC), (.proxyARPWifi, IFLA_BRPORT_PROXYARP_WIFI),
            (.rootID, IFLA_BRPORT_ROOT_ID), (.bridgeID, IFLA_BRPORT_BRIDGE_ID), (.designatedPort, IFLA_BRPORT_DESIGNATED_PORT),
            (.designatedCost, IFLA_BRPORT_DESIGNATED_COST), (.id, IFLA_BRPORT_ID), (.number, IFLA_BRPORT_NO),
            (.topologyChangeAck, IFLA_BRPORT_TOPOLOGY_CHANGE_ACK), (.configPending, IFLA_BRPORT_CONFIG_PENDING),
            (.messageAgeTimer, IFLA_BRPORT_MESSAGE_AGE_TIMER), (.forwardDelayTimer, IFLA_BRPORT_FORWARD_DELAY_TIMER),
            (.holdTimer, IFLA_BRPORT_HOLD_TIMER), (.flush, IFLA_BRPORT_FLUSH), (.multicastRouter, IFLA_BRPORT_MULTICAST_ROUTER),
            (.pad, IFLA_BRPORT_PAD), (.multicastFlood, IFLA_BRPORT_MCAST_FLOOD),
            (.multicastToUnicast, IFLA_BRPORT_MCAST_TO_UCAST), (.vlanTunnel, IFLA_BRPORT_VLAN_TUNNEL),
            (.broadcastFlood, IFLA_BRPORT_BCAST_FLOOD), (.groupForwardMask, IFLA_BRPORT_GROUP_FWD_MASK),
            (.neighbourSuppress, IFLA_BRPORT_NEIGH_SUPPRESS), (.isolated, IFLA_BRPORT_ISOLATED),
            (.backupPort, IFLA_BRPORT_BACKUP_PORT), (.mrpRingOpen, IFLA_BRPORT_MRP_RING_OPEN),
            (.mrpInOpen, IFLA_BRPORT_MRP_IN_OPEN), (.multicastEHTHostsLimit, IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT),
            (.multicastEHTHostsCount, IFLA_BRPORT_MCAST_EHT_HOSTS_CNT), (.locked, IFLA_BRPORT_LOCKED),
        ]
        for (attribute, value) in bridgePort { #expect(Int(attribute.rawValue) == value, "\(attribute)") }
        #expect(rawValues(of: BridgePortAttribute.self, upTo: 0xff) == Set(bridgePort.map(\.0.rawValue)), "a bridgePort attribute without a pin")
        let vxlan: [(VxlanAttribute, Int)] = [
            (.id, IFLA_VXLAN_ID), (.group, IFLA_VXLAN_GROUP), (.link, IFLA_VXLAN_LINK), (.local, IFLA_VXLAN_LOCAL),
            (.ttl, IFLA_VXLAN_TTL), (.tos, IFLA_VXLAN_TOS), (.learning, IFLA_VXLAN_LEARNING), (.ageing, IFLA_VXLAN_AGEING),
            (.limit, IFLA_VXLAN_LIMIT), (.portRange, IFLA_VXLAN_PORT_RANGE), (.proxy, IFLA_VXLAN_PROXY), (.rsc, IFLA_VXLAN_RSC),
            (.l2miss, IFLA_VXLAN_L2MISS), (.l3miss, IFLA_VXLAN_L3MISS), (.port, IFLA_VXLAN_PORT), (.group6, IFLA_VXLAN_GROUP6),
            (.local6, IFLA_VXLAN_LOCAL6), (.udpChecksum, IFLA_VXLAN_UDP_CSUM),
            (.udpZeroChecksum6Transmit, IFLA_VXLAN_UDP_ZERO_CSUM6_TX), (.udpZeroChecksum6Receive, IFLA_VXLAN_UDP_ZERO_CSUM6_RX),
            (.remoteChecksumTransmit, IFLA_VXLAN_REMCSUM_TX), (.remoteChecksumReceive, IFLA_VXLAN_REMCSUM_RX),
            (.groupPolicy, IFLA_VXLAN_GBP), (.remoteChecksumNoPartial, IFLA_VXLAN_REMCSUM_NOPARTIAL),
            (.collectMetadata, IFLA_VXLAN_COLLECT_METADATA), (.label, IFLA_VXLAN_LABEL),
            (.genericProtocolExtension, IFLA_VXLAN_GPE), (.ttlInherit, IFLA_VXLAN_TTL_INHERIT), (.dontFragment, IFLA_VXLAN_DF),
            (.vniFilter, IFLA_VXLAN_VNIFILTER),
        ]
        for (attribute, value) in vxlan { #expect(Int(attribute.rawValue) == value, "\(attribute)") }
        #expect(rawValues(of: VxlanAttribute.self, upTo: 0xff) == Set(vxlan.map(\.0.rawValue)), "a vxlan attribute without a pin")
        #expect([AddressGenerationMode.eui64, .none, .stablePrivacy, .random].map { Int($0.rawValue) }
            == [IN6_ADDR_GEN_MODE_EUI64, IN6_ADDR_GEN_MODE_NONE, IN6_ADDR_GEN_MODE_STABLE_PRIVACY, IN6_ADDR_GEN_MODE_RANDOM].map { Int($0.rawValue) })
        #expect(Int(VethAttribute.peer.rawValue) == VETH_INFO_PEER)
        #expect(rawValues(of: VethAttribute.self, upTo: 0xff) == [VethAttribute.peer.rawValue], "a veth attribute without a pin")
    }

    @Test func linkFlagsAndStates() {
        let flags: [(InterfaceFlags, Int64)] = [
            (.up, number(IFF_UP)), (.broadcast, number(IFF_BROADCAST)), (.debug, number(IFF_DEBUG)),
            (.loopback, number(IFF_LOOPBACK)), (.pointToPoint, number(IFF_POINTOPOINT)),
            (.noTrailers, number(IFF_NOTRAILERS)), (.running, number(IFF_RUNNING)), (.noARP, number(IFF_NOARP)),
            (.promiscuous, number(IFF_PROMISC)), (.allMulticast, number(IFF_ALLMULTI)),
            (.master, number(IFF_MASTER)), (.slave, number(IFF_SLAVE)), (.multicast, number(IFF_MULTICAST)),
            (.portSelect, number(IFF_PORTSEL)), (.autoMedia, number(IFF_AUTOMEDIA)),
            (.dynamic, number(IFF_DYNAMIC)), (.lowerUp, number(IFF_LOWER_UP)), (.dormant, number(IFF_DORMANT)),
            (.echo, number(IFF_ECHO)),
        ]
        for (flag, value) in flags { #expect(Int64(flag.rawValue) == value, "\(flag)") }
        let states: [(OperationalState, Int64)] = [
            (.unknown, number(IF_OPER_UNKNOWN)), (.notPresent, number(IF_OPER_NOTPRESENT)), (.down, number(IF_OPER_DOWN)),
            (.lowerLayerDown, number(IF_OPER_LOWERLAYERDOWN)), (.testing, number(IF_OPER_TESTING)),
            (.dormant, number(IF_OPER_DORMANT)), (.up, number(IF_OPER_UP)),
        ]
        for (state, value) in states { #expect(Int64(state.rawValue) == value, "\(state)") }
        #expect(rawValues(of: OperationalState.self, upTo: 0xff) == Set(states.map(\.0.rawValue)), "an operational state without a pin")
    }

    @Test func routeValues() {
        #expect(Route.ipv6DefaultMetric == IP6_RT_PRIO_USER)
    }
}
