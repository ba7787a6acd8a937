#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-run: the docker-like front (c-run [OPTIONS] IMAGE|BUNDLE [CMD...]) and the
# OCI runtime front (create/start/state/kill/delete/run/list).  Whatever can
# be seen from inside the container is looked at from inside: /proc/self,
# mountinfo, the cgroup files under /sys/fs/cgroup, the shell's own view.
#
# One store per file ($C_ROOT) holding the busybox fixture as "bb"; a
# copy-mode bundle of it ($BUNDLE, with c-test-init added as /c-test-init);
# c-run's state root is $STATE (always passed with --root, so nothing here
# touches /run/c-run).  Every test leaves no container behind (teardown
# deletes what is left with --force).

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/c-run

setup_file() {
	c_run_bundle_setup_file
	if [ -x "$TEST_INIT" ]; then
		cp "$TEST_INIT" "$BUNDLE/rootfs/c-test-init"
	fi
}

# The test init in the bundle (for mem, fork-bomb-lite, signals, reap).
need_test_init() {
	require_test_init
	[ -x "$BUNDLE/rootfs/c-test-init" ] || {
		echo "c-test-init was not copied into $BUNDLE/rootfs" >&2
		return 1
	}
}

# The process is gone (or a zombie nobody has reaped yet).
proc_gone() {
	[ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}


# Interface names of a /proc/net/dev on stdin, sorted.
ifnames() {
	awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' | sort
}

# ---- exit statuses ------------------------------------------------------------

@test "the container's exit status is c-run's: exit 3 gives 3, exit 0 gives 0" {
	run_cr "$BUNDLE" sh -c 'exit 3'
	expect_status 3
	run_cr "$BUNDLE" sh -c 'echo fine'
	expect_status 0
	expect_output fine
	expect_eq "$stderr" "" "stderr"
}

@test "a container killed by signal 9 ends c-run with 128+9" {
	"$BIN_DIR/c-run" --name sig9 "$BUNDLE" sleep 100 >/dev/null 2>"$TEST_TMP/err" 3>&- &
	local crpid=$! rc=0
	wait_until 5 is_status sig9 running
	oci kill sig9 KILL
	wait "$crpid" || rc=$?
	expect_eq "$rc" 137 "status"
}

@test "a command that is not found gives 127 and one error line naming it" {
	run -127 --separate-stderr "$BIN_DIR/c-run" "$BUNDLE" no-such-command-xyz arg
	expect_status 127
	expect_output ""
	expect_error_line no-such-command-xyz
}

@test "a command that is not executable gives 126 and one error line naming it" {
	run_cr "$BUNDLE" /etc/passwd
	expect_status 126
	expect_output ""
	expect_error_line /etc/passwd
}

@test "a bad option is a usage error: status 2, one line naming the option" {
	run_cr --no-such-option "$BUNDLE" true
	expect_status 2
	expect_output ""
	expect_error_line --no-such-option
	run_cr --memory lots "$BUNDLE" true
	expect_status 2
	expect_error_line --memory lots
	run_oci create --no-such-option x
	expect_status 2
	run_cr
	expect_status 2
	[ ! -e "$STATE" ] || [ -z "$(ls "$STATE")" ] || { ls "$STATE"; return 1; }
}

@test "an unknown image fails with 125 and \"image not found\"" {
	run_cr no-such-image:latest true
	expect_status 125
	expect_output ""
	expect_error_line "image not found" no-such-image
	[ -z "$(ls "$C_ROOT/containers" 2>/dev/null)" ] || { ls "$C_ROOT/containers"; return 1; }
}

@test "a directory without config.json is not a bundle: 125, one line naming its config.json" {
	mkdir "$TEST_TMP/empty"
	run_cr --rm "$TEST_TMP/empty" true
	expect_status 125
	expect_error_line "bundle $TEST_TMP/empty: not a bundle: $TEST_TMP/empty/config.json: No such file or directory"
}

@test "on a machine where the state root does not exist yet, c-run makes it, 0700" {
	local fresh=$TEST_TMP/fresh/c-tools
	C_ROOT=$fresh run_cr --rm "$BUNDLE" echo ran
	expect_status 0
	expect_output ran
	expect_eq "$(stat -c %a "$fresh")" 700 "the state root's mode"
	[ -d "$fresh/cache" ] || { echo "no seccomp cache in $fresh"; return 1; }
	rm -rf "$TEST_TMP/fresh"
	C_ROOT=$fresh run_cr --rm bb true
	expect_status 125
	expect_error_line "image not found" bb
	expect_eq "$(stat -c %a "$fresh")" 700 "the state root's mode"
	rm -rf "$TEST_TMP/fresh"
	C_ROOT=$fresh run_cr --rm -v vol:/v "$BUNDLE" sh -c 'echo kept > /v/f'
	expect_status 0
	expect_eq "$(cat "$fresh/volumes/vol/_data/f")" kept "the volume"
	expect_eq "$(stat -c %a "$fresh") $(stat -c %a "$fresh/volumes")" "700 700" "modes"
}

# ---- isolation ----------------------------------------------------------------

@test "the host name is \"container\", or --hostname's" {
	run_cr "$BUNDLE" hostname
	expect_status 0
	expect_output container
	run_cr --hostname box-1 "$BUNDLE" sh -c 'hostname; cat /proc/sys/kernel/hostname'
	expect_status 0
	expect_output "$(printf 'box-1\nbox-1')"
	[ "$(hostname)" != box-1 ]
}

@test "the command is pid 1 of its own pid namespace" {
	run_cr "$BUNDLE" sh -c 'echo $$; read -r pid rest < /proc/self/stat; echo "$pid"'
	expect_status 0
	# the second is the shell again: read is a builtin, /proc/self is sh
	expect_output "$(printf '1\n1')"
	run_cr "$BUNDLE" ps -o pid,comm
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | awk 'NR > 1' | wc -l)" 1 "processes seen"
}

