#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-run as an OCI runtime, the rest of runc's command line that podman and
# conmon use: exec (a command, or --process FILE; --detach, --pid-file,
# --tty with --console-socket), ps ID, features, the config's hooks at
# create, start and delete, and one-line refusals of what c-run does not do
# (update, pause, resume, checkpoint, restore).
#
# One store per file ($C_ROOT) with the busybox fixture; a copy-mode bundle
# ($BUNDLE) whose rootfs every test's bundle shares; state under $STATE.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/c-run

setup_file() {
	c_run_bundle_setup_file
}

# A running container ID (sleep 100) from a bundle in $TEST_TMP/ob.
running() {
	oci_bundle "$TEST_TMP/ob" sleep 100
	ccreate --bundle "$TEST_TMP/ob" "$1"
	expect_status 0
	oci start "$1"
}

# ---- exec -------------------------------------------------------------------------

@test "exec runs a command in the container: its output, its status, the container's namespaces" {
	running "ex1-$SFX"
	local pid
	pid=$(state_field "ex1-$SFX" 's["pid"]')
	run_oci exec "ex1-$SFX" sh -c 'echo in; for n in net mnt pid; do readlink /proc/self/ns/$n; done; exit 3'
	expect_status 3
	expect_eq "${lines[0]}" in "output"
	expect_eq "${lines[1]}" "$(readlink "/proc/$pid/ns/net")" "net namespace"
	expect_eq "${lines[2]}" "$(readlink "/proc/$pid/ns/mnt")" "mount namespace"
	expect_eq "${lines[3]}" "$(readlink "/proc/$pid/ns/pid")" "pid namespace"
}

@test "exec --process FILE takes args, env, cwd and user from the file" {
	running "ex2-$SFX"
	cat >"$TEST_TMP/process.json" <<'EOF'
{"terminal": false, "user": {"uid": 1000, "gid": 1000, "additionalGids": [10]},
 "args": ["sh", "-c", "id -u; id -G; echo $FOO; pwd"], "env": ["PATH=/bin", "FOO=bar"],
 "cwd": "/tmp"}
EOF
	run_oci exec --process "$TEST_TMP/process.json" "ex2-$SFX"
	expect_status 0
	expect_output $'1000\n1000 10\nbar\n/tmp'
}

@test "exec --detach --pid-file returns at once; the pid is the process, inside the container" {
	running "ex3-$SFX"
	local start pid
	start=$(date +%s%N)
	# the process keeps c-run's stdout: a file, not a pipe run would wait on
	oci exec --detach --pid-file "$TEST_TMP/exec.pid" "ex3-$SFX" sleep 30 >"$TEST_TMP/out" 2>&1
	[ $(($(date +%s%N) - start)) -lt 3000000000 ] || { echo "exec --detach waited"; return 1; }
	pid=$(cat "$TEST_TMP/exec.pid")
	[[ $pid =~ ^[0-9]+$ ]]
	expect_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 30 " "its command line"
	expect_eq "$(readlink "/proc/$pid/ns/pid")" \
		"$(readlink "/proc/$(state_field "ex3-$SFX" 's["pid"]')/ns/pid")" "pid namespace"
	# a pid of its namespace other than 1, the container's own
	[ "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status")" -gt 1 ]
}

@test "exec -t --console-socket hands the pty master over; the process's stdio is that terminal" {
	running "ex4-$SFX"
	python3 "$REPO_ROOT/tests/helpers/console-socket.py" "$TEST_TMP/console.sock" \
		"$TEST_TMP/ready" >"$TEST_TMP/console.out" 2>&1 &
	local receiver=$!
	wait_until 5 test -e "$TEST_TMP/ready"
	run_oci exec -t --console-socket "$TEST_TMP/console.sock" --detach "ex4-$SFX" \
		sh -c 'tty; echo cols=$(stty size)'
	expect_status 0
	wait "$receiver"
	run cat "$TEST_TMP/console.out"
	expect_line "name: /dev/ptmx"
	[[ ${lines[1]} == "fd: /dev/pts/ptmx" ]] || { echo "fd: ${lines[1]}"; return 1; }
	[[ $output == *"/dev/pts/"[0-9]* ]] || { echo "tty printed: $output"; return 1; }
}

