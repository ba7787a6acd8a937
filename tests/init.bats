#!/usr/bin/env bats
# c-test-init on the host: every verb's output, exit statuses, chaining and
# errors.  Runs as root (a few tests change uid, namespaces or mounts with
# setpriv/unshare, and skip otherwise).

bats_require_minimum_version 1.5.0

load helpers/common

setup() {
	common_setup
	require_test_init
	T=$TEST_INIT
}

# Runs "c-test-init ARGS" with a pseudo-terminal of 24 rows and 80 columns
# as its stdin/stdout/stderr and controlling terminal; prints what it wrote.
with_pty() {
	python3 - "$@" <<'EOF'
import fcntl, os, pty, struct, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(sys.argv[1], sys.argv[1:])
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
}

# Runs "CMD..." as the child of a child subreaper that reaps every orphan
# (REAPS=1) or never reaps anything but CMD itself (REAPS=0).
under_subreaper() {
	python3 - "$@" <<'EOF'
import ctypes, os, sys
reaps = os.environ["REAPS"] == "1"
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
while True:
    got, st = os.waitpid(-1 if reaps else pid, 0)
    if got == pid:
        sys.exit(os.waitstatus_to_exitcode(st))
EOF
}

# --- the binary ---------------------------------------------------------------

@test "c-test-init is statically linked, with no program interpreter" {
	run file "$T"
	expect_status 0
	expect_output_re "statically linked"
	run readelf -l "$T"
	expect_status 0
	expect_output_re "Program Headers"
	[[ $output != *INTERP* ]] || { echo "$output" >&2; false; }
	run readelf -d "$T"
	expect_output_re "no dynamic section"
}

@test "--help lists every verb and exits 0; no arguments is a usage error" {
	run -0 --separate-stderr "$T" --help
	for v in true false exit echo err cat write append ls stat caps id pid env \
		cwd hostname umask sleep signals ns mounts rlimit seccomp tty reap mem \
		fork-bomb-lite; do
		[[ $output == *"  $v "* ]] || { echo "--help lacks $v" >&2; false; }
	done
	run -2 --separate-stderr "$T"
	expect_output ""
	[[ $stderr == Usage:* ]]
	run -0 "$T" --version
	expect_output_re '^c-test-init [0-9a-z.]+$'
}

# --- statuses and chaining ------------------------------------------------------

@test "true, false and exit N give their statuses" {
	run -0 "$T" true
	expect_output ""
	run -1 "$T" false
	expect_output ""
	run -0 "$T" exit 0
	run -42 "$T" exit 42
	run -255 "$T" exit 255
}

@test "exit rejects what is not a status 0-255 with a usage error" {
	run -2 "$T" exit 256
	expect_output "c-test-init: exit: not a status 0-255: 256"
	run -2 "$T" exit -1
	run -2 "$T" exit abc
	run -2 "$T" exit ""
}

@test "echo joins its arguments with spaces; err writes to stderr" {
	run -0 "$T" echo a "b  c" d
	expect_output "a b  c d"
	run -0 "$T" echo
	expect_output ""
	[ "$("$T" echo | od -An -c | tr -d ' ')" = '\n' ]
	run -0 --separate-stderr "$T" err to stderr -- echo to stdout
	expect_output "to stdout"
	expect_eq "$stderr" "to stderr" stderr
}

@test "a chain runs verbs in order and stops at the first failure" {
	run -0 "$T" echo one -- echo two -- true -- echo three
	expect_output $'one\ntwo\nthree'
	run -1 --separate-stderr "$T" echo a -- false -- echo b
	expect_output "a"
	run -7 "$T" echo before -- exit 7 -- echo after
	expect_output "before"
	run -1 --separate-stderr "$T" echo a -- cat /nonexistent -- echo b
	expect_output "a"
	expect_eq "$stderr" "c-test-init: cat: /nonexistent: No such file or directory" stderr
}

@test "a chain is checked whole before anything runs" {
	run -2 --separate-stderr "$T" echo ran -- frobnicate
	expect_output ""
	expect_eq "$stderr" "c-test-init: frobnicate: unknown verb (try --help)" stderr
	run -2 --separate-stderr "$T" echo ran -- exit
	expect_output ""
	expect_eq "$stderr" "c-test-init: exit: usage: exit N" stderr
	run -2 --separate-stderr "$T" echo ran -- true extra
	expect_output ""
	run -2 "$T" echo ran --
	expect_output_re "trailing --"
	run -2 "$T" -- echo ran
	expect_output_re "stray --"
	run -2 "$T" echo a -- -- echo b
	expect_output_re "stray --"
}

