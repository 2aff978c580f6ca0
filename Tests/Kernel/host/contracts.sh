# Output and exit-status contracts across objects: -j output is valid JSON on every
# path, error paths included, and words land on the link they belong to.

test_json_stays_valid_on_every_object_and_on_errors() {
    veth_pair
    ok g "$A" route add 203.0.113.0/24 via 198.51.100.2
    ok g "$A" nexthop add id 5 via 198.51.100.2 dev va
    ok g "$A" rule add from 203.0.113.0/24 table 100 priority 100
    local listing
    for listing in "link show" "address show" "route show" "route show table all" "-6 route show" \
                   "rule show" "nexthop show" "tunnel show" "route get 203.0.113.7"; do
        g "$A" -j $listing | jq -e . >/dev/null || fail "invalid JSON from gretool -j $listing"
        g "$A" -j -p $listing | jq -e . >/dev/null || fail "invalid JSON from gretool -j -p $listing"
    done
    # A listing that fails midway still leaves valid JSON on standard output.
    local out rc
    out=$(g "$A" -j route show table 100 2>/dev/null); rc=$?
    [[ $rc == 1 ]] || fail "route show of a missing table: exit $rc, expected 1"
    jq -e . <<<"$out" >/dev/null || fail "route show of a missing table left invalid JSON: [$out]"
    # A command refused, or failed before it listed anything, prints nothing on standard
    # output, as ip: its one line goes to standard error.
    local refused
    for refused in "link show nosuch" "route get 300.1.1.1" "route show bogus" "address show dev nosuch" "bogus"; do
        out=$(g "$A" -j $refused 2>/dev/null); rc=$?
        [[ $rc != 0 ]] || fail "-j $refused succeeded"
        [[ -z $out ]] || fail "-j $refused printed [$out] on standard output"
    done
    for listing in "-br link show" "-br address show" "-o address show" "-o link show" "-o route show"; do
        g "$A" -j $listing | jq -e . >/dev/null || fail "invalid JSON from gretool -j $listing"
    done
    # Flush prints iproute2's summary line as text only.
    out=$(g "$A" -j nexthop flush)
    [[ -z $out ]] || jq -e . <<<"$out" >/dev/null || fail "-j nexthop flush printed text: [$out]"
    assert_eq "$(g "$A" nexthop flush)" "Nothing to flush" "text flush summary"
}

test_generic_words_around_a_veths_peer_land_where_they_belong() {
    read -r A < <(make_namespaces a)
    # Before "peer": the link's own words. After it: the peer's.
    ok g "$A" link add x type veth mtu 1400 address 02:00:00:00:00:0b
    assert_eq "$(json_get "$A" x .mtu)" 1400 "mtu of the link itself"
    assert_eq "$(json_get "$A" x .address)" 02:00:00:00:00:0b "address of the link itself"
    ok g "$A" link add y type veth mtu 1450 peer name z mtu 1300
    assert_eq "$(json_get "$A" y .mtu)" 1450 "mtu before peer"
    assert_eq "$(json_get "$A" z .mtu)" 1300 "mtu after peer"
}

test_a_first_object_larger_than_a_page_is_not_lost() {
    # The kernel sizes a dump's first datagram from the socket's earlier receives, a page
    # before any: a route of 300 legs (about 4.8 KB) first in a dump used to end the dump
    # without it, so "route flush table 700" left it behind and said nothing.
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up
    ip -n "$A" addr add 10.9.0.1/16 dev va
    local legs="" i
    for i in $(seq 2 301); do legs+=" nexthop via 10.9.$((i / 250)).$((i % 250 + 1)) dev va"; done
    ok g "$A" route add 10.0.0.0/16 table 700 $legs
    assert_eq "$(g "$A" -j route show table 700 | jq '.[0].nexthops | length')" 300 "the route's legs"
    ok g "$A" route flush table 700
    assert_eq "$(g "$A" -j route show table 700 | jq length)" 0 "routes left in table 700 after flush"
}
