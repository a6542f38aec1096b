#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deps: install everything itsperf needs on a fresh Debian 12 machine.
# Idempotent: every step checks a stamp or the installed state first.
#
#  1. host packages (apt, --no-install-recommends)
#  2. arm64 multiarch + a sysroot of arm64 -dev packages under build/sysroot
#     (static archives for the fully static aarch64 itsperf)
#  3. the emulated host's arm64 kernels (Debian 6.12 and 6.1) under build/kernels
#     with their headers + kbuild for cross-building bench/kmod
#  4. Debian's Linux 7.2 (trixie-backports, pinned; private apt, see
#     scripts/apt-private.sh) under build/kernels/7.2, with kbuild host tools
#     rebuilt here from the same version's linux-source (trixie's need glibc 2.38)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(pwd)/build}
KVER_612=${KVER_612:-6.12.117+deb12}
KVER_61=${KVER_61:-6.1.0-56}
# 7.2: the ABI name in the package names (linux-binary-unsigned-<abi>-arm64)
KVER_72=${KVER_72:-7.2.12+deb13}
KSERIES_72=7.2
CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}

# chromium: headless, for tests/integration/report_page.sh (renders the report page)
HOST_PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
libzstd-dev libtracefs-dev libtraceevent-dev libtracecmd-dev trace-cmd libjson-c-dev
libgsl-dev libcmocka-dev liburing-dev gnuplot-nox qemu-system-arm qemu-efi-aarch64
ipxe-qemu gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu busybox-static cpio xz-utils
kmod pahole linux-perf bc flex bison libssl-dev procps clang-format ccache patchutils
chromium"

ARM64_DEBS="libc6 libc6-dev linux-libc-dev libbpf-dev libbpf1 libelf-dev libelf1 zlib1g-dev
libzstd-dev libtracefs-dev libtraceevent-dev libjson-c-dev libgsl-dev liburing-dev
busybox-static"

log() { printf 'deps: %s\n' "$*"; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return 0
	log "apt-get update"
	$SUDO apt-get update -qq
	apt_updated=1
}

install_host_pkgs() {
	local missing=()
	local p

	for p in $HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && { log "host packages: all installed"; return 0; }
	apt_update
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

enable_arm64() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "dpkg --add-architecture arm64"
		$SUDO dpkg --add-architecture arm64
		apt_updated=0
	fi
	# apt-cache knows no arm64 package until the lists have been fetched
	apt-cache show libc6:arm64 >/dev/null 2>&1 || apt_update
}

# Newest available package matching a pattern, for when a pinned kernel has
# left the archive (Debian drops superseded security builds).
pick_kernel() {
	local want=$1 series=$2

	if apt-cache show "linux-image-$want-arm64-unsigned:arm64" >/dev/null 2>&1; then
		echo "$want"
		return
	fi
	apt-cache search "^linux-image-$series.*-arm64-unsigned\$" |
		awk '{print $1}' | grep -v -e cloud -e rt | sed -e 's/^linux-image-//' \
		-e 's/-arm64-unsigned$//' | sort -V | tail -1
}

fetch_extract() {	# dir stamp pkgs...
	local dir=$1 stamp=$2

	shift 2
	[ -f "$stamp" ] && return 0
	mkdir -p "$dir" "$BUILD/debs"
	(cd "$BUILD/debs" && apt-get download "$@" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	local p f
	for p in "$@"; do
		f=$(ls "$BUILD"/debs/"${p%%:*}"_*"$(arch_of "$p")".deb 2>/dev/null | sort -V | tail -1)
		[ -n "$f" ] || { log "download of $p failed"; exit 1; }
		dpkg-deb -x "$f" "$dir"
	done
	touch "$stamp"
}

arch_of() {
	case $1 in
	*:arm64) echo arm64 ;;
	*:amd64) echo amd64 ;;
	*) echo "" ;;
	esac
}

make_sysroot() {
	local sr=$BUILD/sysroot pkgs=() p

	for p in $ARM64_DEBS; do pkgs+=("$p:arm64"); done
	fetch_extract "$sr" "$sr/.stamp" "${pkgs[@]}"
	log "arm64 sysroot: $sr"
}

