#!/usr/bin/env bats
# c-pull against a fake registry that misbehaves on demand: bad bytes, bad
# manifests, cut connections, tokens, redirects, crashes and races.  After
# every fault the store must be consistent (c-image check) and hold nothing
# half-made.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/fakeregistry

setup_file() {
	export IMG=$BATS_FILE_TMPDIR/busybox
	fixture_busybox_image "$IMG" >/dev/null
}

setup() {
	common_setup
	export C_ROOT=$TEST_TMP/root
	unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR
	export HOME=$TEST_TMP/home
}

teardown() {
	fake_stop
	common_teardown
}

# The biggest layer of the fixture: the one worth cutting.
big_layer() {
	fake_layer_digests "$IMG" | head -n 1
}

pull() {
	run --separate-stderr "$BIN_DIR/c-pull" -q --plain-http "$@"
}

store_is_consistent() {
	run --separate-stderr "$BIN_DIR/c-image" check
	expect_status 0
	expect_output ok
}

not_named() {
	[ ! -f "$C_ROOT/index.json" ] || ! grep -q "$FAKE_HOST" "$C_ROOT/index.json" ||
		{ echo "the image got a name"; return 1; }
}

@test "the fake serves the fixture and c-pull takes it whole" {
	fake_start "$IMG"
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 0
	expect_eq "$output" "$(fake_manifest_digest "$IMG")" "digest"
	store_is_consistent
}

@test "a blob whose bytes do not match its digest: exit 3, naming it, nothing stored" {
	local d
	d=$(big_layer)
	fake_start "$IMG" --corrupt-blob "$d"
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 3
	[[ $stderr == *"$d"* && $stderr == *mismatch* ]] || { echo "$stderr"; return 1; }
	[ ! -e "$C_ROOT/blobs/sha256/${d#sha256:}" ]
	[ -z "$(ls "$C_ROOT/tmp")" ] || { ls -l "$C_ROOT/tmp"; return 1; }
	not_named
	store_is_consistent
}

@test "a manifest that is not JSON: exit 3" {
	fake_start "$IMG" --manifest-not-json
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 3
	[[ $stderr == *"$FAKE_HOST/c-tools/busybox"* ]] || { echo "$stderr"; return 1; }
	not_named
}

@test "a manifest of the wrong media type: exit 3, naming the type" {
	fake_start "$IMG" --manifest-media-type application/vnd.example.not-an-image+json
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 3
	[[ $stderr == *"application/vnd.example.not-an-image+json"* ]] || { echo "$stderr"; return 1; }
	not_named
}

@test "a manifest over the size cap: exit 3" {
	fake_start "$IMG" --manifest-huge $((5 * 1024 * 1024))
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 3
	[[ $stderr == *"larger than"* ]] || { echo "$stderr"; return 1; }
	not_named
}

@test "a schema 1 manifest is refused by name" {
	fake_start "$IMG" --schema1
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 3
	[[ $stderr == *"schema 1"* ]] || { echo "$stderr"; return 1; }
}

@test "a connection cut mid-blob: the next run resumes with a Range and completes" {
	local d
	d=$(big_layer)
	fake_start "$IMG" --cut-blob "$d:100000"
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 6
	[[ $stderr == *"$d"* ]] || { echo "$stderr"; return 1; }
	[ -s "$C_ROOT/tmp/sha256-${d#sha256:}.partial" ] || { ls -l "$C_ROOT/tmp"; return 1; }
	not_named
	store_is_consistent
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 0
	[ "$(fake_log_count "GET /v2/c-tools/busybox/blobs/$d range=bytes=100000- .*status=206")" -eq 1 ] ||
		{ cat "$FAKE_LOG"; return 1; }
	store_is_consistent
}

@test "anonymous bearer tokens, under \"token\" or \"access_token\"" {
	fake_start "$IMG" --require-bearer
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 0
	[ "$(fake_log_count 'auth=bearer status=200')" -gt 0 ]
	fake_stop
	fake_start "$IMG" --require-bearer --token-key access_token
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 0
}

