#!/bin/bash
# Images as files, both ways, side by side:
#   import  a debootstrap --variant=minbase bookworm rootfs as a tar:
#           `c-image import` against `podman import`
#   save    the same rootfs as a five-layer image (bench/lib/images.bash),
#           in docker-archive and in oci-archive: `c-image save` against
#           `podman save` and `skopeo copy oci:STORE:NAME docker-archive:` /
#           `oci-archive:`
#   load    the archives c-image save wrote: `c-image load` against
#           `podman load` and `skopeo copy docker-archive:|oci-archive: oci:`
# Everything on one tmpfs (the rootfs tar, the stores, the archives).  Each
# run starts from what the job needs and nothing more, made untimed before
# it: an empty c-tools store, podman's storage emptied (`podman rmi -a`, so
# that no layer is found there already), no skopeo destination; save reads
# an image each tool has in its own store (skopeo and c-image the same OCI
# store, podman its containers-storage copy).  The tools take turns, one
# untimed run each first, $IMAGE_BENCH_RUNS (default 5) timed runs each;
# medians, IQRs and each tool's time over c-image's for the same format.
#
# Fairness, as printed with the results:
# - every tool verifies what it reads (sha256) and writes complete files;
#   c-image also fsyncs its blobs and index.json (podman and skopeo do not
#   sync), which on tmpfs costs nothing.
# - import and a docker-archive load end with a gzip'd layer in c-image's
#   OCI store (ISA-L level 1; skopeo gzips too when it copies a docker
#   archive into an OCI layout, with Go's gzip), while podman stores layers
#   uncompressed, unpacked into its overlay storage; that is what each
#   keeps of an image.
# - a docker archive holds layers uncompressed, and a tar header comes
#   before its data: c-image inflates a layer twice, first for its size,
#   unless the store knows it (c_store_layer_info: layers imported, loaded,
#   unpacked by c-unpack or c-run, or saved once before).  c-image-cold is
#   the first save of an image pulled and never run, the layers' sizes
#   forgotten before each run; podman has its layers uncompressed in its
#   storage, skopeo inflates each into a temporary file first.
# - podman 4.3 with a configuration and storage of the bench's own
#   (scripts/podman-private.bash), overlay on the tmpfs.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${IMAGE_BENCH_RUNS:-5}
GAP=0
c_image=$PWD/bin/c-image

# shellcheck source=lib/common.bash
source bench/lib/common.bash
bench_built "$c_image"
bench_root "debootstrap, tmpfs, podman's storage"
[ "$RUNS" -ge 1 ] 2>/dev/null || die "IMAGE_BENCH_RUNS=$RUNS: not a number of runs"

# shellcheck source=lib/images.bash
source bench/lib/images.bash
# shellcheck source=../scripts/podman-private.bash
source scripts/podman-private.bash
bench_need podman skopeo python3 tar
bench_images

bench_tmpfs 3g
pd=$work/podman
podman_private "$pd"
export TMPDIR=$pd/tmp # podman's and skopeo's temp files (oci-archive unpacking) too
store=$work/c-root

# --- clean-up: run at exit, the last registered first ---------------------------------
leftovers() {
	podman rmi -af >/dev/null 2>&1 || true
	podman_private_umount "$work"
}
bench_on_exit leftovers

# --- the inputs -------------------------------------------------------------------------------

tar --numeric-owner -C "$cache/minbase" -cf "$work/minbase.tar" .
rm -rf "$work/five-store"
skopeo copy -q --preserve-digests "oci:$cache/five:latest" "oci:$work/five-store:bench/five" >/dev/null
skopeo copy -q "oci:$cache/five:latest" "containers-storage:localhost/bench/five:latest" >/dev/null
"$c_image" --root "$work/five-store" save -o "$work/five-docker.tar" bench/five
"$c_image" --root "$work/five-store" save --format oci-archive -o "$work/five-oci.tar" bench/five

# --- the runs ----------------------------------------------------------------------------------

