# iproute2 parity for GRE in the lab: tunnel and GRE link lines of
# Tests/Kernel/parity/suites.py (the lab suite), every value of every keyword on every
# GRE kind, run by ip in one namespace and by gretool in its twin, and compared as on
# the host (Tests/Kernel/host/parity.sh). Not among the lab's tests (Tests/Kernel/lab),
# which make test runs: under emulation its 460 lines take minutes (11 at a load of 18),
# past the lab's time limits. make parity-lab runs it, with limits of its own; make test
# runs each keyword once and every listing (Tests/Kernel/lab/parity.sh).

parity_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../parity" && pwd)
parity() { python3 "$parity_dir/harness.py" lab "$@"; }

test_parity_gre_links() { parity gre_links; }
test_parity_gre_link_changes() { parity gre_link_changes; }
test_parity_tunnels() { parity tunnels; }
test_parity_gre_listings() { parity gre_listings; }
