import Netlink

/// The JSON form of a state: what `gretool -j state show` prints and `apply` reads.
/// Each object is the words that make it, keyed as iproute2's JSON names them
/// (`dst`, `gateway`, `dev`, `prefsrc`, `linkinfo.info_kind`...): a member is a
/// keyword and its value, written as the word is (numbers as numbers, flags as
/// booleans). Reading turns members back into words for the object's grammar, so
/// the two forms cannot mean different things.
public enum StateDocument {
    /// The document's sections, in the order objects are made.
    static let sections: [(key: String, declaration: Declaration)] = [
        ("links", .linkAdd), ("addresses", .addressAdd), ("nexthops", .nexthopAdd), ("routes", .routeAdd),
        ("rules", .ruleAdd), ("keepalives", .keepaliveWatch),
    ]

    // MARK: Writing

    /// The state as the document's members.
    public static func fields(_ state: NetworkState, devices: any InterfaceResolver) -> [Field] {
        [
            Field("links", .array(state.links.map { .object(linkFields($0, devices)) }), text: nil),
            section("addresses", state.addresses.map { Array($0.words(devices, ownership: false).dropFirst(2)) }, .address),
            section("nexthops", state.nexthops.map { Array($0.words(devices, ownership: false).dropFirst(2)) }, .nexthop),
            routeSection(state, devices),
            section("rules", state.rules.map { Array($0.words(ownership: false).dropFirst(2)) }, .rule),
            section("keepalives", state.keepalives.map { Array($0.lineWords.dropFirst(2)) }, .keepalive),
        ]
    }

    private static func section(_ key: String, _ objects: [[String]], _ schema: WordSchema) -> Field {
        Field(key, .array(objects.map { .object(schema.fields(of: $0)) }), text: nil)
    }

    /// The routes, each one that follows another of its key marked `"append": true`.
    private static func routeSection(_ state: NetworkState, _ devices: any InterfaceResolver) -> Field {
        let appended = state.routeIsAppended
        return Field("routes", .array(state.routes.indices.map { place in
            let fields = WordSchema.route.fields(of: Array(state.routes[place].words(devices, ownership: false).dropFirst(2)))
            return .object(appended[place] ? fields + [.jsonOnly(appendKey, .bool(true))] : fields)
        }), text: nil)
    }

    /// The member that marks a route as a further one of its key (`route append`).
    private static let appendKey = "append"

    /// `{"ifname", "mtu", "txqlen", "up", "linkinfo": {"info_kind", "info_data": {...}}}`.
    static func linkFields(_ link: LinkState, _ devices: any InterfaceResolver) -> [Field] {
        var fields: [Field] = [.jsonOnly("ifname", .string(link.name))]
        if let mtu = link.mtu { fields.append(.jsonOnly("mtu", .unsigned(UInt64(mtu)))) }
        if let txqlen = link.txqlen { fields.append(.jsonOnly("txqlen", .unsigned(UInt64(txqlen)))) }
        if let up = link.up { fields.append(.jsonOnly("up", .bool(up))) }
        if let options = link.options {
            let data = options.settings(devices).map { setting -> Field in
                switch setting.value {
                case .word(let word): .jsonOnly(setting.key, WordSchema.value(of: word))
                case .flag(let on): .jsonOnly(setting.key, .bool(on))
                }
            }
            fields.append(.jsonOnly("linkinfo", .object([
                .jsonOnly("info_kind", .string(options.kind)), .jsonOnly("info_data", .object(data)),
            ])))
        }
        return fields
    }

    // MARK: Reading

    /// Reads a document into `reader`: each object's words, read as a file's line would be.
    public static func read(_ document: JSONValue, into reader: DeclarationReader) throws(DeclarationError) {
        guard case .object(let members) = document else {
            throw DeclarationError("JSON", "the document is \(document.typeName); an object of sections (links, routes...) was expected")
        }
        for (key, _) in members where !sections.contains(where: { $0.key == key }) {
            throw DeclarationError("JSON", "unknown section \"\(key)\"; the sections are \(sections.map(\.key).joined(separator: ", "))")
        }
        for (key, declaration) in sections {
            guard let section = document[key] else { continue }
            guard case .array(let objects) = section else {
                throw DeclarationError(key, "\(section.typeName) where an array of objects was expected")
            }
            for (index, object) in objects.enumerated() {
                let place = DeclarationPlace("\(key)[\(index)]")
                let (verb, words): (Declaration, [String])
                do {
                    (verb, words) = try Self.words(of: object, declaration)
                } catch {
                    throw DeclarationError(place, error.message)
                }
                try reader.read(verb, words, at: place)
            }
        }
    }