fetch_kernel() {	# version series kbuild-package
	local ver=$1 series=$2 kbuild=$3
	local dir=$BUILD/kernels/$ver-arm64

	fetch_extract "$dir" "$dir/.stamp-image" "linux-image-$ver-arm64-unsigned:arm64"
	if [ ! -f "$dir/.stamp-headers" ]; then
		fetch_extract "$dir/headers" "$dir/.stamp-headers.dl" \
			"linux-headers-$ver-arm64:arm64" "linux-headers-$ver-common" "$kbuild:amd64"
		fixup_headers "$dir" "$ver"
		touch "$dir/.stamp-headers"
	fi
	ln -sfn "$ver-arm64" "$BUILD/kernels/$series"
	log "kernel $ver: $dir"
}

# Debian's headers expect to live in /usr/src: point their absolute paths
# into our tree (once: the stamp guards it).
fixup_headers() {	# dir version
	local dir=$1 ver=$2 l t
	local real

	real=$(cd "$dir" && pwd -P)
	# 'include /usr/src/...-common/Makefile'; 7.2 also 'KBUILD_OUTPUT=/usr/src/...-arm64'
	sed -i "s|\\([ =]\\)/usr/src/linux-headers-$ver-|\\1$real/headers/usr/src/linux-headers-$ver-|g" \
		"$dir/headers/usr/src/linux-headers-$ver-arm64/Makefile"
	# scripts/ and tools/ are symlinks into /usr/lib/linux-kbuild-*
	for l in "$dir"/headers/usr/src/linux-headers-$ver-*/{scripts,tools}; do
		[ -L "$l" ] || continue
		t=$(readlink "$l")
		case $t in /*) ln -sfn "$real/headers$t" "$l" ;; esac
	done
}

# ---- Debian's 7.2 (trixie-backports / sid) through the private apt ----

# shellcheck source=scripts/apt-private.sh
. "$HERE/apt-private.sh"

# prints the ABI used: the pin, else the newest 7.2.x of trixie-backports or sid
pick_kernel_72() {
	local want=$1

	if apt_private_cache show "linux-binary-unsigned-$want-arm64:arm64" >/dev/null 2>&1; then
		echo "$want"
		return
	fi
	apt_private_cache search "^linux-binary-unsigned-$KSERIES_72\\.[0-9]+\\+deb[0-9]+-arm64\$" |
		awk '{print $1}' | sed -e 's/^linux-binary-unsigned-//' -e 's/-arm64$//' | sort -V | tail -1
}

# the Debian version of a package (7.2.12-1~bpo13+1)
pkg_version() {
	apt_private_cache show "$1" 2>/dev/null | awk '/^Version:/ && !v { v = $2 } END { print v }'
}

# download (once, into build/debs) and extract: dir pkg...
private_fetch_extract() {
	local dir=$1 p f

	shift
	mkdir -p "$dir" "$BUILD/debs"
	for p in "$@"; do
		f=$(ls "$BUILD"/debs/"${p%%:*}"_*.deb 2>/dev/null | sort -V | tail -1 || true)
		if [ -z "$f" ]; then
			(cd "$BUILD/debs" && apt_private download "$p" 2>&1 | grep -v 'unsandboxed' || true)
			f=$(ls "$BUILD"/debs/"${p%%:*}"_*.deb 2>/dev/null | sort -V | tail -1 || true)
		fi
		[ -n "$f" ] || { log "download of $p failed"; exit 1; }
		dpkg-deb -x "$f" "$dir"
	done
}

# The same version's source, in kernel/build.sh's layout
# (build/kernel/src/linux-<debver>, see its fetch_source): make kernel reuses it.
source_72() {	# debian-version -> prints the source dir
	local ver=$1 src=$BUILD/kernel/src/linux-$1 deb

	if [ -f "$src/.debian-version" ] && [ "$(cat "$src/.debian-version")" = "$ver" ]; then
		echo "$src"
		return
	fi
	(cd "$BUILD/debs" && ls "linux-source-${KSERIES_72}_${ver}_all.deb" >/dev/null 2>&1 ||
		apt_private download "linux-source-$KSERIES_72=$ver" 2>&1 | grep -v 'unsandboxed' >&2 || true)
	deb=$(ls "$BUILD/debs/linux-source-${KSERIES_72}_${ver}_all.deb" 2>/dev/null | head -1 || true)
	[ -n "$deb" ] || { log "download of linux-source-$KSERIES_72 $ver failed"; exit 1; }
	log "extracting $(basename "$deb") (for the kbuild host tools)" >&2
	rm -rf "$src" "$BUILD/kernel/src/tmp"
	mkdir -p "$BUILD/kernel/src/tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$BUILD/kernel/src/tmp" --wildcards '*.tar.xz'
	tar -xf "$BUILD"/kernel/src/tmp/usr/src/linux-source-"$KSERIES_72".tar.xz -C "$BUILD/kernel/src/tmp"
	mv "$BUILD/kernel/src/tmp/linux-source-$KSERIES_72" "$src"
	rm -rf "$BUILD/kernel/src/tmp"
	echo "$ver" >"$src/.debian-version"
	[ -f "$BUILD/kernel/src/.stamp" ] || echo "$src" >"$BUILD/kernel/src/.stamp"
	echo "$src"
}

# trixie's amd64 kbuild binaries need glibc 2.38 (bookworm: 2.36). Build the
# host tools from the same source with Debian's config (modules_prepare in an
# O= tree; the source stays read-only) and put them in place of the packaged
# ones, so 'make -C <headers> M=DIR modules' runs here.
build_kbuild_tools() {	# dir release debian-version
	local dir=$1 rel=$2 ver=$3 src obj kb t

	src=$(source_72 "$ver")
	obj=$dir/kbuild-obj
	kb=$(cd "$dir/headers/usr/lib" && pwd -P)/$(ls "$dir/headers/usr/lib" | grep '^linux-kbuild-' | head -1)
	mkdir -p "$obj"
	cp "$dir/headers/usr/src/linux-headers-$rel/.config" "$obj/.config"
	log "kernel $rel: building kbuild host tools from $(basename "$src") (log: $obj/build.log)"
	if ! nice make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE="$CROSS" -j"$(nproc)" \
		olddefconfig modules_prepare >"$obj/build.log" 2>&1; then
		tail -20 "$obj/build.log" >&2
		log "kbuild host tools for $rel failed"
		exit 1
	fi
	for t in scripts/basic/fixdep scripts/mod/modpost scripts/kallsyms scripts/sorttable \
		scripts/kconfig/conf scripts/genksyms/genksyms scripts/sign-file certs/extract-cert \
		scripts/recordmcount scripts/unifdef tools/bpf/resolve_btfids/resolve_btfids; do
		[ -f "$obj/$t" ] || [ -f "$obj/$t.real" ] || continue
		[ -e "$kb/$t" ] || continue
		cp --remove-destination "$obj/$t" "$kb/$t"
	done
	adapt_headers_to_toolchain "$dir/headers/usr/src/linux-headers-$rel" "$obj"
	# Debian's modpost is a wrapper that execs modpost.real-<endian>-<bits>;
	# upstream's handles every ELF class itself
	for t in "$kb"/scripts/mod/modpost.real-*; do
		[ -e "$t" ] && cp --remove-destination "$obj/scripts/mod/modpost" "$t"
	done
	# every ELF left must run here
	for t in $(find "$kb" -type f -perm -u+x ! -name "objtool.real-*"); do
		file -b "$t" | grep -q '^ELF' || continue
		if objdump -T "$t" 2>/dev/null | grep -qE 'GLIBC_2\.(3[89]|[4-9][0-9])'; then
			log "note: $t still needs a newer glibc than this machine's"
		fi
	done
}

# Debian built 7.2 with trixie's gcc-14 and pahole 1.30; modules are built
# here with bookworm's gcc-12 and pahole 1.24. The compiler-capability
# symbols (CC_HAS_*, GCC_VERSION, PAHOLE_VERSION, ...) select compiler flags
# (e.g. -fmin-function-alignment, gcc >= 14) and pahole options: take their
# values from the kbuild-obj tree, which olddefconfig configured for this
# machine's tools, in the headers' auto.conf and autoconf.h. Everything else
# (and so vermagic and the structures a module sees) stays Debian's.
toolchain_symbols() {	# auto.conf: the symbols that describe the build tools
	grep -oE '^# CONFIG_[A-Z0-9_]+ is not set|^CONFIG_[A-Z0-9_]+=' "$1" |
		sed -e 's/^# //' -e 's/ is not set$//' -e 's/=$//' |
		grep -E '^CONFIG_(CC_|GCC_|AS_|LD_|PAHOLE_|TOOLS_SUPPORT_|RELR$)' | sort -u
}

adapt_headers_to_toolchain() {	# headers-dir obj-dir
	local h=$1 obj=$2 syms re

	syms=$( { toolchain_symbols "$h/include/config/auto.conf"
		toolchain_symbols "$obj/include/config/auto.conf"; } | sort -u)
	re=$(echo "$syms" | paste -sd'|')
	[ -n "$re" ] || return 0
	[ -f "$h/include/config/auto.conf.debian" ] ||
		cp "$h/include/config/auto.conf" "$h/include/config/auto.conf.debian"
	[ -f "$h/include/generated/autoconf.h.debian" ] ||
		cp "$h/include/generated/autoconf.h" "$h/include/generated/autoconf.h.debian"
	{
		grep -vE "^($re)=" "$h/include/config/auto.conf.debian"
		echo "# itsperf (make deps): this machine's build tools"
		grep -E "^($re)=" "$obj/include/config/auto.conf"
	} >"$h/include/config/auto.conf"
	{
		grep -vE "^#define ($re) " "$h/include/generated/autoconf.h.debian"
		grep -E "^#define ($re) " "$obj/include/generated/autoconf.h"
	} >"$h/include/generated/autoconf.h"
	# the compiler Debian names (gcc-14) is not here: the cross gcc that is
	sed -i "s/^CC = \(.*\)\$(CROSS_COMPILE)gcc-[0-9]*$/CC = \1\$(CROSS_COMPILE)gcc/" "$h/.kernelvariables"
}

fetch_kernel_72() {
	local abi rel dir ver m

	# the stamp names the pin it was made for: a new pin fetches again
	if [ "$(cat "$BUILD/kernels/$KSERIES_72/.stamp-done" 2>/dev/null)" = "$KVER_72" ]; then
		log "kernel $KSERIES_72: $(readlink "$BUILD/kernels/$KSERIES_72") (installed)"
		return 0
	fi
	apt_private_init
	abi=$(pick_kernel_72 "$KVER_72")
	[ -n "$abi" ] || { log "no Linux $KSERIES_72.x arm64 image in trixie-backports or sid"; exit 1; }
	if [ "$abi" = "$KVER_72" ]; then
		log "kernel $KSERIES_72: using the pinned $abi"
	else
		log "kernel $KSERIES_72: pinned $KVER_72 is gone: using $abi (newest $KSERIES_72.x)"
	fi
	rel=$abi-arm64
	dir=$BUILD/kernels/$rel
	ver=$(pkg_version "linux-binary-unsigned-$rel:arm64")
	log "kernel $KSERIES_72: $rel ($ver)"
	# image + modules: Debian ships them in usr/lib/modules/<rel>/; itsperf vm
	# reads boot/vmlinuz-<rel> and lib/modules/<rel>/
	if [ ! -f "$dir/.stamp-image" ]; then
		rm -rf "$dir/pkg"
		private_fetch_extract "$dir/pkg" "linux-binary-unsigned-$rel:arm64" "linux-modules-$rel:arm64"
		m=$dir/pkg/usr/lib/modules/$rel
		mkdir -p "$dir/boot" "$dir/lib/modules"
		mv "$m/vmlinuz.unsigned" "$dir/boot/vmlinuz-$rel"
		rm -rf "$dir/lib/modules/$rel"
		mv "$m" "$dir/lib/modules/$rel"
		rm -rf "$dir/pkg"
		touch "$dir/.stamp-image"
	fi
	if [ ! -f "$dir/.stamp-headers" ]; then
		rm -rf "$dir/headers"
		private_fetch_extract "$dir/headers" "linux-headers-$rel:arm64" "linux-headers-$abi-common" \
			"linux-kbuild-$abi:amd64"
		fixup_headers "$dir" "$abi"
		cp "$dir/headers/usr/src/linux-headers-$rel/.config" "$dir/boot/config-$rel"
		touch "$dir/.stamp-headers"
	fi
	if [ ! -f "$dir/.stamp-kbuild" ]; then
		build_kbuild_tools "$dir" "$rel" "$ver"
		touch "$dir/.stamp-kbuild"
	fi
	ln -sfn "$rel" "$BUILD/kernels/$KSERIES_72"
	echo "$KVER_72" >"$dir/.stamp-done"
	log "kernel $KSERIES_72: $dir"
}

main() {
	install_host_pkgs
	enable_arm64
	make_sysroot
	fetch_kernel "$(pick_kernel "$KVER_612" 6.12)" 6.12 \
		"linux-kbuild-$(pick_kernel "$KVER_612" 6.12)"
	fetch_kernel "$(pick_kernel "$KVER_61" 6.1.0)" 6.1 linux-kbuild-6.1
	fetch_kernel_72
	log "done"
}

main "$@"
