#!/usr/bin/env bats
# The test fixtures themselves: the TLS registry of helpers/registry.bash,
# the images it seeds, and tests/fixtures/mkimage.py.  One registry serves
# the file; the htpasswd and stop tests start their own.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry

setup_file() {
	registry_start
	registry_seed busybox multilayer multiarch
	# One unpack of the multilayer layout for the tree tests; they check it.
	export UNPACKED=$BATS_FILE_TMPDIR/multilayer-bundle
	umoci unpack --image "$REGISTRY_IMAGES/multilayer:latest" "$UNPACKED" \
		>"$BATS_FILE_TMPDIR/umoci.log" 2>&1 || true
}

teardown_file() {
	registry_stop
}

setup() {
	common_setup
	_own_registry=
}

teardown() {
	# only a registry this test started itself; the file's one is in setup_file
	[ -z "$_own_registry" ] || registry_stop
	common_teardown
}

# json_q FILE EXPR: print the python EXPR over the JSON document j of FILE
json_q() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v, separators=(",", ":")) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}

inspect() { # inspect [skopeo inspect options] REF > json
	skopeo inspect --cert-dir "$REGISTRY_CERTS_DIR" "$@"
}

rootfs() {
	if [ ! -d "$UNPACKED/rootfs" ]; then
		cat "$BATS_FILE_TMPDIR/umoci.log" >&2
		echo "umoci unpack of the multilayer image failed" >&2
		return 1
	fi
	R=$UNPACKED/rootfs
}

# --- the registry ---------------------------------------------------------------

@test "registry answers /v2/ over TLS with the test CA" {
	run -0 curl -sS -D - -o /dev/null --cacert "$REGISTRY_CA" "https://$REGISTRY/v2/"
	expect_output_re "^HTTP/[0-9.]+ 200"
	expect_output_re "[Dd]ocker-[Dd]istribution-[Aa]pi-[Vv]ersion: registry/2.0"
	[[ $REGISTRY =~ ^127\.0\.0\.1:[0-9]+$ ]]
	expect_eq "$REGISTRY_URL" "https://$REGISTRY" REGISTRY_URL
	expect_eq "$REGISTRY_PORT" "${REGISTRY#*:}" REGISTRY_PORT
}

@test "without the CA the certificate is refused, and plain HTTP is not served" {
	run curl -sS -o /dev/null "https://$REGISTRY/v2/"
	expect_status 60
	expect_output_re "certificate"
	run -0 curl -sS "http://$REGISTRY/v2/"
	expect_output_re "HTTP request to an HTTPS server"
}

@test "the server certificate is for 127.0.0.1 and localhost, signed by the CA" {
	tls=$REGISTRY_DIR/tls
	run -0 openssl verify -CAfile "$REGISTRY_CA" -purpose sslserver "$tls/server.crt"
	run -0 openssl x509 -in "$tls/server.crt" -noout -ext subjectAltName
	expect_output_re "IP Address:127\.0\.0\.1, DNS:localhost"
	run -0 openssl x509 -in "$REGISTRY_CA" -noout -ext basicConstraints
	expect_output_re "CA:TRUE"
	run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "$REGISTRY_CA" \
		--resolve "localhost:$REGISTRY_PORT:127.0.0.1" "https://localhost:$REGISTRY_PORT/v2/"
	expect_output 200
}

@test "the cert dirs hold the CA like /etc/containers/certs.d" {
	expect_eq "$REGISTRY_CERTS_DIR" "$REGISTRY_CERTS_D/$REGISTRY" REGISTRY_CERTS_DIR
	cmp "$REGISTRY_CA" "$REGISTRY_CERTS_DIR/ca.crt"
	cmp "$REGISTRY_CA" "$REGISTRY_CERTS_D/localhost:$REGISTRY_PORT/ca.crt"
	run -0 ls "$REGISTRY_CERTS_D"
	expect_output "$REGISTRY
localhost:$REGISTRY_PORT"
}

@test "the registry listens on 127.0.0.1 only" {
	skip_unless_cmd ss
	run -0 ss -Hltn "sport = :$REGISTRY_PORT"
	[ "${#lines[@]}" = 1 ]
	expect_output_re "127\.0\.0\.1:$REGISTRY_PORT "
	run -0 grep -x "  addr: \"127.0.0.1:$REGISTRY_PORT\"" "$REGISTRY_DIR/config.yml"
}

