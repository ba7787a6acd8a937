#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-attach: attaching to containers started with `c-run -d`.  Terminal
# behaviour is driven through tmux (send-keys, capture-pane, resize-window):
# c-attach runs in a tmux pane as it would in a user's terminal.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/tmux
load helpers/registry
load helpers/c-run

setup_file() {
	c_run_setup_file
}

setup() {
	common_setup
	require_root
	command -v tmux >/dev/null || skip "tmux is not installed"
	TMUX_SOCK=c-attach-test-$$
}

teardown() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	c_run_teardown
	common_teardown
}

# c-attach ARGS in a tmux pane of 80x24; its exit status goes to $TEST_TMP/rc.
attach_in_tmux() {
	in_tmux "'$BIN_DIR/c-attach' $*"
}

@test "a terminal session: output, resizing, detaching and re-attaching reach the same container, to its exit status" {
	detach -it --name term bb sh
	attach_in_tmux term
	sleep 0.3
	keys 'echo hel''lo-from-$((6*7))' Enter
	wait_until 5 pane_has hello-from-42
	# the window size at attach, and after a resize
	keys 'busybox stty size' Enter
	wait_until 5 pane_has "24 80"
	tmux -L "$TMUX_SOCK" resize-window -t t -x 100 -y 30
	sleep 0.3
	keys 'busybox stty size' Enter
	wait_until 5 pane_has "30 100"
	# detach: c-attach ends with 0, the container goes on
	keys C-p C-q
	wait_until 5 tmux_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 0 "status after detaching"
	is_running term
	tmux -L "$TMUX_SOCK" kill-server
	# re-attach, and end the shell
	attach_in_tmux term
	sleep 0.3
	keys 'echo again' Enter
	wait_until 5 pane_has again
	keys 'exit 3' Enter
	wait_until 5 tmux_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 3 "the container's status"
	expect_eq "$(cr wait term)" 3 "recorded"
}

@test "--detach-keys: other keys detach; a first key that is not followed by the rest is passed on" {
	detach -it --name keys bb sh
	attach_in_tmux --detach-keys z,q keys
	sleep 0.3
	# z then not q: the z is input
	keys 'echo pizza-z' Enter
	wait_until 5 pane_has pizza-z
	keys z z
	sleep 0.3
	! tmux_ended || { echo "detached on z z"; return 1; }
	keys q
	# (the pane, should it not: this failed once in CI, not since)
	wait_until 5 tmux_ended || { pane; return 1; }
	expect_eq "$(cat "$TEST_TMP/rc")" 0 "status after detaching"
	is_running keys
	run -2 --separate-stderr "$BIN_DIR/c-attach" --detach-keys ctrl-1 keys
	[[ $stderr == 'c-attach: --detach-keys "ctrl-1": "ctrl-1" is not a key'* ]]
}

@test "no terminal: stdin passed on and closed at its end, stdout and stderr apart, the status" {
	detach -i --name pipe bb sh -c 'cat; echo to-stderr >&2; exit 4'
	run --separate-stderr "$BIN_DIR/c-attach" pipe <<<"typed in"
	expect_status 4
	expect_eq "$output" "typed in" "stdout"
	expect_eq "$stderr" to-stderr "stderr"
}

@test "--no-stdin and --logs: earlier output first, input not passed on" {
	detach -i --name quiet bb sh -c 'echo early; sleep 1; echo late; read x; echo "read [$x]"'
	wait_until 5 eval 'cr logs quiet | grep -q early'
	# signals are passed on to the container (whose sh, as pid 1, ignores
	# TERM): only SIGKILL ends c-attach here
	run --separate-stderr timeout -s KILL 5 "$BIN_DIR/c-attach" --no-stdin --logs quiet <<<"never"
	# still waiting for input when timeout ends it: nothing was passed on
	expect_status 137
	expect_eq "$output" "$(printf 'early\nlate')" "log, then what followed"
}

@test "several clients at once each get the output" {
	detach --name multi bb sh -c 'sleep 1; echo for-all; exit 0'
	"$BIN_DIR/c-attach" --no-stdin multi >"$TEST_TMP/a" &
	local a=$!
	"$BIN_DIR/c-attach" --no-stdin multi >"$TEST_TMP/b" &
	local b=$!
	wait "$a"
	wait "$b"
	expect_eq "$(cat "$TEST_TMP/a")" for-all "first client"
	expect_eq "$(cat "$TEST_TMP/b")" for-all "second client"
}

@test "errors: no such container (4), a stopped one (1), one without a supervisor (1)" {
	run -4 --separate-stderr "$BIN_DIR/c-attach" nothing-here
	[[ $stderr == "c-attach: "*nothing-here* ]]
	detach --name done bb true
	cr wait done >/dev/null
	run -1 --separate-stderr "$BIN_DIR/c-attach" done
	[[ $stderr == "c-attach: container done is not running" ]]
	"$BIN_DIR/c-run" --name fg bb sleep 5 >/dev/null 2>&1 3>&- &
	wait_until 5 is_running fg
	run -1 --separate-stderr "$BIN_DIR/c-attach" fg
	[[ $stderr == "c-attach: container fg has no supervisor to attach to"* ]]
	oci kill fg KILL
}

# ---- --exec ---------------------------------------------------------------------------

# The pid of the container's pid 1, from its state.
pid1() {
	state_field "$1" 's["pid"]'
}

