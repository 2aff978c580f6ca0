import Testing
import CMnl
import Netlink
@testable import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// A route as a dump reports it.
private func route(_ prefix: String, via gateway: String? = nil, dev: Int32? = nil, table: RouteTable = .main, metric: UInt32? = nil,
           type: RouteType = .unicast, legs: [(String?, Int32)] = [], weights: [UInt16] = [], nexthopID: UInt32? = nil) throws -> Route {
    var route = Route(destination: try IPPrefix(parsing: prefix))
    route.gateway = gateway.flatMap { IPAddress($0) }
    route.outputInterface = dev
    route.table = table
    route.priority = metric
    route.type = type
    route.nexthops = legs.enumerated().map { position, leg in
        Route.Nexthop(gateway: leg.0.flatMap { IPAddress($0) }, outputInterface: leg.1, weight: position < weights.count ? weights[position] : 1)
    }
    route.nexthopID = nexthopID
    return route
}

/// The kernel as the keepalive actions see it: routes, nexthop objects and the state of
/// links, with Linux's behaviour where the actions meet it: a route's key (destination,
/// table, metric) is its own; a gateway must be on a subnet of its device (a device
/// route there) and the device up; a link set down takes the nexthop objects on it (groups
/// lose them as members and go when they have none left) and the routes through it or on
/// what went, and marks the legs of other ECMP routes through it dead until it is up again.
/// Failures on demand.
final class FakeNetwork: TunnelNetwork {
    var upLinks: Set<Int32>
    var table: [Route]
    var objects: [NexthopObject]
    /// Requests refused once each, by their log line ("link 5 up", "add 10.1.0.0/16", "add nexthop 1").
    var failOnce: Set<String> = []
    /// Every change requested, in order (the fake journal writes here too).
    var log: [String] = []
    /// Whether the fake changed routes of its own accord (a link set down or up) since
    /// the watcher last looked: the kernel reports those.
    var changedUnasked = false
    /// How many changes each `send` carried.
    private(set) var datagrams: [Int] = []

    init(up: Set<Int32>, routes: [Route], objects: [NexthopObject] = []) {
        upLinks = up
        table = routes
        self.objects = objects
    }

    /// Routes and objects in a fixed order, to compare states.
    var state: [String] {
        table.map { "\($0)" }.sorted() + objects.map { "\($0)" }.sorted()
    }

    private func request(_ line: String) throws {
        log.append(line)
        if failOnce.remove(line) != nil { throw NetlinkError(errno: .resourceBusy, kernelMessage: "injected") }
    }

    func send(_ changes: ArraySlice<TunnelChange>) -> [Int: any Error] {
        datagrams.append(changes.count)
        var failures: [Int: any Error] = [:]
        for (offset, change) in changes.enumerated() {
            do {
                switch change {
                case .route(let route, let kind): try apply(route, kind)
                case .nexthop(let nexthop, let kind): try apply(nexthop, kind)
                }
            } catch {
                failures[offset] = error
            }
        }
        return failures
    }

    func isUp(index: Int32) throws -> Bool { upLinks.contains(index) }

    func setAdministrativeState(up: Bool, index: Int32) throws {
        try request("link \(index) \(up ? "up" : "down")")
        changedUnasked = true
        guard !up else {
            upLinks.insert(index)
            for position in table.indices {
                for leg in table[position].nexthops.indices where table[position].nexthops[leg].outputInterface == index {
                    table[position].nexthops[leg].flags = []
                }
            }
            return
        }
        upLinks.remove(index)
        var gone = Set(objects.filter { $0.outputInterface == index }.map(\.id))
        objects.removeAll { gone.contains($0.id) }
        for (position, group) in objects.enumerated().reversed() where !group.group.isEmpty {
            objects[position].group.removeAll { gone.contains($0.id) }
            if objects[position].group.isEmpty { gone.insert(group.id); objects.remove(at: position) }
        }
        table.removeAll { route in
            route.nexthopID.map(gone.contains) ?? (route.uses(interface: index) && route.nexthops.allSatisfy { $0.outputInterface == index })
        }
        for position in table.indices {
            for leg in table[position].nexthops.indices where table[position].nexthops[leg].outputInterface == index {
                table[position].nexthops[leg].flags = .dead
            }
        }
        // A route whose every leg is dead goes.
        table.removeAll { !$0.nexthops.isEmpty && $0.nexthops.allSatisfy { $0.flags.contains(.dead) } }
    }

    private func reachable(_ leg: Route.Nexthop) -> Bool {
        guard upLinks.contains(leg.outputInterface) else { return false }
        guard let gateway = leg.gateway else { return true }
        return table.contains { $0.isDirect && $0.outputInterface == leg.outputInterface && $0.destination.contains(gateway) }
    }

    func apply(_ route: Route, _ change: RouteChange) throws {
        try request("\(change.rawValue) \(route.destination)" + (route.priority.map { " metric \($0)" } ?? ""))
        let existing = table.firstIndex { $0.key == route.key }
        if change != .delete {
            if let id = route.nexthopID, !objects.contains(where: { $0.id == id }) {
                throw NetlinkError(errno: .invalidArgument, kernelMessage: "Nexthop id does not exist")
            }
            if !route.legs.allSatisfy(reachable) {
                throw NetlinkError(errno: .invalidArgument, kernelMessage: "Nexthop has invalid gateway")
            }
        }
        switch change {
        case .add:
            guard existing == nil else { throw NetlinkError(errno: .fileExists) }
            table.append(route)
        case .delete:
            guard let existing, route.legs.isEmpty || table[existing].sendsTheSameWay(as: route) else {
                throw NetlinkError(errno: .noSuchProcess)
            }
            table.remove(at: existing)
        case .replace where existing == nil:
            table.append(route)
        default:
            guard let existing else { throw NetlinkError(errno: .noSuchFileOrDirectory) }
            table[existing] = route
        }
    }

