import CMnl
import Netlink
import Testing
@testable import GreKit

/// The link words past the first ones: generic attributes, bridge and VXLAN options,
/// each encoded as iproute2 sends it and, for a kind's options, decoded and described
/// as `ip -d link show` prints it.
@Suite struct LinkWordsTests {
    /// The request's header and its IFLA_* attributes outside IFLA_LINKINFO, as hex.
    private func encoded(_ text: String, mode: LinkRequest.Mode) throws -> (header: ifinfomsg, attributes: [LinkAttribute: String]) {
        let request = try LinkRequest.parse(words(text), mode: mode, devices: FakeDevices()) { _ in throw DeviceNotFound("unused") }
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: mode == .create ? 0 : 5) }
        return withMessage(bytes) { message in
            let attributes = message.attributes(after: ifinfomsg.self, LinkAttribute.self)
                .filter { $0.key != nil && $0.key != .linkinfo }
                .map { ($0.key!, hex($0.payload)) }
            return (message.familyHeader(ifinfomsg.self)!, Dictionary(attributes, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// The kind's options of `link add` words, after a trip through IFLA_INFO_DATA:
    /// what the kernel would be sent, read back as a dump reports it.
    private func sentAndReadBack<Options: LinkKindOptions>(_ text: String, as _: Options.Type) throws -> Options {
        let request = try linkAdd(text)
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: 0) }
        return try withMessage(bytes) { message in
            let info = try #require(message.attributes(after: ifinfomsg.self, LinkAttribute.self)[.linkinfo])
            let kind = try #require(request.options?.kind)
            return Options(kind: kind, data: info.nested(LinkInfoAttribute.self)[.data])
        }
    }

    private func text(_ fields: [Field]) -> String { fields.compactMap(\.text).joined(separator: " ") }

    @Test func genericAttributesAsIproute2SendsThem() throws {
        let (header, attributes) = try encoded(
            "eth0 carrier off protodown on mode dormant state up gso_max_size 32000 gso_max_segs 100 gro_max_size 32000 trailers off dynamic on",
            mode: .modify)
        #expect(attributes[.carrier] == "00")
        #expect(attributes[.protoDown] == "01")
        #expect(attributes[.linkmode] == "01")
        #expect(attributes[.operstate] == "06")
        #expect(attributes[.gsoMaxSize] == "007d0000")
        #expect(attributes[.gsoMaxSegs] == "64000000")
        #expect(attributes[.groMaxSize] == "007d0000")
        // trailers off sets NOTRAILERS, dynamic on DYNAMIC.
        #expect(header.ifi_flags == 0x20 | 0x8000 && header.ifi_change == 0x20 | 0x8000)
    }

    @Test func addressGenerationModeIsInet6sAttribute() throws {
        let (_, attributes) = try encoded("eth0 addrgenmode none", mode: .modify)
        // IFLA_AF_SPEC { AF_INET6 (10, a nest: NLA_F_NESTED) { IFLA_INET6_ADDR_GEN_MODE (8): 1 } }.
        #expect(attributes[.afSpec] == "0c000a800500080001000000")
        #expect(throws: InvalidArgument("invalid addrgenmode \"bogus\": expected eui64, none, stable_secret or random")) {
            _ = try encoded("eth0 addrgenmode bogus", mode: .modify)
        }
        #expect(AddressGenerationMode(rawValue: 2).name == "stable_secret" && AddressGenerationMode(rawValue: 4).name == "0x04")
    }

    @Test func indexOnlyWhenALinkIsMade() throws {
        let (header, _) = try encoded("va index 500 type veth", mode: .create)
        #expect(header.ifi_index == 500)
        #expect(throws: InvalidArgument("link set: \"index\" can be given only when a link is created or moved to another namespace")) {
            _ = try encoded("eth0 index 500", mode: .modify)
        }
        #expect(throws: InvalidArgument.self) { _ = try encoded("eth0 gso_max_segs 65536", mode: .modify) }
    }

    @Test func xdpIsRefusedByName() {
        #expect(throws: InvalidArgument("\"xdp\" is not supported: gretool attaches no XDP programs (use ip link set DEV xdp ...)")) {
            _ = try encoded("eth0 xdp off", mode: .modify)
        }
    }

    @Test func bridgeOptionsTravelAndReadBackAsIproute2PrintsThem() throws {
        let bridge = try sentAndReadBack(
            "br0 type bridge vlan_protocol 802.1ad group_fwd_mask 0x4000 group_address 01:80:c2:00:00:0e mcast_last_member_interval 200 mcast_igmp_version 3 vlan_default_pvid 0 no_linklocal_learn 1 fdb_flush",
            as: BridgeOptions.self)
        #expect(text(bridge.describe(FakeDevices(), naming: .names)) == "vlan_protocol 802.1ad vlan_default_pvid 0 group_fwd_mask 0x4000 "
            + "group_address 01:80:c2:00:00:0e no_linklocal_learn 1 mcast_last_member_interval 200 mcast_igmp_version 3")
        // ip -N writes the protocol's number, as ll_proto_n2a writes one it has no name for.
        #expect(text(bridge.describe(FakeDevices(), naming: Naming(numeric: true))).hasPrefix("vlan_protocol [34984] vlan_default_pvid 0 "))
        #expect(throws: InvalidArgument("invalid vlan_protocol \"bogus\": expected 802.1Q or 802.1ad")) {
            _ = try linkAdd("br0 type bridge vlan_protocol bogus")
        }
    }

    @Test func bridgeValuesAsIproute2PrintsThem() {
        let id = BridgeValue.bytes([0x80, 0x00, 0x56, 0x0c, 0x2b, 0xcf, 0xe0, 0x33])
        #expect(id.field("bridge_id", label: "bridge_id", format: .bridgeID, naming: .names).text == "bridge_id 8000.56:c:2b:cf:e0:33")
        let timer = BridgeValue.number(12345).field("gc_timer", label: "gc_timer", format: .timer, naming: .names)
        #expect(timer.text == "gc_timer  123.45" && timer.value == .decimal(12345, fractionDigits: 2))
        #expect(BridgeValue.number(5).field("hold_timer", label: "hold_timer", format: .timer, naming: .names).text == "hold_timer    0.05")
        // What a message may claim, however large, is shown, not trapped on.
        #expect(BridgeValue.number(.max).field("gc_timer", label: "gc_timer", format: .timer, naming: .names).value == .decimal(.max, fractionDigits: 2))
        #expect(BridgeValue.number(0).field("group_fwd_mask", label: "group_fwd_mask", format: .hex16, naming: .names).value == .string("0"))
        #expect(BridgeValue.number(1).field("learning", label: "learning", format: .onOff, naming: .names).text == "learning on")
    }

    @Test func vxlanOptionsTravelAndReadBackAsIproute2PrintsThem() throws {
        let vxlan = try sentAndReadBack(
            "vx0 type vxlan id 5 srcport 1000 2000 ttl inherit df set flowlabel 100 ageing none maxaddress 10 noudpcsum proxy gbp",
            as: VxlanOptions.self)
        #expect(text(vxlan.describe(FakeDevices(), naming: .names))
            == "id 5 srcport 1000 2000 proxy ttl inherit df set flowlabel 0x64 ageing none maxaddr 10 noudpcsum gbp")
        let external = try sentAndReadBack("vx0 type vxlan external dstport 4791", as: VxlanOptions.self)
        #expect(text(external.describe(FakeDevices(), naming: .names)) == "external dstport 4791 nolearning", "external turns learning off, as ip does")
    }

    @Test func vxlanRefusesWhatIproute2Refuses() {
        for (line, message) in [
            ("vx0 type vxlan external id 5", "vxlan: \"external\" and \"id\" cannot both be given"),
            ("vx0 type vxlan id 5 vnifilter", "vxlan: \"vnifilter\" needs \"external\""),
            ("vx0 type vxlan id 5 group 10.1.0.2", "invalid group \"10.1.0.2\": expected a multicast address"),
            ("vx0 type vxlan id 5 group 239.1.1.1", "vxlan: \"group\" needs \"dev\""),
            ("vx0 type vxlan id 5 df maybe", "invalid df \"maybe\": expected unset, set or inherit"),
            ("vx0 type vxlan id 5 proxy noproxy", nil),
        ] {
            if let message {
                #expect(throws: InvalidArgument(message), "\(line)") { _ = try linkAdd(line) }
            } else {
                #expect(throws: InvalidArgument.self, "\(line): one attribute, given twice") { _ = try linkAdd(line) }
            }
        }
    }
}