    /// One object's words, and the verb that reads them (`link set` for a link the
    /// file does not make).
    static func words(of object: JSONValue, _ declaration: Declaration) throws(InvalidArgument) -> (Declaration, [String]) {
        guard case .object(let members) = object else { throw InvalidArgument("\(object.typeName) where an object was expected") }
        switch declaration {
        case .linkAdd, .linkSet: return try linkWords(members)
        case .addressAdd: return (declaration, try WordSchema.address.words(of: members))
        case .nexthopAdd: return (declaration, try WordSchema.nexthop.words(of: members))
        case .routeAdd, .routeAppend:
            var members = members
            let append = members.firstIndex { $0.key == appendKey }.map { members.remove(at: $0).value }
            switch append {
            case nil, .bool(false)?: return (.routeAdd, try WordSchema.route.words(of: members))
            case .bool(true)?: return (.routeAppend, try WordSchema.route.words(of: members))
            case let value?: throw InvalidArgument("\"\(appendKey)\" is \(value.typeName); true or false was expected")
            }
        case .ruleAdd: return (declaration, try WordSchema.rule.words(of: members))
        case .keepaliveWatch, .tunnelAdd: return (.keepaliveWatch, try WordSchema.keepalive.words(of: members))
        }
    }

    private static func linkWords(_ members: [(key: String, value: JSONValue)]) throws(InvalidArgument) -> (Declaration, [String]) {
        var generic: [(key: String, value: JSONValue)] = []
        var kindWords: [String] = []
        for member in members {
            guard member.key == "linkinfo" else { generic.append(member); continue }
            guard let kind = member.value["info_kind"], case .string(let name) = kind else {
                throw InvalidArgument("linkinfo needs \"info_kind\", the link's kind")
            }
            guard let module = LinkKinds.module(for: name) else {
                throw InvalidArgument("unknown link kind \"\(name)\"; known kinds: \(LinkKinds.allKinds.joined(separator: ", "))")
            }
            kindWords = ["type", name]
            guard let data = member.value["info_data"] else { continue }
            guard case .object(let settings) = data else { throw InvalidArgument("info_data is \(data.typeName); an object was expected") }
            let rows = module.settingWords(kind: name)
            for (key, value) in settings {
                guard let row = rows.first(where: { $0.key == key }) else {
                    throw InvalidArgument("unknown \(name) setting \"\(key)\"; known: \(rows.map(\.key).joined(separator: ", "))")
                }
                let setting: KindSetting.Value
                switch value {
                case .bool(let on): setting = .flag(on)
                case .string(let text), .number(let text): setting = .word(text)
                default: throw InvalidArgument("\(name) setting \"\(key)\" is \(value.typeName); a word or a boolean was expected")
                }
                guard let words = row.words(setting) else { throw InvalidArgument("\(name) setting \"\(key)\" cannot be false") }
                kindWords += words
            }
        }
        var words = try WordSchema.link.words(of: generic)
        let declaration: Declaration = kindWords.isEmpty ? .linkSet : .linkAdd
        // As `LinkState.words`: a name that is a keyword goes after its own keyword.
        if generic.contains(where: { $0.key == "ifname" }), let name = words.first, LinkRequest.grammar.lookup(exact: name) != nil {
            words.insert(declaration == .linkSet ? "dev" : "name", at: 0)
        }
        return (declaration, words + kindWords)
    }
}

/// How an object's words and its JSON members correspond: the bare words (a route's
/// destination) by position, keywords by row, repeated groups (a route's `nexthop`
/// legs) as an array of objects.
struct WordSchema {
    enum Kind {
        /// The word after the keyword.
        case one
        /// The words up to the next keyword (`via inet6 ADDRESS`, `mtu lock 1400`).
        case words
        /// The keyword alone: true; its `off` word: false.
        case flag(off: String?)
        /// `[ lock ] VALUE`: a metric's, whose value may be spelled as a keyword (congctl's
        /// algorithm).
        case lockable
        /// The words to the end, or to the group's word (an encapsulation's, whose own
        /// words are a route's too: `src`, `tos`). The object's words put it last.
        case rest
    }

