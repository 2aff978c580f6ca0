import Testing
@testable import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// GRE options as `link add x type KIND WORDS` would make them.
private func gre(_ kind: String = "gre", _ text: String = "") throws -> GreOptions {
    var options = GreOptions(kind: kind)
    var scanner = WordScanner(words(text))
    while let word = scanner.next() { _ = try options.apply(word, &scanner, FakeDevices()) }
    try options.finish()
    return options
}

private func mtuReport(_ mtu: Int, _ options: GreOptions, path: Int = 1500, ipsec: IPsecEncapsulation? = nil, probe: PathMTUResult? = nil) -> CheckReport {
    MTUCheck.report(MTUFacts(tunnel: "gre1", mtu: mtu, options: options,
                             path: .known(UnderlayPath(device: "va", deviceMTU: path)), ipsec: ipsec, probe: probe))
}

@Suite struct OverheadTests {
    @Test func eachOptionAddsItsBytes() throws {
        #expect(try gre().overheadParts.map(\.bytes) == [20, 4])
        #expect(try gre("gre", "key 1 seq").overheadParts.map(\.name) == ["outer IPv4", "GRE", "key", "seq"])
        #expect(try gre("gre", "key 1 seq csum").overhead == 36, "the kernel's 1464 on a 1500 underlay")
        #expect(try gre("gretap").overhead == 38, "the kernel's gretap default of 1462")
        #expect(try gre("gretap", "okey 7 encap fou encap-dport 5555").overhead == 50, "the captured g2: mtu 1450")
        #expect(try gre("gre", "encap gue encap-dport 5555").overheadParts.map(\.name) == ["outer IPv4", "GUE", "GRE"])
        #expect(try gre("ip6gre").overheadParts.map(\.bytes) == [40, 8, 4], "with the encapsulation limit option")
        #expect(try gre("ip6gre", "encaplimit none").overhead == 44)
    }
}

@Suite struct MTUCheckTests {
    @Test func aCleanTunnelIsOK() throws {
        let report = mtuReport(1476, try gre())
        #expect(report.verdict == .ok)
        #expect(report.summary == "gre1 mtu 1476 fits the path (1476)")
        #expect(report.fixes.isEmpty)
    }

    @Test func fifteenHundredOverFifteenHundredIsTooBig() throws {
        let report = mtuReport(1500, try gre())
        #expect(report.verdict == .problem)
        #expect(report.summary == "gre1 mtu 1500 is 24 bytes over what the path carries (1476)")
        #expect(report.fixes == [.setMTU(link: "gre1", mtu: 1476)])
    }

    @Test func keyAndSequenceNeedEightBytesMore() throws {
        let report = mtuReport(1476, try gre("gre", "key 42 seq"))
        #expect(report.verdict == .problem)
        #expect(report.fixes == [.setMTU(link: "gre1", mtu: 1468)])
    }

    @Test func tooSmallIsAWarningBeyondTheTolerance() throws {
        #expect(mtuReport(1476 - MTUCheck.wasteTolerance, try gre()).verdict == .ok)
        let report = mtuReport(1400, try gre())
        #expect(report.verdict == .warning)
        #expect(report.summary.hasPrefix("gre1 mtu 1400 is 76 bytes below what the path carries (1476)"))
        #expect(report.fixes == [.setMTU(link: "gre1", mtu: 1476)])
        #expect(report.findings.contains { $0.text.contains("diag mtu gre1 ipsec") })
    }

    @Test func routeMetricsAndCachedPathMTULowerThePath() throws {
        let path = UnderlayPath(device: "va", deviceMTU: 1500, routeMTU: 1450, cachedPMTU: 1400)
        #expect(path.mtu == 1400)
        #expect(UnderlayPath(device: "va", deviceMTU: 1500, routeMTU: 1450).mtu == 1450)
        let report = MTUCheck.report(MTUFacts(tunnel: "gre1", mtu: 1476, options: try gre(), path: .known(path)))
        #expect(report.fixes == [.setMTU(link: "gre1", mtu: 1376)])
    }

    @Test func tcpMSSFollowsTheUsableMTU() throws {
        #expect(MTUCheck.tcpMSS(mtu: 1476, ipv6: false) == 1436)
        #expect(MTUCheck.tcpMSS(mtu: 1476, ipv6: true) == 1416)
        let text = mtuReport(1500, try gre()).numbers.compactMap(\.text)
        #expect(text.contains("mtu 1500, recommended 1476, tcp mss 1436 (IPv4) / 1416 (IPv6)"))
    }

