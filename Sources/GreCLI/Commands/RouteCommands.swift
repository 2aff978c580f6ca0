import GreKit

/// `gretool route`: routes, ECMP multipath, routes through nexthop objects, lookups.
enum RouteCommands: ObjectCommands {
    static let routeWords = "[ TYPE ] PREFIX [ via ADDR ] [ dev NAME ] [ src ADDR ] [ metric N ] [ table ID ] [ proto P ] [ scope S ] [ onlink ] [ mtu [ lock ] N ] [ advmss N ] [ nhid ID ] [ nexthop via ADDR dev NAME weight W ]..."

    static let object = CommandObject(
        name: "route", summary: "routes: unicast, blackhole and the like, ECMP multipath, nexthop objects",
        verbs: [
            changeVerb(.add, usage: "route add \(routeWords)", summary: "add a route; refuses one that exists"),
            changeVerb(.change, aliases: ["chg"], usage: "route change \(routeWords)", summary: "change an existing route"),
            changeVerb(.replace, usage: "route replace \(routeWords)", summary: "replace a route, or add it"),
            changeVerb(.prepend, usage: "route prepend \(routeWords)", summary: "add a route before those with the same key"),
            changeVerb(.append, usage: "route append \(routeWords)", summary: "add a route after those with the same key"),
            changeVerb(.delete, aliases: ["del"], usage: "route del PREFIX [ SELECTORS ]", summary: "delete the first route that matches"),
            Verb(name: "show", aliases: ["list", "lst"],
                 usage: "route show [ table ID | all ] [ dev NAME ] [ proto P ] [ scope S ] [ type T ] [ [ root | match | exact ] PREFIX ]",
                 summary: "show routes (IPv4 unless -6 or table all)", keywords: { RouteSelector.keywords }, run: show),
            Verb(name: "get", usage: "route get ADDR [ from ADDR ] [ iif NAME ] [ oif NAME ] [ mark N ] [ uid N ] [ fibmatch ] [ ipproto P ] [ sport N ] [ dport N ] [ notify ] [ connected ]",
                 summary: "the route the kernel would take", keywords: { RouteService.Lookup.keywords }, run: get),
            Verb(name: "flush", usage: "route flush [ table ID | all ] [ dev NAME ] [ proto P ] [ PREFIX ]",
                 summary: "delete the routes selected", keywords: { RouteSelector.keywords }, run: flush),
        ],
        defaultVerb: "show")

    private static func changeVerb(_ change: RouteChange, aliases: [String] = [], usage: String, summary: String) -> Verb {
        Verb(name: change.rawValue, aliases: aliases, usage: usage, summary: summary,
             keywords: { RouteRequest.keywords }, pipelined: true) { session, words in
            let route = try RouteRequest.parse(words, change, family: session.options.family, devices: try session.links())
            try attempt("\(change.rawValue) route \(describe(route))") { try session.routes().apply(route, change) }
        }
    }

    /// "203.0.113.0/24", "default", "2001:db8::/32 table 100", for messages.
    static func describe(_ route: Route) -> String {
        var text = route.destination.length == 0 ? "default" : route.destination.description
        if route.table != .main { text += " table \(route.table.name)" }
        return text
    }

    static func show(_ session: Session, _ words: [String]) throws {
        let selector = try RouteSelector.parse(words, family: session.options.family, devices: try session.links())
        let devices = try session.deviceNames()
        var view = RouteView(devices: devices, details: session.options.details,
                             statistics: session.options.statistics > 0, selected: RouteView.Selection(selector),
                             lineBreak: session.options.lineBreak, naming: session.options.naming)
        if session.options.details {
            // Read before the route dump: the socket cannot ask anything while it streams.
            let nexthops = (try? session.nexthops().list()) ?? []
            let nexthopView = NexthopView(devices: devices, details: true, naming: session.options.naming)
            view.nexthopInfo = Dictionary(nexthops.map { ($0.id, nexthopView.fields($0)) }, uniquingKeysWith: { first, _ in first })
        }
        let filter = selector.dumpFilter(family: session.options.family)
        let routes = try session.routes()
        let output = session.output
        // Each route is written as it is decoded: memory stays flat whatever the table's size.
        if session.options.json {
            var sink = JSONSink(writer: session.jsonWriter(), output: output)
            try sink.list { sink in try dump(routes, filter, selector) { view.write($0, to: &sink) } }
        } else {
            var sink = TextSink(output: output)
            try dump(routes, filter, selector) { route in
                view.write(route, to: &sink)
                output.write(UInt8(ascii: "\n"))
            }
        }
    }

    private static func dump(
        _ routes: RouteService, _ filter: RouteService.DumpFilter, _ selector: RouteSelector, _ each: (Route) -> Void
    ) throws {
        do {
            try ignoringMissingMainTable(filter) {
                try routes.dump(filter) { route in
                    if selector.matches(route) { each(route) }
                }
            }
        } catch {
            throw ActionFailure(action: "list routes", underlying: error)
        }
    }

    /// Runs `body` on the routes of `filter`; a main table that does not exist yet (a
    /// fresh namespace answers ENOENT) holds no routes, as iproute2 reports it.
    private static func ignoringMissingMainTable(_ filter: RouteService.DumpFilter, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as NetlinkError where error.errno == .noSuchFileOrDirectory && filter.table == .main {
        }
    }

    static func get(_ session: Session, _ words: [String]) throws {
        let lookup = try RouteService.Lookup.parse(words, family: session.options.family, devices: try session.links())
        let route = try attempt("look up a route to \(lookup.destination)") { try session.routes().lookup(lookup) }
        let view = RouteView(devices: try session.deviceNames(), details: session.options.details,
                             statistics: session.options.statistics > 0, lineBreak: session.options.lineBreak,
                             naming: session.options.naming)
        let output = session.output
        if session.options.json {
            var sink = JSONSink(writer: session.jsonWriter(), output: output)
            sink.list { view.write(route, to: &$0) }
        } else {
            var sink = TextSink(output: output)
            view.write(route, to: &sink)
            output.write(UInt8(ascii: "\n"))
        }
    }

    static func flush(_ session: Session, _ words: [String]) throws {
        let selector = try RouteSelector.parse(words, family: session.options.family, devices: try session.links())
        guard !selector.isEmpty else {
            throw InvalidArgument("route flush needs a selector (table ID, dev NAME, proto P, a prefix...)")
        }
        let filter = selector.dumpFilter(family: session.options.family)
        if selector.cloned, filter.family != .inet6 {
            // IPv4's cache is flushed through /proc; IPv6's cached routes are deleted below.
            try attempt("flush the IPv4 routing cache") { try session.routes().flushIPv4Cache() }
            if filter.family == .inet { return }
        }
        try attempt("flush routes") {
            try ignoringMissingMainTable(filter) { try session.routes().flush(filter) { selector.matches($0) } }
        }
    }
}