    struct Row {
        let key: String
        let word: String
        let kind: Kind
        init(_ key: String, _ word: String, _ kind: Kind = .one) {
            self.key = key
            self.word = word
            self.kind = kind
        }
    }

    /// Keys of the bare words, the last one for the last bare word (a route's type
    /// comes before its destination, and only when it is not unicast).
    var positional: [String] = []
    var rows: [Row]
    var group: (key: String, word: String, rows: [Row])?

    private func row(for word: String) -> (row: Row, on: Bool)? {
        for row in rows {
            if row.word == word { return (row, true) }
            if case .flag(let off?) = row.kind, off == word { return (row, false) }
        }
        return nil
    }

    /// A value as JSON: numbers as numbers.
    static func value(of word: String) -> Field.Value {
        if let first = word.utf8.first, first != UInt8(ascii: "0") || word.utf8.count == 1,
           word.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let number = UInt64(word) {
            return .unsigned(number)
        }
        return .string(word)
    }

    // MARK: Words to members

    func fields(of words: [String]) -> [Field] {
        var fields: [Field] = []
        var bare: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if let group, word == group.word {
                var legs: [Field.Value] = []
                index -= 1
                while index < words.count, words[index] == group.word {
                    let end = words[(index + 1)...].firstIndex(of: group.word) ?? words.count
                    legs.append(.object(WordSchema(rows: group.rows).fields(of: Array(words[(index + 1)..<end]))))
                    index = end
                }
                fields.append(.jsonOnly(group.key, .array(legs)))
                continue
            }
            guard let (row, on) = row(for: word) else {
                bare.append(word)
                continue
            }
            switch row.kind {
            case .flag:
                fields.append(.jsonOnly(row.key, .bool(on)))
            case .one:
                guard index < words.count else { continue }
                fields.append(.jsonOnly(row.key, Self.value(of: words[index])))
                index += 1
            case .words, .lockable:
                let start = index
                if case .lockable = row.kind {
                    // `lock`, then the value, whatever it spells.
                    index = min(words.count, index + (words[index...].first == "lock" ? 2 : 1))
                } else {
                    while index < words.count, self.row(for: words[index]) == nil, words[index] != group?.word { index += 1 }
                }
                let value = words[start..<index]
                fields.append(.jsonOnly(row.key, value.count == 1 ? Self.value(of: value[start]) : .string(value.joined(separator: " "))))
            case .rest:
                let end = group.flatMap { group in words[index...].firstIndex(of: group.word) } ?? words.count
                fields.append(.jsonOnly(row.key, .string(words[index..<end].joined(separator: " "))))
                index = end
            }
        }
        let keys = positional.suffix(bare.count)
        return zip(keys, bare).map { .jsonOnly($0, Self.value(of: $1)) } + fields
    }

    // MARK: Members to words

    func words(of members: [(key: String, value: JSONValue)]) throws(InvalidArgument) -> [String] {
        var bare: [String] = []
        for key in positional {
            guard let member = members.first(where: { $0.key == key }) else { continue }
            bare.append(try Self.word(member.value, for: key))
        }
        var words: [String] = []
        var legs: [String] = []
        for (key, value) in members where !positional.contains(key) {
            if let group, key == group.key {
                guard case .array(let objects) = value else { throw InvalidArgument("\"\(key)\" is \(value.typeName); an array was expected") }
                for object in objects {
                    guard case .object(let legMembers) = object else { throw InvalidArgument("\"\(key)\" holds \(object.typeName); objects were expected") }
                    legs += [group.word] + (try WordSchema(rows: group.rows).words(of: legMembers))
                }
                continue
            }
            guard let row = rows.first(where: { $0.key == key }) else {
                let known = positional + rows.map(\.key) + (group.map { [$0.key] } ?? [])
                throw InvalidArgument("unknown key \"\(key)\"; known: \(known.joined(separator: ", "))")
            }
            switch (row.kind, value) {
            case (_, .null): continue
            case (.flag(let off), .bool(let on)):
                if on { words.append(row.word) } else if let off { words.append(off) } else {
                    throw InvalidArgument("\"\(key)\" cannot be false")
                }
            case (.flag, _): throw InvalidArgument("\"\(key)\" is \(value.typeName); a boolean was expected")
            case (.one, _): words += [row.word, try Self.word(value, for: key)]
            case (.words, _), (.lockable, _), (.rest, _): words += [row.word] + (try Self.word(value, for: key)).split(separator: " ").map(String.init)
            }
        }
        return bare + words + legs
    }

    private static func word(_ value: JSONValue, for key: String) throws(InvalidArgument) -> String {
        switch value {
        case .string(let text), .number(let text): return text
        default: throw InvalidArgument("\"\(key)\" is \(value.typeName); a string or a number was expected")
        }
    }
}

