import GreKit

/// A plan and what became of it: as the command lines it runs (text), or as a machine
/// diff (JSON: op, object, key, from, to, command for every change).
struct PlanView {
    let plan: Plan
    let json: Bool
    /// The keepalive service's file, which the plan's stanzas go to.
    var keepaliveFile = KeepaliveServiceFile.defaultPath

    /// A command line as a shell (or a batch file) reads it back.
    static func commandLine(_ words: [String]) -> String {
        "gretool " + words.map(quoted).joined(separator: " ")
    }

    /// A word that a shell would split or change goes in single quotes.
    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "-_./:,@%+=".utf8.contains(byte)
        }
        if plain { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    // MARK: Text

    /// The line printed for a step, before it runs (or instead, on a dry run).
    func text(_ step: PlanStep) -> String {
        var text = ""
        if step.recreate, step.operation == .delete {
            text += "# \(step.key) is made again: words cannot change it in place\n"
        }
        return text + Self.commandLine(step.words)
    }

    /// The keepalive service's file's edits, after the commands: comments, since no
    /// command makes them (`# /etc/gretool/keepalive.conf: add gre1 interval 10`).
    var keepaliveText: [String] {
        plan.keepaliveEdits.map { edit in
            let words = { (words: [String]) in ([edit.tunnel] + words).map(KeepaliveServiceFile.fileWord).joined(separator: " ") }
            let change = switch edit.operation {
            case .add: "add " + words(edit.to!)
            case .delete: "delete " + words(edit.from!)
            case .change where edit.adopted: "adopt " + words(edit.to!)
            case .change: "change " + words(edit.from!) + " -> " + words(edit.to!)
            }
            return "# \(keepaliveFile): \(change)"
        }
    }

    /// The watchers told to read the keepalive service's file again.
    func reloadNotes(_ processes: [Int32]) -> [String] {
        guard !plan.keepaliveEdits.isEmpty else { return [] }
        guard !processes.isEmpty else { return ["# \(keepaliveFile): no running watcher reads it"] }
        return ["# \(keepaliveFile): read again by the watcher\(processes.count == 1 ? "" : "s") \(processes.map(String.init).joined(separator: ", "))"]
    }

    /// What follows the commands: what apply leaves alone and what it warns of, as
    /// comments, so that the plan stays a script.
    var notes: [String] {
        plan.warnings.map { "# warning: \($0.object): \($0.message)" }
            + plan.drift.map { "# drift: \($0.object.rawValue) \($0.key): \($0.reason)" }
    }

    // MARK: JSON

    /// Everything about the run, in one object.
    func fields(
        dryRun: Bool, status: String, completed: Int, reads: Int, outcome: ApplyOutcome?, confirmation: [Field]?,
        reloaded: [Int32] = [], failedWrite: (path: String, message: String)? = nil
    ) -> [Field] {
        var fields: [Field] = [
            .jsonOnly("status", .string(status)),
            .jsonOnly("dry_run", .bool(dryRun)),
            .jsonOnly("changes", .array(plan.steps.map { .object(change($0)) } + plan.keepaliveEdits.map { .object(change($0)) })),
            .jsonOnly("recreates", .array(plan.recreatedLinks.map { .string($0) })),
            .jsonOnly("drift", .array(plan.drift.map { drift in
                .object([.jsonOnly("object", .string(drift.object.rawValue)), .jsonOnly("key", .string(drift.key)),
                         .jsonOnly("reason", .string(drift.reason))])
            })),
            .jsonOnly("warnings", .array(plan.warnings.map { warning in
                .object([.jsonOnly("object", .string(warning.object)), .jsonOnly("message", .string(warning.message))])
            })),
            .jsonOnly("dumps", .unsigned(UInt64(reads))),
            .jsonOnly("writes", .unsigned(UInt64(completed))),
        ]
        if let outcome, let failure = outcome.failure {
            fields.append(.jsonOnly("failed", .object([
                .jsonOnly("command", .string(Self.commandLine(failure.step.words))),
                .jsonOnly("error", .string(failure.message)),
            ])))
        }
        if let failedWrite {
            fields.append(.jsonOnly("failed", .object([
                .jsonOnly("command", .string("write " + failedWrite.path)),
                .jsonOnly("error", .string(failedWrite.message)),
            ])))
        }
        if !plan.keepaliveEdits.isEmpty {
            fields.append(.jsonOnly("keepalive", .object([
                .jsonOnly("file", .string(keepaliveFile)),
                .jsonOnly("reloaded", .array(reloaded.map { .signed(Int64($0)) })),
            ])))
        }
        if let rollback = outcome?.rollback { fields.append(.jsonOnly("rollback", .object(Self.fields(rollback)))) }
        if let confirmation { fields.append(.jsonOnly("confirmation", .object(confirmation))) }
        return fields
    }

    private func change(_ step: PlanStep) -> [Field] {
        [
            .jsonOnly("op", .string(step.operation.rawValue)),
            .jsonOnly("object", .string(step.object.rawValue)),
            .jsonOnly("key", .string(step.key)),
            .jsonOnly("from", step.from.map { .object($0) } ?? .null),
            .jsonOnly("to", step.to.map { .object($0) } ?? .null),
            .jsonOnly("command", .string(Self.commandLine(step.words))),
            .jsonOnly("recreate", .bool(step.recreate)),
        ]
    }

    /// A keepalive stanza's change: `from` and `to` as the state document's
    /// keepalives; the command is the file's line as written.
    private func change(_ edit: KeepaliveEdit) -> [Field] {
        let line = edit.to.map { ([edit.tunnel] + $0).map(KeepaliveServiceFile.fileWord).joined(separator: " ") }
        return [
            .jsonOnly("op", .string(edit.operation.rawValue)),
            .jsonOnly("object", .string(ObjectKind.keepalive.rawValue)),
            .jsonOnly("key", .string(edit.tunnel)),
            .jsonOnly("from", edit.fromFields.map { .object($0) } ?? .null),
            .jsonOnly("to", edit.toFields.map { .object($0) } ?? .null),
            .jsonOnly("command", line.map { .string("\(keepaliveFile): \($0)") } ?? .string("\(keepaliveFile): delete \(edit.tunnel)")),
            .jsonOnly("recreate", .bool(false)),
        ]
    }

    static func fields(_ rollback: RollbackReport) -> [Field] {
        [
            .jsonOnly("verified", .bool(rollback.verified)),
            .jsonOnly("differences", .array(rollback.differences.map { .string($0) })),
            .jsonOnly("failures", .array(rollback.failures.map { failure in
                .object([.jsonOnly("command", .string(commandLine(failure.command))), .jsonOnly("error", .string(failure.message))])
            })),
        ]
    }

    /// "rolled back (verified)", "rolled back, but 2 objects differ: ...".
    static func describe(_ rollback: RollbackReport) -> String {
        if rollback.verified && rollback.failures.isEmpty { return "rolled back (verified: the state is the snapshot's)" }
        var parts: [String] = []
        if !rollback.failures.isEmpty {
            parts.append("\(rollback.failures.count) undo command(s) failed, first \(commandLine(rollback.failures[0].command)): \(rollback.failures[0].message)")
        }
        if !rollback.verified { parts.append("the state differs from the snapshot: " + rollback.differences.joined(separator: "; ")) }
        return "rolled back, but " + parts.joined(separator: "; ")
    }
}
