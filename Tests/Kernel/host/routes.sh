# Addresses, routes, ECMP multipath, nexthop objects, rules and batch files on this
# machine's kernel. The same words run by ip in one namespace and by gretool in its
# twin must leave the same kernel state, and listings must read as iproute2's.
#
# The seed guide's addresses are substituted with documentation ones:
#   1.1.1.1 -> 198.51.100.1   2.2.2.2 -> 198.51.100.2
#   192.168.1.0/24 -> 192.0.2.0/24   192.168.2.0/24 -> 203.0.113.0/24
# This kernel has no GRE: veth devices named gre0 and gre1 stand in for the tunnels
# (Tests/Kernel/lab/routes.sh runs the same words over real ones).

# Namespaces I (ip) and G (gretool) with the same devices: eth0, gre0 and gre1, each
# a veth whose peer (NAME-p) stays in the namespace, all up.
twins() {
    read -r I G < <(make_namespaces ip gt)
    local ns dev
    for ns in "$I" "$G"; do
        for dev in eth0 gre0 gre1; do
            ip -n "$ns" link add "$dev" type veth peer name "$dev-p" || fail "cannot create $dev in $ns"
            ip -n "$ns" link set "$dev" up && ip -n "$ns" link set "$dev-p" up
        done
    done
}

# Runs the words with ip in I and with gretool in G; both must succeed.
both() {
    local out
    out=$(ip -n "$I" "$@" 2>&1) || fail "ip $* failed: $out"
    ok g "$G" "$@"
}

# `both` for each line of standard input.
both_lines() {
    local line
    while read -r line; do
        [[ -n $line ]] && both $line
    done
    return 0
}

# Both tools' batch files.
both_batch() {
    local file=$1 out
    out=$(ip -n "$I" -batch "$file" 2>&1) || fail "ip -batch failed: $out"
    ok g "$G" -batch "$file"
}

