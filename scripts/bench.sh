#!/bin/bash
# make bench: gretool side by side with iproute2, in one run, reported as ratios.
# A benchmark, not a test: it prints numbers and never fails on them.
#
#   scripts/bench.sh GRETOOL [SECTION...]     sections: startup batch routeshow apply keepalive keepalive_scale (default: all)
set -euo pipefail
export LC_ALL=C
gretool=$(readlink -f "${1:?usage: bench.sh GRETOOL [SECTION...]}")
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sections=("$@")
((${#sections[@]})) || sections=(startup batch routeshow apply keepalive keepalive_scale)

command -v hyperfine >/dev/null || "$root/scripts/deps.sh" hyperfine

# Median of each command in a hyperfine JSON export, in milliseconds.
medians() { jq -r '.results[] | "\(.command)\t\(.median * 1000)"' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

startup() {
    echo "== start-to-exit: gretool link show vs ip link show (static Swift hello-world as the floor)"
    swift build -c release --static-swift-stdlib -Xlinker -s --package-path "$root/Benchmarks/Hello" \
        --scratch-path "$root/.build-bench-hello" >/dev/null 2>&1
    local hello="$root/.build-bench-hello/release/hello" out
    out=$(mktemp)
    hyperfine -N --warmup 30 --runs 500 --export-json "$out" \
        -n "ip link show" "ip link show" \
        -n "gretool link show" "$gretool link show" \
        -n "hello (Swift floor)" "$hello" >/dev/null
    # Page faults (GNU time's minor faults): at ~3 us each they are much of a start.
    local -A command=([ip link show]="ip link show" [gretool link show]="$gretool link show" [hello (Swift floor)]="$hello")
    local ip_ms name ms faults
    ip_ms=$(medians "$out" | awk -F'\t' '$1 == "ip link show" {print $2}')
    printf '%-22s %10s %10s %8s\n' command "median ms" "x ip" faults
    while IFS=$'\t' read -r name ms; do
        # shellcheck disable=SC2086 # the command's words
        faults=$(/usr/bin/time -f %R ${command[$name]} 2>&1 >/dev/null | tail -1)
        printf '%-22s %10.3f %10s %8s\n' "$name" "$ms" "$(ratio "$ms" "$ip_ms")" "$faults"
    done < <(medians "$out")
    echo "target: gretool link show at most 1.6x ip link show"
    rm -f "$out"
}

# A namespace for one section, name in $bench_ns, and a directory for its files,
# $bench_dir; both removed by end_section, or when the script ends.
# It holds a veth pair va/vb, both up, va with 198.51.100.1/24 (routes go via .2).
bench_namespace() {
    bench_ns=gretool-bench-$$-$1
    bench_dir=$(mktemp -d)
    trap end_section EXIT
    ip netns add "$bench_ns"
    ip -n "$bench_ns" link set lo up
    ip -n "$bench_ns" link add va type veth peer name vb
    ip -n "$bench_ns" link set va up
    ip -n "$bench_ns" link set vb up
    ip -n "$bench_ns" addr add 198.51.100.1/24 dev va
}

# Runs a command in the namespace (no -n: both tools pay the same way in) and prints
# "wall user sys peak-RSS-MiB" (GNU time; its resolution is 10 ms).
measure() {
    local out
    out=$(mktemp)
    ip netns exec "$bench_ns" /usr/bin/time -o "$out" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
    awk '{ printf "%.2f %.2f %.2f %.1f\n", $1, $2, $3, $4 / 1024 }' "$out"
    rm -f "$out"
}

routes_in_namespace() { ip -n "$bench_ns" route show root 10.0.0.0/8 | wc -l; }

# An ip -batch file adding $1 host routes in 10.0.0.0/8, via 198.51.100.2 dev va.
route_adds() {
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
        printf "route add 10.%d.%d.%d/32 via 198.51.100.2 dev va\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
}

batch() {
    echo "== batch: route adds, then deletes, gretool -batch vs ip -batch (namespace, veth; median of 3)"
    bench_namespace batch
    local count tool verb line ip_wall
    printf '%-8s %-8s %-6s %8s %8s %8s %8s %9s %7s\n' routes tool verb "wall s" "user s" "sys s" "RSS MiB" "user/wall" "x ip"
    for count in 10000 100000; do
        route_adds "$count" >"$bench_dir/add"
        sed 's/^route add/route del/' "$bench_dir/add" >"$bench_dir/del"
        for verb in add del; do
            ip_wall=""
            for tool in ip gretool; do
                local binary=ip
                [[ $tool == gretool ]] && binary=$gretool
                # Three runs need the routes there (del) or gone (add) each time.
                line=$( for _ in 1 2 3; do
                            ip -n "$bench_ns" route flush root 10.0.0.0/8 2>/dev/null
                            [[ $verb == del ]] && ip netns exec "$bench_ns" ip -batch "$bench_dir/add"
                            measure "$binary" -batch "$bench_dir/$verb"
                        done | sort -n | sed -n 2p )
                read -r wall user sys rss <<<"$line"
                [[ -n $ip_wall ]] || ip_wall=$wall
                printf '%-8s %-8s %-6s %8s %8s %8s %8s %8s%% %7s\n' "$count" "$tool" "$verb" "$wall" "$user" "$sys" "$rss" \
                    "$(awk -v u="$user" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? 100 * u / w : 0) }')" "$(ratio "$wall" "$ip_wall")"
            done
            local left
            left=$(routes_in_namespace)
            [[ $verb == add && $left != "$count" ]] && echo "   (after add: $left routes, expected $count)"
            [[ $verb == del && $left != 0 ]] && echo "   (after del: $left routes left)"
        done
        ip -n "$bench_ns" route flush root 10.0.0.0/8 2>/dev/null || true
    done
    echo "targets: gretool no slower than ip -batch (x ip <= 1), user under 10% of wall, at most 32 MiB at 100k"
    end_section
}

routeshow() {
    echo "== route show over 100,000 routes: gretool vs ip, text and -j (namespace; hyperfine medians)"
    bench_namespace show
    route_adds 100000 >"$bench_dir/add"
    ip netns exec "$bench_ns" ip -batch "$bench_dir/add"
    local out="$bench_dir/hyperfine.json" ip_text ip_json name ms
    ip netns exec "$bench_ns" hyperfine -N --warmup 3 --runs 20 --export-json "$out" \
        -n "ip route show" "ip route show" \
        -n "gretool route show" "$gretool route show" \
        -n "ip -j route show" "ip -j route show" \
        -n "gretool -j route show" "$gretool -j route show" >/dev/null
    ip_text=$(medians "$out" | awk -F'\t' '$1 == "ip route show" {print $2}')
    ip_json=$(medians "$out" | awk -F'\t' '$1 == "ip -j route show" {print $2}')
    printf '%-24s %10s %12s %10s\n' command "median ms" "ip / this" "RSS MiB"
    while IFS=$'\t' read -r name ms; do
        local base=$ip_text words rss
        [[ $name == *"-j"* ]] && base=$ip_json
        read -ra words <<<"$name"
        [[ ${words[0]} == gretool ]] && words[0]=$gretool
        rss=$(measure "${words[@]}" | awk '{print $4}')
        printf '%-24s %10.1f %12s %10s\n' "$name" "$ms" "$(ratio "$base" "$ms")" "$rss"
    done < <(medians "$out")
    # Flat memory: the same listing over a tenth of the routes.
    head -90000 "$bench_dir/add" | sed 's/^route add/route del/' >"$bench_dir/del"
    ip netns exec "$bench_ns" ip -batch "$bench_dir/del"
    echo "gretool route show RSS at $(routes_in_namespace) routes: $(measure "$gretool" route show | awk '{print $4}') MiB"
    echo "target: gretool at least 1.3x faster than ip (ip / this >= 1.3), memory flat"
    end_section
}

# gretool apply of a file of 10,000 routes that the kernel already has, then of the
# same file with 1% of its routes changed (another gateway), against ip -batch and
# gretool -batch of the full file as `route replace` lines (what re-running a
# provisioning script costs). Every run starts from the file's state; apply's own
# report (-j, one more run, untimed) gives its dumps and writes. CPU and wall time are
# perf stat's (to the microsecond: GNU time counts in 10 ms steps, as much as the
# figure), peak RSS GNU time's, from runs of its own. The four commands take turns,
# one run each a round: a VM's speed moves by a third within seconds, and runs of one
# command after another compared one window with the next.
apply() {
    local count=10000 rounds=21 rss_runs=3
    echo "== apply: 10,000 routes, in state and 1% changed, vs ip -batch of the full file (namespace, veth; commands in turn, median of $rounds rounds; load $(cut -d' ' -f1-3 /proc/loadavg))"
    command -v perf >/dev/null || "$root/scripts/deps.sh" linux-perf
    bench_namespace apply
    route_adds "$count" >"$bench_dir/file"
    awk 'NR % 100 == 0 { sub(/via 198.51.100.2/, "via 198.51.100.3") } { print }' "$bench_dir/file" >"$bench_dir/changed"
    sed 's/^route add \(.*\)$/route replace \1 proto 47/' "$bench_dir/file" >"$bench_dir/replace"
    # Back to the file's state, untimed.
    apply_reset() { ip netns exec "$bench_ns" "$gretool" apply "$bench_dir/file" >/dev/null; }
    local names=("ip -batch (replace)" "gretool -batch (replace)" "gretool apply (in state)" "gretool apply (1% changed)")
    local -a command
    apply_command() {
        case $1 in
            "ip -batch"*) command=(ip -batch "$bench_dir/replace") ;;
            "gretool -batch"*) command=("$gretool" -batch "$bench_dir/replace") ;;
            *"in state)") command=("$gretool" apply "$bench_dir/file") ;;
            *) command=("$gretool" apply "$bench_dir/changed") ;;
        esac
    }
    local round i
    for round in $(seq "$rounds"); do
        for i in "${!names[@]}"; do
            apply_command "${names[$i]}"
            apply_reset
            cpu_measure "${command[@]}" >>"$bench_dir/samples.$i"
        done
    done
    # Wall time is waiting too on a loaded machine: CPU is compared as well.
    printf '%-26s %8s %8s %7s %8s %7s %8s %6s %7s\n' run "wall ms" "cpu ms" faults "RSS MiB" "x ip" "cpu x ip" dumps writes
    local report wall cpu faults rss dumps writes ip_wall ip_cpu
    for i in "${!names[@]}"; do
        apply_command "${names[$i]}"
        cpu=$(median 1 "$bench_dir/samples.$i"); faults=$(median 2 "$bench_dir/samples.$i"); wall=$(median 3 "$bench_dir/samples.$i")
        for _ in $(seq "$rss_runs"); do apply_reset; measure "${command[@]}"; done >"$bench_dir/rss"
        rss=$(median 4 "$bench_dir/rss")
        ((i)) || { ip_wall=$wall; ip_cpu=$cpu; }
        report="- -"
        if [[ ${names[$i]} == *apply* ]]; then
            apply_reset
            report=$(ip netns exec "$bench_ns" "${command[0]}" -j "${command[@]:1}" | jq -r '"\(.dumps) \(.writes)"')
        fi
        read -r dumps writes <<<"$report"
        printf '%-26s %8s %8s %7s %8s %7s %8s %6s %7s\n' "${names[$i]}" "$wall" "$cpu" "$faults" "$rss" "$(ratio "$wall" "$ip_wall")" \
            "$(ratio "$cpu" "$ip_cpu")" "$dumps" "$writes"
    done
    # Each round's own ratio shows how far the figure moves with the machine.
    paste -d' ' "$bench_dir/samples.2" "$bench_dir/samples.0" | awk '{ printf "%.4f\n", $1 / $4 }' | sort -n |
        awk '{ r[NR] = $1; if ($1 <= 0.1) within++ }
             END { printf "apply in state / ip -batch, CPU, round by round: lowest %.3f, median %.3f, highest %.3f; %d of %d rounds at most 0.1\n",
                          r[1], r[int((NR + 1) / 2)], r[NR], within, NR }'
    echo "targets: apply in state at most 0.1x ip -batch (cpu x ip), with one dump per object type (5) and no write; 1% changed: 100 writes"
    end_section
}

