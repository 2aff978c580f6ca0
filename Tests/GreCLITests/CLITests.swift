import ArgumentParser
import Testing
@testable import GreCLI
@testable import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// The repository's root, found from this file's path.
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Captures what a writer produces, through a pipe.
func captured(_ body: (OutputBuffer) -> Void) -> String {
    var descriptors: [Int32] = [0, 0]
    pipe(&descriptors)
    let output = OutputBuffer(descriptor: descriptors[1])
    body(output)
    output.flush()
    close(descriptors[1])
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(descriptors[0], &buffer, buffer.count)
        if count <= 0 { break }
        bytes += buffer[..<count]
    }
    close(descriptors[0])
    return String(decoding: bytes, as: UTF8.self)
}

@Suite struct JSONWriterTests {
    private func sample(pretty: Bool) -> String {
        captured { output in
            var json = JSONWriter(output: output, pretty: pretty)
            json.beginArray()
            json.beginObject()
            json.name("ifindex"); json.signed(1)
            json.name("flags"); json.beginArray(); json.string("UP"); json.string("LOWER_UP"); json.endArray()
            json.name("info"); json.beginObject(); json.name("ttl"); json.unsigned(255); json.name("x"); json.null(); json.endObject()
            json.name("alias"); json.string("a \"b\" \\ c\n\u{1}")
            json.name("up"); json.bool(true)
            json.endObject()
            json.endArray()
            json.finish()
        }
    }

    @Test func compactAsIproute2() {
        #expect(sample(pretty: false) == #"[{"ifindex":1,"flags":["UP","LOWER_UP"],"info":{"ttl":255,"x":null},"alias":"a \"b\" \\ c\n\u0001","up":true}]"# + "\n")
    }