    /// AES-CBC/HMAC-SHA-256 over a 1500-byte path with plain GRE (24).
    @Test func espEstimatesAreNearTheUsual1400() throws {
        let options = try gre()
        func recommended(_ mode: IPsecEncapsulation.Mode, natT: Bool = false) -> Int {
            MTUCheck.recommendedMTU(pathMTU: 1500, options: options, ipsec: IPsecEncapsulation(mode: mode, natTraversal: natT))
        }
        // Transport: 20 + 8 + 16 + 16 fixed; (4 + inner + 2) padded to 16 must fit in 1440.
        #expect(recommended(.transport) == 1434)
        #expect(recommended(.tunnel) == 1414)
        #expect(recommended(.transport, natT: true) == 1418)
        #expect(recommended(.tunnel, natT: true) == 1398)
        let report = mtuReport(1400, options, ipsec: IPsecEncapsulation(mode: .tunnel, natTraversal: true))
        #expect(report.verdict == .problem)
        #expect(report.numbers.compactMap(\.text).contains(
            "ipsec esp 78 (tunnel mode, nat-t, estimate for AES-CBC/HMAC-SHA-256) = outer IPv4 20 + UDP 8 + ESP 8 + IV 16 + ICV 16 + trailer 2 + padding 8"))
    }

    @Test func nopmtudiscFragmentsInsteadOfDropping() throws {
        let report = mtuReport(1500, try gre("gre", "nopmtudisc"))
        #expect(report.findings.contains { $0.text.contains("fragmented after encapsulation") })
    }

    @Test func aProbeBelowTheRouteDecides() throws {
        let probe = PathMTUResult(peer: IPAddress("10.1.0.2")!, largest: 1376, smallestFailed: 1377, probes: 2, complete: true)
        let report = mtuReport(1476, try gre(), probe: probe)
        #expect(report.verdict == .problem)
        #expect(report.fixes == [.setMTU(link: "gre1", mtu: 1376)])
        #expect(report.numbers.compactMap(\.text).contains("probe 10.1.0.2: 1376 bytes pass, 1377 do not (2 probes)"))
    }

    @Test func anUnknownPathIsAWarning() throws {
        let report = MTUCheck.report(MTUFacts(tunnel: "gre1", mtu: 1476, options: try gre(), path: .noRemote))
        #expect(report.verdict == .warning)
        let loop = MTUCheck.report(MTUFacts(tunnel: "gre1", mtu: 1476, options: try gre(), path: .broken("its remote is routed back into a tunnel (a loop)")))
        #expect(loop.verdict == .warning)
        #expect(loop.summary.contains("see gretool diag route gre1"))
    }
}

/// A path for the probe search: sizes up to `mtu` pass; above it, `beyond` says what happens.
private func search(ceiling: Int = 1476, mtu: Int, beyond: (Int) -> PathMTUSearch.Outcome, limit: Int = 16) -> PathMTUSearch {
    var search = PathMTUSearch(floor: 68, ceiling: ceiling)
    while search.probes < limit, let size = search.next() {
        search.record(size, size <= mtu ? .passed : beyond(size))
    }
    return search
}

@Suite struct PathMTUSearchTests {
    @Test func aFragNeededHintFindsTheMTUInTwoProbes() {
        let result = search(mtu: 1376) { _ in .tooBig(mtu: 1376) }
        #expect(result.largestPassed == 1376 && result.smallestFailed == 1377)
        #expect(result.probes == 2 && result.isDone)
    }

    @Test func aFirstSilenceIsSentAgain() {
        // The router's ICMP teaches the kernel the path MTU: the resent probe gets the hint.
        var silentOnce = true
        let result = search(mtu: 1376) { _ in
            defer { silentOnce = false }
            return silentOnce ? .silent : .tooBig(mtu: 1376)
        }
        #expect(result.largestPassed == 1376)
        #expect(result.probes == 3)
    }

    @Test func aTunnelThatCarriesItsMTUTakesOneProbe() {
        let result = search(mtu: 1476) { _ in .silent }
        #expect(result.largestPassed == 1476 && result.probes == 1)
        #expect(result.result(peer: IPAddress("10.1.0.2")!).smallestFailed == nil)
    }

    @Test func withoutICMPABinarySearchStaysBounded() {
        let result = search(mtu: 1300) { _ in .silent }
        #expect(result.probes <= 16)
        #expect(result.largestPassed == 1300)
        // A black hole (no ICMP at all): every failure costs a resend, and still fits.
        let blackHole = search(mtu: 1376) { _ in .silent }
        #expect(blackHole.probes <= 16 && blackHole.largestPassed == 1376)
        let cutShort = search(mtu: 1376, beyond: { _ in .silent }, limit: 8)
        let partial = cutShort.result(peer: IPAddress("10.1.0.2")!)
        #expect(!partial.complete && (partial.largest ?? 0) < 1376)
        #expect(partial.field.text?.contains("search cut short") == true)
    }

    @Test func aSilentPeerIsToldApartFromASmallMTU() {
        let result = search(mtu: 0) { _ in .silent }
        #expect(result.largestPassed == nil)
        #expect(result.probes == 4, "the ceiling and the floor, each sent twice")
        let report = result.result(peer: IPAddress("10.1.0.2")!)
        #expect(report.complete && report.findings.first?.verdict == .warning)
    }

    @Test func unreachableStops() {
        let result = search(mtu: 0) { _ in .unreachable("ICMP type 3 code 1") }
        #expect(result.isDone && result.probes == 1 && result.stopReason == "ICMP type 3 code 1")
    }

    @Test func errorQueueMessagesDecode() throws {
        // cmsghdr (len 48, SOL_IP, IP_RECVERR) + sock_extended_err (EMSGSIZE, ICMP, 3/4, mtu 1376) + offender.
        var control = [UInt8](repeating: 0, count: 48)
        control.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: 48, toByteOffset: 0, as: Int.self)
            bytes.storeBytes(of: Int32(IPPROTO_IP), toByteOffset: 8, as: Int32.self)
            bytes.storeBytes(of: IP_RECVERR, toByteOffset: 12, as: Int32.self)
            bytes.storeBytes(of: EMSGSIZE, toByteOffset: 16, as: Int32.self)
            bytes[20] = QueuedError.Origin.icmp.rawValue; bytes[21] = 3; bytes[22] = 4
            bytes.storeBytes(of: UInt32(1376), toByteOffset: 24, as: UInt32.self)
        }
        let error = try #require(control.withUnsafeBytes { QueuedError(in: ControlMessages.parse($0)) })
        #expect(ProbeSocket.outcome(of: error) == .tooBig(mtu: 1376))
        #expect(ProbeSocket.outcome(of: .init(errno: .connectionRefused, origin: .icmp, type: 3, code: 3, info: 0)) == .passed)
        #expect(ProbeSocket.outcome(of: .init(errno: .connectionRefused, origin: .icmp6, type: 1, code: 4, info: 0)) == .passed)
        #expect(ProbeSocket.outcome(of: .init(errno: .messageTooLong, origin: .icmp6, type: 2, code: 0, info: 1280)) == .tooBig(mtu: 1280))
        #expect(ProbeSocket.outcome(of: .init(errno: .messageTooLong, origin: .local, type: 0, code: 0, info: 1476)) == .tooBig(mtu: 1476))
        guard case .unreachable = ProbeSocket.outcome(of: .init(errno: .networkUnreachable, origin: .icmp, type: 3, code: 0, info: 0)) else {
            Issue.record("net unreachable should stop the probe"); return
        }
    }
}

