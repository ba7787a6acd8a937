#!/usr/bin/env bats
# c-unpack: image in the store -> OCI bundle (copy and overlay modes), and
# --layer.  The oracle is umoci: the rootfs must equal what umoci unpack
# makes, entry by entry (names, types, modes, owners, sizes, content hashes,
# link targets, hardlink groups, xattrs — the listing of mkimage.py --tree).
# In overlay mode the merged view of the shared layers must give the same.

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
	unpack --copy ml "$TEST_TMP/bundle"
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
	unpack --copy bb "$TEST_TMP/bbc"
	[ -x "$TEST_TMP/bbc/rootfs/bin/busybox" ]
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
	for mode in --copy --overlay; do
		unpack $mode evil "$TEST_TMP/out/bundle"
		expect_status 3
		[[ $stderr == *'"../escaped"'*"'..'"* ]] || { echo "$stderr"; return 1; }
		[ -z "$(ls -A "$TEST_TMP/out")" ] || { ls -A "$TEST_TMP/out"; return 1; }
		[ ! -e "$TEST_TMP/out/escaped" ] && [ ! -e "$TEST_TMP/escaped" ]
	done
	# nor a half-made layer directory
	[ -z "$(ls -A "$C_ROOT/layers")" ] || { ls -A "$C_ROOT/layers"; return 1; }
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

lowerdirs() { # BUNDLE
	json_field "$1/config.json" 'c["annotations"]["io.c-tools.overlay.lowerdirs"]'
}

# The tree an overlay bundle shows once mounted as c-run mounts it.
merged_tree() { # BUNDLE
	unshare -m sh -c 'mount -t overlay overlay -o "lowerdir=$1" "$2/rootfs" &&
		python3 "$3" --tree "$2/rootfs"' _ "$(lowerdirs "$1")" "$1" "$MKIMAGE"
}

@test "overlay mode: layers unpacked once under \$C_ROOT/layers, merged view as documented" {
	require_root
	export C_ROOT=$TEST_TMP/root
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/ml:latest" "oci:$C_ROOT:ml"
	unpack ml "$TEST_TMP/b1" # overlay is the default where it works
	expect_status 0
	[ -z "$(ls -A "$TEST_TMP/b1/rootfs")" ]
	local dirs
	IFS=: read -ra dirs <<<"$(lowerdirs "$TEST_TMP/b1")"
	expect_eq "${#dirs[@]}" 5 "lower dirs"
	expect_eq "$(ls "$C_ROOT/layers" | wc -l)" 5 "layer dirs"
	# chain ids, topmost first: the bottom one is the first diff_id
	expect_eq "sha256:$(basename "${dirs[4]}")" \
		"$(skopeo inspect --config "oci:$C_ROOT:ml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rootfs"]["diff_ids"][0])')" \
		"bottom layer"
	# Overlayfs reports a lower inode's own link count, which still counts
	# /links/original that a higher layer whites out: 3 where copy mode has 2.
	diff <(fixture_multilayer_tree) \
		<(merged_tree "$TEST_TMP/b1" | sed '/hard-same-layer/s/ links=3/ links=2/')
	# whiteouts are overlay whiteouts, the opaque dir carries the xattr
	local wh=0 opq=0
	for d in "${dirs[@]}"; do
		[ "$(stat -c %F:%t:%T "$d/etc/removed" 2>/dev/null)" = "character special file:0:0" ] &&
			wh=$((wh + 1))
		python3 -c 'import os, sys; sys.exit(os.getxattr(sys.argv[1], "trusted.overlay.opaque") != b"y")' \
			"$d/opaque" 2>/dev/null && opq=$((opq + 1))
	done
	expect_eq "$wh" 1 "whiteout devices"
	expect_eq "$opq" 1 "opaque dirs"
	# a second bundle unpacks nothing: the same layer directories, untouched
	local before
	before=$(stat -c %i:%Y "${dirs[@]}")
	unpack --overlay ml "$TEST_TMP/b2"
	expect_status 0
	expect_eq "$(lowerdirs "$TEST_TMP/b2")" "$(lowerdirs "$TEST_TMP/b1")" "shared layers"
	expect_eq "$(stat -c %i:%Y "${dirs[@]}")" "$before" "layer dirs"
	# beside the layers, only the note that overlay works here (so the next
	# unpack does not probe again): no temp or probe dirs
	expect_eq "$(ls -A "$C_ROOT/layers" | grep -v '^[0-9a-f]\{64\}$')" .overlay-works "other entries"
}

