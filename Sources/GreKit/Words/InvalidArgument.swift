/// Input refused before anything is sent to the kernel: a bad word, a bad value,
/// a missing value or a contradictory combination. The message names the culprit.
public struct InvalidArgument: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    public static func badValue(_ keyword: String, _ value: String, expected: String) -> InvalidArgument {
        InvalidArgument("invalid \(keyword) \"\(value)\": expected \(expected)")
    }

    public static func unknownWord(_ word: String, in context: String) -> InvalidArgument {
        InvalidArgument("unknown word \"\(word)\" in \(context)")
    }
}
