import GreKit

/// A link as `ip link show` presents it, as fields: one description feeds both
/// the text and the JSON output, as iproute2's print_* calls do.
struct LinkView {
    var details = false
    /// 0: none, 1: `-s`, 2 or more: `-s -s` (error counters too).
    var statisticsLevel = 0
    /// -human: the counters' unit, 1000 (or 1024 with -iec); nil for exact counts.
    var humanBase: UInt64?
    /// As `ip address show` heads each link's addresses: no link mode, the alias only with -d.
    var addressListing = false
    /// The "link/ether ADDRESS brd ..." line; `ip -4|-6 address show` leaves it out (but for -d).
    var linkLayer = true
    /// The names of the namespaces peers are in, by id (`Session.namespaceNames`).
    var namespaceNames: [Int32: String] = [:]
    /// How groups, hardware types and the kinds' named numbers are written (-N).
    var naming = Naming.names

    func fields(_ link: Link, devices: LinkSnapshot) -> [Field] {
        var fields: [Field] = [Field("ifindex", .signed(Int64(link.index)), text: "\(link.index):")]
        fields.append(contentsOf: Self.nameFields(link, devices: devices, suffix: ":"))
        fields.append(Self.flagsField(link, devices: devices))
        if let mtu = link.mtu { fields.append(.unsigned("mtu", mtu)) }
        if let qdisc = link.qdisc { fields.append(.string("qdisc", qdisc)) }
        if let master = link.master { fields.append(.string("master", devices.displayName(of: master))) }
        if let state = link.operationalState { fields.append(.string("operstate", state.name, label: "state")) }
        if let mode = link.linkMode, !addressListing {
            fields.append(.string("linkmode", mode.name, label: "mode"))
        }
        if let group = link.group { fields.append(.string("group", naming.linkGroup(group))) }
        if let txqlen = link.txqlen { fields.append(.unsigned("txqlen", txqlen, label: "qlen")) }

        if linkLayer || details { fields.append(contentsOf: linkLayerFields(link)) }
        if let netnsID = link.linkNetnsID {
            // The namespace's name when it has one, as iproute2 prints it; JSON keeps the id.
            let text = namespaceNames[netnsID].map { "link-netns \($0)" } ?? "link-netnsid \(netnsID)"
            fields.append(Field("link_netnsid", .signed(Int64(netnsID)), text: text))
        }
        if details { fields.append(contentsOf: detailFields(link, devices: devices)) }
        if let alias = link.alias, !addressListing || details {
            fields.append(Field("ifalias", .string(alias), text: "\n    alias \(alias)"))
        }
        if statisticsLevel > 0, let statistics = link.statistics {
            fields.append(statisticsField(statistics, carrierChanges: link.carrierChanges))
        }
        return fields
    }

    /// The counters alone, as `ip -s address show` prints them after a link's addresses.
    func statisticsFields(_ link: Link) -> [Field] {
        guard statisticsLevel > 0, let statistics = link.statistics else { return [] }
        return [statisticsField(statistics, carrierChanges: link.carrierChanges)]
    }

    /// "link/ether ADDRESS brd ADDRESS" on a line of its own.
    private func linkLayerFields(_ link: Link) -> [Field] {
        let type = naming.hardwareType(link.hardwareType)
        var fields = [Field("link_type", .string(type), text: "\n    link/\(type)")]
        if let address = link.address {
            let text = Self.format(address, type: link.hardwareType)
            fields.append(Field("address", .string(text), text: text))
        }
        if let broadcast = link.broadcast {
            let text = Self.format(broadcast, type: link.hardwareType)
            if link.flags.contains(.pointToPoint) {
                fields.append(Field("link_pointtopoint", .bool(true), text: nil))
                fields.append(Field("broadcast", .string(text), text: "peer \(text)"))
            } else {
                fields.append(Field("broadcast", .string(text), text: "brd \(text)"))
            }
        }
        if let permanent = link.permanentAddress, permanent != link.address {
            fields.append(.string("permaddr", Self.format(permanent, type: link.hardwareType)))
        }
        return fields
    }

