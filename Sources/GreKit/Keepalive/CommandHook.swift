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

    /// Starts `path` with `arguments` in a session of its own, its standard streams on
    /// /dev/null: it outlives the terminal and the shell that started it (a hang-up
    /// reaches the terminal's session, not this one). Returns its process id.
    @discardableResult
    public static func startDetached(_ path: String, arguments: [String]) throws(SystemError) -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        // POSIX_SPAWN_SETSID (glibc 2.26): Swift's Glibc module leaves the GNU flag out.
        let newSession: Int32 = 0x80
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | newSession))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        var process: pid_t = 0
        // It inherits this process's environment as it is.
        let status = withCStrings([path] + arguments) { argv in posix_spawn(&process, path, &actions, &attributes, argv, environ) }
        guard status == 0 else { throw SystemError("cannot start \(path)", errno: Errno(rawValue: status)) }
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