/// Tunnels for route-following tests: name -> (index, remote); devices 2 and 3 are physical.
private struct FakeRoutes {
    var tunnels: [Int32: TunnelEndpoints] = [:]
    /// remote -> (route prefix, gateway, device index)
    var routes: [IPAddress: (String, String?, Int32)] = [:]
    var names: [Int32: String] = [2: "va", 3: "vb"]

    mutating func tunnel(_ name: String, _ index: Int32, remote: String) {
        tunnels[index] = TunnelEndpoints(name: name, index: index, remote: IPAddress(remote), local: IPAddress("198.51.100.1"))
        names[index] = name
    }

    mutating func route(_ remote: String, _ prefix: String, via gateway: String? = nil, dev: Int32) {
        routes[IPAddress(remote)!] = (prefix, gateway, dev)
    }

    struct NoRoute: Error, CustomStringConvertible { var description: String { "Network is unreachable" } }

    func follow(from name: String) -> RouteChain {
        let start = tunnels.values.first { $0.name == name }!
        return RouteCheck.follow(from: start, resolve: { tunnel in
            guard let (prefix, gateway, device) = routes[tunnel.remote!] else { throw NoRoute() }
            return RouteHop(tunnel: tunnel.name, remote: tunnel.remote!, route: Route(destination: try! IPPrefix(parsing: prefix)),
                            gateway: gateway.flatMap { IPAddress($0) }, device: names[device]!, deviceIndex: device)
        }, tunnel: { tunnels[$0] })
    }
}

/// The fix of a host route to `remote`.
private func hostRoute(_ remote: String, via gateway: FixValue<IPAddress>?, dev device: FixValue<String>,
                       table: RouteTable = .main, replacing: Bool = false) -> Fix {
    .hostRoute(HostRouteFix(destination: IPAddress(remote)!, gateway: gateway, device: device, table: table, replacing: replacing))
}

@Suite struct RouteCheckTests {
    @Test func aRemoteThroughTheUnderlayEndsThere() {
        var fake = FakeRoutes()
        fake.tunnel("gre1", 10, remote: "203.0.113.2")
        fake.route("203.0.113.2", "0.0.0.0/0", via: "198.51.100.254", dev: 2)
        let chain = fake.follow(from: "gre1")
        #expect(chain.end == .underlay && chain.hops.count == 1)
        let report = RouteCheck.report(RouteFacts(tunnel: fake.tunnels[10]!, tunnelUp: true, chain: chain, underlays: [("va", true)]))
        #expect(report.verdict == .ok)
        #expect(report.summary == "gre1's remote 203.0.113.2 is reached through va")
        #expect(report.numbers.first?.text == "gre1 remote 203.0.113.2: default via 198.51.100.254 dev va")
    }

    @Test func aDefaultRouteThroughTheTunnelIsRecursion() {
        var fake = FakeRoutes()
        fake.tunnel("gre1", 10, remote: "203.0.113.2")
        fake.route("203.0.113.2", "0.0.0.0/0", dev: 10)
        let chain = fake.follow(from: "gre1")
        #expect(chain.end == .loop(backTo: "gre1"))
        let facts = RouteFacts(tunnel: fake.tunnels[10]!, tunnelUp: true, chain: chain, collisions: [("gre1", 7)],
                               bypasses: [RouteFacts.Bypass(remote: IPAddress("203.0.113.2")!, gateway: IPAddress("198.51.100.254"), device: "va")])
        let report = RouteCheck.report(facts)
        #expect(report.verdict == .problem)
        #expect(report.summary.contains("routed into gre1 itself (recursive routing)"))
        #expect(report.fixes == [hostRoute("203.0.113.2", via: .known(IPAddress("198.51.100.254")!), dev: .known("va"))])
        #expect(report.numbers.compactMap(\.text).contains("collisions gre1 7"))
    }

    @Test func twoTunnelsRoutedThroughEachOtherLoop() {
        var fake = FakeRoutes()
        fake.tunnel("gre1", 10, remote: "203.0.113.2")
        fake.tunnel("gre2", 11, remote: "192.0.2.9")
        fake.route("203.0.113.2", "203.0.113.2/32", dev: 11)
        fake.route("192.0.2.9", "192.0.2.9/32", dev: 10)
        let chain = fake.follow(from: "gre1")
        #expect(chain.end == .loop(backTo: "gre1"))
        #expect(chain.hops.map(\.device) == ["gre2", "gre1"])
        #expect(chain.hops.map(\.tunnel) == ["gre1", "gre2"])
        // GRE over GRE that ends in the underlay is no loop.
        fake.route("192.0.2.9", "192.0.2.0/24", via: "198.51.100.254", dev: 2)
        #expect(fake.follow(from: "gre1").end == .underlay)
        #expect(fake.follow(from: "gre1").hops.count == 2)
    }