# Runs a command in the namespace and prints "CPU-ms page-faults wall-ms": perf stat's
# task-clock (user+sys) and duration_time, to the microsecond.
cpu_measure() {
    local out
    out=$(mktemp)
    ip netns exec "$bench_ns" perf stat -x, -e task-clock,page-faults,duration_time -o "$out" -- "$@" >/dev/null 2>&1 || true
    awk -F, '$3 == "task-clock" { ms = $1 } $3 == "page-faults" { faults = $1 } $3 == "duration_time" { wall = $1 / 1e6 }
             END { printf "%.2f %d %.2f\n", ms, faults, wall }' "$out"
    rm -f "$out"
}

# The median of column $1 of file $2's lines.
median() { awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

end_section() {
    ip netns del "$bench_ns" 2>/dev/null || true
    rm -rf "$bench_dir"
}

# Keepalives on this kernel (no GRE needed): a watcher in one namespace, gretool's
# user-space responder in another, over veth. The responder is part of the setup.
keepalive() {
    echo "== keepalive: detection latency, and one watcher's cost over 1000 targets"
    local A=gretool-bench-ka-a B=gretool-bench-ka-b dir responder watcher
    dir=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "kill \$(jobs -p) 2>/dev/null; ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; rm -rf $dir" EXIT
    ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true
    ip netns add "$A"; ip netns add "$B"
    ip link add va netns "$A" type veth peer name vb netns "$B"
    ip -n "$A" addr add 198.51.100.1/24 dev va; ip -n "$A" link set va up; ip -n "$A" link set lo up
    ip -n "$B" addr add 198.51.100.2/24 dev vb; ip -n "$B" link set vb up; ip -n "$B" link set lo up
    # B answers for all of 10.200.0.0/16 (AnyIP): a thousand peers behind one veth.
    ip -n "$B" route add local 10.200.0.0/16 dev lo
    ip -n "$A" route add 10.200.0.0/16 via 198.51.100.2
    # The file exists before the responder starts writing: the loop below reads it at once.
    : >"$dir/respond"
    "$gretool" -n "$B" keepalive respond >>"$dir/respond" 2>&1 &
    responder=$!
    until grep -q responding "$dir/respond"; do sleep 0.05; done

    # Detection latency: the veth is cut (B's end set down) at a random point between
    # keepalives; latency is from the cut to the watcher's first down line after it.
    # Lines are found by their position in the output, not counted by kind: a false
    # down (a loaded machine's late reply) before a cut is reported as such, not taken
    # for that cut's detection (it made the minimum negative).
    echo "-- detection latency at interval 0.1 s, retries 3, over 20 cuts (target: every cut within 0.45 s)"
    : >"$dir/watch"
    "$gretool" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 interval 0.1 retries 3 -j >>"$dir/watch" 2>&1 &
    watcher=$!
    # The state lines as "NUMBER STATE TIMESTAMP" (NUMBER: the line's position).
    states() { grep -n '"event":"state"' "$dir/watch" | sed -E 's/^([0-9]+):.*"timestamp":"([^"]*)".*"state":"([a-z]+)".*/\1 \3 \2/'; }
    local latencies=() seen down cuts=0
    while ((${#latencies[@]} < 20)) && ((cuts < 40)); do
        until [[ $(states | tail -1 | cut -d' ' -f2) == up ]]; do sleep 0.01; done
        sleep "0.$((RANDOM % 100 + 100))"
        seen=$(wc -l <"$dir/watch")
        local start=$EPOCHREALTIME
        ip -n "$B" link set vb down
        cuts=$((cuts + 1))
        until down=$(states | awk -v after="$seen" '$1 > after && $2 == "down" { print $3; exit }') && [[ -n $down ]]; do sleep 0.01; done
        down=$(date -d "$down" +%s.%N)
        ip -n "$B" link set vb up
        # A down before the cut (the timestamps are CLOCK_REALTIME, milliseconds) was a
        # false one that this cut found: no sample.
        awk -v a="$start" -v b="$down" 'BEGIN { exit !(b < a - 0.001) }' && continue
        latencies+=("$(awk -v a="$start" -v b="$down" 'BEGIN { printf "%.3f", b - a }')")
    done
    # Every down line the run printed, less the cuts': the false ones.
    local downs; downs=$(states | awk '$2 == "down"' | wc -l)
    kill "$watcher"; wait "$watcher" 2>/dev/null || true
    printf '%s\n' "${latencies[@]}" | sort -n | awk -v falses=$((downs - ${#latencies[@]})) -v load="$(cut -d' ' -f1 /proc/loadavg)" '
        { v[NR] = $1; if ($1 <= 0.45) within++ }
        END { printf "min %.3f s  median %.3f s  max %.3f s  within 0.45 s: %d of %d   false downs: %d   load %s\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], within, NR, falses, load }'

    # Cost: one watcher over N targets at interval 1 s, measured for 30 s after every
    # target is up.
    watcher_cost 1000 "under 2% of one core, RSS under 32 MB"
    watcher_cost 10000 "under 5% of one core, RSS under 64 MB"
    kill "$responder"; wait 2>/dev/null || true
    ip netns del "$A"; ip netns del "$B"; rm -rf "$dir"
    trap - EXIT
}

# One watcher over $1 targets in the keepalive section's namespaces, targets $2.
watcher_cost() {
    local count=$1 targets=$2 words=() i watcher
    echo "-- one watcher, $count targets, interval 1 s, 30 s (targets: $targets)"
    for ((i = 0; i < count; i++)); do words+=(local 198.51.100.1 remote "10.200.$((i / 250)).$((i % 250 + 1))"); done
    # The file exists before the watcher starts writing: the loop below reads it at once.
    : >"$dir/many"
    "$gretool" -n "$A" keepalive watch "${words[@]}" interval 1 -j >>"$dir/many" 2>&1 &
    watcher=$!
    local waited=0
    until (($(grep -c '"state":"up"' "$dir/many" || true) >= count)) || ((waited > 300)); do sleep 0.1; waited=$((waited + 1)); done
    local up; up=$(grep -c '"state":"up"' "$dir/many" || true)
    ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
    # utime and stime apart: the watcher's system time includes the stand-in peer's.
    user() { awk '{ print $14 }' "/proc/$1/stat"; }
    local hz watcher0 responder0 user0
    hz=$(getconf CLK_TCK)
    watcher0=$(ticks "$watcher"); responder0=$(ticks "$responder"); user0=$(user "$watcher")
    # veth delivers each keepalive into B on the sender's time: the kernel runs B's
    # receive path (softirq, net_rx_action) inside the watcher's sendmmsg, and counts it
    # as the watcher's system time; in the same way A's receive of the replies runs in
    # the responder's sends. On a hub, the peer's receive runs on the peer, and the
    # hub's own receive in its NIC's softirq, outside the watcher. perf, where it is
    # installed, measures those shares, so that what the watcher itself costs (the
    # issue's figure) is told apart without hiding the rest.
    if command -v perf >/dev/null; then
        perf record -q -F 199 -g -p "$responder" -o "$dir/perf-responder.data" -- sleep 30 >/dev/null 2>&1 &
        perf record -q -F 199 -g -p "$watcher" -o "$dir/perf.data" -- sleep 30 >/dev/null 2>&1 || sleep 30
        wait $! 2>/dev/null || true
    else
        sleep 30
    fi
    local watcher1 responder1 user1 peer="" hub=""
    watcher1=$(ticks "$watcher"); responder1=$(ticks "$responder"); user1=$(user "$watcher")
    # The share of a process's samples spent in another's receive path (nothing
    # without a recording).
    receive_share() {
        [[ -s $1 ]] || return 0
        perf report -i "$1" --children --sort symbol --stdio -g none 2>/dev/null |
            awk '$3 == "[k]" && $4 == "net_rx_action" && !found { share = $1 + 0; found = 1 } END { print share + 0 }'
    }
    peer=$(receive_share "$dir/perf.data"); hub=$(receive_share "$dir/perf-responder.data")
    rm -f "$dir/perf.data" "$dir/perf-responder.data"
    local downs; downs=$(grep -c '"state":"down"' "$dir/many" || true)
    printf 'targets up %d of %d, state changes to down during the run: %d\n' "$up" "$count" "$downs"
    local cpu responder_cpu
    cpu=$(awk -v t=$((watcher1 - watcher0)) -v hz="$hz" 'BEGIN { print 100 * t / hz / 30 }')
    responder_cpu=$(awk -v t=$((responder1 - responder0)) -v hz="$hz" 'BEGIN { print 100 * t / hz / 30 }')
    printf 'watcher   CPU %5.2f%% of one core (user %.2f%%)   peak RSS %s   load %s\n' "$cpu" \
        "$(awk -v t=$((user1 - user0)) -v hz="$hz" 'BEGIN { print 100 * t / hz / 30 }')" \
        "$(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$watcher/status")" "$(cut -d' ' -f1 /proc/loadavg)"
    if [[ -n $peer ]]; then
        printf '          of which the stand-in peer'"'"'s receive path (perf: %.0f%% of its samples): %.2f%%\n' \
            "$peer" "$(awk -v c="$cpu" -v p="$peer" 'BEGIN { print c * p / 100 }')"
        printf '          the watcher'"'"'s own: %.2f%% of one core   <- the issue'"'"'s figure (target: %s)\n' \
            "$(awk -v c="$cpu" -v p="$peer" 'BEGIN { print c * (100 - p) / 100 }')" "$targets"
    else
        echo "          (no perf: the stand-in peer's receive path is counted in the watcher's CPU)"
    fi
    printf 'responder CPU %5.2f%% of one core   (setup, not measured against a target)\n' "$responder_cpu"
    [[ -z $hub ]] || printf '          of which this host'"'"'s receive of the replies (perf: %.0f%%): %.2f%%, what a hub'"'"'s kernel pays besides the watcher\n' \
        "$hub" "$(awk -v c="$responder_cpu" -v p="$hub" 'BEGIN { print c * p / 100 }')"
    kill "$watcher"; wait "$watcher" 2>/dev/null || true
}

# A hub's worst minute: one watcher over 1000 tunnels with 100 routes each (veth
# stand-ins named by explicit targets, `tunnel DEV`) and 1000 healthy targets besides.
# All 1000 tunnels fail at once (their remotes blackholed in A, so each keepalive is
# refused and counts as lost); every route through them must be withdrawn within 1 s of
# the last detection, with no healthy target reported down; then they all come back.
keepalive_scale() {
    echo "== keepalive at hub scale: 1000 tunnels, 100,000 routes through them, all failing at once"
    local A=gretool-bench-kas-a B=gretool-bench-kas-b dir responder watcher i
    dir=$(mktemp -d)
    # The state files go where systemd puts them, on a tmpfs.
    local run; run=$(mktemp -d -p /dev/shm)
    # shellcheck disable=SC2064
    trap "kill \$(jobs -p) 2>/dev/null; ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; rm -rf $dir $run" EXIT
    ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true
    ip netns add "$A"; ip netns add "$B"
    ip link add va netns "$A" type veth peer name vb netns "$B"
    ip -n "$A" addr add 198.51.100.1/24 dev va; ip -n "$A" link set va up; ip -n "$A" link set lo up
    ip -n "$B" addr add 198.51.100.2/24 dev vb; ip -n "$B" link set vb up; ip -n "$B" link set lo up
    # B answers for 10.201/16 (the tunnels' peers) and 10.202/16 (the healthy targets').
    ip -n "$B" route add local 10.200.0.0/14 dev lo
    ip -n "$A" route add 10.200.0.0/14 via 198.51.100.2
    awk 'BEGIN { for (i = 0; i < 1000; i++) printf "link add s%d type veth peer name p%d\nlink set s%d up\nlink set p%d up\n", i, i, i, i }' >"$dir/links"
    ip -n "$A" -batch "$dir/links"
    # 100 host routes per stand-in: 10.(i/100).(i%100).j/32, j = 1..100.
    awk 'BEGIN { for (i = 0; i < 1000; i++) for (j = 1; j <= 100; j++)
        printf "route add 10.%d.%d.%d/32 dev s%d\n", int(i / 100), i % 100, j, i }' >"$dir/routes"
    ip -n "$A" -batch "$dir/routes"
    through() { ip -n "$A" route show | grep -c ' dev s' || true; }
    echo "routes through the stand-ins: $(through)"
    # The file exists before the responder starts writing: the loop below reads it at once.
    : >"$dir/respond"
    "$gretool" -n "$B" keepalive respond >>"$dir/respond" 2>&1 &
    responder=$!
    until grep -q responding "$dir/respond"; do sleep 0.05; done
    local words=()
    for ((i = 0; i < 1000; i++)); do words+=(local 198.51.100.1 remote "10.201.$((i / 250)).$((i % 250 + 1))" tunnel "s$i"); done
    for ((i = 0; i < 1000; i++)); do words+=(local 198.51.100.1 remote "10.202.$((i / 250)).$((i % 250 + 1))"); done
    : >"$dir/watch"
    GRETOOL_RUNTIME_DIR=$run "$gretool" -n "$A" keepalive watch "${words[@]}" interval 1 -j >>"$dir/watch" 2>&1 &
    watcher=$!
    local waited=0
    until (($(grep -c '"state":"up"' "$dir/watch" || true) >= 2000)) || ((waited > 300)); do sleep 0.1; waited=$((waited + 1)); done
    echo "targets up: $(grep -c '"state":"up"' "$dir/watch" || true) of 2000 (1000 tunnels, 1000 healthy)"
    # The last time (seconds since the epoch) of an event of kind $1 whose line matches $2.
    last() { grep "\"event\":\"$1\"" "$dir/watch" | grep -- "$2" | jq -r .timestamp | sort | tail -1 | xargs -r date +%s.%N -d; }
    count() { grep "\"event\":\"$1\"" "$dir/watch" | grep -c -- "$2" || true; }
    # The watcher's CPU time (user, system) in ticks, and in seconds between two readings.
    times() { awk '{ print $14, $15 }' "/proc/$watcher/stat"; }
    # The CPU between two readings; beside it, what the 2000 targets' keepalives alone
    # cost in that time at the rate measured before anything failed: the rest is the
    # action's own, a figure that a loaded machine's longer wall time does not swell.
    # A watcher starved of the processor (healthy targets reported down) sent fewer
    # keepalives than that: then the split is not known.
    local hz rate; hz=$(getconf CLK_TCK)
    seconds() {
        awk -v a="$1" -v b="$2" -v wall="$3" -v rate="$rate" -v hz="$hz" -v starved="$4" 'BEGIN {
            split(a, x, " "); split(b, y, " "); total = (y[1] + y[2] - x[1] - x[2]) / hz
            printf "%.2f s (user %.2f s) in %.1f s; ", total, (y[1] - x[1]) / hz, wall
            if (starved > 0 || total < rate * wall) print "the watcher fell behind its keepalives, so the action'"'"'s own share is not known"
            else printf "keepalives as before would take %.2f s of it: the action'"'"'s own %.2f s\n", rate * wall, total - rate * wall }'
    }
    healthy_down() { count state '"tunnel":"10.202.[0-9.]*","state":"down"'; }
    local steady0 steady1 start0; steady0=$(times); start0=$EPOCHREALTIME
    sleep 5
    steady1=$(times)
    rate=$(awk -v a="$steady0" -v b="$steady1" -v t0="$start0" -v t1="$EPOCHREALTIME" -v hz="$hz" \
        'BEGIN { split(a, x, " "); split(b, y, " "); print (y[1] + y[2] - x[1] - x[2]) / hz / (t1 - t0) }')
    printf 'watcher CPU before anything fails: %.2f%% of one core (2000 targets)\n' "$(awk -v r="$rate" 'BEGIN { print 100 * r }')"
    local ticks0 ticks1 time0 time1; ticks0=$(times); time0=$EPOCHREALTIME
    ip -n "$A" route add blackhole 10.201.0.0/16
    waited=0
    until (($(count action withdrew) >= 1000)) || ((waited > 600)); do sleep 0.1; waited=$((waited + 1)); done
    local down withdrawn
    down=$(last state '"state":"down"'); withdrawn=$(last action withdrew)
    printf 'down: %d tunnels; withdrawn: %d; routes left through them: %d; healthy targets reported down: %d\n' \
        "$(count state '"tunnel":"s[0-9]*","state":"down"')" "$(count action 'withdrew 100 routes')" "$(through)" \
        "$(count state '"tunnel":"10.202.[0-9.]*","state":"down"')"
    printf 'last route withdrawn %.3f s after the last detection (target: within 1 s)   load %s\n' \
        "$(awk -v a="$down" -v b="$withdrawn" 'BEGIN { print b - a }')" "$(cut -d' ' -f1 /proc/loadavg)"
    ticks1=$(times); time1=$EPOCHREALTIME
    echo "watcher CPU, the tunnels failing and their routes withdrawn: $(seconds "$ticks0" "$ticks1" "$(awk -v a="$time0" -v b="$time1" 'BEGIN { print b - a }')" "$(healthy_down)")"
    ip -n "$A" route del blackhole 10.201.0.0/16
    waited=0
    until (($(count action restored) >= 1000)) || ((waited > 600)); do sleep 0.1; waited=$((waited + 1)); done
    local up restored
    up=$(last state '"tunnel":"s[0-9]*","state":"up"'); restored=$(last action restored)
    printf 'restored: %d tunnels; routes through them: %d; healthy targets reported down: %d\n' \
        "$(count action 'restored 100 routes')" "$(through)" "$(count state '"tunnel":"10.202.[0-9.]*","state":"down"')"
    printf 'last route restored %.3f s after the last tunnel came back (target: within 1 s)   load %s\n' \
        "$(awk -v a="$up" -v b="$restored" 'BEGIN { print b - a }')" "$(cut -d' ' -f1 /proc/loadavg)"
    echo "watcher CPU, the tunnels back and their routes restored: $(seconds "$ticks1" "$(times)" "$(awk -v a="$time1" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" "$(healthy_down)")"
    echo "watcher peak RSS $(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$watcher/status")"
    kill "$watcher" "$responder"; wait 2>/dev/null || true
    ip netns del "$A"; ip netns del "$B"; rm -rf "$dir" "$run"
    trap - EXIT
}

for section in "${sections[@]}"; do
    "$section"
    echo
done
