import CMnl
import Testing
@testable import GreKit

/// The body (after nlmsghdr) of the request `route VERB WORDS` sends, in hex.
private func route(_ text: String, _ change: RouteChange = .add, family: AddressFamily = .unspecified) throws -> String {
    let route = try RouteRequest.parse(words(text), change, family: family, devices: FakeDevices())
    return hex(try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { try route.encode($0) }.dropFirst(16))
}

@Suite struct RouteWordTests {
    @Test func everyWordOfAUnicastRoute() throws {
        let bytes = try route("203.0.113.0/24 via 10.0.0.2 dev va src 10.0.0.1 metric 5 table 1000 proto static mtu lock 1400 advmss 1300 onlink")
        let expected = [
            "02180000", "00040001", "04000000",    // rtmsg: inet /24, table 0 (1000 travels in RTA_TABLE), static, universe, unicast; onlink
            "08000f00e8030000",                    // RTA_TABLE 1000
            "08000100cb007100",                    // RTA_DST 203.0.113.0
            "0800060005000000",                    // RTA_PRIORITY 5
            "080007000a000001",                    // RTA_PREFSRC 10.0.0.1
            "080005000a000002",                    // RTA_GATEWAY 10.0.0.2
            "0800040007000000",                    // RTA_OIF 7 (va)
            "1c000880", "0800010004000000",        // RTA_METRICS: RTAX_LOCK bit 2 (mtu)
            "0800020078050000", "0800080014050000", // RTAX_MTU 1400, RTAX_ADVMSS 1300
        ]
        #expect(bytes == expected.joined())
    }

    @Test func defaultsAreIproute2s() throws {
        // No gateway: scope link; table main by name; protocol boot.
        #expect(try route("default dev eth0 table main") == "02000000" + "fe03fd01" + "00000000" + "0800040005000000")
        // A type before the prefix; the scope given wins.
        #expect(try route("blackhole 192.0.2.0/24 scope host table 100") == "02180000" + "6403fe06" + "00000000" + "08000100c0000200")
        // A delete names protocol 0, scope nowhere, type 0, so that it matches any route.
        #expect(try route("192.0.2.0/24", .delete) == "02180000" + "fe00ff00" + "00000000" + "08000100c0000200")
        // Local routes go to table local, with host scope.
        #expect(try route("local 192.0.2.1 dev va").hasPrefix("02200000" + "ff03fe02"))
        #expect(try route("default dev va", family: .inet6).hasPrefix("0a000000" + "fe030001"))
    }

    @Test func anIPv6RouteSaysTheMetricTheKernelGivesIt() throws {
        // The kernel makes an IPv6 route's metric 0, or none, 1024; sent, the delete that
        // takes back an add (a batch's undo) matches that route, not one of a lower metric.
        let metric1024 = "0800060000040000"
        #expect(try route("2001:db8:5::/64 dev va").contains(metric1024))
        #expect(try route("2001:db8:5::/64 dev va metric 0").contains(metric1024))
        #expect(try route("2001:db8:5::/64 dev va", .replace).contains(metric1024))
        #expect(try route("2001:db8:5::/64 dev va metric 100").contains("0800060064000000"))
        // A delete without a metric still matches any, as iproute2's; an IPv4 route keeps none.
        #expect(!(try route("2001:db8:5::/64", .delete).contains("08000600")))
        #expect(!(try route("192.0.2.0/24 dev va").contains("08000600")))
    }

    @Test func multipathLegsWithWeightsAndFlags() throws {
        let bytes = try route("192.0.2.0/24 nexthop via 10.0.0.2 dev va weight 3 nexthop via 10.0.0.6 dev eth0 onlink")
        let expected = [
            "02180000", "fe030001", "00000000", "08000100c0000200",
            "24000900",                                // RTA_MULTIPATH, not a nest
            "10000002", "07000000", "080005000a000002", // leg: len 16, flags 0, weight 3 stored as 2, va, gateway
            "10000400", "05000000", "080005000a000006", // leg: onlink, weight 1 stored as 0, eth0
        ]
        #expect(bytes == expected.joined())
    }