# The kernel state the tools are compared on: routes of every table and family, rules,
# nexthops and addresses. Link-local addresses (and their host routes) come from the
# random MACs and are left out.
state() {
    {
        ip -n "$1" -j route show table all
        ip -n "$1" -j -6 route show table all
        ip -n "$1" -j rule show
        ip -n "$1" -j -6 rule show
        ip -n "$1" -j nexthop show
        ip -n "$1" -j addr show
    } | jq -cS --slurp '
        def linklocal: (.dst // "" | startswith("fe80:")) and (.dst != "fe80::/64");
        (.[0], .[1]) |= map(select(linklocal | not))
        | .[5] |= map({ifname, mtu, flags,
            addr: [.addr_info[] | select(.family == "inet" or .scope != "link")]})'
}

same_state() {
    local want got
    want=$(state "$I"); got=$(state "$G")
    [[ $got == "$want" ]] || fail "$1: the kernel state differs from ip's (< ip, > gretool):
$(diff <(jq -S . <<<"$want") <(jq -S . <<<"$got") | head -40)"
}

# A listing without what differs between twins by nature: MACs, link-local addresses
# (whose duplicate detection may still run) and their host routes.
masked() {
    sed -E '/inet6 fe80::[0-9a-f:]+\/64 scope link/{N;d}; /^local fe80::[0-9a-f:]+ /d
            s/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g'
}
masked_json() {
    jq -S 'walk(if type == "object" and has("addr_info")
                then .addr_info |= map(select((.local // "" | startswith("fe80:")) | not)) else . end)
           | if type == "array" then map(select((.dst // "" | test("^fe80:[0-9a-f:]*$")) | not)) else . end' |
        sed -E 's/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g'
}

# `ip WORDS` in I and `gretool WORDS` in G print the same text...
same_text() {
    local want got
    want=$(ip -n "$I" "$@" 2>&1 | masked); got=$(g "$G" "$@" 2>&1 | masked)
    [[ $got == "$want" ]] || fail "text of '$*' differs (< ip, > gretool):
$(diff <(echo "$want") <(echo "$got"))"
}

# ...and the same JSON.
same_listing() {
    same_text "$@"
    local want got
    want=$(ip -n "$I" -j "$@" 2>&1 | masked_json); got=$(g "$G" -j "$@" 2>&1 | masked_json)
    [[ $got == "$want" ]] || fail "JSON of '$*' differs (< ip, > gretool):
$(diff <(echo "$want") <(echo "$got"))"
}

test_seed_guide_site_a() {
    twins
    # 5.2, site A: the tunnel's address and MTU, the route to the other site, the
    # default route through the tunnel, the host route to the remote end.
    both addr add 198.51.100.1/24 dev eth0
    both addr add 10.0.0.1/30 dev gre0
    both link set gre0 mtu 1476
    both route add 203.0.113.0/24 dev gre0
    both route add 0.0.0.0/0 dev gre0
    both route add 198.51.100.2/32 dev eth0
    # 6.3: policy routing for the local network.
    both rule add from 192.0.2.0/24 table 100
    both route add default via 10.0.0.2 dev gre0 table 100
    same_state "seed guide, site A"
    # 5.2 step 4 and 7.2: what the guide looks at.
    local words
    for words in "addr show gre0" "route show" "route show table all" "route get 198.51.100.2" \
                 "route get 203.0.113.1" "rule show" "route show table 100" "addr"; do
        same_listing $words
    done
}

test_seed_guide_site_b() {
    twins
    both addr add 198.51.100.2/24 dev eth0
    both addr add 10.0.0.2/30 dev gre0
    both link set gre0 mtu 1476
    both route add 192.0.2.0/24 dev gre0
    both route add 198.51.100.1/32 dev eth0
    same_state "seed guide, site B"
    same_listing route show
    same_listing route get 192.0.2.1
}

test_seed_guide_ecmp_over_two_tunnels() {
    twins
    both addr add 10.0.0.1/30 dev gre0
    both addr add 10.0.0.5/30 dev gre1
    # 6.3 and 8.3: equal-cost multipath over two tunnels.
    both route add 203.0.113.0/24 nexthop via 10.0.0.2 dev gre0 weight 1 nexthop via 10.0.0.6 dev gre1 weight 1
    both route add 192.0.2.0/24 nexthop via 10.0.0.2 dev gre0 weight 3 nexthop via 10.0.0.6 dev gre1 weight 256
    same_state "ECMP"
    same_listing route show
    same_listing route show 203.0.113.0/24
    same_listing route get 203.0.113.9
    # Replacing one leg's weight, then the route.
    both route replace 203.0.113.0/24 nexthop via 10.0.0.2 dev gre0 weight 2 nexthop via 10.0.0.6 dev gre1
    both route del 192.0.2.0/24
    same_state "ECMP replaced"
    # IPv6 multipath.
    both addr add 2001:db8:1::1/64 dev gre0 nodad
    both addr add 2001:db8:2::1/64 dev gre1 nodad
    both -6 route add 2001:db8:99::/48 nexthop via 2001:db8:1::2 dev gre0 nexthop via 2001:db8:2::2 dev gre1 weight 4
    same_state "IPv6 ECMP"
    same_listing -6 route show
    # -p is iproute2's layout exactly, empty lists included.
    assert_eq "$(g "$G" -j -p route show)" "$(ip -n "$I" -j -p route show)" "pretty JSON"
    assert_eq "$(g "$G" -j -p nexthop show)" "$(ip -n "$I" -j -p nexthop show)" "pretty JSON, no nexthops"
}

test_route_verbs_and_words() {
    twins
    both addr add 198.51.100.1/24 dev eth0
    both addr add 198.51.100.9/24 dev eth0
    both addr add 2001:db8::1/64 dev eth0 nodad
    both_lines <<'EOF'
route add 192.0.2.0/25 via 198.51.100.2 metric 5 mtu lock 1400 advmss 1300 proto static
route add 192.0.2.128/25 via 198.51.100.2 src 198.51.100.9 window 3000 hoplimit 9
route add blackhole 10.1.0.0/16
route add unreachable 10.2.0.0/16 metric 9
route add prohibit 10.3.0.0/16 table 100
route add 10.4.0.0/16 via 192.0.2.254 dev eth0 onlink
route add 10.5.0.0/16 dev gre0 proto 99 scope link table main
route add 10.6.0.0/16 dev gre0 table local
route add default via 198.51.100.254 table 200
route add 10.7.0.0/16 via inet6 2001:db8::2 dev eth0
route add 2001:db8:5::/48 via 2001:db8::2 pref high
route add 2001:db8:6::/48 dev gre1 metric 7 table 100
route add unreachable 2001:db8:7::/48
route prepend 10.8.0.0/16 dev gre0
route append 10.8.0.0/16 dev gre1 table 100
route change 10.5.0.0/16 dev gre1 proto 99 scope link
route replace 10.9.0.0/16 via 198.51.100.3
route replace 10.9.0.0/16 via 198.51.100.4
route del 10.2.0.0/16
route del 10.3.0.0/16 table 100
EOF
    same_state "route verbs"
    local words
    for words in "route" "route show table all" "-6 route" "route show table 100" "route show dev gre0" \
                 "route show proto static" "route show root 10.0.0.0/8" "route show match 10.8.1.1" \
                 "route show type blackhole" "route show default table all" "-d route" "-6 route show table all" \
                 "route get 192.0.2.7" "route get 10.7.1.1" "-6 route get 2001:db8:5::1" "route get 10.9.0.1 from 198.51.100.9"; do
        same_listing $words
    done
    # Flushes: one table, one device, one protocol.
    both route flush table 100
    both route flush dev gre0
    both route flush proto static
    both -6 route flush 2001:db8:5::/48
    same_state "route flush"
}

test_nexthop_objects() {
    twins
    both addr add 10.0.0.1/30 dev gre0
    both addr add 10.0.0.5/30 dev gre1
    both addr add 2001:db8::1/64 dev eth0 nodad
    both_lines <<'EOF'
nexthop add id 1 via 10.0.0.2 dev gre0
nexthop add id 2 via 10.0.0.6 dev gre1
nexthop add id 3 dev gre0
nexthop add id 4 blackhole
nexthop add id 5 via 2001:db8::2 dev eth0 protocol static
nexthop add id 10 group 1/2,3
nexthop add id 11 group 1,2/2 type resilient buckets 8 idle_timer 120 unbalanced_timer 30
nexthop add id 12 group 1/2 type mpath
route add 203.0.113.0/24 nhid 10
route add 192.0.2.0/24 nhid 1 table 100
nexthop replace id 2 via 10.0.0.6 dev gre1 onlink
nexthop replace id 10 group 1,4/2,5
nexthop del id 12
EOF
    same_state "nexthop objects"
    local words
    for words in "nexthop" "nexthop show id 11" "nexthop get id 10" "nexthop show dev gre0" "nexthop show groups" \
                 "-d nexthop" "route" "-d route" "route show table 100"; do
        same_listing $words
    done
    # flush: groups first, so their members can go.
    assert_eq "$(g "$G" nexthop flush)" "$(ip -n "$I" nexthop flush)" "nexthop flush"
    same_state "nexthop flush"
}

test_address_verbs_and_words() {
    twins
    both_lines <<'EOF'
addr add 198.51.100.1/24 dev eth0
addr add 198.51.100.9/24 dev eth0 label eth0:1
addr add 10.0.0.1 peer 10.0.0.2/30 dev gre0 metric 7
addr add 10.20.0.1/24 dev gre0 noprefixroute
addr add 192.0.2.1/24 brd + dev gre1 scope link
addr add 192.0.2.200/24 broadcast 192.0.2.255 dev gre1 scope link
addr add 203.0.113.1/24 dev gre1 metric 20
addr add 2001:db8::1/64 dev eth0 nodad
addr add 2001:db8:1::1/64 dev gre0 nodad noprefixroute metric 300
addr change 203.0.113.1/24 dev gre1 metric 30
addr replace 10.20.0.1/24 dev gre0
addr del 192.0.2.200/24 dev gre1
addr del 198.51.100.9 dev eth0
EOF
    same_state "address verbs"
    local words
    for words in "addr" "addr show dev gre0" "-4 addr" "-6 addr" "addr show up" "address show eth0"; do
        same_listing $words
    done
    # iproute2 leaves an empty JSON object for each address a filter drops: text only here.
    for words in "addr show to 10.0.0.0/8" "addr show scope link" "addr show primary" "addr show label eth0:*"; do
        same_text $words
    done
    both addr flush dev gre1
    both -6 addr flush dev gre0 scope global
    same_state "address flush"
}

test_rule_verbs() {
    twins
    both_lines <<'EOF'
rule add from 192.0.2.0/24 table 100
rule add to 203.0.113.0/24 fwmark 0x10/0xff iif eth0 oif gre0 priority 50 table main
rule add fwmark 7 table 200 pref 60
rule add not from 10.0.0.0/8 tos 0x10 prohibit pref 70
rule add from all lookup 100 suppress_prefixlength 0 pref 80
rule add ipproto tcp dport 80-90 sport 22 uidrange 100-200 goto 80 pref 75
rule add iif gre1 blackhole pref 90
rule add from 198.51.100.0/24 lookup 300 protocol static pref 95
-6 rule add from 2001:db8::/32 table 100
-6 rule add to 2001:db8:1::/48 unreachable pref 200
rule del fwmark 7 table 200 pref 60
rule delete from 192.0.2.0/24 table 100
EOF
    same_state "rule verbs"
    local words
    for words in "rule" "-6 rule" "rule show table main" "rule show pref 50" "-d rule" "rule show from 198.51.100.0/24"; do
        same_listing $words
    done
    both rule flush
    both -6 rule flush
    same_state "rule flush"
}

# Rules whose actions gretool has no words for (made by ip in both namespaces) read
# as iproute2 reads them: an action is named as the route type of its number.
test_rule_actions_read_as_iproute2_names_them() {
    twins
    local ns action
    for ns in "$I" "$G"; do
        for action in 0 4 5; do
            ip -n "$ns" rule add pref $((300 + action)) from 192.0.2.0/24 type $action || fail "ip cannot add a rule of action $action"
        done
    done
    same_listing rule
    same_listing -d rule
}

test_bad_input_is_refused_and_changes_nothing() {
    twins
    local ns=$G
    ip -n "$ns" addr add 10.0.0.1/30 dev gre0
    ip -n "$ns" nexthop add id 1 via 10.0.0.2 dev gre0
    local before
    before=$(state "$ns")
    refuses 2 'invalid destination "203.0.113.1/24": bits are set past the prefix length' g "$ns" route add 203.0.113.1/24 dev gre0
    refuses 2 'invalid destination "2001:db8::1/64": bits are set past the prefix length' g "$ns" route add 2001:db8::1/64 dev gre0
    refuses 2 'invalid destination "10.0.0.0/33"' g "$ns" route add 10.0.0.0/33 dev gre0
    refuses 1 'cannot add route 192.0.2.0/24: Nexthop has invalid gateway.*not on a subnet of the device' g "$ns" route add 192.0.2.0/24 via 198.51.100.77 dev gre0
    refuses 2 'invalid table "nosuch": expected a number or a name from /etc/iproute2/rt_tables' g "$ns" route add 192.0.2.0/24 dev gre0 table nosuch
    refuses 2 'invalid weight "0": expected a number 1..256' g "$ns" route add 192.0.2.0/24 nexthop via 10.0.0.2 dev gre0 weight 0
    refuses 2 'invalid weight "257": expected a number 1..256' g "$ns" route add 192.0.2.0/24 nexthop via 10.0.0.2 dev gre0 weight 257
    refuses 2 'invalid weight "0": expected a number 1..256' g "$ns" nexthop add id 9 group 1,0
    refuses 2 'invalid weight "257"' g "$ns" nexthop add id 9 group 1,257
    refuses 1 'cannot add nexthop 9: Invalid nexthop id.*names a nexthop id that does not exist' g "$ns" nexthop add id 9 group 1/99
    refuses 1 'cannot add nexthop 1: nexthop id 1 is in use \(File exists\)' g "$ns" nexthop add id 1 via 10.0.0.2 dev gre0
    refuses 1 'cannot add route 192.0.2.0/24: Nexthop id does not exist' g "$ns" route add 192.0.2.0/24 nhid 99
    refuses 2 'via 2001:db8::1 is IPv6, but the route is IPv4' g "$ns" route add 192.0.2.0/24 via 2001:db8::1
    refuses 2 'unknown word "bogus" in route add' g "$ns" route add 192.0.2.0/24 dev gre0 bogus
    refuses 2 'route add: no destination given' g "$ns" route add dev gre0
    refuses 1 'cannot find device "nosuch"' g "$ns" route add 192.0.2.0/24 dev nosuch
    refuses 2 'address add: "dev" is required' g "$ns" addr add 192.0.2.1/24
    refuses 2 'nodad applies to IPv6 addresses only' g "$ns" addr add 192.0.2.1/24 dev gre0 nodad
    refuses 2 'invalid table "nosuch"' g "$ns" rule add from 192.0.2.0/24 table nosuch
    refuses 2 'invalid fwmark "x"' g "$ns" rule add fwmark x table 100
    refuses 2 'route flush needs a selector' g "$ns" route flush
    refuses 1 'cannot delete route 192.0.2.0/24: No such process' g "$ns" route del 192.0.2.0/24
    refuses 1 'cannot delete nexthop 77' g "$ns" nexthop del id 77
    assert_eq "$(state "$ns")" "$before" "state after refused commands"
}

test_abbreviations_as_iproute2() {
    twins
    both addr add 10.0.0.1/30 dev gre0
    both rule add from 192.0.2.0/24 table 100
    assert_eq "$(g "$G" a | masked)" "$(ip -n "$I" a | masked)" "a"
    assert_eq "$(g "$G" r)" "$(ip -n "$I" r)" "r"
    assert_eq "$(g "$G" ru)" "$(ip -n "$I" ru)" "ru"
    assert_eq "$(g "$G" r s t all)" "$(ip -n "$I" r s t all)" "r s t all"
    assert_eq "$(g "$G" -j nh)" "$(ip -n "$I" -j nexthop)" "nh"
    ok g "$G" r a 192.0.2.0/24 dev gre0 t 100 pro static
    ok ip -n "$I" r a 192.0.2.0/24 dev gre0 t 100 pro static
    same_state "abbreviated words"
}

# ---------------------------------------------------------------- batch files

test_batch_leaves_what_ip_batch_leaves() {
    twins
    local file
    file=$(mktemp)
    cat >"$file" <<'EOF'
# The seed guide's site A as one file: comments and blank lines are fine.
addr add 198.51.100.1/24 dev eth0
addr add 10.0.0.1/30 dev gre0

addr add 10.0.0.5/30 dev gre1
link set gre0 mtu 1476
route add 198.51.100.2/32 dev eth0   # the tunnel's remote end stays on eth0
route add 203.0.113.0/24 nexthop via 10.0.0.2 dev gre0 weight 1 nexthop via 10.0.0.6 dev gre1 weight 1
rule add from 192.0.2.0/24 table 100
route add default via 10.0.0.2 dev gre0 table 100
nexthop add id 1 via 10.0.0.2 dev gre0
nexthop add id 2 via 10.0.0.6 dev gre1
nexthop add id 10 group 1/2
route add 192.0.2.0/24 nhid 10
route show table 100
route del 198.51.100.2/32 dev eth0
route add 198.51.100.2/32 dev eth0 metric 10
EOF
    both_batch "$file"
    same_state "batch"
}

test_batch_stops_at_the_first_failure() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add gre0 type veth peer name gre0-p
    ip -n "$A" link set gre0 up
    local file i err rc
    file=$(mktemp)
    {
        echo "addr add 10.0.0.1/30 dev gre0"
        for i in $(seq 1 40); do echo "route add 10.1.$i.0/24 via 10.0.0.2"; done
        echo "route add 10.1.7.0/24 via 10.0.0.2"      # line 42: exists already
        for i in $(seq 41 60); do echo "route add 10.1.$i.0/24 via 10.0.0.2"; done
        echo "nexthop add id 5 via 10.0.0.2 dev gre0"
        echo "addr add 10.9.0.1/24 dev gre0"
    } >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null); rc=$?
    assert_eq "$rc" 1 "exit status"
    assert_eq "$err" "gretool: line 42: route add 10.1.7.0/24 via 10.0.0.2: File exists" "the report"
    # Everything before line 42 took effect, nothing after it did, though it went
    # out in the same datagram.
    assert_eq "$(ip -n "$A" -j route show root 10.1.0.0/16 | jq length)" 40 "routes before the failure"
    assert_eq "$(ip -n "$A" -j route show 10.1.41.0/24 | jq length)" 0 "a route after the failure"
    assert_eq "$(ip -n "$A" -j nexthop show | jq length)" 0 "a nexthop after the failure"
    assert_eq "$(ip -n "$A" -j addr show dev gre0 | jq '[.[0].addr_info[] | select(.family == "inet")] | length')" 1 "an address after the failure"
    # A delete that fails stops the batch too; the lines after it stay undone.
    printf 'route del 10.1.1.0/24\nroute del 10.1.99.0/24\nroute del 10.1.2.0/24\n' >"$file"
    refuses 1 '^gretool: line 2: route del 10.1.99.0/24: No such process$' g "$A" -batch "$file"
    assert_eq "$(ip -n "$A" -j route show root 10.1.0.0/16 | jq length)" 39 "deletes before and after the failure"
    # A bad word stops it before anything after it is sent. (Exit 1: line 1 was applied.)
    printf 'route add 10.2.1.0/24 via 10.0.0.2\nroute add 10.2.2.0/24 via 10.0.0.2 bogus\nroute add 10.2.3.0/24 via 10.0.0.2\n' >"$file"
    refuses 1 'line 2: route add 10.2.2.0/24 via 10.0.0.2 bogus: unknown word "bogus"' g "$A" -batch "$file"
    assert_eq "$(ip -n "$A" -j route show root 10.2.0.0/16 | jq -c 'map(.dst)')" '["10.2.1.0/24"]' "lines around a bad word"
}

test_batch_refuses_a_line_past_the_bound_with_its_number() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add gre0 type veth peer name gre0-p
    ip -n "$A" link set gre0 up
    local file
    file=$(mktemp)
    # A file without newlines: refused at line 1 after 64 KiB, nothing sent (exit 2),
    # even with -force, in bounded time and memory.
    refuses 2 '^gretool: line 1: longer than 65536 bytes$' timeout 10 "$GRETOOL" -n "$A" -batch /dev/zero
    refuses 2 '^gretool: line 1: longer than 65536 bytes$' timeout 10 "$GRETOOL" -n "$A" -force -batch - </dev/zero
    # A mebibyte line after one that took effect: the batch stops there (exit 1) and the
    # line after it is not run.
    {
        echo "addr add 10.0.0.1/30 dev gre0"
        head -c 1048576 /dev/zero | tr '\0' x; echo
        echo "route add 10.3.0.0/16 via 10.0.0.2"
    } >"$file"
    refuses 1 '^gretool: line 2: longer than 65536 bytes$' g "$A" -force -batch "$file"
    assert_eq "$(ip -n "$A" -j addr show dev gre0 | jq -c '[.[0].addr_info[] | select(.family == "inet") | .local]')" '["10.0.0.1"]' "the line before"
    assert_eq "$(ip -n "$A" -j route show 10.3.0.0/16 | jq length)" 0 "the line after"
    rm -f "$file"
}

test_batch_deletes_after_a_failure_come_back_as_they_were() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add gre0 type veth peer name gre0-p
    ip -n "$A" link set gre0 up && ip -n "$A" link set gre0-p up
    ip -n "$A" addr add 10.0.0.1/24 dev gre0
    ip -n "$A" addr add 2001:db8:1::1/64 dev gre0 nodad
    ip -n "$A" nexthop add id 7 via 10.0.0.2 dev gre0
    # Routes of every shape a batch deletes, each with more than its key.
    ip -n "$A" route add 10.5.1.0/24 via 10.0.0.2 metric 5 mtu lock 1400 proto static
    ip -n "$A" route add 10.5.2.0/24 via 10.0.0.2 src 10.0.0.1 table 100 advmss 1300 tos 0x10
    ip -n "$A" route add 10.5.3.0/24 nexthop via 10.0.0.2 weight 3 nexthop via 10.0.0.3 dev gre0 onlink
    ip -n "$A" route add 10.5.4.0/24 nhid 7
    ip -n "$A" route add blackhole 10.5.5.0/24 metric 9
    ip -n "$A" route add 10.5.6.0/24 via 10.0.0.2 realms 5
    ip -n "$A" -6 route add 2001:db8:5::/64 via 2001:db8:1::2 metric 7 pref high hoplimit 9
    ip -n "$A" -6 route add 2001:db8:6::/64 nexthop via 2001:db8:1::2 dev gre0 nexthop via 2001:db8:1::3 dev gre0
    local file before err rc
    file=$(mktemp)
    before=$(ip -n "$A" -d -j route show table all; ip -n "$A" -d -j -6 route show table all)
    # Line 2 fails; lines 3-6 went out in the same message and are taken back; the
    # IPv6 deletes (7, 8) would go alone, after it, and are never sent.
    printf '%s\n' "route del 10.5.1.0/24" "route del 10.5.99.0/24" "route del 10.5.2.0/24 table 100" \
        "route del 10.5.3.0/24" "route del 10.5.4.0/24" "route del 10.5.5.0/24" "route del 2001:db8:5::/64" \
        "route del 2001:db8:6::/64" >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null); rc=$?
    assert_eq "$rc" 1 "exit status"
    assert_eq "$err" "gretool: line 2: route del 10.5.99.0/24: No such process" "the report"
    ip -n "$A" route add 10.5.1.0/24 via 10.0.0.2 metric 5 mtu lock 1400 proto static
    assert_eq "$(ip -n "$A" -d -j route show table all; ip -n "$A" -d -j -6 route show table all)" "$before" "routes after the failure"
    # What gretool does not interpret comes back too: realms, a congestion control,
    # an lwtunnel encapsulation.
    ip -n "$A" route add 10.5.7.0/24 via 10.0.0.2 congctl cubic
    ip -n "$A" route add 10.5.8.0/24 encap ip id 5 dst 10.0.0.9 dev gre0
    before=$(ip -n "$A" -d -j route show table all)
    printf '%s\n' "route del 10.5.99.0/24" "route del 10.5.6.0/24" "route del 10.5.7.0/24" "route del 10.5.8.0/24" >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null); rc=$?
    assert_eq "$rc" 1 "exit status"
    assert_eq "$err" "gretool: line 1: route del 10.5.99.0/24: No such process" "the report"
    assert_eq "$(ip -n "$A" -d -j route show table all)" "$before" "realms, congctl and encap after the failure"
}

test_batch_force_goes_on_and_reports_every_failure() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add gre0 type veth peer name gre0-p
    ip -n "$A" link set gre0 up
    ip -n "$A" addr add 10.0.0.1/30 dev gre0
    local file err rc
    file=$(mktemp)
    printf '%s\n' "route add 10.3.1.0/24 via 10.0.0.2" "route add 10.3.1.0/24 via 10.0.0.2" \
        "route add 10.3.2.0/24 via 10.0.0.2" "route del 10.3.9.0/24" "route add 10.3.3.0/24 via 10.0.0.2 nosuchword" \
        "route add 10.3.4.0/24 via 10.0.0.2" >"$file"
    err=$(g "$A" -force -batch "$file" 2>&1 >/dev/null); rc=$?
    [[ $rc != 0 ]] || fail "-force -batch with failures exited 0"
    assert_eq "$err" 'gretool: line 2: route add 10.3.1.0/24 via 10.0.0.2: File exists
gretool: line 4: route del 10.3.9.0/24: No such process
gretool: line 5: route add 10.3.3.0/24 via 10.0.0.2 nosuchword: unknown word "nosuchword" in route add' "every failure, in order"
    assert_eq "$(ip -n "$A" -j route show root 10.3.0.0/16 | jq -c 'map(.dst)')" '["10.3.1.0/24","10.3.2.0/24","10.3.4.0/24"]' "routes after -force"
}

