import CMnl
import SystemPackage
import Testing
@testable import GreCLI
@testable import GreKit
@testable import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// No devices: index 9 shows as "if9".
private var devices: DeviceNames { DeviceNames(LinkSnapshot([])) }

private func text(_ route: Route, _ view: RouteView = RouteView(devices: devices)) -> String {
    captured { output in
        var sink = TextSink(output: output)
        view.write(route, to: &sink)
    }
}

private func json(_ route: Route, _ view: RouteView = RouteView(devices: devices)) -> String {
    captured { output in
        var sink = JSONSink(writer: JSONWriter(output: output, pretty: false), output: output)
        view.write(route, to: &sink)
    }
}

@Suite struct RouteOutputTests {
    private func multipath() throws -> Route {
        var route = Route(destination: try IPPrefix(parsing: "203.0.113.0/24"))
        route.nexthops = [.init(gateway: IPAddress("198.51.100.2"), outputInterface: 9, weight: 2),
                          .init(gateway: IPAddress("198.51.100.3"), outputInterface: 9, weight: 1, flags: RouteFlags(rawValue: 0x10))]
        return route
    }

    @Test func multipathLegsAsIproute2PrintsThem() throws {
        #expect(text(try multipath()) == "203.0.113.0/24 \n\tnexthop via 198.51.100.2 dev if9 weight 2 \n\tnexthop via 198.51.100.3 dev if9 weight 1 linkdown ")
        #expect(json(try multipath()) == #"{"dst":"203.0.113.0/24","flags":[],"nexthops":[{"gateway":"198.51.100.2","dev":"if9","weight":2,"flags":[]},{"gateway":"198.51.100.3","dev":"if9","weight":1,"flags":["linkdown"]}]}"#)
    }

    @Test func everyCommonWordInItsPlace() throws {
        var route = Route(destination: try IPPrefix(parsing: "192.0.2.0/24"))
        route.gateway = IPAddress("198.51.100.2")
        route.outputInterface = 9
        route.table = RouteTable(rawValue: 1000)
        route.protocolID = RouteProtocol.static
        route.priority = 5
        route.preferredSource = IPAddress("198.51.100.1")
        route.metrics[.mtu] = 1400
        route.metrics[.advmss] = 1300
        route.metrics.locked = 1 << 2
        route.flags = RouteFlags.onlink
        #expect(text(route) == "192.0.2.0/24 via 198.51.100.2 dev if9 table 1000 proto static src 198.51.100.1 metric 5 onlink mtu lock 1400 advmss 1300 ")
        #expect(json(route) == #"{"dst":"192.0.2.0/24","gateway":"198.51.100.2","dev":"if9","table":"1000","protocol":"static","prefsrc":"198.51.100.1","metric":5,"flags":["onlink"],"metrics":[{"mtu":1400,"advmss":1300}]}"#)
        // Listed by table, device and protocol, iproute2 does not repeat them.
        var selector = RouteSelector()
        selector.table = RouteTable(rawValue: 1000)
        selector.outputInterface = 9
        selector.protocolID = RouteProtocol.static
        let selected = RouteView(devices: devices, selected: RouteView.Selection(selector))
        #expect(text(route, selected) == "192.0.2.0/24 via 198.51.100.2 src 198.51.100.1 metric 5 onlink mtu lock 1400 advmss 1300 ")
        // -d names the type, the main table, protocol boot and scope global too.
        var plain = Route(destination: try IPPrefix(parsing: "0.0.0.0/0"))
        plain.outputInterface = 9
        #expect(text(plain, RouteView(devices: devices, details: true)) == "unicast default dev if9 table main proto boot scope global ")
    }

