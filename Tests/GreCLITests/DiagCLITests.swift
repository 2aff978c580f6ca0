import Testing
@testable import GreCLI
@testable import GreKit

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DiagCLITests {
    private let report: CheckReport = {
        var report = CheckReport(check: "mtu", tunnel: "gre1", summaryWhenOK: "fine")
        report.numbers = [
            Field("underlay", .object([.jsonOnly("dev", .string("va")), .jsonOnly("mtu", .unsigned(1500))]), text: "underlay va mtu 1500"),
            Field("overhead", .unsigned(24), text: "overhead 24 = outer IPv4 20 + GRE 4"),
        ]
        report.findings = [
            Finding(.problem, "gre1 mtu 1500 is 24 bytes over what the path carries (1476)", fixes: [.setMTU(link: "gre1", mtu: 1476)]),
            .note("packets are dropped"),
            Finding(.warning, "something else", fixes: [.setMTU(link: "gre1", mtu: 1476)]),
        ]
        return report
    }()

    private func render(_ report: CheckReport, json: Bool) -> String {
        captured { output in
            var options = GlobalOptions()
            options.json = json
            Printer.print(one: report.describe(), session: Session(options: options, output: output))
        }
    }

    @Test func aCheckPrintsItsVerdictNumbersFindingsAndFixes() {
        #expect(render(report, json: false) == """
        mtu: PROBLEM: gre1 mtu 1500 is 24 bytes over what the path carries (1476)
            underlay va mtu 1500
            overhead 24 = outer IPv4 20 + GRE 4
            packets are dropped
            warning: something else
            fix: gretool link set gre1 mtu 1476

        """)
    }

    @Test func aCheckIsOneJSONObject() {
        #expect(render(report, json: true) == #"{"check":"mtu","tunnel":"gre1","verdict":"problem","#
            + #""summary":"gre1 mtu 1500 is 24 bytes over what the path carries (1476)","#
            + #""numbers":{"underlay":{"dev":"va","mtu":1500},"overhead":24},"#
            + #""findings":[{"verdict":"problem","text":"gre1 mtu 1500 is 24 bytes over what the path carries (1476)"},"#
            + #"{"verdict":"ok","text":"packets are dropped"},{"verdict":"warning","text":"something else"}],"#
            + #""fix":["gretool link set gre1 mtu 1476"]}"# + "\n")
    }

    @Test func anOKCheckIsOneLineAndItsSummary() {
        let ok = CheckReport(check: "route", tunnel: "gre1", summaryWhenOK: "gre1's remote 198.51.100.2 is reached through va")
        #expect(ok.verdict == .ok)
        #expect(render(ok, json: false) == "route: OK: gre1's remote 198.51.100.2 is reached through va\n")
    }

    @Test func aWordThatIsNoVerbNamesTheTunnel() throws {
        let diag = try #require(CommandTable.object("diag"))
        #expect(CommandTable.object("d")?.name == "diag")
        #expect(diag.verb("gre1") == nil && diag.defaultVerbTakesWords)
        #expect(diag.verb(diag.defaultVerb)?.name == "all")
        #expect(diag.verb("k")?.name == "keepalive")
        #expect(LinkCommands.object.defaultVerbTakesWords == false, "other objects still refuse unknown verbs")
    }
}

/// `diag`'s verbs come from one table of checks.
@Suite struct DiagRegistryTests {
    /// A check that reports "fine" on every tunnel `applies` accepts.
    private func check(_ name: String, inAll applies: (@Sendable (String) -> Bool)?) -> DiagCheck {
        DiagCheck(name: name, words: "TUNNEL", summary: "test", request: { $0[0] }, attempting: { "check \($0)" },
                  facts: { _, tunnel in tunnel }, check: { CheckReport(check: name, tunnel: $0, summaryWhenOK: "fine") },
                  inAll: applies.map { applies in { _, tunnel in applies(tunnel) ? tunnel : nil } })
    }

    @Test func theVerbsAreTheChecksThenAll() throws {
        let diag = try #require(CommandTable.object("diag"))
        #expect(diag.verbs.map(\.name) == DiagCommands.checks.map(\.name) + ["all"])
        #expect(DiagCommands.checks.map(\.name) == ["mtu", "route", "keepalive", "config", "ipsec"])
        #expect(diag.verb("route")?.usage == "diag route TUNNEL")
        #expect(diag.verb("config")?.usage == "diag config TUNNEL")
        #expect(diag.verb("all")?.summary.hasPrefix("the five checks;") == true)
    }

    @Test func diagAllRunsWhatAppliesTunnelAfterTunnel() throws {
        let checks = [check("always", inAll: { _ in true }), check("never", inAll: nil), check("gre1only", inAll: { $0 == "gre1" })]
        let socket = try NetlinkSocket()
        let diagnostics = DiagnosticsService(socket: socket, links: LinkService(socket: socket))
        let reports = try DiagCommands.reports(on: ["gre1", "gre2"], checks: checks, diagnostics)
        #expect(reports.map { "\($0.check) \($0.tunnel)" } == ["always gre1", "gre1only gre1", "always gre2"])
        #expect(checks[1].inAll == nil)
    }
}

/// Fixes are values in the domain; the command line writes them as commands.
@Suite struct FixCommandTests {
    private func hostRoute(_ remote: String, via gateway: FixValue<IPAddress>?, dev device: FixValue<String>,
                           table: RouteTable = .main, replacing: Bool = false) -> String {
        Fix.hostRoute(HostRouteFix(destination: IPAddress(remote)!, gateway: gateway, device: device, table: table, replacing: replacing)).commandLine
    }

    @Test func linkFixesAreGretoolLinkSet() {
        #expect(Fix.setMTU(link: "gre1", mtu: 1476).commandLine == "gretool link set gre1 mtu 1476")
        #expect(Fix.setUp(link: "va").commandLine == "gretool link set va up")
    }

    @Test func hostRoutesNameTheirGatewayDeviceAndTable() {
        #expect(hostRoute("203.0.113.2", via: .known(IPAddress("198.51.100.254")!), dev: .known("va"))
            == "gretool route add 203.0.113.2/32 via 198.51.100.254 dev va")
        #expect(hostRoute("198.51.100.2", via: nil, dev: .known("va"), replacing: true) == "gretool route replace 198.51.100.2/32 dev va")
        #expect(hostRoute("2001:db8::2", via: .known(IPAddress("2001:db8:1::1")!), dev: .known("va"), table: RouteTable(rawValue: 100))
            == "gretool route add 2001:db8::2/128 via 2001:db8:1::1 dev va table 100")
    }

    /// diag config's fixes change the tunnel in place; a fixed TTL on a tunnel without DF
    /// turns pmtudisc on with it, as iproute2 requires.
    @Test func tunnelOptionFixesAreTunnelChange() {
        #expect(Fix.setTunnelTTL(tunnel: "gre1", ttl: 64, pathMTUDiscovery: false).commandLine == "gretool tunnel change gre1 ttl 64")
        #expect(Fix.setTunnelTTL(tunnel: "gre1", ttl: 64, pathMTUDiscovery: true).commandLine == "gretool tunnel change gre1 ttl 64 pmtudisc")
        #expect(Fix.setTunnelChecksums(tunnel: "gre1", on: true).commandLine == "gretool tunnel change gre1 csum")
        #expect(Fix.setTunnelChecksums(tunnel: "gre1", on: false).commandLine == "gretool tunnel change gre1 nocsum")
        #expect(Fix.setTunnelSequenceNumbers(tunnel: "gre1", on: false).commandLine == "gretool tunnel change gre1 noseq")
        #expect(Fix.setTunnelKey(tunnel: "gre1", key: .unknown).commandLine == "gretool tunnel change gre1 key KEY")
        #expect(Fix.setTunnelKey(tunnel: "gre1", key: .known(GreKey(7))).commandLine == "gretool tunnel change gre1 key 7")
    }

    @Test func unknownValuesArePlaceholderWords() {
        #expect(hostRoute("203.0.113.2", via: .unknown, dev: .known("va")) == "gretool route add 203.0.113.2/32 via GATEWAY dev va")
        #expect(hostRoute("203.0.113.2", via: .unknown, dev: .unknown) == "gretool route add 203.0.113.2/32 via GATEWAY dev DEVICE")
        #expect(Fix.changeRemote(tunnel: "gre1", remote: .unknown).commandLine == "gretool tunnel change gre1 remote ADDRESS")
        #expect(Fix.changeRemote(tunnel: "gre1", remote: .known(IPAddress("198.51.100.2")!)).commandLine
            == "gretool tunnel change gre1 remote 198.51.100.2")
        #expect(Fix.addAddress(.unknown, device: "gre1").commandLine == "gretool addr add ADDRESS/PREFIX dev gre1")
        #expect(Fix.addAddress(.known(try! IPPrefix(parsing: "198.51.100.1/32")), device: "va").commandLine
            == "gretool addr add 198.51.100.1/32 dev va")
    }

    @Test func kernelSettingsAreSysctlWrites() {
        #expect(Fix.setSystemControl(["net", "ipv4", "conf", "gre1", "accept_local"], value: 1).commandLine
            == "sysctl -w net.ipv4.conf.gre1.accept_local=1")
        #expect(Fix.setSystemControl(["net", "ipv6", "conf", "all", "forwarding"], value: 1).commandLine
            == "sysctl -w net.ipv6.conf.all.forwarding=1")
        #expect(Fix.setSystemControl(["net", "ipv4", "conf", "eth0.100", "rp_filter"], value: 2).commandLine
            == "sysctl -w net.ipv4.conf.eth0/100.rp_filter=2")
    }

    /// IPsec fixes are ip-xfrm(8) commands, with placeholders for what only the two ends
    /// can choose; an IKE daemon's configuration is a shell comment.
    @Test func ipsecFixesAreIPXfrmCommands() throws {
        let local = IPAddress("198.51.100.1")!, remote = IPAddress("198.51.100.2")!
        var policy = IPsecPolicy(selector: XFRMSelector(source: try IPPrefix(parsing: "198.51.100.1/32"), destination: try IPPrefix(parsing: "198.51.100.2/32"), proto: .gre),
                                 direction: .outbound)
        let template = IPsecTemplate(proto: .esp, mode: .transport, source: local, destination: remote, reqid: 1)
        policy.templates = [template]
        #expect(Fix.addIPsecPolicy(policy).commandLine
            == "ip xfrm policy add src 198.51.100.1/32 dst 198.51.100.2/32 proto gre dir out tmpl src 198.51.100.1 dst 198.51.100.2 proto esp reqid 1 mode transport")
        var guardPolicy = IPsecPolicy(selector: XFRMSelector(source: try IPPrefix(parsing: "0.0.0.0/0"), destination: try IPPrefix(parsing: "198.51.100.2/32"), proto: .gre),
                                      direction: .outbound, action: .block, priority: 4_000_000)
        #expect(Fix.addIPsecPolicy(guardPolicy).commandLine
            == "ip xfrm policy add src 0.0.0.0/0 dst 198.51.100.2/32 proto gre dir out action block priority 4000000")
        guardPolicy.mark = XFRMMark(value: 0x10, mask: 0xff)
        #expect(Fix.deleteIPsecPolicy(guardPolicy).commandLine
            == "ip xfrm policy delete src 0.0.0.0/0 dst 198.51.100.2/32 proto gre dir out mark 0x10 mask 0xff")
        #expect(Fix.addSecurityAssociation(template, source: local, destination: remote).commandLine
            == "ip xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp spi SPI reqid 1 mode transport aead 'rfc4106(gcm(aes))' KEY 128")
        #expect(Fix.ikeSelectsGRE.commandLine.hasPrefix("# strongSwan, swanctl.conf: local_ts = dynamic[gre], remote_ts = dynamic[gre], mode = transport"))
        #expect(Fix.noEncapsulationLimit(tunnel: "t6").commandLine == "gretool tunnel change t6 encaplimit none")
        #expect(Fix.clampTCPMSS(link: "gre1", mss: 1402).commandLine
            == "iptables -t mangle -A FORWARD -o gre1 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1402")
    }

    /// The domain says what to change; only the command line spells gretool's commands.
    /// No string literal in Sources/GreKit may start with "gretool ".
    @Test func theDomainWritesNoCommandLines() throws {
        let files = swiftFiles(under: "\(repositoryRoot)/Sources/GreKit")
        #expect(files.count > 50, "Sources/GreKit was not found")
        var offenders: [String] = []
        for path in files {
            let lines = try #require(readFile(path)).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() where !line.drop(while: { $0 == " " }).hasPrefix("//") {
                if line.contains("\"gretool ") { offenders.append("\(path.dropFirst(repositoryRoot.count + 1)):\(number + 1)") }
            }
        }
        #expect(offenders.isEmpty, "string literals that start with \"gretool \": \(offenders)")
    }
}

/// The .swift files in `directory` and below.
func swiftFiles(under directory: String) -> [String] {
    guard let stream = opendir(directory) else { return [] }
    defer { closedir(stream) }
    var files: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard !name.hasPrefix(".") else { continue }
        let path = directory + "/" + name
        if Int32(entry.pointee.d_type) == DT_DIR {
            files += swiftFiles(under: path)
        } else if name.hasSuffix(".swift") {
            files.append(path)
        }
    }
    return files.sorted()
}
