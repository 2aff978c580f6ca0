import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Files read whole: iproute2's name databases, kernel settings under /proc/sys.
public enum Files {
    /// The bytes of the file at `path`, at most `limit` of them (a file under /proc may
    /// be endless). EINTR is retried; any other failure throws, naming the path.
    public static func read(_ path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        let file = try OwnedDescriptor.open(readingFrom: path)
        var bytes: [UInt8] = []
        while bytes.count < limit {
            let start = bytes.count
            let room = min(4096, limit - start)
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
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
