#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-attach: attaching to containers started with `c-run -d`.  Terminal
# behaviour is driven through tmux (send-keys, capture-pane, resize-window):
# c-attach runs in a tmux pane as it would in a user's terminal.

bats_require_minimum_version 1.5.0

load helpers/common
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
	rm -f "$TEST_TMP/rc"
	tmux -L "$TMUX_SOCK" new-session -d -s t -x 80 -y 24 \
		"'$BIN_DIR/c-attach' --root '$STATE' $*; echo \$? > '$TEST_TMP/rc'; sleep 600"
}

pane() {
	tmux -L "$TMUX_SOCK" capture-pane -p -t t
}

pane_has() {
	pane | grep -qF -- "$1"
}

keys() {
	tmux -L "$TMUX_SOCK" send-keys -t t "$@"
}

attach_ended() {
	[ -s "$TEST_TMP/rc" ]
}

@test "a terminal: type a command and see its output; resize; detach with ctrl-p ctrl-q; re-attach; the exit status" {
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
	wait_until 5 attach_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 0 "status after detaching"
	is_running term
	tmux -L "$TMUX_SOCK" kill-server
	# re-attach, and end the shell
	attach_in_tmux term
	sleep 0.3
	keys 'echo again' Enter
	wait_until 5 pane_has again
	keys 'exit 3' Enter
	wait_until 5 attach_ended
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
	! attach_ended || { echo "detached on z z"; return 1; }
	keys q
	wait_until 5 attach_ended
	expect_eq "$(cat "$TEST_TMP/rc")" 0 "status after detaching"
	is_running keys
	run -2 --separate-stderr "$BIN_DIR/c-attach" --root "$STATE" --detach-keys ctrl-1 keys
	[[ $stderr == 'c-attach: --detach-keys "ctrl-1": "ctrl-1" is not a key'* ]]
}

@test "no terminal: stdin passed on and closed at its end, stdout and stderr apart, the status" {
	detach -i --name pipe bb sh -c 'cat; echo to-stderr >&2; exit 4'
	run --separate-stderr "$BIN_DIR/c-attach" --root "$STATE" pipe <<<"typed in"
	expect_status 4
	expect_eq "$output" "typed in" "stdout"
	expect_eq "$stderr" to-stderr "stderr"
}

@test "--no-stdin and --logs: earlier output first, input not passed on" {
	detach -i --name quiet bb sh -c 'echo early; sleep 1; echo late; read x; echo "read [$x]"'
	wait_until 5 eval 'cr logs quiet | grep -q early'
	# signals are passed on to the container (whose sh, as pid 1, ignores
	# TERM): only SIGKILL ends c-attach here
	run --separate-stderr timeout -s KILL 5 "$BIN_DIR/c-attach" --root "$STATE" --no-stdin --logs quiet <<<"never"
	# still waiting for input when timeout ends it: nothing was passed on
	expect_status 137
	expect_eq "$output" "$(printf 'early\nlate')" "log, then what followed"
}

@test "several clients at once each get the output" {
	detach --name multi bb sh -c 'sleep 1; echo for-all; exit 0'
	"$BIN_DIR/c-attach" --root "$STATE" --no-stdin multi >"$TEST_TMP/a" &
	local a=$!
	"$BIN_DIR/c-attach" --root "$STATE" --no-stdin multi >"$TEST_TMP/b" &
	local b=$!
	wait "$a"
	wait "$b"
	expect_eq "$(cat "$TEST_TMP/a")" for-all "first client"
	expect_eq "$(cat "$TEST_TMP/b")" for-all "second client"
}

@test "errors: no such container (4), a stopped one (1), one without a supervisor (1)" {
	run -4 --separate-stderr "$BIN_DIR/c-attach" --root "$STATE" nothing-here
	[[ $stderr == "c-attach: "*nothing-here* ]]
	detach --name done bb true
	cr wait done >/dev/null
	run -1 --separate-stderr "$BIN_DIR/c-attach" --root "$STATE" done
	[[ $stderr == "c-attach: container done is not running" ]]
	"$BIN_DIR/c-run" --root "$STATE" --name fg bb sleep 5 >/dev/null 2>&1 3>&- &
	wait_until 5 is_running fg
	run -1 --separate-stderr "$BIN_DIR/c-attach" --root "$STATE" fg
	[[ $stderr == "c-attach: container fg has no supervisor to attach to"* ]]
	cr kill fg KILL
}
