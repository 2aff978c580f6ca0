import GreKit

/// `gretool address`: IPv4 and IPv6 addresses of the links.
enum AddressCommands: ObjectCommands {
    static let addressWords = "ADDR[/PLEN] [ peer ADDR[/PLEN] ] dev NAME [ broadcast ADDR | + | - ] [ label NAME ] [ scope S ] [ metric N ] [ noprefixroute ] [ valid_lft S ] [ preferred_lft S ]"

    static let object = CommandObject(
        name: "address", aliases: ["addr"], summary: "IPv4 and IPv6 addresses of the links",
        verbs: [
            changeVerb(.add, usage: "address add \(addressWords)", summary: "add an address; refuses one that exists"),
            changeVerb(.change, aliases: ["chg"], usage: "address change \(addressWords)", summary: "change an existing address"),
            changeVerb(.replace, usage: "address replace \(addressWords)", summary: "replace an address, or add it"),
            changeVerb(.delete, aliases: ["del"], usage: "address del ADDR[/PLEN] dev NAME", summary: "delete an address"),
            Verb(name: "show", aliases: ["list", "lst"], usage: "address show [ dev NAME ] [ to PREFIX ] [ scope S ] [ label PATTERN ] [ up ] [ [-]FLAG ]",
                 summary: "show links and their addresses", keywords: { AddressSelector.keywords }, run: show),
            Verb(name: "flush", usage: "address flush [ dev NAME ] [ to PREFIX ] [ scope S ] [ label PATTERN ] [ [-]FLAG ]",
                 summary: "delete the addresses selected", keywords: { AddressSelector.keywords }, run: flush),
        ],
        defaultVerb: "show")

    private static func changeVerb(_ change: AddressChange, aliases: [String] = [], usage: String, summary: String) -> Verb {
        Verb(name: change.rawValue, aliases: aliases, usage: usage, summary: summary,
             keywords: { AddressRequest.keywords }, pipelined: true) { session, words in
            let links = try session.links()
            let address = try AddressRequest.parse(words, change, family: session.options.family, devices: links)
            try attempt("\(change.rawValue) address \(describe(address, links))") { try session.addresses().apply(address, change) }
        }
    }

    /// "ADDR/PLEN on DEV", for an error message only: naming the device may ask the kernel.
    private static func describe(_ address: Address, _ links: LinkService) -> String {
        "\(address.local.map(String.init(describing:)) ?? "?")/\(address.prefixLength) on \(links.name(of: address.interface) ?? "?")"
    }

    /// The family a listing means: -4/-6, else that of a `to` prefix.
    private static func family(_ session: Session, _ selector: AddressSelector) -> AddressFamily {
        session.options.family != .unspecified ? session.options.family : selector.prefix?.family ?? .unspecified
    }

    static func show(_ session: Session, _ words: [String]) throws {
        var selector = try AddressSelector.parse(words, verb: "show")
        let family = family(session, selector)
        let links = try session.links()
        try selector.links.resolve(links)
        // The links as iproute2 asks for them: in the family of -4 or -6 (the kernel's
        // IPv6 answer to a dump leaves out qdisc and group), and in full when one is named.
        let linkFamily = selector.device == nil ? session.options.family : .unspecified
        let statistics = session.options.statistics > 0
        let snapshot = LinkSnapshot(try attempt("list links") { try links.list(statistics: statistics, family: linkFamily) })
        var shown = snapshot.links
        if let name = selector.device {
            guard let link = snapshot.link(named: name) else { throw DeviceNotFound(name) }
            shown = [link]
        }
        shown = shown.filter { (!selector.onlyUp || $0.isUp) && selector.links.matches($0) }
        let addresses = try attempt("list addresses") {
            try session.addresses().list(family: family, interface: shown.count == 1 ? shown[0].index : nil)
        }
        let byLink = Dictionary(grouping: addresses, by: \.interface)
        // As iproute2: a link is listed when an address of it is selected, or when it
        // has none at all and no family was asked for.
        let listed: [(Link, [Address])] = shown.compactMap { link in
            let own = byLink[link.index] ?? []
            let selected = own.filter { selector.matches($0, family: family, deviceName: link.name) }
            guard !selected.isEmpty || (own.isEmpty && family == .unspecified) else { return nil }
            return (link, selected)
        }
        if session.options.brief {
            Printer.print(listed, session: session) { BriefView.addresses($0, $1, devices: snapshot) }
            return
        }
        if session.options.oneline {
            printOnePerLine(listed, session: session)
            return
        }
        var view = LinkView(details: session.options.details, addressListing: true, linkLayer: family == .unspecified,
                            naming: session.options.naming)
        // -s: the link's counters after its addresses, as iproute2 prints them.
        let counters = LinkView(statisticsLevel: session.options.statistics)
        view.namespaceNames = try session.namespaceNames(of: listed.map(\.0))
        // Selected by label, iproute2 shows the addresses alone: nothing for a link
        // without such addresses, but its empty "addr_info" in JSON.
        let headed = selector.label == nil
        let printed = headed || session.options.json ? listed : listed.filter { !$0.1.isEmpty }
        Printer.print(printed, session: session) { link, addresses in
            var field = AddressView.field(addresses, naming: session.options.naming)
            guard headed else {
                field.text = field.text.map { String($0.dropFirst()) }
                return [field]
            }
            var link = link
            if link.txqlen == nil { link.txqlen = LinkService.transmitQueueLength(of: link.name) }
            return view.fields(link, devices: snapshot) + [field] + counters.statisticsFields(link)
        }
    }

    /// `ip -o address show`: each address on a line of its own, after its link's index
    /// and name, without the link's own lines; in JSON, each link's "addr_info" alone,
    /// every address naming its link ("index", "dev").
    private static func printOnePerLine(_ listed: [(Link, [Address])], session: Session) {
        if session.options.json {
            var writer = session.jsonWriter()
            writer.beginArray()
            for (link, addresses) in listed {
                let named: [Field.Value] = addresses.map { address in
                    .object([.jsonOnly("index", .signed(Int64(link.index))), .jsonOnly("dev", .string(link.name))]
                        + AddressView.describe(address, naming: session.options.naming).fields)
                }
                FieldRenderer.object([.jsonOnly("addr_info", .array(named))], into: &writer)
            }
            writer.endArray()
            writer.finish()
            return
        }
        for (link, addresses) in listed {
            for address in addresses {
                // The address's text starts on a line of its own: here it follows the name.
                let text = AddressView.describe(address, naming: session.options.naming).text.dropFirst()
                session.output.write("\(link.index): \(link.name)" + Printer.oneLine(String(text)) + "\n")
            }
        }
    }

    static func flush(_ session: Session, _ words: [String]) throws {
        var selector = try AddressSelector.parse(words, verb: "flush")
        guard !selector.isEmpty else {
            throw InvalidArgument("address flush needs a selector (dev NAME, to PREFIX, scope S, label PATTERN...)")
        }
        let links = try session.links()
        try selector.links.resolve(links)
        let index = try selector.device.map { name in try attempt("flush addresses") { try links.index(of: name) } }
        let family = family(session, selector)
        // The links the link filters leave (type, group, master), when there are any.
        let kept = selector.links.isEmpty ? nil : Set(try attempt("list links") { try links.list() }.filter(selector.links.matches).map(\.index))
        _ = try attempt("flush addresses") {
            let rounds = session.options.flushRounds
            return try session.addresses().flush(family: family, interface: index, rounds: rounds == 0 ? nil : rounds) { address in
                kept?.contains(address.interface) ?? true
                    && selector.matches(address, family: family, deviceName: links.name(of: address.interface))
            }
        }
    }
}
