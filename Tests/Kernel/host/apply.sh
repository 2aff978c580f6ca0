# gretool apply and state on this machine's kernel: veth, bridge and vxlan links,
# addresses, routes (ECMP too), nexthop objects and rules. GRE tunnels are the lab's
# (Tests/Kernel/lab/apply.sh). Each test reads the kernel back with ip.

repository=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

# A declared state over a veth underlay, in batch words.
site_file() {
    cat <<'EOF'
# the underlay, a bridge and a vxlan over it
link add eth0 type veth peer name eth0-p
link set eth0 up
link set eth0-p up
address add 198.51.100.1/24 dev eth0
link add br0 type bridge stp_state 1
link set br0 up mtu 1400
link add vx0 type vxlan id 42 local 198.51.100.1 dstport 4789 dev eth0
address add 192.0.2.1/25 dev br0
route add 203.0.113.0/24 via 198.51.100.2 dev eth0
route add 10.20.0.0/16 nexthop via 198.51.100.2 dev eth0 weight 2 nexthop via 198.51.100.3 dev eth0
route add 2001:db8:20::/48 dev br0
nexthop add id 1 via 198.51.100.2 dev eth0
nexthop add id 2 via 198.51.100.3 dev eth0
nexthop add id 10 group 1/2
route add 10.30.0.0/16 nhid 10 table 100
rule add from 192.0.2.0/25 table 100
EOF
}

# The kernel state apply manages, as ip reads it (link indexes, MACs and a bridge's
# running timers left out).
kernel_state() {
    local ns=$1
    {
        ip -n "$ns" -d -j link show
        ip -n "$ns" -j addr show
        ip -n "$ns" -j route show table all
        ip -n "$ns" -j -6 route show table all
        ip -n "$ns" -j rule show
        ip -n "$ns" -j -6 rule show
        ip -n "$ns" -j nexthop show
    } | jq -cS --slurp 'map(map(del(.address, .broadcast, .ifindex, .link_index, .link, .addr_info?[]?.valid_life_time?,
            .addr_info?[]?.preferred_life_time?, .linkinfo?.info_data?.gc_timer?, .linkinfo?.info_data?.hello_timer?,
            .linkinfo?.info_data?.tcn_timer?, .linkinfo?.info_data?.topology_change_timer?)))'
}

# Whether namespace $1 has no route to prefix $2 (for wait_until).
no_route() { [[ -z $(ip -n "$1" route show "$2") ]]; }

test_apply_makes_the_declared_state_then_writes_nothing() {
    read -r A < <(quiet_namespaces a)
    local file
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    assert_eq "$(ip -n "$A" -j route show 10.20.0.0/16 | jq -c '[.[0].protocol, [.[0].nexthops[] | .gateway, .weight]]')" \
        '["47",["198.51.100.2",2,"198.51.100.3",1]]' "the ECMP route, owned"
    assert_eq "$(ip -n "$A" -j route show table 100 | jq -c '[.[0].dst, .[0].nhid]')" '["10.30.0.0/16",10]' "route through the group"
    assert_eq "$(ip -n "$A" -j nexthop show id 10 | jq -c '[.[0].group[].id]')" '[1,2]' "the group"
    assert_eq "$(ip -n "$A" -j rule show | jq -c '[.[] | select(.table == "100") | .src]')" '["192.0.2.0"]' "the rule"
    assert_eq "$(json_get "$A" br0 '[.mtu, .linkinfo.info_data.stp_state, .ifalias]' | jq -c .)" '[1400,1,"gretool:47"]' "the bridge"
    assert_eq "$(json_get "$A" vx0 '[.linkinfo.info_data.id, .linkinfo.info_data.port]' | jq -c .)" '[42,4789]' "the vxlan"
    assert_eq "$(ip -n "$A" -j link show eth0-p | jq -r '.[0].flags | index("UP") != null')" true "the veth's peer is up"
    # The second run: no write, exit 0 even with --detailed-exitcode, one dump per kind.
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$file"
    local report
    report=$(g "$A" -j apply "$file")
    assert_eq "$(jq -c '[.status, .dumps, .writes, (.changes | length)]' <<<"$report")" '["in state",5,0,0]' "the second run's report"
}

# Found by fuzzing: apply left out of its plan the route words it did not compare
# (realms, the encapsulation, six metrics), so the route was made without them and
# changed again on every run. Every word is applied as ip makes it, then nothing is written.
test_every_route_word_is_applied_as_ip_makes_it_then_nothing_is_written() {
    read -r A B < <(quiet_namespaces a b)
    local lines file
    lines='link add eth0 type veth peer name eth0-p
link set eth0 up
link set eth0-p up
address add 198.51.100.1/24 dev eth0
route add 10.21.0.0/16 via 198.51.100.2 dev eth0 realms 3/7 rtt 80 rttvar lock 40 rto_min 5 quickack 1 fastopen_no_cookie 1 features ecn congctl lock cubic encap ip id 5 dst 198.51.100.9 key
route add 10.22.0.0/16 nexthop via 198.51.100.2 dev eth0 weight 2 realms 7 nexthop via 198.51.100.3 dev eth0 encap ip id 9 dst 198.51.100.4
nexthop add id 4 via 198.51.100.2 dev eth0 encap ip id 7 dst 198.51.100.5
route add 10.23.0.0/16 nhid 4
rule add from 192.0.2.0/25 tun_id 5 realms 2/4 lookup 100'
    file=$(mktemp); printf '%s\n' "$lines" >"$file"
    ok g "$A" apply "$file" >/dev/null
    ip -n "$B" -batch - <<<"$lines" || fail "ip refuses the lines"
    local ns state=()
    for ns in "$A" "$B"; do
        state+=("$({
            ip -n "$ns" -d -j route show table main
            ip -n "$ns" -d -j nexthop show
            ip -n "$ns" -j rule show
        } | jq -cS --slurp 'map(map(del(.protocol) | if .nh_info then del(.nh_info.protocol) else . end))')")
    done
    assert_eq "${state[0]}" "${state[1]}" "the routes, nexthop and rule as ip makes them"
    assert_eq "$(ip -n "$A" -j route show 10.21.0.0/16 | jq -c '[.[0].flow, .[0].encap, .[0].id]')" '[{"from":"3","to":"7"},"ip",5]' "realms and encap read back"
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$file"
}

