"""The command lines the parity harness compares, by suite (host, lab) and section.

Lines are generated from iproute2's grammar (ip 6.1's keywords, with typical and edge
values, valid and not) where a keyword stands alone, and written out where a line needs
context. `setup` lines run through ip in both twins before the line compared; a
case's `differs` names a deliberate difference listed in Documentation/gretool.md.

Placeholders (harness.Case): {p4} / {p6} a fresh IPv4 /24 or IPv6 /64 for the case,
{h4} / {h6} its first address with the prefix length, {a4} / {a6} that address alone,
{g4} / {g6} its second address; {peer} the twin's second namespace; {batch} the path
of the case's batch file.
"""

import re

from harness import Case, Fixture, Group

# The tunnel add lines (the lab's) after which the kernel reports other MTU bounds for
# ip's tunnel than for gretool's (tunnel-add-mtu-bounds): those that make a tunnel.
TUNNEL_ADD_MTU_BOUNDS = (
    "tunnel add {l} mode gre remote 198.51.100.2",
    "tunnel add {l} mode gre local 198.51.100.1",
    "tunnel add {l} mode gre dev u0",
    "tunnel add {l} mode gre key 42",
    "tunnel add {l} mode gre key 1.2.3.4",
    "tunnel add {l} mode gre ikey 5",
    "tunnel add {l} mode gre key 5 key 6",
    "tunnel add {l} mode gre remote {g4} local 198.51.100.1",
    "tunnel add {l} mode gre remote {g4} dev u0",
    "tunnel add {l} mode gre remote {g4} ttl 64",
    "tunnel add {l} mode gre remote {g4} ttl 0",
    "tunnel add {l} mode gre remote {g4} ttl inherit",
    "tunnel add {l} mode gre remote {g4} hoplimit 9",
    "tunnel add {l} mode gre remote {g4} tos 0x10",
    "tunnel add {l} mode gre remote {g4} tos inherit",
    "tunnel add {l} mode gre remote {g4} dsfield 0x08",
    "tunnel add {l} mode gre remote {g4} tclass 0x20",
    "tunnel add {l} mode gre remote {g4} key 42",
    "tunnel add {l} mode gre remote {g4} key 1.2.3.4",
    "tunnel add {l} mode gre remote {g4} ikey 5",
    "tunnel add {l} mode gre remote {g4} okey 6",
    "tunnel add {l} mode gre remote {g4} csum",
    "tunnel add {l} mode gre remote {g4} icsum",
    "tunnel add {l} mode gre remote {g4} ocsum",
    "tunnel add {l} mode gre remote {g4} seq",
    "tunnel add {l} mode gre remote {g4} iseq",
    "tunnel add {l} mode gre remote {g4} oseq",
    "tunnel add {l} mode gre remote {g4} pmtudisc",
    "tunnel add {l} mode gre remote {g4} nopmtudisc",
    "tunnel add {l} mode gre remote {g4} key 5 key 6",
    "tunnel add {l} mode gre remote {g4} remote 198.51.100.2",
    "tunnel add gre{id} remote {g4}",
    "tunnel add mode gre remote {g4} name {l}",
    "tunnel add name {l} mode gre remote {g4}",
)

# The deliberate differences (Documentation/gretool.md, "Differences from iproute2"):
# a case whose line matches one of these patterns is expected to differ under that name.
DIFFERENCES = {
    "other-objects": r"^(neighbour|neigh|maddress|mroute|ntable|tuntap|token|xfrm|mptcp|vrf|sr|tcp_metrics|stats|ioam|n)\b",
    "help-text": r"^((-j )?\w+ )?help$|^-h(elp)?$",
    "tunnel-tap-modes": r"^tunnel add \S+ mode (gretap|ip6gretap)\b",
    "version-text": r"^(-V|-Version|--version|-v)$",
    "help-without-object": r"^(--|-j|-s)$",
    "json-no-empty-objects": "^(" + "|".join(re.escape(line) for line in (
        "address show up", "address show scope link", "address show scope global", "address show scope 0",
        "address show to 10.1.0.9", "address show permanent", "address show -permanent", "address show dynamic",
        "address show secondary", "address show -secondary", "address show primary", "address show temporary",
        "address show deprecated", "address show -deprecated", "address show home", "address show nodad",
        "address show mngtmpaddr", "address show noprefixroute", "address show -noprefixroute",
        "address show dev v1 scope link", "address show dev v2 to 10.4.0.0/24", "address show to 2001:db8::/32",
        "-6 address show scope global dev v2", "address show label v1", "address show label v1:lab",
        "address show group 5", "address show type bogus", "link show group 5", "link show group default",
        "link show type bridge_slave",
        "link show up", "link show type bogus", "link show up type veth")) + ")$",
    "kernel-address-states": r"^address add \{h[46]\} dev v1 (dadfailed|tentative|permanent|deprecated|secondary|temporary|stable-privacy)$",
    "ipv6-address-flags": r"^address (add \{h4\}|del 10\.1\.0\.1) dev v1 (home|nodad|optimistic|mngtmpaddr)$",
    "stricter-prefix": r"^route add \{h6\} dev v1$",
    "route-get-prefix": r"^route get 10\.20\.0\.0/1[56]$",
    "flush-table-all": r"^(-6 )?route flush table all( proto 99)?$",
    "nh-alias": r"^nh\b",
    "nexthop-protocol-names": r"^nexthop (show|flush)( dev v1)? protocol static$",
    "batch-extra-words": r"^-batch \{batch\} route show <<< ",
    "generic-words-after-kind": r"^link add \{l\} (type veth mtu 1400 peer name \{lp\} mtu 1300|mtu 1400 type gretap remote \{g4\} address \{mac\}"
                                r"|type bridge address \{mac\}|type vxlan id \{id\} dstport 4789 remote 10\.1\.0\.2 dev v1 up)$",
    # The lab's: tunnels ip makes through the old ioctl (see the guide).
    "tunnel-add-mtu-bounds": "^(" + "|".join(re.escape(line) for line in TUNNEL_ADD_MTU_BOUNDS) + ")$",
    "tunnel-json": r"^(-j )?tunnel show gre0$|^-6 tunnel show g4$|^-s (-s )?tunnel show( g1)?$",
    "tunnel-show-mode": r"^tunnel show mode gre$",
    "tunnel-change-any-family": r"^tunnel change \{l\} ttl 3 \(after -6 tunnel add \{l\} mode ip6gre ",
    "ip6gre-ioctl-change": r"^-6 tunnel change \{l\} hoplimit 5 \(after -6 tunnel add \{l\} mode ip6gre ",
    "tunnel-gre-only": r"^-6 tunnel add \{l\} mode ip6ip6 |^-6 tunnel show$",
    # Listing options (ip/ip.c's option loop) that gretool refuses by name.
    "color-output": r"^-(c|color|color=always|color=auto) route show$",
    "monitor-timestamps": r"^-(t|ts) route show$",
    "netns-all": r"^-a route show$",
    "other-families": r"^(-0 address show|-[BM] route show|-f link address show)$",
    "resolve-names": r"^-r route show$",
    "rule-family-from-prefix": r"^rule add pref \{pr\} from 2001:db8:1::/64 table 100$",
    "route-get-connected": r"^route get 10\.20\.1\.1 connected$",
    "rule-show-protocol": r"^rule show protocol (static|kernel)$",
    "route-as": r"^route add \{p4\} (dev v1|nexthop via 10\.1\.0\.2) as ",
    "link-needs-name": r"^link add type veth$",
    "create-only-words": r"^link set \{l\} (num[rt]xqueues|link) ",
    "xdp": r"^link set \{l\} xdp ",
    "link-afstats": r"^link afstats$",
    "link-type-change": r"^link set \{l\} type (bridge \(after link add \{l\} type veth|veth \(after link add \{l\} type bridge)",
    "link-delete-type": r"^link del \{l\} type bridge \(after link add \{l\} type veth",
}


def tagged(groups):
    """The groups, each case whose name (its line, then its batch and setup) meets a
    deliberate difference named after it."""
    for group in groups:
        for case in group.cases:
            for name, pattern in DIFFERENCES.items():
                if case.differs is None and re.search(pattern, case.name):
                    case.differs = name
    return groups

# ------------------------------------------------------------------ fixtures

# Two veth pairs with both ends in the namespace, and nexthop objects on them. Every
# end has an IPv6 address before it comes up, so the kernel makes its multicast route
# (ff00::/8) at once, in this order; the gateways 10.1.0.2, 10.2.0.2, 2001:db8:1::2
# and 2001:db8:2::2 are nobody's address.
LINKS = (
    "link add v1 address 02:00:00:00:01:01 type veth peer name v1p address 02:00:00:00:01:02",
    "link add v2 address 02:00:00:00:02:01 type veth peer name v2p address 02:00:00:00:02:02",
    "address add 10.1.0.1/24 dev v1", "address add 10.2.0.1/24 dev v2",
    "address add 2001:db8:1::1/64 dev v1", "address add 2001:db8:2::1/64 dev v2",
    "address add 2001:db8:ff01::1/64 dev v1p", "address add 2001:db8:ff02::1/64 dev v2p",
    "link set v1 up", "link set v1p up", "link set v2 up", "link set v2p up",
)
NEXTHOPS = (
    "nexthop add id 1 via 10.1.0.2 dev v1", "nexthop add id 2 via 10.2.0.2 dev v2",
    "nexthop add id 3 via 2001:db8:1::2 dev v1", "nexthop add id 4 via 2001:db8:2::2 dev v2",
    "nexthop add id 10 group 1/2", "nexthop add id 11 group 3,2/4,5", "nexthop add id 12 blackhole",
)
BASE = Fixture(lines=LINKS + NEXTHOPS)


def words_cases(template, table, **extra):
    """A case per keyword and value: `template` with {w} replaced by the words."""
    cases = []
    for words in table:
        cases.append(Case(template.replace("{w}", words), **extra))
    return cases


def both_families(template4, template6, table4, table6):
    return words_cases(template4, table4) + words_cases(template6, table6)


# ------------------------------------------------------------------ routes

# iproute_modify's keywords, each with typical and edge values (then the family's).
ROUTE_ATTRIBUTES = [
    "src 10.1.0.1", "src 10.9.9.9", "src 2001:db8:1::1", "src bogus",
    "tos 0x10", "tos 16", "tos 0", "tos 0xff", "tos AF11", "tos bogus", "dsfield 0x08", "dsf 0x08",
    "metric 0", "metric 100", "metric 4294967295", "metric 4294967296", "metric -1", "met 7",
    "priority 8", "pri 9", "preference 10",
    "table main", "table local", "table default", "table 100", "table 4294967295", "table 0", "table bogus",
    "tab 101", "t 102",
    "proto static", "proto kernel", "proto boot", "proto 99", "proto 255", "proto 256", "proto bogus",
    "protocol redirect", "proto ra", "proto dhcp", "proto zebra", "proto bird", "proto unspec", "p 12",
    "scope global", "scope link", "scope host", "scope site", "scope 100", "scope bogus", "scope 256",
    "mtu 1280", "mtu lock 1400", "mtu 0", "mtu 65535", "mtu 4294967295", "mtu 4294967296", "mtu bogus",
    "mtu lock", "hoplimit 1", "hoplimit 64", "hoplimit 255", "hoplimit 256", "hoplimit lock 5",
    "advmss 1400", "advmss lock 1400", "reordering 3", "reordering lock 4", "reo 5",
    "rtt 100", "rtt 100ms", "rtt 2s", "rtt lock 50", "rtt 1.5s", "rtt bogus",
    "rttvar 50", "rttvar 10ms", "rttvar lock 20", "rto_min 200ms", "rto_min 1s", "rto_min 5",
    "window 65535", "window lock 1000", "win 7", "cwnd 10", "cwnd lock 10", "cw 3",
    "initcwnd 10", "initcwnd lock 12", "initrwnd 20", "initrwnd lock 22",
    "ssthresh 100", "ssthresh lock 9", "ss 8",
    "features ecn", "features bogus", "features", "feat ecn",
    "quickack 1", "quickack 0", "quickack 2", "quickack bogus",
    "congctl cubic", "congctl reno", "congctl lock reno", "congctl bogus",
    "realms 5", "realms 1/2", "realm 7", "realms 1/", "realms bogus", "realms 65536",
    "fastopen_no_cookie 1", "fastopen_no_cookie 0", "fastopen_no_cookie 2",
    "pref low", "pref medium", "pref high", "pref bogus", "pref 3",
    "expires 100", "expires bogus",
    "ttl-propagate enabled", "ttl-propagate disabled", "ttl-propagate bogus",
    "encap ip id 5 dst 10.1.0.2", "encap ip6 id 5 dst 2001:db8:1::2", "encap ip id 7 dst 10.1.0.2 ttl 9 tos 0x10",
    "encap ip6 id 7 dst 2001:db8:1::2 hoplimit 9 tc 0x10", "encap mpls 100", "encap bogus 1",
    "encap ip id 5 src 10.1.0.1 dst 10.1.0.2 tos AF11 key csum seq", "encap ip id 5 id 6 dst 10.1.0.2",
    "encap ip dst 2001:db8:1::2 id 5", "encap ip6 tc EF dst 2001:db8:1::2 key", "encap ip id 5", "tos EF",
    "as 10.1.0.9", "as to 10.1.0.9",
    "onlink", "pervasive", "vrf bogus", "oif v2", "dev v2", "dev nosuch", "bogus", "help",
]

