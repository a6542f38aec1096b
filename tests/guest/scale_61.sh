# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/scale.sh: Debian 6.1, protected nVHE,
# GICv3, --devices 2 --vectors 8 --iommu smmuv3, 2 CPUs: the same formulas
# (INV workload, per-CPU counts, pressure probes) on the older kernel.
. /mnt/share/scale_lib.sh
scale_begin
t_devices 2 8
t_rebind_extra 2 8 2
t_run_sweep 1,2
t_affinity_jobs 400
t_inv 0000:00:07.0 100
scale_end
