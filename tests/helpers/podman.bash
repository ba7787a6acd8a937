# shellcheck shell=bash
# tests/helpers/podman.bash — podman driving c-run as its OCI runtime, with
# everything of podman's in a directory of the test file's own: its
# configuration, image store, container state, locks, network config and
# c-run's state root.  Nothing here writes the machine's podman state
# (/var/lib/containers/storage, /run/containers, /run/libpod, the shm lock,
# /etc/containers/networks) or c-run's default state root (/run/c-run), but
# for one cache (below).  Load helpers/common and helpers/registry first.
#
#   setup_file()    { podman_setup_file; }
#   teardown_file() { podman_teardown_file; }
#   setup()         { common_setup; podman_setup; }
#   teardown()      { podman_teardown; common_teardown; }
#
# Variables (exported by podman_setup_file):
#   PODMAN_OCI_RUNTIME  the runtime under test: $BIN_DIR/c-run unless set
#                       (set it to runc's path to check the tests themselves)
#   PODMAN_DIR          $BATS_FILE_TMPDIR/podman, all of podman's files:
#                         containers.conf storage.conf registries.conf
#                         policy.json   root/ run/ tmp/ networks/ (podman's)
#                         runtime/NAME  the runtime podman is given (below)
#                         state/        the runtime's state root (--root)
#                         c-root/       c-run's C_ROOT
#                         runtime.log   one line per runtime call: its argv
#   PODMAN_RUNTIME      $PODMAN_DIR/runtime/NAME, NAME the basename of
#                       PODMAN_OCI_RUNTIME: a two-line sh script that logs
#                       its argv and execs `PODMAN_OCI_RUNTIME --root
#                       $PODMAN_DIR/state ARGS` (C_ROOT=$PODMAN_DIR/c-root).
#                       Podman as root gives the runtime no --root (runc's
#                       state would go to /run/runc, c-run's to /run/c-run)
#                       and no environment of ours in most calls; this
#                       script puts the state in the test's dir.  It has the
#                       runtime's name, so podman treats it as the runtime.
#   PODMAN_STATE        $PODMAN_DIR/state
#   BB                  the busybox fixture image, pulled from the test
#                       registry (REGISTRY_BUSYBOX; see helpers/registry)
#   TI                  the c-test-init fixture image (REGISTRY_TEST_INIT;
#                       entrypoint /c-test-init)
#   CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF
#                       the three files above; podman reads only these, and
#                       hands CONTAINERS_CONF on to conmon and to the
#                       `podman container cleanup` conmon runs at exit
# One thing of the machine's is written all the same: containers/image's
# blob info cache, /var/lib/containers/cache/blob-info-cache-v1.boltdb, which
# podman pull (like the skopeo copy of registry_seed) updates as root and
# has no setting for.
#
# containers.conf: the cgroupfs manager (no systemd runs here), no events
# log, file locks under tmp/ (not the shm lock all of the machine's podman
# shares), TMPDIR for conmon (its console sockets, /tmp/conmon-term.XXXXXX
# otherwise, go to tmp/), the k8s-file log driver, no network by default
# (netns "none": no bridge, no netavark, no firewall), pull_policy "never" (a
# run never reaches for a registry), and default_ulimits nofile and nproc 1024:1024:
# podman asks for RLIMIT_NOFILE 1048576 and RLIMIT_NPROC 32768 otherwise,
# above this machine's hard limits, which no runtime can set without
# CAP_SYS_RESOURCE (runc: "error setting rlimits for ready process";
# c-run: "setrlimit RLIMIT_NOFILE 1048576:1048576 (hard limit here 20000)").
#
# Functions:
#   podman_setup_file     the dir and its configuration, the registry, both
#                         images pulled (then the registry is stopped)
#   podman_teardown_file  every container removed, podman's processes waited
#                         for, its mounts undone, the dir and the registry
#                         gone; the libpod_parent cgroups podman made (for
#                         conmon) removed when they were not there before
#   podman_setup          goes to $TEST_TMP (conmon writes to its working
#                         directory); marks where this test's runtime calls
#                         start
#   podman_teardown       removes the test's containers; when the test
#                         failed, prints the last $stderr and the test's
#                         runtime calls
#   pm ARGS...            podman --runtime $PODMAN_RUNTIME ARGS
#   pman [-N|!] ARGS...   pm under bats' run --separate-stderr (-N, ! as
#                         run takes them: the status expected)
#   podman_cmd            the pm command line, quoted for a shell (tmux)
#   ctr_id NAME           the full id of container NAME
#   runtime_calls ID      the runtime calls for ID so far, one a line, the id
#                         left out: "create --bundle ...", "start", ...
#   runtime_verbs ID      only their commands: "create", "start", ...
#   no_trace_of ID        nothing of container ID is left: no runtime state,
#                         no cgroup named for it, no mount, not in podman's
#                         list, no podman container dir

: "${PODMAN_OCI_RUNTIME:=$BIN_DIR/c-run}"
export PODMAN_OCI_RUNTIME

_podman_die() {
	echo "podman: $*" >&2
	return 1
}

pm() {
	podman --runtime "$PODMAN_RUNTIME" "$@"
}

pman() {
	local want=()
	case ${1:-} in -[0-9]* | '!') want=("$1") && shift ;; esac
	run "${want[@]}" --separate-stderr podman --runtime "$PODMAN_RUNTIME" "$@"
}

