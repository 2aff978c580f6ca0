import GreKit

extension RequestPipeline.Tag {
    /// The batch line as run: its words (quotes and comments gone).
    var text: String { words.joined(separator: " ") }
}

/// What a batch says on standard error when lines fail: one line each, naming the
/// batch line, as `ip -batch` does.
extension Batch {
    /// "line N: TEXT: MESSAGE". The line says what was attempted, so the message is the
    /// reason alone.
    static func report(_ error: any Error, line: Int, text: String) -> ExitStatus {
        let (message, status) = Failure.describe((error as? ActionFailure)?.underlying ?? error)
        Gretool.reportError("line \(line): " + (text.isEmpty ? "" : text + ": ") + message)
        return status
    }

    static func report(_ failure: RequestPipeline.Failure) -> ExitStatus {
        describe(failure).forEach(Gretool.reportError)
        return .failure
    }

    /// The lines on standard error for a failure of queued lines: the line the kernel
    /// refused, then those after it that could not be taken back; or the lines whose
    /// replies were lost.
    static func describe(_ failure: RequestPipeline.Failure) -> [String] {
        let reason = Failure.describe(failure.error).message
        if let last = failure.unknownThrough, last.number != failure.tag.number {
            return ["lines \(failure.tag.number)-\(last.number): outcome unknown: \(reason)"]
        }
        let outcome = failure.unknownThrough != nil ? "outcome unknown: " : ""
        return ["line \(failure.tag.number): \(failure.tag.text): \(outcome)\(reason)"] + failure.undoFailures.map { undo in
            "line \(undo.tag.number): \(undo.tag.text): could not be taken back after line \(failure.tag.number) failed: \(Failure.describe(undo.error).message)"
        }
    }
}
