/// The words of a line of batch words, read in place: their bytes end to end, each
/// followed by one byte that ends it, and where each ends. A reader of many lines takes
/// a word by its place without a call (through a closure, each of a route line's seven
/// words cost 30 instructions). Valid as long as the memory it points to.
public struct LineWords {
    @usableFromInline let bytes: UnsafePointer<UInt8>
    /// Where each word's end mark is in `bytes`, from the first word of the line.
    @usableFromInline let ends: UnsafePointer<Int>
    /// The place in the line of the first word given (words before it were dropped).
    @usableFromInline let first: Int
    public let count: Int

    /// `count` words in `bytes`, the i-th followed by its end mark at `ends[i]`.
    @inlinable public init(bytes: UnsafePointer<UInt8>, ends: UnsafePointer<Int>, count: Int) {
        self.init(bytes, ends, first: 0, count: count)
    }

    @inlinable init(_ bytes: UnsafePointer<UInt8>, _ ends: UnsafePointer<Int>, first: Int, count: Int) {
        self.bytes = bytes
        self.ends = ends
        self.first = first
        self.count = count
    }

    @inlinable public subscript(index: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(index >= 0 && index < count, "no word \(index) of \(count)")
        let place = first &+ index
        let start = place == 0 ? 0 : ends[place &- 1] &+ 1
        return UnsafeBufferPointer(start: bytes + start, count: ends[place] &- start)
    }

    /// The words after the first `dropped`.
    @inlinable public func dropFirst(_ dropped: Int) -> LineWords {
        precondition(dropped >= 0 && dropped <= count, "\(dropped) of \(count) words dropped")
        return LineWords(bytes, ends, first: first &+ dropped, count: count &- dropped)
    }
}
