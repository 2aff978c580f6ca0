#!/bin/bash
# make sanitize: the unit tests under the address sanitizer (with its leak checker),
# then under the thread sanitizer, each built in a directory of its own (.build-asan,
# .build-tsan) so that neither rebuilds the other's objects nor make build's. A
# sanitizer's report fails the run even where the sanitizer would only warn and go on
# (the thread sanitizer's reports are "WARNING"s): each stops the tests at its first
# report, and a report in the output fails the stage whatever the exit status. Both
# sanitizers run even when the first failed; the exit status is 1 if either did.
#
#   scripts/sanitize.sh [address|thread...]    default: both
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
swift=${SWIFT:-swift}
sanitizers=("$@")
((${#sanitizers[@]})) || sanitizers=(address thread)

# A Swift trap goes to the sanitizer's handler, not to the runtime's backtracer (whose
# reading of memory the address sanitizer takes for an error of its own).
export SWIFT_BACKTRACE=enable=no
# The address sanitizer's run checks for leaks too (LeakSanitizer, at the end of each
# test process), but for XCTest's own (Tests/Sanitizers/leaks.supp).
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$root/Tests/Sanitizers/leaks.supp:print_suppressions=0
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

failed=""
for sanitizer in "${sanitizers[@]}"; do
    case $sanitizer in
        address) scratch=.build-asan ;;
        thread) scratch=.build-tsan ;;
        *) echo "scripts/sanitize.sh: unknown sanitizer \"$sanitizer\" (address, thread)" >&2; exit 2 ;;
    esac
    echo "== unit tests under the $sanitizer sanitizer ($scratch)"
    log=$(mktemp)
    started=$SECONDS
    "$swift" test --sanitize="$sanitizer" --scratch-path "$scratch" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    if grep -Eq '^(==[0-9]+==)?(ERROR|WARNING): (Address|Thread|Leak)Sanitizer' "$log"; then
        echo "== $sanitizer sanitizer: a report (above)"
        status=1
    fi
    echo "== $sanitizer sanitizer: exit status $status, $((SECONDS - started)) s"
    rm -f "$log"
    ((status == 0)) || failed+=" $sanitizer"
done

if [[ -n $failed ]]; then
    echo "== sanitizers FAILED:$failed"
    exit 1
fi
echo "== unit tests pass under the sanitizers (${sanitizers[*]})"
