#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# itsperf vm: the emulated pKVM host. Every assertion is on what the guest
# kernel itself reported (its log, /proc/interrupts, tracefs), on the bytes
# and status that came back, or on what is left running afterwards.
# About 15 boots of 3-10 s each on 2 cores, + 4 on Debian 7.2 and 1 of
# itsref-base (make kernel) when those are installed.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_TEST_OUT:-build/test-out}/vm
rm -rf "$OUT"
mkdir -p "$OUT/tmp"
OUT=$(cd "$OUT" && pwd)
# our QEMUs are exactly those whose -initrd lies under this directory
export TMPDIR=$OUT/tmp
leftovers=0
runs=0

# vm NAME ARGS...: itsperf vm --out $OUT/NAME ARGS; sets $rc, keeps stdout/stderr
vm() {
	local name=$1 t0=$EPOCHREALTIME

	shift
	"$ITSPERF" vm --out "$OUT/$name" "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr" < /dev/null
	rc=$?
	runs=$((runs + 1))
	printf '# %s: exit %d after %.1f s\n' "$name" $rc "$(echo "$EPOCHREALTIME - $t0" | bc)"
	check_nothing_left "$name"
}

# no QEMU of ours still running, no temporary directory left
check_nothing_left() {
	if pgrep -f "$TMPDIR/itsperf-vm" > /dev/null || [ -n "$(ls -A "$TMPDIR")" ]; then
		echo "# $1 left something behind:"
		pgrep -af "$TMPDIR/itsperf-vm" | sed 's/^/#   /'
		ls -A "$TMPDIR" | sed 's/^/#   /'
		pkill -KILL -f "$TMPDIR/itsperf-vm"
		leftovers=$((leftovers + 1))
	fi
}

kv() {	# KEY FILE: first value of KEY=
	sed -n "s/^$1=//p" "$2" | head -1
}

stderr_has() {	# NAME TEXT
	grep -qF -- "$2" "$OUT/$1.stderr"
}

# ITS lines as `itsperf vm info` parsed them: every guest PCI device has its
# vectors on the ITS, with the label format of this kernel, BDF decoded
check_its_lines() {	# NAME LABEL
	local f=$OUT/$1.stdout label=$2 bdf missing=
	local n raw

	n=$(kv its_irqs "$f")
	raw=$(kv raw_its_lines "$f")
	if [ -n "$n" ] && [ "$n" -ge 13 ] && [ "$n" = "$raw" ]; then
		tap_ok "$1: $n ITS MSIs parsed by lib/interrupts.c = $raw ITS lines in /proc/interrupts"
	else
		tap_fail "$1: ITS MSIs parsed '$n', ITS lines in /proc/interrupts '$raw'"
	fi
	for bdf in 01 02 03 04 05 06; do
		grep -q "^its_irq=[0-9]*,0000:00:$bdf.0,[0-9]*,$label," "$f" || missing="$missing $bdf"
	done
	if [ -z "$missing" ]; then
		tap_ok "$1: every virtio device (00:01.0-00:06.0) has $label ITS vectors"
	else
		tap_fail "$1: no $label ITS vectors for device(s)$missing"
	fi
}

# the batch of checks of tests/guest/vm_checks.sh, one boot per kernel
check_guest() {	# NAME MODE LABEL
	local f=$OUT/$1.stdout name=$1

	check_eq "$name: exit status" 0 "$rc"
	check_eq "$name: pKVM mode reached (kernel log)" "$2" "$(kv pkvm_mode "$f")"
	check_eq "$name: ITSPERF_PKVM_MODE given to the command" "$2" "$(kv env_mode "$f")"
	check_eq "$name: ITSPERF_EMULATED" 1 "$(kv env_emulated "$f")"
	check_eq "$name: ITSPERF_OUT" /out "$(kv env_out "$f")"
	check_eq "$name: runs as root" 0 "$(kv uid "$f")"
	check_eq "$name: ITS probed (dmesg ITS@)" 1 "$(kv its "$f")"
	check_its_lines "$name" "$3"
	check_eq "$name: tracefs" /sys/kernel/tracing "$(kv tracefs "$f")"
	check_eq "$name: kprobe_events present" 1 "$(kv kprobe_events "$f")"
	check_eq "$name: hist triggers present" 1 "$(kv hist_triggers "$f")"
	check_eq "$name: kprobe on its_send_single_command added" 1 "$(kv kprobe_added "$f")"
	check_eq "$name: hist trigger counted both IRQ moves as MOVI" 2 "$(kv movi_hist "$f")"
	check_eq "$name: kprobe removed again" 0 "$(kv kprobe_removed "$f")"
	check_eq "$name: BTF" 1 "$(kv btf "$f")"
	check "$name: eth0 carries the default route" \
		grep -q '^default_route=default via 10.0.2.2 dev eth0' "$f"
	check_eq "$name: eth0 up" up "$(kv eth0_state "$f")"
	check_eq "$name: eth1 up" up "$(kv eth1_state "$f")"
	check_eq "$name: eth1 has no route" 0 "$(kv eth1_routes "$f")"
	check_eq "$name: scratch disk vda, 1 GiB" 2097152 "$(kv vda_sectors "$f")"
	check_eq "$name: /mnt/share is read-only" 1 "$(kv share_ro "$f")"
	check_eq "$name: packed vfio_pci loads with modprobe" 1 "$(kv vfio_modprobe "$f")"
	check "$name: the file written to \$ITSPERF_OUT came back over 9p" \
		cmp -s "$OUT/$name/checks.txt" "$f"
	check "$name: boot log in console.log" grep -q 'Booting Linux' "$OUT/$name/console.log"
	check "$name: no boot log in the command's output" \
		bash -c "! grep -q -e 'Booting Linux' -e 'ITSPERF:' '$f'"
}