    @Test func nexthopObjectsAndIPv6Preference() throws {
        #expect(try route("192.0.2.0/24 nhid 7") == "02180000" + "fe030001" + "00000000" + "08000100c0000200" + "08001e0007000000")
        #expect(try route("2001:db8::/32 via 2001:db8::2 pref high")
                == "0a200000" + "fe030001" + "00000000" + "1400010020010db8000000000000000000000000"
                + "0800060000040000" + "1400050020010db8000000000000000000000002" + "0500140001000000")
        // An IPv4 route through an IPv6 gateway: RTA_VIA (family, then address).
        #expect(try route("198.51.100.0/24 via inet6 2001:db8::1 dev va").contains("16001200" + "0a00" + "20010db8"))
    }

    @Test func wordsAreRefusedWithTheirName() {
        let devices = FakeDevices()
        func refusal(_ text: String, _ change: RouteChange = .add) -> String? {
            do {
                _ = try RouteRequest.parse(words(text), change, family: .unspecified, devices: devices)
                return nil
            } catch let error as InvalidArgument {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("203.0.113.1/24 dev va") == "invalid destination \"203.0.113.1/24\": bits are set past the prefix length (the prefix is 203.0.113.0/24)")
        #expect(refusal("2001:db8::1/64 dev va")?.hasPrefix("invalid destination \"2001:db8::1/64\": bits are set") == true)
        #expect(refusal("10.0.0.0/33 dev va") == "invalid destination \"10.0.0.0/33\": expected an IPv4 or IPv6 prefix (ADDRESS/LENGTH or ADDRESS/NETMASK)")
        // Numbers iproute2 reads otherwise than their digits say (strtoul, base 0): refused, named.
        #expect(refusal("10.010.0.0/16 dev va") == "invalid destination \"10.010.0.0/16\": \"010\" has a leading zero, which iproute2 reads as octal; write 10.8.0.0/16 or 10.10.0.0/16")
        #expect(refusal("192.0.2.0/24 via 10.0.0.09") == "invalid via \"10.0.0.09\": \"09\" has a leading zero, which iproute2 reads as octal; write 10.0.0.9")
        #expect(refusal("192.0.2.0/24 via 0x0a.0.0.2") == "invalid via \"0x0a.0.0.2\": \"0x0a\" is hexadecimal; write 10.0.0.2")
        #expect(refusal("10.0.0.0/010 dev va") == "invalid destination \"10.0.0.0/010\": \"010\" has a leading zero, which iproute2 reads as octal; write 10.0.0.0/8 or 10.0.0.0/10")
        #expect(refusal("10.0.0.0/255.0.255.0 dev va") == "invalid destination \"10.0.0.0/255.0.255.0\": the netmask 255.0.255.0 is not contiguous (its one bits must lead, as in 255.255.0.0)")
        #expect(refusal("192.0.2.0/24 dev va table nosuch") == "invalid table \"nosuch\": expected a number or a name from /etc/iproute2/rt_tables")
        // Found by fuzzing (gretool-fuzz apply): an empty name, or one with blanks, which no words could write back.
        for name in ["", "a b", "bbr\t"] {
            #expect(throws: InvalidArgument.badValue("congctl", name, expected: "the name of a congestion control algorithm")) {
                try RouteRequest.parse(["192.0.2.0/24", "dev", "va", "congctl", name], .add, family: .unspecified, devices: devices)
            }
        }
        #expect(refusal("192.0.2.0/24 nexthop via 10.0.0.2 weight 0") == "invalid weight \"0\": expected a number 1..256")
        #expect(refusal("192.0.2.0/24 nexthop via 10.0.0.2 weight 257") == "invalid weight \"257\": expected a number 1..256")
        #expect(refusal("192.0.2.0/24 nexthop dev va bogus") == "\"nexthop\" or the end of the line expected instead of \"bogus\"")
        #expect(refusal("192.0.2.0/24 via 2001:db8::1") == "via 2001:db8::1 is IPv6, but the route is IPv4")
        #expect(refusal("192.0.2.0/24 dev va 198.51.100.0/24") == "unknown word \"198.51.100.0/24\" in route add")
        #expect(refusal("192.0.2.0/24 hoplimit 256") == "invalid hoplimit \"256\": expected a number 0..255")
        #expect(refusal("dev va", .delete) == "route delete: no destination given (a prefix or \"default\")")
        #expect(refusal("192.0.2.0/24 dev nosuch") == "cannot find device \"nosuch\"")
        // A nexthop object excludes a gateway, a device and legs: the kernel refuses
        // them together (gretool used to drop what was typed beside the object).
        let reason = "exclude each other: a route on a nexthop object takes its gateway and device from the object"
        #expect(refusal("10.40.0.0/16 via 10.1.0.2 nhid 1") == "\"nhid\" and \"via\" \(reason)")
        #expect(refusal("10.40.0.0/16 nhid 1 dev va") == "\"nhid\" and \"dev\" \(reason)")
        #expect(refusal("10.40.0.0/16 nhid 1 nexthop via 10.2.0.2", .replace) == "\"nhid\" and \"nexthop\" \(reason)")
        #expect(refusal("2001:db8:40::/64 via 2001:db8::2 nhid 3", .delete) == "\"nhid\" and \"via\" \(reason)")
        #expect(refusal("10.40.0.0/16 nhid 1 metric 5") == nil)
    }

    @Test func aSecondGatewayNeedsTheNexthopSyntax() {
        #expect(throws: InvalidArgument("duplicate \"via\": \"10.2.0.2\" is the second value")) {
            try RouteRequest.parse(words("10.44.0.0/16 via 10.1.0.2 via 10.2.0.2"), .add, family: .unspecified, devices: FakeDevices())
        }
    }

    @Test func tcpMetricsRealmsExpiryAndTTLPropagationAsIproute2SendsThem() throws {
        func parsed(_ text: String, family: AddressFamily = .unspecified) throws -> Route {
            try RouteRequest.parse(words(text), .add, family: family, devices: FakeDevices())
        }
        let route = try parsed("10.30.0.0/16 dev va rtt 12ms rttvar 1.5s features ecn rto_min 200ms quickack 1 congctl lock cubic fastopen_no_cookie 1")
        // rtt in eighths and rttvar in quarters of a millisecond; rto_min always locked.
        #expect(route.metrics[.rtt] == 96)
        #expect(route.metrics[.rttvar] == 6000)
        #expect(route.metrics[.features] == RouteMetric.ecnFeature)
        #expect(route.metrics[.rtoMin] == 200 && route.metrics.isLocked(.rtoMin))
        #expect(route.metrics[.quickack] == 1 && route.metrics[.fastopenNoCookie] == 1)
        #expect(route.metrics.congestionControl == "cubic" && route.metrics.isLocked(.congestionControl))
        // A number without a unit goes as it is; a fraction is rounded up.
        #expect(try parsed("10.30.0.0/16 dev va rtt lock 50 rttvar 2.5ms").metrics[.rtt] == 50)
        #expect(try parsed("10.30.0.0/16 dev va rtt lock 50").metrics.isLocked(.rtt))
        #expect(try parsed("10.30.0.0/16 dev va rttvar 2.5ms").metrics[.rttvar] == 12)
        // Realms: a number is RTA_FLOW itself, else [ FROM/ ] TO; "realm" abbreviates.
        #expect(try parsed("10.30.0.0/16 dev va realms 1/2").realms == 1 << 16 | 2)
        #expect(try parsed("10.30.0.0/16 dev va realms 1/").realms == 1 << 16)
        #expect(try parsed("10.30.0.0/16 dev va realm 7").realms == 7)
        #expect(try parsed("10.30.0.0/16 dev va realms 65536").realms == 65536)
        let expiring = try parsed("2001:db8:30::/64 dev va expires 100 ttl-propagate dis")
        #expect(expiring.opaque == [OpaqueAttribute(RouteAttribute.expires, UInt32(100)), OpaqueAttribute(RouteAttribute.ttlPropagate, UInt8(0))])
        func refusal(_ text: String) -> String? {
            do { _ = try parsed(text); return nil } catch { return (error as? InvalidArgument)?.message ?? "\(error)" }
        }
        #expect(refusal("10.30.0.0/16 dev va quickack 2") == "invalid quickack \"2\": expected a number 0..1")
        #expect(refusal("10.30.0.0/16 dev va features cwr") == "invalid features \"cwr\": expected ecn")
        #expect(refusal("10.30.0.0/16 dev va rtt 5x") == "invalid rtt \"5x\": expected a time such as 200ms or 1.5s")
        #expect(refusal("10.30.0.0/16 dev va realms 1/300")?.hasPrefix("invalid realms \"1/300\"") == true)
        #expect(refusal("10.30.0.0/16 dev va quickack lock 1") == "invalid quickack \"lock\": expected a number 0..1")
    }

    @Test func encapsulationsAsIproute2SendsThem() throws {
        let expected = [
            "02180000", "fe03fd01", "00000000",   // rtmsg: inet /24, main, boot, link, unicast
            "08000100cb007100", "0800040007000000", // RTA_DST, RTA_OIF 7 (va)
            "30001680",                           // RTA_ENCAP (nested)
            "0c0001000000000000000005",           // LWTUNNEL_IP_ID 5, big-endian
            "080002000a000002",                   // LWTUNNEL_IP_DST 10.0.0.2
            "05000500b8000000", "0500040009000000", // TOS 0xb8, TTL 9 (iproute2: in the words' order)
            "0600060000040000",                   // LWTUNNEL_IP_FLAGS: TUNNEL_KEY, big-endian
            "0600150002000000",                   // RTA_ENCAP_TYPE ip
        ]
        let sent = try route("203.0.113.0/24 dev va encap ip id 5 dst 10.0.0.2 ttl 9 tos 0xb8 key")
        #expect(sent == expected.joined())
        // A later encap replaces the first.
        let replaced = try route("203.0.113.0/24 dev va encap ip6 id 1 dst 2001:db8::1 encap ip id 5 dst 10.0.0.2 ttl 9 tos 0xb8 key")
        #expect(replaced == expected.joined())
    }

    @Test func legsTakeRealmsAndEncapsulations() throws {
        let route = try RouteRequest.parse(
            words("203.0.113.0/24 nexthop via 10.0.0.2 realms 1/2 encap ip6 id 7 dst 2001:db8::2 hoplimit 3 tc 0x10 csum nexthop dev va realm 4"),
            .add, family: .unspecified, devices: FakeDevices())
        #expect(route.nexthops.count == 2)
        #expect(route.nexthops[0].realms == 1 << 16 | 2 && route.nexthops[1].realms == 4)
        var encapsulation = RouteEncapsulation(type: .ip6)
        encapsulation.id = 7
        encapsulation.destination = IPAddress("2001:db8::2")
        encapsulation.ttl = 3
        encapsulation.tos = 0x10
        encapsulation.flags = .checksum
        #expect(route.nexthops[0].encapsulation == encapsulation)
        #expect(route.nexthops[1].encapsulation == nil && route.encapsulation == nil)
    }

    @Test func encapsulationAndAsRefusals() {
        func refusal(_ text: String) -> String? {
            do {
                _ = try RouteRequest.parse(words(text), .add, family: .unspecified, devices: FakeDevices())
                return nil
            } catch { return (error as? InvalidArgument)?.message ?? "\(error)" }
        }
        #expect(refusal("203.0.113.0/24 dev va encap mpls 100 200") == "encap mpls: gretool sends the ip and ip6 encapsulations only")
        #expect(refusal("203.0.113.0/24 dev va encap vxlan id 5") == "invalid encap \"vxlan\": expected ip or ip6")
        #expect(refusal("203.0.113.0/24 dev va encap ip id 5 id 6") == "duplicate \"id\": \"6\" is the second value")
        #expect(refusal("203.0.113.0/24 dev va encap ip dst 2001:db8::1 id 5")
                == "dst 2001:db8::1: encap ip takes an IPv4 address")
        #expect(refusal("203.0.113.0/24 dev va encap ip key") == "unexpected end of line after \"encap\"")
        // Each leg's encapsulation has its words once.
        #expect(refusal("203.0.113.0/24 nexthop via 10.0.0.2 encap ip id 5 dst 10.0.0.2 nexthop dev va encap ip id 5 dst 10.0.0.3") == nil)
        let asRefused = "\"as\" is the new destination of an MPLS route: an IPv4 or IPv6 route does not take it (the kernel ignores it)"
        #expect(refusal("203.0.113.0/24 dev va as 10.0.0.9") == asRefused)
        #expect(refusal("203.0.113.0/24 nexthop via 10.0.0.2 as to 10.0.0.9") == asRefused)
    }

    @Test func dsFieldNamesAndNumbers() throws {
        #expect(try Parse.dsfield("0x10", for: "tos") == 0x10)
        #expect(try Parse.dsfield("ff", for: "tos") == 0xff)
        #expect(RouteNames.dsfield(0x10) == "0x10")
        #expect(throws: InvalidArgument.self) { try Parse.dsfield("bogus", for: "tos") }
        // Debian's rt_dsfield (iproute2's package) names AF11 0x28 and EF 0xb8: a name
        // is read before a hexadecimal number, so EF is 0xb8, not 0xef.
        if RouteNames.dsfields.names.contains("EF") {
            #expect(try Parse.dsfield("AF11", for: "tos") == 0x28)
            #expect(try Parse.dsfield("EF", for: "tos") == 0xb8)
            #expect(RouteNames.dsfield(0x28) == "AF11")
        }
    }

    @Test func aNetmaskIsALength() throws {
        #expect(try route("10.1.0.0/255.255.0.0 dev va") == route("10.1.0.0/16 dev va"))
    }

    @Test func abbreviationsAsIproute2() throws {
        // "t" is table and "p" priority (iproute2's first match); "d" is dsfield, not dev.
        #expect(try route("192.0.2.0/24 dev va t 100 p 7") == route("192.0.2.0/24 dev va table 100 metric 7"))
        #expect(try route("192.0.2.0/24 dev va pro static") == route("192.0.2.0/24 dev va protocol static"))
        #expect(try route("192.0.2.0/24 dev va d 10").hasPrefix("02180010"))
    }
}

