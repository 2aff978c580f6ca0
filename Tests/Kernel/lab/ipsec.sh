# GRE over IPsec with real ESP: namespaces A (198.51.100.1) and B (198.51.100.2) over
# veth, gre1 between them (10.1.0.1/30, 10.1.0.2/30), and security associations set up
# by hand with ip xfrm (fixed keys, no IKE daemon), as a GRE-over-IPsec site runs:
# policies select IP protocol 47 between the two endpoints.
#
# The keys are test values in the open: the tunnels carry nothing but test packets
# between namespaces of the lab.

LOCAL=198.51.100.1 REMOTE=198.51.100.2

# The algorithm words of `ip xfrm state add` for a cipher name.
esp_algorithm() {
    local k16=0x000102030405060708090a0b0c0d0e0f
    local k32=${k16}101112131415161718191a1b1c1d1e1f
    case $1 in
        gcm) echo "aead rfc4106(gcm(aes)) ${k16}10111213 128" ;;
        chacha) echo "aead rfc7539esp(chacha20,poly1305) ${k32}20212223 128" ;;
        cbc) echo "enc cbc(aes) $k16 auth-trunc hmac(sha256) $k32 128" ;;
        cbc512) echo "enc cbc(aes) $k16 auth-trunc hmac(sha512) $k32${k32#0x} 256" ;;
        *) fail "no cipher $1" ;;
    esac
}

# gre1 between A and B, up, with an MTU of 1500 so that only ESP limits what crosses.
# No IPv6 link-local address: the tunnel's own router solicitations and MLD reports
# would cross at random moments, into captures and error counters.
protected_pair() {
    veth_pair
    ip -n "$A" -b - <<EOF || fail "cannot make A's tunnel"
tunnel add gre1 mode gre remote $REMOTE local $LOCAL
link set gre1 addrgenmode none
addr add 10.1.0.1/30 dev gre1
link set gre1 up mtu 1500
EOF
    ip -n "$B" -b - <<EOF || fail "cannot make B's tunnel"
tunnel add gre1 mode gre remote $LOCAL local $REMOTE
link set gre1 addrgenmode none
addr add 10.1.0.2/30 dev gre1
link set gre1 up mtu 1500
EOF
}

# The `ip xfrm` lines that make namespace $1 (A or B) protect GRE between the endpoints
# with CIPHER in MODE, optionally over NAT-T: an SA each way (reqid 1 from A, 2 from B)
# and policies out and in. Emptied first, so a test can switch ciphers.
esp_lines() {
    local side=$1 cipher=$2 mode=$3 natt=${4:-} algorithm encap=""
    algorithm=$(esp_algorithm "$cipher")
    [[ $natt == natt ]] && encap="encap espinudp 4500 4500 0.0.0.0"
    local here=$LOCAL there=$REMOTE out=1 in=2
    [[ $side == B ]] && { here=$REMOTE there=$LOCAL out=2 in=1; }
    cat <<EOF
xfrm policy flush
xfrm state flush
xfrm state add src $LOCAL dst $REMOTE proto esp spi 0x101 reqid 1 mode $mode $algorithm $encap sel src $LOCAL dst $REMOTE proto gre
xfrm state add src $REMOTE dst $LOCAL proto esp spi 0x102 reqid 2 mode $mode $algorithm $encap sel src $REMOTE dst $LOCAL proto gre
xfrm policy add src $here/32 dst $there/32 proto gre dir out tmpl src $here dst $there proto esp reqid $out mode $mode
xfrm policy add src $there/32 dst $here/32 proto gre dir in tmpl src $there dst $here proto esp reqid $in mode $mode
EOF
}

# Protects gre1 on both sides: protect CIPHER MODE [natt].
protect() {
    esp_lines A "$@" | ip -n "$A" -b - || fail "cannot set up ESP in A: $*"
    esp_lines B "$@" | ip -n "$B" -b - || fail "cannot set up ESP in B: $*"
}

