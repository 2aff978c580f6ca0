# gretool apply over real GRE tunnels: a second run writes nothing, options change in
# place, a removed key leaves the header, a kind change needs leave, the seed guide's
# site A as an apply file, and a confirmation by keepalive probes.

# Namespaces where the kernel adds nothing by itself (no IPv6 link-local addresses, whose
# DAD would show in `ip monitor`), joined by veth va/vb (198.51.100.1/24, .2/24).
quiet_pair() {
    read -r A B < <(quiet_namespaces a b)
    ip link add va netns "$A" type veth peer name vb netns "$B" || fail "cannot create veth pair"
    ipn "$A" addr add 198.51.100.1/24 dev va && ipn "$A" link set va up
    ipn "$B" addr add 198.51.100.2/24 dev vb && ipn "$B" link set vb up
}

tunnel_file() {
    cat <<EOF
tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1 $1
link set gre1 up mtu 1400
address add 10.0.0.1/30 dev gre1
route add 203.0.113.0/24 via 10.0.0.2 dev gre1
EOF
}

test_apply_gre_writes_nothing_again_and_changes_options_in_place() {
    quiet_pair
    local file
    file=$(mktemp)
    tunnel_file "ttl 255 key 42 csum" >"$file"
    ok g "$A" apply "$file" >/dev/null
    assert_eq "$(json_get "$A" gre1 '.linkinfo.info_data | [.ttl, .ikey, .okey, .icsum, .ocsum]' | jq -c .)" \
        '[255,"0.0.0.42","0.0.0.42",true,true]' "the tunnel as made"
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$file"
    local index
    index=$(ip -n "$A" -j link show gre1 | jq '.[0].ifindex')
    # ttl, key and checksums change with one merging change, on the same device. The
    # declared MTU goes with it: the kernel derives the MTU again when the header changes.
    tunnel_file "ttl 64 key 43 seq" >"$file"
    assert_eq "$(g "$A" apply "$file")" "gretool link set gre1 mtu 1400 type gre nocsum ttl 64 key 43 seq" "the plan"
    assert_eq "$(json_get "$A" gre1 '[.ifindex, .mtu, (.linkinfo.info_data | .ttl, .ikey, .okey, .icsum, .ocsum, .iseq, .oseq)]' | jq -c .)" \
        "[$index,1400,64,\"0.0.0.43\",\"0.0.0.43\",null,null,true,true]" "changed in place"
    # A key removed from the file is gone from the device and from the header; the
    # header 4 bytes shorter leaves the declared MTU as it was.
    tunnel_file "ttl 64 seq" >"$file"
    assert_eq "$(g "$A" apply "$file")" "gretool link set gre1 mtu 1400 type gre nokey" "the plan"
    assert_eq "$(json_get "$A" gre1 '[.ifindex, .mtu, .linkinfo.info_data.ikey, .linkinfo.info_data.okey]' | jq -c .)" "[$index,1400,null,null]" "no key"
    assert_eq "$(ip -n "$A" tunnel show gre1 | grep -c key)" 0 "no key in ip tunnel show"
    # Its routes and address stayed.
    assert_eq "$(ip -n "$A" -j route show 203.0.113.0/24 | jq -r '.[0].dev')" gre1 "the route through it"
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$file"
}

# A tunnel renamed in the file, with --prune: the old one is deleted before the new one
# is made on its endpoints and key (the kernel refuses a second tunnel on them), and the
# route moves with it. The module's fallback devices are the kernel's: state show leaves
# them out, and --prune leaves gre0 alone even with an owner's tag (as an apply that
# declared it left it).
test_prune_renames_a_tunnel_and_never_touches_the_fallback_devices() {
    quiet_pair
    local file
    file=$(mktemp)
    tunnel_file "ttl 64 key 7" >"$file"
    ok g "$A" apply "$file" >/dev/null
    ip -n "$A" link set gre0 alias gretool:47 || fail "no gre0 in the namespace"
    assert_eq "$(g "$A" state show | grep -cE ' (gre0|gretap0|erspan0)( |$)')" 0 "fallback devices in state show"
    sed -i 's/gre1/gre2/g' "$file"
    assert_eq "$(g "$A" apply --prune "$file" | sed -n '1p;2p')" "gretool link delete gre1
gretool link add gre2 mtu 1400 up type gre remote 198.51.100.2 local 198.51.100.1 ttl 64 key 7" "gre1 goes first"
    assert_eq "$(ip -n "$A" -j route show 203.0.113.0/24 | jq -r '.[0].dev')" gre2 "the route, moved"
    assert_eq "$(json_get "$A" gre0 .ifalias)" gretool:47 "gre0 stays"
}

