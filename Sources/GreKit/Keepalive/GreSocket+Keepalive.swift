import Netlink

extension GreSocket.Outgoing {
    /// A keepalive to `target`, sent as the tunnel sends its own packets.
    public init(keepalive target: KeepaliveTarget, nonce: UInt32, sequence: UInt32) {
        self.init(payload: .keepalive(target, nonce: nonce, sequence: sequence),
                  source: target.local, destination: target.remote, hopLimit: target.hopLimit, path: target.path)
    }
}

extension GreSocket {
    /// Reads every queued packet; `each` gets those that are reflected keepalives.
    public func receiveKeepalives(_ each: (ReflectedKeepalive) -> Void) throws(SystemError) {
        try receiveQueued { datagram, bytes in
            if family == .inet {
                ReflectedKeepalive(ipv4: bytes).map(each)
            } else if let source = datagram.source, let destination = datagram.destination {
                ReflectedKeepalive(ipv6: bytes, source: source, destination: destination,
                                   flowLabel: datagram.flowLabel, hopLimit: datagram.hopLimit).map(each)
            }
        }
    }

    /// Reads every queued packet; `each` gets those that are keepalives to reflect
    /// (with `acceptingNAT`, also those whose inner addresses a NAT made differ).
    public func receiveReflections(acceptingNAT: Bool = false, _ each: (KeepaliveReflection) -> Void) throws(SystemError) {
        try receiveQueued { datagram, bytes in
            if family == .inet {
                KeepaliveReflection(ipv4: bytes, acceptingNAT: acceptingNAT).map(each)
            } else if let source = datagram.source, let destination = datagram.destination {
                KeepaliveReflection(ipv6: bytes, source: source, destination: destination, acceptingNAT: acceptingNAT).map(each)
            }
        }
    }
}
