#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo, vm section: boot the emulated pKVM host with each Debian kernel
# in each pKVM mode and show what the kernel itself says it reached.
set -u
cd "$(dirname "$0")/.."
ITSPERF=${ITSPERF:-build/x86_64/itsperf}
OUT=${ITSPERF_DEMO_OUT:-demo-out}/vm
rc=0

echo "The emulated pKVM host (QEMU TCG, EL2, GICv3 ITS, virtio PCI):"
for spec in "6.12 protected 3" "6.12 protected-nvhe 4" "6.1 protected 3"; do
	set -- $spec
	f=$OUT/$1-$2.txt
	mkdir -p "$OUT"
	if ! "$ITSPERF" vm --kernel "$1" --mode "$2" --gic "$3" --out "$OUT/$1-$2" \
		-- itsperf vm info > "$f"; then
		echo "  $1 --mode $2: FAILED (see $OUT/$1-$2/console.log)"
		rc=1
		continue
	fi
	kv() { sed -n "s/^$1=//p" "$f" | head -1; }
	printf '  %-22s --mode %-15s -> %-15s ITS=%s GICv%s (KVM GICv4 %s), %2s ITS MSIs, kprobes=%s hist=%s\n' \
		"$(kv kernel)" "$2" "$(kv pkvm_mode)" "$(kv its)" "$(($(kv gicv4) ? 4 : 3))" \
		"$(kv kvm_gicv4)" "$(kv its_irqs)" "$(kv kprobe_events)" "$(kv hist_triggers)"
done
exit $rc
