// `diag keepalive`: will this host reflect its peer's keepalives on the tunnel, and can
// it send its own? A Cisco-style keepalive arrives as an inner packet from this host's
// own address to the peer, and this host must forward it back out through the tunnel.
// So forwarding must be on, and the packet must pass the checks on its source: it is
// a martian unless accept_local is on, and strict reverse path filtering drops it.

#if canImport(Glibc)
import Glibc
#endif

/// The settings that decide whether a peer's keepalives come back, for one GRE device.
public struct KeepaliveControls: Sendable {
    /// A setting the kernel takes as the larger of conf.all and conf.<device>.
    public struct Pair: Sendable {
        public var all: Int?
        public var device: Int?

        public var effective: Int? { all.flatMap { all in device.map { max(all, $0) } } }
    }

    /// IPv4 tunnels: conf.<dev>.forwarding decides (ip_forward=1 sets it on every device).
    /// IPv6 tunnels: conf.all.forwarding decides; IPv6 has no accept_local or rp_filter.
    public var forwarding: Int?
    /// The settings shown beside `forwarding`.
    public var forwardingSources: [(name: String, value: Int?)]
    public var acceptLocal: Pair?
    public var reversePathFilter: Pair?
}

extension KeepaliveControls {
    /// Reads them for `device`, of an IPv6 tunnel or not.
    public init(device: String, ipv6: Bool, from controls: SystemControls) {
        if ipv6 {
            let all = controls.integer(["net", "ipv6", "conf", "all", "forwarding"])
            forwarding = all
            forwardingSources = [("all", all), (device, controls.integer(["net", "ipv6", "conf", device, "forwarding"]))]
        } else {
            let conf = ["net", "ipv4", "conf"]
            forwarding = controls.integer(conf + [device, "forwarding"])
            forwardingSources = [(device, forwarding), ("ip_forward", controls.integer(["net", "ipv4", "ip_forward"]))]
            acceptLocal = Pair(all: controls.integer(conf + ["all", "accept_local"]), device: controls.integer(conf + [device, "accept_local"]))
            reversePathFilter = Pair(all: controls.integer(conf + ["all", "rp_filter"]), device: controls.integer(conf + [device, "rp_filter"]))
        }
    }
}

/// What `diag keepalive` knows about a tunnel.
public struct KeepaliveFacts: Sendable {
    public var tunnel: String
    public var options: any TunnelKind
    public var up: Bool
    /// The tunnel's own addresses of the family keepalives use (IPv4 for gre).
    public var addresses: [IPPrefix]
    public var controls: KeepaliveControls
    /// Whether the peer was seen sending keepalives. `diag all` watches for them when
    /// this host would drop them: a tunnel that passes traffic is not broken because a
    /// peer that sends no keepalives would not get them back.
    public var peerKeepalives: PeerKeepalives = .notWatched

    public enum PeerKeepalives: Sendable, Equatable {
        /// Not looked for (`diag keepalive`, asked by name): readiness is judged as if it did.
        case notWatched
        /// One arrived while the check watched.
        case seen
        /// None arrived in that many milliseconds.
        case notSeen(milliseconds: Int)
    }
}

public enum KeepaliveCheck {
    /// How long `diag all` watches for the peer's keepalives when this host would drop
    /// them: a watcher at an interval of 1 s sends one in it. A peer at the default
    /// period (10 s, as Cisco's) may go unseen: it stays a warning, which `diag keepalive`
    /// asked by name judges as a problem.
    public static let peerWatchMilliseconds = 1500