extension WordSchema {
    static let link = WordSchema(positional: ["ifname"], rows: [
        Row("mtu", "mtu"), Row("txqlen", "txqueuelen"), Row("up", "up", .flag(off: "down")),
    ])

    static let address = WordSchema(positional: ["local"], rows: [
        Row("address", "peer"), Row("dev", "dev"), Row("broadcast", "broadcast"), Row("anycast", "anycast"),
        Row("scope", "scope"), Row("label", "label"), Row("metric", "metric"), Row("protocol", "proto"),
    ] + AddressFlags.words.filter(\.settable).map { Row($0.name, $0.name, .flag(off: nil)) })

    static let route = WordSchema(positional: ["type", "dst"], rows: [
        Row("src", "from"), Row("tos", "tos"), Row("table", "table"), Row("metric", "metric"), Row("protocol", "proto"),
        Row("scope", "scope"), Row("prefsrc", "src"), Row("gateway", "via", .words), Row("dev", "dev"),
        Row("onlink", "onlink", .flag(off: nil)), Row("nhid", "nhid"), Row("pref", "pref"),
    ] + Route.allMetricWords.map { Row($0, $0, .lockable) } + [Row("realms", "realms"), Row("encap", "encap", .rest)],
        group: ("nexthops", "nexthop", [
            Row("gateway", "via", .words), Row("dev", "dev"), Row("weight", "weight"), Row("onlink", "onlink", .flag(off: nil)),
            Row("realms", "realms"), Row("encap", "encap", .rest),
        ]))

    static let nexthop = WordSchema(rows: [
        Row("id", "id"), Row("gateway", "via"), Row("dev", "dev"), Row("blackhole", "blackhole", .flag(off: nil)),
        Row("onlink", "onlink", .flag(off: nil)), Row("group", "group"), Row("type", "type"), Row("buckets", "buckets"),
        Row("idle_timer", "idle_timer"), Row("unbalanced_timer", "unbalanced_timer"), Row("fdb", "fdb", .flag(off: nil)),
        Row("protocol", "protocol"), Row("encap", "encap", .rest),
    ])

    static let rule = WordSchema(rows: [
        Row("not", "not", .flag(off: nil)), Row("src", "from"), Row("dst", "to"), Row("tos", "tos"), Row("fwmark", "fwmark"),
        Row("iif", "iif"), Row("oif", "oif"), Row("priority", "pref"), Row("ipproto", "ipproto"), Row("sport", "sport"),
        Row("dport", "dport"), Row("uidrange", "uidrange"), Row("suppress_prefixlen", "suppress_prefixlength"),
        Row("suppress_ifgroup", "suppress_ifgroup"), Row("tun_id", "tun_id"), Row("realms", "realms"),
        Row("l3mdev", "l3mdev", .flag(off: nil)), Row("table", "lookup"),
        Row("goto", "goto"), Row("nop", "nop", .flag(off: nil)), Row("action", "type"), Row("protocol", "protocol"),
    ])

    /// A keepalive stanza's words are `keepalive watch`'s.
    static let keepalive = WordSchema(positional: ["tunnel"], rows: [
        Row("interval", "interval"), Row("retries", "retries"), Row("action", "action"),
        Row("on_down", "on-down"), Row("on_up", "on-up"),
    ])
}
