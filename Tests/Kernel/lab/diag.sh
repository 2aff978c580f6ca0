# gretool diag on real misconfigurations in a GRE kernel: each is found with the right
# verdict, numbers and fix, the fix (run as printed) repairs it, and a clean tunnel is
# reported clean. Routes are set up with ip: gretool's route verbs live elsewhere.

# veth_pair plus gre1 on both sides (10.1.0.1/30 and .2/30), up.
gre_pair() {
    veth_pair
    ipn "$A" tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1 "$@"
    ipn "$B" tunnel add gre1 mode gre remote 198.51.100.1 local 198.51.100.2 "$@"
    ipn "$A" addr add 10.1.0.1/30 dev gre1 && ipn "$A" link set gre1 up
    ipn "$B" addr add 10.1.0.2/30 dev gre1 && ipn "$B" link set gre1 up
}

# A - router - B: va 198.51.100.1/24 behind 198.51.100.254, vb 203.0.113.2/24 behind
# 203.0.113.254; gre1 between A and B. A's default route has metric 100.
routed_gre_pair() {
    read -r A R B < <(make_namespaces a r b)
    ip link add va netns "$A" type veth peer name ra netns "$R"
    ip link add vb netns "$B" type veth peer name rb netns "$R"
    ipn "$A" addr add 198.51.100.1/24 dev va && ipn "$A" link set va up
    ipn "$R" addr add 198.51.100.254/24 dev ra && ipn "$R" link set ra up
    ipn "$R" addr add 203.0.113.254/24 dev rb && ipn "$R" link set rb up
    ipn "$B" addr add 203.0.113.2/24 dev vb && ipn "$B" link set vb up
    sysctl_in "$R" net.ipv4.ip_forward=1
    ipn "$A" route add default via 198.51.100.254 metric 100
    ipn "$B" route add default via 203.0.113.254
    ipn "$A" tunnel add gre1 mode gre remote 203.0.113.2 local 198.51.100.1
    ipn "$B" tunnel add gre1 mode gre remote 198.51.100.1 local 203.0.113.2
    ipn "$A" addr add 10.1.0.1/30 dev gre1 && ipn "$A" link set gre1 up
    ipn "$B" addr add 10.1.0.2/30 dev gre1 && ipn "$B" link set gre1 up
}

test_a_clean_tunnel_is_reported_clean() {
    gre_pair
    # What a keepalive peer needs, in A's namespace only: the VM's own namespace has
    # forwarding and accept_local off, so this also shows /proc/sys is read after setns.
    sysctl_in "$A" net.ipv4.conf.gre1.forwarding=1 net.ipv4.conf.gre1.accept_local=1
    diag_in "$A" 0 gre1
    shows "mtu: OK: gre1 mtu 1476 fits the path (1476)"
    shows "underlay va mtu 1500 (route mtu -, cached pmtu -), path mtu 1500"
    shows "overhead 24 = outer IPv4 20 + GRE 4"
    shows "mtu 1476, recommended 1476, tcp mss 1436 (IPv4) / 1416 (IPv6)"
    shows "route: OK: gre1's remote 198.51.100.2 is reached through va"
    shows "gre1 remote 198.51.100.2: 198.51.100.0/24 dev va"
    shows "local 198.51.100.1 on va"
    shows "keepalive: OK: gre1 reflects its peer's keepalives and can send its own"
    shows "accept_local 1 = max(all 0, gre1 1)"
    shows "config: OK: gre1's options show none of the misconfigurations diag config knows"
    shows "gre1 copies each packet's TTL (ttl inherit); 198.51.100.2 is on va's link, so a packet sent with TTL 1 still reaches it"
    [[ $out != *fix:* ]] || fail "a clean tunnel got fixes: $out"
    # The same as JSON: an array of the four checks, each ok without fixes; without a
    # tunnel, diag checks every tunnel (here the only one with endpoints).
    local json
    json=$("$GRETOOL" -n "$A" -j diag) || fail "diag -j failed"
    assert_eq "$(jq -c 'map([.tunnel, .check, .verdict, (.fix | length)])' <<<"$json")" \
        '[["gre1","mtu","ok",0],["gre1","route","ok",0],["gre1","keepalive","ok",0],["gre1","config","ok",0]]' "diag -j"
}

