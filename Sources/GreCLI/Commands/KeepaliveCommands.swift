import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// `gretool keepalive`: Cisco-compatible GRE keepalives. `watch` runs the state
/// machine in the foreground and acts on the routes or the link; `probe` is a
/// one-shot check; `respond` answers keepalives where the kernel will not.
enum KeepaliveCommands: ObjectCommands {
    static let targetWords = "{ TUNNEL | local ADDR remote ADDR [ key KEY ] }"
    static let watchTargetWords = "{ TUNNEL | local ADDR remote ADDR [ key KEY ] [ tunnel DEV ] }"

    static let object = CommandObject(
        name: "keepalive", summary: "Cisco-compatible GRE keepalives: watch tunnels, probe a peer, answer as a peer",
        verbs: [
            Verb(name: "watch",
                 usage: "keepalive watch { \(watchTargetWords)... | -f FILE } [ interval SEC ] [ retries N ] [ up-after N ] [ hold-down SEC ] [ icmp ADDRESS ] [ action { routes | link | penalize METRIC | none } ] [ on-down CMD ] [ on-up CMD ] [ metrics-file PATH ] [ -j ] [ -v ]",
                 summary: "watch tunnels until SIGINT, SIGTERM or SIGHUP (with -f: SIGHUP reads FILE again); down: withdraw their routes (or set the link down, or raise their metric), up: restore",
                 keywords: { KeepaliveWatchRequest.keywords + KeepaliveOutputWords.spellings(takesVerbose: true) }, run: watch),
            Verb(name: "restore", usage: "keepalive restore [ TUNNEL ] [ -j ]",
                 summary: "give back what a watcher that is gone took from a tunnel (from its state file); without TUNNEL, from every tunnel no watcher holds",
                 keywords: { KeepaliveOutputWords.spellings(takesVerbose: false) }, run: restore),
            Verb(name: "probe", usage: "keepalive probe \(targetWords) [ count N ] [ timeout SEC ] [ -j ]",
                 summary: "send keepalives until one comes back: exit 0 if the peer answered, 1 if not",
                 keywords: { KeepaliveProbeRequest.keywords + KeepaliveOutputWords.spellings(takesVerbose: false) }, run: probe),
            Verb(name: "status", usage: "keepalive status [ TUNNEL ] [ -j ]",
                 summary: "what the running watchers know: state, since when, round trips, counters, what is withdrawn",
                 keywords: { KeepaliveOutputWords.spellings(takesVerbose: false) }, run: status),
            Verb(name: "respond", usage: "keepalive respond [ TUNNEL... ] [ accept nat ] [ count N ] [ timeout SEC ] [ -j ] [ -v ]",
                 summary: "reflect keepalives as a router would, for a host whose kernel does not",
                 keywords: { KeepaliveRespondRequest.keywords + KeepaliveOutputWords.spellings(takesVerbose: true) }, run: respond),
        ],
        defaultVerb: "watch")

    // MARK: watch

    static func watch(_ session: Session, _ words: [String]) throws {
        var output = KeepaliveOutputWords(json: session.options.json, takesVerbose: true)
        let request = try KeepaliveWatchRequest.parse(words) { output.take($0) }
        let links = try session.links()
        let configuration = KeepaliveConfiguration(request: request, links: links)
        let subjects = try configuration.subjects()
        // Any tunnel's routes may change: its action's, or (action none) what an earlier
        // watcher took and left in its state file.
        try requireCapabilities(verb: "watch", [(.netRaw, "keepalives")]
            + (subjects.contains { $0.index != nil } ? [(.netAdmin, "tunnels' routes and links")] : []))
        let report = KeepaliveReport(output: session.output, json: output.json,
                                     journal: Journal.fromEnvironment())
        var service = KeepaliveWatcher.Service()
        service.notifier = try attempt("reach systemd") { try ServiceNotifier.fromEnvironment() }
        if request.file != nil { service.reload = configuration.subjects }
        // Named by the network namespace, so that `keepalive status -n NS` asks the watchers in NS alone.
        let namespace = try attempt("watch keepalives") { try NetworkNamespace.current() }
        // Which file it reads, made absolute, for apply to find the watchers its edits concern.
        let configurationFile = request.file.map(absolutePath)
        service.control = (RuntimeDirectory.controlSocket(namespace: namespace), { words, statuses in
            KeepaliveStatusView.answer(words, statuses, configuration: configurationFile)
        })
        if let path = request.metricsFile { service.metrics = (path, KeepaliveMetrics.render) }
        let watcher = KeepaliveWatcher(subjects: subjects, links: links, verbose: output.verbose, service: service) { event in
            report.write(event)
        }
        try attempt("watch keepalives") { try watcher.run() }
    }