@test "seeded images are listed by skopeo list-tags and the catalog" {
	run -0 skopeo list-tags --cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY/c-tools/busybox"
	echo "$output" >"$TEST_TMP/tags.json"
	expect_eq "$(json_q "$TEST_TMP/tags.json" 'sorted(j["Tags"])')" '["1","latest"]' tags
	run -0 skopeo list-tags --cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY/c-tools/multilayer"
	expect_output_re '"Tags": \[[[:space:]]*"latest"[[:space:]]*\]'
	registry_curl /v2/_catalog >"$TEST_TMP/catalog.json"
	expect_eq "$(json_q "$TEST_TMP/catalog.json" 'j["repositories"]')" \
		'["c-tools/busybox","c-tools/busybox-v2s2","c-tools/multiarch","c-tools/multilayer"]' catalog
	expect_eq "$REGISTRY_BUSYBOX" "$REGISTRY/c-tools/busybox:latest" REGISTRY_BUSYBOX
	expect_eq "$REGISTRY_MULTILAYER" "$REGISTRY/c-tools/multilayer:latest" REGISTRY_MULTILAYER
}

@test "skopeo inspect shows the busybox image's layers and config" {
	inspect "docker://$REGISTRY_BUSYBOX" >"$TEST_TMP/i.json"
	expect_eq "$(json_q "$TEST_TMP/i.json" 'len(j["Layers"])')" 2 layers
	expect_eq "$(json_q "$TEST_TMP/i.json" 'j["Os"] + "/" + j["Architecture"]')" linux/amd64 platform
	inspect --config "docker://$REGISTRY_BUSYBOX" >"$TEST_TMP/c.json"
	expect_eq "$(json_q "$TEST_TMP/c.json" 'j["config"]["Cmd"]')" '["sh"]' Cmd
	expect_eq "$(json_q "$TEST_TMP/c.json" 'len(j["history"])')" 3 history
	expect_eq "$(json_q "$TEST_TMP/c.json" 'sum(1 for h in j["history"] if h.get("empty_layer"))')" 1 "empty layers"
	expect_eq "$(json_q "$TEST_TMP/c.json" 'len(j["rootfs"]["diff_ids"])')" 2 diff_ids
}

@test "busybox-v2s2 is the same image as a Docker schema 2 manifest" {
	inspect --raw "docker://$REGISTRY_BUSYBOX_V2S2" >"$TEST_TMP/m.json"
	expect_eq "$(json_q "$TEST_TMP/m.json" 'j["mediaType"]')" \
		application/vnd.docker.distribution.manifest.v2+json mediaType
	expect_eq "$(json_q "$TEST_TMP/m.json" 'j["layers"][0]["mediaType"]')" \
		application/vnd.docker.image.rootfs.diff.tar.gzip "layer mediaType"
	inspect "docker://$REGISTRY_BUSYBOX" >"$TEST_TMP/a.json"
	inspect "docker://$REGISTRY_BUSYBOX_V2S2" >"$TEST_TMP/b.json"
	expect_eq "$(json_q "$TEST_TMP/b.json" 'j["Layers"]')" "$(json_q "$TEST_TMP/a.json" 'j["Layers"]')" layers
	inspect --raw "docker://$REGISTRY_BUSYBOX" >"$TEST_TMP/o.json"
	expect_eq "$(json_q "$TEST_TMP/o.json" 'j["mediaType"]')" \
		application/vnd.oci.image.manifest.v1+json "OCI mediaType"
}

@test "skopeo inspect shows the multilayer image's layers and config" {
	inspect --raw "docker://$REGISTRY_MULTILAYER" >"$TEST_TMP/m.json"
	expect_eq "$(json_q "$TEST_TMP/m.json" '[l["mediaType"].rsplit(".", 1)[1] for l in j["layers"]]')" \
		'["tar+gzip","tar","tar+gzip","tar+gzip","tar+gzip"]' "layer media types"
	inspect --config "docker://$REGISTRY_MULTILAYER" >"$TEST_TMP/c.json"
	expect_eq "$(json_q "$TEST_TMP/c.json" 'j["config"]["Cmd"]')" '["/bin/tool"]' Cmd
	expect_eq "$(json_q "$TEST_TMP/c.json" 'j["config"]["Env"]')" '["PATH=/usr/bin:/bin","FIXTURE=multilayer"]' Env
	expect_eq "$(json_q "$TEST_TMP/c.json" 'j["config"]["WorkingDir"]')" /data WorkingDir
	expect_eq "$(json_q "$TEST_TMP/c.json" 'j["config"]["User"]')" 0:0 User
	expect_eq "$(json_q "$TEST_TMP/c.json" 'j["config"]["Labels"]')" '{"org.c-tools.fixture":"multilayer"}' Labels
	expect_eq "$(json_q "$TEST_TMP/c.json" 'len(j["history"])')" 6 history
	expect_eq "$(json_q "$TEST_TMP/c.json" 'len(j["rootfs"]["diff_ids"])')" 5 diff_ids
}