    /// -N: the numbers iproute2 writes instead of the names of its databases (a DS
    /// field always in two hexadecimal digits), text and JSON alike. (Realms: the rules'
    /// test; a route carries them as the kernel sent them.)
    @Test func numericNamesNumbers() throws {
        var route = Route(destination: try IPPrefix(parsing: "192.0.2.1/32"))
        route.type = .local
        route.outputInterface = 9
        route.table = .local
        route.protocolID = .kernel
        route.scope = .host
        route.tos = 0x28
        let numeric = RouteView(devices: devices, naming: Naming(numeric: true))
        #expect(text(route) == "local 192.0.2.1 tos AF11 dev if9 table local proto kernel scope host ")
        #expect(text(route, numeric) == "2 192.0.2.1 tos 0x28 dev if9 table 255 proto 2 scope 254 ")
        #expect(json(route, numeric) == #"{"type":"2","dst":"192.0.2.1","tos":"0x28","dev":"if9","table":"255","protocol":"2","scope":"254","flags":[]}"#)
    }

    @Test func realmsAndCongestionControlAsIproute2PrintsThem() throws {
        // As the kernel describes it: realms (RTA_FLOW, from << 16 | to), a locked
        // congestion control in the metrics; realms past 255 have no names.
        let bytes = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { message in
            var header = rtmsg()
            header.rtm_family = AddressFamily.inet.rawValue
            header.rtm_dst_len = 24
            header.rtm_table = UInt8(RouteTable.main.rawValue)
            header.rtm_protocol = RouteProtocol.boot.rawValue
            header.rtm_type = RouteType.unicast.rawValue
            let route = try message.header(header, attributes: RouteAttribute.self)
            try route.put(.destination, IPAddress("192.0.2.0")!)
            try route.put(.flow, UInt32(300 << 16 | 1000))
            try route.nest(.metrics, RouteMetric.self) { metrics in
                try metrics.put(.lock, UInt32(1 << RouteMetric.congestionControl.rawValue))
                try metrics.put(.mtu, UInt32(1400))
                try metrics.put(.congestionControl, "cubic")
            }
        }
        var route = try #require(bytes.withUnsafeBytes { Route(NetlinkMessage(header: $0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))) })
        #expect(text(route) == "192.0.2.0/24 realms 300/1000 mtu 1400 congctl lock cubic ")
        #expect(json(route) == #"{"dst":"192.0.2.0/24","flags":[],"flow":{"from":"300","to":"1000"},"metrics":[{"mtu":1400,"congestion":"cubic"}]}"#)
        route.metrics = RouteMetrics()
        route.metrics.congestionControl = "bbr"
        #expect(text(route) == "192.0.2.0/24 realms 300/1000 congctl bbr ")
    }

    @Test func encapsulationAndFeaturesAsIproute2PrintsThem() throws {
        // A route that sends with a collect_md tunnel's metadata (encap ip) and asks
        // for ECN, as the kernel describes it; a leg may have its own encapsulation.
        let bytes = try MessageBuffer.encode(type: RouteMessageType.newRoute.rawValue, flags: []) { message in
            var header = rtmsg()
            header.rtm_family = AddressFamily.inet.rawValue
            header.rtm_dst_len = 16
            header.rtm_table = UInt8(RouteTable.main.rawValue)
            header.rtm_protocol = RouteProtocol.boot.rawValue
            header.rtm_scope = RouteScope.link.rawValue
            header.rtm_type = RouteType.unicast.rawValue
            let route = try message.header(header, attributes: RouteAttribute.self)
            try route.put(.destination, IPAddress("10.31.0.0")!)
            try route.put(.encapType, EncapsulationType.ip.rawValue)
            try route.nest(.encap, IPEncapAttribute.self) { encap in
                try encap.put(.id, UInt64(9).bigEndian)
                try encap.put(.destination, IPAddress("10.1.0.2")!)
                try encap.put(.source, IPAddress("0.0.0.0")!)
                try encap.put(.ttl, UInt8(7))
                try encap.put(.tos, UInt8(0))
                try encap.put(.flags, RouteEncapsulation.Flags.key.rawValue.bigEndian)
            }
            try route.put(.outputInterface, UInt32(9))
            try route.nest(.metrics, RouteMetric.self) { metrics in
                try metrics.put(.features, RouteMetric.ecnFeature)
            }
        }
        var route = try #require(bytes.withUnsafeBytes { Route(NetlinkMessage(header: $0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))) })
        #expect(text(route) == "10.31.0.0/16  encap ip id 9 src 0.0.0.0 dst 10.1.0.2 ttl 7 tos 0 key dev if9 scope link features ecn ")
        #expect(json(route) == #"{"dst":"10.31.0.0/16","encap":"ip","id":9,"src":"0.0.0.0","dst":"10.1.0.2","ttl":7,"tos":0,"key":true,"dev":"if9","scope":"link","flags":[],"metrics":[{"ecn":null}]}"#)
        // Bits past ECN: the whole value, in hexadecimal.
        route.metrics[.features] = 3
        #expect(text(route).hasSuffix("scope link features ecn 0x3 "))
        #expect(json(route).hasSuffix(#""metrics":[{"ecn":null,"features":"0x3"}]}"#))
        // In a leg, before its gateway, as print_rta_multipath writes it.
        var leg = Route.Nexthop(gateway: IPAddress("198.51.100.2"), outputInterface: 9)
        leg.opaque = route.opaque
        var multipath = Route(destination: try IPPrefix(parsing: "203.0.113.0/24"))
        multipath.nexthops = [leg]
        #expect(text(multipath) == "203.0.113.0/24 \n\tnexthop  encap ip id 9 src 0.0.0.0 dst 10.1.0.2 ttl 7 tos 0 key via 198.51.100.2 dev if9 weight 1 ")
    }

