# Keepalives against the Linux kernel's own ip_gre as the peer: real gre tunnels
# between namespaces A (198.51.100.1, the watcher) and B (198.51.100.2, the peer)
# over veth. B answers as LAB.md says a Linux peer does: forwarding on, its own
# address accepted as a source, no strict reverse-path filter.
#
# A path cut is B's underlay losing every packet it sends (netem), so A's own links
# and routes stay as they are while the peer falls silent.

# Namespace $1 reflects keepalives as LAB.md says a Linux peer does.
answer_as_a_linux_peer() {
    in_ns "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.accept_local=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
}

# The pair of namespaces with gre1 on each side (extra words: the tunnel options of A,
# then of B, separated by "|"), inner addresses 10.0.0.1/30 and 10.0.0.2/30.
gre_pair() {
    local options=${1:-} a_words b_words
    a_words=${options%%|*}
    b_words=${options#*|}
    [[ $options == *"|"* ]] || b_words=$a_words
    veth_pair
    answer_as_a_linux_peer "$B"
    ip -n "$A" -b - <<EOF || fail "cannot make A's tunnel"
tunnel add gre1 mode gre local 198.51.100.1 remote 198.51.100.2 $a_words
link set gre1 up
addr add 10.0.0.1/30 dev gre1
EOF
    ip -n "$B" -b - <<EOF || fail "cannot make B's tunnel"
tunnel add gre1 mode gre local 198.51.100.2 remote 198.51.100.1 $b_words
link set gre1 up
addr add 10.0.0.2/30 dev gre1
EOF
}

# Watchers keep their state files and locks here, per test.
export GRETOOL_RUNTIME_DIR=$TMPDIR/run

cut_path() { tc -n "$B" qdisc add dev vb root netem loss 100%; }
restore_path() { tc -n "$B" qdisc del dev vb root; }

# Whether watch log $2 has at least $1 changes to state $3.
states_at_least() { lines_at_least "$1" "\"event\":\"state\".*\"state\":\"$3\"" "$2"; }

# Every route of namespace $1, both families, every table; but the veth's own IPv6
# link-local address, which appears whenever its duplicate address detection ends.
all_routes() {
    { ip -n "$1" -j route show table all; ip -n "$1" -6 -j route show table all; } |
        jq -cs '[.[][] | select(.dev != "va" or .type != "local" or (.dst | startswith("fe80") | not))]'
}

# Routes through the tunnel in A: a primary with a floating backup, an ECMP route
# with one leg through the tunnel, a route in another table, an IPv6 route.
add_routes_through_the_tunnel() {
    ip -n "$A" -b - <<EOF || fail "cannot add routes"
route add 203.0.113.0/24 via 10.0.0.2 dev gre1 metric 10
route add 203.0.113.0/24 via 198.51.100.2 dev va metric 100
route add 192.0.2.0/24 nexthop via 10.0.0.2 dev gre1 weight 2 nexthop via 198.51.100.2 dev va
route add default via 10.0.0.2 dev gre1 table 100
addr add 2001:db8:ffff::1/64 dev gre1 nodad
route add 2001:db8:1::/48 via 2001:db8:ffff::2 dev gre1 metric 5
EOF
}

# The watcher runs as its systemd unit leaves it: root, but with only CAP_NET_ADMIN and
# CAP_NET_RAW. Without one of them it refuses to start, in one line, touching nothing.
test_keepalive_with_only_its_capabilities_withdraws_and_restores_routes_exactly() {
    command -v setpriv >/dev/null || { echo "no setpriv"; exit 77; }
    gre_pair
    add_routes_through_the_tunnel
    local dir; dir=$(mktemp -d)
    local before; before=$(all_routes "$A")
    refuses 1 "^gretool: keepalive watch needs CAP_NET_RAW \\(keepalives\\) and CAP_NET_ADMIN \\(tunnels' routes and links\\); this process lacks CAP_NET_ADMIN$" \
        with_only "$A" net_raw "$GRETOOL" keepalive watch gre1
    refuses 1 "^gretool: keepalive watch needs .*; this process lacks CAP_NET_RAW and CAP_NET_ADMIN$" \
        with_only "$A" "" "$GRETOOL" keepalive watch gre1
    assert_eq "$(all_routes "$A")" "$before" "routes after the refusals"
    # ip netns exec and setpriv each become the next program: $! is gretool's process
    # (with_only, a function, would run in a subshell of its own).
    ip netns exec "$A" setpriv --bounding-set -all,+net_admin,+net_raw --inh-caps=-all -- \
        "$GRETOOL" keepalive watch gre1 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 states_at_least 1 "$dir/watch" up || fail "never up: $(cat "$dir/watch")"
    # It holds those two and nothing more (CAP_NET_ADMIN is bit 12, CAP_NET_RAW 13).
    assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$watcher/status")" 0000000000003000 "the watcher's capabilities"
    cut_path
    wait_until 5 grep -q '"event":"action".*withdrew' "$dir/watch" || fail "routes not withdrawn: $(cat "$dir/watch")"
    # Nothing goes through gre1 any more but its own addresses; the backup took over
    # and the ECMP route kept its other leg.
    local during; during=$(all_routes "$A")
    assert_eq "$(jq -r '[.[] | select(.dev == "gre1" or any(.nexthops[]?; .dev == "gre1")) | select(.table != "local" and (.dst | startswith("fe80") | not))] | length' <<<"$during")" 0 "routes through gre1 while down"
    assert_eq "$(ip -n "$A" -j route get 203.0.113.1 | jq -r '.[0].dev')" va "route to 203.0.113.1 while down"
    assert_eq "$(jq -r '[.[] | select(.dst == "192.0.2.0/24")] | .[0] | [.gateway // .nexthops[0].gateway, .dev // .nexthops[0].dev] | join(" ")' <<<"$during")" "198.51.100.2 va" "ECMP route while down"
    grep -q '"message":"withdrew 6 routes (1 ECMP, only their legs through gre1)"' "$dir/watch" || fail "action: $(grep action "$dir/watch")"
    restore_path
    wait_until 5 grep -q '"event":"action".*restored' "$dir/watch" || fail "routes not restored: $(cat "$dir/watch")"
    assert_eq "$(all_routes "$A")" "$before" "routes after the tunnel came back"
    # Down again, then stopped while down: the routes come back on the way out.
    cut_path
    wait_until 5 lines_at_least 2 '"event":"action".*withdrew' "$dir/watch" || fail "not withdrawn again: $(cat "$dir/watch")"
    kill -TERM "$watcher"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status"
    assert_eq "$(all_routes "$A")" "$before" "routes after the watcher stopped"
}

test_keepalive_action_link_keyed_and_restored_on_exit() {
    gre_pair "key 42"
    # Linux flushes a link's IPv6 addresses when it goes down, unless told to keep them.
    in_ns "$A" sysctl -qw net.ipv6.conf.gre1.keep_addr_on_down=1 >/dev/null
    add_routes_through_the_tunnel
    local dir; dir=$(mktemp -d)
    local before; before=$(all_routes "$A")
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 action link -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 states_at_least 1 "$dir/watch" up || fail "never up: $(cat "$dir/watch")"
    cut_path
    wait_until 5 grep -q '"event":"action".*set link down' "$dir/watch" || fail "link not set down: $(cat "$dir/watch")"
    [[ $(ip -n "$A" -j link show gre1 | jq -r '.[0].flags | index("UP") != null') == false ]] || fail "gre1 still up"
    restore_path
    wait_until 5 grep -q '"event":"action".*set link up' "$dir/watch" || fail "link not set up: $(cat "$dir/watch")"
    assert_eq "$(all_routes "$A")" "$before" "routes after the link came back"
    # Down again, then stopped while down: the watcher puts everything back on its way out.
    cut_path
    wait_until 5 states_at_least 2 "$dir/watch" down || fail "not down the second time: $(cat "$dir/watch")"
    wait_until 2 lines_at_least 2 '"event":"action".*set link down' "$dir/watch" || fail "link not set down again"
    kill -TERM "$watcher"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status"
    assert_eq "$(all_routes "$A")" "$before" "routes after the watcher stopped"
}

# Nexthop objects on gre1 (5, and 7 for IPv6), one elsewhere (6), group 10 of 5 and 6,
# group 11 of 5 alone, routes on each and one through gre1 itself; gre1 watched with
# action link, the path cut, the link set down. Sets the caller's dir, nexthops and
# routes (as they were) and watcher; the watcher's lines go to $dir/watch.
nexthops_watched_and_link_set_down() {
    gre_pair
    in_ns "$A" sysctl -qw net.ipv6.conf.gre1.keep_addr_on_down=1 >/dev/null
    ip -n "$A" -b - <<EOF || fail "cannot add nexthop objects and routes on them"
addr add 2001:db8:ffff::1/64 dev gre1 nodad
nexthop add id 5 via 10.0.0.2 dev gre1
nexthop add id 6 via 198.51.100.2 dev va
nexthop add id 7 via 2001:db8:ffff::2 dev gre1
nexthop add id 10 group 5,3/6
nexthop add id 11 group 5
route add 203.0.113.0/24 nhid 5
route add 192.0.2.0/24 nhid 10
route add 10.9.0.0/16 nhid 11
route add 2001:db8:2::/48 nhid 7
route add 10.10.0.0/16 via 10.0.0.2 dev gre1
EOF
    dir=$(mktemp -d)
    nexthops=$(ip -n "$A" -j nexthop)
    routes=$(all_routes "$A")
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 action link -j >"$dir/watch" 2>&1 &
    watcher=$!
    wait_until 5 states_at_least 1 "$dir/watch" up || fail "never up: $(cat "$dir/watch")"
    cut_path
    wait_until 5 grep -q '"event":"action".*set link down' "$dir/watch" || fail "link not set down: $(cat "$dir/watch")"
}

# Linux deletes the nexthop objects on a link set down, removes them from their groups
# (deleting a group left with no member) and deletes the routes on all of these.
# action link saves them first and puts them back: nexthop objects, then the groups
# with their whole membership and weights, then the routes on them.
test_keepalive_action_link_restores_nexthop_objects() {
    local dir nexthops routes watcher
    nexthops_watched_and_link_set_down
    grep -q '"message":"set link down (.*2 nexthops and 2 nexthop groups through it saved)"' "$dir/watch" ||
        fail "action: $(grep action "$dir/watch")"
    # What Linux did: 5, 7 and 11 gone with the routes on them, 10 down to 6 alone.
    assert_eq "$(ip -n "$A" -j nexthop | jq -c '[.[] | [.id, ([.group[]?.id])]]')" '[[6,[]],[10,[6]]]' "nexthops while down"
    restore_path
    wait_until 5 grep -q '"event":"action".*set link up' "$dir/watch" || fail "link not set up: $(cat "$dir/watch")"
    ! grep -q '"event":"error"\|failed' "$dir/watch" || fail "errors: $(grep 'error\|failed' "$dir/watch")"
    assert_eq "$(ip -n "$A" -j nexthop)" "$nexthops" "nexthops after the link came back"
    assert_eq "$(all_routes "$A")" "$routes" "routes after the link came back"
    # Down again, then stopped while down: all of it comes back on the way out.
    cut_path
    wait_until 5 lines_at_least 2 '"event":"action".*set link down' "$dir/watch" || fail "link not set down again"
    kill -TERM "$watcher"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status"
    assert_eq "$(ip -n "$A" -j nexthop)" "$nexthops" "nexthops after the watcher stopped"
    assert_eq "$(all_routes "$A")" "$routes" "routes after the watcher stopped"
}

# A tunnel with a fwmark whose remote only the mark's routing table reaches: the
# main table has no route there, so keepalives must carry the mark as the tunnel's
# packets do. With local any, the local address is looked up with the mark too.
test_keepalive_follows_the_tunnels_fwmark() {
    veth_pair
    in_ns "$A" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.va.rp_filter=0 >/dev/null
    answer_as_a_linux_peer "$B"
    ip -n "$A" -b - <<EOF || fail "cannot set up A"
rule add fwmark 7 table 100
route add 203.0.113.2 via 198.51.100.2 dev va table 100
tunnel add gre1 mode gre local 198.51.100.1 remote 203.0.113.2 key 1
link set gre1 type gre fwmark 7
link set gre1 up
tunnel add gre2 mode gre remote 203.0.113.2 key 2
link set gre2 type gre fwmark 7
link set gre2 up
EOF
    ip -n "$B" -b - <<EOF || fail "cannot set up B"
addr add 203.0.113.2/32 dev lo
tunnel add gre1 mode gre local 203.0.113.2 remote 198.51.100.1 key 1
link set gre1 up
tunnel add gre2 mode gre local 203.0.113.2 remote 198.51.100.1 key 2
link set gre2 up
EOF
    # Only the mark leads there.
    refuses 2 'Network is unreachable' ip -n "$A" route get 203.0.113.2
    assert_eq "$(ip -n "$A" -j route get 203.0.113.2 mark 7 | jq -r '.[0].dev')" va "route with the mark"
    ok g "$A" keepalive probe gre1 count 3 timeout 2 >/dev/null
    local dir; dir=$(mktemp -d)
    "$GRETOOL" -n "$A" keepalive watch gre1 gre2 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 states_at_least 2 "$dir/watch" up || fail "not both up: $(cat "$dir/watch")"
    grep -q '"tunnel":"gre2".*"message":"198.51.100.1 -> 203.0.113.2 key 2 ' "$dir/watch" ||
        fail "local address of gre2: $(grep '"watch"' "$dir/watch")"
    kill -TERM "$watcher"; wait "$watcher"
}

# A tunnel bound to an underlay device (dev) sends there even where the main table
# prefers another way: so do its keepalives.
test_keepalive_follows_the_tunnels_device() {
    veth_pair
    ip link add vc netns "$A" type veth peer name vd netns "$B" || fail "cannot create the second veth pair"
    in_ns "$A" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.vc.rp_filter=0 >/dev/null
    answer_as_a_linux_peer "$B"
    ip -n "$A" -b - <<EOF || fail "cannot set up A"
addr add 192.0.2.1/24 dev vc
link set vc up
route add 203.0.113.2 via 198.51.100.9 dev va metric 10
route add 203.0.113.2 via 192.0.2.2 dev vc metric 20
tunnel add gre1 mode gre local 198.51.100.1 remote 203.0.113.2 dev vc
link set gre1 up
EOF
    ip -n "$B" -b - <<EOF || fail "cannot set up B"
addr add 192.0.2.2/24 dev vd
link set vd up
addr add 203.0.113.2/32 dev lo
tunnel add gre1 mode gre local 203.0.113.2 remote 198.51.100.1
link set gre1 up
EOF
    # Unbound, the way is a gateway that does not exist.
    assert_eq "$(ip -n "$A" -j route get 203.0.113.2 | jq -r '.[0].gateway')" 198.51.100.9 "route without the device"
    local out
    out=$(g "$A" keepalive probe gre1 count 3 timeout 2) || fail "no answer through vc: $out"
    [[ $out == "gre1: answered in "* ]] || fail "probe: $out"
}

# One keepalive and its reflection as they cross B's veth, field by field, with
# different keys each way, checksums and a fixed TTL. B's kernel checks the outer
# checksum and key before it forwards anything, so the answer proves them right too.
test_keepalive_on_the_wire_is_ciscos() {
    gre_pair "ikey 5 okey 6 csum ttl 64 tos 0x28|ikey 6 okey 5 csum"
    local dir; dir=$(mktemp -d)
    # GRE carrying IPv6 is left out: the tunnels' own router solicitations, which
    # would come first if they are sent while the capture starts.
    in_ns "$B" tcpdump -i vb -c 2 -w "$dir/capture" -U 'ip proto 47 and ip[22:2] != 0x86dd' >/dev/null 2>&1 &
    local capture=$!
    wait_until 5 test -s "$dir/capture" || true
    sleep 0.3
    ok g "$A" keepalive probe gre1 count 1 timeout 2 >/dev/null
    wait_until 5 bash -c "! kill -0 $capture" || fail "tcpdump saw fewer than 2 GRE packets"
    # pcap: 24-byte file header, then per packet a 16-byte record header and an
    # Ethernet frame (14 bytes) carrying the IP packet.
    local bytes; read -ra bytes < <(od -An -v -tx1 "$dir/capture" | tr -s ' \n' ' ')
    local at=$((24 + 16 + 14)) field
    field() { local hex="" i; for ((i = $1; i < $1 + $2; i++)); do hex+=${bytes[at + i]}; done; echo "$hex"; }
    # Outer IPv4: A -> B, TOS 0x28 and TTL 64 (the tunnel's), protocol 47.
    assert_eq "$(field 12 4) $(field 16 4) $(field 1 1) $(field 8 1) $(field 9 1)" "c6336401 c6336402 28 40 2f" "outer src dst tos ttl proto"
    # GRE: checksum and key present (0xa000), protocol IPv4, key = okey 6.
    assert_eq "$(field 20 2) $(field 22 2) $(field 28 4)" "a000 0800 00000006" "outer GRE flags, protocol, key"
    # Inner IPv4: B -> A, TTL 255, protocol 47, a non-zero identification (the nonce).
    assert_eq "$(field 44 4) $(field 48 4) $(field 40 1) $(field 41 1)" "c6336402 c6336401 ff 2f" "inner src dst ttl proto"
    [[ $(field 36 2) != 0000 ]] || fail "inner identification is 0"
    local nonce; nonce=$(field 36 2)
    # Inner GRE: checksum (icsum) and key present, protocol type 0, key = ikey 5.
    assert_eq "$(field 52 2) $(field 54 2) $(field 60 4)" "a000 0000 00000005" "inner GRE flags, protocol, key"
    # The reflection: that inner packet, forwarded back by B's kernel, TTL 254, same nonce.
    local caplen=$((16#${bytes[24 + 8]} + 16#${bytes[24 + 9]} * 256))
    at=$((24 + 16 + caplen + 16 + 14))
    assert_eq "$(field 12 4) $(field 16 4) $(field 8 1) $(field 4 2)" "c6336402 c6336401 fe $nonce" "reflection src dst ttl id"
    assert_eq "$(field 20 2) $(field 22 2) $(field 28 4)" "a000 0000 00000005" "reflection GRE"
}

test_keepalive_follows_tunnels_deleted_and_recreated() {
    gre_pair
    ip -n "$A" tunnel add gre2 mode gre local 198.51.100.1 remote 198.51.100.2 key 7
    ip -n "$B" tunnel add gre2 mode gre local 198.51.100.2 remote 198.51.100.1 key 7
    ip -n "$A" link set gre2 up; ip -n "$B" link set gre2 up
    local dir; dir=$(mktemp -d)
    "$GRETOOL" -n "$A" keepalive watch gre1 gre2 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 states_at_least 2 "$dir/watch" up || fail "not both up: $(cat "$dir/watch")"
    ip -n "$A" link del gre2
    wait_until 5 grep -q '"event":"deleted","tunnel":"gre2","state":"absent"' "$dir/watch" || fail "deletion not reported: $(cat "$dir/watch")"
    ip -n "$A" tunnel add gre2 mode gre local 198.51.100.1 remote 198.51.100.2 key 7
    wait_until 5 grep -q '"event":"created","tunnel":"gre2"' "$dir/watch" || fail "re-creation not picked up: $(cat "$dir/watch")"
    wait_until 5 states_at_least 3 "$dir/watch" up || fail "gre2 not up again: $(cat "$dir/watch")"
    ! grep -q '"state":"down"' "$dir/watch" || fail "something went down: $(cat "$dir/watch")"
    kill -TERM "$watcher"; wait "$watcher"
    # Tunnels keepalives cannot watch are refused before anything starts.
    ip -n "$A" -b - <<EOF
link add nr type gre local 198.51.100.1
link add tap1 type gretap local 198.51.100.1 remote 198.51.100.3
link add d0 type dummy
EOF
    refuses 2 'nr has no remote address' g "$A" keepalive watch nr
    refuses 2 'tap1 is a gretap tunnel: keepalives need gre or ip6gre' g "$A" keepalive watch tap1
    refuses 2 'd0 is not a GRE tunnel' g "$A" keepalive probe d0
}

# Two watched targets whose replies look alike (from the same remote to the same local
# address, with the same input key, or none) cannot both be watched: the raw socket
# cannot tell which of them a reply answers, so one would never see its replies and
# be reported down while the peer answers. Refused at start, naming both; a tunnel
# changed onto another's endpoints while watched stops being probed, and says so.
test_keepalive_refuses_targets_whose_replies_look_alike() {
    gre_pair
    refuses 2 '^gretool: 198.51.100.2 and gre1 would get the same replies \(198.51.100.2 -> 198.51.100.1 without key\): one of them would never see its own$' \
        g "$A" keepalive watch gre1 local 198.51.100.1 remote 198.51.100.2
    # Two tunnels between the same endpoints, told apart by the kernel by their
    # underlay device only.
    ip -n "$A" tunnel add gre2 mode gre local 198.51.100.1 remote 198.51.100.2 dev va
    refuses 2 '^gretool: gre2 and gre1 would get the same replies' g "$A" keepalive watch gre1 gre2
    ip -n "$A" link del gre2
    # Keyed, the replies differ: both are watched.
    ip -n "$A" tunnel add gre3 mode gre local 198.51.100.1 remote 198.51.100.2 key 5 dev va
    local dir; dir=$(mktemp -d)
    "$GRETOOL" -n "$A" keepalive watch gre1 gre3 interval 0.2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 grep -q '"event":"state","tunnel":"gre1","state":"up"' "$dir/watch" || fail "gre1 not up: $(cat "$dir/watch")"
    # gre3 is made again without its key while watched: it now has gre1's replies.
    ip -n "$A" link del gre3
    ip -n "$A" tunnel add gre3 mode gre local 198.51.100.1 remote 198.51.100.2 dev va
    wait_until 5 grep -q '"tunnel":"gre3",.*"message":"gre3 now gets the same replies as gre1' "$dir/watch" ||
        fail "the shared replies were not reported: $(cat "$dir/watch")"
    sleep 1
    ! grep -q '"tunnel":"gre1","state":"down"' "$dir/watch" || fail "gre1 lost its replies: $(cat "$dir/watch")"
    kill -TERM "$watcher"; wait "$watcher"
}

# A peer that does not reflect GRE keepalives (here: B does not forward) still answers
# a ping to its inner address: with icmp ADDRESS the watcher pings through the tunnel
# instead, and acts on the answers as on keepalives'.
test_keepalive_icmp_for_a_peer_that_does_not_reflect_keepalives() {
    gre_pair
    in_ns "$B" sysctl -qw net.ipv4.ip_forward=0
    ip -n "$A" route add 203.0.113.0/24 via 10.0.0.2 dev gre1
    refuses 1 '^gretool: gre1: no reply to 2 keepalives' g "$A" keepalive probe gre1 count 2 timeout 0.6
    local dir; dir=$(mktemp -d)
    "$GRETOOL" -n "$A" keepalive watch gre1 icmp 10.0.0.2 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 grep -q '"event":"state","tunnel":"gre1","state":"up"' "$dir/watch" || fail "never up: $(cat "$dir/watch")"
    grep -q '"event":"watch".*(icmp 10.0.0.2, interval 0.2 s' "$dir/watch" || fail "watching: $(head -1 "$dir/watch")"
    cut_path
    wait_until 5 grep -q '"event":"state","tunnel":"gre1","state":"down"' "$dir/watch" || fail "never down: $(cat "$dir/watch")"
    wait_until 5 bash -c "[[ -z \$(ip -n $A route show 203.0.113.0/24) ]]" || fail "route not withdrawn: $(ip -n "$A" route)"
    # Pings go on through the tunnel while its routes are withdrawn: it comes back.
    restore_path
    wait_until 5 states_at_least 2 "$dir/watch" up || fail "not up again: $(cat "$dir/watch")"
    wait_until 5 bash -c "[[ -n \$(ip -n $A route show 203.0.113.0/24) ]]" || fail "route not restored: $(ip -n "$A" route)"
    kill -TERM "$watcher"; wait "$watcher"
}

# ip6gre: the nonce travels in the inner IPv6 header's flow label, which the peer's
# kernel keeps when it forwards the reflection. The tunnel's device, traffic class and
# mark go with keepalives as IPV6_PKTINFO, IPV6_TCLASS and SO_MARK: the kernel takes them.
test_keepalive_ip6gre_kernel_peer() {
    veth_pair
    ipn "$A" addr add 2001:db8::1/64 dev va nodad
    ipn "$B" addr add 2001:db8::2/64 dev vb nodad
    in_ns "$B" sysctl -qw net.ipv6.conf.all.forwarding=1 >/dev/null
    ip -n "$A" link add g6 type ip6gre local 2001:db8::1 remote 2001:db8::2 key 9 dev va tclass 0x28 fwmark 3
    ip -n "$B" link add g6 type ip6gre local 2001:db8::2 remote 2001:db8::1 key 9
    ip -n "$A" link set g6 up; ip -n "$B" link set g6 up
    local out
    out=$(g "$A" keepalive probe g6 count 3 timeout 2) || fail "no answer over ip6gre: $out"
    [[ $out == "g6: answered in "* ]] || fail "probe: $out"
}

# A probe without reply says what came back instead: ICMP port unreachable from a peer
# whose tunnel does not take the keepalives (another key; IPv4 and IPv6), or nothing.
test_keepalive_probe_names_the_likely_cause() {
    gre_pair "key 1|key 2"
    refuses 1 '^gretool: gre1: no reply to 1 keepalive in 1 s: the peer answered ICMP port unreachable: no tunnel there takes these keepalives' \
        g "$A" keepalive probe gre1 count 1 timeout 1
    local out
    out=$("$GRETOOL" -n "$A" -j keepalive probe gre1 count 1 timeout 1 2>/dev/null)
    assert_eq "$(jq -r '[.cause, .icmp] | join(" ")' <<<"$out")" "no_matching_tunnel port unreachable" "probe -j: $out"
    # The same key: answered, no cause.
    ip -n "$B" -b - <<EOF || fail "cannot remake B's tunnel"
link delete gre1
tunnel add gre1 mode gre local 198.51.100.2 remote 198.51.100.1 key 1
link set gre1 up
addr add 10.0.0.2/30 dev gre1
EOF
    out=$("$GRETOOL" -n "$A" -j keepalive probe gre1 count 2 timeout 2) || fail "no answer with the same key: $out"
    assert_eq "$(jq -r '[.answered, .cause // "none"] | join(" ")' <<<"$out")" "true none" "probe -j: $out"
    # Nothing back at all.
    cut_path
    refuses 1 '^gretool: gre1: no reply to 1 keepalive in 1 s: nothing came back: GRE is dropped without a word on the way, or the peer is down or does not reflect keepalives$' \
        g "$A" keepalive probe gre1 count 1 timeout 1
    restore_path
    # ip6gre, another key: ICMPv6 port unreachable.
    ipn "$A" addr add 2001:db8::1/64 dev va nodad
    ipn "$B" addr add 2001:db8::2/64 dev vb nodad
    ip -n "$A" link add g6 type ip6gre local 2001:db8::1 remote 2001:db8::2 key 9
    ip -n "$B" link add g6 type ip6gre local 2001:db8::2 remote 2001:db8::1 key 8
    ip -n "$A" link set g6 up; ip -n "$B" link set g6 up
    refuses 1 '^gretool: g6: no reply to 1 keepalive in 1 s: the peer answered ICMP port unreachable' g "$A" keepalive probe g6 count 1 timeout 1
}

# A peer whose kernel will not forward (the sysctls left as they are): gretool's
# responder answers for the tunnels it is given, and only for them.
test_keepalive_userspace_responder_for_named_tunnels() {
    veth_pair
    ip -n "$A" -b - <<EOF2
tunnel add gre1 mode gre local 198.51.100.1 remote 198.51.100.2 key 1
tunnel add gre2 mode gre local 198.51.100.1 remote 198.51.100.2 key 2
EOF2
    ip -n "$B" -b - <<EOF2
tunnel add gre1 mode gre local 198.51.100.2 remote 198.51.100.1 key 1
tunnel add gre2 mode gre local 198.51.100.2 remote 198.51.100.1 key 2
EOF2
    local dir; dir=$(mktemp -d)
    refuses 1 'gre1: no reply' g "$A" keepalive probe gre1 count 1 timeout 0.5
    "$GRETOOL" -n "$B" keepalive respond gre1 timeout 20 -v >"$dir/respond" 2>&1 &
    wait_until 5 grep -q 'responding to gre1' "$dir/respond" || fail "responder not ready: $(cat "$dir/respond")"
    ok g "$A" keepalive probe gre1 count 2 timeout 2 >/dev/null
    refuses 1 'gre2: no reply' g "$A" keepalive probe gre2 count 1 timeout 0.5
    grep -q 'reflected keepalive 198.51.100.1 -> 198.51.100.2 key 1$' "$dir/respond" || fail "responder: $(cat "$dir/respond")"
}

state_files() { find "$GRETOOL_RUNTIME_DIR/keepalive" -name '*.state' 2>/dev/null | sort; }

# Routes of A as iproute2 shows them: the destination, then gateway and device of each leg.
legs_of() {
    ip -n "$A" -j "$@" | jq -r '.[] | [.dst, (if .nexthops then (.nexthops[] | "\(.gateway // "-") \(.dev)") else "\(.gateway // "-") \(.dev)" end)] | join(" ")'
}

# Issue 12's first bug on real tunnels: an ECMP route with a leg on each of gre1 and
# gre2, both watched. gre1 fails, gre2 fails, gre1 comes back: exactly gre1's legs come
# back (putting gre2's gateway leg back too made the kernel refuse the whole route);
# then gre2's join them, and the routes are as they were. A tunnel fails when B's end
# of it is set down: B then drops its keepalives, the other tunnel's still answered.
test_keepalive_ecmp_over_two_tunnels_k1_down_k2_down_k1_up() {
    gre_pair "key 1"
    ip -n "$A" -b - <<BATCH || fail "cannot make A's second tunnel"
tunnel add gre2 mode gre local 198.51.100.1 remote 198.51.100.2 key 2
link set gre2 up
addr add 10.0.1.1/30 dev gre2
route add 10.60.0.0/24 nexthop via 10.0.0.2 dev gre1 weight 2 nexthop via 10.0.1.2 dev gre2
route add 10.61.0.0/24 nexthop dev gre1 nexthop dev gre2
BATCH
    ip -n "$B" -b - <<BATCH || fail "cannot make B's second tunnel"
tunnel add gre2 mode gre local 198.51.100.2 remote 198.51.100.1 key 2
link set gre2 up
addr add 10.0.1.2/30 dev gre2
BATCH
    local dir; dir=$(mktemp -d)
    local before; before=$(all_routes "$A")
    "$GRETOOL" -n "$A" keepalive watch gre1 gre2 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 10 states_at_least 2 "$dir/watch" up || fail "not both up: $(cat "$dir/watch")"
    ipn "$B" link set gre1 down
    wait_until 10 grep -q '"event":"action","tunnel":"gre1".*withdrew' "$dir/watch" || fail "gre1 not withdrawn: $(cat "$dir/watch")"
    ipn "$B" link set gre2 down
    wait_until 10 grep -q '"event":"action","tunnel":"gre2".*withdrew' "$dir/watch" || fail "gre2 not withdrawn: $(cat "$dir/watch")"
    assert_eq "$(legs_of route show 10.60.0.0/24)" "" "10.60.0.0/24 with both down"
    ipn "$B" link set gre1 up
    wait_until 10 grep -q '"event":"action","tunnel":"gre1".*restored' "$dir/watch" || fail "gre1 not restored: $(cat "$dir/watch")"
    ! grep -q '"event":"error"\|failed' "$dir/watch" || fail "errors: $(grep 'error\|failed' "$dir/watch")"
    assert_eq "$(legs_of route show 10.60.0.0/24; legs_of route show 10.61.0.0/24)" "10.60.0.0/24 10.0.0.2 gre1
10.61.0.0/24 - gre1" "gre1 up, gre2 down: exactly gre1's legs"
    ipn "$B" link set gre2 up
    wait_until 10 grep -q '"event":"action","tunnel":"gre2".*restored' "$dir/watch" || fail "gre2 not restored: $(cat "$dir/watch")"
    assert_eq "$(all_routes "$A")" "$before" "both up: the routes as they were"
    kill -TERM "$watcher"; wait "$watcher"
}

# Issue 12's third bug: kill -9 while down, with action routes. The next watcher takes
# over what the dead one withdrew and gives it back exactly when the peer answers (not
# before); with action none, at once.
test_keepalive_kill_9_while_down_then_restart() {
    gre_pair
    add_routes_through_the_tunnel
    local dir; dir=$(mktemp -d)
    local before; before=$(all_routes "$A")
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 states_at_least 1 "$dir/watch" up || fail "never up: $(cat "$dir/watch")"
    cut_path
    wait_until 5 grep -q '"event":"action".*withdrew 6 routes' "$dir/watch" || fail "not withdrawn: $(cat "$dir/watch")"
    local during; during=$(all_routes "$A")
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    [[ -n $(state_files) ]] || fail "no state file after kill -9"
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 -j >"$dir/watch2" 2>&1 &
    watcher=$!
    wait_until 5 grep -q '"event":"action".*taking over from a previous watcher: 6 routes' "$dir/watch2" ||
        fail "not taken over: $(cat "$dir/watch2")"
    wait_until 5 states_at_least 1 "$dir/watch2" down || fail "not down: $(cat "$dir/watch2")"
    assert_eq "$(all_routes "$A")" "$during" "routes while the peer is silent"
    restore_path
    wait_until 5 grep -q '"event":"action".*restored 6 routes' "$dir/watch2" || fail "not restored: $(cat "$dir/watch2")"
    assert_eq "$(all_routes "$A")" "$before" "routes once the peer answered"
    assert_eq "$(state_files)" "" "state files once everything is back"
    cut_path
    wait_until 5 grep -q '"event":"action".*withdrew 6 routes' "$dir/watch2" || fail "not withdrawn again: $(cat "$dir/watch2")"
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 action none -j >"$dir/watch3" 2>&1 &
    watcher=$!
    wait_until 5 grep -q '"event":"action".*restored 6 routes' "$dir/watch3" || fail "action none did not restore at once: $(cat "$dir/watch3")"
    assert_eq "$(all_routes "$A")" "$before" "routes given back by action none while the peer is silent"
    kill -TERM "$watcher"; wait "$watcher"
}

# The same with action link and nexthop objects: the dead watcher left the link down
# (a restarted watcher used to leave a down link alone for good). The next one sets it
# up when the peer answers and gives back the objects, the groups and the routes.
test_keepalive_kill_9_with_action_link_and_nexthop_objects() {
    local dir nexthops routes watcher
    nexthops_watched_and_link_set_down
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    grep -q '^link-down$' "$(state_files)" && grep -q '^nexthop ' "$(state_files)" || fail "state file: $(cat "$(state_files)")"
    [[ $(ip -n "$A" -j link show gre1 | jq -r '.[0].flags | index("UP") != null') == false ]] || fail "gre1 up after kill -9"
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 action link -j >"$dir/watch2" 2>&1 &
    watcher=$!
    wait_until 5 grep -q '"event":"action".*taking over from a previous watcher: link set down, .*2 nexthop groups' "$dir/watch2" ||
        fail "not taken over: $(cat "$dir/watch2")"
    wait_until 5 states_at_least 1 "$dir/watch2" down || fail "not down: $(cat "$dir/watch2")"
    [[ $(ip -n "$A" -j link show gre1 | jq -r '.[0].flags | index("UP") != null') == false ]] || fail "gre1 set up while the peer is silent"
    restore_path
    wait_until 5 grep -q '"event":"action".*set link up' "$dir/watch2" || fail "link not set up: $(cat "$dir/watch2")"
    ! grep -q '"event":"error"\|failed' "$dir/watch2" || fail "errors: $(grep 'error\|failed' "$dir/watch2")"
    assert_eq "$(ip -n "$A" -j nexthop)" "$nexthops" "nexthops once the peer answered"
    assert_eq "$(all_routes "$A")" "$routes" "routes once the peer answered"
    assert_eq "$(state_files)" "" "state files once everything is back"
    # Down again, killed again; the next watcher has action none: all back at once.
    cut_path
    wait_until 5 grep -q '"event":"action".*set link down' "$dir/watch2" || fail "link not set down again: $(cat "$dir/watch2")"
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 action none -j >"$dir/watch3" 2>&1 &
    watcher=$!
    wait_until 5 grep -q '"event":"action".*set link up' "$dir/watch3" || fail "action none did not set the link up: $(cat "$dir/watch3")"
    assert_eq "$(ip -n "$A" -j nexthop)" "$nexthops" "nexthops given back by action none"
    assert_eq "$(all_routes "$A")" "$routes" "routes given back by action none"
    kill -TERM "$watcher"; wait "$watcher"
}
