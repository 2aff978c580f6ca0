import CLibFuzzer

#if canImport(Glibc)
import Glibc
#endif

// gretool-fuzz: libFuzzer over one of gretool's parsers of what others control.
//
//   gretool-fuzz TARGET [LIBFUZZER OPTIONS] [CORPUS_DIR...]   fuzz (or, given files, run them)
//   gretool-fuzz --list                                       the targets, one a line
//   gretool-fuzz --dictionary TARGET                          its libFuzzer dictionary (-dict=)
//   gretool-fuzz --seeds TARGET DIR                           writes the seeds it makes into DIR
//
// libFuzzer starts copies of itself (-merge, -fork, -jobs) with the options it was given
// but without the target's name: the name travels to them in GRETOOL_FUZZ_TARGET.

let environmentName = "GRETOOL_FUZZ_TARGET"

func fail(_ message: String) -> Never {
    let line = "gretool-fuzz: \(message)\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(2)
}

var arguments = CommandLine.arguments
if arguments.count == 2, arguments[1] == "--list" {
    for target in FuzzTarget.all { print("\(target.name)\t\(target.summary)") }
    exit(0)
}
if arguments.count == 3, arguments[1] == "--dictionary" {
    guard let target = FuzzTarget.named(arguments[2]) else { fail("unknown target \"\(arguments[2])\" (--list names them)") }
    for entry in Dictionary.entries(target.dictionary()) { print(entry) }
    exit(0)
}
if arguments.count == 4, arguments[1] == "--seeds" {
    guard let target = FuzzTarget.named(arguments[2]) else { fail("unknown target \"\(arguments[2])\" (--list names them)") }
    for (name, bytes) in target.seeds() {
        let path = arguments[3] + "/" + name
        guard let file = fopen(path, "wb"), fwrite(bytes, 1, bytes.count, file) == bytes.count, fclose(file) == 0 else {
            fail("cannot write \(path)")
        }
    }
    exit(0)
}

let target: FuzzTarget
if arguments.count > 1, let named = FuzzTarget.named(arguments[1]) {
    target = named
    arguments.remove(at: 1)
    setenv(environmentName, named.name, 1)
} else if let name = getenv(environmentName).map({ String(cString: $0) }), let named = FuzzTarget.named(name) {
    target = named
} else {
    fail("usage: gretool-fuzz TARGET [LIBFUZZER OPTIONS] [CORPUS...] | --list | --dictionary TARGET | --seeds TARGET DIR")
}
FuzzTarget.selected = target
Grammar.checkEveryVerbIsCovered()

// libFuzzer keeps argv's strings for the whole run: they are never freed.
var argc = CInt(arguments.count)
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = .allocate(capacity: arguments.count + 1)
for (index, argument) in arguments.enumerated() { argv![index] = strdup(argument) }
argv![arguments.count] = nil
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
})
