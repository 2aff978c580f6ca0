# Keepalives on this machine's kernel (no GRE here): explicit targets, watched from
# namespace A, answered by gretool's user-space responder in namespace B over veth.

# Background processes run gretool itself (not through the g function, whose subshell
# would take the signals meant for gretool).

# Starts the responder in namespace $1 (extra words after), output in $2; waits until it is ready.
start_responder() {
    local ns=$1 log=$2; shift 2
    "$GRETOOL" -n "$ns" keepalive respond timeout 60 "$@" >"$log" 2>&1 &
    wait_until 5 grep -q -e "responding to" -e '"event":"ready"' "$log" || fail "responder did not start: $(cat "$log")"
}

# Seconds since the epoch of an RFC 3339 timestamp.
epoch() { date -d "$1" +%s.%N; }

# Waits up to $2 seconds for a JSON line of state $3 in log $1; prints its timestamp.
wait_state() {
    local log=$1 limit=$2 state=$3 line
    wait_until "$limit" grep -q "\"event\":\"state\".*\"state\":\"$state\"" "$log" || return 1
    line=$(grep "\"event\":\"state\".*\"state\":\"$state\"" "$log" | tail -1)
    jq -r .timestamp <<<"$line"
}

test_watch_goes_down_within_the_retry_window_and_comes_back() {
    veth_pair
    local dir; dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
    "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 interval 0.2 retries 3 -j >"$dir/watch" 2>"$dir/err" &
    local watcher=$!
    wait_state "$dir/watch" 5 up >/dev/null || fail "never up: $(cat "$dir/watch" "$dir/err")"
    # Cut the path, then restore it.
    local cut down took
    cut=$EPOCHREALTIME
    ipn "$B" link set vb down
    down=$(wait_state "$dir/watch" 5 down) || fail "never down after the cut: $(cat "$dir/watch")"
    took=$(awk -v a="$cut" -v b="$(epoch "$down")" 'BEGIN { printf "%.3f", b - a }')
    # interval x (retries + 1) + one interval
    awk -v t="$took" 'BEGIN { exit !(t <= 1.0) }' || fail "down ${took}s after the cut (limit 1.0 s)"
    local ups; ups=$(grep -c '"state":"up"' "$dir/watch")
    ipn "$B" link set vb up
    wait_until 5 lines_at_least $((ups + 1)) '"event":"state".*"state":"up"' "$dir/watch" ||
        fail "not up again after the path was restored: $(cat "$dir/watch")"
    # The counters tell the story: keepalives were sent and answered, some missed.
    local last; last=$(grep '"event":"state"' "$dir/watch" | tail -1)
    [[ $(jq '.sent > .received and .received > 0 and .missed == 0' <<<"$last") == true ]] || fail "counters: $last"
    kill -TERM "$watcher"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status after SIGTERM"
    [[ ! -s $dir/err ]] || fail "watch wrote to stderr: $(cat "$dir/err")"
}