    @Test func theChainIsBounded() {
        var fake = FakeRoutes()
        for index in Int32(10)...30 {
            fake.tunnel("t\(index)", index, remote: "10.0.0.\(index)")
            fake.route("10.0.0.\(index)", "10.0.0.\(index)/32", dev: index + 1)
        }
        fake.tunnels[31] = nil
        let chain = fake.follow(from: "t10")
        #expect(chain.end == .tooLong && chain.hops.count == RouteCheck.maxHops)
    }

    @Test func noRouteIsAProblem() {
        var fake = FakeRoutes()
        fake.tunnel("gre1", 10, remote: "203.0.113.2")
        let chain = fake.follow(from: "gre1")
        #expect(chain.end == .unresolved(tunnel: "gre1", remote: IPAddress("203.0.113.2")!, reason: "Network is unreachable"))
        let report = RouteCheck.report(RouteFacts(tunnel: fake.tunnels[10]!, tunnelUp: true, chain: chain,
                                                  bypasses: [.unknown(remote: IPAddress("203.0.113.2")!, device: "va")]))
        #expect(report.verdict == .problem)
        #expect(report.fixes == [hostRoute("203.0.113.2", via: .unknown, dev: .known("va"))])
        // A host route through a tunnel is in the way: the fix replaces it.
        #expect(RouteFacts.Bypass(remote: IPAddress("198.51.100.2")!, gateway: nil, device: "va", replacing: true).fix
            == hostRoute("198.51.100.2", via: nil, dev: .known("va"), replacing: true))
        #expect(RouteFacts.Bypass(remote: IPAddress("2001:db8::2")!, gateway: IPAddress("2001:db8:1::1"), device: "va", table: RouteTable(rawValue: 100)).fix
            == hostRoute("2001:db8::2", via: .known(IPAddress("2001:db8:1::1")!), dev: .known("va"), table: RouteTable(rawValue: 100)))
        #expect(RouteFacts.Bypass.unknown(remote: IPAddress("198.51.100.2")!, device: nil).fix
            == hostRoute("198.51.100.2", via: .unknown, dev: .unknown))
    }

    @Test func aMissingLocalAddressAndDownDevicesAreProblems() {
        var fake = FakeRoutes()
        fake.tunnel("gre1", 10, remote: "203.0.113.2")
        fake.route("203.0.113.2", "203.0.113.0/24", dev: 2)
        let facts = RouteFacts(tunnel: fake.tunnels[10]!, tunnelUp: false, chain: fake.follow(from: "gre1"),
                               local: .missing(IPAddress("198.51.100.1")!), underlays: [("va", false)])
        let report = RouteCheck.report(facts)
        #expect(report.verdict == .problem)
        #expect(report.summary == "local 198.51.100.1 is not an address of this host: the kernel cannot send gre1's packets")
        #expect(report.fixes == [.addAddress(.known(IPPrefix(address: IPAddress("198.51.100.1")!, length: 32)), device: "va"), .setUp(link: "va"), .setUp(link: "gre1")])
    }

    @Test func aRemoteSavedOnlyByAMoreSpecificRouteIsAWarning() throws {
        var fake = FakeRoutes()
        fake.tunnel("gre1", 10, remote: "203.0.113.2")
        fake.route("203.0.113.2", "203.0.113.0/24", via: "198.51.100.254", dev: 2)
        var tunnelDefault = Route(destination: try IPPrefix(parsing: "0.0.0.0/0"))
        tunnelDefault.outputInterface = 10
        let chain = fake.follow(from: "gre1")
        let report = RouteCheck.report(RouteFacts(tunnel: fake.tunnels[10]!, tunnelUp: true, chain: chain, underlays: [("va", true)],
                                                  override: .init(route: tunnelDefault, device: "gre1")))
        #expect(report.verdict == .warning)
        #expect(report.summary.contains("only because 203.0.113.0/24 wins over default dev gre1"))
        #expect(report.fixes == [hostRoute("203.0.113.2", via: .known(IPAddress("198.51.100.254")!), dev: .known("va"))])
    }

    @Test func theBypassIsTheBestRouteOutsideTheTunnels() throws {
        func route(_ prefix: String, via gateway: String? = nil, dev: Int32? = nil, metric: UInt32? = nil) throws -> Route {
            var route = Route(destination: try IPPrefix(parsing: prefix))
            route.gateway = gateway.flatMap { IPAddress($0) }
            route.outputInterface = dev
            route.priority = metric
            return route
        }
        let remote = IPAddress("203.0.113.2")!
        var routes = [
            try route("0.0.0.0/0", dev: 10, metric: 10),
            try route("0.0.0.0/0", via: "198.51.100.254", dev: 2, metric: 100),
            try route("0.0.0.0/0", via: "198.51.100.253", dev: 2, metric: 200),
            try route("198.51.100.0/24", dev: 2),
            try route("203.0.113.0/24", dev: 11),
        ]
        let best = try #require(RouteCheck.bypass(to: remote, in: routes, avoiding: [10, 11]))
        #expect(best.gateway == IPAddress("198.51.100.254") && best.device == 2)
        // A more specific route outside the tunnels wins; blackholes and other types never do.
        var blackhole = try route("203.0.113.2/32")
        blackhole.type = .blackhole
        routes += [try route("203.0.113.0/25", via: "198.51.100.9", dev: 3), blackhole]
        #expect(RouteCheck.bypass(to: remote, in: routes, avoiding: [10, 11])?.gateway == IPAddress("198.51.100.9"))
        // A multipath route's legs outside the tunnels count.
        var multipath = try route("203.0.113.0/26")
        multipath.nexthops = [.init(gateway: nil, outputInterface: 10), .init(gateway: IPAddress("198.51.100.7"), outputInterface: 2)]
        routes.append(multipath)
        #expect(RouteCheck.bypass(to: remote, in: routes, avoiding: [10, 11])?.gateway == IPAddress("198.51.100.7"))
        #expect(RouteCheck.coveringTunnelRoute(to: remote, in: routes, through: [11])?.destination.description == "203.0.113.0/24")
        #expect(RouteCheck.coveringTunnelRoute(to: IPAddress("192.0.2.1")!, in: routes, through: [11]) == nil)
    }
}

