import GreKit
import SystemPackage

/// gretool's exit codes: the contract scripts rely on.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// The kernel refused, or something at run time failed (missing device, no permission).
    case failure = 1
    /// The command line itself is wrong: nothing was sent to the kernel.
    case usage = 2
    /// `apply --detailed-exitcode`: changes were made (with `--dry-run`: are needed).
    case changed = 3
    /// `apply --detailed-exitcode`: changes were made, then taken back (no confirmation,
    /// or a tunnel did not answer its keepalive probe).
    case rolledBack = 4
}

/// Turns any error into one line of text and its exit status.
enum Failure {
    static func describe(_ error: any Error) -> (message: String, status: ExitStatus) {
        switch error {
        case let error as InvalidArgument:
            return (error.message, .usage)
        case let error as DeviceNotFound:
            return (error.description, .failure)
        case let error as NetlinkError:
            var message = error.description
            // EACCES is also a route lookup that met a "prohibit" route or rule.
            if error.errno == .notPermitted {
                message += "; this needs root (CAP_NET_ADMIN)"
            } else if error.errno == .notSupported, error.kernelMessage == "Unknown device type" {
                message += "; the running kernel lacks this link type (modprobe its module?)"
            } else if let hint = error.kernelMessage.flatMap({ kernelHints[$0] }) {
                message += "; " + hint
            }
            return (message, .failure)
        case let error as SystemError:
            guard error.isRefusal else { return (error.description, .failure) }
            let privilege = error.capability.map { "root (\($0.rawValue))" } ?? "root"
            return (error.description + "; this needs " + privilege, .failure)
        case let error as CommandFailure:
            return (error.message, error.status)
        case let error as DeclarationError:
            return (error.description, .usage)
        case let error as PlanRefusal:
            return (error.message, .failure)
        case let error as ActionFailure:
            let (message, status) = describe(error.underlying)
            return ("cannot \(error.action): \(message)", status)
        default:
            return ("\(error)", .failure)
        }
    }
}

extension Failure {
    /// What some of the kernel's terse refusals mean.
    static let kernelHints: [String: String] = [
        "Nexthop has invalid gateway": "the gateway is not on a subnet of the device (give the device, or \"onlink\" if it is reachable anyway)",
        "Invalid nexthop id": "the group names a nexthop id that does not exist",
        "Nexthop id does not exist": "no nexthop object has that id",
        "Invalid prefix for given prefix length": "bits are set past the prefix length",
    ]
}

/// A failure a command reports with its own message and status.
struct CommandFailure: Error {
    let message: String
    var status: ExitStatus = .failure
}

/// A failure while doing something the message should name ("create link gre1").
struct ActionFailure: Error {
    let action: String
    let underlying: any Error
}

/// Runs `body`, naming `action` in any kernel or lookup failure it throws.
/// Bad words keep their own message: they name the culprit already. So does the
/// failure of an earlier batch line, which surfaces when its datagram is sent.
func attempt<Result>(_ action: @autoclosure () -> String, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as InvalidArgument {
        throw error
    } catch let error as RequestPipeline.Failure {
        throw error
    } catch {
        throw ActionFailure(action: action(), underlying: error)
    }
}
