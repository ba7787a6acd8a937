#!/bin/bash
# Container start-up, side by side: start-to-exit of /bin/true from one
# prepared bundle (a busybox-static rootfs made into an image, unpacked with
# `c-unpack --copy`, on tmpfs), with the same isolation, for
#   c-run  `c-run run --bundle B ID` (the OCI front)
#   runc   `runc run --bundle B ID`
#   crun   `crun run --bundle B ID`
#   bwrap  `bwrap --unshare-all --bind ROOTFS / --proc /proc --dev /dev`
#   floor  `unshare --mount --uts --ipc --net --pid --fork chroot ROOTFS`
# and, with START_BENCH_BASELINE=PATH, another c-run binary in the same turns
# then the image front, from an image whose layers are already unpacked
# (overlay: the bundle is made per container, the layers are shared):
#   `c-run --rm IMAGE /bin/true` against `podman run --rm IMAGE /bin/true`
# and the peak RSS of c-run (GNU time's %M).  The tools take turns, run
# $START_BENCH_RUNS (default 30) times each after one untimed warm-up run;
# medians and their ratios are printed.
#
# Fairness, as printed with the results:
# - crun refuses the hybrid cgroup layout (v1 controllers plus an empty v2
#   mount at /sys/fs/cgroup/unified), so it runs inside a wrapper: nsenter
#   into a mount namespace, made once, that hides that mount.  Every tool of
#   the bundle table runs inside the same wrapper; the wrapper alone is timed
#   in the same turns and its median subtracted ("net"); ratios are of net
#   times.  c-run and runc, which need no wrapper, are also timed bare.
# - The config.json is c-unpack's, with process.args ["/bin/true"].  c-run
#   applies its default seccomp profile (docker's) through the annotation
#   io.c-tools.seccomp=default, which runc and crun ignore; they get the same
#   config with podman's /usr/share/containers/seccomp.json (docker's
#   profile) turned into linux.seccomp for this architecture and the
#   config's capabilities.  c-run caches the compiled filter under $C_ROOT
#   (runc and crun compile it on every start); a line with that cache
#   emptied before every run shows what the cache saves, and one with runc's
#   config.json (the profile in linux.seccomp, cached too) shows that c-run
#   reads the same file; crun with no linux.seccomp shows what compiling the
#   profile costs crun.
# - bwrap --unshare-all also makes a user namespace, and neither bwrap nor
#   the floor set up cgroups, seccomp or capabilities.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${START_BENCH_RUNS:-30}
# Seconds of quiet before each timed run.  Moving a process into a cgroup v1
# through cgroup.procs, as runc and crun do, waits for an RCU grace period
# unless another task moved within the last one, so a start right after
# another tool's is several ms faster than a start on its own; with the gap
# every start pays it, as a single `run` does.  (c-run's process moves
# itself through the tasks file, which waits for none.)  START_BENCH_GAP=0
# measures back-to-back starts.
GAP=${START_BENCH_GAP:-0.05}
# Another c-run binary (an older build, kept aside) to time in the same turns
# as this one, for a same-run comparison of a change; it gets a line of its
# own in the bundle table.
BASELINE=${START_BENCH_BASELINE:-}
c_run=$PWD/bin/c-run
c_unpack=$PWD/bin/c-unpack
c_image=$PWD/bin/c-image

# shellcheck source=lib/common.bash
source bench/lib/common.bash

for p in "$c_run" "$c_unpack" "$c_image"; do
	[ -x "$p" ] || die "$p is missing; run make first"
done
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || die "START_BENCH_BASELINE=$BASELINE: not an executable"
[ "$(id -u)" = 0 ] || die "needs root (namespaces, cgroups, tmpfs)"
[ "$RUNS" -ge 1 ] 2>/dev/null || die "START_BENCH_RUNS=$RUNS: not a number of runs"

# shellcheck source=lib/images.bash
source bench/lib/images.bash
bench_need runc crun bubblewrap busybox-static skopeo time python3 util-linux
bench_need podman || true # optional: its line is skipped, with the reason, without it
command -v busybox >/dev/null || die "busybox is missing (busybox-static)"
file -L "$(command -v busybox)" 2>/dev/null | grep -q 'statically linked' ||
	die "$(command -v busybox) is not static; it cannot run in a bare rootfs"