    /// "name@parent" and `suffix` in text; JSON has "link" (or "link_index") before "ifname".
    static func nameFields(_ link: Link, devices: LinkSnapshot, suffix: String) -> [Field] {
        guard let parent = link.parent else { return [Field("ifname", .string(link.name), text: link.name + suffix)] }
        if parent == 0 {
            return [.jsonOnly("link", .null), Field("ifname", .string(link.name), text: "\(link.name)@NONE" + suffix)]
        }
        if link.linkNetnsID != nil {
            return [.jsonOnly("link_index", .signed(Int64(parent))),
                    Field("ifname", .string(link.name), text: "\(link.name)@if\(parent)" + suffix)]
        }
        let parentName = devices.displayName(of: parent)
        return [.jsonOnly("link", .string(parentName)), Field("ifname", .string(link.name), text: "\(link.name)@\(parentName)" + suffix)]
    }

    /// "<FLAG,...>"; M-DOWN when the device this one sits on is down ("master down" in
    /// iproute2's words).
    static func flagsField(_ link: Link, devices: LinkSnapshot) -> Field {
        var flagNames = link.flags.names
        if let parent = link.parent, parent != 0, link.linkNetnsID == nil, devices[parent]?.isUp == false {
            flagNames.append("M-DOWN")
        }
        return Field("flags", .array(flagNames.map { .string($0) }), text: "<\(flagNames.joined(separator: ","))>")
    }

    /// What `-d` adds, spaced as iproute2 prints it: every item ends in a space (its
    /// formats are "minmtu %u "), allmulti starts with one as well (" allmulti %u "),
    /// and the kind's and the port's words start a line each. `ip address show -d`
    /// leaves out the address generation mode.
    private func detailFields(_ link: Link, devices: LinkSnapshot) -> [Field] {
        var fields: [Field] = []
        if let value = link.promiscuity { fields.append(Self.spaced(.unsigned("promiscuity", value))) }
        if let value = link.allmulti { fields.append(Self.spaced(.unsigned("allmulti", value), before: " ")) }
        if let value = link.minMTU { fields.append(Self.spaced(.unsigned("min_mtu", value, label: "minmtu"))) }
        if let value = link.maxMTU { fields.append(Self.spaced(.unsigned("max_mtu", value, label: "maxmtu"))) }
        if link.kind != nil || link.portKind != nil {
            var info: [Field] = []
            if let kind = link.kind {
                info.append(Field("info_kind", .string(kind), text: "\n    \(kind) "))
                if let data = link.kindData, type(of: data).describesData {
                    info.append(Self.spacedObject("info_data", data.describe(devices, naming: naming)))
                }
            }
            if let portKind = link.portKind {
                info.append(Field("info_slave_kind", .string(portKind), text: "\n    \(portKind)_slave "))
                if let port = link.bridgePort { info.append(Self.spacedObject("info_slave_data", port.describe(devices, naming: naming))) }
            }
            fields.append(Field("linkinfo", .object(info), text: info.compactMap(\.text).joined()))
        }
        if !addressListing, let mode = link.addressGenerationMode {
            fields.append(Self.spaced(.string("inet6_addr_gen_mode", mode.name, label: "addrgenmode")))
        }
        let counters: [(String, String, UInt32?)] = [
            ("num_tx_queues", "numtxqueues", link.numTxQueues), ("num_rx_queues", "numrxqueues", link.numRxQueues),
            ("gso_max_size", "gso_max_size", link.gsoMaxSize), ("gso_max_segs", "gso_max_segs", link.gsoMaxSegs),
            ("tso_max_size", "tso_max_size", link.tsoMaxSize), ("tso_max_segs", "tso_max_segs", link.tsoMaxSegs),
            ("gro_max_size", "gro_max_size", link.groMaxSize),
        ]
        for (key, label, value) in counters {
            if let value { fields.append(Self.spaced(.unsigned(key, value, label: label))) }
        }
        return fields
    }