@Suite struct KeepaliveCheckTests {
    private func controls(forwarding: Int = 1, acceptLocal: (Int, Int) = (0, 1), rpFilter: (Int, Int) = (0, 2)) -> KeepaliveControls {
        KeepaliveControls(forwarding: forwarding, forwardingSources: [("gre1", forwarding), ("ip_forward", 0)],
                          acceptLocal: .init(all: acceptLocal.0, device: acceptLocal.1),
                          reversePathFilter: .init(all: rpFilter.0, device: rpFilter.1))
    }

    private func report(_ controls: KeepaliveControls, options: GreOptions? = nil, up: Bool = true, addresses: [String] = ["10.1.0.1/30"]) throws -> CheckReport {
        KeepaliveCheck.report(KeepaliveFacts(tunnel: "gre1", options: try options ?? gre("gre", "remote 198.51.100.2"), up: up,
                                             addresses: try addresses.map { try IPPrefix(parsing: $0) }, controls: controls))
    }

    @Test func aReadyTunnelIsOK() throws {
        let ready = try report(controls())
        #expect(ready.verdict == .ok)
        #expect(ready.numbers.compactMap(\.text) == [
            "forwarding 1 (gre1 1, ip_forward 0)", "accept_local 1 = max(all 0, gre1 1)", "rp_filter 2 = max(all 0, gre1 2)",
            "remote 198.51.100.2", "addresses 10.1.0.1/30",
        ])
    }

    @Test func eachMissingSettingIsAProblemWithItsFix() throws {
        let acceptLocalOff = try report(controls(acceptLocal: (0, 0)))
        #expect(acceptLocalOff.verdict == .problem)
        #expect(acceptLocalOff.fixes == [.setSystemControl(["net", "ipv4", "conf", "gre1", "accept_local"], value: 1)])
        // max(all, dev): strict all wins over a device at 0, and 2 on the device beats it.
        let strict = try report(controls(rpFilter: (1, 0)))
        #expect(strict.verdict == .problem)
        #expect(strict.fixes == [.setSystemControl(["net", "ipv4", "conf", "gre1", "rp_filter"], value: 2)])
        #expect(try report(controls(rpFilter: (1, 2))).verdict == .ok)
        let noForwarding = try report(controls(forwarding: 0))
        #expect(noForwarding.fixes == [.setSystemControl(["net", "ipv4", "conf", "gre1", "forwarding"], value: 1)])
    }

    /// diag all: what drops the peer's keepalives is a warning until the peer is seen
    /// sending them; the fix is the same. Asked by name (not watched), a problem.
    @Test func readinessInDiagAllDependsOnThePeerSendingKeepalives() throws {
        var facts = KeepaliveFacts(tunnel: "gre1", options: try gre("gre", "remote 198.51.100.2"), up: true,
                                   addresses: [try IPPrefix(parsing: "10.1.0.1/30")], controls: controls(forwarding: 0))
        facts.peerKeepalives = .notSeen(milliseconds: 1500)
        let quiet = KeepaliveCheck.report(facts)
        #expect(quiet.verdict == .warning)
        #expect(quiet.summary == "gre1 drops its peer's keepalives: forwarding is off on gre1 (they must be forwarded back)")
        #expect(quiet.fixes == [.setSystemControl(["net", "ipv4", "conf", "gre1", "forwarding"], value: 1)])
        #expect(quiet.findings.last?.text == "no keepalive from the peer arrived in 1.5 s: a warning until it sends them (gretool diag keepalive gre1 judges as if it did)")
        facts.peerKeepalives = .seen
        let sending = KeepaliveCheck.report(facts)
        #expect(sending.verdict == .problem)
        #expect(sending.findings.last?.text == "the peer sends keepalives: one arrived during the check")
        facts.peerKeepalives = .notWatched
        #expect(KeepaliveCheck.report(facts).verdict == .problem)
        // A tunnel that is down stays a problem whatever the peer does.
        facts.controls = controls()
        facts.up = false
        facts.peerKeepalives = .notSeen(milliseconds: 1500)
        #expect(KeepaliveCheck.report(facts).verdict == .problem)
    }

    @Test func aTunnelWithoutRemoteOrAddressCannotSend() throws {
        let report = try report(controls(), options: gre(), up: false, addresses: [])
        #expect(report.verdict == .problem)
        #expect(report.summary == "gre1 has no remote: keepalives have nowhere to go")
        #expect(report.findings.map(\.verdict) == [.problem, .warning, .problem])
    }

    @Test func ipv6TunnelsHaveOnlyForwarding() throws {
        let controls = KeepaliveControls(forwarding: 0, forwardingSources: [("all", 0), ("gre1", 1)], acceptLocal: nil, reversePathFilter: nil)
        let report = try report(controls, options: gre("ip6gre", "remote 2001:db8::2"), addresses: ["2001:db8:1::1/64"])
        #expect(report.fixes == [.setSystemControl(["net", "ipv6", "conf", "all", "forwarding"], value: 1)])
        #expect(!report.numbers.contains { $0.key == "rp_filter" })
    }

    @Test func sysctlNamesWriteDotsInDevicesAsSlashes() {
        #expect(SystemControls.name(["net", "ipv4", "conf", "eth0.100", "rp_filter"]) == "net.ipv4.conf.eth0/100.rp_filter")
    }

    @Test func settingsAreReadFromFiles() throws {
        var template = Array("/tmp/gretool-sysctl-XXXXXX".utf8CString)
        let root = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { _ = system("rm -rf '\(root)'") }
        for directory in ["net", "net/ipv4", "net/ipv4/conf", "net/ipv4/conf/all", "net/ipv4/conf/gre1"] {
            mkdir("\(root)/\(directory)", 0o755)
        }
        func write(_ path: String, _ text: String) {
            let file = fopen("\(root)/\(path)", "w")
            fputs(text, file)
            fclose(file)
        }
        write("net/ipv4/ip_forward", "0\n")
        write("net/ipv4/conf/gre1/forwarding", "1\n")
        write("net/ipv4/conf/all/accept_local", "0\n")
        write("net/ipv4/conf/gre1/accept_local", "1\n")
        write("net/ipv4/conf/all/rp_filter", "1\n")
        let controls = KeepaliveControls(device: "gre1", ipv6: false, from: SystemControls(root: root))
        #expect(controls.forwarding == 1)
        #expect(controls.acceptLocal?.effective == 1)
        #expect(controls.reversePathFilter?.all == 1 && controls.reversePathFilter?.device == nil)
        #expect(controls.reversePathFilter?.effective == nil, "unreadable: no verdict on it")
        let report = try report(controls)
        #expect(report.verdict == .warning)
        #expect(report.summary.contains("cannot read net.ipv4.conf.gre1.rp_filter"))
        // The real /proc/sys of this namespace reads too.
        #expect(SystemControls().integer(["net", "ipv4", "ip_forward"]) != nil)
    }
}