# Sends UDP datagrams of the given IP sizes with DF set from A to B's tunnel address
# and prints, for each size, "SIZE:pass" when B received it or "SIZE:drop" when three
# tries got nothing there. PMTUDISC_PROBE sets DF without the socket's own PMTU check,
# so a size above what the path carries reaches the tunnel and is dropped there. With
# "natt", it first opens the UDP port 4500 sockets (UDP_ENCAP_ESPINUDP) that receive
# ESP in UDP on each side.
df_probe() {
    python3 - "$A" "$B" "$@" <<'EOF'
import ctypes, os, select, socket, sys
a, b, *words = sys.argv[1:]
libc = ctypes.CDLL(None, use_errno=True)
def enter(namespace):
    fd = os.open("/run/netns/" + namespace, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        sys.exit("setns %s failed" % namespace)
    os.close(fd)
encap = []
if words and words[0] == "natt":
    words = words[1:]
    for namespace in (a, b):
        enter(namespace)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 4500))
        s.setsockopt(socket.IPPROTO_UDP, 100, 2)  # UDP_ENCAP, UDP_ENCAP_ESPINUDP
        encap.append(s)
enter(b)
receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
receiver.bind(("10.1.0.2", 9000))
enter(a)
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sender.setsockopt(socket.IPPROTO_IP, 10, 3)  # IP_MTU_DISCOVER, IP_PMTUDISC_PROBE
results = []
for size in map(int, words):
    verdict = "drop"
    for attempt in range(3):
        sender.sendto(b"x" * (size - 28), ("10.1.0.2", 9000))
        if select.select([receiver], [], [], 0.4)[0]:
            if len(receiver.recv(65535)) + 28 == size:
                verdict = "pass"
                break
    results.append("%d:%s" % (size, verdict))
print(" ".join(results))
EOF
}

test_esp_transport_carries_gre_and_nothing_crosses_in_clear() {
    protected_pair
    protect gcm transport
    local dir; dir=$(mktemp -d)
    in_ns "$B" tcpdump -i vb -n -w "$dir/capture" -U 'ip proto 47 or ip proto 50' >/dev/null 2>&1 &
    local capture=$!
    wait_until 5 test -s "$dir/capture" || true
    ping_from "$A" -c 3 -W 2 10.1.0.2 >/dev/null || fail "no ping through gre1 over ESP"
    # Under emulation tcpdump can lag behind the wire; a packet still in its socket when it is
    # killed is never written. Wait (bounded) until the file holds the six the pings made.
    local esp gre
    count_esp() { tcpdump -r "$dir/capture" -n 'ip proto 50' 2>/dev/null | wc -l; }
    six_esp_captured() { (($(count_esp) >= 6)); }
    wait_until 10 six_esp_captured || true
    kill "$capture"; wait "$capture" 2>/dev/null
    esp=$(count_esp)
    gre=$(tcpdump -r "$dir/capture" -n 'ip proto 47' 2>/dev/null | wc -l)
    ((esp >= 6)) || fail "expected ESP both ways, saw $esp ESP packets"
    assert_eq "$gre" 0 "GRE packets in clear on the underlay"
}

# diag mtu sizes ESP from the SA that protects the tunnel, and a DF probe through the real
# tunnel confirms it for each cipher and mode: the recommended MTU passes, one byte more
# does not. (gre1's MTU is 1500, so only ESP stops what is too big.) The sizes are the
# kernel's xfrm_state_mtu() arithmetic over a 1500-byte path.
test_esp_sizes_are_the_kernels() {
    protected_pair
    local case cipher mode natt size name
    for case in gcm:transport::1442:AES-GCM-16 gcm:tunnel::1422:AES-GCM-16 gcm:transport:natt:1434:AES-GCM-16 \
        chacha:transport::1442:ChaCha20-Poly1305 chacha:tunnel::1422:ChaCha20-Poly1305 \
        cbc:transport::1434:"AES-CBC + HMAC-SHA-256-128" cbc:tunnel::1414:"AES-CBC + HMAC-SHA-256-128" \
        cbc:tunnel:natt:1398:"AES-CBC + HMAC-SHA-256-128" cbc512:transport::1418:"AES-CBC + HMAC-SHA-512-256"; do
        IFS=: read -r cipher mode natt size name <<<"$case"
        protect "$cipher" "$mode" "$natt"
        diag_in "$A" 1 mtu gre1
        shows "mtu 1500, recommended $size, tcp mss $((size - 40)) (IPv4) / $((size - 60)) (IPv6)"
        grep -qF "($mode mode${natt:+, nat-t}, $name of SA 0x101)" <<<"$out" || fail "$case: ESP not sized from the SA:
$out"
        assert_eq "$(df_probe $natt "$size" $((size + 1)))" "$size:pass $((size + 1)):drop" "$cipher $mode $natt"
    done
    # Without SAs, the policies' mode (transport, the last case's), the sizes assumed.
    ipn "$A" xfrm state flush
    diag_in "$A" 1 mtu gre1
    shows "mtu 1500, recommended 1434, tcp mss 1394 (IPv4) / 1374 (IPv6)"
    shows "a policy protects gre1's GRE but no SA exists yet: ESP estimated in the policy's mode (see gretool diag ipsec gre1)"
}

