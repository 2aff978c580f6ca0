import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import GreCLI
@testable import GreKit

/// The seed guide's site A with a keyed, checksummed tunnel, read as a file would be.
private func siteA(_ tunnelWords: String = "remote 198.51.100.2 local 198.51.100.1 ttl 255 key 42 csum",
                   kind: String = "gre", more: [String] = []) throws -> ([StateExport.Tunnel], DeviceDirectory) {
    let devices = DeviceDirectory(devices: [("eth0", 2)])
    let reader = DeclarationReader(owner: .gretool, devices: devices)
    let lines = [
        "link add gre1 mtu 1476 up type \(kind) \(tunnelWords)",
        "address add 10.0.0.1/30 dev gre1",
        "route add 0.0.0.0/0 dev gre1",
        "route add 198.51.100.2/32 dev eth0",
        "route add default via 10.0.0.2 dev gre1 table 100",
        "route add 203.0.113.0/24 nexthop via 10.0.0.2 dev gre1 nexthop via 198.51.100.9 dev eth0",
        "rule add from 192.0.2.0/24 lookup 100",
    ] + more
    for (number, line) in lines.enumerated() {
        let words = line.split(separator: " ").map(String.init)
        try reader.read(ApplyFile.declaration(Array(words.prefix(2)), at: DeclarationPlace("\(number)")), Array(words.dropFirst(2)), at: DeclarationPlace("\(number)"))
    }
    let (state, _) = try reader.finish()
    return (StateExport.tunnels(state, devices: devices), devices)
}

private func text(_ file: StateExport.File) -> String { captured(file.write) }

/// The value of KEY in SECTION of an INI file, as systemd reads it.
private func ini(_ text: String, _ section: String, _ key: String) -> [String] {
    var current = ""
    var values: [String] = []
    for line in text.split(separator: "\n") {
        if line.hasPrefix("[") { current = String(line); continue }
        let parts = line.split(separator: "=", maxSplits: 1)
        if current == "[\(section)]", parts.count == 2, parts[0] == key { values.append(String(parts[1])) }
    }
    return values
}