@test "every verb checks its number of arguments" {
	for bad in "exit" "exit 1 2" "cat" "write f" "write f a b" "append f" \
		"ls" "ls a b" "stat" "stat a b" "caps x" "id x" "pid x" "env x" \
		"cwd x" "hostname x" "umask x" "sleep" "sleep 1 2" "signals 1 2" \
		"ns x" "mounts x" "rlimit a b" "seccomp x" "tty x" "reap a b" "mem" \
		"fork-bomb-lite" "true x" "false x"; do
		# shellcheck disable=SC2086
		run "$T" $bad
		[ "$status" = 2 ] || { echo "'$bad': status $status, $output" >&2; false; }
		[[ $output == "c-test-init: ${bad%% *}: usage: "* ]] ||
			{ echo "'$bad': $output" >&2; false; }
	done
}

# --- files ----------------------------------------------------------------------

@test "write creates and truncates, append appends, cat concatenates" {
	f=$TEST_TMP/f
	run -0 "$T" write "$f" "hello world"
	expect_output ""
	[ "$(cat "$f")" = "hello world" ]
	[ "$(stat -c %s "$f")" = 12 ]
	run -0 "$T" write "$f" short -- append "$f" more -- append "$TEST_TMP/g" new
	[ "$(cat "$f")" = $'short\nmore' ]
	[ "$(cat "$TEST_TMP/g")" = new ]
	run -0 "$T" cat "$f" "$TEST_TMP/g" "$f"
	expect_output $'short\nmore\nnew\nshort\nmore'
}

@test "write and append create files with mode 0644 less the umask" {
	run -0 sh -c 'umask 022; exec "$0" write "$1/a" x -- append "$1/b" y' "$T" "$TEST_TMP"
	[ "$(stat -c %a "$TEST_TMP/a")" = 644 ]
	[ "$(stat -c %a "$TEST_TMP/b")" = 644 ]
	run -0 sh -c 'umask 077; exec "$0" write "$1/c" x' "$T" "$TEST_TMP"
	[ "$(stat -c %a "$TEST_TMP/c")" = 600 ]
}

@test "cat - copies stdin, including binary data" {
	run -0 "$T" cat - <<<"from stdin"
	expect_output "from stdin"
	head -c 100000 /dev/urandom >"$TEST_TMP/bin"
	"$T" cat - <"$TEST_TMP/bin" >"$TEST_TMP/out"
	cmp "$TEST_TMP/bin" "$TEST_TMP/out"
}

@test "file errors are one line: c-test-init: VERB: OBJECT: reason" {
	run -1 --separate-stderr "$T" cat /nonexistent
	expect_eq "$stderr" "c-test-init: cat: /nonexistent: No such file or directory" stderr
	run -1 --separate-stderr "$T" write /nonexistent/f text
	expect_eq "$stderr" "c-test-init: write: /nonexistent/f: No such file or directory" stderr
	run -1 --separate-stderr "$T" append "$TEST_TMP" text
	expect_eq "$stderr" "c-test-init: append: $TEST_TMP: Is a directory" stderr
	run -1 --separate-stderr "$T" ls /nonexistent
	expect_eq "$stderr" "c-test-init: ls: /nonexistent: No such file or directory" stderr
	run -1 --separate-stderr "$T" ls /etc/passwd
	expect_eq "$stderr" "c-test-init: ls: /etc/passwd: Not a directory" stderr
	run -1 --separate-stderr "$T" stat /nonexistent
	expect_eq "$stderr" "c-test-init: stat: /nonexistent: No such file or directory" stderr
	expect_output ""
}

@test "write on a read-only mount fails with EROFS" {
	require_root
	skip_unless_cmd unshare
	mkdir "$TEST_TMP/ro"
	run -1 unshare -m sh -c 'mount -t tmpfs -o ro,size=1m none "$1" && exec "$0" write "$1/f" x' \
		"$T" "$TEST_TMP/ro"
	expect_output "c-test-init: write: $TEST_TMP/ro/f: Read-only file system"
}

@test "a write error on stdout is reported and fails" {
	run -1 sh -c 'exec "$0" echo hi >/dev/full' "$T"
	expect_output "c-test-init: echo: stdout: No space left on device"
	run -1 sh -c 'exec "$0" cat /etc/passwd >/dev/full' "$T"
	expect_output "c-test-init: cat: stdout: No space left on device"
}

@test "ls lists sorted names with their type, symlink targets, dot files" {
	d=$TEST_TMP/d
	mkdir -p "$d/sub"
	echo x >"$d/b-file"
	touch "$d/.hidden" "$d/A-upper"
	ln -s ../target "$d/link"
	mkfifo "$d/fifo"
	run -0 "$T" ls "$d"
	expect_output "- .hidden
- A-upper
- b-file
p fifo
l link -> ../target
d sub"
	run -0 "$T" ls "$d/sub"
	expect_output ""
}

