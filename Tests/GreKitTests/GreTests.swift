import CMnl
import Testing
@testable import GreKit

/// Devices for word parsing: eth0 is 5, va is 7.
struct FakeDevices: InterfaceResolver {
    var indexes: [String: Int32] = ["eth0": 5, "va": 7]
    func index(of name: String) throws -> Int32 {
        guard let index = indexes[name] else { throw DeviceNotFound(name) }
        return index
    }
    func name(of index: Int32) -> String? { indexes.first { $0.value == index }?.key }
}

func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// Runs `body` on the message held in `bytes`.
func withMessage<Result>(_ bytes: [UInt8], _ body: (NetlinkMessage) throws -> Result) rethrows -> Result {
    try bytes.withUnsafeBytes { try body(NetlinkMessage(header: $0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))) }
}

/// `link add` words -> the request gretool would send.
func linkAdd(_ text: String) throws -> LinkRequest {
    try LinkRequest.parse(words(text), mode: .create, devices: FakeDevices()) { _ in throw DeviceNotFound("unused") }
}

/// The encoded RTM_NEWLINK of `link add WORDS`.
func encodedLinkAdd(_ text: String) throws -> [UInt8] {
    let request = try linkAdd(text)
    return try MessageBuffer.encode(type: RouteMessageType.newLink.rawValue, flags: [.request, .create, .exclusive]) {
        try request.encode($0, index: 0)
    }
}

/// The IFLA_GRE_* attributes that `link add WORDS` sends, in order, with their payloads in hex.
func greData(_ text: String) throws -> [(GreAttribute, String)] {
    let bytes = try encodedLinkAdd(text)
    return withMessage(bytes) { message in
        guard let data = message.attributes(after: ifinfomsg.self, LinkAttribute.self)[.linkinfo]?
            .nested(LinkInfoAttribute.self)[.data] else { return [] }
        return data.nested(GreAttribute.self).map { ($0.key!, hex($0.payload)) }
    }
}

func greAttribute(_ text: String, _ attribute: GreAttribute) throws -> String? {
    try greData(text).first { $0.0 == attribute }?.1
}