    func nexthops(on index: Int32) throws -> [NexthopObject] { objects.filter { $0.outputInterface == index } }
    func nexthopGroups() throws -> [NexthopObject] { objects.filter { !$0.group.isEmpty } }

    func apply(_ nexthop: NexthopObject, _ change: NexthopChange) throws {
        try request("\(change.rawValue) nexthop \(nexthop.id)")
        if let device = nexthop.outputInterface, !upLinks.contains(device) {
            throw NetlinkError(errno: .networkDown, kernelMessage: "Nexthop device is not up")
        }
        guard nexthop.group.allSatisfy({ member in objects.contains { $0.id == member.id } }) else {
            throw NetlinkError(errno: .invalidArgument, kernelMessage: "Invalid nexthop id")
        }
        let existing = objects.firstIndex { $0.id == nexthop.id }
        switch (change, existing) {
        case (.add, _?): throw NetlinkError(errno: .fileExists)
        case (.replace, let position?): objects[position] = nexthop
        default: objects.append(nexthop)
        }
    }

    func routes(through device: Int32?, _ each: (Route) -> Void) throws -> Bool {
        for route in table where device.map(route.uses) ?? true { each(route) }
        return true
    }
}

/// A state directory in memory: what is owed to each tunnel, every write in the
/// network's log (so a test sees that it came before the changes).
final class FakeJournal: TakenJournal {
    let network: FakeNetwork
    var files: [String: TakenFromTunnel] = [:]

    init(_ network: FakeNetwork) { self.network = network }

    func record(_ taken: TakenFromTunnel, tunnel: String, index: Int32) throws {
        network.log.append("journal \(tunnel) \(taken.isEmpty ? "removed" : "\(taken.counts.routes) routes")")
        files[tunnel] = taken.isEmpty ? nil : taken
    }
}

/// Actions over a fake kernel, with the index fed as the watcher feeds it.
func actions(_ action: KeepaliveWatcher.Action, on network: FakeNetwork, penalty: UInt32 = 0,
             watching devices: [Int32]) throws -> (Harness, FakeJournal, Outcomes) {
    let journal = FakeJournal(network)
    let actions = TunnelActions(network: network, journal: journal)
    let outcomes = Outcomes()
    actions.onOutcome = { member, outcome in outcomes.list.append((member, outcome)) }
    actions.onProblem = { member, problem in outcomes.problems.append((member, problem)) }
    // The kernel does not report the actions' own route changes (the watcher's socket
    // drops them): the index must follow them by itself, which every datagram checks.
    // What the fake changed of its own accord, the watcher would hear of: the index
    // reads the table again instead.
    actions.readNotifications = { [unowned actions] in
        if network.changedUnasked {
            network.changedUnasked = false
            try? actions.reloadIndex()
        } else {
            let follows = followsTheTable(actions.index, network)
            #expect(follows, "the index does not follow the actions' own changes")
        }
    }
    for device in devices { actions.index.watch(device) }
    try actions.reloadIndex()
    return (Harness(actions: actions, action: action, penalty: penalty), journal, outcomes)
}

/// Whether the index holds, for every watched device, the routes a fresh read of the
/// fake's table gives, and for every key in the table what the table has first.
func followsTheTable(_ index: RouteIndex, _ network: FakeNetwork) -> Bool {
    var fresh = RouteIndex()
    for device in index.devices { fresh.watch(device) }
    fresh.reload { each in network.table.forEach(each) }
    return index.devices.allSatisfy { index.routes(using: $0) == fresh.routes(using: $0) }
        && network.table.allSatisfy { route in index.route(route.key).map { $0 == network.table.first { $0.key == route.key } } ?? true }
}

final class Outcomes {
    var list: [(Int, KeepaliveActionOutcome)] = []
    var problems: [(Int?, KeepaliveProblem)] = []
    var last: KeepaliveActionOutcome? { list.last?.1 }
}

/// Tunnel actions whose tunnels go down with one action, each job run to its end.
struct Harness {
    let actions: TunnelActions
    let action: KeepaliveWatcher.Action
    let penalty: UInt32

    func down(_ member: Int, _ index: Int32) {
        actions.takeDown(member, index: index, tunnel: "t\(member)", action: action, penalty: penalty)
        actions.run(until: nil)
    }

    func up(_ member: Int, _ index: Int32) {
        actions.bringUp(member, index: index, tunnel: "t\(member)")
        actions.run(until: nil)
    }

    func adopt(_ owed: TakenFromTunnel, member: Int) { actions.adopt(owed, member: member) }
    var taken: [Int: TakenFromTunnel] { actions.taken }
    var membersToRestore: [Int] { actions.membersToRestore }
}

@Suite struct RouteWithdrawalTests {
    private let tunnel: Int32 = 5, ethernet: Int32 = 7

