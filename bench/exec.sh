#!/bin/bash
# Exec into a running container, side by side: the time until /bin/true,
# started as a new process inside a container that is already running
# `sleep 1000000`, has exited and the command returns, for
#   c-attach  `c-attach --exec NAME /bin/true` into a `c-run -d IMAGE` container
#   runc      `runc exec ID /bin/true` into a `runc run -d` container
#   podman    `podman exec NAME /bin/true` into a `podman run -d` container
# all three from the same image: a busybox-static rootfs made into an OCI
# image in the c-tools store on a tmpfs.  c-run runs it from the store (its
# layer unpacked once, an overlay per container); runc from a bundle made by
# `c-unpack --copy` of it; podman from a copy of it in podman's own storage
# (skopeo, overlay).  Every tool's state is on the same tmpfs.  The tools
# take turns (the order rotated each round) after one untimed warm-up exec
# each, $EXEC_BENCH_RUNS (default 30) times each, with $EXEC_BENCH_GAP
# (default 0.05) s of quiet before each timed exec, as in bench/start.sh:
# moving a process into a v1 cgroup through cgroup.procs waits for an RCU
# grace period unless another task moved within the last one, and a lone
# exec pays that.  Medians, IQRs and the ratios runc/c-attach and
# podman/c-attach are printed; the issue's target is runc exec / c-attach
# --exec >= 2.
#
# Fairness, as printed with the results:
# - isolation: every container has the same namespaces, capabilities,
#   no_new_privs and masked paths by default; runc gets exactly the
#   config.json c-unpack writes (process.args ["sleep","1000000"], terminal
#   false), c-run the one its image front makes from the same image.
# - seccomp: c-run applies its default profile (docker's) to the container
#   and c-attach --exec to the new process; runc gets podman's
#   /usr/share/containers/seccomp.json (docker's profile) turned into
#   linux.seccomp for this architecture and the container's capabilities,
#   as bench/start.sh does, which runc exec applies to the new process too;
#   podman applies that same file itself.  Without that file runc runs
#   without seccomp, and the output says so.
# - podman (4.3) runs with runc (its default, crun, refuses this machine's
#   hybrid cgroups), its own storage on the tmpfs, --network none, the
#   cgroupfs manager and no events log; `podman exec` goes through conmon.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${EXEC_BENCH_RUNS:-30}
GAP=${EXEC_BENCH_GAP:-0.05}
c_run=$PWD/bin/c-run
c_attach=$PWD/bin/c-attach
c_unpack=$PWD/bin/c-unpack
c_image=$PWD/bin/c-image

# shellcheck source=lib/common.bash
source bench/lib/common.bash
bench_built "$c_run" "$c_attach" "$c_unpack" "$c_image"
bench_root "namespaces, cgroups, tmpfs"
[ "$RUNS" -ge 1 ] 2>/dev/null || die "EXEC_BENCH_RUNS=$RUNS: not a number of runs"

# shellcheck source=lib/images.bash
source bench/lib/images.bash
bench_need runc busybox-static skopeo python3
bench_need podman || true # optional: its line is skipped, with the reason, without it
command -v busybox >/dev/null || die "busybox is missing (busybox-static)"
file -L "$(command -v busybox)" 2>/dev/null | grep -q 'statically linked' ||
	die "$(command -v busybox) is not static; it cannot run in a bare rootfs"

bench_tmpfs 512m
id=bench-exec-$$ # runc's container id, also the name of its cgroups
export C_ROOT=$work/root
runc_root=$work/runc
bundle=$work/bundle
podman_args=(--root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp"
	--storage-driver overlay --cgroup-manager cgroupfs --events-backend none)
mkdir -p "$runc_root" "$work/podman"

# --- clean-up: run at exit, even on failure, the last registered first ------------------
# (bench_tmpfs registered the umount and rmdir of $work, which run after these)

# podman (cgroupfs) leaves libpod_parent/conmon in every v1 hierarchy
libpod_before=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name libpod_parent 2>/dev/null)
leftovers() {
	# overlay mounts of c-run or podman, left if a removal failed, would keep
	# the tmpfs busy
	local m
	awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	[ -n "$libpod_before" ] ||
		find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path '*/libpod_parent*' -type d \
			-delete 2>/dev/null || true
	find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -name "$id" -delete 2>/dev/null || true
}
bench_on_exit leftovers
stop_podman() {
	local i
	[ -d "$work/podman/root" ] || return 0
	# the container (runc's state, its overlay); the storage's own mounts go
	# with leftovers, the rest with the tmpfs
	podman "${podman_args[@]}" rm -f -t 0 bench >/dev/null 2>&1 || true
	# conmon ends after the container and starts `podman container cleanup`,
	# which mounts the storage again: wait for both to be gone
	for ((i = 0; i < 100; i++)); do
		running "$work/podman" || return 0
		sleep 0.1
	done
	echo "bench/$bench_name: podman processes still running on $work/podman" >&2
}
bench_on_exit stop_podman
stop_runc() { runc --root "$runc_root" delete --force "$id" >/dev/null 2>&1 || true; }
bench_on_exit stop_runc
stop_c_run() { "$c_run" rm --force bench >/dev/null 2>&1 || true; }
bench_on_exit stop_c_run