# Found by fuzzing: apply kept of a vxlan link only its id, endpoints, device, port,
# ttl, tos and learning (of a bridge, seven timers and flags), so the link was made
# without the rest and never compared again. Every word is applied as ip makes it, then
# nothing is written; the words apply cannot compare are refused by name.
test_every_link_kind_word_is_applied_as_ip_makes_it_then_nothing_is_written() {
    read -r A B < <(quiet_namespaces a b)
    local lines file
    lines='link add eth0 type veth peer name eth0-p
link set eth0 up
link add vx0 type vxlan id 42 local 198.51.100.1 dstport 4789 dev eth0 df set ageing 600 maxaddress 100 srcport 1000 2000 proxy l2miss l3miss noudpcsum
link add vx1 type vxlan external vnifilter dstport 4790
link add vx6 type vxlan id 43 local 2001:db8::1 dstport 4791 flowlabel 5 udp6zerocsumtx
link add br0 type bridge mcast_snooping 0 mcast_querier 1 mcast_igmp_version 3 mcast_query_interval 10000'
    file=$(mktemp); printf '%s\n' "$lines" >"$file"
    ok g "$A" apply "$file" >/dev/null
    ip -n "$B" -batch - <<<"$lines" || fail "ip refuses the lines"
    local ns state=()
    for ns in "$A" "$B"; do
        state+=("$(ip -n "$ns" -d -j link show | jq -cS 'map(select(.linkinfo.info_kind == "vxlan" or .linkinfo.info_kind == "bridge")
            | [.ifname, (.linkinfo.info_data | del(.bridge_id, .root_id, .gc_timer, .hello_timer, .tcn_timer, .topology_change_timer))])')")
    done
    assert_eq "${state[0]}" "${state[1]}" "the vxlan and bridge options as ip makes them"
    assert_eq "$(json_get "$A" vx1 '[.linkinfo.info_data.external, .linkinfo.info_data.vnifilter]' | jq -c .)" '[true,true]' "external read back"
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$file"
    echo 'link add br1 type bridge fdb_flush' >"$file"
    writes_nothing "$A" refuses 2 'does not manage "fdb_flush" of bridge links' g "$A" apply "$file"
}

test_a_hand_deleted_route_comes_back_with_a_one_line_plan() {
    read -r A < <(quiet_namespaces a)
    local file
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    ip -n "$A" route del 203.0.113.0/24
    local plan rc
    plan=$(g "$A" apply --dry-run --detailed-exitcode "$file"); rc=$?
    assert_eq "$rc" 3 "dry run with changes needed"
    assert_eq "$plan" "gretool route add 203.0.113.0/24 proto 47 via 198.51.100.2 dev eth0" "the plan"
    assert_eq "$(ip -n "$A" route show 203.0.113.0/24)" "" "a dry run changes nothing"
    ok g "$A" apply "$file" >/dev/null
    assert_eq "$(ip -n "$A" -j route show 203.0.113.0/24 | jq -r '.[0].gateway')" 198.51.100.2 "the route is back"
}

test_prune_deletes_only_the_owners_objects_and_reports_the_others() {
    read -r A < <(quiet_namespaces a)
    local file smaller
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    ip -n "$A" route add 10.99.0.0/24 via 198.51.100.2 proto static
    ip -n "$A" route add 10.98.0.0/24 via 198.51.100.2
    smaller=$(mktemp); grep -v '^route add 203.0.113.0/24\|^rule' "$file" >"$smaller"
    # Without --prune nothing is deleted.
    assert_eq "$(g "$A" apply --dry-run "$smaller" | grep -v '^#')" "" "no plan without --prune"
    local out
    out=$(g "$A" apply --prune "$smaller") || fail "apply --prune failed"
    grep -qx "gretool route delete 203.0.113.0/24 proto 47" <<<"$out" || fail "the owned route was not deleted: $out"
    grep -q "^gretool rule delete from 192.0.2.0/25 pref [0-9]* lookup 100 protocol 47$" <<<"$out" || fail "the owned rule: $out"
    grep -qx "# drift: route 10.99.0.0/24: not in the file, and not apply's (protocol static): left alone" <<<"$out" \
        || fail "the static route is not reported: $out"
    assert_eq "$(ip -n "$A" route show 203.0.113.0/24)" "" "the owned route is gone"
    assert_eq "$(ip -n "$A" -j route show 10.99.0.0/24 | jq -r '.[0].protocol')" static "the static route stays"
    assert_eq "$(ip -n "$A" -j route show 10.98.0.0/24 | jq -r '.[0].protocol // "boot"')" boot "the boot route stays"
    assert_eq "$(g "$A" -j apply --prune --dry-run "$smaller" | jq -c '[.drift[] | select(.object == "route") | .key]')" \
        '["10.98.0.0/24","10.99.0.0/24"]' "the drift, as JSON"
}