    /// The field with a space after its words (and `before` them), as iproute2's formats
    /// leave one.
    private static func spaced(_ field: Field, before: String = "") -> Field {
        var field = field
        field.text = field.text.map { before + $0 + " " }
        return field
    }

    /// A kind's or a port's description as one JSON object, its words each followed by a space.
    private static func spacedObject(_ key: String, _ members: [Field]) -> Field {
        Field(key, .object(members), text: members.compactMap { $0.text.map { $0 + " " } }.joined())
    }

    /// Link-layer addresses: IP addresses for IP tunnels, colon-separated hex otherwise.
    static func format(_ bytes: [UInt8], type: HardwareType) -> String {
        if type.carriesIPAddress, let address = bytes.withUnsafeBytes({ IPAddress(bytes: $0) }) {
            return address.description
        }
        return LinkLayerAddress.format(bytes)
    }

    // MARK: Statistics

    private func statisticsField(_ s: LinkStatistics, carrierChanges: UInt32?) -> Field {
        let extended = statisticsLevel > 1
        var rx: [Field] = [
            .jsonOnly("bytes", .unsigned(s.rxBytes)), .jsonOnly("packets", .unsigned(s.rxPackets)),
            .jsonOnly("errors", .unsigned(s.rxErrors)), .jsonOnly("dropped", .unsigned(s.rxDropped)),
            .jsonOnly("over_errors", .unsigned(s.rxOverErrors)), .jsonOnly("multicast", .unsigned(s.multicast)),
        ]
        var tx: [Field] = [
            .jsonOnly("bytes", .unsigned(s.txBytes)), .jsonOnly("packets", .unsigned(s.txPackets)),
            .jsonOnly("errors", .unsigned(s.txErrors)), .jsonOnly("dropped", .unsigned(s.txDropped)),
            .jsonOnly("carrier_errors", .unsigned(s.txCarrierErrors)), .jsonOnly("collisions", .unsigned(s.collisions)),
        ]
        if extended {
            rx += [
                .jsonOnly("length_errors", .unsigned(s.rxLengthErrors)), .jsonOnly("crc_errors", .unsigned(s.rxCRCErrors)),
                .jsonOnly("frame_errors", .unsigned(s.rxFrameErrors)), .jsonOnly("fifo_errors", .unsigned(s.rxFIFOErrors)),
                .jsonOnly("missed_errors", .unsigned(s.rxMissedErrors)),
            ]
            tx += [
                .jsonOnly("aborted_errors", .unsigned(s.txAbortedErrors)), .jsonOnly("fifo_errors", .unsigned(s.txFIFOErrors)),
                .jsonOnly("window_errors", .unsigned(s.txWindowErrors)), .jsonOnly("heartbeat_errors", .unsigned(s.txHeartbeatErrors)),
            ]
            if let carrierChanges { tx.append(.jsonOnly("carrier_changes", .unsigned(UInt64(carrierChanges)))) }
        }
        return Field("stats64", .object([.jsonOnly("rx", .object(rx)), .jsonOnly("tx", .object(tx))]),
                     text: statisticsTable(s, carrierChanges: carrierChanges, extended: extended))
    }

