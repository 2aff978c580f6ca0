import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// The entry point. Commands are dispatched by gretool's own word scanner, as
/// `ip` does, so a command pays only for what it uses; ArgumentParser serves
/// help, shell completion and the manual (see HelpTree).
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
            if HelpTree.handles(options: options, words: rest, batch: options.batchFile != nil) {
                output.flush()
                return HelpTree.run(arguments)
            }
            if let namespace = options.namespace {
                try attempt("enter network namespace \"\(namespace)\"") { try NetworkNamespace.enter(named: namespace) }
            }
            let session = Session(options: options, output: output)
            if let file = options.batchFile {
                guard rest.isEmpty else { throw InvalidArgument("-batch takes no command words (got \"\(rest.first!)\")") }
                return try Batch.run(file, session: session).rawValue
            }
            try execute(Array(rest), in: session)
            output.flush()
            return output.failed ? ExitStatus.failure.rawValue : session.findingStatus.rawValue
        } catch {
            output.flush()
            let (message, status) = Failure.describe(error)
            reportError(message)
            return status.rawValue
        }
    }

    /// Runs one command's words (object, verb, arguments) in a session.
    static func execute(_ words: [String], in session: Session) throws {
        guard let object = words.first else { throw InvalidArgument("no command given; try \"gretool help\"") }
        try execute(object: object, verb: words.count > 1 ? words[1] : nil, Array(words.dropFirst(2)), in: session)
    }

    /// Runs a command given as its first two words and the rest (a batch keeps its lines so).
    static func execute(object: String, verb: String?, _ rest: [String], in session: Session) throws {
        let command = try resolve(object, verb, session)
        // In a batch, queued changes reach the kernel before anything else runs.
        if !command.pipelined { try session.settle() }
        if command.leadingWords == 1, let verb {
            // The second word is the default verb's first.
            try command.run(session, [verb] + rest)
        } else {
            try command.run(session, rest)
        }
    }

    /// What the first two words name. A batch repeats the same two words line after
    /// line: the last answer is kept.
    private static func resolve(_ first: String, _ second: String?, _ session: Session) throws -> ResolvedCommand {
        if let last = session.lastCommand, last.object == first, last.verb == second { return last }
        guard let object = CommandTable.object(first) else {
            throw InvalidArgument("unknown object \"\(first)\"; try \"gretool help\"")
        }
        let verbWord = second ?? object.defaultVerb
        let command: ResolvedCommand
        if let verb = object.verb(verbWord) {
            command = ResolvedCommand(object: first, verb: second, leadingWords: 2, resolved: verb)
        } else if object.defaultVerbTakesWords, let verb = object.verb(object.defaultVerb) {
            // The word is the default verb's first.
            command = ResolvedCommand(object: first, verb: second, leadingWords: 1, resolved: verb)
        } else {
            throw InvalidArgument("unknown verb \"\(verbWord)\" for \(object.name); try \"gretool \(object.name) help\"")
        }
        session.lastCommand = command
        return command
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
