import Netlink

extension KeepaliveTarget {
    /// The target of a GRE tunnel device, or why it cannot be watched: keepalives need
    /// a point-to-point IP-over-GRE tunnel (gre or ip6gre) with a remote address.
    public init(tunnel link: Link) throws {
        let options = try link.tunnelOptions()
        guard !options.isEthernet else {
            throw InvalidArgument("\(link.name) is a \(options.kind) tunnel: keepalives need gre or ip6gre (IP over GRE)")
        }
        guard !options.external, let remote = options.remote else {
            throw InvalidArgument("\(link.name) has no remote address: keepalives need a point-to-point tunnel")
        }
        guard !remote.isMulticast else {
            throw InvalidArgument("\(link.name) has multicast remote \(remote): keepalives need a point-to-point tunnel")
        }
        let local = try options.local ?? OuterPath(tunnel: options).localAddress(toward: remote)
        self.init(options: options, local: local, remote: remote)
    }

    /// "198.51.100.1 -> 198.51.100.2 key 42", for messages.
    public var endpointsDescription: String {
        var text = "\(local) -> \(remote)"
        let (input, output) = (inputFlags.contains(.key), outputFlags.contains(.key))
        if input, output, inputKey == outputKey { return text + " key \(inputKey)" }
        if input { text += " ikey \(inputKey)" }
        if output { text += " okey \(outputKey)" }
        return text
    }
}
