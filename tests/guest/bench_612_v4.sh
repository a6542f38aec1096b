# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/bench.sh: Debian 6.12, protected nVHE, GICv4.
. /mnt/share/bench_lib.sh
bench_begin
t_vcpu gicv4-1vcpu 300 1 gicv4
t_vcpu gicv4-2vcpus 400 2 gicv4
t_vcpu gicv4-moved 300 1 gicv4 10
t_vcpu gicv4-2vcpus-moved 400 2 gicv4 10
t_hvc protected-nvhe
bench_end
