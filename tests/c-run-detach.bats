#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-run's detached containers: `c-run -d` and the lifecycle around it — ps,
# logs, wait, stop, kill, rm — with no daemon: a supervisor per container
# holds its pipes or terminal, keeps its log, records how it ended and
# serves the attach socket (talked to here by helpers/attach-client.py).

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/c-run

setup_file() {
	c_run_setup_file
}

attach_client() {
	"$REPO_ROOT/tests/helpers/attach-client.py" "$(runtime_dir "$1")" "${@:2}"
}

has_log_line() { # ID TEXT
	cr logs "$1" 2>/dev/null | grep -qxF "$2"
}

# ---- -d, ps, logs, wait --------------------------------------------------------------

@test "-d returns the id while the container runs, and ps and wait follow it to its status" {
	local t0
	t0=$(date +%s)
	detach --name web bb sh -c 'echo started; sleep 2; exit 7'
	expect_eq "$(cr ps -q)" "${id:0:12}" "ps -q"
	run_cr ps
	expect_status 0
	expect_output_re '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +NAMES' 
	[[ ${lines[1]} == "${id:0:12}  bb "*'"sh -c echo starte…"'*"Up "*"web" ]] ||
		{ echo "ps line: ${lines[1]}"; return 1; }
	run_cr wait web
	expect_status 0
	expect_eq "$output" 7 "wait"
	[ $(($(date +%s) - t0)) -ge 2 ] || { echo "wait returned before the container ended"; return 1; }
	# stopped: only ps -a lists it, with its exit status
	expect_eq "$(cr ps -q)" "" "ps -q after the end"
	run_cr ps -a
	[[ ${lines[1]} == *"Exited (7) "*" ago"*web ]] || { echo "ps -a line: ${lines[1]}"; return 1; }
	expect_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["c-tools"]["exitCode"])' "$C_ROOT/containers/$id/state.json")" 7 "recorded exit code"
	run_cr logs web
	expect_eq "$output" started "logs"
}

@test "logs: stdout and stderr apart, byte for byte, --tail, --timestamps" {
	detach bb sh -c 'echo one; echo err1 >&2; printf "two\nthree"; echo; printf "no newline"'
	run_cr wait "$id"
	expect_eq "$output" 0 "wait"
	run --separate-stderr "$BIN_DIR/c-run" logs "$id"
	expect_status 0
	expect_eq "$output" "$(printf 'one\ntwo\nthree\nno newline')" "stdout"
	expect_eq "$stderr" err1 "stderr"
	# the last line has no newline, and keeps having none
	cr logs "$id" 2>/dev/null | od -c | tail -2 | head -1 | grep -q 'n   e   w   l   i   n   e$' ||
		{ cr logs "$id" | od -c; return 1; }
	run_cr logs --tail 2 "$id"
	expect_eq "$output" "$(printf 'three\nno newline')" "--tail 2"
	run_cr logs --tail 0 "$id"
	expect_eq "$output" "" "--tail 0"
	run --separate-stderr "$BIN_DIR/c-run" logs -t "$id"
	[[ ${lines[0]} =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ one$ ]] ||
		{ echo "timestamped: ${lines[0]}"; return 1; }
	# the file is the CRI format podman and Kubernetes use
	grep -qE '^[^ ]+Z stderr F err1$' "$C_ROOT/containers/$id/container.log"
	grep -qE '^[^ ]+Z stdout P no newline$' "$C_ROOT/containers/$id/container.log"
}

@test "logs -f follows the container to its end" {
	detach bb sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done'
	run --separate-stderr timeout 10 "$BIN_DIR/c-run" logs -f "$id"
	expect_status 0
	expect_eq "$output" "$(printf 'line1\nline2\nline3')" "followed"
}

@test "the log is capped: --log-opt max-size and max-file rotate it, logs reads across files" {
	detach --log-opt max-size=2k --log-opt max-file=3 bb sh -c \
		'i=0; while [ $i -lt 400 ]; do echo "line $i"; i=$((i + 1)); done'
	run_cr wait "$id"
	local size
	size=$(cat "$C_ROOT/containers/$id"/container.log* | wc -c)
	[ "$size" -le $((3 * 2048)) ] || { echo "log files hold $size bytes"; return 1; }
	[ -e "$C_ROOT/containers/$id/container.log.2" ]
	[ ! -e "$C_ROOT/containers/$id/container.log.3" ]
	run_cr logs "$id"
	# the newest lines are all there, in order, up to the last one
	expect_eq "${lines[-1]}" "line 399" "last line"
	expect_eq "$(printf '%s\n' "${lines[@]}" | sed 's/line //' | awk 'NR > 1 && $1 != p + 1 { bad = 1 } { p = $1 } END { print bad + 0 }')" 0 "gaps"
	[ "${#lines[@]}" -gt 50 ] && [ "${#lines[@]}" -lt 400 ] || { echo "${#lines[@]} lines kept"; return 1; }
}