# A tunnel that passes traffic while this host would drop keepalives (forwarding and
# accept_local off, as in a new namespace): diag all warns with the fixes and exits 0
# while the peer sends none, and calls it a problem once the peer is seen sending
# them; diag keepalive asked by name calls it a problem.
test_keepalive_readiness_in_diag_all_depends_on_the_peer_sending_keepalives() {
    gre_pair
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no traffic through gre1"
    diag_in "$B" 0 gre1
    shows "keepalive: WARNING: gre1 drops its peer's keepalives: forwarding is off on gre1 (they must be forwarded back)"
    shows "no keepalive from the peer arrived in 1.5 s: a warning until it sends them (gretool diag keepalive gre1 judges as if it did)"
    shows "fix: sysctl -w net.ipv4.conf.gre1.forwarding=1"
    shows "fix: sysctl -w net.ipv4.conf.gre1.accept_local=1"
    diag_in "$B" 1 keepalive gre1
    shows "keepalive: PROBLEM: gre1 drops its peer's keepalives: forwarding is off on gre1 (they must be forwarded back)"
    # A watches gre1: its keepalives reach B, which drops them.
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 >/dev/null 2>&1 &
    local watcher=$!
    diag_in "$B" 1 gre1
    shows "keepalive: PROBLEM: gre1 drops its peer's keepalives: forwarding is off on gre1 (they must be forwarded back)"
    shows "the peer sends keepalives: one arrived during the check"
    apply_fixes "$B"
    diag_in "$B" 0 gre1
    shows "keepalive: OK: gre1 reflects its peer's keepalives and can send its own"
    kill -TERM "$watcher"; wait "$watcher"
}

test_gre_at_1500_over_a_1500_underlay_is_too_big() {
    gre_pair
    ipn "$A" link set gre1 mtu 1500
    diag_in "$A" 1 mtu gre1
    shows "mtu: PROBLEM: gre1 mtu 1500 is 24 bytes over what the path carries (1476)"
    shows "fix: gretool link set gre1 mtu 1476"
    apply_fixes "$A"
    diag_in "$A" 0 mtu gre1
    shows "mtu: OK: gre1 mtu 1476 fits the path (1476)"
}

test_key_and_seq_at_1476_is_too_big() {
    gre_pair key 42 seq
    ipn "$A" link set gre1 mtu 1476
    diag_in "$A" 1 mtu gre1
    shows "mtu: PROBLEM: gre1 mtu 1476 is 8 bytes over what the path carries (1468)"
    shows "overhead 32 = outer IPv4 20 + GRE 4 + key 4 + seq 4"
    shows "fix: gretool link set gre1 mtu 1468"
    # Too small is a warning: the exit status stays 0.
    ipn "$A" link set gre1 mtu 1400
    diag_in "$A" 0 mtu gre1
    shows "mtu: WARNING: gre1 mtu 1400 is 68 bytes below what the path carries (1468): every full-size packet wastes them"
    # Over IPsec (tunnel mode, NAT-T) 1400 is too big: the estimate is near Cisco's 1400.
    diag_in "$A" 1 mtu gre1 ipsec tunnel nat-t
    shows "fix: gretool link set gre1 mtu 1390"
}

test_recursion_through_a_default_route_via_the_tunnel() {
    routed_gre_pair
    # Everything through the tunnel, with no host route for the remote: the tunnel's own
    # packets follow the default route back into it.
    ipn "$A" route add default dev gre1 metric 10
    in_ns "$A" bash -c 'for i in 1 2 3; do echo x >/dev/udp/10.1.0.2/9; done' 2>/dev/null
    diag_in "$A" 1 route gre1
    shows "route: PROBLEM: gre1's remote 203.0.113.2 is routed into gre1 itself (recursive routing): the kernel drops its packets"
    shows "gre1 remote 203.0.113.2: default dev gre1"
    grep -Eq '^ +collisions gre1 [1-9][0-9]*$' <<<"$out" || fail "collisions did not rise: $out"
    shows "fix: gretool route add 203.0.113.2/32 via 198.51.100.254 dev va"
    # The mtu check cannot size a looping tunnel and says why.
    diag_in "$A" 0 mtu gre1
    shows "mtu: WARNING: cannot size gre1: its remote is routed back into a tunnel (a loop) (see gretool diag route gre1)"
    diag_in "$A" 1 route gre1
    apply_fixes "$A"
    diag_in "$A" 0 route gre1
    shows "route: OK: gre1's remote 203.0.113.2 is reached through va"
    # A more specific route that is no host route also saves it, for now: a warning.
    ipn "$A" route del 203.0.113.2/32
    ipn "$A" route add 203.0.113.0/24 via 198.51.100.254
    diag_in "$A" 0 route gre1
    shows "route: WARNING: gre1's remote is reached through va only because 203.0.113.0/24 wins over default dev gre1; without it the tunnel would loop"
}

