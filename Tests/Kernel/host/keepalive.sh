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
    refuses 2 'invalid action "bounce": expected routes, link or none' g "$A" keepalive watch va action bounce
    refuses 2 'action routes needs tunnel names' g "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 action routes
    refuses 2 'keepalive watch: no tunnel given' g "$A" keepalive watch interval 1
    refuses 1 'cannot probe tunnel "gre9": cannot find device "gre9"' g "$A" keepalive probe gre9
    refuses 2 'va is not a GRE tunnel' g "$A" keepalive respond va timeout 1
    command -v setpriv >/dev/null &&
        refuses 1 'cannot open a raw GRE socket: Operation not permitted; this needs root \(CAP_NET_RAW\)' \
            as_nobody "$A" "$GRETOOL" keepalive watch local 198.51.100.1 remote 198.51.100.2
}

test_hooks_run_with_the_tunnel_in_their_environment() {
    veth_pair
    local dir; dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
    # Hooks are not waited for: two run close together (a reply late under load makes
    # the target flap) may append in either order, so each state's line is looked at
    # on its own.
    "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 key 5 interval 0.2 retries 2 \
        on-up "echo \"\$STATE \$TUNNEL \$REMOTE \$LOCAL\" >>$dir/hooks" \
        on-down "echo \"\$STATE \$TUNNEL \$REMOTE \$LOCAL\" >>$dir/hooks" >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 grep -q '^up ' "$dir/hooks" || fail "on-up did not run: $(cat "$dir/watch")"
    ipn "$A" link set va down
    wait_until 5 grep -q '^down ' "$dir/hooks" || fail "on-down did not run: $(cat "$dir/watch")"
    assert_eq "$(grep -m1 '^up ' "$dir/hooks")" "up 198.51.100.2#5 198.51.100.2 198.51.100.1" "on-up's environment"
    assert_eq "$(grep -m1 '^down ' "$dir/hooks")" "down 198.51.100.2#5 198.51.100.2 198.51.100.1" "on-down's environment"
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