    @Test func withdrawsWhatGoesThroughTheTunnelAndOnlyThat() throws {
        let viaTunnel = try route("203.0.113.0/24", via: "10.0.0.2", dev: tunnel)
        let connected = try route("10.0.0.0/30", dev: tunnel)
        let otherTable = try route("0.0.0.0/0", via: "10.0.0.2", dev: tunnel, table: RouteTable(rawValue: 100))
        let ecmp = try route("192.0.2.0/24", legs: [("10.0.0.2", tunnel), ("198.51.100.254", ethernet)])
        let ecmpAllTunnel = try route("10.9.0.0/16", legs: [("10.0.0.2", tunnel), ("10.0.0.3", tunnel)])
        let elsewhere = try route("198.51.100.0/24", dev: ethernet)
        let ownAddress = try route("10.0.0.1/32", dev: tunnel, table: .local, type: .local)
        let linkLocal = try route("fe80::/64", dev: tunnel)
        let multicast = try route("ff00::/8", dev: tunnel, table: .local, type: .multicast)
        var grouped = try route("10.8.0.0/16", nexthopID: 9)
        grouped.nexthops = [Route.Nexthop(gateway: IPAddress("10.0.0.2"), outputInterface: tunnel),
                            Route.Nexthop(gateway: IPAddress("198.51.100.254"), outputInterface: ethernet)]
        let groupOnTunnel = try route("10.7.0.0/16", via: "10.0.0.2", dev: tunnel, nexthopID: 8)

        let plan = ActionPlan.withdrawal(
            of: [viaTunnel, connected, otherTable, ecmp, ecmpAllTunnel, elsewhere, ownAddress, linkLocal, multicast, grouped, groupOnTunnel],
            device: tunnel, penalty: nil, recorded: { _ in [] })
        let taken = plan.intent
        #expect(taken.routes == [viaTunnel, connected, otherTable, groupOnTunnel])
        #expect(taken.legs == [RouteLegs(route: ecmp, legs: [ecmp.nexthops[0]]), RouteLegs(route: ecmpAllTunnel, legs: ecmpAllTunnel.nexthops)])
        #expect(plan.kept == [grouped.destination])
        // The ECMP route with a leg elsewhere keeps it; the one all through the tunnel goes.
        guard case .route(let reduced, .change) = plan.changes[3].change else { Issue.record("not changed: \(plan.changes[3])"); return }
        #expect(reduced.nexthops == [ecmp.nexthops[1]])
        guard case .route(_, .delete) = plan.changes[4].change else { Issue.record("not deleted: \(plan.changes[4])"); return }
        // Routes to the tunnel's own subnet come back before routes via gateways in it.
        var owed = TakenFromTunnel()
        owed.routes = [viaTunnel, ecmp, groupOnTunnel, connected]
        let restoration = ActionPlan.restoration(of: owed, current: { _ in nil })
        #expect(restoration.changes.map(\.item) == [connected, viaTunnel, ecmp, groupOnTunnel].map { .route($0.destination) })
    }
}

@Suite struct TunnelActionTests {
    private let tunnel: Int32 = 5, ethernet: Int32 = 7

    private func nexthop(_ id: UInt32, via gateway: String, dev: Int32) -> NexthopObject {
        var nexthop = NexthopObject(id: id)
        nexthop.family = .inet
        nexthop.gateway = IPAddress(gateway)
        nexthop.outputInterface = dev
        return nexthop
    }

    private func group(_ id: UInt32, _ members: [NexthopObject.Member]) -> NexthopObject {
        var group = NexthopObject(id: id)
        group.group = members
        group.groupType = .multipath
        return group
    }

    /// A tunnel with a connected route and a route via its peer, nexthop object 1 on it
    /// and 2 elsewhere, group 10 of both (weighted), group 11 of 1 alone, and routes on
    /// each: one as dumps show it with nexthop_compat_mode on (its device), one as with
    /// it off (the id alone).
    private func network() throws -> FakeNetwork {
        FakeNetwork(
            up: [tunnel, ethernet],
            routes: [
                try route("10.0.0.0/30", dev: tunnel),
                try route("203.0.113.0/24", via: "10.0.0.2", dev: tunnel),
                try route("10.1.0.0/16", via: "10.0.0.2", dev: tunnel, nexthopID: 1),
                try route("10.2.0.0/16", legs: [("10.0.0.2", tunnel), ("198.51.100.254", ethernet)], nexthopID: 10),
                try route("10.3.0.0/16", nexthopID: 11),
                try route("198.51.100.0/24", dev: ethernet),
            ],
            objects: [nexthop(1, via: "10.0.0.2", dev: tunnel), nexthop(2, via: "198.51.100.254", dev: ethernet),
                      group(10, [.init(id: 1, weight: 3), .init(id: 2)]), group(11, [.init(id: 1)])])
    }

    /// That network, its state, and `action` taken on the tunnel, with its report.
    private func takenDown(by action: KeepaliveWatcher.Action) throws -> (FakeNetwork, [String], Harness, FakeJournal, Outcomes) {
        let network = try network()
        let before = network.state
        let (actions, journal, outcomes) = try actions(action, on: network, watching: [tunnel])
        actions.down(0, tunnel)
        return (network, before, actions, journal, outcomes)
    }