test_batch_exit_status_2_only_when_nothing_was_sent() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add gre0 type veth peer name gre0-p
    ip -n "$A" link set gre0 up
    ip -n "$A" addr add 10.0.0.1/30 dev gre0
    local ok_line="route add 10.6.1.0/24 via 10.0.0.2" bad_line="route add 10.6.2.0/24 bogus" rc
    status_of() { printf '%s\n' "$@" | g "$A" "${flags[@]}" -batch - >/dev/null 2>&1; echo $?; }
    local flags=()
    assert_eq "$(status_of "# nothing yet" "$bad_line" "$ok_line")" 2 "a bad first line"
    ip -n "$A" route flush root 10.6.0.0/16
    assert_eq "$(status_of "$ok_line" "$bad_line")" 1 "a bad line after one that was applied"
    ip -n "$A" route flush root 10.6.0.0/16
    flags=(-force)
    assert_eq "$(status_of "$bad_line" "$bad_line")" 2 "-force, every line bad"
    assert_eq "$(status_of "$bad_line" "$ok_line")" 1 "-force, a line applied after a bad one"
    ip -n "$A" route flush root 10.6.0.0/16
    assert_eq "$(status_of "$ok_line" "route del 10.6.9.0/24" "$bad_line")" 1 "-force, the kernel refused a line, then a bad one"
}

