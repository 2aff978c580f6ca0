# iproute2 parity for GRE, the part make test runs: one line in 24 of the tunnel and GRE
# link lines (and the tunnels given an IPv6 remote in mode gre) and a few GRE listings,
# from Tests/Kernel/parity/suites.py (gre_quick), run by ip and gretool in twin
# namespaces and compared as on the host (Tests/Kernel/host/parity.sh). make parity-lab
# runs every line (Tests/Kernel/parity/lab.sh).

parity_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../parity" && pwd)

test_parity_gre_sample() { python3 "$parity_dir/harness.py" lab gre_quick; }
