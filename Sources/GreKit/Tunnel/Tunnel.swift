import Netlink

/// `ip tunnel`'s grammar over GRE links. Tunnels are links of a GRE kind: `tunnel
/// add` builds the same request as `link add ... type gre`, `tunnel change` merges
/// into the current options, `tunnel show` lists GRE links in `ip tunnel`'s format.
public enum Tunnel {
    /// A tunnel's mode is its GRE link kind.
    public static let modes = GreOptions.kinds
    public static let keywords = ["mode", "name"] + GreOptions.keywords

    /// The value of a `mode` word, refused unless it is one of the modes.
    public static func mode(_ words: inout WordScanner) throws -> String {
        let value = try words.value(for: "mode")
        guard modes.contains(value) else {
            throw InvalidArgument.badValue("mode", value, expected: modes.joined(separator: ", "))
        }
        return value
    }

    /// Parses `tunnel add` words into a link creation.
    public static func add(_ arguments: [String], devices: any InterfaceResolver) throws -> LinkRequest {
        let words = try split(arguments, verb: "tunnel add")
        // As iproute2: without a mode, a name starting with "gre" means GRE.
        guard let kind = words.mode ?? (words.name.value.hasPrefix("gre") ? "gre" : nil) else {
            throw InvalidArgument("tunnel add: cannot determine the tunnel mode; give mode gre, gretap, ip6gre or ip6gretap")
        }
        let options = try apply(words.options, to: GreOptions(kind: kind), verb: "tunnel add", devices: devices)
        return LinkRequest(mode: .create, name: words.name, options: options)
    }

    /// Parses `tunnel change` words into a change of the tunnel's current options.
    public static func change(
        _ arguments: [String], devices: any InterfaceResolver, current: (InterfaceName) throws -> Link
    ) throws -> (request: LinkRequest, index: Int32) {
        let words = try split(arguments, verb: "tunnel change")
        let (link, currentOptions) = try tunnel(current(words.name))
        if let mode = words.mode, mode != currentOptions.kind {
            throw InvalidArgument("\(link.name) is a \(currentOptions.kind) tunnel; its mode cannot change to \(mode)")
        }
        let options = try apply(words.options, to: currentOptions, verb: "tunnel change", devices: devices)
        return (LinkRequest(mode: .modify, name: words.name, options: options), link.index)
    }

    /// The link and its options if it is a GRE tunnel, else an error naming what it is.
    public static func tunnel(_ link: Link) throws(InvalidArgument) -> (Link, GreOptions) {
        guard let options = link.options as? GreOptions else {
            throw InvalidArgument("\(link.name) is not a GRE tunnel (it is a \(link.kind ?? "plain \(HardwareType.name(link.hardwareType))") link)")
        }
        return (link, options)
    }

    /// Separates `mode`, the name and the option words (with their values).
    /// Keywords are never abbreviated here: any other word is the tunnel's name.
    private static func split(
        _ arguments: [String], verb: String
    ) throws -> (name: InterfaceName, mode: String?, options: [String]) {
        var mode: String?
        var name: InterfaceName?
        var options: [String] = []
        var words = WordScanner(arguments, allowsAbbreviations: false)
        while let word = words.next() {
            if word == "mode" {
                mode = try Self.mode(&words)
            } else if let entry = GreOptions.words.lookup(word, in: words) {
                options.append(word)
                if GreOptions.takesValue(entry.keyword) { options.append(try words.value(for: word)) }
            } else {
                let value = word == "name" ? try words.value(for: "name") : word
                guard name == nil else {
                    throw word == "name" ? InvalidArgument("\(verb): the tunnel is named twice") : InvalidArgument.unknownWord(word, in: verb)
                }
                name = try InterfaceName(value)
            }
        }
        guard let name else { throw InvalidArgument("\(verb): no tunnel name given") }
        return (name, mode, options)
    }

    private static func apply(
        _ arguments: [String], to start: GreOptions, verb: String, devices: any InterfaceResolver
    ) throws -> GreOptions {
        var options = start
        var words = WordScanner(arguments, allowsAbbreviations: false)
        while let word = words.next() {
            guard try options.apply(word, &words, devices) else { throw InvalidArgument.unknownWord(word, in: verb) }
        }
        try options.finish()
        if !options.isIPv6, options.ttl != 0, !options.pathMTUDiscovery {
            throw InvalidArgument("ttl \(options.ttl) and nopmtudisc are incompatible: a fixed TTL needs path MTU discovery")
        }
        return options
    }