test_batch_output_that_cannot_be_written_fails() {
    read -r A < <(make_namespaces a)
    local rc
    echo "link show" | g "$A" -batch - >/dev/full 2>/dev/null; rc=$?
    assert_eq "$rc" 1 "exit status of a batch writing to a full device"
    g "$A" link show >/dev/full 2>/dev/null; rc=$?
    assert_eq "$rc" 1 "exit status of the command alone"
}

test_batch_from_stdin_reads_in_order() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add gre0 type veth peer name gre0-p
    ip -n "$A" link set gre0 up && ip -n "$A" link set gre0-p up
    local out
    # A listing between changes sees the changes before it.
    out=$(printf '%s\n' "addr add 10.0.0.1/30 dev gre0" "route add 10.4.1.0/24 via 10.0.0.2" \
        "route show root 10.4.0.0/16" "route add 10.4.2.0/24 via 10.0.0.2" "" "  # done" "route show root 10.4.0.0/16" |
        g "$A" -batch -) || fail "batch from stdin failed"
    assert_eq "$out" "10.4.1.0/24 via 10.0.0.2 dev gre0 
10.4.1.0/24 via 10.0.0.2 dev gre0 
10.4.2.0/24 via 10.0.0.2 dev gre0 " "listings in a batch"
}

test_batch_request_larger_than_the_room_left_is_answered() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up && ip -n "$A" link set vb up
    ip -n "$A" addr add 198.51.100.1/24 dev va
    local file i err rc
    file=$(mktemp)
    # Nine large lines the kernel refuses (a gateway on no subnet of va), then one too
    # large for the room they leave: it must go out alone, asking for its answer.
    for i in $(seq 1 9); do
        printf 'route add 10.9.%d.0/24' "$i"; printf ' nexthop via 192.0.2.1 dev va%.0s' $(seq 350); echo
    done >"$file"
    { printf 'route add 10.10.0.0/16 table 500'; printf ' nexthop via 198.51.100.2 dev va%.0s' $(seq 1000); echo; } >>"$file"
    err=$(timeout 20 "$GRETOOL" -n "$A" -force -batch "$file" 2>&1 >/dev/null); rc=$?
    [[ $rc != 124 ]] || fail "the batch hung waiting for an answer"
    assert_eq "$rc" 1 "exit status"
    assert_eq "$(grep -c 'Nexthop has invalid gateway' <<<"$err")" 9 "the refused lines"
    # (ip cannot dump a route this large.)
    assert_eq "$(g "$A" -j route show table 500 | jq '.[0].nexthops | length')" 1000 "the large route"
}