@test "--exec joins every namespace and the cgroup of the container, with its caps, seccomp and no_new_privs" {
	detach --name ns bb sleep 600
	local pid ns want got
	pid=$(pid1 ns)
	run --separate-stderr "$BIN_DIR/c-attach" --exec ns sh -c \
		'for n in mnt pid net ipc uts cgroup; do readlink /proc/self/ns/$n; done'
	expect_status 0
	want=$(for ns in mnt pid net ipc uts cgroup; do readlink "/proc/$pid/ns/$ns"; done)
	expect_eq "$output" "$want" "namespaces"
	[ "$(readlink /proc/self/ns/net)" != "$(readlink "/proc/$pid/ns/net")" ]
	run --separate-stderr "$BIN_DIR/c-attach" --exec ns cat /proc/self/cgroup
	# in the container's cgroup namespace the cgroup is its root
	expect_eq "$(echo "$output" | grep -c ':/$')" "$(echo "$output" | wc -l)" "cgroup lines at the root"
	got=$("$BIN_DIR/c-attach" --exec ns grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status)
	want=$(grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status")
	expect_eq "$got" "$want" "capabilities, no_new_privs, seccomp"
	# the exec'd process is in the container's cgroup on the host too
	"$BIN_DIR/c-attach" --exec ns sh -c 'cat /sys/fs/cgroup/pids/pids.current 2>/dev/null; sleep 2' >/dev/null &
	local bg=$!
	sleep 1
	local cg=/sys/fs/cgroup/pids/c-tools/$(state_field ns 's["id"]')
	# the container's sleep and the exec's sh
	[ "$(wc -l <"$cg/cgroup.procs")" -eq 2 ] || { cat "$cg/cgroup.procs"; return 1; }
	wait "$bg"
}

@test "--exec: the user from the container's /etc/passwd, -w, -e, --privileged" {
	detach --name who bb sleep 600
	run --separate-stderr "$BIN_DIR/c-attach" --exec who id
	expect_eq "$output" "uid=0(root) gid=0(root)" "root by default"
	run --separate-stderr "$BIN_DIR/c-attach" --exec -u user who sh -c 'id; echo $HOME'
	expect_eq "$output" "$(printf 'uid=1000(user) gid=1000(user) groups=100(users)\n/home/user')" "-u user"
	run --separate-stderr "$BIN_DIR/c-attach" --exec -u 1000:100 who id
	# a group given: no additional groups (runc's and docker's rule)
	expect_eq "$output" "uid=1000(user) gid=100(users)" "-u 1000:100"
	run --separate-stderr "$BIN_DIR/c-attach" --exec -u nobody-here who id
	expect_status 125
	[[ $stderr == "c-attach: "*nobody-here* ]]
	run --separate-stderr "$BIN_DIR/c-attach" --exec -w /tmp -e X=1 -e PATH=/bin who sh -c 'pwd; echo $X $PATH'
	expect_eq "$output" "$(printf '/tmp\n1 /bin')" "-w, -e"
	run --separate-stderr "$BIN_DIR/c-attach" --exec --privileged who grep CapEff /proc/self/status
	expect_eq "$output" "$(grep CapBnd /proc/self/status | sed 's/CapBnd/CapEff/')" "--privileged"
}

@test "--exec: exit statuses, stdin with -i only, a stopped container refused" {
	detach --name st bb sleep 600
	run -5 "$BIN_DIR/c-attach" --exec st sh -c 'exit 5'
	run -127 --separate-stderr "$BIN_DIR/c-attach" --exec st no-such-cmd
	[[ $stderr == "c-attach: "*no-such-cmd* ]]
	run -126 --separate-stderr "$BIN_DIR/c-attach" --exec st /etc/passwd
	run -137 "$BIN_DIR/c-attach" --exec st sh -c 'kill -9 $$'
	run --separate-stderr "$BIN_DIR/c-attach" --exec -i st cat <<<"given"
	expect_eq "$output" given "-i"
	run --separate-stderr "$BIN_DIR/c-attach" --exec st cat <<<"not given"
	expect_eq "$output" "" "no -i"
	cr stop -t 0 st >/dev/null
	run -1 --separate-stderr "$BIN_DIR/c-attach" --exec st true
	[[ $stderr == "c-attach: container st is not running" ]]
}

@test "--exec: 10 in parallel all succeed" {
	detach --name par bb sleep 600
	local i pids=()
	for i in $(seq 10); do
		"$BIN_DIR/c-attach" --exec par sh -c "echo exec-$i" >"$TEST_TMP/out.$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq 10); do
		wait "${pids[$((i - 1))]}" || { echo "exec $i failed: $(cat "$TEST_TMP/out.$i")"; return 1; }
		expect_eq "$(cat "$TEST_TMP/out.$i")" "exec-$i" "exec $i"
	done
}

@test "--exec -it: a shell on a terminal, its status" {
	detach --name shell bb sleep 600
	attach_in_tmux --exec -it -u user shell sh
	sleep 0.3
	keys 'echo I am $(id -un), $((6*7))' Enter
	wait_until 5 pane_has "I am user, 42"
	keys 'busybox stty size' Enter
	wait_until 5 pane_has "24 80"
	keys 'exit 4' Enter
	wait_until 5 tmux_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 4 "the shell's status"
	is_running shell
}
