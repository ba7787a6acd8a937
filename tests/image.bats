#!/usr/bin/env bats
# c-image against stores that skopeo wrote (oci: transport into $C_ROOT), and
# the other way round: what c-image writes, skopeo and umoci read.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry

setup_file() {
	export LAYOUTS=$BATS_FILE_TMPDIR/layouts
	export BUSYBOX_DIGEST MULTI_DIGEST
	BUSYBOX_DIGEST=$(fixture_busybox_image "$LAYOUTS/busybox")
	MULTI_DIGEST=$(fixture_multilayer_image "$LAYOUTS/multilayer")
}

setup() {
	common_setup
	export C_ROOT=$TEST_TMP/root
	skopeo copy -q --preserve-digests "oci:$LAYOUTS/busybox:latest" "oci:$C_ROOT:example.com/busybox:latest" >/dev/null
	skopeo copy -q --preserve-digests "oci:$LAYOUTS/multilayer:latest" "oci:$C_ROOT:multilayer" >/dev/null
}

blob() { # blob DIGEST: its path in the store
	echo "$C_ROOT/blobs/${1%%:*}/${1#*:}"
}

@test "ls: a table of the images skopeo stored" {
	run -0 "$BIN_DIR/c-image" ls
	expect_output_re "^NAME +DIGEST +SIZE +CREATED"
	expect_output_re "example.com/busybox:latest +${BUSYBOX_DIGEST:0:19} +[0-9.]+[kM]B +([0-9]+|About an?) (year|month|week|day|hour|minute|second)s? ago"
	expect_output_re "multilayer +${MULTI_DIGEST:0:19} "
	[ "${#lines[@]}" -eq 3 ]
}

@test "ls -q and --json" {
	run -0 "$BIN_DIR/c-image" list -q
	expect_output "example.com/busybox:latest
multilayer"
	run -0 "$BIN_DIR/c-image" ls --json
	run -0 python3 -c 'import json, sys
j = json.loads(sys.argv[1])
print(j[0]["name"], j[0]["digest"], j[0]["size"] > 1000, j[0]["created"])' "$output"
	expect_output "example.com/busybox:latest $BUSYBOX_DIGEST True 2024-01-01T00:00:00Z"
}

@test "inspect by name, short name, digest and prefix; - reads stdin" {
	for what in example.com/busybox:latest busybox example.com/busybox "$BUSYBOX_DIGEST" \
		"${BUSYBOX_DIGEST#sha256:}" "${BUSYBOX_DIGEST:7:12}"; do
		run -0 "$BIN_DIR/c-image" inspect "$what"
		run -0 python3 -c 'import json, sys
j = json.loads(sys.argv[1])
print(j["name"], j["digest"], j["manifest"]["schemaVersion"], j["config"]["os"])' "$output"
		expect_output "example.com/busybox:latest $BUSYBOX_DIGEST 2 linux"
	done
	run -0 bash -c "echo multilayer | '$BIN_DIR/c-image' inspect -"
	expect_output_re "\"digest\": \"$MULTI_DIGEST\""
}

@test "inspect an index shows its platform manifests" {
	fixture_multiarch_image "$TEST_TMP/ma" >/dev/null
	skopeo copy -q --all "oci:$TEST_TMP/ma:latest" "oci:$C_ROOT:multiarch" >/dev/null
	run -0 "$BIN_DIR/c-image" inspect multiarch
	run -0 python3 -c 'import json, sys
j = json.loads(sys.argv[1])
print(len(j["index"]["manifests"]), " ".join(m["platform"]["architecture"] + ":" + m["config"]["architecture"] for m in j["manifests"]))' "$output"
	expect_output "3 amd64:amd64 arm64:arm64 arm:arm"
}

@test "unknown image: one line, exit 4" {
	run -4 "$BIN_DIR/c-image" inspect nosuch
	expect_output "c-image: image not found: nosuch"
	run -4 "$BIN_DIR/c-image" rm nosuch
	expect_output "c-image: image not found: nosuch"
	run -4 "$BIN_DIR/c-image" tag nosuch other
}

@test "tag: a bad name is a data error (3); bad usage is 2" {
	run -3 "$BIN_DIR/c-image" tag multilayer "Bad Name"
	expect_output_re "^c-image: invalid image name \"Bad Name\""
	[ "${#lines[@]}" -eq 1 ]
	run -2 "$BIN_DIR/c-image" tag multilayer
	run -2 "$BIN_DIR/c-image" frobnicate
	run -2 "$BIN_DIR/c-image" ls --bogus
}

