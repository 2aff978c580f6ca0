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
    Tests/Lab/lab.sh --gretool "$gretool" && Tests/Lab/selftest.sh --gretool "$gretool"
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

# The lab's guest has one emulated CPU and the host tests mostly wait on the kernel, so on a
# machine of two cores or more the two stages run side by side: the lab starts with the kernel
# stage and its output follows the kernel stage's. GRETOOL_TEST_SERIAL=1 runs them one by one.
parallel_lab=""
if [[ " ${stages[*]} " == *" kernel "* && " ${stages[*]} " == *" lab "* &&
      -z ${GRETOOL_TEST_SERIAL:-} && $(nproc) -ge 2 ]]; then
    parallel_lab=$(mktemp -d)
    trap 'rm -rf "$parallel_lab"' EXIT
    # The lab's budget is there to stop a hung guest; beside the host tests it shares the
    # CPU for their few minutes, so it gets a third more time.
    export GRETOOL_LAB_TIMEOUT=${GRETOOL_LAB_TIMEOUT:-800}
fi

for stage in "${stages[@]}"; do
    if [[ -n $parallel_lab && $stage == kernel ]]; then
        { lab >"$parallel_lab/output" 2>&1; echo $? >"$parallel_lab/status"; } &
        lab_job=$!
        kernel
        record kernel $?
        wait "$lab_job"
        cat "$parallel_lab/output"
        record lab "$(cat "$parallel_lab/status")"
        continue
    fi
    [[ -n $parallel_lab && $stage == lab ]] && continue
    "$stage"
    record "$stage" $?
done

if [[ -n $failed ]]; then
    echo "== some tests FAILED:$failed"
    exit 1
elif [[ -n $skipped ]]; then
    echo "== tests passed, but SKIPPED (not root):$skipped"
else
    echo "== all tests passed"
fi
