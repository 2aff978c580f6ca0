import Testing
import Netlink
@testable import GreKit

/// Devices for declarations: eth0 and va exist (as in FakeDevices); gre1 and gre2 are declared.
private func directory() -> DeviceDirectory {
    let devices = DeviceDirectory(devices: [("eth0", 5), ("va", 7)])
    for name in ["gre1", "gre2"] { devices.declare(name) }
    return devices
}

/// Reads lines as an apply file would be, owned by gretool.
private func declare(_ lines: [String], owner: Owner = .gretool) throws -> (NetworkState, [ApplyWarning], DeviceDirectory) {
    let devices = directory()
    let reader = DeclarationReader(owner: owner, devices: devices)
    for (number, line) in lines.enumerated() {
        let all = words(line)
        let declaration = try #require(Declaration(rawValue: all.prefix(2).joined(separator: " ")), "\(line)")
        try reader.read(declaration, Array(all.dropFirst(2)), at: DeclarationPlace("line \(number + 1)"))
    }
    let (state, warnings) = try reader.finish()
    return (state, warnings, devices)
}

/// The lines a state writes, in the order `state show` writes them.
private func lines(_ state: NetworkState, _ devices: any InterfaceResolver) -> [String] {
    (state.links.map { $0.words(devices) } + state.addresses.map { $0.words(devices, ownership: false) }
        + state.nexthops.map { $0.words(devices, ownership: false) } + state.routes.map { $0.words(devices, ownership: false) }
        + state.rules.map { $0.words(ownership: false) } + state.keepalives.map(\.lineWords)).map { $0.joined(separator: " ") }
}

@Suite struct ApplyWordsTests {
    /// Objects written as words and read back are the same objects, and their words
    /// are the same words (each object's grammar is the inverse of its words).
    static let declarations = [
        "link add gre1 mtu 1476 up type gre remote 198.51.100.2 local 198.51.100.1 ttl 255 key 42 csum",
        "link add gre2 type gre remote 198.51.100.3 tos 0x10 nopmtudisc ikey 1 okey 2 iseq ocsum fwmark 0x7 encap fou encap-dport 5555 encap-csum",
        "link set eth0 mtu 9000 txqueuelen 500 down",
        "address add 10.0.0.1/30 dev gre1",
        "address add 10.0.0.5 peer 10.0.0.6/30 dev gre2 metric 10 noprefixroute",
        "address add 192.0.2.1/24 dev eth0 broadcast 192.0.2.255 scope link label eth0:1",
        "address add 2001:db8::1/64 dev eth0 nodad",
        "nexthop add id 1 via 10.0.0.2 dev gre1",
        "nexthop add id 2 blackhole",
        "nexthop add id 3 via 10.0.0.6 dev gre2 onlink",
        "nexthop add id 10 group 1/3,5",
        "nexthop add id 11 group 1/3 type resilient buckets 32 idle_timer 10",
        "nexthop add id 12 via 10.0.0.2 dev gre1 encap ip id 7 dst 198.51.100.4",
        "route add 203.0.113.0/24 via 10.0.0.2 dev gre1",
        "route add default table 100 dev gre1",
        "route add ::/0 metric 5 via 2001:db8::2 dev eth0 pref high",
        "route add blackhole 192.0.2.0/25",
        "route add 198.51.100.0/24 tos 0x10 metric 3 via 10.0.0.2 dev gre1 mtu lock 1400 advmss 1360",
        "route add 10.1.0.0/16 src 10.0.0.1 nexthop via 10.0.0.2 dev gre1 weight 2 nexthop via 10.0.0.6 dev gre2 onlink",
        "route add 10.2.0.0/16 table 200 nhid 10",
        "route add 10.3.0.0/16 via inet6 2001:db8::2 dev eth0",
        "route add 2001:db8:1::/48 from 2001:db8::/32 dev gre1",
        "route add 10.4.0.0/16 scope host dev eth0",
        "route add 10.5.0.0/16 via 10.0.0.2 dev gre1 rtt 80 rttvar lock 40 rto_min 5 quickack 1 fastopen_no_cookie 1 features ecn congctl lock cubic realms 3/7 encap ip id 5 dst 198.51.100.9 tos 0x10 key",
        "route add 10.6.0.0/16 nexthop via 10.0.0.2 dev gre1 weight 2 realms 7 nexthop via 10.0.0.6 dev gre2 encap ip id 9 src 198.51.100.1 dst 198.51.100.3 ttl 64",
        "route add 2001:db8:2::/48 dev gre1 encap ip6 dst 2001:db8::9 hoplimit 9 tc 0x20 csum seq",
        "rule add from 192.0.2.0/24 lookup 100",
        "rule add not to 198.51.100.0/24 fwmark 0x10/0xff iif gre1 oif eth0 pref 50 lookup main",
        "rule add pref 60 ipproto tcp sport 1000-2000 dport 22 uidrange 100-200 lookup 200",
        "rule add from 10.0.0.0/8 suppress_prefixlength 0 lookup main",
        "rule add from 192.0.2.128/25 tun_id 5 realms 2/4 lookup 100",
        "rule add from ::/0 pref 70 type blackhole",
        "rule add pref 80 goto 90",
        "rule add pref 90 nop",
        "rule add pref 95 lookup main type nat",
        "keepalive watch gre1 interval 5 retries 3 action link",
        "link add vx1 type vxlan id 7 remote 198.51.100.7 local 198.51.100.1 dstport 4789 ttl 64 tos 0x10 nolearning df set flowlabel 5 ageing 600 maxaddress 100 srcport 1000 2000 proxy rsc l2miss l3miss noudpcsum udp6zerocsumtx udp6zerocsumrx remcsumtx remcsumrx gbp",
        "link add vx2 type vxlan nolearning external vnifilter",
        "link add br1 type bridge stp_state 1 vlan_protocol 802.1ad mcast_snooping 0 mcast_igmp_version 3 nf_call_iptables 1",
    ]

    @Test func declarationsReadBackAsThemselves() throws {
        let (state, _, devices) = try declare(Self.declarations)
        let written = lines(state, devices)
        let (again, _, _) = try declare(written)
        #expect(lines(again, devices) == written)
        #expect(again.routes == state.routes)
        #expect(again.addresses == state.addresses)
        #expect(again.nexthops == state.nexthops)
        #expect(again.rules == state.rules)
        #expect(again.keepalives == state.keepalives)
    }

    @Test func declarationsWriteTheWordsTheyWereGiven() throws {
        // Every line above is already in the words' own order, defaults left out.
        let (state, _, devices) = try declare(Self.declarations)
        let written = Set(lines(state, devices))
        #expect(Set(Self.declarations).subtracting(written).isEmpty, "written otherwise: \(written.subtracting(Self.declarations))")
    }

    @Test func ownershipMarksEveryObjectThatCanCarryIt() throws {
        let (state, _, devices) = try declare(["address add 10.0.0.1/30 dev gre1", "route add 10.9.0.0/16 dev gre1",
                                               "nexthop add id 4 dev gre1", "rule add from 10.9.0.0/16 lookup 9"],
                                              owner: try Owner(named: "200"))
        #expect(state.addresses[0].words(devices, ownership: true).suffix(2) == ["proto", "200"])
        #expect(state.routes[0].words(devices, ownership: true).contains("200"))
        #expect(state.nexthops[0].words(devices, ownership: true).suffix(2) == ["protocol", "200"])
        #expect(state.rules[0].words(ownership: true).suffix(2) == ["protocol", "200"])
    }

    @Test func theJSONDocumentReadsBackAsTheSameState() throws {
        let (state, _, devices) = try declare(Self.declarations)
        let document = json(.object(StateDocument.fields(state, devices: devices)))
        let reader = DeclarationReader(owner: .gretool, devices: devices)
        try StateDocument.read(document, into: reader)
        let (again, _) = try reader.finish()
        #expect(lines(again, devices) == lines(state, devices))
    }