test_a_refused_line_leaves_the_state_as_it_was() {
    read -r A < <(quiet_namespaces a)
    local file changed
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    local before
    before=$(kernel_state "$A")
    # Changes of every kind, then a gateway no device reaches: the kernel refuses it last.
    changed=$(mktemp)
    sed -e 's/mtu 1400/mtu 1300/; s/stp_state 1/stp_state 0/; s/weight 2/weight 3/; s#^nexthop add id 10 group 1/2#nexthop add id 10 group 1,2/2#' "$file" >"$changed"
    cat >>"$changed" <<'EOF'
link add br9 type bridge
link set br9 up
address add 10.40.0.1/24 dev br9
route add 10.41.0.0/24 via 10.40.0.9 dev br9
rule add from 10.41.0.0/24 table 300
route add 10.50.0.0/24 via 192.0.2.200 dev eth0
EOF
    local report rc
    report=$(g "$A" -j apply "$changed" 2>/dev/null); rc=$?
    assert_eq "$rc" 1 "exit status of a refused apply"
    assert_eq "$(jq -r '.failed.command' <<<"$report")" "gretool route add 10.50.0.0/24 proto 47 via 192.0.2.200 dev eth0" "what failed"
    assert_eq "$(jq -c '[.status, .rollback.verified, .rollback.failures]' <<<"$report")" '["failed",true,[]]' "the rollback"
    assert_eq "$(jq '.writes' <<<"$report")" 8 "the writes before the refusal"
    assert_eq "$(kernel_state "$A")" "$before" "the kernel's state against the one before"
    refuses 1 'route add 10.50.0.0/24.*rolled back \(verified' g "$A" apply "$changed"
}

test_state_show_is_an_apply_file_in_both_forms() {
    read -r A B < <(quiet_namespaces a b)
    local file text json
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    text=$(mktemp); json=$(mktemp)
    g "$A" state show >"$text" || fail "state show failed"
    g "$A" -j state show >"$json" || fail "state show -j failed"
    jq -e '.links and .routes and .rules and .nexthops and .addresses' "$json" >/dev/null || fail "not a state document: $(cat "$json")"
    # Applied back: nothing to do, in either form.
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$text"
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$json"
    # Applied elsewhere: the same state, and the same state show.
    ok g "$B" apply "$json" >/dev/null
    assert_eq "$(g "$B" state show)" "$(cat "$text")" "state show after applying the JSON elsewhere"
    assert_eq "$(ip -n "$B" -j route show table all | jq -c 'map(select(.protocol != "kernel")) | map(del(.flags))')" \
        "$(ip -n "$A" -j route show table all | jq -c 'map(select(.protocol != "kernel")) | map(del(.flags))')" "routes"
}

test_files_that_declare_nothing_or_say_it_wrong_send_nothing() {
    read -r A < <(quiet_namespaces a)
    local file
    file=$(mktemp); site_file >"$file"
    echo "route del 203.0.113.0/24" >>"$file"
    writes_nothing "$A" refuses 2 ':18: "route del" declares nothing' g "$A" apply "$file"
    site_file >"$file"; echo "route add 10.0.0.0/8 dev nosuchdev" >>"$file"
    writes_nothing "$A" refuses 2 ':18: cannot find device "nosuchdev"' g "$A" apply "$file"
    echo '{"links": [{"ifname": "x", "colour": 1}]}' >"$file"
    writes_nothing "$A" refuses 2 'links\[0\]: unknown key "colour"' g "$A" apply "$file"
    echo '{"routes": [' >"$file"
    writes_nothing "$A" refuses 2 'JSON: .* at byte' g "$A" apply "$file"
    refuses 2 'apply: no file given' g "$A" apply
}

test_link_attributes_and_kind_options_change_in_place() {
    read -r A < <(quiet_namespaces a)
    local file
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    local index
    index=$(ip -n "$A" -j link show br0 | jq '.[0].ifindex')
    sed -i 's/stp_state 1/stp_state 0 priority 100/; s/link set br0 up mtu 1400/link set br0 mtu 1300 txqueuelen 500/' "$file"
    echo "link set br0 down" >>"$file"
    local plan
    plan=$(g "$A" apply "$file") || fail "apply failed"
    assert_eq "$plan" "gretool link set br0 type bridge stp_state 0 priority 100
gretool link set br0 mtu 1300 txqueuelen 500 down" "the plan"
    assert_eq "$(json_get "$A" br0 '[.ifindex, .mtu, .txqlen, .operstate, .linkinfo.info_data.stp_state, .linkinfo.info_data.priority]' | jq -c .)" \
        "[$index,1300,500,\"DOWN\",0,100]" "the bridge, changed in place"
}