@test "a token endpoint that wants credentials: required without, works with --creds" {
	fake_start "$IMG" --require-bearer --require-basic puller:tok3n-pass
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 5
	[[ $stderr == *"authentication required for $FAKE_HOST" ]] || { echo "$stderr"; return 1; }
	pull --creds puller:tok3n-pass "$FAKE_HOST/c-tools/busybox"
	expect_status 0
	[[ $stderr != *tok3n-pass* ]]
}

@test "a redirect to another host gets no Authorization header" {
	fake_start "$IMG" --require-bearer --redirect-blobs
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 0
	[ "$(fake_log_count '/blobdata/')" -gt 0 ] || { cat "$FAKE_LOG"; return 1; }
	[ "$(fake_log_count 'AUTH-LEAK')" -eq 0 ] || { cat "$FAKE_LOG"; return 1; }
}

@test "kill -9 during a pull leaves a store that passes the check" {
	local d pid
	d=$(big_layer)
	fake_start "$IMG" --slow-blob "$d:20"
	"$BIN_DIR/c-pull" -q --plain-http "$FAKE_HOST/c-tools/busybox" >/dev/null 2>&1 3>&- &
	pid=$!
	wait_until 10 test -s "$C_ROOT/tmp/sha256-${d#sha256:}.partial"
	kill -9 "$pid"
	wait "$pid" || true
	store_is_consistent
	not_named
	fake_stop
	fake_start "$IMG"
	pull "$FAKE_HOST/c-tools/busybox"
	expect_status 0
	store_is_consistent
}

@test "two pulls at once, of the same image and of two names, all succeed" {
	fake_start "$IMG" --slow-blob "$(big_layer):2"
	local out=$TEST_TMP/out
	"$BIN_DIR/c-pull" -q --plain-http "$FAKE_HOST/c-tools/busybox" >"$out.1" 2>&1 3>&- &
	local p1=$!
	"$BIN_DIR/c-pull" -q --plain-http "$FAKE_HOST/c-tools/busybox" >"$out.2" 2>&1 3>&- &
	local p2=$!
	"$BIN_DIR/c-pull" -q --plain-http "$FAKE_HOST/other/name:latest" >"$out.3" 2>&1 3>&- &
	local p3=$!
	wait "$p1" || { cat "$out.1"; return 1; }
	wait "$p2" || { cat "$out.2"; return 1; }
	wait "$p3" || { cat "$out.3"; return 1; }
	expect_eq "$(cat "$out.1")" "$(cat "$out.2")" "digests"
	grep -q "\"$FAKE_HOST/c-tools/busybox:latest\"" "$C_ROOT/index.json"
	grep -q "\"$FAKE_HOST/other/name:latest\"" "$C_ROOT/index.json"
	store_is_consistent
}

@test "layers in gzip, zstd and plain tar all pull, their media types kept" {
	skip_unless_cmd zstd
	local img=$TEST_TMP/mixed
	python3 "$FIXTURES/mkimage.py" - "$img" >/dev/null <<-'SPEC'
	{"ref": "latest", "config": {"Cmd": ["sh"]}, "layers": [
	  {"compression": "gzip", "entries": [{"path": "a", "content": "gzip layer\n"}]},
	  {"compression": "zstd", "entries": [{"path": "b", "content": "zstd layer\n"}]},
	  {"compression": "none", "entries": [{"path": "c", "content": "plain layer\n"}]}]}
	SPEC
	fake_start "$img"
	pull "$FAKE_HOST/c-tools/mixed"
	expect_status 0
	run --separate-stderr "$BIN_DIR/c-image" inspect "$FAKE_HOST/c-tools/mixed"
	expect_status 0
	[[ $output == *"tar+gzip"* && $output == *"tar+zstd"* && $output == *'layer.v1.tar"'* ]] ||
		{ echo "$output"; return 1; }
	store_is_consistent
}

@test "on a terminal, progress is a bar per layer" {
	skip_unless_cmd script
	fake_start "$IMG"
	run script -qec "'$BIN_DIR/c-pull' --plain-http '$FAKE_HOST/c-tools/busybox'" /dev/null
	expect_status 0
	[[ $output == *"sha256:"*"[##############################]"*"done"* ]] || { echo "$output"; return 1; }
}
