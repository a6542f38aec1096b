# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/integration/scale.sh: Debian 6.12, protected (hVHE),
# GICv3, --devices 32 --vectors 8 --iommu smmuv3, 2 CPUs.
. /mnt/share/scale_lib.sh
scale_begin
t_devices 32 8
t_rebind_extra 32 8 1
t_rebind_extra 32 8 2
t_rebind_all
t_run_sweep 1,4,16,32
t_run_sweep_vectors_cpus
t_affinity_jobs 1000
t_inv_refusals
t_inv 0000:00:07.0 200
t_inv_signals 0000:00:08.0
scale_end
