#!/bin/bash
# Runs gretool's kernel tests: every test_* function in the given files, each in a
# subshell with fresh namespaces and a time limit. Prints one line per test:
#   LAB PASS <file>:<test> <seconds>s      or      LAB FAIL <file>:<test> <seconds>s
# followed, for failures, by the test's output indented. Ends with
#   LAB DONE pass=N fail=M skip=K
# and exits 0 only if nothing failed; 77 when the whole suite was skipped (not root).
#
# Usage: runner.sh [-t SECONDS] [-k PATTERN] FILE...
#   GRETOOL   the gretool binary under test (required)
#   -t        time limit per test (default 90 s)
#   -k        run only tests whose name contains PATTERN
set -u
export LC_ALL=C
limit=90 pattern=""
while getopts "t:k:" opt; do
    case $opt in
        t) limit=$OPTARG ;;
        k) pattern=$OPTARG ;;
        *) echo "usage: $0 [-t SECONDS] [-k PATTERN] FILE..." >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${GRETOOL:?set GRETOOL to the gretool binary}"
GRETOOL=$(readlink -f "$GRETOOL")
export GRETOOL

if [[ $(id -u) != 0 ]]; then
    echo "LAB SKIP all kernel tests: they need root (network namespaces); run make test as root"
    echo "LAB DONE pass=0 fail=0 skip=1"
    exit 77
fi

pass=0 failed=0 skipped=0 serial=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for file in "$@"; do
    base=$(basename "$file" .sh)
    tests=$(bash -c "source '$here/lib.sh'; source '$file'; declare -F" | awk '{print $3}' | grep '^test_' || true)
    for t in $tests; do
        name="$base:${t#test_}"
        [[ -z $pattern || $name == *"$pattern"* ]] || continue
        serial=$((serial + 1))
        prefix="gt$$-$serial"
        start=$EPOCHREALTIME
        # The test, its namespaces and its temporary files (mktemp, in TMPDIR): a fresh
        # subshell; namespaces and files removed afterwards, whether it passed or not.
        mkdir "$out/$serial"
        NS_PREFIX=$prefix TMPDIR=$out/$serial timeout --kill-after=5 "$limit" bash -c "
            set -u
            source '$here/lib.sh'
            source '$file'
            $t
        " >"$out/log" 2>&1
        rc=$?
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true); do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
            ip netns del "$ns" 2>/dev/null
        done
        rm -rf "${out:?}/$serial"
        took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
        if [[ $rc == 0 ]]; then
            pass=$((pass + 1)); echo "LAB PASS $name ${took}s"
        elif [[ $rc == 77 ]]; then
            skipped=$((skipped + 1)); echo "LAB SKIP $name: $(tail -1 "$out/log")"
        else
            failed=$((failed + 1))
            [[ $rc == 124 || $rc == 137 ]] && echo "    timed out after ${limit}s" >>"$out/log"
            echo "LAB FAIL $name ${took}s"
            sed 's/^/    | /' "$out/log"
        fi
    done
done
echo "LAB DONE pass=$pass fail=$failed skip=$skipped"
[[ $failed == 0 ]]