    /// IPv4 keeps several routes of a key in order: a file declares the further ones
    /// with `route append` after the first, the JSON document marks them, and both read
    /// back as the same routes in the same order.
    @Test func furtherRoutesOfAKeyAreAppendedAndReadBack() throws {
        let file = ["route add 10.17.0.0/16 via 198.51.100.2 dev va", "route append 10.17.0.0/16 via 198.51.100.3 dev va",
                    "route add 10.18.0.0/16 dev va", "route append 10.17.0.0/16 via 198.51.100.4 dev va"]
        let (state, _, devices) = try declare(file)
        #expect(state.routes.count == 4)
        #expect(state.routeIsAppended == [false, true, false, true])
        let document = StateDocument.fields(state, devices: devices)
        guard case .array(let entries)? = json(.object(document))["routes"] else { Issue.record("no routes"); return }
        #expect(entries.map { entry in if case .bool(true)? = entry["append"] { true } else { false } } == [false, true, false, true])
        let reader = DeclarationReader(owner: .gretool, devices: devices)
        try StateDocument.read(json(.object(document)), into: reader)
        let (again, _) = try reader.finish()
        #expect(again.routes == state.routes)
        #expect(throws: DeclarationError.self) { try declare(["route append 10.17.0.0/16 via 198.51.100.3 dev va"]) }
        #expect(throws: DeclarationError.self) { try declare([file[0], "route append" + file[0].dropFirst("route add".count)]) }
        #expect(throws: DeclarationError.self) { try declare([file[0], file[0]]) }
        // IPv6 makes such routes legs of one.
        #expect(throws: DeclarationError.self) {
            try declare(["route add 2001:db8:9::/48 via 2001:db8::2 dev va", "route append 2001:db8:9::/48 via 2001:db8::3 dev va"])
        }
    }

    // Found by fuzzing (gretool-fuzz apply): a peer named like a link keyword was
    // written `peer link`, which reads as the keyword `link` without its value.
    @Test func aVethPeerNamedLikeAKeywordReadsBack() throws {
        for peer in ["link", "mtu", "up", "name", "vp"] {
            let (state, _, devices) = try declare(["link add vx type veth peer name \(peer)"])
            let text = lines(state, devices)
            #expect(text.first?.hasSuffix("type veth peer name \(peer)") == true, "\(text)")
            let (fromText, _, textDevices) = try declare(text)
            #expect(lines(fromText, textDevices) == text, "\(peer)")
            let reader = DeclarationReader(owner: .gretool, devices: devices)
            try StateDocument.read(json(.object(StateDocument.fields(state, devices: devices))), into: reader)
            let (again, _) = try reader.finish()
            #expect(lines(again, devices) == lines(state, devices), "\(peer)")
        }
    }

    // Found by fuzzing (gretool-fuzz apply): a leg's realms were left out of its words,
    // so a leg of realms alone was written as a bare `nexthop`, which no grammar reads;
    // on any other route the realms (and the encapsulation, and six of the metrics) were
    // dropped without a word, and applied without.
    @Test func aLegOfRealmsAloneReadsBack() throws {
        let (state, _, devices) = try declare(["route add 10.20.0.0/16 nexthop via 10.0.0.2 dev eth0 weight 2 nexthop r 0/0"])
        let text = lines(state, devices)
        #expect(text == ["route add 10.20.0.0/16 nexthop via 10.0.0.2 dev eth0 weight 2 nexthop realms 0"])
        let (fromText, _, _) = try declare(text)
        #expect(fromText.routes == state.routes)
        let reader = DeclarationReader(owner: .gretool, devices: devices)
        try StateDocument.read(json(.object(StateDocument.fields(state, devices: devices))), into: reader)
        let (fromJSON, _) = try reader.finish()
        #expect(fromJSON.routes == state.routes)
    }

    // Found by fuzzing (gretool-fuzz apply): a congestion control algorithm named like a
    // route keyword (`congctl tos`) was read from the JSON document as no name.
    @Test func aMetricsValueSpelledAsAKeywordReadsBack() throws {
        let (state, _, devices) = try declare(["route add 10.1.0.0/16 dev eth0 congctl tos", "route add 10.2.0.0/16 dev eth0 congctl lock via"])
        let reader = DeclarationReader(owner: .gretool, devices: devices)
        try StateDocument.read(json(.object(StateDocument.fields(state, devices: devices))), into: reader)
        let (again, _) = try reader.finish()
        #expect(lines(again, devices) == ["route add 10.1.0.0/16 dev eth0 congctl tos", "route add 10.2.0.0/16 dev eth0 congctl lock via"])
    }

    // Found by fuzzing (gretool-fuzz apply): a tunnel named "type" was written
    // `link add type type gre`, which reads as the keyword `type` without a name.
    @Test func aLinkNamedLikeAKeywordReadsBack() throws {
        for name in ["type", "mtu", "up", "name", "dev"] {
            let (state, _, devices) = try declare(["tunnel add name \(name) mode gre remote 198.51.100.2", "link set dev \(name) mtu 1400"])
            let text = lines(state, devices)
            let (fromText, _, textDevices) = try declare(text)
            #expect(lines(fromText, textDevices) == text, "\(name)")
            let reader = DeclarationReader(owner: .gretool, devices: devices)
            try StateDocument.read(json(.object(StateDocument.fields(state, devices: devices))), into: reader)
            let (again, _) = try reader.finish()
            #expect(lines(again, devices) == text, "\(name)")
        }
        let (state, _, devices) = try declare(["link set eth0 up"])
        #expect(lines(state, devices) == ["link set eth0 up"], "other names stay bare")
    }

    // Found by fuzzing (gretool-fuzz apply): a nat rule (`map-to`) keeps main's lookup,
    // and an l3mdev rule may have another action; their words left them out, and so
    // declared other rules.
    @Test func aRulesActionAndLookupAreKept() throws {
        for (line, written) in [("rule add map-to 1", "rule add lookup main type nat"), ("rule add blackhole l3mdev", "rule add l3mdev type blackhole")] {
            let (state, _, devices) = try declare([line])
            let text = lines(state, devices)
            #expect(text == [written])
            let (again, _, _) = try declare(text)
            #expect(again.rules == state.rules)
        }
    }

    @Test func jsonMembersAreIproute2sKeys() throws {
        let (state, _, devices) = try declare(["link add gre1 up type gre remote 198.51.100.2 ttl 255 key 42",
                                               "route add 10.1.0.0/16 nexthop via 10.0.0.2 dev gre1 weight 2"])
        let document = json(.object(StateDocument.fields(state, devices: devices)))
        guard case .array(let links)? = document["links"], case .array(let routes)? = document["routes"] else {
            Issue.record("no links or routes")
            return
        }
        #expect(links[0]["ifname"] == .string("gre1"))
        #expect(links[0]["linkinfo"]?["info_kind"] == .string("gre"))
        #expect(links[0]["linkinfo"]?["info_data"]?["ttl"] == .number("255"))
        #expect(links[0]["linkinfo"]?["info_data"]?["key"] == .number("42"))
        #expect(routes[0]["dst"] == .string("10.1.0.0/16"))
        guard case .array(let legs)? = routes[0]["nexthops"] else { Issue.record("no legs"); return }
        #expect(legs[0]["gateway"] == .string("10.0.0.2"))
        #expect(legs[0]["dev"] == .string("gre1"))
        #expect(legs[0]["weight"] == .number("2"))
    }

    /// A Field tree as the JSON value a parser would read from its rendering.
    private func json(_ value: Field.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .unsigned(let number): .number(String(number))
        case .signed(let number): .number(String(number))
        case .decimal(let number, let digits): .number(String(number) + (digits > 0 ? "e-\(digits)" : ""))
        case .bool(let flag): .bool(flag)
        case .null: .null
        case .object(let fields): .object(fields.filter(\.inJSON).map { ($0.key!, json($0.value)) })
        case .array(let values): .array(values.map(json))
        }
    }
}