@test "exec -u 5:6 -g 7 --cwd /etc -e A=1 --cap CAP_SYS_ADMIN --no-new-privs" {
	running "ex5-$SFX"
	run_oci exec -u 5:6 -g 7 --cwd /etc -e A=1 --cap CAP_SYS_ADMIN --no-new-privs "ex5-$SFX" \
		sh -c 'id -u; id -g; id -G; pwd; echo $A; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status'
	expect_status 0
	expect_eq "${lines[0]}" 5 "uid"
	expect_eq "${lines[1]}" 6 "gid"
	expect_eq "${lines[2]}" "6 7" "groups"
	expect_eq "${lines[3]}" /etc "cwd"
	expect_eq "${lines[4]}" 1 "env"
	# CAP_SYS_ADMIN is bit 21
	(( (0x$(awk '/^CapBnd/ { print $2 }' <<<"$output") >> 21) & 1 )) || { echo "$output"; return 1; }
	expect_line $'NoNewPrivs:\t1'
}

@test "exec's failures: command not found 127, stopped container 1, unknown id 4, console without tty 2" {
	running "ex6-$SFX"
	run_oci exec "ex6-$SFX" no-such-command
	expect_status 127
	expect_error_line no-such-command
	run_oci exec --console-socket "$TEST_TMP/x.sock" "ex6-$SFX" true
	expect_status 2
	expect_error_line console-socket
	run_oci exec --preserve-fds 3 "ex6-$SFX" true
	expect_status 2
	expect_error_line preserve-fds
	oci kill "ex6-$SFX" KILL
	wait_until 5 is_status "ex6-$SFX" stopped
	run_oci exec "ex6-$SFX" true
	expect_status 1
	expect_error_line "ex6-$SFX" stopped
	run_oci exec "no-such-$SFX" true
	expect_status 4
	expect_error_line "no-such-$SFX"
}

# ---- ps, features, what is not done --------------------------------------------

@test "ps ID lists the container's processes: a table, or a JSON array of pids" {
	running "ps1-$SFX"
	local pid
	pid=$(state_field "ps1-$SFX" 's["pid"]')
	oci exec --detach --pid-file "$TEST_TMP/exec.pid" "ps1-$SFX" sleep 30 >/dev/null 2>&1
	run_oci ps --format json "ps1-$SFX"
	expect_status 0
	expect_eq "$(python3 -c 'import json, sys; print(sorted(json.loads(sys.argv[1])))' "$output")" \
		"$(python3 -c 'import sys; print(sorted(map(int, sys.argv[1:])))' "$pid" "$(cat "$TEST_TMP/exec.pid")")" \
		"pids"
	run_oci ps "ps1-$SFX"
	expect_status 0
	expect_eq "${lines[0]}" "$(printf '%-8s %-8s %-8s %s' UID PID PPID CMD)" "header"
	expect_output_re "0 +$pid +[0-9]+ +sleep 100"
	run_oci ps --format yaml "ps1-$SFX"
	expect_status 2
}

@test "features: runc's JSON, saying what c-run carries out" {
	local features
	run_oci features
	expect_status 0
	features=$output
	python3 - "$features" <<'EOF'
import json, sys
f = json.loads(sys.argv[1])
assert f["ociVersionMin"] == "1.0.0", f["ociVersionMin"]
assert f["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer",
                      "poststart", "poststop"], f["hooks"]
assert "rbind" in f["mountOptions"] and "rro" in f["mountOptions"], f["mountOptions"]
assert "tmpcopyup" not in f["mountOptions"] and "idmap" not in f["mountOptions"]
lx = f["linux"]
assert sorted(lx["namespaces"]) == ["cgroup", "ipc", "mount", "network", "pid", "uts"]
assert "CAP_SYS_ADMIN" in lx["capabilities"] and len(lx["capabilities"]) == 41
assert lx["cgroup"] == {"v1": True, "v2": True, "systemd": False, "systemdUser": False}
assert lx["seccomp"]["enabled"] and "SCMP_ACT_ERRNO" in lx["seccomp"]["actions"]
assert "SCMP_ACT_NOTIFY" not in lx["seccomp"]["actions"]
assert "SCMP_ARCH_X86_64" in lx["seccomp"]["archs"]
assert lx["apparmor"] == {"enabled": False} and lx["selinux"] == {"enabled": False}
EOF
	# the newest version it takes is the one its state speaks
	running "ft1-$SFX"
	expect_eq "$(state_field "ft1-$SFX" 's["ociVersion"]')" \
		"$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["ociVersionMax"])' "$features")" \
		"ociVersionMax"
}

@test "update, pause, resume, checkpoint and restore are refused: status 1, one line naming the command" {
	local cmd
	for cmd in update pause resume checkpoint restore; do
		run_cr "$cmd" whatever
		expect_status 1
		expect_error_line "$cmd" "not supported"
	done
}

