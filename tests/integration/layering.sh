#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dependency rule of the sources (README.md, "Layout"), from their
# #include "..." lines:
#
#   commands (and itsperf.c)
#     -> analysis, bench, bpf, trace, host, vm   (side by side: none includes another)
#       -> result
#         -> lib
#
# A folder includes its own files and the layers below it, never one above
# or beside it. No include cycle between units (a unit is x.c with x.h,
# x_priv.h and x.bpf.c). Every `itsperf <command>` entry point (cmd_*) is in
# commands/. Each check also runs once on a small tree that breaks it, so
# that a check that cannot fail is noticed.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

OUT=${ITSPERF_TEST_OUT:-build/test-out}/layering
rm -rf "$OUT"
mkdir -p "$OUT"

TOP_DIRS="commands analysis bench bpf trace host vm result lib"

layer() {	# folder -> rank, higher includes lower
	case $1 in
	commands) echo 4 ;;
	analysis | bench | bpf | trace | host | vm) echo 3 ;;
	result) echo 2 ;;
	lib) echo 1 ;;
	*) echo 0 ;;
	esac
}

# unit of a path: folder/name without .c/.h, _priv and .bpf
unit_of() {
	local u=${1%.[ch]}

	u=${u%.bpf}
	echo "${u%_priv}"
}

# "file included" pairs for the sources under root (generated *.skel.h left out)
edges() {	# root
	local root=$1 f inc dir

	(cd "$root" && find itsperf.c $TOP_DIRS -name '*.[ch]' 2> /dev/null) | sort |
	while read -r f; do
		dir=$(dirname "$f")
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
			"$root/$f" | while read -r inc; do
			case $inc in *.skel.h) continue ;; esac
			if [ -f "$root/$inc" ]; then
				echo "$f $inc"
			elif [ -f "$root/$dir/$inc" ]; then
				echo "$f $dir/$inc"
			fi
		done
	done
}

# includes that go up or sideways: "file -> included (why)"
layer_violations() {	# edges file
	local f inc a b
	while read -r f inc; do
		a=${f%%/*}
		b=${inc%%/*}
		[ "$a" = "$f" ] && a=commands	# itsperf.c: the dispatch table
		[ "$a" = "$b" ] && continue
		if [ "$(layer "$a")" -le "$(layer "$b")" ]; then
			echo "$f -> $inc ($a may not include $b)"
		fi
	done < "$1"
}

# cycles between units: tsort names the units of a loop
unit_cycles() {	# edges file
	local f inc u v
	while read -r f inc; do
		u=$(unit_of "$f")
		v=$(unit_of "$inc")
		[ "$u" = "$v" ] || echo "$u $v"
	done < "$1" | tsort 2>&1 > /dev/null | sed -n 's/^tsort: //p'
}

# cmd_<name>(int argc, char **argv) defined outside commands/
stray_commands() {	# root
	(cd "$1" && grep -lE '^int cmd_[a-z0-9_]+\(int argc, char \*\*argv\)$' \
		$(find itsperf.c $TOP_DIRS -name '*.c' 2> /dev/null) 2> /dev/null) |
		grep -v '^commands/'
}

check_tree() {	# root name
	local root=$1 name=$2 e=$OUT/$2.edges

	edges "$root" > "$e"
	layer_violations "$e" > "$OUT/$name.layers"
	unit_cycles "$e" > "$OUT/$name.cycles"
	stray_commands "$root" > "$OUT/$name.commands"
}

check_tree . tree
n=$(wc -l < "$OUT/tree.edges")
check "the include graph was read ($n includes)" [ "$n" -gt 100 ]
if [ -s "$OUT/tree.layers" ]; then
	tap_fail "includes against the layers: $(head -5 "$OUT/tree.layers" | tr '\n' ';')"
else
	tap_ok "every include goes to the own folder or a layer below (commands -> analysis, bench, bpf, trace, host, vm -> result -> lib)"
fi
bad=$(grep -E '^(bpf|trace|bench|lib)/.* -> analysis/' "$OUT/tree.layers" | head -3 | tr '\n' ';')
check_eq "nothing in bpf/, trace/, bench/ or lib/ includes analysis/" "" "$bad"
if [ -s "$OUT/tree.cycles" ]; then
	tap_fail "include cycle between units: $(tr '\n' ' ' < "$OUT/tree.cycles")"
else
	tap_ok "no include cycle between units (x.c, x.h, x_priv.h, x.bpf.c are one unit)"
fi
check_eq "cmd_* entry points outside commands/" "" "$(tr '\n' ' ' < "$OUT/tree.commands")"
check "every command in itsperf.c's table is defined in commands/" bash -c '
	for c in $(grep -oE "cmd_[a-z_]+ *[,}]" itsperf.c | grep -oE "cmd_[a-z_]+"); do
		grep -qE "^int $c\(int argc, char \*\*argv\)$" commands/*.c || { echo $c; exit 1; }
	done'

# the same checks on a tree that breaks each rule once
bad=$OUT/bad
mkdir -p "$bad/lib" "$bad/result" "$bad/bpf" "$bad/analysis" "$bad/trace"
printf '#include "result/b.h"\n' > "$bad/result/a.c"
printf '#include "result/a.h"\n' > "$bad/result/b.c"
touch "$bad/result/a.h" "$bad/result/b.h" "$bad/analysis/x.h" "$bad/trace/t.h"
printf '#include "analysis/x.h"\n#include "trace/t.h"\n' > "$bad/bpf/y.c"
printf '#include "result/a.h"\n' > "$bad/lib/z.c"
printf 'int cmd_foo(int argc, char **argv)\n{\n}\n' > "$bad/trace/t.c"
check_tree "$bad" bad
check "the check sees a cycle (result/a <-> result/b)" grep -q 'result/' "$OUT/bad.cycles"
check "the check sees bpf -> analysis, bpf -> trace and lib -> result" bash -c "
	grep -q 'bpf/y.c -> analysis/x.h' $OUT/bad.layers &&
	grep -q 'bpf/y.c -> trace/t.h' $OUT/bad.layers &&
	grep -q 'lib/z.c -> result/a.h' $OUT/bad.layers"
check "the check sees a cmd_* outside commands/" grep -q 'trace/t.c' "$OUT/bad.commands"
