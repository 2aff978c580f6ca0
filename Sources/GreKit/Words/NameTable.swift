#if canImport(Glibc)
import Glibc
#endif

/// One of iproute2's name databases (/etc/iproute2/rt_tables and its .d directory,
/// rt_protos, rt_scopes, rt_realms, rt_dsfield, group): the names the numbers of one kind
/// of value go by (`Value`: `RouteTable`, `RouteProtocol`, `RouteScope`, `RouteRealm`,
/// `DSField`, `LinkGroup`).
///
/// A struct over a class that is not generic: a generic class's metadata is made at run
/// time, and made from its mangled name it checks `Value`'s conformances by scanning
/// every conformance in the program (callgrind found that scan in each `route show`).
public struct NameTable<Value: RawRepresentable>: Sendable where Value.RawValue: FixedWidthInteger & UnsignedInteger {
    private let database: NameDatabase

    public init(builtIn: [(Value, String)], path: String) {
        database = NameDatabase(builtIn: builtIn.map { (UInt32($0.0.rawValue), $0.1) }, path: path,
                                largest: UInt32(Value.RawValue.max))
    }

    /// The name of `value`, or its number in decimal.
    public func name(of value: Value) -> String { database.name(of: UInt32(value.rawValue)) }

    /// The value a word names: a name, or a number (decimal, 0x-hex, 0-octal) that fits
    /// the value's width (255 at most for protocols and scopes, 2^32-1 for tables).
    public func id(of word: String) -> Value? {
        // Numbers first when the word is one: a batch of a million routes with
        // "table 100" never reads a file.
        if let first = word.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            if let number = Parse.parseUnsigned(word, Value.RawValue.self) { return Value(rawValue: number) }
        }
        return database.id(named: word).flatMap { Value(rawValue: Value.RawValue($0)) }
    }

    /// Where the names come from, for messages.
    public var source: String { database.path }

    /// Every name, for completion.
    public var names: [String] { database.names }
}

/// The entries of one name database: the built-in names first; the files are read
/// once, and only when a number or a name must be translated that the built-in names
/// do not cover.
final class NameDatabase: @unchecked Sendable {
    private let builtIn: [(id: UInt32, name: String)]
    let path: String
    /// The greatest number the values named here may have.
    private let largest: UInt32
    // Loaded on first need, under `lock`: a CLI run asks from one thread, but the tables
    // are shared (static) and the unit tests ask from many at once. A pthread mutex, which
    // the thread sanitizer sees (Synchronization's Mutex waits on futexes it does not).
    private var fromFiles: [(id: UInt32, name: String)]?
    private let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()

    init(builtIn: [(UInt32, String)], path: String, largest: UInt32) {
        self.builtIn = builtIn.map { (id: $0.0, name: $0.1) }
        self.path = path
        self.largest = largest
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The name of `id`, or its number in decimal.
    func name(of id: UInt32) -> String {
        if let entry = builtIn.first(where: { $0.id == id }) { return entry.name }
        if let entry = files().first(where: { $0.id == id }) { return entry.name }
        return String(id)
    }

    /// The number a name stands for.
    func id(named name: String) -> UInt32? {
        if let entry = builtIn.first(where: { $0.name == name }) { return entry.id }
        return files().first(where: { $0.name == name })?.id
    }

    var names: [String] { builtIn.map(\.name) + files().map(\.name) }

    private func files() -> [(id: UInt32, name: String)] {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let fromFiles { return fromFiles }
        var entries = Self.load(path)
        for file in Files.configurationFiles(in: path + ".d") { entries += Self.load(file) }
        // A number too wide for the values names none of them: iproute2 skips the line.
        entries.removeAll { $0.id > largest }
        fromFiles = entries
        return entries
    }

    /// "ID NAME" lines; `#` starts a comment; ids in decimal or 0x-hex, as iproute2 reads them.
    static func parse(_ text: some Sequence<UInt8>) -> [(id: UInt32, name: String)] {
        var entries: [(id: UInt32, name: String)] = []
        var line: [UInt8] = []
        func finish() {
            defer { line.removeAll(keepingCapacity: true) }
            let words = line.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 13 })
            guard words.count >= 2, words[0].first != UInt8(ascii: "#"), words[1].first != UInt8(ascii: "#") else { return }
            let number = String(decoding: words[0], as: UTF8.self)
            guard let id = Parse.parseUnsigned(number, UInt32.self) else { return }
            entries.append((id, String(decoding: words[1], as: UTF8.self)))
        }
        for byte in text {
            if byte == 10 { finish() } else { line.append(byte) }
        }
        finish()
        return entries
    }

    /// The entries of one file; none when it cannot be read (iproute2 too goes on
    /// without a file it cannot open).
    private static func load(_ path: String) -> [(id: UInt32, name: String)] {
        (try? Files.read(path)).map(parse) ?? []
    }
}