@test "ls shows device nodes and sockets" {
	run -0 "$T" ls /dev
	expect_line "c null"
	expect_line "c zero"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TEST_TMP/sock"
	run -0 "$T" ls "$TEST_TMP"
	expect_line "s sock"
}

@test "stat prints type, mode with special bits, owner and size" {
	require_root
	f=$TEST_TMP/f
	printf '12345' >"$f"
	chmod 4755 "$f"
	run -0 "$T" stat "$f"
	expect_output "- 4755 0 0 5"
	chown 1000:1001 "$f"
	chmod 2640 "$f"
	run -0 "$T" stat "$f"
	expect_output "- 2640 1000 1001 5"
	mkdir "$TEST_TMP/sticky"
	chmod 1777 "$TEST_TMP/sticky"
	run -0 "$T" stat "$TEST_TMP/sticky"
	expect_output_re '^d 1777 0 0 [0-9]+$'
	ln -s f "$TEST_TMP/l"
	run -0 "$T" stat "$TEST_TMP/l"
	expect_output "l 0777 0 0 1"
	run -0 "$T" stat /dev/null
	expect_output "c 0666 0 0 0"
}

# --- process attributes ---------------------------------------------------------

@test "caps prints the five sets as /proc/self/status does" {
	run -0 "$T" caps
	expect_output "$(grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status)"
	[ "${#lines[@]}" = 5 ]
}

@test "caps sees a reduced bounding set and ambient capabilities" {
	require_root
	skip_unless_cmd setpriv
	run -0 setpriv --bounding-set -all "$T" caps
	expect_line $'CapBnd:\t0000000000000000'
	# CAP_NET_BIND_SERVICE is bit 10.
	run -0 setpriv --inh-caps +net_bind_service --ambient-caps +net_bind_service "$T" caps
	expect_line $'CapInh:\t0000000000000400'
	expect_line $'CapAmb:\t0000000000000400'
	run -0 setpriv --reuid 1000 --regid 1000 --clear-groups "$T" caps
	expect_line $'CapEff:\t0000000000000000'
	expect_line $'CapPrm:\t0000000000000000'
}

@test "caps and seccomp work without /proc" {
	require_root
	skip_unless_cmd unshare
	want_caps=$("$T" caps)
	want_sec=$(grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status)
	run -0 unshare -m sh -c 'mount -t tmpfs none /proc && exec "$0" caps -- seccomp' "$T"
	expect_output "$want_caps
$want_sec"
}

@test "id prints uid, gid and supplementary groups" {
	run -0 "$T" id
	groups=$(awk '/^Groups:/ { $1 = ""; sub(/^ +/, ""); gsub(/ +$/, ""); gsub(/ /, ","); print }' /proc/self/status)
	expect_output "uid=$(id -ru) gid=$(id -rg) groups=$groups"
	skip_unless_cmd setpriv
	run -0 setpriv --reuid 1000 --regid 1001 --groups 100,200 "$T" id
	expect_output "uid=1000 gid=1001 groups=100,200"
	run -0 setpriv --euid 1000 --egid 1002 --clear-groups "$T" id
	expect_output "uid=0 gid=0 groups= euid=1000 egid=1002"
}

@test "pid prints pid and ppid" {
	run -0 sh -c 'echo "pid=$$ ppid=$PPID"; exec "$0" pid' "$T"
	[ "${#lines[@]}" = 2 ]
	expect_eq "${lines[1]}" "${lines[0]}" "pid line"
}

@test "pid is 1 in a new pid namespace" {
	require_root
	skip_unless_cmd unshare
	run -0 unshare -fp "$T" pid
	expect_output "pid=1 ppid=0"
}

@test "env prints the environment sorted" {
	run -0 env -i ZED=last B=2 A="with space" "B_=x" "$T" env
	expect_output "A=with space
B=2
B_=x
ZED=last"
	run -0 env -i "$T" env
	expect_output ""
}

@test "cwd prints the working directory" {
	mkdir "$TEST_TMP/wd"
	cd "$TEST_TMP/wd"
	run -0 "$T" cwd
	expect_output "$(pwd -P)"
	cd /
	run -0 "$T" cwd
	expect_output "/"
}

@test "hostname prints the UTS host name" {
	run -0 "$T" hostname
	expect_output "$(uname -n)"
	require_root
	skip_unless_cmd unshare
	run -0 unshare -u sh -c 'hostname c-test-host && exec "$0" hostname' "$T"
	expect_output "c-test-host"
}

