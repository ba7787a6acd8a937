#!/usr/bin/env bats
# c-unpack: image in the store -> OCI bundle (copy mode), and --layer.
# The oracle is umoci: the rootfs must equal what umoci unpack makes, entry
# by entry (names, types, modes, owners, sizes, content hashes, link targets,
# hardlink groups, xattrs — the listing of mkimage.py --tree).

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry

setup_file() {
	export C_ROOT=$BATS_FILE_TMPDIR/root
	fixture_multilayer_image "$BATS_FILE_TMPDIR/ml" >/dev/null
	fixture_busybox_image "$BATS_FILE_TMPDIR/bb" >/dev/null
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/ml:latest" "oci:$C_ROOT:ml"
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/bb:latest" "oci:$C_ROOT:bb"
}

unpack() {
	run --separate-stderr "$BIN_DIR/c-unpack" "$@"
}

@test "the multilayer image unpacks to the documented tree, and to umoci's" {
	require_root
	unpack ml "$TEST_TMP/bundle"
	expect_status 0
	expect_output "$TEST_TMP/bundle"
	diff <(fixture_multilayer_tree) <(fixture_tree "$TEST_TMP/bundle/rootfs")
	umoci unpack --image "$C_ROOT:ml" "$TEST_TMP/umoci" >/dev/null
	diff <(fixture_tree "$TEST_TMP/umoci/rootfs") <(fixture_tree "$TEST_TMP/bundle/rootfs")
}

json_field() { # FILE PYTHON-EXPRESSION-ON-c
	python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

@test "config.json follows the image config" {
	unpack ml "$TEST_TMP/bundle"
	expect_status 0
	local cfg=$TEST_TMP/bundle/config.json
	expect_eq "$(json_field "$cfg" 'c["process"]["args"]')" "['/bin/tool']" "args"
	expect_eq "$(json_field "$cfg" 'c["process"]["cwd"]')" "/data" "cwd"
	expect_eq "$(json_field "$cfg" '"FIXTURE=multilayer" in c["process"]["env"]')" "True" "env"
	expect_eq "$(json_field "$cfg" 'c["root"]["path"]')" "rootfs" "root"
	expect_eq "$(stat -c %a "$cfg")" 644 "mode"
	unpack bb "$TEST_TMP/bb"
	expect_status 0
	expect_eq "$(json_field "$TEST_TMP/bb/config.json" 'c["process"]["args"]')" "['sh']" "args"
	[ -x "$TEST_TMP/bb/rootfs/bin/busybox" ]
}

@test "the image can come from stdin, by name or digest" {
	local digest
	digest=$(python3 -c 'import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "bb": print(m["digest"])' \
		"$C_ROOT/index.json")
	run --separate-stderr bash -c 'echo "$1" | "$2" - "$3"' _ "$digest" "$BIN_DIR/c-unpack" \
		"$TEST_TMP/b"
	expect_status 0
	[ -f "$TEST_TMP/b/config.json" ]
}

@test "errors: bundle exists (1), unknown image (4), usage (2); nothing left behind" {
	local w=$TEST_TMP/w
	mkdir -p "$w/there"
	unpack bb "$w/there"
	expect_status 1
	[[ $stderr == "c-unpack: "*"$w/there"*"exists" ]] || { echo "$stderr"; return 1; }
	unpack no-such-image "$w/x"
	expect_status 4
	expect_eq "$stderr" "c-unpack: image not found: no-such-image" "error"
	unpack bb
	expect_status 2
	[ "$(ls -A "$w")" = there ] || { ls -A "$w"; return 1; }
}

@test "a layer that tries to leave the rootfs is refused, and no bundle is left" {
	local img=$TEST_TMP/evil
	python3 - "$img" <<-'PY'
	import gzip, hashlib, io, json, os, sys, tarfile
	out = sys.argv[1]
	os.makedirs(out + "/blobs/sha256")
	def blob(data):
	    d = hashlib.sha256(data).hexdigest()
	    open(out + "/blobs/sha256/" + d, "wb").write(data)
	    return "sha256:" + d, len(data)
	raw = io.BytesIO()
	with tarfile.open(fileobj=raw, mode="w") as t:
	    ti = tarfile.TarInfo("../escaped"); data = b"x\n"; ti.size = len(data)
	    t.addfile(ti, io.BytesIO(data))
	raw = raw.getvalue()
	layer, lsize = blob(gzip.compress(raw, mtime=0))
	config, csize = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
	man, msize = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
	    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": csize},
	    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": lsize}]}).encode())
	open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
	open(out + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [
	    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man, "size": msize,
	     "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
	PY
	export C_ROOT=$TEST_TMP/root
	skopeo copy -q --preserve-digests "oci:$img:latest" "oci:$C_ROOT:evil"
	mkdir "$TEST_TMP/out"
	unpack evil "$TEST_TMP/out/bundle"
	expect_status 3
	[[ $stderr == *'"../escaped"'*"'..'"* ]] || { echo "$stderr"; return 1; }
	[ -z "$(ls -A "$TEST_TMP/out")" ] || { ls -A "$TEST_TMP/out"; return 1; }
	[ ! -e "$TEST_TMP/out/escaped" ] && [ ! -e "$TEST_TMP/escaped" ]
}

@test "--layer applies one layer from a file or a pipe, whatever its compression" {
	skip_unless_cmd zstd
	mkdir -p "$TEST_TMP/src/etc"
	echo one >"$TEST_TMP/src/etc/one"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/l.tar" etc
	gzip -c "$TEST_TMP/l.tar" >"$TEST_TMP/l.tar.gz"
	zstd -q -c "$TEST_TMP/l.tar" >"$TEST_TMP/l.tar.zst"
	unpack --layer "$TEST_TMP/l.tar.gz" "$TEST_TMP/d1"
	expect_status 0
	[ "$(cat "$TEST_TMP/d1/etc/one")" = one ]
	run --separate-stderr bash -c '"$1" --layer - "$2" <"$3"' _ "$BIN_DIR/c-unpack" "$TEST_TMP/d2" \
		"$TEST_TMP/l.tar.zst"
	expect_status 0
	run --separate-stderr bash -c 'cat "$3" | "$1" --layer - "$2"' _ "$BIN_DIR/c-unpack" \
		"$TEST_TMP/d3" "$TEST_TMP/l.tar"
	expect_status 0
	[ "$(cat "$TEST_TMP/d2/etc/one")" = one ] && [ "$(cat "$TEST_TMP/d3/etc/one")" = one ]
	# a whiteout in the next layer removes what the first one made
	mkdir -p "$TEST_TMP/wh/etc" && : >"$TEST_TMP/wh/etc/.wh.one"
	tar -C "$TEST_TMP/wh" -cf - etc | gzip | "$BIN_DIR/c-unpack" --layer - "$TEST_TMP/d1" >/dev/null
	[ ! -e "$TEST_TMP/d1/etc/one" ] && [ ! -e "$TEST_TMP/d1/etc/.wh.one" ]
}
