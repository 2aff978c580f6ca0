# Helpers for gretool's kernel tests (sourced by runner.sh, on the host and in the lab VM).
#
# A test is a shell function named test_* in a file under host/ or lab/. Each runs in
# a subshell of its own with fresh namespaces named from $NS_PREFIX; everything it
# creates inside them disappears when the runner deletes them, and so does what it
# makes with mktemp (TMPDIR is a directory of its own). Assertions print what was
# expected and what was found, then fail the test.
#
# Network rule: traffic only inside namespaces a test created, addresses from
# 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 10.0.0.0/8.

: "${GRETOOL:?GRETOOL must name the gretool binary}"

# gretool and ip in namespace $1. Run gretool in the background as
# "$GRETOOL" -n NS ... & (not g ... &): then $! is gretool itself, which signals must reach.
g() { local ns=$1; shift; "$GRETOOL" -n "$ns" "$@"; }
ipn() { local ns=$1; shift; ip -n "$ns" "$@"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

fail() { echo "    FAILED: $*" >&2; exit 1; }

# Creates namespaces named $NS_PREFIX-<name> and prints their names.
# Usage: read -r A B < <(make_namespaces a b)
make_namespaces() {
    local names=() n
    for n in "$@"; do
        ip netns add "$NS_PREFIX-$n" || fail "cannot create namespace $NS_PREFIX-$n"
        ip -n "$NS_PREFIX-$n" link set lo up
        names+=("$NS_PREFIX-$n")
    done
    echo "${names[@]}"
}

# Two namespaces joined by veth va/vb with 198.51.100.1/24 and .2/24, both up.
# Sets A and B to the namespace names.
veth_pair() {
    read -r A B < <(make_namespaces a b)
    ip link add va netns "$A" type veth peer name vb netns "$B" || fail "cannot create veth pair"
    ipn "$A" addr add 198.51.100.1/24 dev va && ipn "$A" link set va up
    ipn "$B" addr add 198.51.100.2/24 dev vb && ipn "$B" link set vb up
}

# Runs a command that must succeed; shows its output when it does not.
ok() {
    local out
    out=$("$@" 2>&1) || fail "command failed (exit $?): $*
$(sed 's/^/        /' <<<"$out")"
    [[ -z $out ]] || printf '%s\n' "$out"
}

# Runs a command that must fail with exit status $1 and a one-line message on
# stderr matching the pattern $2. Usage: refuses 2 'pattern' cmd...
refuses() {
    local want=$1 pattern=$2; shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null); rc=$?
    [[ $rc == "$want" ]] || fail "expected exit $want, got $rc: $*
        stderr: $err"
    [[ $(wc -l <<<"$err") == 1 && -n $err ]] || fail "expected one line on stderr, got: $err"
    grep -Eq -- "$pattern" <<<"$err" || fail "stderr does not match /$pattern/: $err"
}

assert_eq() {
    [[ $1 == "$2" ]] || fail "${3:-values differ}: expected [$2], got [$1]"
}

# A field of a link as iproute2 reports it: json_get NS DEV JQ-FILTER (applied to the link).
json_get() {
    ip -n "$1" -d -j link show dev "$2" | jq -r ".[0] | $3"
}

# The options of link $2 in namespace $1 as iproute2 reports them, canonical JSON.
ip_gre_options() {
    ip -n "$1" -d -j link show dev "$2" |
        jq -cS '.[0] | {kind: .linkinfo.info_kind, mtu, data: (.linkinfo.info_data // {})}'
}

