#if canImport(Glibc)
import Glibc
#endif

/// One of iproute2's name databases (/etc/iproute2/rt_tables and its .d directory,
/// rt_protos, rt_scopes, rt_realms): numbers and the names they go by. The built-in
/// names answer first; the files are read once, and only when a number or a name
/// must be translated that the built-in names do not cover.
public final class NameTable: @unchecked Sendable {
    private let builtIn: [(id: UInt32, name: String)]
    private let path: String
    private let largest: UInt32
    // Single-threaded by design (a CLI run); loaded on first need.
    private var fromFiles: [(id: UInt32, name: String)]?

    /// `largest`: the greatest number a word may give (255 for protocols, 2^32-1 for tables).
    public init(builtIn: [(UInt32, String)], path: String, largest: UInt32) {
        self.builtIn = builtIn.map { (id: $0.0, name: $0.1) }
        self.path = path
        self.largest = largest
    }

    /// The name of `id`, or its number in decimal.
    public func name(of id: UInt32) -> String {
        if let entry = builtIn.first(where: { $0.id == id }) { return entry.name }
        if let entry = files().first(where: { $0.id == id }) { return entry.name }
        return String(id)
    }

    /// The number a word names: a name, or a number (decimal, 0x-hex, 0-octal).
    public func id(of word: String) -> UInt32? {
        // Numbers first when the word is one: a batch of a million routes with
        // "table 100" never reads a file.
        if let first = word.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            if let number = Parse.parseUnsigned(word, UInt32.self), number <= largest { return number }
        }
        if let entry = builtIn.first(where: { $0.name == word }) { return entry.id }
        return files().first(where: { $0.name == word })?.id
    }

    /// Where the names come from, for messages.
    public var source: String { path }

    /// Every name, for completion.
    public var names: [String] { builtIn.map(\.name) + files().map(\.name) }

    private func files() -> [(id: UInt32, name: String)] {
        if let fromFiles { return fromFiles }
        var entries = Self.load(path)
        for file in Self.configurationFiles(in: path + ".d") { entries += Self.load(file) }
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

    private static func load(_ path: String) -> [(id: UInt32, name: String)] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return parse(bytes)
    }

    /// The directory's *.conf files, in name order.
    private static func configurationFiles(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var files: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix("."), name.count > 5, name.hasSuffix(".conf") { files.append(directory + "/" + name) }
        }
        return files.sorted()
    }
}

/// The databases routes, rules and nexthops name their numbers with.
public enum RouteNames {
    public static let directory = "/etc/iproute2"

    /// Routing tables: rt_tables; local, main, default and unspec are always known.
    public static let tables = NameTable(
        builtIn: [(255, "local"), (254, "main"), (253, "default"), (0, "unspec")],
        path: directory + "/rt_tables", largest: UInt32.max)

    /// Who installed a route: rt_protos.
    public static let protocols = NameTable(
        builtIn: [(0, "unspec"), (1, "redirect"), (2, "kernel"), (3, "boot"), (4, "static"),
                  (8, "gated"), (9, "ra"), (10, "mrt"), (11, "zebra"), (12, "bird"), (13, "dnrouted"),
                  (14, "xorp"), (15, "ntk"), (16, "dhcp"), (18, "keepalived"), (42, "babel"),
                  (186, "bgp"), (187, "isis"), (188, "ospf"), (189, "rip"), (192, "eigrp")],
        path: directory + "/rt_protos", largest: 255)

    /// Route and address scopes: rt_scopes.
    public static let scopes = NameTable(
        builtIn: [(0, "global"), (255, "nowhere"), (254, "host"), (253, "link"), (200, "site")],
        path: directory + "/rt_scopes", largest: 255)

    /// Route realms: rt_realms.
    public static let realms = NameTable(builtIn: [], path: directory + "/rt_realms", largest: 255)

    /// A realm as iproute2 names it (rtnl_rtrealm_n2a): from rt_realms up to 255; realm 0
    /// is "unknown" unless the file names it (iproute2's table starts so, and the file,
    /// read for the realm printed before it, renames it: Debian's says "cosmos").
    public static func realm(_ id: UInt32) -> String {
        guard id < 256 else { return String(id) }
        let name = realms.name(of: id)
        return id == 0 && name == "0" ? "unknown" : name
    }
}