# ---- set-up errors: no boot ----
vm nonexistent --kernel /nonexistent -- true
check_eq "--kernel /nonexistent: exit status" 2 "$rc"
check "--kernel /nonexistent: says which file" stderr_has nonexistent "/nonexistent: No such file"
vm badmods --kernel 6.1 --modules /nonexistent -- true
check_eq "--modules /nonexistent: exit status" 2 "$rc"
vm badmode --mode hvhe -- true
check_eq "--mode hvhe (not a mode): exit status" 2 "$rc"
vm badgic --gic 5 -- true
check_eq "--gic 5: exit status" 2 "$rc"
ITSPERF_QEMU=/nonexistent/qemu-system-aarch64 vm noqemu -- true
check_eq "missing QEMU: exit status" 2 "$rc"
check "missing QEMU: names the make deps step" stderr_has noqemu "run 'make deps'"
mkdir -p "$OUT/emptyroot"
ITSPERF_ROOT=$OUT/emptyroot vm nobusybox -- true
check_eq "missing arm64 sysroot: exit status" 2 "$rc"
check "missing arm64 sysroot: names the make deps step" stderr_has nobusybox "run 'make deps'"
# a build tree with the sysroot but no kernels
mkdir -p "$OUT/nokernel-root/build"
ln -s "$(cd build/sysroot && pwd -P)" "$OUT/nokernel-root/build/sysroot"
ITSPERF_ROOT=$OUT/nokernel-root vm nokernel --binary build/aarch64/itsperf --kernel 6.1 -- true
check_eq "kernel not installed: exit status" 2 "$rc"
check "kernel not installed: names the make deps step" stderr_has nokernel "run 'make deps'"
"$ITSPERF" vm --list-kernels > "$OUT/list.stdout"
check "--list-kernels lists 6.12 and 6.1" \
	bash -c "grep -q '^6.12 ' '$OUT/list.stdout' && grep -q '^6.1 ' '$OUT/list.stdout'"

# ---- the full batch on both kernels ----
vm k612 --share tests/guest -- sh /mnt/share/vm_checks.sh
check_guest k612 protected-hvhe pci-msi
check_eq "k612: GICv3 only (no GICv4 without --gic 4)" 0 "$(kv gicv4 "$OUT/k612.stdout")"

vm k61 --kernel 6.1 --share tests/guest -- sh /mnt/share/vm_checks.sh
check_guest k61 protected-nvhe its-msi

# ---- modes ----
vm k612nvhe --mode protected-nvhe --gic 4 -- itsperf vm info
check_eq "6.12 --mode protected-nvhe: exit status" 0 "$rc"
check_eq "6.12 --mode protected-nvhe: reached" protected-nvhe "$(kv pkvm_mode "$OUT/k612nvhe.stdout")"
check_eq "--gic 4: the irqchip enabled GICv4" 1 "$(kv gicv4 "$OUT/k612nvhe.stdout")"
check_eq "--gic 4: KVM's GICv4 support" enabled "$(kv kvm_gicv4 "$OUT/k612nvhe.stdout")"

for k in 6.12 6.1; do
	vm "nvhe$k" --kernel $k --mode nvhe -- itsperf vm info --key pkvm_mode
	check_eq "$k --mode nvhe (unprotected baseline): reached" "0 nvhe" "$rc $(cat "$OUT/nvhe$k.stdout")"
done

# ---- Debian's 7.2 (make deps): the batch, both protected modes, nvhe ----
if [ -e build/kernels/7.2/boot ]; then
	check "--list-kernels lists 7.2" grep -q '^7.2 ' "$OUT/list.stdout"
	vm k72 --kernel 7.2 --share tests/guest -- sh /mnt/share/vm_checks.sh
	check_guest k72 protected-hvhe pci-msi
	for m in protected-nvhe nvhe; do
		vm "k72$m" --kernel 7.2 --mode $m -- itsperf vm info --key pkvm_mode
		check_eq "7.2 --mode $m: reached" "0 $m" "$rc $(cat "$OUT/k72$m.stdout")"
	done
else
	tap_skip "Debian 7.2 in the emulated host" "build/kernels/7.2 not installed (make deps)"
fi

