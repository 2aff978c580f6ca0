import GreKit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A confirmed apply's way back (`apply --confirm SECONDS`): before the first write,
/// the commands that take the plan back and the snapshot they must restore go to a
/// journal in the runtime directory, and a process in a session of its own waits for
/// the deadline. Unless `apply --commit` (or Enter) removes the journal in time, that
/// process runs it, checks the state against the snapshot and leaves the outcome
/// beside it. The shell that started the apply may die meanwhile (the change itself
/// may cut the SSH session): the waiter does not depend on it.
///
/// Everyone who acts on a journal (commit, the waiter, a failed probe, `--rollback`)
/// holds its lock file, so one of them acts, once.
struct Confirmation {
    /// The journal's path: one per network namespace and owner.
    let path: String

    /// `apply` in the runtime directory (`RuntimeDirectory`: /run/gretool).
    static var directory: String { RuntimeDirectory.path + "/apply" }

    init(owner: Owner, namespace: String?) {
        path = Self.directory + "/\(namespace ?? "-")-\(owner.protocolID.rawValue).journal"
    }

    init(path: String) { self.path = path }

    var lockPath: String { path + ".lock" }
    var outcomePath: String { path + ".outcome" }

    /// What a journal holds.
    struct Journal {
        /// Unix time in nanoseconds.
        var deadline: Int64
        var namespace: String?
        var commands: [[String]]
        var snapshot: [SnapshotEntry]
        /// The keepalive service's file, when the plan edits it: its path and what it
        /// held before (nil: there was none), put back first by a rollback.
        var keepaliveFile: (path: String, bytes: [UInt8]?)? = nil
    }

    // MARK: Starting

    /// Writes the journal and starts the waiter. The deadline counts from now; `extend`
    /// moves it once the plan has run.
    func begin(_ journal: Journal) throws {
        try attempt("create \(Self.directory)") { try Self.makeDirectories(Self.directory) }
        try withLock {
            unlink(outcomePath)
            guard access(path, F_OK) != 0 else {
                throw CommandFailure(message: "an apply already waits for confirmation (\(path)): commit it (gretool apply --commit) or roll it back (gretool apply --rollback)")
            }
            try write(journal)
        }
        var arguments: [String] = []
        if let namespace = journal.namespace { arguments += ["-n", namespace] }
        arguments += ["apply", ApplyRequest.awaitWord, path]
        // Its process id is not kept: nothing here waits for the waiter, which must outlive
        // this process (the journal and its lock are how the two meet).
        _ = try attempt("start the rollback timer") { try CommandHook.startDetached("/proc/self/exe", arguments: arguments) }
    }

    /// Moves the deadline (the window starts when the plan has run).
    func extend(to deadline: Int64) throws {
        try withLock {
            guard var journal = try read() else { return }
            journal.deadline = deadline
            try write(journal)
        }
    }

    // MARK: Ending

    enum Ending {
        case committed
        case rolledBack(RollbackReport)
    }

    /// Removes the journal: the change stays.
    func commit() throws -> Ending {
        try withLock {
            try requirePending()
            unlink(path)
            return .committed
        }
    }

    /// Nothing to commit or roll back: says how the last confirmed apply ended.
    private func requirePending() throws {
        guard access(path, F_OK) != 0 else { return }
        let last = readOutcome().map { "; the last one was " + PlanView.describe($0) } ?? ""
        throw CommandFailure(message: "no apply waits for confirmation\(last)")
    }

    /// Runs the journal now, checks the result against the snapshot and records it.
    /// `orHowItEnded`: when the journal is gone already (the waiter reached the deadline
    /// while the probes waited for theirs), say how it ended instead of refusing.
    func rollBack(socket: NetlinkSocket, orHowItEnded: Bool = false) throws -> Ending {
        try withLock {
            if orHowItEnded, access(path, F_OK) != 0 { return readOutcome().map { .rolledBack($0) } ?? .committed }
            try requirePending()
            guard let journal = try read() else { throw CommandFailure(message: "no apply waits for confirmation") }
            var plan = Plan()
            plan.snapshot = journal.snapshot
            // The file went last: it comes back first, then the kernel's changes.
            var restoreFailure: String?
            if let (path, bytes) = journal.keepaliveFile {
                do {
                    try KeepaliveServiceFile.write(path, bytes)
                } catch {
                    restoreFailure = Failure.describe(error).message
                }
            }
            var report = Transaction(runner: StepRunner(socket: socket), plan: plan).rollBack(journal.commands)
            if let (path, bytes) = journal.keepaliveFile {
                if let restoreFailure { report.failures.append((["write", path], restoreFailure)) }
                let now = try? Files.read(path)
                if now != bytes { report.differences.append("keepalive file \(path): not as it was") }
                _ = KeepaliveServiceFile.reloadWatchers(reading: path)
            }
            writeOutcome(report)
            unlink(path)
            return .rolledBack(report)
        }
    }

    /// The waiter's loop: ends when the journal is gone (committed or rolled back by
    /// someone else), or rolls back at the deadline.
    func await(socket: NetlinkSocket) throws {
        while let journal = try? read() {
            let left = journal.deadline - SystemClock.realtime()
            if left <= 0 {
                _ = try rollBack(socket: socket)
                return
            }
            // A commit is noticed within a tenth of a second.
            var pause = timespec(tv_sec: 0, tv_nsec: Int(min(left, 100_000_000)))
            nanosleep(&pause, nil)
        }
    }

    /// Waits until the journal is gone (the waiter or someone else ended it), up to
    /// `limit` nanoseconds, and says how it ended: rolled back when an outcome was
    /// left, else committed.
    func waitForEnd(limit: Int64) -> Ending? {
        let end = SystemClock.monotonic() + limit
        repeat {
            if access(path, F_OK) != 0 { return readOutcome().map { .rolledBack($0) } ?? .committed }
            var pause = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            nanosleep(&pause, nil)
        } while SystemClock.monotonic() < end
        return nil
    }

