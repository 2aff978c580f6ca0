#!/bin/bash
# gretool's fuzz targets (Tests/Fuzz: one program, gretool-fuzz, built with libFuzzer and
# the address sanitizer; Documentation/Development.md says how to use them).
#
#   scripts/fuzz.sh build              builds .build-fuzz/release/gretool-fuzz
#   scripts/fuzz.sh run [TARGET...]    make fuzz: fuzzes each target for FUZZ_SECONDS (default
#                                      180), or until FUZZ_RUNS executions if that comes first,
#                                      then adds to its committed corpus the inputs that reached
#                                      code the corpus did not
#   scripts/fuzz.sh check [TARGET...]  make test's stage: every committed input of each target,
#                                      then FUZZ_CHECK_SECONDS (default 4) of fuzzing that keeps
#                                      nothing
#   scripts/fuzz.sh seeds [TARGET...]  writes the seeds gretool-fuzz makes into the corpora
#
# Without TARGET, every target (gretool-fuzz --list). What the fuzzer finds (crash-*,
# timeout-*, oom-*, slow-unit-*) goes to .build-fuzz/findings/TARGET/; the working corpus
# of `run` stays in .build-fuzz/corpus/TARGET/ from one run to the next. An input taking
# over FUZZ_TIMEOUT seconds (default 1) is a finding (a hang), as is one that needs over
# 2 GB. That clock is the wall's: on a machine busy with other work, raise FUZZ_TIMEOUT,
# and run a timeout-* finding alone (gretool-fuzz TARGET FILE) to tell a hang from a
# wait for the processor. `check` allows 10 s, so that only a hang fails make test.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
swift=${SWIFT:-swift}
scratch=.build-fuzz
fuzzer=$scratch/release/gretool-fuzz
corpora=Tests/Fuzz/Corpus

# libFuzzer's own exit status for a finding is 77, which scripts/test.sh reads as
# "skipped": a finding exits 1 here.
# A Swift trap goes to libFuzzer's handler, not to the runtime's backtracer (whose
# reading of memory the address sanitizer takes for a crash of its own).
export SWIFT_BACKTRACE=enable=no
options=(-rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1)

build() {
    # -enable-testing: the targets reach the decoders' internals (@testable import).
    # Without manifest caching: a cached build manifest does not see a source file
    # added to gretool's package (this package's dependency), and the build fails.
    "$swift" build --package-path Tests/Fuzz --scratch-path "$scratch" -c release \
        --disable-build-manifest-caching -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
}

targets() {
    if (($#)); then printf '%s\n' "$@"; else "$fuzzer" --list | cut -f1; fi
}

# The libFuzzer options of target $1 that depend on it: its dictionary, if it has one,
# and where its findings go.
target_options() {
    local target=$1 dictionary=$scratch/dictionaries/$1.dict
    mkdir -p "$scratch/dictionaries" "$scratch/findings/$target"
    "$fuzzer" --dictionary "$target" >"$dictionary" || return 1
    [[ -s $dictionary ]] && echo "-dict=$dictionary"
    echo "-artifact_prefix=$scratch/findings/$target/"
}

run() {
    local seconds=${FUZZ_SECONDS:-180} target failed="" runs=()
    # The long-run bar is 10 million executions or an hour, whichever comes first.
    [[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
    for target in $(targets "$@"); do
        echo "== fuzz $target (${seconds} s${runs:+, at most $FUZZ_RUNS executions})"
        local work=$scratch/corpus/$target extra
        mkdir -p "$work" "$corpora/$target"
        extra=$(target_options "$target") || return 1
        # Whatever FUZZ_TIMEOUT is, an input that takes 1 s or more (of the wall's clock) is
        # kept as slow-unit-*, the slowest so far each time: with a timeout raised for a busy
        # machine, these say whether any input came near the bar (run them alone).
        # shellcheck disable=SC2086 # one option a line
        "$fuzzer" "$target" "${options[@]}" $extra -timeout="${FUZZ_TIMEOUT:-1}" -report_slow_units=1 \
            -max_total_time="$seconds" "${runs[@]}" "$work" "$corpora/$target" || {
            failed+=" $target"
            continue
        }
        # Only the inputs that reach code (edges) the committed corpus does not: few, small
        # files. Without -use_counters=0 an input that runs a loop a new number of times
        # counts as new too, and a long run would add a thousand files.
        "$fuzzer" "$target" -merge=1 -use_counters=0 "$corpora/$target" "$work" 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' || true
    done
    if [[ -n $failed ]]; then
        echo "== fuzz: findings for$failed (in $scratch/findings/)"
        return 1
    fi
    echo "== fuzz: no findings; new corpus entries, if any: git status $corpora"
}

check() {
    local seconds=${FUZZ_CHECK_SECONDS:-4} target failed="" scratchpad
    scratchpad=$(mktemp -d) || return 1
    for target in $(targets "$@"); do
        local extra log=$scratchpad/$target.log
        extra=$(target_options "$target") || return 1
        mkdir -p "$scratchpad/$target"
        # shellcheck disable=SC2086
        if "$fuzzer" "$target" "${options[@]}" $extra -timeout=10 -max_total_time="$seconds" \
            "$scratchpad/$target" "$corpora/$target" >"$log" 2>&1; then
            echo "fuzz $target: $(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+') inputs, corpus of $(find "$corpora/$target" -type f | wc -l)"
        else
            tail -40 "$log"
            echo "fuzz $target: FAILED (findings in $scratch/findings/$target/)"
            failed+=" $target"
        fi
    done
    rm -rf "$scratchpad"
    [[ -z $failed ]]
}

seeds() {
    local target
    for target in $(targets "$@"); do
        mkdir -p "$corpora/$target"
        "$fuzzer" --seeds "$target" "$corpora/$target" || return 1
    done
}

case ${1:-} in
    build) build ;;
    run | check | seeds)
        command=$1; shift
        [[ -x $fuzzer ]] || { echo "scripts/fuzz.sh: no $fuzzer (scripts/fuzz.sh build)" >&2; exit 2; }
        "$command" "$@"
        ;;
    *) echo "usage: scripts/fuzz.sh build | run [TARGET...] | check [TARGET...] | seeds [TARGET...]" >&2; exit 2 ;;
esac
