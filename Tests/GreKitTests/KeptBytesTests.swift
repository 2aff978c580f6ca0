import Testing
@testable import GreKit

/// A line reader keeps the bytes after a route line's destination from one line to the
/// next: what it kept last is what equals, whatever it kept before, longer or shorter.
@Suite struct KeptBytesTests {
    @Test func theBytesKeptLastAreThoseThatEqual() {
        var kept = KeptBytes()
        func equals(_ text: String) -> Bool { Array(text.utf8).withUnsafeBufferPointer { kept.equals($0) } }
        func keep(_ text: String) { Array(text.utf8).withUnsafeBufferPointer { kept.keep($0) } }
        #expect(equals(""))
        #expect(!equals(" dev va"))
        for text in [" via 198.51.100.2 dev va", " dev va", " via 198.51.100.2 dev va metric 100", "", " dev vb"] {
            keep(text)
            #expect(equals(text), "\(text)")
            for other in [" via 198.51.100.2 dev va", " dev va", " via 198.51.100.2 dev va metric 100", "", " dev vb", " dev v"] where other != text {
                #expect(!equals(other), "\(other) after \(text)")
            }
        }
    }
}