@Suite struct RouteSelectorTests {
    private func selector(_ text: String, family: AddressFamily = .unspecified) throws -> RouteSelector {
        try RouteSelector.parse(words(text), family: family, devices: FakeDevices())
    }

    private func route(_ destination: String, table: RouteTable = .main) throws -> Route {
        var route = Route(destination: try IPPrefix(parsing: destination))
        route.table = table
        route.outputInterface = 7
        return route
    }

    @Test func prefixesSelectAsRootMatchAndExact() throws {
        let routes = try ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24", "0.0.0.0/0"].map { try route($0) }
        func selected(_ text: String) throws -> [String] {
            let selector = try selector(text)
            return routes.filter(selector.matches).map { $0.destination.description }
        }
        #expect(try selected("root 10.1.0.0/16") == ["10.1.0.0/16", "10.1.2.0/24"])
        #expect(try selected("match 10.1.2.3") == ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "0.0.0.0/0"])
        #expect(try selected("10.1.0.0/16") == ["10.1.0.0/16"])
        #expect(try selected("default") == ["0.0.0.0/0"])
        // "all" is no prefix without a family, the default route with one.
        #expect(try selected("all").count == 5)
        #expect(try routes.filter(selector("all", family: .inet).matches).map(\.destination.description) == ["0.0.0.0/0"])
    }

