#!/bin/sh
# tests/vm/initramfs.sh — make the cgroup v2 VM's initramfs.
#
#   tests/vm/initramfs.sh OUT BUNDLE
#
# OUT is a newc cpio archive (uncompressed: nothing to inflate under
# emulation) holding
#   /init                tests/vm/init
#   /bin/busybox         the host's busybox, which must be static
#                        (busybox-static); its applets are linked at boot
#   /bin/c-*             the programs, from $BIN_DIR (default bin/): c-tools
#                        and its links
#   /vm/checks.sh        tests/vm/checks.sh, the checks run in the VM
#   /vm/bundle           the OCI bundle BUNDLE (config.json and rootfs/, as
#                        `c-unpack --copy` makes it), with $TEST_INIT
#                        (default build/musl/tests/c-test-init) as
#                        /c-test-init in its rootfs
#   /lib/modules/*.ko    the kernel modules in $VM_MODULES (a directory;
#                        none when unset), which the init loads
# every file owned by root.  The archive is made with busybox's cpio, so no
# other cpio is needed.
set -eu

die() {
	echo "initramfs.sh: $*" >&2
	exit 1
}

[ $# = 2 ] || die "usage: initramfs.sh OUT BUNDLE"
out=$1 bundle=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${BIN_DIR:-$repo/bin}
test_init=${TEST_INIT:-$repo/build/musl/tests/c-test-init}
busybox=${VM_BUSYBOX:-$(command -v busybox || true)}

[ -n "$busybox" ] && [ -x "$busybox" ] || die "no busybox (install busybox-static)"
# a dynamic busybox would find no libc in the VM
if command -v readelf >/dev/null && readelf -l "$busybox" | grep -q 'program interpreter'; then
	die "$busybox is not static (install busybox-static)"
fi
[ -x "$bin/c-tools" ] || die "$bin/c-tools: not built (make)"
[ -x "$test_init" ] || die "$test_init: not built (make)"
[ -f "$bundle/config.json" ] && [ -d "$bundle/rootfs" ] || die "$bundle: not an OCI bundle"

stage=$(mktemp -d "${TMPDIR:-/tmp}/c-tools-vm.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/vm"
cp "$here/init" "$stage/init"
cp "$busybox" "$stage/bin/busybox"
# the binary and the programs' links to it
cp -P "$bin"/c-* "$stage/bin/"
cp "$here/checks.sh" "$stage/vm/checks.sh"
if [ -n "${VM_MODULES:-}" ]; then
	mkdir -p "$stage/lib/modules"
	cp "$VM_MODULES"/*.ko "$stage/lib/modules/" || die "no modules in $VM_MODULES"
fi
cp -a "$bundle" "$stage/vm/bundle"
cp "$test_init" "$stage/vm/bundle/rootfs/c-test-init"
chmod 755 "$stage/init" "$stage/bin"/* "$stage/vm/bundle/rootfs/c-test-init"

tmp=$out.tmp.$$
(cd "$stage" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0) >"$tmp" 2>"$stage/cpio.err" ||
	{ cat "$stage/cpio.err" >&2; rm -f "$tmp"; die "cpio failed"; }
mv "$tmp" "$out"
