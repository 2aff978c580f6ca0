# keepalive watch as a service, on this machine's kernel: the test plays systemd (a
# notification socket, a journal socket), reloads the configuration file, asks the
# watcher's control socket and reads its metrics. Targets are explicit (no GRE here),
# answered by gretool's responder in namespace B over veth.

repository=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

start_responder() {
    local ns=$1 log=$2; shift 2
    "$GRETOOL" -n "$ns" keepalive respond timeout 60 "$@" >"$log" 2>&1 &
    wait_until 5 grep -q "responding to" "$log" || fail "responder did not start: $(cat "$log")"
}

# Receives datagrams on the Unix socket $1 (a path) until killed, and logs each as a
# line: the monotonic time it came, a tab, its fields joined by "|" (newlines in the
# native journal protocol's binary values are kept as they are, escaped as \n).
listen_datagrams() {
    python3 - "$1" "$2" <<'EOF' &
import os, socket, sys, time
path, log = sys.argv[1], sys.argv[2]
receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
receiver.bind(path)
with open(log, "a", buffering=1) as out:
    while True:
        data = receiver.recv(65536)
        out.write("%.3f\t%s\n" % (time.monotonic(), data.decode(errors="replace").rstrip("\n").replace("\n", "|")))
EOF
    # Not in a namespace of the test's: the runner would not end it.
    trap "kill $! 2>/dev/null" EXIT
    wait_until 5 test -S "$1" || fail "cannot listen at $1"
}

# The monotonic times of the datagrams in log $1 that contain $2.
times_of() { grep -F -- "$2" "$1" | cut -f1; }

