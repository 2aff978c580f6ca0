import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import GreCLI
@testable import GreKit

/// apply reads the common `route add` lines of a file from their bytes
/// (`ApplyFile.commonRouteAdd`); what it reads so must be what the words grammar reads,
/// and every other line must be left to the grammar.
struct RouteAddFastPathTests {
    let devices = DeviceDirectory(devices: [("eth0", 2), ("gre1", 3), ("gre2", 4), ("br0", 5), ("va", 6)])

    /// Lines of the forms the fast path reads, and of forms next to them it must not.
    static let edgeLines = [
        "route add 10.0.39.15/32 via 198.51.100.2 dev va",
        "route add 10.1.0.0/16 dev eth0", "route add 10.2.0.0/16 via 192.0.2.1", "route add 192.0.2.1 dev eth0",
        "route add 10.3.0.0/16 metric 5 via 192.0.2.1 dev eth0", "route add 10.4.0.0/16 dev eth0 metric 0",
        "route add 10.5.0.0/255.255.0.0 dev eth0", "route add 0.0.0.0/0 dev gre1", "route\tadd  10.6.0.0/16\tdev eth0 ",
        "route add \"10.7.0.0/16\" dev 'eth0'", "route add 2001:db8::/32 via 2001:db8::1 dev br0",
        "route add 2001:db8:1::/48 dev br0 metric 0", "route add 2001:db8:2::/48 dev br0 metric 7",
        // Left to the grammar: each differs from a form above by one thing.
        "route add 10.0.0.1/8 via 192.0.2.1", "route add 010.0.0.0/8 dev eth0", "route add 10.0.0.0/08 dev eth0",
        "route add 10.0.0.0/8 dev eth9", "route add 10.0.0.0/8 via 2001:db8::1", "route add 10.0.0.0/8 metric 0x10 dev eth0",
        "route add 10.0.0.0/8 metric 010 dev eth0", "route add 10.0.0.0/8 metric +5 dev eth0",
        "route add 10.0.0.0/8 metric 4294967296 dev eth0", "route add 10.0.0.0/8 met 5 dev eth0",
        "route add 10.0.0.0/8 dev eth0 dev gre1", "route add 10.0.0.0/8 via 192.0.2.1 via 192.0.2.2",
        "route add 10.0.0.0/8 metric 1 metric 2 dev eth0", "route add 10.0.0.0/8 dev", "route add 10.0.0.0/8 onlink dev eth0",
        "route add 10.0.0.0/8 via inet 192.0.2.1", "route add '10.0.0.0/8 dev eth0'", "route add \"10.0.0.0/8 dev eth0",
        "r a 10.0.0.0/8 dev eth0", "route append 10.0.0.0/8 dev eth0", "route add to 10.0.0.0/8 dev eth0",
        "route add unicast 10.0.0.0/8 dev eth0", "route add default via 192.0.2.1", "route add 10.0.0.0/8 table 100 dev eth0",
        "route add 10.0.0.0/8 dev eth0/1", "route add 10.0.0.0/8 dev \u{E9}th0", "route add 10.0.0.0/33 dev eth0",
        "route add 10.0.0.0/8 via 192.0.2.1 dev eth0 proto static", "route add 10.0.0.0/8 nexthop via 192.0.2.1 dev eth0",
    ]

    /// Every line of the fuzz corpora of apply files and batches, and every `route add`
    /// of the guide (from those words on), then the edge lines.
    static func lines() -> [String] {
        var lines: [String] = []
        for corpus in ["apply", "batch"] {
            let directory = repositoryRoot + "/Tests/Fuzz/Corpus/" + corpus
            for name in (try? Files.names(in: directory)) ?? [] {
                lines += (readFile(directory + "/" + name) ?? "").split(separator: "\n").map(String.init)
            }
        }
        for document in ["README.md"] + ((try? Files.names(in: repositoryRoot + "/Documentation")) ?? []).map({ "Documentation/" + $0 }) {
            for line in (readFile(repositoryRoot + "/" + document) ?? "").split(separator: "\n") {
                if let start = line.firstRange(of: "route add") { lines.append(String(line[start.lowerBound...])) }
            }
        }
        return lines + edgeLines
    }

