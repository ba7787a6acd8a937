#!/bin/sh
# deps.sh — build the static dependencies of c-tools from Debian's source
# packages with musl-gcc, into a cache keyed by version, and write the make
# fragment that points the build at them.
#
#   scripts/deps.sh OUT.mk
#
#   scripts/deps.sh OUT.mk NAME...   only those (the tests build one)
#
# Each dependency has a recipe in scripts/deps/NAME.sh.  Its cache entry is
# $DEPS_CACHE/NAME/<debian version>-<recipe hash>/{include,lib}; an entry that
# exists is never rebuilt, so a second `make` does no dependency work.
# Entries are made in a temp dir and renamed into place under a lock, so an
# interrupted or concurrent build never leaves a half-made entry.
#
# The version built is the newest source apt knows that downloads: Debian's
# security archive lists sources its pool does not always serve (404), while
# the same package's release source does.  Each version skipped is said, with
# apt's reason; a version whose source downloads but does not build stops
# the build (a recipe to fix, not a version to skip).
set -eu

out=${1:?usage: deps.sh OUT.mk [NAME...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cache=${DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/c-tools/deps}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
deps=${*:-zlib zstd bearssl jansson libseccomp isa-l libarchive}
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

# The source versions apt knows of a package, newest first, with epochs
# ("1:1.2.13.dfsg-1"), as apt-get source PKG=VERSION takes them.
source_versions() {
	vs=$(apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
	while [ -n "$vs" ]; do
		best=
		for v in $vs; do
			[ -z "$best" ] || dpkg --compare-versions "$v" gt "$best" || continue
			best=$v
		done
		echo "$best"
		vs=$(printf '%s\n' $vs | grep -vxF "$best" || true)
	done
}

# Download the source of PKG at VERSION into DIR; on failure print apt's
# reason, its last error line.
fetch_source() {
	if (cd "$3" && apt-get source -q --download-only "$1=$2") >"$3/fetch.log" 2>&1; then
		return 0
	fi
	grep '^E: ' "$3/fetch.log" | grep -v 'Failed to fetch some archives' | tail -n 1 |
		sed 's/^E: //; s/ *\[IP: [^]]*\]//; s/  */ /g'
	return 1
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

# Build the unpacked source in $1/src into $1/stage, logging to $1/build.log.
build_source() {
	# In the background so that set -e holds inside the recipe; it would
	# not on the left of ||.
	(
		cd "$1"
		# apt checked the files against the signed index; dpkg-source
		# applies Debian's patches (CVE fixes among them).
		dpkg-source -x "${SRC_PKG}_$version.dsc" src
		mkdir -p stage/include stage/lib
		cd src
		PREFIX=$1/stage
		CC=musl-gcc
		CFLAGS="$OPT $common_cflags -isystem $kheaders"
		export CC CFLAGS
		build
	) >"$1/build.log" 2>&1 &
	wait $!
}

build_one() {
	name=$1 recipe=$here/deps/$1.sh
	OPT=-Os
	. "$recipe"
	# The key: what shapes the result (the recipe, the flags, the compiler),
	# not this script's housekeeping.
	hash=$( { cat "$recipe"; echo "$OPT $common_cflags"; gcc --version | head -n 1; } |
		sha256sum | cut -c1-12)
	versions=$(source_versions "$SRC_PKG")
	[ -n "$versions" ] || { apt_update_once; versions=$(source_versions "$SRC_PKG"); }
	[ -n "$versions" ] || die "apt has no source package $SRC_PKG"
	prefix= tried=
	for full in $versions; do
		# the .dsc and the cache are named without the epoch
		version=${full#*:}
		if [ -f "$cache/$name/$version-$hash/.done" ]; then
			prefix=$cache/$name/$version-$hash
			break
		fi
		work=$(mktemp -d "$cache/$name/build.XXXXXX")
		if ! why=$(fetch_source "$SRC_PKG" "$full" "$work"); then
			say "skipped $SRC_PKG $version: ${why:-apt-get source failed}"
			tried="$tried $version"
			rm -rf "$work"
			continue
		fi
		say "building $SRC_PKG $version"
		if ! build_source "$work"; then
			tail -n 30 "$work/build.log" >&2
			die "$SRC_PKG $version failed to build; log: $work/build.log"
		fi
		prefix=$cache/$name/$version-$hash
		touch "$work/stage/.done"
		rm -rf "$prefix"
		mv "$work/stage" "$prefix"
		rm -rf "$work"
		break
	done
	[ -n "$prefix" ] || die "no source of $SRC_PKG downloads (tried$tried)"
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