test_gre_to_gretap_is_refused_without_allow_recreate() {
    quiet_pair
    local file
    file=$(mktemp)
    tunnel_file "ttl 64 key 1" >"$file"
    ok g "$A" apply "$file" >/dev/null
    sed -i 's/mode gre /mode gretap /' "$file"
    writes_nothing "$A" refuses 1 'gre1 must be made again.*--allow-recreate' g "$A" apply "$file"
    assert_eq "$(json_get "$A" gre1 .linkinfo.info_kind)" gre "still gre"
    ok g "$A" apply --allow-recreate "$file" >/dev/null
    assert_eq "$(json_get "$A" gre1 .linkinfo.info_kind)" gretap "made again"
    assert_eq "$(ip -n "$A" -j route show 203.0.113.0/24 | jq -r '.[0].dev')" gre1 "its route is back"
    assert_eq "$(ip -n "$A" -j addr show gre1 | jq -r '.[0].addr_info[] | select(.family == "inet") | .local')" 10.0.0.1 "its address too"
}

# The seed guide's site A (lib.sh's seed_guide_batch) as an apply file: what must exist,
# with the ECMP route in place of the single route it replaces.
site_a_apply_file() { seed_guide_batch | grep -v '^route \(add\|del\) 203.0.113.0/24 dev gre1$'; }

