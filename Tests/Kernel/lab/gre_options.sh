# GRE options round-trip through a real GRE kernel: for each option set, the link
# gretool makes reads back (ip -d -j) with the values of the one iproute2 makes from
# the same words, and gretool reports iproute2's links with iproute2's values.
#
# iproute2 builds every set in namespace A, gretool the same words in B; one dump of
# each is compared. The kernel keys tunnels by endpoints and key, so REMOTE4 and
# REMOTE6 become a different remote per set. IPv6 tunnels use the documentation
# prefix 2001:db8::/32; the guest has no network card.

OPTION_SETS=(
    "gre|remote REMOTE4 local 198.51.100.1 ttl 255"
    "gre|remote REMOTE4 local 198.51.100.1 key 42"
    "gre|remote REMOTE4 key 4294967295"
    "gre|remote REMOTE4 ikey 1.2.3.4 okey 7"
    "gre|remote REMOTE4 local 198.51.100.1 csum seq"
    "gre|remote REMOTE4 icsum oseq"
    "gre|remote REMOTE4 ocsum iseq ikey 9"
    "gre|remote REMOTE4 local 198.51.100.1 nopmtudisc ignore-df"
    "gre|remote REMOTE4 nopmtudisc noignore-df"
    "gre|remote REMOTE4 tos 10 ttl 64"
    "gre|remote REMOTE4 tos inherit ttl inherit"
    "gre|remote REMOTE4 local 198.51.100.1 dev va"
    "gre|remote REMOTE4 fwmark 0x1c"
    "gre|remote REMOTE4 encap fou encap-sport auto encap-dport 5555 encap-csum"
    "gre|remote REMOTE4 encap gue encap-sport 1234 encap-dport 6666 noencap-csum encap-remcsum"
    "gre|remote REMOTE4 encap fou encap-dport 5555 encap none"
    "gre|external"
    "gretap|remote REMOTE4 local 198.51.100.1 key 5"
    "gretap|remote REMOTE4 csum seq ttl 20 dev va"
    "ip6gre|remote REMOTE6 local 2001:db8::1"
    "ip6gre|remote REMOTE6 local 2001:db8::1 key 9 hoplimit 10 tclass 20 flowlabel 12345 encaplimit 2"
    "ip6gre|remote REMOTE6 encaplimit none tclass inherit flowlabel inherit"
    "ip6gre|remote REMOTE6 ttl inherit seq csum fwmark 7"
    "ip6gretap|remote REMOTE6 local 2001:db8::1 csum seq okey 3"
    "ip6gretap|remote REMOTE6 dev va encap fou encap-dport 7777"
)

# The sets with their placeholders filled in: one line each, "kind|words".
option_sets() {
    local n=0 entry
    for entry in "${OPTION_SETS[@]}"; do
        n=$((n + 1))
        entry=${entry//REMOTE4/198.51.100.$((100 + n))}
        echo "${entry//REMOTE6/2001:db8::$((100 + n))}"
    done
}

# Canonical options of every tN link in a dump, keyed by name.
options_by_name='map(select(.ifname | test("^t[0-9]+$")) | {key: .ifname, value: {kind: .linkinfo.info_kind, mtu, data: (.linkinfo.info_data // {})}}) | from_entries'

test_same_options_as_iproute2() {
    read -r A B < <(make_namespaces a b)
    local ns
    for ns in "$A" "$B"; do
        ip -n "$ns" link add va type veth peer name vb
        ipn "$ns" addr add 2001:db8::1/64 dev va nodad
    done
    local n=0 kind words
    while IFS='|' read -r kind words; do
        n=$((n + 1))
        ip -n "$A" link add "t$n" type "$kind" $words || fail "iproute2 refused: $kind $words"
        ok g "$B" link add "t$n" type "$kind" $words
    done < <(option_sets)

    local by_ip by_gretool seen_by_gretool
    by_ip=$(ip -n "$A" -d -j link show | jq -cS "$options_by_name")
    by_gretool=$(ip -n "$B" -d -j link show | jq -cS "$options_by_name")
    seen_by_gretool=$(g "$A" -d -j link show | jq -cS "$options_by_name")
    [[ $(jq 'length' <<<"$by_ip") == "$n" ]] || fail "expected $n tunnels in iproute2's namespace"
    if [[ $by_gretool != "$by_ip" || $seen_by_gretool != "$by_ip" ]]; then
        # Name the first set that differs, with both sides.
        local i=0
        while IFS='|' read -r kind words; do
            i=$((i + 1))
            local want got seen
            want=$(jq -cS ".t$i" <<<"$by_ip"); got=$(jq -cS ".t$i" <<<"$by_gretool"); seen=$(jq -cS ".t$i" <<<"$seen_by_gretool")
            [[ $got == "$want" ]] || fail "$kind $words: gretool made
        $got
    where iproute2 made
        $want"
            [[ $seen == "$want" ]] || fail "$kind $words: gretool reports iproute2's link as
        $seen
    where iproute2 reports
        $want"
        done < <(option_sets)
    fi
    echo "$n option sets match"
}

# Issue 3's grammar puts `mtu N` among the GRE words; iproute2 wants generic words
# before `type`. gretool takes both; the result equals iproute2's.
test_generic_words_after_gre_options() {
    read -r A B < <(make_namespaces a b)
    ip -n "$A" link add t1 mtu 1400 type gre remote 198.51.100.2 key 3
    ok g "$B" link add t1 type gre remote 198.51.100.2 key 3 mtu 1400
    assert_eq "$(ip_gre_options "$B" t1)" "$(ip_gre_options "$A" t1)" "mtu after the GRE words"
    ip -n "$A" link add t2 txqueuelen 77 type gretap remote 198.51.100.3
    ok g "$B" link add t2 type gretap remote 198.51.100.3 txqueuelen 77 up
    assert_eq "$(json_get "$B" t2 .txqlen)" 77 "txqueuelen after the GRE words"
    assert_eq "$(json_get "$B" t2 '.flags | index("UP") != null')" true "up after the GRE words"
}