test_two_tunnels_routed_through_each_other_loop() {
    veth_pair
    ipn "$A" tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1
    ipn "$A" tunnel add gre2 mode gre remote 198.51.100.3 local 198.51.100.1
    ipn "$A" link set gre1 up && ipn "$A" link set gre2 up
    ipn "$A" route add 198.51.100.2/32 dev gre2
    ipn "$A" route add 198.51.100.3/32 dev gre1
    diag_in "$A" 1 route gre1
    shows "route: PROBLEM: gre1's remote is routed into gre2, and the routes lead back into gre1: a loop, the kernel drops the packets"
    shows "gre1 remote 198.51.100.2: 198.51.100.2 dev gre2"
    shows "gre2 remote 198.51.100.3: 198.51.100.3 dev gre1"
    shows "collisions gre1 0, gre2 0"
    # The remotes are on va's subnet: the host routes need no gateway, and replace the
    # host routes through the tunnels.
    shows "fix: gretool route replace 198.51.100.2/32 dev va"
    shows "fix: gretool route replace 198.51.100.3/32 dev va"
    apply_fixes "$A"
    diag_in "$A" 0 route gre2
    shows "route: OK: gre2's remote 198.51.100.3 is reached through va"
    # A local address this host does not have: the kernel cannot send.
    ipn "$A" tunnel add gre3 mode gre remote 198.51.100.2 local 198.51.100.77 key 3
    ipn "$A" link set gre3 up
    diag_in "$A" 1 route gre3
    shows "route: PROBLEM: local 198.51.100.77 is not an address of this host: the kernel cannot send gre3's packets"
}

test_a_peer_with_accept_local_off_drops_keepalives() {
    gre_pair
    sysctl_in "$B" net.ipv4.conf.gre1.forwarding=1
    diag_in "$B" 1 keepalive gre1
    shows "keepalive: PROBLEM: gre1 drops its peer's keepalives: accept_local is off (they come from this host's own address, a martian source)"
    shows "accept_local 0 = max(all 0, gre1 0)"
    shows "fix: sysctl -w net.ipv4.conf.gre1.accept_local=1"
    apply_fixes "$B"
    diag_in "$B" 0 keepalive gre1
    # Forwarding off too: both problems, both fixes.
    sysctl_in "$B" net.ipv4.conf.gre1.forwarding=0
    diag_in "$B" 1 keepalive gre1
    shows "fix: sysctl -w net.ipv4.conf.gre1.forwarding=1"
}

test_strict_rp_filter_drops_keepalives() {
    gre_pair
    sysctl_in "$B" net.ipv4.conf.gre1.forwarding=1 net.ipv4.conf.gre1.accept_local=1 net.ipv4.conf.all.rp_filter=1
    diag_in "$B" 1 keepalive gre1
    shows "keepalive: PROBLEM: gre1 drops its peer's keepalives: rp_filter is strict (1); loose (2) or off (0) lets them pass"
    shows "rp_filter 1 = max(all 1, gre1 0)"
    shows "fix: sysctl -w net.ipv4.conf.gre1.rp_filter=2"
    apply_fixes "$B"
    diag_in "$B" 0 keepalive gre1
    shows "rp_filter 2 = max(all 1, gre1 2)"
}

test_probe_finds_a_narrowed_underlay() {
    gre_pair
    # Narrowed after the tunnels exist, so they keep 1476.
    ipn "$A" link set va mtu 1400 && ipn "$B" link set vb mtu 1400
    diag_in "$A" 1 mtu gre1 probe
    grep -Eq '^ +probe 10\.1\.0\.2: 1376 bytes pass, 1377 do not \(([1-9]|1[0-6]) probes?\)$' <<<"$out" ||
        fail "probe did not find 1376 within 16 probes: $out"
    shows "fix: gretool link set gre1 mtu 1376"
    # The peer named, as JSON.
    local json
    json=$("$GRETOOL" -n "$A" -j diag mtu gre1 probe 10.1.0.2)
    assert_eq "$(jq -c '[.verdict, .numbers.probe.largest, .numbers.probe.complete, (.numbers.probe.probes <= 16), .fix]' <<<"$json")" \
        '["problem",1376,true,true,["gretool link set gre1 mtu 1376"]]' "diag -j mtu gre1 probe 10.1.0.2"
}

