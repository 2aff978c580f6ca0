@testable import GreCLI
@testable import GreKit

#if canImport(Glibc)
import Glibc
#endif

/// Where targets write what they render: /dev/null, through the buffer gretool's
/// output goes through. Targets run on one thread: libFuzzer calls them in turn.
nonisolated(unsafe) let discardedOutput = OutputBuffer(descriptor: open("/dev/null", O_WRONLY | O_CLOEXEC))

/// Renders fields as `gretool` prints them: text, then JSON, compact and pretty.
func render(_ fields: [Field]) {
    discardedOutput.write(FieldRenderer.text(fields))
    for pretty in [false, true] {
        var writer = JSONWriter(output: discardedOutput, pretty: pretty)
        FieldRenderer.object(fields, into: &writer)
        writer.finish()
    }
}