@test "umask prints the file mode creation mask" {
	run -0 sh -c 'umask 027; exec "$0" umask' "$T"
	expect_output "0027"
	run -0 sh -c 'umask 0; exec "$0" umask' "$T"
	expect_output "0000"
}

@test "rlimit prints soft and hard limits by any spelling of the name" {
	run -0 "$T" rlimit nofile
	expect_output "nofile $(ulimit -Sn) $(ulimit -Hn)"
	run -0 sh -c 'ulimit -S -n 100; exec "$0" rlimit NOFILE -- rlimit RLIMIT_nofile' "$T"
	expect_output "nofile 100 $(ulimit -Hn)
nofile 100 $(ulimit -Hn)"
	run -0 sh -c 'ulimit -S -c 0; exec "$0" rlimit core' "$T"
	expect_output_re '^core 0 (unlimited|[0-9]+)$'
	run -0 "$T" rlimit
	[ "${#lines[@]}" = 16 ]
	expect_line "nofile $(ulimit -Sn) $(ulimit -Hn)"
	run -2 "$T" rlimit bogus
	expect_output "c-test-init: rlimit: unknown limit: bogus"
}

@test "seccomp prints NoNewPrivs and Seccomp as /proc/self/status does" {
	run -0 "$T" seccomp
	expect_output "$(grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status)"
	[ "${#lines[@]}" = 2 ]
	skip_unless_cmd setpriv
	run -0 setpriv --no-new-privs "$T" seccomp
	expect_line $'NoNewPrivs:\t1'
}

@test "ns prints each namespace link of the process" {
	run -0 "$T" ns
	[ "${#lines[@]}" -ge 7 ]
	for n in cgroup ipc mnt net pid uts user; do
		expect_line "$n $(readlink "/proc/self/ns/$n")"
	done
	# sorted
	[ "$(printf '%s\n' "${lines[@]}" | LC_ALL=C sort)" = "$output" ]
	require_root
	skip_unless_cmd unshare
	run -0 unshare -n -u "$T" ns
	expect_no_line "net $(readlink /proc/self/ns/net)"
	expect_no_line "uts $(readlink /proc/self/ns/uts)"
	expect_line "mnt $(readlink /proc/self/ns/mnt)"
}

@test "mounts prints mount point, fs type and options of each mount" {
	run -0 "$T" mounts
	[ "${#lines[@]}" = "$(wc -l </proc/self/mountinfo)" ]
	expect_output_re $'(^|\n)/proc proc [a-z,]*rw'
	expect_output_re $'(^|\n)/ [a-z0-9]+ r[ow]'
	require_root
	skip_unless_cmd unshare
	mkdir "$TEST_TMP/a b"
	run -0 unshare -m sh -c 'mount -t tmpfs -o ro,size=1m none "$1" && exec "$0" mounts' \
		"$T" "$TEST_TMP/a b"
	expect_line "$TEST_TMP/a\\040b tmpfs ro,relatime"
}

@test "tty reports no terminal on pipes and files" {
	run -0 setsid -w "$T" tty </dev/null
	expect_output "0 notty
1 notty
2 notty
ctty no"
}

@test "tty reports the terminal name, its size and the controlling tty" {
	run -0 with_pty "$T" tty
	expect_output_re $'^0 tty /dev/pts/[0-9]+ 24x80\n1 tty /dev/pts/[0-9]+ 24x80\n2 tty /dev/pts/[0-9]+ 24x80\nctty yes$'
}

# --- time and signals -----------------------------------------------------------

@test "sleep sleeps for fractional seconds" {
	start=$(date +%s%N)
	run -0 "$T" sleep 0.3 -- echo slept
	end=$(date +%s%N)
	expect_output "slept"
	[ $(((end - start) / 1000000)) -ge 300 ]
	[ $(((end - start) / 1000000)) -lt 3000 ]
	run -0 "$T" sleep 0
	run -2 "$T" sleep -1
	expect_output "c-test-init: sleep: not a number of seconds: -1"
	run -2 "$T" sleep 1s
	run -2 "$T" sleep nan
}

@test "sleep inf sleeps until killed" {
	run -124 timeout 0.3 "$T" sleep inf
}