    @Test func linkActionPutsBackTheNexthopObjectsLinuxDeletesWithTheLink() throws {
        let (network, before, actions, journal, outcomes) = try takenDown(by: .link)
        #expect(outcomes.last == .linkSetDown(saved: ActionCounts(routes: 4, nexthops: 1, nexthopGroups: 2)))
        // What Linux did: object 1 and group 11 gone, group 10 down to object 2, and the
        // routes on the link, on 1 and on 11 gone with them.
        #expect(network.objects.map(\.id) == [2, 10] && network.objects[1].group == [.init(id: 2)])
        #expect(network.table.map(\.destination.description) == ["10.2.0.0/16", "198.51.100.0/24"])
        #expect(journal.files["t0"]?.linkDown == true && journal.files["t0"]?.nexthops.map(\.id) == [1])

        actions.up(0, tunnel)
        #expect(outcomes.last == .restored(ActionCounts(routes: 4, nexthops: 1, nexthopGroups: 2), linkSetUp: true, keptToRetry: []))
        #expect(network.state == before)
        #expect(actions.membersToRestore.isEmpty && journal.files.isEmpty)
        // Written down, then the link set down; device routes, then the objects, then the
        // groups whole again, then the routes on them; then nothing is owed.
        #expect(network.log == ["journal t0 4 routes", "link 5 down", "link 5 up", "add 10.0.0.0/30", "add nexthop 1",
                                "replace nexthop 10", "replace nexthop 11", "add 203.0.113.0/24", "add 10.1.0.0/16",
                                "add 10.3.0.0/16", "journal t0 removed"])
    }

    @Test func aLinkThatWouldNotComeUpKeepsEverythingForTheNextTry() throws {
        let (network, before, actions, journal, outcomes) = try takenDown(by: .link)
        network.failOnce = ["link 5 up"]
        actions.up(0, tunnel)
        #expect(outcomes.problems.map(\.1) == [.bringUpFailed(reason: "injected (Device or resource busy)")])
        #expect(actions.membersToRestore == [0] && actions.taken[0]?.linkDown == true && journal.files["t0"]?.linkDown == true)
        // The peer answers and falls silent again while the link is still down: nothing
        // new to take, and nothing forgotten. On the next up (or on exit) all comes back.
        let reports = outcomes.list.count
        actions.down(0, tunnel)
        #expect(outcomes.list.count == reports)
        actions.up(0, tunnel)
        #expect(network.state == before && actions.membersToRestore.isEmpty)
    }

    @Test func whatFailsToComeBackIsTriedAgainAtTheNextUp() throws {
        let (network, before, actions, journal, outcomes) = try takenDown(by: .link)
        network.failOnce = ["add nexthop 1", "add 203.0.113.0/24"]
        actions.up(0, tunnel)
        guard case .restored(let counts, linkSetUp: true, let kept)? = outcomes.last else {
            Issue.record("not restored: \(String(describing: outcomes.last))")
            return
        }
        #expect(counts == ActionCounts(routes: 1))
        #expect(kept.first == KeepaliveActionFailure(.nexthop(id: 1), reason: "injected (Device or resource busy)"))
        #expect(kept.contains { $0.item == .route(try! IPPrefix(parsing: "203.0.113.0/24")) && $0.reason.hasPrefix("injected") })
        let owed = try #require(actions.taken[0])
        #expect(owed.nexthops.map(\.id) == [1] && owed.groups.map(\.id) == [10, 11] && !owed.linkDown)
        #expect(owed.routes.map(\.destination.description) == ["10.1.0.0/16", "203.0.113.0/24", "10.3.0.0/16"])
        #expect(journal.files["t0"] == owed)
        // Down again: the link is set down once more, what is owed kept as it was saved.
        actions.down(0, tunnel)
        actions.up(0, tunnel)
        #expect(network.state == before && actions.membersToRestore.isEmpty && journal.files.isEmpty)
    }

    @Test func withdrawnRoutesThatFailToComeBackAreKept() throws {
        let (network, before, actions, journal, outcomes) = try takenDown(by: .routes)
        #expect(outcomes.last == .routesWithdrawn(RouteWithdrawal(routes: 3, kept: [try IPPrefix(parsing: "10.2.0.0/16")])))
        // Written down before the first route went.
        #expect(network.log.first == "journal t0 3 routes")
        #expect(journal.files["t0"]?.routes.count == 3)
        network.failOnce = ["add 10.1.0.0/16"]
        actions.up(0, tunnel)
        #expect(outcomes.last == .restored(ActionCounts(routes: 2), linkSetUp: false,
                                           keptToRetry: [KeepaliveActionFailure(.route(try IPPrefix(parsing: "10.1.0.0/16")), reason: "injected (Device or resource busy)")]))
        #expect(actions.taken[0]?.routes.map(\.destination.description) == ["10.1.0.0/16"])
        #expect(journal.files["t0"]?.routes.map(\.destination.description) == ["10.1.0.0/16"])
        // As on exit: tried again, and then forgotten.
        actions.up(0, tunnel)
        #expect(outcomes.last == .restored(ActionCounts(routes: 1), linkSetUp: false, keptToRetry: []))
        #expect(network.state == before && actions.membersToRestore.isEmpty && journal.files.isEmpty)
    }

    /// A route added through the tunnel just before it went down, whose notification the
    /// watcher had not read yet when the take-down was queued, goes with the others: the
    /// notifications are read before the job is planned.
    @Test func aRouteAddedJustBeforeTheTakeDownGoesToo() throws {
        let network = FakeNetwork(up: [tunnel], routes: [try route("10.0.0.0/30", dev: tunnel)])
        let (actions, _, outcomes) = try actions(.routes, on: network, watching: [tunnel])
        network.table.append(try route("203.0.113.0/24", via: "10.0.0.2", dev: tunnel))
        network.changedUnasked = true
        actions.down(0, tunnel)
        #expect(network.table.isEmpty && outcomes.last == .routesWithdrawn(RouteWithdrawal(routes: 2)))
        actions.up(0, tunnel)
        #expect(network.table.count == 2)
    }

    @Test func manyChangesGoManyPerDatagram() throws {
        let routes = try (0..<300).map { try route("10.9.\($0 / 256).\($0 % 256)/32", dev: tunnel) }
        let network = FakeNetwork(up: [tunnel], routes: routes)
        let (actions, _, outcomes) = try actions(.routes, on: network, watching: [tunnel])
        actions.down(0, tunnel)
        #expect(network.table.isEmpty && outcomes.last == .routesWithdrawn(RouteWithdrawal(routes: 300)))
        #expect(network.datagrams == [128, 128, 44])
        actions.up(0, tunnel)
        #expect(network.table.count == 300)
    }

    /// A take-down whose every change took writes the state file once, before the first;
    /// one with a change refused writes it again, without what was not taken, and gives
    /// back only what it took.
    @Test func aRouteThatWouldNotGoIsNotOwed() throws {
        let routes = try ["10.9.0.0/24", "10.9.1.0/24", "10.9.2.0/24"].map { try route($0, dev: tunnel) }
        let network = FakeNetwork(up: [tunnel], routes: routes)
        let (actions, journal, outcomes) = try actions(.routes, on: network, watching: [tunnel])
        actions.down(0, tunnel)
        #expect(network.log == ["journal t0 3 routes", "delete 10.9.0.0/24", "delete 10.9.1.0/24", "delete 10.9.2.0/24"])
        actions.up(0, tunnel)
        #expect(network.table.count == 3)
        network.log = []
        network.failOnce = ["delete 10.9.1.0/24"]
        actions.down(0, tunnel)
        #expect(network.log == ["journal t0 3 routes", "delete 10.9.0.0/24", "delete 10.9.1.0/24", "delete 10.9.2.0/24",
                                "journal t0 2 routes"])
        #expect(outcomes.last == .routesWithdrawn(RouteWithdrawal(
            routes: 2, failures: [KeepaliveActionFailure(.route(try IPPrefix(parsing: "10.9.1.0/24")), reason: "injected (Device or resource busy)")])))
        #expect(journal.files["t0"]?.routes.map(\.destination.description) == ["10.9.0.0/24", "10.9.2.0/24"])
        actions.up(0, tunnel)
        #expect(network.table.count == 3 && journal.files.isEmpty)
    }

    /// A reload during a mass withdrawal: the member it stops watching gets its routes
    /// back at once, after the job under way, without waiting for the other members'
    /// queued withdrawals (which go on afterwards, a slice at a time).
    @Test func aRestoreGoesAheadOfOtherMembersQueuedJobs() throws {
        let devices: [Int32] = [21, 22, 23, 24]
        let routes = try devices.flatMap { device in try (1...200).map { try route("10.\(device).\($0 / 256).\($0 % 256)/32", dev: device) } }
        let network = FakeNetwork(up: Set(devices), routes: routes)
        let (harness, _, outcomes) = try actions(.routes, on: network, watching: devices)
        let actions = harness.actions
        harness.down(0, devices[0])
        for (member, device) in devices.enumerated().dropFirst() {
            actions.takeDown(member, index: device, tunnel: "t\(member)", action: .routes)
        }
        // The first slice: one datagram of member 1's withdrawal.
        actions.run(until: 0)
        #expect(network.datagrams == [128, 72, 128])
        actions.restoreNow(0, index: devices[0], tunnel: "t0")
        // Member 1's job finished (72 more), then member 0's 200 routes came back; the
        // withdrawals of 2 and 3 wait.
        #expect(network.datagrams.dropFirst(3) == [72, 128, 72])
        #expect(outcomes.last == .restored(ActionCounts(routes: 200), linkSetUp: false, keptToRetry: []))
        #expect(network.table.filter { $0.outputInterface == devices[0] }.count == 200)
        #expect(network.table.filter { $0.outputInterface == devices[2] }.count == 200 && actions.hasWork)
        actions.run(until: nil)
        #expect(network.table.count == 200 && actions.membersToRestore == [1, 2, 3])
    }
}

