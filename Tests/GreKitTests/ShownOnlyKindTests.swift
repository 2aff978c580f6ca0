import CMnl
import Testing
@testable import GreKit
@testable import Netlink

/// A link of `kind` as a dump reports it, its IFLA_INFO_DATA written by `data`.
private func reported<Key: NetlinkAttributeType>(
    _ name: String, kind: String, _: Key.Type, data: (AttributeWriter<Key>) throws -> Void
) throws -> Link {
    let bytes = try MessageBuffer.encode(type: RouteMessageType.newLink.rawValue, flags: []) { message in
        let link = try message.header(ifinfomsg(), attributes: LinkAttribute.self)
        try link.put(.ifname, name)
        try link.nest(.linkinfo, LinkInfoAttribute.self) { info in
            try info.put(.kind, kind)
            try info.nest(.data, Key.self, data)
        }
    }
    return try #require(withMessage(bytes) { Link($0) })
}

private func text(_ link: Link) -> String {
    (link.kindData?.describe(FakeDevices(), naming: .names) ?? []).compactMap(\.text).joined(separator: " ")
}

/// The kinds gretool shows but does not make: their data as `ip -d link show` prints it
/// (link_ip6tnl.c, link_gre.c and link_gre6.c), the kernel's attributes as it sends them.
@Suite struct ShownOnlyKindTests {
    @Test func ip6tnlAsIproute2PrintsIt() throws {
        // The fallback device, as the ip6_tunnel module reports it.
        let fallback = try reported("ip6tnl0", kind: "ip6tnl", IPTunnelAttribute.self) { data in
            try data.put(.link, UInt32(0))
            try data.put(.local, IPAddress("::")!)
            try data.put(.remote, IPAddress("::")!)
            try data.put(.ttl, UInt8(0))
            try data.put(.encapLimit, UInt8(0))
            try data.put(.flowInfo, BigEndian(UInt32(0)))
            try data.put(.flags, UInt32(0))
            try data.put(.proto, UInt8(IPPROTO_IPV6))
            try data.put(.fwmark, UInt32(0))
            try data.put(.encapType, UInt16(0))
        }
        #expect(fallback.options == nil, "gretool does not make ip6tnl links")
        #expect(text(fallback) == "ip6ip6 remote any local any hoplimit inherit encaplimit 0 tclass 0x00 flowlabel 0x00000")
        let tunnel = try reported("t6", kind: "ip6tnl", IPTunnelAttribute.self) { data in
            try data.put(.link, UInt32(7))
            try data.put(.local, IPAddress("2001:db8::1")!)
            try data.put(.remote, IPAddress("2001:db8::2")!)
            try data.put(.ttl, UInt8(64))
            try data.put(.encapLimit, UInt8(4))
            try data.put(.flowInfo, BigEndian(UInt32(0x0281_2345)))
            try data.put(.flags, (IPv6TunnelFlags.receiveDSCPCopy.union([.allowLocalRemote, .mip6Device])).rawValue)
            try data.put(.proto, UInt8(IPPROTO_IPIP))
            try data.put(.fwmark, UInt32(0x20))
            try data.put(.encapType, TunnelEncapsulation.Kind.fou.rawValue)
            try data.put(.encapDestinationPort, BigEndian(UInt16(5555)))
        }
        #expect(text(tunnel) == "ipip6 remote 2001:db8::2 local 2001:db8::1 dev va hoplimit 64 encaplimit 4 tclass 0x28 "
            + "flowlabel 0x12345 dscp inherit mip6 allow-localremote fwmark 0x20 "
            + "encap fou encap-sport auto encap-dport 5555 noencap-csum noencap-csum6 noencap-remcsum")
        let inherited = try reported("t7", kind: "ip6tnl", IPTunnelAttribute.self) { data in
            try data.put(.flowInfo, BigEndian(UInt32(0)))
            try data.put(.encapLimit, UInt8(4))
            try data.put(.flags, IPv6TunnelFlags([.ignoreEncapLimit, .useOriginalTrafficClass, .useOriginalFlowLabel, .useOriginalFwmark]).rawValue)
            try data.put(.proto, UInt8(0))
            try data.put(.fwmark, UInt32(9))
            try data.flag(.collectMetadata)
        }
        #expect(text(inherited) == "external any remote any local any hoplimit inherit encaplimit none tclass inherit flowlabel inherit fwmark inherit")
    }

    @Test func erspanAsIproute2PrintsIt() throws {
        // erspan0 as ip_gre reports it (Debian's 6.1): version 1 turns the output key on.
        let fallback = try reported("erspan0", kind: "erspan", GreAttribute.self) { data in
            try data.put(.erspanVersion, UInt8(1))
            try data.put(.erspanIndex, UInt32(0))
            try data.put(.link, UInt32(0))
            try data.put(.inputFlags, BigEndian(UInt16(0)))
            try data.put(.outputFlags, BigEndian(GreFlags.key.rawValue))
            try data.put(.inputKey, BigEndian(UInt32(0)))
            try data.put(.outputKey, BigEndian(UInt32(0)))
            try data.put(.local, IPAddress("0.0.0.0")!)
            try data.put(.remote, IPAddress("0.0.0.0")!)
            try data.put(.ttl, UInt8(0))
            try data.put(.tos, UInt8(0))
            try data.put(.pmtudisc, UInt8(0))
            try data.put(.fwmark, UInt32(0))
            try data.put(.encapType, UInt16(0))
            try data.put(.ignoreDF, UInt8(0))
        }
        #expect(fallback.options == nil, "gretool does not make erspan links")
        #expect(text(fallback) == "remote any local any ttl inherit nopmtudisc okey 0.0.0.0 erspan_index 0 erspan_ver 1")
        let json = try #require(fallback.kindData?.describe(FakeDevices(), naming: .names))
        #expect(json.filter(\.inJSON).compactMap(\.key) == ["remote", "local", "ttl", "pmtudisc", "okey", "erspan_index", "erspan_ver"])
        let version2 = try reported("e6", kind: "ip6erspan", GreAttribute.self) { data in
            try data.put(.erspanVersion, UInt8(2))
            try data.put(.erspanDirection, UInt8(1))
            try data.put(.erspanHardwareID, UInt16(7))
            try data.put(.remote, IPAddress("2001:db8::2")!)
            try data.put(.ttl, UInt8(64))
            try data.put(.encapLimit, UInt8(4))
            try data.put(.flowInfo, BigEndian(UInt32(0)))
            try data.put(.flags, UInt32(0))
            try data.put(.outputFlags, BigEndian(GreFlags([.key, .sequence]).rawValue))
            try data.put(.outputKey, BigEndian(UInt32(5)))
        }
        #expect(text(version2) == "remote 2001:db8::2 local any hoplimit 64 encaplimit 4 tclass 0x00 flowlabel 0x00000 "
            + "okey 0.0.0.5 oseq erspan_ver 2 erspan_dir egress erspan_hwid 0x7")
    }

    @Test func shownOnlyKindsAreNotMade() {
        for kind in ["ip6tnl", "erspan", "ip6erspan"] {
            #expect(LinkKinds.module(for: kind) == nil, "\(kind)")
            #expect(throws: InvalidArgument.self) { _ = try LinkKinds.newOptions(kind: kind) }
        }
    }
}