@test "the multiarch image is an index of three platforms" {
	inspect --raw "docker://$REGISTRY_MULTIARCH" >"$TEST_TMP/x.json"
	expect_eq "$(json_q "$TEST_TMP/x.json" 'j["mediaType"]')" application/vnd.oci.image.index.v1+json mediaType
	expect_eq "$(json_q "$TEST_TMP/x.json" '" ".join(m["platform"]["architecture"] + m["platform"].get("variant", "") for m in j["manifests"])')" \
		"amd64 arm64v8 armv7" platforms
	skopeo --override-arch arm64 --override-variant v8 inspect --cert-dir "$REGISTRY_CERTS_DIR" \
		"docker://$REGISTRY_MULTIARCH" >"$TEST_TMP/a.json"
	expect_eq "$(json_q "$TEST_TMP/a.json" 'j["Architecture"]')" arm64 "selected arch"
}

@test "an image copied back from the registry has the local layout's digest" {
	skopeo copy --quiet --insecure-policy --preserve-digests --src-cert-dir "$REGISTRY_CERTS_DIR" \
		"docker://$REGISTRY_MULTILAYER" "oci:$TEST_TMP/back:latest"
	local_digest=$(json_q "$REGISTRY_IMAGES/multilayer/index.json" 'j["manifests"][0]["digest"]')
	back_digest=$(json_q "$TEST_TMP/back/index.json" 'j["manifests"][0]["digest"]')
	expect_eq "$back_digest" "$local_digest" digest
	run -0 registry_curl "/v2/c-tools/multilayer/manifests/$local_digest" -o /dev/null -w '%{http_code}' \
		-H "Accept: application/vnd.oci.image.manifest.v1+json"
	expect_output 200
}

@test "the busybox image unpacks to a root that runs sh as root and as user" {
	require_root
	umoci unpack --image "$REGISTRY_IMAGES/busybox:latest" "$TEST_TMP/bb" >/dev/null 2>&1
	run -0 chroot "$TEST_TMP/bb/rootfs" /bin/sh -c 'echo hello; id -u; ls /bin/cat'
	expect_line hello
	expect_line 0
	expect_line /bin/cat
	run -0 chroot --userspec=1000:1000 "$TEST_TMP/bb/rootfs" /bin/sh -c 'id; grep "^users:" /etc/group'
	expect_output_re '^uid=1000\(user\) gid=1000\(user\)'
	expect_line "users:x:100:user"
}

@test "the test-init image runs c-test-init from a bare root" {
	require_root
	require_test_init
	run -0 fixture_test_init_image "$TEST_TMP/ti"
	umoci unpack --image "$TEST_TMP/ti:latest" "$TEST_TMP/tib" >/dev/null 2>&1
	run -0 chroot "$TEST_TMP/tib/rootfs" /c-test-init echo hello from c-test-init -- ls /
	expect_output "hello from c-test-init
- c-test-init
d dev
d etc
d proc
d sys
d tmp"
}

# --- the multilayer image, unpacked by umoci ---------------------------------

@test "multilayer: whiteouts delete files and whole directories, no .wh. is left" {
	rootfs
	[ ! -e "$R/etc/removed" ]
	[ ! -e "$R/etc/never-existed" ]
	[ ! -e "$R/gone-dir" ]
	[ ! -e "$R/links/original" ]
	[ -f "$R/etc/hostname" ]
	run -0 find "$R" -name '.wh.*'
	expect_output ""
}

@test "multilayer: an opaque directory hides everything below it" {
	rootfs
	run -0 ls -A "$R/opaque"
	expect_output "upper"
	[ "$(cat "$R/opaque/upper")" = upper ]
}

@test "multilayer: a file becomes a directory and a directory becomes a file" {
	rootfs
	[ -d "$R/replace-file-by-dir" ]
	[ "$(cat "$R/replace-file-by-dir/inside")" = inside ]
	[ -f "$R/replace-dir-by-file" ]
	[ ! -L "$R/replace-dir-by-file" ]
	[ "$(cat "$R/replace-dir-by-file")" = "now a file" ]
	[ "$(cat "$R/etc/hostname")" = multilayer ]
}