test_a_kind_change_is_refused_without_allow_recreate() {
    read -r A < <(quiet_namespaces a)
    local file
    file=$(mktemp)
    echo "link add t0 type bridge" >"$file"
    ok g "$A" apply "$file" >/dev/null
    local before
    before=$(kernel_state "$A")
    echo "link add t0 type veth peer name t0-p" >"$file"
    writes_nothing "$A" refuses 1 't0 must be made again.*--allow-recreate' g "$A" apply "$file"
    assert_eq "$(g "$A" -j apply --dry-run "$file" | jq -c '[.recreates, [.changes[] | .op]]')" '[["t0"],["delete","add","change"]]' "listed apart"
    assert_eq "$(kernel_state "$A")" "$before" "nothing changed"
    ok g "$A" apply --allow-recreate "$file" >/dev/null
    assert_eq "$(json_get "$A" t0 '.linkinfo.info_kind')" veth "made again as a veth"
}

test_owners_keep_to_their_own_objects() {
    read -r A < <(quiet_namespaces a)
    local mine theirs
    mine=$(mktemp); theirs=$(mktemp)
    printf 'link add d1 type bridge\nlink set d1 up\nroute add 10.61.0.0/24 dev d1\n' >"$mine"
    printf 'link add d2 type bridge\nlink set d2 up\nroute add 10.62.0.0/24 dev d2\n' >"$theirs"
    ok g "$A" apply "$mine" >/dev/null
    ok g "$A" apply --owner 200 "$theirs" >/dev/null
    assert_eq "$(ip -n "$A" -j route show 10.62.0.0/24 | jq -r '.[0].protocol')" 200 "the other owner's protocol"
    assert_eq "$(json_get "$A" d2 .ifalias)" gretool:200 "the other owner's tag"
    # Each prunes only its own: an empty file of the default owner takes d1 and its route.
    : >"$mine"
    ok g "$A" apply --prune "$mine" >/dev/null
    assert_eq "$(ip -n "$A" -o link show d1 2>/dev/null)" "" "d1 pruned"
    assert_eq "$(ip -n "$A" -j route show 10.62.0.0/24 | jq -r '.[0].protocol')" 200 "the other owner's route stays"
    # A link of another owner's is not taken over.
    printf 'link add d2 type bridge\n' >"$mine"
    refuses 1 'd2 belongs to owner 200' g "$A" apply "$mine"
}

test_confirm_rolls_back_when_the_shell_is_killed_and_stays_when_committed() {
    read -r A < <(quiet_namespaces a)
    export RUNTIME_DIRECTORY=$TMPDIR/run
    local file
    file=$(mktemp); site_file >"$file"
    ok g "$A" apply "$file" >/dev/null
    local before
    before=$(kernel_state "$A")
    echo "route add 10.70.0.0/24 via 198.51.100.2 dev eth0" >>"$file"
    # A shell that starts the apply and is killed with it, as an SSH session cut by the change.
    setsid bash -c '"$0" -n "$1" apply --confirm 5 "$2" >/dev/null 2>&1 & sleep 1; kill -9 $! $$' "$GRETOOL" "$A" "$file" 2>/dev/null
    assert_eq "$(ip -n "$A" -j route show 10.70.0.0/24 | jq -r '.[0].dst')" 10.70.0.0/24 "applied, waiting"
    wait_until 6 no_route "$A" 10.70.0.0/24 || fail "not rolled back within 6 s"
    assert_eq "$(kernel_state "$A")" "$before" "the state after the rollback"
    # Confirmed in time, it stays.
    "$GRETOOL" -n "$A" apply --confirm 5 --detailed-exitcode "$file" >/dev/null 2>&1 &
    local apply=$!
    wait_until 3 test -e "$RUNTIME_DIRECTORY/apply/$A-47.journal" || fail "no journal"
    ok g "$A" apply --commit
    wait "$apply"; assert_eq "$?" 3 "the confirmed apply's status"
    sleep 5.5
    assert_eq "$(ip -n "$A" -j route show 10.70.0.0/24 | jq -r '.[0].dst')" 10.70.0.0/24 "committed: it stays"
    refuses 1 'no apply waits for confirmation' g "$A" apply --commit
    # Not confirmed: rolled back, exit 4 with --detailed-exitcode.
    ip -n "$A" route del 10.70.0.0/24
    local rc
    g "$A" apply --confirm 1 --detailed-exitcode "$file" >/dev/null 2>&1; rc=$?
    assert_eq "$rc" 4 "unconfirmed"
    assert_eq "$(ip -n "$A" route show 10.70.0.0/24)" "" "rolled back"
}

# Routes that share a key (`ip route append`), tried in order. Namespace $1 gets veth
# va/vb up with 198.51.100.1/24 on va, and the routes of 10.17.0.0/16 via the
# gateways given as .N (the owner's, protocol 47) or .N:static (someone else's), in order.
key_routes() {
    local ns=$1 gateway; shift
    ip -n "$ns" link add va type veth peer name vb && ip -n "$ns" link set va up && ip -n "$ns" link set vb up
    ip -n "$ns" addr add 198.51.100.1/24 dev va
    for gateway in "$@"; do
        local protocol=47
        [[ $gateway == *:static ]] && protocol=static
        ip -n "$ns" route append 10.17.0.0/16 via "198.51.100${gateway%:static}" proto "$protocol" || fail "cannot append via $gateway"
    done
}

