import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// The keepalive service's file (`keepalive watch -f`, /etc/gretool/keepalive.conf) as
/// `apply` edits it for its keepalive stanzas. A line apply writes ends with its
/// owner's mark as a comment (`gre1 interval 10 retries 3 # gretool:47`, the tag its
/// links carry as their alias); apply changes only its owner's lines, which it keeps
/// together where the first of them was (at the end for a first one), and leaves
/// every other line (written by hand, or by another owner) as it is, byte for byte.
struct KeepaliveServiceFile {
    /// Where the keepalive service reads its targets, beside the boot's apply files.
    static let defaultPath = "/etc/gretool/" + ApplyFile.keepaliveServiceFile

    let path: String
    /// The file's bytes; nil when there is none.
    let bytes: [UInt8]?

    init(path: String) throws {
        self.path = path
        let read = Self.bytes(at: path)
        bytes = try read.get()
        // The file is rewritten as text, and kept in a journal as text.
        guard let bytes, String(validating: bytes, as: UTF8.self) != nil else {
            if bytes == nil { return }
            throw CommandFailure(message: "\(path) is not UTF-8 text: apply does not edit it")
        }
    }

    /// A file's bytes, nil when there is none.
    private static func bytes(at path: String) -> Result<[UInt8]?, SystemError> {
        switch Result(catching: { () throws(SystemError) in try Files.read(path) }) {
        case .success(let bytes): .success(bytes)
        case .failure(let error) where error.errno == .noSuchFileOrDirectory: .success(nil)
        case .failure(let error): .failure(error)
        }
    }

    private var lines: [ArraySlice<UInt8>] {
        guard let bytes, !bytes.isEmpty else { return [] }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if bytes.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines
    }

    /// Whether a line (without its newline) is one of `owner`'s: one line of words,
    /// then the owner's mark, which ends it.
    private static func isOwned(_ line: ArraySlice<UInt8>, by owner: Owner) -> Bool {
        var text = line
        while let last = text.last, CommandLineWords.isBlank(last) { text.removeLast() }
        let mark = mark(owner)
        return text.count > mark.count && text.suffix(mark.count).elementsEqual(mark)
    }

    private static func mark(_ owner: Owner) -> [UInt8] { Array(("# " + owner.linkTag).utf8) }

    /// The owner's stanzas, and the tunnels other lines watch (lines that a watcher
    /// would refuse are no stanzas, and are left to it).
    func stanzas(of owner: Owner) -> KeepaliveLines {
        var found = KeepaliveLines()
        var splitter = CommandLineWords.Splitter()
        var continued = false
        for (index, line) in lines.enumerated() {
            var text = line.prefix { $0 != UInt8(ascii: "#") }
            while let last = text.last, CommandLineWords.isBlank(last) { text.removeLast() }
            let continues = text.last == UInt8(ascii: "\\")
            defer { continued = continues }
            // A line continued, or continuing one, is someone else's and watches no tunnel of a stanza's.
            guard !continued, !continues else { continue }
            guard case .success = text.withUnsafeBufferPointer({ splitter.split($0) }) else { continue }
            let words = splitter.command + splitter.arguments
            guard !words.isEmpty, let stanza = Self.stanza(words) else { continue }
            if Self.isOwned(line, by: owner) {
                if !found.owned.contains(where: { $0.tunnel == stanza.tunnel }) { found.owned.append(stanza) }
            } else {
                found.others.append((stanza, "\(path):\(index + 1)"))
            }
        }
        return found
    }

    /// A line's tunnel and its other words; nil for a line the watcher would refuse.
    /// A target given by its endpoints for a device (`... dev gre1`) watches that device.
    private static func stanza(_ words: [String]) -> KeepaliveStanza? {
        guard let (subject, _) = try? KeepaliveWatchRequest.parseLine(words, defaults: KeepaliveWatchRequest()) else { return nil }
        switch subject {
        case .tunnel(let name):
            var rest = words
            rest.remove(at: rest.firstIndex(of: name.value)!)
            return KeepaliveStanza(tunnel: name.value, words: rest)
        case .explicitFor(_, let device):
            return KeepaliveStanza(tunnel: device.value, words: words)
        case .explicit:
            return nil
        }
    }

