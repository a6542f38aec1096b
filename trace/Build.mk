# SPDX-License-Identifier: GPL-2.0
# trace/: ftrace collectors (libtracefs + libtraceevent).
#
# libtracefs' header includes <event-parse.h> without a directory: both
# include directories are needed wherever tracefs.h is included.
TRACE_X86_INC	:= -I/usr/include/tracefs -I/usr/include/traceevent
TRACE_A64_INC	:= -I=/usr/include/tracefs -I=/usr/include/traceevent

$(X86)/trace/%.o: BASE_CFLAGS += $(TRACE_X86_INC)
$(A64)/trace/%.o: BASE_CFLAGS += $(TRACE_A64_INC)
$(X86)/tests/test_trace%: BASE_CFLAGS += $(TRACE_X86_INC)
