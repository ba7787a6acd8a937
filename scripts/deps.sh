#!/bin/sh
# deps.sh — build the static dependencies of c-tools from Debian's source
# packages with musl-gcc, into a cache keyed by version, and write the make
# fragment that points the build at them.
#
#   scripts/deps.sh OUT.mk
#
# Each dependency has a recipe in scripts/deps/NAME.sh.  Its cache entry is
# $DEPS_CACHE/NAME/<debian version>-<recipe hash>/{include,lib}; an entry that
# exists is never rebuilt, so a second `make` does no dependency work.
# Entries are made in a temp dir and renamed into place under a lock, so an
# interrupted or concurrent build never leaves a half-made entry.
set -eu

out=${1:?usage: deps.sh OUT.mk}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cache=${DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/c-tools/deps}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
deps="zlib zstd bearssl jansson libseccomp isa-l libarchive"
# Sections per function and object, so programs keep only what they call.
common_cflags="-ffunction-sections -fdata-sections"

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: %s\n' "$*" >&2; exit 1; }

# The tools the recipes need, installed when we are root and they are missing.
need_packages() {
	missing=
	for p in musl-tools dpkg-dev gperf nasm make gcc cmake linux-libc-dev; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing build packages:$missing (install them, or run make as root)"
	say "installing$missing"
	apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -q >&2
	apt_updated=1
}

have_deb_src() {
	grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}

# Mirror every enabled Debian "deb" source as "deb-src" in a file of our own.
add_deb_src() {
	[ "$(id -u)" = 0 ] || die "apt has no deb-src entry; add one (see README) or run make as root"
	dst=/etc/apt/sources.list.d/c-tools-deb-src.sources
	tmp=$dst.tmp.$$
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas are separated by blank lines; keep the Debian ones.
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /(^|\n)Types:[^\n]*deb/ && /(^|\n)URIs:[^\n]*debian/ {
			sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f"
	done >"$tmp"
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^[[:space:]]*deb[[:space:]]\(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list |
			while read -r line; do
				printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n\n' \
					"$(echo "$line" | awk '{print $2}')" \
					"$(echo "$line" | awk '{print $3}')" \
					"$(echo "$line" | cut -d' ' -f4-)"
			done >>"$tmp"
	fi
	[ -s "$tmp" ] || { rm -f "$tmp"; die "no Debian source in /etc/apt to derive a deb-src entry from"; }
	mv "$tmp" "$dst"
	say "added $dst"
	apt_updated=
	apt_update_once
}

# The version apt would fetch, from the .dsc name it prints.
source_version() {
	apt-get source --print-uris "$1" 2>/dev/null |
		sed -n "s/.* $1_\(.*\)\.dsc .*/\1/p" | head -n 1
}

# Kernel headers without the rest of /usr/include, which musl-gcc must not see.
kheaders=$cache/kheaders
make_kheaders() {
	[ -d "$kheaders" ] && return 0
	tmp=$kheaders.tmp.$$
	mkdir -p "$tmp"
	ln -s /usr/include/linux "$tmp/linux"
	ln -s /usr/include/asm-generic "$tmp/asm-generic"
	ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$tmp/asm"
	mv "$tmp" "$kheaders" 2>/dev/null || rm -rf "$tmp"
}

build_one() {
	name=$1 recipe=$here/deps/$1.sh
	OPT=-Os
	. "$recipe"
	# The key: what shapes the result (the recipe, the flags, the compiler),
	# not this script's housekeeping.
	hash=$( { cat "$recipe"; echo "$OPT $common_cflags"; gcc --version | head -n 1; } |
		sha256sum | cut -c1-12)
	version=$(source_version "$SRC_PKG")
	[ -n "$version" ] || { apt_update_once; version=$(source_version "$SRC_PKG"); }
	[ -n "$version" ] || die "apt has no source package $SRC_PKG"
	prefix=$cache/$name/$version-$hash
	if [ ! -f "$prefix/.done" ]; then
		say "building $SRC_PKG $version"
		work=$(mktemp -d "$cache/$name/build.XXXXXX")
		log=$work/build.log
		# In the background so that set -e holds inside the recipe; it would
		# not on the left of ||.
		(
			cd "$work"
			apt-get source -q --download-only "$SRC_PKG"
			[ -f "${SRC_PKG}_$version.dsc" ] || die "apt fetched another $SRC_PKG than $version"
			# apt checked the files against the signed index; dpkg-source
			# applies Debian's patches (CVE fixes among them).
			dpkg-source -x "${SRC_PKG}_$version.dsc" src
			mkdir -p stage/include stage/lib
			cd src
			PREFIX=$work/stage
			CC=musl-gcc
			CFLAGS="$OPT $common_cflags -isystem $kheaders"
			export CC CFLAGS
			build
		) >"$log" 2>&1 &
		if ! wait $!; then
			tail -n 30 "$log" >&2
			die "$SRC_PKG $version failed to build; log: $log"
		fi
		touch "$work/stage/.done"
		rm -rf "$prefix"
		mv "$work/stage" "$prefix"
		rm -rf "$work"
	fi
	# Later recipes find earlier ones here (libarchive needs zlib and zstd).
	eval "PREFIX_$(echo "$name" | tr -c 'a-z0-9\n' _)=\$prefix"
	echo "DEPS_CFLAGS += -isystem $prefix/include" >>"$tmp_out"
	for lib in $LIBS; do
		echo "DEPS_LIBS += $prefix/lib/$lib" >>"$tmp_out"
	done
	echo "DEPS_VERSIONS += $name=$version" >>"$tmp_out"
}

mkdir -p "$cache"
need_packages
have_deb_src || add_deb_src
make_kheaders

# One build of the cache at a time; others wait and then find it done.
exec 9>"$cache/.lock"
flock 9

tmp_out=$out.tmp.$$
trap 'rm -f "$tmp_out"' EXIT
printf '# generated by scripts/deps.sh; do not edit\nKHEADERS := %s\n' "$kheaders" >"$tmp_out"
for d in $deps; do
	mkdir -p "$cache/$d"
	build_one "$d"
done
mv "$tmp_out" "$out"
