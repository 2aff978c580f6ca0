import GreKit

/// Renders domain `Field`s as iproute2 does: text words joined by spaces (a word
/// that starts a new line, or follows a tab, attaches without one), or JSON members.
enum FieldRenderer {
    static func text(_ fields: [Field]) -> String {
        var line = ""
        for field in fields {
            guard let text = field.text, !text.isEmpty else { continue }
            if !line.isEmpty, !text.hasPrefix("\n"), !line.hasSuffix("\n"), !line.hasSuffix(" "), !line.hasSuffix("\t") {
                line += " "
            }
            line += text
        }
        return line
    }

    /// Writes the fields as one JSON object.
    static func object(_ fields: [Field], into writer: inout JSONWriter) {
        writer.beginObject()
        json(fields, into: &writer)
        writer.endObject()
    }

    /// Writes the fields as members of the JSON object currently open.
    static func json(_ fields: [Field], into writer: inout JSONWriter) {
        for field in fields where field.inJSON {
            guard let key = field.key else { continue }
            writer.name(key)
            value(field.value, into: &writer)
        }
    }

    static func value(_ value: Field.Value, into writer: inout JSONWriter) {
        switch value {
        case .string(let text): writer.string(text)
        case .unsigned(let number): writer.unsigned(number)
        case .signed(let number): writer.signed(number)
        case .decimal(let number, let fractionDigits): writer.decimal(number, fractionDigits: fractionDigits)
        case .bool(let flag): writer.bool(flag)
        case .null: writer.null()
        case .object(let members): object(members, into: &writer)
        case .array(let elements):
            writer.beginArray()
            for element in elements { self.value(element, into: &writer) }
            writer.endArray()
        }
    }
}
