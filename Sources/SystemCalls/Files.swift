import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Files read whole (iproute2's name databases, kernel settings under /proc/sys) or
/// replaced whole (a metrics file), directories, and what stands at a path.
public enum Files {
    /// The bytes of the file at `path`, at most `limit` of them (a file under /proc may
    /// be endless). EINTR is retried; any other failure throws, naming the path.
    public static func read(_ path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        try read(OwnedDescriptor.open(readingFrom: path), path: path, limit: limit)
    }

    /// `read(_:limit:)`, from a file already open (from its offset on); `path` names it
    /// in messages.
    public static func read(_ file: borrowing OwnedDescriptor, path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        // A regular file gives its size: it is read at once, then once more to see its
        // end, into memory reserved for both (an apply file of 10,000 routes is 500 KiB:
        // a page at a time, the array grew and was copied a dozen times). Others (files
        // under /proc say 0) are read a page at a time.
        var status = stat()
        let regular = fstat(file.rawValue, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
        let size = regular ? Int(status.st_size) : 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, size + 4096))
        while bytes.count < limit {
            let start = bytes.count
            let room = min(max(4096, size + 1 - start), limit - start)
            bytes.append(contentsOf: repeatElement(0, count: room))
            let result = bytes.withUnsafeMutableBytes { buffer in
                valueOrErrno { Glibc.read(file.rawValue, buffer.baseAddress! + start, room) }
            }
            let count: Int
            switch result {
            case .success(let read): count = read
            case .failure(let errno): throw SystemError("cannot read \(path)", errno: errno)
            }
            bytes.removeLast(room - count)
            if count == 0 { break }
        }
        return bytes
    }

    /// The names of the entries of a directory, in no particular order, without "."
    /// and "..".
    public static func names(in directory: String) throws(SystemError) -> [String] {
        guard let handle = opendir(directory) else {
            throw SystemError("cannot list \(directory)", errno: Errno(rawValue: Glibc.errno))
        }
        defer { closedir(handle) }
        var names: [String] = []
        // d_name is read through a pointer, up to its NUL: an entry holds only as much of the
        // 256-byte array as its name needs, and copying the whole field (entry.pointee.d_name)
        // reads past the last entry of readdir's buffer (the address sanitizer saw it).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(handle) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// The `*.conf` files of a `.d`-style directory, in name order, hidden ones left
    /// out (as iproute2 reads rt_protos.d and systemd its drop-ins); none when the
    /// directory cannot be listed.
    public static func configurationFiles(in directory: String) -> [String] {
        let names = (try? names(in: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0.count > 5 && $0.hasSuffix(".conf") }.sorted().map { directory + "/" + $0 }
    }

    /// Replaces the file at `path` with `bytes`, so that a reader sees the old content
    /// or the new, never a part: they are written to a temporary file beside it, which
    /// is then renamed over it. On failure the temporary file is removed and `path`
    /// left as it was. With `durable`, the file is synced before the rename and its
    /// directory after it, so that a crash or a power cut also leaves the old content
    /// or the new (what a keepalive watcher's state file needs).
    public static func replace(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = false) throws(SystemError) {
        let temporary = path + ".tmp.\(getpid())"
        let raw = try systemCall("cannot write \(temporary)") {
            Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        }
        let file = OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
        do throws(SystemError) {
            try writeAll(bytes, to: file, temporary)
            if durable { try systemCall("cannot sync \(temporary)") { fsync(file.rawValue) } }
            // A deferred write error shows at close: the file is not put in place then.
            try file.close()
            try systemCall("cannot replace \(path)") { rename(temporary, path) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
        if durable { try syncDirectory(of: path) }
    }

    /// Writes `bytes` into the file at `path` as it stands, without creating or
    /// truncating it: a kernel setting under /proc/sys (a write there is an action).
    public static func write(_ path: String, _ bytes: [UInt8]) throws(SystemError) {
        let raw = try systemCall("cannot open \(path)") { Glibc.open(path, O_WRONLY | O_CLOEXEC) }
        let file = OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
        try writeAll(bytes, to: file, path)
        try file.close()
    }

    private static func writeAll(_ bytes: [UInt8], to file: borrowing OwnedDescriptor, _ path: String) throws(SystemError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                valueOrErrno { Glibc.write(file.rawValue, buffer.baseAddress! + written, buffer.count - written) }
            }
            switch result {
            case .success(let count): written += count
            case .failure(let errno): throw SystemError("cannot write \(path)", errno: errno)
            }
        }
    }

    /// Removes the file (or socket) at `path`; nothing there is not a failure. With
    /// `durable`, the removal survives a crash.
    public static func remove(_ path: String, durable: Bool = false) throws(SystemError) {
        switch valueOrErrno({ unlink(path) }) {
        case .success: break
        case .failure(.noSuchFileOrDirectory): return
        case .failure(let errno): throw SystemError("cannot remove \(path)", errno: errno)
        }
        if durable { try syncDirectory(of: path) }
    }

    /// Makes the renames and removals in the directory of `path` durable.
    private static func syncDirectory(of path: String) throws(SystemError) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let name = directory.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : directory
        let raw = try systemCall("cannot open \(name)") { Glibc.open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        let handle = OwnedDescriptor(taking: FileDescriptor(rawValue: raw))
        try systemCall("cannot sync \(name)") { fsync(handle.rawValue) }
    }

    /// Makes a directory unless there is one (its parent must exist).
    public static func createDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        switch valueOrErrno({ mkdir(path, mode) }) {
        case .success, .failure(.fileExists): return
        case .failure(let errno): throw SystemError("cannot create \(path)", errno: errno)
        }
    }

    /// The device and inode of what an open descriptor refers to ("DEVICE:INODE" is
    /// how systemd names the journal's stream in `$JOURNAL_STREAM`); nil when it is
    /// not open.
    public static func identity(ofDescriptor descriptor: CInt) -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        guard case .success = valueOrErrno({ fstat(descriptor, &status) }) else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }
}