@test "logs of a foreground container: refused, naming it" {
	run_cr --name fg bb true
	run_cr logs fg
	expect_status 1
	expect_error_line fg "no log"
}

# ---- stop, kill, rm -------------------------------------------------------------------

@test "stop: the stop signal, then SIGKILL after the grace time" {
	# a shell as pid 1 ignores SIGTERM: it takes SIGKILL, 137
	detach --name deaf bb sleep 60
	run_cr stop -t 1 deaf
	expect_status 0
	expect_eq "$output" deaf "stop prints the name"
	expect_eq "$(cr wait deaf)" 137 "status after SIGKILL"
	# a container that handles SIGTERM ends with its own status
	detach --name polite bb sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done'
	wait_until 5 has_log_line polite ready
	run_cr stop polite
	expect_status 0
	expect_eq "$(cr wait polite)" 42 "status after SIGTERM"
	# --stop-signal is the container's own
	detach --name usr1 --stop-signal USR1 bb sh -c 'trap "exit 11" USR1; echo ready; while :; do sleep 0.1; done'
	wait_until 5 has_log_line usr1 ready
	run_cr stop usr1
	expect_eq "$(cr wait usr1)" 11 "status after --stop-signal USR1"
	# stopping a stopped container is no error
	run_cr stop usr1
	expect_status 0
}

@test "kill sends a signal; rm refuses a running container, rm -f removes it and leaves nothing" {
	detach --name k bb sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done'
	wait_until 5 has_log_line k ready
	run_oci kill k USR1
	expect_status 0
	wait_until 5 has_log_line k got-usr1
	run_cr rm k
	expect_status 1
	expect_error_line "$id" running
	[ -d "$C_ROOT/containers/$id" ]
	[ -d "/sys/fs/cgroup/pids/c-tools/$id" ]
	run_cr rm -f k
	expect_status 0
	expect_eq "$output" k "rm prints the name"
	no_trace_of "$id"
}

@test "-d --rm: once ended, nothing is left; wait still gets the status" {
	detach --rm --memory 64m bb sh -c 'echo x > /upper-file; sleep 1; exit 5'
	[ -d "$C_ROOT/containers/$id/upper" ]
	run_cr wait "$id"
	expect_eq "$output" 5 "wait"
	wait_until 5 no_trace_of "$id"
}

@test "-d --timeout: stopped after that long, status 124" {
	detach --timeout 1 --stop-timeout 1 bb sleep 60
	run_cr wait "$id"
	expect_eq "$output" 124 "wait"
}

# ---- errors ---------------------------------------------------------------------------

@test "-d with a command that is not found: 127 and the reason, nothing left" {
	run -127 --separate-stderr "$BIN_DIR/c-run" -d bb no-such-command-xyz
	expect_error_line no-such-command-xyz
	expect_eq "$(find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock)" "" "state dirs"
	expect_eq "$(ls "$C_ROOT/containers")" "" "data dirs"
}

@test "-d with a name that is taken: refused, the first one untouched" {
	detach --name twin bb sleep 60
	local first=$id
	run_cr -d --name twin bb true
	expect_status 125
	expect_error_line twin "$first"
	is_running twin
	expect_eq "$(cr ps -q)" "${first:0:12}" "one container"
}

# ---- the attach socket ----------------------------------------------------------------

@test "attach socket: output streamed to a client, input with -i, end of input, the exit status" {
	detach -i bb sh -c 'echo hello; cat; echo err >&2; exit 6'
	run attach_client "$id" --hello
	expect_eq "$output" "notty stdin" "hello"
	run --separate-stderr attach_client "$id" --input "$(printf 'typed\n')" --eof
	expect_status 6
	expect_eq "$output" typed "stdout seen by the client"
	expect_eq "$stderr" err "stderr seen by the client"
	run_cr logs "$id"
	expect_eq "$output" "$(printf 'hello\ntyped')" "log"
}

@test "attach socket with -t: a terminal, resized by the client" {
	detach -t bb sh -c 'while [ "$(busybox stty size)" != "30 100" ]; do sleep 0.1; done; echo resized; exit 0'
	run attach_client "$id" --hello
	expect_eq "$output" "tty nostdin" "hello"
	run timeout 10 "$REPO_ROOT/tests/helpers/attach-client.py" "$(runtime_dir "$id")" --resize 30 100
	expect_status 0
	expect_output_re resized
	run_cr logs "$id"
	expect_output_re resized
}

