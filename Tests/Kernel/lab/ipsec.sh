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
protected_pair() {
    veth_pair
    ip -n "$A" -b - <<EOF || fail "cannot make A's tunnel"
tunnel add gre1 mode gre remote $REMOTE local $LOCAL
addr add 10.1.0.1/30 dev gre1
link set gre1 up mtu 1500
EOF
    ip -n "$B" -b - <<EOF || fail "cannot make B's tunnel"
tunnel add gre1 mode gre remote $LOCAL local $REMOTE
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