# ---- the project's own 7.2 with hypervisor tracing (make kernel) ----
if ls build/kernels/itsref-base/boot/vmlinuz-* > /dev/null 2>&1; then
	vm itsref --kernel itsref-base -- sh -c 'itsperf vm info --key pkvm_mode;
		test -d /sys/kernel/tracing/remotes/hypervisor && echo remotes=hypervisor'
	check_eq "itsref-base: boots protected (hVHE)" "0 protected-hvhe" \
		"$rc $(head -1 "$OUT/itsref.stdout")"
	check_eq "itsref-base: /sys/kernel/tracing/remotes/hypervisor exists" remotes=hypervisor \
		"$(kv remotes "$OUT/itsref.stdout" | sed 's/^/remotes=/')"
else
	tap_skip "itsref-base boots protected, with remotes/hypervisor" \
		"build/kernels/itsref-base not built (make kernel)"
fi

vm interrupts61 --kernel 6.1 --mode protected-nvhe -- cat /proc/interrupts
n=$(grep -c ' ITS-MSI ' "$OUT/interrupts61.stdout")
check "6.1 --mode protected-nvhe -- cat /proc/interrupts: exit 0, $n ITS-MSI lines" \
	test "$rc" = 0 -a "$n" -ge 13

vm vhe --append arm64_sw.hvhe=0 -- echo COMMAND-RAN
check_eq "arm64_sw.hvhe=0 alone: refused" 125 "$rc"
check "arm64_sw.hvhe=0 alone: names the mode reached (vhe)" stderr_has vhe "reached 'vhe'"
check "arm64_sw.hvhe=0 alone: COMMAND not run" \
	bash -c "! grep -q COMMAND-RAN '$OUT/vhe.stdout'"

# ---- command output and exit status ----
vm status -- sh -c 'echo out; echo err >&2; printf "no newline"; exit 3'
check_eq "exit 3 comes back" 3 "$rc"
printf 'out\nerr\nno newline' > "$OUT/status.expected"
check "stdout and stderr come back byte exact" cmp "$OUT/status.expected" "$OUT/status.stdout"
vm false -- false
check "itsperf vm -- false: non-zero" test "$rc" != 0
vm quoting -- printf '[%s]' "a b" "it's" '$HOME' ''
check_eq "arguments arrive as given" "[a b][it's][\$HOME][]" "$(cat "$OUT/quoting.stdout")"

vm ownkernel --kernel "$(ls build/kernels/6.1/boot/vmlinuz-*)" --modules build/kernels/6.1 \
	-- itsperf vm info --key kernel
check_eq "--kernel PATH --modules DIR: boots with its modules" "0 6.1.0-56-arm64" \
	"$rc $(cat "$OUT/ownkernel.stdout")"

# ---- no COMMAND: an interactive shell on a terminal (script(1) gives a pty) ----
mkfifo "$OUT/tty.in"
script -qec "'$ITSPERF' vm --out '$OUT/interactive'" /dev/null < "$OUT/tty.in" \
	> "$OUT/interactive.log" 2>&1 &
pid=$!
exec 3> "$OUT/tty.in"
for i in $(seq 300); do
	grep -q 'itsperf-vm:/# ' "$OUT/interactive.log" && break
	sleep 0.2
done
echo 'echo MARK-$((6*7)) $ITSPERF_PKVM_MODE' >&3
sleep 1
echo exit >&3
wait $pid
rc=$?
exec 3>&-
runs=$((runs + 1))
check "interactive: the shell ran a command, exit powered off (exit $rc)" \
	bash -c "test $rc = 0 && grep -q 'MARK-42 protected-hvhe' '$OUT/interactive.log'"
check_nothing_left interactive

# ---- failures: exit non-zero, say why, leave nothing ----
t0=$SECONDS
vm timeout --timeout 5 -- sleep 600
check_eq "--timeout: exit status" 125 "$rc"
check "--timeout: says so, with the last console lines" \
	bash -c "grep -q 'timeout' '$OUT/timeout.stderr' && grep -q 'last console lines' '$OUT/timeout.stderr'"
check "--timeout: returns in time ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 30

vm panic -- sh -c 'echo c > /proc/sysrq-trigger'
check_eq "guest panic: exit status" 125 "$rc"
check "guest panic: says so, with the last console lines" \
	bash -c "grep -q 'panicked: Kernel panic - not syncing: sysrq' '$OUT/panic.stderr' &&
		 grep -q 'last console lines' '$OUT/panic.stderr'"

"$ITSPERF" vm --out "$OUT/sigint" -- sleep 600 > /dev/null 2> "$OUT/sigint.stderr" &
pid=$!
for i in $(seq 100); do
	grep -q 'Run /init' "$OUT/sigint/console.log" 2> /dev/null && break
	sleep 0.2
done
kill -INT $pid
wait $pid
rc=$?
check_eq "SIGINT: exit status 130" 130 "$rc"
check_nothing_left sigint

check "no QEMU or temporary directory left by any of $((runs + 1)) runs" test $leftovers = 0
