# iproute2 parity for GRE, the part make test runs: every tunnel and GRE link keyword
# once (with its first value), on one of the kinds that take it in turn, and every GRE
# listing, from Tests/Kernel/parity/suites.py (the *_sample sections and gre_listings),
# run by ip and gretool in twin namespaces and compared as on the host
# (Tests/Kernel/host/parity.sh). make parity-lab runs every value on every kind
# (Tests/Kernel/parity/lab.sh): its 460 lines took 11 minutes at a load of 18, where
# these 214 take about what make test's 26-line sample took before (136 s against 127 s
# side by side at a load of 15). Each test is one pair of twins: 10 to 60 s at that load,
# up to 225 s at a load of 19.
test_time_limit=360

parity_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../parity" && pwd)
parity() { python3 "$parity_dir/harness.py" lab "$@"; }

test_parity_gre_link_keywords() { parity gre_links_sample; }
test_parity_gre_link_changes() { parity gre_link_changes_sample; }
test_parity_tunnel_keywords() { parity tunnels_sample; }
test_parity_gre_listings() { parity gre_listings; }
