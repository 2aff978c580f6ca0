#!/bin/bash
# Installs the Debian packages named as arguments when they are missing; without
# arguments, those gretool builds and tests with. (The lab and make bench name
# their own: qemu-system-x86 and busybox-static, hyperfine. python3-venv is for the
# Ansible tests, which install ansible-core from PyPI into a virtual environment.
# systemd (for systemd-networkd), ifupdown and netplan.io are the tools the lab's export
# tests load state export's files into: the guest runs this machine's programs.)
set -euo pipefail
packages=("$@")
((${#packages[@]})) || packages=(libmnl-dev pkg-config jq iproute2 bc tcpdump time iptables python3 python3-venv
                                 systemd ifupdown netplan.io)
need=()
for package in "${packages[@]}"; do
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