test_batch_takes_back_only_what_it_added() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up && ip -n "$A" link set vb up
    ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
    ip -n "$A" -6 route add 2001:db8:5::/64 dev va metric 100
    ip -n "$A" rule add pref 100 fwmark 1 lookup 5
    local file before err
    file=$(mktemp)
    before=$(ip -n "$A" -j -6 route show; ip -n "$A" -j rule show)
    # Line 1 fails; line 2 went out with it and is taken back: the route it added (metric
    # 1024), not the one of metric 100 that was there before.
    printf '%s\n' "route add 2001:db8:7::/64 via 2001:db8:99::1" "route add 2001:db8:5::/64 dev va" >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null)
    [[ $err == "gretool: line 1: "* ]] || fail "the report: $err"
    assert_eq "$(ip -n "$A" -j -6 route show; ip -n "$A" -j rule show)" "$before" "IPv6 routes after the failure"
    # A rule cannot be taken back (its delete would take the fwmark rule of the same
    # priority): it waits for the lines before it, and is never sent.
    printf '%s\n' "route add 2001:db8:7::/64 via 2001:db8:99::1" "rule add priority 100 lookup 5" >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null)
    [[ $err == "gretool: line 1: "* ]] || fail "the report: $err"
    assert_eq "$(ip -n "$A" -j -6 route show; ip -n "$A" -j rule show)" "$before" "rules after the failure"
}