# ---- hooks ------------------------------------------------------------------------

# A bundle whose hooks each save their stdin (the state) as OUT/KIND.json
# and append KIND to OUT/order; the process appends "process".  The
# container-side kinds run the host's static busybox (createContainer: its
# path is the host's) or the container's sh (startContainer: the
# container's), and also record the host name they see.
hooks_bundle() {
	local dir=$1 out=$1/out bb
	bb=$(command -v busybox)
	EDIT="
def h(kind, path, script):
    return {'path': path, 'args': ['sh', '-c', script]}
out = '$out'
c['hostname'] = 'inside'
c['hooks'] = {k: [h(k, '/bin/sh', 'cat > %s/%s.json; echo %s >> %s/order' % (out, k, k, out))]
              for k in ('prestart', 'createRuntime', 'poststart', 'poststop')}
c['hooks']['createContainer'] = [h('cc', '$bb',
    'cat > /out/createContainer.json; echo createContainer \$(hostname) >> /out/order')]
c['hooks']['startContainer'] = [h('sc', '/bin/sh',
    'cat > /out/startContainer.json; echo startContainer \$(hostname) >> /out/order')]
" oci_bundle "$dir" sh -c 'echo process >> /out/order'
}

hook_status() { # DIR KIND
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"])' "$1/out/$2.json"
}

@test "hooks run at the points the runtime spec gives them, from create to delete" {
	hooks_bundle "$TEST_TMP/hb"
	ccreate --bundle "$TEST_TMP/hb" "hk1-$SFX"
	expect_status 0
	expect_eq "$(cat "$TEST_TMP/hb/out/order")" $'prestart\ncreateRuntime\ncreateContainer inside' \
		"hooks after create"
	run_oci start "hk1-$SFX"
	expect_status 0
	wait_until 5 is_status "hk1-$SFX" stopped
	run_oci delete "hk1-$SFX"
	expect_status 0
	expect_eq "$(cat "$TEST_TMP/hb/out/order")" \
		$'prestart\ncreateRuntime\ncreateContainer inside\nstartContainer inside\nprocess\npoststart\npoststop' \
		"every hook, in order"
	# each got the state: the id, and the status of that moment
	expect_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' \
		"$TEST_TMP/hb/out/prestart.json")" "hk1-$SFX" "id"
	expect_eq "$(hook_status "$TEST_TMP/hb" createRuntime)" created "createRuntime's status"
	expect_eq "$(hook_status "$TEST_TMP/hb" startContainer)" created "startContainer's status"
	expect_eq "$(hook_status "$TEST_TMP/hb" poststop)" stopped "poststop's status"
}

@test "hooks: run goes through every hook as create, start and delete do" {
	hooks_bundle "$TEST_TMP/hb"
	run_oci run --bundle "$TEST_TMP/hb" "hk2-$SFX"
	expect_status 0
	expect_eq "$(grep -v poststart "$TEST_TMP/hb/out/order")" \
		$'prestart\ncreateRuntime\ncreateContainer inside\nstartContainer inside\nprocess\npoststop' \
		"hooks of run"
	grep -qx poststart "$TEST_TMP/hb/out/order"
	run_oci state "hk2-$SFX"
	expect_status 4
}

@test "a failing prestart hook fails create with one line naming it; nothing of the container is left" {
	EDIT='c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}' \
		oci_bundle "$TEST_TMP/hb" true
	ccreate --bundle "$TEST_TMP/hb" "hk3-$SFX"
	[ "$status" -ne 0 ]
	expect_error_line "hooks.prestart[0]" /bin/sh "status 3"
	no_trace_of "hk3-$SFX"
}

@test "a failing startContainer hook fails start and stops the container" {
	EDIT='c["hooks"] = {"startContainer": [{"path": "/bin/false"}]}' \
		oci_bundle "$TEST_TMP/hb" sh -c 'echo ran > /out/ran'
	ccreate --bundle "$TEST_TMP/hb" "hk4-$SFX"
	expect_status 0
	run_oci start "hk4-$SFX"
	[ "$status" -ne 0 ]
	expect_error_line "hooks.startContainer[0]" /bin/false
	wait_until 5 is_status "hk4-$SFX" stopped
	[ ! -e "$TEST_TMP/hb/out/ran" ]
}

