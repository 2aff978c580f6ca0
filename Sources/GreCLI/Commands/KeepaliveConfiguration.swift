import GreKit
import SystemPackage

/// The targets a watcher watches: those on its command line, then those of its
/// configuration file (`-f FILE`: one target a line in the command line's words,
/// quotes as in a batch file, `#` starts a comment), each resolved to its current
/// endpoints. Read at start and again on SIGHUP.
struct KeepaliveConfiguration {
    let request: KeepaliveWatchRequest
    let links: LinkService

    /// Where a target was given, for messages: the command line, or a line of the file.
    private struct Given {
        var subject: KeepaliveSubject
        var settings: KeepaliveWatcher.Settings
        var line: Int?
    }

    /// The watcher's subjects. A bad file is refused with its path and line number; a
    /// tunnel that does not exist fails; two targets whose replies could not be told
    /// apart are refused, naming both.
    func subjects() throws -> [KeepaliveWatcher.Subject] {
        var given = request.subjects.map { Given(subject: $0, settings: request.settings, line: nil) }
        if let file = request.file { given += try read(file) }
        var subjects: [KeepaliveWatcher.Subject] = []
        for (position, item) in given.enumerated() {
            if let first = given[..<position].firstIndex(where: { $0.subject == item.subject }) {
                throw refusal(item, "\(item.subject.name) is given twice (\(origin(of: given[first])) too)")
            }
            // One target per device: two would take from it and give back over each other.
            if let device = item.subject.device, let first = given[..<position].firstIndex(where: { $0.subject.device == device }) {
                throw refusal(item, "\(device) is acted on by two targets (\(origin(of: given[first])) too)")
            }
            let (target, index) = try at(item) { try KeepaliveCommands.resolve(item.subject, links: links, verb: "watch") }
            let subject = KeepaliveWatcher.Subject(given: item.subject, target: target, index: index, settings: item.settings)
            let replies = ReplyIdentity(target: target, echo: item.settings.echo)
            if let other = subjects.firstIndex(where: { ReplyIdentity(target: $0.target, echo: $0.settings.echo) == replies }) {
                let place = request.file == nil ? "" : " (\(origin(of: given[other])))"
                throw refusal(item, """
                    \(subject.name) and \(subjects[other].name)\(place) would get the same replies \
                    (\(replies.description)): one of them would never see its own
                    """)
            }
            subjects.append(subject)
        }
        return subjects
    }

    /// The file's targets, their words over the command line's.
    private func read(_ path: String) throws -> [Given] {
        let file = try attempt("read \(path)") { try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec) }
        defer { try? file.close() }
        var reader = LineReader(descriptor: file)
        var splitter = CommandLineWords.Splitter()
        var number = 0
        var given: [Given] = []
        while let split = try attempt("read \(path)", { try reader.next { splitter.split($0) } }) {
            number += 1
            do {
                try split.get()
                let words = splitter.command + splitter.arguments
                guard !words.isEmpty else { continue }
                let (subject, settings) = try KeepaliveWatchRequest.parseLine(words, defaults: request) { (word: String) throws(InvalidArgument) -> Bool in
                    guard KeepaliveOutputWords.grammar.lookup(exact: word) == nil else {
                        throw InvalidArgument("\(word) is an option of the command line, not of a target")
                    }
                    return false
                }
                given.append(Given(subject: subject, settings: settings, line: number))
            } catch {
                throw InvalidArgument("\(path):\(number): \(error.message)")
            }
        }
        return given
    }

    private func origin(of given: Given) -> String {
        given.line.map { "line \($0)" } ?? "the command line"
    }

    /// A refusal about `given`, prefixed with its file and line when it has them.
    private func refusal(_ given: Given, _ message: String) -> InvalidArgument {
        guard let line = given.line, let file = request.file else { return InvalidArgument(message) }
        return InvalidArgument("\(file):\(line): \(message)")
    }

    /// Runs `body`, its failure prefixed with the file and line of `given`, its exit
    /// status kept.
    private func at<Result>(_ given: Given, _ body: () throws -> Result) throws -> Result {
        guard let line = given.line, let file = request.file else { return try body() }
        do {
            return try body()
        } catch {
            let (message, status) = Failure.describe(error)
            throw CommandFailure(message: "\(file):\(line): \(message)", status: status)
        }
    }
}
