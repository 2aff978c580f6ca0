import GreKit

/// What one run of gretool (or one batch) shares: options, output, the socket.
final class Session {
    let options: GlobalOptions
    let output: OutputBuffer
    private var openSocket: NetlinkSocket?
    private var openLinks: LinkService?
    /// The exit status when every command ran: failure once a check found a problem (diag).
    private(set) var findingStatus = ExitStatus.success

    init(options: GlobalOptions, output: OutputBuffer) {
        self.options = options
        self.output = output
    }

    /// The rtnetlink socket, opened on first use.
    func socket() throws -> NetlinkSocket {
        if let openSocket { return openSocket }
        // The kernel reads SO_RCVBUF as an int, as it does ip's -rcvbuf.
        let socket = try options.receiveBuffer.map { try NetlinkSocket(queueBytes: CInt(bitPattern: $0)) } ?? NetlinkSocket()
        openSocket = socket
        return socket
    }

    /// The links of the namespace: queries, changes and name resolution.
    func links() throws -> LinkService {
        if let openLinks { return openLinks }
        let links = try LinkService(socket: socket())
        openLinks = links
        return links
    }

    /// The last command's first words and what they named (see `Gretool.execute`).
    var lastCommand: ResolvedCommand?

    /// Set for a batch: changes wait in it and travel many per datagram.
    private(set) var pipeline: RequestPipeline?

    func startPipeline(_ mode: RequestPipeline.Mode) throws -> RequestPipeline {
        let pipeline = RequestPipeline(transport: try socket(), mode: mode)
        self.pipeline = pipeline
        return pipeline
    }

    /// Sends what a batch has queued (before anything reads the kernel's state).
    func settle() throws {
        try pipeline?.flush()
    }

    func routes() throws -> RouteService { RouteService(socket: try socket(), changes: pipeline) }
    func addresses() throws -> AddressService { AddressService(socket: try socket(), changes: pipeline) }
    func nexthops() throws -> NexthopService { NexthopService(socket: try socket(), changes: pipeline) }
    func rules() throws -> RuleService { RuleService(socket: try socket(), changes: pipeline) }

    /// One link dump, for showing device names.
    func deviceNames() throws -> DeviceNames {
        DeviceNames(LinkSnapshot(try attempt("list links") { try links().list() }))
    }

    /// The names of the namespaces the links' peers are in, by id: asked for only when a
    /// link has its peer elsewhere (see `NamespaceNames`).
    func namespaceNames(of links: [Link]) throws -> [Int32: String] {
        guard links.contains(where: { $0.linkNetnsID != nil }) else { return [:] }
        return NamespaceNames.byID(socket: try socket())
    }

    /// Marks the run as having found a problem: it exits 1 though every command ran.
    func foundProblem() {
        findingStatus = .failure
    }

    /// The status the run exits with though every command ran (`apply --detailed-exitcode`).
    func exit(with status: ExitStatus) {
        findingStatus = status
    }

    /// Starts JSON output when -j is on: the caller writes one array element per object.
    func jsonWriter() -> JSONWriter {
        JSONWriter(output: output, pretty: options.pretty)
    }
}
