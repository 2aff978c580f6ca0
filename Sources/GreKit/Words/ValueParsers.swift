#if canImport(Glibc)
import Glibc
#endif

/// Parsers for the values iproute2 words take. Each returns the value or throws
/// an `InvalidArgument` naming the keyword, the value and what was expected.
public enum Parse {
    /// A link group: a number, or a name from /etc/iproute2/group ("default", group 0,
    /// is known without the file), as rtnl_group_a2n reads it.
    public static func group(_ text: String, for keyword: String) throws(InvalidArgument) -> UInt32 {
        guard let group = RouteNames.linkGroups.id(of: text) else {
            throw .badValue(keyword, text, expected: "a number or a name from \(RouteNames.linkGroups.source)")
        }
        return group.rawValue
    }

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
            throw badAddress(keyword, text, expected: "an IPv4 or IPv6 address")
        }
        return address
    }

    /// The refusal of a word meant as an address or prefix: when it holds a number
    /// iproute2 reads otherwise than its digits say (see `misread`), that; else what
    /// was expected.
    public static func badAddress(_ keyword: String, _ text: String, expected: String) -> InvalidArgument {
        guard let reason = misread(text) else { return .badValue(keyword, text, expected: expected) }
        return InvalidArgument("invalid \(keyword) \"\(text)\": \(reason)")
    }

    /// Why iproute2 would read an address or prefix otherwise than gretool could: a
    /// number in it (an IPv4 octet, the length) with a leading zero, which iproute2's
    /// strtoul takes for octal ("010" is 8), or in hexadecimal ("0x0a"). Says which,
    /// and how to write what iproute2 reads and what the digits say. Nil when no
    /// number is so.
    static func misread(_ text: String) -> String? {
        let halves = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let isIPv4 = !halves[0].contains(":")
        let octets = isIPv4 ? halves[0].split(separator: ".", omittingEmptySubsequences: false) : []
        // A netmask length ("/255.255.0.0") is IPv4 text of its own: not looked into.
        let length = halves.count == 2 && !halves[1].contains(".") ? halves[1] : nil
        func isHex(_ number: Substring) -> Bool { number.count > 2 && (number.hasPrefix("0x") || number.hasPrefix("0X")) }
        func hasLeadingZero(_ number: Substring) -> Bool { number.count > 1 && number.hasPrefix("0") && UInt32(number) != nil }
        guard let culprit = (octets + (length.map { [$0] } ?? [])).first(where: { isHex($0) || hasLeadingZero($0) }) else {
            return nil
        }
        func value(_ number: Substring, asIproute2: Bool) -> UInt32? {
            if isHex(number) { return asIproute2 ? UInt32(number.dropFirst(2), radix: 16) : nil }
            if asIproute2, number.count > 1, number.hasPrefix("0") { return UInt32(number.dropFirst(), radix: 8) }
            return UInt32(number, radix: 10)
        }
        func rewritten(asIproute2: Bool) -> String? {
            var address = String(halves[0])
            if isIPv4 {
                var values: [UInt32] = []
                for octet in octets {
                    guard let value = value(octet, asIproute2: asIproute2), value <= 255 else { return nil }
                    values.append(value)
                }
                guard values.count <= 4 else { return nil }
                address = (values + [0, 0, 0]).prefix(4).map(String.init).joined(separator: ".")
            }
            guard halves.count == 2 else { return address }
            guard let length else { return address + "/" + halves[1] }
            guard let bits = value(length, asIproute2: asIproute2), bits <= (isIPv4 ? 32 : 128) else { return nil }
            return address + "/" + String(bits)
        }
        let what = isHex(culprit) ? "\"\(culprit)\" is hexadecimal" : "\"\(culprit)\" has a leading zero, which iproute2 reads as octal"
        var readings: [String] = []
        for reading in [rewritten(asIproute2: true), rewritten(asIproute2: false)] {
            if let reading, !readings.contains(reading) { readings.append(reading) }
        }
        return readings.isEmpty ? what : what + "; write " + readings.joined(separator: " or ")
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
            return try IPPrefix(parsing: text)
        } catch .nonContiguousMask {
            throw InvalidArgument("invalid \(keyword) \"\(text)\": the netmask \(text.split(separator: "/").last ?? "") is not contiguous (its one bits must lead, as in 255.255.0.0)")
        } catch {
            throw badAddress(keyword, text, expected: "an IPv4 or IPv6 prefix (ADDRESS/LENGTH or ADDRESS/NETMASK)")
        }
    }

    /// A name from one of iproute2's databases of one-byte values (protocols, scopes), or a number.
    public static func name<Value>(_ text: String, in table: NameTable<Value>, for keyword: String) throws(InvalidArgument) -> Value
    where Value.RawValue == UInt8 {
        guard let id = table.id(of: text) else {
            throw .badValue(keyword, text, expected: "a number 0..255 or a name from \(table.source)")
        }
        return id
    }

    /// A routing table: a number, or a name from rt_tables.
    public static func table(_ text: String) throws(InvalidArgument) -> RouteTable {
        guard let id = RouteNames.tables.id(of: text) else {
            throw .badValue("table", text, expected: "a number or a name from \(RouteNames.tables.source)")
        }
        return id
    }

    /// A TOS (DS field) byte as iproute2 reads it (rtnl_dsfield_a2n): a name from
    /// rt_dsfield ("AF11"), else a number in hexadecimal.
    public static func dsfield(_ text: String, for keyword: String) throws(InvalidArgument) -> UInt8 {
        // A number never starts a name there: "tos 0x10" reads no file.
        let named = text.utf8.first.map { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
        if named, let value = RouteNames.dsfields.id(of: text) { return value.rawValue }
        guard let value = parseDSField(text) else {
            throw .badValue(keyword, text, expected: "a hexadecimal number 0..ff or a name from \(RouteNames.dsfields.source)")
        }
        return value
    }

    /// A TOS byte in hexadecimal, "0x" optional, or nil: callers word their own refusal.
    static func parseDSField(_ text: String) -> UInt8? {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : Substring(text)
        return digits.isEmpty ? nil : UInt8(digits, radix: 16)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes spell the literal: a word read from a line's bytes compared
    /// with a keyword, without a string made of it. Inlinable: with the literal known
    /// where it is called, the comparison is a load or two, not a call to memcmp.
    @inlinable public func spells(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, literal.utf8Start, count) == 0)
    }

    /// Whether these bytes are `other`'s, one for one.
    @inlinable public func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        count == other.count && (count == 0 || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }
}
