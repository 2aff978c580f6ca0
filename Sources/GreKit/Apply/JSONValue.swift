/// A JSON document (RFC 8259), as `apply` reads its JSON form. Objects keep their
/// members in order; numbers are kept as written (gretool's values are integers and
/// are read as words, never as floating point).
public indirect enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(a), .array(b)): a == b
        case let (.string(a), .string(b)), let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    /// A member of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// What a value is called in messages.
    public var typeName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// Nesting deeper than this is refused: gretool's documents are three levels deep.
    public static let maximumDepth = 32

    /// Parses a whole document; the error names the byte offset of the fault.
    public static func parse(_ bytes: [UInt8]) throws(InvalidArgument) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipBlanks()
        let value = try parser.value(depth: 0)
        parser.skipBlanks()
        guard parser.offset == bytes.count else { throw parser.error("unexpected text after the document") }
        return value
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> InvalidArgument {
        InvalidArgument("JSON: \(message) at byte \(offset)")
    }

    mutating func skipBlanks() {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
    }

    mutating func value(depth: Int) throws(InvalidArgument) -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw error("nesting deeper than \(JSONValue.maximumDepth) levels") }
        guard offset < bytes.count else { throw error("the document ends where a value was expected") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(InvalidArgument) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count,
              word.withUTF8Buffer({ Array($0) }) == Array(bytes[offset..<offset + count]) else { throw error("unexpected word") }
        offset += count
    }

    private mutating func object(depth: Int) throws(InvalidArgument) -> JSONValue {
        offset += 1
        var members: [(key: String, value: JSONValue)] = []
        skipBlanks()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
        while true {
            skipBlanks()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("a member name was expected") }
            let key = try string()
            if members.contains(where: { $0.key == key }) { throw error("member \"\(key)\" is given twice") }
            skipBlanks()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw error("\":\" was expected") }
            offset += 1
            skipBlanks()
            members.append((key, try value(depth: depth + 1)))
            skipBlanks()
            guard offset < bytes.count else { throw error("the document ends inside an object") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            guard bytes[offset] == UInt8(ascii: "}") else { throw error("\",\" or \"}\" was expected") }
            offset += 1
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(InvalidArgument) -> JSONValue {
        offset += 1
        var elements: [JSONValue] = []
        skipBlanks()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(elements) }
        while true {
            skipBlanks()
            elements.append(try value(depth: depth + 1))
            skipBlanks()
            guard offset < bytes.count else { throw error("the document ends inside an array") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            guard bytes[offset] == UInt8(ascii: "]") else { throw error("\",\" or \"]\" was expected") }
            offset += 1
            return .array(elements)
        }
    }

    private mutating func number() throws(InvalidArgument) -> String {
        let start = offset
        func digits() -> Int {
            let first = offset
            while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
            return offset - first
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let whole = offset
        guard digits() > 0 else { throw error("a digit was expected") }
        if bytes[whole] == UInt8(ascii: "0"), offset - whole > 1 { throw error("a number starts with 0") }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw error("a digit was expected after \".\"") }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw error("a digit was expected in the exponent") }
        }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    private mutating func string() throws(InvalidArgument) -> String {
        offset += 1
        var scalars = String.UnicodeScalarView()
        var run = offset
        var text = ""
        func flushRun(to end: Int) throws(InvalidArgument) {
            guard run < end else { return }
            guard let chunk = String(validating: bytes[run..<end], as: UTF8.self) else { throw error("a string is not UTF-8") }
            text += chunk
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                try flushRun(to: offset)
                offset += 1
                return text
            }
            if byte < 0x20 { throw error("a control character inside a string") }
            guard byte == UInt8(ascii: "\\") else { offset += 1; continue }
            try flushRun(to: offset)
            offset += 1
            guard offset < bytes.count else { break }
            let escaped = bytes[offset]
            offset += 1
            switch escaped {
            case UInt8(ascii: "\""): text += "\""
            case UInt8(ascii: "\\"): text += "\\"
            case UInt8(ascii: "/"): text += "/"
            case UInt8(ascii: "b"): text += "\u{8}"
            case UInt8(ascii: "f"): text += "\u{c}"
            case UInt8(ascii: "n"): text += "\n"
            case UInt8(ascii: "r"): text += "\r"
            case UInt8(ascii: "t"): text += "\t"
            case UInt8(ascii: "u"):
                var unit = try hex4()
                if (0xD800...0xDBFF).contains(unit) {
                    guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                        throw error("a lone surrogate")
                    }
                    offset += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate") }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(unit) else { throw error("a lone surrogate") }
                scalars.removeAll()
                scalars.append(scalar)
                text += String(scalars)
            default: throw error("an unknown escape")
            }
            run = offset
        }
        throw error("the document ends inside a string")
    }

    private mutating func hex4() throws(InvalidArgument) -> UInt32 {
        let digits = offset + 4 <= bytes.count ? bytes[offset..<offset + 4] : []
        guard digits.count == 4, digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }),
              let value = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) else {
            throw error("four hexadecimal digits were expected after \\u")
        }
        offset += 4
        return value
    }
}