test_the_watcher_plays_along_with_systemd() {
    veth_pair
    local dir; dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
    listen_datagrams "$dir/notify" "$dir/notified"
    cat >"$dir/keepalive.conf" <<'EOF'
# one target a line, in the words of the command line
local 198.51.100.1 remote 198.51.100.2   # the peer
EOF
    NOTIFY_SOCKET=$dir/notify WATCHDOG_USEC=400000 GRETOOL_RUNTIME_DIR=$dir/run \
        "$GRETOOL" -n "$A" keepalive watch -f "$dir/keepalive.conf" interval 0.2 metrics-file "$dir/keepalive.prom" \
        >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 5 grep -q 'READY=1' "$dir/notified" || fail "no READY=1: $(cat "$dir/notified" "$dir/watch")"
    compgen -G "$dir/run/keepalive.net-$(stat -L -c %i "/run/netns/$A").$watcher.sock" >/dev/null ||
        fail "no control socket named by the namespace: $(ls "$dir/run")"
    wait_until 5 grep -q 'STATUS=1 up, 0 down$' "$dir/notified" || fail "never 1 up: $(cat "$dir/notified")"
    # WATCHDOG=1 every 0.2 s (half of WATCHDOG_USEC), from the loop: no gap of 0.4 s.
    sleep 1.2
    local pings; pings=$(times_of "$dir/notified" WATCHDOG=1)
    (($(wc -l <<<"$pings") >= 5)) || fail "too few WATCHDOG=1: $(cat "$dir/notified")"
    awk 'NR > 1 && $1 - last > 0.35 { bad = 1 } { last = $1 } END { exit bad }' <<<"$pings" ||
        fail "WATCHDOG=1 late: $pings"

    # The status follows the state: the path cut, the target is down and named.
    ipn "$B" link set vb down
    wait_until 5 grep -q 'STATUS=0 up, 1 down: 198.51.100.2$' "$dir/notified" || fail "status not down: $(cat "$dir/notified")"
    ipn "$B" link set vb up
    wait_until 5 lines_at_least 2 'STATUS=1 up, 0 down$' "$dir/notified" || fail "status not up again: $(cat "$dir/notified")"

    # A reload adds a target and keeps the state of the other.
    local before; before=$(GRETOOL_RUNTIME_DIR=$dir/run "$GRETOOL" keepalive status 198.51.100.2 -j | jq '.[0].sent')
    echo 'local 198.51.100.1 remote 198.51.100.2 key 5 retries 5' >>"$dir/keepalive.conf"
    kill -HUP "$watcher"
    wait_until 5 grep -q 'reloaded: 1 added, 0 removed, 0 changed, 1 unchanged' "$dir/watch" ||
        fail "not reloaded: $(cat "$dir/watch")"
    wait_until 5 grep -q 'STATUS=2 up, 0 down$' "$dir/notified" || fail "the new target is not up: $(cat "$dir/notified")"
    # RELOADING=1 with the time, then READY=1.
    grep -q $'\tRELOADING=1|MONOTONIC_USEC=[0-9]*$' "$dir/notified" || fail "no RELOADING=1: $(cat "$dir/notified")"
    [[ $(grep -E 'RELOADING=1|READY=1' "$dir/notified" | tail -2 | cut -f2 | cut -c1-11 | tr '\n' ' ') == "RELOADING=1 READY=1|STA " ]] ||
        fail "reload not ended by READY=1: $(cat "$dir/notified")"
    local status; status=$(GRETOOL_RUNTIME_DIR=$dir/run "$GRETOOL" keepalive status -j)
    [[ $(jq -r 'map(.tunnel) | join(" ")' <<<"$status") == "198.51.100.2 198.51.100.2#5" ]] || fail "status: $status"
    # Its counters go on from where they were (the new target may answer within one
    # interval of the reload, before the first target's next keepalive: wait for it).
    kept() {
        status=$(GRETOOL_RUNTIME_DIR=$dir/run "$GRETOOL" keepalive status -j)
        [[ $(jq --argjson before "$before" '.[0].sent > $before and .[0].changes == 3 and .[1].changes == 1' <<<"$status") == true ]]
    }
    wait_until 2 kept || fail "the first target's state was not kept: before $before, $status"
    [[ $(jq '.[1].retries' <<<"$status") == 5 ]] || fail "the line's words: $status"

    # A bad file changes nothing: the watcher says so and goes on with what it had.
    echo 'local 198.51.100.1 remote 198.51.100.2 retries 0' >>"$dir/keepalive.conf"
    kill -HUP "$watcher"
    wait_until 5 grep -q "configuration not reloaded, going on with the old one: $dir/keepalive.conf:4: invalid retries \"0\"" "$dir/watch" ||
        fail "bad reload not reported: $(cat "$dir/watch")"
    kill -0 "$watcher" || fail "the watcher ended on a bad reload"
    [[ $(GRETOOL_RUNTIME_DIR=$dir/run "$GRETOOL" keepalive status -j | jq length) == 2 ]] || fail "targets changed on a bad reload"
    # -n NS asks the watchers in NS alone; the runtime directory may be systemd's
    # ($RUNTIME_DIRECTORY), $GRETOOL_RUNTIME_DIR first.
    assert_eq "$(RUNTIME_DIRECTORY=$dir/run "$GRETOOL" -n "$A" keepalive status -j | jq length)" 2 "status -n A"
    refuses 1 "^gretool: no keepalive watcher is running for network namespace \"$B\" \(none answers in $dir/run\)$" \
        env RUNTIME_DIRECTORY=/nonexistent GRETOOL_RUNTIME_DIR="$dir/run" "$GRETOOL" -n "$B" keepalive status

    # The metrics file: Prometheus's text format, every metric of both targets.
    wait_until 12 grep -q 'gretool_keepalive_up{tunnel="198.51.100.2#5",remote="198.51.100.2"} 1' "$dir/keepalive.prom" ||
        fail "metrics: $(cat "$dir/keepalive.prom")"
    if command -v promtool >/dev/null; then
        promtool check metrics <"$dir/keepalive.prom" || fail "promtool refuses the metrics"
    fi
    grep -q '^gretool_keepalive_rtt_seconds_bucket{tunnel="198.51.100.2",remote="198.51.100.2",le="+Inf"} [1-9]' "$dir/keepalive.prom" ||
        fail "no round trips in the histogram: $(cat "$dir/keepalive.prom")"

    kill -TERM "$watcher"
    wait "$watcher"; assert_eq "$?" 0 "watch exit status after SIGTERM"
    [[ $(tail -1 "$dir/notified" | cut -f2) == STOPPING=1 ]] || fail "STOPPING=1 is not the last message: $(tail -3 "$dir/notified")"
    ! compgen -G "$dir/run/keepalive.net-*.$watcher.sock" >/dev/null || fail "the control socket was left behind"
    refuses 1 "no keepalive watcher is running \(none answers in $dir/run\)" env GRETOOL_RUNTIME_DIR="$dir/run" "$GRETOOL" keepalive status

    # A watcher that refuses the request (of another gretool version) makes status fail
    # with its words, not print them as a status and exit 0.
    local fake=$dir/run/keepalive.net-1.99999.sock
    timeout 20 python3 -c '
import socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1]); server.listen(1)
connection, _ = server.accept()
connection.recv(4096)
connection.sendall(b"error: unknown request \"status\": a watcher answers stats\n")
connection.close()' "$fake" &
    local fake_watcher=$!
    wait_until 5 test -S "$fake" || fail "the fake watcher did not listen"
    refuses 1 "the watcher at $fake refused the request: unknown request \"status\": a watcher answers stats" \
        env GRETOOL_RUNTIME_DIR="$dir/run" "$GRETOOL" keepalive status
    wait "$fake_watcher"
}