@test "the process has seccomp filtering, no_new_privs and docker's default capabilities" {
	run_cr "$BUNDLE" cat /proc/self/status
	expect_status 0
	expect_line "Seccomp:	2"
	expect_line "NoNewPrivs:	1"
	expect_line "CapEff:	00000000a80425fb"
	expect_line "CapPrm:	00000000a80425fb"
	expect_line "CapBnd:	00000000a80425fb"
	expect_line "CapInh:	0000000000000000"
	expect_line "CapAmb:	0000000000000000"
}

@test "--cap-drop CHOWN clears bit 0 and chown is refused" {
	run_cr --cap-drop CHOWN "$BUNDLE" grep CapEff /proc/self/status
	expect_status 0
	expect_output "CapEff:	00000000a80425fa"
	run_cr --cap-drop CHOWN "$BUNDLE" sh -c 'touch /tmp/chown-me && chown 1000 /tmp/chown-me'
	[ "$status" -ne 0 ] || { echo "chown worked without CAP_CHOWN" >&2; return 1; }
	[[ $stderr == *"Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	run_cr "$BUNDLE" sh -c 'chown 1000 /tmp/chown-me && stat -c %u /tmp/chown-me'
	expect_status 0
	expect_output 1000
	rm -f "$BUNDLE/rootfs/tmp/chown-me"
}

@test "--cap-add SYS_ADMIN sets bit 21" {
	run_cr --cap-add SYS_ADMIN "$BUNDLE" grep -E '^Cap(Eff|Bnd)' /proc/self/status
	expect_status 0
	expect_output "$(printf 'CapEff:\t00000000a82425fb\nCapBnd:\t00000000a82425fb')"
}

@test "--privileged: no seccomp, every capability c-run itself has" {
	local host
	host=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
	run_cr --privileged "$BUNDLE" cat /proc/self/status
	expect_status 0
	expect_line "Seccomp:	0"
	expect_line "CapEff:	$host"
}

@test "a syscall the default seccomp profile denies fails with EPERM (unshare -U)" {
	run_cr "$BUNDLE" busybox unshare -U true
	[ "$status" -ne 0 ] || { echo "unshare -U worked under the default profile" >&2; return 1; }
	[[ $stderr == *"Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	# the same call without the filter works: it is the filter that said no
	run_cr --security-opt seccomp=unconfined "$BUNDLE" sh -c \
		'grep "^Seccomp:" /proc/self/status; busybox unshare -U true && echo unshared'
	expect_status 0
	expect_output "$(printf 'Seccomp:\t0\nunshared')"
}

@test "masked paths: /proc/keys and /proc/timer_list read empty (not with --privileged)" {
	[ -s /proc/timer_list ] || [ "$(wc -c </proc/timer_list)" -gt 0 ] || skip "host /proc/timer_list is empty"
	run_cr "$BUNDLE" sh -c 'wc -c < /proc/keys; wc -c < /proc/timer_list; cat /proc/self/mountinfo'
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | sed -n 1p | tr -d ' ')" 0 "/proc/keys bytes"
	expect_eq "$(printf '%s\n' "$output" | sed -n 2p | tr -d ' ')" 0 "/proc/timer_list bytes"
	[[ $output == *" /proc/keys "* ]] || { echo "no mount on /proc/keys"; return 1; }
	run_cr --privileged "$BUNDLE" sh -c 'wc -c < /proc/timer_list'
	expect_status 0
	[ "$(printf '%s' "$output" | tr -d ' ')" -gt 0 ] || { echo "privileged: $output"; return 1; }
}

@test "/proc/sys is read-only: writing kernel/hostname is refused" {
	run_cr "$BUNDLE" sh -c 'echo evil > /proc/sys/kernel/hostname'
	[ "$status" -ne 0 ]
	[[ $stderr == *"Read-only file system"* ]] || { echo "$stderr"; return 1; }
	[ "$(hostname)" != evil ]
}

@test "/sys is mounted read-only" {
	run_cr "$BUNDLE" sh -c 'grep " /sys " /proc/self/mountinfo; echo 1 > /sys/kernel/uevent_helper'
	[ "$status" -ne 0 ]
	[[ $output == *" /sys ro,"* ]] || { echo "$output"; return 1; }
	[[ $stderr == *"Read-only file system"* ]] || { echo "$stderr"; return 1; }
}

@test "--read-only makes the root read-only (and without it the root is writable)" {
	rm -f "$BUNDLE/rootfs/ro-probe"
	run_cr --read-only "$BUNDLE" touch /ro-probe
	[ "$status" -ne 0 ]
	[[ $stderr == *"Read-only file system"* ]] || { echo "$stderr"; return 1; }
	[ ! -e "$BUNDLE/rootfs/ro-probe" ]
	run_cr "$BUNDLE" touch /ro-probe
	expect_status 0
	[ -e "$BUNDLE/rootfs/ro-probe" ]
	rm -f "$BUNDLE/rootfs/ro-probe"
}

@test "the container's mounts are listed in its /proc/self/mountinfo" {
	run_cr "$BUNDLE" cat /proc/self/mountinfo
	expect_status 0
	local m
	for m in "/ " "/proc " "/dev " "/dev/pts " "/dev/shm " "/dev/mqueue " "/sys " "/sys/fs/cgroup "; do
		printf '%s\n' "$output" | awk '{ print $5 " " }' | grep -qxF "$m" ||
			{ echo "no mount at $m"; echo "$output"; return 1; }
	done
	printf '%s\n' "$output" | awk '$5 == "/proc" { print $0 }' | grep -q -- '- proc '
	# the root is the bundle's rootfs, and the host's other mounts are not there
	expect_eq "$(printf '%s\n' "$output" | awk '$5 == "/" { print $4 }')" "$(realpath "$BUNDLE/rootfs")" "root"
	expect_eq "$(printf '%s\n' "$output" | awk '$5 == "/tmp" || $5 == "/run" || $5 == "/home"')" "" "host mounts"
}

@test "by default the only network interface is lo, in /proc/net/dev and in /sys/class/net" {
	run_cr "$BUNDLE" cat /proc/net/dev
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | ifnames | tr '\n' ' ')" "lo " "interfaces"
	run_cr --network none "$BUNDLE" cat /proc/net/dev
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | ifnames | tr '\n' ' ')" "lo " "interfaces"
	# sysfs shows the network namespace of whoever mounted it
	run_cr "$BUNDLE" ls /sys/class/net
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | tr '\n' ' ')" "lo " "sysfs interfaces"
}

