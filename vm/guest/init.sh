#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the emulated pKVM host (itsperf vm), PID 1 in a busybox
# initramfs assembled per run. It mounts the kernel file systems, loads the
# device modules, brings up the network and the 9p shares, then runs the
# command in /etc/itsperf/cmd (or a shell), reports the exit status on the
# console with this run's marker and powers off. Every set-up failure is
# reported with an error marker: the host prints it, nothing fails silently.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=${TERM:-linux}

/bin/busybox --install -s
. /etc/itsperf/run.conf

# "\n" first: a marker must start a line, whatever was printed before it
mark() { printf '\nITSPERF:%s:%s\n' "$ITSPERF_NONCE" "$*"; }
fail() { mark "error:$*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing || fail "cannot mount tracefs"
mount -t debugfs debugfs /sys/kernel/debug || fail "cannot mount debugfs"
mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs"
mount -t cgroup2 cgroup2 /sys/fs/cgroup
hostname itsperf-vm

# dependency order, computed on the host from .modinfo
for m in $ITSPERF_BOOT_MODULES; do
	insmod "/lib/modules/$ITSPERF_KREL/$m.ko" || fail "insmod $m failed"
done

# eth0 as slirp expects it (10.0.2.15, gateway 10.0.2.2); eth1 up, no route
ip link set lo up
if ip link set eth0 up; then
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
else
	fail "no eth0 (virtio-net)"
fi
ip link set eth1 up || fail "no eth1 (virtio-net)"
# operstate follows within ~100 ms (linkwatch): wait for it, at most 3 s
for i in $(seq 30); do
	[ "$(cat /sys/class/net/eth0/operstate /sys/class/net/eth1/operstate 2>/dev/null)" = "up
up" ] && break
	usleep 100000
done

p9opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o $p9opts out /out || fail "cannot mount /out (9p tag out)"
if [ "$ITSPERF_SHARE" = 1 ]; then
	mount -t 9p -o $p9opts,ro share /mnt/share || fail "cannot mount /mnt/share (9p tag share)"
fi

# what the kernel really reached, from its own log (itsperf vm info)
ITSPERF_PKVM_MODE=$(itsperf vm info --key pkvm_mode) || ITSPERF_PKVM_MODE=unknown
export ITSPERF_OUT=/out ITSPERF_EMULATED=1 ITSPERF_PKVM_MODE ITSPERF_KMOD_DIR=/lib/itsperf/kmod

finish() {
	sync
	umount /mnt/share 2>/dev/null
	umount /out 2>/dev/null
	poweroff -f
}

if ! itsperf vm info --mode-ok "$ITSPERF_MODE_REQ"; then
	if [ "$ITSPERF_INTERACTIVE" = 1 ]; then
		echo "*** WARNING: requested --mode $ITSPERF_MODE_REQ, the kernel reached $ITSPERF_PKVM_MODE ***"
	else
		mark "mode:$ITSPERF_PKVM_MODE"
		finish
	fi
fi

# kernel messages stay in dmesg from here on, out of the command's output
echo 1 > /proc/sys/kernel/printk
cd /

if [ "$ITSPERF_INTERACTIVE" = 1 ]; then
	echo "itsperf emulated pKVM host: $ITSPERF_KREL, $ITSPERF_PKVM_MODE." \
		"/out is the host's --out. Exit the shell to power off."
	export PS1='itsperf-vm:\w# '
	setsid cttyhack sh
	finish
fi

# COMMAND's bytes go to the host unchanged: no \n -> \r\n on the console
stty -opost < /dev/console
mark begin
sh /etc/itsperf/cmd < /dev/null
rc=$?
mark "exit:$rc"
finish
