import CMnl
@testable import GreCLI
@testable import GreKit
@testable import Netlink

/// Every verb's words, parsed as the verb parses them and, when they are good, encoded
/// as the verb would send them: against devices and links made up here, not the kernel's.
enum Grammar {
    typealias Parse = ([String], AddressFamily) throws -> Void

    /// The parser of a verb, by its object's and its own name (as `CommandTable` names them).
    static func parser(object: String, verb: String) -> Parse? {
        switch (object, verb) {
        case ("address", "show"), ("address", "flush"):
            return { words, _ in _ = try AddressSelector.parse(words, verb: verb) }
        case ("address", _):
            guard let change = AddressChange(rawValue: verb) else { return nil }
            return { words, family in
                let address = try AddressRequest.parse(words, change, family: family, devices: devices)
                encode(.newAddress) { try address.encode($0) }
            }
        case ("route", "show"), ("route", "flush"):
            return { words, family in _ = try RouteSelector.parse(words, family: family, devices: devices).dumpFilter(family: family) }
        case ("route", "get"):
            return { words, family in _ = try RouteService.Lookup.parse(words, family: family, devices: devices) }
        case ("route", _):
            guard let change = RouteChange(rawValue: verb) else { return nil }
            return { words, family in
                let route = try RouteRequest.parse(words, change, family: family, devices: devices)
                encode(.newRoute) { try route.encode($0) }
            }
        case ("rule", "show"), ("rule", "flush"):
            return { words, _ in _ = try RuleSelector.parse(words, verb: verb) }
        case ("rule", _):
            guard let change = RuleChange(rawValue: verb) else { return nil }
            return { words, family in
                let rule = try RuleRequest.parse(words, change, family: family)
                encode(.newRule) { try rule.encode($0) }
            }
        case ("link", "add"), ("link", "set"), ("link", "change"):
            return { words, _ in
                let request = try LinkRequest.parse(words, mode: verb == "add" ? .create : .modify, devices: devices) { try current($0.value) }
                encode(.newLink) { try request.encode($0, index: 7) }
            }
        case ("tunnel", "add"):
            return { words, _ in
                let request = try Tunnel.add(words, devices: devices)
                encode(.newLink) { try request.encode($0, index: 0) }
            }
        case ("tunnel", "change"):
            return { words, _ in
                let (request, index) = try Tunnel.change(words, devices: devices) { try current($0.value) }
                encode(.newLink) { try request.encode($0, index: index) }
            }
        case ("nexthop", "show"), ("nexthop", "flush"):
            return { words, _ in _ = try NexthopSelector.parse(words, verb: verb, devices: devices) }
        case ("nexthop", "bucket"):
            return { words, _ in _ = try NexthopBucketRequest.parse(words, devices: devices) }
        case ("nexthop", "delete"), ("nexthop", "get"):
            return { words, _ in _ = try NexthopRequest.identity(words, verb: verb) }
        case ("nexthop", _):
            guard let change = NexthopChange(rawValue: verb) else { return nil }
            return { words, family in
                let nexthop = try NexthopRequest.parse(words, change, family: family, devices: devices)
                encode(.newNexthop) { try nexthop.encode($0) }
            }
        case ("keepalive", "watch"):
            return { words, _ in _ = try KeepaliveWatchRequest.parse(words) }
        case ("keepalive", "probe"):
            return { words, _ in _ = try KeepaliveProbeRequest.parse(words) }
        case ("keepalive", "respond"):
            return { words, _ in _ = try KeepaliveRespondRequest.parse(words) }
        case ("keepalive", "status"):
            return { words, _ in _ = try KeepaliveStatusRequest.parse(words) }
        case ("keepalive", "restore"):
            return { words, _ in _ = try KeepaliveRestoreRequest.parse(words) }
        case ("apply", "file"):
            return { words, _ in _ = try ApplyRequest.parse(words) }
        case ("state", "export"):
            return { words, _ in _ = try StateCommands.exportWords(words) }
        case ("state", "show"):
            return { words, _ in _ = try StateCommands.showWords(words) }
        case ("diag", "mtu"):
            return { words, _ in _ = try MTUCheckRequest.parse(words) }
        case ("diag", _):
            return { words, _ in _ = try MTUCheckRequest.tunnelName(words, verb: "diag \(verb)") }
        default:
            return nil
        }
    }