# A peer behind a NAT, as a MikroTik is: its keepalives carry its private address
# inside (10.0.0.1), the NAT its public one outside (198.51.100.1). The responder
# answers them only with `accept nat`, back along their path, and the NAT's
# connection tracking gives the reply to the peer.
test_respond_answers_a_peer_behind_nat_only_with_accept_nat() {
    command -v iptables >/dev/null || { echo "iptables is not installed (scripts/deps.sh installs it)"; exit 77; }
    read -r A N B < <(make_namespaces a n b)
    ip link add va netns "$A" type veth peer name vn netns "$N" || fail "cannot create veth pair"
    ip link add vo netns "$N" type veth peer name vb netns "$B" || fail "cannot create veth pair"
    ipn "$A" addr add 10.0.0.1/24 dev va && ipn "$A" link set va up && ipn "$A" route add default via 10.0.0.254
    ipn "$N" addr add 10.0.0.254/24 dev vn && ipn "$N" link set vn up
    ipn "$N" addr add 198.51.100.1/24 dev vo && ipn "$N" link set vo up
    ipn "$B" addr add 198.51.100.2/24 dev vb && ipn "$B" link set vb up
    in_ns "$N" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$N" iptables -t nat -A POSTROUTING -o vo -j MASQUERADE || fail "cannot set up the NAT"
    local dir; dir=$(mktemp -d)
    "$GRETOOL" -n "$A" keepalive watch local 10.0.0.1 remote 198.51.100.2 key 7 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    # Without accept nat: the keepalives reach the responder, which leaves them alone.
    start_responder "$B" "$dir/plain" -v -j
    local plain=$!
    wait_state "$dir/watch" 5 down >/dev/null || fail "never down: $(cat "$dir/watch")"
    grep -q '"state":"up"' "$dir/watch" && fail "up without accept nat: $(cat "$dir/watch")"
    grep -q '"event":"reflected"' "$dir/plain" && fail "reflected without accept nat: $(cat "$dir/plain")"
    in_ns "$N" iptables -t nat -L POSTROUTING -v -n | grep -q '^ *[1-9][0-9]* .*MASQUERADE' ||
        fail "the keepalives did not go through the NAT: $(in_ns "$N" iptables -t nat -L POSTROUTING -v -n)"
    kill -TERM "$plain"; wait "$plain"
    # With it: reflected back to the NAT's address, which gives it to the peer.
    start_responder "$B" "$dir/nat" accept nat -v -j
    wait_state "$dir/watch" 5 up >/dev/null || fail "not up with accept nat: $(cat "$dir/watch" "$dir/nat")"
    local reflected; reflected=$(grep -m1 '"event":"reflected"' "$dir/nat")
    [[ $(jq -c '[.source, .destination, .key, .inner.source, .inner.destination]' <<<"$reflected") == \
        '["198.51.100.1","198.51.100.2",7,"198.51.100.2","10.0.0.1"]' ]] || fail "reflected: $reflected"
    refuses 2 'invalid accept "all"' g "$B" keepalive respond accept all
}

test_probe_exit_codes() {
    veth_pair
    local dir; dir=$(mktemp -d)
    ipn "$A" addr add 2001:db8::1/64 dev va nodad
    ipn "$B" addr add 2001:db8::2/64 dev vb nodad
    # Nobody answers yet: exit 1 with one line on stderr. The host kernel has no GRE:
    # B answers protocol unreachable, which the probe names.
    refuses 1 '^gretool: 198.51.100.2: no reply to 2 keepalives in 0.4 s: the peer answered ICMP protocol unreachable: no tunnel there takes these keepalives' \
        g "$A" keepalive probe local 198.51.100.1 remote 198.51.100.2 count 2 timeout 0.4
    start_responder "$B" "$dir/respond" -v
    ok g "$A" keepalive probe local 198.51.100.1 remote 198.51.100.2 timeout 2 >/dev/null
    local out
    out=$(g "$A" keepalive probe local 198.51.100.1 remote 198.51.100.2 key 42 -j) || fail "keyed probe failed"
    [[ $(jq -r '[.tunnel, .answered, .sent] | map(tostring) | join(" ")' <<<"$out") == "198.51.100.2#42 true 1" ]] || fail "probe -j: $out"
    out=$(g "$A" keepalive probe local 2001:db8::1 remote 2001:db8::2 key 7) || fail "IPv6 probe failed"
    [[ $out == "2001:db8::2#7: answered in "*" ms (1 keepalive sent)" ]] || fail "IPv6 probe: $out"
    # The responder reflected exactly what came, with the keys.
    grep -q 'reflected keepalive 198.51.100.1 -> 198.51.100.2 key 42$' "$dir/respond" || fail "responder: $(cat "$dir/respond")"
    grep -q 'reflected keepalive 2001:db8::1 -> 2001:db8::2 key 7$' "$dir/respond" || fail "responder: $(cat "$dir/respond")"
    refuses 2 'invalid count "0"' g "$A" keepalive probe local 198.51.100.1 remote 198.51.100.2 count 0
}

