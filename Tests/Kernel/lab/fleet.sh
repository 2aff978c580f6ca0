# The Ansible collection (contrib/ansible) over real GRE tunnels, in the lab:
# ansible-playbook -c local in the hub's namespace applies its tunnels to a spokes'
# namespace in steps (../fleet/gre-hub.yml), each followed by the kernel read back with
# ip -d -j; host/fleet.sh tests the whole collection on the host's kernel, with VXLAN.
#
# Ansible under emulation takes about 20 s to start and 10-20 s per module run, so the
# one playbook run this makes (five applies) takes two to three minutes: the file asks
# the runner for a longer limit than the lab's other tests.
#
# The guest cannot install anything: it uses the virtual environment with ansible-core
# that the host made before the lab started (scripts/test.sh's lab stage runs
# Tests/Kernel/fleet/prepare.sh first), and skips, saying so, without it.
test_time_limit=420

fleet_dir=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../fleet")
source "$fleet_dir/ansible.sh"

# ansible-playbook from the host's virtual environment. Sets VENV.
ansible_from_the_host() {
    local venv
    venv=$(ansible_venv_path) || exit 1
    if [[ ! -e $venv/complete ]]; then
        echo "no Ansible virtual environment at $venv: Tests/Kernel/fleet/prepare.sh makes it on the host before the lab starts"
        exit 77
    fi
    ansible_environment "$venv"
}

# The hub H (198.51.100.1 on eth0) and the spokes' namespace S across a veth, with the
# spokes' underlay addresses 198.51.100.11-13, a GRE tunnel back to the hub for each
# (key 100+N, 10.255.N.2/30) and each spoke's LAN address 10.10N.0.1 on lo.
hub_and_spokes() {
    read -r H S < <(quiet_namespaces hub spokes)
    ip link add eth0 netns "$H" type veth peer name eth0 netns "$S" || fail "cannot create the veth pair"
    ipn "$H" addr add 198.51.100.1/24 dev eth0
    ipn "$H" link set eth0 up
    local batch n
    for n in 1 2 3; do
        batch+="address add 198.51.100.1$n/24 dev eth0
tunnel add gre-hub$n mode gre local 198.51.100.1$n remote 198.51.100.1 key 10$n ttl 64
link set gre-hub$n up
address add 10.255.$n.2/30 dev gre-hub$n
address add 10.10$n.0.1/32 dev lo
"
    done
    ok g "$S" -batch - <<<"link set eth0 up
$batch" >/dev/null
}

# The steps' spokes as the playbook's variable: spokes 1 3 -> [{id, remote, lan}...].
spokes() {
    local n
    for n in "$@"; do echo "{\"id\": $n, \"remote\": \"198.51.100.1$n\", \"lan\": \"10.10$n.0.0/16\"}"; done | jq -cs .
}

# Runs the playbook in the hub's namespace with STEPS (a JSON list). Its output, each
# line with the seconds since it started, goes to standard error (which the runner
# shows when the test fails or times out); what each step showed is in
# $TMPDIR/steps.json, an object with a member per step.
play() {
    local start=$SECONDS
    in_ns "$H" "$VENV/bin/ansible-playbook" -c local -i localhost, "$fleet_dir/gre-hub.yml" -e "{\"steps\": $1}" 2>&1 |
        tee "$TMPDIR/play.log" | while IFS= read -r line; do printf '%3ds %s\n' $((SECONDS - start)) "$line"; done >&2
    ((PIPESTATUS[0] == 0)) || fail "ansible-playbook failed (its output is above)"
    # Each step's debug task: "ok: [localhost] => {", its result as JSON, "}".
    sed -n '/^ok: \[localhost\] => {$/,/^}$/ { s/^ok: \[localhost\] => //; p }' "$TMPDIR/play.log" |
        jq -s 'map(.msg | {(.step): .}) | add' >"$TMPDIR/steps.json" || fail "cannot read the steps' results"
    echo "the playbook took $((SECONDS - start)) s" >&2
}

# What a step showed: STEP JQ-FILTER.
step() { jq -c ".[\"$1\"] | $2" "$TMPDIR/steps.json"; }