@test "lo is up, with 127.0.0.1 and ::1: a server in the container answers on both" {
	run_cr --rm "$BUNDLE" sh -c 'cat /sys/class/net/lo/flags; grep -c " lo$" /proc/net/if_inet6
		busybox nc -l -p 8080 -e echo served-v4 & busybox nc -l -p 8081 -e echo served-v6 &
		sleep 0.2; busybox nc 127.0.0.1 8080 </dev/null; busybox nc ::1 8081 </dev/null'
	expect_status 0
	# IFF_UP | IFF_LOOPBACK
	expect_output "0x9
1
served-v4
served-v6"
}

@test "OCI: lo is left down, as runc leaves it to the caller" {
	oci_bundle "$TEST_TMP/lo" cat /sys/class/net/lo/flags
	run_oci run --bundle "$TEST_TMP/lo" "lo-$SFX"
	expect_status 0
	expect_output 0x8
}

@test "--network bridge (or any mode c-run does not give) is refused by name, status 2" {
	run_cr --rm --network bridge "$BUNDLE" true
	expect_status 2
	expect_error_line '--network "bridge": not supported'
	run_cr --rm --network container:x "$BUNDLE" true
	expect_status 2
	expect_error_line '--network "container:x": not supported'
}

@test "--network host shows the host's interfaces, in /proc/net/dev and in /sys/class/net" {
	[ "$(ifnames </proc/net/dev | wc -l)" -gt 1 ] || skip "the host has only lo: host mode cannot be told apart"
	run_cr --network host "$BUNDLE" cat /proc/net/dev
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | ifnames)" "$(ifnames </proc/net/dev)" "interfaces"
	run_cr --network host "$BUNDLE" ls /sys/class/net
	expect_status 0
	expect_eq "$output" "$(ls /sys/class/net)" "sysfs interfaces"
}

@test "no fd of c-run's caller reaches the container, nor pid 1 with --init" {
	run_cr bb ls /proc/self/fd 7</dev/null 9</dev/null
	expect_status 0
	# 3 is ls's own, reading the directory
	expect_eq "$(echo $output)" "0 1 2 3" "fds of the command"
	run_cr --init bb ls /proc/1/fd 7</dev/null
	expect_status 0
	expect_eq "$(echo $output)" "0 1 2" "fds of the init"
}

# ---- environment, working directory, user -------------------------------------

@test "-e K=V is in the environment; -e K takes K from c-run's, or leaves it out" {
	run_cr -e GREETING=hello -e 'SPACED=a b' "$BUNDLE" sh -c 'echo "$GREETING/$SPACED"'
	expect_status 0
	expect_output "hello/a b"
	FROM_HOST=passed run_cr -e FROM_HOST -e UNSET_ONE_XYZ "$BUNDLE" env
	expect_status 0
	expect_line FROM_HOST=passed
	[[ $output != *UNSET_ONE_XYZ* ]] || { echo "$output"; return 1; }
}

@test "without -i the container reads /dev/null, not c-run's stdin; with -i it reads it" {
	run --separate-stderr sh -c "echo from-stdin | '$BIN_DIR/c-run' --rm '$BUNDLE' sh -c 'cat; readlink /proc/self/fd/0'"
	expect_status 0
	expect_output /dev/null
	run --separate-stderr sh -c "echo from-stdin | '$BIN_DIR/c-run' --rm -i '$BUNDLE' cat"
	expect_status 0
	expect_output from-stdin
}

@test "-t sets TERM=xterm, unless -e TERM says otherwise" {
	run_cr --rm -t "$BUNDLE" sh -c 'echo "$TERM"'
	expect_status 0
	expect_output $'xterm\r'
	run_cr --rm -t -e TERM=vt100 "$BUNDLE" sh -c 'echo "$TERM"'
	expect_output $'vt100\r'
	run_cr --rm "$BUNDLE" sh -c 'echo "${TERM-unset}"'
	expect_output unset
}

@test "-w /tmp is the working directory" {
	run_cr -w /tmp "$BUNDLE" pwd
	expect_status 0
	expect_output /tmp
}

