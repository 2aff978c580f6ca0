# Link verbs on this machine's kernel (no GRE here): veth, bridge and vxlan links
# made, changed and shown by gretool, checked against what iproute2 reads back.

# `ip -j link show` and `gretool -j link show` of a namespace, canonical.
ip_links() { ip -n "$1" -j "${@:2}" link show | jq -S .; }
gretool_links() { "$GRETOOL" -n "$1" -j "${@:2}" link show | jq -S .; }

test_veth_pair_shows_as_iproute2_shows_it() {
    read -r A B < <(make_namespaces a b)
    ok g "$A" link add va type veth peer name vb netns "$B"
    ok g "$A" link set va up mtu 1400
    [[ $(json_get "$A" va .mtu) == 1400 ]] || fail "mtu not set"
    [[ $(json_get "$B" vb .ifname) == vb ]] || fail "peer not moved to $B"
    local want got
    for ns in "$A" "$B"; do
        want=$(ip_links "$ns"); got=$(gretool_links "$ns")
        [[ $got == "$want" ]] || fail "gretool -j link show differs in $ns:
$(diff <(echo "$want") <(echo "$got"))"
        want=$(ip_links "$ns" -s); got=$(gretool_links "$ns" -s)
        [[ $got == "$want" ]] || fail "gretool -j -s link show differs in $ns:
$(diff <(echo "$want") <(echo "$got"))"
    done
}

test_text_output_matches_iproute2_line_for_line() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up
    local want got
    want=$(ip -n "$A" link show); got=$(g "$A" link show)
    [[ $got == "$want" ]] || fail "text differs:
$(diff <(echo "$want") <(echo "$got"))"
    # -s tables too, column widths included.
    want=$(ip -n "$A" -s link show va); got=$(g "$A" -s link show va)
    [[ $got == "$want" ]] || fail "-s text differs:
$(diff <(echo "$want") <(echo "$got"))"
}

# Link groups go by the names /etc/iproute2/group gives them, in words and listings, as
# in ip (a group file of our own, seen through a mount namespace: this machine's /etc
# stays as it is).
test_link_groups_go_by_their_names_as_in_ip() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    local names shown
    names=$(mktemp); printf '0\tdefault\n7\tspokes\n' >"$names"
    shown=$(unshare --mount sh -c 'mount --bind "$1" /etc/iproute2/group &&
        "$3" -n "$2" link set va group spokes && ip -n "$2" link set vb group spokes &&
        ip -n "$2" link show group spokes && "$3" -n "$2" link show group spokes &&
        ip -n "$2" -j link show va && "$3" -n "$2" -j link show va && "$3" -n "$2" -N link show va' \
        sh "$names" "$A" "$GRETOOL" 2>&1) || fail "$shown"
    local lines; mapfile -t lines <<<"$shown"
    # Two links of two lines by ip, then by gretool; two JSON documents; one link with -N.
    assert_eq "${#lines[@]}" 12 "the lines: $shown"
    assert_eq "$(printf '%s\n' "${lines[@]:4:4}")" "$(printf '%s\n' "${lines[@]:0:4}")" "gretool link show group spokes as ip"
    [[ ${lines[0]} == *" group spokes "* ]] || fail "ip names the group: ${lines[0]}"
    assert_eq "${lines[9]}" "${lines[8]}" "JSON as ip"
    [[ ${lines[10]} == *" group 7 "* ]] || fail "-N gives the number: ${lines[10]}"
    assert_eq "$(json_get "$A" va .group)" 7 "the group set by name"
}

