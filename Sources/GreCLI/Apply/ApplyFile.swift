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
        guard path != "-", (try? Files.names(in: path)) != nil else {
            try read(contents(of: path), name: path == "-" ? "standard input" : path, into: reader)
            return
        }
        for file in Files.configurationFiles(in: path) where !file.hasSuffix("/" + keepaliveServiceFile) {
            try read(contents(of: file), name: file, into: reader)
        }
    }

    /// Reads a file's bytes; `name` is the file's in messages.
    static func read(_ bytes: [UInt8], name: String, into reader: DeclarationReader) throws {
        if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            let document: JSONValue
            do {
                document = try JSONValue.parse(bytes)
            } catch {
                throw DeclarationError(name, error.message)
            }
            try StateDocument.read(document, into: reader)
            return
        }
        // Lines as a batch reads them: comments, continued lines, the same bound. A file
        // of many routes is mostly `route add` lines of one form: read from their bytes.
        var lines = LineReader(whole: bytes)
        // A line declares a route at most.
        reader.reserveCapacity(routes: bytes.withUnsafeBufferPointer { Self.lineCount($0) })
        var splitter = CommandLineWords.Splitter()
        let routeWords = WordBytes(), noWords = WordBytes()
        let devices = reader.devices
        // A line is a route, declared as it is read (a route is a large value: handed
        // out of the line reader's closure, held in an optional, it was copied on the
        // way, 4.6% of the instructions of an apply of 10,000 routes), or words, split
        // into `splitter`. One closure reads every line: a loop around `lines.next`
        // made one per line, retaining what it captured, 6% of the instructions.
        do {
            try lines.forEach { bytes, line in
                let place = DeclarationPlace(name, line: line)
                if let route = commonRouteAdd(bytes, routeWords, noWords, devices: devices) {
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
        return count + (bytes.last.map { $0 == UInt8(ascii: "\n") ? 0 : 1 } ?? 0)
    }

    /// A `route add` line in the form most lines of a file of many routes are in, read
    /// from its words' bytes (`RouteRequest.parseCommonAdd`): the route, or nil for a
    /// line the words grammar must read. `words` holds the words; `noWords` is empty.
    static func commonRouteAdd(
        _ line: UnsafeBufferPointer<UInt8>, _ words: WordBytes, _ noWords: WordBytes, devices: DeviceDirectory
    ) -> Route? {
        guard words.gather(line, comparedWith: noWords) != nil, words.count > 2,
              words.word(0).spells("route"), words.word(1).spells("add") else { return nil }
        return RouteRequest.parseCommonAdd(words.count - 2, { words.word($0 + 2) }, devices: devices)
    }

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
    private static func contents(of path: String) throws -> [UInt8] {
        guard path == "-" else {
            do {
                return try Files.read(path)
            } catch {
                throw InvalidArgument(error.description)
            }
        }
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
