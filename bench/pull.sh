#!/bin/bash
# Cold pulls from a local TLS registry, side by side: c-pull against
# `skopeo copy docker://… oci:…` (the anchor), for
#   single  one gzip layer: a debootstrap --variant=minbase bookworm rootfs
#   five    the same rootfs split into five gzip layers
# Each run starts from an empty store on tmpfs; the tools take turns; the
# median of $PULL_BENCH_RUNS (default 5) runs is reported with CPU time
# (user+sys) and peak RSS from /usr/bin/time.
#
# The rootfs and the two OCI layouts are made once and cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/c-tools/bench (debootstrap needs root and
# Debian's mirror).  Run by bench/run with BUILD_DIR; needs bin/c-pull.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${PULL_BENCH_RUNS:-5}
c_pull=$PWD/bin/c-pull

# shellcheck source=lib/common.bash
source bench/lib/common.bash
bench_built "$c_pull"
bench_root "debootstrap, tmpfs"

# shellcheck source=lib/images.bash
source bench/lib/images.bash
bench_need skopeo time docker-registry
bench_images

# shellcheck source=../tests/helpers/registry.bash
source tests/helpers/registry.bash
bench_on_exit registry_stop
registry_start >/dev/null
bench_tmpfs 2g

registry_push "$cache/single:latest" bench/single:latest >/dev/null
registry_push "$cache/five:latest" bench/five:latest >/dev/null

# One timed cold pull: prints "seconds cpu-seconds max-rss-kB".
timed() { # TOOL IMAGE
	local dest=$work/dest out=$work/time
	rm -rf "$dest"
	mkdir -p "$dest"
	case $1 in
	c-pull)
		C_ROOT=$dest /usr/bin/time -o "$out" -f '%e %U %S %M' \
			"$c_pull" -q --cert-dir "$REGISTRY_CERTS_DIR" "$REGISTRY/bench/$2:latest" >/dev/null
		;;
	skopeo)
		/usr/bin/time -o "$out" -f '%e %U %S %M' skopeo copy -q \
			--src-cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY/bench/$2:latest" \
			"oci:$dest:bench" >/dev/null
		;;
	esac
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$out"
}

for image in single five; do
	size=$(du -sb --apparent-size "$cache/$image/blobs" | cut -f1)
	declare -A wall=() cpu=() rss=() med=()
	for ((i = 0; i < RUNS; i++)); do
		for tool in c-pull skopeo; do
			read -r w c r < <(timed "$tool" "$image")
			wall[$tool]+="$w "
			cpu[$tool]+="$c "
			rss[$tool]+="$r "
		done
	done
	printf '%s image (%d MB of blobs), median of %d cold pulls on tmpfs:\n' "$image" \
		$((size / 1000000)) "$RUNS"
	printf '  %-8s %9s %9s %10s %8s\n' tool wall cpu peak-rss MB/s
	for tool in c-pull skopeo; do
		w=$(tr ' ' '\n' <<<"${wall[$tool]}" | grep . | median)
		c=$(tr ' ' '\n' <<<"${cpu[$tool]}" | grep . | median)
		r=$(tr ' ' '\n' <<<"${rss[$tool]}" | grep . | median)
		awk -v t="$tool" -v w="$w" -v c="$c" -v r="$r" -v s="$size" 'BEGIN {
			printf "  %-8s %8.3fs %8.2fs %7.1f MB %8.0f\n", t, w, c, r / 1024, s / 1e6 / w }'
		med[$tool]=$w
	done
	awk -v a="${med[skopeo]}" -v b="${med[c-pull]}" \
		'BEGIN { printf "  c-pull is %.2fx faster than skopeo\n", a / b }'
	unset wall cpu rss med
done