work=$(mktemp -d /tmp/c-tools-bench-start.XXXXXX)
mount -t tmpfs -o size=1g tmpfs "$work"
holder=
# podman (cgroupfs) leaves libpod_parent/conmon in every v1 hierarchy
libpod_before=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name libpod_parent 2>/dev/null)
cleanup() {
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null || true
		wait "$holder" 2>/dev/null || true
	fi
	# overlay mounts of c-run and podman may be left under it if a run failed
	umount -R "$work" 2>/dev/null || umount -R -l "$work" 2>/dev/null || true
	rmdir "$work" 2>/dev/null || true
	[ -n "$libpod_before" ] ||
		find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path '*/libpod_parent*' -type d \
			-delete 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$work/state"/{c-run,c-run-image,runc,crun} "$work/src" "$work/cold"

# c-run and the baseline run from copies made the same way in the tmpfs: how
# a binary's file was written (a linker's writes, a copy) changes how many
# of its pages a run maps, by more than 100 kB of peak RSS here.  Each is a
# link named c-run to its binary, as make installs it.
copy_c_run() { # BINARY DIR: prints DIR/c-run
	mkdir -p "$2"
	cp "$(readlink -f "$1")" "$2/c-tools"
	ln -s c-tools "$2/c-run"
	echo "$2/c-run"
}
c_run=$(copy_c_run "$c_run" "$work/bin")
[ -z "$BASELINE" ] || BASELINE=$(copy_c_run "$BASELINE" "$work/baseline")

# --- the image, the bundle, the configs ----------------------------------------------

# A tiny static program that only exits 0 (x86-64 only), to tell c-run's own
# peak RSS from busybox's: busybox-static's `true` alone peaks at over 1 MB.
exit0=
if [ "$(uname -m)" = x86_64 ]; then
	python3 - "$work/src/exit0" <<-'PY'
	import struct, sys
	code = bytes.fromhex("31ffb83c0000000f05")  # xor edi,edi; mov eax,60; syscall
	base, n = 0x400000, 64 + 56 + len(code)
	ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + struct.pack(
	    "<HHIQQQIHHHHHH", 2, 0x3E, 1, base + 64 + 56, 64, 0, 0, 64, 56, 1, 0, 0, 0)
	phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, n, n, 0x1000)
	open(sys.argv[1], "wb").write(ehdr + phdr + code)
	PY
	chmod 755 "$work/src/exit0"
	exit0='{"path":"bin/exit0","source":"'$work/src/exit0'","mode":"0755"}'
fi

# The store is an OCI layout ($C_ROOT): c-run keeps its layers, containers and
# seccomp cache in it, all on the tmpfs.
export C_ROOT=$work/store
busybox_image "$C_ROOT" ${exit0:+"$exit0"}
"$c_image" tag latest bench-true >/dev/null
image=bench-true

bundle=$work/bundle       # c-run's config.json
bundle_oci=$work/bundle-oci # the same, plus linux.seccomp, for runc and crun
bundle_exit0=$work/bundle-exit0
bundle_nosec=$work/bundle-nosec # runc's without linux.seccomp: what compiling it costs crun
rootfs=$bundle/rootfs
"$c_unpack" --copy latest "$bundle" >/dev/null || die "c-unpack --copy failed"
mkdir -p "$bundle_oci" "$bundle_exit0" "$bundle_nosec"
seccomp_json=/usr/share/containers/seccomp.json
[ -f "$seccomp_json" ] || seccomp_json=
seccomp_note=$(python3 - "$bundle" "$bundle_oci" "$bundle_exit0" "$bundle_nosec" "$seccomp_json" <<-'PY'
	import json, os, sys
	bundle, oci, exit0, nosec, profile = sys.argv[1:6]
	cfg = json.load(open(bundle + "/config.json"))
	cfg["process"]["args"] = ["/bin/true"]
	cfg["process"]["terminal"] = False
	json.dump(cfg, open(bundle + "/config.json", "w"))
	cfg["root"]["path"] = os.path.abspath(bundle + "/rootfs")
	e = json.loads(json.dumps(cfg))
	e["process"]["args"] = ["/bin/exit0"]
	json.dump(e, open(exit0 + "/config.json", "w"))
	json.dump(cfg, open(nosec + "/config.json", "w"))
	if not profile:
	    json.dump(cfg, open(oci + "/config.json", "w"))
	    print("none: no docker profile offline, so runc and crun run WITHOUT seccomp "
	          "while c-run applies its default")
	    sys.exit(0)
	sys.dont_write_bytecode = True
	sys.path.insert(0, "bench/lib")
	import ociseccomp
	counts = ociseccomp.apply(cfg, profile)
	json.dump(cfg, open(oci + "/config.json", "w"))
	print("%s (%d syscall names in %d rules) as linux.seccomp for runc and crun; "
	      "c-run's built-in default (docker's) through its annotation"
	      % ((profile,) + counts))
	PY
)

