#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-run as podman's OCI runtime (`podman --runtime /path/to/c-run ...`):
# podman and conmon drive it through runc's command line, as they drive runc
# here.  Each test is one thing a podman user does, and checks what the user
# would see: output, exit status, terminal, logs, and the container's cgroup
# and state on the host.  The images come from the test registry on
# 127.0.0.1; podman's configuration and storage and c-run's state root are in
# this file's own directory (helpers/podman.bash has what podman is given
# and why).  PODMAN_OCI_RUNTIME=/usr/sbin/runc runs the same tests with runc,
# which is how they were written: every expectation is runc's behaviour here.
#
# The runtime calls podman 4.3 and conmon 2.1 make with the cgroupfs manager
# (recorded with runc; ID is podman's 64-hex container id, EXEC an exec
# session's dir, FILE podman's own paths under its storage):
#   create   [--log-format=json --log FILE] create --bundle DIR --pid-file FILE
#            [--console-socket /tmp/conmon-term.XXXXXX] ID     (by conmon)
#   start    start ID                                           (by podman)
#   exec     [--log-format=json --log FILE] exec --pid-file EXEC/exec_pid
#            --process EXEC/exec-process-N --detach [--tty --console-socket
#            /tmp/conmon-term.XXXXXX] ID                  (by conmon, in EXEC)
#   stop     kill ID 15, after the timeout kill ID 9, then delete --force ID
#   rm -f    kill ID 9, delete --force ID
#   exit     delete --force ID (by `podman container cleanup`, which conmon
#            runs when the container ends)
# --log-format=json --log only for a runtime podman knows as JSON-speaking
# (named runc or crun); never --root, --systemd-cgroup or --debug here.
# config.json: linux.cgroupsPath "/libpod_parent/libpod-ID" (a path under
# every v1 hierarchy), process.rlimits NOFILE and NPROC 1024:1024 (from
# containers.conf), linux.resources pids.limit 2048 by default, no hooks,
# namespaces pid network ipc uts mount, podman's seccomp profile in
# linux.seccomp, process.terminal true with -t.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/tmux
load helpers/registry
load helpers/podman

setup_file() {
	podman_setup_file
}

teardown_file() {
	podman_teardown_file
}

setup() {
	common_setup
	require_root
	podman_setup
	TMUX_SOCK=c-run-podman-test-$$
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && tmux -L "$TMUX_SOCK" has-session 2>/dev/null; then
		echo "# the terminal:"
		pane | grep . | sed 's/^/#   /'
	fi
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	podman_teardown
	common_teardown
}

# `podman ARGS` in a tmux pane of 80x24 (its own terminal, as a user's);
# its exit status goes to $TEST_TMP/rc.
podman_in_tmux() {
	in_tmux "$(podman_cmd) $*"
}

# Interface names of a /proc/net/dev on stdin, sorted.
ifnames() {
	awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | sort
}

state_of() { # NAME: "STATUS EXITCODE" as podman records them
	pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"
}

is_running() { # NAME
	[ "$(pm inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" = running ]
}

logs_have() { # NAME TEXT
	pm logs "$1" 2>&1 | grep -qxF -- "$2"
}

# ---- podman run --rm -----------------------------------------------------------

@test "podman run --rm: stdout and stderr apart, the exit status passed through, nothing left" {
	pman run --rm --name rm1 "$BB" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
	expect_status 3
	expect_eq "$output" to-stdout "stdout"
	expect_eq "$stderr" to-stderr "stderr"
	pman run --rm "$BB" true
	expect_status 0
	expect_output ""
	# the runtime was c-run (or the one under test): created, started, deleted
	local id
	id=$(grep -E '(^| )create .* [0-9a-f]{64}$' "$PODMAN_DIR/runtime.log" | tail -n 1 | awk '{ print $NF }')
	[ -n "$id" ] || { echo "no create in the runtime log"; return 1; }
	wait_until 5 eval "runtime_verbs $id | grep -qx delete"
	expect_eq "$(runtime_verbs "$id" | tr '\n' ' ')" "create start delete " "runtime calls"
	wait_until 5 no_trace_of "$id"
}

@test "podman run --rm: a command not found gives 127, one not executable 126; no error of the runtime's clean-up" {
	pman -127 run --rm "$BB" no-such-command-xyz
	[[ $stderr == *no-such-command-xyz* ]] || { echo "the error does not name the command: $stderr"; return 1; }
	# podman deletes what create left with `delete --force`, which must not
	# fail when create left nothing (runc: status 0, no output)
	[[ $stderr != *"no such container"* ]] || { echo "stderr: $stderr"; return 1; }
	pman run --rm "$BB" /etc/passwd
	expect_status 126
	[[ $stderr == */etc/passwd* ]] || { echo "the error does not name the file: $stderr"; return 1; }
	[[ $stderr != *"no such container"* ]] || { echo "stderr: $stderr"; return 1; }
}