ROUTE_TYPES = ["unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit",
               "blackhole", "nat", "anycast", "xresolve", "brd", "bogus"]


def route_groups():
    add4 = words_cases("route add {p4} dev v1 {w}", ROUTE_ATTRIBUTES)
    add6 = words_cases("route add {p6} dev v1 {w}", ROUTE_ATTRIBUTES)
    gateways = [
        Case("route add {p4} via 10.1.0.2"), Case("route add {p4} via 10.1.0.2 dev v1"),
        Case("route add {p4} via 10.1.0.2 dev v2"), Case("route add {p4} via 10.9.9.9"),
        Case("route add {p4} via 10.9.9.9 dev v1 onlink"), Case("route add {p4} via 10.1.0.2 onlink"),
        Case("route add {p4} via inet 10.1.0.2"), Case("route add {p4} via inet6 2001:db8:1::2 dev v1"),
        Case("route add {p4} via inet6 2001:db8:1::2"), Case("route add {p4} via 2001:db8:1::2 dev v1"),
        Case("route add {p4} via inet 2001:db8:1::2"), Case("route add {p4} via bogus"),
        Case("route add {p4} via"), Case("route add {p4} via 10.1.0.2 via 10.2.0.2"),
        Case("route add {p4} via mpls 100 dev v1"), Case("route add {p4} via link 02:00:00:00:00:01 dev v1"),
        Case("route add {p6} via 2001:db8:1::2"), Case("route add {p6} via 2001:db8:1::2 dev v1"),
        Case("route add {p6} via fe80::1 dev v1"), Case("route add {p6} via fe80::1"),
        Case("route add {p6} via 10.1.0.2"), Case("route add {p6} via inet6 2001:db8:2::2"),
        Case("route add {p6} via 2001:db8:1::2 via 2001:db8:2::2"),
        Case("route add {p4} nhid 1"), Case("route add {p4} nhid 10"), Case("route add {p4} nhid 12"),
        Case("route add {p4} nhid 11"), Case("route add {p4} nhid 999"), Case("route add {p4} nhid bogus"),
        Case("route add {p6} nhid 3"), Case("route add {p6} nhid 11"), Case("route add {p6} nhid 1"),
        Case("route add {p4} via 10.1.0.2 nhid 1"), Case("route add {p4} nhid 1 via 10.1.0.2"),
        Case("route add {p4} dev v1 nhid 1"), Case("route add {p4} nhid 1 dev v1"),
        Case("route add {p4} nhid 1 nexthop via 10.2.0.2"), Case("route add {p6} via 2001:db8:1::2 nhid 3"),
        Case("route add {p4} nhid 1 mtu 1400"), Case("route add {p4} nhid 1 onlink"),
        Case("route add {p4} nhid 1 src 10.1.0.1"),
    ]
    multipath = [
        Case("route add {p4} nexthop via 10.1.0.2 nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop via 10.1.0.2 weight 3 nexthop via 10.2.0.2 weight 256"),
        Case("route add {p4} nexthop via 10.1.0.2 weight 0"), Case("route add {p4} nexthop via 10.1.0.2 weight 257"),
        Case("route add {p4} nexthop via 10.1.0.2 dev v1 nexthop dev v2"),
        Case("route add {p4} nexthop dev v1 nexthop dev v2"),
        Case("route add {p4} nexthop via 10.9.9.9 dev v1 onlink nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop via 10.1.0.2 realms 3 nexthop via 10.2.0.2 realms 1/4"),
        Case("route add {p4} nexthop via 10.1.0.2 encap ip id 9 dst 10.1.0.2 nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop via 10.1.0.2 encap ip id 9 dst 10.1.0.2 nexthop via 10.2.0.2 encap ip id 9 dst 10.1.0.3 realm 2"),
        Case("route add {p4} nexthop via 10.1.0.2 as 10.1.0.9 nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop via inet6 2001:db8:1::2 dev v1 nexthop via 10.2.0.2"),
        Case("route add {p4} mtu 1400 nexthop via 10.1.0.2 nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop via 10.1.0.2"), Case("route add {p4} nexthop"),
        Case("route add {p4} nexthop via 10.1.0.2 bogus"), Case("route add {p4} nexthop via 10.1.0.2 mtu 1400"),
        Case("route add {p4} via 10.1.0.2 nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop nexthop via 10.2.0.2"),
        Case("route add {p4} nexthop via 10.1.0.2 weight 2 pervasive nexthop via 10.2.0.2"),
        Case("route add {p6} nexthop via 2001:db8:1::2 nexthop via 2001:db8:2::2"),
        Case("route add {p6} nexthop via 2001:db8:1::2 weight 9 nexthop via 2001:db8:2::2 weight 2"),
        Case("route add {p6} nexthop via 2001:db8:1::2 dev v1 nexthop dev v2"),
        Case("route add {p6} mtu 1300 nexthop via 2001:db8:1::2 nexthop via 2001:db8:2::2"),
        Case("route add {p6} metric 5 nexthop via 2001:db8:1::2 nexthop via 2001:db8:2::2"),
        Case("route add {p6} nexthop via 2001:db8:1::2 nexthop via 10.2.0.2"),
    ]
    types = ([Case(f"route add {t} {{p4}} dev v1") for t in ROUTE_TYPES]
             + [Case(f"route add {t} {{p6}} dev v1") for t in ROUTE_TYPES]
             + [Case(f"route add {t} {{p4}}") for t in ("unreachable", "prohibit", "blackhole", "throw")]
             + [Case(f"route add {t} {{p6}}") for t in ("unreachable", "prohibit", "blackhole", "throw")]
             + [Case("route add local {h4} dev v1"), Case("route add broadcast {a4} dev v1 table 100"),
                Case("route add unreachable {p4} metric 9 table 100"), Case("route add to {p4} dev v1"),
                Case("route add to unicast {p4} dev v1"), Case("route add unicast to {p4} dev v1"),
                Case("route add {h4} dev v1"), Case("route add {h6} dev v1"),
                Case("route add 10.250.1.1/33 dev v1"), Case("route add 2001:db8::/129 dev v1"),
                Case("route add {a4} dev v1"), Case("route add {a6} dev v1"),
                Case("route add default dev v1 table 200"), Case("route add default via 10.1.0.2 table 201"),
                Case("route add all dev v1 table 202"), Case("route add any dev v1 table 203"),
                Case("-6 route add default via 2001:db8:1::2 table 204"), Case("-6 route add default dev v1 table 205"),
                Case("-4 route add {p6} dev v1"), Case("-6 route add {p4} dev v1"),
                Case("route add 0.0.0.0/0 dev v1 table 206"), Case("route add ::/0 dev v1 table 207"),
                Case("route add dev v1"), Case("route add"), Case("route add {p4}"), Case("route add {p4} {p4} dev v1"),
                Case("route add 10.250 dev v1 table 208"), Case("route add 10.250.3/24 dev v1 table 208"),
                Case("route add {p4} from {p4} dev v1"), Case("route add {p6} from 2001:db8:9::/64 dev v1"),
                Case("route add {p6} from 2001:db8:9::/64 via 2001:db8:1::2"),
                Case("route add {p4} dev v1 tos 0x10 metric 5 table 100 proto static scope link mtu 1400 src 10.1.0.1"),
                Case("route add {p6} dev v1 metric 5 table 100 proto static mtu 1400 src 2001:db8:1::1 pref high"),
                ])
    verbs = []
    for verb in ("change", "replace", "prepend", "append"):
        for family, (p, gw1, gw2) in {"4": ("{p4}", "10.1.0.2", "10.2.0.2"), "6": ("{p6}", "2001:db8:1::2", "2001:db8:2::2")}.items():
            verbs += [
                Case(f"route {verb} {p} via {gw2}", setup=(f"route add {p} via {gw1}",)),
                Case(f"route {verb} {p} via {gw2}"),
                Case(f"route {verb} {p} via {gw2} metric 5", setup=(f"route add {p} via {gw1} metric 5",)),
                Case(f"route {verb} {p} via {gw2} table 100", setup=(f"route add {p} via {gw1} table 100",)),
                Case(f"route {verb} {p} dev v2 mtu 1400", setup=(f"route add {p} via {gw1} mtu 1300",)),
                Case(f"route {verb} {p} nexthop via {gw1} nexthop via {gw2} weight 3", setup=(f"route add {p} via {gw1}",)),
                Case(f"route {verb} {p} via {gw2}", setup=(f"route add {p} nexthop via {gw1} nexthop via {gw2}",)),
                Case(f"route {verb} {p} nhid {'1' if family == '4' else '3'}", setup=(f"route add {p} via {gw1}",)),
                Case(f"route {verb} {p} bogus"),
            ]
    verbs += [Case("route app {p4} dev v1"), Case("route prep {p4} dev v1"), Case("route rep {p4} dev v1"),
              Case("route chg {p4} dev v1"), Case("route ch {p4} dev v1"), Case("route a {p4} dev v1")]
    deletes = []
    for family, (p, gw1, gw2) in {"4": ("{p4}", "10.1.0.2", "10.2.0.2"), "6": ("{p6}", "2001:db8:1::2", "2001:db8:2::2")}.items():
        plain = (f"route add {p} via {gw1} metric 5 table 100 proto static",)
        deletes += [
            Case(f"route del {p}", setup=(f"route add {p} via {gw1}",)),
            Case(f"route del {p}"),
            Case(f"route delete {p} table 100", setup=plain),
            Case(f"route del {p} table 100 metric 5", setup=plain),
            Case(f"route del {p} table 100 metric 6", setup=plain),
            Case(f"route del {p} table 100 via {gw1}", setup=plain),
            Case(f"route del {p} table 100 via {gw2}", setup=plain),
            Case(f"route del {p} table 100 dev v1", setup=plain),
            Case(f"route del {p} table 100 dev v2", setup=plain),
            Case(f"route del {p} table 100 proto static", setup=plain),
            Case(f"route del {p} table 100 proto kernel", setup=plain),
            Case(f"route del {p} table 100 scope link", setup=plain),
            Case(f"route del {p} table 100 scope global", setup=plain),
            Case(f"route del {p} table 100 tos 0x10", setup=plain),
            Case(f"route del unreachable {p} table 100", setup=plain),
            Case(f"route del unicast {p} table 100", setup=plain),
            Case(f"route del {p} table 100 mtu 1400", setup=plain),
            Case(f"route del {p} table 100 src 10.1.0.1", setup=plain),
            Case(f"route del {p} via {gw2}", setup=(f"route add {p} nexthop via {gw1} nexthop via {gw2} weight 4",)),
            Case(f"route del {p} nexthop via {gw2}", setup=(f"route add {p} nexthop via {gw1} nexthop via {gw2} weight 4",)),
            Case(f"route del {p} nexthop via {gw1} nexthop via {gw2}", setup=(f"route add {p} nexthop via {gw1} nexthop via {gw2}",)),
            Case(f"route del {p} nhid {'1' if family == '4' else '3'}", setup=(f"route add {p} nhid {'1' if family == '4' else '3'}",)),
            Case(f"route del {p} nhid 12", setup=(f"route add {p} nhid {'1' if family == '4' else '3'}",)),
            Case(f"route d {p}", setup=(f"route add {p} dev v1",)),
            Case(f"route del {p} dev v1 metric 1024", setup=(f"route add {p} dev v1",)),
        ]
    deletes += [Case("route del default table 209", setup=("route add default dev v1 table 209",)),
                Case("route del"), Case("route del 10.1.0.0/24 bogus")]
    return [Group("route add", BASE, add4 + add6 + gateways + multipath + types),
            Group("route verbs", BASE, verbs + deletes)]


