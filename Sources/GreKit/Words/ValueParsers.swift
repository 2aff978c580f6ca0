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

    /// A prefix "ADDRESS[/LENGTH]" whose bits past the length are zero (a route's destination).
    public static func prefix(_ text: String, for keyword: String) throws(InvalidArgument) -> IPPrefix {
        let prefix = try anyPrefix(text, for: keyword)
        guard prefix.network == prefix.address else {
            throw InvalidArgument("invalid \(keyword) \"\(text)\": bits are set past the prefix length (the prefix is \(prefix.network)/\(prefix.length))")
        }
        return prefix
    }

    /// A prefix "ADDRESS[/LENGTH]" as given, host bits and all (addresses, selectors).
    public static func anyPrefix(_ text: String, for keyword: String) throws(InvalidArgument) -> IPPrefix {
        do {
            return try text.withUTF8Bytes { try IPPrefix(utf8: $0) }
        } catch {
            throw .badValue(keyword, text, expected: "an IPv4 or IPv6 prefix (ADDRESS/LENGTH)")
        }
    }

    /// A name from one of iproute2's databases, or a number.
    public static func name(_ text: String, in table: NameTable, for keyword: String) throws(InvalidArgument) -> UInt8 {
        guard let id = table.id(of: text) else {
            throw .badValue(keyword, text, expected: "a number 0..255 or a name from \(table.source)")
        }
        return UInt8(id)
    }

    /// A routing table: a number, or a name from rt_tables.
    public static func table(_ text: String) throws(InvalidArgument) -> UInt32 {
        guard let id = RouteNames.tables.id(of: text) else {
            throw .badValue("table", text, expected: "a number or a name from \(RouteNames.tables.source)")
        }
        return id
    }

    /// A TOS (DS field) byte, in hexadecimal as iproute2 reads it.
    public static func dsfield(_ text: String, for keyword: String) throws(InvalidArgument) -> UInt8 {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : Substring(text)
        guard !digits.isEmpty, let value = UInt8(digits, radix: 16) else {
            throw .badValue(keyword, text, expected: "a hexadecimal number 0..ff")
        }
        return value
    }
}
