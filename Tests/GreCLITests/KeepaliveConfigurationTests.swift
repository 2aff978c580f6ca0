import Netlink
import Testing
@testable import GreCLI
@testable import GreKit

/// The watcher's configuration file, read from memory with tunnels made up: gre1 and
/// gre2 are tunnels to 198.51.100.1 and .2, any other name is no device.
@Suite struct KeepaliveConfigurationTests {
    private func subjects(_ text: String) throws -> [KeepaliveWatcher.Subject] {
        var request = KeepaliveWatchRequest()
        request.file = "k.conf"
        let configuration = KeepaliveConfiguration(request: request) { subject in
            guard case .tunnel(let name) = subject, let last = ["gre1": 1, "gre2": 2][name.value] else {
                throw InvalidArgument("cannot find device \"\(subject.name)\"")
            }
            let target = KeepaliveTarget(local: IPAddress("192.0.2.1")!, remote: IPAddress("198.51.100.\(last)")!)
            return (target, Int32(10 + last))
        }
        return try configuration.subjects(fileLines: LineReader(bytes: Array(text.utf8)))
    }

    private func refusal(_ text: String) -> String? {
        do {
            _ = try subjects(text)
            return nil
        } catch {
            return Failure.describe(error).message
        }
    }

    @Test func targetsAreReadAsTheCommandLinesWords() throws {
        let read = try subjects("# targets\ngre1 interval 5 # the first\n\"gre2\" \\\n  retries 7\n")
        #expect(read.map(\.name) == ["gre1", "gre2"])
        #expect(read.map(\.settings.timing.interval) == [5_000_000_000, KeepaliveTiming.cisco.interval])
        #expect(read[1].settings.timing.retries == 7)
    }

    // A line continued by a backslash is two lines of the file: the lines after it keep
    // the numbers an editor shows (they were counted as one).
    @Test func lineNumbersCountContinuedLines() {
        #expect(refusal("gre1 \\\n  interval 5\ngre2 retries 0\n") == "k.conf:3: invalid retries \"0\": expected a number 1..255")
        #expect(refusal("gre1 \\\n  interval 5\n\ngre1\n") == "k.conf:4: gre1 is given twice (line 2 too)")
        #expect(refusal("gre1\ngre9\n") == "k.conf:2: cannot find device \"gre9\"")
    }

    // A line no command could be is refused with its number, as a batch file's is (it
    // was "cannot read k.conf", exit 1, with no line).
    @Test func anUnreadableLineIsNamed() {
        #expect(refusal("gre1\n" + String(repeating: "x", count: LineReader.maximumLength + 1) + "\n")
                == "k.conf:2: longer than \(LineReader.maximumLength) bytes")
        #expect(refusal("gre1\ngre2 \0\n") == "k.conf:2: holds a NUL byte")
        #expect(refusal("gre1 \\\n") == "k.conf:1: ends in a backslash, but no line follows")
        #expect(Failure.describe(#expect(throws: (any Error).self) { try subjects("\0") }!).status == .usage)
    }
}
