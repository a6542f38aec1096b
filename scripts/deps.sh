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
set -euo pipefail

BUILD=${BUILD:-$(pwd)/build}
KVER_612=${KVER_612:-6.12.117+deb12}
KVER_61=${KVER_61:-6.1.0-56}

HOST_PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
libzstd-dev libtracefs-dev libtraceevent-dev libtracecmd-dev trace-cmd libjson-c-dev
libgsl-dev libcmocka-dev liburing-dev gnuplot-nox qemu-system-arm qemu-efi-aarch64
ipxe-qemu gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu busybox-static cpio xz-utils
kmod pahole linux-perf bc flex bison libssl-dev procps clang-format ccache patchutils"

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
	sed -i "s|/usr/src/linux-headers-$ver-common|$real/headers/usr/src/linux-headers-$ver-common|g" \
		"$dir/headers/usr/src/linux-headers-$ver-arm64/Makefile"
	# scripts/ and tools/ are symlinks into /usr/lib/linux-kbuild-*
	for l in "$dir"/headers/usr/src/linux-headers-$ver-*/{scripts,tools}; do
		[ -L "$l" ] || continue
		t=$(readlink "$l")
		case $t in /*) ln -sfn "$real/headers$t" "$l" ;; esac
	done
}

main() {
	install_host_pkgs
	enable_arm64
	make_sysroot
	fetch_kernel "$(pick_kernel "$KVER_612" 6.12)" 6.12 \
		"linux-kbuild-$(pick_kernel "$KVER_612" 6.12)"
	fetch_kernel "$(pick_kernel "$KVER_61" 6.1.0)" 6.1 linux-kbuild-6.1
	log "done"
}

main "$@"
