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
        // Only what the manual documents, nothing of the watcher's own environment: a
        // service's (credentials, sockets, options) is not the hook's to read.
        let environment = ["PATH=\(searchPath)"] + extra.map { "\($0.0)=\($0.1)" }
        let (status, process) = spawn(["/bin/sh", "-c", command], environment: environment,
                                      defaultSignals: [SIGINT, SIGTERM, SIGCHLD, SIGPIPE])
        // posix_spawn returns its errno rather than setting it.
        guard status == 0 else { throw SystemError("cannot run \"\(command)\"", errno: Errno(rawValue: status)) }
        return process
    }

    /// Starts `path` with `arguments` in a session of its own, its standard streams on
    /// /dev/null: it outlives the terminal and the shell that started it (a hang-up
    /// reaches the terminal's session, not this one). Returns its process id.
    @discardableResult
    public static func startDetached(_ path: String, arguments: [String]) throws(SystemError) -> pid_t {
        // It inherits this process's environment as it is.
        let (status, process) = spawn([path] + arguments, environment: nil, detached: true)
        guard status == 0 else { throw SystemError("cannot start \(path)", errno: Errno(rawValue: status)) }
        return process
    }

    /// posix_spawn of `arguments[0]` with no signal blocked: the watcher blocks SIGINT and
    /// SIGTERM for its signal descriptor, and a child must not inherit that. `environment`
    /// nil is this process's; `defaultSignals` get their default action back; `detached`
    /// starts a session of its own with the standard streams on /dev/null. Returns
    /// posix_spawn's status (an errno, or 0) and the process id.
    private static func spawn(_ arguments: [String], environment: [String]?, defaultSignals: [Int32] = [],
                              detached: Bool = false) -> (status: Int32, process: pid_t) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = POSIX_SPAWN_SETSIGMASK
        if !defaultSignals.isEmpty {
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in defaultSignals { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            flags |= POSIX_SPAWN_SETSIGDEF
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if detached {
            // POSIX_SPAWN_SETSID (glibc 2.26): Swift's Glibc module leaves the GNU flag out.
            flags |= 0x80
            for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
                posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
            }
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var process: pid_t = 0
        let path = arguments[0]
        let status = withCStrings(arguments) { argv in
            guard let environment else { return posix_spawn(&process, path, &actions, &attributes, argv, environ) }
            return withCStrings(environment) { envp in posix_spawn(&process, path, &actions, &attributes, argv, envp) }
        }
        return (status, process)
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
