import GreKit
import SystemPackage

/// The targets a watcher watches: those on its command line, then those of its
/// configuration file (`-f FILE`: one target a line in the command line's words,
/// quotes as in a batch file, `#` starts a comment), each resolved to its current
/// endpoints. Read at start and again on SIGHUP.
struct KeepaliveConfiguration {
    typealias Resolve = (KeepaliveSubject) throws -> (target: KeepaliveTarget, index: Int32?)

    let request: KeepaliveWatchRequest
    /// A subject's target and device index: from the kernel's links, or (tests, the fuzz
    /// target) from links made up.
    let resolve: Resolve

    init(request: KeepaliveWatchRequest, links: LinkService) {
        self.init(request: request) { try KeepaliveCommands.resolve($0, links: links, verb: "watch") }
    }

    init(request: KeepaliveWatchRequest, resolve: @escaping Resolve) {
        self.request = request
        self.resolve = resolve
    }

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
        guard let path = request.file else { return try subjects(fileLines: nil) }
        let file = try attempt("read \(path)") { try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec) }
        defer { try? file.close() }
        return try subjects(fileLines: LineReader(descriptor: file))
    }

    /// The subjects of the command line, then those of the configuration file's lines
    /// (`request.file` names it in messages).
    func subjects(fileLines: LineReader?) throws -> [KeepaliveWatcher.Subject] {
        var given = request.subjects.map { Given(subject: $0, settings: request.settings, line: nil) }
        if var lines = fileLines, let path = request.file { given += try read(&lines, path: path) }
        var subjects: [KeepaliveWatcher.Subject] = []
        for (position, item) in given.enumerated() {
            if let first = given[..<position].firstIndex(where: { $0.subject == item.subject }) {
                throw refusal(item, "\(item.subject.name) is given twice (\(origin(of: given[first])) too)")
            }
            // One target per device: two would take from it and give back over each other.
            if let device = item.subject.device, let first = given[..<position].firstIndex(where: { $0.subject.device == device }) {
                throw refusal(item, "\(device) is acted on by two targets (\(origin(of: given[first])) too)")
            }
            let (target, index) = try at(item) { try resolve(item.subject) }
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

    /// The file's targets, their words over the command line's. A line is numbered as
    /// an editor numbers it: a command line continued by a backslash counts each of its
    /// lines, and a line that cannot be read (too long, a NUL byte) is named too.
    private func read(_ lines: inout LineReader, path: String) throws -> [Given] {
        var splitter = CommandLineWords.Splitter()
        var given: [Given] = []
        while true {
            let split = try attempt("read \(path)") { () throws -> Result<Void, InvalidArgument>? in
                do {
                    return try lines.next { bytes, _ in splitter.split(bytes) }
                } catch let bad as LineReader.BadLine {
                    throw InvalidArgument("\(path):\(bad.line): \(bad.message)")
                }
            }
            guard let split else { return given }
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
                given.append(Given(subject: subject, settings: settings, line: lines.lineNumber))
            } catch {
                throw InvalidArgument("\(path):\(lines.lineNumber): \(error.message)")
            }
        }
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
