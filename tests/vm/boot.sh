#!/bin/sh
# tests/vm/boot.sh — boot the cgroup v2 VM and copy its console to stdout.
#
#   tests/vm/boot.sh KERNEL INITRAMFS [KERNEL-ARG...]
#
# qemu under plain emulation (TCG; no KVM is assumed), 1 GiB and 2 CPUs, no
# disk, no network, the serial port as the console.  The kernel's crypto
# self-tests are skipped (cryptomgr.notests) to boot faster.  The VM powers
# itself off when its init is done (see tests/vm/init); qemu ends then, or
# is killed after $VM_TIMEOUT seconds (default 240), status 124.  The
# initramfs's own watchdog is set a little below that (vm.timeout=).
set -eu

[ $# -ge 2 ] || {
	echo "usage: boot.sh KERNEL INITRAMFS [KERNEL-ARG...]" >&2
	exit 2
}
kernel=$1 initrd=$2
shift 2
limit=${VM_TIMEOUT:-240}
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || {
	echo "boot.sh: no $qemu (install qemu-system-x86)" >&2
	exit 1
}

exec timeout -k 5 "$limit" "$qemu" -nographic -no-reboot -m 1G -smp 2 \
	-nodefaults -serial stdio -display none -monitor none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet init=/init cryptomgr.notests vm.timeout=$((limit - 20)) $*" \
	</dev/null