@Suite struct DiagnosticWordsTests {
    @Test func mtuWords() throws {
        #expect(try MTUCheckRequest.parse(words("gre1")) == MTUCheckRequest(tunnel: "gre1"))
        #expect(try MTUCheckRequest.parse(words("gre1 probe")).probe == .peerOnTunnel)
        #expect(try MTUCheckRequest.parse(words("gre1 probe 10.1.0.2 ipsec tunnel nat-t"))
            == MTUCheckRequest(tunnel: "gre1", ipsec: IPsecEncapsulation(mode: .tunnel, natTraversal: true), probe: .address(IPAddress("10.1.0.2")!)))
        #expect(try MTUCheckRequest.parse(words("gre1 ip transport pr")).ipsec == IPsecEncapsulation(mode: .transport))
        #expect(throws: InvalidArgument("diag mtu: no tunnel name given")) { try MTUCheckRequest.parse([]) }
        #expect(throws: InvalidArgument.badValue("ipsec", "esp", expected: "transport or tunnel")) { try MTUCheckRequest.parse(words("gre1 ipsec esp")) }
        #expect(throws: InvalidArgument("\"ipsec\" needs a value")) { try MTUCheckRequest.parse(words("gre1 ipsec")) }
        #expect(throws: InvalidArgument("nat-t needs \"ipsec transport\" or \"ipsec tunnel\" before it")) { try MTUCheckRequest.parse(words("gre1 nat-t")) }
        #expect(throws: InvalidArgument.unknownWord("frob", in: "diag mtu")) { try MTUCheckRequest.parse(words("gre1 frob")) }
        #expect(throws: InvalidArgument.unknownWord("gre2", in: "diag route")) { try MTUCheckRequest.tunnelName(words("gre1 gre2"), verb: "diag route") }
    }

    @Test func thePeerOnATunnelSubnet() {
        func peer(_ local: String, _ length: UInt8, peer: String? = nil) -> String? {
            let local = IPAddress(local)!
            var address = Address(family: local.family, prefixLength: length, interface: 1)
            address.local = local
            address.address = peer.flatMap { IPAddress($0) } ?? local
            return address.subnetPeer?.description
        }
        #expect(peer("10.1.0.1", 30) == "10.1.0.2")
        #expect(peer("10.1.0.2", 30) == "10.1.0.1")
        #expect(peer("10.1.0.3", 30) == nil, "the broadcast address has no peer")
        #expect(peer("10.1.0.4", 31) == "10.1.0.5")
        #expect(peer("10.1.0.5", 31) == "10.1.0.4")
        #expect(peer("10.1.0.1", 32, peer: "10.1.0.9") == "10.1.0.9")
        #expect(peer("10.1.0.1", 24) == nil)
        #expect(peer("2001:db8::1", 127) == "2001:db8::")
        #expect(peer("2001:db8::1", 64) == nil)
    }
}

@Suite struct ConfigCheckTests {
    /// The first hop to 198.51.100.2 (or `remote`): on va's link, or through a gateway.
    private func hop(_ remote: String = "198.51.100.2", via gateway: String? = nil) throws -> RouteHop {
        RouteHop(tunnel: "gre1", remote: IPAddress(remote)!, route: Route(destination: try IPPrefix(parsing: "198.51.100.0/24")),
                 gateway: gateway.flatMap { IPAddress($0) }, device: "va", deviceIndex: 2)
    }