/// Issue 12's first bug: route 10.60/24 with one leg on k1 and one on k2, both watched;
/// k1 fails, k2 fails, k1 comes back: the route must come back with k1's leg alone
/// (with gateway legs, restoring k2's would make the kernel refuse the whole route);
/// k2 back: both legs, as they were.
@Suite struct EcmpOverTwoTunnelsTests {
    private let k1: Int32 = 11, k2: Int32 = 12

    private func ecmp(gateways: Bool) throws -> FakeNetwork {
        FakeNetwork(up: [k1, k2], routes: [
            try route("10.0.1.0/30", dev: k1),
            try route("10.0.2.0/30", dev: k2),
            try route("10.60.0.0/24", legs: [(gateways ? "10.0.1.2" : nil, k1), (gateways ? "10.0.2.2" : nil, k2)], weights: [3, 1]),
        ])
    }

    @Test(arguments: [false, true], [KeepaliveWatcher.Action.routes, .link])
    func restoringGivesBackOnlyTheLegsOfTunnelsThatAreUp(gateways: Bool, action: KeepaliveWatcher.Action) throws {
        let network = try ecmp(gateways: gateways)
        let before = network.table
        let original = before[2]
        let (actions, journal, outcomes) = try actions(action, on: network, watching: [k1, k2])
        actions.down(1, k1)
        actions.down(2, k2)
        #expect(!network.table.contains { $0.destination == original.destination && $0.legs.allSatisfy { $0.flags.isEmpty } })
        actions.up(1, k1)
        #expect(outcomes.problems.isEmpty && outcomes.list.allSatisfy {
            if case .restored(_, _, let kept) = $0.1 { kept.isEmpty } else { true }
        })
        let back = try #require(network.table.first { $0.destination == original.destination })
        #expect(back.legs.map(\.outputInterface) == [k1], "k1 up, k2 down: only k1's leg")
        #expect(back.legs.first?.gateway == original.nexthops[0].gateway)
        #expect(journal.files["t1"] == nil && journal.files["t2"] != nil)
        actions.up(2, k2)
        #expect(network.table.sorted { "\($0)" < "\($1)" } == before.sorted { "\($0)" < "\($1)" }, "both up: the route as it was, weights and order")
        #expect(actions.membersToRestore.isEmpty && journal.files.isEmpty)
    }

    @Test func theOtherOrderToo() throws {
        let network = try ecmp(gateways: true)
        let before = network.table
        let (actions, _, _) = try actions(.routes, on: network, watching: [k1, k2])
        actions.down(1, k1)
        actions.down(2, k2)
        actions.up(2, k2)
        #expect(network.table.first { $0.destination == before[2].destination }?.legs.map(\.outputInterface) == [k2])
        actions.up(1, k1)
        #expect(network.table.sorted { "\($0)" < "\($1)" } == before.sorted { "\($0)" < "\($1)" })
    }

    /// A leg comes back when its tunnel recovers even if the other one never failed.
    @Test func aLegComesBackBesideTheOthers() throws {
        let network = try ecmp(gateways: true)
        let before = network.table
        let (actions, _, outcomes) = try actions(.routes, on: network, watching: [k1, k2])
        actions.down(1, k1)
        #expect(outcomes.last == .routesWithdrawn(RouteWithdrawal(routes: 2, reduced: 1)))
        #expect(network.table.first { $0.destination == before[2].destination }?.legs.map(\.outputInterface) == [k2])
        actions.up(1, k1)
        #expect(network.table.sorted { "\($0)" < "\($1)" } == before.sorted { "\($0)" < "\($1)" })
    }
}

