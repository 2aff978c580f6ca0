#!/bin/busybox sh
# PID 1 of gretool's lab guest. Loads the modules, mounts the host's root
# read-only over virtio-9p with private /run and /tmp, and runs the lab's
# guest.sh chrooted into it. Never returns: it powers the guest off.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for module in $(cat /modules/order); do
    insmod "/modules/$module.ko" || echo "LAB init: cannot load $module"
done
# cache=loose: the shares are read-only and nothing changes them during a run;
# it makes starting programs from the host's disk several times faster.
options=trans=virtio,version=9p2000.L,msize=131072,ro,cache=loose
tries=0
until mount -t 9p -o $options hostroot /host 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -gt 50 ] && { echo "LAB init: cannot mount the host's root"; break; }
    sleep 0.1
done
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
# devtmpfs lacks the links bash's process substitution and scripts expect.
ln -sf /proc/self/fd /host/dev/fd
ln -sf /proc/self/fd/0 /host/dev/stdin
ln -sf /proc/self/fd/1 /host/dev/stdout
ln -sf /proc/self/fd/2 /host/dev/stderr
# Nor /dev/shm, where Python's multiprocessing (ansible-playbook's workers) makes its semaphores.
mkdir -p /host/dev/shm
mount -t tmpfs tmpfs /host/dev/shm
mount -t tmpfs tmpfs /host/run
mount -t tmpfs tmpfs /host/tmp
mkdir -p /host/run/gretool-lab
mount -t 9p -o $options lab /host/run/gretool-lab || echo "LAB init: cannot mount the lab share"
if [ -x /host/bin/bash ] && [ -f /host/run/gretool-lab/guest.sh ]; then
    chroot /host /bin/bash /run/gretool-lab/guest.sh
    echo "GUEST-EXIT rc=$?"
else
    echo "LAB init: the host's root is not usable in the guest"
fi
sync
poweroff -f
echo o >/proc/sysrq-trigger
