import Testing
@testable import GreCLI
@testable import GreKit

@Suite struct DiagCLITests {
    private let report: CheckReport = {
        var report = CheckReport(check: "mtu", tunnel: "gre1", summaryWhenOK: "fine")
        report.numbers = [
            Field("underlay", .object([.jsonOnly("dev", .string("va")), .jsonOnly("mtu", .unsigned(1500))]), text: "underlay va mtu 1500"),
            Field("overhead", .unsigned(24), text: "overhead 24 = outer IPv4 20 + GRE 4"),
        ]
        report.findings = [
            Finding(.problem, "gre1 mtu 1500 is 24 bytes over what the path carries (1476)", fixes: ["gretool link set gre1 mtu 1476"]),
            .note("packets are dropped"),
            Finding(.warning, "something else", fixes: ["gretool link set gre1 mtu 1476"]),
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