@test "-u 1000:1000 runs as uid 1000, gid 1000; -u user resolves the image's passwd" {
	run_cr -u 1000:1000 "$BUNDLE" sh -c 'id -u; id -g'
	expect_status 0
	expect_output "$(printf '1000\n1000')"
	run_cr -u user bb sh -c 'id -u; id -g'
	expect_status 0
	expect_output "$(printf '1000\n1000')"
}

# ---- volumes ------------------------------------------------------------------

@test "-v HOSTDIR:/data: writes land on the host" {
	mkdir "$TEST_TMP/h"
	echo from-host >"$TEST_TMP/h/in"
	run_cr -v "$TEST_TMP/h:/data" "$BUNDLE" sh -c 'cat /data/in; echo from-container > /data/out'
	expect_status 0
	expect_output from-host
	expect_eq "$(cat "$TEST_TMP/h/out")" from-container "host file"
}

@test "-v HOSTDIR:/data:ro refuses writes" {
	mkdir "$TEST_TMP/h"
	echo from-host >"$TEST_TMP/h/in"
	run_cr -v "$TEST_TMP/h:/data:ro" "$BUNDLE" sh -c 'cat /data/in; echo x > /data/out'
	[ "$status" -ne 0 ]
	expect_output from-host
	[[ $stderr == *"Read-only file system"* ]] || { echo "$stderr"; return 1; }
	[ ! -e "$TEST_TMP/h/out" ]
}

@test "-v NAME:/v is a named volume under \$C_ROOT/volumes/NAME/_data that outlives the container" {
	rm -rf "$C_ROOT/volumes/keepme"
	run_cr --rm -v keepme:/v "$BUNDLE" sh -c 'echo kept > /v/f'
	expect_status 0
	expect_eq "$(cat "$C_ROOT/volumes/keepme/_data/f")" kept "volume file"
	run_cr --rm -v keepme:/v bb cat /v/f
	expect_status 0
	expect_output kept
}

@test "--tmpfs /scratch is a tmpfs, and nothing written there reaches the rootfs" {
	run_cr --tmpfs /scratch "$BUNDLE" sh -c \
		'stat -f -c %T /scratch; grep -c " /scratch .* - tmpfs " /proc/self/mountinfo; echo x > /scratch/f && cat /scratch/f'
	expect_status 0
	expect_output "$(printf 'tmpfs\n1\nx')"
	[ ! -e "$BUNDLE/rootfs/scratch/f" ]
	# docker's options for it: nosuid, nodev, noexec
	run_cr --tmpfs /scratch "$BUNDLE" cat /proc/self/mountinfo
	expect_status 0
	output=$(printf '%s\n' "$output" | awk '$5 == "/scratch" { print $6 }')
	[[ ,$output, == *,nosuid,* && ,$output, == *,nodev,* && ,$output, == *,noexec,* ]] ||
		{ echo "options: $output"; return 1; }
}

# ---- limits -------------------------------------------------------------------

@test "--pids-limit 1 still runs one command, and pids.max is 1" {
	run_cr --pids-limit 1 "$BUNDLE" echo ok
	expect_status 0
	expect_output ok
	run_cr --pids-limit 1 "$BUNDLE" cat /sys/fs/cgroup/pids/pids.max
	expect_status 0
	expect_output 1
}

@test "--memory 4M still runs one command, and the limit is 4 MiB" {
	run_cr --memory 4M "$BUNDLE" echo ok
	expect_status 0
	expect_output ok
	run_cr --memory 4M "$BUNDLE" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	expect_status 0
	expect_output 4194304
}

@test "a memory hog under --memory 8M is OOM-killed: 137, oomKilled in its state" {
	need_test_init
	run_cr --name hog --memory 8M "$BUNDLE" /c-test-init mem 64
	expect_status 137
	[[ $output != *"allocated 64 MiB"* ]]
	local id
	id=$(state_field hog 's["id"]')
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["c-tools"]
assert s["exitCode"] == 137 and s["oomKilled"] is True, s' "$C_ROOT/containers/$id/state.json"
	# the same program with room enough is fine
	run_cr --memory 128M "$BUNDLE" /c-test-init mem 64
	expect_status 0
	expect_output "allocated 64 MiB"
}

@test "a fork loop under --pids-limit 5 meets EAGAIN (\"can't fork\") and the container still ends" {
	local t0=$SECONDS
	run_cr --pids-limit 5 "$BUNDLE" sh -c 'i=0; while [ $i -lt 50 ]; do sleep 60 & i=$((i + 1)); done; echo all forked'
	[ "$status" -ne 0 ]
	[[ $output != *"all forked"* ]]
	[[ $stderr == *"can't fork"* ]] || { echo "$stderr"; return 1; }
	[ $((SECONDS - t0)) -lt 30 ] || { echo "took $((SECONDS - t0)) s"; return 1; }
}

@test "--pids-limit 5 lets exactly 4 children be forked beside pid 1" {
	need_test_init
	run_cr --pids-limit 5 "$BUNDLE" /c-test-init fork-bomb-lite 20
	expect_status 0
	expect_output "forked 4 of 20 (Resource temporarily unavailable)"
}

