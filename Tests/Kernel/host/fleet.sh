# The Ansible collection (contrib/ansible) over gretool, on this machine's kernel:
# ansible-playbook -c local in a namespace of the test's, against the kernel read back
# with ip. The tests' playbook (fleet/hub.yml) makes VXLAN tunnels, as this kernel
# has no GRE; the shipped hub-and-spokes playbook is planned in check mode, which
# needs no GRE.
#
# ansible-core comes from PyPI into a virtual environment kept in
# ~/.cache/gretool-fleet (GRETOOL_FLEET_CACHE), made by the first test that needs it
# (about 40 s) and reused afterwards, here and in the lab by make fleet (../fleet/ansible.sh).
# Without PyPI the tests are skipped, saying so.

fleet_dir=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/fleet")
source "$(dirname "${BASH_SOURCE[0]}")/../fleet/ansible.sh"

# ansible-playbook from the virtual environment, made first if need be. Sets VENV.
ansible_ready() {
    local venv
    venv=$(ansible_venv) || exit $?
    ansible_environment "$venv"
}

# The hub's namespace: an underlay veth eth0 with 198.51.100.1/24, up. Sets A.
hub_namespace() {
    read -r A < <(make_namespaces hub)
    ip -n "$A" link add eth0 type veth peer name eth0-p
    ip -n "$A" addr add 198.51.100.1/24 dev eth0
    ip -n "$A" link set eth0 up
    ip -n "$A" link set eth0-p up
}

# The spokes 1..N as the playbook's variable.
spokes() {
    local n
    for n in "$@"; do echo "{\"id\": $n, \"remote\": \"198.51.100.1$n\", \"lan\": \"10.10$n.0.0/16\"}"; done | jq -cs .
}

# Runs the tests' playbook (PLAYBOOK, default hub.yml) with the spokes $1 (e.g. "1 2
# 3") and ansible-playbook's arguments after it: play SPOKES [-e VAR=VALUE...]. Its
# results are in $TMPDIR/out. Runs inside the hub's namespace unless netns=... is
# among the arguments.
play() {
    local spokes=$1; shift
    rm -rf "$TMPDIR/out"; mkdir -p "$TMPDIR/out"
    local run=(ip netns exec "$A")
    [[ " $* " == *" netns="* ]] && run=()
    "${run[@]}" "$VENV/bin/ansible-playbook" -c local -i localhost, "$fleet_dir/${PLAYBOOK:-hub.yml}" \
        -e "{\"result_dir\": \"$TMPDIR/out\", \"spokes\": $(spokes $spokes)}" "$@" >"$TMPDIR/play.log" 2>&1 ||
        fail "ansible-playbook failed:
$(sed 's/^/        /' "$TMPDIR/play.log")"
    jq -e . "$TMPDIR/out/apply.json" >/dev/null || fail "no result from the apply task: $(cat "$TMPDIR/play.log")"
}

# A member of what the apply task returned.
applied() { jq -c "$1" "$TMPDIR/out/apply.json"; }

# The hub's tunnels as ip reads them: name, VXLAN id, remote, mtu, state; addresses; routes.
hub_state() {
    ip -n "$A" -d -j link show type vxlan |
        jq -c '[.[] | [.ifname, .linkinfo.info_data.id, .linkinfo.info_data.remote, .mtu, .operstate, .ifalias]]'
    ip -n "$A" -j addr show | jq -c '[.[] | select(.ifname | startswith("vx")) | .addr_info[] | select(.family == "inet") | .local]'
    ip -n "$A" -j route show proto 47 | jq -c '[.[] | [.dst, .gateway, .dev]]'
}

# First in the file's order (tests run sorted by name), so that the first-run install
# has this test's time limit to itself.
test_ansible_core_and_ansible_lint_install_into_a_cached_venv() {
    ansible_ready
    local version
    version=$("$VENV/bin/ansible-playbook" --version)
    assert_eq "${version%%$'\n'*}" "ansible-playbook [core 2.19.14]" "ansible-core"
    version=$("$VENV/bin/ansible-lint" --nocolor --version)
    [[ $version == "ansible-lint 26.10.1 "* ]] || fail "ansible-lint: $version"
    assert_eq "$(ansible_venv)" "$VENV" "the venv, made once"
}