@Suite struct StateExportTests {
    @Test func networkdCarriesTheKeyAndSaysWhatItCannot() throws {
        let (tunnels, devices) = try siteA()
        let omissions = StateExport.Omissions()
        let files = NetworkdExport.files(tunnels, devices: devices, omissions: omissions)
        #expect(files.map(\.name) == ["10-gre1.netdev", "10-gre1.network"])
        let netdev = text(files[0])
        #expect(ini(netdev, "NetDev", "Kind") == ["gre"])
        #expect(ini(netdev, "NetDev", "MTUBytes") == ["1476"])
        #expect(ini(netdev, "Tunnel", "Remote") == ["198.51.100.2"])
        #expect(ini(netdev, "Tunnel", "Local") == ["198.51.100.1"])
        #expect(ini(netdev, "Tunnel", "TTL") == ["255"])
        #expect(ini(netdev, "Tunnel", "Key") == ["42"])
        #expect(ini(netdev, "Tunnel", "Independent") == ["true"])
        #expect(netdev.contains("# csum: systemd-networkd has no setting for it"))
        let network = text(files[1])
        #expect(ini(network, "Match", "Name") == ["gre1"])
        #expect(ini(network, "Address", "Address") == ["10.0.0.1/30"])
        // networkd would add the broadcast the prefix implies; the address has none.
        #expect(ini(network, "Address", "Broadcast") == ["no"])
        #expect(ini(network, "Route", "Destination") == ["0.0.0.0/0", "0.0.0.0/0", "203.0.113.0/24"])
        #expect(ini(network, "Route", "Table") == ["100"])
        #expect(ini(network, "Route", "MultiPathRoute") == ["10.0.0.2@gre1 1", "198.51.100.9@eth0 1"])
        #expect(ini(network, "RoutingPolicyRule", "From") == ["192.0.2.0/24"])
        #expect(ini(network, "RoutingPolicyRule", "Table") == ["100"])
        #expect(network.contains("# this route belongs in eth0's .network: gretool route add 198.51.100.2/32 dev eth0"))
        // Each comment is a warning too.
        #expect(omissions.warnings == [
            "gre1: csum: systemd-networkd has no setting for it (gretool apply carries it)",
            "gre1: this route belongs in eth0's .network: gretool route add 198.51.100.2/32 dev eth0",
        ])
    }

    /// What networkd has no key for, or reads otherwise: a key of 0 (no key to networkd),
    /// sequence numbers, FOU and the encapsulation limit on ip6gre, ignore-df before networkd 254.
    @Test func networkdSaysWhatItWouldDropSilently() throws {
        let (keyless, devices) = try siteA("remote 198.51.100.2 local 198.51.100.1 key 0 nopmtudisc ignore-df encap fou encap-dport 5555")
        let omissions = StateExport.Omissions()
        let netdev = text(NetworkdExport.files(keyless, devices: devices, omissions: omissions)[0])
        #expect(ini(netdev, "Tunnel", "Key") == [])
        #expect(netdev.contains("# key 0: systemd-networkd takes a key of 0 for no key"))
        #expect(ini(netdev, "Tunnel", "IgnoreDontFragment") == ["yes"])
        // FOU is only sent with FooOverUDP=yes; Encapsulation= alone is ignored.
        #expect(ini(netdev, "Tunnel", "FooOverUDP") == ["yes"])
        #expect(ini(netdev, "Tunnel", "FOUDestinationPort") == ["5555"])
        #expect(omissions.warnings.contains("gre1: key 0: systemd-networkd takes a key of 0 for no key"))
        #expect(omissions.warnings.contains("gre1: ignore-df: systemd-networkd before version 254 ignores IgnoreDontFragment="))
        let ip6 = try siteA("remote 2001:db8::2 local 2001:db8::1 seq encap fou encap-dport 5555", kind: "ip6gre").0
        let ip6Omissions = StateExport.Omissions()
        let ip6Netdev = text(NetworkdExport.files(ip6, devices: devices, omissions: ip6Omissions)[0])
        #expect(ini(ip6Netdev, "Tunnel", "SerializeTunneledPackets") == [])
        #expect(ini(ip6Netdev, "Tunnel", "FooOverUDP") == [])
        #expect(ip6Omissions.warnings.contains { $0.hasPrefix("gre1: seq: ") })
        #expect(ip6Omissions.warnings.contains { $0.hasPrefix("gre1: encap fou: ") })
        // The default limit is lost too: networkd's ip6gre gets none, and the kernel inserts 0.
        #expect(ini(ip6Netdev, "Tunnel", "EncapsulationLimit") == [])
        #expect(ip6Omissions.warnings.contains { $0.hasPrefix("gre1: encaplimit 4: ") })
    }

    @Test func aRouteThroughAGroupNamesTheGroupAlone() throws {
        let (tunnels, devices) = try siteA()
        // The kernel shows a group's members as the route's legs too.
        var route = try #require(tunnels[0].routes.first { !$0.nexthops.isEmpty })
        route.nexthopID = 10
        let tunnel = tunnels[0]
        let grouped = StateExport.Tunnel(link: tunnel.link, options: tunnel.options, addresses: [], routes: [route],
                                         otherRoutes: [], nexthops: [], rules: [])
        let network = text(NetworkdExport.files([grouped], devices: devices, omissions: StateExport.Omissions())[1])
        #expect(ini(network, "Route", "NextHop") == ["10"])
        #expect(ini(network, "Route", "MultiPathRoute") == [])
    }

    @Test func everySettingIsCarriedOrSaidInEveryFormat() throws {
        let (tunnels, devices) = try siteA("remote 198.51.100.2 local 198.51.100.1 ttl 64 ikey 1 okey 2 iseq ocsum tos 0x10 fwmark 0x7 encap fou encap-dport 5555 encap-csum")
        let settings = tunnels[0].options.settings(devices)
        let outputs = [NetworkdExport.files(tunnels, devices: devices, omissions: StateExport.Omissions())[0],
                       IfupdownExport.files(tunnels, devices: devices)[0],
                       NetplanExport.files(tunnels, devices: devices, omissions: StateExport.Omissions())[0]].map(text)
        let written: [[String: String]] = [
            ["remote": "Remote=", "local": "Local=", "ttl": "TTL=64", "ikey": "InputKey=1", "okey": "OutputKey=2", "tos": "TOS=16",
             "encap": "Encapsulation=FooOverUDP", "encap_dport": "FOUDestinationPort=5555"],
            ["remote": "endpoint 198.51.100.2", "local": "local 198.51.100.1", "ttl": "ttl 64"],
            ["remote": "remote: 198.51.100.2", "local": "local: 198.51.100.1", "ttl": "ttl: 64", "ikey": "input: 1", "okey": "output: 2"],
        ]
        for (output, native) in zip(outputs, written) {
            for setting in settings {
                let words = LinkState.words(of: [setting], kind: "gre").joined(separator: " ")
                if let line = native[setting.key] {
                    #expect(output.contains(line), "\(setting.key) in \(output)")
                } else {
                    #expect(output.contains("# \(words): ") || output.contains(" \(words)"), "\(setting.key) (\(words)) is neither carried nor said:\n\(output)")
                }
            }
        }
    }

    @Test func ifupdownUsesTheTunnelMethodAndIpForTheRest() throws {
        let (tunnels, devices) = try siteA()
        let stanza = text(IfupdownExport.files(tunnels, devices: devices)[0])
        let lines = stanza.split(separator: "\n").map { $0.trimmingPrefix("    ") }.map(String.init)
        #expect(lines.contains("iface gre1 inet tunnel"))
        #expect(lines.contains("mode gre"))
        #expect(lines.contains("endpoint 198.51.100.2"))
        #expect(lines.contains("netmask 255.255.255.252"))
        // With the MTU: the key and checksum lengthen the header, and the kernel would take 8 bytes off.
        #expect(lines.contains("post-up ip link set gre1 mtu 1476 type gre key 42 csum"))
        #expect(lines.contains("up ip route add 198.51.100.2/32 dev eth0"))
        #expect(lines.contains("down ip route del 198.51.100.2/32 dev eth0"))
        #expect(lines.contains("up ip route add 203.0.113.0/24 nexthop via 10.0.0.2 dev gre1 nexthop via 198.51.100.9 dev eth0"))
        #expect(lines.contains("down ip rule del from 192.0.2.0/24 lookup 100"))
    }

    /// A further route of a key is appended: a second `ip route add` of the key fails, and ifup with it.
    @Test func ifupdownAppendsAFurtherRouteOfAKey() throws {
        let (tunnels, devices) = try siteA(more: ["route add 10.17.0.0/16 via 10.0.0.2 dev gre1", "route append 10.17.0.0/16 dev gre1"])
        let lines = text(IfupdownExport.files(tunnels, devices: devices)[0]).split(separator: "\n").map { $0.trimmingPrefix("    ") }.map(String.init)
        #expect(lines.contains("up ip route add 10.17.0.0/16 via 10.0.0.2 dev gre1"))
        #expect(lines.contains("up ip route append 10.17.0.0/16 dev gre1"))
    }

    @Test func netplanKeepsKeysAndCommentsWhatItLacks() throws {
        let (tunnels, devices) = try siteA()
        let omissions = StateExport.Omissions()
        let file = NetplanExport.files(tunnels, devices: devices, omissions: omissions)[0]
        #expect(file.mode == 0o600)
        let yaml = text(file)
        #expect(yaml.contains("      keys: {input: 42, output: 42}"))
        // netplan 0.106 aborts on "to: default" without a via.
        #expect(yaml.contains("        - to: 0.0.0.0/0\n          scope: link\n"))
        #expect(!yaml.contains("default"))
        #expect(omissions.warnings.first == "gre1: csum: netplan has no setting for it (gretool apply carries it)")
        #expect(yaml.contains("      # csum: netplan has no setting for it"))
        #expect(yaml.contains("        # netplan has no multipath, nexthop or source routes: gretool route add 203.0.113.0/24"))
        #expect(yaml.contains("        - table: 100\n          from: 192.0.2.0/24"))
    }

    /// netplan refuses a whole file over one tunnel without both endpoints.
    @Test func netplanLeavesOutATunnelWithoutBothEndpoints() throws {
        let (tunnels, devices) = try siteA("remote 2001:db8::2 key 5", kind: "ip6gre")
        let omissions = StateExport.Omissions()
        let yaml = text(NetplanExport.files(tunnels, devices: devices, omissions: omissions)[0])
        #expect(yaml.contains("  tunnels: {}\n    # netplan needs a tunnel's local and remote addresses: gretool link add gre1"))
        #expect(!yaml.contains("mode:"))
        #expect(omissions.warnings.count == 1)
    }
}

