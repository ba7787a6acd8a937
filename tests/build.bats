#!/usr/bin/env bats
# The build and the harness themselves: static binaries, conventions every
# program must keep, the dependency cache, install, and the closing line.

bats_require_minimum_version 1.5.0

load helpers/common

@test "every built binary is statically linked, with no interpreter" {
	local n=0 b
	for b in "$BIN_DIR"/* "$TEST_INIT" "$BUILD_DIR"/tests/test-*; do
		[ -x "$b" ] && [ -f "$b" ] || continue
		n=$((n + 1))
		run file -L "$b"
		[[ $output == *"statically linked"* ]] || { echo "$output"; return 1; }
		run readelf -l "$b"
		[[ $output != *INTERP* ]] || { echo "$b has a program interpreter"; return 1; }
	done
	[ "$n" -ge 2 ] || { echo "found only $n binaries"; return 1; }
}

@test "every program in bin/ has a man page, --help and --version" {
	local p name version
	version=$(cat "$REPO_ROOT/VERSION")
	for p in "$BIN_DIR"/*; do
		[ -x "$p" ] || continue
		name=$(basename "$p")
		[ -f "$REPO_ROOT/man/$name.1" ] || { echo "no man/$name.1"; return 1; }
		run "$p" --help
		expect_status 0
		[[ $output == *Usage* || $output == *usage* ]] || { echo "$name --help: $output"; return 1; }
		run "$p" --version
		expect_status 0
		[[ $output == *"$version"* ]] || { echo "$name --version: $output"; return 1; }
		grep -q "^| $name " "$REPO_ROOT/README.md" || { echo "README lacks $name"; return 1; }
	done
}

@test "bin/ holds c-tools, c-run alone, and every other program as a link to c-tools" {
	local p n=0
	for p in c-tools c-run; do
		[ -f "$BIN_DIR/$p" ] && [ ! -L "$BIN_DIR/$p" ] || { echo "no binary bin/$p"; return 1; }
	done
	for p in "$BIN_DIR"/*; do
		case $(basename "$p") in c-tools | c-run) continue ;; esac
		n=$((n + 1))
		expect_eq "$(readlink "$p")" c-tools "$p"
	done
	# the links and the program table of cmd/c-tools.c are the same list
	expect_eq "$("$BIN_DIR/c-tools" --list | tr '\n' ' ')" \
		"$(cd "$BIN_DIR" && ls | grep -vx -e c-tools -e c-run | tr '\n' ' ')" "c-tools --list and bin/"
	[ "$n" -ge 4 ]
	run "$BIN_DIR/c-tools" c-pull --version
	expect_status 0
	expect_output "c-pull $(cat "$REPO_ROOT/VERSION")"
	run "$BIN_DIR/c-tools" c-nothing
	expect_status 2
	expect_output "c-tools: c-nothing: not a program of c-tools (c-tools --list)"
}

@test "make check builds every unit test program of tests/unit and the test init" {
	local src name
	require_test_init
	for src in "$REPO_ROOT"/tests/unit/test-*.c; do
		name=$(basename "$src" .c)
		[ -x "$BUILD_DIR/tests/$name" ] || { echo "not built: $name"; return 1; }
		[ -x "$BUILD_DIR/../asan/tests/$name" ] || { echo "not built (asan): $name"; return 1; }
	done
}

@test "the whole toolkit in bin/ is at most 3 MB" {
	local bytes
	bytes=$(find "$BIN_DIR" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
	[ "$bytes" -le 3000000 ] || { echo "bin/: $bytes bytes"; return 1; }
}

@test "lib/'s floors: every file is in one, and includes headers of its floor and those below only" {
	local floors
	floors=$(make -s -C "$REPO_ROOT" --no-print-directory print-floors)
	[ -n "$floors" ] || { echo "no floors"; return 1; }
	run python3 - "$REPO_ROOT/lib" $floors <<'EOF'
import os, re, sys
lib, floors = sys.argv[1], sys.argv[2:]
where, bad = {}, []
for d in os.listdir(lib):
    if d not in floors:
        bad.append(f"lib/{d}: not a floor ({' '.join(floors)})")
        continue
    for f in os.listdir(os.path.join(lib, d)):
        where[f] = d
for f, d in sorted(where.items()):
    for inc in re.findall(r'^#include "([^"]+)"', open(os.path.join(lib, d, f)).read(), re.M):
        if inc not in where:
            bad.append(f"lib/{d}/{f}: includes {inc}, which is in no floor")
        elif floors.index(where[inc]) > floors.index(d):
            bad.append(f"lib/{d}/{f} ({d}) includes {inc} ({where[inc]}), a higher floor")
print("\n".join(bad))
EOF
	expect_status 0
	expect_output ""
}

@test "README marks as planned only the programs that are not built" {
	local name
	while read -r name; do
		if [ -x "$BIN_DIR/$name" ]; then
			echo "$name is built but README calls it planned"
			return 1
		fi
	done < <(sed -n 's/^| \(c-[a-z]*\) |.*| planned |$/\1/p' "$REPO_ROOT/README.md")
}

@test "man pages render without warnings" {
	local page n=0
	for page in "$REPO_ROOT"/man/*.[1-8]; do
		n=$((n + 1))
		run groff -man -ww -z "$page"
		[ "$status" -eq 0 ] && [ -z "$output" ] || { echo "$page: $output"; return 1; }
	done
	[ "$n" -ge 1 ]
}

@test "a second dependency pass builds nothing and gives the same fragment" {
	[ -f "$REPO_ROOT/build/deps.mk" ] || skip "dependencies not built here"
	run sh "$REPO_ROOT/scripts/deps.sh" "$TEST_TMP/deps.mk"
	expect_status 0
	[[ $output != *building* ]] || { echo "$output"; return 1; }
	diff "$REPO_ROOT/build/deps.mk" "$TEST_TMP/deps.mk"
}

@test "the dependency fragment names all seven libraries with their versions" {
	[ -f "$REPO_ROOT/build/deps.mk" ] || skip "dependencies not built here"
	local d
	for d in zlib zstd bearssl jansson libseccomp isa-l libarchive; do
		grep -q "^DEPS_VERSIONS += $d=[0-9]" "$REPO_ROOT/build/deps.mk" ||
			{ echo "no $d in deps.mk"; return 1; }
	done
	run grep -c '^DEPS_LIBS += .*\.a$' "$REPO_ROOT/build/deps.mk"
	expect_output 7
}

# An apt-get earlier in PATH that fails to download the sources named in
# $STUB_FAIL (PKG=VERSION words, or PKG=* for every version of PKG) the way
# the security archive's pool fails, and runs the real one otherwise.
stub_apt_get() {
	mkdir -p "$TEST_TMP/stub"
	cat >"$TEST_TMP/stub/apt-get" <<-'EOS'
		#!/bin/sh
		for a; do
			for f in $STUB_FAIL; do
				case $a in $f)
					echo "E: Failed to fetch http://mirror.invalid/pool/${a%%=*}.dsc  404  Not Found [IP: 192.0.2.1 80]" >&2
					echo "E: Failed to fetch some archives." >&2
					exit 100 ;;
				esac
			done
		done
		exec /usr/bin/apt-get "$@"
	EOS
	chmod +x "$TEST_TMP/stub/apt-get"
}

# The source versions apt knows of zlib, newest first.
zlib_versions() {
	local vs best v
	vs=$(apt-cache showsrc --only-source zlib | sed -n 's/^Version: //p' | sort -u)
	while [ -n "$vs" ]; do
		best=
		for v in $vs; do
			[ -z "$best" ] || dpkg --compare-versions "$v" gt "$best" || continue
			best=$v
		done
		echo "$best"
		vs=$(printf '%s\n' $vs | grep -vxF "$best" || true)
	done
}

@test "deps.sh builds the next source version when the newest will not download" {
	require_root
	local versions newest older
	versions=($(zlib_versions))
	[ "${#versions[@]}" -ge 2 ] || skip "apt knows one source of zlib: ${versions[*]}"
	newest=${versions[0]} older=${versions[1]}
	stub_apt_get
	STUB_FAIL="zlib=$newest" PATH=$TEST_TMP/stub:$PATH DEPS_CACHE=$TEST_TMP/cache \
		run sh "$REPO_ROOT/scripts/deps.sh" "$TEST_TMP/deps.mk" zlib
	expect_status 0
	expect_line "deps: skipped zlib ${newest#*:}: Failed to fetch http://mirror.invalid/pool/zlib.dsc 404 Not Found"
	expect_line "deps: building zlib ${older#*:}"
	grep -qx "DEPS_VERSIONS += zlib=${older#*:}" "$TEST_TMP/deps.mk" ||
		{ cat "$TEST_TMP/deps.mk"; return 1; }
	[ -f "$TEST_TMP/cache/zlib/${older#*:}-"*/lib/libz.a ]
	# the cache is keyed by what was built, and a second pass builds nothing
	STUB_FAIL="zlib=$newest" PATH=$TEST_TMP/stub:$PATH DEPS_CACHE=$TEST_TMP/cache \
		run sh "$REPO_ROOT/scripts/deps.sh" "$TEST_TMP/deps2.mk" zlib
	expect_status 0
	[[ $output != *building* ]] || { echo "$output"; return 1; }
	diff "$TEST_TMP/deps.mk" "$TEST_TMP/deps2.mk"
}

