/// One item of an object's description, as iproute2's print_* calls produce it:
/// a JSON key and value, and the words the text output shows. Either side may be
/// absent (iproute2 prints some items only in JSON, some only as text).
public struct Field: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case unsigned(UInt64)
        case signed(Int64)
        /// A fixed-point number: `value` / 10^`fractionDigits` (0.412 from 412 and 3).
        case decimal(Int64, fractionDigits: Int)
        case bool(Bool)
        case null
        case object([Field])
        case array([Value])
    }

    public var key: String?
    public var value: Value
    /// The text words, without surrounding spaces; nil when the item is JSON-only.
    public var text: String?
    /// Whether the JSON side exists.
    public var inJSON: Bool

    public init(_ key: String, _ value: Value, text: String?) {
        self.key = key
        self.value = value
        self.text = text
        inJSON = true
    }

    /// Text-only words ("ttl inherit" where JSON says "ttl": 0 elsewhere).
    public static func textOnly(_ text: String) -> Field {
        var field = Field("", .null, text: text)
        field.inJSON = false
        return field
    }

    /// JSON-only item.
    public static func jsonOnly(_ key: String, _ value: Value) -> Field {
        Field(key, value, text: nil)
    }

    /// "key value" in text, "key": "value" in JSON.
    public static func string(_ key: String, _ value: String, label: String? = nil) -> Field {
        Field(key, .string(value), text: "\(label ?? key) \(value)")
    }

    /// "key N" in text, "key": N in JSON.
    public static func unsigned(_ key: String, _ value: some BinaryInteger, label: String? = nil) -> Field {
        Field(key, .unsigned(UInt64(value)), text: "\(label ?? key) \(value)")
    }

    /// A word shown when true ("iseq"), "key": true in JSON.
    public static func flag(_ key: String, text: String? = nil) -> Field {
        Field(key, .bool(true), text: text ?? key)
    }

    /// "key 0x1c" in text and JSON alike, as iproute2's print_0xhex.
    public static func hex(_ key: String, _ value: some BinaryInteger, label: String? = nil) -> Field {
        let text = hexadecimal(value)
        return Field(key, .string(text), text: "\(label ?? key) \(text)")
    }
}

/// "0x1c", zero-padded to `digits` hex digits ("0x%0*x").
public func hexadecimal(_ value: some BinaryInteger, digits: Int = 0) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
}
