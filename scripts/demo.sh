#!/bin/bash
# gretool's main job on real interfaces: two namespaces joined by veth, a GRE
# tunnel made by gretool on each side, addresses, a route, traffic through the
# tunnel, and what gretool shows of it. Runs on this kernel when it has GRE;
# otherwise inside the lab VM (a stock Debian kernel), and says so.
#
#   scripts/demo.sh GRETOOL [--here]
set -euo pipefail
gretool=$(readlink -f "${1:?usage: demo.sh GRETOOL}")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
A=gretool-demo-a B=gretool-demo-b

kernel_has_gre() {
    local probe=gretool-demo-probe rc=0
    ip netns add "$probe" 2>/dev/null || return 1
    ip -n "$probe" link add probe0 type gre remote 192.0.2.1 >/dev/null 2>&1 || rc=1
    ip netns del "$probe"
    return $rc
}

if [[ ${2:-} != --here ]]; then
    [[ $(id -u) == 0 ]] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
    if kernel_has_gre; then
        exec "$0" "$gretool" --here
    fi
    echo "demo: this kernel ($(uname -r)) has no GRE support: running the demo in the lab VM"
    exec "$here/../Tests/Lab/lab.sh" --gretool "$gretool" --with "$0" -- bash demo.sh /run/gretool-lab/gretool --here
fi

run() {
    printf '\n$ %s\n' "$*"
    "$@"
}
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
export PATH="$(dirname "$gretool"):$PATH"
ping_cmd=(ping); command -v ping >/dev/null || ping_cmd=(busybox ping)

echo "== two namespaces, $A and $B, joined by a veth pair (the underlay)"
ip netns add "$A"
ip netns add "$B"
run gretool -n "$A" link add va type veth peer name vb netns "$B"
run gretool -n "$A" addr add 198.51.100.1/24 dev va
run gretool -n "$B" addr add 198.51.100.2/24 dev vb
run gretool -n "$A" link set va up
run gretool -n "$B" link set vb up
gretool -n "$A" link set lo up; gretool -n "$B" link set lo up

echo
echo "== a GRE tunnel on each side, keyed, with a fixed TTL"
run gretool -n "$A" tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1 ttl 255 key 42
run gretool -n "$B" tunnel add gre1 mode gre remote 198.51.100.1 local 198.51.100.2 ttl 255 key 42
run gretool -n "$A" link set gre1 up
run gretool -n "$B" link set gre1 up
run gretool -n "$A" addr add 10.0.0.1/30 dev gre1
run gretool -n "$B" addr add 10.0.0.2/30 dev gre1

echo
echo "== a network behind B, reached through the tunnel"
run gretool -n "$B" addr add 203.0.113.1/24 dev lo
run gretool -n "$A" route add 203.0.113.0/24 via 10.0.0.2 dev gre1
run gretool -n "$A" route get 203.0.113.1

echo
echo "== traffic through the tunnel"
run ip netns exec "$A" "${ping_cmd[@]}" -c 3 -W 2 203.0.113.1

echo
echo "== what gretool shows"
run gretool -n "$A" tunnel show
run gretool -n "$A" -d link show gre1
run gretool -n "$A" -s link show gre1

echo
echo "== keepalives: what diag says this host needs to answer its peer's, then a probe"
run gretool -n "$A" diag keepalive gre1 || true
# diag's fix lines, on both ends (each answers the other's keepalives).
for ns in "$A" "$B"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.gre1.forwarding=1 net.ipv4.conf.gre1.accept_local=1
done
run gretool -n "$A" keepalive probe gre1 count 3 timeout 2
run gretool -n "$A" diag gre1
echo
echo "demo: done (namespaces removed)"
