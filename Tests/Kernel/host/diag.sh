# gretool diag on this machine's kernel (no GRE here): what it refuses and with which
# exit status. The checks themselves run in the lab (Tests/Kernel/lab/diag.sh).

test_diag_refuses_what_is_not_a_tunnel() {
    veth_pair
    refuses 2 'va is not a GRE tunnel \(it is a veth link\)' g "$A" diag mtu va
    refuses 2 'va is not a GRE tunnel' g "$A" diag va
    refuses 1 'cannot check the routes of gre9: cannot find device "gre9"' g "$A" diag route gre9
    refuses 1 'cannot diagnose gre9: cannot find device "gre9"' g "$A" diag gre9
    refuses 2 'invalid ipsec "esp": expected transport or tunnel' g "$A" diag mtu va ipsec esp
    refuses 2 'unknown word "extra" in diag keepalive' g "$A" diag keepalive va extra
    refuses 2 'diag route: no tunnel name given' g "$A" diag route
    refuses 2 'va is not a GRE tunnel \(it is a veth link\)' g "$A" diag config va
    refuses 1 'cannot check the options of gre9: cannot find device "gre9"' g "$A" diag config gre9
    refuses 2 'unknown word "extra" in diag config' g "$A" diag config va extra
}

test_diag_without_tunnels_finds_nothing_wrong() {
    veth_pair
    local out
    out=$(g "$A" diag) || fail "diag without tunnels exited $?"
    assert_eq "$out" "" "diag text without tunnels"
    assert_eq "$(g "$A" -j diag)" "[]" "diag -j without tunnels"
}