@test "--cpus 0.5 is a CFS quota of 50000 per 100000 µs, seen inside and on the host" {
	run_cr --cpus 0.5 "$BUNDLE" sh -c \
		'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us'
	expect_status 0
	expect_output "$(printf '50000\n100000')"
	"$BIN_DIR/c-run" --name half --cpus 0.5 "$BUNDLE" sleep 100 >/dev/null 2>&1 3>&- &
	wait_until 5 is_status half running
	local id
	id=$(state_field half 's["id"]')
	expect_eq "$(cat "/sys/fs/cgroup/cpu/c-tools/$id/cpu.cfs_quota_us")" 50000 "host quota"
	grep -qx "$(state_field half 's["pid"]')" "/sys/fs/cgroup/cpu/c-tools/$id/cgroup.procs"
	oci kill half KILL
	wait
}

@test "--ulimit nofile=100:200 sets the soft and hard limits" {
	run_cr --ulimit nofile=100:200 "$BUNDLE" sh -c 'ulimit -n; ulimit -Hn; grep "^Max open files" /proc/self/limits'
	expect_status 0
	expect_eq "$(printf '%s\n' "$output" | sed -n 1p)" 100 "soft"
	expect_eq "$(printf '%s\n' "$output" | sed -n 2p)" 200 "hard"
	[[ $(printf '%s\n' "$output" | sed -n 3p) =~ ^Max\ open\ files\ +100\ +200\ +files ]] ||
		{ echo "$output"; return 1; }
}

@test "--ulimit above c-run's own hard limit fails with an error naming RLIMIT_NOFILE" {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "the hard limit of nofile is unlimited here"
	run_cr --ulimit "nofile=100:$((hard + 1))" "$BUNDLE" echo should-not-run
	expect_status 125
	expect_output ""
	expect_error_line RLIMIT_NOFILE
}

# ---- timeout, init, signals ---------------------------------------------------

@test "--timeout 1 stops sleep 100 with status 124 within seconds" {
	local t0=$SECONDS
	run_cr --timeout 1 --stop-timeout 1 "$BUNDLE" sleep 100
	expect_status 124
	[ $((SECONDS - t0)) -le 5 ] || { echo "took $((SECONDS - t0)) s"; return 1; }
}

@test "--timeout sends --stop-signal first; a process that handles it ends then, still 124" {
	need_test_init
	local t0=$SECONDS
	run_cr --timeout 1 --stop-timeout 30 "$BUNDLE" /c-test-init signals
	expect_status 124
	expect_output "$(printf 'ready\nsignal 15 SIGTERM')"
	[ $((SECONDS - t0)) -le 10 ] || { echo "took $((SECONDS - t0)) s: no SIGTERM first?"; return 1; }
	run_cr --timeout 1 --stop-signal USR1 --stop-timeout 30 "$BUNDLE" /c-test-init signals 1
	expect_status 124
	expect_output "$(printf 'ready\nsignal 10 SIGUSR1')"
}

@test "--init: pid 1 is not the command, the command's status is returned, orphans are reaped" {
	run_cr --init "$BUNDLE" sh -c 'echo $$; exit 7'
	expect_status 7
	[[ $output =~ ^[0-9]+$ ]] && [ "$output" -ne 1 ] || { echo "command's pid: $output"; return 1; }
	run_cr --init "$BUNDLE" sh -c 'kill -TERM $$'
	expect_status 143
	need_test_init
	run_cr --init "$BUNDLE" /c-test-init reap 5
	expect_status 0
	expect_output_re '^orphan [0-9]+ reaped by init$'
}

@test "SIGUSR1 and SIGTERM sent to c-run reach the container's process" {
	need_test_init
	"$BIN_DIR/c-run" "$BUNDLE" /c-test-init signals >"$TEST_TMP/out" 2>&1 3>&- &
	local crpid=$! rc=0
	wait_until 5 grep -qx ready "$TEST_TMP/out"
	kill -USR1 "$crpid"
	wait_until 5 grep -qx "signal 10 SIGUSR1" "$TEST_TMP/out"
	kill -TERM "$crpid"
	wait "$crpid" || rc=$?
	expect_eq "$rc" 0 "status"
	grep -qx "signal 15 SIGTERM" "$TEST_TMP/out" || { cat "$TEST_TMP/out"; return 1; }
}

# ---- --rm, list, rm -----------------------------------------------------------

one_container() {
	[ "$(cr ps -a -q | wc -l)" = 1 ]
}

@test "--rm leaves nothing: no state, no data dir, no cgroup, no host mount" {
	local before_m target crpid id rc
	mkdir "$TEST_TMP/h"
	before_m=$(sort /proc/self/mountinfo)
	for target in bb "$BUNDLE"; do
		rm -f "$TEST_TMP/h/go"
		"$BIN_DIR/c-run" --rm -v "$TEST_TMP/h:/h" --tmpfs /scratch --memory 64m \
			--pids-limit 50 "$target" sh -c \
			'echo x > /upper-file; while [ ! -e /h/go ]; do sleep 0.1; done; exit 9' \
			>/dev/null 2>"$TEST_TMP/err" 3>&- &
		crpid=$!
		wait_until 5 one_container
		id=$(cr ps -a -q --no-trunc)
		wait_until 5 is_status "$id" running
		# while it runs, its traces are there (so the checks below can fail)
		[ -f "$C_ROOT/containers/$id/state.json" ]
		[ -d "/sys/fs/cgroup/memory/c-tools/$id" ]
		[ "$target" != bb ] || [ -d "$C_ROOT/containers/$id/upper" ]
		touch "$TEST_TMP/h/go"
		rc=0
		wait "$crpid" || rc=$?
		expect_eq "$rc" 9 "status ($target)"
		no_trace_of "$id"
	done
	rm -f "$BUNDLE/rootfs/upper-file"
	# a command that is not found: no trace either
	run -127 --separate-stderr "$BIN_DIR/c-run" --rm bb no-such-command-xyz
	expect_eq "$(find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock)" "" "state dirs"
	expect_eq "$(ls "$C_ROOT/containers")" "" "data dirs"
	expect_eq "$(comm -13 <(echo "$before_m") <(sort /proc/self/mountinfo))" "" "new host mounts"
}

