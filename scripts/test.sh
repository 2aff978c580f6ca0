#!/bin/bash
# make test: the unit tests, the fuzz targets over their corpora (scripts/fuzz.sh check),
# the kernel tests on this machine's kernel (namespaces) and the GRE tests in the lab VM. Every stage runs even when an earlier one failed, so one
# run shows every failure; the exit status is 1 if any stage failed, 0 otherwise.
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
for stage in "${stages[@]}"; do
    case $stage in
        unit | fuzz | kernel | lab) ;;
        *) echo "scripts/test.sh: unknown stage \"$stage\" (stages: unit fuzz kernel lab)" >&2; exit 2 ;;
    esac
    "$stage"
    case $? in
        0) ;;
        77) skipped+=" $stage" ;;
        *) failed+=" $stage" ;;
    esac
done

if [[ -n $failed ]]; then
    echo "== some tests FAILED:$failed"
    exit 1
elif [[ -n $skipped ]]; then
    echo "== tests passed, but SKIPPED (not root):$skipped"
else
    echo "== all tests passed"
fi
