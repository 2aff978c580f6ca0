import GreKit
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads an apply file into a declaration reader: JSON when its first character is
/// `{` (the document `gretool -j state show` prints), else lines of batch words, each
/// read as what it declares (`route add` = this route must exist, exactly so).
///
/// A directory is read as one file: its `*.conf` files in name order (/etc/gretool, which
/// gretool-apply.service applies at boot), but the keepalive service's own file.
enum ApplyFile {
    /// The keepalive service's file in /etc/gretool: lines of its own, not declarations.
    static let keepaliveServiceFile = "keepalive.conf"

    static func read(_ path: String, into reader: DeclarationReader) throws {
        guard path != "-" else {
            try read(standardInput(), name: "standard input", into: reader)
            return
        }
        guard (try? Files.names(in: path)) != nil else {
            try read(file: path, into: reader)
            return
        }
        for file in Files.configurationFiles(in: path) where !file.hasSuffix("/" + keepaliveServiceFile) {
            try read(file: file, into: reader)
        }
    }

    /// Reads the file at `path`: a regular file of lines a block at a time, twice, first
    /// to count its lines (room for as many routes is made at once) and to see whether
    /// it is JSON, then to read them. Read whole, the file of 10,000
    /// routes (480 KiB) took a tenth of the page faults of an apply. JSON, and what
    /// cannot be read at an offset (a pipe), are read whole, from the descriptor open.
    private static func read(file path: String, into reader: DeclarationReader) throws {
        let file = try readable { () throws(SystemError) -> OwnedDescriptor in try OwnedDescriptor.open(readingFrom: path) }
        guard let survey = try readable({ () throws(SystemError) in try survey(file, path: path) }),
              survey.firstByte != UInt8(ascii: "{") else {
            try read(readable { () throws(SystemError) in try Files.read(file, path: path) }, name: path, into: reader)
            return
        }
        // The reader reads through the descriptor while `file`, its owner, is held here.
        var lines = LineReader(descriptor: file.fileDescriptor)
        do {
            try read(&lines, lineCount: survey.lines, name: path, into: reader)
        } catch let errno as Errno {
            throw InvalidArgument(SystemError("cannot read \(path)", errno: errno).description)
        }
    }

