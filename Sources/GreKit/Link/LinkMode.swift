/// A link's mode (IFLA_LINKMODE, IF_LINK_MODE_* in linux/if.h): whether the operational state
/// waits for a supplicant (dormant) or a test (testing). `link show` prints it after `mode`.
public struct LinkMode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static var `default`: LinkMode { LinkMode(rawValue: 0) }
    /// IF_LINK_MODE_DORMANT: limit upward transition to dormant.
    public static var dormant: LinkMode { LinkMode(rawValue: 1) }
    /// IF_LINK_MODE_TESTING: limit upward transition to testing.
    public static var testing: LinkMode { LinkMode(rawValue: 2) }

    /// The word iproute2 prints (its link_modes table), "unknown" past it.
    public var name: String {
        switch self {
        case .default: "DEFAULT"
        case .dormant: "DORMANT"
        case .testing: "TESTING"
        default: "unknown"
        }
    }

    /// The mode a word names, in any case, as iproute2's get_link_mode reads it.
    public init?(name: String) {
        guard let mode = [LinkMode.default, .dormant, .testing].first(where: { $0.name.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = mode
    }
}
