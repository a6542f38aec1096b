#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kernel: build the emulated pKVM host's own Linux 7.2 from Debian's
# linux-source-7.2, in the variants the project measures:
#
#   itsref-base  7.2 + hypervisor tracing (config/itsref.config), no patches
#   itsref-v1    + patches/common + patches/v1 (the series as posted)
#   itsref-v2    + patches/common + patches/v2 (the design the review asked for)
#
# Output per variant, in the layout 'itsperf vm --kernel NAME' reads:
#   build/kernels/NAME/boot/{vmlinuz,config,System.map}-RELEASE
#   build/kernels/NAME/lib/modules/RELEASE/{build -> obj tree, modules.*}
#
# Idempotent: a variant is rebuilt only when its inputs (source version,
# config fragment, patch files, this script) changed; the inputs' hash is
# kept in build/kernel/NAME/.inputs. A patched variant starts from a copy of
# itsref-base's object tree, so only what its patches touch is recompiled.
# ccache is used when installed (make deps installs it).
#
#   kernel/build.sh [--list] [VARIANT...]    (default: all three)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC_PIN=${KSRC_PIN:-7.2.12-1~bpo13+1}
KSRC_SERIES=7.2
JOBS=${JOBS:-$(nproc)}
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
VARIANTS_ALL="itsref-base itsref-v1 itsref-v2"

WORK=$BUILD/kernel
APTDIR=$BUILD/apt-private

log() { printf 'kernel: %s\n' "$*"; }
die() { printf 'kernel: error: %s\n' "$*" >&2; exit 1; }

# The patch stacks of a variant, in order (directories under kernel/patches)
variant_stacks() {
	case $1 in
	itsref-base) ;;
	itsref-v1) echo "common v1" ;;
	itsref-v2) echo "common v2" ;;
	*) die "unknown variant '$1' (known: $VARIANTS_ALL)" ;;
	esac
}

# ---- source: Debian's linux-source-7.2, pinned, through a private apt ----

# apt_private, apt_private_init: the private apt state in $APTDIR, shared with
# make deps (scripts/deps.sh fetches Debian's 7.2 image through it)
# shellcheck source=../scripts/apt-private.sh
. "$TOP/scripts/apt-private.sh"

# prints the version used: the pin, else the newest 7.2.x either suite has
source_version() {
	if apt_private show "linux-source-$KSRC_SERIES=$KSRC_PIN" >/dev/null 2>&1; then
		echo "$KSRC_PIN"
		return
	fi
	apt_private madison "linux-source-$KSRC_SERIES" | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
		sort -V | tail -1
}

fetch_source() {
	local ver deb dest

	if [ -f "$WORK/src/.stamp" ]; then
		SRC=$(cat "$WORK/src/.stamp")
		return 0
	fi
	apt_private_init
	ver=$(source_version)
	[ -n "$ver" ] || die "no linux-source-$KSRC_SERIES in trixie-backports or sid"
	[ "$ver" = "$KSRC_PIN" ] || log "pinned $KSRC_PIN is gone: using $ver (newest $KSRC_SERIES.x)"
	mkdir -p "$BUILD/debs" "$WORK/src"
	(cd "$BUILD/debs" && apt_private download "linux-source-$KSRC_SERIES=$ver" 2>&1 |
		grep -v 'unsandboxed' || true)
	deb=$(ls "$BUILD"/debs/linux-source-"$KSRC_SERIES"_"${ver//\~/?}"_all.deb 2>/dev/null | head -1 || true)
	[ -n "$deb" ] || die "download of linux-source-$KSRC_SERIES $ver failed"
	log "extracting $(basename "$deb")"
	dest=$WORK/src/linux-$ver
	rm -rf "$dest" "$WORK/src/tmp"
	mkdir -p "$WORK/src/tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/src/tmp" --wildcards '*.tar.xz'
	tar -xf "$WORK"/src/tmp/usr/src/linux-source-"$KSRC_SERIES".tar.xz -C "$WORK/src/tmp"
	mv "$WORK/src/tmp/linux-source-$KSRC_SERIES" "$dest"
	rm -rf "$WORK/src/tmp"
	echo "$dest" >"$WORK/src/.stamp"
	echo "$ver" >"$dest/.debian-version"
	SRC=$dest
}

# ---- one variant ----

