import CMnl
import Testing
@testable import GreKit

@Suite struct RouteCodecTests {
    private func roundTrip(_ route: Route) throws -> (bytes: [UInt8], decoded: Route?) {
        let bytes = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: [.request]) { try route.encode($0) }
        return (bytes, withMessage(bytes) { Route($0) })
    }

    @Test func aSingleNexthopRouteRoundTrips() throws {
        var route = Route(destination: try IPPrefix(parsing: "203.0.113.0/24"))
        route.gateway = IPAddress("10.0.0.2")
        route.outputInterface = 7
        route.priority = 100
        route.table = 1000
        route.protocolID = RouteProtocol.static
        route.metrics[.mtu] = 1400
        route.metrics.locked = 1 << UInt32(RouteMetric.mtu.rawValue)
        let (bytes, decoded) = try roundTrip(route)
        #expect(decoded == route)
        // rtmsg: family 2, dst_len 24, src_len 0, tos 0, table 0 (> 255 goes in RTA_TABLE), proto 4, scope 0, type 1.
        #expect(hex(bytes[16..<24]) == "0218000000040001")
    }

    @Test func multipathLegsCarryWeightsAndGateways() throws {
        var route = Route(destination: try IPPrefix(parsing: "192.0.2.0/24"))
        route.nexthops = [
            .init(gateway: IPAddress("10.0.0.2"), outputInterface: 5, weight: 1),
            .init(gateway: IPAddress("10.0.0.6"), outputInterface: 6, weight: 256),
        ]
        let (bytes, decoded) = try roundTrip(route)
        #expect(decoded?.nexthops == route.nexthops)
        #expect(decoded?.uses(interface: 6) == true)
        #expect(decoded?.uses(interface: 9) == false)
        // RTA_MULTIPATH: two 16-byte rtnexthop records, weight stored minus one.
        let multipath = hex(bytes).components(of: "24000900")
        #expect(multipath == "24000900" + "10000000" + "05000000" + "080005000a000002" + "1000" + "00ff" + "06000000" + "080005000a000006")
    }

    @Test func flagsTheKernelRefusesAreDroppedOnEncode() throws {
        var route = Route(destination: try IPPrefix(parsing: "0.0.0.0/0"))
        route.outputInterface = 3
        route.flags = 0x4 | 0x10 | 0x1  // onlink, linkdown, dead
        let (bytes, decoded) = try roundTrip(route)
        #expect(decoded?.flags == 0x4)
        #expect(decoded?.destination.length == 0)
        // The default route carries no RTA_DST.
        #expect(withMessage(bytes) { $0.attributes(after: rtmsg.self, RouteAttribute.self)[.destination] } == nil)
    }

    @Test func aRouteOnANexthopObjectNamesOnlyTheObject() throws {
        // Dumps report the object's gateway and device too; the kernel refuses them beside RTA_NH_ID.
        var route = Route(destination: try IPPrefix(parsing: "10.7.0.0/16"))
        route.nexthopID = 8
        route.gateway = IPAddress("10.0.0.2")
        route.outputInterface = 4
        let (bytes, decoded) = try roundTrip(route)
        #expect(decoded?.nexthopID == 8)
        #expect(decoded?.gateway == nil && decoded?.outputInterface == nil)
        let types = withMessage(bytes) { $0.attributes(after: rtmsg.self, RouteAttribute.self).map(\.rawType) }
        #expect(!types.contains(RouteAttribute.gateway.rawValue) && !types.contains(RouteAttribute.outputInterface.rawValue))
    }

    @Test func ipv4RoutesViaIPv6GatewaysUseRTAVia() throws {
        var route = Route(destination: try IPPrefix(parsing: "198.51.100.0/24"))
        route.gateway = IPAddress("2001:db8::1")
        route.outputInterface = 2
        let (_, decoded) = try roundTrip(route)
        #expect(decoded?.gateway == IPAddress("2001:db8::1"))
    }
}

extension String {
    /// The part of the string from the first occurrence of `marker` on (for hex dumps).
    func components(of marker: String) -> String {
        guard let range = firstRange(of: marker) else { return "" }
        return String(self[range.lowerBound...])
    }
}