    // MARK: Files

    private func withLock<Result>(_ body: () throws -> Result) throws -> Result {
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.systemFailure("cannot open \(lockPath)") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Self.systemFailure("cannot lock \(lockPath)") }
        }
        return try body()
    }

    func write(_ journal: Journal) throws {
        try Self.writeJSON(path) { writer in
            writer.beginObject()
            writer.name("deadline"); writer.signed(journal.deadline)
            writer.name("namespace")
            if let namespace = journal.namespace { writer.string(namespace) } else { writer.null() }
            writer.name("commands")
            Self.write(journal.commands, into: &writer)
            writer.name("snapshot")
            writer.beginArray()
            for entry in journal.snapshot {
                writer.beginObject()
                writer.name("object"); writer.string(entry.object.rawValue)
                writer.name("identity"); writer.string(entry.identity)
                writer.name("words"); Self.write(entry.words, into: &writer)
                writer.endObject()
            }
            writer.endArray()
            if let (path, bytes) = journal.keepaliveFile {
                writer.name("keepalive_file")
                writer.beginObject()
                writer.name("path"); writer.string(path)
                writer.name("previous")
                // Read as UTF-8 text before the plan was made.
                if let bytes { writer.string(String(decoding: bytes, as: UTF8.self)) } else { writer.null() }
                writer.endObject()
            }
            writer.endObject()
        }
    }

    private static func write(_ lists: [[String]], into writer: inout JSONWriter) {
        writer.beginArray()
        for words in lists {
            writer.beginArray()
            for word in words { writer.string(word) }
            writer.endArray()
        }
        writer.endArray()
    }

    /// The journal, or nil when there is none.
    func read() throws -> Journal? {
        guard let bytes = try? Files.read(path) else { return nil }
        let document = try JSONValue.parse(bytes)
        guard case .number(let deadline)? = document["deadline"], let deadline = Int64(deadline),
              case .array(let commands)? = document["commands"], case .array(let entries)? = document["snapshot"] else {
            throw CommandFailure(message: "\(path) is not a journal gretool wrote")
        }
        var namespace: String?
        if case .string(let name)? = document["namespace"] { namespace = name }
        var snapshot: [SnapshotEntry] = []
        for entry in entries {
            guard case .string(let object)? = entry["object"], let kind = ObjectKind(rawValue: object),
                  case .string(let identity)? = entry["identity"], case .array(let words)? = entry["words"] else {
                throw CommandFailure(message: "\(path) is not a journal gretool wrote")
            }
            snapshot.append(SnapshotEntry(object: kind, identity: identity, words: try Self.lists(words)))
        }
        var keepaliveFile: (path: String, bytes: [UInt8]?)?
        if let file = document["keepalive_file"] {
            guard case .string(let path)? = file["path"] else { throw CommandFailure(message: "\(path) is not a journal gretool wrote") }
            if case .string(let previous)? = file["previous"] { keepaliveFile = (path, Array(previous.utf8)) } else { keepaliveFile = (path, nil) }
        }
        return Journal(deadline: deadline, namespace: namespace, commands: try Self.lists(commands), snapshot: snapshot,
                       keepaliveFile: keepaliveFile)
    }

    private static func lists(_ values: [JSONValue]) throws -> [[String]] {
        try values.map { value in
            guard case .array(let words) = value else { throw CommandFailure(message: "a journal's commands are lists of words") }
            return try words.map { word in
                guard case .string(let text) = word else { throw CommandFailure(message: "a journal's commands are lists of words") }
                return text
            }
        }
    }

    private func writeOutcome(_ report: RollbackReport) {
        try? Self.writeJSON(outcomePath) { writer in
            FieldRenderer.object(PlanView.fields(report), into: &writer)
        }
    }

    private func readOutcome() -> RollbackReport? {
        guard let bytes = try? Files.read(outcomePath), let document = try? JSONValue.parse(bytes) else { return nil }
        var report = RollbackReport()
        if case .array(let differences)? = document["differences"] {
            report.differences = differences.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        if case .array(let failures)? = document["failures"] {
            for failure in failures {
                guard case .string(let command)? = failure["command"], case .string(let error)? = failure["error"] else { continue }
                report.failures.append(([command], error))
            }
        }
        return report
    }

    /// Writes a file under a new name, then puts it in place: a reader sees the old one
    /// or the new one, whole.
    static func writeAtomically(_ path: String, mode: mode_t = 0o600, _ body: (OutputBuffer) -> Void) throws {
        let temporary = path + ".new"
        let descriptor = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw Self.systemFailure("cannot write \(temporary)") }
        let output = OutputBuffer(descriptor: descriptor)
        body(output)
        output.flush()
        let failed = output.failed || fsync(descriptor) != 0
        close(descriptor)
        guard !failed, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Self.systemFailure("cannot write \(path)")
        }
    }

    /// A JSON document, written so.
    static func writeJSON(_ path: String, _ body: (inout JSONWriter) -> Void) throws {
        try writeAtomically(path) { output in
            var writer = JSONWriter(output: output, pretty: false)
            body(&writer)
            writer.finish()
        }
    }

    /// The failure of the system call just made, with its reason.
    static func systemFailure(_ what: String) -> CommandFailure {
        CommandFailure(message: "\(what): \(String(cString: strerror(errno)))")
    }

    static func makeDirectories(_ path: String) throws {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0, errno != EEXIST { throw Self.systemFailure("cannot create \(partial)") }
        }
    }
}
