import GreKit

/// `gretool nexthop`: nexthop objects that routes refer to by id.
enum NexthopCommands: ObjectCommands {
    static let nexthopWords = "[ id ID ] { via ADDR [ dev NAME ] [ onlink ] | dev NAME | blackhole | group ID[,WEIGHT]/... [ type { mpath | resilient [ buckets N ] [ idle_timer S ] [ unbalanced_timer S ] } ] } [ protocol P ]"

    static let object = CommandObject(
        name: "nexthop", aliases: ["nh"], summary: "nexthop objects and groups, which routes use by id",
        verbs: [
            changeVerb(.add, usage: "nexthop add \(nexthopWords)", summary: "add a nexthop; refuses an id in use"),
            changeVerb(.replace, usage: "nexthop replace id ID \(nexthopWords)", summary: "replace a nexthop, or add it"),
            Verb(name: "delete", aliases: ["del"], usage: "nexthop del id ID", summary: "delete a nexthop",
                 keywords: { ["id"] }, pipelined: true, run: delete),
            Verb(name: "show", aliases: ["list", "lst"], usage: "nexthop show [ id ID ] [ dev NAME ] [ groups ] [ master NAME ] [ protocol P ] [ fdb ]",
                 summary: "show nexthops", keywords: { NexthopSelector.keywords }, run: show),
            Verb(name: "get", usage: "nexthop get id ID", summary: "show one nexthop", keywords: { ["id"] }, run: get),
            Verb(name: "flush", usage: "nexthop flush [ id ID ] [ dev NAME ] [ groups ] [ protocol P ]",
                 summary: "delete the nexthops selected (all, groups first)", keywords: { NexthopSelector.keywords }, run: flush),
            Verb(name: "bucket", usage: "nexthop bucket { show [ id ID ] [ nhid ID ] [ dev NAME ] [ master NAME ] | get id ID index INDEX }",
                 summary: "show the buckets of resilient groups",
                 keywords: { NexthopBucketRequest.keywords }, run: bucket),
        ],
        defaultVerb: "show")

    private static func changeVerb(_ change: NexthopChange, usage: String, summary: String) -> Verb {
        Verb(name: change.rawValue, usage: usage, summary: summary, keywords: { NexthopRequest.keywords }, pipelined: true) { session, words in
            let nexthop = try NexthopRequest.parse(words, change, family: session.options.family, devices: try session.links())
            let name = nexthop.id == 0 ? "nexthop" : "nexthop \(nexthop.id)"
            try attempt("\(change.rawValue) \(name)") {
                do {
                    try session.nexthops().apply(nexthop, change)
                } catch var error as NetlinkError where error.errno == .fileExists && change == .add {
                    error.kernelMessage = "nexthop id \(nexthop.id) is in use"
                    throw error
                }
            }
        }
    }

    static func delete(_ session: Session, _ words: [String]) throws {
        let id = try NexthopRequest.identity(words, verb: "del")
        try attempt("delete nexthop \(id)") { try session.nexthops().delete(id) }
    }

    static func show(_ session: Session, _ words: [String]) throws {
        let selector = try NexthopSelector.parse(words, verb: "show", devices: try session.links())
        let nexthops = try attempt("list nexthops") {
            if let id = selector.id { return [try session.nexthops().get(id)] }
            return try session.nexthops().list(family: session.options.family, selector)
        }
        try print(nexthops, session)
    }

    static func get(_ session: Session, _ words: [String]) throws {
        let id = try NexthopRequest.identity(words, verb: "get")
        try print([try attempt("get nexthop \(id)") { try session.nexthops().get(id) }], session)
    }

    private static func print(_ nexthops: [NexthopObject], _ session: Session) throws {
        let devices = try session.deviceNames()
        let view = NexthopView(devices: devices, details: session.options.details, naming: session.options.naming)
        // iproute2 ends each line with a space, but after "fdb" (the last word it prints).
        Printer.print(nexthops, session: session, terminator: { $0.fdb ? "\n" : " \n" }) { view.fields($0) }
    }

    static func bucket(_ session: Session, _ words: [String]) throws {
        let buckets: [NexthopBucket]
        switch try NexthopBucketRequest.parse(words, devices: try session.links()) {
        case .list(let selector):
            buckets = try attempt("list nexthop buckets") { try session.nexthops().buckets(family: session.options.family, selector) }
        case .get(let key):
            buckets = [try attempt("get bucket \(key.index) of nexthop \(key.groupID)") { try session.nexthops().bucket(key) }]
        }
        let view = NexthopView(devices: try session.deviceNames(), details: session.options.details,
                                naming: session.options.naming)
        // iproute2 ends each line with a space.
        Printer.print(buckets, session: session, terminator: " \n") { view.fields($0) }
    }

    static func flush(_ session: Session, _ words: [String]) throws {
        let selector = try NexthopSelector.parse(words, verb: "flush", devices: try session.links())
        if let id = selector.id {
            try attempt("delete nexthop \(id)") { try session.nexthops().delete(id) }
            return
        }
        let count = try attempt("flush nexthops") { try session.nexthops().flush(family: session.options.family, selector) }
        // iproute2 prints this line even under -j; gretool keeps -j output JSON only.
        if !session.options.json {
            session.output.write(count == 0 ? "Nothing to flush\n" : "Flushed \(count) nexthops\n")
        }
    }
}