test_check_mode_reports_the_change_with_its_diff_and_makes_none() {
    ansible_ready
    hub_namespace
    local empty
    empty=$(hub_state)
    play "1 2 3" --check --diff
    assert_eq "$(applied '[.changed, .status, (.commands | length)]')" '[true,"planned",12]' "check mode's result"
    grep -q '^+link vx-spoke2: {"ifname": "vx-spoke2", "linkinfo": {"info_data": {"id": 102' "$TMPDIR/play.log" ||
        fail "the diff does not show the new link: $(cat "$TMPDIR/play.log")"
    assert_eq "$(hub_state)" "$empty" "the kernel after check mode"
}

test_playbook_changes_once_then_is_ok() {
    ansible_ready
    hub_namespace
    # The first run makes it: what ip reads back is what the document says.
    play "1 2 3"
    assert_eq "$(applied '[.changed, .status, .writes]')" '[true,"applied",12]' "the first run's result"
    assert_eq "$(hub_state)" '[["vx-spoke1",101,"198.51.100.11",1400,"UNKNOWN","gretool:47"],["vx-spoke2",102,"198.51.100.12",1400,"UNKNOWN","gretool:47"],["vx-spoke3",103,"198.51.100.13",1400,"UNKNOWN","gretool:47"]]
["10.255.1.1","10.255.2.1","10.255.3.1"]
[["10.101.0.0/16","10.255.1.2","vx-spoke1"],["10.102.0.0/16","10.255.2.2","vx-spoke2"],["10.103.0.0/16","10.255.3.2","vx-spoke3"]]' \
        "the hub after the first run"
    grep -q 'changed=1 ' "$TMPDIR/play.log" || fail "the recap does not count one change: $(tail -3 "$TMPDIR/play.log")"
    # The second run: nothing to do, nothing written, not changed.
    local made
    made=$(hub_state)
    play "1 2 3"
    assert_eq "$(applied '[.changed, .status, .writes, .changes]')" '[false,"in state",0,[]]' "the second run's result"
    grep -q 'changed=0 ' "$TMPDIR/play.log" || fail "the recap counts a change: $(tail -3 "$TMPDIR/play.log")"
    assert_eq "$(hub_state)" "$made" "the hub after the second run"
}

test_bad_value_fails_with_gretools_message_and_changes_nothing() {
    ansible_ready
    hub_namespace
    local before
    before=$(hub_state)
    play "1 2 3" -e mtu=big
    # The task failed with gretool's own line for the same document, and nothing changed.
    local own
    own=$("$GRETOOL" -n "$A" apply "$TMPDIR/out/document.json" 2>&1 >/dev/null)
    [[ -n $own && $(wc -l <<<"$own") == 1 ]] || fail "gretool itself did not refuse the document with one line: [$own]"
    assert_eq "$(applied '[.failed, .changed, .rc]')" '[true,false,2]' "the task's failure"
    assert_eq "$(jq -r .msg "$TMPDIR/out/apply.json")" "$own" "the task's message"
    grep -q 'mtu' <<<"$own" || fail "gretool's message does not name the mtu: $own"
    assert_eq "$(hub_state)" "$before" "the hub after the refused run"
}

test_prune_deletes_a_removed_spoke() {
    ansible_ready
    hub_namespace
    # From outside the namespace, through the modules' netns option.
    play "1 2 3" -e netns="$A"
    local index1
    index1=$(ip -n "$A" -j link show vx-spoke1 | jq '.[0].ifindex')
    # Spoke 3 out of the document, with prune: its tunnel goes, and with it its address
    # and route; the others stay as they were.
    play "1 2" -e netns="$A" -e prune=true -e facts=true
    assert_eq "$(applied '[.changed, .commands]')" '[true,["gretool link delete vx-spoke3"]]' "the prune's plan"
    ip -n "$A" link show vx-spoke3 >/dev/null 2>&1 && fail "vx-spoke3 is still there after prune"
    assert_eq "$(ip -n "$A" route show 10.103.0.0/16)" "" "spoke 3's route"
    assert_eq "$(ip -n "$A" -j link show vx-spoke1 | jq '.[0].ifindex')" "$index1" "vx-spoke1 untouched (its index)"
    assert_eq "$(ip -n "$A" -j route show proto 47 | jq -c '[.[].dst]')" '["10.101.0.0/16","10.102.0.0/16"]' "the routes left"
    # The facts after it: the state as state show prints it; no keepalive watcher runs
    # (GRETOOL_RUNTIME_DIR is the test's), which the module says.
    assert_eq "$(jq -cS .ansible_facts.gretool_state "$TMPDIR/out/facts.json")" "$(g "$A" -j state show | jq -cS .)" \
        "gretool_state against state show"
    jq -e '.ansible_facts.gretool_keepalive == [] and (.keepalive_message | test("no keepalive watcher"))' \
        "$TMPDIR/out/facts.json" >/dev/null || fail "facts without a watcher: $(cat "$TMPDIR/out/facts.json")"
}

