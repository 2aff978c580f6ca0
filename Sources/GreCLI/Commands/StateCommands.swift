import GreKit

/// `gretool state`: the live state in `apply`'s forms, and in other tools' files.
enum StateCommands: ObjectCommands {
    static let object = CommandObject(
        name: "state", summary: "the live state as an apply file (batch words, or JSON with -j), or as other tools' files",
        verbs: [
            Verb(name: "show", aliases: ["list", "lst"], usage: "state show [ TUNNEL... ] [ --keepalive-file PATH ]",
                 summary: "what a file would declare to have this state: everything, or the tunnels named and what belongs to them, with their keepalive stanzas",
                 keywords: { showGrammar.spellings }, run: show),
            Verb(name: "export",
                 usage: "state export [ TUNNEL... ] as { batch | json | networkd | ifupdown | netplan } [ -o DIR ]",
                 summary: "the tunnels (all, or those named) and what belongs to them as an apply file or as other tools' files; -o writes them to DIR",
                 keywords: { exportGrammar.spellings + StateExport.Format.allCases.map(\.rawValue) }, run: export),
        ],
        defaultVerb: "show")

    enum ShowWord: Sendable { case keepaliveFile }
    enum ExportWord: Sendable { case format, directory }

    static let showGrammar = KeywordTable<ShowWord>([
        Keyword(.keepaliveFile, "--keepalive-file", value: "PATH", repeatable: false),
    ])

    static let exportGrammar = KeywordTable<ExportWord>([
        Keyword(.format, "as", value: "FORMAT", repeatable: false),
        Keyword(.directory, "-o", value: "DIR", repeatable: false),
    ])

    /// `state show`'s words: the tunnels (none: all), and the keepalive service's file.
    static func showWords(_ words: [String]) throws(InvalidArgument) -> (tunnels: [String], keepaliveFile: String) {
        var tunnels: [String] = []
        var keepaliveFile = KeepaliveServiceFile.defaultPath
        var scanner = WordScanner(words, allowsAbbreviations: false)
        while let word = scanner.next() {
            guard let entry = try scanner.keyword(word, in: showGrammar) else {
                tunnels.append(word)
                continue
            }
            keepaliveFile = try scanner.value(of: entry)
        }
        return (tunnels, keepaliveFile)
    }

    static func show(_ session: Session, _ words: [String]) throws {
        let (tunnels, keepaliveFile) = try showWords(words)
        var (state, kernel) = try read(tunnels: tunnels, session: session)
        state.keepalives = try keepalives(of: state, in: KeepaliveServiceFile(path: keepaliveFile))
        let devices = DeviceDirectory(kernel.links)
        if session.options.json {
            Printer.print(one: StateDocument.fields(state, devices: devices), session: session)
        } else {
            for line in lines(state, devices) { session.output.write(line + "\n") }
        }
    }

    static func export(_ session: Session, _ words: [String]) throws {
        let (tunnels, format, directory) = try exportWords(words)
        let (state, kernel) = try read(tunnels: tunnels, session: session)
        let devices = DeviceDirectory(kernel.links)
        let selected = StateExport.tunnels(state, devices: devices)
        let omissions = StateExport.Omissions()
        let files: [StateExport.File]
        switch format {
        case .batch: files = [StateExport.File(name: "gretool.conf", text: lines(state, devices).map { $0 + "\n" }.joined())]
        case .json:
            files = [StateExport.File(name: "gretool.json") { output in
                var writer = JSONWriter(output: output, pretty: true)
                FieldRenderer.object(StateDocument.fields(state, devices: devices), into: &writer)
                writer.finish()
            }]
        case .networkd: files = NetworkdExport.files(selected, devices: devices, omissions: omissions)
        case .ifupdown: files = IfupdownExport.files(selected, devices: devices)
        case .netplan: files = NetplanExport.files(selected, devices: devices, omissions: omissions)
        }
        if let directory {
            for file in files {
                try Confirmation.writeAtomically(directory + "/" + file.name, mode: file.mode, file.write)
            }
        } else {
            for file in files {
                if files.count > 1 { session.output.write("# \(file.name)\n") }
                file.write(session.output)
            }
        }
        // After the files, so that a warning never lands among them on a terminal.
        session.output.flush()
        for warning in omissions.warnings {
            Gretool.reportError("warning: " + warning)
        }
    }

    /// `state export`'s words: the tunnels (none: all), the format, and the directory
    /// to write into (none: standard output).
    static func exportWords(_ words: [String]) throws(InvalidArgument)
        -> (tunnels: [String], format: StateExport.Format, directory: String?) {
        var scanner = WordScanner(words, allowsAbbreviations: false)
        var tunnels: [String] = []
        var format: StateExport.Format?
        var directory: String?
        while let word = scanner.next() {
            guard let entry = try scanner.keyword(word, in: exportGrammar) else {
                tunnels.append(word)
                continue
            }
            let value = try scanner.value(of: entry)
            switch entry.keyword {
            case .format:
                guard let known = StateExport.Format(rawValue: value) else {
                    throw InvalidArgument.badValue("as", value, expected: StateExport.Format.allCases.map(\.rawValue).joined(separator: ", "))
                }
                format = known
            case .directory: directory = value
            }
        }
        guard let format else { throw InvalidArgument("state export: say the format: as batch, json, networkd, ifupdown or netplan") }
        return (tunnels, format, directory)
    }

    /// The declarable state, of the tunnels named (which must exist and be tunnels) or all.
    static func read(tunnels words: [String], session: Session) throws -> (NetworkState, KernelState) {
        let names = try words.map { try InterfaceName($0).value }
        let kernel = try attempt("read the kernel's state") { try KernelState.read(session.socket()) }
        for name in names {
            guard let link = kernel.link(named: name) else { throw DeviceNotFound(name) }
            _ = try Tunnel.tunnel(link)
        }
        return (kernel.declarable(tunnels: names.isEmpty ? nil : names), kernel)
    }

    /// The lines of the keepalive service's file that watch tunnels of the state, by
    /// name, whoever wrote them, as stanzas (a target given by its endpoints is none).
    static func keepalives(of state: NetworkState, in file: KeepaliveServiceFile) -> [KeepaliveStanza] {
        let lines = file.stanzas(of: .gretool)
        return (lines.owned + lines.others.map(\.stanza)).filter { stanza in
            state.link(named: stanza.tunnel)?.options is GreOptions && !stanza.words.contains(stanza.tunnel)
        }
    }

    /// The state as the lines of an apply file, in the order apply makes things.
    static func lines(_ state: NetworkState, _ devices: any InterfaceResolver) -> [String] {
        let words: [[String]] = state.links.filter { $0.options != nil }.map { $0.words(devices) }
            + state.links.filter { $0.options == nil }.map { $0.words(devices) }
            + state.addresses.map { $0.words(devices, ownership: false) }
            + state.nexthops.filter { $0.group.isEmpty }.map { $0.words(devices, ownership: false) }
            + state.nexthops.filter { !$0.group.isEmpty }.map { $0.words(devices, ownership: false) }
            + zip(state.routes, state.routeIsAppended).map { route, appended in
                let words = route.words(devices, ownership: false)
                return appended ? ["route", "append"] + words.dropFirst(2) : words
            }
            + state.rules.map { $0.words(ownership: false) }
            + state.keepalives.map(\.lineWords)
        return words.map { $0.map(PlanView.quoted).joined(separator: " ") }
    }
}
