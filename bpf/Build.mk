# bpf/: BPF collectors. Atomic compare-and-swap (exact min/max in the
# per-CPU histograms, bpf/common.bpf.h) needs BPF ISA v3 (kernel >= 5.12).
$(X86)/bpf/%.bpf.o $(A64)/bpf/%.bpf.o: BPF_CFLAGS += -mcpu=v3