test_confirmed_apply_waits_in_the_background_for_a_later_tasks_commit() {
    ansible_ready
    hub_namespace
    PLAYBOOK=confirm.yml play "1 2"
    assert_eq "$(applied '[.finished, .failed // false, .changed, .status, .report.confirmation.committed]')" \
        '[true,false,true,"committed",true]' "the apply's end"
    assert_eq "$(ip -n "$A" -j route show proto 47 | jq -c '[.[].dst]')" '["10.101.0.0/16","10.102.0.0/16"]' "the routes, kept"
    refuses 1 'no apply waits for confirmation' g "$A" apply --commit
}

test_facts_hold_the_keepalive_watchers_targets() {
    ansible_ready
    hub_namespace
    export GRETOOL_RUNTIME_DIR=$TMPDIR/run
    mkdir -p "$GRETOOL_RUNTIME_DIR"
    # A watcher whose peer answers, in a namespace across the underlay.
    read -r B < <(make_namespaces spoke)
    ip -n "$A" link set eth0-p netns "$B"
    ip -n "$B" addr add 198.51.100.11/24 dev eth0-p
    ip -n "$B" link set eth0-p up
    "$GRETOOL" -n "$B" keepalive respond timeout 60 >/dev/null 2>&1 &
    "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.11 interval 0.2 >/dev/null 2>&1 &
    local watcher=$!
    wait_until 10 bash -c '"$GRETOOL" keepalive status -j 2>/dev/null | jq -e ".[0].state == \"up\"" >/dev/null' ||
        fail "the watcher did not see its peer: $("$GRETOOL" keepalive status 2>&1)"
    play "1" -e facts=true
    assert_eq "$(jq -c '.ansible_facts.gretool_keepalive | map([.tunnel, .state, .local, .remote, .action])' "$TMPDIR/out/facts.json")" \
        '[["198.51.100.11","up","198.51.100.1","198.51.100.11","none"]]' "gretool_keepalive"
    assert_eq "$(jq -c '.ansible_facts.gretool_keepalive | map(keys)' "$TMPDIR/out/facts.json")" \
        "$("$GRETOOL" keepalive status -j | jq -c 'map(keys)')" "the keys, against keepalive status -j"
    kill "$watcher"
    wait "$watcher"
}