# ---- podman run -it: the console socket -----------------------------------------

@test "podman run -it: a shell on a terminal (the pty through --console-socket), its size, its exit status" {
	podman_in_tmux run -it --rm --name it "$BB" sh
	wait_until 10 pane_has '/ #'
	keys 'tty; busybox stty size; echo hel''lo-$((6*7))' Enter
	wait_until 5 pane_has hello-42
	pane_has /dev/pts/0
	pane_has "24 80"
	keys 'exit 5' Enter
	wait_until 10 tmux_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 5 "podman's status"
	# the runtime was handed a console socket by conmon
	grep -qE '(^| )create .*--console-socket ' "$PODMAN_DIR/runtime.log"
}

# ---- resources and isolation ----------------------------------------------------

@test "podman run --memory 32m: the limit in the container's memory cgroup; using more is killed (137)" {
	pman run --rm "$TI" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	expect_status 0
	[ "$output" -gt $((1 << 40)) ] || { echo "a limit without --memory: $output"; return 1; }
	pman run --rm --memory 32m "$TI" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	expect_status 0
	expect_output 33554432
	# the same file seen from the host, while it runs
	pm run -d --name mem --memory 32m "$TI" sleep inf >/dev/null
	local id
	id=$(ctr_id mem)
	expect_eq "$(cat "/sys/fs/cgroup/memory/libpod_parent/libpod-$id/memory.limit_in_bytes")" 33554432 \
		"host's memory.limit_in_bytes"
	pman run --rm --memory 32m "$TI" mem 64 -- echo survived
	expect_status 137
	expect_output ""
}

@test "podman run --pids-limit 10: pids.max is 10; the 10th process cannot be forked" {
	pman run --rm --pids-limit 10 "$TI" cat /sys/fs/cgroup/pids/pids.max
	expect_status 0
	expect_output 10
	pman run --rm --pids-limit 10 "$TI" fork-bomb-lite 20
	expect_status 0
	expect_output "forked 9 of 20 (Resource temporarily unavailable)"
	# podman's default is 2048
	pman run --rm "$TI" cat /sys/fs/cgroup/pids/pids.max
	expect_output 2048
}

@test "podman run --network none: the only interface is lo" {
	pman run --rm --network none "$BB" cat /proc/net/dev
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | ifnames | tr '\n' ' ')" "lo " "interfaces"
	[ "$(ifnames </proc/net/dev | wc -l)" -gt 1 ] || return 0 # the host has only lo too
	pman run --rm --network none "$BB" readlink /proc/self/ns/net
	[ "$output" != "$(readlink /proc/self/ns/net)" ] || { echo "the host's network namespace"; return 1; }
}

@test "podman run --user: 1000:1000 as given; a name from the image's /etc/passwd with its groups" {
	pman run --rm --user 1000:1000 "$BB" id
	expect_status 0
	expect_output "uid=1000(user) gid=1000(user) groups=1000(user)"
	pman run --rm --user user "$BB" sh -c 'id; echo $HOME'
	expect_status 0
	expect_output "$(printf 'uid=1000(user) gid=1000(user) groups=100(users),1000(user)\n/home/user')"
	pman run --rm --user nobody "$BB" id -u
	expect_status 0
	expect_output 65534
}

@test "podman run -v: a host file visible and writable in the container, a :ro one not writable" {
	mkdir "$TEST_TMP/vol"
	echo from-host >"$TEST_TMP/vol/f"
	pman run --rm -v "$TEST_TMP/vol:/data" "$BB" sh -c 'cat /data/f; echo from-container >>/data/f; echo new >/data/g'
	expect_status 0
	expect_output from-host
	expect_eq "$(cat "$TEST_TMP/vol/f")" "$(printf 'from-host\nfrom-container')" "the host's file"
	expect_eq "$(cat "$TEST_TMP/vol/g")" new "a file made in the container"
	expect_eq "$(stat -c %u:%g "$TEST_TMP/vol/g")" 0:0 "its owner"
	pman run --rm -v "$TEST_TMP/vol:/data:ro" "$BB" sh -c 'cat /data/g; echo x >/data/f'
	expect_status 1
	expect_output new
	[[ $stderr == *"Read-only file system"* ]] || { echo "stderr: $stderr"; return 1; }
	expect_eq "$(cat "$TEST_TMP/vol/f")" "$(printf 'from-host\nfrom-container')" "unchanged"
}

# ---- a detached container: run -d, logs, exec, stop, rm -----------------------------