    @Test func typesGatewaysOfAnotherFamilyAndPreferences() throws {
        var blackhole = Route(destination: try IPPrefix(parsing: "10.1.0.0/16"))
        blackhole.type = .blackhole
        #expect(text(blackhole) == "blackhole 10.1.0.0/16 ")
        var via = Route(destination: try IPPrefix(parsing: "10.7.0.0/16"))
        via.gateway = IPAddress("2001:db8::2")
        #expect(text(via) == "10.7.0.0/16 via inet6 2001:db8::2 ")
        #expect(json(via) == #"{"dst":"10.7.0.0/16","via":{"family":"inet6","host":"2001:db8::2"},"flags":[]}"#)
        var six = Route(destination: try IPPrefix(parsing: "2001:db8:5::/48"))
        six.priority = 1024
        six.preference = RoutePreference(rawValue: 1)
        #expect(text(six) == "2001:db8:5::/48 metric 1024 pref high")
    }

    @Test func prettyEmptyListsAsIproute2() throws {
        var route = Route(destination: try IPPrefix(parsing: "192.0.2.0/24"))
        route.outputInterface = 9
        let pretty = captured { output in
            var sink = JSONSink(writer: JSONWriter(output: output, pretty: true), output: output)
            sink.writer.beginArray()
            RouteView(devices: devices).write(route, to: &sink)
            sink.writer.endArray()
        }
        #expect(pretty == "[ {\n        \"dst\": \"192.0.2.0/24\",\n        \"dev\": \"if9\",\n        \"flags\": [ ]\n    } ]")
    }

    @Test func lookupsShowTheirCacheLine() throws {
        var route = Route(destination: try IPPrefix(parsing: "198.51.100.2/32"))
        route.outputInterface = 9
        route.preferredSource = IPAddress("198.51.100.1")
        route.uid = 0
        route.flags = RouteFlags.cloned
        #expect(text(route) == "198.51.100.2 dev if9 src 198.51.100.1 uid 0 \n    cache ")
        #expect(json(route) == #"{"dst":"198.51.100.2","dev":"if9","prefsrc":"198.51.100.1","flags":[],"uid":0,"cache":[]}"#)
        route.flags.insert(RouteFlags(rawValue: 0x8000_0000))
        #expect(text(route).hasSuffix("\n    cache <local> "))
    }
}

@Suite struct RuleOutputTests {
    /// iproute2 names an action it has no word for as the route type of its number
    /// (rtnl_rtntype_n2a): 0 is "none", 4 "anycast"; past the types, the number.
    @Test func actionsAreNamedAsRouteTypes() {
        var rule = Rule(family: .inet)
        rule.priority = 300
        for (number, name) in [(0, "none"), (4, "anycast"), (5, "multicast"), (6, "blackhole"), (8, "prohibit"), (12, "12")] {
            rule.action = RuleAction(rawValue: UInt8(number))
            #expect(FieldRenderer.text(RuleView().fields(rule)) == "300:\tfrom all \(name)")
        }
    }