# Every run's output is thrown away, its errors in $work/err.
job() { # TOOL
	case $1 in
	import/c-image) "$c_image" --root "$store" import "$work/minbase.tar" bench/minbase ;;
	import/podman) podman import -q "$work/minbase.tar" localhost/bench/minbase ;;
	save-docker/c-image | save-docker/c-image-cold)
		"$c_image" --root "$work/five-store" save -o "$work/out.tar" bench/five ;;
	save-docker/podman) podman save -q -o "$work/out.tar" localhost/bench/five:latest ;;
	save-docker/skopeo)
		skopeo copy -q "oci:$work/five-store:bench/five" "docker-archive:$work/out.tar:bench/five:latest" ;;
	save-oci/c-image)
		"$c_image" --root "$work/five-store" save --format oci-archive -o "$work/out.tar" bench/five ;;
	save-oci/podman)
		podman save -q --format oci-archive -o "$work/out.tar" localhost/bench/five:latest ;;
	save-oci/skopeo)
		skopeo copy -q "oci:$work/five-store:bench/five" "oci-archive:$work/out.tar:bench/five" ;;
	load-docker/c-image) "$c_image" --root "$store" load -i "$work/five-docker.tar" ;;
	load-docker/podman) podman load -q -i "$work/five-docker.tar" ;;
	load-docker/skopeo) skopeo copy -q "docker-archive:$work/five-docker.tar" "oci:$work/sk:bench/five" ;;
	load-oci/c-image) "$c_image" --root "$store" load -i "$work/five-oci.tar" ;;
	load-oci/podman) podman load -q -i "$work/five-oci.tar" ;;
	load-oci/skopeo) skopeo copy -q "oci-archive:$work/five-oci.tar:bench/five" "oci:$work/sk:bench/five" ;;
	esac </dev/null >/dev/null 2>"$work/err"
}
run_once() { job "$1"; }

# Untimed, before each run: nothing left of the last one.
bench_before() { # TOOL
	rm -rf "$store" "$work/sk" "$work/out.tar"
	# cold: the layers' uncompressed sizes not known yet (a pulled image)
	[ "$1" != save-docker/c-image-cold ] || rm -rf "$work/five-store/layerinfo"
	case $1 in
	import/podman | load-*/podman)
		podman rmi -af >/dev/null 2>&1 || true
		# save reads podman's copy of the five-layer image: put it back
		;;
	esac
}
bench_after() { # TOOL
	case $1 in
	import/podman | load-*/podman)
		podman rmi -af >/dev/null 2>&1 || true
		skopeo copy -q "oci:$cache/five:latest" "containers-storage:localhost/bench/five:latest" \
			>/dev/null
		;;
	esac
}

declare -A med=() iqr=()
jobs=(import save-docker save-oci load-docker load-oci)
for j in "${jobs[@]}"; do
	case $j in
	import) bench_turns run_once "$j/c-image" "$j/podman" ;;
	save-docker) bench_turns run_once "$j/c-image" "$j/c-image-cold" "$j/podman" "$j/skopeo" ;;
	*) bench_turns run_once "$j/c-image" "$j/podman" "$j/skopeo" ;;
	esac
done

# --- the table ---------------------------------------------------------------------------------

mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }
printf 'Images as files, on tmpfs, median of %d runs each, the tools taking turns\n' "$RUNS"
printf '(%s: podman %s, skopeo %s; podman and skopeo in a configuration of their own):\n' \
	"$(uname -r)" "$(podman --version | awk '{ print $3 }')" "$(skopeo --version | awk '{ print $3 }')"
printf '  import: a debootstrap minbase rootfs tar (%s)\n' "$(mb "$work/minbase.tar")"
printf '  save, load: that rootfs as a five-layer image (docker-archive %s, oci-archive %s)\n' \
	"$(mb "$work/five-docker.tar")" "$(mb "$work/five-oci.tar")"
printf '  %-22s %10s %16s %14s\n' job median "IQR (ms)" "/ c-image"
for j in "${jobs[@]}"; do
	for t in c-image c-image-cold podman skopeo; do
		[ -n "${med[$j/$t]:-}" ] || continue
		awk -v l="$j/$t" -v m="${med[$j/$t]}" -v q="${iqr[$j/$t]}" -v c="${med[$j/c-image]}" \
			'BEGIN { printf "  %-22s %8.3f s %16s %13.2fx\n", l, m, q, m / c }'
	done
done
