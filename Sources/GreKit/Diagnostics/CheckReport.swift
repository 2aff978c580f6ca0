/// How a check came out. Ordered, so the worst finding decides a check's verdict.
public enum Verdict: Int, Comparable, Sendable, CaseIterable {
    /// Nothing to do.
    case ok
    /// Works, but could be better or may break later (exit status stays 0).
    case warning
    /// Something is broken: packets are lost or never sent (exit status 1).
    case problem

    public var name: String {
        switch self {
        case .ok: "ok"
        case .warning: "warning"
        case .problem: "problem"
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One thing a check found, with the commands that fix it.
public struct Finding: Sendable, Equatable {
    public var verdict: Verdict
    public var text: String
    public var fixes: [String]

    public init(_ verdict: Verdict, _ text: String, fixes: [String] = []) {
        self.verdict = verdict
        self.text = text
        self.fixes = fixes
    }

    /// An explanation that changes nothing about the verdict.
    public static func note(_ text: String) -> Finding { Finding(.ok, text) }
}

/// The outcome of one check on one tunnel, as `gretool diag` reports it: a verdict and
/// a one-line summary, the numbers behind it, what else it found and the fix commands.
public struct CheckReport: Sendable, Equatable {
    /// "mtu", "route" or "keepalive".
    public let check: String
    public let tunnel: String
    /// Each number is a JSON member of "numbers" and one indented line of text.
    public var numbers: [Field]
    public var findings: [Finding]
    /// The summary when nothing worse than a note was found.
    public var summaryWhenOK: String

    public init(check: String, tunnel: String, summaryWhenOK: String, numbers: [Field] = [], findings: [Finding] = []) {
        self.check = check
        self.tunnel = tunnel
        self.summaryWhenOK = summaryWhenOK
        self.numbers = numbers
        self.findings = findings
    }

    public var verdict: Verdict { findings.map(\.verdict).max() ?? .ok }

    /// The first of the worst findings: the summary line is about it.
    private var headline: Finding? {
        let worst = verdict
        return worst == .ok ? nil : findings.first { $0.verdict == worst }
    }

    public var summary: String { headline?.text ?? summaryWhenOK }

    /// Every fix command, in the order of the findings, each once.
    public var fixes: [String] {
        var seen: Set<String> = []
        return findings.flatMap(\.fixes).filter { seen.insert($0).inserted }
    }

    /// Text: "mtu: PROBLEM: summary", then the numbers, the other findings and the fixes,
    /// each on an indented line. JSON: check, tunnel, verdict, summary, numbers, findings, fix.
    public func describe() -> [Field] {
        let indent = "\n    "
        let others = findings.filter { $0 != headline }
        let findingLines = others.map { indent + ($0.verdict == .ok ? "" : "\($0.verdict.name): ") + $0.text }.joined()
        return [
            Field("check", .string(check), text: "\(check):"),
            .jsonOnly("tunnel", .string(tunnel)),
            Field("verdict", .string(verdict.name), text: verdict.name.uppercased() + ":"),
            Field("summary", .string(summary), text: summary),
            Field("numbers", .object(numbers), text: numbers.compactMap(\.text).map { indent + $0 }.joined()),
            Field("findings", .array(findings.map { finding in
                .object([.jsonOnly("verdict", .string(finding.verdict.name)), .jsonOnly("text", .string(finding.text))])
            }), text: findingLines),
            Field("fix", .array(fixes.map { .string($0) }), text: fixes.map { indent + "fix: " + $0 }.joined()),
        ]
    }
}

extension Field {
    /// A number that may be unknown: the value or null in JSON, "-" in text.
    static func optional(_ value: (some BinaryInteger)?) -> (value: Value, text: String) {
        guard let value else { return (.null, "-") }
        return (.unsigned(UInt64(value)), String(value))
    }
}