@Suite struct GreEncodingTests {
    @Test func defaultsAreWhatIproute2Sends() throws {
        // iproute2's link_gre.c order and values for "type gre remote 192.0.2.1".
        let data = try greData("t type gre remote 192.0.2.1")
        #expect(data.map(\.0) == [.inputKey, .outputKey, .inputFlags, .outputFlags, .remote, .pmtudisc, .tos, .ttl,
                                  .fwmark, .encapType, .encapFlags, .encapSourcePort, .encapDestinationPort])
        #expect(data.map(\.1) == ["00000000", "00000000", "0000", "0000", "c0000201", "01", "00", "00",
                                  "00000000", "0000", "0000", "0000", "0000"])
    }

    @Test func keysAndTheirFlagsAreBigEndian() throws {
        let data = try greData("t type gre key 42")
        #expect(data.first { $0.0 == .inputKey }?.1 == "0000002a")
        #expect(data.first { $0.0 == .outputKey }?.1 == "0000002a")
        #expect(data.first { $0.0 == .inputFlags }?.1 == "2000")
        #expect(data.first { $0.0 == .outputFlags }?.1 == "2000")
        #expect(try greAttribute("t type gre key 1.2.3.4", .inputKey) == "01020304")
        #expect(try greAttribute("t type gre key 4294967295", .outputKey) == "ffffffff")
    }

    @Test func separateInputAndOutputKeys() throws {
        let data = try greData("t type gre ikey 7 okey 0.0.1.0")
        #expect(data.first { $0.0 == .inputKey }?.1 == "00000007")
        #expect(data.first { $0.0 == .outputKey }?.1 == "00000100")
        #expect(data.first { $0.0 == .inputFlags }?.1 == "2000")
        #expect(data.first { $0.0 == .outputFlags }?.1 == "2000")
        #expect(try greAttribute("t type gre ikey 7", .outputFlags) == "0000")
        #expect(try greAttribute("t type gre key 7 nookey", .outputFlags) == "0000")
    }

    @Test func checksumAndSequenceFlags() throws {
        #expect(try greAttribute("t type gre csum", .inputFlags) == "8000")
        #expect(try greAttribute("t type gre csum", .outputFlags) == "8000")
        #expect(try greAttribute("t type gre icsum", .outputFlags) == "0000")
        #expect(try greAttribute("t type gre ocsum", .outputFlags) == "8000")
        #expect(try greAttribute("t type gre seq", .inputFlags) == "1000")
        #expect(try greAttribute("t type gre iseq", .inputFlags) == "1000")
        #expect(try greAttribute("t type gre oseq", .outputFlags) == "1000")
        #expect(try greAttribute("t type gre key 1 csum seq", .outputFlags) == "b000")
        #expect(try greAttribute("t type gre csum nocsum", .inputFlags) == "0000")
    }

    @Test func endpointsTtlTosAndDevice() throws {
        #expect(try greAttribute("t type gre local 198.51.100.1", .local) == "c6336401")
        #expect(try greAttribute("t type gre remote 203.0.113.9", .remote) == "cb007109")
        #expect(try greAttribute("t type gre remote any", .remote) == nil)
        #expect(try greAttribute("t type gre ttl 255", .ttl) == "ff")
        #expect(try greAttribute("t type gre ttl inherit", .ttl) == "00")
        #expect(try greAttribute("t type gre tos 10", .tos) == "10")
        #expect(try greAttribute("t type gre tos 0x1c", .tos) == "1c")
        #expect(try greAttribute("t type gre tos inherit", .tos) == "01")
        #expect(try greAttribute("t type gre dev eth0", .link) == "05000000")
        #expect(try greAttribute("t type gre", .link) == nil)
    }

    @Test func pathMTUDiscoveryIgnoreDFAndFwmark() throws {
        #expect(try greAttribute("t type gre nopmtudisc", .pmtudisc) == "00")
        #expect(try greAttribute("t type gre pmtudisc", .pmtudisc) == "01")
        #expect(try greAttribute("t type gre nopmtudisc ignore-df", .ignoreDF) == "01")
        #expect(try greAttribute("t type gre noignore-df", .ignoreDF) == "00")
        #expect(try greAttribute("t type gre", .ignoreDF) == nil)
        #expect(try greAttribute("t type gre fwmark 0x1c", .fwmark) == "1c000000")
    }

    @Test func encapsulation() throws {
        let data = try greData("t type gre encap fou encap-sport 1234 encap-dport 5555 encap-csum encap-remcsum")
        #expect(data.first { $0.0 == .encapType }?.1 == "0100")
        #expect(data.first { $0.0 == .encapFlags }?.1 == "0500")
        #expect(data.first { $0.0 == .encapSourcePort }?.1 == "04d2")
        #expect(data.first { $0.0 == .encapDestinationPort }?.1 == "15b3")
        #expect(try greAttribute("t type gre encap gue encap-sport auto", .encapType) == "0200")
        #expect(try greAttribute("t type gre encap gue encap-sport auto", .encapSourcePort) == "0000")
        #expect(try greAttribute("t type gre encap fou noencap", .encapType) == "0000")
    }

    @Test func externalSendsOnlyTheFlag() throws {
        let data = try greData("t type gre external")
        #expect(data.map(\.0) == [.collectMetadata])
        #expect(data.map(\.1) == [""])
    }

    @Test func ip6greSendsTheIPv6Attributes() throws {
        let data = try greData("t type ip6gre remote 2001:db8::2 hoplimit 10 tclass 20 flowlabel 12345 encaplimit 2")
        #expect(data.map(\.0) == [.inputKey, .outputKey, .inputFlags, .outputFlags, .remote, .ttl, .encapLimit,
                                  .flowInfo, .flags, .fwmark, .encapType, .encapFlags, .encapSourcePort, .encapDestinationPort])
        #expect(data.first { $0.0 == .remote }?.1 == "20010db8000000000000000000000002")
        #expect(data.first { $0.0 == .ttl }?.1 == "0a")
        #expect(data.first { $0.0 == .encapLimit }?.1 == "02")
        #expect(data.first { $0.0 == .flowInfo }?.1 == "02012345")
        #expect(data.first { $0.0 == .flags }?.1 == "00000000")
        #expect(data.first { $0.0 == .encapFlags }?.1 == "0200", "udp6 checksums on by default, as iproute2")
        #expect(try greAttribute("t type ip6gre encaplimit none tclass inherit flowlabel inherit", .flags) == "07000000")
        #expect(try greAttribute("t type ip6gre", .ttl) == "40")
    }

    @Test func kindAndGenericWordsAroundIt() throws {
        let bytes = try encodedLinkAdd("gre5 mtu 1400 type gretap remote 192.0.2.1")
        withMessage(bytes) { message in
            let link = message.attributes(after: ifinfomsg.self, LinkAttribute.self)
            #expect(link[.ifname]?.string == "gre5")
            #expect(link[.mtu]?.u32 == 1400)
            #expect(link[.linkinfo]?.nested(LinkInfoAttribute.self)[.kind]?.string == "gretap")
        }
        // Generic words after the kind's words are taken too.
        #expect(try linkAdd("t type gre remote 192.0.2.1 mtu 1400").mtu == 1400)
        #expect(try linkAdd("t type gre key 5 up").setFlags.contains(.up))
    }
}

