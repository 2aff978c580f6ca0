# Tunnel and link verbs on GRE devices in a real GRE kernel.

test_tunnel_add_equals_ip_tunnel_add() {
    read -r A B < <(make_namespaces a b)
    # The seed guide's line, with documentation addresses.
    local words="mode gre remote 198.51.100.2 local 198.51.100.1 ttl 255"
    ip -n "$A" tunnel add gre1 $words
    ok g "$B" tunnel add gre1 $words
    assert_eq "$(ip_gre_options "$B" gre1)" "$(ip_gre_options "$A" gre1)" "tunnel add $words"
    # The same with keys, checksums and sequence numbers.
    words="mode gre remote 198.51.100.3 local 198.51.100.1 ikey 5 okey 6 icsum oseq tos 10"
    ip -n "$A" tunnel add gre2 $words
    ok g "$B" tunnel add gre2 $words
    assert_eq "$(ip_gre_options "$B" gre2)" "$(ip_gre_options "$A" gre2)" "tunnel add $words"
    # ip6gre through ip -6 tunnel.
    words="mode ip6gre remote 2001:db8::2 local 2001:db8::1 hoplimit 9 key 7"
    ip -n "$A" -6 tunnel add t6 $words
    ok g "$B" tunnel add t6 $words
    assert_eq "$(ip_gre_options "$B" t6 | jq -c 'del(.data.encap_limit, .data.flowlabel, .data.tclass)')" \
        "$(ip_gre_options "$A" t6 | jq -c 'del(.data.encap_limit, .data.flowlabel, .data.tclass)')" "tunnel add $words"
}