@Suite struct ApplyDeclarationTests {
    private func refusal(_ lines: [String]) -> String? {
        do {
            _ = try declare(lines)
            return nil
        } catch let error as DeclarationError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test func objectsDeclaredTwiceAreRefusedWithTheFirstPlace() {
        #expect(refusal(["route add 10.0.0.0/8 dev eth0", "route add 10.0.0.0/8 via 192.0.2.1"])?.contains("first at line 1") == true)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2", "tunnel add gre1 mode gre remote 198.51.100.2"]) != nil)
        #expect(refusal(["link set eth0 mtu 1400", "link set eth0 mtu 1500"])?.contains("declared twice") == true)
        #expect(refusal(["link set eth0 mtu 1400", "link set eth0 mtu 1400 up"]) == nil, "the same value twice is one declaration")
    }

    @Test func kindWordsApplyCannotCompareAreRefusedByName() {
        #expect(refusal(["link add br1 type bridge fdb_flush"])?.contains("does not manage \"fdb_flush\" of bridge links") == true)
        #expect(refusal(["link add br1 type bridge stp_state 1 mcast_hash_elasticity 4"])?.contains("\"mcast_hash_elasticity\"") == true)
        #expect(refusal(["link add br1 type bridge stp_state 1 mcast_hash_max 512"]) == nil)
        #expect(refusal(["link add vx1 type vxlan external"]) == nil)
    }

    @Test func anotherOwnersProtocolIsRefused() {
        #expect(refusal(["route add 10.0.0.0/8 dev eth0 proto static"])?.contains("not this file's owner") == true)
        #expect(refusal(["route add 10.0.0.0/8 dev eth0 proto 47"]) == nil)
        #expect(refusal(["route add 10.0.0.0/8 dev eth0 proto boot"]) == nil, "boot is what route add gives unless told")
    }

    @Test func wordsApplyDoesNotManageAreRefused() {
        #expect(refusal(["link set eth0 alias uplink"])?.contains("alias") == true)
        #expect(refusal(["link set eth0 master va"])?.contains("master") == true)
        #expect(refusal(["link set eth0 type gre key 1"])?.contains("line that makes it") == true)
        #expect(refusal(["nexthop add via 192.0.2.1 dev eth0"])?.contains("id") == true)
    }

    @Test func whatTheKernelDoesNotKeepIsRefused() {
        #expect(refusal(["route add 10.0.0.0/8 dev eth0 expires 300"])?.contains("expires") == true)
        #expect(refusal(["route add 10.0.0.0/8 dev eth0 ttl-propagate enabled"])?.contains("ttl-propagate") == true)
        #expect(refusal(["address add 192.0.2.1/24 dev eth0 valid_lft 100 preferred_lft 50"])?.contains("valid_lft") == true)
        #expect(refusal(["address add 192.0.2.1/24 dev eth0 preferred_lft 0"])?.contains("preferred_lft") == true)
        #expect(refusal(["address add 192.0.2.1/24 dev eth0 valid_lft forever preferred_lft forever"]) == nil)
    }

    @Test func devicesMustExistOrBeMade() {
        #expect(refusal(["route add 10.0.0.0/8 dev gre9"])?.contains("gre9") == true)
        #expect(refusal(["link set gre9 up"])?.contains("gre9") == true)
        // Named before the line that makes it: fine.
        #expect(refusal(["route add 10.0.0.0/8 dev tun7", "link add tun7 type dummy"]) == nil)
        #expect(refusal(["link set vb up", "link add va2 type veth peer name vb"]) == nil, "a veth's peer is made with it")
    }

    @Test func greRulesAreCheckedBeforeAnythingIsSent() throws {
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ttl 64 nopmtudisc"])?.contains("path MTU discovery") == true)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ignore-df"])?.contains("ignore") == true)
        #expect(refusal(["link add gre1 type gre local 198.51.100.1 ttl 64"])?.contains("needs a key") == true)
        #expect(refusal(["link add gre1 type gre local 198.51.100.1 ttl 64 key 5"]) == nil)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ttl 64", "link add gre2 type gre remote 198.51.100.2 ttl 64"])?
            .contains("cannot tell their packets apart") == true)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ttl 64 key 1", "link add gre2 type gre remote 198.51.100.2 ttl 64 key 2"]) == nil)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ttl 64", "link add gre2 type gretap remote 198.51.100.2 ttl 64"]) == nil,
                "gre and gretap packets differ by their protocol type")
        let (_, warnings, _) = try declare(["link add gre1 type gre remote 198.51.100.2"])
        #expect(warnings.map(\.object) == ["gre1"])
        #expect(warnings.first?.message.contains("ttl inherit") == true)
    }

    @Test func keepaliveStanzasWatchTheFilesTunnels() {
        #expect(refusal(["keepalive watch eth0 interval 5"])?.contains("needs a tunnel the file makes") == true)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ttl 64", "keepalive watch gre1 -j"])?.contains("output") == true)
        #expect(refusal(["link add gre1 type gre remote 198.51.100.2 ttl 64", "keepalive watch local 192.0.2.1 remote 192.0.2.2"]) != nil)
    }

    @Test func ownersAreProtocolNumbersAboveStatic() throws {
        #expect(Owner.gretool.protocolID.rawValue == 47)
        #expect(try Owner(named: "gretool") == .gretool)
        #expect(try Owner(named: "bgp").protocolID == .bgp)
        #expect(throws: InvalidArgument.self) { try Owner(named: "static") }
        #expect(throws: InvalidArgument.self) { try Owner(named: "3") }
        #expect(throws: InvalidArgument.self) { try Owner(named: "no-such-protocol") }
        #expect(Owner.owner(ofLinkAlias: "gretool:47") == .gretool)
        #expect(Owner.owner(ofLinkAlias: "uplink") == nil)
    }
}

@Suite struct ApplySettingsTests {
    /// The option sets the lab compares with iproute2 (Tests/Kernel/lab/gre_options.sh).
    static let optionSets = [
        "gre|remote 198.51.100.9 local 198.51.100.1 ttl 255",
        "gre|remote 198.51.100.9 local 198.51.100.1 key 42",
        "gre|remote 198.51.100.9 key 4294967295",
        "gre|remote 198.51.100.9 ikey 1.2.3.4 okey 7",
        "gre|remote 198.51.100.9 local 198.51.100.1 csum seq",
        "gre|remote 198.51.100.9 icsum oseq",
        "gre|remote 198.51.100.9 ocsum iseq ikey 9",
        "gre|remote 198.51.100.9 local 198.51.100.1 nopmtudisc ignore-df",
        "gre|remote 198.51.100.9 tos 10 ttl 64",
        "gre|remote 198.51.100.9 tos inherit ttl inherit",
        "gre|remote 198.51.100.9 local 198.51.100.1 dev va",
        "gre|remote 198.51.100.9 fwmark 0x1c",
        "gre|remote 198.51.100.9 encap fou encap-sport auto encap-dport 5555 encap-csum",
        "gre|remote 198.51.100.9 encap gue encap-sport 1234 encap-dport 6666 noencap-csum encap-remcsum",
        "gre|external",
        "gretap|remote 198.51.100.9 local 198.51.100.1 key 5",
        "ip6gre|remote 2001:db8::9 local 2001:db8::1 key 9 hoplimit 10 tclass 20 flowlabel 12345 encaplimit 2",
        "ip6gre|remote 2001:db8::9 encaplimit none tclass inherit flowlabel inherit",
        "ip6gre|remote 2001:db8::9 ttl inherit seq csum fwmark 7 allow-localremote",
        "ip6gretap|remote 2001:db8::9 dev va encap fou encap-dport 7777 noencap-udp6-csum",
    ]

