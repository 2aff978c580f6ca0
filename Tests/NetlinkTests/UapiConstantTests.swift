import CMnl
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Netlink

/// A value gretool writes out in Swift and the uapi constant it copies, both as numbers,
/// under the constant's C name.
struct Pin: CustomStringConvertible {
    let name: String
    let swift: UInt64
    /// Nil when the C value is negative.
    let header: UInt64?

    init<Value: RawRepresentable>(_ name: String, _ value: Value, _ constant: some BinaryInteger)
    where Value.RawValue: BinaryInteger {
        self.name = name
        swift = UInt64(value.rawValue)
        header = UInt64(exactly: constant)
    }

    /// A constant the importer made a struct of (a C enum such as rt_scope_t).
    init<Value: RawRepresentable, Constant: RawRepresentable>(_ name: String, _ value: Value, _ constant: Constant)
    where Value.RawValue: BinaryInteger, Constant.RawValue: BinaryInteger {
        self.init(name, value, constant.rawValue)
    }

    var description: String { "\(name): Swift \(swift), C \(header.map(String.init) ?? "negative")" }
}

/// Each pinned value equals its C constant.
func expectPinned(_ pins: [Pin], sourceLocation: SourceLocation = #_sourceLocation) {
    for pin in pins { #expect(pin.swift == pin.header, "\(pin)", sourceLocation: sourceLocation) }
}

/// The same, and the pins name every case of the enum (found by trying each raw value),
/// so that a case added without a pin fails.
func expectPinned<Case: RawRepresentable>(_ pins: [Pin], everyCaseOf _: Case.Type, sourceLocation: SourceLocation = #_sourceLocation)
where Case.RawValue: FixedWidthInteger {
    expectPinned(pins, sourceLocation: sourceLocation)
    let declared = Set((0...min(UInt64(Case.RawValue.max), 0xffff)).filter { Case(rawValue: Case.RawValue($0)) != nil })
    let pinned = Set(pins.map(\.swift))
    #expect(declared.subtracting(pinned).isEmpty, "\(Case.self): cases without a pin", sourceLocation: sourceLocation)
    #expect(pinned.subtracting(declared).isEmpty, "\(Case.self): pins of no case", sourceLocation: sourceLocation)
}

/// The rtnetlink vocabulary is written out in Swift (attribute spaces, message types,
/// flags, the values of headers); these pin every value to the uapi headers.
@Suite struct UapiConstantTests {
    @Test func linkAttributes() {
        expectPinned([
            Pin("IFLA_ADDRESS", LinkAttribute.address, IFLA_ADDRESS), Pin("IFLA_BROADCAST", LinkAttribute.broadcast, IFLA_BROADCAST),
            Pin("IFLA_IFNAME", LinkAttribute.ifname, IFLA_IFNAME), Pin("IFLA_MTU", LinkAttribute.mtu, IFLA_MTU),
            Pin("IFLA_LINK", LinkAttribute.link, IFLA_LINK), Pin("IFLA_QDISC", LinkAttribute.qdisc, IFLA_QDISC),
            Pin("IFLA_STATS", LinkAttribute.stats, IFLA_STATS), Pin("IFLA_MASTER", LinkAttribute.master, IFLA_MASTER),
            Pin("IFLA_TXQLEN", LinkAttribute.txqlen, IFLA_TXQLEN), Pin("IFLA_OPERSTATE", LinkAttribute.operstate, IFLA_OPERSTATE),
            Pin("IFLA_LINKMODE", LinkAttribute.linkmode, IFLA_LINKMODE), Pin("IFLA_LINKINFO", LinkAttribute.linkinfo, IFLA_LINKINFO),
            Pin("IFLA_NET_NS_PID", LinkAttribute.netnsPID, IFLA_NET_NS_PID), Pin("IFLA_IFALIAS", LinkAttribute.ifalias, IFLA_IFALIAS),
            Pin("IFLA_STATS64", LinkAttribute.stats64, IFLA_STATS64), Pin("IFLA_AF_SPEC", LinkAttribute.afSpec, IFLA_AF_SPEC),
            Pin("IFLA_GROUP", LinkAttribute.group, IFLA_GROUP), Pin("IFLA_NET_NS_FD", LinkAttribute.netnsFD, IFLA_NET_NS_FD),
            Pin("IFLA_EXT_MASK", LinkAttribute.extMask, IFLA_EXT_MASK), Pin("IFLA_PROMISCUITY", LinkAttribute.promiscuity, IFLA_PROMISCUITY),
            Pin("IFLA_NUM_TX_QUEUES", LinkAttribute.numTxQueues, IFLA_NUM_TX_QUEUES),
            Pin("IFLA_NUM_RX_QUEUES", LinkAttribute.numRxQueues, IFLA_NUM_RX_QUEUES),
            Pin("IFLA_CARRIER", LinkAttribute.carrier, IFLA_CARRIER), Pin("IFLA_CARRIER_CHANGES", LinkAttribute.carrierChanges, IFLA_CARRIER_CHANGES),
            Pin("IFLA_LINK_NETNSID", LinkAttribute.linkNetnsID, IFLA_LINK_NETNSID), Pin("IFLA_PROTO_DOWN", LinkAttribute.protoDown, IFLA_PROTO_DOWN),
            Pin("IFLA_GSO_MAX_SEGS", LinkAttribute.gsoMaxSegs, IFLA_GSO_MAX_SEGS), Pin("IFLA_GSO_MAX_SIZE", LinkAttribute.gsoMaxSize, IFLA_GSO_MAX_SIZE),
            Pin("IFLA_TARGET_NETNSID", LinkAttribute.targetNetnsID, IFLA_TARGET_NETNSID),
            Pin("IFLA_CARRIER_UP_COUNT", LinkAttribute.carrierUpCount, IFLA_CARRIER_UP_COUNT),
            Pin("IFLA_CARRIER_DOWN_COUNT", LinkAttribute.carrierDownCount, IFLA_CARRIER_DOWN_COUNT),
            Pin("IFLA_MIN_MTU", LinkAttribute.minMTU, IFLA_MIN_MTU), Pin("IFLA_MAX_MTU", LinkAttribute.maxMTU, IFLA_MAX_MTU),
            Pin("IFLA_PERM_ADDRESS", LinkAttribute.permAddress, IFLA_PERM_ADDRESS),
            Pin("IFLA_PARENT_DEV_NAME", LinkAttribute.parentDeviceName, IFLA_PARENT_DEV_NAME),
            Pin("IFLA_PARENT_DEV_BUS_NAME", LinkAttribute.parentDeviceBusName, IFLA_PARENT_DEV_BUS_NAME),
            Pin("IFLA_GRO_MAX_SIZE", LinkAttribute.groMaxSize, IFLA_GRO_MAX_SIZE), Pin("IFLA_TSO_MAX_SIZE", LinkAttribute.tsoMaxSize, IFLA_TSO_MAX_SIZE),
            Pin("IFLA_TSO_MAX_SEGS", LinkAttribute.tsoMaxSegs, IFLA_TSO_MAX_SEGS), Pin("IFLA_ALLMULTI", LinkAttribute.allmulti, IFLA_ALLMULTI),
            Pin("IFLA_NEW_IFINDEX", LinkAttribute.newIfindex, IFLA_NEW_IFINDEX),
        ], everyCaseOf: LinkAttribute.self)
        expectPinned([
            Pin("IFLA_INFO_KIND", LinkInfoAttribute.kind, IFLA_INFO_KIND), Pin("IFLA_INFO_DATA", LinkInfoAttribute.data, IFLA_INFO_DATA),
            Pin("IFLA_INFO_XSTATS", LinkInfoAttribute.xstats, IFLA_INFO_XSTATS),
            Pin("IFLA_INFO_SLAVE_KIND", LinkInfoAttribute.slaveKind, IFLA_INFO_SLAVE_KIND),
            Pin("IFLA_INFO_SLAVE_DATA", LinkInfoAttribute.slaveData, IFLA_INFO_SLAVE_DATA),
        ], everyCaseOf: LinkInfoAttribute.self)
        expectPinned([
            Pin("AF_INET", LinkAddressFamilyAttribute.inet, AF_INET), Pin("AF_INET6", LinkAddressFamilyAttribute.inet6, AF_INET6),
        ], everyCaseOf: LinkAddressFamilyAttribute.self)
        expectPinned([
            Pin("IFLA_INET6_FLAGS", Inet6LinkAttribute.flags, IFLA_INET6_FLAGS), Pin("IFLA_INET6_CONF", Inet6LinkAttribute.configuration, IFLA_INET6_CONF),
            Pin("IFLA_INET6_STATS", Inet6LinkAttribute.statistics, IFLA_INET6_STATS), Pin("IFLA_INET6_MCAST", Inet6LinkAttribute.multicast, IFLA_INET6_MCAST),
            Pin("IFLA_INET6_CACHEINFO", Inet6LinkAttribute.cacheInfo, IFLA_INET6_CACHEINFO),
            Pin("IFLA_INET6_ICMP6STATS", Inet6LinkAttribute.icmp6Statistics, IFLA_INET6_ICMP6STATS),
            Pin("IFLA_INET6_TOKEN", Inet6LinkAttribute.token, IFLA_INET6_TOKEN),
            Pin("IFLA_INET6_ADDR_GEN_MODE", Inet6LinkAttribute.addressGenerationMode, IFLA_INET6_ADDR_GEN_MODE),
            Pin("IFLA_INET6_RA_MTU", Inet6LinkAttribute.routerAdvertisementMTU, IFLA_INET6_RA_MTU),
        ], everyCaseOf: Inet6LinkAttribute.self)
    }

    @Test func addressAttributes() {
        expectPinned([
            Pin("IFA_ADDRESS", AddressAttribute.address, IFA_ADDRESS), Pin("IFA_LOCAL", AddressAttribute.local, IFA_LOCAL),
            Pin("IFA_LABEL", AddressAttribute.label, IFA_LABEL), Pin("IFA_BROADCAST", AddressAttribute.broadcast, IFA_BROADCAST),
            Pin("IFA_ANYCAST", AddressAttribute.anycast, IFA_ANYCAST), Pin("IFA_CACHEINFO", AddressAttribute.cacheInfo, IFA_CACHEINFO),
            Pin("IFA_MULTICAST", AddressAttribute.multicast, IFA_MULTICAST), Pin("IFA_FLAGS", AddressAttribute.flags, IFA_FLAGS),
            Pin("IFA_RT_PRIORITY", AddressAttribute.routePriority, IFA_RT_PRIORITY),
            Pin("IFA_TARGET_NETNSID", AddressAttribute.targetNetnsID, IFA_TARGET_NETNSID), Pin("IFA_PROTO", AddressAttribute.protocolID, IFA_PROTO),
        ], everyCaseOf: AddressAttribute.self)
    }

    @Test func routeAttributesAndMetrics() {
        expectPinned([
            Pin("RTA_DST", RouteAttribute.destination, RTA_DST), Pin("RTA_SRC", RouteAttribute.source, RTA_SRC),
            Pin("RTA_IIF", RouteAttribute.inputInterface, RTA_IIF), Pin("RTA_OIF", RouteAttribute.outputInterface, RTA_OIF),
            Pin("RTA_GATEWAY", RouteAttribute.gateway, RTA_GATEWAY), Pin("RTA_PRIORITY", RouteAttribute.priority, RTA_PRIORITY),
            Pin("RTA_PREFSRC", RouteAttribute.preferredSource, RTA_PREFSRC), Pin("RTA_METRICS", RouteAttribute.metrics, RTA_METRICS),
            Pin("RTA_MULTIPATH", RouteAttribute.multipath, RTA_MULTIPATH), Pin("RTA_FLOW", RouteAttribute.flow, RTA_FLOW),
            Pin("RTA_CACHEINFO", RouteAttribute.cacheInfo, RTA_CACHEINFO), Pin("RTA_TABLE", RouteAttribute.table, RTA_TABLE),
            Pin("RTA_MARK", RouteAttribute.mark, RTA_MARK), Pin("RTA_MFC_STATS", RouteAttribute.mfcStats, RTA_MFC_STATS),
            Pin("RTA_VIA", RouteAttribute.via, RTA_VIA), Pin("RTA_NEWDST", RouteAttribute.newDestination, RTA_NEWDST),
            Pin("RTA_PREF", RouteAttribute.preference, RTA_PREF), Pin("RTA_ENCAP_TYPE", RouteAttribute.encapType, RTA_ENCAP_TYPE),
            Pin("RTA_ENCAP", RouteAttribute.encap, RTA_ENCAP), Pin("RTA_EXPIRES", RouteAttribute.expires, RTA_EXPIRES),
            Pin("RTA_PAD", RouteAttribute.pad, RTA_PAD), Pin("RTA_UID", RouteAttribute.uid, RTA_UID),
            Pin("RTA_TTL_PROPAGATE", RouteAttribute.ttlPropagate, RTA_TTL_PROPAGATE), Pin("RTA_IP_PROTO", RouteAttribute.ipProto, RTA_IP_PROTO),
            Pin("RTA_SPORT", RouteAttribute.sport, RTA_SPORT), Pin("RTA_DPORT", RouteAttribute.dport, RTA_DPORT),
            Pin("RTA_NH_ID", RouteAttribute.nexthopID, RTA_NH_ID),
        ], everyCaseOf: RouteAttribute.self)
        expectPinned([
            Pin("RTAX_LOCK", RouteMetric.lock, RTAX_LOCK), Pin("RTAX_MTU", RouteMetric.mtu, RTAX_MTU),
            Pin("RTAX_WINDOW", RouteMetric.window, RTAX_WINDOW), Pin("RTAX_RTT", RouteMetric.rtt, RTAX_RTT),
            Pin("RTAX_RTTVAR", RouteMetric.rttvar, RTAX_RTTVAR), Pin("RTAX_SSTHRESH", RouteMetric.ssthresh, RTAX_SSTHRESH),
            Pin("RTAX_CWND", RouteMetric.cwnd, RTAX_CWND), Pin("RTAX_ADVMSS", RouteMetric.advmss, RTAX_ADVMSS),
            Pin("RTAX_REORDERING", RouteMetric.reordering, RTAX_REORDERING), Pin("RTAX_HOPLIMIT", RouteMetric.hoplimit, RTAX_HOPLIMIT),
            Pin("RTAX_INITCWND", RouteMetric.initcwnd, RTAX_INITCWND), Pin("RTAX_FEATURES", RouteMetric.features, RTAX_FEATURES),
            Pin("RTAX_RTO_MIN", RouteMetric.rtoMin, RTAX_RTO_MIN), Pin("RTAX_INITRWND", RouteMetric.initrwnd, RTAX_INITRWND),
            Pin("RTAX_QUICKACK", RouteMetric.quickack, RTAX_QUICKACK), Pin("RTAX_CC_ALGO", RouteMetric.congestionControl, RTAX_CC_ALGO),
            Pin("RTAX_FASTOPEN_NO_COOKIE", RouteMetric.fastopenNoCookie, RTAX_FASTOPEN_NO_COOKIE),
        ], everyCaseOf: RouteMetric.self)
    }

    @Test func lightweightTunnelValues() {
        expectPinned([
            Pin("LWTUNNEL_ENCAP_NONE", EncapsulationType.none, LWTUNNEL_ENCAP_NONE), Pin("LWTUNNEL_ENCAP_MPLS", EncapsulationType.mpls, LWTUNNEL_ENCAP_MPLS),
            Pin("LWTUNNEL_ENCAP_IP", EncapsulationType.ip, LWTUNNEL_ENCAP_IP), Pin("LWTUNNEL_ENCAP_ILA", EncapsulationType.ila, LWTUNNEL_ENCAP_ILA),
            Pin("LWTUNNEL_ENCAP_IP6", EncapsulationType.ip6, LWTUNNEL_ENCAP_IP6), Pin("LWTUNNEL_ENCAP_SEG6", EncapsulationType.seg6, LWTUNNEL_ENCAP_SEG6),
            Pin("LWTUNNEL_ENCAP_BPF", EncapsulationType.bpf, LWTUNNEL_ENCAP_BPF),
            Pin("LWTUNNEL_ENCAP_SEG6_LOCAL", EncapsulationType.seg6Local, LWTUNNEL_ENCAP_SEG6_LOCAL),
            Pin("LWTUNNEL_ENCAP_RPL", EncapsulationType.rpl, LWTUNNEL_ENCAP_RPL), Pin("LWTUNNEL_ENCAP_IOAM6", EncapsulationType.ioam6, LWTUNNEL_ENCAP_IOAM6),
            Pin("LWTUNNEL_ENCAP_XFRM", EncapsulationType.xfrm, LWTUNNEL_ENCAP_XFRM),
        ], everyCaseOf: EncapsulationType.self)
        expectPinned([
            Pin("LWTUNNEL_IP_ID", IPEncapAttribute.id, LWTUNNEL_IP_ID), Pin("LWTUNNEL_IP_DST", IPEncapAttribute.destination, LWTUNNEL_IP_DST),
            Pin("LWTUNNEL_IP_SRC", IPEncapAttribute.source, LWTUNNEL_IP_SRC), Pin("LWTUNNEL_IP_TTL", IPEncapAttribute.ttl, LWTUNNEL_IP_TTL),
            Pin("LWTUNNEL_IP_TOS", IPEncapAttribute.tos, LWTUNNEL_IP_TOS), Pin("LWTUNNEL_IP_FLAGS", IPEncapAttribute.flags, LWTUNNEL_IP_FLAGS),
            Pin("LWTUNNEL_IP_PAD", IPEncapAttribute.pad, LWTUNNEL_IP_PAD), Pin("LWTUNNEL_IP_OPTS", IPEncapAttribute.options, LWTUNNEL_IP_OPTS),
        ], everyCaseOf: IPEncapAttribute.self)
        expectPinned([
            Pin("LWTUNNEL_IP6_ID", IP6EncapAttribute.id, LWTUNNEL_IP6_ID), Pin("LWTUNNEL_IP6_DST", IP6EncapAttribute.destination, LWTUNNEL_IP6_DST),
            Pin("LWTUNNEL_IP6_SRC", IP6EncapAttribute.source, LWTUNNEL_IP6_SRC),
            Pin("LWTUNNEL_IP6_HOPLIMIT", IP6EncapAttribute.hoplimit, LWTUNNEL_IP6_HOPLIMIT),
            Pin("LWTUNNEL_IP6_TC", IP6EncapAttribute.trafficClass, LWTUNNEL_IP6_TC), Pin("LWTUNNEL_IP6_FLAGS", IP6EncapAttribute.flags, LWTUNNEL_IP6_FLAGS),
            Pin("LWTUNNEL_IP6_PAD", IP6EncapAttribute.pad, LWTUNNEL_IP6_PAD), Pin("LWTUNNEL_IP6_OPTS", IP6EncapAttribute.options, LWTUNNEL_IP6_OPTS),
        ], everyCaseOf: IP6EncapAttribute.self)
        #expect(UInt64(RouteMetric.ecnFeature) == UInt64(RTAX_FEATURE_ECN))
    }

    @Test func nexthopAttributes() {
        expectPinned([
            Pin("NHA_ID", NexthopAttribute.id, NHA_ID), Pin("NHA_GROUP", NexthopAttribute.group, NHA_GROUP),
            Pin("NHA_GROUP_TYPE", NexthopAttribute.groupType, NHA_GROUP_TYPE), Pin("NHA_BLACKHOLE", NexthopAttribute.blackhole, NHA_BLACKHOLE),
            Pin("NHA_OIF", NexthopAttribute.outputInterface, NHA_OIF), Pin("NHA_GATEWAY", NexthopAttribute.gateway, NHA_GATEWAY),
            Pin("NHA_ENCAP_TYPE", NexthopAttribute.encapType, NHA_ENCAP_TYPE), Pin("NHA_ENCAP", NexthopAttribute.encap, NHA_ENCAP),
            Pin("NHA_GROUPS", NexthopAttribute.groups, NHA_GROUPS), Pin("NHA_MASTER", NexthopAttribute.master, NHA_MASTER),
            Pin("NHA_FDB", NexthopAttribute.fdb, NHA_FDB), Pin("NHA_RES_GROUP", NexthopAttribute.resilientGroup, NHA_RES_GROUP),
            Pin("NHA_RES_BUCKET", NexthopAttribute.resilientBucket, NHA_RES_BUCKET),
        ], everyCaseOf: NexthopAttribute.self)
        expectPinned([
            Pin("NHA_RES_GROUP_BUCKETS", ResilientGroupAttribute.buckets, NHA_RES_GROUP_BUCKETS),
            Pin("NHA_RES_GROUP_IDLE_TIMER", ResilientGroupAttribute.idleTimer, NHA_RES_GROUP_IDLE_TIMER),
            Pin("NHA_RES_GROUP_UNBALANCED_TIMER", ResilientGroupAttribute.unbalancedTimer, NHA_RES_GROUP_UNBALANCED_TIMER),
            Pin("NHA_RES_GROUP_UNBALANCED_TIME", ResilientGroupAttribute.unbalancedTime, NHA_RES_GROUP_UNBALANCED_TIME),
        ], everyCaseOf: ResilientGroupAttribute.self)
        expectPinned([
            Pin("NHA_RES_BUCKET_INDEX", ResilientBucketAttribute.index, NHA_RES_BUCKET_INDEX),
            Pin("NHA_RES_BUCKET_IDLE_TIME", ResilientBucketAttribute.idleTime, NHA_RES_BUCKET_IDLE_TIME),
            Pin("NHA_RES_BUCKET_NH_ID", ResilientBucketAttribute.nexthopID, NHA_RES_BUCKET_NH_ID),
        ], everyCaseOf: ResilientBucketAttribute.self)
    }

    @Test func ruleAttributes() {
        expectPinned([
            Pin("FRA_DST", RuleAttribute.destination, FRA_DST), Pin("FRA_SRC", RuleAttribute.source, FRA_SRC),
            Pin("FRA_IIFNAME", RuleAttribute.inputInterface, FRA_IIFNAME), Pin("FRA_GOTO", RuleAttribute.goto, FRA_GOTO),
            Pin("FRA_PRIORITY", RuleAttribute.priority, FRA_PRIORITY), Pin("FRA_FWMARK", RuleAttribute.fwmark, FRA_FWMARK),
            Pin("FRA_FLOW", RuleAttribute.flow, FRA_FLOW), Pin("FRA_TUN_ID", RuleAttribute.tunnelID, FRA_TUN_ID),
            Pin("FRA_SUPPRESS_IFGROUP", RuleAttribute.suppressIfgroup, FRA_SUPPRESS_IFGROUP),
            Pin("FRA_SUPPRESS_PREFIXLEN", RuleAttribute.suppressPrefixLength, FRA_SUPPRESS_PREFIXLEN),
            Pin("FRA_TABLE", RuleAttribute.table, FRA_TABLE), Pin("FRA_FWMASK", RuleAttribute.fwmask, FRA_FWMASK),
            Pin("FRA_OIFNAME", RuleAttribute.outputInterface, FRA_OIFNAME), Pin("FRA_PAD", RuleAttribute.pad, FRA_PAD),
            Pin("FRA_L3MDEV", RuleAttribute.l3mdev, FRA_L3MDEV), Pin("FRA_UID_RANGE", RuleAttribute.uidRange, FRA_UID_RANGE),
            Pin("FRA_PROTOCOL", RuleAttribute.protocolID, FRA_PROTOCOL), Pin("FRA_IP_PROTO", RuleAttribute.ipProto, FRA_IP_PROTO),
            Pin("FRA_SPORT_RANGE", RuleAttribute.sportRange, FRA_SPORT_RANGE), Pin("FRA_DPORT_RANGE", RuleAttribute.dportRange, FRA_DPORT_RANGE),
        ], everyCaseOf: RuleAttribute.self)
    }

    @Test func messagesAndTheirFlags() {
        expectPinned([
            Pin("RTM_NEWLINK", RouteMessageType.newLink, RTM_NEWLINK), Pin("RTM_DELLINK", RouteMessageType.deleteLink, RTM_DELLINK),
            Pin("RTM_GETLINK", RouteMessageType.getLink, RTM_GETLINK), Pin("RTM_SETLINK", RouteMessageType.setLink, RTM_SETLINK),
            Pin("RTM_NEWADDR", RouteMessageType.newAddress, RTM_NEWADDR), Pin("RTM_DELADDR", RouteMessageType.deleteAddress, RTM_DELADDR),
            Pin("RTM_GETADDR", RouteMessageType.getAddress, RTM_GETADDR), Pin("RTM_NEWROUTE", RouteMessageType.newRoute, RTM_NEWROUTE),
            Pin("RTM_DELROUTE", RouteMessageType.deleteRoute, RTM_DELROUTE), Pin("RTM_GETROUTE", RouteMessageType.getRoute, RTM_GETROUTE),
            Pin("RTM_NEWRULE", RouteMessageType.newRule, RTM_NEWRULE), Pin("RTM_DELRULE", RouteMessageType.deleteRule, RTM_DELRULE),
            Pin("RTM_GETRULE", RouteMessageType.getRule, RTM_GETRULE), Pin("RTM_NEWNEXTHOP", RouteMessageType.newNexthop, RTM_NEWNEXTHOP),
            Pin("RTM_DELNEXTHOP", RouteMessageType.deleteNexthop, RTM_DELNEXTHOP),
            Pin("RTM_GETNEXTHOP", RouteMessageType.getNexthop, RTM_GETNEXTHOP),
            Pin("RTM_NEWNEXTHOPBUCKET", RouteMessageType.newNexthopBucket, RTM_NEWNEXTHOPBUCKET),
            Pin("RTM_DELNEXTHOPBUCKET", RouteMessageType.deleteNexthopBucket, RTM_DELNEXTHOPBUCKET),
            Pin("RTM_GETNEXTHOPBUCKET", RouteMessageType.getNexthopBucket, RTM_GETNEXTHOPBUCKET),
            Pin("RTM_NEWNSID", RouteMessageType.newNamespaceID, RTM_NEWNSID),
            Pin("RTM_DELNSID", RouteMessageType.deleteNamespaceID, RTM_DELNSID),
            Pin("RTM_GETNSID", RouteMessageType.getNamespaceID, RTM_GETNSID),
        ], everyCaseOf: RouteMessageType.self)
        expectPinned([
            Pin("NETNSA_NSID", NamespaceIDAttribute.nsid, NETNSA_NSID), Pin("NETNSA_PID", NamespaceIDAttribute.pid, NETNSA_PID),
            Pin("NETNSA_FD", NamespaceIDAttribute.fd, NETNSA_FD),
        ], everyCaseOf: NamespaceIDAttribute.self)
        expectPinned([
            Pin("NLM_F_REQUEST", NetlinkFlags.request, NLM_F_REQUEST), Pin("NLM_F_MULTI", NetlinkFlags.multi, NLM_F_MULTI),
            Pin("NLM_F_ACK", NetlinkFlags.ack, NLM_F_ACK), Pin("NLM_F_ECHO", NetlinkFlags.echo, NLM_F_ECHO),
            Pin("NLM_F_DUMP_INTR", NetlinkFlags.dumpInterrupted, NLM_F_DUMP_INTR),
            // NLM_F_DUMP is an expression the importer drops.
            Pin("NLM_F_ROOT | NLM_F_MATCH", NetlinkFlags.dump, NLM_F_ROOT | NLM_F_MATCH),
            Pin("NLM_F_REPLACE", NetlinkFlags.replace, NLM_F_REPLACE), Pin("NLM_F_EXCL", NetlinkFlags.exclusive, NLM_F_EXCL),
            Pin("NLM_F_CREATE", NetlinkFlags.create, NLM_F_CREATE), Pin("NLM_F_APPEND", NetlinkFlags.append, NLM_F_APPEND),
            Pin("NLM_F_CAPPED", NetlinkFlags.capped, NLM_F_CAPPED), Pin("NLM_F_ACK_TLVS", NetlinkFlags.ackTLVs, NLM_F_ACK_TLVS),
        ])
        expectPinned([
            Pin("NLMSGERR_ATTR_MSG", ExtendedAckAttribute.message, NLMSGERR_ATTR_MSG),
            Pin("NLMSGERR_ATTR_OFFS", ExtendedAckAttribute.offset, NLMSGERR_ATTR_OFFS),
        ], everyCaseOf: ExtendedAckAttribute.self)
        expectPinned([
            Pin("AF_UNSPEC", AddressFamily.unspecified, AF_UNSPEC), Pin("AF_INET", AddressFamily.inet, AF_INET),
            Pin("AF_INET6", AddressFamily.inet6, AF_INET6),
        ], everyCaseOf: AddressFamily.self)
    }

    @Test func headerSizes() {
        #expect(MemoryLayout<fib_rule_hdr>.size == 12 && MemoryLayout<nhmsg>.size == 8)
    }

    // MARK: The values of headers and attributes (typed values)

    @Test func typedValues() {
        expectPinned(Self.typedValues)
    }

    /// Every named static of a typed value says which C constant it copies, and that
    /// constant is pinned above: a static added without a pin fails here.
    @Test func everyTypedValueIsPinned() throws {
        let directory = repositoryRoot + "/Sources/Netlink/Route"
        let files = try #require(swiftFiles(in: directory), "cannot read \(directory)")
        let pinned = Set(Self.typedValues.map(\.name))
        var statics = 0
        for file in files {
            let lines = try #require(readFile(directory + "/" + file)).split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where line.contains("public static var ") {
                statics += 1
                let documentation = lines[..<index].reversed().prefix { $0.drop { $0 == " " }.hasPrefix("///") }
                    .reversed().joined(separator: " ")
                let names = cConstants(in: documentation)
                #expect(!names.isEmpty, "\(file): \(line.drop { $0 == " " }) does not name its C constant")
                for name in names { #expect(pinned.contains(name), "\(file): \(name) is not pinned") }
            }
        }
        #expect(statics >= Self.typedValues.count - 2, "the typed values were not found in \(directory)")
    }

    /// The C names a static's documentation gives ("The C constant is `RT_SCOPE_LINK`").
    private func cConstants(in documentation: String) -> [String] {
        guard let range = documentation.firstRange(of: "The C constant") else { return [] }
        return documentation[range.upperBound...].split(separator: "`", omittingEmptySubsequences: false)
            .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    static let typedValues = [
        Pin("RT_SCOPE_UNIVERSE", RouteScope.universe, RT_SCOPE_UNIVERSE), Pin("RT_SCOPE_SITE", RouteScope.site, RT_SCOPE_SITE),
        Pin("RT_SCOPE_LINK", RouteScope.link, RT_SCOPE_LINK), Pin("RT_SCOPE_HOST", RouteScope.host, RT_SCOPE_HOST),
        Pin("RT_SCOPE_NOWHERE", RouteScope.nowhere, RT_SCOPE_NOWHERE),

        Pin("RTPROT_UNSPEC", RouteProtocol.unspecified, RTPROT_UNSPEC), Pin("RTPROT_REDIRECT", RouteProtocol.redirect, RTPROT_REDIRECT),
        Pin("RTPROT_KERNEL", RouteProtocol.kernel, RTPROT_KERNEL), Pin("RTPROT_BOOT", RouteProtocol.boot, RTPROT_BOOT),
        Pin("RTPROT_STATIC", RouteProtocol.static, RTPROT_STATIC), Pin("RTPROT_GATED", RouteProtocol.gated, RTPROT_GATED),
        Pin("RTPROT_RA", RouteProtocol.routerAdvertisement, RTPROT_RA), Pin("RTPROT_MRT", RouteProtocol.mrt, RTPROT_MRT),
        Pin("RTPROT_ZEBRA", RouteProtocol.zebra, RTPROT_ZEBRA), Pin("RTPROT_BIRD", RouteProtocol.bird, RTPROT_BIRD),
        Pin("RTPROT_DNROUTED", RouteProtocol.dnrouted, RTPROT_DNROUTED), Pin("RTPROT_XORP", RouteProtocol.xorp, RTPROT_XORP),
        Pin("RTPROT_NTK", RouteProtocol.netsukuku, RTPROT_NTK), Pin("RTPROT_DHCP", RouteProtocol.dhcp, RTPROT_DHCP),
        Pin("RTPROT_MROUTED", RouteProtocol.mrouted, RTPROT_MROUTED), Pin("RTPROT_KEEPALIVED", RouteProtocol.keepalived, RTPROT_KEEPALIVED),
        Pin("RTPROT_BABEL", RouteProtocol.babel, RTPROT_BABEL), Pin("RTPROT_OPENR", RouteProtocol.openR, RTPROT_OPENR),
        Pin("RTPROT_BGP", RouteProtocol.bgp, RTPROT_BGP), Pin("RTPROT_ISIS", RouteProtocol.isis, RTPROT_ISIS),
        Pin("RTPROT_OSPF", RouteProtocol.ospf, RTPROT_OSPF), Pin("RTPROT_RIP", RouteProtocol.rip, RTPROT_RIP),
        Pin("RTPROT_EIGRP", RouteProtocol.eigrp, RTPROT_EIGRP),

        Pin("RT_TABLE_UNSPEC", RouteTable.unspecified, RT_TABLE_UNSPEC), Pin("RT_TABLE_COMPAT", RouteTable.compat, RT_TABLE_COMPAT),
        Pin("RT_TABLE_DEFAULT", RouteTable.default, RT_TABLE_DEFAULT), Pin("RT_TABLE_MAIN", RouteTable.main, RT_TABLE_MAIN),
        Pin("RT_TABLE_LOCAL", RouteTable.local, RT_TABLE_LOCAL),

        Pin("RTN_UNSPEC", RouteType.unspecified, RTN_UNSPEC), Pin("RTN_UNICAST", RouteType.unicast, RTN_UNICAST),
        Pin("RTN_LOCAL", RouteType.local, RTN_LOCAL), Pin("RTN_BROADCAST", RouteType.broadcast, RTN_BROADCAST),
        Pin("RTN_ANYCAST", RouteType.anycast, RTN_ANYCAST), Pin("RTN_MULTICAST", RouteType.multicast, RTN_MULTICAST),
        Pin("RTN_BLACKHOLE", RouteType.blackhole, RTN_BLACKHOLE), Pin("RTN_UNREACHABLE", RouteType.unreachable, RTN_UNREACHABLE),
        Pin("RTN_PROHIBIT", RouteType.prohibit, RTN_PROHIBIT), Pin("RTN_THROW", RouteType.throw, RTN_THROW),
        Pin("RTN_NAT", RouteType.nat, RTN_NAT), Pin("RTN_XRESOLVE", RouteType.externalResolve, RTN_XRESOLVE),

        Pin("ICMPV6_ROUTER_PREF_MEDIUM", RoutePreference.medium, ICMPV6_ROUTER_PREF_MEDIUM),
        Pin("ICMPV6_ROUTER_PREF_HIGH", RoutePreference.high, ICMPV6_ROUTER_PREF_HIGH),
        Pin("ICMPV6_ROUTER_PREF_INVALID", RoutePreference.invalid, ICMPV6_ROUTER_PREF_INVALID),
        Pin("ICMPV6_ROUTER_PREF_LOW", RoutePreference.low, ICMPV6_ROUTER_PREF_LOW),

        Pin("RTNH_F_DEAD", RouteFlags.dead, RTNH_F_DEAD), Pin("RTNH_F_PERVASIVE", RouteFlags.pervasive, RTNH_F_PERVASIVE),
        Pin("RTNH_F_ONLINK", RouteFlags.onlink, RTNH_F_ONLINK), Pin("RTNH_F_OFFLOAD", RouteFlags.offload, RTNH_F_OFFLOAD),
        Pin("RTNH_F_LINKDOWN", RouteFlags.linkdown, RTNH_F_LINKDOWN), Pin("RTNH_F_UNRESOLVED", RouteFlags.unresolved, RTNH_F_UNRESOLVED),
        Pin("RTNH_F_TRAP", RouteFlags.trap, RTNH_F_TRAP),
        Pin("RTM_F_NOTIFY", RouteFlags.notify, RTM_F_NOTIFY), Pin("RTM_F_CLONED", RouteFlags.cloned, RTM_F_CLONED),
        Pin("RTM_F_EQUALIZE", RouteFlags.equalize, RTM_F_EQUALIZE), Pin("RTM_F_PREFIX", RouteFlags.prefix, RTM_F_PREFIX),
        Pin("RTM_F_LOOKUP_TABLE", RouteFlags.lookupTable, RTM_F_LOOKUP_TABLE), Pin("RTM_F_FIB_MATCH", RouteFlags.fibMatch, RTM_F_FIB_MATCH),
        Pin("RTM_F_OFFLOAD", RouteFlags.routeOffload, RTM_F_OFFLOAD), Pin("RTM_F_TRAP", RouteFlags.routeTrap, RTM_F_TRAP),
        Pin("RTM_F_OFFLOAD_FAILED", RouteFlags.routeOffloadFailed, RTM_F_OFFLOAD_FAILED),

        Pin("RTCF_NOTIFY", RouteCacheFlags.notify, RTCF_NOTIFY), Pin("RTCF_DIRECTDST", RouteCacheFlags.directDestination, RTCF_DIRECTDST),
        Pin("RTCF_REDIRECTED", RouteCacheFlags.redirected, RTCF_REDIRECTED), Pin("RTCF_TPROXY", RouteCacheFlags.transparentProxy, RTCF_TPROXY),
        Pin("RTCF_FAST", RouteCacheFlags.fast, RTCF_FAST), Pin("RTCF_MASQ", RouteCacheFlags.masquerade, RTCF_MASQ),
        Pin("RTCF_SNAT", RouteCacheFlags.sourceNAT, RTCF_SNAT), Pin("RTCF_DOREDIRECT", RouteCacheFlags.doRedirect, RTCF_DOREDIRECT),
        Pin("RTCF_DIRECTSRC", RouteCacheFlags.directSource, RTCF_DIRECTSRC), Pin("RTCF_DNAT", RouteCacheFlags.destinationNAT, RTCF_DNAT),
        Pin("RTCF_BROADCAST", RouteCacheFlags.broadcast, RTCF_BROADCAST), Pin("RTCF_MULTICAST", RouteCacheFlags.multicast, RTCF_MULTICAST),
        Pin("RTCF_REJECT", RouteCacheFlags.reject, RTCF_REJECT), Pin("RTCF_LOCAL", RouteCacheFlags.local, RTCF_LOCAL),

        Pin("IFA_F_SECONDARY", AddressFlags.secondary, IFA_F_SECONDARY), Pin("IFA_F_TEMPORARY", AddressFlags.secondary, IFA_F_TEMPORARY),
        Pin("IFA_F_NODAD", AddressFlags.noDAD, IFA_F_NODAD), Pin("IFA_F_OPTIMISTIC", AddressFlags.optimistic, IFA_F_OPTIMISTIC),
        Pin("IFA_F_DADFAILED", AddressFlags.dadFailed, IFA_F_DADFAILED), Pin("IFA_F_HOMEADDRESS", AddressFlags.homeAddress, IFA_F_HOMEADDRESS),
        Pin("IFA_F_DEPRECATED", AddressFlags.deprecated, IFA_F_DEPRECATED), Pin("IFA_F_TENTATIVE", AddressFlags.tentative, IFA_F_TENTATIVE),
        Pin("IFA_F_PERMANENT", AddressFlags.permanent, IFA_F_PERMANENT),
        Pin("IFA_F_MANAGETEMPADDR", AddressFlags.manageTemporaryAddress, IFA_F_MANAGETEMPADDR),
        Pin("IFA_F_NOPREFIXROUTE", AddressFlags.noPrefixRoute, IFA_F_NOPREFIXROUTE),
        Pin("IFA_F_MCAUTOJOIN", AddressFlags.multicastAutoJoin, IFA_F_MCAUTOJOIN),
        Pin("IFA_F_STABLE_PRIVACY", AddressFlags.stablePrivacy, IFA_F_STABLE_PRIVACY),
        Pin("IFAPROT_UNSPEC", AddressProtocol.unspecified, IFAPROT_UNSPEC),
        Pin("IFAPROT_KERNEL_LO", AddressProtocol.kernelLoopback, IFAPROT_KERNEL_LO),
        Pin("IFAPROT_KERNEL_RA", AddressProtocol.kernelRouterAdvertisement, IFAPROT_KERNEL_RA),
        Pin("IFAPROT_KERNEL_LL", AddressProtocol.kernelLinkLocal, IFAPROT_KERNEL_LL),

        Pin("FR_ACT_UNSPEC", RuleAction.unspecified, FR_ACT_UNSPEC), Pin("FR_ACT_TO_TBL", RuleAction.toTable, FR_ACT_TO_TBL),
        Pin("FR_ACT_GOTO", RuleAction.goto, FR_ACT_GOTO), Pin("FR_ACT_NOP", RuleAction.nop, FR_ACT_NOP),
        Pin("FR_ACT_BLACKHOLE", RuleAction.blackhole, FR_ACT_BLACKHOLE), Pin("FR_ACT_UNREACHABLE", RuleAction.unreachable, FR_ACT_UNREACHABLE),
        Pin("FR_ACT_PROHIBIT", RuleAction.prohibit, FR_ACT_PROHIBIT), Pin("RTN_NAT", RuleAction.nat, RTN_NAT),

        Pin("FIB_RULE_PERMANENT", RuleFlags.permanent, FIB_RULE_PERMANENT), Pin("FIB_RULE_INVERT", RuleFlags.invert, FIB_RULE_INVERT),
        Pin("FIB_RULE_UNRESOLVED", RuleFlags.unresolved, FIB_RULE_UNRESOLVED),
        Pin("FIB_RULE_IIF_DETACHED", RuleFlags.inputInterfaceDetached, FIB_RULE_IIF_DETACHED),
        Pin("FIB_RULE_DEV_DETACHED", RuleFlags.inputInterfaceDetached, FIB_RULE_DEV_DETACHED),
        Pin("FIB_RULE_OIF_DETACHED", RuleFlags.outputInterfaceDetached, FIB_RULE_OIF_DETACHED),
        Pin("FIB_RULE_FIND_SADDR", RuleFlags.findSourceAddress, FIB_RULE_FIND_SADDR),

        Pin("NEXTHOP_GRP_TYPE_MPATH", NexthopGroupType.multipath, NEXTHOP_GRP_TYPE_MPATH),
        Pin("NEXTHOP_GRP_TYPE_RES", NexthopGroupType.resilient, NEXTHOP_GRP_TYPE_RES),
    ]
}

/// The repository's root, found from this file's path.
private let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

private func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The names of the Swift files in a directory.
private func swiftFiles(in directory: String) -> [String]? {
    guard let handle = opendir(directory) else { return nil }
    defer { closedir(handle) }
    var files: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasSuffix(".swift") { files.append(name) }
    }
    return files.sorted()
}
