import GreKit

/// `gretool link`: add, change, set, delete and show network devices.
enum LinkCommands: ObjectCommands {
    static let object = CommandObject(
        name: "link", summary: "network devices: GRE tunnels and the links around them",
        verbs: [
            Verb(name: "add", usage: "link add NAME type TYPE [ mtu N ] [ txqueuelen N ] [ up ] [ TYPE OPTIONS ]",
                 summary: "create a link", keywords: { LinkRequest.keywords + allKindKeywords }, run: add),
            Verb(name: "change", usage: "link change NAME [ up | down ] [ mtu N ] [ name NEW ] [ type TYPE OPTIONS ]",
                 summary: "change a link; kind options not named keep their values",
                 keywords: { LinkRequest.keywords + allKindKeywords }, run: set),
            Verb(name: "set", abbreviable: false, usage: "link set NAME [ up | down ] [ mtu N ] [ name NEW ] [ txqueuelen N ] [ alias TEXT ]",
                 summary: "same as change", keywords: { LinkRequest.keywords + allKindKeywords }, run: set),
            Verb(name: "delete", aliases: ["del"], usage: "link del { NAME [ type TYPE ] | group GROUP }", summary: "delete a link",
                 keywords: { deleteGrammar.spellings }, run: delete),
            Verb(name: "show", aliases: ["list", "lst"],
                 usage: "link show [ NAME ] [ type TYPE ] [ group GROUP ] [ master DEV | nomaster ] [ up ]",
                 summary: "show links (-d: kind options, -s: statistics)", keywords: { showGrammar.spellings + LinkFilter.keywords },
                 run: show),
        ],
        defaultVerb: "show")

    static var allKindKeywords: [String] {
        LinkKinds.allKinds + LinkKinds.modules.flatMap { $0.keywords }
    }

    static func add(_ session: Session, _ words: [String]) throws {
        let links = try session.links()
        let request = try LinkRequest.parse(words, mode: .create, devices: links) { name in try links.link(named: name.value) }
        try attempt("create link \"\(request.name)\"") { try links.create(request) }
    }

    static func set(_ session: Session, _ words: [String]) throws {
        let links = try session.links()
        var current: Link?
        let request = try LinkRequest.parse(words, mode: .modify, devices: links, groupChanges: true) { name in
            let link = try links.link(named: name.value)
            current = link
            return link
        }
        if request.changesGroup, let group = request.group {
            // The kernel changes every link of the group (a request with no link's index).
            try attempt("change the links of group \(group)") { try links.modify(request, index: 0) }
            return
        }
        try attempt("change link \"\(request.name)\"") {
            let index = try current?.index ?? links.index(of: request.name.value)
            try links.modify(request, index: index)
        }
    }

    enum DeleteWord: Sendable { case device, type, group }

    /// `link delete` words (iproute2 reads them as `link set` does): the device, alone or
    /// after `dev`; `type`, which gretool requires to be the link's; or a group alone.
    static let deleteGrammar = KeywordTable<DeleteWord>([
        Keyword(.device, "dev", value: "NAME"), Keyword(.type, "type", value: "TYPE"), Keyword(.group, "group", value: "GROUP"),
    ])

    static func delete(_ session: Session, _ words: [String]) throws {
        var scanner = WordScanner(words)
        var name: String?
        var kind: String?
        var group: UInt32?
        while let word = scanner.next() {
            let device: String
            if let entry = try scanner.keyword(word, in: deleteGrammar) {
                let value = try scanner.value(of: entry)
                switch entry.keyword {
                case .type: kind = value; continue
                case .group: group = try Parse.group(value, for: "group"); continue
                case .device: device = value
                }
            } else {
                device = word
            }
            guard name == nil else { throw InvalidArgument.unknownWord(word, in: "link delete") }
            name = try InterfaceName(device).value
        }
        let links = try session.links()
        if name == nil, let group {
            try attempt("delete the links of group \(group)") { try links.delete(group: group) }
            return
        }
        guard let name else { throw InvalidArgument("link delete: no device name given") }
        if let kind {
            let link = try links.link(named: name)
            guard link.kind == kind else {
                throw InvalidArgument("link delete: \(name) is a \(link.kind ?? "plain") link, not \(kind)")
            }
        }
        try attempt("delete link \"\(name)\"") { try links.delete(named: name) }
    }

    enum ShowWord: Sendable { case device, up }

    /// `link show` words besides the link filters (iproute2's ipaddr_list_flush_or_save).
    static let showGrammar = KeywordTable<ShowWord>([Keyword(.device, "dev", value: "NAME"), Keyword(.up, "up")])

    static func show(_ session: Session, _ words: [String]) throws {
        var scanner = WordScanner(words)
        var name: String?
        var filter = LinkFilter()
        var onlyUp = false
        while let word = scanner.next() {
            if try filter.apply(word, &scanner) { continue }
            let device: String
            if let entry = try scanner.keyword(word, in: showGrammar) {
                let value = try scanner.value(of: entry)
                guard entry.keyword == .device else { onlyUp = true; continue }
                device = value
            } else {
                device = word
            }
            // The device is named once (iproute2's duparg2).
            guard name == nil else { throw InvalidArgument.unknownWord(word, in: "link show") }
            name = try InterfaceName(device).value
        }
        let options = session.options
        let links = try session.links()
        try filter.resolve(links)
        let snapshot = LinkSnapshot(try attempt("list links") { try links.list(statistics: options.statistics > 0) })
        if let name, snapshot.link(named: name) == nil { throw DeviceNotFound(name) }
        let selected = snapshot.links.filter { link in
            (name == nil || link.name == name) && filter.matches(link) && (!onlyUp || link.isUp)
        }
        if options.brief {
            Printer.print(selected, session: session) { BriefView.link($0, devices: snapshot) }
            return
        }
        var view = LinkView(details: options.details, statisticsLevel: options.statistics, naming: options.naming)
        if options.humanReadable { view.humanBase = options.iec ? 1024 : 1000 }
        view.namespaceNames = try session.namespaceNames(of: selected)
        Printer.print(selected, session: session) { view.fields($0, devices: snapshot) }
    }
}