    @Test func sourcePrefixesRealmsMarksAndTheCache() throws {
        var specific = try route("2001:db8:25::/48")
        specific.family = .inet6
        specific.source = try IPPrefix(parsing: "2001:db8:9::/64")
        var plain = try route("2001:db8:26::/48")
        plain.family = .inet6
        var realms = try route("10.29.0.0/16")
        realms.opaque.append(OpaqueAttribute(RouteAttribute.flow, UInt32(3 << 16 | 4)))
        var cached = try route("10.20.1.1/32")
        cached.flags.insert(.cloned)
        let routes = [specific, plain, realms, cached]
        func selected(_ text: String) throws -> [String] {
            try routes.filter(selector(text).matches).map { $0.destination.description }
        }
        #expect(try selected("table all from 2001:db8:9::/64") == ["2001:db8:25::/48"])
        #expect(try selected("table all from root 2001:db8::/32") == ["2001:db8:25::/48"])
        #expect(try selected("table all from match 2001:db8:9::1") == ["2001:db8:25::/48", "2001:db8:26::/48"])
        #expect(try selected("from 10.0.0.0/8").isEmpty)
        #expect(try selected("realms 3/4") == ["10.29.0.0/16"])
        #expect(try selected("realms 3/") == ["10.29.0.0/16"])
        #expect(try selected("realm 4") == ["10.29.0.0/16"])
        #expect(try selected("realms 3/5").isEmpty)
        #expect(try selected("mark 5").isEmpty)
        // No mark is mark 0; the cached route is not among the tables'.
        #expect(try selected("mark 0") == ["2001:db8:25::/48", "2001:db8:26::/48", "10.29.0.0/16"])
        #expect(try selected("iif va").isEmpty)
        #expect(try selected("cached") == ["10.20.1.1/32"])
        #expect(try selector("table cache").dumpFilter(family: .unspecified).cloned)
        #expect(try selector("via inet6 2001:db8::/32").via == IPPrefix(parsing: "2001:db8::/32"))
    }

