import CMnl
import Netlink

/// The kernel, as the keepalive actions see it, through the watcher's netlink socket:
/// changes go many per datagram through a request pipeline that goes on after a failure
/// and says which request failed.
///
/// Route changes go through a socket of their own, opened at the first need: the
/// watcher's notification socket drops what the kernel reports of them (by that
/// socket's port id, `routeChangesPort`), and the actions apply them to their route
/// index themselves. Nexthop objects go through the links' socket, so that what their
/// changes do to routes is reported.
final class KernelTunnelNetwork: TunnelNetwork {
    let links: LinkService
    private let pipeline: RequestPipeline
    private var routeChanges: (socket: NetlinkSocket, pipeline: RequestPipeline)?
    private var failures: [Int: any Error] = [:]

    init(links: LinkService) {
        self.links = links
        pipeline = RequestPipeline(transport: links.socket, mode: .continueAfterFailures)
        pipeline.onFailure = { [unowned self] in failed($0) }
    }

    private func failed(_ failure: RequestPipeline.Failure) {
        // Lost replies leave every request from the first to the last unknown.
        guard let last = failure.unknownThrough?.number else {
            failures[failure.tag.number] = failure.error
            return
        }
        for position in failure.tag.number...max(failure.tag.number, last) { failures[position] = UnknownOutcome(error: failure.error) }
    }

    /// The port id of the socket that route changes go through.
    func routeChangesPort() throws -> UInt32 { try routeChangePipeline().socket.port }

    private func routeChangePipeline() throws -> (socket: NetlinkSocket, pipeline: RequestPipeline) {
        if let routeChanges { return routeChanges }
        let socket = try NetlinkSocket()
        let pipeline = RequestPipeline(transport: socket, mode: .continueAfterFailures)
        pipeline.onFailure = { [unowned self] in failed($0) }
        routeChanges = (socket, pipeline)
        return (socket, pipeline)
    }

    func send(_ changes: ArraySlice<TunnelChange>) -> [Int: any Error] {
        failures = [:]
        let nexthops = NexthopService(socket: links.socket, changes: pipeline)
        var position = 0
        do {
            let (routeSocket, routePipeline) = try routeChangePipeline()
            let routes = RouteService(socket: routeSocket, changes: routePipeline)
            var current: RequestPipeline?
            for change in changes {
                // Two sockets, one order: what is queued on one goes before the other takes over.
                let next: RequestPipeline
                if case .route = change { next = routePipeline } else { next = pipeline }
                if let current, current !== next { try current.flush() }
                current = next
                next.tag(number: position, wordBytes: UnsafeRawBufferPointer(start: nil, count: 0))
                do {
                    switch change {
                    case .route(let route, let kind): try routes.apply(route, kind)
                    case .nexthop(let nexthop, let kind): try nexthops.apply(nexthop, kind)
                    }
                } catch let failure as RequestPipeline.Failure {
                    throw failure
                } catch {
                    // This one could not be written (too large): the others go on.
                    failures[position] = error
                }
                position += 1
            }
            try current?.flush()
        } catch {
            // The socket failed: whether the requests not refused took effect is unknown.
            for unanswered in 0..<changes.count where failures[unanswered] == nil {
                failures[unanswered] = UnknownOutcome(error: error)
            }
        }
        return failures
    }

    func isUp(index: Int32) throws -> Bool { try links.link(index: index).isUp }

    /// Sets the link up or down (IFF_UP), changing nothing else.
    func setAdministrativeState(up: Bool, index: Int32) throws {
        var request = LinkRequest(mode: .modify)
        if up { request.setFlags = .up } else { request.clearFlags = .up }
        try links.modify(request, index: index)
    }

    func nexthops(on index: Int32) throws -> [NexthopObject] {
        var selector = NexthopSelector()
        selector.outputInterface = index
        return try listNexthops(selector)
    }

    func nexthopGroups() throws -> [NexthopObject] {
        var selector = NexthopSelector()
        selector.groupsOnly = true
        return try listNexthops(selector)
    }

    func routes(through device: Int32?, _ each: (Route) -> Void) throws -> Bool {
        let filter = RouteService.DumpFilter(outputInterface: device)
        return try RouteService(socket: links.socket).dump(filter) { each($0) } == .consistent
    }

    private func listNexthops(_ selector: NexthopSelector) throws -> [NexthopObject] {
        do {
            return try NexthopService(socket: links.socket).list(selector)
        } catch let error as NetlinkError where error.errno == .notSupported {
            // A kernel before nexthop objects (Linux 5.3) has none to lose.
            return []
        }
    }
}