# The block policy that keeps A's GRE from leaving in clear while its protecting policy
# is gone, as diag ipsec's fix writes it.
guard_gre() {
    ipn "$A" xfrm policy add src 0.0.0.0/0 dst $REMOTE/32 proto gre dir out action block priority 4000000 || fail "cannot add the guard"
}

# Pings B's tunnel address from A in the background for about $1 seconds (traffic for
# the error counters to count while diag watches them).
traffic() {
    ping_from "$A" -c $((${1:-2} * 10)) -i 0.1 -W 1 10.1.0.2 >/dev/null 2>&1 &
}

# Captures the ESP and GRE that cross vb (B's side) into file $1, in the background
# ($capture is tcpdump's process), and the marker of `captured`.
capture_on_vb() {
    in_ns "$B" tcpdump -i vb -n -w "$1" -U "ip proto 47 or ip proto 50 or (udp and dst host $LOCAL and dst port 9)" >/dev/null 2>&1 &
    capture=$!
    wait_until 5 test -s "$1" || true
}

# Stops the capture into file $1 and prints what it holds: "ESP GRE" counts. Under
# emulation tcpdump lags behind the wire, and what is still in its socket when it is
# stopped is never written: B first sends a marker (a UDP datagram to A's discard
# port, outside every policy), and the capture stops once the marker, captured after
# everything before it, is in the file (bounded).
captured() {
    in_ns "$B" bash -c "echo marker >/dev/udp/$LOCAL/9" 2>/dev/null
    marked() { tcpdump -r "$1" -n 'udp port 9' 2>/dev/null | grep -q .; }
    wait_until 10 marked "$1" || true
    kill "$capture"; wait "$capture" 2>/dev/null
    echo "$(tcpdump -r "$1" -n 'ip proto 50' 2>/dev/null | wc -l) $(tcpdump -r "$1" -n 'ip proto 47' 2>/dev/null | wc -l)"
}

# Counts the ESP and GRE packets that cross vb while A pings B's tunnel address (or
# $1) three times: "ESP GRE".
crossing() {
    local file; file=$(mktemp)
    capture_on_vb "$file"
    ping_from "$A" -c 3 -i 0.2 -W 1 "${1:-10.1.0.2}" >/dev/null 2>&1
    captured "$file"
}