# The routes of 10.17.0.0/16 in namespace $1, in the kernel's order: gateway and protocol.
key_routes_shown() { ip -n "$1" -j route show 10.17.0.0/16 | jq -c 'map([.gateway, .protocol])'; }

# Found last session: --prune deleted the first route of a key only (one run per
# route), and by its key. Every one of the owner's goes in one run, each by its words.
test_prune_deletes_every_owned_route_of_a_key_in_one_run() {
    read -r A < <(quiet_namespaces a)
    key_routes "$A" .2 .3 .4
    ip -n "$A" route append 10.18.0.0/16 via 198.51.100.2 proto 47
    ip -n "$A" route append 10.18.0.0/16 via 198.51.100.3 proto 47
    local empty plan
    empty=$(mktemp)
    plan=$(g "$A" apply --prune "$empty") || fail "apply --prune failed: $plan"
    assert_eq "$plan" "gretool route delete 10.17.0.0/16 proto 47 via 198.51.100.4 dev va
gretool route delete 10.17.0.0/16 proto 47 via 198.51.100.3 dev va
gretool route delete 10.17.0.0/16 proto 47 via 198.51.100.2 dev va
gretool route delete 10.18.0.0/16 proto 47 via 198.51.100.3 dev va
gretool route delete 10.18.0.0/16 proto 47 via 198.51.100.2 dev va" "the plan"
    assert_eq "$(ip -n "$A" route show 10.17.0.0/16)$(ip -n "$A" route show 10.18.0.0/16)" "" "all pruned"
    writes_nothing "$A" g "$A" apply --prune "$empty"
}

# Someone else's route between two of the owner's stays, reported as drift; the routes
# of a key are snapshot in their order, and a rollback puts each back in its place: the
# owner's first one prepended, its last appended, and one between two that stay by
# taking those after it out and appending it and them again. Not confirmed: all back.
test_an_unconfirmed_prune_puts_the_routes_of_a_key_back_in_their_order() {
    read -r A < <(quiet_namespaces a)
    export RUNTIME_DIRECTORY=$TMPDIR/run
    key_routes "$A" .2 .3:static .4 .5:static .6
    ip -n "$A" route append 10.18.0.0/16 via 198.51.100.2 proto 47
    ip -n "$A" route append 10.18.0.0/16 via 198.51.100.3 proto 47
    ip -n "$A" route append 10.18.0.0/16 via 198.51.100.4 proto 47
    local file before out rc
    file=$(mktemp); echo "route add 10.9.0.0/16 via 198.51.100.2 dev va" >"$file"
    ok g "$A" apply "$file" >/dev/null
    before=$(kernel_state "$A")
    out=$(g "$A" apply --prune --confirm 1 --detailed-exitcode "$file" 2>&1); rc=$?
    assert_eq "$rc" 4 "unconfirmed: $out"
    assert_eq "$(grep -c '^gretool route delete' <<<"$out")" 6 "every owned route of both keys: $out"
    grep -qx "# drift: route 10.17.0.0/16: route 2 of 5 of its key (via 198.51.100.3 dev va): not in the file, and not apply's (protocol static): left alone" <<<"$out" \
        || fail "the static route between two of the owner's is not reported: $out"
    grep -q "rolled back (verified" <<<"$out" || fail "the rollback: $out"
    assert_eq "$(key_routes_shown "$A")" '[["198.51.100.2","47"],["198.51.100.3","static"],["198.51.100.4","47"],["198.51.100.5","static"],["198.51.100.6","47"]]' "10.17.0.0/16 in its order"
    assert_eq "$(kernel_state "$A")" "$before" "the state after the rollback"
    # Confirmed, someone else's stay in their order.
    ok g "$A" apply --prune "$file" >/dev/null
    assert_eq "$(key_routes_shown "$A")" '[["198.51.100.3","static"],["198.51.100.5","static"]]' "someone else's routes stay"
    assert_eq "$(ip -n "$A" route show 10.18.0.0/16)" "" "10.18.0.0/16 pruned"
}

# A refusal after the routes of a key were pruned (the deletion of a link that frees a
# route's key runs just before the route that needs it, and the prunes before it):
# the rollback puts them back in their order, and verifies it.
test_a_refusal_after_pruning_routes_of_a_key_puts_them_back_in_their_order() {
    read -r A < <(quiet_namespaces a)
    key_routes "$A" .2 .3:static .4 .5:static .6
    local old new before report
    old=$(mktemp); new=$(mktemp)
    printf '%s\n' 'link add b1 type bridge' 'link set b1 up' 'route add 10.80.0.0/24 dev b1' >"$old"
    # The route moves to b2 through a gateway no device reaches: the kernel refuses it last.
    printf '%s\n' 'link add b2 type bridge' 'link set b2 up' 'route add 10.80.0.0/24 via 192.0.2.200 dev b2' >"$new"
    ok g "$A" apply "$old" >/dev/null
    before=$(key_routes_shown "$A"; ip -n "$A" -j route show 10.80.0.0/24; ip -n "$A" -j link show | jq -c 'map(.ifname)')
    report=$(g "$A" -j apply --prune "$new" 2>/dev/null)
    assert_eq "$(jq -r '.failed.command' <<<"$report")" "gretool route add 10.80.0.0/24 proto 47 via 192.0.2.200 dev b2" "what failed"
    assert_eq "$(jq -c '[.status, .rollback.verified, .rollback.failures, .writes]' <<<"$report")" '["failed",true,[],6]' "the rollback"
    assert_eq "$(key_routes_shown "$A"; ip -n "$A" -j route show 10.80.0.0/24; ip -n "$A" -j link show | jq -c 'map(.ifname)')" \
        "$before" "the routes and links after the rollback"
}

