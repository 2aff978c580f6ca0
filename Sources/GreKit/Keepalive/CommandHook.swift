import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs `on-down` / `on-up` commands: `/bin/sh -c COMMAND` with the given environment
/// variables and PATH only, without waiting for them. `reap` collects the ones that finished.
public enum CommandHook {
    /// Where the command's programs are looked for: the system's directories, as for a
    /// service, whatever PATH the watcher was started with.
    static let searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Starts the command; returns its process id.
    @discardableResult
    public static func start(_ command: String, environment extra: [(String, String)]) throws(SystemError) -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The watcher blocks SIGINT and SIGTERM for its signal descriptor; the command
        // must not inherit that.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // Only what the manual documents, nothing of the watcher's own environment: a
        // service's (credentials, sockets, options) is not the hook's to read.
        let environment = ["PATH=\(searchPath)"] + extra.map { "\($0.0)=\($0.1)" }
        let arguments = ["/bin/sh", "-c", command]
        var process: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&process, "/bin/sh", nil, &attributes, argv, envp)
            }
        }
        // posix_spawn returns its errno rather than setting it.
        guard status == 0 else { throw SystemError("cannot run \"\(command)\"", errno: Errno(rawValue: status)) }
        return process
    }

    /// Collects every child that has finished, without waiting for the others.
    public static func reap() {
        var status: Int32 = 0
        while waitpid(-1, &status, WNOHANG) > 0 {}
    }

    private static func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