@test "when no source of a dependency downloads, make stops with deps.sh's line and leaves nothing" {
	require_root
	local versions v
	versions=($(zlib_versions))
	for v in "${!versions[@]}"; do versions[v]=${versions[v]#*:}; done
	stub_apt_get
	STUB_FAIL='zlib=*' PATH=$TEST_TMP/stub:$PATH DEPS_CACHE=$TEST_TMP/cache \
		run make -C "$REPO_ROOT" --no-print-directory BUILD="$TEST_TMP/build"
	[ "$status" -ne 0 ] || { echo "$output"; return 1; }
	expect_line "deps: no source of zlib downloads (tried ${versions[*]})"
	[[ ${lines[-1]} == make*": *** ["*"/build/deps.mk] Error 1" ]] || { echo "$output"; return 1; }
	[[ $output != *"No rule to make target"* ]] || { echo "$output"; return 1; }
	[ ! -e "$TEST_TMP/build/deps.mk" ]
	run find "$TEST_TMP/cache/zlib" -mindepth 1
	expect_output ""
}

@test "make's first container: an image from the host's busybox, pid 1, only its own processes" {
	require_root
	C_ROOT=$TEST_TMP/root run --separate-stderr sh "$REPO_ROOT/scripts/first-container.sh" "$BIN_DIR"
	expect_status 0
	expect_line "  its shell: pid 1"
	# the processes it sees: the header, sh and ps, nothing of the host's
	expect_eq "$(printf '%s\n' "$output" | sed -n '/processes it sees/,$p' | tail -n +2 | awk '{ print $2 }' | tr '\n' ' ')" \
		"COMMAND sh ps " "the processes"
	[[ $stderr == *"the image busybox (sha256:"* ]] || { echo "$stderr"; return 1; }
	C_ROOT=$TEST_TMP/root run "$BIN_DIR/c-image" ls -q
	expect_output busybox
}

@test "make install puts programs and man pages under PREFIX" {
	run make -C "$REPO_ROOT" --no-print-directory install PREFIX="$TEST_TMP/usr"
	expect_status 0
	[ -f "$TEST_TMP/usr/share/man/man7/c-tools.7" ]
	local p
	for p in "$BIN_DIR"/*; do
		[ -x "$p" ] || continue
		[ -x "$TEST_TMP/usr/bin/$(basename "$p")" ]
		[ -f "$TEST_TMP/usr/share/man/man1/$(basename "$p").1" ]
	done
	# c-tools and c-run, and links to c-tools
	expect_eq "$(readlink "$TEST_TMP/usr/bin/c-pull")" c-tools "the installed c-pull"
	run "$TEST_TMP/usr/bin/c-pull" --version
	expect_status 0
	[ -f "$TEST_TMP/usr/bin/c-run" ] && [ ! -L "$TEST_TMP/usr/bin/c-run" ]
}

# A TAP program that prints its arguments as lines and exits with $EXIT.
fake_tap() {
	local path=$TEST_TMP/$1 code=$2
	shift 2
	{
		echo '#!/bin/sh'
		for line in "$@"; do printf 'echo "%s"\n' "$line"; done
		echo "exit $code"
	} >"$path"
	chmod +x "$path"
	echo "$path"
}

@test "tests/run counts passes, failures, skips, crashes and short plans" {
	local pass fail skip crash short
	pass=$(fake_tap pass 0 "ok 1 - a" "ok 2 - b" "1..2")
	fail=$(fake_tap fail 1 "ok 1 - a" "not ok 2 - b" "1..2")
	skip=$(fake_tap skip 0 "ok 1 - a" "ok 2 - b # SKIP no kernel" "1..2")
	crash=$(fake_tap crash 139 "ok 1 - a")
	short=$(fake_tap short 0 "ok 1 - a" "ok 2 - b" "1..3")
	TMPDIR=$TEST_TMP run "$REPO_ROOT/tests/run" "$pass" "$fail" "$skip" "$crash" "$short" --
	expect_status 1
	expect_eq "${lines[-1]}" "7 passed, 3 failed, 1 skipped" "closing line"
	[[ $output == *"fail (test): not ok 2 - b"* ]] || { echo "$output"; return 1; }
}

@test "tests/run exits 0 and closes with the line when all pass" {
	local pass
	pass=$(fake_tap pass 0 "ok 1 - a" "1..1")
	run "$REPO_ROOT/tests/run" "$pass" --
	expect_status 0
	expect_eq "${lines[-1]}" "1 passed, 0 failed, 0 skipped" "closing line"
}