@Suite struct GreDecodingTests {
    private func decode(_ bytes: [UInt8]) -> Link? { withMessage(bytes) { Link($0) } }

    @Test func greWithKeyChecksumSequenceAndDevice() throws {
        let link = try #require(decode(KernelReplies.g1))
        #expect(link.name == "g1")
        #expect(link.kind == "gre")
        #expect(link.mtu == 1464, "1500 - 20 - 4 - key, csum and seq")
        let gre = try #require(link.options as? GreOptions)
        #expect(gre.remote == IPAddress("198.51.100.2"))
        #expect(gre.local == IPAddress("198.51.100.1"))
        #expect(gre.ttl == 255)
        #expect(gre.inputKey.value == 42 && gre.outputKey.value == 42)
        #expect(gre.inputFlags == [.key, .checksum, .sequence])
        #expect(gre.outputFlags == [.key, .checksum, .sequence])
        #expect(gre.pathMTUDiscovery)
        #expect(gre.underlay != 0)
        #expect(gre.overhead == 36)
    }

    @Test func gretapWithSplitKeysFouAndIgnoreDF() throws {
        let link = try #require(decode(KernelReplies.g2))
        let gre = try #require(link.options as? GreOptions)
        #expect(link.kind == "gretap")
        #expect(gre.inputKey.value == 0x0102_0304)
        #expect(gre.outputKey.value == 7)
        #expect(!gre.pathMTUDiscovery)
        #expect(gre.ignoreDF == true)
        #expect(gre.tos == 1)
        #expect(gre.encapsulation.kind == .fou)
        #expect(gre.encapsulation.destinationPort == 5555)
        #expect(gre.local == nil)
    }

    @Test func ip6greFlowInfoAndFlags() throws {
        let link = try #require(decode(KernelReplies.g3))
        let gre = try #require(link.options as? GreOptions)
        #expect(link.kind == "ip6gre")
        #expect(gre.remote == IPAddress("2001:db8::2"))
        #expect(gre.ttl == 10)
        #expect(gre.flowInfo == 0x0201_2345)
        #expect(gre.ipv6Flags.contains(.ignoreEncapLimit))
    }

    @Test func describedAsIproute2Prints() throws {
        let link = try #require(decode(KernelReplies.g1))
        let gre = try #require(link.options as? GreOptions)
        let text = gre.describe(FakeDevices(indexes: ["va": gre.underlay]), naming: .names).compactMap(\.text).joined(separator: " ")
        #expect(text == "remote 198.51.100.2 local 198.51.100.1 dev va ttl 255 ikey 0.0.0.42 okey 0.0.0.42 iseq oseq icsum ocsum")
    }