    public static func report(_ facts: KeepaliveFacts) -> CheckReport {
        let name = facts.tunnel
        let controls = facts.controls
        // What keeps keepalives from coming back is a problem when the peer sends them,
        // or when the check was asked for by name; else a warning that names the fix.
        let readiness: Verdict
        switch facts.peerKeepalives {
        case .notSeen: readiness = .warning
        case .seen, .notWatched: readiness = .problem
        }
        let ipv6 = facts.options.isIPv6
        let family = ipv6 ? "ipv6" : "ipv4"
        let conf = ["net", family, "conf"]
        var report = CheckReport(check: "keepalive", tunnel: name, summaryWhenOK: "")
        func show(_ value: Int?) -> String { value.map(String.init) ?? "?" }
        func json(_ value: Int?) -> Field.Value { value.map { .unsigned(UInt64($0)) } ?? .null }
        func sysctl(_ scope: String, _ setting: String, _ value: Int) -> Fix {
            .setSystemControl(conf + [scope, setting], value: value)
        }
        func unreadable(_ setting: String) -> Finding {
            Finding(.warning, "cannot read \(SystemControls.name(conf + [name, setting])) (does \(name) exist in this namespace?)")
        }

        report.numbers.append(Field("forwarding", .object([.jsonOnly("effective", json(controls.forwarding))]
                + controls.forwardingSources.map { .jsonOnly($0.name, json($0.value)) }),
            text: "forwarding \(show(controls.forwarding)) (" + controls.forwardingSources.map { "\($0.name) \(show($0.value))" }.joined(separator: ", ") + ")"))
        switch controls.forwarding {
        case nil: report.findings.append(unreadable("forwarding"))
        case 0?:
            let scope = ipv6 ? "all" : name
            report.findings.append(Finding(readiness, "\(name) drops its peer's keepalives: forwarding is off\(ipv6 ? "" : " on \(name)") (they must be forwarded back)",
                                           fixes: [sysctl(scope, "forwarding", 1)]))
        default: break
        }
        // The kernel takes the larger of conf.all and conf.<device> for these settings, so
        // the fix sets the device's value: the larger value wins whatever conf.all says.
        func check(_ setting: String, _ pair: KeepaliveControls.Pair?, isBad: (Int) -> Bool, _ problem: String, fix: Int) {
            guard let pair else { return }
            let effective = pair.effective
            report.numbers.append(Field(setting, .object([.jsonOnly("effective", json(effective)), .jsonOnly("all", json(pair.all)), .jsonOnly(name, json(pair.device))]),
                                        text: "\(setting) \(show(effective)) = max(all \(show(pair.all)), \(name) \(show(pair.device)))"))
            if let effective {
                if isBad(effective) { report.findings.append(Finding(readiness, "\(name) drops its peer's keepalives: " + problem, fixes: [sysctl(name, setting, fix)])) }
            } else {
                report.findings.append(unreadable(setting))
            }
        }
        check("accept_local", controls.acceptLocal, isBad: { $0 == 0 },
              "accept_local is off (they come from this host's own address, a martian source)", fix: 1)
        // Loose filtering (2) on the device wins over a strict conf.all (1).
        check("rp_filter", controls.reversePathFilter, isBad: { $0 == 1 },
              "rp_filter is strict (1); loose (2) or off (0) lets them pass", fix: 2)

        let remote = facts.options.remote
        report.numbers.append(Field("remote", remote.map { .string($0.description) } ?? .null, text: "remote \(remote?.description ?? "any")"))
        report.numbers.append(Field("addresses", .array(facts.addresses.map { .string($0.description) }),
                                    text: "addresses " + (facts.addresses.isEmpty ? "none" : facts.addresses.map(\.description).joined(separator: " "))))
        if remote == nil {
            report.findings.append(Finding(.problem, "\(name) has no remote: keepalives have nowhere to go",
                                           fixes: [.changeRemote(tunnel: name, remote: .unknown)]))
        }
        if facts.addresses.isEmpty {
            report.findings.append(Finding(.warning, "\(name) has no \(ipv6 ? "IPv6" : "IPv4") address: nothing is routed over it",
                                           fixes: [.addAddress(.unknown, device: name)]))
        }
        if !facts.up {
            report.findings.append(Finding(.problem, "\(name) is down: it neither receives nor sends keepalives", fixes: [.setUp(link: name)]))
        }
        if facts.options.isEthernet {
            report.findings.append(Finding(.warning, "keepalives are for gre and ip6gre tunnels: \(facts.options.kind) carries Ethernet frames"))
        }
        if report.findings.contains(where: { $0.text.hasPrefix("\(name) drops its peer's keepalives") }) {
            switch facts.peerKeepalives {
            case .seen:
                report.findings.append(.note("the peer sends keepalives: one arrived during the check"))
            case .notSeen(let milliseconds):
                report.findings.append(.note("no keepalive from the peer arrived in \(CheckReport.seconds(milliseconds: milliseconds)): a warning until it sends them (gretool diag keepalive \(name) judges as if it did)"))
            case .notWatched:
                break
            }
        }
        report.summaryWhenOK = "\(name) reflects its peer's keepalives and can send its own"
        return report
    }
}

// MARK: Gathering the facts

extension DiagnosticsService {
    /// What `diag keepalive` checks: the tunnel's options, state and addresses, and the
    /// kernel settings that decide whether its peer's keepalives come back.
    /// With `watchingPeer` (`diag all`), when this host would drop the peer's keepalives,
    /// it watches up to that many milliseconds for one.
    public func keepaliveFacts(tunnel name: String, watchingPeer milliseconds: Int? = nil) throws -> KeepaliveFacts {
        let (link, options) = try tunnel(named: name)
        let addresses = try addresses().filter { $0.interface == link.index && $0.primary?.family == options.family }
        var facts = KeepaliveFacts(
            tunnel: link.name, options: options, up: link.isUp, addresses: addresses.compactMap(\.primaryPrefix),
            controls: KeepaliveControls(device: link.name, ipv6: options.isIPv6, from: controls))
        if let milliseconds, KeepaliveCheck.report(facts).verdict == .problem {
            let started = SystemClock.milliseconds()
            let seen = (try? peerSendsKeepalives(link, within: milliseconds)) ?? false
            facts.peerKeepalives = seen ? .seen : .notSeen(milliseconds: SystemClock.milliseconds() - started)
        }
        return facts
    }

    /// Whether a keepalive from the tunnel's peer arrives within `milliseconds`: a raw
    /// GRE socket sees it, whatever this host then does with it.
    private func peerSendsKeepalives(_ link: Link, within milliseconds: Int) throws -> Bool {
        let target = try KeepaliveTarget(tunnel: link)
        let socket = try GreSocket(family: target.family,
                                   acceptingOnly: target.family == .inet ? KeepalivePacket.ipv4EtherType : KeepalivePacket.ipv6EtherType)
        let deadline = SystemClock.monotonic() + Int64(milliseconds) * 1_000_000
        var seen = false
        while !seen {
            let wait = SystemClock.pollTimeout(until: deadline)
            if wait == 0 { break }
            var descriptor = pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)
            // Nothing yet, or a wait cut short (EINTR): the loop checks the deadline.
            guard poll(&descriptor, 1, wait) > 0 else { continue }
            try socket.receiveReflections { seen = seen || $0.outer == target.replyFlow }
        }
        return seen
    }
}