# Routes of every kind for listings to read.
ROUTE_TABLE = LINKS + NEXTHOPS + (
    "route add 10.20.0.0/16 via 10.1.0.2 metric 5 proto static",
    "route add 10.21.0.0/16 dev v2 scope link src 10.2.0.1 mtu lock 1400 advmss 1300 window 9000",
    "route add 10.22.0.0/16 nexthop via 10.1.0.2 weight 2 nexthop via 10.2.0.2 weight 7",
    "route add 10.23.0.0/16 nhid 10", "route add 10.24.0.0/16 nhid 1 proto 99",
    "route add blackhole 10.25.0.0/16", "route add unreachable 10.26.0.0/16 metric 9",
    "route add prohibit 10.27.0.0/16 table 100", "route add throw 10.28.0.0/16 table 100",
    "route add 10.29.0.0/16 via 10.1.0.2 tos 0x10 realms 3/4 table 100 proto zebra",
    "route add 10.30.0.0/16 dev v1 rtt 100 rttvar 50 rto_min 200ms features ecn quickack 1 congctl lock cubic fastopen_no_cookie 1",
    "route add 10.31.0.0/16 dev v1 encap ip id 9 dst 10.1.0.2 ttl 7",
    "route add 10.32.0.0/16 via inet6 2001:db8:1::2 dev v1",
    "route add default via 10.1.0.2 table 100", "route add default via 10.2.0.2 metric 20",
    "route add 10.33.0.0/16 dev v1 table 4000 proto kernel scope host",
    "route add 10.34.0.0/16 via 10.9.9.9 dev v2 onlink",
    "route add 10.35.0.0/16 dev v1 initcwnd 10 initrwnd 20 ssthresh 30 cwnd 40 reordering 5 hoplimit 9",
    "route add 10.36.0.0/16 dev v1 tos AF11 table 100",
    "route add 2001:db8:20::/48 via 2001:db8:1::2 metric 5 pref high",
    "route add 2001:db8:21::/48 nexthop via 2001:db8:1::2 weight 3 nexthop via 2001:db8:2::2",
    "route add 2001:db8:22::/48 nhid 11", "route add unreachable 2001:db8:23::/48",
    "route add 2001:db8:24::/48 dev v1 table 100 mtu 1300 expires 600",
    "route add 2001:db8:25::/48 from 2001:db8:9::/64 via 2001:db8:1::2",
    "route add blackhole 2001:db8:26::/48 metric 7",
    "route add default via 2001:db8:2::2 metric 99",
)


def route_listings():
    show = [
        "route", "route show", "route list", "route lst", "route sh", "route ls", "-4 route show", "-6 route",
        "-6 route show", "route show table all", "route show table main", "route show table local",
        "route show table 100", "route show table 4000", "route show table 555", "route show table bogus",
        "-6 route show table all", "-6 route show table 100", "-6 route show table local", "route show table default",
        "route show dev v1", "route show dev v2", "route show oif v1", "route show dev nosuch", "-6 route show dev v1",
        "route show proto static", "route show proto kernel", "route show proto boot", "route show proto 99",
        "route show proto all", "route show protocol zebra table 100", "route show scope link", "route show scope host table all",
        "route show scope global", "route show scope all", "route show type blackhole", "route show type unreachable",
        "route show type unicast", "route show type local table all", "route show type bogus", "route show metric 5",
        "route show metric 9", "route show priority 20", "route show via 10.1.0.2", "route show via 10.2.0.2",
        "-6 route show via 2001:db8:1::2", "route show via inet6 2001:db8:1::2", "route show src 10.2.0.1",
        "route show src 10.0.0.0/8", "route show root 10.0.0.0/8", "route show root 10.20.0.0/16",
        "route show match 10.20.1.1", "route show match 10.20.0.0/16", "route show exact 10.20.0.0/16",
        "route show exact 10.20.0.0/15", "route show 10.20.0.0/16", "route show 10.20.0.0/15", "route show to 10.22.0.0/16",
        "route show to root 10.0.0.0/8", "route show to match 10.1.0.1", "route show default", "route show default table all",
        "route show all", "route show 0/0", "-6 route show root 2001:db8::/32", "-6 route show match 2001:db8:20::1",
        "-6 route show 2001:db8:21::/48", "-6 route show from 2001:db8:9::/64", "-6 route show from root 2001:db8::/32",
        "-6 route show from match 2001:db8:9::1", "route show from 10.0.0.0/8", "route show tos 0x10 table 100",
        "route show dsfield 0x10 table 100", "route show realms 3/4 table 100", "route show realm 4 table 100",
        "route show realms 3/ table 100", "route show table cache", "route show cached", "route show cloned",
        "route show cache", "route show vrf bogus", "route show iif v1", "route show mark 5", "route show bogus",
        "route show table 100 dev v1", "route show table all dev v2 scope link", "route show table all type unicast proto static",
        "-d route show", "-d route show table all", "-d -6 route show", "-s route show", "-d route show table 100",
        "-d -j route show", "-j -p route show", "-j -p -6 route show", "-j route show table all", "-p route show",
        "-d route show 10.24.0.0/16", "-d route show 10.23.0.0/16", "route show nhid 10", "route show 10.30.0.0/16",
        "route show 10.31.0.0/16", "route show 10.32.0.0/16", "-4 route show all", "route show mark 0",
        "route show realms 4 table 100", "route show tos AF11 table 100", "route show table 100 realms 0x30004", "-6 route show table 100 2001:db8:24::/48",
        "route show table 100 10.29.0.0/16", "-o route show", "-br route show",
        # -N: tables, protocols, scopes, types, realms and DS fields as numbers.
        "-N route show", "-N route show table all", "-N -6 route show table all", "-N -d route show table 100",
        "-Numeric route show table local", "-Nu -d route show", "-N route show table 255 proto 2",
    ]
    get = [
        "route get 10.20.1.1", "route get 10.22.1.1", "route get 10.23.1.1", "route get 10.25.1.1", "route get 10.26.1.1",
        "route get 10.1.0.2", "route get 10.1.0.1", "route get 10.2.0.5 from 10.2.0.1", "route get 10.20.1.1 from 10.9.9.9",
        "route get 10.20.1.1 oif v2", "route get 10.20.1.1 dev v2", "route get 10.20.1.1 mark 5", "route get 10.20.1.1 tos 0x10",
        "route get 10.20.1.1 uid 1000", "route get fibmatch 10.22.1.1", "route get 10.22.1.1 fibmatch",
        "route get 10.20.1.1 ipproto tcp sport 1000 dport 80", "route get 10.20.1.1 ipproto udp dport 53",
        "route get 10.20.1.1 ipproto 132", "route get 10.20.1.1 iif v2 from 10.2.0.9", "route get 10.20.1.1 connected",
        "route get to 10.20.1.1", "route get 10.20.0.0/16", "route get 10.20.0.0/15",
        "route get 198.51.100.1", "route get 127.0.0.1", "route get bogus", "route get", "route get 10.20.1.1 vrf bogus",
        "route get 10.20.1.1 as 10.9.9.9", "route get 10.20.1.1 bogus", "route get 10.20.1.1 oif nosuch",
        "-6 route get 2001:db8:20::1", "route get 2001:db8:21::1", "route get 2001:db8:22::1", "route get 2001:db8:23::1",
        "route get 2001:db8:1::2", "route get 2001:db8:25::1 from 2001:db8:9::1", "route get fibmatch 2001:db8:21::1",
        "route get 2001:db8:20::1 oif v2", "-4 route get 2001:db8:20::1", "-6 route get 10.20.1.1",
        "-d route get 10.20.1.1", "-j -p route get 10.22.1.1", "-s route get 10.20.1.1", "-N route get 10.1.0.1",
        # Last: the kernel marks the route it caches for the gateway, and later gets show it.
        "route get 10.20.1.1 notify",
    ]
    flush = [
        Case("route flush table 100"), Case("route flush dev v2"), Case("route flush proto static"),
        Case("-6 route flush table 100"), Case("route flush root 10.30.0.0/15"), Case("route flush type blackhole"),
        Case("route flush cache"), Case("-6 route flush cache"), Case("route flush table cache"),
        Case("route flush"), Case("route flush bogus"), Case("route flush table bogus"), Case("route flush table 555"),
        Case("route flush 10.34.0.0/16"), Case("-6 route flush dev v1 proto boot"), Case("route flush table all proto 99"),
        Case("route flush table 4000"), Case("-6 route flush table all"), Case("route flush table all"),
    ]
    return [Group("route listings", Fixture(lines=ROUTE_TABLE), [Case(l) for l in show + get]),
            Group("route flush", Fixture(lines=ROUTE_TABLE), flush)]



# ------------------------------------------------------------------ addresses

ADDRESS_WORDS = [
    "peer {g4}", "peer {g4}/24", "remote {g4}", "peer bogus", "broadcast +", "broadcast -", "brd +", "brd -",
    "broadcast 10.99.0.255", "brd 10.99.0.255 brd +", "broadcast bogus", "anycast 10.99.0.7", "anycast bogus",
    "label v1:1", "label v1:abcdefghijk", "label v1:abcdefghijkl", "label bogus", "label v1", "label v2:1",
    "scope global", "scope link", "scope host", "scope site", "scope 100", "scope bogus", "metric 5", "priority 6",
    "preference 7", "metric bogus", "metric 4294967296", "valid_lft 100", "valid_lft forever", "valid_lft bogus",
    "preferred_lft 50 valid_lft 100", "preferred_lft 200 valid_lft 100", "preferred_lft 0 valid_lft 100",
    "preferred_lft 50", "preferred_lft forever valid_lft forever", "home", "nodad", "optimistic", "mngtmpaddr",
    "noprefixroute", "autojoin", "-nodad", "dadfailed", "tentative", "permanent", "deprecated", "secondary",
    "temporary", "stable-privacy", "bogus", "help", "dev v2", "dev nosuch", "dev", "metric 5 noprefixroute",
]


