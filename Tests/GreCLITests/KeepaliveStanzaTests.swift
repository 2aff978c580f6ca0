import Synchronization
import SystemPackage
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import GreCLI
@testable import GreKit

/// Keepalive stanzas in apply files: what the plan does with the keepalive service's
/// file, the file as rewritten (read back by the watcher's own reader), and the
/// watchers told to read it again.
@Suite(.serialized) struct KeepaliveStanzaTests {
    private let path = "/tmp/gretool-keepalive-stanza-test-\(getpid()).conf"

    /// The file's lines declared (two GRE tunnels, some with stanzas) planned against
    /// a kernel that has none of them, with the keepalive service's file holding `file`.
    private func plan(_ lines: [String], file: String?, owner: Owner = .gretool, prune: Bool = false) throws -> (Plan, KeepaliveServiceFile) {
        if let file { try Files.replace(path, with: Array(file.utf8)) } else { try? Files.remove(path) }
        let devices = DeviceDirectory(devices: [("eth0", 2)])
        let reader = DeclarationReader(owner: owner, devices: devices)
        for (number, line) in lines.enumerated() {
            var splitter = CommandLineWords.Splitter()
            let bytes = Array(line.utf8)
            _ = bytes.withUnsafeBufferPointer { splitter.split($0) }
            try reader.read(ApplyFile.declaration(splitter.command, at: DeclarationPlace("\(number + 1)")), splitter.arguments, at: DeclarationPlace("\(number + 1)"))
        }
        let (state, _) = try reader.finish()
        let kernel = KernelState(links: [], addresses: [], routes: RouteList(), nexthops: [], rules: [], dumps: 5)
        let keepaliveFile = try KeepaliveServiceFile(path: path)
        let plan = try Planner(desired: state, devices: reader.devices, kernel: kernel, owner: owner, options: PlanOptions(prune: prune))
            .plan(keepalives: keepaliveFile.stanzas(of: owner))
        return (plan, keepaliveFile)
    }

    private func rewritten(_ plan: Plan, _ file: KeepaliveServiceFile, owner: Owner = .gretool) -> String {
        let adopted = Set(plan.keepaliveEdits.filter(\.adopted).map(\.tunnel))
        return String(decoding: file.rewritten(owner: owner, stanzas: plan.keepaliveStanzas ?? [], adopted: adopted), as: UTF8.self)
    }

    private let tunnels = [
        "tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1 key 1",
        "tunnel add gre2 mode gre remote 198.51.100.3 local 198.51.100.1 key 2",
    ]

    /// The targets the watcher reads from a file, as `keepalive watch -f` reads it.
    private func watched(_ text: String) throws -> [String: KeepaliveWatcher.Settings] {
        try Files.replace(path, with: Array(text.utf8))
        var request = try KeepaliveWatchRequest.parse(["-f", path])
        request.subjects = []
        // Made-up links: each tunnel its own remote, so that no two targets get the same replies.
        var remotes: [String: Int] = [:]
        let configuration = KeepaliveConfiguration(request: request) { subject in
            let remote = remotes[subject.name] ?? remotes.count + 2
            remotes[subject.name] = remote
            return (KeepaliveTarget(local: IPAddress("198.51.100.1")!, remote: IPAddress("198.51.100.\(remote)")!), Int32(remote))
        }
        let file = try FileDescriptor.open(FilePath(path), .readOnly)
        defer { try? file.close() }
        return Dictionary(uniqueKeysWithValues: try configuration.subjects(fileLines: LineReader(descriptor: file)).map { ($0.name, $0.settings) })
    }

