import GreKit

/// Prints a list of objects as text lines or as one JSON array, streaming.
enum Printer {
    /// `terminator` ends each text line (iproute2 leaves a space before it for some objects).
    static func print<Element>(
        _ elements: some Sequence<Element>, session: Session, terminator: String = "\n", fields: (Element) -> [Field]
    ) {
        let output = session.output
        if session.options.json {
            var writer = session.jsonWriter()
            writer.beginArray()
            for element in elements { FieldRenderer.object(fields(element), into: &writer) }
            writer.endArray()
            writer.finish()
        } else {
            for element in elements {
                output.write(FieldRenderer.text(fields(element)))
                output.write(terminator)
            }
        }
    }

    /// Prints one object: a JSON object rather than an array of one.
    static func print(one fields: [Field], session: Session) {
        guard session.options.json else {
            print([fields], session: session) { $0 }
            return
        }
        var writer = session.jsonWriter()
        FieldRenderer.object(fields, into: &writer)
        writer.finish()
    }
}
