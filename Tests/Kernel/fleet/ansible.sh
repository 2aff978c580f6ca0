# The Ansible side of the fleet tests (sourced by host/fleet.sh, fleet/sanity.sh,
# fleet/prepare.sh and lab/fleet.sh): the virtual environment with ansible-core, and the environment
# ansible-playbook runs in.
#
# The host's tests make the virtual environment from PyPI, once, in
# ~/.cache/gretool-fleet (GRETOOL_FLEET_CACHE). The lab's guest has no network and sees
# the host's root read-only: it uses the one the host made (make fleet runs sanity.sh,
# which makes it, before the lab; Tests/Lab/lab.sh tells the guest where the cache is).

# The collection: in the repository, or in the lab's share (Tests/Lab/lab.sh copies it).
for ansible_collection in "$(dirname "${BASH_SOURCE[0]}")/../../../contrib/ansible" \
                          "$(dirname "${BASH_SOURCE[0]}")/../../contrib/ansible"; do
    [[ -d $ansible_collection ]] && break
done
ansible_collection=$(readlink -f "$ansible_collection")

# What the virtual environment holds: ansible-core; for the lint test ansible-lint, and
# what ansible-test's validate-modules and pep8 sanity tests need (their pins).
fleet_requirements="ansible-core==2.19.14 ansible-lint==26.10.1 voluptuous==0.15.2 antsibull-docs-parser==1.0.0 pycodestyle==2.13.0"
# And every package those pull in, pinned (constraints.txt says why).
fleet_constraints=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/constraints.txt")

# Where the virtual environment for these requirements and this python3 is (or goes).
ansible_venv_path() {
    local python version
    python=$(command -v python3) || fail "no python3 (apt-get install python3 python3-venv)"
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "$(fleet_cache)/venv-py$version-$(cat - "$fleet_constraints" <<<"$fleet_requirements" | sha1sum | cut -c1-12)"
}

fleet_cache() { echo "${GRETOOL_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gretool-fleet}"; }

# Makes (once) and prints the virtual environment; exits 77 when PyPI cannot be reached.
ansible_venv() {
    local cache venv
    cache=$(fleet_cache)
    venv=$(ansible_venv_path) || exit 1
    mkdir -p "$cache"
    (
        flock 9
        # Made where it stays (its scripts name its path); complete once the marker is written.
        [[ -e $venv/complete ]] && exit 0
        # PyPI found unreachable in the last 10 minutes: the other tests skip at once.
        if [[ -n $(find "$cache/unreachable" -mmin -10 2>/dev/null) ]]; then
            echo "PyPI cannot be reached, so ansible-core cannot be installed: $(cat "$cache/unreachable")" >&2
            exit 77
        fi
        rm -rf "$venv"
        python3 -m venv "$venv" >&2 || fail "python3 -m venv failed (apt-get install python3-venv)"
        local log=$TMPDIR/pip.log
        # shellcheck disable=SC2086
        if ! "$venv/bin/pip" install --disable-pip-version-check -q -c "$fleet_constraints" $fleet_requirements >"$log" 2>&1; then
            # PyPI unreachable is a skip; a failure of an install that could reach it is not.
            if ! "$venv/bin/pip" download --disable-pip-version-check --no-deps --timeout 10 --retries 1 \
                    -d "$TMPDIR/probe" pip >/dev/null 2>&1; then
                rm -rf "$venv"
                tail -1 "$log" >"$cache/unreachable"
                echo "PyPI cannot be reached, so ansible-core cannot be installed: $(cat "$cache/unreachable")" >&2
                exit 77
            fi
            fail "pip install $fleet_requirements failed:
$(tail -20 "$log")"
        fi
        touch "$venv/complete"
        rm -f "$cache/unreachable"
        # Environments of earlier requirements are not used any more.
        find "$cache" -maxdepth 1 -name 'venv-py*' ! -path "$venv" -exec rm -rf {} +
    ) 9>"$cache/lock" || exit $?
    echo "$venv"
}

# Sets up ansible-playbook from the virtual environment $1 for this test: the
# collection where Ansible finds it, gretool on the PATH, Ansible's files in the
# test's directory. Sets VENV.
ansible_environment() {
    VENV=$1
    mkdir -p "$TMPDIR/collections/ansible_collections/gretool" "$TMPDIR/bin" "$TMPDIR/ansible"
    ln -sfn "$ansible_collection" "$TMPDIR/collections/ansible_collections/gretool/gre"
    ln -sf "$GRETOOL" "$TMPDIR/bin/gretool"
    export PATH=$TMPDIR/bin:$VENV/bin:$PATH
    export ANSIBLE_COLLECTIONS_PATH=$TMPDIR/collections ANSIBLE_HOME=$TMPDIR/ansible
    export ANSIBLE_LOCAL_TEMP=$TMPDIR/ansible/tmp ANSIBLE_PYTHON_INTERPRETER=$VENV/bin/python
    export ANSIBLE_REMOTE_TMP=$TMPDIR/ansible/remote ANSIBLE_ASYNC_DIR=$TMPDIR/ansible/async RUNTIME_DIRECTORY=$TMPDIR/run
    export LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0
    export ANSIBLE_INVENTORY_UNPARSED_WARNING=0
    # Each module runs from a pipe, without the temporary files around it (fewer processes).
    export ANSIBLE_PIPELINING=1
}