    @Test func readsWhatItReadsAsTheGrammarDoes() throws {
        let lines = Self.lines()
        var splitter = CommandLineWords.Splitter()
        let words = WordBytes()
        // One reader for every line, as a file's: what it keeps of a line is checked
        // by the lines after it.
        var routeAdds = RouteRequest.CommonAddReader(devices: devices)
        var read: [String] = []
        for line in lines {
            let bytes = Array(line.utf8)
            guard let fast = bytes.withUnsafeBufferPointer({ ApplyFile.commonRouteAdd($0, words, &routeAdds) }) else {
                continue
            }
            read.append(line)
            let split = bytes.withUnsafeBufferPointer { splitter.split($0) }
            #expect((try? split.get()) != nil, "\(line)")
            #expect(splitter.command == ["route", "add"], "\(line)")
            let general = try? RouteRequest.parse(splitter.arguments, .add, family: .unspecified, devices: devices)
            #expect(general == fast, "\(line)")
        }
        // The corpora's and the guide's common lines are read so, not only the edge lines.
        #expect(read.count > 40)
        #expect(Set(read).isSuperset(of: Self.edgeLines[..<13]))
        #expect(Set(read).isDisjoint(with: Self.edgeLines[13...]))
    }

    /// The fast path finds a device from its name's bytes as the grammar finds it by
    /// name: names found, not found, invalid, prefixes of others, and one a file declares.
    @Test func devicesAreFoundFromTheirNamesBytes() {
        devices.declare("gre3")
        let names = ["va", "va", "eth0", "eth9", "eth0", "eth0/1", "v", "va", "gre1", "gre", "gre12", "gre3", "gre3", "", "eth0"]
        for name in names {
            let found = Array(name.utf8).withUnsafeBufferPointer { devices.index(ofName: $0) }
            #expect(found == (try? devices.index(of: name)), "\(name)")
        }
        #expect(Array("gre3".utf8).withUnsafeBufferPointer { devices.index(ofName: $0) }.map { $0 < 0 } == true)
    }

    /// The reader keeps the last gateway and device read with their bytes: a line that
    /// names another, one longer or shorter, or one the last line's is a prefix of, is
    /// read afresh; a device not found is looked for again on the next line (a file may
    /// make it in between); gateways and names of 16 bytes and more are read each time.
    @Test func theLastGatewayAndDeviceAreReadOnce() throws {
        let devices = DeviceDirectory(devices: [("eth0", 2), ("eth00", 3), ("eth", 4), ("abcdefghijklmno", 5), ("abcdefghijklmnp", 6)])
        var reader = RouteRequest.CommonAddReader(devices: devices)
        let lines: [(words: String, gateway: String?, device: Int32?)] = [
            ("10.0.0.1 via 192.0.2.1 dev eth0", "192.0.2.1", 2), ("10.0.0.2 via 192.0.2.1 dev eth0", "192.0.2.1", 2),
            ("10.0.0.3 via 192.0.2.11 dev eth00", "192.0.2.11", 3), ("10.0.0.4 via 192.0.2.1 dev eth", "192.0.2.1", 4),
            ("10.0.0.5 via 192.0.2.1 dev eth0", "192.0.2.1", 2), ("10.0.0.6 via 203.0.113.254 dev eth0", "203.0.113.254", 2),
            ("10.0.0.7 via 203.0.113.255 dev eth0", "203.0.113.255", 2),
            ("10.0.0.8 via 203.0.113.255 dev abcdefghijklmno", "203.0.113.255", 5),
            ("10.0.0.9 via 203.0.113.255 dev abcdefghijklmnp", "203.0.113.255", 6),
            ("2001:db8::1 via 2001:db8:0:0:0:0:0:2 dev eth0", "2001:db8::2", 2),
            ("2001:db8::2 via 2001:db8:0:0:0:0:0:3 dev eth0", "2001:db8::3", 2),
            ("10.0.1.1 dev gre9", nil, nil),
        ]
        let words = WordBytes()
        func read(_ line: String) -> Route? {
            guard Array(line.utf8).withUnsafeBufferPointer({ words.gather($0) }) else { return nil }
            return reader.read(words.lineWords)
        }
        for line in lines {
            let route = read(line.words)
            if let device = line.device {
                #expect(route?.gateway == line.gateway.flatMap { IPAddress($0) }, "\(line.words)")
                #expect(route?.outputInterface == device, "\(line.words)")
            } else {
                #expect(route == nil, "\(line.words)")
            }
        }
        devices.declare("gre9")
        #expect(read("10.0.1.1 dev gre9")?.outputInterface == (try devices.index(of: "gre9")))
    }