# --- the tools -----------------------------------------------------------------------

# The wrapper crun needs here: a mount namespace where /sys/fs/cgroup/unified
# is hidden (unmounted, or covered where it cannot be unmounted), made once and
# held by a sleeping process; each run enters it with nsenter.  (A namespace
# made per run, `unshare -m sh -c 'umount ...; exec crun ...'`, costs about
# 4 ms more a run here, mostly the umount's RCU grace period.)
# shellcheck disable=SC2016 # expanded by that sh
unshare -m --propagation private sh -c 'if [ -d /sys/fs/cgroup/unified ]; then
	umount /sys/fs/cgroup/unified 2>/dev/null ||
		mount -t tmpfs none /sys/fs/cgroup/unified; fi
	: >"$1" && exec sleep infinity' holder "$work/ns-ready" </dev/null >/dev/null 2>&1 &
holder=$!
for ((i = 0; i < 100; i++)); do [ -e "$work/ns-ready" ] && break; sleep 0.05; done
[ -e "$work/ns-ready" ] || die "could not make a mount namespace without /sys/fs/cgroup/unified"
wrap() { nsenter --mount="/proc/$holder/ns/mnt" "$@"; }

podman_args=(--root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay
	--cgroup-manager cgroupfs --events-backend none)
# podman asks for RLIMIT_NOFILE and RLIMIT_NPROC above the hard limits, which
# fails here without CAP_SYS_RESOURCE: c-run's config.json's NOFILE, and
# NPROC under the 32768 podman lowers itself to.
podman_run=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
	"localhost/$image" /bin/true)

# The name of the container of the run under way: a fresh one for each.
n=0
id=

# Runs one container: TOOL.  Output is thrown away; errors go to $work/err.
start() {
	case $1 in
	wrapper) wrap /bin/true ;;
	floor) wrap unshare --mount --uts --ipc --net --pid --fork chroot "$rootfs" /bin/true ;;
	bwrap) wrap bwrap --unshare-all --bind "$rootfs" / --proc /proc --dev /dev /bin/true ;;
	c-run) wrap "$c_run" --root "$work/state/c-run" run --bundle "$bundle" "$id" ;;
	c-run-baseline) wrap "$BASELINE" --root "$work/state/c-run" run --bundle "$bundle" "$id" ;;
	runc) wrap runc --root "$work/state/runc" run --bundle "$bundle_oci" "$id" ;;
	crun) wrap crun --root "$work/state/crun" run --bundle "$bundle_oci" "$id" ;;
	crun-nosec) wrap crun --root "$work/state/crun" run --bundle "$bundle_nosec" "$id" ;;
	c-run-bare) "$c_run" --root "$work/state/c-run" run --bundle "$bundle" "$id" ;;
	c-run-cold) C_ROOT=$work/cold "$c_run" --root "$work/state/c-run" run --bundle "$bundle" "$id" ;;
	c-run-oci) "$c_run" --root "$work/state/c-run" run --bundle "$bundle_oci" "$id" ;;
	runc-bare) runc --root "$work/state/runc" run --bundle "$bundle_oci" "$id" ;;
	c-run-image) "$c_run" --rm "$image" /bin/true ;;
	podman-runc) podman "${podman_args[@]}" --runtime runc "${podman_run[@]}" ;;
	podman-crun) wrap podman "${podman_args[@]}" --runtime crun "${podman_run[@]}" ;;
	esac </dev/null >/dev/null 2>"$work/err"
}

# What is done between runs, untimed (bench_turns): a name for the
# container, caches as the line wants; the container's state removed.
bench_before() { # TOOL
	n=$((n + 1))
	id=bench-start-$$-$n
	case $1 in
	c-run-cold) rm -rf "$work/cold/cache" ;; # its own $C_ROOT, the others' caches kept
	esac
}
bench_after() { # TOOL
	case $1 in
	c-run | c-run-bare | c-run-cold | c-run-oci | c-run-baseline)
		"$c_run" --root "$work/state/c-run" delete --force "$id" ;;
	runc | runc-bare) runc --root "$work/state/runc" delete --force "$id" ;;
	crun | crun-nosec) crun --root "$work/state/crun" delete --force "$id" ;;
	esac >/dev/null 2>&1 || true
}

