import CMnl
import Netlink

#if canImport(Glibc)
import Glibc
#endif

/// A raw IPPROTO_GRE socket. It sends GRE packets whose IP header the kernel adds
/// (so keepalives leave whatever state the tunnel device is in), and receives every
/// GRE packet delivered to this host: with its IPv4 header for AF_INET, from the GRE
/// header on for AF_INET6, the addresses, flow label and hop limit then coming as
/// control messages. Non-blocking: `receive` returns nil when nothing is queued.
public final class GreSocket {
    public let family: AddressFamily
    private let socket: Socket
    /// Control messages of an error read from the error queue.
    private let controlBuffer: UnsafeMutableRawBufferPointer
    /// Room for the packets one receive reads. An IPv4 packet's source is in its IP
    /// header: the kernel is not asked for it again (a hub reads ten thousand a second).
    private var batch: ReceiveBatch
    /// The hop limit set on the socket (IP_TTL, IPV6_UNICAST_HOPS); nil: the system's.
    /// Packets sent with it need no control message of their own for it.
    private var hopLimit: UInt8?
    /// Where the keepalives of a batch are encoded, one after the other.
    private var encoded: [UInt8] = []
    /// IPv4 only, once `writeOwnHeaders` was called: the sockets that send the packets
    /// of each source behind a header this socket writes; nil for a source whose could
    /// not be opened, whose packets get the kernel's header.
    private var headerWriters: [IPv4Address: RawPacketSocket?]?

    public init(family: AddressFamily) throws(SystemError) {
        self.family = family
        socket = try Self.open(family)
        batch = ReceiveBatch(capacity: Self.receiveBatchSize, datagramBytes: Self.receiveRoom, controlBytes: family == .inet6 ? 256 : 0,
                             sources: family == .inet6)
        // Allocated once nothing can fail: deinit, which frees it, runs only for an
        // object whose initialiser set every property.
        controlBuffer = .allocate(byteCount: 256, alignment: 8)
    }

    private static func open(_ family: AddressFamily) throws(SystemError) -> Socket {
        let socket = try Socket(domain: family.socketDomain, type: SOCK_RAW, protocol: CInt(IPPROTO_GRE), nonBlocking: true,
                                "cannot open a raw GRE socket")
        if family == .inet6 {
            // IPv6 raw sockets do not see the IP header: its destination address, flow
            // label and hop limit come as control messages.
            try socket.enable(.ipv6ReceivePacketInfo)
            try socket.enable(.ipv6ReceiveFlowInfo)
            try socket.enable(.ipv6ReceiveHopLimit)
        }
        return socket
    }

    deinit { controlBuffer.deallocate() }

    /// The descriptor's number, for poll.
    public var descriptor: Int32 { socket.rawValue }

    /// A socket that receives only GRE packets of `protocolType` (see `acceptOnly`), with
    /// room for bursts: a hub's replies, or the keepalives a responder reflects, arrive together.
    ///
    /// Its IPv4 packets are never fragmented (IP_PMTUDISC_DO): they carry DF, as with
    /// the default, and a keepalive is far below any MTU. The kernel then gives them
    /// IP identification 0 (RFC 6864: the field means nothing in a datagram that cannot
    /// be fragmented) instead of drawing one from its shared, locked generator for every
    /// packet, a twentieth of what a hub's sends cost.
    public convenience init(family: AddressFamily, acceptingOnly protocolType: UInt16) throws(SystemError) {
        try self.init(family: family)
        try acceptOnly(protocolType: protocolType)
        socket.reserveReceiveBuffer(bytes: 4 << 20)
        if family == .inet { try socket.set(.mtuDiscovery, to: IP_PMTUDISC_DO) }
    }

    /// Has the kernel deliver only GRE packets of one protocol type (0 for keepalive
    /// replies): on a hub, the tunnels' data traffic never reaches this socket.
    public func acceptOnly(protocolType: UInt16) throws(SystemError) {
        try socket.attach(filter: Self.filter(family: family, acceptingOnly: protocolType))
    }