def addresses():
    add = (words_cases("address add {h4} dev v1 {w}", [w for w in ADDRESS_WORDS if "{g4}" in w or "10.99" in w or True])
           + words_cases("address add {h6} dev v1 {w}", [w.replace("{g4}", "{g6}").replace("10.99.0.255", "2001:db8:99::ff")
                                                         .replace("10.99.0.7", "2001:db8:99::7") for w in ADDRESS_WORDS]))
    add += [
        Case("address add {h4} dev v1"), Case("address add {a4} dev v1"), Case("address add {a6} dev v1"),
        Case("address add local {h4} dev v1"), Case("address add dev v1 {h4}"), Case("address add {h4}"),
        Case("address add {h4} dev v1 {h4}"), Case("address add bogus dev v1"), Case("address add 10.99.1.1/33 dev v1"),
        Case("address add 127.0.0.2/8 dev lo"), Case("address add 127.0.0.3/8 dev lo scope global"),
        Case("address add {a4} peer {g4} dev v1"), Case("address add {h4} peer {g4}/30 dev v1"),
        Case("address add {a6} peer {g6} dev v1"), Case("address add {h4} dev v1 label v1:x broadcast + metric 9"),
        Case("address add 0.0.0.0/0 dev v1"), Case("address add 224.0.0.5/24 dev v1"),
        Case("address add ff02::5/64 dev v1"), Case("address add fe80::99/64 dev v1"), Case("address add ::1/128 dev v1"),
        Case("address add 10.1.0.1/24 dev v1"), Case("address add 10.1.0.1/16 dev v1"), Case("address add 10.1.0.9/24 dev v1"),
        Case("-6 address add {h4} dev v1"), Case("-4 address add {h6} dev v1"), Case("address a {h4} dev v1"),
        Case("addr add {h4} dev v1"), Case("a add {h4} dev v1"), Case("address {h4} dev v1"),
    ]
    verbs = []
    for h, g in (("{h4}", "{g4}"), ("{h6}", "{g6}")):
        verbs += [
            Case(f"address change {h} dev v1 metric 5", setup=(f"address add {h} dev v1",)),
            Case(f"address change {h} dev v1 valid_lft 100 preferred_lft 50", setup=(f"address add {h} dev v1",)),
            Case(f"address change {h} dev v1 noprefixroute", setup=(f"address add {h} dev v1",)),
            Case(f"address change {h} dev v1 label v1:c", setup=(f"address add {h} dev v1",)),
            Case(f"address change {h} dev v1"),
            Case(f"address replace {h} dev v1 metric 5", setup=(f"address add {h} dev v1",)),
            Case(f"address replace {h} dev v1 noprefixroute"),
            Case(f"address replace {h} dev v1 valid_lft 100 preferred_lft 100", setup=(f"address add {h} dev v1 noprefixroute",)),
            Case(f"address del {h} dev v1", setup=(f"address add {h} dev v1",)),
            Case(f"address delete {h} dev v1", setup=(f"address add {h} dev v1",)),
            Case(f"address del {h} dev v1"),
            Case(f"address del {h} dev v2", setup=(f"address add {h} dev v1",)),
            Case(f"address del {h}", setup=(f"address add {h} dev v1",)),
            Case(f"address del {h} dev v1 label v1:d", setup=(f"address add {h} dev v1 label v1:d",)),
            Case(f"address del {h} dev v1 label v1:e", setup=(f"address add {h} dev v1 label v1:d",)),
            Case(f"address del {h} dev v1 metric 9", setup=(f"address add {h} dev v1",)),
            Case(f"address del {h} peer {g} dev v1", setup=(f"address add {h} peer {g} dev v1",)),
            Case(f"address d {h} dev v1", setup=(f"address add {h} dev v1",)),
        ]
    verbs += [
        Case("address del {a4} dev v1", setup=("address add {h4} dev v1",)),
        Case("address del {a4}/32 dev v1", setup=("address add {h4} dev v1",)),
        Case("address del {a6} dev v1", setup=("address add {h6} dev v1",)),
        Case("address del 10.1.0.1 dev v1 mngtmpaddr"), Case("address del"), Case("address del dev v1"),
    ]
    return [Group("address add", BASE, add), Group("address verbs", BASE, verbs)]


ADDRESS_TABLE = LINKS + (
    "link add d1 address 02:00:00:00:03:01 type veth peer name d1p address 02:00:00:00:03:02",
    "address add 10.1.0.9/24 dev v1", "address add 10.1.0.10/24 dev v1 label v1:lab",
    "address add 10.3.0.1/24 dev d1 scope link", "address add 10.4.0.1 peer 10.4.0.2/30 dev v2",
    "address add 10.5.0.1/24 dev v2 valid_lft 1000 preferred_lft 500 broadcast + metric 7",
    "address add 10.6.0.1/24 dev v2 noprefixroute", "address add 2001:db8:3::1/64 dev d1 nodad",
    "address add 2001:db8:4::1/64 dev v1 valid_lft 2000 preferred_lft 0", "address add 2001:db8:5::1/64 dev v2 home mngtmpaddr",
    "address add 2001:db8:6::1/64 dev v2 noprefixroute metric 9", "address add 127.0.0.2/8 dev lo",
    "address add fe80::1:1/64 dev v1", "address add fe80::2:1/64 dev v2",
)


def address_listings():
    show = [
        "address", "address show", "address list", "address lst", "addr", "a", "a s", "address sh", "address ls",
        "address show v1", "address show dev v1", "address show dev d1", "address show dev lo", "address show dev nosuch",
        "address show nosuch", "-4 address show", "-6 address show", "-4 address show dev v1", "-6 address show dev v1",
        "-6 address show dev d1", "address show up", "address show scope link", "address show scope host",
        "address show scope global", "address show scope 0", "address show scope all", "address show scope bogus",
        "address show to 10.1.0.0/24", "address show to 10.1.0.9", "address show to 2001:db8::/32", "address show to bogus",
        "address show label v1:lab", "address show label 'v1*'", "address show label v1", "address show label nosuch",
        "address show permanent", "address show dynamic", "address show -permanent", "address show secondary",
        "address show -secondary", "address show primary", "address show temporary", "address show tentative",
        "address show -tentative", "address show deprecated", "address show -deprecated", "address show dadfailed",
        "address show -dadfailed", "address show home", "address show nodad", "address show mngtmpaddr",
        "address show noprefixroute", "address show autojoin", "address show -noprefixroute", "address show optimistic",
        "address show stable-privacy", "address show type veth", "address show type bridge", "address show type bogus",
        "address show master br0", "address show nomaster", "address show group default", "address show group 5",
        "address show vrf bogus", "address show bogus", "address show dev v1 dev v2",
        # Counters of links that send nothing: those that are up send IPv6 multicast reports
        # at moments that differ from twin to twin.
        "-s address show dev d1", "-s -s address show dev lo", "-s -j address show dev lo",
        "-d address show", "-d address show dev d1", "-6 -d address show dev v1", "-o address show", "-o -4 address show",
        "-br address show", "-br -6 address show", "-br address show dev v1", "-j -p address show dev v1", "-j address show",
        "-p address show", "-d -j address show dev v2", "-h address show", "-iec address show",
        "address show dev v1 scope link", "-6 address show scope global dev v2", "address show dev v2 to 10.4.0.0/24",
        "address showdump", "-N address show", "-N -6 address show dev v1", "-N -o address show",
    ]
    flush = [
        Case("address flush dev v1 label v1:lab"), Case("address flush dev v1 secondary"), Case("-6 address flush dev v2"),
        Case("address flush to 10.5.0.0/24"), Case("address flush scope link"), Case("address flush dynamic"),
        Case("-6 address flush noprefixroute"), Case("address flush"), Case("address flush bogus"),
        Case("address flush dev nosuch"), Case("address flush label 'v1*'"), Case("address flush dev d1"),
        Case("-4 address flush dev v2"), Case("address flush dev v1"), Case("address flush permanent"),
    ]
    return [Group("address listings", Fixture(lines=ADDRESS_TABLE, settle=3), [Case(l) for l in show]),
            Group("address flush", Fixture(lines=ADDRESS_TABLE), flush)]


# ------------------------------------------------------------------ links

GENERIC_LINK_WORDS = [
    "mtu 1400", "mtu 67", "mtu 68", "mtu 65535", "mtu 65536", "mtu bogus", "txqueuelen 500", "qlen 5", "txqlen 7",
    "txq 9", "txqueuelen bogus", "address {mac}", "address 02:00:00:aa", "address bogus", "broadcast ff:ff:ff:ff:ff:fe",
    "brd ff:ff:ff:ff:ff:fd", "numtxqueues 4", "numrxqueues 3", "numtxqueues 0", "numtxqueues 5000", "gso_max_size 32000",
    "gso_max_segs 100", "gro_max_size 32000", "alias uplink", "group 5", "group default", "group bogus", "master br0",
    "master nosuch", "master v1", "up", "down", "arp off", "arp on", "multicast off", "allmulticast on", "promisc on",
    "promisc bogus", "dynamic on", "trailers on", "carrier off", "protodown on", "addrgenmode none", "addrgenmode eui64",
    "link v1", "link nosuch", "index 500", "netns {peer}", "netns nosuch", "vrf bogus", "mode dormant", "state up",
    "bogus", "xdp off",
]
VETH_WORDS = [
    "", "peer name {lp}", "peer {lp}", "peer name {lp} address {mac}", "peer name {lp} mtu 1300", "peer name {lp} txqueuelen 5",
    "peer name {lp} netns {peer}", "peer name {lp} numtxqueues 2", "peer name {lp} up", "peer name {lp} alias far",
    "peer name {lp} group 7", "peer name {lp} bogus", "peer", "peer name", "peer name v1", "peer name {lp} type veth",
    "peer name {lp} addrgenmode none", "peer name {lp} mtu 1300 txqueuelen 6 numrxqueues 2",
]
BRIDGE_WORDS = [
    "forward_delay 400", "forward_delay 0", "hello_time 150", "max_age 1000", "ageing_time 6000", "stp_state 1",
    "stp_state 0", "priority 4096", "priority 65536", "vlan_filtering 1", "vlan_filtering 0", "vlan_protocol 802.1ad",
    "vlan_protocol 802.1Q", "vlan_protocol bogus", "group_fwd_mask 0x4000", "group_address 01:80:c2:00:00:0e",
    "no_linklocal_learn 1", "vlan_default_pvid 5", "vlan_default_pvid 0", "vlan_stats_enabled 1", "vlan_stats_per_port 1",
    "mcast_router 2", "mcast_snooping 0", "mcast_vlan_snooping 1", "mcast_query_use_ifaddr 1", "mcast_querier 1",
    "mcast_hash_elasticity 16", "mcast_hash_max 1024", "mcast_last_member_count 3", "mcast_startup_query_count 3",
    "mcast_last_member_interval 200", "mcast_membership_interval 30000", "mcast_querier_interval 30000",
    "mcast_query_interval 15000", "mcast_query_response_interval 2000", "mcast_startup_query_interval 4000",
    "mcast_stats_enabled 1", "mcast_igmp_version 3", "mcast_mld_version 2", "nf_call_iptables 1", "nf_call_arptables 1",
    "nf_call_ip6tables 1", "fdb_flush", "bogus", "stp_state bogus", "help",
]
VXLAN_WORDS = [
    "id {id}", "vni 6", "id {id} remote 10.1.0.2", "id {id} group 239.1.1.1 dev v1", "id {id} local 10.1.0.1", "id {id} remote 2001:db8:1::2",
    "id {id} local 2001:db8:1::1", "id {id} dev v1", "id {id} ttl 10", "id {id} ttl auto", "id {id} ttl inherit", "id {id} hoplimit 9",
    "id {id} tos 0x10", "id {id} tos inherit", "id {id} dsfield 0x08", "id {id} df set", "id {id} df unset", "id {id} df inherit",
    "id {id} flowlabel 100", "id {id} label 7", "id {id} ageing 100", "id {id} ageing none", "id {id} maxaddress 10", "id {id} maxaddress unlimited",
    "id {id} port 1000 2000", "id {id} srcport 1000 2000", "id {id} dstport 4790", "id {id} dstport 0", "id {id} nolearning", "id {id} learning",
    "id {id} proxy", "id {id} noproxy", "id {id} rsc", "id {id} l2miss", "id {id} l3miss", "id {id} udpcsum", "id {id} noudpcsum",
    "id {id} udp6zerocsumtx", "id {id} udp6zerocsumrx", "id {id} remcsumtx", "id {id} remcsumrx", "id {id} gbp", "external", "id {id} external",
    "external vnifilter", "id {id} gpe", "id {id} noexternal", "", "id 16777216", "id bogus", "id {id} bogus", "id {id} remote 10.1.0.2 group 239.1.1.1",
]


