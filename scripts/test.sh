#!/bin/bash
# make test: the unit tests, the fuzz targets over their corpora (scripts/fuzz.sh check),
# the kernel tests on this machine's kernel (namespaces) and the GRE tests in the lab VM (side
# by side with the kernel tests; see below). Every stage runs even when an earlier one failed,
# so one run shows every failure; the exit status is 1 if any stage failed, 0 otherwise.
# Kernel and lab tests need root: without it they exit 77 and count as skipped, not
# failed, and the summary names them.
#
#   scripts/test.sh [STAGE...]      stages: unit fuzz kernel lab (default: all four)
#
# Environment: GRETOOL, the binary under test (default .build/release/gretool, which
# make test builds first); SWIFT, the swift driver (default swift).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
gretool=${GRETOOL:-.build/release/gretool}
swift=${SWIFT:-swift}
stages=("$@")
((${#stages[@]})) || stages=(unit fuzz kernel lab)

unit() {
    echo "== unit tests"
    "$swift" test
}

fuzz() {
    echo "== fuzz targets (each over its corpus, then briefly)"
    SWIFT=$swift scripts/fuzz.sh build && scripts/fuzz.sh check
}

kernel() {
    echo "== kernel tests (this kernel, namespaces)"
    GRETOOL=$gretool Tests/Kernel/runner.sh Tests/Kernel/host/*.sh
}

lab() {
    echo "== lab tests (GRE kernel in qemu)"
    # The guest cannot reach PyPI: the fleet test's Ansible comes from the host, made first.
    local prepared=0
    Tests/Kernel/fleet/prepare.sh || prepared=$?
    ((prepared == 77)) && prepared=0
    Tests/Lab/lab.sh --gretool "$gretool" && Tests/Lab/selftest.sh --gretool "$gretool" && ((prepared == 0))
}

failed="" skipped=""
record() { # STAGE STATUS
    case $2 in
        0) ;;
        77) skipped+=" $1" ;;
        *) failed+=" $1" ;;
    esac
}

for stage in "${stages[@]}"; do
    case $stage in
        unit | fuzz | kernel | lab) ;;
        *) echo "scripts/test.sh: unknown stage \"$stage\" (stages: unit fuzz kernel lab)" >&2; exit 2 ;;
    esac
done

# The lab's guest has one emulated CPU, and it needs nothing the other stages make (only the
# release binary, built before this script runs), so on a machine of two cores or more it runs
# beside them: it starts with the first stage and its output follows the last one's.
# GRETOOL_TEST_SERIAL=1 runs the stages one by one.
parallel_lab=""
if [[ " ${stages[*]} " == *" kernel "* && " ${stages[*]} " == *" lab "* &&
      -z ${GRETOOL_TEST_SERIAL:-} && $(nproc) -ge 2 ]]; then
    parallel_lab=$(mktemp -d)
    trap 'rm -rf "$parallel_lab"' EXIT
    # The lab's budget is there to stop a hung guest; beside the builds of the unit tests and
    # the fuzz targets it gets half the CPU for minutes, so it gets more time.
    export GRETOOL_LAB_TIMEOUT=${GRETOOL_LAB_TIMEOUT:-1200}
    { lab >"$parallel_lab/output" 2>&1; echo $? >"$parallel_lab/status"; } &
    lab_job=$!
fi

for stage in "${stages[@]}"; do
    [[ -n $parallel_lab && $stage == lab ]] && continue
    "$stage"
    record "$stage" $?
done
if [[ -n $parallel_lab ]]; then
    wait "$lab_job"
    cat "$parallel_lab/output"
    record lab "$(cat "$parallel_lab/status")"
fi

if [[ -n $failed ]]; then
    echo "== some tests FAILED:$failed"
    exit 1
elif [[ -n $skipped ]]; then
    echo "== tests passed, but SKIPPED (not root):$skipped"
else
    echo "== all tests passed"
fi
