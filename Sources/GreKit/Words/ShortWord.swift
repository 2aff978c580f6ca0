/// The bytes of a word of at most 16 bytes, held in the value as two numbers: compared
/// with another word's in two comparisons, with no array to retain and none of the
/// generic `elementsEqual`'s byte-at-a-time steps. (An interface name has at most 15
/// bytes, an IPv4 address 15.)
struct ShortWord: Equatable {
    private var bytes: (UInt64, UInt64) = (0, 0)
    private let count: Int

    /// Nil for a word longer than 16 bytes.
    init?(_ word: UnsafeBufferPointer<UInt8>) {
        guard word.count <= MemoryLayout.size(ofValue: bytes) else { return nil }
        count = word.count
        withUnsafeMutableBytes(of: &bytes) { $0.copyMemory(from: UnsafeRawBufferPointer(word)) }
    }

    static func == (lhs: ShortWord, rhs: ShortWord) -> Bool {
        lhs.count == rhs.count && lhs.bytes.0 == rhs.bytes.0 && lhs.bytes.1 == rhs.bytes.1
    }
}

/// The value last read from a word, kept with the word's bytes: a file of many routes
/// names one gateway and one device line after line, and each is read once.
struct LastRead<Value> {
    private var last: (word: ShortWord, value: Value)?

    /// `read(word)`, or the value last read if `word`'s bytes are those it was read
    /// from. `read` must give the same value for the same bytes; a nil is not kept.
    mutating func value(of word: UnsafeBufferPointer<UInt8>, _ read: (UnsafeBufferPointer<UInt8>) -> Value?) -> Value? {
        guard let short = ShortWord(word) else { return read(word) }
        if let last, last.word == short { return last.value }
        guard let value = read(word) else { return nil }
        last = (short, value)
        return value
    }
}

/// Bytes kept from one line to the next, in memory kept with them: bytes kept again are
/// copied over the last, and the memory grows only for more of them (an array made
/// afresh, or emptied and filled, cost 130 instructions a line).
struct KeptBytes {
    private var storage: [UInt8] = []
    private var count = 0

    /// Whether `bytes` are those kept last.
    func equals(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == count && storage.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[..<count]).hasSameBytes(as: bytes) }
    }

    /// Keeps `bytes` instead of the last.
    mutating func keep(_ bytes: UnsafeBufferPointer<UInt8>) {
        if storage.count < bytes.count {
            storage = Array(bytes)
        } else if let base = bytes.baseAddress {
            storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: base, count: bytes.count) }
        }
        count = bytes.count
    }
}