test_diag_ipsec_reports_a_clean_transport_setup_ok() {
    protected_pair
    protect gcm transport
    # Without a guard the GRE would leave in clear whenever the policy goes: a warning,
    # whose fix (a block policy under it) makes the check pass.
    diag_in "$A" 0 ipsec gre1
    shows "ipsec: WARNING: nothing keeps gre1's GRE from leaving in clear while the policy is gone (an IKE daemon removes it when it restarts): add a block policy under it, or an nftables rule that drops GRE to 198.51.100.2 when rt ipsec missing"
    shows "fix: ip xfrm policy add src 0.0.0.0/0 dst 198.51.100.2/32 proto gre dir out action block priority 4000000"
    apply_fixes "$A"
    traffic 2
    diag_in "$A" 0 ipsec gre1
    shows "ipsec: OK: gre1's GRE with 198.51.100.2 is protected both ways (esp transport, SAs 0x101 and 0x102)"
    shows "gre 198.51.100.1 -> 198.51.100.2"
    shows "out: policy 198.51.100.1/32 -> 198.51.100.2/32 proto gre priority 0: esp transport reqid 1, SA 0x101 (AES-GCM-16)"
    shows "in: policy 198.51.100.2/32 -> 198.51.100.1/32 proto gre priority 0: esp transport reqid 2, SA 0x102 (AES-GCM-16)"
    shows "keepalives: ours and our reflections of the peer's go out encrypted; the peer's reflections must come back encrypted (the inbound policy requires ESP: the peer needs the mirror policy for GRE to this host)"
    grep -q "counters: no IPsec error counter grew in 1\.[0-9] s" <<<"$out" || fail "counters: $out"
    # diag all runs it where IPsec is set up. (It exits 1 for gre1's MTU, 1500 over
    # ESP; that A, forwarding off, would drop keepalives B does not send is a warning.)
    diag_in "$A" 1 gre1
    shows "keepalive: WARNING: gre1 drops its peer's keepalives: forwarding is off on gre1 (they must be forwarded back)"
    shows "ipsec: OK: gre1's GRE with 198.51.100.2 is protected both ways (esp transport, SAs 0x101 and 0x102)"
    # The guard at work: with the protecting policy gone, GRE is dropped, not sent in clear.
    ipn "$A" xfrm policy delete src $LOCAL/32 dst $REMOTE/32 proto gre dir out
    assert_eq "$(crossing)" "0 0" "ESP and GRE on the underlay with the guard alone"
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: gre1's GRE to 198.51.100.2 is dropped by the block policy 0.0.0.0/0 -> 198.51.100.2/32 proto gre priority 4000000"
}

# No policy while SAs to the remote exist: A's GRE leaves in clear, and B, whose inbound
# policy requires ESP, drops it and counts it while its own check watches.
test_diag_ipsec_finds_gre_in_clear_and_the_peers_counters() {
    protected_pair
    protect gcm transport
    guard_gre
    ipn "$A" xfrm policy delete src $LOCAL/32 dst $REMOTE/32 proto gre dir out
    ipn "$A" xfrm policy delete src $REMOTE/32 dst $LOCAL/32 proto gre dir in
    ipn "$A" xfrm policy delete src 0.0.0.0/0 dst $REMOTE/32 proto gre dir out
    read -r esp gre < <(crossing)
    ((gre > 0)) || fail "no GRE in clear on the underlay ($esp ESP)"
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: gre1's GRE to 198.51.100.2 leaves in clear: no IPsec policy selects it, though SAs to 198.51.100.2 exist"
    shows "out: no policy (GRE leaves in clear)"
    shows "keepalives: ours and our reflections of the peer's go out in clear; the peer's reflections are taken encrypted or in clear (no inbound policy requires ESP)"
    shows "fix: ip xfrm policy add src 198.51.100.1/32 dst 198.51.100.2/32 proto gre dir out tmpl src 198.51.100.1 dst 198.51.100.2 proto esp reqid 1 mode transport"
    shows "fix: ip xfrm policy add src 198.51.100.2/32 dst 198.51.100.1/32 proto gre dir in tmpl src 198.51.100.2 dst 198.51.100.1 proto esp reqid 2 mode transport"
    local fixes=$out
    traffic 2
    diag_in "$B" 1 ipsec gre1
    grep -q "^ipsec: PROBLEM: XfrmInTmplMismatch grew by [0-9]* during the check: packets arrived through other SAs than the inbound policy asks for, or in clear where it requires ESP$" <<<"$out" ||
        fail "B does not name its dropped clear GRE: $out"
    wait
    out=$fixes
    apply_fixes "$A"
    assert_eq "$(crossing | cut -d' ' -f2)" 0 "GRE in clear after the fixes"
    diag_in "$A" 0 ipsec gre1
    shows "ipsec: WARNING: nothing keeps gre1's GRE from leaving in clear while the policy is gone (an IKE daemon removes it when it restarts): add a block policy under it, or an nftables rule that drops GRE to 198.51.100.2 when rt ipsec missing"
    # disable_xfrm on the underlay: the policies are there, the GRE leaves in clear, and
    # the check sees the tunnel send while its SA protects nothing.
    sysctl_in "$A" net.ipv4.conf.va.disable_xfrm=1
    read -r esp gre < <(crossing)
    ((gre > 0)) || fail "disable_xfrm=1 and no GRE in clear ($esp ESP)"
    traffic 2
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: disable_xfrm is on (conf.va): what leaves by va skips the IPsec policies: gre1's GRE goes out in clear"
    grep -q "^ *problem: gre1 sent [0-9]* packets during the check but SA 0x101 protected none: its GRE leaves without IPsec$" <<<"$out" ||
        fail "the tunnel sending around its SA is not found: $out"
    shows "fix: sysctl -w net.ipv4.conf.va.disable_xfrm=0"
    wait
    apply_fixes "$A"
    assert_eq "$(crossing | cut -d' ' -f2)" 0 "GRE in clear after disable_xfrm=0"
}

