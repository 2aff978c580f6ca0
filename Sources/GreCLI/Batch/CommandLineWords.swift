import GreKit

/// Splits a batch line into words, as iproute2's makeargs: blanks separate, and a word
/// that starts with a quote runs to the same quote. (`LineReader` takes comments away.)
enum CommandLineWords {
    /// Splits line after line straight from their bytes, into the command (object and
    /// verb) and the verb's words. Lines of a batch repeat most of their words ("route
    /// add ... via 198.51.100.2 dev va"): a word whose bytes are those of the previous
    /// line's word in the same place stays where it is, so a line costs a string only
    /// for each word that changed, and no array.
    struct Splitter {
        /// The line's first two words (the object and the verb), then the others.
        private(set) var command: [String] = []
        private(set) var arguments: [String] = []
        /// The bytes of the words above, and the previous line's (swapped, not reallocated).
        private var line = WordBytes()
        private var previous = WordBytes()

        /// The line's words in the form a pipeline's tag keeps them.
        func withWordBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
            body(UnsafeRawBufferPointer(line.words))
        }

        mutating func split(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Void, InvalidArgument> {
            swap(&line, &previous)
            guard let changed = line.gather(bytes, comparedWith: previous) else {
                // No word is kept: the next line is compared with nothing.
                line.clear()
                command.removeAll()
                arguments.removeAll()
                return .failure(InvalidArgument("unterminated quote"))
            }
            let count = line.count
            for index in 0..<count where changed.contains(index) {
                let word = line.word(index)
                // A string made in place: short ASCII words (most) need no validation.
                store(String(unsafeUninitializedCapacity: word.count) { $0.initialize(fromContentsOf: word) }, at: index)
            }
            if command.count > min(count, 2) { command.removeLast(command.count - min(count, 2)) }
            if arguments.count > max(count - 2, 0) { arguments.removeLast(arguments.count - max(count - 2, 0)) }
            return .success(())
        }

        private mutating func store(_ word: String, at index: Int) {
            if index < 2 {
                if index < command.count { command[index] = word } else { command.append(word) }
            } else if index - 2 < arguments.count {
                arguments[index - 2] = word
            } else {
                arguments.append(word)
            }
        }
    }
}

extension CommandLineWords {
    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    @inline(__always)
    static func isQuote(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
