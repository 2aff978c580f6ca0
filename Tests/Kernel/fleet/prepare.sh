#!/bin/bash
# Makes the fleet tests' virtual environment (ansible-core from PyPI, ansible.sh) on this
# machine, for the lab's fleet test (Tests/Kernel/lab/fleet.sh): the guest has no
# network and reads the host's files, so the environment must exist before it looks.
# Does nothing when the environment is already there. Prints why and exits 77 when PyPI
# cannot be reached (the lab's fleet test then skips, saying so), 1 when pip failed.
set -u
fail() { echo "fleet: $*" >&2; exit 1; }
TMPDIR=$(mktemp -d)
trap 'rm -rf "$TMPDIR"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/ansible.sh"
ansible_venv >/dev/null