variant_patches() {
	local s

	for s in $(variant_stacks "$1"); do
		ls "$HERE"/patches/"$s"/*.patch 2>/dev/null || true
	done
}

inputs_hash() {
	local v=$1

	{
		cat "$SRC/.debian-version" "$HERE/config/itsref.config" "$HERE/config/itsref.disable" \
			"$HERE/build.sh"
		variant_patches "$v" | while read -r p; do
			echo "$p"
			cat "$p"
		done
	} | sha256sum | cut -d' ' -f1
}

kmake() {
	local cc="${CROSS}gcc"

	# the variants' trees differ only by path: let ccache share across them
	command -v ccache >/dev/null && cc="ccache $cc" &&
		export CCACHE_BASEDIR=$WORK CCACHE_NOHASHDIR=true
	make -C "$1" O="$2" ARCH=arm64 CROSS_COMPILE="$CROSS" CC="$cc" -j"$JOBS" "${@:3}"
}

# src tree: hard links to the pristine source (patch(1) replaces the files it
# changes, so the pristine copy is never written), then the patch stacks. The
# object tree lives in src/obj: kbuild then names the source '..', every path
# in the objects and .cmd files is relative, and a copy of base's object tree
# works in a patched variant's source tree.
prepare_src() {
	local v=$1 dir=$2 p

	[ -d "$dir/obj" ] && mv "$dir/obj" "$dir.obj"
	rm -rf "$dir"
	cp -al "$SRC" "$dir"
	[ -d "$dir.obj" ] && mv "$dir.obj" "$dir/obj"
	: >"$dir.patched.new"
	for p in $(variant_patches "$v"); do
		log "$v: applying $(basename "$(dirname "$p")")/$(basename "$p")"
		patch -p1 -s -N -d "$dir" <"$p" || die "$v: $p does not apply to $(cat "$SRC/.debian-version")"
		lsdiff --strip=1 "$p" >>"$dir.patched.new"
	done
	# a file patched by the previous build and pristine now has an old mtime:
	# touch it, or make would keep the object of the patched file
	[ -f "$dir.patched" ] && (cd "$dir" && xargs -r touch -c <"$dir.patched.new" &&
		xargs -r touch -c <"$dir.patched")
	mv "$dir.patched.new" "$dir.patched"
}

configure() {
	local v=$1 src=$2 obj=$3 opt

	kmake "$src" "$obj" -s allnoconfig
	grep -E '^CONFIG_' "$HERE/config/itsref.config" | while IFS== read -r opt val; do
		case $val in
		y) "$src/scripts/config" --file "$obj/.config" -e "${opt#CONFIG_}" ;;
		m) "$src/scripts/config" --file "$obj/.config" -m "${opt#CONFIG_}" ;;
		*) "$src/scripts/config" --file "$obj/.config" --set-val "${opt#CONFIG_}" "$val" ;;
		esac
	done
	grep -E '^CONFIG_' "$HERE/config/itsref.disable" | while read -r opt; do
		"$src/scripts/config" --file "$obj/.config" -d "${opt#CONFIG_}"
	done
	"$src/scripts/config" --file "$obj/.config" --set-str LOCALVERSION "-$v"
	"$src/scripts/config" --file "$obj/.config" -d LOCALVERSION_AUTO
	kmake "$src" "$obj" -s olddefconfig
	# every option asked for must have survived olddefconfig's dependency checks
	grep -E '^CONFIG_' "$HERE/config/itsref.config" | while read -r opt; do
		grep -qx "$opt" "$obj/.config" || die "$v: $opt did not survive olddefconfig"
	done
}

install_variant() {
	local v=$1 obj=$2 rel dest

	rel=$(cat "$obj/include/config/kernel.release")
	dest=$BUILD/kernels/$v
	rm -rf "$dest.new"
	mkdir -p "$dest.new/boot" "$dest.new/lib/modules/$rel"
	cp "$obj/arch/arm64/boot/Image" "$dest.new/boot/vmlinuz-$rel"
	cp "$obj/.config" "$dest.new/boot/config-$rel"
	cp "$obj/System.map" "$dest.new/boot/System.map-$rel"
	if grep -q '^CONFIG_MODULES=y' "$obj/.config"; then
		kmake "$obj" "$obj" -s INSTALL_MOD_PATH="$dest.new" modules_install >/dev/null
	fi
	# out-of-tree modules (bench/kmod) build against the object tree
	ln -sfn "$obj" "$dest.new/lib/modules/$rel/build"
	rm -rf "$dest"
	mv "$dest.new" "$dest"
	log "$v: $dest/boot/vmlinuz-$rel"
}

build_variant() {
	local v=$1 vdir=$WORK/$1 hash t0

	hash=$(inputs_hash "$v")
	if [ -f "$vdir/.inputs" ] && [ "$(cat "$vdir/.inputs")" = "$hash" ] &&
		[ -d "$BUILD/kernels/$v/boot" ]; then
		log "$v: up to date"
		return 0
	fi
	t0=$(date +%s)
	rm -f "$vdir/.inputs"
	mkdir -p "$vdir"
	prepare_src "$v" "$vdir/src"
	# a patched variant starts from base's objects: unchanged files keep their
	# mtimes (hard links), so make recompiles only what the patches touch
	if [ "$v" != itsref-base ] && [ -f "$WORK/itsref-base/.inputs" ] &&
		[ ! -f "$vdir/src/obj/.config" ]; then
		log "$v: seeding objects from itsref-base"
		cp -a "$WORK/itsref-base/src/obj" "$vdir/src/obj"
	fi
	mkdir -p "$vdir/src/obj"
	configure "$v" "$vdir/src" "$vdir/src/obj"
	log "$v: building Image and modules (-j$JOBS; log in $vdir/build.log)"
	if ! kmake "$vdir/src" "$vdir/src/obj" Image modules >"$vdir/build.log" 2>&1; then
		tail -30 "$vdir/build.log" >&2
		die "$v: build failed (whole log: $vdir/build.log)"
	fi
	install_variant "$v" "$vdir/src/obj"
	echo "$hash" >"$vdir/.inputs"
	log "$v: built in $(($(date +%s) - t0)) s"
}

main() {
	local v variants=()

	for v in "$@"; do
		case $v in
		--list) echo "$VARIANTS_ALL"; exit 0 ;;
		*) variants+=("$v") ;;
		esac
	done
	[ ${#variants[@]} -gt 0 ] || read -ra variants <<<"$VARIANTS_ALL"
	fetch_source
	# patched variants are seeded from base: build it first
	for v in itsref-base "${variants[@]}"; do
		case " ${done_v:-} " in *" $v "*) continue ;; esac
		case " ${variants[*]} " in *" $v "*|*" itsref-v"*) ;; *) continue ;; esac
		build_variant "$v"
		done_v="${done_v:-} $v"
	done
}

main "$@"
