import CMnl
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import GreKit

/// The body (after nlmsghdr) of a request, in hex.
private func body(_ type: RouteMessageType, _ encode: (MessageWriter) throws -> Void) throws -> String {
    hex(try MessageBuffer.encode(type: type.rawValue, flags: [], encode).dropFirst(16))
}

/// The message an InvalidArgument carries, or nil when the words were accepted.
private func refusal(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as InvalidArgument {
        return error.message
    } catch {
        return "\(error)"
    }
}

@Suite struct AddressTests {
    private func address(_ text: String, _ change: AddressChange = .add) throws -> String {
        let address = try AddressRequest.parse(words(text), change, family: .unspecified, devices: FakeDevices())
        return try body(.newAddress) { try address.encode($0) }
    }

    @Test func peerLabelMetricAndFlagsPastTheFirstByte() throws {
        let expected = [
            "021e0000", "07000000",               // ifaddrmsg: inet /30, flags 0 (noprefixroute is 0x200), scope global, va
            "080002000a000001",                   // IFA_LOCAL 10.0.0.1
            "080001000a000002",                   // IFA_ADDRESS: the peer
            "0900030076613a3100000000",           // IFA_LABEL "va:1"
            "0800090007000000",                   // IFA_RT_PRIORITY 7
            "0800080000020000",                   // IFA_FLAGS noprefixroute
        ]
        #expect(try address("10.0.0.1 peer 10.0.0.2/30 dev va label va:1 metric 7 noprefixroute") == expected.joined())
    }

    @Test func computedBroadcastScopeAndLifetimes() throws {
        let expected = [
            "021800fd", "05000000",               // /24, scope link, eth0
            "08000200c0000201", "08000100c0000201",
            "08000400c00002ff",                   // IFA_BROADCAST 192.0.2.255 ("brd +")
            "140006003200000064000000" + "0000000000000000", // IFA_CACHEINFO preferred 50, valid 100
        ]
        #expect(try address("192.0.2.1/24 brd + dev eth0 scope link valid_lft 100 preferred_lft 50") == expected.joined())
    }

    @Test func ipv6FlagsLoopbackScopeAndWildcardDeletes() throws {
        // nodad fits the header's flags byte.
        #expect(try address("2001:db8::1/64 dev va nodad").hasPrefix("0a400200" + "07000000"))
        // 127/8 is host-scoped unless told otherwise.
        #expect(try address("127.0.0.2/8 dev va").hasPrefix("020800fe"))
        // An IPv4 delete without a length sends the local address only: any prefix matches.
        #expect(try address("192.0.2.1 dev va", .delete) == "02200000" + "07000000" + "08000200c0000201")
    }

    @Test func anExpiringIPv6AddressIsAddedAlone() throws {
        func undo(_ text: String) throws -> ChangeRequest.Undo {
            let address = try AddressRequest.parse(words(text), .add, family: .unspecified, devices: FakeDevices())
            return AddressChange.add.request(for: address).undo
        }
        // Deleting it would leave its prefix route: the kernel keeps the route of an
        // IPv6 address that is not permanent.
        #expect(try undo("2001:db8::1/64 dev va valid_lft 200 preferred_lft 100") == .impossible)
        #expect(try undo("2001:db8::1/64 dev va preferred_lft 100") == .resend(as: .deleteAddress))
        #expect(try undo("2001:db8::1/64 dev va") == .resend(as: .deleteAddress))
        #expect(try undo("192.0.2.1/24 dev va valid_lft 200 preferred_lft 100") == .resend(as: .deleteAddress))
    }

