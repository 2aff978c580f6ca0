import GreKit

/// `gretool tunnel`: `ip tunnel`'s verbs for GRE tunnels (gre, gretap, ip6gre, ip6gretap).
enum TunnelCommands: ObjectCommands {
    static let usageWords = "[ mode { gre | gretap | ip6gre | ip6gretap } ] [ remote ADDR ] [ local ADDR ] [ ttl TTL ] [ tos TOS ] [ [i|o]key KEY ] [ [i|o]csum ] [ [i|o]seq ] [ [no]pmtudisc ] [ dev PHYS_DEV ]"

    static let object = CommandObject(
        name: "tunnel", summary: "GRE tunnels in `ip tunnel` syntax",
        verbs: [
            Verb(name: "add", usage: "tunnel add NAME \(usageWords)", summary: "create a tunnel",
                 keywords: { Tunnel.keywords + Tunnel.modes }, run: add),
            Verb(name: "change", aliases: ["chg"], usage: "tunnel change NAME [ OPTIONS ]",
                 summary: "change a tunnel; options not named keep their values",
                 keywords: { Tunnel.keywords }, run: change),
            Verb(name: "delete", aliases: ["del"], usage: "tunnel del NAME", summary: "delete a tunnel", run: delete),
            Verb(name: "show", aliases: ["list", "lst"], usage: "tunnel show [ NAME ] [ mode MODE ]",
                 summary: "show GRE tunnels (-s: statistics)", keywords: { ["mode"] + Tunnel.modes }, run: show),
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
            _ = try Tunnel.tunnel(links.link(named: name))
            try links.delete(named: name)
        }
    }

    static func show(_ session: Session, _ words: [String]) throws {
        var scanner = WordScanner(words, allowsAbbreviations: false)
        var name: String?
        var mode: GreKind?
        while let word = scanner.next() {
            switch word {
            case "mode":
                mode = try Tunnel.mode(&scanner)
            default:
                let value = word == "name" ? try scanner.value(for: "name") : word
                guard name == nil else { throw InvalidArgument.unknownWord(word, in: "tunnel show") }
                name = try InterfaceName(value).value
            }
        }
        let statistics = session.options.statistics > 0
        let snapshot = LinkSnapshot(try attempt("list links") { try session.links().list(statistics: statistics) })
        if let name {
            guard let link = snapshot.link(named: name) else { throw DeviceNotFound(name) }
            _ = try Tunnel.tunnel(link)
        }
        let tunnels = snapshot.links.compactMap { link -> (Link, GreOptions)? in
            guard let options = link.options as? GreOptions,
                  name == nil || link.name == name, mode == nil || options.greKind == mode else { return nil }
            return (link, options)
        }
        Printer.print(tunnels, session: session) { link, options in
            var fields = Tunnel.describe(link, options, snapshot)
            if statistics, let counters = link.statistics { fields.append(tunnelStatistics(counters)) }
            return fields
        }
    }

    /// `ip -s tunnel show`'s two-line counter block (DeadLoop is the collisions counter).
    private static func tunnelStatistics(_ s: LinkStatistics) -> Field {
        func column(_ value: UInt64, _ width: Int) -> String {
            let text = String(value)
            return text + String(repeating: " ", count: max(0, width - text.count)) + " "
        }
        let text = "\nRX: Packets    Bytes        Errors CsumErrs OutOfSeq Mcasts\n    "
            + column(s.rxPackets, 10) + column(s.rxBytes, 12) + column(s.rxErrors, 6) + column(s.rxFrameErrors, 8)
            + column(s.rxFIFOErrors, 8) + column(s.multicast, 8)
            + "\nTX: Packets    Bytes        Errors DeadLoop NoRoute  NoBufs\n    "
            + column(s.txPackets, 10) + column(s.txBytes, 12) + column(s.txErrors, 6) + column(s.collisions, 8)
            + column(s.txCarrierErrors, 8) + column(s.txDropped, 6)
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
