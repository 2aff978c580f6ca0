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
            Verb(name: "delete", aliases: ["del"], usage: "link del NAME", summary: "delete a link",
                 keywords: { ["dev"] }, run: delete),
            Verb(name: "show", aliases: ["list", "lst"], usage: "link show [ NAME ] [ type TYPE ] [ up ]",
                 summary: "show links (-d: kind options, -s: statistics)", keywords: { ["dev", "type", "up"] }, run: show),
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
        let request = try LinkRequest.parse(words, mode: .modify, devices: links) { name in
            let link = try links.link(named: name.value)
            current = link
            return link
        }
        try attempt("change link \"\(request.name)\"") {
            let index = try current?.index ?? links.index(of: request.name.value)
            try links.modify(request, index: index)
        }
    }

    static func delete(_ session: Session, _ words: [String]) throws {
        var scanner = WordScanner(words)
        var name: String?
        while let word = scanner.next() {
            let value = word == "dev" ? try scanner.value(for: "dev") : word
            guard name == nil else { throw InvalidArgument.unknownWord(word, in: "link delete") }
            name = try InterfaceName(value).value
        }
        guard let name else { throw InvalidArgument("link delete: no device name given") }
        try attempt("delete link \"\(name)\"") { try session.links().delete(named: name) }
    }

    static func show(_ session: Session, _ words: [String]) throws {
        var scanner = WordScanner(words)
        var name: String?
        var kind: String?
        var onlyUp = false
        while let word = scanner.next() {
            switch word {
            case "dev": name = try InterfaceName(scanner.value(for: "dev")).value
            case "type": kind = try scanner.value(for: "type")
            case "up": onlyUp = true
            default:
                guard name == nil else { throw InvalidArgument.unknownWord(word, in: "link show") }
                name = try InterfaceName(word).value
            }
        }
        let options = session.options
        let snapshot = LinkSnapshot(try attempt("list links") {
            try session.links().list(statistics: options.statistics > 0)
        })
        if let name, snapshot.link(named: name) == nil { throw DeviceNotFound(name) }
        let selected = snapshot.links.filter { link in
            (name == nil || link.name == name) && (kind == nil || link.kind == kind) && (!onlyUp || link.isUp)
        }
        if options.brief {
            Printer.print(selected, session: session) { BriefView.link($0, devices: snapshot) }
            return
        }
        var view = LinkView(details: options.details, statisticsLevel: options.statistics)
        view.namespaceNames = try session.namespaceNames(of: selected)
        Printer.print(selected, session: session) { view.fields($0, devices: snapshot) }
    }
}