test_details_match_iproute2() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add va type veth peer name vb
    ok g "$A" link add br0 type bridge stp_state 1 priority 4096
    ok g "$A" link add vx0 type vxlan id 42 remote 198.51.100.2 local 198.51.100.1 dstport 4789 ttl 10
    local keys='map({ifname, promiscuity, allmulti, min_mtu, max_mtu, num_tx_queues, num_rx_queues, gso_max_size, kind: .linkinfo.info_kind})'
    local want got
    want=$(ip -n "$A" -d -j link show | jq -cS "$keys"); got=$(g "$A" -d -j link show | jq -cS "$keys")
    assert_eq "$got" "$want" "-d details"
    assert_eq "$(json_get "$A" br0 .linkinfo.info_data.stp_state)" 1 "bridge stp_state"
    assert_eq "$(json_get "$A" br0 .linkinfo.info_data.priority)" 4096 "bridge priority"
    assert_eq "$(json_get "$A" vx0 .linkinfo.info_data.id)" 42 "vxlan id"
    assert_eq "$(json_get "$A" vx0 .linkinfo.info_data.remote)" 198.51.100.2 "vxlan remote"
    assert_eq "$(json_get "$A" vx0 .linkinfo.info_data.port)" 4789 "vxlan port"
    assert_eq "$(json_get "$A" vx0 .linkinfo.info_data.ttl)" 10 "vxlan ttl"
    # gretool shows the same kind data for what it reports.
    assert_eq "$(g "$A" -d -j link show vx0 | jq -c '.[0].linkinfo.info_data | {id, remote, local, port, ttl}')" \
        "$(ip -n "$A" -d -j link show vx0 | jq -c '.[0].linkinfo.info_data | {id, remote, local, port, ttl}')" "vxlan data"
}

test_set_changes_exactly_what_it_names() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add va type veth peer name vb
    ok g "$A" link set va txqueuelen 500 alias "uplink to b" address 02:00:00:00:00:0a
    assert_eq "$(json_get "$A" va .txqlen)" 500 txqlen
    assert_eq "$(json_get "$A" va .ifalias)" "uplink to b" alias
    assert_eq "$(json_get "$A" va .address)" 02:00:00:00:00:0a address
    ok g "$A" link set va up
    assert_eq "$(json_get "$A" va '.flags | index("UP") != null')" true "up"
    ok g "$A" link set dev va down name wan0
    assert_eq "$(json_get "$A" wan0 '.flags | index("UP") != null')" false "down"
    assert_eq "$(json_get "$A" wan0 .txqlen)" 500 "txqlen kept across rename"
    ok g "$A" link change wan0 mtu 9000
    assert_eq "$(json_get "$A" wan0 .mtu)" 9000 "link change mtu"
}

test_change_merges_kind_options() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add br0 type bridge stp_state 1 priority 4096
    ok g "$A" link set br0 type bridge priority 8192
    assert_eq "$(json_get "$A" br0 .linkinfo.info_data.priority)" 8192 "priority changed"
    assert_eq "$(json_get "$A" br0 .linkinfo.info_data.stp_state)" 1 "stp_state kept"
    refuses 2 'br0 is a bridge link; its type cannot change to vxlan' g "$A" link set br0 type vxlan id 3
}

test_master_and_nomaster() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add br0 type bridge
    ok g "$A" link add va type veth peer name vb
    ok g "$A" link set va master br0
    assert_eq "$(json_get "$A" va .master)" br0 master
    [[ $(g "$A" link show va) == *"master br0"* ]] || fail "text does not show the master"
    ok g "$A" link set va nomaster
    assert_eq "$(json_get "$A" va .master)" null nomaster
}

test_delete_and_filters() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add va type veth peer name vb
    ok g "$A" link add br0 type bridge
    assert_eq "$(g "$A" -j link show type bridge | jq -r 'map(.ifname) | join(",")')" br0 "type filter"
    ok g "$A" link set va up
    assert_eq "$(g "$A" -j link show up | jq -r 'map(.ifname) | join(",")')" "lo,va" "up filter"
    ok g "$A" link del br0
    ok g "$A" link delete dev va
    assert_eq "$(ip -n "$A" -j link show | jq -r 'map(.ifname) | join(",")')" lo "after delete"
    refuses 1 'cannot delete link "va": cannot find device "va"' g "$A" link del va
    refuses 1 'cannot find device "nosuch"' g "$A" link show nosuch
}

test_bad_input_changes_nothing() {
    read -r A < <(make_namespaces a)
    local before
    before=$(ip -n "$A" -j link show)
    refuses 2 'interface name "abcdefghijklmnopqrst" is 20 bytes long' g "$A" link add abcdefghijklmnopqrst type veth
    refuses 2 'unknown link type "nosuchkind"' g "$A" link add x type nosuchkind
    refuses 2 'invalid mtu "12"' g "$A" link add x mtu 12 type veth
    refuses 2 'unknown word "bogus" in veth peer' g "$A" link add x type veth peer name y bogus
    refuses 1 'network namespace "no-such-ns" does not exist \(No such file or directory\)' g "$A" link add x type veth peer name y netns no-such-ns
    refuses 1 '^gretool: network namespace "no-such-ns" does not exist \(No such file or directory\)$' "$GRETOOL" -n no-such-ns link show
    refuses 2 'invalid network namespace name "a/b"' "$GRETOOL" -n a/b link show
    refuses 2 'numtxqueues can only be given when the link is created' g "$A" link set lo numtxqueues 4
    refuses 1 'cannot create link "x": .*no such device|cannot find device "eth77"' g "$A" link add x link eth77 type veth
    refuses 2 'unknown object "frobnicate"' "$GRETOOL" frobnicate
    refuses 2 'unknown verb "explode" for link' "$GRETOOL" link explode
    refuses 2 'unknown option "-q"' "$GRETOOL" -q link show
    assert_eq "$(ip -n "$A" -j link show)" "$before" "links after refused commands"
}