# A pruned link takes its routes with it, some of them sharing a key with routes that
# stay, or with routes of the owner's pruned before it: the rollback makes the link
# again and puts each route back in its place (first of its key, or between two that
# stayed), then the pruned ones in theirs, and verifies it.
test_an_unconfirmed_prune_of_a_link_puts_its_routes_back_among_the_others_of_their_key() {
    read -r A < <(quiet_namespaces a)
    export RUNTIME_DIRECTORY=$TMPDIR/run
    key_routes "$A"
    local old empty before out rc
    old=$(mktemp); empty=$(mktemp)
    printf '%s\n' 'link add b1 type bridge' 'link set b1 up' >"$old"
    ok g "$A" apply "$old" >/dev/null
    ip -n "$A" route append 10.17.0.0/16 via 198.51.100.4 proto 47
    ip -n "$A" route append 10.17.0.0/16 via 198.51.100.2 proto static
    ip -n "$A" route append 10.17.0.0/16 dev b1 proto 47
    ip -n "$A" route append 10.17.0.0/16 via 198.51.100.5 proto 47
    ip -n "$A" route append 10.17.0.0/16 via 198.51.100.3 proto static
    ip -n "$A" route append 10.18.0.0/16 dev b1 proto 47
    ip -n "$A" route append 10.18.0.0/16 via 198.51.100.2 proto static
    before=$(ip -n "$A" -j route show 10.17.0.0/16; ip -n "$A" -j route show 10.18.0.0/16)
    out=$(g "$A" apply --prune --confirm 1 --detailed-exitcode "$empty" 2>&1); rc=$?
    assert_eq "$rc" 4 "unconfirmed: $out"
    grep -qx "gretool link delete b1" <<<"$out" || fail "b1 is not pruned: $out"
    assert_eq "$(grep -c '^gretool route delete 10.17.0.0/16' <<<"$out")" 2 "the owner's routes of 10.17.0.0/16 on va: $out"
    grep -q "rolled back (verified" <<<"$out" || fail "the rollback: $out"
    assert_eq "$(ip -n "$A" -j route show 10.17.0.0/16; ip -n "$A" -j route show 10.18.0.0/16)" "$before" "the routes of both keys, in their order"
}

# A declared route is there when any route of its key is as declared (here the second):
# nothing is written; with --prune the owner's other route of the key goes.
test_a_declared_route_is_found_among_the_routes_of_its_key() {
    read -r A < <(quiet_namespaces a)
    key_routes "$A" .2 .3
    local file
    file=$(mktemp); echo "route add 10.17.0.0/16 via 198.51.100.3 dev va" >"$file"
    writes_nothing "$A" g "$A" apply --detailed-exitcode "$file"
    assert_eq "$(g "$A" apply --prune "$file")" "gretool route delete 10.17.0.0/16 proto 47 via 198.51.100.2 dev va" "the plan"
    assert_eq "$(key_routes_shown "$A")" '[["198.51.100.3","47"]]' "the declared route stays"
    writes_nothing "$A" g "$A" apply --prune --detailed-exitcode "$file"
}

# `state show` of routes that share a key writes the further ones as `route append`
# (JSON: "append": true), and both forms make the same routes in the same order on a
# machine that has none, and write nothing when applied again. On the machine they came
# from, someone else's route among them is taken by deleting the key's routes and making
# them in order; not confirmed, all goes back in its order.
test_routes_that_share_a_key_go_through_state_show_and_back_in_their_order() {
    local A B
    read -r A B < <(quiet_namespaces a b)
    export RUNTIME_DIRECTORY=$TMPDIR/run
    key_routes "$A" .2 .3:static .4
    local text json before out rc
    text=$(mktemp); json=$(mktemp)
    g "$A" state show >"$text" || fail "state show"
    g "$A" -j state show >"$json" || fail "state show -j"
    grep -qx "route append 10.17.0.0/16 via 198.51.100.3 dev va" "$text" || fail "the second route is not appended: $(cat "$text")"
    assert_eq "$(jq -c '[.routes[] | .append // false]' "$json")" '[false,true,true]' "the JSON marks"
    ok g "$B" apply "$text" >/dev/null
    assert_eq "$(key_routes_shown "$B")" '[["198.51.100.2","47"],["198.51.100.3","47"],["198.51.100.4","47"]]' "made in order"
    writes_nothing "$B" g "$B" apply --detailed-exitcode "$text"
    writes_nothing "$B" g "$B" apply --detailed-exitcode "$json"
    before=$(key_routes_shown "$A")
    out=$(g "$A" apply --confirm 1 --detailed-exitcode "$text" 2>&1); rc=$?
    assert_eq "$rc" 4 "unconfirmed: $out"
    grep -qx "# warning: route 10.17.0.0/16: protocol static's, changed as declared: gretool's from now on" <<<"$out" \
        || fail "the static route's taking is not said: $out"
    grep -q "rolled back (verified" <<<"$out" || fail "the rollback: $out"
    assert_eq "$(key_routes_shown "$A")" "$before" "the routes of the key, in their order"
}

