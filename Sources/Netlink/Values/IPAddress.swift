#if canImport(Glibc)
import Glibc
#endif

/// Address families as the kernel numbers them.
public enum AddressFamily: UInt8, Sendable {
    case unspecified = 0
    case inet = 2
    case inet6 = 10

    public var bitWidth: Int { self == .inet6 ? 128 : 32 }
}

/// An IPv4 address; `value` holds a.b.c.d as the number (a << 24 | ...).
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted quad, also in iproute2's short forms: "10" is 10.0.0.0, "10.1" is 10.1.0.0.
    /// Decimal only, and without leading zeros: iproute2 reads "010" as octal (8) and
    /// "0x0a" as hexadecimal, so such a number is refused rather than read otherwise.
    public init?(_ text: some StringProtocol) {
        guard let address = String(text).withUTF8Bytes(Self.init(utf8:)) else { return nil }
        self = address
    }

    /// The same from bytes (batch files parse millions of these).
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard let (address, end) = Self.leading(text), end == text.count else { return nil }
        self = address
    }

    /// The address `text` starts with, read up to the first byte that cannot go on
    /// with it (the text's end, a prefix's slash, anything else), and where that byte
    /// is; nil when what comes before it is no address. A prefix's address is read so
    /// in the same pass that finds its slash.
    static func leading(_ text: UnsafeBufferPointer<UInt8>) -> (address: IPv4Address, end: Int)? {
        var result: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var end = 0
        while end < text.count {
            let byte = text[end]
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                // A digit after a leading zero: octal to iproute2.
                guard digits == 0 || current != 0 else { return nil }
                // At most 3 digits of at most 255: no overflow to check.
                current = current &* 10 &+ UInt32(digit)
                digits &+= 1
                guard digits <= 3, current <= 255 else { return nil }
            } else if byte == UInt8(ascii: "."), digits > 0, parts < 3 {
                result = result << 8 | current
                parts &+= 1
                current = 0
                digits = 0
            } else {
                break
            }
            end &+= 1
        }
        guard digits > 0 else { return nil }
        result = result << 8 | current
        parts &+= 1
        return (IPv4Address(result << (8 * UInt32(4 - parts))), end)
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    public var description: String { IPAddress.v4(self).description }

    public var isMulticast: Bool { value >> 28 == 0xe }
    public var isUnspecified: Bool { value == 0 }
    public var isLoopback: Bool { value >> 24 == 127 }
}

/// An IPv6 address as two 64-bit halves in numeric (host) order.
public struct IPv6Address: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public init?(_ text: some StringProtocol) {
        guard let address = String(text).withUTF8Bytes(Self.init(utf8:)) else { return nil }
        self = address
    }

    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        // inet_pton wants a C string; the longest IPv6 text is 45 bytes.
        guard text.count < 64 else { return nil }
        var storage = in6_addr()
        let ok = withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { cString in
            UnsafeMutableRawBufferPointer(cString).copyMemory(from: UnsafeRawBufferPointer(text))
            cString[text.count] = 0
            return inet_pton(AF_INET6, cString.baseAddress, &storage) == 1
        }
        guard ok else { return nil }
        self = withUnsafeBytes(of: storage) { IPv6Address(networkBytes: $0) }
    }

    @inlinable init(networkBytes bytes: UnsafeRawBufferPointer) {
        high = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
        low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    public var isMulticast: Bool { high >> 56 == 0xff }
    public var isUnspecified: Bool { high == 0 && low == 0 }
    public var isLinkLocal: Bool { high >> 54 == 0x3fa }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses "192.0.2.1" or "2001:db8::1".
    public init?(_ text: some StringProtocol) {
        guard let address = String(text).withUTF8Bytes(Self.init(utf8:)) else { return nil }
        self = address
    }

    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        // IPv4 first: it stops at the first byte that is no digit or dot.
        if let address = IPv4Address(utf8: text) {
            self = .v4(address)
        } else if text.contains(UInt8(ascii: ":")), let address = IPv6Address(utf8: text) {
            self = .v6(address)
        } else {
            return nil
        }
    }

    /// Decodes 4 or 16 bytes in network order.
    @inlinable public init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 4: self = .v4(IPv4Address(UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self))))
        case 16: self = .v6(IPv6Address(networkBytes: bytes))
        default: return nil
        }
    }

    public var family: AddressFamily {
        switch self {
        case .v4: .inet
        case .v6: .inet6
        }
    }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a.isUnspecified
        case .v6(let a): a.isUnspecified
        }
    }

    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a.isMulticast
        case .v6(let a): a.isMulticast
        }
    }

    public static func zero(_ family: AddressFamily) -> IPAddress {
        family == .inet6 ? .v6(IPv6Address(high: 0, low: 0)) : .v4(IPv4Address(0))
    }

    public var description: String {
        String(unsafeUninitializedCapacity: Self.textCapacity) { writeText(to: $0.baseAddress!) }
    }

    /// The room `writeText` needs: inet_ntop's longest IPv6 text and its terminating zero.
    @inlinable public static var textCapacity: Int { Int(INET6_ADDRSTRLEN) }

    /// Writes the usual text form ("192.0.2.1", "2001:db8::1" as inet_ntop writes it) to
    /// `text`, which has room for `textCapacity` bytes, and returns its length. Nothing is
    /// allocated: route dumps write millions of addresses.
    @inlinable public func writeText(to text: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        switch self {
        case .v4(let address):
            for shift in stride(from: 24 as UInt32, through: 0, by: -8) {
                let octet = UInt8(truncatingIfNeeded: address.value >> shift)
                if shift != 24 { text[count] = UInt8(ascii: "."); count &+= 1 }
                if octet >= 100 { text[count] = UInt8(ascii: "0") &+ octet / 100; count &+= 1 }
                if octet >= 10 { text[count] = UInt8(ascii: "0") &+ octet / 10 % 10; count &+= 1 }
                text[count] = UInt8(ascii: "0") &+ octet % 10
                count &+= 1
            }
        case .v6:
            withNetlinkPayload { raw in
                text.withMemoryRebound(to: CChar.self, capacity: Self.textCapacity) { chars in
                    if inet_ntop(AF_INET6, raw.baseAddress, chars, socklen_t(Self.textCapacity)) != nil {
                        count = strlen(chars)
                    }
                }
            }
        }
        return count
    }
}