@test "failing poststart and poststop hooks are warnings: the next hooks run, start and delete succeed" {
	EDIT='c["hooks"] = {k: [{"path": "/bin/false"},
                     {"path": "/bin/sh", "args": ["sh", "-c", "echo %s >> %s/out/after" % (k, dir)]}]
              for k in ("poststart", "poststop")}' \
		oci_bundle "$TEST_TMP/hb" true
	ccreate --bundle "$TEST_TMP/hb" "hk5-$SFX"
	run_oci start "hk5-$SFX"
	expect_status 0
	[[ $stderr == *"warning"*"hooks.poststart[0] /bin/false"* ]] || { echo "$stderr"; return 1; }
	wait_until 5 is_status "hk5-$SFX" stopped
	run_oci delete "hk5-$SFX"
	expect_status 0
	[[ $stderr == *"warning"*"hooks.poststop[0] /bin/false"* ]] || { echo "$stderr"; return 1; }
	expect_eq "$(cat "$TEST_TMP/hb/out/after")" $'poststart\npoststop' "the hooks after the failing ones"
	no_trace_of "hk5-$SFX"
}

@test "a hook that outlives its timeout is killed and fails create" {
	EDIT='c["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}' \
		oci_bundle "$TEST_TMP/hb" true
	local start
	start=$(date +%s)
	ccreate --bundle "$TEST_TMP/hb" "hk6-$SFX"
	[ "$status" -ne 0 ]
	expect_error_line "hooks.createRuntime[0]" "timed out after 1s"
	[ $(($(date +%s) - start)) -lt 10 ]
	no_trace_of "hk6-$SFX"
}

@test "bad hooks are refused before anything starts, naming the field" {
	EDIT='c["hooks"] = {"poststop": [{"path": "relative/x"}]}' oci_bundle "$TEST_TMP/hb" true
	ccreate --bundle "$TEST_TMP/hb" "hk7-$SFX"
	expect_status 3
	expect_error_line "hooks.poststop[0].path"
	EDIT='c["hooks"] = {"prestart": [{"path": "/bin/true", "timeout": 0}]}' oci_bundle "$TEST_TMP/hb" true
	ccreate --bundle "$TEST_TMP/hb" "hk7-$SFX"
	expect_status 3
	expect_error_line "hooks.prestart[0].timeout"
	no_trace_of "hk7-$SFX"
}

@test "the docker front refuses a bundle with hooks, pointing to the OCI front" {
	EDIT='c["hooks"] = {"prestart": [{"path": "/bin/true"}]}' oci_bundle "$TEST_TMP/hb" true
	run_cr "$TEST_TMP/hb"
	expect_status 2
	expect_error_line "has hooks" "run --bundle"
}

@test "create and start a process of another user without capabilities: it passes the exec fifo" {
	# no capability: none lets it past the fifo's mode
	EDIT='c["process"]["user"] = {"uid": 1000, "gid": 1000}; c["process"]["capabilities"] = {}' \
		oci_bundle "$TEST_TMP/ub" sh -c 'id -u > /out/uid'
	chmod 777 "$TEST_TMP/ub/out"
	ccreate --bundle "$TEST_TMP/ub" "us1-$SFX"
	expect_status 0
	run_oci start "us1-$SFX"
	expect_status 0
	wait_until 5 test -s "$TEST_TMP/ub/out/uid"
	expect_eq "$(cat "$TEST_TMP/ub/out/uid")" 1000 "uid"
}

@test "a bind mount's key=value options are data the kernel ignores for binds: accepted; a bare unknown one is refused" {
	mkdir -p "$TEST_TMP/src"
	echo here >"$TEST_TMP/src/f"
	EDIT='c["mounts"].append({"destination": "/b", "type": "bind", "source": "'"$TEST_TMP/src"'",
                     "options": ["rbind", "mode=755", "size=65536k"]})' \
		oci_bundle "$TEST_TMP/mb" cat /b/f
	run_oci run --bundle "$TEST_TMP/mb" "mb1-$SFX"
	expect_status 0
	expect_output here
	EDIT='c["mounts"].append({"destination": "/b", "type": "bind", "source": "/tmp",
                     "options": ["rbind", "frobnicate"]})' oci_bundle "$TEST_TMP/mb" true
	run_oci run --bundle "$TEST_TMP/mb" "mb2-$SFX"
	expect_status 3
	expect_error_line frobnicate "bind mount"
}

