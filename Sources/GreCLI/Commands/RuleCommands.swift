import GreKit

/// `gretool rule`: policy routing rules.
enum RuleCommands: ObjectCommands {
    static let ruleWords = "[ not ] [ from PREFIX ] [ to PREFIX ] [ priority N ] [ tos T ] [ fwmark M[/MASK] ] [ iif NAME ] [ oif NAME ] [ table ID | goto N | nop | blackhole | unreachable | prohibit ] [ protocol P ] [ suppress_prefixlength N ]"

    static let object = CommandObject(
        name: "rule", summary: "policy routing rules: which table a packet looks up",
        verbs: [
            Verb(name: "show", aliases: ["list", "lst"], usage: "rule show [ priority N ] [ from PREFIX ] [ to PREFIX ] [ table ID ] [ fwmark M[/MASK] ] [ iif NAME ] [ oif NAME ]",
                 summary: "show rules (IPv4 unless -6)", keywords: { RuleSelector.keywords }, run: show),
            changeVerb(.add, usage: "rule add \(ruleWords)", summary: "add a rule (without priority: before the first after 0)"),
            changeVerb(.delete, aliases: ["del"], usage: "rule del \(ruleWords)", summary: "delete the first rule that matches"),
            Verb(name: "flush", usage: "rule flush [ SELECTORS ]", summary: "delete every rule but priority 0 (main and default too)",
                 keywords: { RuleSelector.keywords }, run: flush),
        ],
        defaultVerb: "show")

    private static func changeVerb(_ change: RuleChange, aliases: [String] = [], usage: String, summary: String) -> Verb {
        Verb(name: change.rawValue, aliases: aliases, usage: usage, summary: summary,
             keywords: { RuleRequest.keywords }, pipelined: true) { session, words in
            let rule = try RuleRequest.parse(words, change, family: session.options.family)
            try attempt("\(change.rawValue) rule\(rule.priority.map { " \($0)" } ?? "")") { try session.rules().apply(rule, change) }
        }
    }

    /// Rules have a family: IPv4 unless -6.
    private static func family(_ session: Session) -> AddressFamily {
        session.options.family == .unspecified ? .inet : session.options.family
    }

    static func show(_ session: Session, _ words: [String]) throws {
        let selector = try RuleSelector.parse(words, verb: "show")
        let rules = try attempt("list rules") { try session.rules().list(family: family(session)) }
        let view = RuleView(details: session.options.details, naming: session.options.naming)
        Printer.print(rules.filter(selector.matches), session: session) { view.fields($0) }
    }

    static func flush(_ session: Session, _ words: [String]) throws {
        let selector = try RuleSelector.parse(words, verb: "flush")
        _ = try attempt("flush rules") { try session.rules().flush(family: family(session), matching: selector.matches) }
    }
}
