@testable import GreCLI
@testable import GreKit

extension FuzzTarget {
    /// An apply file as `gretool apply` reads it before it asks the kernel anything: lines
    /// of words (read as a batch's, each a declaration in its object's grammar) or the JSON
    /// document of `state show -j`, into the state they declare, checked as `apply` checks
    /// it (every device named is on the system or made by the file, the GRE rules). A
    /// state read must read back from its own JSON document as the same document, and as
    /// the same state as apply compares states with the kernel's: what `state show -j`
    /// prints, `apply` takes, and no word is lost on the way.
    static let apply = FuzzTarget(
        name: "apply", summary: "apply files: words or JSON, read and checked into the state they declare, and read back",
        dictionary: { Grammar.dictionary + ApplyFileReading.documentWords }
    ) { bytes in
        guard case .success(let (document, state, devices)) = ApplyFileReading.read(Array(bytes)) else { return }
        let text = String(decoding: document, as: UTF8.self)
        switch ApplyFileReading.read(document) {
        case .failure(let refusal):
            require(false, "apply: the document of a state read is refused (\(refusal.message)): \(text)")
        case .success(let (again, againState, againDevices)):
            require(again == document, "apply: the document of a state read reads back as another: \(text) then \(String(decoding: again, as: UTF8.self))")
            require(ApplyFileReading.same(state, againState.indexed(from: againDevices, to: devices)), "apply: the document of a state read declares another state: \(String(decoding: bytes, as: UTF8.self)) then \(text)")
        }
    }
}

enum ApplyFileReading {
    /// The devices on the "system", by index from 1: the grammar's.
    static var systemDevices: [(name: String, index: Int32)] {
        Grammar.deviceNames.enumerated().map { ($1, Int32($0 + 1)) }
    }

    /// What apply would print for a file it refuses.
    struct Refusal: Error {
        let message: String
    }

    /// Reads `bytes` as an apply file into the state and its JSON document, or the
    /// refusal apply would print.
    static func read(_ bytes: [UInt8]) -> Result<([UInt8], NetworkState, DeviceDirectory), Refusal> {
        let reader = DeclarationReader(owner: .gretool, devices: DeviceDirectory(devices: systemDevices))
        let state: NetworkState
        do {
            try ApplyFile.read(bytes, name: "fuzz.conf", into: reader)
            (state, _) = try reader.finish()
        } catch {
            let message = Failure.describe(error).message
            discardedOutput.write(message)
            return .failure(Refusal(message: message))
        }
        // A document longer than the buffer goes on in `collected`: a small buffer holds any
        // document, and costs the address sanitizer's allocator less than 64 KiB a read.
        let output = OutputBuffer(collectingWithLimit: 4096)
        var writer = JSONWriter(output: output, pretty: false)
        FieldRenderer.object(StateDocument.fields(state, devices: reader.devices), into: &writer)
        writer.finish()
        // The text form too, as `state show` prints it.
        for line in StateCommands.lines(state, reader.devices) { discardedOutput.write(line) }
        return .success((output.bytes(), state, reader.devices))
    }

    /// Whether two states are one as apply compares a file's with the kernel's: the same
    /// routes, nexthops and rules in the same order, each satisfying the other.
    static func same(_ one: NetworkState, _ other: NetworkState) -> Bool {
        func same<Object>(_ first: [Object], _ second: [Object], _ satisfies: (Object, Object) -> Bool) -> Bool {
            first.count == second.count && zip(first, second).allSatisfy { satisfies($0, $1) && satisfies($1, $0) }
        }
        return same(Array(one.routes), Array(other.routes)) { RouteKey($0) == RouteKey($1) && Planner.satisfies($0, $1) }
            && same(one.nexthops, other.nexthops, Planner.satisfies)
            && same(one.rules, other.rules, Planner.satisfies)
    }

    /// The JSON document's own words, for the dictionary: its punctuation and sections,
    /// and the members of each object's schema.
    static var documentWords: [String] {
        var words = ["{", "}", "[", "]", ":", ",", "\"", "true", "false", "null", "{\"links\":[{\"ifname\":\"", "linkinfo",
                     "info_kind", "info_data", "ifname", "mtu", "txqlen", "up"]
        words += StateDocument.sections.map(\.key)
        for schema in [WordSchema.address, .route, .nexthop, .rule, .keepalive] {
            words += schema.positional + schema.rows.map(\.key)
            if let group = schema.group { words += [group.key] + group.rows.map(\.key) }
        }
        return words
    }
}

extension NetworkState {
    /// The state with its routes' and nexthops' devices given the indexes `target` has
    /// for their names. A device a file makes has an index of the reading's own (a
    /// placeholder, in the order the reading meets it), which another reading of the same
    /// state, meeting the devices in another order, numbers otherwise.
    func indexed(from source: DeviceDirectory, to target: DeviceDirectory) -> NetworkState {
        func index(_ index: Int32) -> Int32 {
            source.name(of: index).flatMap { try? target.index(of: $0) } ?? index
        }
        var state = self
        // A route list is read only: the routes are made again, as the reading made them.
        state.routes = RouteList(routes.map { route in
            var route = route
            route.outputInterface = route.outputInterface.map(index)
            for leg in route.nexthops.indices {
                route.nexthops[leg].outputInterface = index(route.nexthops[leg].outputInterface)
            }
            return route
        })
        for position in state.nexthops.indices {
            state.nexthops[position].outputInterface = state.nexthops[position].outputInterface.map(index)
        }
        return state
    }
}