# What the two are compared on: every route, rule, nexthop, address and GRE option, with
# what only apply adds (its owner's protocol, the links' tag) and what differs by
# nature left out: indexes, MACs, link-local addresses, the order of the dumps (the
# kernel lists each device's routes in the order the devices were made) and a tunnel's
# min_mtu/max_mtu (set for one `ip tunnel add` makes by ioctl, 0 for one made by netlink).
site_state() {
    local ns=$1
    {
        ip -n "$ns" -j route show table all; ip -n "$ns" -j -6 route show table all
        ip -n "$ns" -j rule show; ip -n "$ns" -j nexthop show
        ip -n "$ns" -j addr show; ip -n "$ns" -d -j link show type gre
    } | jq -cS --slurp '
        def clean: map(select((.dst // "" | test("^fe80:")) | not))
            | map(if .protocol == "47" or .protocol == "boot" then del(.protocol) else . end)
            | map(if has("addr_info") then {ifname, mtu, flags, addr: [.addr_info[] | select(.scope != "link" or .family == "inet") | del(.valid_life_time, .preferred_life_time)]} else . end)
            | map(del(.address, .broadcast, .ifindex, .link_index, .ifalias, .min_mtu, .max_mtu));
        map(clean | sort)'
}

test_the_seed_guides_site_a_as_an_apply_file() {
    read -r I G < <(make_namespaces ip gt)
    local file batch
    file=$(mktemp); batch=$(mktemp)
    site_a_apply_file >"$file"; seed_guide_batch >"$batch"
    ip -n "$I" -batch "$batch" || fail "ip -batch failed"
    ok g "$G" apply "$file" >/dev/null
    local want got
    want=$(site_state "$I"); got=$(site_state "$G")
    [[ $got == "$want" ]] || fail "the kernel state apply left differs from ip's:
$(diff <(jq . <<<"$want") <(jq . <<<"$got") | head -40)"
    # And apply sees ip's state as its own, but for the owner's marks.
    local plan
    plan=$(g "$I" apply --dry-run "$file" | grep -v '^#')
    [[ -z $(grep -v ' alias gretool:47$\| proto 47\| protocol 47' <<<"$plan") ]] || fail "more than ownership differs: $plan"
}

# Namespace $1 reflects keepalives as a Linux peer does (LAB.md).
answer_as_a_linux_peer() {
    in_ns "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.accept_local=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
}

test_confirm_by_probe_commits_with_a_reflecting_peer_and_rolls_back_without() {
    quiet_pair
    answer_as_a_linux_peer "$B"
    ip -n "$B" -b - <<EOF || fail "cannot make B's tunnel"
tunnel add gre1 mode gre local 198.51.100.2 remote 198.51.100.1 ttl 64
link set gre1 up
addr add 10.0.0.2/30 dev gre1
EOF
    local file
    file=$(mktemp)
    { tunnel_file "ttl 64"; echo "keepalive watch gre1 interval 1 retries 3"; } >"$file"
    local rc
    g "$A" apply --confirm-by-probe --confirm 5 --detailed-exitcode --keepalive-file "$TMPDIR/keepalive.conf" "$file" >/dev/null; rc=$?
    assert_eq "$rc" 3 "committed with changes"
    assert_eq "$(json_get "$A" gre1 .linkinfo.info_kind)" gre "the tunnel stays"
    # The peer stops reflecting: the next change is taken back.
    in_ns "$B" sysctl -qw net.ipv4.conf.all.accept_local=0 net.ipv4.conf.gre1.accept_local=0
    local before
    before=$(site_state "$A")
    echo "route add 192.0.2.0/24 via 10.0.0.2 dev gre1" >>"$file"
    g "$A" apply --confirm-by-probe --confirm 2 --detailed-exitcode --keepalive-file "$TMPDIR/keepalive.conf" "$file" >/dev/null 2>&1; rc=$?
    assert_eq "$rc" 4 "applied, then rolled back"
    assert_eq "$(ip -n "$A" route show 192.0.2.0/24)" "" "the route is taken back"
    assert_eq "$(site_state "$A")" "$before" "the state as before"
}

# A keepalive stanza goes to the keepalive service's file, as a line of apply's own
# (a line of someone else's stays as it is), and the running watcher reads the file
# again: the tunnel is watched; the stanza taken out, it is not any more.
test_keepalive_stanzas_go_to_the_file_the_running_watcher_reads() {
    quiet_pair
    export GRETOOL_RUNTIME_DIR=$TMPDIR/run
    mkdir -p "$GRETOOL_RUNTIME_DIR"
    local conf=$TMPDIR/keepalive.conf file
    file=$(mktemp)
    echo "local 198.51.100.1 remote 198.51.100.9 key 99 interval 5 # by hand" >"$conf"
    local hand
    hand=$(cat "$conf")
    "$GRETOOL" -n "$A" keepalive watch -f "$conf" >"$TMPDIR/watcher.log" 2>&1 &
    local watcher=$!
    wait_until 10 g "$A" keepalive status >/dev/null || fail "the watcher did not start: $(cat "$TMPDIR/watcher.log")"
    { tunnel_file "ttl 64 key 5"; echo 'keepalive watch gre1 interval 1 action none on-down "echo $TUNNEL down"'; } >"$file"
    # A dry run plans the line and writes nothing.
    g "$A" apply --dry-run --keepalive-file "$conf" "$file" | grep -qxF "# $conf: add gre1 interval 1 action none on-down \"echo \$TUNNEL down\"" ||
        fail "the dry run's plan: $(g "$A" apply --dry-run --keepalive-file "$conf" "$file")"
    assert_eq "$(cat "$conf")" "$hand" "the file after the dry run"
    ok g "$A" apply --keepalive-file "$conf" "$file" >"$TMPDIR/plan"
    grep -q "^# $conf: read again by the watcher $watcher$" "$TMPDIR/plan" || fail "the watcher was not told: $(cat "$TMPDIR/plan")"
    assert_eq "$(cat "$conf")" "$hand
gre1 interval 1 action none on-down \"echo \$TUNNEL down\" # gretool:47" "the file"
    wait_until 10 g "$A" keepalive status gre1 >/dev/null || fail "gre1 is not watched after the reload: $(cat "$TMPDIR/watcher.log")"
    assert_eq "$(g "$A" state show --keepalive-file "$conf" gre1 | tail -1)" \
        "keepalive watch gre1 interval 1 action none on-down 'echo \$TUNNEL down'" "state show's stanza"
    # Again: nothing to do.
    local rc
    g "$A" apply --detailed-exitcode --keepalive-file "$conf" "$file" >/dev/null; rc=$?
    assert_eq "$rc" 0 "the second apply's status"
    # A confirmed change not confirmed: the file comes back as it was, and the watcher reads it again.
    local written
    written=$(cat "$conf")
    sed -i 's/interval 1 action none/interval 2 action none/' "$file"
    g "$A" apply --confirm 1 --detailed-exitcode --keepalive-file "$conf" "$file" >/dev/null 2>&1; rc=$?
    assert_eq "$rc" 4 "the unconfirmed apply's status"
    assert_eq "$(cat "$conf")" "$written" "the file after the rollback"
    sed -i 's/interval 2 action none/interval 1 action none/' "$file"
    # The stanza taken out: its line goes, the watcher stops watching gre1.
    sed -i '/^keepalive/d' "$file"
    assert_eq "$(g "$A" -j apply --keepalive-file "$conf" "$file" | jq -c '[.changes[] | [.op, .object, .key]], .keepalive.reloaded')" \
        "[[\"delete\",\"keepalive\",\"gre1\"]]
[$watcher]" "the plan in JSON"
    assert_eq "$(cat "$conf")" "$hand" "the file, as it was"
    wait_until 10 bash -c "! \"$GRETOOL\" -n $A keepalive status gre1 >/dev/null 2>&1" || fail "gre1 is still watched"
    kill "$watcher"
    wait "$watcher"
}