@test "a client that stops reading is dropped, not the container" {
	detach bb sh -c 'echo ready; sleep 1; yes | head -c 20000000; echo done'
	wait_until 5 has_log_line "$id" ready
	# connected, never reading
	python3 -c 'import os, socket, sys, time
d = os.open(sys.argv[1], os.O_PATH)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/proc/self/fd/%d/attach" % d)
time.sleep(8)' "$(runtime_dir "$id")" &
	local client=$!
	run timeout 20 "$BIN_DIR/c-run" wait "$id"
	kill "$client" 2>/dev/null || true
	expect_eq "$output" 0 "wait"
	cr logs --tail 1 "$id" | grep -qx done
}

@test "bad input: --log-opt, logs --tail, an unknown container" {
	run -2 --separate-stderr "$BIN_DIR/c-run" -d --log-opt color=red bb true
	expect_error_line "--log-opt" color=red
	run -2 --separate-stderr "$BIN_DIR/c-run" -d --log-opt max-size=lots bb true
	expect_error_line "max-size"
	expect_eq "$(find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock 2>/dev/null)" "" "state dirs"
	run -4 --separate-stderr "$BIN_DIR/c-run" logs nobody
	expect_error_line nobody
	run -4 --separate-stderr "$BIN_DIR/c-run" stop nobody
	expect_error_line nobody
	run -4 --separate-stderr "$BIN_DIR/c-run" wait nobody
	expect_error_line nobody
	detach --name t bb sleep 60
	run -2 --separate-stderr "$BIN_DIR/c-run" logs --tail many t
	expect_error_line "--tail"
}

# ---- the record: one directory under $C_ROOT, after a reboot too ---------------

@test "a container's record and files are one directory under \$C_ROOT/containers; its socket in /run/c-tools" {
	detach --name rec bb sleep 100
	[ -f "$C_ROOT/containers/$id/state.json" ] && [ -f "$C_ROOT/containers/$id/config.json" ] &&
		[ -f "$C_ROOT/containers/$id/container.log" ] || { ls -la "$C_ROOT/containers/$id"; return 1; }
	[ -S "$(runtime_dir rec)/attach" ] || { echo "no socket in $(runtime_dir rec)"; return 1; }
	[ ! -e "$STATE/$id" ]
	run_cr inspect rec
	expect_status 0
	expect_eq "$(python3 -c 'import json, sys; c = json.load(sys.stdin)[0]
print(c["Id"], c["Name"], c["State"]["Status"], c["State"]["Running"], c["Path"], c["Args"])' <<<"$output")" \
		"$id /rec running True sleep ['100']" "inspect"
	run_cr rm -f rec
	expect_status 0
	no_trace_of "$id"
}

@test "after a reboot (another boot id) a container is listed as exited and rm removes it" {
	detach --name old bb sleep 100
	cr stop -t 1 old >/dev/null
	# the same pid again, as after a reboot that reused it: the boot tells
	sed -i 's/"bootId": *"[^"]*"/"bootId": "00000000-0000-0000-0000-000000000000"/' \
		"$C_ROOT/containers/$id/state.json"
	python3 - "$C_ROOT/containers/$id/state.json" "$$" <<'EOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
pid = int(sys.argv[2])
# a live process's pid and start time: only the boot id tells it is not ours
s["c-tools"]["pid"] = pid
s["c-tools"]["startTime"] = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[19])
s["c-tools"]["exitCode"] = -1
json.dump(s, open(p, "w"))
EOF
	run_cr ps -a
	expect_status 0
	[[ $(grep ' old$' <<<"$output") == *" Exited "* ]] || { echo "$output"; return 1; }
	run_cr rm old
	expect_status 0
	no_trace_of "$id"
}

@test "a record that cannot be read is still listed, and rm removes its directory" {
	detach --name broken bb true
	wait_until 10 is_status broken stopped
	printf '{"trunc' >"$C_ROOT/containers/$id/state.json"
	run_cr ps -a -q --no-trunc
	expect_status 0
	expect_line "$id"
	run_cr rm "$id"
	expect_status 0
	[ ! -e "$C_ROOT/containers/$id" ]
}

@test "--root is the store for c-pull, c-image and c-run alike: an image stored there runs from there" {
	local other=$TEST_TMP/other
	skopeo copy -q "oci:$C_ROOT:bb" "oci:$other:moved"
	run_cr --root "$other" --rm moved echo from-the-other-store
	expect_status 0
	expect_output from-the-other-store
	run "$BIN_DIR/c-run" --root "$other" -d --name there moved sleep 100
	expect_status 0
	[ -f "$other/containers/$output/state.json" ]
	run_cr ps -q
	expect_output ""
	run "$BIN_DIR/c-run" --root "$other" ps -q
	expect_output "${output:0:12}"
	"$BIN_DIR/c-run" --root "$other" rm -f there >/dev/null
	run "$BIN_DIR/c-image" --root "$other" ls -q
	expect_output moved
}