    /// The RX/TX table of `ip -s link`, columns sized to fit their numbers.
    private func statisticsTable(_ s: LinkStatistics, carrierChanges: UInt32?, extended: Bool) -> String {
        var widths = ["*X errors:", "packets", "errors", "dropped", "heartbt", "overrun", "compressed", "otherhost"].map(\.count)
        // Human units fit the headers' widths: iproute2 sizes columns by exact counts only.
        func fit(_ values: [UInt64]) {
            guard humanBase == nil else { return }
            for (column, value) in values.enumerated() { widths[column] = max(widths[column], String(value).count) }
        }
        func count(_ value: UInt64) -> String {
            humanBase.map { Self.humanCount(value, base: $0) } ?? String(value)
        }
        fit([s.rxBytes, s.rxPackets, s.rxErrors, s.rxDropped, s.rxMissedErrors, s.multicast, s.rxCompressed])
        fit([s.txBytes, s.txPackets, s.txErrors, s.txDropped, s.txCarrierErrors, s.collisions, s.txCompressed])
        if extended {
            fit([0, s.rxLengthErrors, s.rxCRCErrors, s.rxFrameErrors, s.rxFIFOErrors, s.rxOverErrors])
            fit([0, 0, s.txAbortedErrors, s.txFIFOErrors, s.txWindowErrors, s.txHeartbeatErrors, UInt64(carrierChanges ?? 0)])
        }
        func pad(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        // The last column ("compressed") is padded even when empty, as iproute2 does.
        func header(_ title: String, _ names: [String], compressed: Bool) -> String {
            var line = "\n    \(title): " + pad("bytes", widths[0] - 4)
            for (offset, name) in names.enumerated() { line += " " + pad(name, widths[offset + 1]) }
            return line + " " + pad(compressed ? "compressed" : "", widths[6])
        }
        func numbers(_ values: [UInt64], indent: Int = 4) -> String {
            var line = "\n" + String(repeating: " ", count: indent)
            for (column, value) in values.enumerated() { line += pad(count(value), widths[column]) + " " }
            return line
        }
        func errorHeader(_ title: String, _ names: [String]) -> String {
            var line = "\n    \(title) errors:" + String(repeating: " ", count: max(0, widths[0] - 10))
            for (offset, name) in names.enumerated() { line += " " + pad(name, widths[offset + 1]) }
            return line
        }
        func errorNumbers(_ values: [UInt64]) -> String {
            var line = "\n" + String(repeating: " ", count: widths[0] + 5)
            for (offset, value) in values.enumerated() { line += pad(count(value), widths[offset + 1]) + " " }
            return line
        }
        var text = header("RX", ["packets", "errors", "dropped", "missed", "mcast"], compressed: s.rxCompressed != 0)
        text += numbers([s.rxBytes, s.rxPackets, s.rxErrors, s.rxDropped, s.rxMissedErrors, s.multicast] + (s.rxCompressed != 0 ? [s.rxCompressed] : []))
        if extended {
            text += errorHeader("RX", ["length", "crc", "frame", "fifo", "overrun"])
            text += errorNumbers([s.rxLengthErrors, s.rxCRCErrors, s.rxFrameErrors, s.rxFIFOErrors, s.rxOverErrors])
        }
        text += header("TX", ["packets", "errors", "dropped", "carrier", "collsns"], compressed: s.txCompressed != 0)
        text += numbers([s.txBytes, s.txPackets, s.txErrors, s.txDropped, s.txCarrierErrors, s.collisions] + (s.txCompressed != 0 ? [s.txCompressed] : []))
        if extended {
            text += errorHeader("TX", ["aborted", "fifo", "window", "heartbt"] + (carrierChanges == nil ? [] : ["transns"]))
            text += errorNumbers([s.txAbortedErrors, s.txFIFOErrors, s.txWindowErrors, s.txHeartbeatErrors] + (carrierChanges.map { [UInt64($0)] } ?? []))
        }
        return text
    }

    /// A counter in human units, as iproute2's print_num writes it: below `base` as it
    /// is, else in the largest unit (k, M, G, T, P, E; "ki", "Mi"... for 1024) that leaves at
    /// least 1, with two decimals, one from 10 on, none from 100 on.
    static func humanCount(_ count: UInt64, base: UInt64) -> String {
        guard count >= base else { return String(count) }
        let units = Array("kMGTPE")
        var power: UInt64 = 1
        var unit = 0
        while true {
            power *= base
            if count / base < power || unit == units.count - 1 { break }
            unit += 1
        }
        var decimals = 2
        var limit: UInt64 = 1
        while decimals > 0 {
            limit *= 10
            if count / power < limit { break }
            decimals -= 1
        }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = UInt64((Double(count) / Double(power) * Double(scale)).rounded())
        let whole = String(scaled / scale)
        let fraction = decimals == 0 ? "" : "." + String(String(scaled % scale + scale).dropFirst())
        return whole + fraction + String(units[unit]) + (base == 1024 ? "i" : "")
    }
}
