# SPDX-License-Identifier: GPL-2.0
#
# A private apt for Debian packages the build machine's own release does not
# carry (trixie-backports and sid: Linux 7.2 source, image, modules, headers).
# The system's apt configuration, lists and cache are never touched: the
# sources list, lists and cache live in build/apt-private.
#
# Sourced by scripts/deps.sh and kernel/build.sh:
#   APTDIR       state directory (default $BUILD/apt-private)
#   apt_private ARGS...   apt-get with the private state (amd64 + arm64);
#                         show/madison/policy/search go to apt-cache
#   apt_private_cache ARGS...   apt-cache with the same state
#   apt_private_init      write the sources list and update once (stamped)
# The caller defines log().

APTDIR=${APTDIR:-$BUILD/apt-private}

apt_private_opts() {
	printf '%s\n' -o Dir::Etc::sourcelist="$APTDIR/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
		-o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
		-o APT::Architectures::=arm64
}

apt_private() {
	local opts

	case $1 in
	show)
		# apt-cache show PKG=VERSION succeeds, silently, for a version not there
		opts=$(apt_private_cache "$@") || return
		[ -n "$opts" ] || return 100
		printf '%s\n' "$opts"
		return ;;
	madison|policy|search|showpkg|depends) apt_private_cache "$@"; return ;;
	esac
	mapfile -t opts < <(apt_private_opts)
	apt-get "${opts[@]}" "$@"
}

apt_private_cache() {
	local opts

	mapfile -t opts < <(apt_private_opts)
	apt-cache "${opts[@]}" "$@"
}

# lists fetched by an earlier run (also one from before the stamp existed)
apt_private_have_lists() {
	ls "$APTDIR"/lists/*trixie-backports_main_binary-arm64_Packages* >/dev/null 2>&1 &&
		ls "$APTDIR"/lists/*sid_main_binary-arm64_Packages* >/dev/null 2>&1
}

apt_private_init() {
	local mirror

	if [ -f "$APTDIR/.updated" ] || { [ -f "$APTDIR/sources.list" ] && apt_private_have_lists; }; then
		return 0
	fi
	# the system's own Debian mirror: a URIs: (deb822) or deb line, never a
	# comment (Debian's images carry a commented snapshot.debian.org URL)
	mirror=$(grep -hE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list 2>/dev/null | grep -oE 'https?://[^ ]*debian/?' |
		grep -v -e security -e snapshot | head -1 || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	cat >"$APTDIR/sources.list" <<-EOF
	deb [arch=arm64,amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie-backports main
	deb [arch=arm64,amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main
	EOF
	log "private apt (trixie-backports, sid) from $mirror"
	apt_private update -qq
	touch "$APTDIR/.updated"
}