@test "multilayer: hard links in a layer, to a lower layer, and past a whiteout" {
	rootfs
	[ "$(stat -c %h "$R/data/shared")" = 2 ]
	[ "$(stat -c %i "$R/data/shared")" = "$(stat -c %i "$R/links/hard-lower-layer")" ]
	[ "$(stat -c %h "$R/links/hard-same-layer")" = 2 ]
	[ "$(stat -c %i "$R/links/hard-same-layer")" = "$(stat -c %i "$R/links/hard-same-layer-2")" ]
	[ "$(cat "$R/links/hard-same-layer-2")" = original ]
}

@test "multilayer: symlinks keep relative, absolute and dangling targets" {
	rootfs
	[ "$(readlink "$R/links/symlink")" = ../etc/hostname ]
	[ "$(cat "$R/links/symlink")" = multilayer ]
	[ "$(readlink "$R/links/abs-symlink")" = /etc/hostname ]
	[ "$(readlink "$R/links/dangling")" = /nonexistent ]
	[ ! -e "$R/links/dangling" ]
}

@test "multilayer: setuid, setgid and sticky modes, owners and mtimes are kept" {
	rootfs
	[ "$(stat -c %a "$R/usr/bin/setuid-tool")" = 4755 ]
	[ "$(stat -c %a "$R/usr/bin/setgid-tool")" = 2755 ]
	[ "$(stat -c %a "$R/tmp")" = 1777 ]
	[ "$(stat -c %a "$R/bin/tool")" = 755 ]
	[ "$(stat -c '%u:%g %a' "$R/home/user/owned")" = "1000:1000 600" ]
	[ "$(stat -c '%u:%g' "$R/home/user")" = 1000:1000 ]
	[ "$(stat -c %Y "$R/keep/untouched")" = 946684800 ]
	[ "$(stat -c %Y "$R/bin/tool")" = 1704067200 ]
}

@test "multilayer: xattr, empty and big files, device and fifo" {
	rootfs
	run -0 python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.c-tools.test").decode())' "$R/xattr-file"
	expect_output hello
	[ -f "$R/empty" ]
	[ ! -s "$R/empty" ]
	[ "$(stat -c %s "$R/big/sparse")" = 8388608 ]
	[ "$(tail -c 4 "$R/big/sparse")" = end ]
	[ "$(head -c 8388604 "$R/big/sparse" | tr -d '\0' | wc -c)" = 0 ]
	[ -c "$R/dev/testnull" ]
	[ "$(stat -c '%t:%T' "$R/dev/testnull")" = 1:3 ]
	[ -p "$R/dev/testfifo" ]
}

@test "multilayer: the whole tree is the documented one" {
	rootfs
	diff -u <(fixture_multilayer_tree) <(fixture_tree "$R")
}

# --- mkimage.py -------------------------------------------------------------------

@test "mkimage output is byte-identical across runs" {
	(umask 077 && fixture_multilayer_image "$TEST_TMP/a" >"$TEST_TMP/a.digest")
	sleep 1.1
	(umask 022 && cd / && fixture_multilayer_image "$TEST_TMP/b" >"$TEST_TMP/b.digest")
	fixture_busybox_image "$TEST_TMP/a" busybox >/dev/null
	fixture_busybox_image "$TEST_TMP/b" busybox >/dev/null
	cmp "$TEST_TMP/a.digest" "$TEST_TMP/b.digest"
	diff -r "$TEST_TMP/a" "$TEST_TMP/b"
	# and the layout seeded into the registry at the start of the file
	expect_eq "$(cat "$TEST_TMP/a.digest")" \
		"$(json_q "$REGISTRY_IMAGES/multilayer/index.json" 'j["manifests"][0]["digest"]')" digest
	# 5 layers, config, manifest; 2 layers, config, manifest
	[ "$(ls "$TEST_TMP/a/blobs/sha256" | wc -l)" = 11 ]
}

