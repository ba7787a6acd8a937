# shellcheck shell=bash
# Helpers of the c-run suites: one store per file ($C_ROOT) holding the
# busybox fixture as "bb" and the records of the docker-like front's
# containers ($C_ROOT/containers), and the OCI front's state root $STATE
# (always passed with --root to OCI commands, so nothing touches
# /run/c-run).
#
#   c_run_setup_file        the store and the state root, for setup_file
#   c_run_bundle_setup_file ... and $BUNDLE, a copy-mode unpack of bb, and
#                           $SFX, a suffix for OCI container ids
#   c_run_teardown          delete every container left, for teardown
#   setup, teardown         as root only; common's, and every container left
#                           deleted after each test (a suite may define its
#                           own after loading this file)
#   run_cr ARGS...          c-run (the docker-like front) under bats' run
#                           (--separate-stderr)
#   cr ARGS...              c-run plainly
#   run_oci ARGS...         c-run --root $STATE (the OCI front) under run
#   oci ARGS...             c-run --root $STATE plainly
#   expect_error_line W...  $stderr is one "c-run: " line naming every W
#   no_trace_of ID          nothing of container ID is left
#   state_field WHAT EXPR   a field of WHAT's record (python on s: the OCI
#                           state, c-run's fields under s["c-tools"]), of
#                           either front
#   runtime_dir WHAT        the runtime dir of container WHAT (its attach
#                           socket): /run/c-tools/HASH/ID
#   detach ARGS...          c-run -d ARGS, which must succeed; the id in $id
#   is_running WHAT         the container's status is running
#   is_status WHAT STATUS   the container's status is STATUS
#   oci_bundle DIR ARGS...  an OCI bundle at DIR on $BUNDLE's rootfs, DIR/out
#                           bound at /out, process.args ARGS; python
#                           statements in $EDIT change the config (c) more
#   ccreate ARGS...         c-run create ARGS, status/output/stderr set as
#                           bats' run sets them (through files: the created
#                           process keeps create's stdout and stderr)

c_run_setup_file() {
	export C_ROOT=$BATS_FILE_TMPDIR/root
	export STATE=$BATS_FILE_TMPDIR/state
	fixture_busybox_image "$BATS_FILE_TMPDIR/bb" >/dev/null
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/bb:latest" "oci:$C_ROOT:bb"
}

c_run_bundle_setup_file() {
	c_run_setup_file
	export BUNDLE=$BATS_FILE_TMPDIR/bundle
	# OCI container ids name cgroups (/c-tools/ID) shared by every state
	# root: a suffix keeps two runs of a file apart
	SFX=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	export SFX
	"$BIN_DIR/c-unpack" --copy bb "$BUNDLE" >/dev/null
}

c_run_teardown() {
	local id
	for id in $(oci list -q 2>/dev/null); do
		oci delete --force "$id" >/dev/null 2>&1 || true
	done
	for id in $(cr ps -a -q --no-trunc 2>/dev/null); do
		cr rm -f "$id" >/dev/null 2>&1 || true
	done
}

setup() {
	common_setup
	require_root
}

teardown() {
	c_run_teardown
	common_teardown
}

run_cr() {
	run --separate-stderr "$BIN_DIR/c-run" "$@"
}

cr() {
	"$BIN_DIR/c-run" "$@"
}

run_oci() {
	run --separate-stderr "$BIN_DIR/c-run" --root "$STATE" "$@"
}

oci() {
	"$BIN_DIR/c-run" --root "$STATE" "$@"
}

expect_error_line() {
	local want
	if [ -z "${stderr:-}" ] || [ "$(printf '%s\n' "$stderr" | wc -l)" != 1 ] ||
		[[ $stderr != "c-run: "* ]]; then
		printf 'expected one error line "c-run: ...", got:\n%s\n' "${stderr:-}" >&2
		return 1
	fi
	for want in "$@"; do
		[[ $stderr == *"$want"* ]] || {
			printf 'error line does not name "%s": %s\n' "$want" "$stderr" >&2
			return 1
		}
	done
}

no_trace_of() {
	local d
	[ ! -e "$STATE/$1" ] || { echo "state dir left: $STATE/$1"; return 1; }
	[ ! -e "$C_ROOT/containers/$1" ] || { echo "data dir left: $C_ROOT/containers/$1"; return 1; }
	! ls -d /run/c-tools/*/"$1" 2>/dev/null || { echo "runtime dir left"; return 1; }
	for d in /sys/fs/cgroup/*/c-tools/"$1"; do
		[ ! -e "$d" ] || { echo "cgroup left: $d"; return 1; }
	done
	! grep -F "$1" /proc/self/mountinfo || { echo "host mount left"; return 1; }
	oci list -q | grep -qxF "$1" && { echo "still listed"; return 1; }
	cr ps -a -q --no-trunc | grep -qxF "$1" && { echo "still listed by ps"; return 1; }
	return 0
}

state_field() {
	oci state "$1" 2>/dev/null | python3 -c 'import json, sys
s = json.load(sys.stdin)
v = eval(sys.argv[1])
print("" if v is None else v)' "$2"
}

runtime_dir() {
	local id
	id=$(state_field "$1" 's["id"]')
	[ -n "$id" ] && ls -d /run/c-tools/*/"$id"
}

detach() {
	run_cr -d "$@"
	expect_status 0
	id=$output
	[[ $id =~ ^[0-9a-f]{64}$ ]] || { echo "not an id: $id"; return 1; }
}

is_running() {
	[ "$(state_field "$1" 's["status"]')" = running ]
}

oci_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir/out"
	python3 - "$BUNDLE/config.json" "$dir" "$BUNDLE/rootfs" "$@" <<'EOF'
import json, os, sys
src, dir, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = json.load(open(src))
c["process"]["args"] = args
c["root"]["path"] = rootfs
c["mounts"].append({"destination": "/out", "type": "bind", "source": dir + "/out",
                    "options": ["rbind", "rw"]})
exec(os.environ.get("EDIT", ""))
json.dump(c, open(dir + "/config.json", "w"))
EOF
}

ccreate() {
	status=0
	"$BIN_DIR/c-run" --root "$STATE" create "$@" >"$TEST_TMP/create.out" \
		2>"$TEST_TMP/create.err" </dev/null 3>&- || status=$?
	output=$(cat "$TEST_TMP/create.out")
	stderr=$(cat "$TEST_TMP/create.err")
}

is_status() {
	[ "$(state_field "$1" 's["status"]')" = "$2" ]
}