test_bad_input_is_refused_before_anything_starts() {
    veth_pair
    refuses 1 'cannot watch tunnel "gre9": cannot find device "gre9"' g "$A" keepalive watch gre9
    refuses 2 'va is not a GRE tunnel \(it is a veth link\)' g "$A" keepalive watch va
    refuses 2 'invalid interval "0": expected seconds from 0.1 to 32767' g "$A" keepalive watch va interval 0
    refuses 2 'invalid interval "0.05"' g "$A" keepalive watch va interval 0.05
    refuses 2 'invalid retries "0": expected a number 1..255' g "$A" keepalive watch va retries 0
    refuses 2 'invalid action "bounce": expected routes, link, penalize METRIC or none' g "$A" keepalive watch va action bounce
    refuses 2 'action routes needs tunnel names' g "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 action routes
    refuses 2 'keepalive watch: no tunnel given' g "$A" keepalive watch interval 1
    refuses 1 'cannot probe tunnel "gre9": cannot find device "gre9"' g "$A" keepalive probe gre9
    refuses 2 'va is not a GRE tunnel' g "$A" keepalive respond va timeout 1
    command -v setpriv >/dev/null &&
        refuses 1 '^gretool: keepalive watch needs CAP_NET_RAW \(keepalives\); this process lacks CAP_NET_RAW$' \
            as_nobody "$A" "$GRETOOL" keepalive watch local 198.51.100.1 remote 198.51.100.2
}

test_hooks_run_with_the_tunnel_in_their_environment() {
    veth_pair
    local dir; dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
    # Hooks are not waited for: two run close together (a reply late under load makes
    # the target flap) may append in either order, so each state's line is looked at
    # on its own.
    GRETOOL_SECRET=1 "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 key 5 interval 0.2 retries 2 \
        on-up "env >$dir/env; echo \"\$STATE \$TUNNEL \$REMOTE \$LOCAL\" >>$dir/hooks" \
        on-down "echo \"\$STATE \$TUNNEL \$REMOTE \$LOCAL\" >>$dir/hooks" >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 grep -q '^up ' "$dir/hooks" || fail "on-up did not run: $(cat "$dir/watch")"
    ipn "$A" link set va down
    wait_until 5 grep -q '^down ' "$dir/hooks" || fail "on-down did not run: $(cat "$dir/watch")"
    assert_eq "$(grep -m1 '^up ' "$dir/hooks")" "up 198.51.100.2#5 198.51.100.2 198.51.100.1" "on-up's environment"
    assert_eq "$(grep -m1 '^down ' "$dir/hooks")" "down 198.51.100.2#5 198.51.100.2 198.51.100.1" "on-down's environment"
    # Nothing else of the watcher's environment (GRETOOL_SECRET): the documented
    # variables, PATH, and what the shell sets itself (PWD).
    assert_eq "$(awk -F= '{ print $1 }' "$dir/env" | grep -vx PWD | sort | tr '\n' ' ')" "LOCAL PATH REMOTE STATE TUNNEL " "variables a hook sees"
    grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$dir/env" || fail "hook PATH: $(cat "$dir/env")"
    kill -INT "$watcher"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status after SIGINT"
}

test_one_watcher_many_targets() {
    veth_pair
    local dir; dir=$(mktemp -d)
    # B answers for a whole /24 (AnyIP); A reaches it over the veth.
    ipn "$B" route add local 203.0.113.0/24 dev lo
    ipn "$A" route add 203.0.113.0/24 via 198.51.100.2
    start_responder "$B" "$dir/respond"
    local words=() i
    for i in $(seq 1 200); do words+=(local 198.51.100.1 remote "203.0.113.$i"); done
    "$GRETOOL" -n "$A" keepalive watch "${words[@]}" interval 0.5 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 10 lines_at_least 200 '"state":"up"' "$dir/watch" ||
        fail "$(grep -c '"state":"up"' "$dir/watch") of 200 targets up"
    # Each target is independent: one path cut, only that one goes down.
    ipn "$A" route add blackhole 203.0.113.7/32
    wait_until 5 grep -q '"tunnel":"203.0.113.7","state":"down"' "$dir/watch" || fail "target 7 not down"
    sleep 0.6
    assert_eq "$(grep -c '"state":"down"' "$dir/watch")" 1 "targets down"
    kill -TERM "$watcher"; wait "$watcher"
}

