# The seed guide's address, route, rule and ECMP commands over real GRE tunnels: one
# batch file, run by ip -batch in one namespace and gretool -batch in another, must
# leave the same state, and listings must read as iproute2's. Process start-up is slow
# in the guest: everything is one batch per tool, listings are gathered in one go and
# compared with one jq call.
#
# Substitutions: 1.1.1.1 -> 198.51.100.1, 2.2.2.2 -> 198.51.100.2, 2.2.2.3 -> 198.51.100.3,
# 192.168.1.0/24 -> 192.0.2.0/24, 192.168.2.0/24 -> 203.0.113.0/24. The guide's gre0 and
# gre1 are gre1 and gre2 here: with ip_gre loaded, gre0 is the kernel's fallback device.
# The batch is lib.sh's seed_guide_batch (apply.sh declares the same site).

# Listings the guide looks at (and a few more), text and JSON, with MACs and link-local
# addresses masked. The link-local addresses' host routes come in no fixed order: "table
# all" is compared as text without them (and as JSON by the state comparison).
listings() {
    local tool=$1 ns=$2 words
    for words in "addr show gre1" "route show" "route show table all" "route get 198.51.100.2" "route get 203.0.113.1" \
                 "route get 192.0.2.1" "rule show" "route show table 100" "nexthop show" "-6 route show" "-d route show"; do
        echo "== $words"
        $tool -n "$ns" $words
        [[ $words == *"table all" ]] || $tool -n "$ns" -j $words
        echo
    done 2>&1 | sed -E '/inet6 fe80::[0-9a-f:]+\/64 scope link/{N;d}; /^local fe80::/d; s/fe80::[0-9a-f:]+/LINKLOCAL/g'
}

test_seed_guide_over_gre_as_ip_leaves_it() {
    read -r I G < <(make_namespaces ip gt)
    local file
    file=$(mktemp)
    seed_guide_batch >"$file"
    ip -n "$I" -batch "$file" || fail "ip -batch failed"
    ok g "$G" -batch "$file"
    # The whole state, compared at once.
    local state
    state=$(for ns in "$I" "$G"; do
                ip -n "$ns" -j route show table all; ip -n "$ns" -j -6 route show table all
                ip -n "$ns" -j rule show; ip -n "$ns" -j nexthop show
                ip -n "$ns" -j addr show; ip -n "$ns" -d -j link show type gre
            done | jq -cS --slurp '
                def clean: map(select((.dst // "" | test("^fe80:[0-9a-f:]*$")) | not))
                    | map(if has("addr_info") then {ifname, mtu, flags,
                          addr: [.addr_info[] | select(.family == "inet" or .scope != "link")]} else . end)
                    | map(del(.address, .broadcast, .ifindex, .link_index));
                map(clean) | {ip: .[0:6], gretool: .[6:12]} | .ip == .gretool')
    assert_eq "$state" true "the kernel state gretool -batch left against ip -batch's"
    local want got
    want=$(listings ip "$I"); got=$(listings "$GRETOOL" "$G")
    [[ $got == "$want" ]] || fail "listings differ (< ip, > gretool):
$(diff <(echo "$want") <(echo "$got") | head -40)"
}

test_seed_guide_commands_one_by_one() {
    # The same words as separate commands, on gretool alone: each succeeds and the
    # ECMP route spreads over both tunnels.
    read -r G < <(make_namespaces gt)
    local line
    while read -r line; do
        [[ -z $line || $line == \#* ]] && continue
        ok g "$G" $line
    done < <(seed_guide_batch)
    assert_eq "$(ip -n "$G" -j route show 203.0.113.0/24 | jq -c '[.[0].nexthops[] | .dev]')" '["gre1","gre2"]' "ECMP legs"
    assert_eq "$(ip -n "$G" -j route get 198.51.100.2 | jq -r '.[0].dev')" eth0 "the remote end stays on the underlay"
    assert_eq "$(ip -n "$G" -j route show table 100 | jq -c '.[0] | [.dst, .gateway, .dev]')" '["default","10.0.0.2","gre1"]' "policy routing's table"
}