@Suite struct ApplyFileTests {
    @Test func linesAreCountedAsTheReaderFindsThem() {
        for (text, lines) in [("", 0), ("route", 1), ("route\n", 1), ("a\nb", 2), ("\n\n", 2), ("a\n\nb\n", 3), ("a\u{0}\nb\\\nc", 3)] {
            #expect(Array(text.utf8).withUnsafeBufferPointer(ApplyFile.lineCount) == lines, "\(text.debugDescription)")
        }
    }

    /// A file is read a block at a time, after a first pass that counts its lines: it
    /// declares what its bytes read in memory declare, continued lines across a block's
    /// end included, and a refusal names its line past the first block.
    @Test func aFileIsReadInBlocksAsItsBytesAre() throws {
        let path = "/tmp/gretool-apply-blocks-test-\(getpid()).conf"
        defer { try? Files.remove(path) }
        var (text, routes) = ("", 0)
        while text.utf8.count < 3 * LineReader.blockSize {
            let continued = routes % 997 == 996 ? " \\\n  metric 5" : ""
            text += "route add 10.\(routes / 65536 % 256).\(routes / 256 % 256).\(routes % 256)/32 via 198.51.100.2\(continued) dev eth0\n"
            routes += 1
        }
        try Files.replace(path, with: Array(text.utf8))
        let devices = DeviceDirectory(devices: [("eth0", 2)])
        let (fromFile, fromBytes) = (DeclarationReader(owner: .gretool, devices: devices), DeclarationReader(owner: .gretool, devices: devices))
        try ApplyFile.read(path, into: fromFile)
        try ApplyFile.read(Array(text.utf8), name: path, into: fromBytes)
        let (read, expected) = (try fromFile.finish().0.routes, try fromBytes.finish().0.routes)
        #expect(read.count == routes && read == expected)
        #expect(read.filter { $0.priority == 5 }.count == routes / 997)
        let lines = text.utf8.count { $0 == UInt8(ascii: "\n") }
        let survey = try ApplyFile.survey(OwnedDescriptor.open(readingFrom: path), path: path)
        #expect(survey?.lines == lines && survey?.firstByte == UInt8(ascii: "r"))

        try Files.replace(path, with: Array((text + "route del 10.0.0.0/32\n").utf8))
        let refused = DeclarationReader(owner: .gretool, devices: devices)
        let error = #expect(throws: DeclarationError.self) { try ApplyFile.read(path, into: refused) }
        #expect(error?.place == "\(path):\(lines + 1)")
    }