# disable_policy on the underlay lets clear GRE in past the inbound policy that requires
# ESP: B stops protecting its GRE and A takes it anyway.
test_diag_ipsec_finds_disable_policy_letting_clear_gre_in() {
    protected_pair
    protect gcm transport
    guard_gre
    ipn "$B" xfrm policy delete src $REMOTE/32 dst $LOCAL/32 proto gre dir out
    ping_from "$B" -c 1 -W 1 10.1.0.1 >/dev/null 2>&1 && fail "A took clear GRE despite its inbound policy"
    sysctl_in "$A" net.ipv4.conf.va.disable_policy=1
    ping_from "$B" -c 1 -W 2 10.1.0.1 >/dev/null || fail "disable_policy=1 and A still refuses clear GRE"
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: disable_policy is on (conf.va): what arrives by va skips the inbound policy check: GRE in clear is taken as the peer's"
    shows "fix: sysctl -w net.ipv4.conf.va.disable_policy=0"
    apply_fixes "$A"
    ping_from "$B" -c 1 -W 1 10.1.0.1 >/dev/null 2>&1 && fail "A took clear GRE after the fix"
    diag_in "$A" 0 ipsec gre1
}

# Default policies of block (ip xfrm policy setdefault) drop what no policy selects:
# the peer's GRE when A's inbound policy is gone, A's own when its outbound one is.
test_diag_ipsec_finds_gre_dropped_by_a_default_policy_of_block() {
    protected_pair
    protect gcm transport
    guard_gre
    # The inner packets may arrive by gre1 in clear (a policy says so: raw sockets check),
    # its GRE may not.
    ip -n "$A" -b - <<EOF || fail "cannot set the inbound default"
xfrm policy setdefault in block
xfrm policy add src 10.1.0.0/30 dst 10.1.0.0/30 dir in
xfrm policy delete src $REMOTE/32 dst $LOCAL/32 proto gre dir in
EOF
    ping_from "$A" -c 1 -W 1 10.1.0.2 >/dev/null 2>&1 && fail "B's GRE passed A's default policy of block"
    traffic 2
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: GRE from 198.51.100.2 is dropped: no inbound policy selects it and the default inbound policy blocks (XfrmInNoPols counts it)"
    shows "in: no policy (the default policy blocks)"
    grep -q "^ *problem: XfrmInNoPols grew by [0-9]* during the check" <<<"$out" || fail "XfrmInNoPols did not grow: $out"
    wait
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no ping after the fix"
    diag_in "$A" 0 ipsec gre1

    # Outbound, the same, with the default in place of the guard.
    ip -n "$A" -b - <<EOF || fail "cannot set the outbound default"
xfrm policy setdefault in accept out block
xfrm policy add src 10.1.0.0/30 dst 10.1.0.0/30 dir out
xfrm policy delete src $LOCAL/32 dst $REMOTE/32 proto gre dir out
xfrm policy delete src 0.0.0.0/0 dst $REMOTE/32 proto gre dir out
EOF
    assert_eq "$(crossing)" "0 0" "ESP and GRE on the underlay without A's outbound policy"
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: gre1's GRE to 198.51.100.2 is dropped: no policy selects it and the default outbound policy blocks"
    shows "out: no policy (the default policy blocks)"
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no ping after the outbound fix"
    diag_in "$A" 0 ipsec gre1
}

