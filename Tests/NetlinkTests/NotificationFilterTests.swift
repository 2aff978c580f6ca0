import CMnl
import SystemCalls
import Testing
@testable import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// The filter that keeps the notifications of a process's own route changes away, run
/// by the kernel.
@Suite struct NotificationFilterTests {
    @Test func dropsTheRouteNotificationsOfOnePortAndNothingElse() throws {
        let listener = try NetlinkSocket()
        let port: UInt32 = 0x0102_0304
        // The kernel checks the program as it takes it.
        try listener.dropRouteNotifications(causedBy: port)
        // Messages of any header sent to the listener's port go through its filter as the
        // kernel's notifications do; sending to another process's netlink socket needs
        // CAP_NET_ADMIN.
        guard geteuid() == 0 else { return }
        let sender = try Socket(domain: AF_NETLINK, type: SOCK_RAW, protocol: NETLINK_ROUTE, "cannot open a netlink socket")
        let destination = SocketAddress(sockaddr_nl(nl_family: sa_family_t(AF_NETLINK), nl_pad: 0, nl_pid: listener.port, nl_groups: 0))
        let sent: [(RouteMessageType, UInt32)] = [
            (.deleteRoute, port), (.deleteRoute, port + 1), (.newRoute, port), (.newLink, port),
            (.newRoute, 0), (.newRoute, port.byteSwapped), (.deleteLink, port),
        ]
        for (sequence, (type, origin)) in sent.enumerated() {
            var header = nlmsghdr(nlmsg_len: UInt32(MemoryLayout<nlmsghdr>.size), nlmsg_type: type.rawValue, nlmsg_flags: 0,
                                  nlmsg_seq: UInt32(sequence), nlmsg_pid: origin)
            try withUnsafeBytes(of: &header) { bytes in
                _ = try sender.send(bytes, to: destination, "cannot send to the listener")
            }
        }
        var received: [UInt32] = []
        try listener.receiveQueued { received.append($0.sequence) }
        #expect(received == [1, 3, 4, 5, 6])
    }
}