    private func options(_ set: String) throws -> GreOptions {
        let parts = set.split(separator: "|").map(String.init)
        var options = GreOptions(kind: parts[0])
        var scanner = WordScanner(words(parts[1]), allowsAbbreviations: false)
        while let word = scanner.next() { _ = try options.apply(word, &scanner, FakeDevices()) }
        try options.finish()
        return options
    }

    /// Applies words to options as `tunnel change` merges them.
    private func merged(_ start: GreOptions, _ text: [String]) throws -> GreOptions {
        var options = start
        var scanner = WordScanner(text, allowsAbbreviations: false)
        while let word = scanner.next() {
            #expect(try options.apply(word, &scanner, FakeDevices()), "\(word)")
        }
        try options.finish()
        return options
    }

    @Test func settingsWrittenAsWordsMakeTheSameOptions() throws {
        for set in Self.optionSets {
            let wanted = try options(set)
            let text = LinkState.words(of: wanted.settings(FakeDevices()), kind: wanted.kind)
            let made = try merged(GreOptions(kind: wanted.kind), text)
            #expect(made.settings(FakeDevices()) == wanted.settings(FakeDevices()), "\(set): \(text)")
            #expect(made == wanted, "\(set): \(text)")
        }
    }

    /// From any option set to any other of its kind, the change's words (resets,
    /// then settings) reach the other exactly, removals included.
    @Test func changeWordsReachTheDeclaredSettingsFromAnyOther() throws {
        let sets = try Self.optionSets.map(options)
        for from in sets {
            for to in sets where to.kind == from.kind {
                let rows = GreOptions.settingWords(kind: to.kind)
                let (was, will) = (from.settings(FakeDevices()), to.settings(FakeDevices()))
                // Settings without a reset (dev, external) are a recreate, not a change.
                let fixed = rows.filter { $0.reset == nil }.map(\.key)
                if fixed.contains(where: { key in was.first { $0.key == key } != will.first { $0.key == key } }) { continue }
                let text = Planner.settingWords(from: was, to: will, rows: rows)
                #expect(try merged(from, text).settings(FakeDevices()) == will, "\(was) -> \(will): \(text)")
            }
        }
    }

    @Test func aKeyRemovedIsAResetWord() throws {
        let rows = GreOptions.settingWords(kind: "gre")
        let keyed = try options("gre|remote 198.51.100.9 key 42 ttl 64")
        let plain = try options("gre|remote 198.51.100.9 ttl 64")
        let text = Planner.settingWords(from: keyed.settings(FakeDevices()), to: plain.settings(FakeDevices()), rows: rows)
        #expect(text == ["nokey"])
        #expect(try merged(keyed, text) == plain)
    }

    /// What the kernel finds a tunnel by (ip_tunnel_find): its endpoints, underlay and
    /// input key, whatever else differs; apply deletes a pruned tunnel holding them
    /// before it makes the one that needs them.
    @Test func tunnelsCollideOnEndpointsAndInputKeyAlone() throws {
        func exclusive(_ text: String) throws -> [KindSetting]? { try options(text).exclusiveSettings(FakeDevices()) }
        let keyed = try exclusive("gre|remote 198.51.100.9 local 198.51.100.1 key 42 ttl 64")
        #expect(try exclusive("gre|remote 198.51.100.9 local 198.51.100.1 ikey 42 okey 7 csum") == keyed)
        #expect(try exclusive("gre|remote 198.51.100.9 local 198.51.100.1 key 43 ttl 64") != keyed)
        #expect(try exclusive("gre|remote 198.51.100.9 local 198.51.100.1 okey 42") != keyed, "keyless on input")
        #expect(try exclusive("gre|remote 198.51.100.8 local 198.51.100.1 key 42") != keyed)
        #expect(try exclusive("gre|external") == [.flag("external")])
        #expect(BridgeOptions(kind: "bridge").exclusiveSettings(FakeDevices()) == nil, "bridges may all be alike")
    }

    /// Every word of a kind, given a value a new link does not have, is kept by the
    /// link's settings: written as their words and read again, it makes the same request.
    @Test func kindWordsAtOtherValuesThanANewLinksAreKeptBySettings() throws {
        let lines = [
            "vx1 type vxlan id 7 remote 198.51.100.7 local 198.51.100.1 dstport 4789 ttl 64 tos 0x10 nolearning df set flowlabel 5"
                + " ageing 600 maxaddress 100 srcport 1000 2000 proxy rsc l2miss l3miss noudpcsum udp6zerocsumtx udp6zerocsumrx"
                + " remcsumtx remcsumrx gbp",
            "vx2 type vxlan external vnifilter",
            "vx3 type vxlan id 9 gpe",
            "vx4 type vxlan id 9 ttl inherit tos inherit df inherit ageing none group 239.1.1.1 dev eth0",
            "br1 type bridge forward_delay 400 hello_time 100 max_age 1000 ageing_time 100 stp_state 1 priority 1 vlan_filtering 1"
                + " vlan_protocol 802.1ad group_fwd_mask 8 vlan_default_pvid 5 vlan_stats_enabled 1 vlan_stats_per_port 1 mcast_router 2"
                + " mcast_snooping 0 mcast_query_use_ifaddr 1 mcast_querier 1 mcast_hash_max 512 mcast_last_member_count 3"
                + " mcast_startup_query_count 3 mcast_last_member_interval 200 mcast_membership_interval 30000"
                + " mcast_querier_interval 30000 mcast_query_interval 10000 mcast_query_response_interval 500 mcast_stats_enabled 1"
                + " mcast_igmp_version 3 mcast_mld_version 2 nf_call_iptables 1 nf_call_ip6tables 1 nf_call_arptables 1",
        ]
        for line in lines {
            let options = try #require(try linkAdd(line).options)
            let written = LinkState.words(of: options.settings(FakeDevices()), kind: options.kind)
            let name = line.prefix { $0 != " " }
            #expect(try encodedLinkAdd("\(name) type \(options.kind) " + written.joined(separator: " ")) == encodedLinkAdd(line), "\(line)")
        }
    }

    /// Each row of a kind's grammar is one apply keeps (a setting writes one of its
    /// spellings, or it turns such a setting off: `nokey`, `noencap`), one of the other
    /// address family's (refused as the words are read), or one apply refuses by name.
    @Test func everyKindWordIsKeptOrRefused() {
        func check<Options: LinkKindOptions>(_ module: Options.Type) {
            for kind in Options.kinds {
                let family = Options(kind: kind).wordFamily
                let kept = Set(Options.settingWords(kind: kind).flatMap { [$0.word] + ($0.off.map { [$0] } ?? []) })
                for entry in Options.grammar.entries where entry.spelling == Options.grammar.name(of: entry) {
                    let spellings = Options.grammar.entries.filter { $0.row == entry.row }.map(\.spelling)
                    let isKept = spellings.contains { kept.contains($0) || $0.hasPrefix("no") && kept.contains(String($0.dropFirst(2))) }
                    let otherFamily = family != nil && entry.family != nil && entry.family != family
                    #expect(isKept || otherFamily || Options.unmanagedWords.contains(entry.spelling), "\(kind): \(entry.spelling)")
                }
            }
            let names = Set(Options.grammar.entries.map { Options.grammar.name(of: $0) })
            #expect(Options.unmanagedWords.isSubset(of: names), "\(Options.unmanagedWords.subtracting(names))")
        }
        for module in LinkKinds.modules { check(module) }
    }

