import Testing
@testable import GreKit

/// The keyword rows: a repeated word is refused where iproute2 refuses it (its
/// `duparg` calls) and taken where iproute2 takes it; values, families and usage
/// text come from the rows.
@Suite struct DuplicateKeywordTests {
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

    private func linkAddRefusal(_ text: String) -> String? { refusal { _ = try linkAdd(text) } }

    @Test func linkWordsIproute2RefusesTwice() {
        #expect(linkAddRefusal("t mtu 1400 mtu 1300 type dummy") == "duplicate \"mtu\": \"1300\" is the second value")
        #expect(linkAddRefusal("t txqueuelen 5 qlen 6 type dummy") == "duplicate \"qlen\": \"6\" is the second value",
                "one row, whichever spelling")
        #expect(linkAddRefusal("t group 1 group 2 type dummy") == "duplicate \"group\": \"2\" is the second value")
        #expect(linkAddRefusal("t type dummy type veth") == "unknown word \"type\" in dummy options", "the words after type are the kind's")
        #expect(linkAddRefusal("t numtxqueues 2 numtxqueues 3 type dummy") == "duplicate \"numtxqueues\": \"3\" is the second value")
        #expect(linkAddRefusal("t type gre remote 192.0.2.1 mtu 1400 mtu 1300") == "duplicate \"mtu\": \"1300\" is the second value",
                "after the kind's words too")
    }

    @Test func linkWordsIproute2TakesAgain() throws {
        let request = try linkAdd("t up down up address 02:00:00:00:00:01 address 02:00:00:00:00:02 type dummy")
        #expect(request.setFlags.contains(.up))
        #expect(request.address == [2, 0, 0, 0, 0, 2], "the later wins")
    }

    @Test func greWordsRepeatAsInIproute2() throws {
        let options = try #require(try linkAdd("t type gre ttl 10 ttl 20 key 1 key 2 remote 192.0.2.1 remote 192.0.2.2").options as? GreOptions)
        #expect(options.ttl == 20)
        #expect(options.outputKey == GreKey(2))
        #expect(options.remote == IPAddress("192.0.2.2"))
    }

    @Test func kindWordsRefusedTwice() {
        #expect(linkAddRefusal("v type vxlan id 5 vni 6") == "duplicate \"vni\": \"6\" is the second value")
        #expect(linkAddRefusal("v type vxlan id 5 learning nolearning") == "duplicate \"nolearning\" (learning is set once)")
        #expect(linkAddRefusal("v type vxlan id 5 nolearning nolearning") == "duplicate \"nolearning\" (learning is set once)")
        #expect(linkAddRefusal("v type vxlan id 5 remote 192.0.2.1 group 239.1.1.1") == "duplicate \"group\": \"239.1.1.1\" is the second value")
        #expect(linkAddRefusal("v type veth peer name a name b") == "duplicate \"name\": \"b\" is the second value")
        #expect(linkAddRefusal("v mtu 1400 type veth peer name p mtu 1300") == nil, "the peer's mtu is its own")
    }

    @Test func addressWordsIproute2RefusesTwice() {
        func refused(_ text: String) -> String? {
            refusal { _ = try AddressRequest.parse(words(text), .add, family: .unspecified, devices: FakeDevices()) }
        }
        #expect(refused("192.0.2.1/24 brd 192.0.2.255 brd + dev eth0") == "duplicate \"brd\": \"+\" is the second value")
        #expect(refused("192.0.2.1/24 broadcast + broadcast - dev eth0") == "duplicate \"broadcast\": \"-\" is the second value")
        #expect(refused("192.0.2.1 peer 192.0.2.2 remote 192.0.2.3 dev eth0") == "duplicate \"remote\": \"192.0.2.3\" is the second value")
        #expect(refused("2001:db8::1/64 valid_lft 10 valid_lft 20 dev eth0") == "duplicate \"valid_lft\": \"20\" is the second value")
        #expect(refused("192.0.2.1/24 label eth0:a label eth0:b metric 1 metric 2 dev eth0") == nil, "label and metric repeat")
    }

    @Test func routeAndRuleWordsRepeatAsInIproute2() throws {
        let route = try RouteRequest.parse(words("10.0.0.0/8 via 192.0.2.1 metric 5 metric 6 mtu 1400 mtu 1300"), .add,
                                           family: .unspecified, devices: FakeDevices())
        #expect(route.priority == 6)
        #expect(route.metrics[.mtu] == 1300)
        let rule = try RuleRequest.parse(words("from 10.0.0.0/8 table 5 table 6"), .add, family: .unspecified)
        #expect(rule.table.rawValue == 6)
    }

    @Test func gretoolsOwnWordsAreGivenOnce() {
        #expect(refusal { _ = try KeepaliveWatchRequest.parse(words("gre1 interval 1 interval 2")) }
            == "duplicate \"interval\": \"2\" is the second value")
        #expect(refusal { _ = try MTUCheckRequest.parse(words("gre1 ipsec tunnel ipsec transport")) }
            == "duplicate \"ipsec\": \"transport\" is the second value")
        #expect(refusal { _ = try MTUCheckRequest.parse(words("gre1 ipsec tunnel nat-t nat-t")) } == "duplicate \"nat-t\"")
    }
}

