import GreKit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `gretool apply`: makes the kernel what files declare, with the fewest writes, as
/// one change that is taken back whole when the kernel refuses a part of it.
enum ApplyCommands: ObjectCommands {
    static let usageWords = "[ --dry-run ] [ --prune ] [ --allow-recreate ] [ --owner NAME ] [ --detailed-exitcode ] [ --confirm SECONDS ] [ --confirm-by-probe ] [ --keepalive-file PATH ] { FILE... | - }"

    static let object = CommandObject(
        name: "apply", summary: "make the kernel what files declare (the words of batch files, or the JSON of state show)",
        verbs: [
            Verb(name: "file", abbreviable: false,
                 usage: "apply [ file ] \(usageWords)  |  apply --commit | --rollback [ --owner NAME ]",
                 summary: "print the plan's commands and run them; --dry-run only prints; --commit or --rollback ends a --confirm",
                 keywords: { ApplyRequest.grammar.spellings }, run: run),
        ],
        defaultVerb: "file", defaultVerbTakesWords: true, verbHelp: "An option of apply's, or the first file.")

    static func run(_ session: Session, _ words: [String]) throws {
        let request = try ApplyRequest.parse(words)
        let namespace = session.options.namespace
        if let path = request.awaitedJournal {
            try Confirmation(path: path).await(socket: session.socket())
            return
        }
        let confirmation = Confirmation(owner: request.owner, namespace: namespace)
        if request.commit {
            try report(confirmation.commit(), session: session, json: session.options.json)
            return
        }
        if request.rollback {
            try report(confirmation.rollBack(socket: session.socket()), session: session, json: session.options.json)
            return
        }

        let socket = try session.socket()
        let kernel = try attempt("read the kernel's state") { try KernelState.read(socket) }
        let reader = DeclarationReader(owner: request.owner, devices: DeviceDirectory(kernel.links))
        for file in request.files { try ApplyFile.read(file, into: reader) }
        let (state, warnings) = try reader.finish()
        let keepaliveFile = try KeepaliveServiceFile(path: request.keepaliveFile)
        let plan = try Planner(desired: state, devices: reader.devices, kernel: kernel, owner: request.owner,
                               options: PlanOptions(prune: request.prune))
            .plan(warnings: warnings, keepalives: keepaliveFile.stanzas(of: request.owner))
        let view = PlanView(plan: plan, json: session.options.json, keepaliveFile: keepaliveFile.path)
        let changes: ExitStatus = request.detailedExitCode && !plan.isEmpty ? .changed : .success

        if request.dryRun || (!plan.recreatedLinks.isEmpty && !request.allowRecreate) {
            print(view, session, status: request.dryRun ? "planned" : "refused", completed: 0, reads: kernel.dumps)
            guard plan.recreatedLinks.isEmpty || request.allowRecreate || request.dryRun else {
                throw CommandFailure(message: "\(plan.recreatedLinks.joined(separator: ", ")) must be made again (words cannot change \(plan.recreatedLinks.count == 1 ? "it" : "them") in place), which takes what is on it down: give --allow-recreate; nothing was changed")
            }
            session.exit(with: changes)
            return
        }

        var confirmationFields: [Field]?
        var ending: Confirmation.Ending?
        let confirming = request.confirm != nil || request.confirmByProbe
        let window = request.confirm ?? ApplyRequest.defaultProbeWindow
        let transaction = Transaction(runner: StepRunner(socket: socket), plan: plan)
        let keepaliveBytes = plan.keepaliveStanzas.map { stanzas in
            keepaliveFile.rewritten(owner: request.owner, stanzas: stanzas, adopted: Set(plan.keepaliveEdits.filter(\.adopted).map(\.tunnel)))
        }
        if confirming, !plan.isEmpty {
            try confirmation.begin(Confirmation.Journal(
                deadline: SystemClock.realtime() + window, namespace: namespace,
                commands: transaction.undo(through: plan.steps.count), snapshot: plan.snapshot,
                keepaliveFile: keepaliveBytes == nil ? nil : (keepaliveFile.path, keepaliveFile.bytes)))
        }
        var outcome = transaction.apply { step in
            if !session.options.json { session.output.write(view.text(step) + "\n") }
        }
        // The keepalive service's file goes last, once the kernel has every change: the
        // watchers it is read again by find the tunnels as declared.
        var reloaded: [Int32] = []
        if outcome.failure == nil, let keepaliveBytes {
            if !session.options.json { for line in view.keepaliveText { session.output.write(line + "\n") } }
            do {
                try KeepaliveServiceFile.write(keepaliveFile.path, keepaliveBytes)
                reloaded = KeepaliveServiceFile.reloadWatchers(reading: keepaliveFile.path)
            } catch {
                // The kernel's changes are taken back: the apply is one change.
                let message = Failure.describe(error).message
                outcome.rollback = transaction.rollBack(transaction.undo(through: outcome.completed))
                if confirming { _ = try? confirmation.commit() }
                print(view, session, status: "failed", completed: outcome.completed, reads: kernel.dumps, outcome: outcome,
                      failedWrite: (keepaliveFile.path, message))
                throw CommandFailure(message: "\(message); \(PlanView.describe(outcome.rollback!))")
            }
        }
        if let failure = outcome.failure {
            // The journal is the transaction's undo too: it is done already.
            if confirming { _ = try? confirmation.commit() }
            print(view, session, status: "failed", completed: outcome.completed, reads: kernel.dumps, outcome: outcome)
            let rollback = outcome.rollback.map(PlanView.describe) ?? "nothing to roll back"
            throw CommandFailure(message: "\(PlanView.commandLine(failure.step.words)): \(failure.message); \(rollback)")
        }
        var status = changes
        var statusWord = plan.isEmpty ? "in state" : "applied"
        if confirming, !plan.isEmpty {
            session.output.flush()
            let ended = try confirm(plan, state: state, request: request, confirmation: confirmation, window: window, session: session)
            ending = ended
            confirmationFields = fields(of: ended)
            if case .committed = ended {
                statusWord = "committed"
            } else {
                statusWord = "rolled back"
                status = request.detailedExitCode ? .rolledBack : .failure
            }
        }
        if session.options.json {
            print(view, session, status: statusWord, completed: outcome.completed, reads: kernel.dumps, outcome: outcome,
                  confirmation: confirmationFields, reloaded: reloaded)
        } else {
            for note in view.notes + view.reloadNotes(reloaded) { session.output.write(note + "\n") }
        }
        if case .rolledBack(let rollback)? = ending {
            Gretool.reportError("not confirmed: " + PlanView.describe(rollback))
        }
        session.exit(with: status)
    }