    /// `ip tunnel show` names the TOS from rt_dsfield (rtnl_dsfield_n2a; -N writes the
    /// number), a TOS that also inherits as "inherit/" and the rest; `ip -d link show`
    /// writes it in hexadecimal.
    @Test func tunnelShowNamesTheTOS() {
        func tos(_ value: UInt8, naming: Naming = .names) -> (tunnel: String?, json: Field.Value?, link: String?) {
            var gre = GreOptions(.gre)
            gre.tos = value
            let shown = gre.describeAsTunnel(name: "g1", FakeDevices(), naming: naming).first { $0.text?.hasPrefix("tos ") == true }
            let link = gre.describe(FakeDevices(), naming: naming).first { $0.key == "tos" }
            return (shown?.text, shown?.inJSON == true ? shown?.value : nil, link?.text)
        }
        #expect(tos(0x28) == ("tos AF11", .string("AF11"), "tos 0x28"))
        #expect(tos(0x28, naming: Naming(numeric: true)) == ("tos 0x28", .string("0x28"), "tos 0x28"))
        #expect(tos(0x29) == ("tos inherit/AF11", .string("0x29"), "tos 0x29"))
        #expect(tos(0x04) == ("tos 0x04", .string("0x04"), "tos 0x4"))
        #expect(tos(1) == ("tos inherit", nil, "tos inherit"))
    }

    @Test func aChangeReencodesWhatTheKernelReported() throws {
        // Decoding the kernel's view and encoding it again must not lose options:
        // this is what makes "change" merge instead of reset.
        let link = try #require(decode(KernelReplies.g2))
        var options = try #require(link.options as? GreOptions)
        var scanner = WordScanner(["ttl", "64"])
        _ = try options.apply(scanner.next()!, &scanner, FakeDevices())
        let request = LinkRequest(mode: .modify, name: try InterfaceName("g2"), options: options)
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: link.index) }
        let data = withMessage(bytes) { message -> [GreAttribute: String] in
            let nest = message.attributes(after: ifinfomsg.self, LinkAttribute.self)[.linkinfo]!
                .nested(LinkInfoAttribute.self)[.data]!.nested(GreAttribute.self)
            return Dictionary(nest.map { ($0.key!, hex($0.payload)) }, uniquingKeysWith: { a, _ in a })
        }
        #expect(data[.ttl] == "40")
        #expect(data[.inputKey] == "01020304")
        #expect(data[.outputKey] == "00000007")
        #expect(data[.pmtudisc] == "00")
        #expect(data[.ignoreDF] == "01")
        #expect(data[.tos] == "01")
        #expect(data[.encapType] == "0100")
        #expect(data[.encapDestinationPort] == "15b3")
    }
}