@Suite struct PenalizeTests {
    private let tunnel: Int32 = 5, ethernet: Int32 = 7

    @Test func routesMoveToAHigherMetricAndBack() throws {
        let network = FakeNetwork(up: [tunnel, ethernet], routes: [
            try route("10.0.0.0/30", dev: tunnel),
            try route("203.0.113.0/24", via: "10.0.0.2", dev: tunnel, metric: 10),
            try route("192.0.2.0/24", legs: [("10.0.0.2", tunnel), ("198.51.100.254", ethernet)]),
            try route("198.51.100.0/24", dev: ethernet),
        ])
        let before = network.table
        let (actions, journal, outcomes) = try actions(.penalize, on: network, penalty: 100, watching: [tunnel])
        actions.down(0, tunnel)
        #expect(outcomes.last == .routesWithdrawn(RouteWithdrawal(routes: 1, reduced: 1, penalized: 2, penalty: 100)))
        // Each copy is there before its original goes: the tunnel stays the way out,
        // behind any other route; the ECMP route only lost its leg through the tunnel.
        #expect(network.log == ["journal t0 3 routes", "add 10.0.0.0/30 metric 100", "change 192.0.2.0/24",
                                "add 203.0.113.0/24 metric 110", "delete 10.0.0.0/30", "delete 203.0.113.0/24 metric 10"])
        #expect(network.table.filter { $0.uses(interface: tunnel) }.map { "\($0.destination) \($0.priority ?? 0)" }.sorted()
                == ["10.0.0.0/30 100", "203.0.113.0/24 110"])
        #expect(journal.files["t0"]?.penalized.map(\.metric) == [100, 110])
        actions.up(0, tunnel)
        #expect(network.table.sorted { "\($0)" < "\($1)" } == before.sorted { "\($0)" < "\($1)" })
        #expect(journal.files.isEmpty)
    }

    @Test func aCopyTheKernelRefusesLeavesTheOriginal() throws {
        let network = FakeNetwork(up: [tunnel], routes: [try route("10.0.0.0/30", dev: tunnel), try route("10.5.0.0/16", dev: tunnel)])
        network.failOnce = ["add 10.5.0.0/16 metric 7"]
        let (actions, journal, outcomes) = try actions(.penalize, on: network, penalty: 7, watching: [tunnel])
        actions.down(0, tunnel)
        #expect(network.table.map { "\($0.destination) \($0.priority ?? 0)" }.sorted() == ["10.0.0.0/30 7", "10.5.0.0/16 0"])
        #expect(journal.files["t0"]?.penalized.map(\.route.destination.description) == ["10.0.0.0/30"])
        guard case .routesWithdrawn(let withdrawal)? = outcomes.last else { Issue.record("no withdrawal"); return }
        let refused = try IPPrefix(parsing: "10.5.0.0/16")
        #expect(withdrawal.penalized == 1 && withdrawal.failures.map(\.item) == [.route(refused)])
    }
}

/// What a watcher that died left in its state file comes back through the next one.
@Suite struct AdoptedStateTests {
    @Test func aPreviousWatchersRoutesComeBackAtTheNextUp() throws {
        let tunnel: Int32 = 5
        let network = FakeNetwork(up: [tunnel], routes: [try route("10.0.0.0/30", dev: tunnel), try route("10.4.0.0/16", via: "10.0.0.2", dev: tunnel)])
        let before = network.table
        let (first, journal, _) = try actions(.routes, on: network, watching: [tunnel])
        first.down(0, tunnel)
        #expect(network.table.isEmpty)
        // Killed: the file is all that is left of it.
        let owed = try #require(journal.files["t0"])
        let (second, _, outcomes) = try actions(.routes, on: network, watching: [tunnel])
        second.adopt(owed, member: 0)
        second.up(0, tunnel)
        #expect(outcomes.last == .restored(ActionCounts(routes: 2), linkSetUp: false, keptToRetry: []))
        #expect(network.table == before)
    }
}