@test "mkimage blobs match their names, sizes and diff_ids" {
	fixture_multilayer_image "$TEST_TMP/l" >/dev/null
	run -0 python3 - "$TEST_TMP/l" <<'EOF'
import gzip, hashlib, json, os, sys
root = sys.argv[1]
def blob(d):
    data = open(os.path.join(root, "blobs", "sha256", d["digest"].split(":")[1]), "rb").read()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == d["digest"], d
    assert len(data) == d["size"], d
    return data
assert json.load(open(os.path.join(root, "oci-layout"))) == {"imageLayoutVersion": "1.0.0"}
index = json.load(open(os.path.join(root, "index.json")))
(m,) = index["manifests"]
assert m["annotations"]["org.opencontainers.image.ref.name"] == "latest"
manifest = json.loads(blob(m))
config = json.loads(blob(manifest["config"]))
diff_ids = []
for l in manifest["layers"]:
    data = blob(l)
    if l["mediaType"].endswith("+gzip"):
        assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip mtime 0
        data = gzip.decompress(data)
    diff_ids.append("sha256:" + hashlib.sha256(data).hexdigest())
assert config["rootfs"]["diff_ids"] == diff_ids, (config["rootfs"], diff_ids)
assert config["architecture"] == "amd64" and config["os"] == "linux"
print("ok", len(diff_ids))
EOF
	expect_output "ok 5"
}