extension IPAddress: NetlinkEncodable {
    @inlinable public func withNetlinkPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .v4(let address):
            return try withUnsafeBytes(of: address.value.bigEndian, body)
        case .v6(let address):
            return try withUnsafeBytes(of: (address.high.bigEndian, address.low.bigEndian), body)
        }
    }
}

/// An address with a prefix length: "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" (/32).
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var length: UInt8

    public init(address: IPAddress, length: UInt8) {
        self.address = address
        self.length = length
    }

    public enum ParseError: Error, Equatable {
        case badAddress
        case badLength
        /// A netmask given for the length whose one bits are not all leading.
        case nonContiguousMask
    }

    public init(parsing text: some StringProtocol) throws(ParseError) {
        let parsed = String(text).withUTF8Bytes { bytes in Result { () throws(ParseError) in try IPPrefix(utf8: bytes) } }
        self = try parsed.get()
    }

    /// "ADDRESS[/LENGTH]"; the length in decimal without a leading zero (iproute2 reads
    /// "010" as octal), or, as iproute2 also takes it, an IPv4 netmask ("/255.255.0.0").
    public init(utf8 text: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        let address: IPAddress
        var slash = 0
        if let (v4, end) = IPv4Address.leading(text), end == text.count || text[end] == UInt8(ascii: "/") {
            // An IPv4 address up to the slash, read as it was found (looking for the
            // slash first took as long as reading the address).
            address = .v4(v4)
            slash = end
        } else {
            while slash < text.count, text[slash] != UInt8(ascii: "/") { slash &+= 1 }
            guard let other = IPAddress(utf8: UnsafeBufferPointer(rebasing: text[..<slash])) else { throw .badAddress }
            address = other
        }
        let width = address.family.bitWidth
        var length = width
        if slash != text.count {
            length = try Self.length(UnsafeBufferPointer(rebasing: text[(slash &+ 1)...]))
            guard length <= width else { throw .badLength }
        }
        self.address = address
        self.length = UInt8(length)
    }

    @inline(__always)
    private static func length(_ text: UnsafeBufferPointer<UInt8>) throws(ParseError) -> Int {
        if text.count > 0, text.count <= 3, text[0] != UInt8(ascii: "0") || text.count == 1 {
            var length = 0
            for byte in text {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return try netmaskLength(text) }
                length = length &* 10 &+ Int(digit)
            }
            return length
        }
        return try netmaskLength(text)
    }

    /// The length a contiguous IPv4 netmask gives (iproute2's get_netmask).
    private static func netmaskLength(_ text: UnsafeBufferPointer<UInt8>) throws(ParseError) -> Int {
        guard text.contains(UInt8(ascii: ".")), let mask = IPv4Address(utf8: text) else { throw .badLength }
        let host = ~mask.value
        guard host & (host &+ 1) == 0 else { throw .nonContiguousMask }
        return mask.value.nonzeroBitCount
    }

    public var family: AddressFamily { address.family }

    /// The address with every bit past the prefix length cleared.
    public var network: IPAddress {
        switch address {
        case .v4(let a):
            // A length past the address's bits (a malformed selector's) leaves it whole.
            let mask: UInt32 = length == 0 ? 0 : length >= 32 ? ~0 : ~UInt32(0) << (32 - UInt32(length))
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            let highMask: UInt64 = length == 0 ? 0 : length >= 64 ? ~0 : ~UInt64(0) << (64 - UInt64(length))
            let lowMask: UInt64 = length <= 64 ? 0 : length >= 128 ? ~0 : ~UInt64(0) << (128 - UInt64(length))
            return .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }

    /// Whether `other` falls inside this prefix.
    public func contains(_ other: IPAddress) -> Bool {
        guard other.family == family else { return false }
        return IPPrefix(address: other, length: length).network == network
    }

    public var description: String { "\(address)/\(length)" }
}

extension String {
    /// Runs `body` on the string's UTF-8 bytes: in place for a native or small string
    /// (no copy, nothing reference counted), else on a copy. Parsers of words use it.
    @inlinable public func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        return try Array(utf8).withUnsafeBufferPointer(body)
    }
}