    /// The filter of `acceptOnly`: it loads GRE's protocol type into the accumulator
    /// and compares. An IPv4 raw socket sees the IP header first: its length, 4 times
    /// the low nibble of its first byte, goes to the index register (BPF_MSH), and the
    /// load is relative to it.
    static func filter(family: AddressFamily, acceptingOnly protocolType: UInt16) -> [sock_filter] {
        let protocolOffset = UInt32(MemoryLayout<gre_base_hdr>.offset(of: \.protocol)!)
        let load = family == .inet
            ? [SocketFilter.statement(BPF_LDX | BPF_B | BPF_MSH, 0),
               SocketFilter.statement(BPF_LD | BPF_H | BPF_IND, protocolOffset)]
            : [SocketFilter.statement(BPF_LD | BPF_H | BPF_ABS, protocolOffset)]
        return load + [
            SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, UInt32(protocolType), ifTrue: 0, ifFalse: 1),
            SocketFilter.accept,
            SocketFilter.drop,
        ]
    }

    // MARK: Sending

    /// A packet to send: a GRE header and what follows, from `source` to `destination`
    /// with the given hop limit, along `path`; the kernel adds the IP header.
    public struct Outgoing: Sendable {
        public var payload: Payload
        public var source: IPAddress
        public var destination: IPAddress
        public var hopLimit: UInt8
        public var path: OuterPath

        /// What the packet carries: its bytes, or a keepalive, encoded as the batch is
        /// made (into the batch's own buffer, not an array per packet).
        public enum Payload: Sendable {
            case bytes([UInt8])
            case keepalive(KeepaliveTarget, nonce: UInt32, sequence: UInt32)

            /// The most the packet can take in a batch.
            var room: Int {
                switch self {
                case .bytes(let bytes): bytes.count
                case .keepalive: KeepalivePacket.maximumLength
                }
            }
        }

        public init(payload: Payload, source: IPAddress, destination: IPAddress, hopLimit: UInt8, path: OuterPath = OuterPath()) {
            self.payload = payload
            self.source = source
            self.destination = destination
            self.hopLimit = hopLimit
            self.path = path
        }

        public init(packet: [UInt8], source: IPAddress, destination: IPAddress, hopLimit: UInt8, path: OuterPath = OuterPath()) {
            self.init(payload: .bytes(packet), source: source, destination: destination, hopLimit: hopLimit, path: path)
        }
    }

    public func send(_ outgoing: Outgoing) throws(SystemError) {
        if let (_, error) = send([outgoing]).first { throw error }
    }

    /// Sends a batch in as few system calls as the kernel allows (sendmmsg). Returns
    /// the packets it refused, by position in the batch; the others went out.
    ///
    /// With the kernel's headers, the socket's hop limit is set to the first packet's, so
    /// that the packets with that one (usually all: a hub's tunnels share it) need no
    /// control message for it. Their control messages then fit the room the kernel keeps
    /// on its stack, instead of a buffer allocated and freed for each packet. With its
    /// own (`writeOwnHeaders`), a packet's hop limit is in its header.
    public func send(_ batch: [Outgoing]) -> [(index: Int, error: SystemError)] {
        guard headerWriters != nil else { return send(batch, at: Array(batch.indices)) }
        // The packets by source, in the order of their first: a hub's keepalives usually
        // all leave from one address (one group, found without hashing each packet's).
        var groups: [(source: IPAddress, positions: [Int])] = []
        for position in batch.indices {
            let source = batch[position].source
            if let group = groups.firstIndex(where: { $0.source == source }) {
                groups[group].positions.append(position)
            } else {
                groups.append((source, [position]))
            }
        }
        var refused: [(index: Int, error: SystemError)] = []
        for (source, positions) in groups {
            if case .v4(let address) = source, let writer = headerWriter(for: address) {
                refused += send(batch, at: positions, writingHeadersThrough: writer)
            } else {
                refused += send(batch, at: positions)
            }
        }
        return refused
    }

    /// Has this IPv4 socket send packets behind an IP header it writes, through a raw IP
    /// socket bound to their source (`RawPacketSocket(boundTo:protocolNumber:)`). The
    /// kernel then only checks that header, instead of making its own: corking, the
    /// packet appended with a checksum of its bytes, the socket's lock, and control
    /// messages past the room it keeps on its stack, about a tenth of what a hub's
    /// watcher costs. The packets name their protocol, so the IPsec policies and the
    /// routing rules see GRE. Where the kernel cannot name it (before 6.2), or a source
    /// is not an address of this host when its first packet is sent, the packets get the
    /// kernel's header as before.
    public func writeOwnHeaders() {
        guard family == .inet, headerWriters == nil else { return }
        headerWriters = [:]
    }

    /// The socket that sends `source`'s packets behind their own header, opened at its
    /// first packet; nil when it could not be.
    private func headerWriter(for source: IPv4Address) -> RawPacketSocket? {
        if let writer = headerWriters?[source] { return writer }
        let writer = try? RawPacketSocket(boundTo: source, protocolNumber: KeepalivePacket.greProtocolNumber)
        headerWriters?[source] = .some(writer)
        return writer
    }

    /// Sends the packets of `batch` at `positions` behind an IPv4 header written for
    /// each, through `writer`; returns the refused ones by their position in `batch`.
    private func send(_ batch: [Outgoing], at positions: [Int], writingHeadersThrough writer: RawPacketSocket)
        -> [(index: Int, error: SystemError)] {
        var datagrams = DatagramBatch(capacity: positions.count,
                                      payloadBytes: positions.reduce(0) { $0 + MemoryLayout<iphdr>.size + batch[$1].payload.room },
                                      controlSpace: Self.controlSpace)
        for position in positions {
            let outgoing = batch[position]
            encoded.removeAll(keepingCapacity: true)
            Self.append(outgoing, behindOwnHeaderTo: &encoded)
            encoded.withUnsafeBytes { bytes in
                datagrams.append(bytes, to: SocketAddress(outgoing.destination)) { writer in
                    Self.writeControlMessages(behindOwnHeader: outgoing, into: &writer)
                }
            }
        }
        return writer.send(datagrams).map { index, error in
            (positions[index], SystemError("cannot send to \(batch[positions[index]].destination)", errno: error.errno))
        }
    }

    /// Appends `outgoing` behind an IPv4 header as the kernel would write it: the
    /// packet's TOS and hop limit, protocol GRE, never fragmented (as from this socket,
    /// IP_PMTUDISC_DO). The kernel fills in the length and the checksum, and gives the
    /// packet identification 0, as it does to those whose header it makes.
    static func append(_ outgoing: Outgoing, behindOwnHeaderTo bytes: inout [UInt8]) {
        guard case .v4(let source) = outgoing.source, case .v4(let destination) = outgoing.destination else { return }
        IPv4Header(source: source, destination: destination, protocolNumber: KeepalivePacket.greProtocolNumber,
                   timeToLive: outgoing.hopLimit, identification: 0, payloadLength: 0, typeOfService: outgoing.path.tos,
                   dontFragment: true).append(to: &bytes)
        switch outgoing.payload {
        case .bytes(let packet):
            bytes += packet
        case .keepalive(let target, let nonce, let sequence):
            KeepalivePacket.encode(target, nonce: nonce, sequence: sequence, appendingTo: &bytes)
        }
    }

    /// Sends the packets of `batch` at `positions` behind the kernel's IP headers;
    /// returns the refused ones by their position in `batch`.
    private func send(_ batch: [Outgoing], at positions: [Int]) -> [(index: Int, error: SystemError)] {
        guard let first = positions.first.map({ batch[$0] }) else { return [] }
        if hopLimit != first.hopLimit {
            do {
                try socket.set(family == .inet6 ? .ipv6UnicastHops : .timeToLive, to: CInt(first.hopLimit))
                hopLimit = first.hopLimit
            } catch {
                // Each packet then says its own.
                hopLimit = nil
            }
        }
        var datagrams = DatagramBatch(capacity: positions.count, payloadBytes: positions.reduce(0) { $0 + batch[$1].payload.room },
                                      controlSpace: Self.controlSpace)
        for position in positions {
            let outgoing = batch[position]
            switch outgoing.payload {
            case .bytes(let bytes):
                bytes.withUnsafeBytes { Self.append($0, outgoing, socketHopLimit: hopLimit, to: &datagrams) }
            case .keepalive(let target, let nonce, let sequence):
                encoded.removeAll(keepingCapacity: true)
                KeepalivePacket.encode(target, nonce: nonce, sequence: sequence, appendingTo: &encoded)
                encoded.withUnsafeBytes { Self.append($0, outgoing, socketHopLimit: hopLimit, to: &datagrams) }
            }
        }
        return socket.send(datagrams, flags: CInt(MSG_DONTWAIT)).map { index, errno in
            (positions[index], SystemError("cannot send to \(batch[positions[index]].destination)", errno: errno))
        }
    }

    private static func append(_ packet: UnsafeRawBufferPointer, _ outgoing: Outgoing, socketHopLimit: UInt8?,
                               to datagrams: inout DatagramBatch) {
        datagrams.append(packet, to: SocketAddress(outgoing.destination)) { writer in
            writeControlMessages(for: outgoing, socketHopLimit: socketHopLimit, into: &writer)
        }
    }

    /// Room for the control messages of one packet: the larger packet information
    /// (IPv6's), and three integers.
    static let controlSpace = ControlMessages.space(for: in6_pktinfo.self) + 3 * ControlMessages.space(for: CInt.self)

    /// The control messages that send a packet as the tunnel sends its own: from its
    /// local address, with its hop limit, out of its underlay device (the interface of
    /// IP_PKTINFO / IPV6_PKTINFO), with its TOS (IP_TOS) or traffic class (IPV6_TCLASS)
    /// and its mark (SO_MARK: Linux 4.19 on, CAP_NET_RAW or CAP_NET_ADMIN). The hop
    /// limit only when it is not the socket's (`socketHopLimit`), TOS and mark only
    /// when set, so keepalives to explicit targets ask for nothing more.
    static func writeControlMessages(for outgoing: Outgoing, socketHopLimit: UInt8? = nil, into writer: inout ControlMessages) {
        let path = outgoing.path
        writer.appendPacketInformation(source: outgoing.source, interface: path.interface)
        let ownHopLimit = outgoing.hopLimit != socketHopLimit
        switch outgoing.source {
        case .v4:
            if ownHopLimit { writer.append(level: CInt(IPPROTO_IP), type: IP_TTL, CInt(outgoing.hopLimit)) }
            if path.tos != 0 { writer.append(level: CInt(IPPROTO_IP), type: IP_TOS, CInt(path.tos)) }
        case .v6:
            if ownHopLimit { writer.append(level: CInt(IPPROTO_IPV6), type: IPV6_HOPLIMIT, CInt(outgoing.hopLimit)) }
            if path.tos != 0 { writer.append(level: CInt(IPPROTO_IPV6), type: IPV6_TCLASS, CInt(path.tos)) }
        }
        if path.mark != 0 { writer.append(level: SOL_SOCKET, type: SO_MARK, path.mark) }
    }

    /// The control messages of a packet behind its own IPv4 header (`writeOwnHeaders`),
    /// whose socket is bound to its source: its protocol, for the IPsec policies and the
    /// routing rules (the kernel would take it for protocol 255); its underlay device
    /// (IP_PKTINFO), TOS (IP_TOS, which the route lookup reads from here, not from the
    /// header) and mark only when set. A hub's keepalives then carry 24 bytes of them.
    static func writeControlMessages(behindOwnHeader outgoing: Outgoing, into writer: inout ControlMessages) {
        let path = outgoing.path
        writer.append(level: CInt(IPPROTO_IP), type: IP_PROTOCOL, CInt(KeepalivePacket.greProtocolNumber))
        if path.interface != 0 { writer.appendPacketInformation(source: outgoing.source, interface: path.interface) }
        if path.tos != 0 { writer.append(level: CInt(IPPROTO_IP), type: IP_TOS, CInt(path.tos)) }
        if path.mark != 0 { writer.append(level: SOL_SOCKET, type: SO_MARK, path.mark) }
    }

    // MARK: Errors

    /// Has the kernel queue the ICMP errors that come back for what is sent (IP_RECVERR,
    /// IPV6_RECVERR), for `queuedErrors()`. Raw sockets share them: each raw GRE socket
    /// of the host gets those about every GRE packet the host sends.
    public func receiveErrors() throws(SystemError) {
        try socket.enable(family == .inet6 ? .ipv6ReceiveErrors : .receiveErrors)
    }

    /// Reads every queued error, with the destination of the packet it is about.
    public func queuedErrors() -> [(destination: IPAddress?, error: QueuedError)] {
        var errors: [(destination: IPAddress?, error: QueuedError)] = []
        // The error queue hands back the start of the packet too: none of it is needed.
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { data in
            while let received = try? socket.receive(into: data, control: controlBuffer, flags: CInt(MSG_ERRQUEUE) | CInt(MSG_DONTWAIT),
                                                     "cannot read the error queue") {
                if let error = QueuedError(in: received.controlMessages) { errors.append((received.source.ipAddress, error)) }
            }
        }
        return errors
    }

    // MARK: Receiving

    /// A packet received, and what its source and control messages said (IPv6 only:
    /// an IPv4 packet says all of it in its IP header).
    public struct Datagram: Sendable {
        public var length: Int
        public var source: IPAddress?
        public var destination: IPAddress?
        public var flowLabel: UInt32 = 0
        public var hopLimit: UInt8 = 0
    }

    /// How many packets one system call reads at most (recvmmsg), and the room for
    /// each: a keepalive, reflected or not, is under 200 bytes with every option and
    /// header; anything longer is not one, and is cut short and skipped.
    static let receiveBatchSize = 64
    static let receiveRoom = 512

    /// Reads every queued packet, up to `receiveBatchSize` a system call; `each` gets
    /// each one and its bytes (from the IP header for AF_INET, from the GRE header for
    /// AF_INET6). A short batch means the queue is empty: no call is made just to hear so.
    public func receiveQueued(_ each: (Datagram, UnsafeRawBufferPointer) -> Void) throws(SystemError) {
        while true {
            let count = try socket.receive(&batch, flags: CInt(MSG_DONTWAIT), "cannot receive GRE packets")
            for slot in 0..<count {
                let (received, bytes) = batch.datagram(slot)
                guard !received.isTruncated else { continue }
                each(family == .inet6 ? Self.datagram(received) : Datagram(length: received.length), bytes)
            }
            if count < batch.capacity { return }
        }
    }

    /// What a received packet's source and control messages say.
    private static func datagram(_ received: Socket.Received) -> Datagram {
        var datagram = Datagram(length: received.length, source: received.source.ipAddress)
        for message in received.controlMessages {
            if message.is(level: CInt(IPPROTO_IPV6), type: IPV6_PKTINFO), let information = message.load(as: in6_pktinfo.self) {
                datagram.destination = withUnsafeBytes(of: information.ipi6_addr) { IPAddress(bytes: $0) }
            } else if message.is(level: CInt(IPPROTO_IPV6), type: IPV6_FLOWINFO), let flowInformation = message.load(as: UInt32.self) {
                datagram.flowLabel = UInt32(bigEndian: flowInformation) & IPv6Header.flowLabelMask
            } else if message.is(level: CInt(IPPROTO_IPV6), type: IPV6_HOPLIMIT), let hopLimit = message.load(as: CInt.self) {
                datagram.hopLimit = UInt8(truncatingIfNeeded: hopLimit)
            }
        }
        return datagram
    }
}