# The seed guide's wrong example: a tunnel-mode policy for the passenger subnets. What is
# routed through gre1 for them is ESP-tunnelled straight to B and never enters gre1.
test_diag_ipsec_finds_a_subnet_policy_that_bypasses_the_tunnel() {
    protected_pair
    protect gcm transport
    guard_gre
    ip -n "$A" -b - <<EOF || fail "cannot set up the subnet policy"
addr add 10.0.0.1/24 dev lo
route add 192.168.0.0/24 dev gre1 src 10.0.0.1
xfrm policy delete src $LOCAL/32 dst $REMOTE/32 proto gre dir out
xfrm state add src $LOCAL dst $REMOTE proto esp spi 0x103 reqid 3 mode tunnel $(esp_algorithm gcm)
xfrm policy add src 10.0.0.0/24 dst 192.168.0.0/24 dir out tmpl src $LOCAL dst $REMOTE proto esp reqid 3 mode tunnel
EOF
    read -r esp gre < <(crossing 192.168.0.1)
    ((esp >= 3 && gre == 0)) || fail "expected ESP straight to B and no GRE: $esp ESP, $gre GRE"
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: the policy 10.0.0.0/24 -> 192.168.0.0/24 takes what is routed through gre1 (192.168.0.0/24): it is ESP-tunnelled straight to 198.51.100.2 and never enters gre1"
    shows "fix: ip xfrm policy delete src 10.0.0.0/24 dst 192.168.0.0/24 dir out"
    apply_fixes "$A"
    diag_in "$A" 0 ipsec gre1
    shows "ipsec: OK: gre1's GRE with 198.51.100.2 is protected both ways (esp transport, SAs 0x101 and 0x102)"
}

# A policy whose SA is gone (IKE down) drops the GRE; a missing inbound policy lets clear
# GRE in. Each fix, filled in with the SA's SPI and key, makes the check pass.
test_diag_ipsec_finds_a_policy_without_sa_and_a_missing_inbound_policy() {
    protected_pair
    protect gcm transport
    guard_gre
    ipn "$A" xfrm state delete src $LOCAL dst $REMOTE proto esp spi 0x101
    ping_from "$A" -c 1 -W 1 10.1.0.2 >/dev/null 2>&1 && fail "ping passed without an SA"
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: no SA serves the policy for gre1's GRE (esp transport reqid 1 to 198.51.100.2): GRE to 198.51.100.2 is dropped until one exists (XfrmOutNoStates counts it)"
    shows "fix: ip xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp spi SPI reqid 1 mode transport aead 'rfc4106(gcm(aes))' KEY 128"
    local key; key=$(esp_algorithm gcm | cut -d' ' -f3)
    out=$(sed "s/ spi SPI / spi 0x101 /; s/ KEY 128\$/ $key 128/" <<<"$out")
    apply_fixes "$A"
    ping_from "$A" -c 1 -W 2 10.1.0.2 >/dev/null || fail "no ping after the fix"
    diag_in "$A" 0 ipsec gre1

    ipn "$A" xfrm policy delete src $REMOTE/32 dst $LOCAL/32 proto gre dir in
    diag_in "$A" 1 ipsec gre1
    shows "ipsec: PROBLEM: no inbound policy requires ESP for GRE from 198.51.100.2: gre1 takes GRE in clear too, so a spoofed or leaked packet passes as the peer's"
    # For real: with B's outbound policy gone too, B's GRE arrives in clear and is taken.
    ipn "$B" xfrm policy delete src $REMOTE/32 dst $LOCAL/32 proto gre dir out
    ping_from "$B" -c 1 -W 2 10.1.0.1 >/dev/null || fail "A did not take clear GRE"
    apply_fixes "$A"
    ping_from "$B" -c 1 -W 1 10.1.0.1 >/dev/null 2>&1 && fail "A took clear GRE after the fix"
    diag_in "$A" 0 ipsec gre1
}

# Tunnel mode between the GRE endpoints works, and wastes 20 bytes a packet.
test_diag_ipsec_warns_of_tunnel_mode_between_the_endpoints() {
    protected_pair
    protect gcm tunnel
    guard_gre
    diag_in "$A" 0 ipsec gre1
    shows "ipsec: WARNING: gre1's GRE is protected in tunnel mode between its own endpoints: transport mode carries the same with 20 bytes less per packet"
    grep -q "^ *fix: # strongSwan, swanctl.conf: local_ts = dynamic\[gre\], remote_ts = dynamic\[gre\], mode = transport" <<<"$out" || fail "no IKE fix: $out"
    # What that configuration makes (transport mode) is clean.
    protect gcm transport
    guard_gre
    diag_in "$A" 0 ipsec gre1
    shows "ipsec: OK: gre1's GRE with 198.51.100.2 is protected both ways (esp transport, SAs 0x101 and 0x102)"
}