@Suite struct KeywordRowTests {
    private enum Word: Equatable { case flag, value, noValue, old, new }
    private let table = KeywordTable<Word>([
        Keyword(.flag, "seq"), Keyword(.noValue, "noseq"),
        Keyword(.value, .abbreviable("key"), "k", value: "KEY", family: .inet, repeatable: false),
        Keyword(.old, "nokey"),
        Keyword(.new, "limit", value: "N", family: .inet6),
    ])

    @Test func aRowWithAValueReadsIt() throws {
        var scanner = WordScanner(["ke", "7", "seq"])
        let key = try #require(try scanner.keyword(scanner.next()!, in: table))
        #expect(key.keyword == .value && key.spelling == "key")
        let value = try scanner.value(of: key)
        #expect(value == "7")
        let flag = try #require(try scanner.keyword(scanner.next()!, in: table))
        let none = try scanner.value(of: flag)
        #expect(flag.keyword == .flag && none == "")
        #expect(scanner.isAtEnd, "a flag reads no value")
        var short = WordScanner(["k"])
        let k = try #require(try short.keyword(short.next()!, in: table))
        #expect(throws: InvalidArgument("\"k\" needs a value")) { _ = try short.value(of: k) }
    }

    @Test func spellingsAndFamilies() {
        #expect(table.spellings == ["seq", "noseq", "key", "k", "nokey", "limit"])
        #expect(table.spellings(for: .inet) == ["seq", "noseq", "key", "k", "nokey"])
        #expect(table.spellings(for: .inet6) == ["seq", "noseq", "nokey", "limit"])
    }

    @Test func usageFromTheRows() {
        #expect(table.usage() == "[ [no]seq ] [ key KEY | nokey ] [ limit N ]")
        #expect(table.usage(family: .inet) == "[ [no]seq ] [ key KEY | nokey ]")
        #expect(table.usage(indent: "  ", width: 20) == "  [ [no]seq ]\n  [ key KEY | nokey ]\n  [ limit N ]")
    }

    @Test func greUsageFollowsTheLinksFamily() {
        let ipv4 = GreOptions.usage(kind: "gre")
        #expect(ipv4.hasPrefix("Usage: ... gre\n    [ key KEY | nokey ] [ ikey KEY | noikey ] [ okey KEY | nookey ] [ [no]seq ]"))
        #expect(ipv4.contains("[ [no]pmtudisc ]") && !ipv4.contains("flowlabel"))
        let ipv6 = GreOptions.usage(kind: "ip6gre")
        #expect(ipv6.contains("[ flowlabel { HEX | inherit } ]") && !ipv6.contains("pmtudisc"))
        #expect(DummyOptions.usage(kind: "dummy") == "Usage: ... dummy")
    }

    @Test func tunnelWordsAreGresRows() {
        // Every GRE spelling is a tunnel word, at the same row: a new GRE row is one too.
        for entry in GreOptions.grammar.entries {
            let tunnel = Tunnel.grammar.lookup(exact: entry.spelling)
            #expect(tunnel?.row == entry.row, "\(entry.spelling)")
        }
        #expect(Tunnel.keywords == ["mode", "name"] + GreOptions.keywords)
    }
}

/// Diagnostics and keepalives see a tunnel through `TunnelKind`, whatever its kind.
@Suite struct TunnelKindTests {
    @Test func aGreLinkIsATunnel() throws {
        let link = try #require(withMessage(KernelReplies.g1) { Link($0) })
        let tunnel = try link.tunnelOptions()
        #expect(tunnel.remote == IPAddress("198.51.100.2") && tunnel.family == .inet && !tunnel.isEthernet)
        #expect(tunnel.overhead == 36 && tunnel.outerHeader.bytes == 20)
        #expect(tunnel.outputKey == GreKey(42) && tunnel.outputFlags.contains(.key))
    }

    @Test func whatTheOuterPacketsCarry() throws {
        func tunnel(_ text: String) throws -> any TunnelKind {
            try #require(try linkAdd("t type " + text).options as? any TunnelKind)
        }
        #expect(try tunnel("gre tos 0x10 fwmark 7").outerTOS == 0x10)
        #expect(try tunnel("gre tos inherit").outerTOS == 0, "inherited: the inner packet's")
        #expect(try tunnel("gre fwmark 7").outerMark == 7)
        #expect(try tunnel("ip6gre tclass 0x20 fwmark inherit").outerTOS == 0x20)
        #expect(try tunnel("ip6gre fwmark inherit").outerMark == 0)
        #expect(try tunnel("ip6gretap").isEthernet)
    }

    @Test func otherLinksAreNot() throws {
        var link = try #require(withMessage(KernelReplies.g1) { Link($0) })
        link.options = VethOptions(kind: "veth")
        link.kind = "veth"
        #expect(link.tunnel == nil)
        #expect(throws: InvalidArgument("g1 is not a GRE tunnel (it is a veth link)")) { _ = try link.tunnelOptions() }
    }
}
