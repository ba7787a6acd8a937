#!/bin/bash
# podman with c-run as its OCI runtime, side by side with runc: the time of
#   podman --runtime $PWD/bin/c-run run --rm IMAGE /bin/true
#   podman --runtime RUNC          run --rm IMAGE /bin/true
# from start to podman's exit (the container created by conmon through the
# runtime, started, waited for, deleted and removed).  The image is a
# busybox-static rootfs made into an OCI image, copied into podman's own
# storage on a tmpfs (skopeo).  The two take turns (the order swapped each round)
# after one untimed warm-up run each, $PODMAN_BENCH_RUNS (default 30, at
# least 20) times each, with $PODMAN_BENCH_GAP (default 0.05) s of quiet
# before each timed run, as in bench/start.sh: moving a process into a v1
# cgroup through cgroup.procs waits for an RCU grace period unless another
# task moved within the last one, and a lone start pays that.  Medians, IQRs,
# the ratio runc / c-run and the difference per run are printed; most of
# either time is podman's and conmon's own, the same for both.
#
# Fairness, as printed with the results:
# - the same podman, conmon, configuration and image for both; each runtime
#   given by its path, as a user would (`--runtime /path/to/c-run`), with its
#   own default state root (/run/c-run, /run/runc: tmpfs), podman passing
#   neither a --root.  Podman knows runc by name as a runtime that writes
#   JSON errors, so runc alone is also given --log-format=json --log FILE.
# - the config.json is podman's for both: its seccomp profile as
#   linux.seccomp, which runc compiles on every create and c-run compiles
#   once and caches under $C_ROOT (here on the tmpfs: conmon, which runs
#   create, is given C_ROOT through containers.conf's conmon_env_vars).
# - podman's settings, in a containers.conf of the run's own
#   (scripts/podman-private.bash, as the podman tests have them): the cgroupfs
#   manager (no systemd here), no network (netns "none"), no events log, file
#   locks, the k8s-file log driver, and default ulimits nofile and nproc of
#   1024:1024: podman asks for more than this machine's hard limits
#   otherwise, which neither runtime may set without CAP_SYS_RESOURCE.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${PODMAN_BENCH_RUNS:-30}
GAP=${PODMAN_BENCH_GAP:-0.05}
c_run=$PWD/bin/c-run

# shellcheck source=lib/common.bash
source bench/lib/common.bash
bench_built "$c_run"
bench_root "podman as root: namespaces, cgroups, overlay, tmpfs"
[ "$RUNS" -ge 20 ] 2>/dev/null || die "PODMAN_BENCH_RUNS=$RUNS: not a number of runs of at least 20"

# shellcheck source=lib/images.bash
source bench/lib/images.bash
# shellcheck source=../scripts/podman-private.bash
source scripts/podman-private.bash
bench_need podman conmon runc skopeo busybox-static python3
runc=$(command -v runc) || die "runc is missing"
command -v busybox >/dev/null || die "busybox is missing (busybox-static)"
file -L "$(command -v busybox)" 2>/dev/null | grep -q 'statically linked' ||
	die "$(command -v busybox) is not static; it cannot run in a bare rootfs"

bench_tmpfs 512m
pd=$work/podman
mkdir -p "$work/c-root"

# --- podman's configuration, all of it on the tmpfs --------------------------------------

podman_private "$pd" --conmon-env "C_ROOT=$work/c-root"

# --- clean-up: run at exit, even on failure, the last registered first ------------------
# (bench_tmpfs registered the umount and rmdir of $work, which run after these)

# podman (cgroupfs) leaves libpod_parent/conmon in every v1 hierarchy
libpod_before=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name libpod_parent 2>/dev/null)
leftovers() {
	local i
	podman rm -af -t 0 >/dev/null 2>&1 || true
	# conmon ends after the container and starts `podman container cleanup`
	for ((i = 0; i < 100; i++)); do
		running "$pd" || break
		sleep 0.1
	done
	podman_private_umount "$work"
	[ -n "$libpod_before" ] ||
		find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path '*/libpod_parent*' -type d \
			-delete 2>/dev/null || true
}
bench_on_exit leftovers

# --- the image ------------------------------------------------------------------------------

busybox_image "$work/image"
image=localhost/bench-true
# skopeo reads CONTAINERS_STORAGE_CONF too
skopeo copy -q "oci:$work/image:latest" "containers-storage:$image:latest" >/dev/null 2>"$work/err" ||
	die "skopeo copy oci: containers-storage: failed: $(head -c 300 "$work/err")"

# --- the runs -------------------------------------------------------------------------------

declare -A path=([c-run]=$c_run [runc]=$runc)
tools=(c-run runc)

run_once() { # TOOL: one podman run --rm; output thrown away, errors in $work/err
	podman --runtime "${path[$1]}" run --rm "$image" /bin/true </dev/null >/dev/null 2>"$work/err"
}

declare -A med=() iqr=()
bench_turns run_once "${tools[@]}"

# --- the table ------------------------------------------------------------------------------

printf 'podman run --rm IMAGE /bin/true (a busybox-static image, storage on tmpfs), median of %d runs,\n' "$RUNS"
printf 'the runtimes taking turns (order swapped each round), %ss of quiet before each\n' "$GAP"
printf '(%s: podman %s, %s, %s)\n' "$(uname -r)" "$(podman --version | awk '{ print $3 }')" \
	"$(conmon --version 2>/dev/null | head -n 1)" "$(runc --version | head -n 1)"
printf 'Same podman, conmon, configuration and config.json (podman'"'"'s seccomp profile as linux.seccomp);\n'
printf 'cgroupfs, --network none by default, no events log; each runtime given by its path.\n'
printf '  %-40s %10s %12s %10s\n' "podman --runtime" median "IQR (ms)" "/ c-run"
row() { # LABEL TOOL
	awk -v l="$1" -v m="${med[$2]}" -v q="${iqr[$2]}" -v c="${med[c-run]}" \
		'BEGIN { printf "  %-40s %7.2f ms %12s %9.2fx\n", l, m * 1000, q, m / c }'
}
row "$c_run" c-run
row "$runc" runc
awk -v r="${med[runc]}" -v c="${med[c-run]}" 'BEGIN {
	printf "runc / c-run: %.2fx; c-run saves %.2f ms a run (medians)\n", r / c, (r - c) * 1000 }'
