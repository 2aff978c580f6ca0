import Testing
import CMnl
import SystemPackage
@testable import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SocketTests {
    @Test func optionsAreSetAndReadBack() throws {
        let socket = try Socket(domain: AF_INET, type: SOCK_DGRAM, "cannot open a socket")
        try socket.set(.typeOfService, to: 0x28)
        #expect(try socket.value(of: .typeOfService) == 0x28)
        try socket.enable(.receiveErrors)
        #expect(try socket.value(of: .receiveErrors) == 1)
        // The kernel reports twice what it grants (its bookkeeping).
        #expect(socket.reserveReceiveBuffer(bytes: 64 * 1024) >= 64 * 1024)
        #expect(fcntl(socket.rawValue, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(socket.rawValue, F_GETFL) & O_NONBLOCK == 0)
    }

    @Test func aRefusedOptionSaysWhichOption() throws {
        let socket = try Socket(domain: AF_INET, type: SOCK_DGRAM, "cannot open a socket")
        // An IPv6 option on an IPv4 socket.
        #expect(throws: SystemError("cannot set socket option IPV6_RECVERR", errno: .protocolNotAvailable)) {
            try socket.enable(.ipv6ReceiveErrors)
        }
    }

    @Test func aNonBlockingSocketWithNothingQueuedReceivesNothing() throws {
        let socket = try Socket(domain: AF_INET, type: SOCK_DGRAM, nonBlocking: true, "cannot open a socket")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        #expect(try socket.receive(into: buffer, "cannot receive") == nil)
    }

    /// The header IPV6_DSTOPTS gets is the one ip6gre writes (init_tel_txopt): 8 bytes,
    /// the tunnel encapsulation limit option (type 4, length 1, the limit), then PadN; an
    /// IPv6 UDP socket takes it (as root: it needs CAP_NET_RAW).
    @Test func theEncapsulationLimitHeaderIsTheKernels() throws {
        let header = IPv6DestinationOptions.encapsulationLimit(4)
        #expect(withUnsafeBytes(of: header) { Array($0) } == [0, 0, 4, 1, 4, 1, 1, 0])
        if geteuid() == 0 {
            let socket = try Socket(domain: AF_INET6, type: SOCK_DGRAM, "cannot open a socket")
            try socket.set(.ipv6DestinationOptions, to: header)
        }
    }

    @Test func socketAddressesKeepTheirFamily() {
        let address = SocketAddress(sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: UInt16(53).bigEndian,
                                                sin_addr: in_addr(s_addr: 0xc000_0201), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0)))
        #expect(address.family == AF_INET && Int(address.length) == MemoryLayout<sockaddr_in>.size)
        #expect(address.inet?.sin_addr.s_addr == 0xc000_0201)
        #expect(address.inet6 == nil && address.netlink == nil)
        #expect(SocketAddress().family == AF_UNSPEC && SocketAddress().inet == nil)
    }
}

