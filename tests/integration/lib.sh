# SPDX-License-Identifier: GPL-2.0
# TAP helpers for integration tests (sourced). Each test prints
# "ok N - what" or "not ok N - what"; tests/run.sh counts them.
TAP_N=0

tap_ok() {	# what
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

tap_fail() {	# what
	TAP_N=$((TAP_N + 1))
	echo "not ok $TAP_N - $*"
}

tap_skip() {	# what why
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# check "what" command...: ok when the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then tap_ok "$what"; else tap_fail "$what"; fi
}

# check_eq "what" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then tap_ok "$1 ($3)"; else tap_fail "$1: expected '$2', got '$3'"; fi
}