    // MARK: Show

    /// A tunnel as `ip tunnel show` prints it.
    public static func describe(_ link: Link, _ options: GreOptions, _ devices: any InterfaceResolver) -> [Field] {
        let family = options.isIPv6 ? "ipv6" : "ip"
        let mode = (options.isEthernet ? "gretap" : "gre") + "/" + family
        let zero = IPAddress.zero(options.family).description
        var fields: [Field] = [
            Field("ifname", .string(link.name), text: "\(link.name):"),
            Field("mode", .string(mode), text: mode),
            Field("remote", .string(options.remote?.description ?? zero), text: "remote \(options.remote?.description ?? "any")"),
            Field("local", .string(options.local?.description ?? zero), text: "local \(options.local?.description ?? "any")"),
        ]
        if options.underlay != 0, let device = devices.name(of: options.underlay) {
            fields.append(.string(options.isIPv6 ? "link" : "dev", device, label: "dev"))
        }
        if options.isIPv6 {
            if options.ipv6Flags.contains(.ignoreEncapLimit) {
                fields.append(Field("ip6_tnl_f_ign_encap_limit", .null, text: "encaplimit none"))
            } else {
                fields.append(.unsigned("encap_limit", options.encapLimit, label: "encaplimit"))
            }
            fields.append(options.ttl == 0 ? .textOnly("hoplimit inherit") : .unsigned("hoplimit", options.ttl))
            if options.ipv6Flags.contains(.useOriginalTrafficClass) {
                fields.append(Field("ip6_tnl_f_use_orig_tclass", .null, text: "tclass inherit"))
            } else {
                fields.append(.string("tclass", hexadecimal(options.flowInfo >> 20 & 0xff, digits: 2)))
            }
            if options.ipv6Flags.contains(.useOriginalFlowLabel) {
                fields.append(Field("ip6_tnl_f_use_orig_flowlabel", .null, text: "flowlabel inherit"))
            } else {
                fields.append(.string("flowlabel", hexadecimal(options.flowInfo & 0xF_FFFF, digits: 5)))
            }
            let flowInfo = hexadecimal(options.flowInfo, digits: 8)
            fields.append(Field("flowinfo", .string(flowInfo), text: "(flowinfo \(flowInfo))"))
        } else {
            fields.append(options.ttl == 0 ? .textOnly("ttl inherit") : .unsigned("ttl", options.ttl))
            if options.tos == 1 {
                fields.append(.textOnly("tos inherit"))
            } else if options.tos != 0 {
                fields.append(.string("tos", hexadecimal(options.tos)))
            }
            if !options.pathMTUDiscovery { fields.append(Field("nopmtudisc", .null, text: "nopmtudisc")) }
        }
        let (inFlags, outFlags) = (options.inputFlags, options.outputFlags)
        if inFlags.contains(.key), outFlags.contains(.key), options.inputKey == options.outputKey {
            fields.append(.unsigned("key", options.inputKey.value))
        } else {
            if inFlags.contains(.key) { fields.append(.unsigned("ikey", options.inputKey.value)) }
            if outFlags.contains(.key) { fields.append(.unsigned("okey", options.outputKey.value)) }
        }
        // iproute2 prints each flag on a line of its own in text, as an array in JSON.
        var flags: [(String, String)] = []
        if inFlags.contains(.sequence) { flags.append(("rx_drop_ooseq", "Drop packets out of sequence.")) }
        if inFlags.contains(.checksum) { flags.append(("rx_csum", "Checksum in received packet is required.")) }
        if outFlags.contains(.sequence) { flags.append(("tx_seq", "Sequence packets on output.")) }
        if outFlags.contains(.checksum) { flags.append(("tx_csum", "Checksum output packets.")) }
        fields.append(Field(
            "flags", .array(flags.map { .string($0.0) }),
            text: flags.isEmpty ? nil : flags.map { "\n  " + $0.1 }.joined()))
        return fields
    }

}
