/// Parsers for the values iproute2 words take. Each returns the value or throws
/// an `InvalidArgument` naming the keyword, the value and what was expected.
public enum Parse {
    /// An unsigned number in decimal, 0x-hex or 0-octal (strtoul with base 0, as iproute2's get_u32).
    public static func unsigned<T: FixedWidthInteger & UnsignedInteger>(
        _ text: String, _: T.Type = T.self, for keyword: String,
        in range: ClosedRange<T> = T.min...T.max
    ) throws(InvalidArgument) -> T {
        let expected = range == T.min...T.max ? "a number 0..\(T.max)" : "a number \(range.lowerBound)..\(range.upperBound)"
        guard let value = parseUnsigned(text, T.self), range.contains(value) else {
            throw .badValue(keyword, text, expected: expected)
        }
        return value
    }

    static func parseUnsigned<T: FixedWidthInteger & UnsignedInteger>(_ text: String, _: T.Type) -> T? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            return text.count > 2 ? T(text.dropFirst(2), radix: 16) : nil
        }
        if text.count > 1, text.hasPrefix("0") { return T(text.dropFirst(), radix: 8) }
        return T(text, radix: 10)
    }

    /// An IPv4 or IPv6 address.
    public static func address(_ text: String, for keyword: String) throws(InvalidArgument) -> IPAddress {
        guard let address = text.withUTF8Bytes({ IPAddress(utf8: $0) }) else {
            throw .badValue(keyword, text, expected: "an IPv4 or IPv6 address")
        }
        return address
    }

    /// `on` or `off`.
    public static func onOff(_ text: String, for keyword: String) throws(InvalidArgument) -> Bool {
        switch text {
        case "on": return true
        case "off": return false
        default: throw .badValue(keyword, text, expected: "on or off")
        }
    }
}