@Suite struct RouteIndexTests {
    private let tunnel: Int32 = 5, k2: Int32 = 6, ethernet: Int32 = 7

    private func notification(_ route: Route, _ type: RouteMessageType, flags: NetlinkFlags = []) throws -> [UInt8] {
        try MessageBuffer.encode(type: type.rawValue, flags: flags) { try route.encode($0) }
    }

    private func apply(_ bytes: [UInt8], to index: inout RouteIndex) {
        bytes.withUnsafeBytes { buffer in
            index.apply(NetlinkMessage(header: buffer.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)))
        }
    }

    @Test func keepsTheRoutesThroughWatchedDevicesFromNotifications() throws {
        var index = RouteIndex()
        index.watch(tunnel)
        index.reload { each in each(try! route("198.51.100.0/24", dev: ethernet)) }
        #expect(index.count == 0 && index.stale.isEmpty)
        let viaTunnel = try route("203.0.113.0/24", via: "10.0.0.2", dev: tunnel)
        apply(try notification(viaTunnel, .newRoute, flags: [.create, .exclusive]), to: &index)
        apply(try notification(try route("192.0.2.0/24", dev: ethernet), .newRoute), to: &index)
        #expect(index.routes(using: tunnel) == [viaTunnel] && index.count == 1)
        // IPv4: a replace takes the first route's place; an append goes beside it.
        let replaced = try route("203.0.113.0/24", via: "10.0.0.3", dev: tunnel)
        apply(try notification(replaced, .newRoute, flags: .replace), to: &index)
        let appended = try route("203.0.113.0/24", via: "10.0.0.4", dev: tunnel)
        apply(try notification(appended, .newRoute, flags: [.create, .append]), to: &index)
        #expect(index.routes(using: tunnel) == [replaced, appended])
        apply(try notification(replaced, .deleteRoute), to: &index)
        #expect(index.routes(using: tunnel) == [appended])
        // Moved to another device: no longer kept.
        let moved = try route("203.0.113.0/24", via: "198.51.100.9", dev: ethernet)
        apply(try notification(moved, .newRoute, flags: .replace), to: &index)
        #expect(index.routes(using: tunnel).isEmpty && index.count == 0)
    }

    @Test func ipv6LosesOneEcmpLegAtATime() throws {
        var index = RouteIndex()
        index.watch(tunnel)
        index.reload { _ in }
        let both = try route("2001:db8:9::/48", metric: 1024, legs: [("2001:db8:1::2", tunnel), ("2001:db8:2::2", k2)])
        apply(try notification(both, .newRoute), to: &index)
        // The kernel says which leg went: the route keeps the other, as a single nexthop.
        apply(try notification(try route("2001:db8:9::/48", via: "2001:db8:2::2", dev: k2, metric: 1024), .deleteRoute), to: &index)
        #expect(index.routes(using: tunnel).map(\.legs.count) == [1])
        #expect(index.route(both.key)?.gateway == IPAddress("2001:db8:1::2"))
        apply(try notification(try route("2001:db8:9::/48", via: "2001:db8:1::2", dev: tunnel, metric: 1024), .deleteRoute), to: &index)
        #expect(index.count == 0)
    }

    @Test func pinnedRoutesAreKeptWhereverTheyGo() throws {
        var index = RouteIndex()
        index.watch(tunnel)
        let ecmp = try route("10.60.0.0/24", legs: [(nil, tunnel), (nil, ethernet)])
        index.reload { each in each(ecmp) }
        index.pin(ecmp.key)
        let reduced = ecmp.with(legs: [ecmp.nexthops[1]])
        apply(try notification(reduced, .newRoute, flags: .replace), to: &index)
        #expect(index.route(ecmp.key) == reduced && index.routes(using: tunnel).isEmpty)
        index.unpin(ecmp.key)
        #expect(index.route(ecmp.key) == nil)
    }

    /// Among a hub's thousand watched devices, a route is kept by its own devices (its
    /// device or an ECMP leg's) and forgotten under them when deleted; IPv4's routes with
    /// one key are told apart by their device and gateway.
    @Test func routesAreKeptByTheirOwnDevices() throws {
        var index = RouteIndex()
        for device: Int32 in 1...1000 { index.watch(device) }
        let single = try route("10.1.0.0/24", dev: 500)
        let ecmp = try route("10.2.0.0/24", legs: [("10.0.0.2", 2000), ("10.0.0.6", 700)])
        let elsewhere = try route("10.3.0.0/24", dev: 2000)
        index.reload { each in [single, ecmp, elsewhere].forEach(each) }
        #expect(index.count == 2 && index.routes(using: 500) == [single] && index.routes(using: 700) == [ecmp])
        let appended = try route("10.1.0.0/24", via: "10.0.0.9", dev: 501)
        apply(try notification(appended, .newRoute, flags: [.create, .append]), to: &index)
        #expect(index.routes(using: 501) == [appended])
        // The second of the two goes: the first, on another device, stays.
        apply(try notification(appended, .deleteRoute), to: &index)
        #expect(index.routes(using: 501).isEmpty && index.routes(using: 500) == [single])
        apply(try notification(single, .deleteRoute), to: &index)
        apply(try notification(ecmp, .deleteRoute), to: &index)
        #expect(index.count == 0 && index.routes(using: 500).isEmpty && index.routes(using: 700).isEmpty)
    }

    /// Notifications the kernel queued before a dump that already lists their outcome
    /// (read after a resynchronisation, or after a stale device was read again) change
    /// nothing: no second copy of an added route, no other route taken for a deleted one.
    @Test func notificationsOlderThanTheDumpChangeNothing() throws {
        var index = RouteIndex()
        index.watch(tunnel)
        let current = try route("203.0.113.0/24", via: "10.0.0.2", dev: tunnel)
        index.reload { each in each(current) }
        apply(try notification(current, .newRoute, flags: [.create, .exclusive]), to: &index)
        apply(try notification(current, .newRoute, flags: [.create, .append]), to: &index)
        #expect(index.routes(using: tunnel) == [current])
        apply(try notification(try route("203.0.113.0/24", via: "10.0.0.9", dev: tunnel), .deleteRoute), to: &index)
        #expect(index.routes(using: tunnel) == [current])
        index.reload(device: tunnel, [current])
        apply(try notification(current, .newRoute, flags: .create), to: &index)
        #expect(index.routes(using: tunnel) == [current] && index.count == 1)
    }

    @Test func aDeviceSetDownIsReadAgain() throws {
        var index = RouteIndex()
        index.watch(tunnel)
        index.reload { _ in }
        index.linkChanged(tunnel, isUp: true)
        #expect(index.stale.isEmpty)
        index.linkChanged(tunnel, isUp: false)
        #expect(index.stale == [tunnel])
        index.reload(device: tunnel, [try route("10.0.0.0/30", dev: tunnel)])
        #expect(index.stale.isEmpty && index.count == 1)
    }
}