    @Test func refusals() {
        let devices = FakeDevices()
        func refused(_ text: String) -> String? {
            refusal { _ = try AddressRequest.parse(words(text), .add, family: .unspecified, devices: devices) }
        }
        #expect(refused("192.0.2.1/24") == "address add: \"dev\" is required")
        #expect(refused("dev va") == "address add: no address given")
        #expect(refused("192.0.2.1/24 dev va nodad") == "address add: nodad applies to IPv6 addresses only")
        #expect(refused("192.0.2.1/24 dev va tentative") == "address add: \"tentative\" is a state the kernel sets, not an option")
        #expect(refused("192.0.2.1/24 dev va peer 2001:db8::2") == "peer 2001:db8::2 is IPv6, but the address is IPv4")
        #expect(refused("192.0.2.1/24 dev va valid_lft 10 preferred_lft 20") == "address add: preferred_lft is greater than valid_lft")
        #expect(refused("192.0.2.1/24 dev va 192.0.2.2/24") == "unknown word \"192.0.2.2/24\" in address add")
    }

    @Test func decodesAPeerAddressFromTheKernel() throws {
        let address = try #require(withMessage(RouteReplies.peerAddress) { Address($0) })
        #expect(address.local == IPAddress("10.0.0.1") && address.peer == IPAddress("10.0.0.2"))
        #expect(address.prefixLength == 30 && address.interface == 2)
        #expect(address.flags == [.permanent, .noPrefixRoute])
        #expect(address.metric == 7 && address.label == "vb")
        #expect(address.lifetime == Address.Lifetime(preferred: .max, valid: .max))
    }

    @Test func selectorsFilterAsIproute2() throws {
        var address = Address(family: .inet, prefixLength: 24, interface: 7)
        address.local = IPAddress("192.0.2.1")
        address.flags = [.secondary, .permanent]
        address.label = "va:1"
        func matches(_ text: String) throws -> Bool {
            try AddressSelector.parse(words(text), verb: "show").matches(address, family: .unspecified, deviceName: "va")
        }
        #expect(try matches("to 192.0.2.0/24") && !(try matches("to 198.51.100.0/24")))
        #expect(try matches("secondary") && !(try matches("primary")) && !(try matches("-secondary")))
        #expect(try matches("permanent") && !(try matches("dynamic")))
        #expect(try matches("label va:*") && !(try matches("label vb*")))
        #expect(!(try matches("scope link")))
    }
}

@Suite struct NexthopTests {
    private func nexthop(_ text: String) throws -> String {
        let nexthop = try NexthopRequest.parse(words(text), .add, family: .unspecified, devices: FakeDevices())
        return try body(.newNexthop) { try nexthop.encode($0) }
    }