@test "signals prints each signal and exits 0 on SIGTERM" {
	out=$TEST_TMP/out
	"$T" signals >"$out" 3>&- &
	pid=$!
	wait_until 5 grep -qx ready "$out"
	kill -USR1 "$pid"
	wait_until 5 grep -q SIGUSR1 "$out"
	kill -HUP "$pid"
	wait_until 5 grep -q SIGHUP "$out"
	kill -RTMIN+3 "$pid"
	wait_until 5 grep -q 'SIGRTMIN+3' "$out"
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	expect_eq "$st" 0 status
	expect_eq "$(cat "$out")" "ready
signal 10 SIGUSR1
signal 1 SIGHUP
signal 37 SIGRTMIN+3
signal 15 SIGTERM" output
}

@test "signals N exits 128+signal after N signals" {
	out=$TEST_TMP/out
	"$T" signals 2 >"$out" 3>&- &
	pid=$!
	wait_until 5 grep -qx ready "$out"
	kill -INT "$pid"
	wait_until 5 grep -q SIGINT "$out"
	kill -USR2 "$pid"
	st=0
	wait "$pid" || st=$?
	expect_eq "$st" $((128 + 12)) status
	expect_eq "$(cat "$out")" $'ready\nsignal 2 SIGINT\nsignal 12 SIGUSR2' output
}

@test "after signals ends, the rest of the chain has the old dispositions" {
	out=$TEST_TMP/out
	"$T" signals -- echo next -- sleep 10 -- echo not reached >"$out" 3>&- &
	pid=$!
	wait_until 5 grep -qx ready "$out"
	kill -TERM "$pid"
	wait_until 5 grep -qx next "$out"
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	expect_eq "$st" $((128 + 15)) status
	expect_eq "$(cat "$out")" $'ready\nsignal 15 SIGTERM\nnext' output
}

@test "signals unblocks and catches signals that were blocked or ignored" {
	out=$TEST_TMP/out
	python3 -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
signal.signal(signal.SIGUSR2, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$T" signals 2 >"$out" 3>&- &
	pid=$!
	wait_until 5 grep -qx ready "$out"
	kill -USR1 "$pid"
	wait_until 5 grep -q SIGUSR1 "$out"
	kill -USR2 "$pid"
	st=0
	wait "$pid" || st=$?
	expect_eq "$st" 140 status
	expect_eq "$(cat "$out")" $'ready\nsignal 10 SIGUSR1\nsignal 12 SIGUSR2' output
}

# --- processes ------------------------------------------------------------------

@test "reap as pid 1 reaps the orphan itself" {
	require_root
	skip_unless_cmd unshare
	run -0 unshare -fp "$T" pid -- reap
	expect_output_re $'^pid=1 ppid=0\norphan [0-9]+ reaped by self$'
}

@test "reap self makes a subreaper and reaps the orphan" {
	run -0 "$T" reap self
	expect_output_re '^orphan [0-9]+ reaped by self$'
}

@test "reap sees the orphan reaped by the process that inherits it" {
	run -0 env REAPS=1 bash -c "$(declare -f under_subreaper); under_subreaper \"\$@\"" _ "$T" reap
	expect_output_re '^orphan [0-9]+ reaped by init$'
}

@test "reap fails when nobody reaps the orphan" {
	run -1 --separate-stderr env REAPS=0 bash -c "$(declare -f under_subreaper); under_subreaper \"\$@\"" _ "$T" reap 0.3
	expect_output ""
	[[ $stderr =~ ^c-test-init:\ reap:\ orphan\ [0-9]+:\ not\ reaped$ ]] || { echo "$stderr" >&2; false; }
	run -2 "$T" reap soon
}

@test "mem allocates and touches memory" {
	run -0 "$T" mem 32
	expect_output "allocated 32 MiB"
	run -0 "$T" mem 0
	expect_output "allocated 0 MiB"
	run -2 "$T" mem lots
}

@test "mem fails cleanly when the address space is limited" {
	run -1 sh -c 'ulimit -v 65536; exec "$0" mem 128' "$T"
	expect_output_re '^c-test-init: mem: mmap: .+$'
}

@test "fork-bomb-lite forks N waiting children and reaps them" {
	run -0 "$T" fork-bomb-lite 20 -- echo after
	expect_output $'forked 20 of 20\nafter'
	run -0 "$T" fork-bomb-lite 0
	expect_output "forked 0 of 0"
}

@test "fork-bomb-lite reports how many forks a process limit allowed" {
	require_root
	skip_unless_cmd setpriv pgrep
	uid=54321
	# RLIMIT_NPROC counts the uid's processes; root ignores it, so drop to a
	# uid that has no other process.
	run -0 bash -c 'ulimit -u 5 && exec setpriv --reuid "$1" --regid "$1" --clear-groups "$0" fork-bomb-lite 10' "$T" "$uid"
	expect_output_re '^forked [0-4] of 10 \(Resource temporarily unavailable\)$'
	run pgrep -u "$uid"
	expect_status 1
}
