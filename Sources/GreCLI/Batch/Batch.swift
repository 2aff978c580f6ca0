import GreKit
import SystemPackage

/// `-batch FILE` (or `-` for standard input): one command per line, as `ip -batch`.
///
/// Changes to routes, addresses, nexthops and rules travel many per datagram through
/// the session's `RequestPipeline`; everything else first sends what is queued. The
/// meaning stays `ip -batch`'s: without `-force` the first failing line stops the
/// batch and no line after it takes effect; with `-force` every failure is reported.
/// The file is read in blocks and nothing is kept per line: memory does not grow with it.
enum Batch {
    static func run(_ path: String, session: Session) throws -> ExitStatus {
        let descriptor: FileDescriptor
        if path == "-" {
            descriptor = .standardInput
        } else {
            descriptor = try attempt("read batch file \"\(path)\"") { try FileDescriptor.open(path, .readOnly) }
        }
        defer { if path != "-" { try? descriptor.close() } }

        let force = session.options.force
        let pipeline = try session.startPipeline(force ? .continueAfterFailures : .stopAtFirstFailure)
        var status = ExitStatus.success
        // Whether a line got past its words, so that something may have reached the
        // kernel: from then on a bad word no longer means "nothing was sent" (exit 2).
        var sentSomething = false
        func exitStatus(_ status: ExitStatus) -> ExitStatus {
            status == .usage && sentSomething ? .failure : status
        }
        pipeline.onFailure = { status = report($0) }
        var reader = LineReader(descriptor: descriptor)
        var splitter = CommandLineWords.Splitter()
        while true {
            let split: Result<Void, InvalidArgument>
            do {
                guard let next = try reader.next({ bytes, _ in splitter.split(bytes) }) else { break }
                split = next
            } catch let bad as LineReader.BadLine {
                // Even with -force: the rest of the file is no batch.
                if let failure = try settle(session) { return report(failure) }
                return exitStatus(report(InvalidArgument(bad.message), line: bad.line, text: ""))
            } catch {
                // What cannot be read is named by its path (a directory opens, then
                // fails to read).
                if let failure = try settle(session) { return report(failure) }
                throw ActionFailure(action: "read batch file \"\(path)\"", underlying: error)
            }
            let number = reader.lineNumber
            do {
                try split.get()
                guard !splitter.command.isEmpty else { continue }
                splitter.withWordBytes { pipeline.tag(number: number, wordBytes: $0) }
                try Gretool.execute(command: splitter.command, splitter.arguments, in: session)
                sentSomething = true
            } catch let failure as RequestPipeline.Failure {
                // An earlier line, refused when its datagram went out.
                return report(failure)
            } catch {
                // Lines queued before this one come first.
                if let failure = try settle(session) { return report(failure) }
                let tag = pipeline.tag
                status = report(error, line: number, text: tag.number == number ? tag.text : "")
                if status != .usage { sentSomething = true }
                if !force { return exitStatus(status) }
            }
        }
        if let failure = try settle(session) { return report(failure) }
        return status == .success ? session.findingStatus : exitStatus(status)
    }

    /// Sends what is queued; in stop mode, the failure that ends the batch, if any.
    private static func settle(_ session: Session) throws -> RequestPipeline.Failure? {
        do {
            try session.settle()
            return nil
        } catch let failure as RequestPipeline.Failure {
            return failure
        }
    }
}
