import CMnl
@testable import GreCLI
@testable import GreKit
@testable import Netlink

extension FuzzTarget {
    /// A datagram of rtnetlink messages, as a listing or the keepalive watcher's link
    /// notifications receive it: every decoder (links with each kind's info data,
    /// addresses, routes with multipath and encapsulation, rules, nexthops and groups,
    /// errors with extended acknowledgements), then what gretool does with what they
    /// decoded: the listings in text and JSON, the requests that send a decoded route,
    /// rule or nexthop back (the watcher restores what it withdrew from them), and the
    /// keepalive a decoded tunnel would be sent.
    static let rtnetlink = FuzzTarget(name: "rtnetlink", summary: "rtnetlink replies and notifications") { bytes in
        let messages = Array(MessageSequence(buffer: bytes))
        let devices = LinkSnapshot(messages.compactMap(Link.init))
        let names = DeviceNames(devices)
        for message in messages {
            if let error = message.acknowledgementError() { discardedOutput.write(error.description) }
            if let link = Link(message) { renderLink(link, devices) }
            if let address = Address(message) { discardedOutput.write(AddressView.describe(address, naming: .names).text) }
            if let route = Route(message) {
                renderRoute(route, names)
                resend(route, type: .newRoute, Route.init) { try $0.encode($1) }
            }
            if let rule = Rule(message) {
                render(RuleView(details: true).fields(rule))
                resend(rule, type: .newRule, Rule.init) { try $0.encode($1) }
            }
            if let nexthop = NexthopObject(message) {
                render(NexthopView(devices: names, details: true).fields(nexthop))
                resend(nexthop, type: .newNexthop, NexthopObject.init) { try $0.encode($1) }
            }
        }
    }

    private static func renderLink(_ link: Link, _ devices: LinkSnapshot) {
        for details in [false, true] {
            render(LinkView(details: details, statisticsLevel: 2).fields(link, devices: devices))
        }
        guard let options = link.options as? GreOptions else { return }
        render(Tunnel.describe(link, options, devices, naming: .names))
        // The watcher's target for a tunnel whose local address is set (finding one
        // otherwise asks the kernel for a route).
        if options.local != nil, let target = try? KeepaliveTarget(tunnel: link) {
            _ = KeepalivePacket.encode(target, nonce: 0x1234_5678, sequence: 7)
            discardedOutput.write(target.endpointsDescription)
        }
    }

    private static func renderRoute(_ route: Route, _ names: DeviceNames) {
        let view = RouteView(devices: names, details: true, statistics: true)
        var text = TextSink(output: discardedOutput)
        view.write(route, to: &text)
        var json = JSONSink(writer: JSONWriter(output: discardedOutput, pretty: false), output: discardedOutput)
        view.write(route, to: &json)
    }

    /// Encodes a decoded value as the request that recreates it, and decodes that
    /// request: what the kernel described must survive the trip unchanged, once the
    /// first encoding has dropped what a request does not carry (a lookup's answers).
    private static func resend<Value: Equatable>(
        _ value: Value, type: RouteMessageType, _ decode: (NetlinkMessage) -> Value?, _ encode: (Value, MessageWriter) throws -> Void
    ) {
        func trip(_ value: Value) -> Value? {
            guard let bytes = try? MessageBuffer.encode(type: type.rawValue, flags: [.request, .create], capacity: 65536, { try encode(value, $0) })
            else { return nil }
            return bytes.withUnsafeBytes { raw in
                decode(NetlinkMessage(header: raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)))
            }
        }
        guard let once = trip(value) else { return }
        guard let twice = trip(once), twice == once else {
            fatalError("\(Value.self) does not survive encoding and decoding: \(once) became \(String(describing: trip(once)))")
        }
    }
}
