// The generic rtnetlink attribute spaces. Values are the uapi's (linux/if_link.h,
// if_addr.h, rtnetlink.h, nexthop.h, fib_rules.h); a unit test pins them to the
// C constants. Spaces that belong to one link kind live with that kind.

/// IFLA_*: attributes of RTM_NEWLINK / RTM_GETLINK.
public enum LinkAttribute: UInt16, NetlinkAttributeType {
    case address = 1, broadcast, ifname, mtu, link, qdisc, stats
    case master = 10
    case txqlen = 13
    case operstate = 16, linkmode, linkinfo, netnsPID, ifalias
    case stats64 = 23
    case afSpec = 26, group, netnsFD, extMask, promiscuity, numTxQueues, numRxQueues, carrier
    case carrierChanges = 35
    case linkNetnsID = 37
    case protoDown = 39, gsoMaxSegs, gsoMaxSize
    case targetNetnsID = 46
    case carrierUpCount = 47, carrierDownCount, newIfindex, minMTU, maxMTU
    case permAddress = 54
    case parentDeviceName = 56, parentDeviceBusName, groMaxSize, tsoMaxSize, tsoMaxSegs, allmulti
}

/// NETNSA_*: attributes of RTM_NEWNSID / RTM_GETNSID (linux/net_namespace.h).
public enum NamespaceIDAttribute: UInt16, NetlinkAttributeType {
    case nsid = 1, pid, fd
}

/// Inside IFLA_AF_SPEC of a link: one nest per address family, whose type is the
/// family (AF_INET, AF_INET6).
public enum LinkAddressFamilyAttribute: UInt16, NetlinkAttributeType {
    case inet = 2
    case inet6 = 10
}

/// IFLA_INET6_*: inside IFLA_AF_SPEC's AF_INET6 nest.
public enum Inet6LinkAttribute: UInt16, NetlinkAttributeType {
    case flags = 1, configuration, statistics, multicast, cacheInfo, icmp6Statistics, token, addressGenerationMode, routerAdvertisementMTU
}

/// IFLA_INFO_*: inside IFLA_LINKINFO.
public enum LinkInfoAttribute: UInt16, NetlinkAttributeType {
    case kind = 1, data, xstats, slaveKind, slaveData
}

/// IFA_*: attributes of RTM_NEWADDR.
public enum AddressAttribute: UInt16, NetlinkAttributeType {
    case address = 1, local, label, broadcast, anycast, cacheInfo, multicast, flags, routePriority, targetNetnsID, protocolID
}

/// RTA_*: attributes of RTM_NEWROUTE (and of each nexthop in RTA_MULTIPATH).
public enum RouteAttribute: UInt16, NetlinkAttributeType {
    case destination = 1, source, inputInterface, outputInterface, gateway, priority, preferredSource, metrics, multipath
    case flow = 11, cacheInfo
    case table = 15, mark, mfcStats, via, newDestination, preference, encapType, encap, expires, pad, uid, ttlPropagate, ipProto, sport, dport, nexthopID
}

/// RTAX_*: inside RTA_METRICS.
public enum RouteMetric: UInt16, NetlinkAttributeType, CaseIterable {
    case lock = 1, mtu, window, rtt, rttvar, ssthresh, cwnd, advmss, reordering, hoplimit, initcwnd, features, rtoMin, initrwnd, quickack, congestionControl, fastopenNoCookie
}

extension RouteMetric {
    /// RTAX_FEATURE_ECN: the bit of RTAX_FEATURES that asks for ECN.
    public static let ecnFeature: UInt32 = 1
}

/// LWTUNNEL_ENCAP_*: RTA_ENCAP_TYPE, what a route's lightweight-tunnel encapsulation is.
public enum EncapsulationType: UInt16, Sendable, CaseIterable {
    case none = 0, mpls, ip, ila, ip6, seg6, bpf, seg6Local, rpl, ioam6, xfrm
}

/// LWTUNNEL_IP_*: inside RTA_ENCAP of an ip encapsulation.
public enum IPEncapAttribute: UInt16, NetlinkAttributeType, CaseIterable {
    case id = 1, destination, source, ttl, tos, flags, pad, options
}

/// LWTUNNEL_IP6_*: inside RTA_ENCAP of an ip6 encapsulation.
public enum IP6EncapAttribute: UInt16, NetlinkAttributeType, CaseIterable {
    case id = 1, destination, source, hoplimit, trafficClass, flags, pad, options
}

/// NHA_*: attributes of RTM_NEWNEXTHOP.
public enum NexthopAttribute: UInt16, NetlinkAttributeType {
    case id = 1, group, groupType, blackhole, outputInterface, gateway, encapType, encap, groups, master, fdb, resilientGroup, resilientBucket
}

/// NHA_RES_GROUP_*: inside NHA_RES_GROUP.
public enum ResilientGroupAttribute: UInt16, NetlinkAttributeType {
    case buckets = 1, idleTimer, unbalancedTimer, unbalancedTime
}

/// NHA_RES_BUCKET_*: inside NHA_RES_BUCKET (RTM_NEWNEXTHOPBUCKET, and a bucket dump's filter).
public enum ResilientBucketAttribute: UInt16, NetlinkAttributeType {
    case index = 1, idleTime, nexthopID
}

/// FRA_*: attributes of RTM_NEWRULE.
public enum RuleAttribute: UInt16, NetlinkAttributeType {
    case destination = 1, source, inputInterface
    case goto = 4
    case priority = 6
    case fwmark = 10, flow, tunnelID, suppressIfgroup, suppressPrefixLength, table, fwmask, outputInterface, pad, l3mdev, uidRange, protocolID, ipProto, sportRange, dportRange
}
