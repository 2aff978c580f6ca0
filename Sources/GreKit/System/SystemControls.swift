/// Kernel settings under /proc/sys, read directly. /proc/sys/net shows the network
/// namespace of the reading thread, so after `-n NETNS` (setns) it shows that namespace's.
public struct SystemControls: Sendable {
    public var root: String

    public init(root: String = "/proc/sys") { self.root = root }

    /// An integer setting such as ["net", "ipv4", "conf", "gre1", "rp_filter"]; nil when
    /// it does not exist or cannot be read. Its first line is enough: the integer
    /// settings are one number long.
    public func integer(_ components: [String]) -> Int? {
        let path = ([root] + components).joined(separator: "/")
        guard let bytes = try? Files.read(path, limit: 64) else { return nil }
        let line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        return Int(String(decoding: line, as: UTF8.self).trimmingBlanks())
    }

    /// Writes a setting, such as ["net", "ipv4", "route", "flush"] (whose write is an action).
    public func set(_ components: [String], to value: String) throws(SystemError) {
        try Files.write(([root] + components).joined(separator: "/"), Array(value.utf8))
    }

    /// The sysctl(8) name of a setting: dots separate, so dots in a device name become slashes.
    public static func name(_ components: [String]) -> String {
        components.map { $0.replacing(".", with: "/") }.joined(separator: ".")
    }
}

extension String {
    fileprivate func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