@test "--rm of a container killed while running removes what it had" {
	"$BIN_DIR/c-run" --rm --name doomed --memory 64m -v "$TEST_TMP:/data" bb sleep 100 >/dev/null 2>&1 3>&- &
	local crpid=$! id rc=0 d
	wait_until 5 is_status doomed running
	id=$(state_field doomed 's["id"]')
	[ -n "$id" ]
	# while it runs, everything is there (so the checks below can fail)
	[ -d "$C_ROOT/containers/$id" ]
	[ -d "$C_ROOT/containers/$id" ]
	[ -d "/sys/fs/cgroup/memory/c-tools/$id" ]
	[ -d "/sys/fs/cgroup/pids/c-tools/$id" ]
	oci kill doomed KILL
	wait "$crpid" || rc=$?
	expect_eq "$rc" 137 "status"
	no_trace_of "$id"
}

@test "without --rm the stopped container is listed with its exit code; rm removes it" {
	run_cr --name listed "$BUNDLE" sh -c 'exit 3'
	expect_status 3
	local id
	id=$(state_field listed 's["id"]')
	[ -n "$id" ]
	expect_eq "$(state_field listed 's["status"]')" stopped "status"
	run_cr ps -a
	expect_status 0
	[[ $(printf '%s\n' "$output" | grep ' listed$') == *"Exited (3) "*" ago"* ]] ||
		{ echo "$output"; return 1; }
	run_cr ps -a -q --no-trunc
	expect_status 0
	expect_line "$id"
	run_cr rm "$id"
	expect_status 0
	run_cr ps -a -q --no-trunc
	expect_no_line "$id"
	[ ! -e "$C_ROOT/containers/$id" ]
	run_oci state listed
	expect_status 4
}

# ---- names --------------------------------------------------------------------

@test "a second container with a taken name is refused, naming the name; the first runs on" {
	"$BIN_DIR/c-run" --name taken bb sleep 100 >/dev/null 2>&1 3>&- &
	wait_until 5 is_status taken running
	local id pid before
	id=$(state_field taken 's["id"]')
	pid=$(state_field taken 's["pid"]')
	before=$(ls "$C_ROOT/containers")
	run_cr --name taken bb echo second
	[ "$status" -ne 0 ]
	expect_output ""
	expect_error_line taken
	run_cr --name taken "$BUNDLE" echo third
	[ "$status" -ne 0 ]
	expect_output ""
	expect_error_line taken
	expect_eq "$(cr ps -a | awk '$NF == "taken"' | wc -l)" 1 "containers named taken"
	expect_eq "$(ls "$C_ROOT/containers")" "$before" "data dirs"
	expect_eq "$(state_field taken 's["id"]')" "$id" "id"
	expect_eq "$(state_field taken 's["status"]')" running "status"
	expect_eq "$(state_field taken 's["pid"]')" "$pid" "pid"
	oci kill taken KILL
	wait
	# once it is removed, the name is free again
	cr rm taken
	run_cr --rm --name taken "$BUNDLE" echo again
	expect_status 0
	expect_output again
}

@test "of 10 containers started at once with one name, exactly one runs" {
	local i rc ok=0
	local -a pids=()
	for i in $(seq 1 10); do
		if ((i % 2)); then
			"$BIN_DIR/c-run" --name same bb true >/dev/null 2>&1 3>&- &
		else
			"$BIN_DIR/c-run" --name same "$BUNDLE" true >/dev/null 2>&1 3>&- &
		fi
		pids[i]=$!
	done
	for i in $(seq 1 10); do
		rc=0
		wait "${pids[i]}" || rc=$?
		[ "$rc" != 0 ] || ok=$((ok + 1))
	done
	expect_eq "$ok" 1 "containers that ran"
	expect_eq "$(cr ps -a -q | wc -l)" 1 "containers kept"
	# the losers left no dir behind: the winner's alone is there
	expect_eq "$(ls "$C_ROOT/containers" | wc -l)" 1 "containers' dirs"
}

@test "20 containers started in parallel all succeed" {
	local i rc fails=0
	local -a pids=()
	for i in $(seq 1 20); do
		if ((i % 2)); then
			"$BIN_DIR/c-run" --rm --name "par$i" bb sh -c "echo par$i \$\$" \
				>"$TEST_TMP/out$i" 2>"$TEST_TMP/err$i" 3>&- &
		else
			"$BIN_DIR/c-run" --rm --name "par$i" "$BUNDLE" sh -c "echo par$i \$\$" \
				>"$TEST_TMP/out$i" 2>"$TEST_TMP/err$i" 3>&- &
		fi
		pids[i]=$!
	done
	for i in $(seq 1 20); do
		rc=0
		wait "${pids[i]}" || rc=$?
		if [ "$rc" != 0 ] || [ "$(cat "$TEST_TMP/out$i")" != "par$i 1" ]; then
			echo "par$i: status $rc, out: $(cat "$TEST_TMP/out$i"), err: $(cat "$TEST_TMP/err$i")"
			fails=$((fails + 1))
		fi
	done
	expect_eq "$fails" 0 "failed containers"
	expect_eq "$(cr ps -a -q)" "" "containers left"
}