    @Test func everySettingRowIsAWordOfItsKind() throws {
        for kind in GreOptions.kinds {
            for row in GreOptions.settingWords(kind: kind) {
                #expect(GreOptions.keywords.contains(row.word), "\(kind) \(row.key): \(row.word)")
                if let off = row.off { #expect(GreOptions.keywords.contains(off), "\(kind) \(row.key): \(off)") }
            }
        }
        for row in VxlanOptions.settingWords(kind: "vxlan") where row.word != "dev" {
            #expect(VxlanOptions.keywords.contains(row.word), "vxlan \(row.key)")
        }
        for row in BridgeOptions.settingWords(kind: "bridge") { #expect(BridgeOptions.keywords.contains(row.word)) }
    }
}

/// Plans of routes against a kernel whose routes are its dump's messages.
@Suite struct ApplyRoutePlanTests {
    private func route(_ prefix: String, via gateway: String, _ protocolID: RouteProtocol = Owner.gretool.protocolID) throws -> Route {
        var route = Route(destination: try IPPrefix(parsing: prefix))
        route.gateway = IPAddress(gateway)
        route.outputInterface = 7
        route.protocolID = protocolID
        return route
    }

    private func kernel(_ routes: [Route]) throws -> KernelState {
        var list = RouteList()
        for route in routes {
            let bytes = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { try route.encode($0) }
            withMessage(bytes) { list.append($0) }
        }
        return KernelState(links: [], addresses: [], routes: list, nexthops: [], rules: [], dumps: 5)
    }

    /// Each declared route is compared with the first of its key; only what changes is
    /// planned, and only the routes of those keys are in the snapshot.
    @Test func onlyTheRoutesThatDifferArePlannedAndKept() throws {
        let kept = try route("10.0.0.1/32", via: "198.51.100.2")
        let appended = try route("10.0.0.1/32", via: "198.51.100.4")
        let changed = try route("10.0.0.2/32", via: "198.51.100.2")
        let foreign = try route("10.0.0.3/32", via: "198.51.100.2", .static)
        let pruned = try route("10.0.0.4/32", via: "198.51.100.2")
        let kernel = try kernel([kept, appended, changed, foreign, pruned])
        var desired = NetworkState()
        desired.routes = [kept, try route("10.0.0.2/32", via: "198.51.100.3"), try route("10.0.0.5/32", via: "198.51.100.2")]
        let devices = DeviceDirectory(devices: [("va", 7)])
        let plan = try Planner(desired: desired, devices: devices, kernel: kernel, owner: .gretool, options: PlanOptions(prune: true)).plan()
        // The owner's second route of a declared key is not declared: pruned.
        #expect(plan.steps.map { "\($0.operation) \($0.key)" } == ["change 10.0.0.2/32", "add 10.0.0.5/32", "delete 10.0.0.1/32", "delete 10.0.0.4/32"])
        #expect(plan.drift.map(\.key) == ["10.0.0.3/32"])
        #expect(plan.snapshot.map(\.identity) == ["10.0.0.2/32", "10.0.0.5/32", "10.0.0.1/32", "10.0.0.4/32"])
        // The kernel's routes are named through its own links (none here: "if7").
        let kernelDevices = DeviceDirectory(kernel.links)
        #expect(plan.snapshot[0].words == [changed.words(kernelDevices, ownership: true)])
        #expect(plan.snapshot[1].words == [])
        // The words of a key's routes, asked for by key, are those its identity names.
        let observation = Observation(kernel)
        for route in [kept, changed, foreign, pruned] {
            let key = RouteKey(route)
            #expect(observation.words(route: key) == observation.words(.route, key.description))
        }
        #expect(observation.words(route: RouteKey(kept)).count == 2)
        #expect(observation.words(route: RouteKey(foreign)) == [foreign.words(kernelDevices, ownership: true)])
    }

    /// The kernel's routes of one key (`route append`), as the kernel keeps them: in
    /// order; a delete takes the first its words match (the key's alone match any of
    /// the key's, of that protocol); an add is refused when the key has a route, an
    /// append or prepend when the same route is there, and put last or first.
    private struct AliasList {
        var routes: [[String]]

        /// Runs a plan's command, as the kernel does; false where it would refuse.
        mutating func run(_ command: [String]) -> Bool {
            let words = Array(command.dropFirst(2))
            switch command[1] {
            case "delete":
                guard let index = routes.firstIndex(where: { $0.starts(with: words) }) else { return false }
                routes.remove(at: index)
            case "add" where routes.isEmpty: routes.append(words)
            case "append" where !routes.contains(words): routes.append(words)
            case "prepend" where !routes.contains(words): routes.insert(words, at: 0)
            default: return false
            }
            return true
        }
    }

    /// Every mix of the owner's routes and others' in a key of one to five routes,
    /// pruned by an empty file: the owner's go, each by its whole words; the others
    /// stay, as drift. After any number of the steps, their undo, newest first, puts
    /// the key's routes back in their order, wherever the owner's lay among the others.
    @Test func prunedRoutesOfAKeyGoBackInTheirOrderAfterAnyStep() throws {
        let devices = DeviceDirectory(devices: [("va", 7)])
        var desired = NetworkState()
        // A declared route of the same table: someone else's routes there are drift.
        desired.routes = [try route("10.9.0.0/16", via: "198.51.100.2")]
        for count in 1...5 {
            for mix in 0..<(1 << count) {
                // Gateways falling, so that the kernel's order is not the words' sorted order.
                let routes = try (0..<count).map { index in
                    try route("10.17.0.0/16", via: "198.51.100.\(9 - index)", mix & (1 << index) != 0 ? .static : Owner.gretool.protocolID)
                }
                let kernel = try kernel(routes + [desired.routes[0]])
                let plan = try Planner(desired: desired, devices: devices, kernel: kernel, owner: .gretool, options: PlanOptions(prune: true)).plan()
                let words = routes.map { Array($0.words(DeviceDirectory(kernel.links), ownership: true).dropFirst(2)) }
                let owned = routes.indices.filter { routes[$0].protocolID == Owner.gretool.protocolID }
                #expect(plan.steps.count == owned.count && plan.steps.allSatisfy { $0.operation == .delete }, "\(count) routes, mix \(mix)")
                #expect(plan.drift.count == count - owned.count)
                #expect(plan.snapshot.map(\.words) == (owned.isEmpty ? [] : [words.map { ["route", "add"] + $0 }]), "the key's routes, in order")
                #expect(plan.differences(from: kernel).isEmpty)
                if owned.count > 1 {
                    #expect(plan.differences(from: try self.kernel(routes.reversed() + [desired.routes[0]])).count == 1, "another order differs")
                }
                for completed in 0...plan.steps.count {
                    var list = AliasList(routes: words)
                    for step in plan.steps.prefix(completed) {
                        let ran = list.run(step.words)
                        #expect(ran, "\(step.words)")
                    }
                    if completed == plan.steps.count {
                        #expect(list.routes == words.indices.filter { !owned.contains($0) }.map { words[$0] }, "the others stay, in order")
                    }
                    // Taken back newest first, as a rollback does (Transaction.undo).
                    for command in plan.steps.prefix(completed).reversed().flatMap(\.undo) {
                        let ran = list.run(command)
                        #expect(ran, "\(command)")
                    }
                    #expect(list.routes == words, "\(count) routes, mix \(mix), \(completed) steps taken back")
                }
            }
        }
    }

    /// A declared route of a key someone else's route holds is changed as declared and
    /// is the owner's from then on: the plan warns of it, and of nothing else.
    @Test func takingOverSomeoneElsesRouteIsWarnedOf() throws {
        let bgp = try route("10.6.0.0/16", via: "198.51.100.2", .bgp)
        let owned = try route("10.7.0.0/16", via: "198.51.100.2")
        var desired = NetworkState()
        desired.routes = [try route("10.6.0.0/16", via: "198.51.100.3"), try route("10.7.0.0/16", via: "198.51.100.3")]
        let plan = try Planner(desired: desired, devices: DeviceDirectory(devices: [("va", 7)]), kernel: try kernel([bgp, owned]),
                               owner: .gretool, options: PlanOptions()).plan()
        #expect(plan.steps.map(\.words) == [["route", "replace", "10.6.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "va"],
                                             ["route", "replace", "10.7.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "va"]])
        #expect(plan.warnings == [ApplyWarning(object: "route 10.6.0.0/16", message: "protocol bgp's, changed as declared: gretool's from now on")])
    }

    /// A declared route is as declared when any route of its key is; the owner's others
    /// of the key are pruned, someone else's are drift.
    @Test func aDeclaredRouteIsFoundAmongTheRoutesOfItsKey() throws {
        let first = try route("10.17.0.0/16", via: "198.51.100.2")
        let second = try route("10.17.0.0/16", via: "198.51.100.3")
        let foreign = try route("10.17.0.0/16", via: "198.51.100.4", .static)
        let kernel = try kernel([first, second, foreign])
        var desired = NetworkState()
        desired.routes = [second]
        let devices = DeviceDirectory(devices: [("va", 7)])
        let plan = { (prune: Bool) in try Planner(desired: desired, devices: devices, kernel: kernel, owner: .gretool, options: PlanOptions(prune: prune)).plan() }
        #expect(try plan(false).steps.isEmpty)
        let pruning = try plan(true)
        #expect(pruning.steps.map(\.words) == [["route", "delete", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "if7"]])
        #expect(pruning.steps[0].undo == [["route", "prepend", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "if7"]])
        #expect(pruning.drift.map(\.reason) == ["route 3 of 3 of its key (via 198.51.100.4 dev if7): not in the file, and not apply's (protocol static): left alone"])
        // None as declared: the first is changed in place, as `route replace` does.
        desired.routes = [try route("10.17.0.0/16", via: "198.51.100.5")]
        #expect(try plan(false).steps.map(\.words) == [["route", "replace", "10.17.0.0/16", "proto", "47", "via", "198.51.100.5", "dev", "va"]])
        #expect(try plan(true).steps.map(\.operation) == [.change, .delete])
    }

    /// The routes of a key a file declares several of (`route append`) must be the
    /// kernel's, in order: then nothing is written; a key without routes gets the first
    /// added and the others appended; any other routes of the key are deleted, last
    /// first, each undone by appending it again, and the declared ones made.
    @Test func severalRoutesOfAKeyAreMadeInTheirOrder() throws {
        let (first, second) = (try route("10.17.0.0/16", via: "198.51.100.2"), try route("10.17.0.0/16", via: "198.51.100.3"))
        let devices = DeviceDirectory(devices: [("va", 7)])
        var desired = NetworkState()
        desired.routes = [first, second]
        let plan = { (kernel: [Route]) in
            try Planner(desired: desired, devices: devices, kernel: try self.kernel(kernel), owner: .gretool, options: PlanOptions()).plan()
        }
        #expect(try plan([first, second]).steps.isEmpty)
        #expect(try plan([]).steps.map(\.words) == [["route", "add", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "va"],
                                                    ["route", "append", "10.17.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "va"]])
        let reordered = try plan([second, first])
        #expect(reordered.steps.map(\.words) == [["route", "delete", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "if7"],
                                                 ["route", "delete", "10.17.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "if7"],
                                                 ["route", "add", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "va"],
                                                 ["route", "append", "10.17.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "va"]])
        #expect(reordered.steps.map(\.undo) == [[["route", "append", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "if7"]],
                                                [["route", "append", "10.17.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "if7"]],
                                                [["route", "delete", "10.17.0.0/16", "proto", "47", "via", "198.51.100.2", "dev", "va"]],
                                                [["route", "delete", "10.17.0.0/16", "proto", "47", "via", "198.51.100.3", "dev", "va"]]])
        #expect(reordered.snapshot.map(\.identity) == ["10.17.0.0/16"])
        // Someone else's route of the key is taken, and said to be.
        let taken = try plan([try route("10.17.0.0/16", via: "198.51.100.2", .static)])
        #expect(taken.steps.map(\.operation) == [.delete, .add, .add])
        #expect(taken.warnings.map(\.object) == ["route 10.17.0.0/16"])
    }

    /// IPv6 keeps routes of a key as legs of one route, or adds another after them: a
    /// prune that would delete one of several cannot be taken back, and is refused.
    @Test func anIPv6RouteThatSharesItsKeyIsNotPruned() throws {
        var routes = [Route(destination: try IPPrefix(parsing: "2001:db8:9::/48")), Route(destination: try IPPrefix(parsing: "2001:db8:9::/48"))]
        for index in routes.indices {
            routes[index].family = .inet6
            routes[index].priority = Route.ipv6DefaultMetric
            routes[index].outputInterface = Int32(7 + index)
            routes[index].protocolID = Owner.gretool.protocolID
        }
        let plan = { (routes: [Route]) in
            try Planner(desired: NetworkState(), devices: DeviceDirectory(devices: []), kernel: try self.kernel(routes), owner: .gretool,
                        options: PlanOptions(prune: true)).plan()
        }
        #expect(throws: PlanRefusal.self) { try plan(routes) }
        #expect(try plan([routes[0]]).steps.map(\.words) == [["route", "delete", "2001:db8:9::/48", "proto", "47"]])
    }
}

/// The index of routes by key the declaration reader keeps and the planner looks up.
@Suite struct RouteKeyIndexTests {
    /// The reader keeps its routes' places as lines, a file's name once a run: each
    /// reads back as it was given, whatever the files and forms between them.
    @Test func placesReadBackAsGiven() {
        let given = (1...300).map { DeclarationPlace("/etc/gretool/a.conf", line: $0) }
            + [DeclarationPlace("routes[0]"), DeclarationPlace("routes[1]"), DeclarationPlace("/etc/gretool/a.conf")]
            + (1...5).map { DeclarationPlace("/etc/gretool/a.conf", line: $0 * 7) }
            + [DeclarationPlace("b.conf", line: 1), DeclarationPlace("b.conf", line: Int(Int32.max) + 1), DeclarationPlace("b.conf", line: 3),
               DeclarationPlace("/etc/gretool/a.conf", line: 9)]
        var places = DeclarationPlaces()
        for place in given { places.append(place) }
        #expect(given.indices.map { places[$0].description } == given.map(\.description))
    }

    /// Routes of many keys: families, tables, metrics, sources and tos tell them apart.
    private func routes(_ count: Int) throws -> [Route] {
        try (0..<count).map { number in
            let v6 = number % 5 == 0
            var route = Route(destination: try IPPrefix(parsing: v6 ? "2001:db8:\(String(number, radix: 16))::/48" : "10.\(number / 256 % 256).\(number % 256).0/24"))
            if number % 3 == 0 { route.table = RouteTable(rawValue: 100) }
            if number % 4 == 0 { route.priority = UInt32(number % 16) }
            if number % 9 == 0, v6 { route.source = try IPPrefix(parsing: "2001:db8::/32") }
            if number % 7 == 0, !v6 { route.tos = 0x10 }
            return route
        }
    }

    @Test func eachKeyFindsTheFirstRouteOfItsKey() throws {
        let routes = try routes(3000)
        #expect(Set(routes.map(RouteKey.init)).count == routes.count, "the routes are of keys of their own")
        // Kept as a declared list keeps them: the IPv4 routes as records, the IPv6 ones whole.
        let list = RouteList(routes)
        #expect(list.indices.filter { list.record(at: $0) != nil }.count == routes.count - routes.count / 5)
        // Grown from nothing, one position at a time, as a file is read.
        var index = RouteKeyIndex()
        for (position, route) in routes.enumerated() {
            #expect(index.insert(RouteKey(route), at: position, in: list) == nil)
        }
        #expect(index.count == routes.count)
        for (position, route) in routes.enumerated() {
            #expect(list.key(at: position) == RouteKey(route))
            #expect(index.position(of: RouteKey(route), in: list) == position)
            // A second route of a key is refused with the first's position, and not kept.
            #expect(index.insert(RouteKey(route), at: routes.count, in: list) == position)
        }
        #expect(index.count == routes.count)
        // What no route has is not found: another metric, table, tos or source.
        for var route in routes.prefix(200) {
            route.priority = 99
            #expect(index.position(of: RouteKey(route), in: list) == nil)
        }
        var other = routes[1]
        other.table = RouteTable(rawValue: 200)
        #expect(index.position(of: RouteKey(other), in: list) == nil)
        #expect(RouteKeyIndex().position(of: RouteKey(other), in: []) == nil)
        // Made from a list whose keys repeat: the first of each.
        let twice = RouteList(routes + routes)
        let made = RouteKeyIndex(twice)
        #expect(made.count == routes.count)
        #expect(routes.indices.allSatisfy { made.position(of: RouteKey(twice[$0 + routes.count]), in: twice) == $0 })
    }

    /// Routes declared in the order of their keys are held without hashing: each is
    /// found (by a right guess, a wrong one or none), a repeat of any is refused with
    /// its first position, and what the list does not hold is not found. The first
    /// route out of order makes the table, and every route is found as before.
    @Test func routesInOrderAreFoundWithoutATableUntilOneIsNot() throws {
        let routes = try routes(3000).sorted { RouteKey($0).precedes(RouteKey($1)) }
        let list = RouteList(routes)
        var index = RouteKeyIndex()
        index.reserveCapacity(routes.count + 1, in: [])
        for (position, route) in routes.enumerated() {
            #expect(index.insert(RouteKey(route), at: position, in: list) == nil)
        }
        #expect(index.isInOrder)
        for (position, route) in routes.enumerated() {
            let key = RouteKey(route)
            #expect(index.position(of: key, in: list) == position)
            #expect(index.position(of: key, in: list, guess: position) == position)
            #expect(index.position(of: key, in: list, guess: (position + 7) % routes.count) == position)
            #expect(index.insert(key, at: routes.count, in: list) == position)
            // A kernel route kept as a record is looked up by its record, guessed right or not.
            if let record = list.record(at: position) {
                #expect(index.position(ofKeyOf: record, in: list, guess: position) == position)
                #expect(index.position(ofKeyOf: record, in: list, guess: (position + 7) % routes.count) == position)
            }
        }
        #expect(index.isInOrder && index.count == routes.count)
        // Another metric, table or source: not found, guessed or not.
        for (position, var route) in routes.enumerated().prefix(300) {
            route.priority = 99
            #expect(index.position(of: RouteKey(route), in: list, guess: position) == nil)
            if let record = RouteList([route]).record(at: 0) {
                #expect(index.position(ofKeyOf: record, in: list, guess: position) == nil)
            }
        }
        let sourced = try #require(routes.firstIndex { $0.source != nil })
        var unsourced = routes[sourced]
        unsourced.source = nil
        #expect(index.position(of: RouteKey(unsourced), in: list, guess: sourced) == nil)
        // Out of order: the table is made, and holds every route, the new one too.
        var late = routes[0]
        late.table = RouteTable(rawValue: 7)
        let grown = RouteList(routes + [late])
        #expect(index.insert(RouteKey(late), at: routes.count, in: grown) == nil)
        #expect(!index.isInOrder && index.count == grown.count)
        #expect(grown.indices.allSatisfy { index.position(of: RouteKey(grown[$0]), in: grown) == $0 })
        #expect(index.insert(RouteKey(routes[42]), at: grown.count, in: grown) == 42)
    }

    /// The reader's index goes with its state to the planner; a list changed since
    /// forgets it, and the planner makes its own.
    @Test func theReadersIndexGoesWithTheStateUntilTheRoutesChange() throws {
        let read = try declare(["route add 10.0.0.1/32 via 198.51.100.2 dev va", "route add 10.0.0.2/32 via 198.51.100.2 dev va",
                                "route add 2001:db8::/48 dev va"])
        var state = read.0
        let devices = read.2
        let index = try #require(state.routeIndex)
        #expect(state.routes.indices.allSatisfy { index.position(of: RouteKey(state.routes[$0]), in: state.routes) == $0 })
        var kernelRoute = state.routes[1]
        kernelRoute.gateway = IPAddress("198.51.100.3")
        var list = RouteList()
        for route in [state.routes[0], kernelRoute] {
            let bytes = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { try route.encode($0) }
            withMessage(bytes) { list.append($0) }
        }
        let kernel = KernelState(links: [], addresses: [], routes: list, nexthops: [], rules: [], dumps: 5)
        let plan = { (state: NetworkState) in
            try Planner(desired: state, devices: devices, kernel: kernel, owner: .gretool, options: PlanOptions()).plan().steps.map { "\($0.operation) \($0.key)" }
        }
        #expect(try plan(state) == ["change 10.0.0.2/32", "add 2001:db8::/48"])
        state.routes = RouteList([state.routes[2], state.routes[1], state.routes[0]])
        #expect(state.routeIndex == nil)
        #expect(try plan(state) == ["add 2001:db8::/48", "change 10.0.0.2/32"])
    }
}

@Suite struct ApplyComparisonTests {
    private func route(_ text: String) throws -> Route {
        try RouteRequest.parse(words(text), .add, family: .unspecified, devices: FakeDevices())
    }

    /// A kernel route of the usual form is compared from its message's fields
    /// (`Route.plain`) as the whole route it decodes to is: every declaration against
    /// every kernel route, with the states and the cache information the kernel adds.
    @Test func aPlainKernelRouteIsComparedAsTheWholeRoute() throws {
        let forms = [
            "10.0.0.1/32 via 198.51.100.2 dev eth0", "10.0.0.1/32 via 198.51.100.2", "10.0.0.1/32 dev eth0", "10.0.0.1/32 dev va",
            "10.0.0.1/32 via 198.51.100.3 dev eth0", "10.0.0.1/32 via 198.51.100.2 dev va", "10.0.0.1/32 via 198.51.100.2 dev eth0 onlink",
            "10.0.0.1/32 via 198.51.100.2 dev eth0 metric 5", "10.0.0.1/32 via 198.51.100.2 dev eth0 proto static",
            "10.0.0.1/32 via 198.51.100.2 dev eth0 scope link", "blackhole 10.0.0.1/32", "unreachable 10.0.0.1/32",
            "10.0.0.1/32 via 198.51.100.2 dev eth0 table 100", "10.0.0.1/32 tos 0x10 via 198.51.100.2 dev eth0",
            "10.0.0.1/32 via 198.51.100.2 dev eth0 src 198.51.100.1", "10.0.0.1/32 via 198.51.100.2 dev eth0 mtu 1400",
            "10.0.0.1/32 via 198.51.100.2 dev eth0 realms 3", "10.0.0.1/32 via 198.51.100.2 dev eth0 encap ip id 5 dst 198.51.100.9",
            "10.0.0.1/32 nhid 4", "10.0.0.1/32 nexthop via 198.51.100.2 dev eth0 nexthop via 198.51.100.3 dev eth0",
            "10.0.0.1/32 via inet6 2001:db8::1 dev eth0", "2001:db8::/64 via 2001:db8::1 dev eth0", "2001:db8::/64 dev eth0",
            "2001:db8::/64 via 2001:db8::1 dev eth0 pref high", "2001:db8::/64 via 2001:db8::1 dev eth0 metric 1024",
            "2001:db8::/64 from 2001:db8:1::/48 dev eth0",
        ]
        let declared = try forms.map(route)
        // What the kernel reports: each form, also in a state (linkdown) and with cache information.
        var reported: [[UInt8]] = []
        for form in forms {
            var route = try route(form)
            var bytes = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { try route.encode($0) }
            reported.append(bytes)
            // RTA_CACHEINFO, 32 bytes, as the kernel adds to an IPv6 route.
            bytes += [36, 0, UInt8(RouteAttribute.cacheInfo.rawValue), 0] + [UInt8](repeating: 0, count: 32)
            bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(bytes.count)) { Array($0) })
            reported.append(bytes)
            route.flags.insert(.linkdown)
            reported.append(try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { try route.encode($0) })
        }
        var (plainRoutes, comparisons, matches, recordComparisons) = (0, 0, 0, 0)
        for bytes in reported {
            try withMessage(bytes) { message in
                let whole = try #require(Route(message))
                guard let plain = Route.plain(message) else { return }
                plainRoutes += 1
                #expect(plain.key == RouteKey(whole))
                let kernelRecord = RouteList([whole]).record(at: 0)
                for route in declared {
                    guard let satisfied = Planner.satisfies(route, plain) else { continue }
                    comparisons += 1
                    if satisfied { matches += 1 }
                    #expect(satisfied == Planner.satisfies(route, whole), "\(RouteKey(route)) against \(RouteKey(whole))")
                    // Both kept as records (a declared list's and a dump's), compared field by field.
                    if let kernelRecord, let declaredRecord = RouteList([route]).record(at: 0) {
                        recordComparisons += 1
                        #expect(declaredRecord.hasKey(of: kernelRecord) == (RouteKey(route) == plain.key))
                        #expect(Planner.satisfies(declaredRecord, kernelRecord) == satisfied, "\(RouteKey(route)) against \(RouteKey(whole))")
                    }
                }
            }
        }
        #expect(recordComparisons > 300)
        // Forms with more than a plain route has are read whole; the others are compared.
        #expect(plainRoutes == 3 * forms.firstIndex(of: "10.0.0.1/32 via 198.51.100.2 dev eth0 src 198.51.100.1")! + 3 * 4)
        #expect(comparisons > 1000 && matches > 50)
        withMessage(reported[0]) { message in
            #expect(Route.plain(message)?.gateway == IPAddress("198.51.100.2"))
            #expect(Route.plain(message)?.outputInterface == 5)
        }
    }

    @Test func aRouteWithoutADeviceTakesTheKernels() throws {
        var declared = try route("10.0.0.0/8 via 192.0.2.1")
        var found = declared
        found.outputInterface = 5
        #expect(Planner.satisfies(declared, found))
        declared.outputInterface = 7
        #expect(!Planner.satisfies(declared, found), "a device named is compared")
    }

    @Test func kernelStatesOfARouteAreNotDifferences() throws {
        let declared = try route("2001:db8::/32 via 2001:db8::1 dev eth0")
        var found = declared
        found.preference = .medium
        found.flags = .linkdown
        #expect(Planner.satisfies(declared, found))
        found.protocolID = .static
        #expect(!Planner.satisfies(declared, found), "the protocol is the owner: compared")
    }

    @Test func realmsAndEncapsulationAreCompared() throws {
        let declared = try route("10.0.0.0/8 via 192.0.2.1 dev eth0 realms 7 encap ip id 5 dst 198.51.100.9")
        // The kernel reports every field of an ip encapsulation, zero where none was given.
        var found = try route("10.0.0.0/8 via 192.0.2.1 dev eth0 realms 7 encap ip id 5 src 0.0.0.0 dst 198.51.100.9 ttl 0 tos 0")
        #expect(Planner.satisfies(declared, found))
        found.opaque.removeAll { $0.typeAndFlags == RouteAttribute.flow.rawValue }
        #expect(!Planner.satisfies(declared, found), "realms dropped")
        #expect(!Planner.satisfies(try route("10.0.0.0/8 via 192.0.2.1 dev eth0 encap ip id 6 dst 198.51.100.9"), found), "another key")
        #expect(!Planner.satisfies(try route("10.0.0.0/8 via 192.0.2.1 dev eth0"), found), "an encapsulation not declared")
        // Realm 0 is none: the kernel reports no realms then.
        #expect(Planner.satisfies(try route("10.0.0.0/8 via 192.0.2.1 dev eth0 realms 0"), try route("10.0.0.0/8 via 192.0.2.1 dev eth0")))
        let legs = try route("10.0.0.0/8 nexthop via 192.0.2.1 dev eth0 realms 3 nexthop via 192.0.2.2 dev eth0")
        var legsFound = legs
        legsFound.nexthops[0].opaque = []
        #expect(!Planner.satisfies(legs, legsFound), "a leg's realms dropped")
        #expect(!Planner.satisfies(try route("10.0.0.0/8 via 192.0.2.1 dev eth0 rtt 80"), try route("10.0.0.0/8 via 192.0.2.1 dev eth0")))
        // A route on a nexthop object is reported with the object's encapsulation.
        let onObject = try route("10.0.0.0/8 nhid 4")
        var reported = onObject
        reported.gateway = found.gateway
        reported.outputInterface = found.outputInterface
        reported.opaque = found.opaque
        #expect(reported.encapsulation != nil)
        #expect(Planner.satisfies(onObject, reported))
    }

    @Test func aNexthopsEncapsulationIsCompared() throws {
        let declared = try NexthopRequest.parse(words("id 4 via 192.0.2.1 dev eth0 encap ip id 5 dst 198.51.100.9"), .add,
                                                family: .unspecified, devices: FakeDevices())
        var found = try NexthopRequest.parse(words("id 4 via 192.0.2.1 dev eth0 encap ip id 5 src 0.0.0.0 dst 198.51.100.9 ttl 0 tos 0"), .add,
                                             family: .unspecified, devices: FakeDevices())
        #expect(Planner.satisfies(declared, found))
        found.opaque = []
        #expect(!Planner.satisfies(declared, found))
    }

    @Test func aRuleWithoutAPriorityTakesTheKernels() throws {
        let declared = try RuleRequest.parse(words("from 192.0.2.0/24 fwmark 5 lookup 100"), .add, family: .unspecified)
        var found = declared
        found.priority = 32765
        found.fwmask = .max
        found.suppressPrefixLength = -1
        found.suppressInterfaceGroup = -1
        found.protocolID = .boot
        #expect(Planner.satisfies(declared, found))
        found.table = RouteTable(rawValue: 101)
        #expect(!Planner.satisfies(declared, found))
    }

    @Test func aGroupsTypeAndTimersAreTheKernelsUnlessDeclared() throws {
        let declared = try NexthopRequest.parse(words("id 10 group 1/2"), .add, family: .unspecified, devices: FakeDevices())
        var found = declared
        found.groupType = .multipath
        #expect(Planner.satisfies(declared, found))
        found.group = [.init(id: 1), .init(id: 2, weight: 3)]
        #expect(!Planner.satisfies(declared, found))
    }
}

@Suite struct JSONValueTests {
    @Test func documentsParse() throws {
        let value = try JSONValue.parse(Array(#" {"a": [1, -2.5e3, "x\"\u00e9\ud83d\ude00", true, false, null], "b": {}} "#.utf8))
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .string("x\"é😀"), .bool(true), .bool(false), .null]))
        #expect(value["b"] == .object([]))
    }

    @Test func faultsAreRefusedWithTheirOffset() {
        for bad in ["", "{", "[1,]", "{\"a\":1,\"a\":2}", "01", "\"\u{1}\"", "\"\\ud800\"", "[1] x", "tru", "{\"a\" 1}", "\"\\uzzzz\""] {
            #expect(throws: InvalidArgument.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: JSONValue.maximumDepth + 1) + String(repeating: "]", count: JSONValue.maximumDepth + 1)
        #expect(throws: InvalidArgument.self) { try JSONValue.parse(Array(deep.utf8)) }
    }
}
