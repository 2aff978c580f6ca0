import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// The entry point. Commands are dispatched by gretool's own word scanner, as
/// `ip` does, so a command pays only for what it uses; ArgumentParser serves
/// help, shell completion and the manual page from a description of the same
/// tables (`GretoolCommand`).
public enum Gretool {
    public static let version = "0.1.0"

    /// Runs one command line and returns the exit status.
    public static func run(_ arguments: [String]) -> Int32 {
        let output = OutputBuffer(descriptor: STDOUT_FILENO)
        defer { output.flush() }
        // ArgumentParser's own flags (completion scripts, the completion callback)
        // may stand anywhere, even before the object.
        if arguments.contains(where: HelpTree.isArgumentParserFlag) {
            output.flush()
            return HelpTree.run(arguments)
        }
        do {
            let (options, rest) = try GlobalOptions.parse(arguments.dropFirst())
            if options.version {
                output.write("gretool \(version)\n")
                return ExitStatus.success.rawValue
            }
            if HelpTree.handles(options: options, words: rest) {
                output.flush()
                return HelpTree.run(arguments)
            }
            if let namespace = options.namespace {
                guard NetworkNamespace.isValidName(namespace) else {
                    throw InvalidArgument("invalid network namespace name \"\(namespace)\"")
                }
                try NetworkNamespace.enter(named: namespace)
            }
            let session = Session(options: options, output: output)
            let status: ExitStatus
            if let file = options.batchFile {
                guard rest.isEmpty else { throw InvalidArgument("-batch takes no command words (got \"\(rest.first!)\")") }
                status = try Batch.run(file, session: session)
            } else {
                guard !rest.isEmpty else { throw InvalidArgument("no command given; try \"gretool help\"") }
                try execute(command: Array(rest.prefix(2)), Array(rest.dropFirst(2)), in: session)
                status = session.findingStatus
            }
            // Output that did not reach standard output is a failure too.
            output.flush()
            return (status == .success && output.failed ? ExitStatus.failure : status).rawValue
        } catch {
            output.flush()
            let (message, status) = Failure.describe(error)
            reportError(message)
            return status.rawValue
        }
    }

    /// Runs a command given as two arrays: its first words (the object, and the verb if
    /// any) and the rest. A batch splits its lines this way and hands both arrays over
    /// as they are, without copying.
    static func execute(command: [String], _ rest: [String], in session: Session) throws {
        let resolved = try resolve(command, session)
        // In a batch, queued changes reach the kernel before anything else runs.
        if !resolved.pipelined { try session.settle() }
        if resolved.leadingWords == 1, command.count > 1 {
            // The second word is the default verb's first.
            try resolved.run(session, [command[1]] + rest)
        } else {
            try resolved.run(session, rest)
        }
    }

    /// What the first two words name. A batch repeats the same two words line after
    /// line: the last answer is kept.
    private static func resolve(_ command: [String], _ session: Session) throws -> ResolvedCommand {
        if let last = session.lastCommand, last.named(by: command) { return last }
        let first = command[0]
        let second = command.count > 1 ? command[1] : nil
        guard let object = CommandTable.object(first) else {
            throw InvalidArgument("unknown object \"\(first)\"; try \"gretool help\"")
        }
        let verbWord = second ?? object.defaultVerb
        let resolved: ResolvedCommand
        if let verb = object.verb(verbWord) {
            resolved = ResolvedCommand(object: first, verb: second, leadingWords: 2, resolved: verb)
        } else if object.defaultVerbTakesWords, let verb = object.verb(object.defaultVerb) {
            // The word is the default verb's first.
            resolved = ResolvedCommand(object: first, verb: second, leadingWords: 1, resolved: verb)
        } else {
            throw InvalidArgument("unknown verb \"\(verbWord)\" for \(object.name); try \"gretool \(object.name) help\"")
        }
        session.lastCommand = resolved
        return resolved
    }

    /// One line on standard error, prefixed with the program's name.
    static func reportError(_ message: String) {
        let line = "gretool: " + message.replacingNewlines() + "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

extension String {
    /// Keeps an error on one line, whatever the kernel's text contains.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
