# shellcheck shell=sh
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# tests/vm/checks.sh — c-run on a pure cgroup v2 host, run inside the VM by
# tests/vm/init (busybox sh; no python, no bats).  The checks mirror what
# tests/c-run.bats checks on v1: the container's cgroup while it runs and
# after, the limits as the v2 files show them from inside and from the host,
# the OOM killer, the pids limit, the cgroup namespace, the OCI front with a
# cgroupsPath, the detached lifecycle, c-attach --exec, parallel runs.
#
#   sh checks.sh                 every check, TAP on stdout: "ok N - NAME" or
#                                "not ok N - NAME" with "# " lines after it
#                                (what failed, then the check's output), the
#                                plan last
#   sh checks.sh --one FUNCTION  one check, its output as it comes
#
# Each check runs in a shell of its own under a time limit; the containers
# it leaves are deleted after it.  The host side (tests/cgroup-v2.bats) reads
# the results off the console.

STATE=/run/c-run-vm
export C_ROOT=/tmp/c-root
B=/vm/bundle
CG=/sys/fs/cgroup
CHECK_TIMEOUT=60

# ---- helpers ------------------------------------------------------------------

# the docker-like front (its records under $C_ROOT), and the OCI front (its
# state in $STATE)
cr() { c-run "$@"; }
oci() { c-run --root "$STATE" "$@"; }

# the docker-like front's containers, ids in full
containers() { cr ps -a -q --no-trunc; }

# run CMD...: $status, $output (stdout) and $stderr, as bats' run sets them
run() {
	"$@" >/tmp/run.out 2>/tmp/run.err </dev/null
	status=$?
	output=$(cat /tmp/run.out)
	stderr=$(cat /tmp/run.err)
}

fail() {
	echo "FAILED: $*"
	return 1
}

expect_status() {
	[ "$status" = "$1" ] ||
		fail "status $status, expected $1; stdout: [$output] stderr: [$stderr]"
}

expect_output() {
	[ "$output" = "$1" ] || fail "output [$output], expected [$1]; stderr: [$stderr]"
}

expect_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: [$1], expected [$2]"
}

# stderr is one "c-run: " line naming every WORD
expect_error_line() {
	[ -n "$stderr" ] && [ "$(printf '%s\n' "$stderr" | wc -l)" = 1 ] &&
		case $stderr in "c-run: "*) true ;; *) false ;; esac ||
		fail "expected one error line \"c-run: ...\", got [$stderr]"
	for w in "$@"; do
		case $stderr in *"$w"*) ;; *) fail "the error line does not name \"$w\": $stderr" ;; esac ||
			return 1
	done
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s
wait_until() {
	_tries=$(($1 * 10))
	shift
	while ! "$@"; do
		_tries=$((_tries - 1))
		[ "$_tries" -gt 0 ] || fail "timed out waiting for: $*" || return 1
		sleep 0.1
	done
}

# a top-level field of `c-run state WHAT`, which prints one "key": value a line
state_field() {
	oci state "$1" 2>/dev/null | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p"
}

is_status() { [ "$(state_field "$1" status)" = "$2" ]; }

