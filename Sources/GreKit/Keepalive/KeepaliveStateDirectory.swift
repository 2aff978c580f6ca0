import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Where keepalive watchers keep what must outlive them: for each tunnel, a state file
/// (what its action took and has not given back) and a lock (one watcher per tunnel).
///
/// It lives under the runtime directory (`RuntimeDirectory`: `/run/gretool`, which the
/// units keep across restarts, beside the watchers' control sockets), in
/// `keepalive/net-INODE`: tunnels of the same name in other network namespaces are other
/// tunnels, so each namespace (its inode under /proc) has a directory of its own. A
/// state file is replaced whole and durably (`Files.replace`): a crash leaves the old
/// file or the new, never a part.
public final class KeepaliveStateDirectory: TakenJournal {
    public let path: String
    /// The locks held, by tunnel name: released when the process ends, however it ends.
    private var locks: [String: HeldLock] = [:]

    /// An open lock file, closed (the lock released) with its last reference; a class,
    /// so that a dictionary can hold it.
    private final class HeldLock {
        let descriptor: OwnedDescriptor
        init(_ descriptor: consuming OwnedDescriptor) { self.descriptor = descriptor }
    }

    /// The directory of the current network namespace under `runtimeDirectory`, made if
    /// it is missing.
    public init(runtimeDirectory: String) throws(SystemError) {
        let keepalive = runtimeDirectory + "/keepalive"
        path = keepalive + "/net-\(try NetworkNamespace.current())"
        for directory in [runtimeDirectory, keepalive, path] { try Files.createDirectory(directory) }
    }

    /// Another watcher holds the tunnel's lock.
    public struct Locked: Error, CustomStringConvertible, Sendable, Equatable {
        public var tunnel: String
        /// The process that holds it, as it wrote itself into the lock file.
        public var holder: pid_t?
        public var description: String {
            "\(tunnel) is watched by another watcher\(holder.map { " (process \($0))" } ?? "")"
        }
    }

    /// Takes the tunnel's lock for as long as this process lives (or until `unlock`);
    /// throws `Locked` when another process holds it.
    public func lock(tunnel: String) throws {
        guard locks[tunnel] == nil else { return }
        let file = "\(path)/\(tunnel).lock"
        let raw = try systemCall("cannot open \(file)") { open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        let held = HeldLock(OwnedDescriptor(taking: FileDescriptor(rawValue: raw)))
        switch valueOrErrno({ flock(raw, LOCK_EX | LOCK_NB) }) {
        case .success: break
        case .failure(.wouldBlock):
            throw Locked(tunnel: tunnel, holder: Self.text(of: raw).flatMap { pid_t($0.trimmingSuffixNewlines) })
        case .failure(let errno):
            throw SystemError("cannot lock \(file)", errno: errno)
        }
        // Who holds it, for the message another watcher gives.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(raw, 0)
        _ = pid.withUnsafeBytes { pwrite(raw, $0.baseAddress, $0.count, 0) }
        locks[tunnel] = held
    }

    /// Lets go of the tunnel's lock (a watcher stops watching it).
    public func unlock(tunnel: String) {
        locks[tunnel] = nil
    }

    /// Whether a live process holds the tunnel's lock (without taking it).
    public func isLocked(tunnel: String) -> Bool {
        if locks[tunnel] != nil { return true }
        guard let file = try? HeldLock(OwnedDescriptor.open(readingFrom: "\(path)/\(tunnel).lock")) else { return false }
        let raw = file.descriptor.rawValue
        guard case .success = valueOrErrno({ flock(raw, LOCK_SH | LOCK_NB) }) else { return true }
        return false
    }

    // MARK: State files

    private func stateFile(_ tunnel: String) -> String { "\(path)/\(tunnel).state" }

    /// The tunnels with a state file, sorted by name.
    public func tunnelsWithState() throws(SystemError) -> [String] {
        try Files.names(in: path).filter { $0.hasSuffix(".state") }.map { String($0.dropLast(".state".count)) }.sorted()
    }

    /// The tunnel's state file, nil when there is none.
    public func load(tunnel: String) throws -> KeepaliveState? {
        let file = stateFile(tunnel)
        guard let bytes = try Self.contents(of: file) else { return nil }
        do {
            let state = try KeepaliveState(decoding: String(decoding: bytes, as: UTF8.self))
            guard state.tunnel == tunnel else { throw StateFileError("it names tunnel \(state.tunnel)") }
            return state
        } catch {
            throw StateFileError("\(file): \(error)")
        }
    }

    /// Writes what is owed to the tunnel, or removes its file when nothing is.
    func record(_ taken: TakenFromTunnel, tunnel: String, index: Int32) throws {
        guard !taken.isEmpty else { return try remove(tunnel: tunnel) }
        let text = try KeepaliveState(tunnel: tunnel, index: index, taken: taken).encoded()
        try Files.replace(stateFile(tunnel), with: Array(text.utf8), durable: true)
    }

    /// Removes the tunnel's state file: nothing is owed to it.
    public func remove(tunnel: String) throws {
        try Files.remove(stateFile(tunnel), durable: true)
    }

    /// The bytes of a file; nil when there is none.
    private static func contents(of file: String) throws(SystemError) -> [UInt8]? {
        do {
            return try Files.read(file)
        } catch {
            if error.errno == .noSuchFileOrDirectory { return nil }
            throw error
        }
    }

    /// The whole content of a small open file, from its start.
    private static func text(of descriptor: CInt) -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let offset = off_t(bytes.count)
            let result = chunk.withUnsafeMutableBytes { buffer in
                valueOrErrno { pread(descriptor, buffer.baseAddress, buffer.count, offset) }
            }
            guard case .success(let count) = result else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
        }
    }
}

extension String {
    fileprivate var trimmingSuffixNewlines: String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
