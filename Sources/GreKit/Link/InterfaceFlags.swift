/// IFF_* device flags, named and ordered as iproute2 prints them.
public struct InterfaceFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let up = InterfaceFlags(rawValue: 0x1)
    public static let broadcast = InterfaceFlags(rawValue: 0x2)
    public static let debug = InterfaceFlags(rawValue: 0x4)
    public static let loopback = InterfaceFlags(rawValue: 0x8)
    public static let pointToPoint = InterfaceFlags(rawValue: 0x10)
    public static let noTrailers = InterfaceFlags(rawValue: 0x20)
    public static let running = InterfaceFlags(rawValue: 0x40)
    public static let noARP = InterfaceFlags(rawValue: 0x80)
    public static let promiscuous = InterfaceFlags(rawValue: 0x100)
    public static let allMulticast = InterfaceFlags(rawValue: 0x200)
    public static let master = InterfaceFlags(rawValue: 0x400)
    public static let slave = InterfaceFlags(rawValue: 0x800)
    public static let multicast = InterfaceFlags(rawValue: 0x1000)
    public static let portSelect = InterfaceFlags(rawValue: 0x2000)
    public static let autoMedia = InterfaceFlags(rawValue: 0x4000)
    public static let dynamic = InterfaceFlags(rawValue: 0x8000)
    public static let lowerUp = InterfaceFlags(rawValue: 0x10000)
    public static let dormant = InterfaceFlags(rawValue: 0x20000)
    public static let echo = InterfaceFlags(rawValue: 0x40000)

    /// The words `ip link` shows between < and >, in its order.
    public var names: [String] {
        var names: [String] = []
        if contains(.up) && !contains(.running) { names.append("NO-CARRIER") }
        let order: [(InterfaceFlags, String)] = [
            (.loopback, "LOOPBACK"), (.broadcast, "BROADCAST"), (.pointToPoint, "POINTOPOINT"),
            (.multicast, "MULTICAST"), (.noARP, "NOARP"), (.allMulticast, "ALLMULTI"),
            (.promiscuous, "PROMISC"), (.master, "MASTER"), (.slave, "SLAVE"), (.debug, "DEBUG"),
            (.dynamic, "DYNAMIC"), (.autoMedia, "AUTOMEDIA"), (.portSelect, "PORTSEL"),
            (.noTrailers, "NOTRAILERS"), (.up, "UP"), (.lowerUp, "LOWER_UP"), (.dormant, "DORMANT"),
            (.echo, "ECHO"),
        ]
        var rest = subtracting(.running)
        for (flag, name) in order where rest.contains(flag) {
            names.append(name)
            rest.remove(flag)
        }
        if !rest.isEmpty { names.append(hexadecimal(rest.rawValue)) }
        return names
    }
}

/// RFC 2863 operational state (IF_OPER_*).
public enum OperationalState: UInt8, Sendable {
    case unknown, notPresent, down, lowerLayerDown, testing, dormant, up

    static let names = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"]

    public var name: String { Self.names[Int(rawValue)] }

    /// The state a word names, in any case, as iproute2's get_operstate reads it.
    public init?(name: String) {
        guard let index = Self.names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else { return nil }
        self.init(rawValue: UInt8(index))
    }
}
