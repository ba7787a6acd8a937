#!/bin/sh
# first-container.sh — the README's first container, run by `make` once the
# programs are built: an image made on the spot from the host's
# busybox-static (installed when missing), imported into the store as
# "busybox", and a container of it that shows it is one: its own host name,
# its command as pid 1, and no process but its own.  No registry, no network.
#
#   scripts/first-container.sh [BIN_DIR]     (default: bin/)
#
# c-run needs root today; as another user this says so and ends with 0, so
# that `make` still builds.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../bin}

say() { printf 'first container: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
	say "skipped: c-run runs containers as root (run make as root to see one)"
	exit 0
fi
busybox=/bin/busybox
if ! [ -x "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	say "installing busybox-static"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >/dev/null
fi

# A root filesystem: busybox, a link per applet, the usual directories.
rootfs=$(mktemp -d "${TMPDIR:-/tmp}/c-tools-first.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/dev" "$rootfs/etc" "$rootfs/proc" "$rootfs/root" \
	"$rootfs/sys" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"

digest=$("$bin/c-image" import --change 'CMD ["sh"]' \
	--message "the host's busybox-static" "$rootfs" busybox)
say "the image busybox ($digest), from the host's busybox-static"
say "c-run --rm busybox sh -c 'hostname; echo \$\$; ps'"
"$bin/c-run" --rm busybox sh -c '
	echo "  host name: $(hostname) (the host is $0)"
	echo "  its shell: pid $$"
	echo "  the processes it sees:"
	ps -o pid,comm >/tmp/ps && sed "s/^/    /" /tmp/ps' "$(hostname)"
