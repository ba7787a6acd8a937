# tests/helpers/common.bash — shared set-up for the bats suites.
#
#   load helpers/common          (from a file in tests/)
#
# Variables (exported, so setup_file and every test see them):
#   REPO_ROOT   the repository's top directory
#   BUILD_DIR   where the musl flavour is built; default $REPO_ROOT/build/musl,
#               a relative value is taken from REPO_ROOT
#   BIN_DIR     where the programs are (default $REPO_ROOT/bin)
#   TEST_INIT   the static test init (default $BUILD_DIR/tests/c-test-init)
#   FIXTURES    $REPO_ROOT/tests/fixtures
#   TEST_TMP    a fresh directory per test (set by common_setup; it is
#               BATS_TEST_TMPDIR, which bats removes, or a mktemp dir that
#               common_teardown removes)
#
# Loading this file defines setup() and teardown() that call common_setup and
# common_teardown; a suite that defines its own after `load` replaces them and
# should call those two itself.
#
# Helpers:
#   require_root                 skip unless uid 0
#   skip_unless_cmd CMD...       skip unless every CMD is on PATH
#   require_test_init            fail (not skip) when c-test-init is not built
#   expect_status N              $status is N, else print $output and fail
#   expect_output TEXT           $output is TEXT exactly, else show both
#   expect_output_re REGEX       $output matches the extended REGEX
#   expect_line TEXT             one line of $output ($lines) is TEXT
#   expect_no_line TEXT          no line of $output is TEXT
#   expect_eq ACTUAL EXPECTED [WHAT]   two strings are equal
#   wait_until SECONDS CMD...    poll CMD every 0.1 s until it succeeds
#   free_port                    print a TCP port free on 127.0.0.1 now

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT
BUILD_DIR=${BUILD_DIR:-build/musl}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$REPO_ROOT/$BUILD_DIR ;; esac
export BUILD_DIR
export BIN_DIR=${BIN_DIR:-$REPO_ROOT/bin}
export TEST_INIT=${TEST_INIT:-$BUILD_DIR/tests/c-test-init}
export FIXTURES=$REPO_ROOT/tests/fixtures

common_setup() {
	if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
		TEST_TMP=$BATS_TEST_TMPDIR
		_common_own_tmp=
	else
		TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/c-tools-test.XXXXXX")
		_common_own_tmp=1
	fi
	export TEST_TMP
}

common_teardown() {
	if [ -n "${_common_own_tmp:-}" ] && [ -n "${TEST_TMP:-}" ]; then
		rm -rf "$TEST_TMP"
	fi
	return 0
}

setup() { common_setup; }
teardown() { common_teardown; }

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

skip_unless_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

require_test_init() {
	if [ ! -x "$TEST_INIT" ]; then
		echo "c-test-init is not built: $TEST_INIT (make $BUILD_DIR/tests/c-test-init)" >&2
		return 1
	fi
}

expect_status() {
	if [ "${status:-}" != "$1" ]; then
		printf 'expected status %s, got %s; output:\n%s\n' "$1" "${status:-}" "${output:-}" >&2
		return 1
	fi
}

expect_output() {
	if [ "${output:-}" != "$1" ]; then
		printf -- '--- expected output\n%s\n--- actual output\n%s\n---\n' "$1" "${output:-}" >&2
		return 1
	fi
}

expect_output_re() {
	if ! [[ ${output:-} =~ $1 ]]; then
		printf -- 'output does not match /%s/:\n%s\n' "$1" "${output:-}" >&2
		return 1
	fi
}

expect_line() {
	local l
	for l in "${lines[@]}"; do
		[ "$l" = "$1" ] && return 0
	done
	printf -- 'no line is "%s"; output:\n%s\n' "$1" "${output:-}" >&2
	return 1
}

expect_no_line() {
	local l
	for l in "${lines[@]}"; do
		if [ "$l" = "$1" ]; then
			printf -- 'unexpected line "%s"; output:\n%s\n' "$1" "${output:-}" >&2
			return 1
		fi
	done
	return 0
}

expect_eq() {
	if [ "$1" != "$2" ]; then
		printf -- '%s: expected "%s", got "%s"\n' "${3:-value}" "$2" "$1" >&2
		return 1
	fi
}

wait_until() {
	local secs=$1 i n
	shift
	n=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 10 }')
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