    /// Verbs whose words are a device's name, read inside the command as it asks the
    /// kernel about it: nothing here to fuzz.
    static let namesOnly: Set<String> = ["link delete", "link show", "tunnel delete", "tunnel show"]

    /// Stops the run when a verb of the command table has no parser here: a new verb's
    /// grammar must not go unfuzzed.
    static func checkEveryVerbIsCovered() {
        for object in CommandTable.objects {
            for verb in object.verbs where parser(object: object.name, verb: verb.name) == nil {
                require(namesOnly.contains("\(object.name) \(verb.name)"),
                        "gretool-fuzz: \"\(object.name) \(verb.name)\" has no parser in Grammar.parser(object:verb:)")
            }
        }
    }

    /// The devices every line may name, by index from 1.
    static let deviceNames = ["lo", "eth0", "va", "vb", "gre1", "gretap1", "ip6gre1", "ip6gretap1", "vx0", "br0", "dummy0", "veth0"]

    struct Devices: InterfaceResolver {
        func index(of name: String) throws -> Int32 {
            guard let position = deviceNames.firstIndex(of: name) else { throw DeviceNotFound(name) }
            return Int32(position + 1)
        }

        func name(of index: Int32) -> String? {
            deviceNames.indices.contains(Int(index) - 1) ? deviceNames[Int(index) - 1] : nil
        }
    }

    static let devices = Devices()

    /// The links a change starts from, one of each kind gretool knows: made as the kernel
    /// describes a link that `link add` words created (the request's own encoding, decoded).
    static let links: [String: Link] = {
        let creations = [
            "gre1 type gre remote 198.51.100.2 local 198.51.100.1 ttl 255 key 42 csum seq",
            "gretap1 type gretap remote 198.51.100.3 ikey 1.2.3.4 okey 7 nopmtudisc",
            "ip6gre1 type ip6gre remote 2001:db8::2 local 2001:db8::1 hoplimit 10 tclass 20 flowlabel 12345 encaplimit none",
            "ip6gretap1 type ip6gretap remote 2001:db8::3 key 9",
            "vx0 type vxlan id 42 dstport 4789 remote 198.51.100.9",
            "br0 type bridge stp_state 1",
            "dummy0 type dummy",
            "veth0 type veth peer name veth1",
        ]
        var links: [String: Link] = [:]
        for words in creations {
            let request = try! LinkRequest.parse(words.split(separator: " ").map(String.init), mode: .create, devices: devices) {
                throw DeviceNotFound($0.value)
            }
            let bytes = try! MessageBuffer.encode(type: RouteMessageType.newLink.rawValue, flags: [.request], capacity: 65536) {
                try request.encode($0, index: try devices.index(of: request.name.value))
            }
            let link = bytes.withUnsafeBytes { Link(NetlinkMessage(header: $0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))) }
            links[request.name.value] = link!
        }
        return links
    }()

    static func current(_ name: String) throws -> Link {
        guard let link = links[name] else { throw DeviceNotFound(name) }
        return link
    }

    /// Where requests are encoded: one buffer as large as a batch's, emptied before each
    /// request as a batch empties its own. (A new one a request, 64 KiB that the address
    /// sanitizer fills and quarantines, cost more than the parsing it follows.)
    nonisolated(unsafe) private static let requests = MessageBuffer(capacity: 65536)

    /// Encodes a request as it would be sent.
    private static func encode(_ type: RouteMessageType, _ body: (MessageWriter) throws -> Void) {
        requests.reset()
        _ = try? requests.append(type: type.rawValue, flags: [.request, .ack], sequence: 0, body)
    }
}
