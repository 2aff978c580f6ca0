import CMnl
import Testing
@testable import GreKit

/// A pipelined `route del` is taken back from the kernel's echo of what it deleted.
@Suite struct RouteRecreationTests {
    /// The echo this machine's kernel (6.18) sent for `route del 10.0.0.1/32` (NLM_F_ECHO)
    /// of a route added as `ip route add 10.0.0.1/32 via 198.51.100.2 dev va metric 5 mtu lock 1400`.
    private static let echo = bytes(
        "58000000190000006500000000000000"
            + "02200000fe0300010000000008000f00fe000000080001000a0000010800060005000000140008000800010004000000"
            + "080002007805000008000500c63364020800040003000000")

    private func recreation(of echo: [UInt8]) throws -> [UInt8] {
        try withMessage(echo) { deleted in
            try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: [.create, .exclusive]) {
                try Route.writeRecreation(of: deleted, into: $0)
            }
        }
    }

    @Test func theDeletedRouteIsAddedAgainAsItWas() throws {
        let request = try recreation(of: Self.echo)
        let deleted = try #require(withMessage(Self.echo) { Route($0) })
        #expect(withMessage(request) { Route($0) } == deleted)
        #expect(deleted.priority == 5 && deleted.metrics[.mtu] == 1400 && deleted.metrics.isLocked(.mtu))
        // rtmsg as the kernel gave it: IPv4 /32, main table, boot, universe, unicast.
        #expect(hex(request[16..<24]) == "02200000fe030001")
    }

    @Test func whatGretoolDoesNotInterpretComesBackToo() throws {
        // The same route with realms (RTA_FLOW 5): sent back as the kernel gave it.
        var withRealms = Self.echo + bytes("08000b0005000000")
        withRealms[0] += 8
        let request = try recreation(of: withRealms)
        #expect(withMessage(request) { $0.attributes(after: rtmsg.self, RouteAttribute.self)[.flow]?.u32 } == 5)
        // An IPv6 route whose echo says it expires comes back expiring (RTA_EXPIRES).
        var expiring = RouteReplies.ipv6WithPreference
        let cacheInfo = try #require(expiring.indices.first { expiring[$0...].starts(with: [0x24, 0, 0x0c, 0]) })
        expiring[cacheInfo + 4 + 8] = 200  // rta_expires (ticks), after the attribute header, rta_clntref and rta_lastuse
        let expires = try withMessage(recreation(of: expiring)) { $0.attributes(after: rtmsg.self, RouteAttribute.self)[.expires]?.u32 }
        #expect(expires == 2)
    }

    @Test func aDeletedRouteIsCreatedAlone() throws {
        #expect(withMessage(Self.echo) { Route.recreationFlags(of: $0) } == [.create, .exclusive])
    }

    @Test func deletesAskForTheEcho() {
        let ipv4 = Route(destination: IPPrefix(address: .zero(.inet), length: 0))
        #expect(RouteChange.delete.request(for: ipv4).undo == .recreate(as: .newRoute, kind: Route.self))
        #expect(RouteChange.add.request(for: ipv4).undo == .resend(as: .deleteRoute))
    }

    @Test func anIPv6DeleteGoesAlone() {
        // The kernel's echo of an IPv6 delete leaves out the expiry, and of one leg its
        // weight: it cannot be taken back exactly.
        let ipv6 = Route(destination: IPPrefix(address: .zero(.inet6), length: 0))
        #expect(RouteChange.delete.request(for: ipv6).undo == .impossible)
        #expect(RouteChange.add.request(for: ipv6).undo == .resend(as: .deleteRoute))
    }

    private static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    private func bytes(_ hex: String) -> [UInt8] { Self.bytes(hex) }
}
