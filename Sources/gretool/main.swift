import GreCLI

#if canImport(Glibc)
import Glibc
#endif

exit(Gretool.run(CommandLine.arguments))