test_a_bad_configuration_is_refused_at_start() {
    veth_pair
    local dir; dir=$(mktemp -d)
    printf '%s\n' '# targets' 'local 198.51.100.1 remote 198.51.100.2' '' 'local 198.51.100.1 remote 198.51.100.2 up-after 0' >"$dir/bad.conf"
    refuses 2 "^gretool: $dir/bad.conf:4: invalid up-after \"0\": expected a number 1..255$" \
        g "$A" keepalive watch -f "$dir/bad.conf"
    printf '%s\n' 'local 198.51.100.1 remote 198.51.100.2' 'local 198.51.100.1 remote 198.51.100.2 interval 1' >"$dir/twice.conf"
    refuses 2 "^gretool: $dir/twice.conf:2: 198.51.100.2 is given twice \(line 1 too\)$" g "$A" keepalive watch -f "$dir/twice.conf"
    refuses 2 "198.51.100.2 is given twice \(the command line too\)" \
        g "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 -f "$dir/twice.conf"
    echo 'gre9' >"$dir/missing.conf"
    refuses 1 "^gretool: $dir/missing.conf:1: cannot watch tunnel \"gre9\": cannot find device \"gre9\"$" \
        g "$A" keepalive watch -f "$dir/missing.conf"
    refuses 1 "cannot read $dir/nothing.conf" g "$A" keepalive watch -f "$dir/nothing.conf"
    echo 'local 198.51.100.1 remote 198.51.100.2 -j' >"$dir/option.conf"
    refuses 2 "option.conf:1: -j is an option of the command line, not of a target" g "$A" keepalive watch -f "$dir/option.conf"
}

test_events_go_to_the_journal_as_structured_records() {
    veth_pair
    local dir; dir=$(mktemp -d)
    start_responder "$B" "$dir/respond"
    listen_datagrams "$dir/journal" "$dir/records"
    : >"$dir/err"
    # Standard error is "the journal" when $JOURNAL_STREAM names its device and inode.
    JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/err") GRETOOL_JOURNAL_SOCKET=$dir/journal GRETOOL_RUNTIME_DIR=$dir/run \
        "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 key 3 interval 0.2 >"$dir/out" 2>>"$dir/err" &
    local watcher=$!
    wait_until 5 grep -q 'MESSAGE_ID=1dfe2079aaad4eaf8103e58a741112f8' "$dir/records" || fail "no up record: $(cat "$dir/records" "$dir/err")"
    kill -TERM "$watcher"; wait "$watcher"
    [[ ! -s $dir/out ]] || fail "text lines besides the journal: $(cat "$dir/out")"
    # Every record parses as NAME=value fields; the up record carries the tunnel's.
    local up; up=$(grep 'MESSAGE_ID=1dfe2079aaad4eaf8103e58a741112f8' "$dir/records" | cut -f2)
    tr '|' '\n' <<<"$up" | grep -qvE '^[A-Z_][A-Z0-9_]*=' && fail "not a field: $up"
    field() { tr '|' '\n' <<<"$up" | sed -n "s/^$1=//p"; }
    assert_eq "$(field GRE_TUNNEL)" "198.51.100.2#3" "GRE_TUNNEL"
    assert_eq "$(field GRE_STATE)" "up" "GRE_STATE"
    assert_eq "$(field PRIORITY)" "5" "PRIORITY"
    assert_eq "$(field SYSLOG_IDENTIFIER)" "gretool" "SYSLOG_IDENTIFIER"
    [[ $(field GRE_RTT_USEC) =~ ^[0-9]+$ ]] || fail "GRE_RTT_USEC: $up"
    [[ $(field MESSAGE) == "198.51.100.2#3: up (rtt "*" ms)" ]] || fail "MESSAGE: $up"
    grep -q 'MESSAGE_ID=c7082b2a4a9f4adca2c93914dea42460' "$dir/records" || fail "no watch record: $(cat "$dir/records")"
    # Without the journal on standard error, the text lines of a terminal.
    JOURNAL_STREAM=1:1 GRETOOL_JOURNAL_SOCKET=$dir/journal GRETOOL_RUNTIME_DIR=$dir/run \
        "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 interval 0.2 >"$dir/text" 2>&1 &
    watcher=$!
    wait_until 5 grep -q '198.51.100.2: up' "$dir/text" || fail "no text line: $(cat "$dir/text")"
    kill -TERM "$watcher"; wait "$watcher"
}

# The units as make install writes them pass systemd's own check, warnings included.
# systemd is not installed for this (in a container it is no init, and its
# postinstall scripts expect one): where systemd-analyze is missing, the test skips.
test_the_units_pass_systemd_analyze_verify() {
    command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed"; exit 77; }
    local dir; dir=$(mktemp -d)
    make --no-print-directory -C "$repository" install-units DESTDIR= PREFIX="$dir" >/dev/null || fail "make install-units"
    install -D "$GRETOOL" "$dir/bin/gretool"
    local units=$dir/lib/systemd/system out
    grep -q "^ExecStart=$dir/bin/gretool keepalive watch -f /etc/gretool/keepalive.conf" "$units/gretool-keepalive.service" ||
        fail "ExecStart: $(grep ExecStart "$units/gretool-keepalive.service")"
    out=$(cd "$units" && systemd-analyze verify --man=no ./gretool-keepalive.service ./gretool-keepalive@gre1.service 2>&1) ||
        fail "systemd-analyze verify: $out"
    [[ -z $out ]] || fail "systemd-analyze verify warns: $out"
    # Hardened: two capabilities, nothing else.
    local unit
    for unit in "$units"/gretool-keepalive*.service; do
        grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' "$unit" || fail "$unit: capabilities"
        grep -qx 'Type=notify' "$unit" || fail "$unit: not Type=notify"
    done
}
