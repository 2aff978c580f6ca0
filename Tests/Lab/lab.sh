#!/bin/bash
# gretool's lab: runs the GRE kernel tests (Tests/Kernel/lab/*.sh) inside a small
# qemu VM with a stock Debian kernel, because the build machines' kernel has no GRE.
#
#   Tests/Lab/lab.sh [--gretool PATH] [-k PATTERN] [--with FILE]... [-- COMMAND...]
#
# The guest boots a busybox initramfs, mounts this machine's root read-only over
# virtio-9p and chroots into it, so it runs the host's ip, bash and python3 with the
# gretool binary given here. It has no network card: all traffic stays in the
# guest's own namespaces. Each test's PASS/FAIL line is shown here as it happens;
# the exit status is 0 only if the guest reported that every test passed.
#
# With "-- COMMAND...", runs COMMAND in the guest instead of the tests (make demo);
# --with FILE adds FILE to what the guest sees in its working directory.
#
# Environment:
#   GRETOOL_LAB_CACHE   kernel, modules and initramfs cache (default ~/.cache/gretool-lab)
#   GRETOOL_LAB_TIMEOUT whole-run limit in seconds (default 900)
#   GRETOOL_LAB_IDLE    limit on guest silence in seconds (default 180)
#   GRETOOL_LAB_KERNEL  kernel package to use (default: what linux-image-amd64 depends on)
#   GRETOOL_FLEET_CACHE where the host's fleet tests keep their Ansible environment, which
#                       the guest's use (default ~/.cache/gretool-fleet)
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
gretool="$root/.build/release/gretool"
pattern=""
command=()
extra=()
while (($#)); do
    case $1 in
        --gretool) gretool=$2; shift 2 ;;
        -k) pattern=$2; shift 2 ;;
        --with) extra+=("$2"); shift 2 ;;
        --) shift; command=("$@"); break ;;
        *) echo "usage: $0 [--gretool PATH] [-k PATTERN] [--with FILE]... [-- COMMAND...]" >&2; exit 2 ;;
    esac
done

cache=${GRETOOL_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gretool-lab}
total_limit=${GRETOOL_LAB_TIMEOUT:-900}
idle_limit=${GRETOOL_LAB_IDLE:-180}
started=$EPOCHREALTIME

log() { printf 'lab: %s\n' "$*"; }
die() { printf 'lab: FAIL %s\n' "$*"; exit 1; }
elapsed() { awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }

# 77: skipped, as the kernel test runner reports it.
[[ $(id -u) == 0 ]] || { echo "LAB SKIP the lab needs root (apt, qemu, namespaces in the guest)"; exit 77; }
[[ -x $gretool ]] || die "no gretool binary at $gretool (run make build)"

# ---------------------------------------------------------------- packages
# qemu-system-x86 boots the guest; busybox-static is its init userland.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if ((${#need[@]})); then
    "$root/scripts/deps.sh" "${need[@]}" || die "cannot install ${need[*]}"
fi

# ------------------------------------------------------------------ kernel
# The stock Debian kernel, unpacked into the cache (never installed into /boot).
mkdir -p "$cache/deb" "$cache/kernel"
package=${GRETOOL_LAB_KERNEL:-}
if [[ -z $package ]]; then
    package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    # Offline or without package lists: use what the cache holds.
    [[ -n $package ]] || package=$(ls "$cache"/deb/linux-image-*.deb 2>/dev/null | head -1 | sed 's|.*/||; s|_.*||')
fi
[[ -n $package ]] || die "cannot tell which kernel package to use (apt-get update?)"
version=${package#linux-image-}
vmlinuz=$cache/kernel/boot/vmlinuz-$version
moddir=$cache/kernel/lib/modules/$version
if [[ ! -f $vmlinuz || ! -d $moddir ]]; then
    log "downloading $package"
    (cd "$cache/deb" && { apt-get download "$package" >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get download "$package" >/dev/null 2>&1; }; }) ||
        die "cannot download $package"
    dpkg -x "$cache"/deb/"$package"_*.deb "$cache/kernel" || die "cannot unpack $package"
fi
[[ -f $vmlinuz ]] || die "no kernel image in $package"