    /// The file with the owner's lines made `stanzas`, and the other lines that watch
    /// tunnels of `adopted` (lines with the declared words, now the owner's) taken in.
    func rewritten(owner: Owner, stanzas: [KeepaliveStanza], adopted: Set<String>) -> [UInt8] {
        let others = Dictionary(self.stanzas(of: owner).others.map { ($0.place, $0.stanza.tunnel) }, uniquingKeysWith: { first, _ in first })
        var output: [UInt8] = []
        var block: [UInt8] = []
        for stanza in stanzas {
            block += Array((([stanza.tunnel] + stanza.words).map(Self.fileWord).joined(separator: " ") + " ").utf8) + Self.mark(owner)
            block.append(UInt8(ascii: "\n"))
        }
        var placed = false
        for (index, line) in lines.enumerated() {
            let taken = Self.isOwned(line, by: owner) || others["\(path):\(index + 1)"].map(adopted.contains) == true
            if taken {
                if !placed { output += block }
                placed = true
                continue
            }
            output += line
            output.append(UInt8(ascii: "\n"))
        }
        if !placed { output += block }
        return output
    }

    /// A word as the watcher's reader takes it back: quoted when it is empty or holds
    /// a blank or a quote, with the kind of quote it does not hold (stanzas with
    /// neither are refused as they are read).
    static func fileWord(_ word: String) -> String {
        let plain = !word.isEmpty && !word.utf8.contains { CommandLineWords.isBlank($0) || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }
        if plain { return word }
        return word.contains("\"") ? "'" + word + "'" : "\"" + word + "\""
    }

    /// Writes `bytes` in place of the file (a new file renamed over it, synced: the
    /// watcher reads the old file or the new, whole), making its directory if needed;
    /// nil removes the file.
    static func write(_ path: String, _ bytes: [UInt8]?) throws {
        guard let bytes else {
            // No file to remove is what was asked.
            if case .failure(let error) = Result(catching: { () throws(SystemError) in try Files.remove(path, durable: true) }),
               error.errno != .noSuchFileOrDirectory {
                throw error
            }
            return
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            if access(directory, F_OK) != 0 { try attempt("create \(directory)") { try Files.createDirectory(directory) } }
        }
        try attempt("write \(path)") { try Files.replace(path, with: bytes, mode: 0o644, durable: true) }
    }
}

extension KeepaliveServiceFile {
    /// The request a watcher answers with the file it reads (`configuration PATH`).
    static let configurationRequest = "configuration"

    /// Has every running watcher of this network namespace that reads the file at
    /// `path` read it again (SIGHUP, as `systemctl reload gretool-keepalive` does).
    /// Watchers are found by their control sockets in the runtime directory, each
    /// asked which file it reads; the file is the same when both paths lead to it.
    /// Returns the process ids signalled.
    static func reloadWatchers(reading path: String) -> [Int32] {
        guard let written = identity(of: path), let namespace = try? NetworkNamespace.current() else { return [] }
        var signalled: [Int32] = []
        for socket in RuntimeDirectory.controlSockets(namespace: namespace) {
            // keepalive.net-INODE.PID.sock
            guard let process = socket.split(separator: ".").dropLast().last.flatMap({ Int32($0) }),
                  let answer = try? ControlServer.ask(socket, request: [configurationRequest], timeout: 2_000_000_000) ?? nil else { continue }
            let prefix = configurationRequest + " "
            let text = String(decoding: answer, as: UTF8.self)
            guard text.hasPrefix(prefix) else { continue }
            let read = String(text.dropFirst(prefix.count).prefix { $0 != "\n" })
            guard identity(of: read).map({ $0 == written }) == true, kill(process, SIGHUP) == 0 else { continue }
            signalled.append(process)
        }
        return signalled
    }

    /// The device and inode of what a path leads to.
    private static func identity(of path: String) -> [UInt64]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return Files.identity(ofDescriptor: descriptor).map { [$0.device, $0.inode] }
    }
}