    /// What a first pass over a file finds: its lines, as `lineCount` counts them, and
    /// its first byte that is not blank; nil for a file that cannot be read at an offset
    /// (a pipe). The pass stops at a NUL byte, which no line may hold (the lines are then
    /// a guess, and reading them refuses the file): `/dev/zero` is endless.
    static func survey(_ file: borrowing OwnedDescriptor, path: String) throws(SystemError) -> (lines: Int, firstByte: UInt8?)? {
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: LineReader.blockSize)
        defer { block.deallocate() }
        var (newlines, offset, firstByte, lastByte): (Int, Int64, UInt8?, UInt8?) = (0, 0, nil, nil)
        while true {
            let count: Int
            do {
                count = try file.read(into: UnsafeMutableRawBufferPointer(block), atOffset: offset, "cannot read \(path)")
            } catch where error.errno == .illegalSeek {
                return nil
            }
            guard count > 0 else { break }
            let bytes = UnsafeBufferPointer(rebasing: block[..<count])
            newlines += newlineCount(bytes)
            if firstByte == nil { firstByte = bytes.first(where: { !isBlank($0) }) }
            lastByte = bytes.last
            if firstByte == UInt8(ascii: "{") || memchr(bytes.baseAddress!, 0, count) != nil { break }
            offset += Int64(count)
        }
        return (lineCount(newlines: newlines, lastByte: lastByte), firstByte)
    }

    /// Reads a file's bytes; `name` is the file's in messages.
    static func read(_ bytes: [UInt8], name: String, into reader: DeclarationReader) throws {
        if bytes.first(where: { !isBlank($0) }) == UInt8(ascii: "{") {
            let document: JSONValue
            do {
                document = try JSONValue.parse(bytes)
            } catch {
                throw DeclarationError(name, error.message)
            }
            try StateDocument.read(document, into: reader)
            return
        }
        var lines = LineReader(whole: bytes)
        try read(&lines, lineCount: bytes.withUnsafeBufferPointer { Self.lineCount($0) }, name: name, into: reader)
    }

    /// What may stand before a JSON document's first `{`.
    private static func isBlank(_ byte: UInt8) -> Bool { [0x20, 0x09, 0x0A, 0x0D].contains(byte) }

    /// Reads lines as a batch reads them: comments, continued lines, the same bound. A
    /// file of many routes is mostly `route add` lines of one form: read from their
    /// bytes. A line declares a route at most: room is made for `lineCount` routes.
    private static func read(_ lines: inout LineReader, lineCount: Int, name: String, into reader: DeclarationReader) throws {
        reader.reserveCapacity(routes: lineCount)
        var splitter = CommandLineWords.Splitter()
        let routeWords = WordBytes()
        var routeAdds = RouteRequest.CommonAddReader(devices: reader.devices)
        // A line is a route, declared as it is read (a route is a large value: handed
        // out of the line reader's closure, held in an optional, it was copied on the
        // way, 4.6% of the instructions of an apply of 10,000 routes), or words, split
        // into `splitter`. One closure reads every line: a loop around `lines.next`
        // made one per line, retaining what it captured, 6% of the instructions.
        do {
            try lines.forEach { bytes, line in
                let place = DeclarationPlace(name, line: line)
                if let route = commonRouteAdd(bytes, routeWords, &routeAdds) {
                    try reader.read(routeAdd: consume route, at: place)
                    return
                }
                if case .failure(let error) = splitter.split(bytes) { throw DeclarationError(place, error.message) }
                guard !splitter.command.isEmpty else { return }
                let declaration = try self.declaration(splitter.command, at: place)
                try reader.read(declaration, splitter.arguments, at: place)
            }
        } catch let bad as LineReader.BadLine {
            throw DeclarationError(DeclarationPlace(name, line: bad.line), bad.message)
        }
    }

    /// The lines of `bytes`, the last counted when it has no newline.
    static func lineCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        lineCount(newlines: newlineCount(bytes), lastByte: bytes.last)
    }

    /// The lines of bytes with `newlines` that end with `lastByte` (nil: no bytes).
    private static func lineCount(newlines: Int, lastByte: UInt8?) -> Int {
        newlines + (lastByte.map { $0 == UInt8(ascii: "\n") ? 0 : 1 } ?? 0)
    }

    /// The newlines in `bytes`.
    private static func newlineCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        // From newline to newline with memchr, as LineReader finds them: a byte at a
        // time took a tenth of a millisecond over a file of 10,000 routes.
        var count = 0
        var rest = UnsafeRawPointer(base)
        let end = UnsafeRawPointer(base + bytes.count)
        while rest < end, let newline = memchr(rest, Int32(UInt8(ascii: "\n")), end - rest) {
            count &+= 1
            rest = UnsafeRawPointer(newline) + 1
        }
        return count
    }

    /// A `route add` line in the form most lines of a file of many routes are in, read
    /// from its words' bytes by `routeAdds`: the route, or nil for a line the words
    /// grammar must read. `words` holds the words. Written into the file's loop: called,
    /// it returned its route through one more copy.
    @inline(__always)
    static func commonRouteAdd(
        _ line: UnsafeBufferPointer<UInt8>, _ words: WordBytes, _ routeAdds: inout RouteRequest.CommonAddReader
    ) -> Route? {
        // Most such lines start so: the words after it are those the whole line has
        // after its first two (a blank ends "add", and the next byte starts a word or
        // a blank), and the first two are not gathered (120 instructions a line).
        let start = UnsafeBufferPointer(rebasing: line.prefix(routeAddWords.utf8CodeUnitCount))
        if start.spells(routeAddWords) {
            let afterAdd = UnsafeBufferPointer(rebasing: line[start.count...])
            // A destination that starts the words, unquoted, runs to the first blank
            // (as `gather` reads it): the reader is given its bytes and those after it,
            // which are gathered only when they are not the last line's.
            if let lead = afterAdd.first, !CommandLineWords.isBlank(lead), !CommandLineWords.isQuote(lead) {
                let end = WordBytes.wordLength(afterAdd)
                return routeAdds.read(
                    destination: UnsafeBufferPointer(rebasing: afterAdd[..<end]), rest: UnsafeBufferPointer(rebasing: afterAdd[end...])
                ) { rest in words.gather(rest) ? words.lineWords : nil }
            }
            guard words.gather(afterAdd), words.count > 0 else { return nil }
            return routeAdds.read(words.lineWords)
        }
        guard words.gather(line) else { return nil }
        let lineWords = words.lineWords
        guard lineWords.count > 2, lineWords[0].spells("route"), lineWords[1].spells("add") else { return nil }
        return routeAdds.read(lineWords.dropFirst(2))
    }

    /// How most `route add` lines start.
    private static let routeAddWords: StaticString = "route add "

    /// What a line's first two words declare, resolved as commands are (abbreviations
    /// included); a verb that is no declaration (`del`, `show`, `flush`) is refused.
    static func declaration(_ command: [String], at place: DeclarationPlace) throws(DeclarationError) -> Declaration {
        guard let object = CommandTable.object(command[0]) else {
            throw DeclarationError(place, "unknown object \"\(command[0])\"")
        }
        let verb = command.count > 1 ? object.verb(command[1])?.name : nil
        let declaration: Declaration? = switch (object.name, verb) {
        case ("tunnel", "add"?): .tunnelAdd
        case ("link", "add"?): .linkAdd
        case ("link", "set"?), ("link", "change"?): .linkSet
        case ("address", "add"?): .addressAdd
        case ("route", "add"?): .routeAdd
        case ("route", "append"?): .routeAppend
        case ("nexthop", "add"?): .nexthopAdd
        case ("rule", "add"?): .ruleAdd
        case ("keepalive", "watch"?): .keepaliveWatch
        default: nil
        }
        guard let declaration else {
            throw DeclarationError(place, "\"\(command.joined(separator: " "))\" declares nothing: an apply file says what must exist (\(Declaration.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return declaration
    }

    /// A file that cannot be read is bad input, as a bad line is: exit 2, nothing sent.
    private static func readable<Result: ~Copyable>(_ body: () throws(SystemError) -> Result) throws(InvalidArgument) -> Result {
        do {
            return try body()
        } catch {
            throw InvalidArgument(error.description)
        }
    }

    /// The bytes of standard input.
    private static func standardInput() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try attempt("read standard input") {
                try chunk.withUnsafeMutableBytes { try FileDescriptor.standardInput.read(into: $0, retryOnInterrupt: true) }
            }
            guard count > 0 else { return bytes }
            bytes += chunk[..<count]
        }
    }
}
