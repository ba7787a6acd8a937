#!/bin/sh
# tests/vm/kernel.sh — print the path of an uncompressed Debian kernel
# (vmlinux) for the pure cgroup v2 VM, fetching it on first use.
#
#   tests/vm/kernel.sh            the path, on stdout; exit 1 when no kernel
#                                 can be had (the reason on stderr)
#
# The kernel is the one Debian's linux-image-amd64 depends on today,
# downloaded with `apt-get download` (no install, no root needed) and cached
# in $VM_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/c-tools/vm) as
# <package>_<version>/vmlinux, with its config beside it and the modules the
# checks load (modules/*.ko: loop, for a block device of the test's own).
# qemu boots the ELF vmlinux directly
# (its PVH entry), which skips the BIOS and the decompression under
# emulation, so the bzImage's payload is unpacked here once.
#
# Without apt (or without the mirror) the newest kernel already in the cache
# is used.  $VM_KERNEL, when set, is taken as it is.
set -eu

die() {
	echo "kernel.sh: $*" >&2
	exit 1
}

if [ -n "${VM_KERNEL:-}" ]; then
	[ -r "$VM_KERNEL" ] || die "VM_KERNEL: $VM_KERNEL: not readable"
	echo "$VM_KERNEL"
	exit 0
fi

cache=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/c-tools/vm}
mkdir -p "$cache" || die "cannot make the cache $cache"

# The newest vmlinux in the cache, or nothing.
cached() {
	ls -1d "$cache"/linux-image-*/vmlinux 2>/dev/null | sort -V | tail -n 1
}

fallback() {
	k=$(cached)
	[ -n "$k" ] || die "$1, and no kernel in $cache"
	echo "kernel.sh: $1; using $k" >&2
	echo "$k"
	exit 0
}

command -v apt-cache >/dev/null 2>&1 || fallback "no apt-cache"
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || fallback "apt knows no linux-image-amd64 (apt-get update?)"
ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$ver" ] || fallback "apt knows no version of $pkg"
dir=$cache/${pkg}_$ver
# The modules the checks load, by their path below lib/modules/VERSION/kernel.
modules="drivers/block/loop.ko"
complete() {
	[ -s "$dir/vmlinux" ] || return 1
	for m in $modules; do
		[ -s "$dir/modules/$(basename "$m")" ] || return 1
	done
}
if complete; then
	echo "$dir/vmlinux"
	exit 0
fi

# One download at a time; a second caller finds it done.
exec 9>"$cache/.lock"
flock 9
if complete; then
	echo "$dir/vmlinux"
	exit 0
fi

work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "kernel.sh: fetching $pkg $ver" >&2
if ! (cd "$work" && apt-get download -q "$pkg=$ver" >download.log 2>&1); then
	sed 's/^/  /' "$work/download.log" >&2
	fallback "apt-get download $pkg=$ver failed"
fi
deb=$(ls "$work"/*.deb)
mkdir "$work/x"
wanted=./boot/*
for m in $modules; do
	wanted="$wanted ./lib/modules/*/kernel/$m"
done
# shellcheck disable=SC2086 # the patterns are words for tar
dpkg-deb --fsys-tarfile "$deb" | (cd "$work/x" && tar -x --wildcards $wanted) ||
	die "$deb: cannot unpack ./boot and the modules"
img=$(ls "$work"/x/boot/vmlinuz-*)

# The bzImage's payload (Linux boot protocol): the protected-mode code starts
# after setup_sects (0x1f1) + 1 sectors; payload_offset (0x248) and
# payload_length (0x24c) locate the compressed vmlinux in it.
u() { od -An -t "u$2" -j "$1" -N "$2" "$img" | tr -d ' '; }
[ "$(od -An -c -j 0x202 -N 4 "$img" | tr -d ' ')" = HdrS ] || die "$img: not a bzImage"
start=$((($(u 0x1f1 1) + 1) * 512 + $(u 0x248 4)))
len=$(u 0x24c 4)
payload() { tail -c +$((start + 1)) "$img" | head -c "$len"; }
case $(payload | od -An -tx1 -N 6 | tr -d ' ') in
fd377a585a00) unpack() { xz -dc --single-stream; } ;;
28b52ffd*) unpack() { zstd -dcq; } ;;
1f8b*) unpack() { gzip -dc; } ;;
*) die "$img: payload in a compression this script does not know" ;;
esac
payload | unpack >"$work/vmlinux" 2>/dev/null || [ -s "$work/vmlinux" ] ||
	die "$img: cannot unpack the payload"
[ "$(od -An -c -N 4 "$work/vmlinux" | tr -d ' ')" = 177ELF ] || die "$img: the payload is no ELF"

mkdir -p "$dir/modules"
cp "$work"/x/boot/config-* "$dir/" 2>/dev/null || true
for m in $modules; do
	cp "$work"/x/lib/modules/*/kernel/"$m" "$dir/modules/" || die "$deb: no $m"
done
mv "$work/vmlinux" "$dir/vmlinux"
echo "$dir/vmlinux"
