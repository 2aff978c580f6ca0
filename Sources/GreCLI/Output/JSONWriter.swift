/// Streaming JSON in iproute2's layout (its lib/json_writer.c): compact by default;
/// pretty (-p) puts each member on its own line, indented by four spaces, and
/// pads arrays with a space inside the brackets. Output is always valid JSON.
public struct JSONWriter {
    private let output: OutputBuffer
    private let pretty: Bool
    private var depth = 0
    /// The separator owed before the next item: none at the start of a container.
    private var separatorOwed = false

    public init(output: OutputBuffer, pretty: Bool) {
        self.output = output
        self.pretty = pretty
    }

    private mutating func endOfRecord() {
        if separatorOwed { output.write(UInt8(ascii: ",")) }
        separatorOwed = true
    }

    private func endOfLine() {
        guard pretty else { return }
        output.write(UInt8(ascii: "\n"))
        for _ in 0..<depth { output.write("    ") }
    }

    public mutating func beginObject() {
        endOfRecord()
        output.write(UInt8(ascii: "{"))
        depth += 1
        separatorOwed = false
    }

    public mutating func endObject() {
        depth -= 1
        if separatorOwed { endOfLine() }
        output.write(UInt8(ascii: "}"))
        separatorOwed = true
    }

    public mutating func beginArray() {
        endOfRecord()
        output.write(UInt8(ascii: "["))
        if pretty { output.write(UInt8(ascii: " ")) }
        depth += 1
        separatorOwed = false
    }

    public mutating func endArray() {
        depth -= 1
        // An empty list is "[ ]", as iproute2 writes it.
        if pretty, separatorOwed { output.write(UInt8(ascii: " ")) }
        output.write(UInt8(ascii: "]"))
        separatorOwed = true
    }

    public mutating func name(_ key: String) {
        endOfRecord()
        endOfLine()
        separatorOwed = false
        writeQuoted(key)
        output.write(UInt8(ascii: ":"))
        if pretty { output.write(UInt8(ascii: " ")) }
    }

    public mutating func string(_ value: String) {
        endOfRecord()
        writeQuoted(value)
    }

    public mutating func unsigned(_ value: UInt64) {
        endOfRecord()
        output.write(decimal: value)
    }

    public mutating func signed(_ value: Int64) {
        endOfRecord()
        output.write(decimal: value)
    }

    /// A value `body` writes straight to the output, quoted or not: addresses and
    /// numbers, which need no escaping (hot in route dumps).
    public mutating func raw(quoted: Bool, _ body: (OutputBuffer) -> Void) {
        endOfRecord()
        if quoted { output.write(UInt8(ascii: "\"")) }
        body(output)
        if quoted { output.write(UInt8(ascii: "\"")) }
    }

    /// A number with a fixed count of decimals: `value` / 10^`fractionDigits`.
    public mutating func decimal(_ value: Int64, fractionDigits: Int) {
        endOfRecord()
        output.write(String(decimal: value, fractionDigits: fractionDigits))
    }

    public mutating func bool(_ value: Bool) {
        endOfRecord()
        output.write(value ? "true" : "false")
    }

    public mutating func null() {
        endOfRecord()
        output.write("null")
    }

    /// Ends the document as iproute2 does, with a newline.
    public func finish() {
        output.write(UInt8(ascii: "\n"))
    }

    private func writeQuoted(_ text: String) {
        output.write(UInt8(ascii: "\""))
        // Keys and most values need no escaping: then they go out whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.write(text)
            output.write(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.write("\\\"")
            case UInt8(ascii: "\\"): output.write("\\\\")
            case 0x0A: output.write("\\n")
            case 0x09: output.write("\\t")
            case 0x0D: output.write("\\r")
            case 0x08: output.write("\\b")
            case 0x0C: output.write("\\f")
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                output.write("\\u00" + (hex.count == 1 ? "0" : "") + hex)
            default: output.write(byte)
            }
        }
        output.write(UInt8(ascii: "\""))
    }
}

extension String {
    /// "0.412" for (412, 3): a fixed-point number as text, without floating point.
    init(decimal value: Int64, fractionDigits: Int) {
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let magnitude = value.magnitude
        let fraction = String(magnitude % UInt64(scale))
        self = (value < 0 ? "-" : "") + String(magnitude / UInt64(scale))
        if fractionDigits > 0 { self += "." + String(repeating: "0", count: fractionDigits - fraction.count) + fraction }
    }
}
