#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Code style: every C file and header matches .clang-format (kernel style:
# tabs, 100 columns, aligned trailing comments), as `make format` leaves it.
# A failure names each file and line that differs; `make format` fixes it.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

OUT=${ITSPERF_TEST_OUT:-build/test-out}/style
rm -rf "$OUT"
mkdir -p "$OUT"

if ! command -v clang-format > /dev/null; then
	tap_skip "sources match .clang-format" "no clang-format (make deps installs it)"
else
	make -s format-check > "$OUT/format.log" 2>&1
	rc=$?
	n=$(grep -c 'clang-format-violations' "$OUT/format.log")
	if [ $rc = 0 ]; then
		tap_ok "every C source and header matches .clang-format"
	else
		tap_fail "$n line(s) differ from .clang-format (make format fixes them): $(grep -oE '^[^: ]+\.[ch]:[0-9]+' "$OUT/format.log" | sort -u | head -5 | tr '\n' ' ')"
	fi
	# the check is not blind: a file with one line off fails it
	bad=$OUT/bad.c
	printf 'int  x ;\n' > "$bad"
	check "clang-format --dry-run -Werror rejects a misformatted file" \
		bash -c "! clang-format --dry-run -Werror --style=file '$bad' 2> /dev/null"
fi