test_probe_beyond_the_first_hop() {
    routed_gre_pair
    # The router's link toward B carries 1400: A's underlay still says 1500.
    ipn "$R" link set rb mtu 1400 && ipn "$B" link set vb mtu 1400
    diag_in "$A" 1 mtu gre1 probe
    shows "underlay va mtu 1500 (route mtu -, cached pmtu -), path mtu 1500"
    grep -Eq '^ +probe 10\.1\.0\.2: 1376 bytes pass, 1377 do not \(([1-9]|1[0-6]) probes?\)$' <<<"$out" ||
        fail "probe did not find 1376 within 16 probes: $out"
    shows "fix: gretool link set gre1 mtu 1376"
    # The router's frag-needed is now cached for the remote: the route shows it.
    diag_in "$A" 1 mtu gre1
    shows "underlay va mtu 1500 (route mtu -, cached pmtu 1400), path mtu 1400"
}

test_ip6gre_sizes_from_its_ipv6_path() {
    read -r A B < <(make_namespaces a b)
    ip link add va netns "$A" type veth peer name vb netns "$B"
    ipn "$A" addr add 2001:db8::1/64 dev va nodad && ipn "$A" link set va up
    ipn "$B" addr add 2001:db8::2/64 dev vb nodad && ipn "$B" link set vb up
    ipn "$A" link add t6 type ip6gre remote 2001:db8::2 local 2001:db8::1
    ipn "$A" link set t6 up
    diag_in "$A" 0 mtu t6
    shows "mtu: OK: t6 mtu 1448 fits the path (1448)"
    shows "overhead 52 = outer IPv6 40 + encap limit option 8 + GRE 4"
    diag_in "$A" 0 route t6
    shows "route: OK: t6's remote 2001:db8::2 is reached through va"
}

# Sends one Cisco-style keepalive from A (198.51.100.1) to B (198.51.100.2) through a raw
# GRE socket and waits a second for B to reflect it: prints "reflected" or "dropped".
keepalive_from_a() {
    in_ns "$A" python3 -c '
import select, socket, struct, time
def ip(src, dst, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 255, 47, 0, socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xFFFF) + (s >> 16)
    return h[:10] + struct.pack("!H", ~s & 0xFFFF) + h[12:] + payload
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.sendto(struct.pack("!HH", 0, 0x0800) + ip("198.51.100.2", "198.51.100.1", struct.pack("!HH", 0, 0)), ("198.51.100.2", 0))
deadline = time.monotonic() + 1
while time.monotonic() < deadline:
    if select.select([s], [], [], 0.05)[0]:
        p = s.recv(2048)
        if p[12:16] == socket.inet_aton("198.51.100.2") and p[20:24] == bytes(4):
            print("reflected"); break
else:
    print("dropped")'
}

test_keepalive_verdicts_match_what_the_kernel_does() {
    gre_pair
    # Each setting alone breaks reflection, as the check says; all together it works.
    sysctl_in "$B" net.ipv4.conf.gre1.forwarding=1
    diag_in "$B" 1 keepalive gre1
    assert_eq "$(keepalive_from_a)" dropped "keepalive with accept_local off"
    sysctl_in "$B" net.ipv4.conf.gre1.accept_local=1 net.ipv4.conf.all.rp_filter=1
    diag_in "$B" 1 keepalive gre1
    assert_eq "$(keepalive_from_a)" dropped "keepalive with strict rp_filter"
    apply_fixes "$B"
    diag_in "$B" 0 keepalive gre1
    assert_eq "$(keepalive_from_a)" reflected "keepalive after the fixes"
}

# The packets device $2 of namespace $1 received.
rx_packets() { ip -n "$1" -j -s link show "$2" | jq '.[0].stats64.rx.packets'; }

