import Netlink

/// One change a plan makes: the command that makes it (an object, a verb and its
/// words, as `gretool` takes them) and the commands that take it back.
public struct PlanStep: Sendable {
    public enum Operation: String, Sendable {
        case add, change, delete
    }

    public let operation: Operation
    public let object: ObjectKind
    /// The object's name: "gre1", "203.0.113.0/24 table 100", "nexthop id 10", a rule's words.
    public let key: String
    /// The object as it is and as it will be, as the state document writes it; nil
    /// where it does not exist.
    public let from: [Field]?
    public let to: [Field]?
    /// The command's words, from the object on ("route", "add", ...).
    public let words: [String]
    /// The commands that take it back, in the order they run.
    public let undo: [[String]]
    /// Whether the step is half of making a link again (kind, family, `external`,
    /// or a setting words cannot change in place).
    public let recreate: Bool
}

/// Something of someone else's that apply leaves alone, said so the reader knows.
public struct Drift: Sendable, Equatable {
    public let object: ObjectKind
    public let key: String
    /// Why it is reported: "not in the file (protocol static)", "goes with gre9".
    public let reason: String
}

/// What `apply` will do: the steps in the order they run, what it leaves alone, and
/// the state before, for taking everything back and checking that it is back.
public struct Plan: Sendable {
    public var steps: [PlanStep] = []
    public var drift: [Drift] = []
    public var warnings: [ApplyWarning] = []
    /// The links made again: refused unless the caller allows it.
    public var recreatedLinks: [String] = []
    /// Every object the plan touches, as it was: its identity and its words (nil:
    /// absent). After a rollback the kernel must show the same.
    public var snapshot: [SnapshotEntry] = []
    /// What changes in the keepalive service's file, stanza by stanza.
    public var keepaliveEdits: [KeepaliveEdit] = []
    /// The owner's stanzas as the keepalive service's file will have them, when they
    /// change: written once every kernel step has run.
    public var keepaliveStanzas: [KeepaliveStanza]?

    public var isEmpty: Bool { steps.isEmpty && keepaliveEdits.isEmpty }

    public init() {}
}

/// A keepalive stanza the plan adds to the keepalive service's file, changes or
/// deletes; or a line of someone else's with the declared words, which becomes the
/// owner's (`adopted`: marked, its words unchanged).
public struct KeepaliveEdit: Sendable, Equatable {
    public let operation: PlanStep.Operation
    public let tunnel: String
    /// The words after the tunnel's name, before and after; nil where there is no line.
    public let from: [String]?
    public let to: [String]?
    public var adopted: Bool { from != nil && from == to }

    /// The stanza before and after, as the state document's `keepalives` have it.
    public var fromFields: [Field]? { from.map { WordSchema.keepalive.fields(of: [tunnel] + $0) } }
    public var toFields: [Field]? { to.map { WordSchema.keepalive.fields(of: [tunnel] + $0) } }
}

/// The keepalive service's file as apply finds it: the owner's stanzas (its marked
/// lines), and the tunnels that other lines watch, with where.
public struct KeepaliveLines: Sendable {
    public var owned: [KeepaliveStanza]
    public var others: [(stanza: KeepaliveStanza, place: String)]

    public init(owned: [KeepaliveStanza] = [], others: [(stanza: KeepaliveStanza, place: String)] = []) {
        self.owned = owned
        self.others = others
    }
}

/// An object the plan touches, as the kernel had it before the first write.
public struct SnapshotEntry: Sendable, Equatable {
    public let object: ObjectKind
    public let identity: String
    /// The words of the objects of that identity, with their owners' marks (none:
    /// it did not exist; rules may repeat).
    public let words: [[String]]

    public init(object: ObjectKind, identity: String, words: [[String]]) {
        self.object = object
        self.identity = identity
        self.words = words
    }
}

/// A state that no plan can reach: an object of another owner's, a link made again
/// without leave. Nothing has been sent.
public struct PlanRefusal: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