@Suite struct ControlMessageTests {
    @Test func writtenMessagesReadBack() {
        let space = ControlMessages.space(for: in_pktinfo.self) + ControlMessages.space(for: CInt.self)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: space, alignment: 8)
        defer { buffer.deallocate() }
        var writer = ControlMessages(buffer: buffer)
        writer.append(level: CInt(IPPROTO_IP), type: IP_PKTINFO,
                      in_pktinfo(ipi_ifindex: 5, ipi_spec_dst: in_addr(s_addr: 0x0102_0304), ipi_addr: in_addr()))
        writer.append(level: CInt(IPPROTO_IP), type: IP_TTL, CInt(64))
        #expect(writer.length == space)
        let messages = Array(ControlMessages.parse(UnsafeRawBufferPointer(rebasing: buffer[..<writer.length])))
        #expect(messages.count == 2)
        #expect(messages[0].is(level: CInt(IPPROTO_IP), type: IP_PKTINFO))
        #expect(messages[0].data.count == MemoryLayout<in_pktinfo>.size)
        let information = messages[0].load(as: in_pktinfo.self)
        #expect(information?.ipi_ifindex == 5 && information?.ipi_spec_dst.s_addr == 0x0102_0304)
        #expect(messages[1].is(level: CInt(IPPROTO_IP), type: IP_TTL) && messages[1].load(as: CInt.self) == 64)
        // Too short for the type asked: no value.
        #expect(messages[1].load(as: in_pktinfo.self) == nil)
        // A buffer cut inside the second message's data (its padding aside) holds the first only.
        #expect(Array(ControlMessages.parse(UnsafeRawBufferPointer(rebasing: buffer[..<(writer.length - 5)]))).count == 1)
    }

    @Test func aQueuedErrorIsFoundAmongTheMessages() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * ControlMessages.space(for: sock_extended_err.self), alignment: 8)
        defer { buffer.deallocate() }
        var writer = ControlMessages(buffer: buffer)
        var error = sock_extended_err()
        error.ee_errno = UInt32(EMSGSIZE)
        error.ee_origin = UInt8(SO_EE_ORIGIN_ICMP6)
        error.ee_type = 2
        error.ee_info = 1280
        writer.append(level: CInt(IPPROTO_IP), type: IP_TTL, CInt(64))
        writer.append(level: CInt(IPPROTO_IPV6), type: IPV6_RECVERR, error)
        let queued = QueuedError(in: ControlMessages.parse(UnsafeRawBufferPointer(rebasing: buffer[..<writer.length])))
        #expect(queued == QueuedError(errno: .messageTooLong, origin: .icmp6, type: 2, code: 0, info: 1280))
    }

    @Test func aBatchLaysOutEachDatagram() {
        var batch = DatagramBatch(capacity: 2, payloadBytes: 5, controlSpace: ControlMessages.space(for: CInt.self))
        let destination = SocketAddress(sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: 1),
                                                    sin_zero: (0, 0, 0, 0, 0, 0, 0, 0)))
        [UInt8]([1, 2, 3]).withUnsafeBytes { batch.append($0, to: destination) { $0.append(level: CInt(IPPROTO_IP), type: IP_TTL, CInt(9)) } }
        [UInt8]([4, 5]).withUnsafeBytes { batch.append($0, to: destination) { _ in } }
        #expect(batch.count == 2)
        let first = batch.headers[0].msg_hdr, second = batch.headers[1].msg_hdr
        #expect(Int(first.msg_namelen) == MemoryLayout<sockaddr_in>.size)
        #expect(first.msg_name!.load(as: sockaddr_in.self).sin_addr.s_addr == 1)
        #expect(Array(UnsafeRawBufferPointer(start: first.msg_iov.pointee.iov_base, count: first.msg_iov.pointee.iov_len)) == [1, 2, 3])
        #expect(Array(UnsafeRawBufferPointer(start: second.msg_iov.pointee.iov_base, count: second.msg_iov.pointee.iov_len)) == [4, 5])
        #expect(first.msg_controllen == ControlMessages.space(for: CInt.self) && second.msg_controllen == 0 && second.msg_control == nil)
        let control = ControlMessages.parse(UnsafeRawBufferPointer(start: first.msg_control, count: first.msg_controllen))
        #expect(control.map { $0.load(as: CInt.self) } == [9])
    }

    /// Three datagrams over loopback UDP, read two a call: a full batch, then a short
    /// one (the queue is empty), then none; the long one cut short and said to be.
    @Test func aBatchReceivesManyDatagramsACall() throws {
        let loopback = SocketAddress(sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: UInt32(0x7f00_0001).bigEndian),
                                                 sin_zero: (0, 0, 0, 0, 0, 0, 0, 0)))
        let receiver = try Socket(domain: AF_INET, type: SOCK_DGRAM, nonBlocking: true, "socket")
        try receiver.bind(to: loopback, "bind")
        let address = try receiver.localAddress("getsockname")
        let sender = try Socket(domain: AF_INET, type: SOCK_DGRAM, "socket")
        try sender.bind(to: loopback, "bind")
        let senderPort = try #require(try sender.localAddress("getsockname").inet).sin_port
        for payload in [[1, 2, 3], [4], [UInt8](repeating: 5, count: 20)] as [[UInt8]] { try sender.send(payload, to: address, "send") }
        var batch = ReceiveBatch(capacity: 2, datagramBytes: 8, controlBytes: 0)
        #expect(try receiver.receive(&batch, flags: CInt(MSG_DONTWAIT), "receive") == 2)
        let (first, firstBytes) = batch.datagram(0)
        #expect(Array(firstBytes) == [1, 2, 3] && first.length == 3 && !first.isTruncated)
        #expect(first.source.inet?.sin_port == senderPort)
        #expect(Array(batch.datagram(1).bytes) == [4])
        #expect(try receiver.receive(&batch, "receive") == 1)
        let (long, longBytes) = batch.datagram(0)
        #expect(long.isTruncated && Array(longBytes) == [UInt8](repeating: 5, count: 8))
        #expect(try receiver.receive(&batch, "receive") == 0)
        // Without sources: the same bytes, no source.
        var anonymous = ReceiveBatch(capacity: 2, datagramBytes: 8, controlBytes: 0, sources: false)
        try sender.send([6, 7], to: address, "send")
        #expect(try receiver.receive(&anonymous, "receive") == 1)
        let (unnamed, unnamedBytes) = anonymous.datagram(0)
        #expect(Array(unnamedBytes) == [6, 7] && unnamed.length == 2)
        #expect(unnamed.source.family == AF_UNSPEC && anonymous.headers[0].msg_hdr.msg_name == nil)
    }
}

