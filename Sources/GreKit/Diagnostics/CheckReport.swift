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

/// One thing a check found, with the changes that fix it.
public struct Finding: Sendable, Equatable {
    public var verdict: Verdict
    public var text: String
    public var fixes: [Fix]

    public init(_ verdict: Verdict, _ text: String, fixes: [Fix] = []) {
        self.verdict = verdict
        self.text = text
        self.fixes = fixes
    }

    /// An explanation that changes nothing about the verdict.
    public static func note(_ text: String) -> Finding { Finding(.ok, text) }
}

/// The outcome of one check on one tunnel: a verdict and a one-line summary, the
/// numbers behind it, what else it found and the fixes.
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
    public var headline: Finding? {
        let worst = verdict
        return worst == .ok ? nil : findings.first { $0.verdict == worst }
    }

    public var summary: String { headline?.text ?? summaryWhenOK }

    /// Every fix, in the order of the findings, each once.
    public var fixes: [Fix] {
        var seen: Set<Fix> = []
        return findings.flatMap(\.fixes).filter { seen.insert($0).inserted }
    }
}

extension CheckReport {
    /// "1.5 s": how long a check watched, to the tenth of a second.
    static func seconds(milliseconds: Int) -> String { "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s" }
}

extension Field {
    /// A number that may be unknown: the value or null in JSON, "-" in text.
    static func optional(_ value: (some BinaryInteger)?) -> (value: Value, text: String) {
        guard let value else { return (.null, "-") }
        return (.unsigned(UInt64(value)), String(value))
    }
}