# --------------------------------------------------------------- initramfs
# busybox, the modules the tests need (with their dependencies, read from each
# module's depends= field: the .deb ships no modules.dep) and init. Cached by a
# hash of everything that goes into it. The second line is IPsec (ESP, the xfrm netlink
# family, the AEAD and authenc ciphers the tests set up by hand): drbg seeds the IV
# generators, and without it SAs fail with "unable to initialize cryptographic operations".
# The third is what ip6tables (nf_tables underneath) needs to make a peer that drops IPv6
# packets carrying a destination options header (-m ipv6header --header dst); nf_tables
# needs libcrc32c, which needs a crc32c (a soft dependency, not in depends=).
modules=(veth ip_gre ip6_gre fou fou6 dummy sch_netem 9pnet_virtio 9p virtio_pci
         esp4 esp6 xfrm_user xfrm_algo authenc gcm ghash_generic seqiv echainiv ctr drbg ecb cbc
         aes_generic hmac sha256_generic sha512_generic chacha20poly1305 chacha_generic poly1305_generic
         crc32c_generic nf_tables nft_compat ip6t_ipv6header)
stamp=$( (echo "$version ${modules[*]}"; cat "$here/init.sh"; sha256sum /usr/bin/busybox) | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$stamp.cpio.gz
if [[ ! -f $initrd ]]; then
    log "building initramfs for $version"
    decompress() { case $1 in *.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *) cat "$1" ;; esac; }
    declare -A path=() seen=()
    while IFS= read -r file; do
        name=${file##*/}; name=${name%%.ko*}; path[${name//-/_}]=$file
    done < <(find "$moddir/kernel" -name '*.ko*')
    order=()
    resolve() {
        local module=${1//-/_} dependency
        [[ -n ${seen[$module]:-} ]] && return 0
        seen[$module]=1
        if [[ -z ${path[$module]:-} ]]; then
            grep -q "/$module.ko" "$moddir/modules.builtin" 2>/dev/null && return 0
            die "kernel module $module not found"
        fi
        for dependency in $(decompress "${path[$module]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
            resolve "$dependency"
        done
        order+=("$module")
    }
    for module in "${modules[@]}"; do resolve "$module"; done
    tree=$(mktemp -d)
    mkdir -p "$tree"/{bin,proc,sys,dev,host,modules}
    cp /usr/bin/busybox "$tree/bin/busybox"
    for module in "${order[@]}"; do decompress "${path[$module]}" >"$tree/modules/$module.ko"; done
    printf '%s\n' "${order[@]}" >"$tree/modules/order"
    install -m 755 "$here/init.sh" "$tree/init"
    (cd "$tree" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1 >"$initrd.$$")
    mv "$initrd.$$" "$initrd"
    rm -rf "$tree"
    find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "${initrd##*/}" -delete
fi

# ------------------------------------------------------------------- share
# What the guest runs, shared read-only at /run/gretool-lab: the gretool binary
# (copied, so the checkout may live anywhere, even under /tmp), the tests and the
# user guide.
# Each run has its own share and console log, so several checkouts can use the
# lab at once; the kernel and initramfs in the cache are shared read-only.
run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
share=$run/share
mkdir -p "$share"
cp "$gretool" "$share/gretool"
cp -r "$root/Tests/Kernel" "$share/Kernel"
# The parity tests accept only the differences from iproute2 the user guide lists.
cp "$root/Documentation/gretool.md" "$share/gretool.md"
# The fleet tests run the Ansible collection, from the virtual environment the host's
# fleet tests made in their cache (Tests/Kernel/fleet/ansible.sh), which the guest reads.
mkdir -p "$share/contrib"
cp -r "$root/contrib/ansible" "$share/contrib/ansible"
fleet_cache=$(realpath -m "${GRETOOL_FLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gretool-fleet}")
for file in ${extra[@]+"${extra[@]}"}; do cp "$file" "$share/"; done
{
    echo '#!/bin/bash'
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp'
    echo 'export GRETOOL=/run/gretool-lab/gretool PYTHONDONTWRITEBYTECODE=1'
    # The runner's heartbeat keeps a long test (the fleet playbook) from looking like a
    # silent guest to the watchdog below; lines without the LAB prefix are not shown.
    echo 'export RUNNER_HEARTBEAT=30'
    printf 'export GRETOOL_FLEET_CACHE=%q\n' "$fleet_cache"
    echo 'echo "LAB GUEST up $(cut -d" " -f1 /proc/uptime)s kernel $(uname -r)"'
    if ((${#command[@]})); then
        printf 'cd /run/gretool-lab && %s\n' "$(printf '%q ' "${command[@]}")"
    else
        printf 'bash /run/gretool-lab/Kernel/runner.sh -s LAB %s /run/gretool-lab/Kernel/lab/*.sh\n' "${pattern:+-k $(printf '%q' "$pattern")}"
    fi
} >"$share/guest.sh"
chmod -R a+rX "$share"

# -------------------------------------------------------------------- boot
# TCG: KVM does not work on these machines. tb-size bounds qemu's translation
# cache (the default lets its memory grow past 1 GiB). no_timer_check: on a loaded
# host the emulated timer can tick too slowly during the kernel's IO-APIC check,
# and the guest then panics at boot ("IO-APIC + timer doesn't work").
console=$run/console.log
qemu=(qemu-system-x86_64 -M q35 -nodefaults -accel tcg,tb-size=64 -cpu max -smp 1 -m 384M
      -display none -monitor none -serial stdio -no-reboot
      -kernel "$vmlinuz" -initrd "$initrd" -append "console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check"
      -fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
      -device virtio-9p-pci,fsdev=root,mount_tag=hostroot
      -fsdev local,id=lab,path="$share",security_model=none,readonly=on
      -device virtio-9p-pci,fsdev=lab,mount_tag=lab)
log "booting $version (cache $cache)"
: >"$console"
"${qemu[@]}" </dev/null >"$console" 2>&1 &
qemu_pid=$!
verdict=$run/watchdog

# The watchdog: a guest that hangs, or goes silent, fails the run instead of CI.
(
    last_size=0 last_change=$SECONDS begin=$SECONDS
    while kill -0 "$qemu_pid" 2>/dev/null; do
        size=$(stat -c %s "$console" 2>/dev/null || echo 0)
        if [[ $size != "$last_size" ]]; then last_size=$size; last_change=$SECONDS; fi
        reason=""
        ((SECONDS - begin > total_limit)) && reason="the guest ran longer than ${total_limit}s"
        ((SECONDS - last_change > idle_limit)) && reason="the guest printed nothing for ${idle_limit}s"
        if [[ -n $reason ]]; then
            echo "$reason" >"$verdict"
            kill "$qemu_pid" 2>/dev/null; sleep 2; kill -9 "$qemu_pid" 2>/dev/null
            exit 0
        fi
        sleep 1
    done
) &
watchdog_pid=$!
trap 'kill "$qemu_pid" "$watchdog_pid" 2>/dev/null || true; rm -rf "$run"' EXIT

seen_a_test=""
while IFS= read -r line; do
    line=${line%$'\r'}
    case $line in
        "LAB GUEST"*) log "guest up after $(elapsed)s: ${line#LAB GUEST up }" ;;
        "LAB PASS"* | "LAB FAIL"* | "LAB SKIP"*)
            if [[ -z $seen_a_test ]]; then seen_a_test=1; log "first test finished $(elapsed)s after start"; fi
            echo "${line#LAB }" ;;
        "LAB DONE"*) echo "${line#LAB }" ;;
        "GUEST-EXIT"*) ((${#command[@]})) || echo "$line" ;;
        "    "* | "LAB "*) echo "$line" ;;
        *)
            # Kernel messages ("[    5.712345] ...") are noise here; the console log keeps them.
            if ((${#command[@]})) && ! [[ $line =~ ^\[\ *[0-9]+\.[0-9]+\] ]]; then echo "$line"; fi ;;
    esac
done < <(tail -n +1 -f --pid="$qemu_pid" "$console")
wait "$qemu_pid" || true
kill "$watchdog_pid" 2>/dev/null || true
log "finished in $(elapsed)s"

if [[ -f $verdict ]]; then
    echo "FAIL lab: $(cat "$verdict"); last guest output:"
    tr -d '\r' <"$console" | tail -20 | sed 's/^/    /'
    exit 1
fi
status=$(tr -d '\r' <"$console" | sed -n 's/^GUEST-EXIT rc=\([0-9]*\)$/\1/p' | tail -1)
if [[ -z $status ]]; then
    echo "FAIL lab: the guest did not report its result; last guest output:"
    tr -d '\r' <"$console" | tail -20 | sed 's/^/    /'
    exit 1
fi
if ((${#command[@]} == 0)) && ! grep -qa '^LAB DONE' "$console"; then
    echo "FAIL lab: the test run did not complete"
    exit 1
fi
exit "$status"