# Runs a command in namespace $1 as nobody, without capabilities.
as_nobody() {
    local ns=$1; shift
    in_ns "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}

# Runs a command in namespace $1 as root, but holding only the capabilities $2 (setpriv's
# names, comma-separated: "net_admin,net_raw", or "" for none), as systemd's
# CapabilityBoundingSet leaves a service. The namespace is entered with root's privilege.
with_only() {
    local ns=$1 capabilities=$2; shift 2
    ip netns exec "$ns" setpriv --bounding-set "-all${capabilities:+,+${capabilities//,/,+}}" --inh-caps=-all -- "$@"
}

# Whether file $3 has at least $1 lines matching $2 (for wait_until).
lines_at_least() { (($(grep -c -- "$2" "$3") >= $1)); }

# Polls a condition (a command) up to $1 seconds.
wait_until() {
    local limit=$1; shift
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# busybox ping when iputils is missing (the case on these machines).
ping_from() {
    local ns=$1; shift
    if command -v ping >/dev/null 2>&1; then in_ns "$ns" ping "$@"; else in_ns "$ns" busybox ping "$@"; fi
}

# Runs `gretool -n NS diag WORDS...`, which must exit with STATUS; its output is in $out.
diag_in() {
    local ns=$1 want=$2; shift 2
    out=$("$GRETOOL" -n "$ns" diag "$@" 2>&1)
    local rc=$?
    [[ $rc == "$want" ]] || fail "gretool diag $* exited $rc, expected $want:
$(sed 's/^/        /' <<<"$out")"
}

# The output of the last diag_in contains this line (exactly, leading blanks aside).
shows() {
    grep -qxF -- "$1" <<<"$(sed 's/^ *//' <<<"$out")" || fail "diag output lacks the line [$1]:
$(sed 's/^/        /' <<<"$out")"
}

# Runs the fix lines of the last diag_in in namespace $1, as printed. Lines that are
# comments (an IKE daemon's configuration) are skipped; ip lines are shell words (quoted
# algorithm names).
apply_fixes() {
    local ns=$1 line
    while IFS= read -r line; do
        case $line in
            "gretool route "*) ip -n "$ns" ${line#gretool } ;;  # same words; gretool's route verbs are not here yet
            "gretool "*) "$GRETOOL" -n "$ns" ${line#gretool } ;;
            "sysctl "*) ip netns exec "$ns" $line >/dev/null ;;
            "ip "*) eval "ip -n \"\$ns\" ${line#ip }" ;;
            "# "*) ;;
            *) fail "unexpected fix line: $line" ;;
        esac || fail "fix failed: $line"
    done < <(sed -n 's/^ *fix: //p' <<<"$out")
}

# Sets /proc/sys/net settings in a namespace: sysctl_in NS NAME=VALUE...
sysctl_in() {
    local ns=$1; shift
    ip netns exec "$ns" sysctl -qw "$@" || fail "sysctl $*"
}

# Namespaces whose kernel adds nothing by itself once links are up: no IPv6 link-local
# addresses (their DAD and routes would show in `ip monitor` at any time).
quiet_namespaces() {
    local names ns
    names=$(make_namespaces "$@")
    for ns in $names; do
        sysctl_in "$ns" net.ipv6.conf.all.addr_gen_mode=1 net.ipv6.conf.default.addr_gen_mode=1
    done
    echo "$names"
}

# Runs `ip monitor all` in namespace $1 while the rest of the line runs; fails when it
# saw any event: what ran sent no write.
writes_nothing() {
    local ns=$1; shift
    local events
    events=$(mktemp)
    ip -n "$ns" monitor all >"$events" 2>&1 &
    local monitor=$!
    sleep 0.5
    "$@" || { kill "$monitor"; fail "command failed: $*"; }
    sleep 0.5
    kill "$monitor"; wait "$monitor" 2>/dev/null
    [[ ! -s $events ]] || fail "the kernel saw writes during: $*
$(sed 's/^/        /' "$events" | head -20)"
}

# The seed guide's site A commands (5.2, 6.3, 8.3) over GRE, in the lab's documentation
# addresses (lab/routes.sh lists the substitutions): one batch for ip and gretool, which
# lab/apply.sh also reads as an apply file.
seed_guide_batch() {
    cat <<'EOF'
# an underlay for the tunnels
link add eth0 type veth peer name eth0-p
link set eth0 up
link set eth0-p up
addr add 198.51.100.1/24 dev eth0
# 5.2, site A
tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1 ttl 255
link set gre1 up
addr add 10.0.0.1/30 dev gre1
link set gre1 mtu 1476
route add 203.0.113.0/24 dev gre1
route add 0.0.0.0/0 dev gre1
route add 198.51.100.2/32 dev eth0
# 6.3: policy routing, then ECMP over a second tunnel (8.3)
rule add from 192.0.2.0/24 table 100
route add default via 10.0.0.2 dev gre1 table 100
tunnel add gre2 mode gre remote 198.51.100.3 local 198.51.100.1
link set gre2 up
addr add 10.0.0.5/30 dev gre2
route del 203.0.113.0/24 dev gre1
route add 203.0.113.0/24 nexthop via 10.0.0.2 dev gre1 weight 1 nexthop via 10.0.0.6 dev gre2 weight 1
# site B's routes, in a table of their own
route add 192.0.2.0/24 dev gre1 table 200
route add 198.51.100.1/32 dev eth0 table 200
# the same ECMP as nexthop objects
nexthop add id 1 via 10.0.0.2 dev gre1
nexthop add id 2 via 10.0.0.6 dev gre2
nexthop add id 10 group 1/2
route add 192.0.2.0/24 nhid 10
EOF
}