    /// A path made absolute (the watcher may have been started from another directory
    /// than the one of whoever asks it which file it reads).
    private static func absolutePath(_ file: String) -> String {
        guard !file.hasPrefix("/"), let directory = getcwd(nil, 0) else { return file }
        defer { free(directory) }
        return String(cString: directory) + "/" + file
    }

    /// The target of a subject: a tunnel's from its current options (with its index),
    /// or the explicit one. Unknown devices fail (exit 1); unusable links are refused (exit 2).
    static func resolve(_ subject: KeepaliveSubject, links: LinkService, verb: String) throws -> (KeepaliveTarget, Int32?) {
        switch subject {
        case .explicit(let target):
            return (target, nil)
        case .explicitFor(let target, let device):
            return try attempt("\(verb) tunnel \"\(device)\"") { (target, try links.link(named: device.value).index) }
        case .tunnel(let name):
            return try attempt("\(verb) tunnel \"\(name)\"") {
                let link = try links.link(named: name.value)
                return (try KeepaliveTarget(tunnel: link), link.index)
            }
        }
    }

    // MARK: status

    /// Asks every watcher whose control socket is in the runtime directory (with `-n NS`,
    /// those of namespace NS), and prints their answers together.
    static func status(_ session: Session, _ words: [String]) throws {
        var output = KeepaliveOutputWords(json: session.options.json, takesVerbose: false)
        let request = try KeepaliveStatusRequest.parse(words) { output.take($0) }
        let json = output.json
        let question = ["status"] + (json ? ["json"] : []) + (request.name.map { [$0] } ?? [])
        var answers: [UInt8] = []
        var reached = 0
        let namespace = try session.options.namespace.map { _ in try attempt("ask the watchers") { try NetworkNamespace.current() } }
        for path in RuntimeDirectory.controlSockets(namespace: namespace) {
            let answer: [UInt8]?
            switch Result(catching: { () throws(SystemError) in try ControlServer.ask(path, request: question) }) {
            case .success(let value): answer = value
            // A socket nobody listens at is a watcher's that died: there is nothing to ask.
            case .failure(let error) where error.errno == .connectionRefused || error.errno == .noSuchFileOrDirectory: continue
            case .failure(let error): throw error
            }
            reached += 1
            guard let answer else { throw CommandFailure(message: "the watcher at \(path) did not answer within 5 seconds") }
            if let refusal = KeepaliveStatusView.refusalMessage(in: answer) {
                throw CommandFailure(message: "the watcher at \(path) refused the request: \(refusal)")
            }
            answers += answer
        }
        guard reached > 0 else {
            let namespace = session.options.namespace.map { " for network namespace \"\($0)\"" } ?? ""
            throw CommandFailure(message: "no keepalive watcher is running\(namespace) (none answers in \(RuntimeDirectory.path))")
        }
        if let name = request.name, answers.isEmpty {
            throw CommandFailure(message: "\(name) is not watched by a running watcher")
        }
        if json {
            // Each watcher answers a JSON object a line: together, one array.
            let objects = answers.split(separator: 10).map { String(decoding: $0, as: UTF8.self) }
            session.output.write("[" + objects.joined(separator: ",") + "]\n")
        } else {
            answers.withUnsafeBufferPointer { session.output.write(buffer: $0) }
        }
    }

    // MARK: restore

    static func restore(_ session: Session, _ words: [String]) throws {
        var output = KeepaliveOutputWords(json: session.options.json, takesVerbose: false)
        let request = try KeepaliveRestoreRequest.parse(words) { output.take($0) }
        let json = output.json
        let links = try session.links()
        let directory = try attempt("open the keepalive state directory") { try KeepaliveStateDirectory(runtimeDirectory: RuntimeDirectory.path) }
        let recovery = KeepaliveRecovery(directory: directory, links: links)
        // One line per tunnel: "k1: restored 3 routes", or {"tunnel":"k1","result":"restored","message":...}.
        func report(_ tunnel: String, _ result: String, _ message: String) {
            Printer.line([.jsonOnly("tunnel", .string(tunnel)), .jsonOnly("result", .string(result)),
                          Field("message", .string(message), text: "\(tunnel): \(message)")], output: session.output, json: json)
        }
        let tunnels = try request.tunnel.map { [$0.value] } ?? attempt("list \(directory.path)") { try directory.tunnelsWithState() }
        var failed: [String] = []
        for tunnel in tunnels {
            // Without a name, a tunnel a watcher holds is that watcher's to give back.
            if request.tunnel == nil, directory.isLocked(tunnel: tunnel) {
                report(tunnel, "skipped", "skipped: a watcher of it runs, and gives back what it took")
                continue
            }
            let result: KeepaliveRecovery.Result
            do {
                result = try recovery.restore(tunnel: tunnel)
            } catch let locked as KeepaliveStateDirectory.Locked {
                throw CommandFailure(message: "cannot restore \(tunnel): \(locked): it gives back what it took itself")
            } catch let failure as KeepaliveRecovery.RecoveryFailure {
                report(tunnel, "failed", "error: " + failure.problem.description(tunnel: tunnel))
                failed.append(tunnel)
                continue
            } catch {
                throw CommandFailure(message: "cannot restore \(tunnel): \(error)")
            }
            switch result {
            case .nothingOwed:
                if request.tunnel != nil { report(tunnel, "nothing", "nothing to restore") }
            case .discarded(let reason):
                report(tunnel, "discarded", "nothing to restore: \(reason)")
            case .restored(let outcome, let left):
                report(tunnel, left.isEmpty ? "restored" : "failed", outcome.description(tunnel: tunnel))
                if !left.isEmpty { failed.append(tunnel) }
            }
        }
        if !failed.isEmpty {
            throw CommandFailure(message: "not everything came back to \(failed.joined(separator: ", ")); kept in the state directory to try again")
        }
    }