# ip6gre in transport-mode ESP, with its encapsulation limit option.
test_diag_ipsec_warns_of_the_ip6gre_encapsulation_limit() {
    read -r A B < <(make_namespaces a b)
    ip link add va netns "$A" type veth peer name vb netns "$B"
    local k20; k20=$(esp_algorithm gcm | cut -d' ' -f3)
    ip -n "$A" -b - <<EOF || fail "cannot set up A"
addr add 2001:db8::1/64 dev va nodad
link set va up
link add t6 type ip6gre remote 2001:db8::2 local 2001:db8::1
link set t6 up
xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x101 reqid 1 mode transport aead rfc4106(gcm(aes)) $k20 128
xfrm state add src 2001:db8::2 dst 2001:db8::1 proto esp spi 0x102 reqid 2 mode transport aead rfc4106(gcm(aes)) $k20 128
xfrm policy add src 2001:db8::1/128 dst 2001:db8::2/128 proto gre dir out tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 1 mode transport
xfrm policy add src 2001:db8::2/128 dst 2001:db8::1/128 proto gre dir in tmpl src 2001:db8::2 dst 2001:db8::1 proto esp reqid 2 mode transport
xfrm policy add src ::/0 dst 2001:db8::2/128 proto gre dir out action block priority 4000000
EOF
    ipn "$B" link set vb up
    diag_in "$A" 0 ipsec t6
    shows "ipsec: WARNING: t6 adds an 8-byte encapsulation limit option after its IPv6 header, which some peers refuse inside transport-mode ESP"
    shows "fix: gretool tunnel change t6 encaplimit none"
    apply_fixes "$A"
    assert_eq "$(json_get "$A" t6 '.linkinfo.info_data.encap_limit // "none"')" none "t6 encaplimit after the fix"
    diag_in "$A" 0 ipsec t6
    shows "ipsec: OK: t6's GRE with 2001:db8::2 is protected both ways (esp transport, SAs 0x101 and 0x102)"
}

# keepalive respond reflects through ESP as the kernel does: on the underlay only ESP
# crosses, and keepalive watch on A stays up. (Sent through an IPPROTO_RAW socket as
# protocol 255, the reflections met no policy for GRE, left in clear, and A, whose
# inbound policy requires ESP, dropped them.)
test_keepalive_respond_reflects_through_esp() {
    protected_pair
    protect gcm transport
    guard_gre
    local dir; dir=$(mktemp -d)
    # B's kernel does not reflect (forwarding is off): its responder does.
    "$GRETOOL" -n "$B" keepalive respond gre1 timeout 30 -v >"$dir/respond" 2>&1 &
    local responder=$!
    wait_until 5 grep -q 'responding to gre1' "$dir/respond" || fail "responder not ready: $(cat "$dir/respond")"
    capture_on_vb "$dir/capture"
    "$GRETOOL" -n "$A" keepalive watch gre1 interval 0.2 retries 2 -j >"$dir/watch" 2>&1 &
    local watcher=$!
    wait_until 10 grep -q '"event":"state".*"state":"up"' "$dir/watch" || fail "never up: $(cat "$dir/watch")"
    sleep 2
    kill -TERM "$watcher"; wait "$watcher"
    local esp gre
    captured "$dir/capture" >"$dir/counts"
    read -r esp gre <"$dir/counts"
    kill -TERM "$responder"; wait "$responder"
    grep -q '"state":"down"' "$dir/watch" && fail "went down: $(cat "$dir/watch")"
    grep -q 'reflected keepalive 198.51.100.1 -> 198.51.100.2' "$dir/respond" || fail "responder: $(cat "$dir/respond")"
    # At 0.2 s for 2 s and more: ten keepalives and their ten reflections at least.
    ((esp >= 20)) || fail "expected ESP both ways, saw $esp ESP packets"
    assert_eq "$gre" 0 "GRE packets in clear on the underlay"
}
