import GreKit

/// Prints objects described as `[Field]`: a list as text lines or as one JSON array,
/// streaming; one object as its text or one JSON object; and the records of a stream
/// (keepalive events) as JSON lines.
enum Printer {
    /// `terminator` ends each text line (iproute2 leaves a space before it for some objects);
    /// `jsonTerminator` follows each JSON object (`ip tunnel` writes a newline there).
    static func print<Element>(
        _ elements: some Sequence<Element>, session: Session, terminator: String = "\n", jsonTerminator: String = "",
        fields: (Element) -> [Field]
    ) {
        print(elements, session: session, terminator: { _ in terminator }, jsonTerminator: jsonTerminator, fields: fields)
    }

    /// The same, with each element's own terminator (iproute2 ends some lines with a
    /// space, and lines of the same object without one where their last word has none).
    static func print<Element>(
        _ elements: some Sequence<Element>, session: Session, terminator: (Element) -> String, jsonTerminator: String = "",
        fields: (Element) -> [Field]
    ) {
        let output = session.output
        if session.options.json {
            var writer = session.jsonWriter()
            writer.beginArray()
            for element in elements {
                FieldRenderer.object(fields(element), into: &writer)
                output.write(jsonTerminator)
            }
            writer.endArray()
            writer.finish()
        } else {
            for element in elements {
                output.write(text(fields(element), session: session))
                output.write(terminator(element))
            }
        }
    }

    /// An object's text; with -o on one line, a backslash where it would break one (as
    /// iproute2's _SL_), so that a script can read the objects line by line.
    static func text(_ fields: [Field], session: Session) -> String {
        let text = FieldRenderer.text(fields)
        return session.options.oneline ? oneLine(text) : text
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" ? "\\" : $0 })
    }

    /// Prints one object: a JSON object rather than an array of one. `json` overrides -j
    /// for a command that takes its own.
    static func print(one fields: [Field], session: Session, json: Bool? = nil) {
        guard json ?? session.options.json else {
            session.output.write(text(fields, session: session))
            session.output.write("\n")
            return
        }
        var writer = session.jsonWriter()
        FieldRenderer.object(fields, into: &writer)
        writer.finish()
    }

    /// Prints one record of a stream and flushes it, so that a reader sees it at once:
    /// its text, or a compact JSON object on a line of its own (JSON lines), which a
    /// program can read record by record without waiting for the stream to end.
    static func line(_ fields: [Field], output: OutputBuffer, json: Bool) {
        if json {
            var writer = JSONWriter(output: output, pretty: false)
            FieldRenderer.object(fields, into: &writer)
            writer.finish()
        } else {
            output.write(FieldRenderer.text(fields))
            output.write("\n")
        }
        output.flush()
    }
}