    /// -N: tables, protocols, actions, realms, groups and IP protocols as numbers.
    @Test func numericNamesNumbers() {
        var rule = Rule(family: .inet)
        rule.priority = 10
        rule.table = .main
        rule.suppressInterfaceGroup = 0
        rule.realms = 2 << 16 | 5
        rule.ipProtocol = .tcp
        rule.protocolID = .static
        rule.tos = 0x20
        #expect(FieldRenderer.text(RuleView().fields(rule))
            == "10:\tfrom all tos CS1 ipproto tcp lookup main suppress_ifgroup default realms 2/5 proto static")
        #expect(FieldRenderer.text(RuleView(naming: Naming(numeric: true)).fields(rule))
            == "10:\tfrom all tos 0x20 ipproto ipproto-6 lookup 254 suppress_ifgroup 0 realms 2/5 proto 4")
        rule.table = .unspecified
        rule.action = RuleAction(rawValue: 6)
        #expect(FieldRenderer.text(RuleView(naming: Naming(numeric: true)).fields(rule)).hasSuffix("realms 2/5 6 proto 4"))
    }
}

@Suite struct ObjectWordTests {
    @Test func objectsAbbreviateAsIniproute2() {
        #expect(CommandTable.object("a")?.name == "address")
        #expect(CommandTable.object("addr")?.name == "address")
        #expect(CommandTable.object("r")?.name == "route")
        #expect(CommandTable.object("ru")?.name == "rule")
        #expect(CommandTable.object("l")?.name == "link")
        #expect(CommandTable.object("t")?.name == "tunnel")
        #expect(CommandTable.object("nh")?.name == "nexthop")
        #expect(CommandTable.object("n")?.name == "nexthop")
    }

    @Test func verbsAbbreviateAsIniproute2() {
        let route = RouteCommands.object
        #expect(route.verb("a")?.name == "add")
        #expect(route.verb("ap")?.name == "append")
        #expect(route.verb("p")?.name == "prepend")
        #expect(route.verb("c")?.name == "change")
        #expect(route.verb("chg")?.name == "change")
        #expect(route.verb("r")?.name == "replace")
        #expect(route.verb("d")?.name == "delete")
        #expect(route.verb("s")?.name == "show")
        #expect(route.verb("l")?.name == "show")
        #expect(route.verb("g")?.name == "get")
        #expect(route.verb("f")?.name == "flush")
        #expect(RuleCommands.object.verb("s")?.name == "show")
        #expect(RuleCommands.object.verb("d")?.name == "delete")
        #expect(AddressCommands.object.verb("del")?.name == "delete")
        // Changes may wait in a batch's pipeline; what reads may not.
        #expect(route.verb("add")?.pipelined == true && route.verb("del")?.pipelined == true)
        #expect(route.verb("show")?.pipelined == false && route.verb("flush")?.pipelined == false)
        #expect(NexthopCommands.object.verb("get")?.pipelined == false)
    }
}