def link_groups():
    add = words_cases("link add {l} type veth {w}", VETH_WORDS)
    add += words_cases("link add {l} {w} type veth peer name {lp}", GENERIC_LINK_WORDS)
    add += words_cases("link add {l} type veth peer name {lp} {w}", ["mtu 1400", "txqueuelen 500"])
    add += words_cases("link add {l} type bridge {w}", BRIDGE_WORDS)
    add += words_cases("link add {l} type vxlan {w}", VXLAN_WORDS)
    add += [
        Case("link add {l} type ifb"), Case("link add {l} type bogus"), Case("link add {l}"), Case("link add type veth"),
        Case("link add name {l} type veth"), Case("link add dev {l} type veth"), Case("link add {l} type bridge"),
        Case("link add v1 type veth"), Case("link add {l} type veth peer name {l}"),
        Case("link add abcdefghijklmnop type veth"), Case("link add abcdefghijklmnopq type veth"),
        Case("link add {l} address {mac} type bridge"), Case("link add {l} type bridge address {mac}"),
        Case("link add {l} type veth mtu 1400 peer name {lp} mtu 1300"),
        Case("link add {l} type vxlan id {id} dstport 4789 remote 10.1.0.2 dev v1 up"),
        Case("link add {l} mtu 1400 mtu 1300 type veth"), Case("link add {l} type veth peer name {lp} peer name x"),
        Case("link add vs type veth peer name vt txqueuelen 5"),
    ]
    sets = []
    for words in GENERIC_LINK_WORDS + ["name {lp}", "name v2", "nomaster", "alias ''", "mtu 1400 txqueuelen 5", "up mtu 1400",
                                        "type veth", "type bridge", "type veth peer name x"]:
        sets.append(Case("link set {l} " + words, setup=("link add {l} type veth peer name {lp}",)))
    sets += [
        Case("link set dev {l} up", setup=("link add {l} type veth peer name {lp}",)),
        Case("link set {l} nomaster", setup=("link add {l} type veth peer name {lp}", "link set {l} master br0")),
        Case("link set {l} down", setup=("link add {l} type veth peer name {lp}", "link set {l} up")),
        Case("link set {l} type bridge stp_state 1 priority 8192", setup=("link add {l} type bridge",)),
        Case("link set {l} type bridge vlan_filtering 1", setup=("link add {l} type bridge stp_state 1",)),
        Case("link set {l} type bridge ageing_time 500 forward_delay 300", setup=("link add {l} type bridge",)),
        Case("link set {l} type vxlan ttl 20", setup=("link add {l} type vxlan id {id} dstport 4789 remote 10.1.0.2",)),
        Case("link set {l} type vxlan learning", setup=("link add {l} type vxlan id {id} dstport 4789 nolearning",)),
        Case("link set {l} type vxlan ageing 50", setup=("link add {l} type vxlan id {id} dstport 4789",)),
        Case("link set {l} type vxlan remote 10.1.0.9", setup=("link add {l} type vxlan id {id} dstport 4789 remote 10.1.0.2",)),
        Case("link set {l} type vxlan id 6", setup=("link add {l} type vxlan id {id} dstport 4789",)),
        Case("link set {l} type vxlan dstport 4790", setup=("link add {l} type vxlan id {id} dstport 4789",)),
        Case("link set {l} type vxlan id {id} dstport 4789 ttl 3", setup=("link add {l} type vxlan id {id} dstport 4789",)),
        Case("link set {l} mtu 1400", setup=("link add {l} type vxlan id {id} dstport 4789",)),
        Case("link set {l} type veth", setup=("link add {l} type bridge",)),
        Case("link set {l} type vxlan id {id}", setup=("link add {l} type bridge",)),
        Case("link set nosuch up"), Case("link set up"), Case("link set"), Case("link change {l} mtu 1400", setup=("link add {l} type veth",)),
        Case("link set {l} address {mac} up mtu 1300 txqueuelen 100 alias x", setup=("link add {l} type veth peer name {lp}",)),
        Case("link set {l} name {lp}", setup=("link add {l} type veth",)),
        Case("link set {l} group 3", setup=("link add {l} type veth",)), Case("link set group 3 up", setup=("link add {l} group 3 type veth",)),
        Case("link set {l} type ifb", setup=("link add {l} type ifb",)),
    ]
    deletes = [
        Case("link del {l}", setup=("link add {l} type veth",)), Case("link delete dev {l}", setup=("link add {l} type veth",)),
        Case("link del {lp}", setup=("link add {l} type veth peer name {lp}",)), Case("link del nosuch"), Case("link del"),
        # A peer named, not left to the kernel's counter, which differs between the twins.
        Case("link del {l} type veth", setup=("link add {l} type veth peer name {lp}",)),
        Case("link del {l} type bridge", setup=("link add {l} type veth peer name {lp}",)),
        Case("link del group 9", setup=("link add {l} group 9 type veth",)),
        Case("link del dev {l} bogus", setup=("link add {l} type veth peer name {lp}",)),
        Case("link d {l}", setup=("link add {l} type veth",)), Case("link del lo"),
    ]
    return [Group("link add", LINK_FIXTURE, add), Group("link set", LINK_FIXTURE, sets + deletes)]


LINK_FIXTURE = Fixture(lines=LINKS + (
    "link add br0 address 02:00:00:00:04:01 type bridge",
    "link add vx0 address 02:00:00:00:05:01 type vxlan id 42 dstport 4789 remote 10.1.0.2 local 10.1.0.1 ttl 10",
), peer=True)

# Listings with -s compare counters: links without IPv6 addresses send nothing (the
# kernel reports the multicast groups of IPv6 addresses when a link comes up).
LINKS_WITHOUT_IPV6 = tuple(line for line in LINKS if ":" not in line or "link add" in line)

LINK_TABLE = LINKS_WITHOUT_IPV6 + (
    "link add br0 address 02:00:00:00:04:01 type bridge priority 4096 forward_delay 500",
    "link add vx0 address 02:00:00:00:05:01 type vxlan id 42 dstport 4789 remote 10.1.0.2 local 10.1.0.1 ttl 10 ageing 100",
    "link add vx6 address 02:00:00:00:05:02 type vxlan id 43 dstport 4790 remote 2001:db8:1::2 nolearning udp6zerocsumtx",
    "link add vx7 address 02:00:00:00:05:03 type vxlan external dstport 4791",
    "link add d1 address 02:00:00:00:03:01 txqueuelen 500 alias downlink group 5 type veth peer name d1p address 02:00:00:00:03:02",
    "link set d1 master br0", "link add i1 address 02:00:00:00:06:01 type ifb",
    "link add m1 address 02:00:00:00:07:01 mtu 1400 type veth peer name m1p address 02:00:00:00:07:02 netns {peer}",
    "link set v2 mtu 1450 arp off multicast off promisc on",
)


def link_listings():
    show = [
        "link", "link show", "link list", "link lst", "l", "l sh", "li", "link ls", "link show v1", "link show dev v1",
        "link show dev nosuch", "link show nosuch", "link show up", "link show type veth", "link show type bridge",
        "link show type vxlan", "link show type ifb", "link show type bogus", "link show type bridge_slave", "link show master br0",
        "link show master nosuch", "link show nomaster", "link show group 5", "link show group default", "link show group bogus",
        "link show vrf bogus", "link show bogus", "link show dev v1 dev v2", "link show d1", "link show m1", "link show br0",
        "link show vx0", "link show lo", "-d link show", "-d link show v1", "-d link show br0", "-d link show vx0", "-d link show vx6",
        "-d link show vx7", "-d link show d1", "-d link show i1", "-d link show m1", "-d link show lo", "-s link show",
        "-s link show v1", "-s -s link show v1", "-s -s -s link show d1", "-s link show br0", "-d -s link show vx0",
        "-o link show", "-br link show", "-br link show dev v1", "-br -d link show", "-j -p link show dev v1",
        "-j -p -d link show dev br0", "-j -d link show", "-j -s link show", "-p link show", "-d -p link show",
        "-h -s link show d1", "-iec -s link show d1", "-N link show", "-N -d link show", "-N link show d1",
        "-N -br link show", "link show altname v1", "link help", "link bogus",
        "link show dev br0 type bridge", "link show up type veth", "-4 link show", "-6 link show", "link xstats",
        "link afstats", "link show index 1",
    ]
    return [Group("link listings", Fixture(lines=LINK_TABLE, peer=True, settle=3), [Case(l) for l in show])]


# ------------------------------------------------------------------ rules

RULE_SELECTORS = [
    "from 10.1.0.0/24", "from 10.1.0.5", "from all", "from bogus", "to 10.2.0.0/16", "to all", "not from 10.1.0.0/24",
    "tos 0x10", "tos 16", "tos AF11", "dsfield 0x08", "fwmark 5", "fwmark 0x10/0xff", "fwmark 5/bogus", "fwmark bogus", "iif v1", "iif lo",
    "iif nosuch", "dev v1", "oif v2", "uidrange 100-200", "uidrange 100", "uidrange bogus", "ipproto tcp", "ipproto 17",
    "ipproto bogus", "sport 80", "sport 1000-2000", "dport 53", "dport 2000-1000", "sport bogus", "tun_id 5", "l3mdev",
    "protocol static", "protocol 99", "protocol bogus", "realms 5", "realms 1/2", "realms bogus",
    "suppress_prefixlength 0", "sup_pl 8", "suppress_ifgroup 5", "sup_group default", "priority 5", "order 6",
    "preference 7", "pref 8", "", "bogus",
]
RULE_ACTIONS = [
    "table 100", "table main", "table local", "table default", "lookup 101", "table bogus", "table 0", "table 4294967295",
    "blackhole", "unreachable", "prohibit", "nop", "type nop", "type blackhole", "goto 32766", "goto 5", "goto bogus",
    "nat 10.9.9.9", "map-to 10.9.9.9", "type nat", "type unicast", "unicast", "",
]


