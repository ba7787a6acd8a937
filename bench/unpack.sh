#!/bin/bash
# Unpacking an image into a rootfs, side by side, on tmpfs with the same
# blobs: c-unpack (a whole bundle: rootfs with whiteouts and diff_id checks,
# and config.json) against `umoci unpack`, and against extracting the layers
# in order with `bsdtar -xf` and `tar -xzf` (no whiteouts, no checks), for
# the images of bench/lib/images.bash (a debootstrap minbase rootfs as one
# layer and as five).  c-unpack runs three ways: --copy (a private rootfs),
# --overlay with no layer unpacked yet (layers in parallel), and --overlay
# again for a second bundle of the same image (its layers shared: nothing
# to unpack).  Median of $UNPACK_BENCH_RUNS (default 5) runs, the tools
# taking turns, each into a fresh directory.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${UNPACK_BENCH_RUNS:-5}
c_unpack=$PWD/bin/c-unpack

# shellcheck source=lib/common.bash
source bench/lib/common.bash
bench_built "$c_unpack"
bench_root "debootstrap, tmpfs, owners"

# shellcheck source=lib/images.bash
source bench/lib/images.bash
bench_need umoci libarchive-tools tar time
bench_images

bench_tmpfs 3g

# The layer blobs of a layout's "latest" image, in order.
layers() {
	python3 - "$1" <<-'PY'
	import json, sys
	root = sys.argv[1]
	def blob(d): return root + "/blobs/sha256/" + d.split(":")[1]
	m = json.load(open(root + "/index.json"))["manifests"][0]["digest"]
	for l in json.load(open(blob(m)))["layers"]: print(blob(l["digest"]))
	PY
}

extract() { # bsdtar|tar DIR LAYER...
	local tool=$1 dir=$2 l
	shift 2
	mkdir -p "$dir"
	for l; do
		if [ "$tool" = bsdtar ]; then bsdtar -xf "$l" -C "$dir"
		else tar -xzf "$l" -C "$dir"; fi
	done 2>/dev/null || true
}

timed() { # TOOL STORE OUT: prints seconds (bash's clock: µs, not time(1)'s 10 ms)
	local t0 t1 blobs
	blobs=$(layers "$2")
	case $1 in
	overlay) rm -rf "$2/layers" ;;
	esac
	t0=$EPOCHREALTIME
	case $1 in
	copy) "$c_unpack" --root "$2" --copy latest "$3" >/dev/null || die "c-unpack --copy failed" ;;
	overlay | overlay-2nd)
		"$c_unpack" --root "$2" --overlay latest "$3" >/dev/null || die "c-unpack --overlay failed"
		;;
	umoci) umoci unpack --image "$2:latest" "$3" >/dev/null 2>&1 ;;
	bsdtar | tar) extract "$1" "$3" $blobs ;;
	esac
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

tools="copy overlay overlay-2nd umoci bsdtar tar"
for image in single five; do
	store=$work/store-$image
	cp -a "$cache/$image" "$store"
	declare -A times=() med=()
	for ((i = 0; i < RUNS; i++)); do
		for tool in $tools; do
			rm -rf "$work/out"
			mkdir -p "$work/out"
			times[$tool]+="$(timed "$tool" "$store" "$work/out/b") "
		done
	done
	rm -rf "$work/out"
	printf '%s image (%d layers, %d MB of blobs), median of %d runs on tmpfs:\n' "$image" \
		"$(layers "$store" | wc -l)" "$(($(du -sb "$store/blobs" | cut -f1) / 1000000))" "$RUNS"
	for tool in $tools; do
		med[$tool]=$(tr ' ' '\n' <<<"${times[$tool]}" | grep . | median)
	done
	for tool in $tools; do
		awk -v t="$tool" -v s="${med[$tool]}" -v c="${med[copy]}" -v o="${med[overlay]}" \
			'BEGIN { printf "  %-12s %8.4fs  %6.2fx the time of --copy  %6.2fx of --overlay\n",
				t, s, s / c, s / o }'
	done
	unset times med
done