test_tunnel_show_as_ip_tunnel_show() {
    read -r A < <(make_namespaces a)
    ip -n "$A" tunnel add gre1 mode gre remote 198.51.100.2 local 198.51.100.1 ttl 255 key 42
    ip -n "$A" tunnel add gre2 mode gre remote 198.51.100.3 ikey 1 okey 2 csum seq nopmtudisc tos inherit
    local name
    for name in gre1 gre2 gre0; do
        assert_eq "$(g "$A" tunnel show "$name")" "$(ip -n "$A" tunnel show "$name")" "tunnel show $name"
        # iproute2 prints text for "-j tunnel show NAME"; its list form is JSON.
        assert_eq "$(g "$A" -j tunnel show "$name" | jq -cS .)" \
            "$(ip -n "$A" -j tunnel show | jq -cS "map(select(.ifname == \"$name\"))")" "-j tunnel show $name"
    done
    ip -n "$A" -6 tunnel add t6 mode ip6gre remote 2001:db8::2 local 2001:db8::1 key 9
    ip -n "$A" link add va type veth peer name vb
    # As ip's: without -6 the gre tunnels, with -6 the ip6gre ones (ip's lists ip6tnl0 too,
    # a documented difference); a name of the other family, or of no tunnel, prints nothing.
    for name in t6 va; do
        assert_eq "$(g "$A" tunnel show "$name"; echo "exit $?")" "$(ip -n "$A" tunnel show "$name"; echo "exit $?")" "tunnel show $name"
    done
    assert_eq "$(g "$A" -6 tunnel show t6)" "$(ip -n "$A" -6 tunnel show t6)" "-6 tunnel show t6"
    local names='map(.ifname) | sort | join(",")'
    assert_eq "$(g "$A" -j tunnel show | jq -r "$names")" "gre0,gre1,gre2" "tunnel list"
    assert_eq "$(g "$A" tunnel show | cut -d: -f1 | sort | paste -sd,)" "$(ip -n "$A" tunnel show | cut -d: -f1 | sort | paste -sd,)" "tunnel list as ip's"
    assert_eq "$(g "$A" -6 -j tunnel show | jq -r "$names")" "ip6gre0,t6" "-6 tunnel list"
}

test_tunnel_change_keeps_what_it_does_not_name() {
    read -r A < <(make_namespaces a)
    ok g "$A" tunnel add gre0x mode gre remote 198.51.100.2 local 198.51.100.1 key 42 csum
    local before after
    before=$(ip_gre_options "$A" gre0x)
    ok g "$A" tunnel change gre0x ttl 64
    after=$(ip_gre_options "$A" gre0x)
    assert_eq "$(jq -r .data.ttl <<<"$after")" 64 "ttl changed"
    assert_eq "$(jq -c '.data | del(.ttl)' <<<"$after")" "$(jq -c '.data | del(.ttl)' <<<"$before")" "everything else kept"
    assert_eq "$(jq -r '.data.ikey + " " + .data.okey + " " + .data.local + " " + .data.remote' <<<"$after")" \
        "0.0.0.42 0.0.0.42 198.51.100.1 198.51.100.2" "key, local and remote"
    # And through link change.
    ok g "$A" link change gre0x type gre tos 20 nocsum
    after=$(ip_gre_options "$A" gre0x)
    assert_eq "$(jq -r '.data | [.tos, .ttl, .ikey, (.icsum // false)] | map(tostring) | join(" ")' <<<"$after")" "0x20 64 0.0.0.42 false" "link change"
    ok g "$A" link set gre0x up mtu 1400 name wan1
    assert_eq "$(json_get "$A" wan1 .mtu)" 1400 "mtu"
    assert_eq "$(json_get "$A" wan1 .linkinfo.info_data.ttl)" 64 "options kept by link set"
    refuses 2 'wan1 is a gre tunnel; its mode cannot change to gretap' g "$A" tunnel change wan1 mode gretap
    ok g "$A" tunnel del wan1
    [[ $(ip -n "$A" -j link show | jq 'map(select(.ifname == "wan1")) | length') == 0 ]] || fail "tunnel not deleted"
}

test_bad_tunnel_input_makes_nothing() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    local before
    before=$(ip -n "$A" -j link show | jq -c 'map(.ifname)')
    refuses 2 'is 20 bytes long' g "$A" tunnel add abcdefghijklmnopqrst mode gre remote 198.51.100.2
    refuses 2 'invalid remote "198.51.100.999"' g "$A" tunnel add t1 mode gre remote 198.51.100.999
    refuses 2 'invalid key "4294967296"' g "$A" tunnel add t1 mode gre remote 198.51.100.2 key 4294967296
    refuses 2 'invalid mode "ipip"' g "$A" tunnel add t1 mode ipip remote 198.51.100.2
    refuses 2 'remote 2001:db8::2 is IPv6, but gre tunnels run over IPv4' g "$A" tunnel add t1 mode gre remote 2001:db8::2
    refuses 2 'ignore-df needs nopmtudisc' g "$A" link add t1 type gre remote 198.51.100.2 ignore-df pmtudisc
    refuses 1 'cannot find device "eth9"' g "$A" tunnel add t1 mode gre remote 198.51.100.2 dev eth9
    refuses 2 'ttl 64 and nopmtudisc are incompatible' g "$A" tunnel add t1 mode gre remote 198.51.100.2 ttl 64 nopmtudisc
    refuses 2 'unknown word "frob" in gre options' g "$A" link add t1 type gre remote 198.51.100.2 frob
    command -v setpriv >/dev/null &&
        refuses 1 'Operation not permitted.*needs root' as_nobody "$A" "$GRETOOL" tunnel add t1 mode gre remote 198.51.100.2
    # The kernel refuses a second tunnel with the same endpoints and key.
    ok g "$A" tunnel add t2 mode gre remote 198.51.100.2 key 1
    refuses 1 'cannot create tunnel "t3": File exists' g "$A" tunnel add t3 mode gre remote 198.51.100.2 key 1
    ok g "$A" tunnel del t2
    assert_eq "$(ip -n "$A" -j link show | jq -c 'map(.ifname)')" "$before" "links after refused commands"
}

test_statistics_show_the_collisions_counter() {
    veth_pair
    ok g "$A" tunnel add gt mode gre remote 198.51.100.2 local 198.51.100.1
    # No IPv6 link-local address: its router solicitations and MLD reports would loop
    # too, and raise the counter between gretool's read and ip's.
    ipn "$A" link set gt addrgenmode none
    ok g "$A" link set gt up
    ipn "$A" addr add 10.1.0.1/30 dev gt
    # A route to the tunnel's own remote through the tunnel: recursion; the
    # kernel drops each packet and counts it as a collision.
    ipn "$A" route add 198.51.100.2/32 dev gt
    ping_from "$A" -c 2 -W 1 10.1.0.2 >/dev/null 2>&1 || true
    local collisions
    collisions=$(g "$A" -j -s link show gt | jq '.[0].stats64.tx.collisions')
    [[ $collisions -gt 0 ]] || fail "collisions counter did not rise ($collisions)"
    assert_eq "$collisions" "$(ip -n "$A" -j -s link show gt | jq '.[0].stats64.tx.collisions')" "same as iproute2"
    [[ $(g "$A" -s tunnel show gt) == *"DeadLoop"* ]] || fail "tunnel -s does not show DeadLoop"
}