# ---- the OCI runtime front ----------------------------------------------------

@test "OCI: a container goes from created (with --pid-file's pid) to running to stopped" {
	oci_bundle "$TEST_TMP/ob" sh -c 'echo started > /out/marker; exit 5'
	ccreate --bundle "$TEST_TMP/ob" --pid-file "$TEST_TMP/pid" "oci1-$SFX"
	expect_status 0
	expect_output ""
	local pid
	pid=$(cat "$TEST_TMP/pid")
	[[ $pid =~ ^[0-9]+$ ]]
	expect_eq "$(state_field "oci1-$SFX" 's["status"]')" created "status"
	expect_eq "$(state_field "oci1-$SFX" 's["pid"]')" "$pid" "pid"
	expect_eq "$(state_field "oci1-$SFX" 's["id"]')" "oci1-$SFX" "id"
	expect_eq "$(state_field "oci1-$SFX" 's["bundle"]')" "$(realpath "$TEST_TMP/ob")" "bundle"
	# the process exists, is pid 1 of its namespace, and has not run the command
	expect_eq "$(awk '$1 == "NSpid:" { print $NF }' "/proc/$pid/status")" 1 "pid inside"
	sleep 0.3
	[ ! -e "$TEST_TMP/ob/out/marker" ] || { echo "ran before start"; return 1; }
	run_oci start "oci1-$SFX"
	expect_status 0
	wait_until 5 test -e "$TEST_TMP/ob/out/marker"
	expect_eq "$(cat "$TEST_TMP/ob/out/marker")" started "marker"
	wait_until 5 is_status "oci1-$SFX" stopped
	expect_eq "$(state_field "oci1-$SFX" 's["status"]')" stopped "status"
	run_oci start "oci1-$SFX"
	[ "$status" -ne 0 ]
	run_oci delete "oci1-$SFX"
	expect_status 0
	run_oci state "oci1-$SFX"
	expect_status 4
}

@test "OCI: kill KILL stops a created container and a running one" {
	oci_bundle "$TEST_TMP/ob" sleep 100
	ccreate --bundle "$TEST_TMP/ob" "oci2-$SFX"
	expect_status 0
	local pid
	pid=$(state_field "oci2-$SFX" 's["pid"]')
	run_oci kill "oci2-$SFX" KILL
	expect_status 0
	wait_until 5 is_status "oci2-$SFX" stopped
	wait_until 5 proc_gone "$pid"
	run_oci delete "oci2-$SFX"
	expect_status 0

	ccreate --bundle "$TEST_TMP/ob" "oci3-$SFX"
	expect_status 0
	run_oci start "oci3-$SFX"
	expect_status 0
	wait_until 5 is_status "oci3-$SFX" running
	pid=$(state_field "oci3-$SFX" 's["pid"]')
	run_oci kill "oci3-$SFX" KILL
	expect_status 0
	wait_until 5 is_status "oci3-$SFX" stopped
	wait_until 5 proc_gone "$pid"
	run_oci kill "oci3-$SFX" KILL
	[ "$status" -ne 0 ]
	run_oci delete "oci3-$SFX"
	expect_status 0
}

