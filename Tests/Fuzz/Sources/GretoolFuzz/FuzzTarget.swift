/// One parser of input that other parties control, as libFuzzer drives it: `run` takes
/// any bytes and must neither crash, nor trip a sanitizer, nor take long.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    /// Words that mean something to the parser, for libFuzzer's mutations (-dict=).
    var dictionary: @Sendable () -> [String] = { [] }
    /// Inputs this program makes for the target's corpus (--seeds), beside those captured.
    var seeds: @Sendable () -> [(name: String, bytes: [UInt8])] = { [] }
    let run: @Sendable (UnsafeRawBufferPointer) -> Void

    /// Every target: `make fuzz` and `make test` run each of them.
    static let all: [FuzzTarget] = [
        rtnetlink,
        xfrm,
        batch,
        apply,
        keepaliveConfiguration,
        control,
        keepalive,
        pathMTU,
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The target this process runs (libFuzzer's callback is a C function: it can
    /// only reach it through a global).
    nonisolated(unsafe) static var selected: FuzzTarget!
}

/// Stops the run when a property every input must keep does not hold: a finding. Its
/// message is printed in an optimised build too, which `precondition`'s is not.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// A libFuzzer dictionary: one quoted word a line, bytes outside printable ASCII escaped.
enum Dictionary {
    static func entries(_ words: [String]) -> [String] {
        var seen = Set<String>()
        return words.filter { !$0.isEmpty && seen.insert($0).inserted }.map { word in
            var line = "\""
            for byte in word.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): line += "\\" + String(UnicodeScalar(byte))
                case 0x20..<0x7f: line += String(UnicodeScalar(byte))
                default: line += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
                }
            }
            return line + "\""
        }
    }
}