@Suite struct KeepaliveStateFileTests {
    @Test func writesAndReadsBackExactly() throws {
        var taken = TakenFromTunnel()
        taken.linkDown = true
        var withMetrics = try route("203.0.113.0/24", via: "10.0.0.2", dev: 5, metric: 10)
        withMetrics.metrics[.mtu] = 1400
        withMetrics.protocolID = .static
        taken.routes = [withMetrics, try route("10.0.0.0/30", dev: 5, table: RouteTable(rawValue: 100))]
        let ecmp = try route("10.60.0.0/24", legs: [("10.0.1.2", 5), ("10.0.2.2", 6)], weights: [3, 1])
        taken.legs = [RouteLegs(route: ecmp, legs: [ecmp.nexthops[0]])]
        taken.penalized = [PenalizedRoute(route: try route("2001:db8:1::/48", via: "2001:db8::2", dev: 5, metric: 1024), metric: 1124)]
        var nexthop = NexthopObject(id: 4)
        nexthop.family = .inet
        nexthop.gateway = IPAddress("10.0.0.2")
        nexthop.outputInterface = 5
        var group = NexthopObject(id: 9)
        group.group = [.init(id: 4, weight: 2), .init(id: 7)]
        group.groupType = .multipath
        taken.nexthops = [nexthop]
        taken.groups = [group]
        let state = KeepaliveState(tunnel: "gre1", index: 5, taken: taken)
        let text = try state.encoded()
        #expect(text.hasPrefix("# gretool keepalive state, version 1\ntunnel gre1 index 5\nlink-down\nroute "))
        let read = try KeepaliveState(decoding: text)
        #expect(read == state)
        #expect(try read.encoded() == text)
    }

    @Test(arguments: [
        ("", "not a keepalive state file (version 1)"),
        ("# gretool keepalive state, version 2\n", "not a keepalive state file (version 1)"),
        ("# gretool keepalive state, version 1\ntunnel gre1\n", "the second line does not name the tunnel and its index"),
        ("# gretool keepalive state, version 1\ntunnel gre1 index 5\nroute 00\n", "line 3: not a route message"),
        ("# gretool keepalive state, version 1\ntunnel gre1 index 5\nlink-up\n", #"line 3: unknown record "link-up" with 0 values"#),
    ])
    func refusesWhatItCannotRead(text: String, message: String) {
        #expect(throws: StateFileError.self) { try KeepaliveState(decoding: text) }
        do { _ = try KeepaliveState(decoding: text) } catch { #expect(error.description == message) }
    }
}

@Suite struct KeepaliveStateDirectoryTests {
    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/gretool-state-XXXXXX".utf8CString)
        let path = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) })
        return String(cString: path)
    }

    @Test func oneWatcherPerTunnelAndFilesWrittenWhole() throws {
        let runtime = try temporaryDirectory()
        let directory = try KeepaliveStateDirectory(runtimeDirectory: runtime)
        #expect(directory.path.hasPrefix(runtime + "/keepalive/net-"))
        try directory.lock(tunnel: "gre1")
        // Another open file description (another process, as far as flock goes) is refused.
        let other = try KeepaliveStateDirectory(runtimeDirectory: runtime)
        #expect(throws: KeepaliveStateDirectory.Locked(tunnel: "gre1", holder: getpid())) { try other.lock(tunnel: "gre1") }
        #expect(other.isLocked(tunnel: "gre1") && !other.isLocked(tunnel: "gre2"))
        try other.lock(tunnel: "gre2")

        var taken = TakenFromTunnel()
        taken.routes = [try route("10.0.0.0/30", dev: 5)]
        try directory.record(taken, tunnel: "gre1", index: 5)
        #expect(try other.tunnelsWithState() == ["gre1"])
        #expect(try other.load(tunnel: "gre1") == KeepaliveState(tunnel: "gre1", index: 5, taken: taken))
        #expect(try other.load(tunnel: "gre2") == nil)
        try directory.record(TakenFromTunnel(), tunnel: "gre1", index: 5)
        #expect(try other.tunnelsWithState().isEmpty)
    }
}
