import GreKit

/// The options before the object, as `ip` takes them: single dash, long or
/// abbreviated ("-j", "-json"), a double dash accepted too.
public struct GlobalOptions: Sendable {
    public var json = false
    public var pretty = false
    public var details = false
    public var statistics = 0
    public var namespace: String?
    public var batchFile: String?
    public var force = false
    public var family: AddressFamily = .unspecified
    public var help = false
    public var version = false

    enum Option: Sendable {
        case json, pretty, details, statistics, namespace, batch, force, inet, inet6, help, version
    }

    static let table = KeywordTable<Option>([
        ("-json", .json, true), ("-pretty", .pretty, true), ("-details", .details, true),
        ("-stats", .statistics, true), ("-statistics", .statistics, true),
        ("-netns", .namespace, true), ("-batch", .batch, true), ("-force", .force, true),
        ("-4", .inet, false), ("-6", .inet6, false), ("-help", .help, true), ("-Version", .version, true),
    ])

    /// Every spelling, for help and completion.
    public static var spellings: [String] { table.spellings }

    /// Parses leading options; returns them and the words that follow.
    public static func parse(_ arguments: ArraySlice<String>) throws(InvalidArgument) -> (GlobalOptions, ArraySlice<String>) {
        var options = GlobalOptions()
        var rest = arguments
        let scanner = WordScanner([])
        while let word = rest.first, word.hasPrefix("-"), word.count > 1 {
            rest = rest.dropFirst()
            let spelling = word.hasPrefix("--") ? String(word.dropFirst()) : word
            // "-n" and "-b" are iproute2's short forms of -netns and -batch.
            let option: Option?
            switch spelling {
            case "-n": option = .namespace
            case "-b": option = .batch
            case "-s": option = .statistics
            case "-V", "-v": option = .version
            case "-h": option = .help
            default: option = table.lookup(spelling, in: scanner)?.keyword
            }
            guard let option else {
                throw InvalidArgument("unknown option \"\(word)\"; try \"gretool help\"")
            }
            switch option {
            case .json: options.json = true
            case .pretty: options.pretty = true
            case .details: options.details = true
            case .statistics: options.statistics += 1
            case .force: options.force = true
            case .inet: options.family = .inet
            case .inet6: options.family = .inet6
            case .help: options.help = true
            case .version: options.version = true
            case .namespace, .batch:
                guard let value = rest.first else { throw InvalidArgument("option \"\(word)\" needs a value") }
                rest = rest.dropFirst()
                if option == .namespace { options.namespace = value } else { options.batchFile = value }
            }
        }
        return (options, rest)
    }
}