test_batch_puts_back_one_deleted_leg_of_an_ipv6_ecmp_route() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up && ip -n "$A" link set vb up
    ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
    ip -n "$A" -6 route add 2001:db8:6::/64 nexthop via 2001:db8:1::2 dev va nexthop via 2001:db8:1::3 dev va
    local file before err
    file=$(mktemp)
    before=$(ip -n "$A" -d -j -6 route show)
    # The kernel describes the deleted leg alone; its sibling keeps the metric, so the
    # leg goes back appended to it.
    printf '%s\n' "route del 10.5.99.0/24" "route del 2001:db8:6::/64 via 2001:db8:1::3" >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null)
    assert_eq "$err" "gretool: line 1: route del 10.5.99.0/24: No such process" "the report"
    assert_eq "$(ip -n "$A" -d -j -6 route show)" "$before" "the route after the failure"
    # The first leg comes back too, after the other: the same legs.
    printf '%s\n' "route del 10.5.99.0/24" "route del 2001:db8:6::/64 via 2001:db8:1::2" >"$file"
    err=$(g "$A" -batch "$file" 2>&1 >/dev/null)
    assert_eq "$err" "gretool: line 1: route del 10.5.99.0/24: No such process" "the report"
    local legs='map(if .nexthops then .nexthops |= sort_by(.gateway) else . end)'
    assert_eq "$(ip -n "$A" -d -j -6 route show | jq -c "$legs")" "$(jq -c "$legs" <<<"$before")" "the legs after the failure"
}