    @Test func whatTheKernelFiltersAndTheFamilyAListingMeans() throws {
        let all = try selector("table all dev va proto static")
        #expect(all.table == nil)
        #expect(all.dumpFilter(family: .unspecified).family == .unspecified)
        #expect(all.dumpFilter(family: .unspecified).outputInterface == 7)
        #expect(all.dumpFilter(family: .unspecified).protocolID == RouteProtocol.static)
        // Without "table all" and without -6, a listing is IPv4, main table.
        #expect(try selector("").dumpFilter(family: .unspecified).family == .inet)
        #expect(try selector("").dumpFilter(family: .unspecified).table == RouteTable.main)
        #expect(throws: InvalidArgument.badValue("table", "nosuch", expected: "a number or a name from /etc/iproute2/rt_tables")) {
            try selector("table nosuch")
        }
    }

    @Test func lookupWords() throws {
        let lookup = try RouteService.Lookup.parse(words("to 192.0.2.7 from 198.51.100.1 oif va mark 0x10 uid 1000"), family: .unspecified, devices: FakeDevices())
        #expect(lookup.destination == IPAddress("192.0.2.7"))
        #expect(lookup.source == IPAddress("198.51.100.1"))
        #expect(lookup.outputInterface == 7)
        #expect(lookup.mark == 16)
        #expect(lookup.uid == 1000)
        let flow = try RouteService.Lookup.parse(words("192.0.2.7 ipproto tcp sport 1000 dport 80 notify connected"),
                                                 family: .unspecified, devices: FakeDevices())
        #expect(flow.ipProtocol?.rawValue == 6 && flow.sourcePort == 1000 && flow.destinationPort == 80)
        #expect(flow.notify && flow.connected)
        #expect(throws: InvalidArgument("route get: 192.0.2.0/24 is a prefix; give an address")) {
            try RouteService.Lookup.parse(["192.0.2.0/24"], family: .unspecified, devices: FakeDevices())
        }
    }
}