@Suite struct BadInputTests {
    private func refusal(_ text: String) -> String? {
        do {
            _ = try linkAdd(text)
            return nil
        } catch let error as InvalidArgument {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func namesLongerThanTheKernelAllows() {
        #expect(refusal("abcdefghijklmnopqrst type gre") == "interface name \"abcdefghijklmnopqrst\" is 20 bytes long; the limit is 15")
        #expect(refusal("a/b type gre")?.contains("not a valid interface name") == true)
    }

    @Test func badAddressesAndFamilies() {
        #expect(refusal("t type gre remote 300.1.1.1") == "invalid remote \"300.1.1.1\": expected an IPv4 address or any")
        #expect(refusal("t type gre remote 2001:db8::1") == "remote 2001:db8::1 is IPv6, but gre tunnels run over IPv4 (use ip6gre)")
        #expect(refusal("t type ip6gre local 192.0.2.1") == "local 192.0.2.1 is IPv4, but ip6gre tunnels run over IPv6 (use gre)")
    }

    @Test func keysBeyondThirtyTwoBits() {
        #expect(refusal("t type gre key 4294967296") == "invalid key \"4294967296\": expected a number 0..4294967295 or a dotted quad")
        #expect(refusal("t type gre ikey -1") != nil)
        #expect(refusal("t type gre okey 1.2.3") == nil, "iproute2's short dotted forms are accepted")
    }

    @Test func unknownKindsWordsAndCombinations() {
        #expect(refusal("t type grex")?.hasPrefix("unknown link type \"grex\"") == true)
        #expect(refusal("t type gre frobnicate") == "unknown word \"frobnicate\" in gre options")
        #expect(refusal("t type gre ignore-df") == "ignore-df needs nopmtudisc: the kernel refuses to ignore DF while path MTU discovery is on")
        #expect(refusal("t type ip6gre pmtudisc") == "\"pmtudisc\" is not an option of ip6gre links")
        #expect(refusal("t type gre ttl 256") == "invalid ttl \"256\": expected a number 0..255")
        #expect(refusal("t type gre key") == "\"key\" needs a value")
        #expect(refusal("t type gre dev eth9") == "cannot find device \"eth9\"")
        #expect(refusal("t") == "link add: no \"type\" given; known types: gre, gretap, ip6gre, ip6gretap, veth, bridge, vxlan, dummy, ifb")
    }

    @Test func bareWordsNameTheDeviceBeforeAbbreviationsApply() throws {
        #expect(try linkAdd("t type veth").name.value == "t")
        #expect(try linkAdd("m type veth").name.value == "m")
        #expect(try linkAdd("t1 txq 100 type veth").txqlen == 100)
    }

    @Test func queueCountsOnlyAtCreation() throws {
        #expect(throws: InvalidArgument("numtxqueues can only be given when the link is created")) {
            _ = try LinkRequest.parse(["t", "numtxqueues", "4"], mode: .modify, devices: FakeDevices()) { _ in throw DeviceNotFound("t") }
        }
    }
}

@Suite struct TunnelGrammarTests {
    private func add(_ text: String) throws -> GreOptions {
        let request = try Tunnel.add(words(text), devices: FakeDevices())
        return try #require(request.options as? GreOptions)
    }

    @Test func theSeedGuidesLine() throws {
        let request = try Tunnel.add(words("gre0 mode gre remote 2.2.2.2 local 1.1.1.1 ttl 255"), devices: FakeDevices())
        #expect(request.name.value == "gre0")
        let options = try #require(request.options as? GreOptions)
        #expect(options.kind == "gre")
        #expect(options.remote == IPAddress("2.2.2.2"))
        #expect(options.local == IPAddress("1.1.1.1"))
        #expect(options.ttl == 255)
        #expect(options.pathMTUDiscovery)
    }

    @Test func nameAnywhereAndModeFromTheName() throws {
        #expect(try add("remote 192.0.2.1 gre7").kind == "gre")
        #expect(try add("name t1 mode gretap key 5").kind == "gretap")
        #expect(try add("t1 mode ip6gre remote 2001:db8::2").remote == IPAddress("2001:db8::2"))
    }

