# The Prometheus alerting rules of contrib/prometheus against promtool: each alert
# fires when it should and not before (promtool test rules), and a running watcher's
# metrics file is valid exposition text holding every metric the rules read.
#
# promtool is Debian's (package prometheus): the one on the PATH, else taken out of
# the package (apt-get download, nothing installed or started) into
# ~/.cache/gretool-fleet/promtool (GRETOOL_FLEET_CACHE) once.

rules_dir=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../../../contrib/prometheus")

# Prints promtool's path; exits 77 when there is none and the package cannot be had.
promtool_path() {
    command -v promtool && return
    local cache=${GRETOOL_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gretool-fleet}/promtool
    mkdir -p "$cache"
    (
        flock 9
        [[ -x $cache/promtool ]] && exit 0
        local work=$TMPDIR/prometheus-deb
        mkdir -p "$work"
        if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1) &&
            ! (apt-get update >/dev/null 2>&1 && cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
            echo "promtool is not installed and Debian's prometheus package cannot be downloaded" >&2
            exit 77
        fi
        dpkg-deb -x "$work"/prometheus_*.deb "$work/root" || fail "cannot unpack the prometheus package"
        cp "$work/root/usr/bin/promtool" "$cache/promtool.new" && mv "$cache/promtool.new" "$cache/promtool"
    ) 9>"$cache/lock" || exit $?
    echo "$cache/promtool"
}

test_alert_rules_fire_when_they_should_and_not_before() {
    local promtool
    promtool=$(promtool_path) || exit $?
    ok "$promtool" check rules "$rules_dir/gretool-keepalive.rules.yml" >/dev/null
    (cd "$rules_dir" && "$promtool" test rules tests.yml) >"$TMPDIR/promtool.log" 2>&1 ||
        fail "promtool test rules:
$(sed 's/^/        /' "$TMPDIR/promtool.log")"
}

test_a_watchers_metrics_file_is_valid_and_holds_what_the_rules_read() {
    local promtool
    promtool=$(promtool_path) || exit $?
    veth_pair
    export GRETOOL_RUNTIME_DIR=$TMPDIR/run
    mkdir -p "$GRETOOL_RUNTIME_DIR"
    local metrics=$TMPDIR/gretool-keepalive.prom
    "$GRETOOL" -n "$B" keepalive respond timeout 60 >/dev/null 2>&1 &
    "$GRETOOL" -n "$A" keepalive watch local 198.51.100.1 remote 198.51.100.2 interval 0.2 metrics-file "$metrics" \
        >/dev/null 2>&1 &
    local watcher=$!
    wait_until 10 grep -q '^gretool_keepalive_up{.*} 1$' "$metrics" ||
        fail "no metrics file saying up: $(cat "$metrics" 2>&1)"
    "$promtool" check metrics <"$metrics" >"$TMPDIR/check.log" 2>&1 || fail "promtool check metrics: $(cat "$TMPDIR/check.log")"
    # Every gretool metric an alert reads is in the file (histograms by their buckets).
    local name names
    names=$(grep -o 'gretool_keepalive_[a-z_]*' "$rules_dir/gretool-keepalive.rules.yml" | sort -u)
    [[ -n $names ]] || fail "no gretool metric in the rules"
    for name in $names; do
        grep -q "^$name{" "$metrics" || fail "the rules read $name, which the metrics file does not have"
    done
    kill "$watcher"
    wait "$watcher"
}