proc_gone() {
	[ ! -e "/proc/$1" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}

# nothing of container ID is left: state, cgroup, listing
no_trace_of() {
	[ ! -e "$STATE/$1" ] || fail "state dir left: $STATE/$1" || return 1
	[ ! -e "$CG/c-tools/$1" ] || fail "cgroup left: $CG/c-tools/$1" || return 1
	[ ! -e "$C_ROOT/containers/$1" ] || fail "record left: $C_ROOT/containers/$1" || return 1
	! oci list -q | grep -qxF "$1" || fail "$1 still listed" || return 1
	! containers | grep -qxF "$1" || fail "$1 still listed by ps"
}

has_words() { # FILE WORD...: every WORD is in FILE
	_f=$1
	shift
	for w in "$@"; do
		grep -qw "$w" "$_f" || fail "$_f has no $w: $(cat "$_f")" || return 1
	done
}

# the cgroups below $CG/DIR
cgroups_in() {
	[ ! -d "$CG/$1" ] || find "$CG/$1" -mindepth 1 -type d
}

# gone_but_parent PATH: the cgroup PATH made by create is gone after delete,
# and so is everything below its parent, which create made too and which
# delete leaves (delete knows the container's cgroup only, as runc does);
# the check removes the parent itself
gone_but_parent() {
	[ ! -e "$CG$1" ] || fail "cgroup left: $CG$1" || return 1
	_p=$CG${1%/*}
	[ -z "$(find "$_p" -mindepth 1 -type d 2>/dev/null)" ] || fail "cgroups left: $(find "$_p" -mindepth 1 -type d)" || return 1
	[ ! -d "$_p" ] || rmdir "$_p"
}

one_container() { [ "$(containers | wc -l)" = 1 ]; }

# oci_bundle DIR CGROUPS-PATH ARGS-JSON [EDIT...]: an OCI bundle at DIR whose
# rootfs is $B's, with linux.cgroupsPath CGROUPS-PATH ("" for none),
# process.args ARGS-JSON, DIR/out bound at /out, and EDITs: nocgroupns (no
# cgroup namespace), pids=N (linux.resources.pids.limit), devices=JSON
# (linux.resources.devices, JSON with no "|").  config.json is
# edited with sed: c-unpack writes it on one line, "args":["sh"] first.
oci_bundle() {
	_dir=$1 _cg=$2 _args=$3
	shift 3
	mkdir -p "$_dir/out"
	_repl=$(printf '%s' "$_args" | sed 's/[&|\\]/\\&/g')
	{
		echo "s|\"args\":\[\"sh\"\]|\"args\":$_repl|"
		echo "s|\"root\":{\"path\":\"rootfs\"|\"root\":{\"path\":\"$B/rootfs\"|"
		echo "s|\"mounts\":\[|&{\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"$_dir/out\",\"options\":[\"rbind\",\"rw\"]},|"
		[ -z "$_cg" ] || echo "s|\"linux\":{|&\"cgroupsPath\":\"$_cg\",|"
		for _e; do
			case $_e in
			nocgroupns) echo 's|,{"type":"cgroup"}||' ;;
			pids=*) echo "s|\"linux\":{|&\"resources\":{\"pids\":{\"limit\":${_e#pids=}}},|" ;;
			devices=*) echo "s|\"linux\":{|&\"resources\":{\"devices\":${_e#devices=}},|" ;;
			esac
		done
	} >"$_dir/edit.sed"
	sed -f "$_dir/edit.sed" "$B/config.json" >"$_dir/config.json" &&
		grep -qF "\"args\":$_args" "$_dir/config.json" &&
		grep -qF "\"path\":\"$B/rootfs\"" "$_dir/config.json" &&
		grep -qF '"destination":"/out"' "$_dir/config.json" &&
		{ [ -z "$_cg" ] || grep -qF "\"cgroupsPath\":\"$_cg\"" "$_dir/config.json"; } ||
		fail "could not make $_dir/config.json: $(cat "$_dir/config.json")"
}

# ---- checks -------------------------------------------------------------------

t_pure_v2() {
	expect_eq "$(grep -c ' - cgroup2 ' /proc/self/mountinfo)" 1 "cgroup2 mounts" || return 1
	expect_eq "$(grep -c ' - cgroup ' /proc/self/mountinfo)" 0 "cgroup v1 mounts" || return 1
	grep -q " /sys/fs/cgroup .* - cgroup2 " /proc/self/mountinfo || fail "cgroup2 is not at /sys/fs/cgroup" || return 1
	has_words "$CG/cgroup.controllers" cpuset cpu memory pids || return 1
	expect_eq "$(cat "$CG/cgroup.subtree_control")" "" "the root's cgroup.subtree_control"
}

t_first_run() {
	run cr --rm "$B" echo ok
	expect_status 0 || return 1
	expect_output ok || return 1
	has_words "$CG/cgroup.subtree_control" cpuset cpu memory pids
}

t_live_cgroup() {
	cr --name live "$B" sleep 100 >/dev/null 2>/tmp/live.err &
	crpid=$!
	wait_until 10 is_status live running || return 1
	id=$(state_field live id)
	pid=$(state_field live pid)
	[ -n "$id" ] && [ -n "$pid" ] || fail "no id or pid in the state: $(oci state live)" || return 1
	[ -d "$CG/c-tools/$id" ] || fail "no cgroup $CG/c-tools/$id: $(find $CG -type d)" || return 1
	grep -qx "$pid" "$CG/c-tools/$id/cgroup.procs" ||
		fail "pid $pid is not in $CG/c-tools/$id/cgroup.procs: $(cat "$CG/c-tools/$id/cgroup.procs")" || return 1
	expect_eq "$(cat "/proc/$pid/cgroup")" "0::/c-tools/$id" "/proc/$pid/cgroup" || return 1
	has_words "$CG/c-tools/$id/cgroup.controllers" cpuset cpu memory pids || return 1
	has_words "$CG/c-tools/cgroup.subtree_control" cpuset cpu memory pids || return 1
	run oci kill live KILL
	expect_status 0 || return 1
	rc=0
	wait "$crpid" || rc=$?
	expect_eq "$rc" 137 "c-run's status" || return 1
	[ ! -e "$CG/c-tools/$id" ] || fail "cgroup left after the end: $CG/c-tools/$id" || return 1
	expect_eq "$(state_field live status)" stopped "status" || return 1
	run cr rm live
	expect_status 0 || return 1
	no_trace_of "$id"
}

t_rm() {
	mkdir -p /tmp/h
	rm -f /tmp/h/go
	cr --rm -v /tmp/h:/h --memory 64m --pids-limit 50 "$B" sh -c \
		'while [ ! -e /h/go ]; do sleep 0.1; done; exit 9' >/dev/null 2>/tmp/rm.err &
	crpid=$!
	wait_until 10 one_container || return 1
	id=$(containers)
	wait_until 10 is_status "$id" running || return 1
	[ -d "$C_ROOT/containers/$id" ] || fail "no record while it runs" || return 1
	expect_eq "$(cat "$CG/c-tools/$id/memory.max")" 67108864 "memory.max on the host" || return 1
	expect_eq "$(cat "$CG/c-tools/$id/pids.max")" 50 "pids.max on the host" || return 1
	touch /tmp/h/go
	rc=0
	wait "$crpid" || rc=$?
	expect_eq "$rc" 9 "status" || return 1
	no_trace_of "$id"
}

t_memory_4m() {
	run cr --rm --memory 4M "$B" echo ok
	expect_status 0 || return 1
	expect_output ok || return 1
	run cr --rm --memory 4M "$B" cat /sys/fs/cgroup/memory.max
	expect_status 0 || return 1
	expect_output 4194304
}

t_oom() {
	run cr --name hog --memory 8M "$B" /c-test-init mem 64
	expect_status 137 || return 1
	case $output in *"allocated 64 MiB"*) fail "the hog was not stopped: $output" || return 1 ;; esac
	id=$(state_field hog id)
	[ -n "$id" ] || fail "no state of hog" || return 1
	grep -q '"exitCode":137' "$C_ROOT/containers/$id/state.json" && grep -q '"oomKilled":true' "$C_ROOT/containers/$id/state.json" ||
		fail "state.json: $(cat "$C_ROOT/containers/$id/state.json")" || return 1
	cr rm hog >/dev/null
	# the same program with room enough is fine
	run cr --rm --memory 128M "$B" /c-test-init mem 64
	expect_status 0 || return 1
	expect_output "allocated 64 MiB"
}

t_pids_1() {
	run cr --rm --pids-limit 1 "$B" echo ok
	expect_status 0 || return 1
	expect_output ok || return 1
	run cr --rm --pids-limit 1 "$B" cat /sys/fs/cgroup/pids.max
	expect_status 0 || return 1
	expect_output 1
}

t_fork_loop() {
	t0=$(date +%s)
	run cr --rm --pids-limit 5 "$B" sh -c 'i=0; while [ $i -lt 50 ]; do sleep 60 & i=$((i + 1)); done; echo all forked'
	[ "$status" -ne 0 ] || fail "status 0: $output" || return 1
	case $output in *"all forked"*) fail "all forked" || return 1 ;; esac
	case $stderr in *"can't fork"*) ;; *) fail "no \"can't fork\": $stderr" || return 1 ;; esac
	[ $(($(date +%s) - t0)) -lt 30 ] || fail "took $(($(date +%s) - t0)) s"
}

t_fork_bomb_lite() {
	run cr --rm --pids-limit 5 "$B" /c-test-init fork-bomb-lite 20
	expect_status 0 || return 1
	expect_output "forked 4 of 20 (Resource temporarily unavailable)"
}

t_cpus() {
	run cr --rm --cpus 0.5 "$B" cat /sys/fs/cgroup/cpu.max
	expect_status 0 || return 1
	expect_output "50000 100000" || return 1
	cr --name half --cpus 0.5 "$B" sleep 100 >/dev/null 2>&1 &
	wait_until 10 is_status half running || return 1
	id=$(state_field half id)
	expect_eq "$(cat "$CG/c-tools/$id/cpu.max")" "50000 100000" "cpu.max on the host" || return 1
	grep -qx "$(state_field half pid)" "$CG/c-tools/$id/cgroup.procs" || fail "not in the cgroup" || return 1
	oci kill half KILL
	wait
	return 0
}

t_cpu_shares() {
	for pair in 1024:100 512:59 2:1 262144:10000; do
		run cr --rm --cpu-shares "${pair%:*}" "$B" cat /sys/fs/cgroup/cpu.weight
		expect_status 0 || return 1
		expect_eq "$output" "${pair#*:}" "cpu.weight for --cpu-shares ${pair%:*}" || return 1
	done
}

t_cpuset() {
	run cr --rm --cpuset-cpus 1 "$B" sh -c \
		'cat /sys/fs/cgroup/cpuset.cpus /sys/fs/cgroup/cpuset.cpus.effective; grep Cpus_allowed_list /proc/self/status'
	expect_status 0 || return 1
	expect_output "$(printf '1\n1\nCpus_allowed_list:\t1')"
}

t_memory_swap() {
	run cr --rm --memory 32m --memory-swap 64m "$B" cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max
	expect_status 0 || return 1
	expect_output "$(printf '33554432\n33554432')" || return 1
	run cr --rm --memory 32m --memory-swap -1 "$B" cat /sys/fs/cgroup/memory.swap.max
	expect_status 0 || return 1
	expect_output max
}

t_bad_cpuset() {
	run cr --rm --name badcpu --cpuset-cpus 7 "$B" echo never
	expect_status 125 || return 1
	expect_error_line cpuset.cpus || return 1
	[ -z "$(cgroups_in c-tools)" ] || fail "cgroups left: $(cgroups_in c-tools)" || return 1
	[ -z "$(oci list -q)$(containers)" ] || fail "containers left: $(oci list) $(cr ps -a)"
}

t_cgroupns() {
	run cr --rm "$B" sh -c 'cat /proc/self/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo; cat /sys/fs/cgroup/cgroup.procs'
	expect_status 0 || return 1
	expect_eq "$(printf '%s\n' "$output" | sed -n 1p)" "0::/" "/proc/self/cgroup" || return 1
	printf '%s\n' "$output" | sed -n 2p | grep -q ' /sys/fs/cgroup ro,.* - cgroup2 ' ||
		fail "/sys/fs/cgroup is not a read-only cgroup2 mount: $output" || return 1
	printf '%s\n' "$output" | sed -n '3,$p' | grep -qx 1 ||
		fail "pid 1 is not in the namespace's root cgroup: $output"
}

t_oci_no_cgroupns() {
	oci_bundle /tmp/ob-ns "" '["sh","-c","cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max"]' nocgroupns pids=5 || return 1
	! grep -qF '{"type":"cgroup"}' /tmp/ob-ns/config.json || fail "the cgroup namespace is still there" || return 1
	run oci run --bundle /tmp/ob-ns ns1
	expect_status 0 || return 1
	expect_output "$(printf '0::/c-tools/ns1\n5')" || return 1
	[ ! -e "$CG/c-tools/ns1" ] || fail "cgroup left"
}

t_oci_run() {
	oci_bundle /tmp/ob-run /vmtest/run1 '["sh","-c","cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max; exit 5"]' nocgroupns pids=7 || return 1
	run oci run --bundle /tmp/ob-run run1
	expect_status 5 || return 1
	expect_output "$(printf '0::/vmtest/run1\n7')" || return 1
	run oci state run1
	expect_status 4 || return 1
	[ ! -e "$CG/vmtest" ] || fail "cgroup left: $(find "$CG/vmtest")"
}

t_oci_lifecycle() {
	oci_bundle /tmp/ob1 /vmtest/oci1 '["sh","-c","echo started > /out/marker; exec sleep 100"]' || return 1
	status=0
	oci create --bundle /tmp/ob1 --pid-file /tmp/ob1/pid oci1 >/tmp/create.out 2>/tmp/create.err </dev/null || status=$?
	output=$(cat /tmp/create.out) stderr=$(cat /tmp/create.err)
	expect_status 0 || return 1
	pid=$(cat /tmp/ob1/pid)
	expect_eq "$(state_field oci1 status)" created "status" || return 1
	expect_eq "$(state_field oci1 pid)" "$pid" "pid" || return 1
	# it waits at the exec fifo, inside its cgroup already
	expect_eq "$(cat "/proc/$pid/cgroup")" "0::/vmtest/oci1" "/proc/$pid/cgroup" || return 1
	grep -qx "$pid" "$CG/vmtest/oci1/cgroup.procs" || fail "not in cgroup.procs" || return 1
	sleep 0.3
	[ ! -e /tmp/ob1/out/marker ] || fail "ran before start" || return 1
	run oci start oci1
	expect_status 0 || return 1
	wait_until 10 test -e /tmp/ob1/out/marker || return 1
	expect_eq "$(state_field oci1 status)" running "status" || return 1
	run oci kill oci1 KILL
	expect_status 0 || return 1
	wait_until 10 is_status oci1 stopped || return 1
	wait_until 10 proc_gone "$pid" || return 1
	run oci delete oci1
	expect_status 0 || return 1
	run oci state oci1
	expect_status 4 || return 1
	gone_but_parent /vmtest/oci1
}

t_oci_kill_all() {
	oci_bundle /tmp/ob2 /vmtest/oci2 '["sh","-c","sleep 100 & sleep 100 & wait; echo children-gone > /out/m; exec sleep 100"]' || return 1
	oci create --bundle /tmp/ob2 oci2 >/dev/null 2>/tmp/create.err </dev/null || fail "create: $(cat /tmp/create.err)" || return 1
	run oci start oci2
	expect_status 0 || return 1
	pid=$(state_field oci2 pid)
	wait_until 10 eval '[ "$(wc -l <"$CG/vmtest/oci2/cgroup.procs")" = 3 ]' || return 1
	# TERM to every process of the cgroup: the sleeps end; pid 1 (no handler) stays
	run oci kill --all oci2 TERM
	expect_status 0 || return 1
	wait_until 10 test -e /tmp/ob2/out/m || return 1
	expect_eq "$(state_field oci2 status)" running "status after kill --all TERM" || return 1
	# KILL to all of them (cgroup.kill)
	run oci kill --all oci2 KILL
	expect_status 0 || return 1
	wait_until 10 is_status oci2 stopped || return 1
	wait_until 10 proc_gone "$pid" || return 1
	expect_eq "$(cat "$CG/vmtest/oci2/cgroup.procs" 2>&1)" "" "processes left" || return 1
	run oci delete oci2
	expect_status 0 || return 1
	gone_but_parent /vmtest/oci2
}

t_oci_delete_force() {
	oci_bundle /tmp/ob3 /vmtest/oci3 '["sleep","100"]' || return 1
	oci create --bundle /tmp/ob3 oci3 >/dev/null 2>/tmp/create.err </dev/null || fail "create: $(cat /tmp/create.err)" || return 1
	run oci start oci3
	expect_status 0 || return 1
	wait_until 10 is_status oci3 running || return 1
	pid=$(state_field oci3 pid)
	run oci delete oci3
	[ "$status" -ne 0 ] || fail "delete of a running container succeeded" || return 1
	expect_error_line oci3 --force || return 1
	run oci delete --force oci3
	expect_status 0 || return 1
	wait_until 10 proc_gone "$pid" || return 1
	gone_but_parent /vmtest/oci3
}

t_detached() {
	run cr -d --name det --memory 64m --pids-limit 20 "$B" sleep 100
	expect_status 0 || return 1
	id=$output
	wait_until 10 is_status det running || return 1
	pid=$(state_field det pid)
	[ -d "$CG/c-tools/$id" ] || fail "no cgroup while it runs" || return 1
	grep -qx "$pid" "$CG/c-tools/$id/cgroup.procs" || fail "not in cgroup.procs" || return 1
	expect_eq "$(cat "$CG/c-tools/$id/memory.max")" 67108864 "memory.max" || return 1
	run cr stop -t 1 det
	expect_status 0 || return 1
	wait_until 10 is_status det stopped || return 1
	wait_until 10 test ! -e "$CG/c-tools/$id" || return 1
	run cr rm det
	expect_status 0 || return 1
	no_trace_of "$id"
}

t_exec() {
	run cr -d --name ex --pids-limit 20 "$B" sleep 100
	expect_status 0 || return 1
	id=$output
	wait_until 10 is_status ex running || return 1
	run c-attach --exec ex sh -c 'cat /proc/self/cgroup /sys/fs/cgroup/pids.max'
	expect_status 0 || return 1
	expect_output "$(printf '0::/\n20')" || return 1
	c-attach --exec ex sleep 100 >/dev/null 2>&1 &
	wait_until 10 eval '[ "$(wc -l <"$CG/c-tools/$id/cgroup.procs")" = 2 ]' || return 1
	run cr rm -f ex
	expect_status 0 || return 1
	wait
	no_trace_of "$id"
}

t_parallel() {
	for i in 1 2 3 4 5; do
		cr --rm --name "par$i" --memory 32m --pids-limit 20 --cpus 0.5 "$B" sh -c "echo par$i \$\$" \
			>"/tmp/par$i.out" 2>"/tmp/par$i.err" &
		eval "pid$i=$!"
	done
	fails=0
	for i in 1 2 3 4 5; do
		rc=0
		eval "wait \$pid$i" || rc=$?
		if [ "$rc" != 0 ] || [ "$(cat "/tmp/par$i.out")" != "par$i 1" ]; then
			echo "par$i: status $rc, out: $(cat "/tmp/par$i.out"), err: $(cat "/tmp/par$i.err")"
			fails=$((fails + 1))
		fi
	done
	expect_eq "$fails" 0 "containers that failed" || return 1
	expect_eq "$(containers)" "" "containers left" || return 1
	[ -z "$(cgroups_in c-tools)" ] || fail "cgroups left: $(cgroups_in c-tools)"
}

# c-run started from a cgroup of its own, as under systemd's init.scope: the
# default /c-tools/ID is from the mount's root still; a relative cgroupsPath
# is below a cgroup that holds processes, where v2 enables no controller: a
# limit there is EBUSY
t_from_child_cgroup() {
	mkdir -p "$CG/vmrunner"
	echo $$ >"$CG/vmrunner/cgroup.procs" || fail "cannot move into $CG/vmrunner" || return 1
	run cr --rm --pids-limit 9 "$B" cat /sys/fs/cgroup/pids.max
	expect_status 0 || return 1
	expect_output 9 || return 1
	oci_bundle /tmp/ob-rel vmrel/x '["true"]' pids=5 || return 1
	run oci run --bundle /tmp/ob-rel rel1
	[ "$status" -ne 0 ] || fail "status 0" || return 1
	expect_error_line vmrel/x /sys/fs/cgroup/vmrunner/cgroup.subtree_control busy || return 1
	[ ! -e "$CG/vmrunner/vmrel" ] || fail "cgroup left: $(find "$CG/vmrunner/vmrel")" || return 1
	echo $$ >"$CG/cgroup.procs"
	rmdir "$CG/vmrunner"
}

# c-run in a container on a v2 host (a CI job's, say): the root of the
# container's cgroup namespace holds its processes, so no controller can be
# enabled there.  A container without limits still runs (as runc's does), a
# limit is EBUSY, and once the processes moved to a child cgroup (as docker's
# dind does) the limit works.  The outer container is privileged and
# remounts its /sys/fs/cgroup read-write.
t_in_container() {
	run cr --rm --privileged -v /bin/c-run:/c-run -v "$B:$B" "$B" sh -c '
		mount -o remount,rw /sys/fs/cgroup || exit 1
		/c-run --root /tmp/st --rm '"$B"' cat /proc/self/cgroup; echo "status $?"
		/c-run --root /tmp/st --rm --pids-limit 5 '"$B"' true; echo "status $?"
		mkdir /sys/fs/cgroup/init && echo 1 >/sys/fs/cgroup/init/cgroup.procs || exit 1
		/c-run --root /tmp/st --rm --pids-limit 5 '"$B"' cat /sys/fs/cgroup/pids.max; echo "status $?"'
	expect_status 0 || return 1
	expect_output "$(printf '0::/\nstatus 0\nstatus 125\n5\nstatus 0')" || return 1
	expect_error_line /sys/fs/cgroup/cgroup.subtree_control busy
}

t_loopback() {
	run cr --rm "$B" sh -c 'cat /sys/class/net/lo/flags
		busybox nc -l -p 8080 -e echo served & sleep 0.2; busybox nc 127.0.0.1 8080 </dev/null'
	expect_status 0 || return 1
	expect_output "$(printf '0x9\nserved')"
}

# ---- devices: v2 has no devices controller, c-run's BPF program decides --------
#
# The host's disk is a loop device over a file holding a secret, /dev/loop0
# (7:0), made by the first of these checks; the bundle's rootfs carries
# /nodes/disk (7:0) and /nodes/mem (1:1) from an image layer
# (tests/cgroup-v2.bats).  The rootfs is shared: commands remove the nodes
# they make first.

SECRET=HOSTSECRET-on-the-host-disk

# stderr names PATH as refused by the kernel
refused() {
	case $stderr in *"$1: Operation not permitted"*) ;; *) fail "$1 not refused: status $status, stdout [$output], stderr [$stderr]" ;; esac
}

t_dev_host_disk() {
	printf '%s\n' "$SECRET" >/tmp/disk.img && dd if=/dev/zero bs=1k count=1023 >>/tmp/disk.img 2>/dev/null &&
		losetup /dev/loop0 /tmp/disk.img || fail "no loop device /dev/loop0" || return 1
	expect_eq "$(head -c ${#SECRET} /dev/loop0)" "$SECRET" "the host reads its disk" || return 1
	run cr --rm "$B" sh -c 'rm -f /tmp/l; mknod /tmp/l b 7 0 && echo made && head -c 10 /tmp/l'
	[ "$status" -ne 0 ] || fail "the container read the host's disk: $output" || return 1
	expect_output made || return 1
	refused /tmp/l || return 1
	run cr --rm "$B" sh -c 'rm -f /tmp/l; mknod /tmp/l b 7 0 && echo overwritten > /tmp/l'
	[ "$status" -ne 0 ] || fail "the container wrote the host's disk" || return 1
	refused /tmp/l || return 1
	expect_eq "$(head -c ${#SECRET} /dev/loop0)" "$SECRET" "the disk after"
}

# /dev/mem needs CAP_SYS_RAWIO as well, which a default container lacks;
# /dev/loop-control needs nothing but the device rules (it would let the
# container add and remove the host's loop devices)
t_dev_mem() {
	run cr --rm "$B" sh -c 'rm -f /tmp/mem /tmp/lc; mknod /tmp/mem c 1 1 && mknod /tmp/lc c 10 237 && echo made && head -c 1 /tmp/mem; head -c 1 /tmp/lc'
	expect_output made || return 1
	refused /tmp/mem && refused /tmp/lc
}

t_dev_layer_nodes() {
	[ -b "$B/rootfs/nodes/disk" ] && [ -c "$B/rootfs/nodes/mem" ] || fail "no nodes in the bundle: $(ls -l "$B/rootfs/nodes")" || return 1
	run cr --rm "$B" sh -c 'head -c 10 /nodes/disk; head -c 1 /nodes/mem'
	expect_output "" || return 1
	refused /nodes/disk && refused /nodes/mem
}

t_dev_standard() {
	run cr --rm "$B" sh -c 'echo x > /dev/null && head -c 2 /dev/zero | od -An -tx1 && head -c 1 /dev/urandom > /dev/full; rm -f /tmp/n; mknod /tmp/n c 1 3 && echo y > /tmp/n && cat /tmp/n && echo ok'
	expect_status 0 || return 1
	expect_output "$(printf ' 00 00\nok')"
}

t_dev_device() {
	run cr --rm --device /dev/loop0 "$B" head -c ${#SECRET} /dev/loop0
	expect_status 0 || return 1
	expect_output "$SECRET" || return 1
	run cr --rm --device /dev/loop0:/dev/xvdc:r "$B" sh -c "head -c ${#SECRET} /dev/xvdc && echo && echo x > /dev/xvdc"
	[ "$status" -ne 0 ] || fail "wrote through a read-only --device" || return 1
	expect_output "$SECRET" || return 1
	refused /dev/xvdc || return 1
	run cr --rm --device /dev/loop0 "$B" sh -c 'rm -f /tmp/o; mknod /tmp/o b 7 1 && head -c 1 /tmp/o'
	refused /tmp/o
}

t_dev_rule() {
	run cr --rm --device-cgroup-rule 'b 7:0 r' "$B" sh -c "rm -f /tmp/l; mknod /tmp/l b 7 0 && head -c ${#SECRET} /tmp/l"
	expect_status 0 || return 1
	expect_output "$SECRET"
}

t_dev_privileged() {
	run cr --rm --privileged "$B" sh -c "head -c ${#SECRET} /dev/loop0 && echo && head -c ${#SECRET} /nodes/disk && echo && head -c 1 /dev/loop-control"
	[ "$status" -ne 0 ] || fail "read loop-control" || return 1
	expect_output "$(printf '%s\n%s' "$SECRET" "$SECRET")" || return 1
	# opened, then a read refused by its driver, not by the device rules
	case $stderr in *"Operation not permitted"*) fail "refused: $stderr" ;; *loop-control*) ;; *) fail "stderr: $stderr" ;; esac
}

t_dev_oci_order() {
	oci_bundle /tmp/ob-dev1 "" '["sh","-c","rm -f /tmp/l; mknod /tmp/l b 7 0; head -c 27 /tmp/l; echo; echo x > /tmp/l"]' \
		'devices=[{"allow":false,"access":"rwm"},{"allow":true,"type":"b","major":7,"minor":0,"access":"rwm"},{"allow":false,"type":"b","major":7,"minor":0,"access":"w"}]' || return 1
	run oci run --bundle /tmp/ob-dev1 dev1
	[ "$status" -ne 0 ] || fail "wrote: deny w came last" || return 1
	expect_output "$SECRET" || return 1
	refused /tmp/l || return 1
	oci_bundle /tmp/ob-dev2 "" '["sh","-c","rm -f /tmp/l; mknod /tmp/l b 7 0 && head -c 27 /tmp/l && cat /tmp/l > /tmp/l && echo rw"]' \
		'devices=[{"allow":false,"access":"rwm"},{"allow":false,"type":"b","major":7,"minor":0,"access":"w"},{"allow":true,"type":"b","major":7,"minor":0,"access":"rwm"}]' || return 1
	run oci run --bundle /tmp/ob-dev2 dev2
	expect_status 0 || return 1
	expect_output "${SECRET}rw"
}

t_dev_exec() {
	run cr -d --name dx --device /dev/loop0:/dev/given:r "$B" sleep 100
	expect_status 0 || return 1
	wait_until 10 is_status dx running || return 1
	run c-attach --exec dx sh -c "head -c ${#SECRET} /dev/given && echo && rm -f /tmp/m && mknod /tmp/m c 1 1 && head -c 1 /tmp/m"
	expect_output "$SECRET" || return 1
	refused /tmp/m || return 1
	run oci exec dx sh -c 'echo x > /dev/given'
	refused /dev/given || return 1
	run cr rm -f dx
	expect_status 0
}

# Where the kernel will not take the program (here: bpf(2) refused by the
# seccomp filter of the container c-run runs in), the container is refused,
# unless its rules allow every device anyway.
t_dev_no_bpf() {
	echo '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ERRNO"}]}' >/tmp/nobpf.json
	run cr --rm --cap-add ALL --security-opt seccomp=/tmp/nobpf.json -v /bin/c-run:/c-run -v "$B:$B" "$B" sh -c '
		mount -o remount,rw /sys/fs/cgroup || exit 1
		mkdir /sys/fs/cgroup/init && echo 1 >/sys/fs/cgroup/init/cgroup.procs || exit 1
		/c-run --root /tmp/st --rm '"$B"' echo ran; echo "status $?"
		/c-run --root /tmp/st --rm --privileged '"$B"' echo ran; echo "status $?"'
	expect_status 0 || return 1
	expect_output "$(printf 'status 125\nran\nstatus 0')" || return 1
	expect_error_line "apply linux.resources.devices: load the BPF device program for /sys/fs/cgroup/c-tools/" "Operation not permitted"
}

# (parents such as /c-tools may stay: they are shared)
t_nothing_left() {
	[ -z "$(oci list -q)$(containers)" ] || fail "containers left: $(oci list) $(cr ps -a)" || return 1
	left=$(find "$CG" -mindepth 2 -type d)
	[ -z "$left" ] || fail "cgroups left: $left"
}

# ---- the runner ---------------------------------------------------------------

if [ "${1:-}" = --one ]; then
	"$2"
	exit $?
fi

uptime_s() { cut -d' ' -f1 /proc/uptime; }

n=0
check() { # FUNCTION NAME
	n=$((n + 1))
	t0=$(uptime_s)
	timeout -s KILL "$CHECK_TIMEOUT" sh "$0" --one "$1" >/tmp/check.log 2>&1
	rc=$?
	took=$(awk -v a="$t0" '{ printf "%.2f", $1 - a }' /proc/uptime)
	if [ "$rc" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ "$rc" != 137 ] || echo "# killed after $CHECK_TIMEOUT s"
		sed 's/^/# /' /tmp/check.log
	fi
	echo "# ($1: $took s)"
	# what the check left
	for id in $(oci list -q 2>/dev/null); do
		oci delete --force "$id" >/dev/null 2>&1
	done
	for id in $(containers 2>/dev/null); do
		cr rm -f "$id" >/dev/null 2>&1
	done
	rmdir "$CG/vmrunner" 2>/dev/null
}

mkdir -p "$STATE" "$C_ROOT"
echo "# vm: $(uname -r), $(nproc) CPUs, checks start at $(uptime_s) s of uptime"
check t_pure_v2 "the VM is pure cgroup v2: one cgroup2 mount, no v1, the root's subtree_control empty"
check t_first_run "c-run enables cpuset, cpu, memory and pids in the root's subtree_control itself"
check t_live_cgroup "the container's cgroup /c-tools/ID holds its process while it runs and is gone after"
check t_rm "--rm leaves no state and no cgroup"
check t_memory_4m "--memory 4M still runs one command, and memory.max is 4 MiB"
check t_oom "a memory hog under --memory 8M is OOM-killed: 137, oomKilled in its state"
check t_pids_1 "--pids-limit 1 still runs one command, and pids.max is 1"
check t_fork_loop "a fork loop under --pids-limit 5 meets EAGAIN and the container still ends"
check t_fork_bomb_lite "--pids-limit 5 lets exactly 4 children be forked beside pid 1"
check t_cpus "--cpus 0.5 is cpu.max 50000 100000, inside and on the host"
check t_cpu_shares "--cpu-shares is cpu.weight: 1024 is 100, 512 is 59, 2 is 1, 262144 is 10000"
check t_cpuset "--cpuset-cpus 1 is cpuset.cpus 1, and the process may run on CPU 1 only"
check t_memory_swap "--memory-swap is memory.swap.max, the swap beyond --memory; -1 is max"
check t_bad_cpuset "a cpuset the kernel refuses is one error line, 125, and no cgroup left"
check t_cgroupns "the container has its own cgroup namespace: /proc/self/cgroup is 0::/"
check t_oci_no_cgroupns "without a cgroup namespace the process is in /c-tools/ID, bound at /sys/fs/cgroup"
check t_oci_run "OCI: run --bundle with a cgroupsPath runs in that cgroup and removes it"
check t_oci_lifecycle "OCI: create, start, state, kill, delete with a cgroupsPath leave no cgroup"
check t_oci_kill_all "OCI: kill --all signals every process of the cgroup"
check t_oci_delete_force "OCI: delete --force of a running container leaves no cgroup"
check t_detached "-d, stop, rm: the detached container's cgroup goes with it"
check t_exec "c-attach --exec runs in the detached container's cgroup"
check t_parallel "5 containers in parallel all succeed and leave no cgroup"
check t_from_child_cgroup "run from a child cgroup: /c-tools/ID still works; a limit on a relative cgroupsPath is EBUSY"
check t_in_container "in a container, whose cgroup namespace's root holds processes, a container without limits runs"
check t_loopback "lo is up in a default container: a server in it answers on 127.0.0.1"
check t_dev_host_disk "a default container cannot read or write a host disk through a node it makes"
check t_dev_mem "a default container cannot open /dev/mem or the host's loop-control"
check t_dev_layer_nodes "device nodes an image's layer carries cannot be opened"
check t_dev_standard "the standard nodes work, and mknod of null (c 1 3) still gives a working null"
check t_dev_device "--device gives exactly that device, with its permissions"
check t_dev_rule "--device-cgroup-rule allows the devices it names"
check t_dev_privileged "--privileged: every host device is in /dev and opens"
check t_dev_oci_order "OCI: linux.resources.devices rules apply in order"
check t_dev_exec "a process exec'd into a container meets its device rules"
check t_dev_no_bpf "where bpf(2) is refused, a container is refused too, unless its rules allow every device"
check t_nothing_left "no container and no cgroup is left at the end"
echo "1..$n"
