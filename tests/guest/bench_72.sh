# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/bench.sh: Debian 7.2, protected (hVHE), GICv4:
# 6.12's protected-hVHE set (SIGTERM/SIGKILL restore included) and the GICv4
# vcpu commands in one boot.
. /mnt/share/bench_lib.sh
bench_begin
t_affinity_ops 200
t_affinity_sigterm
t_affinity_sigkill
t_rebind_eth1 10
t_rebind_sigkill
t_msi /dev/vda 0000:00:03.0
t_vcpu gicv4-7.2 300 2 gicv4
t_vcpu gicv4-7.2-moved 300 2 gicv4 10
t_hvc protected-hvhe
bench_end
