# state export's files, loaded by the tools they are written for: systemd-networkd (run by
# hand in the test's namespace), ifupdown's ifup, and netplan generate (whose networkd files
# networkd then loads). Each must make the tunnels, addresses, routes, nexthops and rules
# of the source, as `ip -d -j` shows them, but for exactly what the export warned that the
# format cannot carry.

# One setup serves the three tools, and networkd's first start is slow under emulation:
# 66 to 84 s at load 19 (about half that on a quiet machine), near the runner's 90 s.
test_time_limit=180

# The source: the seed guide's site A (lib.sh) as an apply file, its tunnels given keys and
# options, and more tunnels: a gretap with what networkd reads otherwise (key 0,
# ignore-df), a GRE over FOU, and two ip6gre with what networkd sets on IPv4 tunnels or
# ip6tnl only (sequence numbers, the encapsulation limit, dscp inherit, allow-localremote).
export_source_file() {
    seed_guide_batch | grep -v '^route \(add\|del\) 203.0.113.0/24 dev gre1$' | sed \
        -e 's/^tunnel add gre1 .*/& key 42 seq/' \
        -e 's/^tunnel add gre2 .*/& ttl 64 tos 0x10 ikey 1 okey 2 csum/'
    cat <<'EOF'
link add gt3 type gretap remote 198.51.100.4 local 198.51.100.1 key 0 nopmtudisc ignore-df
link set gt3 up
address add 10.0.0.9/30 dev gt3
link add gre4 type gre remote 198.51.100.5 local 198.51.100.1 ttl 64 encap fou encap-dport 5555
link set gre4 up
address add 10.0.0.13/30 dev gre4
route add 192.0.2.128/25 via 10.0.0.14 dev gre4 metric 20
link add g6 type ip6gre remote 2001:db8::2 key 5 seq flowlabel 0x12345
link set g6 up
link add g7 type ip6gre remote 2001:db8::3 encaplimit none dscp inherit allow-localremote
link set g7 up
EOF
}

# In namespace $1, what the tunnels stand on, made with ip: site A's eth0 with its address
# and routes, all but the lines matching $2 (what the format's files carry themselves).
underlay_only() {
    seed_guide_batch | grep -w eth0 | grep -v -e "${2:-^$}" | ip -n "$1" -batch - || fail "cannot make the underlay"
}

