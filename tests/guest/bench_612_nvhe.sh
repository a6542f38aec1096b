# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/bench.sh: Debian 6.12, non-protected nVHE (the baseline).
. /mnt/share/bench_lib.sh
bench_begin
t_vcpu nvhe 300 2
t_hvc nvhe
bench_end