@test "mkimage makes a layer from a directory with types, modes and hard links" {
	src=$TEST_TMP/src
	mkdir -p "$src/sub/deeper"
	printf 'exec\n' >"$src/sub/tool"
	chmod 0750 "$src/sub/tool"
	printf 'one\n' >"$src/a"
	ln "$src/a" "$src/sub/deeper/a-link"
	ln -s sub/tool "$src/z-link"
	mkfifo "$src/fifo"
	chmod 4711 "$src/sub/tool"
	printf '{"ref": "dir", "layers": [{"dir": "src"}]}' >"$TEST_TMP/spec.json"
	run -0 python3 "$MKIMAGE" "$TEST_TMP/spec.json" "$TEST_TMP/l"
	expect_output_re '^sha256:[0-9a-f]{64}$'
	run -0 tar -tzf "$TEST_TMP/l/blobs/sha256/$(json_q "$TEST_TMP/l/blobs/sha256/${output#sha256:}" 'j["layers"][0]["digest"].split(":")[1]')"
	expect_output "a
fifo
sub/
sub/deeper/
sub/deeper/a-link
sub/tool
z-link"
	umoci unpack --image "$TEST_TMP/l:dir" "$TEST_TMP/b" >/dev/null 2>&1
	strip() { sed 's/ mtime=[0-9]*//'; }
	diff -u <(fixture_tree "$src" | strip) <(fixture_tree "$TEST_TMP/b/rootfs" | strip)
	run -0 fixture_tree "$TEST_TMP/b/rootfs"
	expect_line "/sub/tool - 4711 0:0 size=5 sha256=$(printf 'exec\n' | sha256sum | cut -c1-16) mtime=1704067200"
}

@test "mkimage writes uncompressed and gzip layers with their media types" {
	cat >"$TEST_TMP/spec.json" <<'EOF'
{"ref": "c", "layers": [
  {"compression": "none", "entries": [{"path": "a", "content": "a"}]},
  {"compression": "gzip", "entries": [{"path": "b", "content": "b"}]}]}
EOF
	d=$(python3 "$MKIMAGE" "$TEST_TMP/spec.json" "$TEST_TMP/l")
	m=$TEST_TMP/l/blobs/sha256/${d#sha256:}
	expect_eq "$(json_q "$m" '[l["mediaType"] for l in j["layers"]]')" \
		'["application/vnd.oci.image.layer.v1.tar","application/vnd.oci.image.layer.v1.tar+gzip"]' "media types"
	l0=$TEST_TMP/l/blobs/sha256/$(json_q "$m" 'j["layers"][0]["digest"][7:]')
	l1=$TEST_TMP/l/blobs/sha256/$(json_q "$m" 'j["layers"][1]["digest"][7:]')
	[ "$(dd if="$l0" bs=1 skip=257 count=5 2>/dev/null)" = ustar ]
	[ "$(od -An -tx1 -N2 "$l1" | tr -d ' ')" = 1f8b ]
	[ "$(tar -xOf "$l0" a)" = a ]
	[ "$(tar -xzOf "$l1" b)" = b ]
}

@test "mkimage writes zstd layers when the zstd program is there" {
	skip_unless_cmd zstd
	printf '{"ref": "z", "layers": [{"compression": "zstd", "entries": [{"path": "z", "content": "zz"}]}]}' \
		>"$TEST_TMP/spec.json"
	d=$(python3 "$MKIMAGE" "$TEST_TMP/spec.json" "$TEST_TMP/l")
	m=$TEST_TMP/l/blobs/sha256/${d#sha256:}
	expect_eq "$(json_q "$m" 'j["layers"][0]["mediaType"]')" application/vnd.oci.image.layer.v1.tar+zstd
	l=$TEST_TMP/l/blobs/sha256/$(json_q "$m" 'j["layers"][0]["digest"][7:]')
	[ "$(od -An -tx1 -N4 "$l" | tr -d ' ')" = 28b52ffd ]
	[ "$(zstd -dc "$l" | tar -xOf - z)" = zz ]
}

@test "mkimage adds tags to a layout and replaces a tag's image" {
	mk() { printf '{"layers": [{"entries": [{"path": "f", "content": "%s"}]}]}' "$2" |
		python3 "$MKIMAGE" --ref "$1" - "$TEST_TMP/l"; }
	d1=$(mk b one)
	d2=$(mk a two)
	d3=$(mk b three)
	[ "$d1" != "$d3" ]
	expect_eq "$(json_q "$TEST_TMP/l/index.json" '[(m["annotations"]["org.opencontainers.image.ref.name"], m["digest"]) for m in j["manifests"]]')" \
		"[[\"a\",\"$d2\"],[\"b\",\"$d3\"]]" index
}

@test "mkimage rejects bad specs with a one-line error" {
	run -1 python3 "$MKIMAGE" - "$TEST_TMP/l" <<<'{"ref": "x", "layers": [{"entries": [{"path": "f", "type": "bogus"}]}]}'
	expect_output "mkimage: f: unknown entry type 'bogus'"
	run -1 python3 "$MKIMAGE" - "$TEST_TMP/l" <<<'{"layers": []}'
	expect_output_re "no ref"
	run -1 python3 "$MKIMAGE" - "$TEST_TMP/l" <<<'{"ref": "x", "layers": [{"entries": [{"path": "l", "type": "symlink"}]}]}'
	expect_output_re "needs 'target'"
	run -2 python3 "$MKIMAGE" only-one-arg
}

# --- other registry instances -------------------------------------------------

@test "with --htpasswd: anonymous gets 401, the right credentials 200" {
	registry_start --htpasswd "tester:pa55 word" --key ec
	_own_registry=1
	run -0 curl -sS -D - -o /dev/null --cacert "$REGISTRY_CA" "https://$REGISTRY/v2/"
	expect_output_re "^HTTP/[0-9.]+ 401"
	expect_output_re '[Ww]ww-[Aa]uthenticate: Basic realm="c-tools-test"'
	run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "$REGISTRY_CA" -u "tester:wrong" "https://$REGISTRY/v2/"
	expect_output 401
	run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "$REGISTRY_CA" -u "tester:pa55 word" "https://$REGISTRY/v2/"
	expect_output 200
	expect_eq "$REGISTRY_CREDS" "tester:pa55 word" REGISTRY_CREDS
	run -0 openssl x509 -in "$REGISTRY_DIR/tls/server.crt" -noout -text
	expect_output_re "id-ecPublicKey"
	# pushing and reading need the credentials
	fixture_multiarch_image "$TEST_TMP/ma" >/dev/null
	registry_push "$TEST_TMP/ma:latest" c-tools/multiarch:latest --all
	run env -u REGISTRY_AUTH_FILE skopeo list-tags --cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY/c-tools/multiarch"
	[ "$status" -ne 0 ]
	expect_output_re "unauthorized|authentication required"
	run -0 env -u REGISTRY_AUTH_FILE skopeo list-tags --creds "$REGISTRY_CREDS" --cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY/c-tools/multiarch"
	expect_output_re '"latest"'
	run -0 skopeo list-tags --authfile "$REGISTRY_AUTH_FILE" --cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY/c-tools/multiarch"
	expect_output_re '"latest"'
}

@test "registry_stop ends the registry and removes its files" {
	file_registry=$REGISTRY
	registry_start
	_own_registry=1
	[ "$REGISTRY" != "$file_registry" ]
	pid=$REGISTRY_PID dir=$REGISTRY_DIR port=$REGISTRY_PORT
	kill -0 "$pid"
	registry_stop
	_own_registry=
	run ! kill -0 "$pid"
	[ ! -e "$dir" ]
	[ -z "${REGISTRY:-}" ]
	[ -z "${REGISTRY_PID:-}" ]
	run curl -sS -o /dev/null --max-time 5 -k "https://127.0.0.1:$port/v2/"
	expect_status 7
}
