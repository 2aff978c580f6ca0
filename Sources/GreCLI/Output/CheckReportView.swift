import GreKit

extension CheckReport {
    /// Text: "mtu: PROBLEM: summary", then the numbers, the other findings and the fixes,
    /// each on an indented line. JSON: check, tunnel, verdict, summary, numbers, findings, fix.
    func describe() -> [Field] {
        let indent = "\n    "
        let headline = headline
        let others = findings.filter { $0 != headline }
        let findingLines = others.map { indent + ($0.verdict == .ok ? "" : "\($0.verdict.name): ") + $0.text }.joined()
        let commands = fixes.map(\.commandLine)
        return [
            Field("check", .string(check), text: "\(check):"),
            .jsonOnly("tunnel", .string(tunnel)),
            Field("verdict", .string(verdict.name), text: verdict.name.uppercased() + ":"),
            Field("summary", .string(summary), text: summary),
            Field("numbers", .object(numbers), text: numbers.compactMap(\.text).map { indent + $0 }.joined()),
            Field("findings", .array(findings.map { finding in
                .object([.jsonOnly("verdict", .string(finding.verdict.name)), .jsonOnly("text", .string(finding.text))])
            }), text: findingLines),
            Field("fix", .array(commands.map { .string($0) }), text: commands.map { indent + "fix: " + $0 }.joined()),
        ]
    }
}

extension Fix {
    /// The command that makes the change, as `diag` prints it: gretool's own words where
    /// gretool can make it, sysctl(8)'s for a kernel setting. A value the check did not
    /// know shows as a placeholder word in capitals.
    var commandLine: String {
        switch self {
        case .setMTU(let link, let mtu):
            return "gretool link set \(link) mtu \(mtu)"
        case .setUp(let link):
            return "gretool link set \(link) up"
        case .hostRoute(let route):
            let via = route.gateway.map { " via " + $0.text(or: "GATEWAY") } ?? ""
            let table = route.table == .main ? "" : " table \(route.table.rawValue)"
            return "gretool route \(route.replacing ? "replace" : "add") \(route.prefix)\(via) dev \(route.device.text(or: "DEVICE"))\(table)"
        case .addAddress(let address, let device):
            return "gretool addr add \(address.text(or: "ADDRESS/PREFIX")) dev \(device)"
        case .setSystemControl(let components, let value):
            return "sysctl -w \(SystemControls.name(components))=\(value)"
        case .changeRemote(let tunnel, let remote):
            return "gretool tunnel change \(tunnel) remote \(remote.text(or: "ADDRESS"))"
        }
    }
}

extension FixValue {
    /// The value as text, or `placeholder` when it is unknown.
    func text(or placeholder: String) -> String {
        switch self {
        case .known(let value): "\(value)"
        case .unknown: placeholder
        }
    }
}