/// The values gretool names, pinned to the C headers.
@Suite struct HeaderValueTests {
    @Test func icmp() {
        #expect(ICMPType.destinationUnreachable.rawValue == ICMP_DEST_UNREACH)
        #expect(ICMPUnreachableCode.port.rawValue == ICMP_PORT_UNREACH)
        #expect(ICMPUnreachableCode.fragmentationNeeded.rawValue == ICMP_FRAG_NEEDED)
        #expect(ICMPv6Type.destinationUnreachable.rawValue == ICMPV6_DEST_UNREACH)
        #expect(ICMPv6Type.packetTooBig.rawValue == ICMPV6_PKT_TOOBIG)
        #expect(ICMPv6UnreachableCode.port.rawValue == ICMPV6_PORT_UNREACH)
        #expect(ICMPUnreachableCode.protocol.rawValue == ICMP_PROT_UNREACH)
        #expect(ICMPUnreachableCode.networkProhibited.rawValue == ICMP_NET_ANO && ICMPUnreachableCode.hostProhibited.rawValue == ICMP_HOST_ANO)
        #expect(ICMPUnreachableCode.filtered.rawValue == ICMP_PKT_FILTERED)
        #expect(ICMPv6Type.parameterProblem.rawValue == ICMPV6_PARAMPROB)
        #expect(ICMPv6UnreachableCode.administrativelyProhibited.rawValue == ICMPV6_ADM_PROHIBITED)
        #expect(ICMPv6UnreachableCode.policyFailed.rawValue == ICMPV6_POLICY_FAIL && ICMPv6UnreachableCode.rejectRoute.rawValue == ICMPV6_REJECT_ROUTE)
        #expect(ICMPType.echoRequest.rawValue == ICMP_ECHO && ICMPType.echoReply.rawValue == ICMP_ECHOREPLY)
        #expect(ICMPv6Type.echoRequest.rawValue == ICMPV6_ECHO_REQUEST && ICMPv6Type.echoReply.rawValue == ICMPV6_ECHO_REPLY)
    }

    @Test func errorQueueOrigins() {
        #expect(QueuedError.Origin.local.rawValue == SO_EE_ORIGIN_LOCAL)
        #expect(QueuedError.Origin.icmp.rawValue == SO_EE_ORIGIN_ICMP)
        #expect(QueuedError.Origin.icmp6.rawValue == SO_EE_ORIGIN_ICMP6)
    }

    @Test func filterInstructionsAreTheMacros() {
        // BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0) and BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1), as tcpdump -dd prints them.
        let load = SocketFilter.statement(BPF_LDX | BPF_B | BPF_MSH, 0)
        #expect((load.code, load.jt, load.jf, load.k) == (0xb1, 0, 0, 0))
        let jump = SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 7, ifTrue: 0, ifFalse: 1)
        #expect((jump.code, jump.jt, jump.jf, jump.k) == (0x15, 0, 1, 7))
        #expect((SocketFilter.accept.code, SocketFilter.accept.k) == (0x06, 0xffff))
        #expect((SocketFilter.drop.code, SocketFilter.drop.k) == (0x06, 0))
    }
}

@Suite struct UnixSocketTests {
    /// A directory of its own for each test, removed after it.
    private func withDirectory(_ body: (String) throws -> Void) throws {
        var template = Array("/tmp/gretool-unix-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { _ = system("rm -rf '\(directory)'") }
        try body(directory)
    }

    @Test func addressesOfPathsAndAbstractNames() throws {
        let path = try SocketAddress(unixPath: "/run/a.sock")
        #expect(path.family == AF_UNIX && Int(path.length) == MemoryLayout<sa_family_t>.size + "/run/a.sock".utf8.count + 1)
        // An abstract name: a zero byte first, nothing after the name counted.
        let abstract = try SocketAddress(unixPath: "@notify")
        #expect(Int(abstract.length) == MemoryLayout<sa_family_t>.size + 7)
        let firstByte = abstract.withSockaddr { address, _ in
            UnsafeRawPointer(address).load(fromByteOffset: MemoryLayout<sa_family_t>.size, as: UInt8.self)
        }
        #expect(firstByte == 0)
        #expect(throws: SystemError("cannot use \(String(repeating: "x", count: 108)) as a Unix socket's address", errno: .fileNameTooLong)) {
            try SocketAddress(unixPath: String(repeating: "x", count: 108))
        }
    }

