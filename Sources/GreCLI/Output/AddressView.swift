import GreKit

/// An address as `ip address show` prints it under its link (print_addrinfo): one
/// line of words, then the lifetimes on a line of their own.
enum AddressView {
    /// The "addr_info" list a link's description ends with.
    static func field(_ addresses: [Address], naming: Naming) -> Field { list(addresses) { describe($0, naming: naming) } }

    /// `ip -br address show`'s list: each address as "LOCAL[ peer PEER]/LENGTH[ metric M] ".
    static func briefField(_ addresses: [Address]) -> Field { list(addresses, local) }

    private static func list(_ addresses: [Address], _ describe: (Address) -> (text: String, fields: [Field])) -> Field {
        var text = ""
        var objects: [Field.Value] = []
        for address in addresses {
            let (words, fields) = describe(address)
            text += words
            objects.append(.object(fields))
        }
        return Field("addr_info", .array(objects), text: text)
    }

    /// "LOCAL[ peer PEER]/LENGTH[ metric M] ", or nothing for an address without a local one.
    private static func local(_ address: Address) -> (text: String, fields: [Field]) {
        guard let primary = address.primary else { return ("", []) }
        var text = primary.description
        var fields: [Field] = [.jsonOnly("local", .string(primary.description))]
        if let peer = address.peer {
            text += " peer " + peer.description
            fields.append(.jsonOnly("address", .string(peer.description)))
        }
        text += "/\(address.prefixLength) "
        fields.append(.jsonOnly("prefixlen", .signed(Int64(address.prefixLength))))
        if let metric = address.metric {
            text += "metric \(metric) "
            fields.append(.jsonOnly("metric", .unsigned(UInt64(metric))))
        }
        return (text, fields)
    }

    static func describe(_ address: Address, naming: Naming) -> (text: String, fields: [Field]) {
        var text = "\n    " + address.family.name + " "
        var fields: [Field] = [.jsonOnly("family", .string(address.family.name))]
        let (words, localFields) = local(address)
        text += words
        fields += localFields
        if let broadcast = address.broadcast {
            text += "brd \(broadcast) "
            fields.append(.jsonOnly("broadcast", .string(broadcast.description)))
        }
        if let anycast = address.anycast {
            text += "any \(anycast) "
            fields.append(.jsonOnly("anycast", .string(anycast.description)))
        }
        let scope = naming.scope(address.scope)
        text += "scope \(scope) "
        fields.append(.jsonOnly("scope", .string(scope)))
        var flags = address.flags
        for flag in AddressFlags.words {
            if flag.flag == .permanent {
                if !flags.contains(flag.flag) {
                    text += "dynamic "
                    fields.append(.jsonOnly("dynamic", .bool(true)))
                }
            } else if flags.contains(flag.flag) {
                // The secondary bit of an IPv6 address marks a temporary (privacy) one.
                let name = flag.flag == .secondary && address.family == .inet6 ? "temporary" : flag.name
                text += name + " "
                fields.append(.jsonOnly(name, .bool(true)))
            }
            flags.remove(flag.flag)
        }
        if !flags.isEmpty {
            let hex = (flags.rawValue < 16 ? "0" : "") + String(flags.rawValue, radix: 16)
            text += "flags \(hex) "
            fields.append(.jsonOnly("ifa_flags", .string(hex)))
        }
        if let label = address.label {
            text += label
            fields.append(.jsonOnly("label", .string(label)))
        }
        if let lifetime = address.lifetime {
            func seconds(_ value: UInt32) -> String { value == Address.Lifetime.forever ? "forever" : "\(value)sec" }
            text += "\n       valid_lft \(seconds(lifetime.valid)) preferred_lft \(seconds(lifetime.preferred))"
            fields.append(.jsonOnly("valid_life_time", .unsigned(UInt64(lifetime.valid))))
            fields.append(.jsonOnly("preferred_life_time", .unsigned(UInt64(lifetime.preferred))))
        }
        return (text, fields)
    }
}
