#!/bin/bash
# Runs gretool's kernel tests: every test_* function in the given files, each in a
# subshell with fresh namespaces and a time limit. Prints one line per test, prefixed
# with the suite's name (HOST for host/*.sh, LAB for lab/*.sh):
#   HOST PASS <file>:<test> <seconds>s      or      HOST FAIL <file>:<test> <seconds>s
# followed, for failures, by the test's output indented. Ends with
#   HOST DONE pass=N fail=M skip=K
# and exits 0 only if nothing failed; 77 when the whole suite was skipped (not root).
# The lab (Tests/Lab/lab.sh) picks its guest's LAB lines out of the serial console.
#
# Usage: runner.sh [-t SECONDS] [-k PATTERN] [-s SUITE] FILE...
#   GRETOOL   the gretool binary under test (required)
#   -t        time limit per test (default 90 s); a file whose tests need longer sets
#             test_time_limit=SECONDS at its top, which then applies to its tests
#   -k        run only tests whose name contains PATTERN
#   -s        the suite's name in the output (default: the first FILE's directory, in
#             capitals)
#   RUNNER_HEARTBEAT  when set, a line "runner: NAME still running" every that many
#             seconds while a test runs (the lab sets it: its watchdog stops a guest
#             that prints nothing for a while, and a long test prints only at its end)
set -u
export LC_ALL=C
limit=90 pattern="" suite=""
usage="usage: $0 [-t SECONDS] [-k PATTERN] [-s SUITE] FILE..."
while getopts "t:k:s:" opt; do
    case $opt in
        t) limit=$OPTARG ;;
        k) pattern=$OPTARG ;;
        s) suite=$OPTARG ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
(($#)) || { echo "$usage" >&2; exit 2; }
if [[ -z $suite ]]; then
    suite=$(basename "$(dirname "$1")")
    suite=${suite^^}
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${GRETOOL:?set GRETOOL to the gretool binary}"
GRETOOL=$(readlink -f "$GRETOOL")
export GRETOOL

if [[ $(id -u) != 0 ]]; then
    echo "$suite SKIP all kernel tests: they need root (network namespaces); run make test as root"
    echo "$suite DONE pass=0 fail=0 skip=1"
    exit 77
fi

# Each file is read by a fresh bash that sources the helpers, then the file. The paths
# reach that bash as arguments, never inside its script, so no path is read as code.
# In a test's bash, the arguments after the two files are the test to call.
list_tests='source "$1" && source "$2" && declare -F && echo "limit ${test_time_limit:-}"'
run_test='set -u; source "$1" || exit 1; source "$2" || exit 1; shift 2; "$@"'

pass=0 failed=0 skipped=0 serial=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for file in "$@"; do
    base=$(basename "$file" .sh)
    listing=$(bash -c "$list_tests" list-tests "$here/lib.sh" "$file")
    tests=$(awk '$1 == "declare" {print $3}' <<<"$listing" | grep '^test_' || true)
    file_limit=$(awk '$1 == "limit" {print $2}' <<<"$listing")
    test_limit=${file_limit:-$limit}
    for t in $tests; do
        name="$base:${t#test_}"
        [[ -z $pattern || $name == *"$pattern"* ]] || continue
        serial=$((serial + 1))
        prefix="gt$$-$serial"
        start=$EPOCHREALTIME
        # The test, its namespaces and its temporary files (mktemp, in TMPDIR): a fresh
        # subshell; namespaces and files removed afterwards, whether it passed or not.
        mkdir "$out/$serial"
        NS_PREFIX=$prefix TMPDIR=$out/$serial timeout --kill-after=5 "$test_limit" \
            bash -c "$run_test" "$name" "$here/lib.sh" "$file" "$t" >"$out/log" 2>&1 &
        test_pid=$! heartbeat_pid=""
        if [[ -n ${RUNNER_HEARTBEAT:-} ]]; then
            (
                trap 'kill "$beat" 2>/dev/null; exit 0' TERM
                while :; do
                    sleep "$RUNNER_HEARTBEAT" & beat=$!
                    wait "$beat"
                    echo "runner: $name still running"
                done
            ) &
            heartbeat_pid=$!
        fi
        wait "$test_pid"
        rc=$?
        [[ -n $heartbeat_pid ]] && { kill "$heartbeat_pid"; wait "$heartbeat_pid"; }
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true); do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
            ip netns del "$ns" 2>/dev/null
        done
        rm -rf "${out:?}/$serial"
        took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}')
        if [[ $rc == 0 ]]; then
            pass=$((pass + 1)); echo "$suite PASS $name ${took}s"
        elif [[ $rc == 77 ]]; then
            skipped=$((skipped + 1)); echo "$suite SKIP $name: $(tail -1 "$out/log")"
        else
            failed=$((failed + 1))
            [[ $rc == 124 || $rc == 137 ]] && echo "    timed out after ${test_limit}s" >>"$out/log"
            echo "$suite FAIL $name ${took}s"
            sed 's/^/    | /' "$out/log"
        fi
    done
done
echo "$suite DONE pass=$pass fail=$failed skip=$skipped"
[[ $failed == 0 ]]