    @Test func gatewaysBlackholesAndFlags() throws {
        #expect(try nexthop("id 1 via 10.0.0.2 dev va")
                == "02000000" + "00000000" + "0800010001000000" + "0800050007000000" + "080006000a000002")
        #expect(try nexthop("id 4 blackhole") == "02000000" + "00000000" + "0800010004000000" + "04000400")
        #expect(try nexthop("id 5 via 2001:db8::2 dev eth0 onlink")
                == "0a000000" + "04000000" + "0800010005000000" + "0800050005000000" + "1400060020010db8000000000000000000000002")
    }

    @Test func idZeroLetsTheKernelPick() throws {
        // No NHA_ID: the kernel gives the nexthop a free id, as for iproute2's "id 0".
        #expect(try nexthop("id 0 via 10.0.0.2 dev va") == "02000000" + "00000000" + "0800050007000000" + "080006000a000002")
        #expect(try nexthop("via 10.0.0.2 dev va") == "02000000" + "00000000" + "0800050007000000" + "080006000a000002")
    }

    @Test func encapsulationsAfterTheGateway() throws {
        let expected = [
            "02000000", "00000000", "0800010001000000", "0800050007000000", "080006000a000002",
            "18000880", "0c0001000000000000000005", "080002000a000002", // NHA_ENCAP: id 5, dst 10.0.0.2
            "0600070002000000",                                      // NHA_ENCAP_TYPE ip
        ]
        let text = "id 1 via 10.0.0.2 dev va encap ip id 5 dst 10.0.0.2"
        #expect(try nexthop(text) == expected.joined())
        // Decoded from what was sent, as from the kernel's reply.
        let sent = try MessageBuffer.encode(type: RouteMessageType.newNexthop.rawValue, flags: []) {
            try NexthopRequest.parse(words(text), .add, family: .unspecified, devices: FakeDevices()).encode($0)
        }
        let decoded = try #require(withMessage(sent) { NexthopObject($0) })
        #expect(decoded.encapsulation?.id == 5 && decoded.encapsulation?.destination == IPAddress("10.0.0.2"))
    }

    @Test func bucketsOfResilientGroups() throws {
        // RTM_NEWNEXTHOPBUCKET: group 21, bucket 3, idle 294 ticks, member 20.
        let reply = KernelReplies.bytes("40000000740002000000000000000000" + "0000000000000000" + "0800010015000000"
                                        + "20000d80" + "0600010003000000" + "0c0002002601000000000000" + "0800030014000000")
        let bucket = try #require(withMessage(reply) { NexthopBucket($0) })
        #expect(bucket.groupID == 21 && bucket.index == 3 && bucket.idleTime == 294 && bucket.nexthopID == 20)
        #expect(withMessage(RouteReplies.group) { NexthopBucket($0) } == nil)
        // A dump of one member's buckets nests the member's id as iproute2 does.
        var selector = NexthopBucketSelector()
        selector.nexthopID = 1
        #expect(try body(.getNexthopBucket) { try selector.encode($0, family: .unspecified) }
                == "00000000" + "00000000" + "0c000d80" + "0800030001000000")
    }

    @Test func groupsCarryWeightMinusOne() throws {
        // struct nexthop_grp: u32 id, u8 weight - 1, u8 weight_high, u16 reserved.
        let expected = [
            "00000000", "00000000", "080001000a000000",
            "1c000200", "0100000000000000", "0200000002000000", "03000000ff000000",
        ]
        #expect(try nexthop("id 10 group 1/2,3/3,256") == expected.joined())
    }

    @Test func resilientGroupsNestTheirParameters() throws {
        let expected = [
            "00000400", "00000000",               // nhmsg: protocol static
            "080001000b000000",
            "140002000100000001000000" + "0200000000000000",
            "0600030001000000",                   // NHA_GROUP_TYPE resilient
            "1c000c80",                           // NHA_RES_GROUP (nested)
            "0600010008000000",                   // buckets 8
            "08000200e02e0000",                   // idle_timer 120 s = 12000 ticks
            "08000300b80b0000",                   // unbalanced_timer 30 s
        ]
        #expect(try nexthop("id 11 group 1,2/2 type resilient buckets 8 idle_timer 120 unbalanced_timer 30 protocol static") == expected.joined())
    }

    @Test func weightsUpTo65536AsLinux612SendsThem() throws {
        // RouteReplies.group with its second member's weight - 1 at 0xffff (Linux 6.12
        // on): once a trap, adding 1 in 16 bits.
        let reply = KernelReplies.bytes(RouteReplies.groupHex.replacing("0200000002000000", with: "02000000ffff0000"))
        let group = try #require(withMessage(reply) { NexthopObject($0) })
        #expect(group.group == [.init(id: 1), .init(id: 2, weight: 65536)])
        // Sent back as it came.
        #expect(try body(.newNexthop) { try group.encode($0) }.contains("0100000000000000" + "02000000ffff0000"))
        // gretool-fuzz's input (rtnetlink target): a group whose second member has
        // weight - 1 = 0xffff.
        let found = try #require(withMessage(KernelReplies.bytes("6c0000006800020001008000ef3d3e3e3e00000000000000080001000b000000060003000100000014000200010000000100000002000000ffffffffffffffffffffffffffffffffffffffffffffffff0000000028000c80060001020001000000010000000200000000000000280008000300f8fffdff0002000100000001000000020000000000000028000c80060001020001000000010000000200000000000000280008000300f8fffdff1fd1000009001fd1000009000300b80b00000c000400000000000000000008000e0000000080")) { NexthopObject($0) })
        #expect(found.group.map(\.weight) == [2, 65536])
    }

    @Test func refusals() throws {
        let devices = FakeDevices()
        func refused(_ text: String, _ change: NexthopChange = .add) -> String? {
            refusal { _ = try NexthopRequest.parse(words(text), change, family: .unspecified, devices: devices) }
        }
        #expect(refused("id 9 group 1,0") == "invalid weight \"0\": expected a number 1..256")
        #expect(refused("id 9 group 1,257") == "invalid weight \"257\": expected a number 1..256")
        #expect(refused("id 9 group 1/1") == "group 1/1: nexthop 1 is named twice")
        #expect(refused("id 9 group 1//2") == "invalid group \"1//2\": expected ID[,WEIGHT]/ID[,WEIGHT]...")
        #expect(refused("id 9 group 1 dev va") == "nexthop add: a group takes no via, dev or blackhole of its own")
        #expect(refused("id 9 dev va type mpath") == "nexthop add: \"type\" applies to groups only")
        #expect(refused("id 9") == "nexthop add: give via ADDRESS, dev NAME, blackhole or group MEMBERS")
        #expect(refused("via 10.0.0.2", .replace) == "nexthop replace: \"id\" is required")
        #expect(refused("id 9 via 10.0.0.2 frobnicate") == "unknown word \"frobnicate\" in nexthop add")
        #expect(throws: InvalidArgument("usage: gretool nexthop del id ID (\"9\" is not a word of it)")) {
            try NexthopRequest.identity(["9"], verb: "del")
        }
        #expect(throws: InvalidArgument("usage: gretool nexthop get id ID")) { try NexthopRequest.identity([], verb: "get") }
        // iproute2 takes the last id.
        #expect(try NexthopRequest.identity(words("id 1 id 2"), verb: "get") == 2)
        #expect(refused("id 9 via 10.0.0.2 dev va encap mpls 100 200") == "encap mpls: gretool sends the ip and ip6 encapsulations only")
    }

    @Test func decodesNexthopsAndGroupsFromTheKernel() throws {
        let single = try #require(withMessage(RouteReplies.nexthop) { NexthopObject($0) })
        #expect(single.id == 1 && single.gateway == IPAddress("198.51.100.2") && single.outputInterface == 3)
        #expect(single.scope == RouteScope.link && single.family == .inet)
        let group = try #require(withMessage(RouteReplies.group) { NexthopObject($0) })
        #expect(group.group == [.init(id: 1), .init(id: 2, weight: 3)])
        #expect(group.groupType == .multipath)
        let resilient = try #require(withMessage(RouteReplies.resilientGroup) { NexthopObject($0) })
        #expect(resilient.groupType == .resilient)
        #expect(resilient.resilient?.buckets == 8 && resilient.resilient?.idleTimer == 12000)
        #expect(resilient.resilient?.unbalancedTimer == 3000 && resilient.resilient?.unbalancedTime == 0)
    }
}

