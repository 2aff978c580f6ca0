# iproute2 parity on this kernel: every command line of Tests/Kernel/parity/suites.py
# (the host suite) run by ip in one namespace and by gretool in its twin, and compared:
# exit status, output (text and -j), and the kernel state left. A line may differ only
# as a deliberate difference the user guide lists, or while it is pending
# (Tests/Kernel/parity/pending). Tests/Kernel/parity/harness.py says how.

parity_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../parity" && pwd)
parity() { python3 "$parity_dir/harness.py" host "$@"; }

test_parity_route_add() { parity route_add; }
test_parity_route_verbs() { parity route_verbs; }
test_parity_route_listings() { parity route_listings; }
test_parity_addresses() { parity addresses; }
test_parity_address_listings() { parity address_listings; }
test_parity_link_add() { parity link_add; }
test_parity_link_add_more() { parity link_add_more; }
test_parity_link_set() { parity link_set; }
test_parity_link_listings() { parity link_listings; }
test_parity_rules() { parity rules rule_listings; }
test_parity_nexthops() { parity nexthops nexthop_listings; }
test_parity_batch() { parity batch; }
test_parity_options() { parity options; }
