import CMnl
import Netlink

/// The kernel, as the keepalive actions see it, through the watcher's netlink socket:
/// changes go many per datagram through a request pipeline that goes on after a failure
/// and says which request failed.
final class KernelTunnelNetwork: TunnelNetwork {
    let links: LinkService
    private let pipeline: RequestPipeline
    private var failures: [Int: any Error] = [:]

    init(links: LinkService) {
        self.links = links
        pipeline = RequestPipeline(transport: links.socket, mode: .continueAfterFailures)
        pipeline.onFailure = { [unowned self] failure in
            // Lost replies leave every request from the first to the last unknown.
            guard let last = failure.unknownThrough?.number else {
                failures[failure.tag.number] = failure.error
                return
            }
            for position in failure.tag.number...max(failure.tag.number, last) { failures[position] = UnknownOutcome(error: failure.error) }
        }
    }

    func send(_ changes: ArraySlice<TunnelChange>) -> [Int: any Error] {
        failures = [:]
        let routes = RouteService(socket: links.socket, changes: pipeline)
        let nexthops = NexthopService(socket: links.socket, changes: pipeline)
        var position = 0
        do {
            for change in changes {
                pipeline.tag(number: position, wordBytes: UnsafeRawBufferPointer(start: nil, count: 0))
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
            try pipeline.flush()
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