    // MARK: Output

    private static func print(
        _ view: PlanView, _ session: Session, status: String, completed: Int, reads: Int,
        outcome: ApplyOutcome? = nil, confirmation: [Field]? = nil, reloaded: [Int32] = [], failedWrite: (path: String, message: String)? = nil
    ) {
        if session.options.json {
            Printer.print(one: view.fields(dryRun: status == "planned", status: status, completed: completed, reads: reads,
                                           outcome: outcome, confirmation: confirmation, reloaded: reloaded, failedWrite: failedWrite),
                          session: session)
            return
        }
        if outcome == nil {
            for step in view.plan.steps { session.output.write(view.text(step) + "\n") }
            for line in view.keepaliveText { session.output.write(line + "\n") }
        }
        for note in view.notes { session.output.write(note + "\n") }
    }

    // MARK: Confirmation

    /// Waits for the confirmation: keepalive probes of the file's tunnels with a
    /// stanza (`--confirm-by-probe`), or `apply --commit` or Enter before the deadline.
    private static func confirm(
        _ plan: Plan, state: NetworkState, request: ApplyRequest, confirmation: Confirmation, window: Int64, session: Session
    ) throws -> Confirmation.Ending {
        let deadline = SystemClock.realtime() + window
        try confirmation.extend(to: deadline)
        let seconds = Seconds.format(window)
        if request.confirmByProbe {
            let links = try session.links()
            for stanza in state.keepalives {
                let left = deadline - SystemClock.realtime()
                let answered = left > 0 && (try? KeepalivePing.run(KeepaliveTarget(tunnel: links.link(named: stanza.tunnel)),
                                                                     count: max(1, Int(left / KeepaliveTiming.nanosecondsPerSecond)),
                                                                     timeout: left).roundTrip != nil) == true
                if !answered {
                    Gretool.reportError("\(stanza.tunnel) did not answer a keepalive within \(seconds) s: rolling back")
                    return try confirmation.rollBack(socket: session.socket(), orHowItEnded: true)
                }
            }
            return try confirmation.commit()
        }
        let interactive = isatty(STDIN_FILENO) == 1 && !request.files.contains("-")
        Gretool.reportError("applied; confirm within \(seconds) s with \"gretool\(session.options.namespace.map { " -n \($0)" } ?? "") apply --commit\"\(interactive ? " or Enter" : ""), or it is rolled back")
        while SystemClock.realtime() < deadline {
            if let ending = confirmation.waitForEnd(limit: 0) { return ending }
            var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            if interactive, poll(&input, 1, 100) > 0 {
                var byte: UInt8 = 0
                if read(STDIN_FILENO, &byte, 1) == 1, byte == UInt8(ascii: "\n") { return try confirmation.commit() }
            } else if !interactive {
                var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
                nanosleep(&pause, nil)
            }
        }
        // The waiter rolls back at the deadline; give it a moment to finish.
        guard let ending = confirmation.waitForEnd(limit: 10 * KeepaliveTiming.nanosecondsPerSecond) else {
            throw CommandFailure(message: "the rollback of \(confirmation.path) did not end in time; see gretool apply --rollback")
        }
        return ending
    }