def rules():
    add4 = words_cases("rule add pref {pr} {w} table 100",
                       [w for w in RULE_SELECTORS if not w.startswith(("pri", "order", "pref", "from 10.1.0.0/24"))])
    add4 += words_cases("rule add pref {pr} from 10.1.0.0/24 {w}", RULE_ACTIONS)
    add6 = words_cases("-6 rule add pref {pr} {w} table 100",
                       [w.replace("10.1.0.0/24", "2001:db8:1::/64").replace("10.1.0.5", "2001:db8:1::5")
                        .replace("10.2.0.0/16", "2001:db8:2::/48") for w in RULE_SELECTORS
                        if not w.startswith(("pri", "order", "pref", "from 10.1.0.0/24"))])
    add6 += words_cases("-6 rule add pref {pr} from 2001:db8:1::/64 {w}", RULE_ACTIONS)
    add = add4 + add6 + [
        Case("rule add from 10.1.0.0/24 table 100"), Case("rule add from 10.1.0.0/24 table 100 pref 0"),
        Case("rule add pref {pr} from 2001:db8:1::/64 table 100"), Case("rule add pref {pr} from 10.1.0.0/24 to 2001:db8::/32"),
        Case("-4 rule add pref {pr} from 2001:db8:1::/64"), Case("rule add priority {pr} priority 5 table 100"),
        Case("rule add pref {pr} table 100 table 101"), Case("rule add pref {pr} from 10.1.0.0/24 from 10.2.0.0/24"),
        Case("rule add pref {pr} fwmark 0x10/0xff iif v1 oif v2 ipproto tcp sport 80 dport 8080 uidrange 1-2 table 100 protocol static"),
        Case("rule add pref {pr} from 10.1.0.0/24 table 100", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule a pref {pr} table 100"), Case("ru add pref {pr} table 100"), Case("rule add"), Case("rule add help"),
        Case("rule add pref {pr} suppress_prefixlength 0 table main"),
    ]
    verbs = [
        Case("rule del pref {pr}", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule del from 10.1.0.0/24 table 100", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule del from 10.1.0.0/24", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule del table 100", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule del from 10.2.0.0/24", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule del pref {pr} table 101", setup=("rule add pref {pr} from 10.1.0.0/24 table 100",)),
        Case("rule del fwmark 5", setup=("rule add pref {pr} fwmark 5 table 100",)),
        Case("rule del iif v1", setup=("rule add pref {pr} iif v1 table 100",)),
        Case("rule del not from 10.1.0.0/24", setup=("rule add pref {pr} not from 10.1.0.0/24 table 100",)),
        Case("rule del realms 1/2", setup=("rule add pref {pr} realms 1/2 table 100",)),
        Case("-6 rule del pref {pr}", setup=("-6 rule add pref {pr} from 2001:db8:1::/64 table 100",)),
        Case("rule del pref {pr}", setup=("-6 rule add pref {pr} from 2001:db8:1::/64 table 100",)),
        Case("-6 rule del from 2001:db8:1::/64", setup=("-6 rule add pref {pr} from 2001:db8:1::/64 table 100",)),
        Case("rule delete pref {pr}", setup=("rule add pref {pr} table 100",)), Case("rule del pref 55555"),
        Case("rule del"), Case("rule del pref 0"), Case("rule d pref {pr}", setup=("rule add pref {pr} table 100",)),
    ]
    return [Group("rule add", BASE, add), Group("rule verbs", BASE, verbs)]


RULE_TABLE = LINKS + (
    "rule add pref 100 from 10.1.0.0/24 table 100", "rule add pref 101 to 10.2.0.0/16 fwmark 0x10/0xff lookup 101 protocol static",
    "rule add pref 102 not iif v1 oif v2 tos 0x10 blackhole", "rule add pref 103 uidrange 100-200 ipproto tcp sport 80 dport 1000-2000 prohibit",
    "rule add pref 104 realms 1/2 table 100", "rule add pref 105 goto 107", "rule add pref 106 fwmark 5 unreachable",
    "rule add pref 107 suppress_prefixlength 0 suppress_ifgroup 5 table main", "rule add pref 108 nop",
    "rule add pref 109 from 10.3.0.0/16 nat 10.9.9.9", "rule add pref 110 iif lo table 4000 protocol 99",
    "rule add pref 111 l3mdev", "-6 rule add pref 100 from 2001:db8:1::/64 table 100",
    "-6 rule add pref 101 to 2001:db8:2::/48 fwmark 7 prohibit", "-6 rule add pref 102 not from all iif v1 goto 104",
    "-6 rule add pref 104 ipproto udp dport 53 table 101", "rule add pref 112 tun_id 9 table 100",
)


def rule_listings():
    show = [
        "rule", "rule show", "rule list", "rule lst", "ru", "ru s", "-6 rule", "-6 rule show", "-4 rule show", "rule show pref 100",
        "rule show priority 101", "rule show pref 999", "rule show from 10.1.0.0/24", "rule show from 10.1.0.5", "rule show from all",
        "rule show to 10.2.0.0/16", "rule show table 100", "rule show table main", "rule show lookup 101", "rule show table bogus",
        "rule show fwmark 0x10/0xff", "rule show fwmark 5", "rule show iif v1", "rule show iif lo", "rule show oif v2",
        "rule show not", "rule show uidrange 100-200", "rule show ipproto tcp", "rule show sport 80", "rule show dport 1000-2000",
        "rule show protocol static", "rule show protocol kernel", "rule show protocol all", "rule show tos 0x10",
        "rule show realms 1/2", "rule show tun_id 9", "rule show l3mdev", "rule show goto 107", "rule show bogus",
        "-6 rule show from 2001:db8:1::/64", "-6 rule show table 101", "-d rule show", "-d -6 rule show", "-s rule show",
        "-j -p rule show", "-j -6 rule show", "-j -d rule show", "-o rule show", "-br rule show",
        "rule show pref 109", "rule show nat 10.9.9.9", "rule show dev v1", "rule show type blackhole",
        "rule show not iif v1", "rule show from 10.1.0.0/24 table 100 pref 100", "rule show from 10.1.0.0/16",
        "-N rule show", "-N -6 rule show", "-N -d rule show",
    ]
    flush = [Case("rule flush table 100"), Case("-6 rule flush"), Case("rule flush protocol static"), Case("rule flush pref 105"),
             Case("rule flush bogus"), Case("rule flush"), Case("-6 rule flush", label="again")]
    return [Group("rule listings", Fixture(lines=RULE_TABLE), [Case(l) for l in show]),
            Group("rule flush", Fixture(lines=RULE_TABLE), flush)]


# ------------------------------------------------------------------ nexthops

def nexthops():
    add = words_cases("nexthop add id {id} {w}", [
        "via 10.1.0.2 dev v1", "via 10.1.0.2", "dev v1", "via 2001:db8:1::2 dev v1", "via 2001:db8:1::2", "via fe80::1 dev v1",
        "via 10.9.9.9 dev v1", "via 10.9.9.9 dev v1 onlink", "via 10.1.0.2 dev v1 onlink", "blackhole", "blackhole dev v1",
        "blackhole via 10.1.0.2", "group 1/2", "group 1,3/2,7", "group 1,256/2", "group 1,257/2", "group 1,0/2", "group 1",
        "group 1/1", "group 1/999", "group 1/3", "group 3/4", "group 10/1", "group 1/2 type mpath", "group 1/2 type resilient",
        "group 1/2 type resilient buckets 32", "group 1/2 type resilient buckets 32 idle_timer 60 unbalanced_timer 120",
        "group 1/2 type resilient idle_timer 0", "group 1/2 type bogus", "group bogus", "group", "group 1/2 fdb",
        "via 10.1.0.2 dev v1 fdb", "via 10.1.0.2 fdb", "via 10.1.0.2 dev v1 protocol static", "via 10.1.0.2 dev v1 protocol 99",
        "via 10.1.0.2 dev v1 proto bogus", "via 10.1.0.2 dev v1 encap mpls 100", "via 10.1.0.2 dev v1 encap ip id 5 dst 10.1.0.2",
        "via 10.1.0.2 dev v1 encap ip6 id 5 dst 2001:db8:1::2 hoplimit 3 csum", "via 10.1.0.2 dev v1 encap mpls 100 200",
        "via 10.1.0.2 dev v1 scope link", "via 10.1.0.2 dev v1 weight 5", "dev nosuch", "via bogus dev v1", "bogus", "",
        "via 10.1.0.2 dev v1 via 10.2.0.2", "dev v1 dev v2", "via 10.1.0.2 dev v1 blackhole", "blackhole group 1/2",
        "via inet6 2001:db8:1::2 dev v1", "dev v1 vrf bogus",
    ])
    add += [Case("nexthop add id 0 via 10.1.0.2 dev v1"), Case("nexthop add via 10.1.0.2 dev v1"), Case("nexthop add id 1 via 10.1.0.2 dev v1"),
            Case("nexthop add id 4294967295 via 10.1.0.2 dev v1"), Case("nexthop add id 4294967296 via 10.1.0.2 dev v1"),
            Case("nexthop add id bogus via 10.1.0.2 dev v1"), Case("nexthop add"), Case("nexthop add id {id}"),
            Case("nh add id {id} dev v1"), Case("nexthop a id {id} dev v1"), Case("-6 nexthop add id {id} via 10.1.0.2 dev v1"),
            Case("-4 nexthop add id {id} via 2001:db8:1::2 dev v1"), Case("-6 nexthop add id {id} dev v1"),
            Case("-4 nexthop add id {id} blackhole"), Case("-6 nexthop add id {id} blackhole")]
    verbs = [
        Case("nexthop replace id {id} via 10.2.0.2 dev v2", setup=("nexthop add id {id} via 10.1.0.2 dev v1",)),
        Case("nexthop replace id {id} via 10.2.0.2 dev v2"), Case("nexthop replace via 10.2.0.2 dev v2"),
        Case("nexthop replace id 10 group 1,5/2"), Case("nexthop replace id 10 group 1/2 type resilient"),
        Case("nexthop replace id 1 blackhole"), Case("nexthop replace id 1 group 2/4"), Case("nexthop replace id 12 via 10.1.0.2 dev v1"),
        Case("nexthop replace id 3 via 10.1.0.2 dev v1"), Case("nexthop del id {id}", setup=("nexthop add id {id} dev v1",)),
        Case("nexthop delete id {id}", setup=("nexthop add id {id} dev v1",)), Case("nexthop del id 55555"), Case("nexthop del"),
        Case("nexthop del id 2"), Case("nexthop del id 11"), Case("nexthop del id {id} dev v1", setup=("nexthop add id {id} dev v1",)),
        Case("nexthop del dev v1", setup=("nexthop add id {id} dev v1",)), Case("nexthop d id {id}", setup=("nexthop add id {id} dev v1",)),
        Case("nexthop del id bogus"),
    ]
    return [Group("nexthop add", BASE, add), Group("nexthop verbs", BASE, verbs)]


NEXTHOP_TABLE = LINKS + NEXTHOPS + (
    "link add br0 address 02:00:00:00:04:01 type bridge", "link set v2p master br0",
    "nexthop add id 20 via 10.1.0.2 dev v1 protocol static", "nexthop add id 21 group 1,2/20 type resilient buckets 8 idle_timer 30",
    "nexthop add id 22 via 10.9.9.9 dev v2 onlink", "nexthop add id 23 via 10.1.0.7 fdb", "nexthop add id 24 group 23 fdb",
    "nexthop add id 25 dev v1 protocol 99", "nexthop add id 26 via 10.1.0.2 dev v1 encap ip id 5 dst 10.1.0.2 ttl 3",
    "route add 10.40.0.0/16 nhid 10", "route add 10.41.0.0/16 nhid 21",
)


def nexthop_listings():
    show = [
        "nexthop", "nexthop show", "nexthop list", "nexthop lst", "nh", "nh s", "-4 nexthop show", "-6 nexthop show",
        "nexthop show id 1", "nexthop show id 10", "nexthop show id 999", "nexthop show id bogus", "nexthop show dev v1",
        "nexthop show dev v2", "nexthop show dev nosuch", "nexthop show groups", "nexthop show fdb", "nexthop show master br0",
        "nexthop show vrf bogus", "nexthop show protocol static", "nexthop show protocol 99", "nexthop show bogus",
        "nexthop show groups fdb", "nexthop show dev v1 protocol static", "nexthop get id 1", "nexthop get id 21", "nexthop get id 999",
        "nexthop get", "nexthop get id 1 id 2", "-d nexthop show", "-s nexthop show", "-s nexthop show id 21", "-j -p nexthop show",
        "-j -d nexthop show", "-o nexthop show", "-br nexthop show", "nexthop bucket show", "nexthop bucket list",
        "nexthop bucket show id 21", "nexthop bucket show nhid 1", "nexthop bucket show dev v1", "nexthop bucket get id 21 index 0",
        "nexthop bucket get id 21 index 99", "nexthop bucket show id 10", "-j nexthop bucket show id 21", "nexthop bucket bogus",
        "nexthop show id 23", "nexthop show id 26", "nexthop show id 22", "-d route show 10.41.0.0/16", "nexthop help",
        "-N nexthop show", "-N -d nexthop show", "-N -d route show 10.40.0.0/16",
    ]
    # protocol static last: gretool takes the name (nexthop-protocol-names) and ip fails, so
    # the twins differ after it.
    flush = [Case("nexthop flush id 26"), Case("nexthop flush dev v2"), Case("nexthop flush groups"),
             Case("-6 nexthop flush"), Case("nexthop flush fdb"), Case("nexthop flush bogus"), Case("nexthop flush"),
             Case("nexthop flush", label="again"), Case("nexthop flush protocol static")]
    return [Group("nexthop listings", Fixture(lines=NEXTHOP_TABLE), [Case(l) for l in show]),
            Group("nexthop flush", Fixture(lines=NEXTHOP_TABLE), flush)]



# ------------------------------------------------------------------ batch files

# Lines a batch may send many per message (gretool takes them back when a line before
# them fails): each comes after a failing line, and must leave nothing behind, as with
# ip, which stops at the failure. Some need a route or nexthop to delete first.
TAKEN_BACK = [
    ("address add {h4} dev v1", ()),
    ("address add {h4} dev v1 label v1:k broadcast + scope link metric 5 valid_lft 100 preferred_lft 50", ()),
    ("address add {a4} peer {g4}/30 dev v1 noprefixroute", ()),
    ("address add {h6} dev v1 nodad noprefixroute home mngtmpaddr", ()),
    ("address add {h6} dev v1 valid_lft 200 preferred_lft 100 metric 7", ()),
    ("route add {p4} via 10.1.0.2", ()),
    ("route add {p4} via 10.1.0.2 mtu lock 1400 advmss 1300 window 9000 metric 5 proto static table 100 scope global", ()),
    ("route add {p4} dev v1 tos 0x10", ()),
    ("route add {p4} dev v1 src 10.1.0.1 metric 9", ()),
    ("route add blackhole {p4} table 100", ()),
    ("route add local {a4} dev v1 table 100", ()),
    ("route add {p4} nexthop via 10.1.0.2 weight 3 nexthop via 10.2.0.2 weight 7", ()),
    ("route add {p4} nhid 10", ()),
    ("route add {p4} via inet6 2001:db8:1::2 dev v1", ()),
    ("route add {p6} via 2001:db8:1::2", ()),
    ("route add {p6} via 2001:db8:1::2 metric 0", ("route add {p6} via 2001:db8:2::2 metric 5",)),
    ("route add {p6} dev v1 metric 7 pref high mtu 1300", ()),
    ("route add {p6} nexthop via 2001:db8:1::2 weight 3 nexthop via 2001:db8:2::2", ()),
    ("route add {p6} nhid 11", ()),
    ("route add unreachable {p6} metric 9", ()),
    ("route del {p4}", ("route add {p4} via 10.1.0.2 mtu lock 1400 advmss 1300 metric 5 proto static scope global",)),
    ("route del {p4} table 100", ("route add {p4} dev v1 table 100 tos 0x10 src 10.1.0.1 proto 99",)),
    ("route del {p4}", ("route add {p4} nexthop via 10.1.0.2 weight 3 nexthop via 10.2.0.2 weight 7",)),
    ("route del {p4}", ("route add {p4} nhid 10",)),
    ("route del blackhole {p4}", ("route add blackhole {p4} metric 4",)),
    ("route del {p4} metric 5", ("route add {p4} dev v1", "route add {p4} dev v2 metric 5")),
    ("route del {p4}", ("route add {p4} dev v1 realms 3/4 rtt 100 congctl cubic features ecn",)),
    ("route del {p4}", ("route add {p4} dev v1 encap ip id 5 dst 10.1.0.2",)),
    ("route del {p6}", ("route add {p6} via 2001:db8:1::2 metric 5 mtu 1300 pref high",)),
    ("route del {p6}", ("route add {p6} nexthop via 2001:db8:1::2 weight 9 nexthop via 2001:db8:2::2 weight 2",)),
    ("route del {p6} via 2001:db8:2::2",
     ("route add {p6} nexthop via 2001:db8:1::2 weight 3 nexthop via 2001:db8:2::2 weight 9 nexthop via 2001:db8:1::3 weight 5",)),
    ("route del {p6} via 2001:db8:1::2", ("route add {p6} mtu 1300 nexthop via 2001:db8:1::2 weight 4 nexthop via 2001:db8:2::2",)),
    ("route del {p6} dev v2", ("route add {p6} nexthop via 2001:db8:1::2 nexthop via 2001:db8:2::2",)),
    ("route del {p6}", ("route add {p6} dev v1 expires 600",)),
    ("route del {p6} metric 5", ("route add {p6} dev v1", "route add {p6} dev v2 metric 5")),
    ("route del {p6}", ("route add {p6} nhid 11",)),
    ("nexthop add id {id} via 10.1.0.2 dev v1", ()),
    ("nexthop add id {id} blackhole", ()),
    ("nexthop add id {id} group 1,4/2", ()),
    ("nexthop add id {id} group 1/2 type resilient buckets 8 idle_timer 30", ()),
    ("nexthop del id {id}", ("nexthop add id {id} via 10.1.0.2 dev v1 protocol static",)),
    ("nexthop del id {id}", ("nexthop add id {id} via 10.1.0.2 dev v1", "route add {p4} nhid {id}")),
    ("nexthop del id {id}", ("nexthop add id {id} dev v2", "route add {p4} nexthop via 10.1.0.2 nexthop via 10.2.0.2",
                             "nexthop add id 1{id} group 1/{id}")),
    ("rule add pref {pr} from 10.1.0.0/24 table 100", ()),
    ("rule del pref {pr}", ("rule add pref {pr} from 10.1.0.0/24 table 100",)),
    ("address del {h4} dev v1", ("address add {h4} dev v1",)),
    ("link add {l} type veth peer name {lp}", ()),
    ("link set v2 mtu 1400", ()),
    ("route replace {p4} dev v2", ("route add {p4} dev v1",)),
    ("route append {p6} dev v2", ("route add {p6} dev v1",)),
    ("nexthop replace id 1 via 10.1.0.3 dev v1", ()),
]


def batch():
    cases = []
    for line, setup in TAKEN_BACK:
        setup = setup + ("route add 10.99.0.0/24 dev v1 table {id}",)
        # ip stops at the second line; everything after it must stay undone.
        cases.append(Case("-batch {batch}", setup=setup, batch=f"route add 10.98.0.0/24 dev v1 table {{id}}\n"
                          f"route add 10.99.0.0/24 dev v1 table {{id}}\n{line}\n"))
        # A line of wrong words stops it too, before anything reaches the kernel.
        cases.append(Case("-batch {batch}", setup=setup, batch=f"route add 10.98.0.0/24 dev v1 table {{id}}\n"
                          f"route add 10.99.0.0/24 dev v1 bogus\n{line}\n"))
        # With -force, every other line takes effect.
        cases.append(Case("-force -batch {batch}", setup=setup, batch=f"route add 10.99.0.0/24 dev v1 table {{id}}\n{line}\n"))
    cases += [
        # The case: one leg of a weighted IPv6 multipath route, deleted after a failure.
        Case("-batch {batch}", setup=("route add {p6} nexthop via 2001:db8:1::2 weight 1 nexthop via 2001:db8:2::2 weight 9 "
                                      "nexthop via 2001:db8:1::3 weight 1",),
             batch="route add 2001:db8:99::/64 dev v1\nroute add 2001:db8:99::/64 dev v1\nroute del {p6} via 2001:db8:2::2\n"),
        Case("-batch {batch}", batch="route add {p4} dev v1\nroute add {p4} dev v1\nroute add {p6} dev v1\naddress add {h4} dev v2\n"),
        Case("-batch {batch}", batch="# a comment\n\n   route add {p4} dev v1   \n\t# indented\nroute add {p6} dev v1\n"),
        Case("-batch {batch}", batch="route add {p4} \\\n    dev v1\n"),
        Case("-batch {batch}", batch="link set v1 alias \"two words\"\n"),
        Case("-batch {batch}", batch="link set v1 alias 'single quoted'\n"),
        Case("-batch {batch}", batch="link set v1 alias two\\ words\n"),
        Case("-batch {batch}", batch="link set v1 alias \"a b\"c\n"),
        Case("-batch {batch}", batch="link set v1 alias a\"b\n"),
        Case("-batch {batch}", batch="link set v1 alias a#b\n"),
        Case("-batch {batch}", batch="route add {p4} \\\n\tdev v1 \\\n metric 5\n"),
        Case("-batch {batch}", batch="route add {p4}\\\ndev v1\n"),
        Case("-batch {batch}", batch="route add {p4} # dev v1 \\\ndev v1\n"),
        Case("-batch {batch}", batch="route add {p4} dev v1\nroute add {p6} \\\n", differs="batch-dangling-backslash"),
        Case("-batch {batch}", batch="route add {p4} dev v1\nroute\0 add {p6} dev v1\n", differs="batch-nul-byte"),
        Case("-batch {batch}", batch="route add {p4} dev v1\r\n"),
        Case("-batch {batch}", batch="-6 route add {p6} dev v1\n"),
        Case("-batch {batch}", batch=""),
        Case("-batch {batch}", batch="\n\n"),
        Case("-batch {batch}", batch="route add {p4} dev v1"),
        Case("-batch {batch}", batch="route add {p4} dev v1 #comment\n"),
        Case("-batch {batch}", batch="route show\nroute add {p4} dev v1\nroute show\n"),
        Case("-batch {batch}", batch="route get 10.1.0.9\naddress show dev v1\n"),
        Case("-batch {batch}", batch="bogus\nroute add {p4} dev v1\n"),
        Case("-force -batch {batch}", batch="bogus\nroute add {p4} dev v1\n"),
        Case("-force -batch {batch}", batch="route add {p4} dev v1\nroute add {p4} dev v1\nroute del {p4}\nroute del {p4}\n"),
        Case("-batch {batch}", batch="route add {p4} dev nosuch\nroute add {p6} dev v1\n"),
        Case("-batch {batch}", batch="address add {h4} dev v1\nroute add {p4} via {g4} src {a4}\n"),
        Case("-batch {batch}", batch="link add {l} type veth peer name {lp}\nlink set {l} up\naddress add {h4} dev {l}\n"
                                     "route add 10.97.0.0/24 dev {l}\nlink del {l}\nroute add 10.97.0.0/24 dev v1\n"),
        Case("-batch {batch}", batch="nexthop add id {id} via 10.1.0.2 dev v1\nroute add {p4} nhid {id}\nnexthop add id {id} dev v2\n"),
        Case("-batch {batch}", batch="route add {p4} dev v1\nroute flush {p4}\nroute add {p4} dev v2\n"),
        Case("-batch /nonexistent/file"), Case("-batch"), Case("-batch {batch} route show", batch="route show\n"),
        Case("-batch /tmp", differs="batch-directory"),
    ]
    return [Group("batch", BASE, cases)]


# ------------------------------------------------------------------ options and odds

def options():
    lines = [
        "-V", "-Version", "--version", "-v", "-h", "-help", "help", "route help", "address help", "rule help",
        "-j route help", "bogus", "-bogus route show", "--", "-- route show", "-j", "-s",
        "-json route show", "-pretty -json route show", "-details link show lo", "-statistics link show lo", "-stats link show lo",
        "-oneline link show lo", "-brief link show lo", "-br address show dev lo", "-c route show", "-color route show",
        "-color=never route show", "-t route show", "-ts route show", "-l 1 route show", "-loops 1 route show", "-rc 100000 route show",
        "-rcvbuf 100000 route show", "-0 address show", "-family inet route show", "-family inet6 route show", "-f inet route show",
        "-f inet6 address show", "-f link address show", "-f bogus route show", "-4 -6 route show", "-6 -4 route show",
        "-iec -s link show lo", "-human -s link show lo", "-numeric route show", "-a route show", "-B route show",
        "-M route show", "-n", "-netns", "-d -d link show lo", "-s -s -s link show lo", "-j -j route show",
        "r", "n", "tun", "neighbour show", "neigh", "maddress show",
        "mroute show", "ntable show", "tuntap show", "token show", "xfrm state", "mptcp endpoint show",
        "vrf show", "sr tunsrc show", "macsec show", "tcp_metrics show", "stats show", "ioam namespace show", "fou show",
        "route show -j", "link show -d", "route show table all -6",
        "-color=auto route show", "-color=always route show", "-r route show", "-rc bogus route show", "-fa inet route show",
        "-hu -s link show lo", "-h -iec -s link show lo", "-l 0 address flush dev v2 scope link", "-l 1 address flush dev v2",
    ]
    return [Group("options", BASE, [Case(l) for l in lines])]



# ------------------------------------------------------------------ GRE (the lab)

# An underlay: a dummy link with IPv4 and IPv6 addresses, up; the GRE modules'
# fallback devices (gre0, gretap0, ip6gre0...) are in every namespace already.
UNDERLAY = Fixture(lines=(
    "link add u0 address 02:00:00:00:08:01 type dummy", "address add 198.51.100.1/24 dev u0",
    "address add 2001:db8:1::1/64 dev u0", "link set u0 up",
), ipv6_rules=False)

GRE_WORDS = [
    "", "remote 198.51.100.2", "local 198.51.100.1", "remote any", "local any", "dev u0", "dev nosuch", "ttl 64", "ttl 255",
    "ttl 0", "ttl inherit", "ttl 256", "hoplimit 9", "hlim 8", "tos 0x10", "tos 10", "tos inherit", "tos bogus", "dsfield 0x08",
    "tclass 0x20", "key 42", "key 1.2.3.4", "key 4294967295", "key 4294967296", "key bogus", "ikey 5", "okey 6", "ikey 5 okey 6",
    "nokey", "key 42 nokey", "noikey", "nookey", "csum", "icsum", "ocsum", "nocsum", "csum noicsum", "noocsum", "seq", "iseq",
    "oseq", "noseq", "noiseq", "nooseq", "pmtudisc", "nopmtudisc", "nopmtudisc ttl 64", "ignore-df", "nopmtudisc ignore-df",
    "noignore-df", "fwmark 7", "fwmark 0x10", "fwmark bogus", "external", "encap fou encap-dport 5555",
    "encap gue encap-sport 1000 encap-dport 6666", "encap fou encap-sport auto encap-dport 5555 encap-csum",
    "encap gue encap-dport 6666 noencap-csum encap-remcsum", "encap none", "noencap", "encap-udp6-csum", "encap bogus",
    "erspan 5", "bogus", "key 42 ttl 64 tos 0x10 csum seq dev u0 fwmark 3",
]
GRE6_WORDS = [
    "", "remote 2001:db8:1::2", "local 2001:db8:1::1", "remote any", "dev u0", "hoplimit 64", "ttl 9", "hlim 8", "hoplimit 0",
    "hoplimit inherit", "tclass 0x20", "tclass inherit", "tos 0x10", "dsfield 0x08", "flowlabel 0x12345", "fl 7",
    "flowlabel inherit", "flowlabel 0x100000", "dscp inherit", "encaplimit 4", "encaplimit none", "encaplimit 256",
    "key 42", "ikey 5 okey 6", "csum", "seq", "iseq", "nopmtudisc", "ignore-df", "allow-localremote", "noallow-localremote",
    "fwmark 7", "fwmark inherit", "external", "encap fou encap-dport 5555", "encap gue encap-dport 6666 encap-udp6-csum",
    "remote 198.51.100.2", "bogus", "key 42 hoplimit 64 tclass 0x10 flowlabel 7 encaplimit 2 csum seq dev u0",
]
TUNNEL_WORDS = [
    "", "remote 198.51.100.2", "local 198.51.100.1", "remote any local any", "dev u0", "ttl 64", "ttl 0", "ttl inherit",
    "hoplimit 9", "tos 0x10", "tos inherit", "dsfield 0x08", "tclass 0x20", "key 42", "key 1.2.3.4", "ikey 5", "okey 6",
    "csum", "icsum", "ocsum", "seq", "iseq", "oseq", "pmtudisc", "nopmtudisc", "nopmtudisc ttl 64", "name", "bogus",
    "key 5 key 6", "remote 2001:db8:1::2", "ttl 64 nopmtudisc",
]


def by_keyword(words):
    """The first of each keyword's lines (the words that start with the same keyword)."""
    return list({(w.split() or [""])[0]: w for w in reversed(words)}.values())[::-1]


def gre_groups(sample=False):
    """The GRE lines; `sample`: each keyword once, with its first value, on one of the
    kinds that take it in turn (make test's, Tests/Kernel/lab/parity.sh), where the full
    table gives every value on every kind (make parity-lab)."""
    def kinds(pair, index):
        return (pair[index % len(pair)],) if sample else pair

    def table(words):
        return by_keyword(words) if sample else words
    # Each tunnel gets a remote of its own ({g4}, {g6}): the kernel refuses a second GRE
    # tunnel with the same endpoints and key.
    cases = []
    for pair, words, ends in ((("gre", "gretap"), GRE_WORDS, "remote {g4} local 198.51.100.1"),
                              (("ip6gre", "ip6gretap"), GRE6_WORDS, "remote {g6} local 2001:db8:1::1")):
        for index, word in enumerate(table(words)):
            cases += [Case(f"link add {{l}} type {kind} {ends} {word}") for kind in kinds(pair, index)]
    cases += words_cases("link add {l} type gre {w}", ["", "local 198.51.100.1", "remote 2001:db8:1::2"])
    cases += words_cases("link add {l} mtu 1400 {w}", ["type gre remote {g4}", "type gretap remote {g4} address {mac}"])
    sets = []
    bases = (("gre", "remote {g4} local 198.51.100.1 key 5 ttl 64 csum"),
             ("gretap", "remote {g4} local 198.51.100.1 ikey 5 okey 6 seq"),
             ("ip6gre", "remote {g6} local 2001:db8:1::1 key 5 hoplimit 9 flowlabel 7"),
             ("ip6gretap", "remote {g6} local 2001:db8:1::1 key 5 encaplimit 2"))
    for number, (kind, base) in enumerate(bases):
        setup = (f"link add {{l}} type {kind} {base}",)
        for index, words in enumerate(("ttl 10", "hoplimit 10", "key 6", "nokey", "okey 9", "remote 198.51.100.3",
                                       "remote 2001:db8:1::3", "local any", "nocsum", "seq", "tos 0x10", "tclass 0x10",
                                       "nopmtudisc", "fwmark 5", "encaplimit none", "flowlabel 9", "dev u0", "external",
                                       "bogus", "")):
            if kind in kinds([b[0] for b in bases], index):
                sets.append(Case(f"link set {{l}} type {kind} {words}", setup=setup))
        if kind in kinds(("gre", "ip6gre"), number // 2) or not sample:
            sets.append(Case(f"link set {{l}} mtu 1300 up", setup=setup))
            sets.append(Case(f"link del {{l}}", setup=setup))
    tunnels = []
    for index, words in enumerate(table(TUNNEL_WORDS)):
        if not sample or index % 2 == 0:
            tunnels.append(Case(f"tunnel add {{l}} mode gre {words}"))
        if (not sample or index % 2 == 1) and words:
            tunnels.append(Case(f"tunnel add {{l}} mode gre remote {{g4}} {words}"))
    tunnels += words_cases("-6 tunnel add {l} mode ip6gre remote {g6} local 2001:db8:1::1 {w}",
                           ["", "hoplimit 9", "tclass 0x10", "flowlabel 7", "encaplimit 3", "encaplimit none", "key 5", "csum",
                            "seq", "dev u0", "bogus"])
    tunnels += [
        Case("tunnel add {l} remote {g4}"), Case("tunnel add gre{id} remote {g4}"), Case("tunnel add {l}"),
        Case("tunnel add {l} mode gretap remote {g4}"), Case("tunnel add {l} mode ip6gre remote {g6}"),
        Case("tunnel add {l} mode ipip remote {g4}"), Case("tunnel add {l} mode sit remote {g4}"),
        Case("tunnel add {l} mode bogus"), Case("tunnel add mode gre remote {g4} name {l}"),
        Case("tunnel add name {l} mode gre remote {g4}"),
        Case("tunnel add {l} mode gre remote {g4} key 5", setup=("tunnel add {l} mode gre remote {g4} key 5",)),
        Case("-6 tunnel add {l} mode ip6ip6 remote {g6}"),
    ]
    tunnel_verbs = []
    setup = ("tunnel add {l} mode gre remote {g4} local 198.51.100.1 key 5 ttl 64",)
    for words in ("ttl 10", "key 6", "remote 198.51.100.3", "local any", "csum", "tos 0x10", "nopmtudisc", "dev u0",
                  "mode gre ttl 9", "mode gretap", "bogus", ""):
        tunnel_verbs.append(Case(f"tunnel change {{l}} {words}", setup=setup))
    tunnel_verbs += [Case("tunnel chg {l} ttl 3", setup=setup), Case("tunnel change nosuch ttl 3"),
                     Case("-6 tunnel change {l} hoplimit 5", setup=("-6 tunnel add {l} mode ip6gre remote {g6} key 5",)),
                     Case("tunnel change {l} ttl 3", setup=("-6 tunnel add {l} mode ip6gre remote {g6} key 5",)),
                     Case("tunnel del {l}", setup=setup), Case("tunnel delete {l}", setup=setup), Case("tunnel del nosuch"),
                     Case("tunnel del u0"), Case("-6 tunnel del {l}", setup=("-6 tunnel add {l} mode ip6gre remote {g6}",)),
                     Case("tunnel del gre0")]
    return [Group("gre links", UNDERLAY, cases, check_every=GRE_BATCH, batched=True),
            Group("gre link changes", UNDERLAY, sets, check_every=GRE_BATCH, batched=True),
            Group("tunnels", UNDERLAY, tunnels + tunnel_verbs, check_every=GRE_BATCH, batched=True)]


# Lines to a batch (and state reading) in the lab, where each process costs a good part
# of a second: a state that differs is narrowed down by running that many lines again.
GRE_BATCH = 50


GRE_TABLE = UNDERLAY.lines + (
    "link add g1 type gre remote 198.51.100.2 local 198.51.100.1 ttl 255 key 42 csum seq",
    "link add g2 type gre remote 198.51.100.3 ikey 1 okey 2 nopmtudisc tos inherit fwmark 7 dev u0",
    "link add g3 type gretap remote 198.51.100.4 local 198.51.100.1 encap fou encap-sport auto encap-dport 5555 encap-csum",
    "link add g4 type ip6gre remote 2001:db8:1::2 local 2001:db8:1::1 hoplimit 9 tclass 0x10 flowlabel 7 encaplimit none key 9",
    "link add g5 type ip6gretap remote 2001:db8:1::3 local 2001:db8:1::1 encaplimit 3 iseq ocsum",
    "link add g6 type gre external", "link set g1 up mtu 1400", "address add 10.0.0.1/30 dev g1",
    "route add 10.50.0.0/16 dev g1", "link add g7 type gre remote 198.51.100.9 ttl 64 nopmtudisc ignore-df",
)


def gre_listings():
    show = [
        "tunnel", "tunnel show", "tunnel list", "tunnel lst", "t", "tunnel show g1", "tunnel show g2", "tunnel show g3",
        "tunnel show g4", "tunnel show g5", "tunnel show g6", "tunnel show g7", "tunnel show gre0", "tunnel show nosuch",
        "tunnel show u0", "tunnel show mode gre", "tunnel show mode ip6gre", "-6 tunnel show", "-6 tunnel show g4", "-4 tunnel show",
        "-s tunnel show", "-s tunnel show g1", "-s -s tunnel show g1", "-d tunnel show", "-j tunnel show", "-j tunnel show g1",
        "-j -p tunnel show", "tunnel show name g1", "tunnel show remote 198.51.100.2", "tunnel show bogus x",
        "link show", "-d link show g1", "-d link show g2", "-d link show g3", "-d link show g4", "-d link show g5",
        "-d link show g6", "-d link show g7", "-d link show gre0", "-d link show ip6gre0", "-s link show g1", "-d -j link show g3",
        "-d -j -p link show g4", "link show type gre", "link show type gretap", "link show type ip6gre", "link show type ip6gretap",
        "-br link show", "address show dev g1", "-d address show dev g4", "route show dev g1", "-d route show",
    ]
    # The whole listing named apart from the host's line of the same words.
    cases = [Case(l) for l in show] + [Case("-d link show", label="gre")]
    shown = [Case(f"-d link show {name}") for name in ("e1", "e2", "e3", "t6", "t7", "t8")]
    return [Group("gre listings", Fixture(lines=GRE_TABLE, ipv6_rules=False), cases, check_every=60, batched=True),
            Group("kinds shown only", Fixture(lines=SHOWN_ONLY_TABLE, ipv6_rules=False), shown, check_every=60, batched=True)]


# Links of the kinds gretool shows (-d) but does not make: ERSPAN of both versions and
# families, and ip6tnl.
SHOWN_ONLY_TABLE = UNDERLAY.lines + (
    "link add e1 type erspan remote 198.51.100.3 local 198.51.100.1 seq key 10 erspan_ver 1 erspan 12",
    "link add e2 type ip6erspan remote 2001:db8:1::3 local 2001:db8:1::1 seq key 11 erspan_ver 2 erspan_dir egress erspan_hwid 7",
    "link add e3 type erspan remote 198.51.100.4 local 198.51.100.1 seq key 12 erspan_ver 2 erspan_hwid 0",
    "link add t6 type ip6tnl remote 2001:db8:1::4 local 2001:db8:1::1 mode any encaplimit none tclass inherit",
    "link add t7 type ip6tnl remote 2001:db8:1::5 local 2001:db8:1::1 mode ipip6 hoplimit 9 tclass 0x10 flowlabel 0x12345"
    " dscp inherit allow-localremote fwmark 5 dev u0",
    "link add t8 type ip6tnl external",
)


# Sections, each a test of its own (Tests/Kernel/host/parity.sh, parity/lab.sh), small
# enough for the runner's time limit on a loaded machine.
def route_add(): return route_groups()[:1]
def route_verbs(): return route_groups()[1:]
def halves(group):
    """A group's lines as two groups of the same fixture: each a test of its own."""
    middle = (len(group.cases) + 1) // 2
    return [Group(f"{group.name} ({part})", group.fixture, cases, check_every=group.check_every, batched=group.batched)
            for part, cases in (("1/2", group.cases[:middle]), ("2/2", group.cases[middle:]))]


def link_add(): return halves(link_groups()[0])[:1]
def link_add_more(): return halves(link_groups()[0])[1:]
def link_set(): return link_groups()[1:]
def gre_links(): return gre_groups()[:1]
def gre_link_changes(): return gre_groups()[1:2]
def tunnels(): return gre_groups()[2:]
def gre_links_sample(): return gre_groups(sample=True)[:1]
def gre_link_changes_sample(): return gre_groups(sample=True)[1:2]
def tunnels_sample(): return gre_groups(sample=True)[2:]


SECTIONS = {
    "host": [route_add, route_verbs, route_listings, addresses, address_listings, link_add, link_add_more, link_set, link_listings,
             rules, rule_listings, nexthops, nexthop_listings, batch, options],
    "lab": [gre_links, gre_link_changes, tunnels, gre_listings, gre_links_sample, gre_link_changes_sample, tunnels_sample],
}
SUITES = {suite: {f.__name__: (lambda f=f: tagged(f())) for f in functions} for suite, functions in SECTIONS.items()}
