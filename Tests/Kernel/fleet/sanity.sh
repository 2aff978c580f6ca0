# ansible-test sanity on the Ansible collection (contrib/ansible): all of ansible-core's
# sanity tests, run as collections run them (--local, with the Python of the fleet
# tests' virtual environment). The modules are not GPL, so their missing GPLv3 header
# is ignored (contrib/ansible/tests/sanity/ignore-2.19.txt).
#
# Not in make test: ansible-test makes a virtual environment of its own, from PyPI, for
# each test that needs packages (about 4 minutes the first time on a loaded machine,
# then about 35 s), past make test's limits. make fleet runs it (and CI, after make test); make test runs
# validate-modules and pep8 by hand instead (host/fleet.sh).
#
# ansible-test puts pip into each of its environments with a script it fetches from
# ci-files.testing.ansible.com, outside PyPI, which cannot be reached from here (nor
# from machines that only reach PyPI). It looks in its cache first: a stand-in there
# installs the same pip from pip's wheel, fetched from PyPI.

fleet_dir=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")")
source "$fleet_dir/ansible.sh"

# The pip ansible-test puts into its environments (ansible-core 2.19's
# python_requirements.get_venv_packages), which names the script it looks for.
ansible_test_pip=24.2

# Writes (once) the stand-in for ansible-test's pip bootstrap script into its cache $1;
# exits 77 when PyPI cannot be reached.
pip_bootstrap() {
    local cache=$1 venv=$2
    local script=$cache/get_pip_${ansible_test_pip//./_}.py wheel=$cache/pip-$ansible_test_pip-py3-none-any.whl
    [[ -e $script ]] && return 0
    "$venv/bin/pip" download --disable-pip-version-check -q --no-deps -d "$cache" "pip==$ansible_test_pip" >"$TMPDIR/pip.log" 2>&1 ||
        { echo "PyPI cannot be reached, so pip $ansible_test_pip cannot be fetched: $(tail -1 "$TMPDIR/pip.log")"; exit 77; }
    [[ -e $wheel ]] || fail "pip download did not leave $wheel"
    # get-pip.py's interface: pip install's arguments, and its own --no-setuptools and
    # --no-wheel (nothing to leave out here: only pip is installed).
    cat >"$script.new" <<EOF
# ansible-test's pip bootstrap, from pip's wheel (written by gretool's Tests/Kernel/fleet/sanity.sh).
import runpy
import sys

sys.path.insert(0, "$wheel")
sys.argv[1:] = ["install"] + [word for word in sys.argv[1:] if word not in ("--no-setuptools", "--no-wheel")]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
EOF
    mv "$script.new" "$script"
}

test_ansible_test_sanity_passes_on_the_collection() {
    local venv
    venv=$(ansible_venv) || exit $?
    # ansible-test keeps its environments in ~/.ansible/test: a home of its own in the
    # fleet tests' cache, so that they are made once.
    local home
    home=$(fleet_cache)/ansible-test
    mkdir -p "$home/.ansible/test/cache"
    pip_bootstrap "$home/.ansible/test/cache" "$venv"
    # ansible-test works in the collection's directory, ansible_collections/NAMESPACE/NAME:
    # a copy keeps its output out of the repository.
    local copy=$TMPDIR/sanity/ansible_collections/gretool/gre python
    mkdir -p "$copy" && cp -r "$ansible_collection/." "$copy"
    python=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    (
        flock 9
        cd "$copy" && HOME=$home PATH=$venv/bin:$PATH ansible-test sanity --local --python "$python" --color no
    ) 9>"$home/lock" >"$TMPDIR/sanity.log" 2>&1 || fail "ansible-test sanity:
$(grep -v -e '^Collecting ' -e '^  Downloading ' -e '━' -e '^Installing ' -e '^Successfully ' "$TMPDIR/sanity.log" | sed 's/^/        /')"
    # It ran every test (the 24 of ansible-core 2.19) on the modules.
    local ran
    ran=$(grep -c '^Running sanity test ' "$TMPDIR/sanity.log")
    ((ran >= 20)) || fail "ansible-test ran $ran sanity tests: $(cat "$TMPDIR/sanity.log")"
    grep -q '^Running sanity test "validate-modules"' "$TMPDIR/sanity.log" || fail "no validate-modules: $(cat "$TMPDIR/sanity.log")"
}