# bench_turns' results; a tool whose first, untimed run fails is left out,
# with why
declare -A med=() iqr=() why=()

ms() { awk -v s="$1" 'BEGIN { printf "%7.2f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%6.2fx", a / b; else printf "%7s", "-" }'; }

# --- the bundle, every tool in the wrapper ---------------------------------------------

bench_turns --optional start wrapper floor bwrap c-run ${BASELINE:+c-run-baseline} runc crun crun-nosec c-run-bare runc-bare \
	c-run-cold c-run-oci
for t in wrapper floor c-run crun; do
	[ -n "${med[$t]:-}" ] || die "$t cannot run here: ${why[$t]}"
done
w=${med[wrapper]}
net() { awk -v a="$1" -v w="$w" 'BEGIN { printf "%.6f", a - w }'; }
crun_net=$(net "${med[crun]}")
floor_net=$(net "${med[floor]}")

printf '/bin/true from one busybox-static bundle on tmpfs, median of %d runs, tools taking turns\n' "$RUNS"
printf '(order rotated each round), %ss of quiet before each (START_BENCH_GAP)\n' "$GAP"
printf '(%s: %s)\n' "$(uname -r)" "$(runc --version | head -n 1), $(crun --version | head -n 1), $(bwrap --version)"
printf 'Every tool runs inside the wrapper crun needs here (nsenter into a mount namespace\n'
printf 'that hides /sys/fs/cgroup/unified); the wrapper alone: %s median.  net = median - that;\n' \
	"$(ms "$w" | tr -s ' ')"
printf 'ratios are of net times.\nseccomp: %s.\n' "$seccomp_note"
[ -z "$BASELINE" ] || printf 'c-run, START_BENCH_BASELINE: %s\n' "$START_BENCH_BASELINE"
printf '  %-34s %10s %10s %12s %8s %8s\n' tool median net "IQR (ms)" "/crun" "/floor"
row() { # LABEL TOOL NET
	awk -v l="$1" -v m="${med[$2]}" -v n="$3" -v q="${iqr[$2]}" -v c="$crun_net" -v f="$floor_net" \
		'BEGIN { printf "  %-34s %7.2f ms %7.2f ms %12s %7.2fx %7.2fx\n", l, m * 1000, n * 1000, q,
			n / c, n / f }'
}
skipped() { printf '  %-34s skipped: %s\n' "$1" "${why[$2]}"; }
for t in c-run ${BASELINE:+c-run-baseline} runc crun crun-nosec bwrap floor; do
	case $t in
	c-run-baseline) label="c-run, START_BENCH_BASELINE" ;;
	crun-nosec) label='crun, no linux.seccomp' ;;
	floor) label='unshare+chroot (floor)' ;;
	bwrap) label='bwrap --unshare-all' ;;
	*) label="$t run --bundle" ;;
	esac
	if [ -n "${med[$t]:-}" ]; then row "$label" "$t" "$(net "${med[$t]}")"; else skipped "$label" "$t"; fi
done
printf 'Without the wrapper (as run here by hand; crun cannot), against the net times above:\n'
for t in c-run-bare runc-bare c-run-cold c-run-oci; do
	case $t in
	c-run-bare) label='c-run run --bundle' ;;
	runc-bare) label='runc run --bundle' ;;
	c-run-cold) label='c-run, seccomp cache emptied' ;; # compiles it, as crun and runc do
	c-run-oci) label="c-run, runc's config.json" ;;
	esac
	if [ -n "${med[$t]:-}" ]; then row "$label" "$t" "${med[$t]}"; else skipped "$label" "$t"; fi
done

# --- the image front ---------------------------------------------------------------------

podman_tools=()
if ! command -v podman >/dev/null; then
	why[podman-runc]="podman is not installed (apt-get install podman failed)"
	why[podman-crun]=${why[podman-runc]}
elif ! skopeo copy -q "oci:$C_ROOT:latest" \
	"containers-storage:[overlay@$work/podman/root+$work/podman/run]localhost/$image:latest" \
	>/dev/null 2>"$work/err"; then
	why[podman-runc]="skopeo copy oci: containers-storage: failed: $(head -n 1 "$work/err")"
	why[podman-crun]=${why[podman-runc]}
else
	podman_tools=(podman-runc podman-crun)