    // MARK: probe

    static func probe(_ session: Session, _ words: [String]) throws {
        var output = KeepaliveOutputWords(json: session.options.json, takesVerbose: false)
        let request = try KeepaliveProbeRequest.parse(words) { output.take($0) }
        let (target, _) = try resolve(request.subject, links: session.links(), verb: "probe")
        let result = try attempt("probe \(request.subject.name)") {
            try KeepalivePing.run(target, count: request.count, timeout: request.timeout)
        }
        let name = request.subject.name
        let json = output.json
        // Silence prints nothing as text: the error message below says it.
        if json || result.roundTrip != nil {
            Printer.print(one: result.fields(tunnel: name), session: session, json: json)
        }
        guard result.roundTrip != nil else {
            if result.interrupted {
                throw CommandFailure(message: "\(name): interrupted after \(keepalives(result.sent)), no reply")
            }
            throw CommandFailure(message: "\(name): no reply to \(keepalives(result.sent)) in \(Seconds.format(request.timeout)) s"
                + (result.cause.map { ": " + $0.explanation } ?? ""))
        }
    }

    // MARK: respond

    static func respond(_ session: Session, _ words: [String]) throws {
        var output = KeepaliveOutputWords(json: session.options.json, takesVerbose: true)
        let request = try KeepaliveRespondRequest.parse(words) { output.take($0) }
        try requireCapabilities(verb: "respond", [(.netRaw, "keepalives")])
        var flows: Set<GreFlow>?
        if !request.tunnels.isEmpty {
            let links = try session.links()
            flows = Set(try request.tunnels.map { try resolve(.tunnel($0), links: links, verb: "respond to").0.replyFlow })
        }
        let responder = try attempt("respond to keepalives") { try KeepaliveResponder(flows: flows, acceptingNAT: request.acceptNAT) }
        let json = output.json
        let scope = (request.tunnels.isEmpty ? "any keepalive to this host" : request.tunnels.map(\.value).joined(separator: ", "))
            + (request.acceptNAT ? ", behind NAT too" : "")
        let report = KeepaliveReport(output: session.output, json: json)
        report.line(event: "ready", [.textOnly("responding to \(scope)")])
        let count = try attempt("respond to keepalives") {
            try responder.run(count: request.count, timeout: request.timeout) { reflection in
                guard output.verbose else { return }
                let outer = reflection.outer
                let inside = reflection.translated
                report.line(event: "reflected", [
                    .jsonOnly("source", .string(outer.source.description)),
                    .jsonOnly("destination", .string(outer.destination.description)),
                    .jsonOnly("key", outer.key.map { .unsigned(UInt64($0)) } ?? .null),
                    .textOnly("reflected keepalive \(outer)"),
                    // What a NAT made of the inner addresses (`accept nat`): the peer's own address, and ours as it knows it.
                    Field("inner", inside.map { .object([.jsonOnly("source", .string($0.source.description)),
                                                         .jsonOnly("destination", .string($0.destination.description))]) } ?? .null,
                          text: inside.map { "(inner \($0.source) -> \($0.destination), readdressed)" }),
                ])
            }
        }
        report.line(event: "done", [Field("reflected", .unsigned(UInt64(count)), text: "reflected \(keepalives(count))")])
    }

    // MARK: Formatting

    /// Nanoseconds as milliseconds with three decimals.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        String(decimal: nanoseconds / 1000, fractionDigits: 3)
    }

    static func keepalives(_ count: some BinaryInteger) -> String {
        count == 1 ? "1 keepalive" : "\(count) keepalives"
    }
}