    /// Given a line's bytes, the reader reads the words after the destination once for
    /// a run of lines that say the same after it, and gives the route the grammar reads;
    /// it reads them again after a destination of the other family, after other bytes
    /// (a blank more), and after a rest that gave no route (a device the file has not
    /// made yet). A destination with host bits is refused before anything is read.
    @Test func theWordsAfterTheDestinationAreReadOnceForARunOfLines() throws {
        let devices = DeviceDirectory(devices: [("eth0", 2)])
        var reader = RouteRequest.CommonAddReader(devices: devices)
        let words = WordBytes()
        var reads = 0
        func read(_ destination: String, _ rest: String) -> Route? {
            Array(destination.utf8).withUnsafeBufferPointer { destination in
                Array(rest.utf8).withUnsafeBufferPointer { rest in
                    reader.read(destination: destination, rest: rest) { bytes in
                        reads += 1
                        return words.gather(bytes) ? words.lineWords : nil
                    }
                }
            }
        }
        let lines: [(destination: String, rest: String, reads: Int, read: Bool)] = [
            ("10.0.0.1", " via 192.0.2.1 dev eth0", 1, true), ("10.0.0.2/32", " via 192.0.2.1 dev eth0", 1, true),
            ("2001:db8::/32", " via 192.0.2.1 dev eth0", 2, false), ("10.0.0.3", " via 192.0.2.1 dev eth0", 2, true),
            ("10.0.0.4", " via 192.0.2.1  dev eth0", 3, true), ("10.0.0.0/8", " via 192.0.2.1  dev eth0", 3, true),
            ("10.0.0.1/8", " via 192.0.2.1  dev eth0", 3, false), ("10.0.0.5", "", 4, true), ("10.0.0.6", "", 4, true),
            ("10.0.0.7", " dev gre9", 5, false), ("10.0.0.8", " dev gre9", 6, false),
            ("2001:db8:1::/48", " dev eth0", 7, true), ("2001:db8:2::/48", " dev eth0", 7, true),
            ("2001:db8:3::/48", " dev eth0 metric 7", 8, true), ("10.0.0.9", " dev eth0 metric 7", 9, true),
        ]
        for line in lines {
            let route = read(line.destination, line.rest)
            #expect(reads == line.reads, "\(line)")
            let split = (line.destination + line.rest).split(separator: " ").map(String.init)
            let grammar = try? RouteRequest.parse(split, .add, family: .unspecified, devices: devices)
            if line.read {
                #expect(route != nil && route == grammar, "\(line)")
            } else {
                #expect(route == nil, "\(line)")
            }
        }
        devices.declare("gre9")
        #expect(read("10.0.0.10", " dev gre9")?.outputInterface == (try devices.index(of: "gre9")))
        #expect(reads == 10)
    }

    /// A file read through the fast path gives the state, and the refusals, that its
    /// lines read one by one through the grammar give.
    @Test func aFileReadsAsItsLinesDo() throws {
        let text = Self.edgeLines[..<13].joined(separator: "\n") + "\nroute add 10.1.0.0/16 dev gre1\n"
        let path = "/tmp/gretool-route-fast-path-test-\(getpid()).conf"
        try Files.replace(path, with: Array(text.utf8))
        defer { try? Files.remove(path) }
        let fast = DeclarationReader(owner: .gretool, devices: devices)
        let error = #expect(throws: DeclarationError.self) { try ApplyFile.read(path, into: fast) }
        // The second 10.1.0.0/16 (line 14) is refused naming the first (line 2).
        #expect(error?.description == "\(path):14: route 10.1.0.0/16 is declared twice (first at \(path):2)")

        let grammar = DeclarationReader(owner: .gretool, devices: devices)
        var splitter = CommandLineWords.Splitter()
        for (number, line) in Self.edgeLines[..<13].enumerated() {
            _ = Array(line.utf8).withUnsafeBufferPointer { splitter.split($0) }
            try grammar.read(.routeAdd, splitter.arguments, at: DeclarationPlace(path, line: number + 1))
        }
        #expect(fast.state.routes == grammar.state.routes)
        #expect(fast.state.routes.count == 13)
        #expect(fast.state.routes.allSatisfy { $0.protocolID == Owner.gretool.protocolID })
    }
}