# A file that moves a route and a nexthop to a new link and gives a new vxlan the VNI of
# one it drops: with --prune the old link's deletion frees what the additions need, so it
# runs before them (the kernel refuses a second route of the same key, a second nexthop
# of the same id, a second vxlan of the same VNI and port).
test_prune_deletes_what_frees_an_identity_before_adding_what_needs_it() {
    read -r A < <(quiet_namespaces a)
    local old new
    old=$(mktemp); new=$(mktemp)
    printf '%s\n' 'link add b1 type bridge' 'link set b1 up' 'link add vx1 type vxlan id 77 dstport 4790' \
        'route add 10.80.0.0/24 dev b1' 'nexthop add id 80 dev b1' 'route add 10.81.0.0/24 via 192.0.2.9 dev b1 onlink' >"$old"
    printf '%s\n' 'link add b2 type bridge' 'link set b2 up' 'link add vx2 type vxlan id 77 dstport 4790' \
        'route add 10.80.0.0/24 dev b2' 'nexthop add id 80 dev b2' >"$new"
    ok g "$A" apply "$old" >/dev/null
    local plan
    plan=$(g "$A" apply --prune "$new") || fail "apply --prune failed: $plan"
    assert_eq "$plan" "gretool link add b2 up type bridge
gretool link set b2 alias gretool:47
gretool link delete vx1
gretool link add vx2 type vxlan id 77 dstport 4790
gretool link set vx2 alias gretool:47
gretool link delete b1
gretool nexthop add id 80 dev b2 protocol 47
gretool route add 10.80.0.0/24 proto 47 dev b2" "the plan"
    assert_eq "$(ip -n "$A" -j route show 10.80.0.0/24 | jq -r '.[0].dev')" b2 "the route, moved"
    assert_eq "$(ip -n "$A" -j nexthop show id 80 | jq -r '.[0].dev')" b2 "the nexthop, moved"
    assert_eq "$(json_get "$A" vx2 .linkinfo.info_data.id)" 77 "the new vxlan has the VNI"
    assert_eq "$(ip -n "$A" -o link show b1 2>/dev/null)$(ip -n "$A" -o link show vx1 2>/dev/null)" "" "b1 and vx1 pruned"
    writes_nothing "$A" g "$A" apply --prune "$new"
}

# A pruned link that held a group's only member: the kernel deletes the group with the
# member (and the route through it), so apply makes them again, and a second run writes
# nothing. A refusal after the link's deletion rolls back to the group as it was.
test_a_group_whose_only_member_goes_with_a_pruned_link_is_made_again() {
    read -r A < <(quiet_namespaces a)
    local old new
    old=$(mktemp); new=$(mktemp)
    printf '%s\n' 'link add b1 type bridge' 'link set b1 up' 'nexthop add id 1 dev b1' 'nexthop add id 10 group 1' \
        'route add 10.90.0.0/24 nhid 10' >"$old"
    sed 's/b1/b2/g' "$old" >"$new"
    ok g "$A" apply "$old" >/dev/null
    # (A bridge made again has another MAC, and its bridge id with it: the links by name.)
    local before
    before=$(ip -n "$A" -j nexthop show; ip -n "$A" -j route show; ip -n "$A" -j link show | jq -c 'map(.ifname)')
    { cat "$new"; echo 'route add 10.91.0.0/24 via 192.0.2.200 dev b2'; } >"$TMPDIR/refused"
    refuses 1 'rolled back \(verified' g "$A" apply --prune "$TMPDIR/refused"
    assert_eq "$(ip -n "$A" -j nexthop show; ip -n "$A" -j route show; ip -n "$A" -j link show | jq -c 'map(.ifname)')" \
        "$before" "the state after the rollback"
    ok g "$A" apply --prune "$new" >/dev/null
    assert_eq "$(ip -n "$A" -j nexthop show id 10 | jq -c '[.[0].group[].id]')" '[1]' "the group, made again"
    assert_eq "$(ip -n "$A" -j route show 10.90.0.0/24 | jq -c '[.[0].nhid, .[0].dev]')" '[10,"b2"]' "the route through it"
    writes_nothing "$A" g "$A" apply --prune "$new"
}

# The words after a veth's peer name are the peer's: its mtu, queue length and state are
# declared of it (as its own link set line would), and what apply does not manage is
# refused, as on any link; none is dropped.
test_a_veth_peers_words_are_declared_of_the_peer() {
    read -r A < <(quiet_namespaces a)
    local file
    file=$(mktemp)
    echo 'link add p0 mtu 1300 type veth peer name p1 mtu 1400 txqueuelen 7 up' >"$file"
    assert_eq "$(g "$A" apply "$file")" "gretool link add p0 mtu 1300 type veth peer name p1
gretool link set p0 alias gretool:47
gretool link set p1 mtu 1400 txqueuelen 7 up" "the plan"
    assert_eq "$(ip -n "$A" -j link show p1 | jq -c '.[0] | [.mtu, .txqlen, (.flags | index("UP") != null)]')" '[1400,7,true]' "the peer"
    assert_eq "$(ip -n "$A" -j link show p0 | jq -c '.[0].mtu')" 1300 "the link"
    writes_nothing "$A" g "$A" apply "$file"
    echo 'link add q0 type veth peer name q1 address 02:00:00:00:00:01' >"$file"
    writes_nothing "$A" refuses 2 'address is not one of them' g "$A" apply "$file"
}

