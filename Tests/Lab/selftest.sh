#!/bin/bash
# The lab's own contract, checked by make test: the exit status is the guest's, not
# qemu's (which is 0 whatever happened), and a hung guest fails the run with a clear
# message instead of hanging CI.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $(id -u) == 0 ]] || { echo "LAB SKIP the lab self-test needs root"; exit 77; }
failures=0
check() {
    local name=$1 expected_status=$2 pattern=$3; shift 3
    local output status
    output=$("$@" 2>&1); status=$?
    if [[ $status == "$expected_status" ]] && grep -Eq -- "$pattern" <<<"$output"; then
        echo "PASS lab self-test: $name"
    else
        echo "FAIL lab self-test: $name (exit $status, expected $expected_status; output must match /$pattern/)"
        sed 's/^/    | /' <<<"$output" | tail -8
        failures=$((failures + 1))
    fi
}
check "a failing guest command fails the run" 3 'lab: finished' \
    "$here/lab.sh" "$@" -- bash -c 'exit 3'
check "a silent guest is stopped by the watchdog" 1 'FAIL lab: the guest printed nothing for 10s' \
    env GRETOOL_LAB_IDLE=10 "$here/lab.sh" "$@" -- sleep 600
((failures == 0))