    private func report(_ words: String, kind: String = "gre", via gateway: String? = nil, configure: (inout ConfigFacts) -> Void = { _ in }) throws -> CheckReport {
        let options = try gre(kind, words)
        var facts = ConfigFacts(tunnel: "gre1", options: options,
                                firstHop: options.remote == nil ? nil : try hop(options.remote!.description, via: gateway))
        configure(&facts)
        return ConfigCheck.report(facts)
    }

    @Test func aCleanTunnelIsOK() throws {
        let clean = try report("remote 198.51.100.2 local 198.51.100.1 ttl 64 key 5", via: "198.51.100.254")
        #expect(clean.verdict == .ok)
        #expect(clean.findings.isEmpty)
        #expect(clean.numbers.compactMap(\.text) == ["ttl 64", "input key 5"])
    }

    /// ttl inherit is a risk once a router stands between the endpoints (a TTL of 1 dies
    /// there); with the remote on the underlay's link it only explains itself.
    @Test func ttlInheritThroughAGatewayIsAWarning() throws {
        let routed = try report("remote 198.51.100.2 local 198.51.100.1", via: "198.51.100.254")
        #expect(routed.verdict == .warning)
        #expect(routed.summary == "gre1 copies each packet's TTL to its outer header (ttl inherit): a packet sent with TTL 1 (OSPF, RIP, eBGP by default) dies at 198.51.100.254, before 198.51.100.2")
        #expect(routed.fixes == [.setTunnelTTL(tunnel: "gre1", ttl: 64, pathMTUDiscovery: false)])
        // Without DF, iproute2 refuses a fixed TTL: the fix turns path MTU discovery on.
        #expect(try report("remote 198.51.100.2 nopmtudisc", via: "198.51.100.254").fixes == [.setTunnelTTL(tunnel: "gre1", ttl: 64, pathMTUDiscovery: true)])
        let direct = try report("remote 198.51.100.2 local 198.51.100.1")
        #expect(direct.verdict == .ok)
        #expect(direct.findings == [.note("gre1 copies each packet's TTL (ttl inherit); 198.51.100.2 is on va's link, so a packet sent with TTL 1 still reaches it")])
        let ipv6 = try report("remote 2001:db8::2 hoplimit inherit", kind: "ip6gre", via: "2001:db8::ff") { $0.encapsulationLimitProbe = .passes }
        #expect(ipv6.summary.hasPrefix("gre1 copies each packet's TTL to its outer header (hoplimit inherit)"))
    }

    /// The kernel's receive identity: kind of packets, endpoints and input key; the output
    /// key and the bound device play no part.
    @Test func tunnelsAlikeOnReceive() throws {
        func alike(_ a: String, _ b: String, kinds: (String, String) = ("gre", "gre")) throws -> Bool {
            ConfigCheck.receiveAlike(try gre(kinds.0, a), try gre(kinds.1, b))
        }
        let pair = "remote 198.51.100.2 local 198.51.100.1"
        #expect(try alike(pair + " key 5", pair + " ikey 5 okey 6"))
        #expect(try alike(pair, pair))
        #expect(try !alike(pair + " key 5", pair + " key 6"))
        #expect(try !alike(pair + " key 0", pair))
        #expect(try !alike(pair + " key 5", pair + " key 5", kinds: ("gre", "gretap")))
        #expect(try !alike(pair, "remote 198.51.100.2 local 198.51.100.3"))
        #expect(try !alike(pair, "external", kinds: ("gre", "gre")))
    }

    /// Two alike tunnels: the one bound to the device the remote is reached through takes
    /// every packet; an unbound one beside it receives nothing (the packets still enter
    /// the host, on the other tunnel: a warning).
    @Test func aRivalBoundToTheWayInStarvesAnUnboundTunnel() throws {
        let starved = try report("remote 198.51.100.2 local 198.51.100.1 key 5 ttl 64") {
            $0.rivals = [ConfigFacts.Rival(name: "gre2", boundDevice: "va", up: true)]
        }
        #expect(starved.verdict == .warning)
        #expect(starved.summary == "gre1 receives nothing from 198.51.100.2: gre2, bound to va, has the same local 198.51.100.1 remote 198.51.100.2 and key 5, and takes every such packet that arrives on va, the way to the remote; they enter this host on gre2, unseen by what watches gre1 (routing protocols, strict rp_filter, firewall rules)")
        #expect(starved.fixes == [.setTunnelKey(tunnel: "gre1", key: .unknown)])
        // The bound one, or a rival that is down, or bound elsewhere: a warning.
        let bound = try report("remote 198.51.100.2 local 198.51.100.1 key 5 ttl 64 dev va") {
            $0.boundDevice = "va"
            $0.rivals = [ConfigFacts.Rival(name: "gre2", boundDevice: nil, up: true)]
        }
        #expect(bound.verdict == .warning)
        #expect(bound.summary == "gre1 and gre2 have the same local 198.51.100.1 remote 198.51.100.2 and key 5: the kernel tells their packets apart only by the device they arrive on (gre1 on va, gre2 elsewhere)")
        let down = try report("remote 198.51.100.2 local 198.51.100.1 ttl 64") {
            $0.rivals = [ConfigFacts.Rival(name: "gre2", boundDevice: "va", up: false)]
        }
        #expect(down.verdict == .warning)
        #expect(down.summary.hasSuffix("(gre1 elsewhere, gre2 on va) once gre2 is up"))
    }

    @Test func noRemoteAndNoKeyIsACatchAll() throws {
        let catchAll = try report("local 198.51.100.1")
        #expect(catchAll.verdict == .warning)
        #expect(catchAll.summary == "gre1 has no remote and no key: it takes every keyless GRE packet to 198.51.100.1 that no other tunnel takes, from any host")
        #expect(catchAll.fixes == [.setTunnelKey(tunnel: "gre1", key: .unknown)])
        #expect(try report("local 198.51.100.1 key 7").verdict == .ok)
    }

