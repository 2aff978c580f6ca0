import Netlink

/// Runs the commands of a plan (and of its undo) with each object's own grammar and
/// service, one acknowledged request at a time: what runs is exactly what the plan
/// printed.
public struct StepRunner {
    public let socket: NetlinkSocket
    public let links: LinkService

    public init(socket: NetlinkSocket) {
        self.socket = socket
        links = LinkService(socket: socket)
    }

    /// Runs one command given as its words ("route", "add", ...).
    public func run(_ command: [String]) throws {
        guard command.count >= 2 else { throw InvalidArgument("a command needs an object and a verb") }
        let words = Array(command.dropFirst(2))
        switch (command[0], command[1]) {
        case ("link", "add"):
            return try links.create(LinkRequest.parse(words, mode: .create, devices: links) { try links.link(named: $0.value) })
        case ("link", "set"):
            var index: Int32?
            let request = try LinkRequest.parse(words, mode: .modify, devices: links) { name in
                let link = try links.link(named: name.value)
                index = link.index
                return link
            }
            return try links.modify(request, index: index ?? links.index(of: request.name.value))
        case ("link", "delete"):
            return try links.delete(named: InterfaceName(words.first ?? "").value)
        case ("tunnel", "change"):
            let (request, index) = try Tunnel.change(words, devices: links) { try links.link(named: $0.value) }
            return try links.modify(request, index: index)
        case ("address", let verb):
            guard let change = AddressChange(rawValue: verb) else { break }
            return try AddressService(socket: socket).apply(AddressRequest.parse(words, change, family: .unspecified, devices: links), change)
        case ("route", let verb):
            guard let change = RouteChange(rawValue: verb) else { break }
            return try RouteService(socket: socket).apply(RouteRequest.parse(words, change, family: .unspecified, devices: links), change)
        case ("nexthop", "delete"):
            return try NexthopService(socket: socket).delete(NexthopRequest.identity(words, verb: "delete"))
        case ("nexthop", let verb):
            guard let change = NexthopChange(rawValue: verb) else { break }
            return try NexthopService(socket: socket).apply(NexthopRequest.parse(words, change, family: .unspecified, devices: links), change)
        case ("rule", let verb):
            guard let change = RuleChange(rawValue: verb) else { break }
            return try RuleService(socket: socket).apply(RuleRequest.parse(words, change, family: .unspecified), change)
        default:
            break
        }
        throw InvalidArgument("\"\(command[0]) \(command[1])\" is not a command a plan runs")
    }
}

/// How a plan went.
public struct ApplyOutcome: Sendable {
    /// How many steps took effect before the end (all of them, unless one failed).
    public var completed = 0
    /// The step the kernel refused, and why.
    public var failure: (step: PlanStep, message: String)?
    /// What taking the completed steps back did, when a step failed.
    public var rollback: RollbackReport?
}

/// What a rollback did: the undo commands that failed, and what still differs from
/// the snapshot when it ended.
public struct RollbackReport: Sendable {
    public var failures: [(command: [String], message: String)] = []
    public var differences: [String] = []
    /// Whether every object the plan touched is as the snapshot has it.
    public var verified: Bool { differences.isEmpty }
    public init() {}
}

/// A plan run as one change: the steps in order; when the kernel refuses one, the
/// steps before it are taken back newest first, and the kernel is read again and
/// compared with the snapshot the plan took before the first write.
public struct Transaction {
    public let runner: StepRunner
    public let plan: Plan

    public init(runner: StepRunner, plan: Plan) {
        self.runner = runner
        self.plan = plan
    }

    /// Runs the steps; `progress` sees each before it runs.
    public func apply(progress: (PlanStep) -> Void = { _ in }) -> ApplyOutcome {
        var outcome = ApplyOutcome()
        for step in plan.steps {
            progress(step)
            do {
                try runner.run(step.words)
            } catch {
                outcome.failure = (step, Self.describe(error))
                outcome.rollback = rollBack(undo(through: outcome.completed))
                return outcome
            }
            outcome.completed += 1
        }
        return outcome
    }

    /// The commands that take back the first `count` steps, newest first.
    public func undo(through count: Int) -> [[String]] {
        plan.steps.prefix(count).reversed().flatMap(\.undo)
    }

    /// Runs undo commands, then reads the kernel and compares it with the snapshot.
    /// An undo that meets what it would make (or not what it would delete) has
    /// nothing to do: the kernel took the object with another already.
    public func rollBack(_ commands: [[String]]) -> RollbackReport {
        var report = RollbackReport()
        for command in commands {
            do {
                try runner.run(command)
            } catch {
                guard !Self.alreadyUndone(command, error) else { continue }
                report.failures.append((command, Self.describe(error)))
            }
        }
        do {
            report.differences = plan.differences(from: try KernelState.read(runner.socket))
        } catch {
            report.differences = ["cannot read the kernel's state again: \(Self.describe(error))"]
        }
        return report
    }

    static func alreadyUndone(_ command: [String], _ error: any Error) -> Bool {
        if error is DeviceNotFound { return command[1] == "delete" }
        guard let error = error as? NetlinkError else { return false }
        switch command[1] {
        // A route appended or prepended again may have been made already, in its
        // place, by the undo of a link's deletion that made the routes of its key again.
        case "add", "append", "prepend": return error.errno == .fileExists
        case "delete":
            let errno = error.errno
            return errno == .noSuchFileOrDirectory || errno == .noSuchProcess || errno == .addressNotAvailable
        default: return false
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as InvalidArgument: error.message
        case let error as NetlinkError: error.description
        case let error as DeviceNotFound: error.description
        default: "\(error)"
        }
    }
}