# Sends UDP through a tunnel from namespace $1 to $2, about five datagrams a second for
# at most 8 s, in the background (bash's /dev/udp: no process per datagram): traffic
# for a diag config that watches the receive counters on the other end. Sets sender.
udp_through_tunnel() {
    in_ns "$1" bash -c "for i in {1..40}; do echo x >/dev/udp/$2/9; sleep 0.1; done" 2>/dev/null &
    sender=$!
}

# diag config on real misconfigurations across a router: ttl inherit (a packet sent with
# TTL 1 dies at the router), a second tunnel bound to the underlay that takes gre1's
# packets, a tunnel without remote or key that takes a third tunnel's packets. Each is
# found with its fix, and the fix (with a key both ends agree on for KEY) clears it.
test_diag_config_finds_ttl_inherit_look_alike_tunnels_and_a_catch_all() {
    routed_gre_pair
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no traffic through gre1"
    ping_from "$A" -c 1 -W 1 -t 1 10.1.0.2 >/dev/null && fail "TTL 1 crossed the router with ttl inherit"
    diag_in "$A" 0 config gre1
    shows "config: WARNING: gre1 copies each packet's TTL to its outer header (ttl inherit): a packet sent with TTL 1 (OSPF, RIP, eBGP by default) dies at 198.51.100.254, before 203.0.113.2"
    shows "fix: gretool tunnel change gre1 ttl 64"
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 -t 1 10.1.0.2 >/dev/null || fail "TTL 1 did not cross the router with ttl 64"

    # gre2: the same endpoints and no key either, bound to va (the kernel refuses it
    # unbound): the replies to gre1's packets enter A on gre2.
    ipn "$A" tunnel add gre2 mode gre remote 203.0.113.2 local 198.51.100.1 dev va ttl 64
    ipn "$A" link set gre2 up
    local before; before=$(rx_packets "$A" gre1)
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null
    [[ $(rx_packets "$A" gre1) == "$before" && $(rx_packets "$A" gre2) -gt 0 ]] || fail "gre2 took none of gre1's packets"
    diag_in "$A" 0 config gre2
    shows "config: WARNING: gre2 and gre1 have the same local 198.51.100.1 remote 203.0.113.2 and no key: the kernel tells their packets apart only by the device they arrive on (gre2 on va, gre1 elsewhere)"
    diag_in "$A" 0 config gre1
    shows "config: WARNING: gre1 receives nothing from 203.0.113.2: gre2, bound to va, has the same local 198.51.100.1 remote 203.0.113.2 and no key, and takes every such packet that arrives on va, the way to the remote; they enter this host on gre2, unseen by what watches gre1 (routing protocols, strict rp_filter, firewall rules)"
    shows "fix: gretool tunnel change gre1 key KEY"
    out=${out//KEY/7}
    apply_fixes "$A"
    g "$B" tunnel change gre1 key 7 || fail "cannot set B's key"
    before=$(rx_packets "$A" gre1)
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no traffic through gre1 with a key of its own"
    (($(rx_packets "$A" gre1) > before)) || fail "gre1 received nothing with a key of its own"
    diag_in "$A" 0 config gre1
    shows "config: OK: gre1's options show none of the misconfigurations diag config knows"

    # gre9 on A: a local address only, no key. B's keyless gre3 to A lands on it (once
    # gre2, alike gre3 and so preferred, is gone).
    ipn "$A" link del gre2
    ipn "$A" link add gre9 type gre local 198.51.100.1 ttl 64 && ipn "$A" link set gre9 up
    ipn "$B" tunnel add gre3 mode gre remote 198.51.100.1 local 203.0.113.2 ttl 64
    ipn "$B" addr add 10.3.0.2/30 dev gre3 && ipn "$B" link set gre3 up
    in_ns "$B" bash -c 'echo x >/dev/udp/10.3.0.1/9'
    wait_until 5 test "$(rx_packets "$A" gre9)" -gt 0 || fail "gre9 took nothing of gre3's"
    diag_in "$A" 0 config gre9
    shows "config: WARNING: gre9 has no remote and no key: it takes every keyless GRE packet to 198.51.100.1 that no other tunnel takes, from any host"
    shows "fix: gretool tunnel change gre9 key KEY"
    out=${out//KEY/9}
    apply_fixes "$A"
    diag_in "$A" 0 config gre9
    shows "config: OK: gre9's options show none of the misconfigurations diag config knows"
}

# Checksums, then sequence numbers, on one side only: the receiving end's counters grow
# while its peer sends, diag config says which side lacks what, and its fix makes the
# tunnel pass traffic again.
test_diag_config_finds_csum_and_seq_on_one_side_only() {
    gre_pair ttl 64
    g "$B" tunnel change gre1 csum || fail "cannot set csum on B"
    ping_from "$B" -c 1 -W 1 10.1.0.1 >/dev/null && fail "traffic passed with csum on one side"
    udp_through_tunnel "$B" 10.1.0.1
    diag_in "$A" 1 config gre1
    kill "$sender" 2>/dev/null; wait "$sender" 2>/dev/null
    [[ $out == *"config: PROBLEM: gre1's peer sends GRE checksums and gre1 expects none (no icsum): "*" packets dropped during 1."*" s (rx_crc_errors)"* ]] ||
        fail "no checksum problem: $out"
    shows "fix: gretool tunnel change gre1 csum"
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no traffic with csum on both sides"
    # The errors stay counted: a warning once they no longer grow.
    diag_in "$A" 0 config gre1
    [[ $out == *"config: WARNING: gre1 dropped "*" packets whose checksum flag differed from its icsum (rx_crc_errors), none during 1."* ]] ||
        fail "no warning for earlier checksum errors: $out"

    g "$A" tunnel change gre1 seq || fail "cannot set seq on A"
    udp_through_tunnel "$B" 10.1.0.1
    wait_until 5 test "$(ip -n "$A" -j -s -s link show gre1 | jq '.[0].stats64.rx.fifo_errors // 0')" -gt 0 ||
        fail "no rx_fifo_errors on A"
    diag_in "$A" 1 config gre1
    kill "$sender" 2>/dev/null; wait "$sender" 2>/dev/null
    [[ $out == *"config: PROBLEM: gre1 expects GRE sequence numbers (iseq) and its peer sends none: "*" packets dropped during 1."*" s (rx_fifo_errors)"* ]] ||
        fail "no sequence number problem: $out"
    shows "fix: gretool tunnel change gre1 noseq"
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no traffic once A expects no sequence numbers"
}

# ip6gre puts its encapsulation limit in a destination options header; B drops every
# packet that carries one (ip6tables), so nothing passes t6 until encaplimit none. A peer
# that takes the option is no finding.
test_diag_config_finds_an_ip6gre_peer_that_drops_the_encapsulation_limit() {
    read -r A B < <(make_namespaces a b)
    ip link add va netns "$A" type veth peer name vb netns "$B"
    ipn "$A" -b - <<SETUP || fail "cannot set up A"
addr add 2001:db8::1/64 dev va nodad
link set va up
link add t6 type ip6gre remote 2001:db8::2 local 2001:db8::1
addr add 10.5.0.1/30 dev t6
link set t6 up
SETUP
    ipn "$B" -b - <<SETUP || fail "cannot set up B"
addr add 2001:db8::2/64 dev vb nodad
link set vb up
link add t6 type ip6gre remote 2001:db8::1 local 2001:db8::2 encaplimit none
addr add 10.5.0.2/30 dev t6
link set t6 up
SETUP
    in_ns "$B" ip6tables -A INPUT -m ipv6header --header dst --soft -j DROP || fail "cannot filter on B"
    ping_from "$A" -c 1 -W 2 10.5.0.2 >/dev/null && fail "t6 passed with B dropping its option"
    diag_in "$A" 1 config t6
    shows "config: PROBLEM: 2001:db8::2 drops IPv6 packets that carry a destination options header (a probe with one went unanswered, one without was answered): t6 puts its encapsulation limit in one on every packet"
    shows "fix: gretool tunnel change t6 encaplimit none"
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 10.5.0.2 >/dev/null || fail "no traffic through t6 with encaplimit none"
    diag_in "$A" 0 config t6
    shows "config: OK: t6's options show none of the misconfigurations diag config knows"
    # A peer that takes the option.
    in_ns "$B" ip6tables -F INPUT
    g "$A" tunnel change t6 encaplimit 4 || fail "cannot set encaplimit 4"
    diag_in "$A" 0 config t6
    shows "config: OK: t6's options show none of the misconfigurations diag config knows"
    shows "encapsulation limit option: 8 bytes after the outer IPv6 header of every packet"
}
