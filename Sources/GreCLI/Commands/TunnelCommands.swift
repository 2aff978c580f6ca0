import GreKit

/// `gretool tunnel`: `ip tunnel`'s verbs for GRE tunnels (gre, gretap, ip6gre, ip6gretap).
enum TunnelCommands: ObjectCommands {
    static let usageWords = "[ mode { gre | gretap | ip6gre | ip6gretap } ] [ remote ADDR ] [ local ADDR ] [ ttl TTL ] [ tos TOS ] [ [i|o]key KEY ] [ [i|o]csum ] [ [i|o]seq ] [ [no]pmtudisc ] [ dev PHYS_DEV ]"

    static let object = CommandObject(
        name: "tunnel", summary: "GRE tunnels in `ip tunnel` syntax",
        verbs: [
            Verb(name: "add", usage: "tunnel add NAME \(usageWords)", summary: "create a tunnel",
                 keywords: { Tunnel.keywords + Tunnel.modes }, run: add),
            Verb(name: "change", usage: "tunnel change NAME [ OPTIONS ]",
                 summary: "change a tunnel; options not named keep their values",
                 keywords: { Tunnel.keywords }, run: change),
            Verb(name: "delete", aliases: ["del"], usage: "tunnel del NAME", summary: "delete a tunnel", run: delete),
            Verb(name: "show", aliases: ["list", "lst"], usage: "tunnel show [ NAME ] [ mode MODE ] [ remote ADDR ] [ local ADDR ] [ dev PHYS_DEV ] [ key KEY ]",
                 summary: "show the gre tunnels (-6: ip6gre; a mode: its kind's; -s: statistics)",
                 keywords: { Tunnel.keywords + Tunnel.modes }, run: show),
        ],
        defaultVerb: "show")

    static func add(_ session: Session, _ words: [String]) throws {
        let links = try session.links()
        let request = try Tunnel.add(words, devices: links)
        try attempt("create tunnel \"\(request.name)\"") { try links.create(request) }
    }

    static func change(_ session: Session, _ words: [String]) throws {
        let links = try session.links()
        let (request, index) = try Tunnel.change(words, devices: links) { name in
            try attempt("change tunnel \"\(name)\"") { try links.link(named: name.value) }
        }
        try attempt("change tunnel \"\(request.name)\"") { try links.modify(request, index: index) }
    }

    static func delete(_ session: Session, _ words: [String]) throws {
        guard words.count == 1 || (words.count == 2 && words[0] == "name") else {
            throw InvalidArgument("usage: gretool tunnel del NAME")
        }
        let name = try InterfaceName(words.last!).value
        let links = try session.links()
        try attempt("delete tunnel \"\(name)\"") {
            let (link, options) = try Tunnel.tunnel(links.link(named: name))
            // The kernel takes a delete of a module's fallback device and keeps it:
            // refused, as ip's (ioctl) delete is.
            if link.isFallbackTunnel {
                throw CommandFailure(message: "it is the \(options.kind) module's fallback device (the kernel keeps it while the module is loaded)")
            }
            try links.delete(named: name)
        }
    }

    /// `ip tunnel show`: the tunnels of one family (or mode) that the words select
    /// (`Tunnel.Selector`), none when nothing matches.
    static func show(_ session: Session, _ words: [String]) throws {
        let links = try session.links()
        let selector = try Tunnel.selector(words, family: session.options.family, devices: links)
        let statistics = session.options.statistics > 0
        let snapshot = LinkSnapshot(try attempt("list links") { try links.list(statistics: statistics) })
        let tunnels = snapshot.links.compactMap { link -> (Link, GreOptions)? in
            guard selector.matches(link), let options = link.options as? GreOptions else { return nil }
            return (link, options)
        }
        // ip ends each tunnel's line, in JSON too (print_nlmsg_tunnel's fputc).
        Printer.print(tunnels, session: session, jsonTerminator: "\n") { link, options in
            var fields = Tunnel.describe(link, options, snapshot, naming: session.options.naming)
            if statistics, let counters = link.statistics { fields.append(tunnelStatistics(counters)) }
            return fields
        }
    }

    /// `ip -s tunnel show`'s two-line counter block (DeadLoop is the collisions counter).
    private static func tunnelStatistics(_ s: LinkStatistics) -> Field {
        // printf's "%-10lld %-12lld ...": each left-aligned in its width, a space between.
        func row(_ columns: [(UInt64, Int)]) -> String {
            "    " + columns.map { value, width in
                let text = String(value)
                return text + String(repeating: " ", count: max(0, width - text.count))
            }.joined(separator: " ")
        }
        let text = "\nRX: Packets    Bytes        Errors CsumErrs OutOfSeq Mcasts\n"
            + row([(s.rxPackets, 10), (s.rxBytes, 12), (s.rxErrors, 6), (s.rxFrameErrors, 8), (s.rxFIFOErrors, 8), (s.multicast, 8)])
            + "\nTX: Packets    Bytes        Errors DeadLoop NoRoute  NoBufs\n"
            + row([(s.txPackets, 10), (s.txBytes, 12), (s.txErrors, 6), (s.collisions, 8), (s.txCarrierErrors, 8), (s.txDropped, 6)])
        return Field("stats", .object([
            .jsonOnly("rx_packets", .unsigned(s.rxPackets)), .jsonOnly("rx_bytes", .unsigned(s.rxBytes)),
            .jsonOnly("rx_errors", .unsigned(s.rxErrors)), .jsonOnly("rx_csum_errors", .unsigned(s.rxFrameErrors)),
            .jsonOnly("rx_out_of_seq", .unsigned(s.rxFIFOErrors)), .jsonOnly("rx_mcasts", .unsigned(s.multicast)),
            .jsonOnly("tx_packets", .unsigned(s.txPackets)), .jsonOnly("tx_bytes", .unsigned(s.txBytes)),
            .jsonOnly("tx_errors", .unsigned(s.txErrors)), .jsonOnly("tx_dead_loop", .unsigned(s.collisions)),
            .jsonOnly("tx_no_route", .unsigned(s.txCarrierErrors)), .jsonOnly("tx_no_bufs", .unsigned(s.txDropped)),
        ]), text: text)
    }
}