# The hub's tunnels, addresses and routes as the step read them with ip -d -j, one line each.
kernel_after() {
    step "$1" '[.links[] | select(.ifname != "gre0") | [.ifname, .mtu, .operstate, .ifalias, (.linkinfo | .info_kind,
        (.info_data | .local, .remote, .ikey, .okey, .ttl))]],
        [.addresses[] | select(.ifname | startswith("gre-")) | .addr_info[] | "\(.local)/\(.prefixlen)"],
        [.routes[] | [.dst, .gateway, .dev]]'
}

# The hub as the document with spokes N... declares it, in kernel_after's lines.
declared() {
    local n
    for n in "$@"; do echo "[\"gre-spoke$n\",1400,\"UNKNOWN\",\"gretool:47\",\"gre\",\"198.51.100.1\",\"198.51.100.1$n\",\"0.0.0.10$n\",\"0.0.0.10$n\",64]"; done | jq -cs .
    for n in "$@"; do echo "\"10.255.$n.1/30\""; done | jq -cs .
    for n in "$@"; do echo "[\"10.10$n.0.0/16\",\"10.255.$n.2\",\"gre-spoke$n\"]"; done | jq -cs .
}

# One playbook run, five steps: check mode plans the change and makes none; the first
# apply makes it (changed), the second finds it made (ok, not changed); a bad value
# fails with gretool's line and changes nothing; a spoke taken out with prune loses its
# tunnel, address and route. Then the tunnels left carry the hub's traffic to the spokes' LANs.
test_hub_and_spokes_playbook_plans_applies_once_refuses_and_prunes_over_gre() {
    ansible_from_the_host
    hub_and_spokes
    local all
    all=$(spokes 1 2 3)
    play "[{\"name\": \"plan\", \"check\": true, \"spokes\": $all},
           {\"name\": \"first\", \"spokes\": $all},
           {\"name\": \"again\", \"spokes\": $all},
           {\"name\": \"bad\", \"spokes\": $all, \"mtu\": \"big\"},
           {\"name\": \"prune\", \"prune\": true, \"spokes\": $(spokes 1 2)}]"
    local none=$'[]\n[]\n[]'
    assert_eq "$(step plan '.apply | [.changed, .status, (.commands | length), .writes]')" '[true,"planned",12,0]' "check mode's result"
    assert_eq "$(kernel_after plan)" "$none" "the hub after check mode"
    assert_eq "$(step first '.apply | [.changed, .status, .writes]')" '[true,"applied",12]' "the first apply's result"
    assert_eq "$(step first .apply.commands)" "$(step plan .apply.commands)" "the first apply's commands, as check mode planned them"
    assert_eq "$(kernel_after first)" "$(declared 1 2 3)" "the hub after the first apply"
    assert_eq "$(step again '.apply | [.changed, .status, .writes, .commands]')" '[false,"in state",0,[]]' "the second apply's result"
    assert_eq "$(kernel_after again)" "$(declared 1 2 3)" "the hub after the second apply"
    # gretool's own line for the same document.
    local own
    own=$(step bad .document | g "$H" apply - 2>&1 >/dev/null)
    [[ $own == *mtu* && $(wc -l <<<"$own") == 1 ]] || fail "gretool did not refuse the document with one line naming the mtu: [$own]"
    assert_eq "$(step bad '.apply | [.failed, .changed, .rc, .msg]')" "$(jq -cn --arg own "$own" '[true, false, 2, $own]')" "the bad value's failure"
    assert_eq "$(kernel_after bad)" "$(declared 1 2 3)" "the hub after the bad value"
    assert_eq "$(step prune '.apply | [.changed, .commands]')" '[true,["gretool link delete gre-spoke3"]]' "the prune's result"
    assert_eq "$(kernel_after prune)" "$(declared 1 2)" "the hub after the prune"
    assert_eq "$(step prune '[.links[] | select(.ifname == "gre-spoke1") | .ifindex]')" \
        "$(step first '[.links[] | select(.ifname == "gre-spoke1") | .ifindex]')" "gre-spoke1 untouched (its index)"
    # The tunnels left carry traffic to the spokes' LANs; spoke 3's has no route any more.
    ok ping_from "$H" -c 1 -W 2 10.101.0.1 >/dev/null
    ok ping_from "$H" -c 1 -W 2 10.102.0.1 >/dev/null
    ping_from "$H" -c 1 -W 1 10.103.0.1 >/dev/null 2>&1 && fail "spoke 3's LAN answers after the prune"
    true
}
