@testable import GreCLI
@testable import GreKit
import Netlink

extension FuzzTarget {
    /// The keepalive watcher's configuration file (`keepalive watch -f FILE`, read again
    /// on SIGHUP): lines as a batch's, a target a line in the command line's words over
    /// the command line's settings, each resolved (tunnels from the grammar's links, not
    /// the kernel's). What it accepts must hold what the watcher relies on: no target
    /// twice, no device acted on by two targets, no two targets with the same replies.
    static let keepaliveConfiguration = FuzzTarget(
        name: "keepalive-config", summary: "the keepalive watcher's configuration file, read at start and on reload",
        dictionary: { Grammar.dictionary }
    ) { bytes in
        var request = KeepaliveWatchRequest()
        request.file = "keepalive.conf"
        let configuration = KeepaliveConfiguration(request: request, resolve: KeepaliveConfigurationReading.resolve)
        let subjects: [KeepaliveWatcher.Subject]
        do {
            subjects = try configuration.subjects(fileLines: LineReader(bytes: Array(bytes)))
        } catch {
            discardedOutput.write(Failure.describe(error).message)
            return
        }
        for (position, subject) in subjects.enumerated() {
            for other in subjects[..<position] {
                require(other.given != subject.given, "keepalive-config: \(subject.name) accepted twice")
                require(subject.device == nil || other.device != subject.device, "keepalive-config: two targets act on \(subject.device!)")
                require(ReplyIdentity(target: other.target, echo: other.settings.echo) != ReplyIdentity(target: subject.target, echo: subject.settings.echo),
                        "keepalive-config: \(other.name) and \(subject.name) accepted with the same replies")
            }
            discardedOutput.write(subject.target.endpointsDescription)
        }
    }
}

enum KeepaliveConfigurationReading {
    /// As `KeepaliveCommands.resolve` resolves against the kernel: a tunnel from its
    /// link's options, a device by its index; an unknown device is refused.
    static func resolve(_ subject: KeepaliveSubject) throws -> (target: KeepaliveTarget, index: Int32?) {
        switch subject {
        case .explicit(let target): return (target, nil)
        case .explicitFor(let target, let device): return (target, try Grammar.devices.index(of: device.value))
        case .tunnel(let name):
            let link = try Grammar.current(name.value)
            return (try KeepaliveTarget(tunnel: link), link.index)
        }
    }
}
