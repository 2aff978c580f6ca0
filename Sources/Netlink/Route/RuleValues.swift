/// What a policy routing rule does with a packet it matches: the action of struct
/// fib_rule_hdr (FR_ACT_*, linux/fib_rules.h). The actions that drop packets have
/// the numbers of the route types that do the same (`RouteType.blackhole`, ...).
public struct RuleAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The action's number.
    public let rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The number, in decimal.
    public var description: String { String(rawValue) }

    /// None given. The C constant is `FR_ACT_UNSPEC`.
    @inlinable public static var unspecified: RuleAction { RuleAction(rawValue: 0) }
    /// Look the packet up in the rule's table. The C constant is `FR_ACT_TO_TBL`.
    @inlinable public static var toTable: RuleAction { RuleAction(rawValue: 1) }
    /// Go on with the rule FRA_GOTO names. The C constant is `FR_ACT_GOTO`.
    @inlinable public static var goto: RuleAction { RuleAction(rawValue: 2) }
    /// Do nothing: go on with the next rule. The C constant is `FR_ACT_NOP`.
    @inlinable public static var nop: RuleAction { RuleAction(rawValue: 3) }
    /// Drop silently. The C constant is `FR_ACT_BLACKHOLE`.
    @inlinable public static var blackhole: RuleAction { RuleAction(rawValue: 6) }
    /// Drop with "network unreachable". The C constant is `FR_ACT_UNREACHABLE`.
    @inlinable public static var unreachable: RuleAction { RuleAction(rawValue: 7) }
    /// Drop with "administratively prohibited". The C constant is `FR_ACT_PROHIBIT`.
    @inlinable public static var prohibit: RuleAction { RuleAction(rawValue: 8) }
    /// Route NAT, long gone from the kernel, which keeps the action and nothing else
    /// (iproute2 shows it as "masquerade"). The C constant is `RTN_NAT`.
    @inlinable public static var nat: RuleAction { RuleAction(rawValue: 10) }
}

/// The flags of a policy routing rule (FIB_RULE_*, linux/fib_rules.h). A request
/// may set `invert` only; the others are states the kernel reports.
public struct RuleFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32

    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A rule the kernel made and will not delete. The C constant is `FIB_RULE_PERMANENT`.
    @inlinable public static var permanent: RuleFlags { RuleFlags(rawValue: 0x1) }
    /// Match what the selectors do not ("not"). The C constant is `FIB_RULE_INVERT`.
    @inlinable public static var invert: RuleFlags { RuleFlags(rawValue: 0x2) }
    /// A goto whose target rule does not exist. The C constant is `FIB_RULE_UNRESOLVED`.
    @inlinable public static var unresolved: RuleFlags { RuleFlags(rawValue: 0x4) }
    /// The input interface named does not exist. The C constant is `FIB_RULE_IIF_DETACHED`
    /// (also `FIB_RULE_DEV_DETACHED`).
    @inlinable public static var inputInterfaceDetached: RuleFlags { RuleFlags(rawValue: 0x8) }
    /// The output interface named does not exist. The C constant is `FIB_RULE_OIF_DETACHED`.
    @inlinable public static var outputInterfaceDetached: RuleFlags { RuleFlags(rawValue: 0x10) }
    /// Try to find a source address in the rule's table. The C constant is `FIB_RULE_FIND_SADDR`.
    @inlinable public static var findSourceAddress: RuleFlags { RuleFlags(rawValue: 0x1_0000) }
}