@test "OCI: delete refuses a created or running container without --force, and removes it with --force" {
	oci_bundle "$TEST_TMP/ob" sleep 100
	ccreate --bundle "$TEST_TMP/ob" "oci4-$SFX"
	expect_status 0
	run_oci delete "oci4-$SFX"
	[ "$status" -ne 0 ]
	expect_error_line "oci4-$SFX" created --force
	expect_eq "$(state_field "oci4-$SFX" 's["status"]')" created "status after refused delete"
	run_oci start "oci4-$SFX"
	expect_status 0
	wait_until 5 is_status "oci4-$SFX" running
	local pid
	pid=$(state_field "oci4-$SFX" 's["pid"]')
	run_oci delete "oci4-$SFX"
	[ "$status" -ne 0 ]
	expect_error_line "oci4-$SFX" running --force
	expect_eq "$(state_field "oci4-$SFX" 's["status"]')" running "status after refused delete"
	run_oci delete --force "oci4-$SFX"
	expect_status 0
	run_oci state "oci4-$SFX"
	expect_status 4
	wait_until 5 proc_gone "$pid"
	local d
	for d in /sys/fs/cgroup/*/c-tools/"oci4-$SFX"; do
		[ ! -e "$d" ] || { echo "cgroup left: $d"; return 1; }
	done
}

@test "OCI: run --bundle returns the container's status and removes it" {
	oci_bundle "$TEST_TMP/ob" sh -c 'echo out; exit 5'
	run_oci run --bundle "$TEST_TMP/ob" "oci5-$SFX"
	expect_status 5
	expect_output out
	run_oci state "oci5-$SFX"
	expect_status 4
	# the bundle defaults to the current directory
	cd "$TEST_TMP/ob"
	run_oci run "oci6-$SFX"
	expect_status 5
	expect_output out
}

# The container called $1 is still there, running as pid $2, with its cgroup.
still_running() {
	expect_eq "$(oci list -q | grep -cx "$1")" 1 "containers $1" || return 1
	expect_eq "$(state_field "$1" 's["status"]')" running "status of $1" || return 1
	expect_eq "$(state_field "$1" 's["pid"]')" "$2" "pid of $1" || return 1
	[ -d "/sys/fs/cgroup/pids/c-tools/$1" ] || { echo "the cgroup of $1 is gone" >&2; return 1; }
}

@test "OCI: create and run refuse an id in use, and leave that container alone" {
	local id=oci7-$SFX pid
	oci_bundle "$TEST_TMP/ob" sleep 100
	oci_bundle "$TEST_TMP/quick" true
	ccreate --bundle "$TEST_TMP/ob" "$id"
	expect_status 0
	run_oci start "$id"
	expect_status 0
	wait_until 5 is_status "$id" running
	pid=$(state_field "$id" 's["pid"]')
	ccreate --bundle "$TEST_TMP/quick" "$id"
	[ "$status" -ne 0 ]
	expect_error_line "$id"
	still_running "$id" "$pid"
	run_oci run --bundle "$TEST_TMP/quick" "$id"
	[ "$status" -ne 0 ]
	expect_error_line "$id"
	still_running "$id" "$pid"
}

@test "OCI: state, start, kill and delete of an unknown id fail with 4; delete --force succeeds" {
	run_oci state no-such-id
	expect_status 4
	expect_error_line no-such-id
	run_oci start no-such-id
	expect_status 4
	expect_error_line no-such-id
	run_oci kill no-such-id KILL
	expect_status 4
	expect_error_line no-such-id
	run_oci delete no-such-id
	expect_status 4
	expect_error_line no-such-id
	# as runc: what --force would remove is gone already, which is no error
	run_oci delete --force no-such-id
	expect_status 0
	expect_eq "$stderr" "" "stderr"
	run_cr rm -f no-such-id
	expect_status 4
	expect_error_line no-such-id
}

# ---- overlay (the image front) ------------------------------------------------

@test "an image runs on an overlay root; a file written in one container is not in the next" {
	run_cr bb true
	expect_status 0
	run_cr bb sh -c 'echo private > /written && cat /written; grep " / " /proc/self/mountinfo'
	expect_status 0
	expect_line private
	[[ $output == *" - overlay "* ]] || { echo "root is not an overlay: $output"; return 1; }
	run_cr bb cat /written
	[ "$status" -ne 0 ]
	[[ $stderr == *"No such file"* ]] || { echo "$stderr"; return 1; }
	# and no layer of the store was written
	expect_eq "$(find "$C_ROOT" -path "$C_ROOT/containers" -prune -o -name written -print)" "" "in the store"
}

# ---- the container's cgroup: the process moves itself in, then sets itself up ----

# Edits DIR/config.json with the python statements given (c is the config).
edit_config() {
	python3 - "$1/config.json" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"))
PY
}

@test "a mount that fails is the error: 125, the mount named, no cgroup left" {
	local id=order1-$SFX
	oci_bundle "$TEST_TMP/ob" true
	edit_config "$TEST_TMP/ob" '
m = next(m for m in c["mounts"] if m["destination"] == "/dev")
m["options"].append("size=bogus")'
	run_oci run --bundle "$TEST_TMP/ob" "$id"
	expect_status 125
	expect_error_line "$id" "mount tmpfs on /dev" "size=bogus" "Invalid argument"
	[ ! -e "/sys/fs/cgroup/pids/c-tools/$id" ] || { echo "cgroup left behind" >&2; return 1; }
}

@test "a cgroup namespace without a cgroup mount has the container's cgroup as its root" {
	oci_bundle "$TEST_TMP/ob" cat /proc/self/cgroup
	edit_config "$TEST_TMP/ob" '
c["mounts"] = [m for m in c["mounts"] if m["type"] != "cgroup"]
assert {"type": "cgroup"} in c["linux"]["namespaces"]'
	run_oci run --bundle "$TEST_TMP/ob" "order2-$SFX"
	expect_status 0
	[[ $output == *:pids:/* ]] || { echo "no pids line: $output"; return 1; }
	[ "$(grep -vc ':/$' <<<"$output")" = 0 ] || { echo "a cgroup is not the root: $output"; return 1; }
}

@test "without a cgroup namespace the process is in /c-tools/ID in every hierarchy, bound at /sys/fs/cgroup" {
	local id=order3-$SFX
	oci_bundle "$TEST_TMP/ob" sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max'
	edit_config "$TEST_TMP/ob" '
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
c["linux"].setdefault("resources", {})["pids"] = {"limit": 5}'
	run_oci run --bundle "$TEST_TMP/ob" "$id"
	expect_status 0
	expect_eq "$(tail -n 1 <<<"$output")" 5 "pids.max"
	# hierarchies with a controller c-run uses; name=systemd and v2 stay
	expect_eq "$(awk -F: -v want="/c-tools/$id" '$2 ~ /(^|,)(cpu|cpuacct|cpuset|memory|pids|devices|freezer)(,|$)/ {
		n++; if ($3 != want) print "not in the cgroup: " $0 } END { if (n < 2) print "too few lines" }' \
		<<<"$output")" "" "/proc/self/cgroup"
}

@test "OCI: a created container waits at the exec fifo inside its cgroup" {
	local id=order4-$SFX pid
	oci_bundle "$TEST_TMP/ob" true
	ccreate --bundle "$TEST_TMP/ob" --pid-file "$TEST_TMP/pid" "$id"
	expect_status 0
	pid=$(cat "$TEST_TMP/pid")
	grep -qx "[0-9]*:pids:/c-tools/$id" "/proc/$pid/cgroup" ||
		{ cat "/proc/$pid/cgroup"; return 1; }
	run_oci delete --force "$id"
	expect_status 0
}
