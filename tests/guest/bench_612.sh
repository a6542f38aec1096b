# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/bench.sh: Debian 6.12, protected (hVHE), GICv3.
. /mnt/share/bench_lib.sh
bench_begin
t_bad_args
t_affinity_ops 200
t_affinity_sigterm
t_affinity_sigkill
t_rebind_refusals
t_rebind_eth1 10
t_rebind_sigkill
t_msi /dev/vda 0000:00:03.0
t_vcpu protected-gicv3 300 1
t_hvc protected-hvhe
bench_end