    private static func fields(of ending: Confirmation.Ending) -> [Field] {
        switch ending {
        case .committed: [.jsonOnly("committed", .bool(true))]
        case .rolledBack(let report): [.jsonOnly("committed", .bool(false)), .jsonOnly("rollback", .object(PlanView.fields(report)))]
        }
    }

    /// What `--commit` or `--rollback` did.
    private static func report(_ ending: Confirmation.Ending, session: Session, json: Bool) throws {
        if json { Printer.print(one: fields(of: ending), session: session, json: true) }
        if case .rolledBack(let rollback) = ending, !rollback.verified || !rollback.failures.isEmpty {
            throw CommandFailure(message: PlanView.describe(rollback))
        }
    }
}

/// `apply`'s own words: its options and the files.
struct ApplyRequest {
    var files: [String] = []
    var dryRun = false
    var prune = false
    var allowRecreate = false
    var detailedExitCode = false
    var owner = Owner.gretool
    /// The confirmation window, in nanoseconds.
    var confirm: Int64?
    var confirmByProbe = false
    /// The keepalive service's file, which the stanzas go to.
    var keepaliveFile = KeepaliveServiceFile.defaultPath
    var commit = false
    var rollback = false
    /// The waiter's: the journal to watch.
    var awaitedJournal: String?

    enum Word: Sendable { case dryRun, prune, allowRecreate, owner, detailedExitCode, confirm, confirmByProbe, keepaliveFile, commit, rollback }

    /// apply's options, each given once; `--await` (the rollback waiter's, which apply
    /// starts itself) is not among them.
    static let grammar = KeywordTable<Word>([
        Keyword(.dryRun, "--dry-run", repeatable: false),
        Keyword(.prune, "--prune", repeatable: false),
        Keyword(.allowRecreate, "--allow-recreate", repeatable: false),
        Keyword(.owner, "--owner", value: "NAME", repeatable: false),
        Keyword(.detailedExitCode, "--detailed-exitcode", repeatable: false),
        Keyword(.confirm, "--confirm", value: "SECONDS", repeatable: false),
        Keyword(.confirmByProbe, "--confirm-by-probe", repeatable: false),
        Keyword(.keepaliveFile, "--keepalive-file", value: "PATH", repeatable: false),
        Keyword(.commit, "--commit", repeatable: false),
        Keyword(.rollback, "--rollback", repeatable: false),
    ])
    static let awaitWord = "--await"

    /// The window `--confirm-by-probe` gives the probes without `--confirm`.
    static let defaultProbeWindow = 10 * KeepaliveTiming.nanosecondsPerSecond

    static func parse(_ words: [String]) throws -> ApplyRequest {
        var request = ApplyRequest()
        var scanner = WordScanner(words, allowsAbbreviations: false)
        while let word = scanner.next() {
            if word == awaitWord {
                request.awaitedJournal = try scanner.value(for: word)
                continue
            }
            guard let entry = try scanner.keyword(word, in: grammar) else {
                guard word == "-" || !word.hasPrefix("-") else { throw InvalidArgument.unknownWord(word, in: "apply") }
                request.files.append(word)
                continue
            }
            let value = try scanner.value(of: entry)
            switch entry.keyword {
            case .dryRun: request.dryRun = true
            case .prune: request.prune = true
            case .allowRecreate: request.allowRecreate = true
            case .detailedExitCode: request.detailedExitCode = true
            case .owner: request.owner = try Owner(named: value)
            case .confirm:
                request.confirm = try Seconds.parse(value, for: "--confirm",
                                                    in: KeepaliveTiming.nanosecondsPerSecond...(3600 * KeepaliveTiming.nanosecondsPerSecond))
            case .confirmByProbe: request.confirmByProbe = true
            case .keepaliveFile: request.keepaliveFile = value
            case .commit: request.commit = true
            case .rollback: request.rollback = true
            }
        }
        let ending = request.commit || request.rollback
        if request.commit && request.rollback { throw InvalidArgument("apply: --commit and --rollback exclude each other") }
        if ending, !request.files.isEmpty { throw InvalidArgument("apply: --commit and --rollback take no file") }
        if !ending, request.awaitedJournal == nil, request.files.isEmpty {
            throw InvalidArgument("apply: no file given (a file, several, or - for standard input)")
        }
        if request.files.filter({ $0 == "-" }).count > 1 { throw InvalidArgument("apply: standard input is given twice") }
        if request.dryRun, request.confirm != nil || request.confirmByProbe {
            throw InvalidArgument("apply: --dry-run changes nothing, so there is nothing to confirm")
        }
        return request
    }
}
