#!/bin/bash
# Installs the Debian packages gretool builds and tests with, when they are missing.
# (The lab installs its own: qemu-system-x86, busybox-static and the kernel image.)
set -euo pipefail
need=()
for package in libmnl-dev pkg-config jq iproute2 bc tcpdump time; do
    dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
((${#need[@]})) || exit 0
if [[ $(id -u) != 0 ]]; then
    echo "deps: missing ${need[*]}; install them as root (apt-get install ${need[*]})" >&2
    exit 1
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