    /// JSON is found after blanks longer than a block, and read whole; a pipe has no
    /// first pass (it cannot be read twice).
    @Test func jsonAndPipesAreReadWhole() throws {
        let path = "/tmp/gretool-apply-json-test-\(getpid()).conf"
        defer { try? Files.remove(path) }
        try Files.replace(path, with: Array((String(repeating: " \n", count: LineReader.blockSize) + "{ \"links\": [").utf8))
        let reader = DeclarationReader(owner: .gretool, devices: DeviceDirectory(devices: []))
        let error = #expect(throws: DeclarationError.self) { try ApplyFile.read(path, into: reader) }
        // The document's error, named by the file alone: no line of it was read as words.
        #expect(error?.place == path)
        let survey = try ApplyFile.survey(OwnedDescriptor.open(readingFrom: path), path: path)
        #expect(survey?.firstByte == UInt8(ascii: "{"))

        var ends: [CInt] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let line = "route add 192.0.2.0/24 dev eth0\n"
        #expect(write(ends[1], line, line.utf8.count) == line.utf8.count)
        close(ends[1])
        let fromPipe = DeclarationReader(owner: .gretool, devices: DeviceDirectory(devices: [("eth0", 2)]))
        let pipePath = "/proc/self/fd/\(ends[0])"
        #expect(try ApplyFile.survey(OwnedDescriptor.open(readingFrom: pipePath), path: pipePath) == nil)
        try ApplyFile.read(pipePath, into: fromPipe)
        #expect(try fromPipe.finish().0.routes.map(\.destination.description) == ["192.0.2.0/24"])
    }

    @Test func declarationsAreReadWithTheCommandTablesAbbreviations() throws {
        #expect(try ApplyFile.declaration(["r", "a"], at: DeclarationPlace("1")) == .routeAdd)
        #expect(try ApplyFile.declaration(["tunnel", "add"], at: DeclarationPlace("1")) == .tunnelAdd)
        #expect(try ApplyFile.declaration(["link", "change"], at: DeclarationPlace("1")) == .linkSet)
        #expect(try ApplyFile.declaration(["nh", "add"], at: DeclarationPlace("1")) == .nexthopAdd)
        for refused in [["route", "del"], ["link", "delete"], ["route", "flush"], ["address", "replace"], ["diag", "mtu"]] {
            #expect(throws: DeclarationError.self, "\(refused)") { try ApplyFile.declaration(refused, at: DeclarationPlace("1")) }
        }
    }

