# shellcheck shell=bash
# tests/helpers/tmux.bash — a program on a terminal of its own, as a user
# runs it: a tmux pane of 80x24 on the server $TMUX_SOCK, which the suite
# names in setup and kills in teardown.
#
#   in_tmux COMMAND-LINE   run it in the pane; its exit status goes to
#                          $TEST_TMP/rc
#   pane                   what the pane shows
#   pane_has TEXT          the pane shows TEXT
#   keys KEY...            type into the pane (tmux send-keys)
#   tmux_ended             the command line has ended

in_tmux() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	rm -f "$TEST_TMP/rc"
	tmux -L "$TMUX_SOCK" new-session -d -s t -x 80 -y 24 \
		"$*; echo \$? > '$TEST_TMP/rc'; sleep 600"
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

tmux_ended() {
	[ -s "$TEST_TMP/rc" ]
}
