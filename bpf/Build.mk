# bpf/: BPF collectors. Atomic compare-and-swap (exact min/max in the
# per-CPU histograms, bpf/common.bpf.h) needs BPF ISA v3 (kernel >= 5.12).
$(X86)/bpf/%.bpf.o $(A64)/bpf/%.bpf.o: BPF_CFLAGS += -mcpu=v3

# test and bench helpers (not part of itsperf): x86 only
BPF_TOOL_OBJS	:= $(filter-out $(X86)/itsperf.o,$(X86_OBJS))

$(X86)/bpf/tools/bpf_query: bpf/tools/bpf_query.c $(BPF_TOOL_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -o $@ $< $(BPF_TOOL_OBJS) $(LIBS)

$(X86)/bpf/tools/getpid_loop: bpf/tools/getpid_loop.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -o $@ $<

TEST_DEPS	+= $(X86)/bpf/tools/bpf_query $(X86)/bpf/tools/getpid_loop
BENCH_DEPS	+= $(X86)/bpf/tools/bpf_query $(X86)/bpf/tools/getpid_loop

# runs in the emulated host: static aarch64
$(A64)/bpf/tools/affinity_loop: bpf/tools/affinity_loop.c | $(SYSROOT)/.stamp
	$(call msg,CC.a64,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(A64_CC) $(BASE_CFLAGS) -static -o $@ $<

BENCH_DEPS	+= $(A64)/bpf/tools/affinity_loop