    @Test func linesAreReadAsABatchReadsThem() throws {
        let path = "/tmp/gretool-apply-file-test-\(getpid()).conf"
        let text = "route add 192.0.2.0/24 dev eth0 # a comment after the words\n# a comment line\n"
            + "route add 198.51.100.0/24 \\\n  dev eth0\nroute add 203.0.113.0/24 dev eth0 metric 5\n"
        try Files.replace(path, with: Array(text.utf8))
        defer { try? Files.remove(path) }
        let reader = DeclarationReader(owner: .gretool, devices: DeviceDirectory(devices: [("eth0", 2)]))
        try ApplyFile.read(path, into: reader)
        let (state, _) = try reader.finish()
        #expect(state.routes.map(\.destination.description) == ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"])
        // The place of a declaration counts continued lines.
        try Files.replace(path, with: Array("route add 192.0.2.0/24 \\\n dev eth0\nroute del 192.0.2.0/24\n".utf8))
        let refused = DeclarationReader(owner: .gretool, devices: DeviceDirectory(devices: [("eth0", 2)]))
        let error = #expect(throws: DeclarationError.self) { try ApplyFile.read(path, into: refused) }
        #expect(error?.place == path + ":3")
    }

    @Test func planLinesQuoteWhatAShellWouldSplit() {
        #expect(PlanView.commandLine(["link", "set", "gre1", "alias", ""]) == "gretool link set gre1 alias ''")
        #expect(PlanView.commandLine(["keepalive", "watch", "gre1", "on-down", "logger it's down"])
                == "gretool keepalive watch gre1 on-down 'logger it'\\''s down'")
        #expect(PlanView.commandLine(["route", "add", "10.0.0.0/8", "via", "192.0.2.1"]) == "gretool route add 10.0.0.0/8 via 192.0.2.1")
    }

    @Test func applysOptionsAreChecked() throws {
        #expect(try ApplyRequest.parse(["--dry-run", "a.conf", "b.conf"]).files == ["a.conf", "b.conf"])
        #expect(try ApplyRequest.parse(["--owner", "bgp", "-"]).owner.protocolID == .bgp)
        #expect(try ApplyRequest.parse(["--confirm", "2.5", "x"]).confirm == 2_500_000_000)
        for bad in [[], ["--commit", "x"], ["--commit", "--rollback"], ["--dry-run", "--confirm", "5", "x"], ["-", "-"],
                    ["--confirm", "0", "x"], ["--owner", "static", "x"], ["--nope", "x"], ["--keepalive-file"]] {
            #expect(throws: (any Error).self, "\(bad)") { try ApplyRequest.parse(bad) }
        }
        #expect(try ApplyRequest.parse(["--keepalive-file", "/k.conf", "x"]).keepaliveFile == "/k.conf")
        #expect(try ApplyRequest.parse(["x"]).keepaliveFile == "/etc/gretool/keepalive.conf")
        // Options are a keyword table's (completion, help and the fuzz dictionary read it): each given once.
        #expect(ApplyRequest.grammar.spellings.contains("--keepalive-file"))
        #expect(!ApplyRequest.grammar.spellings.contains(ApplyRequest.awaitWord), "the waiter's own option is no user's")
        for twice in [["--prune", "--prune", "x"], ["--owner", "bgp", "--owner", "ospf", "x"]] {
            let error = #expect(throws: InvalidArgument.self, "\(twice)") { try ApplyRequest.parse(twice) }
            #expect(error?.message.hasPrefix("duplicate") == true)
        }
    }

    @Test func stateWordsAreKeywordTables() throws {
        let show = try StateCommands.showWords(["gre1", "--keepalive-file", "/k.conf", "gre2"])
        #expect(show.tunnels == ["gre1", "gre2"] && show.keepaliveFile == "/k.conf")
        #expect(try StateCommands.showWords([]).keepaliveFile == "/etc/gretool/keepalive.conf")
        let export = try StateCommands.exportWords(["gre1", "as", "networkd", "-o", "/tmp/x"])
        #expect(export.tunnels == ["gre1"] && export.format == .networkd && export.directory == "/tmp/x")
        for bad in [["as", "json", "as", "batch"], ["as", "yaml"], ["gre1"], ["as", "json", "-o"]] {
            #expect(throws: InvalidArgument.self, "\(bad)") { try StateCommands.exportWords(bad) }
        }
        #expect(throws: InvalidArgument.self) { try StateCommands.showWords(["--keepalive-file", "a", "--keepalive-file", "b"]) }
    }
}
