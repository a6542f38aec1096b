# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/bench.sh: Debian 6.1 (protected nVHE, ITS-MSI labels), GICv4.
. /mnt/share/bench_lib.sh
bench_begin
t_affinity_ops 200
t_rebind_eth1 10
t_msi /dev/vda 0000:00:03.0
t_vcpu gicv4-6.1 300 2 gicv4
t_vcpu gicv4-6.1-moved 300 2 gicv4 10
t_hvc protected-nvhe
bench_end
