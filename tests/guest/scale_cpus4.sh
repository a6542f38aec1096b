# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/scale.sh: Debian 6.12, protected (hVHE),
# 4 vCPUs. Three or more CPUs sending at once make its->lock waiters queue
# (the MCS path), the only place lock:contention_begin/end fire: the count
# bpf:lock_hold reports is checked against its_pressure's count of
# contended acquisitions from the same run (with 2 CPUs it is always 0).
. /mnt/share/scale_lib.sh
scale_begin
t_contention 1000
scale_end