    @Test func stanzasAreAddedChangedAndDeletedInTheOwnersLinesOnly() throws {
        let handWritten = "# hub keepalives\ngre9 interval 3 # by hand\n"
        var (plan, file) = try plan(tunnels + ["keepalive watch gre1 interval 10 retries 3 on-down \"logger -t gretool $TUNNEL down\""],
                                    file: handWritten)
        #expect(plan.keepaliveEdits == [KeepaliveEdit(operation: .add, tunnel: "gre1", from: nil,
                                                      to: ["interval", "10", "retries", "3", "on-down", "logger -t gretool $TUNNEL down"])])
        let first = rewritten(plan, file)
        #expect(first == handWritten + "gre1 interval 10 retries 3 on-down \"logger -t gretool $TUNNEL down\" # gretool:47\n")

        // Applied again: nothing to do.
        (plan, file) = try self.plan(tunnels + ["keepalive watch gre1 interval 10 retries 3 on-down \"logger -t gretool $TUNNEL down\""],
                                     file: first)
        #expect(plan.keepaliveEdits.isEmpty && plan.keepaliveStanzas == nil)

        // Every option, with a stanza for gre2 too: gre1's line changes where it is.
        let every = "interval 0.5 retries 4 up-after 2 hold-down 30 icmp 10.0.0.2 action penalize 100 on-up 'echo \"up\"' on-down \"echo it's down\""
        (plan, file) = try self.plan(tunnels + ["keepalive watch gre2 action link", "keepalive watch gre1 " + every], file: first)
        #expect(plan.keepaliveEdits.map(\.operation) == [.change, .add])
        let second = rewritten(plan, file)
        #expect(second.hasPrefix(handWritten))
        let settings = try watched(second)
        #expect(Set(settings.keys) == ["gre1", "gre2", "gre9"])
        let gre1 = try #require(settings["gre1"])
        #expect(gre1.timing.interval == 500_000_000 && gre1.timing.retries == 4 && gre1.timing.upAfter == 2)
        #expect(gre1.timing.holdDown == 30_000_000_000 && gre1.action == .penalize && gre1.penalty == 100)
        #expect(gre1.onUp == "echo \"up\"" && gre1.onDown == "echo it's down" && gre1.echo?.description == "10.0.0.2")
        #expect(settings["gre2"]?.action == .link)

        // gre1's stanza taken out of the file (the tunnel stays): its line goes; gre2's and the hand-written one stay.
        (plan, file) = try self.plan(tunnels + ["keepalive watch gre2 action link"], file: second)
        #expect(plan.keepaliveEdits.map(\.operation) == [.delete])
        #expect(rewritten(plan, file) == handWritten + "gre2 action link # gretool:47\n")
    }

    @Test func aTunnelNoLongerDeclaredKeepsItsStanzaUnlessPruned() throws {
        let file = "gre1 interval 5 # gretool:47\ngre7 interval 5 # gretool:47\ngre8 interval 5 # gretool:52\n"
        var (plan, _) = try plan(tunnels + ["keepalive watch gre1 interval 5"], file: file)
        #expect(plan.keepaliveEdits.isEmpty && plan.keepaliveStanzas == nil)
        let pruned: KeepaliveServiceFile
        (plan, pruned) = try self.plan(tunnels + ["keepalive watch gre1 interval 5"], file: file, prune: true)
        #expect(plan.keepaliveEdits == [KeepaliveEdit(operation: .delete, tunnel: "gre7", from: ["interval", "5"], to: nil)])
        // Owner 52's line is not gretool's to prune.
        #expect(rewritten(plan, pruned) == "gre1 interval 5 # gretool:47\ngre8 interval 5 # gretool:52\n")
    }

    @Test func anotherLineForADeclaredTunnelIsRefusedUnlessItHasTheDeclaredWords() throws {
        #expect(throws: PlanRefusal.self) {
            try self.plan(tunnels + ["keepalive watch gre1 interval 5"], file: "gre1 interval 9\n")
        }
        #expect(throws: PlanRefusal.self) {
            try self.plan(tunnels + ["keepalive watch gre1 interval 5"], file: "local 198.51.100.1 remote 198.51.100.2 key 1 tunnel gre1\n")
        }
        // The same words: the line becomes gretool's, in place.
        let (plan, file) = try plan(tunnels + ["keepalive watch gre1 interval 5"], file: "gre2 retries 2\ngre1 interval 5\n# end\n")
        #expect(plan.keepaliveEdits.map(\.adopted) == [true])
        #expect(rewritten(plan, file) == "gre2 retries 2\ngre1 interval 5 # gretool:47\n# end\n")
    }

    @Test func aStanzaIsALineOfTheFileOrRefused() throws {
        for bad in ["keepalive watch gre1 -f other.conf", "keepalive watch gre1 metrics-file /tmp/m.prom",
                    "keepalive watch gre1 on-down \"echo #1\"", "keepalive watch gre1 gre2"] {
            #expect(throws: (any Error).self, "\(bad)") { try plan(tunnels + [bad], file: nil) }
        }
        #expect(KeepaliveServiceFile.fileWord("") == "\"\"")
        #expect(KeepaliveServiceFile.fileWord("say \"x\"") == "'say \"x\"'")
    }

    @Test func theRollbackJournalKeepsTheFileAsItWas() throws {
        let directory = "/tmp/gretool-keepalive-journal-test-\(getpid())"
        setenv("GRETOOL_RUNTIME_DIR", directory, 1)
        defer { unsetenv("GRETOOL_RUNTIME_DIR"); try? Files.remove(directory + "/apply/x.journal") }
        try Confirmation.makeDirectories(directory + "/apply")
        let confirmation = Confirmation(path: directory + "/apply/x.journal")
        let before = Array("gre9 interval 3 # by hand, \"quoted\" ünï\n".utf8)
        for kept in [(path, before), (path, nil)] as [(String, [UInt8]?)] {
            try? Files.remove(confirmation.path)
            try confirmation.write(Confirmation.Journal(deadline: SystemClock.realtime() + 3_600_000_000_000, namespace: nil,
                                                        commands: [], snapshot: [], keepaliveFile: kept))
            let journal = try #require(try confirmation.read())
            #expect(journal.keepaliveFile?.path == kept.0 && journal.keepaliveFile?.bytes == kept.1)
        }
    }

    @Test func watchersReadingTheFileAreToldToReadItAgain() async throws {
        let directory = "/tmp/gretool-keepalive-reload-test-\(getpid())"
        setenv("GRETOOL_RUNTIME_DIR", directory, 1)
        defer { unsetenv("GRETOOL_RUNTIME_DIR") }
        try Confirmation.makeDirectories(directory)
        try Files.replace(path, with: Array("gre1 # gretool:47\n".utf8))
        // Stand-in watchers: processes that count their SIGHUPs, each with a control
        // socket answering as a watcher does; one reads the file, one another file.
        var children: [(process: pid_t, hups: String)] = []
        defer { for child in children { kill(child.process, SIGKILL); waitpid(child.process, nil, 0) } }
        for index in 0..<2 {
            let hups = directory + "/hups.\(index)"
            let child = try Self.spawn(["/bin/sh", "-c", "trap 'echo hup >> \(hups)' HUP; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done"])
            children.append((child, hups))
        }
        let namespace = try NetworkNamespace.current()
        let servers = try children.enumerated().map { index, child in
            let read = index == 0 ? path : path + ".other"
            return try ControlServer(path: RuntimeDirectory.controlSocket(of: child.process, namespace: namespace)) { words in
                KeepaliveStatusView.answer(words, [], configuration: read)
            }
        }
        // The watchers' loop, here: their sockets served until apply's side is done.
        let done = Done()
        let file = path
        let asking = Task.detached {
            defer { done.value.withLock { $0 = true } }
            return KeepaliveServiceFile.reloadWatchers(reading: file)
        }
        let end = SystemClock.monotonic() + 10_000_000_000
        while !done.value.withLock({ $0 }), SystemClock.monotonic() < end {
            for server in servers {
                var descriptors = server.pollDescriptors
                guard poll(&descriptors, nfds_t(descriptors.count), 10) > 0 else { continue }
                for descriptor in descriptors where descriptor.revents != 0 { server.serve(descriptor.fd, now: SystemClock.monotonic()) }
            }
        }
        let signalled = await asking.value
        #expect(signalled == [children[0].process])
        var waited = 0
        while (try? Files.read(children[0].hups)) == nil, waited < 100 { usleep(20_000); waited += 1 }
        #expect((try? Files.read(children[0].hups)).map { String(decoding: $0, as: UTF8.self) } == "hup\n")
        #expect((try? Files.read(children[1].hups)) == nil)
    }

    private final class Done: Sendable { let value = Mutex(false) }

    /// Starts a program with its arguments, its output to /dev/null.
    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var process: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let status = posix_spawn(&process, arguments[0], nil, nil, argv, environ)
        guard status == 0 else { throw SystemError("cannot start \(arguments[0])", errno: Errno(rawValue: status)) }
        return process
    }
}
