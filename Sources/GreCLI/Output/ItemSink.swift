import GreKit

/// Where a route's items go: text words or JSON members. Routes are written through
/// a sink rather than described as `[Field]`: a dump can hold a million of them, and
/// iproute2 takes 60% of its time formatting, so nothing is built per route but bytes.
protocol ItemSink {
    static var isJSON: Bool { get }
    var output: OutputBuffer { get }
    /// Text "[LABEL ]VALUE "; JSON "KEY":"VALUE". `value` writes bytes that need no escaping.
    mutating func quoted(_ key: String, _ label: String?, _ value: (OutputBuffer) -> Void)
    /// Text "[LABEL ]N "; JSON "KEY":N.
    mutating func number(_ key: String, _ label: String?, _ value: UInt64)
    /// Text "[LABEL ]VALUE "; JSON "KEY":"VALUE", escaped (names may hold anything).
    mutating func string(_ key: String, _ label: String?, _ value: String)
    /// Text "TEXT "; JSON "KEY":null (a word that is there or not, as iproute2's print_null).
    mutating func null(_ key: String, _ text: String)
    /// Text "TEXT "; JSON "KEY":true (as iproute2's print_bool of a flag that is set).
    mutating func truth(_ key: String, _ text: String)
    /// JSON only: nests and lists.
    mutating func beginObject(_ key: String?)
    mutating func endObject()
    mutating func beginArray(_ key: String)
    mutating func endArray()
    /// JSON only: a string element of the open list.
    mutating func element(_ value: String)
    /// A described object: text `prefix` then its words; JSON "KEY":{...}.
    mutating func object(_ key: String, prefix: String, _ fields: [Field])
}

struct TextSink: ItemSink {
    static let isJSON = false
    let output: OutputBuffer

    mutating func quoted(_ key: String, _ label: String?, _ value: (OutputBuffer) -> Void) {
        if let label { output.write(label); output.write(UInt8(ascii: " ")) }
        value(output)
        output.write(UInt8(ascii: " "))
    }

    mutating func number(_ key: String, _ label: String?, _ value: UInt64) {
        quoted(key, label) { $0.write(decimal: value) }
    }

    mutating func string(_ key: String, _ label: String?, _ value: String) {
        quoted(key, label) { $0.write(value) }
    }

    mutating func null(_ key: String, _ text: String) { quoted(key, nil) { $0.write(text) } }
    mutating func truth(_ key: String, _ text: String) { quoted(key, nil) { $0.write(text) } }

    func beginObject(_ key: String?) {}
    func endObject() {}
    func beginArray(_ key: String) {}
    func endArray() {}
    func element(_ value: String) {}

    func object(_ key: String, prefix: String, _ fields: [Field]) {
        output.write(prefix + FieldRenderer.text(fields) + " ")
    }
}

struct JSONSink: ItemSink {
    static let isJSON = true
    var writer: JSONWriter
    let output: OutputBuffer

    mutating func quoted(_ key: String, _ label: String?, _ value: (OutputBuffer) -> Void) {
        writer.name(key)
        writer.raw(quoted: true, value)
    }

    mutating func number(_ key: String, _ label: String?, _ value: UInt64) {
        writer.name(key)
        writer.unsigned(value)
    }

    mutating func string(_ key: String, _ label: String?, _ value: String) {
        writer.name(key)
        writer.string(value)
    }

    mutating func null(_ key: String, _ text: String) {
        writer.name(key)
        writer.null()
    }

    mutating func truth(_ key: String, _ text: String) {
        writer.name(key)
        writer.bool(true)
    }

    mutating func beginObject(_ key: String?) {
        if let key { writer.name(key) }
        writer.beginObject()
    }

    mutating func endObject() { writer.endObject() }

    /// A JSON array that is closed even when listing fails midway, so standard output
    /// stays valid JSON whatever goes to standard error.
    mutating func list(_ body: (inout JSONSink) throws -> Void) rethrows {
        writer.beginArray()
        defer {
            writer.endArray()
            writer.finish()
        }
        try body(&self)
    }

    mutating func beginArray(_ key: String) {
        writer.name(key)
        writer.beginArray()
    }

    mutating func endArray() { writer.endArray() }
    mutating func element(_ value: String) { writer.string(value) }

    mutating func object(_ key: String, prefix: String, _ fields: [Field]) {
        writer.name(key)
        FieldRenderer.object(fields, into: &writer)
    }
}