@test "overlay mode: concurrent unpacks of one image share the layers and both succeed" {
	require_root
	export C_ROOT=$TEST_TMP/root
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/ml:latest" "oci:$C_ROOT:ml"
	local pids=() i
	for i in 1 2 3 4; do
		"$BIN_DIR/c-unpack" --overlay -j 2 ml "$TEST_TMP/c$i" >/dev/null 2>"$TEST_TMP/err$i" &
		pids+=($!)
	done
	for i in 0 1 2 3; do
		wait "${pids[$i]}" || { cat "$TEST_TMP/err$((i + 1))"; return 1; }
	done
	expect_eq "$(ls -A "$C_ROOT/layers")" "$(ls "$C_ROOT/layers" | grep '^[0-9a-f]\{64\}$')" \
		"no temp dirs left"
	expect_eq "$(ls "$C_ROOT/layers" | wc -l)" 5 "layer dirs"
	diff <(fixture_multilayer_tree) \
		<(merged_tree "$TEST_TMP/c3" | sed '/hard-same-layer/s/ links=3/ links=2/')
}

@test "overlay mode: a layer whose content is not its diff_id leaves no layer directory" {
	require_root
	export C_ROOT=$TEST_TMP/root
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/bb:latest" "oci:$C_ROOT:bb"
	# rewrite the config with a wrong diff_id (the config blob is named by
	# its digest, so the manifest and index are rewritten too)
	python3 - "$C_ROOT" <<-'PY'
	import hashlib, json, os, sys
	root = sys.argv[1]
	def path(d): return os.path.join(root, "blobs", *d.split(":"))
	def put(data):
	    d = "sha256:" + hashlib.sha256(data).hexdigest()
	    open(path(d), "wb").write(data)
	    return d, len(data)
	index = json.load(open(root + "/index.json"))
	desc = index["manifests"][0]
	man = json.load(open(path(desc["digest"])))
	config = json.load(open(path(man["config"]["digest"])))
	config["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64
	man["config"]["digest"], man["config"]["size"] = put(json.dumps(config).encode())
	desc["digest"], desc["size"] = put(json.dumps(man).encode())
	json.dump(index, open(root + "/index.json", "w"))
	PY
	unpack --overlay bb "$TEST_TMP/b"
	expect_status 3
	[[ $stderr == *"diff_id mismatch"* ]] || { echo "$stderr"; return 1; }
	[ ! -e "$TEST_TMP/b" ]
	# the refused layer left nothing; one that checked out may stay
	[ ! -e "$C_ROOT/layers/$(printf '0%.0s' {1..64})" ]
	expect_eq "$(ls -A "$C_ROOT/layers" | grep -c -v '^[0-9a-f]\{64\}$')" 0 "temp dirs"
}

@test "--copy and --overlay: the last one wins; --jobs must be a number" {
	unpack --overlay --copy bb "$TEST_TMP/b"
	expect_status 0
	[ -x "$TEST_TMP/b/rootfs/bin/busybox" ]
	unpack -j x bb "$TEST_TMP/c"
	expect_status 2
	[[ $stderr == "c-unpack: "*"--jobs"* ]] || { echo "$stderr"; return 1; }
}

@test "sparse files (GNU and PAX sparse entries) stay sparse with the same content" {
	local src=$TEST_TMP/src
	mkdir -p "$src"
	truncate -s 64M "$src/sparse"
	printf middle | dd of="$src/sparse" bs=1 seek=$((32 * 1024 * 1024)) conv=notrunc status=none
	tar -S -cf "$TEST_TMP/gnu.tar" -C "$src" .
	tar -S --format=pax -cf "$TEST_TMP/pax.tar" -C "$src" .
	local f
	for f in gnu pax; do
		unpack --layer "$TEST_TMP/$f.tar" "$TEST_TMP/$f"
		expect_status 0
		cmp "$src/sparse" "$TEST_TMP/$f/sparse"
		[ "$(du -k "$TEST_TMP/$f/sparse" | cut -f1)" -lt 1024 ] || du -k "$TEST_TMP/$f/sparse"
	done
}

@test "not root: a read-only (0555) directory is filled, in its layer and the next, and stays 0555" {
	require_root # to become nobody
	# where nobody can reach it: bats's own temp dirs are 0700
	local top
	top=$(mktemp -d /tmp/c-unpack-nobody.XXXXXX)
	chmod 755 "$top"
	TEST_TMP=$top
	local src=$TEST_TMP/src
	mkdir -p "$src/ro" "$TEST_TMP/l2/ro"
	echo one >"$src/ro/one" && chmod 0555 "$src/ro"
	echo two >"$TEST_TMP/l2/ro/two"
	tar -cf "$TEST_TMP/l1.tar" -C "$src" . && tar -cf "$TEST_TMP/l2.tar" -C "$TEST_TMP/l2" ./ro/two
	mkdir "$TEST_TMP/out" && chown nobody "$TEST_TMP/out"
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c \
		'"$1" --layer "$2" "$4" && "$1" --layer "$3" "$4"' _ "$BIN_DIR/c-unpack" \
		"$TEST_TMP/l1.tar" "$TEST_TMP/l2.tar" "$TEST_TMP/out/r"
	expect_status 0
	expect_eq "$(stat -c %a "$TEST_TMP/out/r/ro")" 555 "mode"
	expect_eq "$(cat "$TEST_TMP/out/r/ro/one" "$TEST_TMP/out/r/ro/two")" "one
two" "content"
	rm -rf "$top"
}