@Suite struct BatchInputTests {
    /// The lines a LineReader reads from `text`, split into words.
    private func lines(_ text: String) throws -> [[String]] {
        // A file, not a pipe: a pipe would fill before anything reads it.
        var path = Array("/tmp/gretool-lines-XXXXXX".utf8CString)
        let descriptor = mkstemp(&path)
        unlink(path)
        defer { close(descriptor) }
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(descriptor, $0.baseAddress, $0.count) }
        lseek(descriptor, 0, SEEK_SET)
        var reader = LineReader(descriptor: FileDescriptor(rawValue: descriptor))
        var lines: [[String]] = []
        while let words = try reader.next({ bytes, _ in wordsOfLine(bytes) }) { lines.append(try words.get()) }
        return lines
    }

    @Test func linesWordsCommentsAndTheLastLineWithoutANewline() throws {
        // As iproute2 reads them: a word that starts with a quote ends at the quote; a
        // quote inside a word is the word's; `#` anywhere starts a comment.
        #expect(try lines("route add 10.0.0.0/8 dev va\n\n  # comment\nroute del 'a b'\t\"c\"d e\"f # x\nlink show") ==
                [["route", "add", "10.0.0.0/8", "dev", "va"], [], [], ["route", "del", "a b", "c", "d", "e\"f"], ["link", "show"]])
        #expect(try lines("link set va alias a#b\n") == [["link", "set", "va", "alias", "a"]])
        #expect(try lines("") == [])
        #expect(try lines("\n") == [[]])
    }

    @Test func aBackslashAtTheEndGoesOnInTheNextLine() throws {
        #expect(try lines("route add 10.0.0.0/8 \\\n   dev va\\\n\nlink show\n") ==
                [["route", "add", "10.0.0.0/8", "dev", "va"], ["link", "show"]])
        // Joined as they are: no blank is added.
        #expect(try lines("link set va alias a\\\nb\n") == [["link", "set", "va", "alias", "ab"]])
        // A comment ends the line, backslash or not; a backslash on the last line stays.
        #expect(try lines("link show # a \\\nroute show\nlink \\") == [["link", "show"], ["route", "show"], ["link", "\\"]])
    }

    /// The error that ended reading `text`, if any.
    private func badLine(_ text: String) -> LineReader.BadLine? {
        var reader = LineReader(bytes: Array(text.utf8))
        do {
            while try reader.next({ _, _ in }) != nil {}
        } catch {
            return error as? LineReader.BadLine
        }
        return nil
    }

    @Test func linesThatCannotBeCommandsAreRefusedWithTheirNumber() {
        // ip warns and leaves the command out; a command cut short is no command.
        #expect(badLine("link show\nroute add 10.0.0.0/8 \\\n") == LineReader.BadLine(line: 2, reason: .missingContinuation))
        // ip runs what comes before the NUL; bytes of a line do not vanish unseen.
        #expect(badLine("link show\nlink\u{0} show\n") == LineReader.BadLine(line: 2, reason: .nulByte))
        #expect(badLine("link show # a comment may hold \u{0}\n") == nil)
        // Lines joined count together.
        let half = String(repeating: "x", count: LineReader.maximumLength / 2 + 1)
        #expect(badLine("link show\n\(half)\\\n\(half)\n") == LineReader.BadLine(line: 3, reason: .tooLong))
    }

    @Test func continuedLinesCountEachOfTheirLines() throws {
        var reader = LineReader(bytes: Array("a \\\nb \\\nc\nd\n".utf8))
        var numbers: [Int] = []
        while let number = try reader.next({ _, line in line }) {
            #expect(number == reader.lineNumber)
            numbers.append(number)
        }
        #expect(numbers == [3, 4])
    }

    @Test func longFilesAreReadInBlocks() throws {
        let line = "route add 10.0.0.0/8 via 198.51.100.2 dev va\n"
        let read = try lines(String(repeating: line, count: 3000))
        #expect(read.count == 3000)
        #expect(read.allSatisfy { $0.count == 7 })
    }

    /// The lines a LineReader reads from `bytes`, as their lengths, and the error that
    /// ended them; `whole`: read in place, not a block at a time.
    private func lineLengths(_ bytes: [UInt8], whole: Bool = false) -> (lengths: [Int], error: LineReader.BadLine?) {
        var reader = whole ? LineReader(whole: bytes) : LineReader(bytes: bytes)
        var lengths: [Int] = []
        do {
            while let length = try reader.next({ bytes, _ in bytes.count }) { lengths.append(length) }
        } catch {
            return (lengths, error as? LineReader.BadLine)
        }
        return (lengths, nil)
    }

    @Test func aLineLongerThanTheBoundIsRefusedWithItsNumber() {
        let longest = LineReader.maximumLength
        let newline = UInt8(ascii: "\n")
        let short = Array("link show\n".utf8)
        // The longest line is read, with or without its newline, wherever the blocks end
        // (or read whole, in place).
        for whole in [false, true] {
            for prefix in [[], short, short + short + Array(repeating: UInt8(ascii: "x"), count: 1000) + [newline]] {
                let line = Array(repeating: UInt8(ascii: "a"), count: longest)
                let lines = prefix.count(where: { $0 == newline })
                #expect(lineLengths(prefix + line + [newline] + short, whole: whole).error == nil)
                #expect(lineLengths(prefix + line, whole: whole).lengths.last == longest)
                // One byte more, with a newline, at the end of the file, or a mebibyte of it.
                for tooLong in [line + [0x61, newline] + short, line + [0x61], Array(repeating: 0, count: 1 << 20) + [newline]] {
                    let (lengths, error) = lineLengths(prefix + tooLong, whole: whole)
                    #expect(error == LineReader.BadLine(line: lines + 1, reason: .tooLong))
                    #expect(lengths.count == lines)
                }
            }
        }
        let text = Array("a \\\nb\n\nroute add 10.0.0.0/8 # c\nlast".utf8)
        #expect(lineLengths(text, whole: true).lengths == lineLengths(text).lengths)
        #expect(lineLengths(text, whole: true).lengths == [3, 0, 21, 4])
    }

    /// The reader looks for comments and NUL bytes past the line it reads, and keeps
    /// what it found for the lines after: each is found in the line it is in, in every
    /// block (lines cross the blocks' ends), read a block at a time or whole. A NUL in a
    /// comment is the comment's; one before it, after thousands of lines without one, is
    /// refused with its line's number.
    @Test func commentsAndNulBytesAreFoundInTheLineTheyAreIn() {
        let newline = UInt8(ascii: "\n")
        var text: [UInt8] = []
        var lengths: [Int] = []
        var starts: [Int] = []
        while text.count < 3 * LineReader.blockSize {
            let number = lengths.count + 1
            var line = Array("route add 10.0.\(number % 256).0/24\tdev va".utf8)
            if number % 7 == 0 { line += Array(" # a comment".utf8) }
            if number % 11 == 0 { line += Array("# a NUL \u{0} in a comment #".utf8) }
            if number % 13 == 0 { line.append(UInt8(ascii: "\r")) }
            starts.append(text.count)
            text += line + [newline]
            lengths.append(line.firstIndex(of: UInt8(ascii: "#")) ?? line.count)
        }
        for whole in [false, true] {
            let read = lineLengths(text, whole: whole)
            #expect(read.error == nil)
            #expect(read.lengths == lengths)
            for number in [1, 2, 700, 1000, 1001, lengths.count] {
                var bad = text
                bad[starts[number - 1] + 3] = 0
                #expect(lineLengths(bad, whole: whole).error == LineReader.BadLine(line: number, reason: .nulByte))
            }
        }
    }

    @Test func aFailureNamesTheLineAsRun() {
        let tag = RequestPipeline.Tag(number: 3, words: ["route", "add", "10.0.0.0/8", "dev", "va"])
        #expect(tag.text == "route add 10.0.0.0/8 dev va")
        var failure = RequestPipeline.Failure(tag: tag, error: NetlinkError(errno: .fileExists))
        failure.undoFailures = [(RequestPipeline.Tag(number: 5, words: ["route", "del", "10.1.0.0/16"]), NetlinkError(errno: .fileExists))]
        #expect(Batch.describe(failure) == [
            "line 3: route add 10.0.0.0/8 dev va: File exists",
            "line 5: route del 10.1.0.0/16: could not be taken back after line 3 failed: File exists",
        ])
    }

    @Test func linesWhoseRepliesWereLostAreNamedAsUnknown() {
        let first = RequestPipeline.Tag(number: 3, words: ["route", "add", "10.0.0.0/8", "dev", "va"])
        var failure = RequestPipeline.Failure(tag: first, error: .repliesLost)
        failure.unknownThrough = RequestPipeline.Tag(number: 130, words: ["route", "del", "10.1.0.0/16"])
        #expect(Batch.describe(failure) == ["lines 3-130: outcome unknown: netlink receive buffer overflow (No buffer space available)"])
        failure.unknownThrough = first
        #expect(Batch.describe(failure) == ["line 3: route add 10.0.0.0/8 dev va: outcome unknown: netlink receive buffer overflow (No buffer space available)"])
    }
}