@test "tag: skopeo and umoci read the new name" {
	require_root
	run -0 "$BIN_DIR/c-image" tag example.com/busybox:latest local/copy:v1
	expect_output ""
	run -0 skopeo inspect "oci:$C_ROOT:local/copy:v1"
	expect_output_re "\"Digest\": \"$BUSYBOX_DIGEST\""
	run -0 umoci unpack --image "$C_ROOT:local/copy:v1" "$TEST_TMP/bundle"
	[ -x "$TEST_TMP/bundle/rootfs/bin/busybox" ]
	run -0 "$BIN_DIR/c-image" check
	expect_output ok
}

@test "rm: untags, frees the image's blobs, keeps those another name uses" {
	"$BIN_DIR/c-image" tag busybox second
	run -0 "$BIN_DIR/c-image" rm example.com/busybox:latest
	expect_output "Untagged: example.com/busybox:latest"
	[ -f "$(blob "$BUSYBOX_DIGEST")" ]
	run -0 "$BIN_DIR/c-image" rm second
	expect_line "Untagged: second"
	expect_line "Deleted: $BUSYBOX_DIGEST"
	[ ! -e "$(blob "$BUSYBOX_DIGEST")" ]
	[ -f "$(blob "$MULTI_DIGEST")" ]
	run -0 "$BIN_DIR/c-image" ls -q
	expect_output multilayer
	run -0 "$BIN_DIR/c-image" check
	expect_output ok
	run -0 skopeo inspect "oci:$C_ROOT:multilayer"
}

@test "rm by digest drops every name of the image" {
	"$BIN_DIR/c-image" tag multilayer again
	run -0 "$BIN_DIR/c-image" rm "$MULTI_DIGEST"
	expect_line "Untagged: multilayer"
	expect_line "Untagged: again"
	run -0 "$BIN_DIR/c-image" ls -q
	expect_output example.com/busybox:latest
}

@test "prune: removes unreachable blobs and leftovers, reports the space" {
	echo junk >"$TEST_TMP/junk"
	junk=sha256:$(sha256sum "$TEST_TMP/junk" | cut -d' ' -f1)
	cp "$TEST_TMP/junk" "$(blob "$junk")"
	mkdir -p "$C_ROOT/tmp" # skopeo made the store; c-image adds tmp/ on first use
	echo partial >"$C_ROOT/tmp/sha256-0123.partial"
	run -0 "$BIN_DIR/c-image" prune
	expect_line "Deleted: $junk"
	expect_line "Deleted: tmp/sha256-0123.partial"
	expect_line "Total reclaimed space: 13B"
	run -0 "$BIN_DIR/c-image" prune
	expect_output "Total reclaimed space: 0B"
}

@test "prune waits while another process has the store open; rm does not" {
	# a running pull holds .use.lock shared for as long as it has the store
	# open; flock(1) stands in for it
	flock -s "$C_ROOT/.use.lock" sleep 2 &
	sleep 0.3
	run -0 "$BIN_DIR/c-image" rm multilayer
	expect_line "Untagged: multilayer"
	[ -f "$(blob "$MULTI_DIGEST")" ]
	run -0 "$BIN_DIR/c-image" prune
	expect_line "Deleted: $MULTI_DIGEST"
	wait
}

@test "check: a corrupt blob and a dangling reference, exit 3" {
	run -0 "$BIN_DIR/c-image" check
	expect_output ok
	layer=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
		"$(blob "$MULTI_DIGEST")")
	printf 'x' | dd of="$(blob "$layer")" bs=1 seek=10 conv=notrunc status=none
	run -3 "$BIN_DIR/c-image" check
	expect_output_re "corrupt blob: $layer: content has digest sha256:"
	rm "$(blob "$BUSYBOX_DIGEST")"
	run -3 "$BIN_DIR/c-image" check
	expect_line "missing blob: $BUSYBOX_DIGEST: index.json entry example.com/busybox:latest"
	expect_output_re "c-image: 2 problems in the store"
	run -3 "$BIN_DIR/c-image" inspect example.com/busybox:latest
}

@test "--root, --help, --version" {
	run -0 "$BIN_DIR/c-image" --root "$TEST_TMP/other" ls -q
	expect_output ""
	[ -f "$TEST_TMP/other/oci-layout" ] && [ -f "$TEST_TMP/other/index.json" ]
	run -0 "$BIN_DIR/c-image" ls -q --root "$C_ROOT"
	expect_line multilayer
	run -0 "$BIN_DIR/c-image" --help
	expect_output_re "Usage: c-image"
	run -0 "$BIN_DIR/c-image" --version
	expect_output_re "^c-image [0-9]"
}