test_batch_names_the_lines_whose_replies_were_lost() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up && ip -n "$A" link set vb up
    ip -n "$A" addr add 198.51.100.1/24 dev va
    local add del legs i err rc
    add=$(mktemp) && del=$(mktemp)
    legs=$(for i in $(seq 1000); do printf ' nexthop via 198.51.100.%d dev va' $((i % 250 + 2)); done)
    for i in $(seq 140); do echo "route add 10.20.$i.0/24$legs"; done >"$add"
    for i in $(seq 140); do echo "route del 10.20.$i.0/24"; done >"$del"
    g "$A" -batch "$add" >/dev/null 2>&1 || fail "cannot add the routes"
    # Deletes named by their prefix, of routes of 1000 legs: the kernel's descriptions
    # of what went (~40 KiB each) overflow the receive buffer. Which of the lines in
    # that datagram took effect nobody knows: the report says so, and the batch stops.
    err=$(timeout 20 "$GRETOOL" -n "$A" -batch "$del" 2>&1 >/dev/null); rc=$?
    assert_eq "$rc" 1 "exit status"
    assert_eq "$err" "gretool: lines 1-128: outcome unknown: netlink receive buffer overflow (No buffer space available)" "the report"
    assert_eq "$(g "$A" -j route show root 10.20.0.0/16 | jq length)" 12 "routes of the lines after them"
}