    @Test func prettyAsIproute2() {
        #expect(sample(pretty: true) == """
        [ {
                "ifindex": 1,
                "flags": [ "UP","LOWER_UP" ],
                "info": {
                    "ttl": 255,
                    "x": null
                },
                "alias": "a \\"b\\" \\\\ c\\n\\u0001",
                "up": true
            } ]

        """)
    }

    @Test func emptyListsAreValid() {
        let text = captured { output in
            var json = JSONWriter(output: output, pretty: false)
            json.beginArray(); json.endArray(); json.finish()
        }
        #expect(text == "[]\n")
    }
}

@Suite struct FieldRendererTests {
    @Test func textJoinsWordsAndKeepsLineBreaks() {
        let fields: [Field] = [
            Field("ifname", .string("gre1"), text: "gre1:"),
            .unsigned("mtu", 1476),
            .jsonOnly("pmtudisc", .bool(true)),
            Field("link_type", .string("gre"), text: "\n    link/gre"),
            .textOnly("ttl inherit"),
        ]
        #expect(FieldRenderer.text(fields) == "gre1: mtu 1476\n    link/gre ttl inherit")
        let json = captured { output in
            var writer = JSONWriter(output: output, pretty: false)
            writer.beginObject(); FieldRenderer.json(fields, into: &writer); writer.endObject()
        }
        #expect(json == #"{"ifname":"gre1","mtu":1476,"pmtudisc":true,"link_type":"gre"}"#)
    }
}

@Suite struct CommandLineTests {
    @Test func globalOptionsAsIpTakesThem() throws {
        let (options, rest) = try GlobalOptions.parse(["-j", "-pretty", "-d", "-s", "-s", "-n", "ns1", "link", "show"])
        #expect(options.json && options.pretty && options.details)
        #expect(options.statistics == 2)
        #expect(options.namespace == "ns1")
        #expect(Array(rest) == ["link", "show"])
        let (long, _) = try GlobalOptions.parse(["--json", "-netns", "x", "-batch", "-", "-force"])
        #expect(long.json && long.namespace == "x" && long.batchFile == "-" && long.force)
        #expect(throws: InvalidArgument("unknown option \"-q\"; try \"gretool help\"")) { try GlobalOptions.parse(["-q"]) }
        #expect(throws: InvalidArgument("option \"-n\" needs a value")) { try GlobalOptions.parse(["-n"]) }
    }

    @Test func doubleDashEndsTheOptionsAndVersionHasItsListedSpelling() throws {
        let (options, rest) = try GlobalOptions.parse(["-j", "--", "route", "show"])
        #expect(options.json)
        #expect(Array(rest) == ["route", "show"])
        let (bare, afterDash) = try GlobalOptions.parse(["--", "-j"])
        #expect(!bare.json, "a word after -- is not an option")
        #expect(Array(afterDash) == ["-j"])
        #expect(try GlobalOptions.parse(["--version"]).0.version)
        #expect(try GlobalOptions.parse(["-V"]).0.version)
        #expect(throws: InvalidArgument("unknown option \"-version\"; try \"gretool help\"")) {
            try GlobalOptions.parse(["-version"])
        }
    }

    @Test func objectsAndVerbsAbbreviateAsIniproute2() {
        #expect(CommandTable.object("l")?.name == "link")
        #expect(CommandTable.object("tu")?.name == "tunnel")
        #expect(CommandTable.object("x") == nil)
        let link = LinkCommands.object
        #expect(link.verb("sh")?.name == "show")
        #expect(link.verb("s")?.name == "show", "set is never abbreviated, as in iproute2")
        #expect(link.verb("set")?.name == "set")
        #expect(link.verb("del")?.name == "delete")
        #expect(link.verb("lst")?.name == "show")
    }

    @Test func batchLinesSplitLikeAShell() throws {
        #expect(try wordsOfLine("  link add  va type veth  ") == ["link", "add", "va", "type", "veth"])
        #expect(try wordsOfLine("link set va alias \"to the hub\" up") == ["link", "set", "va", "alias", "to the hub", "up"])
        // Comments are gone before a line is split: LineReader cuts them (BatchInputTests).
        #expect(try wordsOfLine("") == [])
        #expect(throws: InvalidArgument("unterminated quote")) { try wordsOfLine("link set va alias \"x") }
    }
}

@Suite struct ShippedFilesTests {
    /// completions/ holds scripts generated from the command tree; `make completions`
    /// regenerates them. This fails when the tree changed and they were not.
    @Test(arguments: [(CompletionShell.bash, "gretool.bash"), (.zsh, "_gretool"), (.fish, "gretool.fish")])
    func completionScriptsAreCurrent(shell: CompletionShell, file: String) throws {
        let shipped = try #require(readFile("\(repositoryRoot)/completions/\(file)"), "completions/\(file) is missing")
        let generated = GretoolCommand.completionScript(for: shell)
        #expect(shipped.trimmingCharacters() == generated.trimmingCharacters(), "completions/\(file) is stale: run make completions")
    }

    /// The user guide documents every verb of every object.
    @Test func theGuideDocumentsEveryVerb() throws {
        let guide = try #require(readFile("\(repositoryRoot)/Documentation/gretool.md"))
        for object in CommandTable.objects {
            for verb in object.verbs {
                #expect(guide.contains("gretool \(object.name) \(verb.name)"), "Documentation/gretool.md lacks gretool \(object.name) \(verb.name)")
            }
        }
        for status in [ExitStatus.success, .failure, .usage] {
            #expect(guide.contains("| \(status.rawValue) |"), "exit status \(status.rawValue) undocumented")
        }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var text = Substring(self)
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}

@Suite struct FailureMessageTests {
    @Test func aRefusedSystemCallNamesTheCapabilityItNeeds() {
        let socket = SystemError("cannot open a raw GRE socket", errno: .notPermitted, capability: .netRaw)
        #expect(Failure.describe(socket).message == "cannot open a raw GRE socket: Operation not permitted; this needs root (CAP_NET_RAW)")
        let namespace = SystemError("cannot enter network namespace \"a\"", errno: .notPermitted, capability: .sysAdmin)
        #expect(Failure.describe(namespace).message.hasSuffix("; this needs root (CAP_SYS_ADMIN)"))
    }

    @Test func aRefusalWithoutOneCapabilitySaysRootAndOtherFailuresNothing() {
        #expect(Failure.describe(SystemError("cannot read /x", errno: .permissionDenied)).message == "cannot read /x: Permission denied; this needs root")
        #expect(Failure.describe(SystemError("cannot read /x", errno: .noSuchFileOrDirectory)).message == "cannot read /x: No such file or directory")
    }
}