podman_cmd() {
	printf '%q ' env CONTAINERS_CONF="$CONTAINERS_CONF" \
		CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" \
		CONTAINERS_REGISTRIES_CONF="$CONTAINERS_REGISTRIES_CONF" \
		podman --runtime "$PODMAN_RUNTIME"
}

# shellcheck source=../../scripts/podman-private.bash
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/podman-private.bash"

_podman_config() {
	local d=$PODMAN_DIR name
	name=$(basename "$PODMAN_OCI_RUNTIME")
	mkdir -p "$d"/{runtime,state,c-root}
	export PODMAN_RUNTIME=$d/runtime/$name PODMAN_STATE=$d/state
	cat >"$PODMAN_RUNTIME" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >>'$d/runtime.log'
		C_ROOT='$d/c-root' exec '$PODMAN_OCI_RUNTIME' --root '$PODMAN_STATE' "\$@"
	EOF
	chmod 755 "$PODMAN_RUNTIME"
	: >"$d/runtime.log"
	podman_private "$d" --runtime "$name" "$PODMAN_RUNTIME"
	echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$d/policy.json"
}

podman_setup_file() {
	command -v podman >/dev/null || return 0 # every test skips
	[ -x "$PODMAN_OCI_RUNTIME" ] || { _podman_die "the runtime is not built: $PODMAN_OCI_RUNTIME"; return 1; }
	require_test_init || return 1
	export PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	# podman (cgroupfs) puts conmon in /libpod_parent/conmon of every v1
	# hierarchy and leaves it there
	_PODMAN_LIBPOD_PARENT=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name libpod_parent 2>/dev/null | head -n 1)
	export _PODMAN_LIBPOD_PARENT
	_podman_config || return 1
	registry_start || return 1
	registry_seed busybox test-init || return 1
	local bb=$REGISTRY_BUSYBOX ti=$REGISTRY_TEST_INIT
	podman pull -q --cert-dir "$REGISTRY_CERTS_DIR" --signature-policy "$PODMAN_DIR/policy.json" \
		"$bb" "$ti" >/dev/null || { _podman_die "podman pull from the test registry failed"; return 1; }
	registry_stop
	export BB=$bb TI=$ti
}

# Whether a process has STRING in its command line (the caller's has not).
_podman_running() { # STRING
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		grep -qsF -- "$1" "$p/cmdline" && return 0
	done
	return 1
}

_podman_pids() { # STRING
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		grep -qsF -- "$1" "$p/cmdline" && echo "${p#/proc/}"
	done
}

podman_teardown_file() {
	local i p
	# bats runs this under set -e: nothing here may fail
	if [ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ]; then
		pm rm -af -t 0 >/dev/null 2>&1 || true
		# conmon ends after its container, then runs `podman container
		# cleanup`: both name the dir in their command line
		for ((i = 0; i < 100; i++)); do
			_podman_running "$PODMAN_DIR" || break
			sleep 0.1
		done
		for p in $(_podman_pids "$PODMAN_DIR"); do
			echo "podman: still running, killed: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
			kill -9 "$p" 2>/dev/null || true
		done
		podman_private_umount "$PODMAN_DIR"
		rm -rf "$PODMAN_DIR" || true
	fi
	if [ -z "${_PODMAN_LIBPOD_PARENT:-}" ]; then
		find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path '*/libpod_parent*' -type d \
			-delete 2>/dev/null || true
	fi
	registry_stop
	return 0
}

podman_setup() {
	command -v podman >/dev/null || skip "podman is not installed"
	# conmon works in podman's directory and leaves a file "oom" there when
	# the kernel kills the container for memory
	cd "$TEST_TMP" || return 1
	_PODMAN_LOG_START=$(($(wc -l <"$PODMAN_DIR/runtime.log") + 1))
}

podman_teardown() {
	[ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${_PODMAN_LOG_START:-}" ]; then
		[ -z "${stderr:-}" ] || printf '# the last stderr:\n%s\n' "$stderr" | sed '2,$s/^/#   /'
		echo "# runtime calls of this test ($PODMAN_RUNTIME):"
		tail -n "+$_PODMAN_LOG_START" "$PODMAN_DIR/runtime.log" | sed 's/^/#   /'
	fi
	pm rm -af -t 0 >/dev/null 2>&1 || true
	return 0
}

ctr_id() {
	pm inspect --format '{{.Id}}' "$1"
}

runtime_calls() {
	grep -F -- "$1" "$PODMAN_DIR/runtime.log" | sed "s/ $1\$//; s/ $1 / /"
}

runtime_verbs() {
	runtime_calls "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(create|start|state|kill|delete|exec|run|ps|pause|resume|update|features)$/) { print $i; next } }'
}

no_trace_of() {
	local d
	[ ! -e "$PODMAN_STATE/$1" ] || { echo "runtime state left: $PODMAN_STATE/$1"; return 1; }
	for d in /sys/fs/cgroup/*/libpod_parent/libpod-"$1" /sys/fs/cgroup/*/c-tools/"$1"; do
		[ ! -e "$d" ] || { echo "cgroup left: $d"; return 1; }
	done
	! grep -F "$1" /proc/self/mountinfo || { echo "mount left"; return 1; }
	[ ! -e "$PODMAN_DIR/root/overlay-containers/$1" ] || { echo "podman's container dir left"; return 1; }
	! pm ps -aq --no-trunc | grep -qxF "$1" || { echo "still listed by podman ps -a"; return 1; }
	return 0
}