test_realms_and_congestion_control_show_as_iproute2_shows_them() {
    read -r A < <(make_namespaces a)
    ip -n "$A" link add va type veth peer name vb
    ip -n "$A" link set va up && ip -n "$A" link set vb up
    ip -n "$A" addr add 198.51.100.1/24 dev va
    ip -n "$A" addr add 2001:db8:1::1/64 dev va nodad
    ip -n "$A" route add 10.1.0.0/16 via 198.51.100.2 realm 5 congctl cubic
    ip -n "$A" route add 10.2.0.0/16 via 198.51.100.2 realms 2/5 congctl lock cubic mtu 1400
    ip -n "$A" route add 10.3.0.0/16 via 198.51.100.2 realms 3/0
    ip -n "$A" route add 10.5.0.0/16 nexthop via 198.51.100.2 realm 7 nexthop via 198.51.100.3 realms 1/2
    ip -n "$A" -6 route add 2001:db8:5::/64 via 2001:db8:1::2 congctl lock cubic
    local words
    for words in "route show" "-d route show" "-6 route show" "route show 10.5.0.0/16"; do
        assert_eq "$(g "$A" $words)" "$(ip -n "$A" $words)" "text of $words"
        assert_eq "$(g "$A" -j $words)" "$(ip -n "$A" -j $words)" "JSON of $words"
    done
}