    @Test func aListenerAnswersAConnection() throws {
        try withDirectory { directory in
            let path = directory + "/control.sock"
            // A file left behind by a process that died is replaced.
            touch(path)
            let listener = try Socket.listening(atUnixPath: path)
            var waiting = false
            if let early = try listener.accept("accept") { waiting = early.rawValue >= 0 }
            #expect(!waiting, "nobody waits yet")
            let client = try Socket.connected(toUnixPath: path, timeout: 1_000_000_000)
            guard let server = try listener.accept("accept") else {
                Issue.record("the connection was not accepted")
                return
            }
            #expect(fcntl(server.rawValue, F_GETFD) & FD_CLOEXEC != 0 && fcntl(server.rawValue, F_GETFL) & O_NONBLOCK != 0)
            try client.send(Array("status\n".utf8), "send")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
            defer { buffer.deallocate() }
            #expect(try server.receive(into: buffer, "receive")?.length == 7)
            try server.send(Array("up".utf8), "send")
            try server.finishWriting("shutdown")
            #expect(try client.receive(into: buffer, "receive")?.length == 2)
            #expect(try client.receive(into: buffer, "receive")?.length == 0, "the end of the answer")
            // Nothing more comes and the peer does not close: the timeout ends the wait.
            let quiet = try Socket.connected(toUnixPath: path, timeout: 100_000_000)
            #expect(try quiet.receive(into: buffer, "receive") == nil)
        }
    }

    @Test func datagramsGoToAPath() throws {
        try withDirectory { directory in
            let path = directory + "/notify"
            let receiver = try Socket(domain: AF_UNIX, type: SOCK_DGRAM, nonBlocking: true, "socket")
            try receiver.bind(to: SocketAddress(unixPath: path), "bind")
            try Socket.unixDatagram().send(Array("READY=1".utf8), to: SocketAddress(unixPath: path), "send")
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
            defer { buffer.deallocate() }
            let received = try #require(try receiver.receive(into: buffer, "receive"))
            #expect(String(decoding: buffer[..<received.length], as: UTF8.self) == "READY=1")
        }
    }
}

@Suite struct FileTests {
    @Test func aFileIsReplacedWhole() throws {
        var template = Array("/tmp/gretool-files-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { _ = system("rm -rf '\(directory)'") }
        let path = directory + "/metrics.prom"
        try Files.replace(path, with: Array("first\n".utf8))
        try Files.replace(path, with: Array("second\n".utf8), mode: 0o600)
        #expect(try Files.read(path) == Array("second\n".utf8))
        #expect(try Files.names(in: directory) == ["metrics.prom"], "no temporary file is left")
        var status = stat()
        #expect(stat(path, &status) == 0 && status.st_mode & 0o777 == 0o600)
        // A directory that cannot take the file: the error names the temporary file, nothing is left.
        #expect(throws: SystemError("cannot write \(directory)/missing/m.tmp.\(getpid())", errno: .noSuchFileOrDirectory)) {
            try Files.replace(directory + "/missing/m", with: [1])
        }
        try Files.createDirectory(directory + "/run")
        try Files.createDirectory(directory + "/run")
        try Files.remove(path)
        try Files.remove(path)
        #expect(try Files.names(in: directory) == ["run"])
        let identity = try #require(Files.identity(ofDescriptor: 0))
        #expect(identity.inode > 0)
        #expect(Files.identity(ofDescriptor: -1) == nil)
    }

    /// Every name of a directory of many entries of every length: readdir's buffer ends
    /// with entries shorter than a whole dirent, whose name must not be read past (the
    /// address sanitizer fails this test when it is).
    @Test func aDirectoryOfManyEntriesIsListedWhole() throws {
        var template = Array("/tmp/gretool-names-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { _ = system("rm -rf '\(directory)'") }
        let names = (0..<2000).map { String(repeating: "n", count: $0 % 200 + 1) + "-\($0)" }
        // Directories, made without a descriptor: tests that run beside this one check
        // what becomes of a descriptor's number, which a file opened here could take.
        for name in names { mkdir(directory + "/" + name, 0o755) }
        #expect(try Files.names(in: directory).sorted() == names.sorted())
    }
}

/// Makes an empty file at `path`.
private func touch(_ path: String) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    if descriptor >= 0 { close(descriptor) }
}