    /// Counters that grow while watched are packets dropped now; counters that do not
    /// grow happened earlier. Which side is wrong follows from the tunnel's own flags.
    @Test func checksumMismatchFromTheCounters() throws {
        func counters(_ packets: UInt64, crc: UInt64 = 0, fifo: UInt64 = 0) -> GreReceiveCounters {
            GreReceiveCounters(packets: packets, checksumErrors: crc, sequenceErrors: fifo)
        }
        let pair = "remote 198.51.100.2 local 198.51.100.1 ttl 64"
        let expecting = try report(pair + " csum") {
            $0.counters = counters(0, crc: 3)
            $0.countersAfterWatch = counters(0, crc: 8)
            $0.watchedMilliseconds = 1003
        }
        #expect(expecting.verdict == .problem)
        #expect(expecting.summary == "gre1 expects GRE checksums (icsum) and its peer sends none: 5 packets dropped during 1.0 s (rx_crc_errors)")
        #expect(expecting.fixes == [.setTunnelChecksums(tunnel: "gre1", on: false)])
        #expect(expecting.numbers.last?.text == "rx packets 0, rx_crc_errors 3, +5 during 1.0 s, rx_fifo_errors 0, none during 1.0 s")
        let receiving = try report(pair) {
            $0.counters = counters(0, crc: 3)
            $0.countersAfterWatch = counters(0, crc: 4)
            $0.watchedMilliseconds = 1000
        }
        #expect(receiving.fixes == [.setTunnelChecksums(tunnel: "gre1", on: true)])
        let earlier = try report(pair) {
            $0.counters = counters(10, crc: 3)
            $0.countersAfterWatch = counters(12, crc: 3)
            $0.watchedMilliseconds = 1000
        }
        #expect(earlier.verdict == .warning)
        #expect(earlier.fixes.isEmpty)
        // No errors: nothing watched, nothing found.
        let quiet = try report(pair) { $0.counters = counters(10) }
        #expect(quiet.verdict == .ok)
        #expect(quiet.numbers.last?.text == "rx packets 10, rx_crc_errors 0, rx_fifo_errors 0")
    }

    /// rx_fifo_errors grows for packets without sequence numbers (none taken) and for
    /// late ones (others taken): the first breaks the tunnel, the second loses some.
    @Test func sequenceErrorsFromTheCounters() throws {
        let pair = "remote 198.51.100.2 local 198.51.100.1 ttl 64 seq"
        let none = try report(pair) {
            $0.counters = GreReceiveCounters(packets: 0, checksumErrors: 0, sequenceErrors: 1)
            $0.countersAfterWatch = GreReceiveCounters(packets: 0, checksumErrors: 0, sequenceErrors: 4)
            $0.watchedMilliseconds = 1000
        }
        #expect(none.verdict == .problem)
        #expect(none.summary == "gre1 expects GRE sequence numbers (iseq) and its peer sends none: 3 packets dropped during 1.0 s (rx_fifo_errors)")
        #expect(none.fixes == [.setTunnelSequenceNumbers(tunnel: "gre1", on: false)])
        let reordered = try report(pair) {
            $0.counters = GreReceiveCounters(packets: 100, checksumErrors: 0, sequenceErrors: 1)
            $0.countersAfterWatch = GreReceiveCounters(packets: 180, checksumErrors: 0, sequenceErrors: 3)
            $0.watchedMilliseconds = 1000
        }
        #expect(reordered.verdict == .warning)
        #expect(reordered.summary == "gre1 dropped 2 of its peer's packets during 1.0 s for arriving out of order (rx_fifo_errors): with sequence numbers (iseq) it drops every late packet")
    }

    @Test func anEncapsulationLimitTheRemoteDrops() throws {
        let pair = "remote 2001:db8::2 local 2001:db8::1"
        func probed(_ probe: EncapsulationLimitProbe, _ words: String = "") throws -> CheckReport {
            try report(pair + words, kind: "ip6gre") { $0.encapsulationLimitProbe = probe }
        }
        let dropped = try probed(.dropped)
        #expect(dropped.verdict == .problem)
        #expect(dropped.summary == "2001:db8::2 drops IPv6 packets that carry a destination options header (a probe with one went unanswered, one without was answered): gre1 puts its encapsulation limit in one on every packet")
        #expect(dropped.fixes == [.noEncapsulationLimit(tunnel: "gre1")])
        #expect(try probed(.passes).verdict == .ok)
        #expect(try probed(.remoteSilent).findings == [.note("whether 2001:db8::2 takes gre1's encapsulation limit option is unknown: it answered neither probe")])
        // encaplimit none: no option, nothing to say.
        let none = try probed(.notProbed, " encaplimit none")
        #expect(none.findings.isEmpty)
        #expect(!none.numbers.contains { $0.key == "encap_limit_option" })
    }
}

@Suite struct ProbeSocketTests {
    @Test func probesLeaveByTheInterfaceGivenInEitherFamily() throws {
        // The loopback's index is 1 in every namespace. Both IP_UNICAST_IF and
        // IPV6_UNICAST_IF take the index in network byte order; in host order the kernel
        // reads 1 as 16777216 and refuses it ("Cannot assign requested address").
        _ = try ProbeSocket(peer: IPAddress("127.0.0.1")!, interfaceIndex: 1)
        _ = try ProbeSocket(peer: IPAddress("::1")!, interfaceIndex: 1)
    }
}
