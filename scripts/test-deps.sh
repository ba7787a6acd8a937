#!/bin/sh
# test-deps.sh — install what `make check` needs on a fresh Debian 12 machine
# (when run as root; otherwise name what is missing).  The asan flavour links
# Debian's -dev packages of the same source packages the static build uses;
# the suites drive Debian's docker-registry, skopeo and umoci as fixtures and
# oracles.  qemu boots the pure cgroup v2 VM of tests/cgroup-v2.bats (its
# kernel is fetched at test time by tests/vm/kernel.sh, xz unpacks it).
set -eu
packages="bats curl file binutils groff-base openssl python3 zstd tmux util-linux procps iproute2
	docker-registry skopeo umoci busybox-static podman conmon runc qemu-system-x86 xz-utils
	gcc make libarchive-dev libseccomp-dev libjansson-dev libbearssl-dev libisal-dev
	libzstd-dev zlib1g-dev"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "test-deps: missing packages:$missing (install them, or run as root)" >&2
	exit 1
fi
echo "test-deps: installing$missing" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2