@Suite struct RouteReplyTests {
    @Test func multipathLegsFromTheKernel() throws {
        let route = try #require(withMessage(RouteReplies.multipath) { Route($0) })
        #expect(route.destination == (try IPPrefix(parsing: "203.0.113.0/24")))
        #expect(route.nexthops == [.init(gateway: IPAddress("198.51.100.2"), outputInterface: 3, weight: 2),
                                   .init(gateway: IPAddress("198.51.100.3"), outputInterface: 3, weight: 1)])
        #expect(route.uses(interface: 3))
        #expect(route.protocolID == RouteProtocol.boot)
    }

    @Test func tablesPast255MetricsAndLocks() throws {
        let route = try #require(withMessage(RouteReplies.table1000) { Route($0) })
        #expect(route.table.rawValue == 1000)
        #expect(route.priority == 5)
        #expect(route.protocolID == RouteProtocol.static)
        #expect(route.metrics[.mtu] == 1400 && route.metrics[.advmss] == 1300)
        #expect(route.metrics.isLocked(.mtu) && !route.metrics.isLocked(.advmss))
        #expect(route.gateway == IPAddress("198.51.100.2") && route.outputInterface == 3)
        // Encoded again, it describes the same route (what keepalive relies on).
        let again = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { try route.encode($0) }
        #expect(withMessage(again) { Route($0) } == route)
    }

    @Test func routesThroughNexthopObjectsAndIPv6Preferences() throws {
        let viaObject = try #require(withMessage(RouteReplies.throughNexthop) { Route($0) })
        #expect(viaObject.nexthopID == 10)
        #expect(viaObject.nexthops.map(\.weight) == [1, 3])
        let six = try #require(withMessage(RouteReplies.ipv6WithPreference) { Route($0) })
        #expect(six.family == .inet6 && six.preference?.rawValue == 1)
        #expect(six.destination == (try IPPrefix(parsing: "2001:db8:5::/48")))
        #expect(six.cacheInfo?.expires == 0)
    }
}