@Suite struct RuleTests {
    private func rule(_ text: String, _ change: RuleChange = .add) throws -> String {
        let rule = try RuleRequest.parse(words(text), change, family: .unspecified)
        return try body(.newRule) { try rule.encode($0) }
    }

    @Test func selectorsAndTheTableAction() throws {
        let expected = [
            "02181810", "00000001", "00000000",   // fib_rule_hdr: inet, dst/src /24, tos 0x10, table in FRA_TABLE, to-table
            "08000200c0000200", "08000100cb007100", // FRA_SRC, FRA_DST
            "0800060032000000",                   // FRA_PRIORITY 50
            "08000a0010000000", "08001000ff000000", // FRA_FWMARK, FRA_FWMASK
            "0500150004000000",                   // FRA_PROTOCOL static
            "08000f00e8030000",                   // FRA_TABLE 1000
            "0700030076610000", "0900110065746830" + "00000000", // FRA_IFNAME va, FRA_OIFNAME eth0
        ]
        #expect(try rule("from 192.0.2.0/24 to 203.0.113.0/24 fwmark 0x10/0xff iif va oif eth0 table 1000 pref 50 tos 0x10 protocol static")
                == expected.joined())
    }

    @Test func actionsDefaultsAndRanges() throws {
        // Add without table or action looks up main; a delete names no action.
        #expect(try rule("from all") == "02000000" + "fe000001" + "00000000")
        #expect(try rule("fwmark 7 table 200", .delete) == "02000000" + "c8000000" + "00000000" + "08000a0007000000")
        // not + prohibit: FIB_RULE_INVERT, FR_ACT_PROHIBIT, no table.
        #expect(try rule("not from 10.0.0.0/8 prohibit") == "02000800" + "00000008" + "02000000" + "080002000a000000")
        let ranges = [
            "02000000", "00000002", "00000000", "080006004b000000",
            "0c00140064000000c8000000",           // FRA_UID_RANGE 100-200
            "0500160006000000",                   // FRA_IP_PROTO tcp
            "0800170016001600", "080018005000" + "5a00", // FRA_SPORT_RANGE 22, FRA_DPORT_RANGE 80-90
            "0800040050000000",                   // FRA_GOTO 80
        ]
        #expect(try rule("ipproto tcp sport 22 dport 80-90 uidrange 100-200 goto 80 pref 75") == ranges.joined())
        #expect(try rule("from all lookup 100 suppress_prefixlength 0").hasSuffix("08000e0000000000"))
    }

    @Test func realmsTunnelIDAndNATAsIproute2SendsThem() throws {
        // FRA_FLOW 0x00010002 (realms 1/2), FRA_TUN_ID 9 in network order.
        let tagged = try rule("realms 1/2 tun_id 9 table 100 pref 5")
        #expect(tagged.hasSuffix("08000b0002000100" + "0c000c000000000000000009"))
        #expect(try rule("realms 5 table 100").hasSuffix("08000b0005000000"))
        // nat ADDRESS: RTN_NAT, table main as for no action (the kernel keeps no address);
        // "type nat" is an action word: no table. unicast is the lookup itself.
        #expect(try rule("from 10.1.0.0/24 nat 10.9.9.9") == "02001800" + "fe00000a" + "00000000" + "080002000a010000")
        #expect(try rule("from 10.1.0.0/24 type nat") == "02001800" + "0000000a" + "00000000" + "080002000a010000")
        #expect(try rule("from 10.1.0.0/24 unicast") == "02001800" + "00000001" + "00000000" + "080002000a010000")
        #expect(refusal { _ = try RuleRequest.parse(words("nat 2001:db8::1"), .add, family: .unspecified) }
                == "invalid nat \"2001:db8::1\": expected an IPv4 address")
    }

    @Test func refusalsAndTheUndoTheyAllow() {
        func refused(_ text: String) -> String? {
            refusal { _ = try RuleRequest.parse(words(text), .add, family: .unspecified) }
        }
        #expect(refused("from 192.0.2.0/24 table nosuch") == "invalid table \"nosuch\": expected a number or a name from /etc/iproute2/rt_tables")
        #expect(refused("fwmark x") == "invalid fwmark \"x\": expected a number 0..4294967295")
        #expect(refused("sport 9-1") == "invalid sport \"9-1\": expected N or N-M")
        #expect(refused("uidrange 5") == "invalid uidrange \"5\": expected N-M")
        #expect(refused("from 192.0.2.0/24 to 2001:db8::/32") == "2001:db8::/32 is IPv6, but the rule is IPv4")
        #expect(refused("") == "rule add needs words: a selector and an action")
        // Found by fuzzing (gretool-fuzz apply): a goto target beside a later action, which
        // the kernel refuses and apply's words could not say.
        #expect(refused("goto 0 unreachable") == "rule add: goto and type unreachable exclude each other (a rule has one action)")
        #expect(refused("unreachable goto 5") == nil, "the last action word wins")
        // No rule can be taken back exactly, not even one with its priority: a delete
        // takes the first rule its description matches, an older one of that priority.
        #expect(RuleChange.add.request.undo == .impossible)
    }

    @Test func decodesARuleFromTheKernel() throws {
        let rule = try #require(withMessage(RouteReplies.rule) { Rule($0) })
        #expect(rule.priority == 50 && rule.table.rawValue == 100)
        #expect(rule.source == (try IPPrefix(parsing: "192.0.2.0/24")))
        #expect(rule.destination == (try IPPrefix(parsing: "203.0.113.0/24")))
        #expect(rule.fwmark == 16 && rule.fwmask == 255 && rule.inputInterface == "va")
        #expect(rule.suppressPrefixLength == -1 && rule.protocolID?.rawValue == 0)
        // Selected by a prefix it lies inside, not by one inside it.
        #expect(try RuleSelector.parse(words("from 192.0.0.0/16 table 100"), verb: "show").matches(rule))
        #expect(!(try RuleSelector.parse(words("from 192.0.2.0/25"), verb: "show").matches(rule)))
        #expect(!(try RuleSelector.parse(words("table 200"), verb: "show").matches(rule)))
    }

    @Test func selectorsOfTheFlowAndTheTunnel() throws {
        let flow = try RuleRequest.parse(words("pref 103 uidrange 100-200 ipproto tcp sport 80 dport 1000-2000 tun_id 9 prohibit"),
                                         .add, family: .unspecified)
        func selects(_ text: String, _ rule: Rule) throws -> Bool { try RuleSelector.parse(words(text), verb: "show").matches(rule) }
        for text in ["uidrange 100-200", "ipproto tcp", "ipproto 6", "sport 80", "dport 1000-2000", "tun_id 9", "t 9", "ipproto 0"] {
            #expect(try selects(text, flow), "\(text)")
        }
        for text in ["uidrange 100-201", "ipproto udp", "sport 81", "dport 1000", "tun_id 8", "l3mdev"] {
            #expect(!(try selects(text, flow)), "\(text)")
        }
        let l3mdev = try RuleRequest.parse(words("pref 111 l3mdev"), .add, family: .unspecified)
        #expect(try selects("l3mdev", l3mdev) && !(try selects("sport 80", l3mdev)))
        #expect(throws: InvalidArgument.self) { try RuleSelector.parse(words("uidrange 100"), verb: "show") }
    }
}

