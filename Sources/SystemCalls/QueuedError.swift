import CMnl
import SystemPackage

/// An error the kernel queued on a socket that asked for them (IP_RECVERR,
/// IPV6_RECVERR), read with MSG_ERRQUEUE: struct sock_extended_err (linux/errqueue.h).
/// An ICMP error names the packet it is about; `info` then holds the MTU a "too big"
/// error reported.
public struct QueuedError: Equatable, Sendable {
    public var errno: Errno
    public var origin: Origin
    /// The ICMP or ICMPv6 type and code, when that is the origin.
    public var type: UInt8
    public var code: UInt8
    public var info: UInt32

    public init(errno: Errno, origin: Origin, type: UInt8, code: UInt8, info: UInt32) {
        self.errno = errno
        self.origin = origin
        self.type = type
        self.code = code
        self.info = info
    }

    public init(_ error: sock_extended_err) {
        self.init(errno: Errno(rawValue: CInt(bitPattern: error.ee_errno)), origin: Origin(rawValue: error.ee_origin),
                  type: error.ee_type, code: error.ee_code, info: error.ee_info)
    }

    /// The queued error among the control messages of a MSG_ERRQUEUE receive.
    public init?(in messages: ControlMessages.Received) {
        for message in messages
        where message.is(level: CInt(IPPROTO_IP), type: IP_RECVERR) || message.is(level: CInt(IPPROTO_IPV6), type: IPV6_RECVERR) {
            if let error = message.load(as: sock_extended_err.self) {
                self.init(error)
                return
            }
        }
        return nil
    }

    /// Who reported the error (SO_EE_ORIGIN_*).
    public struct Origin: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// SO_EE_ORIGIN_LOCAL: this host refused the packet (EMSGSIZE past the path MTU).
        public static var local: Origin { Origin(rawValue: 1) }
        /// SO_EE_ORIGIN_ICMP: an ICMP error came back.
        public static var icmp: Origin { Origin(rawValue: 2) }
        /// SO_EE_ORIGIN_ICMP6: an ICMPv6 error came back.
        public static var icmp6: Origin { Origin(rawValue: 3) }
    }
}
