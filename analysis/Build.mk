# analysis/: test and benchmark helpers (the analysis sources themselves are
# part of itsperf through the top Makefile's analysis/*.c).
#
#   build/x86_64/tests/gen_runs       synthetic result runs (analysis/tools/gen_runs.c)
#   build/x86_64/tests/fuzz_result    the result reader under libFuzzer + ASan/UBSan
#                                     (or a deterministic mutation loop under ASan when
#                                     clang's libFuzzer runtime is not installed)

ANALYSIS_LIB_OBJS := $(filter-out $(X86)/itsperf.o,$(X86_OBJS))

$(X86)/tests/gen_runs: analysis/tools/gen_runs.c $(ANALYSIS_LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -o $@ $< $(ANALYSIS_LIB_OBJS) $(LIBS)

# The reader's sources, compiled again with sanitizers (and coverage for libFuzzer)
FUZZ_SRCS	:= tests/fuzz/fuzz_result.c result/result_read.c result/result.c result/hist.c \
		   result/summary.c result/meta.c result/json.c result/metrics.c \
		   lib/util.c
FUZZ_CFLAGS	:= -O1 -g -std=gnu11 -D_GNU_SOURCE -I. -DITSPERF_VERSION='"fuzz"' $(WARN) \
		   -fno-omit-frame-pointer
FUZZ_LIBS	:= -ljson-c -lgsl -lgslcblas -lm

# libFuzzer is in clang's runtime package (libclang-rt-14-dev), not always
# installed: probe for it when building, fall back to the mutation loop
$(X86)/tests/fuzz_result: $(FUZZ_SRCS) result/result.h result/result_read.h result/hist.h \
		result/summary.h result/meta.h result/metrics.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)if echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
		$(CLANG) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then \
		$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			-o $@ $(FUZZ_SRCS) $(FUZZ_LIBS); \
	else \
		$(CC) $(FUZZ_CFLAGS) -DFUZZ_STANDALONE -fsanitize=address,undefined \
			-fno-sanitize-recover=all -o $@ $(FUZZ_SRCS) $(FUZZ_LIBS); \
	fi

TEST_DEPS	+= $(X86)/tests/gen_runs $(X86)/tests/fuzz_result
BENCH_DEPS	+= $(X86)/tests/gen_runs
