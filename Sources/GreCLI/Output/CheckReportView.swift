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
    /// gretool can make it, sysctl(8)'s for a kernel setting, ip-xfrm(8)'s for IPsec,
    /// iptables(8)'s for MSS clamping, and a shell comment for what belongs in an IKE
    /// daemon's configuration. A value the check
    /// did not know shows as a placeholder word in capitals.
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
        case .addIPsecPolicy(let policy):
            var words = ["ip xfrm policy add"] + policy.selectorWords
            if policy.action == .block { words.append("action block") }
            if policy.priority != 0 { words.append("priority \(policy.priority)") }
            for template in policy.templates {
                words.append("tmpl")
                if let source = template.source, let destination = template.destination { words.append("src \(source) dst \(destination)") }
                words.append("proto \(template.proto) reqid \(template.reqid) mode \(template.mode.name)")
                if template.optional { words.append("level use") }
            }
            return words.joined(separator: " ")
        case .deleteIPsecPolicy(let policy):
            return (["ip xfrm policy delete"] + policy.selectorWords).joined(separator: " ")
        case .addSecurityAssociation(let template, let source, let destination):
            // An AEAD as strongSwan proposes by default; SPI and key are the two ends' to choose.
            return "ip xfrm state add src \(source) dst \(destination) proto \(template.proto) spi SPI reqid \(template.reqid) mode \(template.mode.name) aead 'rfc4106(gcm(aes))' KEY 128"
        case .ikeSelectsGRE:
            return "# strongSwan, swanctl.conf: local_ts = dynamic[gre], remote_ts = dynamic[gre], mode = transport (ipsec.conf: leftprotoport=gre, rightprotoport=gre, type=transport)"
        case .setTunnelTTL(let tunnel, let ttl, let pathMTUDiscovery):
            return "gretool tunnel change \(tunnel) ttl \(ttl)" + (pathMTUDiscovery ? " pmtudisc" : "")
        case .setTunnelChecksums(let tunnel, let on):
            return "gretool tunnel change \(tunnel) \(on ? "csum" : "nocsum")"
        case .setTunnelSequenceNumbers(let tunnel, let on):
            return "gretool tunnel change \(tunnel) \(on ? "seq" : "noseq")"
        case .setTunnelKey(let tunnel, let key):
            return "gretool tunnel change \(tunnel) key \(key.text(or: "KEY"))"
        case .noEncapsulationLimit(let tunnel):
            return "gretool tunnel change \(tunnel) encaplimit none"
        case .clampTCPMSS(let link, let mss):
            return "iptables -t mangle -A FORWARD -o \(link) -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss \(mss)"
        }
    }
}

extension IPsecPolicy {
    /// The words of `ip xfrm policy` that name it: selector, direction, mark.
    fileprivate var selectorWords: [String] {
        var words = ["src \(selector.source) dst \(selector.destination)"]
        if selector.proto != .any { words.append("proto \(selector.proto)") }
        words.append("dir \(direction.name)")
        if let mark { words.append("mark 0x\(String(mark.value, radix: 16)) mask 0x\(String(mark.mask, radix: 16))") }
        return words
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