@test "linux.sysctl net.* is set in the container's network namespace, and the host's stays" {
	local host
	host=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
	EDIT='c["linux"]["sysctl"] = {"net.ipv4.ip_unprivileged_port_start": "'"$((host - 1))"'"}' \
		oci_bundle "$TEST_TMP/nb" cat /proc/sys/net/ipv4/ip_unprivileged_port_start
	run_oci run --bundle "$TEST_TMP/nb" "nb1-$SFX"
	expect_status 0
	expect_output "$((host - 1))"
	expect_eq "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "$host" "the host's value"
}

@test "a seccomp profile that refuses close_range: the process runs, and still gets none of the caller's fds" {
	cat >"$TEST_TMP/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO"}]}
JSON
	run_cr --security-opt seccomp="$TEST_TMP/profile.json" "$BUNDLE" ls /proc/self/fd 7</dev/null 9</dev/null
	expect_status 0
	# 3 is ls's own, reading the directory
	expect_eq "$(echo $output)" "0 1 2 3" "fds of the command"
	run_cr --init --security-opt seccomp="$TEST_TMP/profile.json" "$BUNDLE" ls /proc/1/fd 7</dev/null
	expect_status 0
	expect_eq "$(echo $output)" "0 1 2" "fds of the init"
}

@test "start returns once the command runs: its command line is the container's, not c-run's" {
	oci_bundle "$TEST_TMP/ob" sleep 100
	ccreate --bundle "$TEST_TMP/ob" "st1-$SFX"
	expect_status 0
	local pid
	pid=$(state_field "st1-$SFX" 's["pid"]')
	run_oci start "st1-$SFX"
	expect_status 0
	expect_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 100 " "command line right after start"
}

@test "an AppArmor profile the kernel does not have (or no AppArmor) fails create, naming the profile" {
	EDIT='c["process"]["apparmorProfile"] = "c-tools-no-such-profile"' oci_bundle "$TEST_TMP/ab" true
	ccreate --bundle "$TEST_TMP/ab" "aa1-$SFX"
	[ "$status" -ne 0 ]
	expect_error_line "AppArmor profile c-tools-no-such-profile"
	no_trace_of "aa1-$SFX"
}

@test "SELinux labels, which c-run cannot apply, are refused naming the field" {
	EDIT='c["process"]["selinuxLabel"] = "system_u:system_r:svirt_lxc_net_t:s0:c124,c675"' \
		oci_bundle "$TEST_TMP/sb" true
	run_oci run --bundle "$TEST_TMP/sb" "se1-$SFX"
	expect_status 3
	expect_error_line process.selinuxLabel
	EDIT='c["linux"]["mountLabel"] = "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811"' \
		oci_bundle "$TEST_TMP/sb" true
	run_oci run --bundle "$TEST_TMP/sb" "se2-$SFX"
	expect_status 3
	expect_error_line linux.mountLabel
}

@test "linux.namespaces with a pid path: the process joins that pid namespace (another container's)" {
	running "pn1-$SFX"
	local first second
	first=$(state_field "pn1-$SFX" 's["pid"]')
	EDIT='
for n in c["linux"]["namespaces"]:
    if n["type"] == "pid":
        n["path"] = "/proc/'"$first"'/ns/pid"' oci_bundle "$TEST_TMP/pb" sleep 100
	ccreate --bundle "$TEST_TMP/pb" "pn2-$SFX"
	expect_status 0
	second=$(state_field "pn2-$SFX" 's["pid"]')
	expect_eq "$(readlink "/proc/$second/ns/pid")" "$(readlink "/proc/$first/ns/pid")" "pid namespace"
	# a process of that namespace, not its pid 1
	[ "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$second/status")" -gt 1 ]
	# c-run's own pid namespace is left as it was
	expect_eq "$(readlink /proc/self/ns/pid_for_children)" "$(readlink /proc/self/ns/pid)" "ours"
}

@test "a failure after create returned (the command gone by start) is written to the process's stderr" {
	oci_bundle "$TEST_TMP/gb" /out/prog
	cp "$(command -v busybox)" "$TEST_TMP/gb/out/prog"
	ccreate --bundle "$TEST_TMP/gb" "gn1-$SFX"
	expect_status 0
	rm "$TEST_TMP/gb/out/prog"
	oci start "gn1-$SFX" || true
	wait_until 5 is_status "gn1-$SFX" stopped
	# create's stderr is the process's: the error is there, one line
	wait_until 5 grep -q 'exec: /out/prog' "$TEST_TMP/create.err"
	expect_eq "$(wc -l <"$TEST_TMP/create.err")" 1 "lines"
	grep -q '^c-run: exec: /out/prog: No such file or directory' "$TEST_TMP/create.err"
}