@test "podman run -d: the container runs; podman logs shows its stdout and stderr, and after it ends" {
	pman run -d --name logs "$BB" sh -c 'echo line-1; echo line-2 >&2; sleep 1000'
	expect_status 0
	[[ $output =~ ^[0-9a-f]{64}$ ]] || { echo "not an id: $output"; return 1; }
	expect_eq "$(ctr_id logs)" "$output" "id"
	expect_eq "$(pm inspect --format '{{.OCIRuntime}}' logs)" "$PODMAN_RUNTIME" "its runtime"
	wait_until 5 logs_have logs line-2
	is_running logs
	pman logs logs
	expect_status 0
	expect_eq "$output" line-1 "stdout"
	expect_eq "$stderr" line-2 "stderr"
	pm kill logs >/dev/null
	wait_until 5 eval '! is_running logs'
	pman logs logs
	expect_eq "$output" line-1 "stdout after the end"
}

@test "podman exec: output, exit status, in the container's namespaces, --user, -e, -w" {
	pm run -d --name ex "$BB" sleep 1000 >/dev/null
	local id
	id=$(ctr_id ex)
	pman exec ex sh -c 'echo to-stdout; echo to-stderr >&2; exit 4'
	expect_status 4
	expect_eq "$output" to-stdout "stdout"
	expect_eq "$stderr" to-stderr "stderr"
	# the container's pid namespace (its command is pid 1) and host name
	pman exec ex sh -c 'tr "\0" " " </proc/1/cmdline; echo; hostname'
	expect_status 0
	expect_output "$(printf 'sleep 1000 \n%s' "${id:0:12}")"
	# (podman run --user adds the user's own group to the groups; exec not)
	pman exec --user user ex id
	expect_status 0
	expect_output "uid=1000(user) gid=1000(user) groups=100(users)"
	pman exec -e X=1 -w /tmp ex sh -c 'echo $X; pwd'
	expect_status 0
	expect_output "$(printf '1\n/tmp')"
	pman -127 exec ex no-such-command-xyz
	is_running ex
}

@test "podman exec -it: a shell on a terminal in the running container, its exit status" {
	pm run -d --name exit "$BB" sleep 1000 >/dev/null
	podman_in_tmux exec -it --user user exit sh
	wait_until 10 pane_has '$'
	keys 'tty; busybox stty size; echo I am $(id -un), $((6*7))' Enter
	wait_until 5 pane_has "I am user, 42"
	pane_has /dev/pts/0
	pane_has "24 80"
	keys 'exit 6' Enter
	wait_until 10 tmux_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 6 "podman's status"
	is_running exit
	grep -qE '(^| )exec .*--tty --console-socket ' "$PODMAN_DIR/runtime.log"
}

@test "podman stop: SIGTERM reaches the container, its status is recorded; one that ignores it is killed after -t" {
	pm run -d --name stopme "$BB" sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	wait_until 5 logs_have stopme ready
	local t0=$EPOCHSECONDS
	pman stop stopme
	expect_status 0
	expect_output stopme
	[ $((EPOCHSECONDS - t0)) -lt 5 ] || { echo "stop took $((EPOCHSECONDS - t0)) s"; return 1; }
	expect_eq "$(state_of stopme)" "exited 7" "state"
	logs_have stopme got-term
	# sleep as pid 1 has no handler for TERM: the kernel ignores it
	pm run -d --name ignores "$BB" sleep 1000 >/dev/null
	wait_until 5 is_running ignores
	t0=$EPOCHSECONDS
	pman stop -t 1 ignores
	expect_status 0
	expect_eq "$(state_of ignores)" "exited 137" "state"
	[ $((EPOCHSECONDS - t0)) -ge 1 ] || { echo "stopped before the timeout"; return 1; }
	# a stopped container starts again
	pman start ignores
	expect_status 0
	wait_until 5 is_running ignores
}

@test "podman rm: nothing of the container is left: no runtime state, cgroup or mount; rm -f of a running one too" {
	pm run -d --name gone "$BB" sleep 1000 >/dev/null
	local id
	id=$(ctr_id gone)
	# while it runs: the runtime's state and the cgroup podman asked for
	[ -e "$PODMAN_STATE/$id" ] || { echo "no state dir $PODMAN_STATE/$id"; ls "$PODMAN_STATE"; return 1; }
	[ -d "/sys/fs/cgroup/pids/libpod_parent/libpod-$id" ] || { echo "no cgroup libpod_parent/libpod-$id"; return 1; }
	pman stop -t 0 gone
	expect_status 0
	pman rm gone
	expect_status 0
	expect_output gone
	no_trace_of "$id"
	run -125 pm inspect gone
	# rm -f: a running container is killed and removed
	pm run -d --name gone2 "$BB" sleep 1000 >/dev/null
	id=$(ctr_id gone2)
	pman rm -f -t 0 gone2
	expect_status 0
	no_trace_of "$id"
}