# The boot unit as make install writes it: systemd's own check passes (warnings
# included), it runs once after the network is up and before the keepalive service, and
# its command applies a directory's *.conf files in name order as one file, the keepalive
# service's keepalive.conf aside; a file taken away is pruned on the next start.
test_the_boot_unit_applies_the_directory_and_passes_systemd_analyze_verify() {
    read -r A < <(quiet_namespaces a)
    local dir; dir=$(mktemp -d)
    make --no-print-directory -C "$repository" install-units DESTDIR= PREFIX="$dir" >/dev/null || fail "make install-units"
    local unit=$dir/lib/systemd/system/gretool-apply.service
    assert_eq "$(grep -E '^(Type|RemainAfterExit|After|Before|ExecStart)=' "$unit")" "After=network-online.target
Before=gretool-keepalive.service
Type=oneshot
RemainAfterExit=yes
ExecStart=$dir/bin/gretool apply --prune /etc/gretool" "the unit's order and command"
    if command -v systemd-analyze >/dev/null; then
        install -D "$GRETOOL" "$dir/bin/gretool"
        local out
        out=$(cd "$dir/lib/systemd/system" && systemd-analyze verify --man=no ./gretool-apply.service 2>&1) ||
            fail "systemd-analyze verify: $out"
        [[ -z $out ]] || fail "systemd-analyze verify warns: $out"
    fi
    local etc=$dir/etc/gretool
    mkdir -p "$etc"
    printf '%s\n' 'link add u0 type bridge' 'link set u0 up' 'address add 198.51.100.1/24 dev u0' >"$etc/10-underlay.conf"
    printf '%s\n' 'route add 203.0.113.0/24 via 198.51.100.2 dev u0' >"$etc/20-routes.conf"
    printf '%s\n' 'gre1 interval 5 retries 3' >"$etc/keepalive.conf"
    printf '%s\n' 'route add 10.1.0.0/16 dev u0' >"$etc/30-off.conf.disabled"
    ok g "$A" apply --prune "$etc" >/dev/null
    assert_eq "$(ip -n "$A" -j route show 203.0.113.0/24 | jq -r '.[0].gateway')" 198.51.100.2 "the second file's route"
    assert_eq "$(ip -n "$A" route show 10.1.0.0/16)" "" "a file not named *.conf is not read"
    writes_nothing "$A" g "$A" apply --prune "$etc"
    rm "$etc/20-routes.conf"
    assert_eq "$(g "$A" apply --prune "$etc")" "gretool route delete 203.0.113.0/24 proto 47" "a file taken away"
    # A path that is not there is no empty directory (which would prune everything), and
    # bad input: exit 2.
    writes_nothing "$A" refuses 2 "cannot open $etc/none: No such file" g "$A" apply --prune "$etc/none"
}

# make install names apply's protocol number in rt_protos.d: ip and gretool both print
# it by that name (seen through a mount namespace, so this machine's /etc stays as it is).
test_make_install_names_the_protocol_for_ip_and_gretool() {
    read -r A < <(quiet_namespaces a)
    local dir; dir=$(mktemp -d)
    make --no-print-directory -C "$repository" install-protocols DESTDIR="$dir" >/dev/null || fail "make install-protocols"
    local names=$dir/etc/iproute2/rt_protos.d
    assert_eq "$(grep -v '^#' "$names/gretool.conf")" "$(printf '47\tgretool')" "the file"
    printf '%s\n' 'link add u0 type bridge' 'link set u0 up' 'route add 10.2.0.0/16 dev u0' >"$dir/file"
    ok g "$A" apply "$dir/file" >/dev/null
    local shown
    # A plan reads the same on every machine: the number, whatever the name.
    printf '%s\n' 'route add 10.3.0.0/16 dev u0' 'nexthop add id 3 dev u0' 'rule add from 10.3.0.0/16 lookup 3 pref 300' >>"$dir/file"
    shown=$(unshare --mount sh -c 'mkdir -p /etc/iproute2/rt_protos.d && mount --bind "$1" /etc/iproute2/rt_protos.d &&
        ip -n "$2" route show 10.2.0.0/16 && "$3" -n "$2" route show 10.2.0.0/16 && "$3" -n "$2" apply --dry-run "$4"' \
        sh "$names" "$A" "$GRETOOL" "$dir/file") || fail "$shown"
    assert_eq "$(sed 's/ *$//' <<<"$shown")" "10.2.0.0/16 dev u0 proto gretool scope link
10.2.0.0/16 dev u0 proto gretool scope link
gretool nexthop add id 3 dev u0 protocol 47
gretool route add 10.3.0.0/16 proto 47 dev u0
gretool rule add from 10.3.0.0/16 pref 300 lookup 3 protocol 47" "ip and gretool name protocol 47; the plan numbers it"
}