test_kernel_refusals_are_one_line_and_leave_nothing() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add va type veth peer name vb
    refuses 1 'cannot create link "va": File exists' g "$A" link add va type veth peer name vc
    [[ $(ip -n "$A" -j link show | jq 'map(select(.ifname == "vc")) | length') == 0 ]] || fail "peer vc left behind"
    # This kernel has no GRE: the kernel's own words, and nothing made.
    refuses 1 'cannot create tunnel "gre1": Unknown device type' g "$A" tunnel add gre1 mode gre remote 192.0.2.1
    refuses 1 'cannot create link "gre2": Unknown device type' g "$A" link add gre2 type gre remote 192.0.2.1
    [[ $(ip -n "$A" -j link show | jq 'map(select(.ifname | startswith("gre"))) | length') == 0 ]] || fail "gre link left behind"
}

test_not_root_is_refused_clearly() {
    read -r A < <(make_namespaces a)
    command -v setpriv >/dev/null || { echo "setpriv missing"; exit 77; }
    refuses 1 'Operation not permitted.*needs root' \
        as_nobody "$A" "$GRETOOL" link add x type veth
    [[ $(ip -n "$A" -j link show | jq length) == 1 ]] || fail "a link was made without root"
}

test_json_is_always_valid() {
    read -r A < <(make_namespaces a)
    ok g "$A" link add va type veth peer name vb
    ok g "$A" link set va alias 'quote " backslash \ tab	end'
    local flags
    for flags in "-j" "-j -p" "-j -d" "-j -s" "-j -s -s" "-j -d -s -p"; do
        g "$A" $flags link show | jq -e . >/dev/null || fail "invalid JSON from gretool $flags link show"
        g "$A" $flags tunnel show | jq -e . >/dev/null || fail "invalid JSON from gretool $flags tunnel show"
    done
    assert_eq "$(json_get "$A" va .ifalias)" "$(g "$A" -j link show va | jq -r '.[0].ifalias')" "escaped alias"
    # -p is iproute2's layout exactly.
    assert_eq "$(g "$A" -j -p link show lo)" "$(ip -n "$A" -j -p link show lo)" "pretty JSON layout"
}

test_abbreviations_as_iproute2() {
    read -r A < <(make_namespaces a)
    assert_eq "$(g "$A" l sh lo | head -1)" "$(ip -n "$A" l sh lo | head -1)" "l sh"
    assert_eq "$(g "$A" -j li | jq length)" 1 "li"
    ok g "$A" link add va type veth peer name vb
    ok g "$A" link set va txq 77
    assert_eq "$(json_get "$A" va .txqlen)" 77 "txq"
}

test_batch_names_the_links_that_exist_after_each_change() {
    read -r A < <(make_namespaces a)
    local out
    # Deleting xa takes its peer xb with it; a new xb (another index) is made: line 7
    # must find that one, not the index a line before it looked up.
    out=$(printf '%s\n' "link add xa type veth peer name xb" "link set xa up" "link set xb up" \
        "route add 10.6.0.0/16 dev xb" "link del xa" "link add xb type veth peer name xc" "link set xb up" \
        "link set xb down" "link set xb name xd" "link add xb type veth peer name xe" "link set xb up" \
        "route add 10.7.0.0/16 dev xb" | g "$A" -batch - 2>&1) || fail "batch failed: $out"
    assert_eq "$(ip -n "$A" -j link show | jq -c '[.[].ifname | select(startswith("x"))] | sort')" '["xb","xc","xd","xe"]' "the links"
    assert_eq "$(ip -n "$A" -j route show 10.7.0.0/16 | jq -r '.[0].dev')" xb "a route through the third xb"
}