# The tunnels' side of the kernel's state, as ip shows it: every GRE device's kind, MTU,
# flags and options; every address, route (all tables), nexthop and rule. Left out is what
# differs by nature: indexes, MAC addresses, who made a route (its protocol), the IPv6
# link-local addresses and routes the kernel adds by itself, the fallback devices' state,
# min/max MTU (which ip tunnel's ioctl sets), and the order of a group's members and of a
# route's legs (networkd keeps them in a hash table: the same set in any order).
tunnel_state() {
    local ns=$1
    {
        ip -n "$ns" -d -j link show; ip -n "$ns" -j addr show
        ip -n "$ns" -j route show table all; ip -n "$ns" -j -6 route show table all
        ip -n "$ns" -j nexthop show; ip -n "$ns" -j rule show
    } | jq -cS --slurp '
        def tunnels: map(select((.linkinfo.info_kind // "" | test("^(ip6)?gre(tap)?$"))
                and (.ifname | test("^(gre|gretap|ip6gre)0$") | not))
            | {ifname, mtu, flags, kind: .linkinfo.info_kind, options: .linkinfo.info_data});
        def local_ipv6: (.dst // "") | test("^(fe80:|ff00::)");
        {links: (.[0] | tunnels | sort_by(.ifname)),
         addresses: (.[1] | map({ifname, addr: [.addr_info[] | select(.scope != "link" or .family == "inet")
             | del(.valid_life_time, .preferred_life_time, .protocol)]}) | sort_by(.ifname)),
         routes: ((.[2] + .[3]) | map(select(local_ipv6 | not) | del(.protocol)
             | if .nexthops then .nexthops |= sort_by(.dev, .gateway) else . end) | sort),
         nexthops: (.[4] | map(del(.protocol) | if .group then .group |= sort_by(.id) else . end) | sort),
         rules: (.[5] | map(del(.protocol)) | sort)}'
}

# The state of namespace $1 (tunnel_state) is the source's state $2 once the jq update $3
# (what the export warned the format cannot carry) is made to the source's; $4, made to
# both, leaves out what the tool adds of its own.
same_tunnels() {
    local want got
    want=$(jq -cS "$3 | ${4:-.}" <<<"$2") || fail "bad expectation: $3"
    got=$(tunnel_state "$1" | jq -cS "${4:-.}")
    [[ $got == "$want" ]] || fail "the kernel state differs from the source's:
$(diff <(jq . <<<"$want") <(jq . <<<"$got") | head -40)"
}

# systemd-networkd in namespace $1 with the .netdev and .network files of directory $2, in a
# mount namespace of its own: only these files (tmpfs over its configuration directories),
# its state in a private /run/systemd, and /sys read-only, which tells it that no udev will
# announce the links (it would wait for one forever). It runs until each of the links its
# .network files match is configured (or failed), then stops.
run_networkd() {
    local ns=$1 dir=$2 log
    log=$(mktemp)
    timeout -s KILL 60 ip netns exec "$ns" bash -c '
        mount -o remount,ro /sys || exit 1
        mkdir -p /run/systemd || exit 1
        for config in /etc/systemd/network /usr/lib/systemd/network /run/systemd /usr/local/lib/systemd/network; do
            [[ -d $config ]] && { mount -t tmpfs tmpfs "$config" || exit 1; }
        done
        cp "$1"/*.netdev "$1"/*.network /etc/systemd/network/ || exit 1
        links=$(ls "$1"/*.network | wc -l)
        /lib/systemd/systemd-networkd >"$2" 2>&1 &
        networkd=$!
        settled=""
        for _ in $(seq 300); do
            sleep 0.1
            done_links=$(grep -lE "^ADMIN_STATE=(configured|failed)" /run/systemd/netif/links/* 2>/dev/null | wc -l)
            if ((done_links >= links)); then settled=1; break; fi
        done
        failed=$(grep -lE "^ADMIN_STATE=failed" /run/systemd/netif/links/* 2>/dev/null)
        kill "$networkd"; wait "$networkd"
        [[ -n $settled && -z $failed ]]
    ' run-networkd "$dir" "$log" || fail "systemd-networkd did not configure every link:
$(grep -vE 'non-static neighbor|invalid family|wireless|Failed to get driver' "$log" | tail -15 | sed 's/^/        /')"
}

# The warnings of an export as $1, written to directory $2, from namespace $G.
export_warnings() {
    g "$G" state export as "$1" -o "$2" 2>&1 >/dev/null || fail "state export as $1 failed"
}

# One source for the three tools: each check loads the export into a namespace of its own.
test_networkd_ifupdown_and_netplan_make_the_tunnels_of_their_exports() {
    command -v /lib/systemd/systemd-networkd >/dev/null || fail "no systemd-networkd (apt-get install systemd)"
    command -v ifup >/dev/null || fail "no ifup (apt-get install ifupdown)"
    local generate
    generate=$(ls /usr/libexec/netplan/generate /usr/lib/netplan/generate 2>/dev/null | head -1)
    [[ -n $generate ]] || fail "no netplan generator (apt-get install netplan.io)"
    read -r G N F P U < <(make_namespaces gt nd if np bare)
    local file source
    file=$(mktemp)
    export_source_file >"$file"
    ok g "$G" apply "$file" >/dev/null
    source=$(tunnel_state "$G")

    # systemd-networkd: everything but what the warnings name. The route to the remote
    # goes in eth0's .network, as the file says: here, by hand, with the rest of eth0.
    local networkd
    networkd=$(mktemp -d)
    assert_eq "$(export_warnings networkd "$networkd")" "gretool: warning: gre1: this route belongs in eth0's .network: gretool route add 198.51.100.2/32 dev eth0
gretool: warning: gre2: csum: systemd-networkd has no setting for it (gretool apply carries it)
gretool: warning: gt3: ignore-df: systemd-networkd before version 254 ignores IgnoreDontFragment=
gretool: warning: gt3: key 0: systemd-networkd takes a key of 0 for no key
gretool: warning: g6: encaplimit 4: systemd-networkd sets no encapsulation limit on ip6gre, and the kernel then inserts a limit of 0
gretool: warning: g6: seq: systemd-networkd sets sequence numbers on gre and gretap only
gretool: warning: g7: dscp inherit: systemd-networkd sets it on ip6tnl tunnels only
gretool: warning: g7: allow-localremote: systemd-networkd sets it on ip6tnl tunnels only" "networkd's warnings"
    underlay_only "$N"
    run_networkd "$N" "$networkd"
    local options='def options($name; f): (.links[] | select(.ifname == $name) | .options) |= f;'
    local dropped="$options"'
        options("gre2"; del(.icsum, .ocsum)) | options("gt3"; del(.ikey, .okey))
        | options("g6"; del(.iseq, .oseq) | .encap_limit = 0)
        | options("g7"; del(.ip6_tnl_f_rcv_dscp_copy, .ip6_tnl_f_allow_local_remote))'
    (($(/lib/systemd/systemd-networkd --version | awk 'NR == 1 { print $2 }') >= 254)) ||
        dropped+=' | options("gt3"; del(.ignore_df))'
    same_tunnels "$N" "$source" "$dropped"

    # ifupdown carries everything (ip sets what the tunnel method cannot), and ifdown takes
    # it all away again, the rules and the route to the remote included: left behind, they
    # would make the next ifup fail (File exists).
    local ifupdown
    ifupdown=$(mktemp -d)
    assert_eq "$(export_warnings ifupdown "$ifupdown")" "" "ifupdown's warnings"
    underlay_only "$F" '198.51.100.2/32'
    local interfaces state
    interfaces=$(mktemp); state=$(mktemp -d)
    echo "source $ifupdown/*" >"$interfaces"
    local options_of_ifup=(-i "$interfaces" --state-dir="$state" --no-scripts --no-loopback -a)
    ok in_ns "$F" ifup "${options_of_ifup[@]}"
    same_tunnels "$F" "$source" .
    ok in_ns "$F" ifdown "${options_of_ifup[@]}"
    underlay_only "$U" '198.51.100.2/32'
    same_tunnels "$F" "$(tunnel_state "$U")" .

    # netplan generate takes the YAML without a word, and networkd makes of its files all
    # but what the warnings name (a tunnel without both endpoints is left out whole); the
    # broadcast addresses networkd gives IPv4 addresses by default, netplan cannot refuse.
    local root
    root=$(mktemp -d)
    mkdir -p "$root/etc/netplan"
    assert_eq "$(export_warnings netplan "$root/etc/netplan")" "gretool: warning: gre1: seq: netplan has no setting for it (gretool apply carries it)
gretool: warning: gre1: netplan has no nexthop objects: gretool nexthop add id 1 via 10.0.0.2 dev gre1
gretool: warning: gre1: this route goes through another device and belongs to it: gretool route add 198.51.100.2/32 dev eth0
gretool: warning: gre2: tos 0x10: netplan has no setting for it (gretool apply carries it)
gretool: warning: gre2: csum: netplan has no setting for it (gretool apply carries it)
gretool: warning: gre2: netplan has no multipath, nexthop or source routes: gretool route add 192.0.2.0/24 nhid 10
gretool: warning: gre2: netplan has no multipath, nexthop or source routes: gretool route add 203.0.113.0/24 nexthop via 10.0.0.2 dev gre1 nexthop via 10.0.0.6 dev gre2
gretool: warning: gre2: netplan has no nexthop objects: gretool nexthop add id 2 via 10.0.0.6 dev gre2
gretool: warning: gre2: netplan has no nexthop objects: gretool nexthop add id 10 group 1/2
gretool: warning: gt3: nopmtudisc: netplan has no setting for it (gretool apply carries it)
gretool: warning: gt3: ignore-df: netplan has no setting for it (gretool apply carries it)
gretool: warning: gt3: key 0: netplan's networkd files read a key of 0 as no key
gretool: warning: gre4: encap fou: netplan has no setting for it (gretool apply carries it)
gretool: warning: gre4: encap-dport 5555: netplan has no setting for it (gretool apply carries it)
gretool: warning: g6: netplan needs a tunnel's local and remote addresses: gretool link add g6 mtu 1440 up type ip6gre remote 2001:db8::2 key 5 seq flowlabel 0x12345
gretool: warning: g7: netplan needs a tunnel's local and remote addresses: gretool link add g7 mtu 1456 up type ip6gre remote 2001:db8::3 encaplimit none dscp inherit allow-localremote" "netplan's warnings"
    local out
    out=$("$generate" --root-dir "$root" 2>&1) || fail "netplan generate refused the export: $out"
    assert_eq "$out" "" "netplan generate's complaints"
    underlay_only "$P"
    run_networkd "$P" "$root/run/systemd/network"
    dropped="$options"'
        options("gre1"; del(.iseq, .oseq)) | options("gre2"; del(.tos, .icsum, .ocsum))
        | options("gt3"; del(.ikey, .okey, .ignore_df) | .pmtudisc = true) | options("gre4"; del(.encap))
        | .links |= map(select(.ifname | IN("g6", "g7") | not))
        | .addresses |= map(select(.ifname | IN("g6", "g7") | not))
        | .routes |= map(select(.nhid == null and .nexthops == null)) | .nexthops = []'
    same_tunnels "$P" "$source" "$dropped" 'del(.addresses[].addr[].broadcast) | .routes |= map(select(.type != "broadcast"))'
}