@Suite struct NameTableTests {
    @Test func readsIproute2sFormat() {
        let text = "# reserved\n255\tlocal\n  0x10  hexed # comment\n100 inr.ruhep\nbad line\n7\n"
        let entries = NameDatabase.parse(Array(text.utf8))
        #expect(entries.map(\.id) == [255, 16, 100])
        #expect(entries.map(\.name) == ["local", "hexed", "inr.ruhep"])
    }

    @Test func builtInNamesNeedNoFile() {
        let table = NameTable<RouteTable>(builtIn: [(RouteTable(rawValue: 254), "main")], path: "/nonexistent")
        #expect(table.name(of: RouteTable(rawValue: 254)) == "main")
        #expect(table.name(of: RouteTable(rawValue: 100)) == "100")
        #expect(table.id(of: "main")?.rawValue == 254)
        #expect(table.id(of: "0x10")?.rawValue == 16)
        #expect(table.id(of: "nosuch") == nil)
        let small = NameTable<RouteProtocol>(builtIn: [], path: "/nonexistent")
        #expect(small.id(of: "256") == nil)
    }

    @Test func numbersTooWideForTheValueNameNothing() throws {
        // As iproute2 skips them: "300 wide" in rt_protos is no protocol (which are bytes).
        var template = Array("/tmp/gretool-names-XXXXXX".utf8CString)
        let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { _ = system("rm -rf '\(directory)'") }
        let file = fopen(directory + "/rt_protos", "w")
        fputs("300 wide\n7 seven\n400 twice\n9 twice\n", file)
        fclose(file)
        let protocols = NameTable<RouteProtocol>(builtIn: [], path: directory + "/rt_protos")
        #expect(protocols.id(of: "wide") == nil)
        #expect(protocols.id(of: "seven")?.rawValue == 7)
        #expect(protocols.id(of: "twice")?.rawValue == 9)
        #expect(protocols.name(of: RouteProtocol(rawValue: 44)) == "44")
        let tables = NameTable<RouteTable>(builtIn: [], path: directory + "/rt_protos")
        #expect(tables.id(of: "wide")?.rawValue == 300)
    }
}