test_the_hub_and_spokes_example_plans_in_check_mode() {
    ansible_ready
    local example=$ansible_collection/playbooks
    hub_namespace
    # The hub and spoke 2 at once, as if each were its own machine (both in the namespace).
    ip netns exec "$A" "$VENV/bin/ansible-playbook" -i "$example/inventory.yml" -l hub1,spoke2 -c local --check --diff \
        -e gretool_system=false -e gretool_keepalive_conf="$TMPDIR/keepalive.conf" \
        "$example/hub_and_spokes.yml" >"$TMPDIR/example.log" 2>&1 || fail "the example in check mode:
$(sed 's/^/        /' "$TMPDIR/example.log")"
    # What gretool plans from the example's documents (the diff has each object
    # declared): the GRE tunnels with their keys, and the routes through them.
    assert_eq "$(grep -E '^\+link gre-spoke[0-9]: \{"ifname' "$TMPDIR/example.log")" \
'+link gre-spoke1: {"ifname": "gre-spoke1", "linkinfo": {"info_data": {"key": 101, "local": "198.51.100.1", "remote": "203.0.113.11", "ttl": 64}, "info_kind": "gre"}, "mtu": 1476, "up": true}
+link gre-spoke2: {"ifname": "gre-spoke2", "linkinfo": {"info_data": {"key": 102, "local": "198.51.100.1", "remote": "203.0.113.12", "ttl": 64}, "info_kind": "gre"}, "mtu": 1476, "up": true}
+link gre-spoke3: {"ifname": "gre-spoke3", "linkinfo": {"info_data": {"key": 103, "local": "198.51.100.1", "remote": "203.0.113.13", "ttl": 64}, "info_kind": "gre"}, "mtu": 1476, "up": true}' \
        "the hub's tunnels"
    assert_eq "$(grep -E '^\+route .*"dev": "gre-spoke' "$TMPDIR/example.log" | sed 's/^+route \([^:]*\): {"dev": "\([^"]*\)".*"gateway": "\([^"]*\)".*/\1 \2 \3/')" \
'10.101.0.0/16 gre-spoke1 10.255.1.2
10.102.0.0/16 gre-spoke2 10.255.2.2
10.103.0.0/16 gre-spoke3 10.255.3.2' "the hub's routes"
    assert_eq "$(grep -E '^\+link gre-hub: \{"ifname' "$TMPDIR/example.log")" \
        '+link gre-hub: {"ifname": "gre-hub", "linkinfo": {"info_data": {"key": 102, "local": "203.0.113.12", "remote": "198.51.100.1", "ttl": 64}, "info_kind": "gre"}, "mtu": 1476, "up": true}' \
        "spoke 2's tunnel"
    assert_eq "$(grep -E '^\+route .*"dev": "gre-hub' "$TMPDIR/example.log" | sed 's/^+route \([^:]*\): {"dev": "\([^"]*\)".*"gateway": "\([^"]*\)".*/\1 \2 \3/')" \
'10.100.0.0/16 gre-hub 10.255.2.1
10.101.0.0/16 gre-hub 10.255.2.1
10.103.0.0/16 gre-hub 10.255.2.1' "spoke 2's routes: the hub's LAN and the other spokes'"
    # The keepalive stanzas, which gretool writes to the keepalive service's file.
    assert_eq "$(grep -E '^\+keepalive gre-' "$TMPDIR/example.log" | sort)" '+keepalive gre-hub: {"action": "routes", "interval": 5, "retries": 3, "tunnel": "gre-hub"}
+keepalive gre-spoke1: {"action": "routes", "interval": 5, "retries": 3, "tunnel": "gre-spoke1"}
+keepalive gre-spoke2: {"action": "routes", "interval": 5, "retries": 3, "tunnel": "gre-spoke2"}
+keepalive gre-spoke3: {"action": "routes", "interval": 5, "retries": 3, "tunnel": "gre-spoke3"}' "the keepalive stanzas"
    grep -q '^hub1 .*changed=1 .*failed=0' "$TMPDIR/example.log" || fail "the recap: $(tail -4 "$TMPDIR/example.log")"
    assert_eq "$(ip -n "$A" -o link show type gre)" "" "check mode made no tunnel"
    [[ ! -e $TMPDIR/keepalive.conf ]] || fail "check mode wrote keepalive.conf"
}

test_the_collection_passes_ansible_lint_and_ansible_tests_sanity_checks() {
    ansible_ready
    # ansible-lint reads the collection from its own directory; a copy keeps the
    # repository free of its caches.
    local copy=$TMPDIR/lint/ansible_collections/gretool/gre
    mkdir -p "$copy" && cp -r "$ansible_collection/." "$copy"
    (cd "$copy" && HOME=$TMPDIR "$VENV/bin/ansible-lint" --nocolor) >"$TMPDIR/lint.log" 2>&1 ||
        fail "ansible-lint:
$(sed 's/^/        /' "$TMPDIR/lint.log")"
    # ansible-test sanity's module checks, run as it runs them (its own harness makes an
    # environment per test from PyPI, minutes the first time: make fleet runs all of it,
    # ../fleet/sanity.sh). Each module's documentation against its argument spec, its
    # examples and return values; GPLv3 headers are left out: gretool's modules are not GPL.
    local sanity=$VENV/lib/python3.*/site-packages/ansible_test/_util/controller/sanity
    (cd "$copy" && ANSIBLE_COLLECTIONS_PATH=$TMPDIR/lint "$VENV/bin/python" $sanity/validate-modules/validate.py --arg-spec \
        --collection ansible_collections/gretool/gre --collection-version 0.1.0 --plugin-type module plugins/modules/*.py) \
        >"$TMPDIR/validate.log" 2>&1
    grep -v ':0:0: Emissing-gplv3-license ' "$TMPDIR/validate.log" >"$TMPDIR/validate.errors"
    [[ ! -s $TMPDIR/validate.errors ]] || fail "validate-modules: $(cat "$TMPDIR/validate.errors")"
    grep -q gretool_apply "$TMPDIR/validate.log" || fail "validate-modules did not look at gretool_apply: $(cat "$TMPDIR/validate.log")"
    # ansible-test's pep8 test: its line length and the rules it leaves out.
    "$VENV/bin/pycodestyle" --max-line-length 160 --ignore "$(grep -v '^#' $sanity/pep8/current-ignore.txt | grep . | paste -sd,)" \
        "$ansible_collection/plugins" || fail "pycodestyle"
    "$VENV/bin/ansible-doc" -t module gretool.gre.gretool_apply gretool.gre.gretool_facts >/dev/null || fail "ansible-doc"
}
