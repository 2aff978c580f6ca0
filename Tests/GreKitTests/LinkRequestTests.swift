import CMnl
import Testing
@testable import GreKit

@Suite struct LinkRequestEncodingTests {
    /// The IFLA_* attributes (outside IFLA_LINKINFO) and the ifinfomsg of a request.
    private func encoded(_ text: String, mode: LinkRequest.Mode = .create, index: Int32 = 0)
        throws -> (header: ifinfomsg, attributes: [LinkAttribute: String]) {
        let request = try LinkRequest.parse(words(text), mode: mode, devices: FakeDevices()) { _ in throw DeviceNotFound("unused") }
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: index) }
        return withMessage(bytes) { message in
            let attributes = message.attributes(after: ifinfomsg.self, LinkAttribute.self)
                .filter { $0.key != nil && $0.key != .linkinfo }
                .map { ($0.key!, hex($0.payload)) }
            return (message.familyHeader(ifinfomsg.self)!, Dictionary(attributes, uniquingKeysWith: { a, _ in a }))
        }
    }

    @Test func creationCarriesTheNameAndGenericWords() throws {
        let (header, attributes) = try encoded("va mtu 1400 txqueuelen 500 address 02:00:00:00:00:0a alias uplink numtxqueues 4 numrxqueues 2 group 7 master eth0 type veth")
        #expect(header.ifi_index == 0)
        #expect(attributes[.ifname] == "766100")
        #expect(attributes[.mtu] == "78050000")
        #expect(attributes[.txqlen] == "f4010000")
        #expect(attributes[.address] == "02000000000a")
        #expect(attributes[.ifalias] == "75706c696e6b00")
        #expect(attributes[.numTxQueues] == "04000000")
        #expect(attributes[.numRxQueues] == "02000000")
        #expect(attributes[.group] == "07000000")
        #expect(attributes[.master] == "05000000")
    }

    @Test func upAndDownAreTheHeadersFlagAndChangeMask() throws {
        let (up, _) = try encoded("eth0 up", mode: .modify, index: 5)
        #expect(up.ifi_index == 5)
        #expect(up.ifi_flags == 0x1 && up.ifi_change == 0x1)
        let (down, _) = try encoded("eth0 down", mode: .modify, index: 5)
        #expect(down.ifi_flags == 0 && down.ifi_change == 0x1)
        let (arp, _) = try encoded("eth0 arp off multicast on", mode: .modify, index: 5)
        #expect(arp.ifi_flags == 0x80 | 0x1000, "arp off sets NOARP; multicast on sets MULTICAST")
        #expect(arp.ifi_change == 0x80 | 0x1000)
    }

    @Test func aChangeSendsOnlyWhatItNames() throws {
        let (header, attributes) = try encoded("eth0 mtu 9000", mode: .modify, index: 5)
        #expect(header.ifi_change == 0)
        #expect(attributes.keys.sorted { $0.rawValue < $1.rawValue } == [.mtu], "no name, no flags, no kind data")
        let (_, renamed) = try encoded("dev eth0 name wan0", mode: .modify, index: 5)
        #expect(renamed[.ifname] == "77616e3000", "the new name travels as IFLA_IFNAME")
        let (_, detached) = try encoded("eth0 nomaster", mode: .modify, index: 5)
        #expect(detached[.master] == "00000000")
    }

    @Test func aVxlanChangeSendsOnlyTheWordsGiven() throws {
        // vxlan's changelink keeps what a request leaves out and refuses a port even
        // unchanged ("Cannot change port"): a change starts from the link's options
        // (here as if read from the kernel) and sends only the words it names.
        func sent(_ options: VxlanOptions, mode: LinkRequest.Mode) throws -> [UInt16] {
            let request = LinkRequest(mode: mode, name: try InterfaceName("vx0"), options: options)
            let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: 7) }
            return withMessage(bytes) { message in
                guard let data = message.attributes(after: ifinfomsg.self, LinkAttribute.self)[.linkinfo]?
                    .nested(LinkInfoAttribute.self)[.data] else { return [] }
                return data.nested(VxlanAttribute.self).map(\.rawType)
            }
        }
        var current = VxlanOptions(kind: "vxlan", data: nil)
        current.vni = 42
        current.port = 4789
        current.remote = IPAddress("10.1.0.2")
        var words = WordScanner(["ttl", "20"])
        let next = words.next()
        let word = try #require(next)
        #expect(try current.apply(word, &words, FakeDevices()))
        #expect(try sent(current, mode: .modify) == [VxlanAttribute.ttl.rawValue])
        // A new link sends everything it has.
        let added = try #require(try linkAdd("vx0 type vxlan id 42 dstport 4789 ttl 20").options as? VxlanOptions)
        #expect(try sent(added, mode: .create) == [VxlanAttribute.id, .port, .ttl].map(\.rawValue))
    }

    @Test func vethPeerNestCarriesItsOwnHeaderAndName() throws {
        let request = try linkAdd("va type veth peer name vb mtu 1400")
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: 0) }
        let peer = withMessage(bytes) { message -> [String] in
            guard let data = message.attributes(after: ifinfomsg.self, LinkAttribute.self)[.linkinfo]?
                .nested(LinkInfoAttribute.self)[.data]?.nested(VethAttribute.self)[.peer] else { return [] }
            // VETH_INFO_PEER: an ifinfomsg (16 bytes), then IFLA_IFNAME and IFLA_MTU.
            let inner = AttributeList<LinkAttribute>(UnsafeRawBufferPointer(rebasing: data.payload[16...]))
            return inner.map { "\($0.rawType):\(hex($0.payload))" }
        }
        #expect(peer == ["3:766200", "4:78050000"])
    }

    @Test func everyWordAfterPeerIsThePeers() throws {
        // iproute2 reads the peer's words as a link's own: txqueuelen went to the link.
        let request = try linkAdd("vs type veth peer name vt txqueuelen 5 numrxqueues 2 up")
        #expect(request.txqlen == nil && request.numRxQueues == nil && request.setFlags.isEmpty)
        let bytes = try MessageBuffer.encode(type: 16, flags: []) { try request.encode($0, index: 0) }
        let (flags, peer) = withMessage(bytes) { message -> (UInt32, [String]) in
            guard let data = message.attributes(after: ifinfomsg.self, LinkAttribute.self)[.linkinfo]?
                .nested(LinkInfoAttribute.self)[.data]?.nested(VethAttribute.self)[.peer] else { return (0, []) }
            let header = data.payload.loadUnaligned(as: ifinfomsg.self)
            let inner = AttributeList<LinkAttribute>(UnsafeRawBufferPointer(rebasing: data.payload[16...]))
            return (header.ifi_flags, inner.map { "\($0.rawType):\(hex($0.payload))" })
        }
        #expect(flags == 1, "up: the peer's header")
        // IFLA_IFNAME "vt", IFLA_TXQLEN 5, IFLA_NUM_RX_QUEUES 2.
        #expect(peer == ["3:767400", "13:05000000", "32:02000000"])
        // Its own scanner: the link's mtu and the peer's are each given once.
        #expect(try linkAdd("va mtu 1400 type veth peer vb mtu 1300").mtu == 1400)
    }

    @Test func vxlanTosIsHexadecimalWithOrWithoutPrefix() throws {
        for text in ["0x10", "10"] {
            let vxlan = try #require(linkAdd("vx0 type vxlan id 1 tos \(text)").options as? VxlanOptions)
            #expect(vxlan.tos == 0x10, "tos \(text)")
        }
        #expect(throws: InvalidArgument("invalid tos \"0x\": expected a hexadecimal value 0..ff or inherit")) {
            _ = try linkAdd("vx0 type vxlan id 1 tos 0x")
        }
    }
}
