import Testing
import SystemPackage
@testable import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SystemErrorTests {
    @Test func saysWhatWasBeingDoneThenTheErrno() {
        #expect(SystemError("cannot open a raw GRE socket", errno: .notPermitted).description
            == "cannot open a raw GRE socket: Operation not permitted")
    }

    /// A call that fails with `codes` in turn, then returns 7; counts its calls.
    private func failing(_ codes: [Int32]) -> (() -> Int32, () -> Int) {
        var remaining = codes[...]
        var calls = 0
        let call = { () -> Int32 in
            calls += 1
            guard let code = remaining.popFirst() else { return 7 }
            Glibc.errno = code
            return -1
        }
        return (call, { calls })
    }

    @Test func interruptedCallsAreMadeAgain() {
        let (call, calls) = failing([EINTR, EINTR])
        #expect(valueOrErrno(call) == .success(7))
        #expect(calls() == 3)
    }

    @Test func interruptedCallsAreNotMadeAgainWhenTheCallerSaysSo() {
        let (call, calls) = failing([EINTR])
        #expect(valueOrErrno(retryOnInterrupt: false, call) == .failure(.interrupted))
        #expect(calls() == 1)
    }

    @Test func otherFailuresCarryTheirErrnoAndTheOperation() {
        let (call, _) = failing([EAGAIN])
        #expect(throws: SystemError("cannot read", errno: .resourceTemporarilyUnavailable)) { try systemCall("cannot read", call) }
    }
}

@Suite(.serialized) struct OwnedDescriptorTests {
    private func isOpen(_ raw: CInt) -> Bool { fcntl(raw, F_GETFD) != -1 }

    /// A descriptor on a number far above the ones in use: tests run in parallel, and
    /// a number freed low down is taken at once by another test's open. This suite's
    /// tests run one at a time: each takes the lowest free number from 900 up, and one
    /// test's check that its number was closed met the other's open of it (seen once,
    /// under the address sanitizer).
    private func descriptorOutOfTheWay() throws -> OwnedDescriptor {
        let low = try OwnedDescriptor.open(readingFrom: "/dev/null")
        let raw = fcntl(low.rawValue, F_DUPFD_CLOEXEC, 900)
        try #require(raw >= 900)
        return OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
    }

    @Test func closesWhenItsOwnerLetsGo() throws {
        var raw: CInt = -1
        do {
            let file = try descriptorOutOfTheWay()
            raw = file.rawValue
            #expect(isOpen(raw))
        }
        #expect(!isOpen(raw))
    }

    @Test func closedByHandItIsClosedOnceAndAFailureIsTold() throws {
        let file = try descriptorOutOfTheWay()
        let raw = file.rawValue
        try file.close()
        #expect(!isOpen(raw))

        // Closed behind its owner's back, the number is no longer open: close says so.
        let closedElsewhere = try descriptorOutOfTheWay()
        _ = Glibc.close(closedElsewhere.rawValue)
        var failure: SystemError?
        do { try closedElsewhere.close() } catch { failure = error }
        #expect(failure == SystemError("cannot close a descriptor", errno: .badFileDescriptor))
    }

    @Test func opensCloseOnExec() throws {
        let file = try OwnedDescriptor.open(readingFrom: "/dev/null")
        #expect(fcntl(file.rawValue, F_GETFD) & FD_CLOEXEC != 0)
    }
}

@Suite struct FilesTests {
    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/gretool-files-XXXXXX".utf8CString)
        return try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    }

    private func write(_ path: String, _ bytes: [UInt8]) {
        let file = fopen(path, "w")
        fwrite(bytes, 1, bytes.count, file)
        fclose(file)
    }

    @Test func readsWholeFilesPastOneChunk() throws {
        let directory = try temporaryDirectory()
        defer { _ = system("rm -rf '\(directory)'") }
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        write(directory + "/data", bytes)
        #expect(try Files.read(directory + "/data") == bytes)
        #expect(try Files.read(directory + "/data", limit: 5000) == Array(bytes[..<5000]))
        write(directory + "/empty", [])
        #expect(try Files.read(directory + "/empty") == [])
    }

    @Test func aMissingFileSaysWhich() {
        #expect(throws: SystemError("cannot open /nonexistent/file", errno: .noSuchFileOrDirectory)) {
            try Files.read("/nonexistent/file")
        }
    }

    @Test func listsADirectory() throws {
        let directory = try temporaryDirectory()
        defer { _ = system("rm -rf '\(directory)'") }
        write(directory + "/b.conf", [])
        write(directory + "/.hidden", [])
        #expect(try Files.names(in: directory).sorted() == [".hidden", "b.conf"])
        #expect(throws: SystemError("cannot list /nonexistent", errno: .noSuchFileOrDirectory)) { try Files.names(in: "/nonexistent") }
    }
}