fi
unset 'med[c-run-image]'
bench_turns --optional start c-run-image "${podman_tools[@]}"
[ -n "${med[c-run-image]:-}" ] || die "c-run IMAGE cannot run here: ${why[c-run-image]}"
printf '%s from an image in the store with its layer already unpacked (overlay), median of %d:\n' \
	"/bin/true" "$RUNS"
printf '  %-40s %10s %12s %10s\n' command median "IQR (ms)" "c-run /"
img_row() { # LABEL TOOL VALUE
	awk -v l="$1" -v m="$3" -v q="${iqr[$2]}" -v c="${med[c-run-image]}" \
		'BEGIN { printf "  %-40s %7.2f ms %12s %9.2fx\n", l, m * 1000, q, c / m }'
}
img_row "c-run --rm $image /bin/true" c-run-image "${med[c-run-image]}"
if [ -n "${med[podman-runc]:-}" ]; then
	img_row "podman run --rm (runc)" podman-runc "${med[podman-runc]}"
else
	printf '  %-40s skipped: %s\n' "podman run --rm (runc)" "${why[podman-runc]}"
fi
if [ -n "${med[podman-crun]:-}" ]; then
	img_row "podman run --rm (crun, wrapped, net)" podman-crun "$(net "${med[podman-crun]}")"
else
	printf '  %-40s skipped: %s\n' "podman run --rm (crun, wrapped)" "${why[podman-crun]}"
fi
[ ${#podman_tools[@]} -eq 0 ] ||
	printf '  (podman %s: --network none, cgroupfs, no events log, own storage on the tmpfs;\n   default runtime crun refuses the hybrid cgroups, so runc bare, and crun in the wrapper)\n' \
		"$(podman --version | awk '{ print $3 }')"

# --- peak RSS ----------------------------------------------------------------------------

rss() { # COMMAND...: median of 5 GNU time %M, in kB
	local i out=$work/time kb=
	for ((i = 0; i < 5; i++)); do
		n=$((n + 1))
		/usr/bin/time -o "$out" -f '%M' "$@" "bench-start-$$-$n" </dev/null >/dev/null 2>&1 ||
			die "$*: failed under time(1)"
		kb+="$(tail -n 1 "$out") "
	done
	tr ' ' '\n' <<<"$kb" | grep . | median
}
# the id goes last: the commands ignore it where they take none
true_rss=$(rss "$rootfs/bin/busybox" true)
printf 'Peak RSS (GNU time %%M: the largest of c-run and its children, the container included;\n'
printf 'busybox-static true alone: %d kB), median of 5, target under 1024 kB:\n' "$true_rss"
printf '  %-40s %6d kB\n' "c-run run --bundle (/bin/true)" \
	"$(rss "$c_run" --root "$work/state/c-run" run --bundle "$bundle")"
printf '  %-40s %6d kB\n' "c-run --rm $image /bin/true" \
	"$(rss "$c_run" --rm "$image" /bin/true)"
if [ -n "$exit0" ]; then
	printf '  %-40s %6d kB   (c-run'"'"'s own; time(1) running exit(0) alone: %d kB)\n' \
		"c-run run --bundle (a 129-byte exit(0))" \
		"$(rss "$c_run" --root "$work/state/c-run" run --bundle "$bundle_exit0")" \
		"$(rss "$work/src/exit0")"
	printf '  %-40s %6d kB\n' "c-run --rm $image /bin/exit0" \
		"$(rss "$c_run" --rm "$image" /bin/exit0)"
	[ -z "$BASELINE" ] || printf '  %-40s %6d kB\n' "START_BENCH_BASELINE, the same exit(0)" \
		"$(rss "$BASELINE" --root "$work/state/c-run" run --bundle "$bundle_exit0")"
fi

# --- what was left behind ----------------------------------------------------------------

left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*bench-start-$$-*" 2>/dev/null | wc -l)
states=$(find "$work/state" -mindepth 2 -maxdepth 2 -type d | wc -l)
ctrs=$(find "$C_ROOT/containers" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
if [ "$left" -gt 0 ] || [ "$states" -gt 0 ] || [ "$ctrs" -gt 0 ]; then
	printf 'Left behind: %d cgroup dirs, %d container states, %d c-run container dirs\n' \
		"$left" "$states" "$ctrs"
	find /sys/fs/cgroup -maxdepth 4 -type d -name "*bench-start-$$-*" -delete 2>/dev/null || true
fi