# --- the image, the bundle ----------------------------------------------------------------

busybox_image "$C_ROOT" '{"path": "bin/sleep", "type": "symlink", "target": "busybox"}'
"$c_image" tag latest bench-exec >/dev/null
image=bench-exec

"$c_unpack" --copy "$image" "$bundle" >/dev/null || die "c-unpack --copy failed"
seccomp_json=/usr/share/containers/seccomp.json
[ -f "$seccomp_json" ] || seccomp_json=
# c-unpack's config.json, sleeping, with docker's profile as linux.seccomp
# (converted as bench/start.sh does it)
seccomp_note=$(python3 - "$bundle" "$seccomp_json" <<-'PY'
	import json, sys
	bundle, profile = sys.argv[1:3]
	cfg = json.load(open(bundle + "/config.json"))
	cfg["process"]["args"] = ["sleep", "1000000"]
	cfg["process"]["terminal"] = False
	if not profile:
	    json.dump(cfg, open(bundle + "/config.json", "w"))
	    print("no docker profile offline, so runc runs WITHOUT seccomp while c-run "
	          "applies its default and podman its own")
	    sys.exit(0)
	sys.dont_write_bytecode = True
	sys.path.insert(0, "bench/lib")
	import ociseccomp
	counts = ociseccomp.apply(cfg, profile)
	json.dump(cfg, open(bundle + "/config.json", "w"))
	print("c-run's default profile (docker's); runc: %s (%d syscall names in %d rules) as "
	      "linux.seccomp; podman: that file itself"
	      % ((profile,) + counts))
	PY
)

# --- the containers ---------------------------------------------------------------------

declare -A why=()
"$c_run" -d --name bench "$image" sleep 1000000 </dev/null >/dev/null \
	2>"$work/err" || die "c-run -d failed: $(head -c 300 "$work/err")"
runc --root "$runc_root" run -d --bundle "$bundle" "$id" </dev/null >/dev/null 2>"$work/err" ||
	die "runc run -d failed: $(head -c 300 "$work/err")"

tools=(c-attach runc)
if ! command -v podman >/dev/null; then
	why[podman]="podman is not installed (apt-get install podman failed)"
elif ! skopeo copy -q "oci:$C_ROOT:latest" \
	"containers-storage:[overlay@$work/podman/root+$work/podman/run]localhost/$image:latest" \
	>/dev/null 2>"$work/err"; then
	why[podman]="skopeo copy oci: containers-storage: failed: $(head -n 1 "$work/err")"
# podman asks for RLIMIT_NOFILE and RLIMIT_NPROC above the hard limits, which
# fails here without CAP_SYS_RESOURCE (as in bench/start.sh)
elif ! podman "${podman_args[@]}" run -d --name bench --runtime runc --network none \
	--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "localhost/$image" sleep 1000000 \
	</dev/null >/dev/null 2>"$work/err"; then
	why[podman]="podman run -d failed: $(head -n 1 "$work/err")"
else
	tools+=(podman)
fi

# --- the runs -----------------------------------------------------------------------------

exec_in() { # TOOL: one exec of /bin/true; output thrown away, errors in $work/err
	case $1 in
	c-attach) "$c_attach" --exec bench /bin/true ;;
	runc) runc --root "$runc_root" exec "$id" /bin/true ;;
	podman) podman "${podman_args[@]}" exec bench /bin/true ;;
	esac </dev/null >/dev/null 2>"$work/err"
}

declare -A med=() iqr=()
bench_turns exec_in "${tools[@]}"

# --- the table ------------------------------------------------------------------------------

printf 'exec of /bin/true into a running busybox-static container (sleep 1000000), state on tmpfs,\n'
printf 'median of %d runs, tools taking turns (order rotated each round), %ss of quiet before each\n' \
	"$RUNS" "$GAP"
printf '(%s: %s, podman %s)\n' "$(uname -r)" "$(runc --version | head -n 1)" \
	"$(podman --version 2>/dev/null | awk '{ print $3 }')"
printf 'Same image, same isolation defaults (runc: the config.json c-unpack writes).\n'
printf 'seccomp: %s.\n' "$seccomp_note"
printf '  %-40s %10s %12s %12s\n' command median "IQR (ms)" "/ c-attach"
row() { # LABEL TOOL
	awk -v l="$1" -v m="${med[$2]}" -v q="${iqr[$2]}" -v c="${med[c-attach]}" \
		'BEGIN { printf "  %-40s %7.2f ms %12s %11.2fx\n", l, m * 1000, q, m / c }'
}
row "c-attach --exec NAME /bin/true" c-attach
row "runc exec ID /bin/true" runc
if [ -n "${med[podman]:-}" ]; then
	row "podman exec NAME /bin/true (runc)" podman
else
	printf '  %-40s skipped: %s\n' "podman exec NAME /bin/true" "${why[podman]}"
fi
awk -v r="${med[runc]}" -v c="${med[c-attach]}" 'BEGIN {
	printf "Target runc exec / c-attach --exec >= 2.00x: %.2fx, %s\n", r / c,
		(r / c >= 2) ? "met" : "NOT met" }'
[ -z "${med[podman]:-}" ] ||
	printf '  (podman: runc, conmon, --network none, cgroupfs, no events log, own storage on the tmpfs)\n'