    @Test func refusals() {
        #expect(throws: InvalidArgument("tunnel add: cannot determine the tunnel mode; give mode gre, gretap, ip6gre or ip6gretap")) {
            _ = try add("t1 remote 192.0.2.1")
        }
        #expect(throws: InvalidArgument("invalid mode \"ipip\": expected gre, gretap, ip6gre, ip6gretap")) {
            _ = try add("t1 mode ipip")
        }
        #expect(throws: InvalidArgument("ttl 64 and nopmtudisc are incompatible: a fixed TTL needs path MTU discovery")) {
            _ = try add("t1 mode gre ttl 64 nopmtudisc")
        }
        #expect(throws: InvalidArgument("unknown word \"t2\" in tunnel add")) {
            _ = try add("t1 mode gre t2")
        }
        // Keywords are not abbreviated in tunnel words: "rem" would be a name.
        #expect(throws: InvalidArgument("unknown word \"rem\" in tunnel add")) {
            _ = try add("t1 mode gre rem 192.0.2.1")
        }
    }

    @Test func changeStartsFromTheCurrentOptions() throws {
        var current = GreOptions(kind: "gre")
        current.remote = IPAddress("192.0.2.2")
        current.local = IPAddress("192.0.2.1")
        current.inputKey = GreKey(9); current.outputKey = GreKey(9)
        current.inputFlags = .key; current.outputFlags = .key
        let bytes = KernelReplies.g1
        var link = try #require(withMessage(bytes) { Link($0) })
        link.options = current
        let (request, index) = try Tunnel.change(words("gre0 ttl 64"), devices: FakeDevices()) { _ in link }
        let options = try #require(request.options as? GreOptions)
        #expect(index == link.index)
        #expect(options.ttl == 64)
        #expect(options.remote == current.remote && options.local == current.local)
        #expect(options.inputKey == GreKey(9) && options.outputFlags == .key)
        #expect(throws: InvalidArgument("g1 is a gre tunnel; its mode cannot change to gretap")) {
            _ = try Tunnel.change(words("gre0 mode gretap"), devices: FakeDevices()) { _ in link }
        }
    }

    /// `tunnel show`'s words select as ip's: one family's (or mode's) tunnels, by name,
    /// endpoints, device and (IPv4) input key; taps and external tunnels by their mode only.
    @Test func showSelectsAsIproute2() throws {
        var link = try #require(withMessage(KernelReplies.g1) { Link($0) })
        func tunnel(_ kind: GreKind, _ change: (inout GreOptions) -> Void = { _ in }) -> Link {
            var options = GreOptions(kind)
            change(&options)
            var copy = link
            copy.options = options
            return copy
        }
        func selects(_ text: String, _ link: Link, family: AddressFamily = .unspecified) throws -> Bool {
            try Tunnel.selector(words(text), family: family, devices: FakeDevices()).matches(link)
        }
        let gre = tunnel(.gre) { $0.remote = IPAddress("198.51.100.2"); $0.inputKey = GreKey(42); $0.inputFlags = .key }
        #expect(try selects("", gre) && selects("g1", gre) && selects("name g1", gre) && selects("mode gre", gre))
        #expect(try !selects("g2", gre) && !selects("", gre, family: .inet6) && !selects("mode ip6gre", gre))
        #expect(try selects("remote 198.51.100.2", gre) && !selects("remote 198.51.100.3", gre) && selects("remote any", gre))
        #expect(try selects("key 42", gre) && selects("ikey 42", gre) && !selects("key 43", gre) && selects("ttl 9 csum", gre))
        #expect(try !selects("local 198.51.100.1", gre))
        let six = tunnel(.ip6gre) { $0.remote = IPAddress("2001:db8:1::2") }
        #expect(try selects("", six, family: .inet6) && !selects("", six) && selects("mode ip6gre", six))
        #expect(try selects("remote 2001:db8:1::2", six, family: .inet6) && !selects("remote 2001:db8:1::3", six, family: .inet6))
        #expect(try !selects("", tunnel(.gretap)) && selects("mode gretap", tunnel(.gretap)))
        #expect(try !selects("", tunnel(.ip6gretap)) && !selects("", tunnel(.ip6gretap), family: .inet6))
        #expect(try !selects("", tunnel(.gre) { $0.external = true }) && !selects("mode gre", tunnel(.gre) { $0.external = true }))
        link.options = nil
        #expect(try !selects("", link))
        #expect(throws: InvalidArgument.self) { try selects("remote bogus", gre) }
    }
}

/// Interface names are checked from their bytes: the kernel's rules, word by word.
@Suite struct InterfaceNameTests {
    @Test func names() throws {
        #expect(try InterfaceName("va").value == "va")
        #expect(try InterfaceName("a.b").value == "a.b")
        #expect(try InterfaceName("...").value == "...")
        #expect(try InterfaceName("123456789012345").value == "123456789012345")
        for bad in [".", "..", "a b", "a:b", "a/b", "a\u{7f}", "\t"] {
            #expect(throws: InvalidArgument("\"\(bad)\" is not a valid interface name")) { try InterfaceName(bad) }
        }
        #expect(throws: InvalidArgument("interface name is empty")) { try InterfaceName("") }
        #expect(throws: InvalidArgument("interface name \"1234567890123456\" is 16 bytes long; the limit is 15")) {
            try InterfaceName("1234567890123456")
        }
    }
}