# A watcher's keepalives as they leave: TTL 255 (an explicit target's), where the
# system's default is 64, so the socket's own hop limit is the target's (set once, not
# repeated in each packet's control messages); DF set and identification 0 (a keepalive
# is never fragmented, so the kernel draws no identifier for it).
test_watch_keepalives_on_the_wire_carry_their_ttl_df_and_no_identification() {
    veth_pair
    local dir; dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
    in_ns "$B" tcpdump -i vb -c 3 -w "$dir/capture" -U 'ip proto 47 and src 198.51.100.1' >/dev/null 2>&1 &
    local capture=$!
    wait_until 5 test -s "$dir/capture" || true
    "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 interval 0.1 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 10 bash -c "! kill -0 $capture" || fail "tcpdump saw fewer than 3 keepalives"
    kill -TERM "$watcher"; wait "$watcher"
    # pcap: a 24-byte file header, then for each packet a 16-byte record header and an
    # Ethernet frame (14 bytes) carrying the IPv4 packet.
    local bytes at packet
    read -ra bytes < <(od -An -v -tx1 "$dir/capture" | tr -s ' \n' ' ')
    at=24
    for packet in 1 2 3; do
        local length=$((16#${bytes[at + 8]} + 16#${bytes[at + 9]} * 256)) ip=$((at + 16 + 14))
        # Identification (bytes 4-5), flags and fragment offset (6-7: DF alone), TTL (8).
        assert_eq "${bytes[ip + 4]}${bytes[ip + 5]} ${bytes[ip + 6]}${bytes[ip + 7]} ${bytes[ip + 8]}" "0000 4000 ff" \
            "keepalive $packet: identification, flags, TTL"
        at=$((at + 16 + length))
    done
}

# Started with SIGHUP ignored (nohup), watch, respond and probe go on through a
# hangup; SIGTERM still ends them, watch and respond with exit 0.
test_nohup_survives_a_hangup() {
    veth_pair
    local dir; dir=$(mktemp -d)
    nohup "$GRETOOL" -n "$B" keepalive respond timeout 5 >"$dir/respond" 2>&1 &
    local responder=$!
    wait_until 5 grep -q "responding to" "$dir/respond" || fail "responder did not start: $(cat "$dir/respond")"
    nohup "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 interval 0.2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 grep -q '"state":"up"' "$dir/watch" || fail "never up: $(cat "$dir/watch")"
    nohup "$GRETOOL" -n "$A" keepalive probe local 198.51.100.1 remote 198.51.100.3 count 1 timeout 5 >"$dir/probe" 2>&1 &
    local prober=$!
    sleep 0.2
    kill -HUP "$responder" "$watcher" "$prober"
    sleep 0.5
    kill -0 "$responder" || fail "respond ended on SIGHUP under nohup: $(cat "$dir/respond")"
    kill -0 "$watcher" || fail "watch ended on SIGHUP under nohup: $(cat "$dir/watch")"
    kill -0 "$prober" || fail "probe ended on SIGHUP under nohup: $(cat "$dir/probe")"
    kill -TERM "$responder" "$watcher" "$prober"
    wait "$responder"; assert_eq "$?" 0 "respond exit status after SIGTERM"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status after SIGTERM"
    wait "$prober"; assert_eq "$?" 1 "probe exit status after SIGTERM"
    grep -Eq ' reflected [0-9]+ keepalives?$' "$dir/respond" || fail "respond did not finish cleanly: $(cat "$dir/respond")"
    assert_eq "$(cat "$dir/probe")" "gretool: 198.51.100.3: interrupted after 1 keepalive, no reply" "probe message"
}


# Watchers keep their state files and locks here, per test, not in /run/gretool.
export GRETOOL_RUNTIME_DIR=$TMPDIR/run

# Stand-ins for two tunnels in A: veth k1 and k2 (peers k1p, k2p), up, with 10.0.N.1/30
# and 2001:db8:N::1/64. B answers keepalives for all of 203.0.113.0/24 (AnyIP), so each
# stand-in has a target of its own: 203.0.113.N, whose path `cut N` blackholes in A (the
# kernel refuses the keepalives, which count as lost) and `heal N` restores.
standins() {
    veth_pair
    local n
    for n in 1 2; do
        ipn "$A" link add "k$n" type veth peer name "k${n}p" || fail "cannot create stand-in k$n"
        ipn "$A" link set "k$n" up && ipn "$A" link set "k${n}p" up
        ipn "$A" addr add "10.0.$n.1/30" dev "k$n"
        ipn "$A" addr add "2001:db8:$n::1/64" dev "k$n" nodad
    done
    ipn "$B" route add local 203.0.113.0/24 dev lo
    ipn "$A" route add 203.0.113.0/24 via 198.51.100.2
    dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
}
cut() { ipn "$A" route add blackhole "203.0.113.$1/32"; }
heal() { ipn "$A" route del blackhole "203.0.113.$1/32"; }

# The explicit targets of the stand-ins named (1, 2), each standing for its k device.
standin_targets() {
    local n
    for n in "$@"; do printf '%s ' local 198.51.100.1 remote "203.0.113.$n" tunnel "k$n"; done
}

# Starts a watcher in A over the targets of the stand-ins named, with extra words
# after "--"; its JSON lines go to $dir/watch (appended), its process id to $watcher.
start_watch() {
    local targets=()
    while (($#)) && [[ $1 != -- ]]; do targets+=("$1"); shift; done
    shift
    # shellcheck disable=SC2046
    "$GRETOOL" -n "$A" keepalive watch $(standin_targets "${targets[@]}") interval 0.2 retries 2 -j "$@" >>"$dir/watch" 2>&1 &
    watcher=$!
}

# Whether the watch log has at least $1 events of kind $2 for stand-in $3 whose message matches $4.
events_at_least() { (($(grep "\"event\":\"$2\",\"tunnel\":\"$3\"" "$dir/watch" | grep -c -- "$4") >= $1)); }

# The routes of A this file's tests make and read: 10/8 and 2001:db8::/32, every table.
routes_here() {
    { ip -n "$A" -j route show table all; ip -n "$A" -6 -j route show table all; } |
        jq -cSs '[.[][] | select((.dst | startswith("10.")) or (.dst | startswith("2001:db8")))] | sort_by(.dst, .table, .metric)'
}

# Routes of A as iproute2 shows them: the destination, then gateway and device of each leg.
legs_of() {
    ip -n "$A" -j "$@" | jq -r '.[] | [.dst, (if .nexthops then (.nexthops[] | "\(.gateway // "-") \(.dev)") else "\(.gateway // "-") \(.dev)" end)] | join(" ")'
}

state_files() { find "$GRETOOL_RUNTIME_DIR/keepalive" -name '*.state' 2>/dev/null | sort; }

# Issue 12's first bug: an ECMP route with one leg on each of two watched tunnels. k1
# fails, k2 fails, k1 comes back: the route must come back with k1's legs alone (with
# gateway legs, putting k2's back too made the kernel refuse the route); then k2's join.
test_keepalive_ecmp_over_two_watched_tunnels_gives_back_only_the_legs_of_those_up() {
    standins
    ip -n "$A" -b - <<BATCH || fail "cannot add the ECMP routes"
route add 10.60.0.0/24 nexthop via 10.0.1.2 dev k1 weight 3 nexthop via 10.0.2.2 dev k2
route add 10.61.0.0/24 nexthop dev k1 nexthop dev k2
route add 2001:db8:60::/48 nexthop via 2001:db8:1::2 dev k1 nexthop via 2001:db8:2::2 dev k2
BATCH
    local before; before=$(routes_here)
    start_watch 1 2 --
    wait_until 5 lines_at_least 2 '"event":"state".*"state":"up"' "$dir/watch" || fail "not both up: $(cat "$dir/watch")"
    cut 1
    wait_until 5 events_at_least 1 action k1 withdrew || fail "k1's routes not withdrawn: $(cat "$dir/watch")"
    assert_eq "$(legs_of route show 10.60.0.0/24)" "10.60.0.0/24 10.0.2.2 k2" "k1 down"
    cut 2
    wait_until 5 events_at_least 1 action k2 withdrew || fail "k2's routes not withdrawn: $(cat "$dir/watch")"
    assert_eq "$(legs_of route show 10.60.0.0/24; legs_of -6 route show 2001:db8:60::/48)" "" "both down"
    heal 1
    wait_until 5 events_at_least 1 action k1 restored || fail "k1's routes not restored: $(cat "$dir/watch")"
    ! grep -q '"event":"error"\|failed' "$dir/watch" || fail "errors: $(grep 'error\|failed' "$dir/watch")"
    assert_eq "$(legs_of route show 10.60.0.0/24; legs_of route show 10.61.0.0/24; legs_of -6 route show 2001:db8:60::/48)" \
        "10.60.0.0/24 10.0.1.2 k1
10.61.0.0/24 - k1
2001:db8:60::/48 2001:db8:1::2 k1" "k1 up, k2 down: exactly k1's legs"
    heal 2
    wait_until 5 events_at_least 1 action k2 restored || fail "k2's routes not restored: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$before" "both up: every route as it was"
    assert_eq "$(state_files)" "" "state files when nothing is owed"
    kill -TERM "$watcher"; wait "$watcher"
    assert_eq "$(routes_here)" "$before" "after the watcher stopped"
}

# Issue 12's third bug: kill -9 while down. The state file says what was taken; the
# next watcher takes it over and gives it back when the peer answers, not before; and
# with action none, at once.
test_keepalive_state_survives_kill_9() {
    standins
    ip -n "$A" -b - <<BATCH || fail "cannot add routes"
route add 10.70.0.0/16 via 10.0.1.2 dev k1 metric 5
route add 10.71.0.0/16 nexthop via 10.0.1.2 dev k1 nexthop via 198.51.100.2 dev va
route add 2001:db8:70::/48 via 2001:db8:1::2 dev k1
route add default via 10.0.1.2 dev k1 table 100
BATCH
    local before; before=$(routes_here)
    start_watch 1 --
    wait_until 5 events_at_least 1 state k1 '"up"' || fail "never up: $(cat "$dir/watch")"
    cut 1
    wait_until 5 events_at_least 1 action k1 'withdrew 6 routes' || fail "not withdrawn: $(cat "$dir/watch")"
    local during; during=$(routes_here)
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    [[ -n $(state_files) ]] || fail "no state file after kill -9"
    grep -q '^route \|^legs ' "$(state_files)" || fail "state file: $(cat "$(state_files)")"
    assert_eq "$(routes_here)" "$during" "routes after kill -9"
    # The next watcher takes over; the peer is still silent, so nothing comes back yet.
    start_watch 1 --
    wait_until 5 events_at_least 1 action k1 'taking over from a previous watcher: 6 routes' ||
        fail "state not taken over: $(cat "$dir/watch")"
    wait_until 5 events_at_least 2 state k1 '"down"' || fail "not down after the restart: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$during" "routes while the peer is still silent"
    heal 1
    wait_until 5 events_at_least 1 action k1 restored || fail "not restored when the peer answered: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$before" "routes once the peer answered"
    assert_eq "$(state_files)" "" "state files once everything is back"
    # Again, and this time the next watcher has action none: back at once, peer or not.
    cut 1
    wait_until 5 events_at_least 2 action k1 'withdrew 6 routes' || fail "not withdrawn again: $(cat "$dir/watch")"
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    start_watch 1 -- action none
    wait_until 5 events_at_least 2 action k1 restored || fail "action none did not give back at once: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$before" "routes given back by action none"
    assert_eq "$(state_files)" "" "state files after action none gave back"
    kill -TERM "$watcher"; wait "$watcher"
}

# A second watcher of a tunnel is refused (and so is restoring by hand what a live
# watcher holds); what a dead one left, `keepalive restore` gives back.
test_keepalive_one_watcher_per_tunnel_and_restore_by_hand() {
    standins
    ipn "$A" route add 10.72.0.0/16 via 10.0.1.2 dev k1
    local before; before=$(routes_here)
    start_watch 1 2 --
    wait_until 5 lines_at_least 2 '"event":"state".*"state":"up"' "$dir/watch" || fail "not both up: $(cat "$dir/watch")"
    refuses 1 'k2 is watched by another watcher \(process [0-9]+\)' \
        g "$A" keepalive watch local 198.51.100.1 remote 203.0.113.2 tunnel k2 interval 0.2
    refuses 1 "cannot restore k1: k1 is watched by another watcher \(process $watcher\)" g "$A" keepalive restore k1
    cut 1
    wait_until 5 events_at_least 1 action k1 withdrew || fail "not withdrawn: $(cat "$dir/watch")"
    kill -KILL "$watcher"; wait "$watcher" 2>/dev/null
    local out
    out=$(g "$A" keepalive restore) || fail "restore failed: $out"
    assert_eq "$out" "k1: restored 3 routes" "restore's report"
    assert_eq "$(routes_here)" "$before" "routes restored by hand"
    assert_eq "$(state_files)" "" "state files after restore"
    assert_eq "$(g "$A" keepalive restore k1)" "k1: nothing to restore" "nothing left"
    refuses 2 'keepalive restore takes one tunnel at a time' g "$A" keepalive restore k1 k2
}

# A reload that drops a tunnel gives back what its action took, removes its state file
# and lets go of its lock, so another watcher may take it; a reload that adds a tunnel
# another watcher holds leaves it unwatched, saying so; one target a device.
test_keepalive_reload_gives_back_and_lets_go_of_a_dropped_tunnel() {
    standins
    ipn "$A" route add 10.73.0.0/16 via 10.0.1.2 dev k1
    local before; before=$(routes_here)
    standin_targets 1 >"$dir/conf"
    "$GRETOOL" -n "$A" keepalive watch -f "$dir/conf" interval 0.2 retries 2 -j >>"$dir/watch" 2>&1 &
    watcher=$!
    wait_until 5 events_at_least 1 state k1 '"up"' || fail "never up: $(cat "$dir/watch")"
    cut 1
    wait_until 5 events_at_least 1 action k1 withdrew || fail "not withdrawn: $(cat "$dir/watch")"
    [[ -n $(state_files) ]] || fail "no state file while k1 is down"
    # k1 dropped while down (its peer still silent): everything comes back now.
    standin_targets 2 >"$dir/conf"
    kill -HUP "$watcher"
    wait_until 5 grep -q 'reloaded: 1 added, 1 removed' "$dir/watch" || fail "not reloaded: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$before" "routes once k1 is no longer watched"
    assert_eq "$(state_files)" "" "state files once k1 is no longer watched"
    "$GRETOOL" -n "$A" keepalive watch $(standin_targets 1) interval 0.2 retries 2 action none -j >"$dir/second" 2>&1 &
    local second=$!
    wait_until 5 grep -q '"event":"watch"' "$dir/second" || fail "k1 still locked by the first watcher: $(cat "$dir/second")"
    # Added back to the first watcher while the second holds it: not watched there.
    { standin_targets 2; echo; standin_targets 1; echo; } >"$dir/conf"
    kill -HUP "$watcher"
    wait_until 5 grep -q "not watched: k1 is watched by another watcher (process $second)" "$dir/watch" ||
        fail "k1 taken from another watcher: $(cat "$dir/watch")"
    kill -TERM "$second"; wait "$second"
    # Two targets standing for one device: refused.
    printf '%s\n' "$(standin_targets 1)" "local 198.51.100.1 remote 203.0.113.9 tunnel k1" >"$dir/twice"
    refuses 2 "$dir/twice:2: k1 is acted on by two targets \(line 1 too\)" g "$A" keepalive watch -f "$dir/twice"
    kill -TERM "$watcher"; wait "$watcher"
}

# action penalize: the routes stay, behind a higher metric, while the tunnel is down.
test_keepalive_penalize_keeps_the_only_path() {
    standins
    ipn "$A" route add 10.80.0.0/16 via 10.0.1.2 dev k1 metric 10
    local before; before=$(routes_here)
    start_watch 1 -- action penalize 1000
    wait_until 5 events_at_least 1 state k1 '"up"' || fail "never up: $(cat "$dir/watch")"
    cut 1
    wait_until 5 events_at_least 1 action k1 'penalized 3 routes (metric +1000)' || fail "not penalized: $(cat "$dir/watch")"
    assert_eq "$(ip -n "$A" -j route show 10.80.0.0/16 | jq -r '.[] | "\(.metric) \(.dev)"')" "1010 k1" "penalized route"
    assert_eq "$(ip -n "$A" -j route show 10.0.1.0/30 | jq -r '.[] | "\(.metric) \(.dev)"')" "1000 k1" "penalized connected route"
    assert_eq "$(ip -n "$A" -6 -j route show 2001:db8:1::/64 | jq -r '.[] | "\(.metric) \(.dev)"')" "1256 k1" "penalized IPv6 connected route"
    heal 1
    wait_until 5 events_at_least 1 action k1 restored || fail "not restored: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$before" "routes after the tunnel came back"
    kill -TERM "$watcher"; wait "$watcher"
}

# Least privilege: with only CAP_NET_ADMIN and CAP_NET_RAW, as the systemd units leave
# it, the watcher withdraws a tunnel's routes and puts them back, and the responder
# answers with CAP_NET_RAW alone; without them each refuses to start, in one line
# naming what it lacks, and nothing changes.
test_watch_and_respond_with_only_their_capabilities() {
    command -v setpriv >/dev/null || { echo "no setpriv"; exit 77; }
    # A stand-in as standins makes it, but answered by a responder of this test's own.
    veth_pair
    ipn "$A" link add k1 type veth peer name k1p && ipn "$A" link set k1 up && ipn "$A" link set k1p up
    ipn "$A" addr add 10.0.1.1/30 dev k1
    ipn "$B" route add local 203.0.113.0/24 dev lo
    ipn "$A" route add 203.0.113.0/24 via 198.51.100.2
    dir=$(mktemp -d)
    ipn "$A" route add 10.80.0.0/16 via 10.0.1.2 dev k1
    local before; before=$(routes_here)
    refuses 1 "^gretool: keepalive watch needs CAP_NET_RAW \\(keepalives\\) and CAP_NET_ADMIN \\(tunnels' routes and links\\); this process lacks CAP_NET_ADMIN$" \
        with_only "$A" net_raw "$GRETOOL" keepalive watch $(standin_targets 1)
    refuses 1 '^gretool: keepalive watch needs CAP_NET_RAW \(keepalives\); this process lacks CAP_NET_RAW$' \
        with_only "$A" net_admin "$GRETOOL" keepalive watch local 198.51.100.1 remote 198.51.100.2
    refuses 1 '^gretool: keepalive respond needs CAP_NET_RAW \(keepalives\); this process lacks CAP_NET_RAW$' \
        with_only "$B" "" "$GRETOOL" keepalive respond timeout 1
    assert_eq "$(routes_here)" "$before" "routes after the refusals"
    # ip netns exec and setpriv each become the next program: $! is gretool's process.
    ip netns exec "$B" setpriv --bounding-set -all,+net_raw --inh-caps=-all -- \
        "$GRETOOL" keepalive respond timeout 20 >"$dir/respond" 2>&1 &
    local responder=$!
    wait_until 5 grep -q "responding to" "$dir/respond" || fail "responder did not start: $(cat "$dir/respond")"
    # shellcheck disable=SC2046
    ip netns exec "$A" setpriv --bounding-set -all,+net_admin,+net_raw --inh-caps=-all -- \
        "$GRETOOL" keepalive watch $(standin_targets 1) interval 0.2 retries 2 -j >>"$dir/watch" 2>&1 &
    watcher=$!
    wait_until 5 events_at_least 1 state k1 '"up"' || fail "never up: $(cat "$dir/watch")"
    # Each holds what it was given and nothing more (CAP_NET_ADMIN is bit 12, CAP_NET_RAW 13).
    assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$watcher/status")" 0000000000003000 "the watcher's capabilities"
    assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$responder/status")" 0000000000002000 "the responder's capabilities"
    cut 1
    wait_until 5 events_at_least 1 action k1 withdrew || fail "k1's routes not withdrawn: $(cat "$dir/watch")"
    assert_eq "$(legs_of route show 10.80.0.0/16)" "" "k1's route while down"
    heal 1
    wait_until 5 events_at_least 1 action k1 restored || fail "k1's routes not restored: $(cat "$dir/watch")"
    assert_eq "$(routes_here)" "$before" "routes once k1 is up again"
    ! grep -q '"event":"error"' "$dir/watch" || fail "errors: $(grep '"event":"error"' "$dir/watch")"
    kill -TERM "$watcher" "$responder"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status"
    wait "$responder"; assert_eq "$?" 0 "respond exit status"
}
