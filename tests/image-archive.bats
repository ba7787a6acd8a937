#!/usr/bin/env bats
# shellcheck disable=SC2016 # python and container commands are single-quoted
# c-image import, save and load.  The oracles: podman load and skopeo read
# what c-image save writes; c-image load reads what podman save (both
# formats) and skopeo copy ... docker-archive: write; the images loaded or
# imported run under c-run and keep their digests where the format keeps
# them.  Bad archives are refused in one line naming the entry, status 3,
# and the store stays as it was (c-image check says ok, nothing added).
#
# Podman runs with a configuration and storage of this file's own
# (scripts/podman-private.bash): the machine's podman storage is untouched.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
# shellcheck source=../scripts/podman-private.bash
source "$REPO_ROOT/scripts/podman-private.bash"

setup_file() {
	export LAYOUTS=$BATS_FILE_TMPDIR/layouts STATE=$BATS_FILE_TMPDIR/state
	export BUSYBOX_DIGEST MULTI_DIGEST BB_TAR=$BATS_FILE_TMPDIR/busybox-rootfs.tar
	BUSYBOX_DIGEST=$(fixture_busybox_image "$LAYOUTS/busybox")
	MULTI_DIGEST=$(fixture_multilayer_image "$LAYOUTS/multilayer")
	# the busybox image's root filesystem as a tar, as a user would have one
	skopeo copy -q --preserve-digests "oci:$LAYOUTS/busybox:latest" \
		"oci:$BATS_FILE_TMPDIR/src:bb" >/dev/null
	"$BIN_DIR/c-unpack" --root "$BATS_FILE_TMPDIR/src" --copy bb "$BATS_FILE_TMPDIR/bb" >/dev/null
	tar --numeric-owner -C "$BATS_FILE_TMPDIR/bb/rootfs" -cf "$BB_TAR" .
	if command -v podman >/dev/null; then
		export PODMAN_DIR=$BATS_FILE_TMPDIR/podman
		podman_private "$PODMAN_DIR"
	fi
}

teardown_file() {
	if [ -n "${PODMAN_DIR:-}" ]; then
		podman_private_umount "$PODMAN_DIR"
		rm -rf "$PODMAN_DIR"
	fi
	return 0
}

setup() {
	common_setup
	export C_ROOT=$TEST_TMP/root
	skopeo copy -q --preserve-digests "oci:$LAYOUTS/busybox:latest" "oci:$C_ROOT:example.com/busybox:latest" >/dev/null
	skopeo copy -q --preserve-digests "oci:$LAYOUTS/multilayer:latest" "oci:$C_ROOT:multilayer" >/dev/null
}

ci() {
	"$BIN_DIR/c-image" "$@"
}

# podman with this file's storage, and its temp files in its own dir too
pod() {
	[ -n "${PODMAN_DIR:-}" ] || skip "podman is not installed"
	TMPDIR=$PODMAN_DIR/tmp podman "$@"
}

# A python expression on the JSON of `c-image inspect IMAGE` (j), printed
# (a tuple's items with spaces between).
inspect() { # IMAGE EXPR
	python3 -c 'import json, sys
j = json.load(sys.stdin)
r = eval(sys.argv[1])
print(*r) if isinstance(r, tuple) else print(r)' "$2" < <(ci inspect "$1")
}

# As root, run IMAGE's CMD... under c-run from the store C_ROOT.
runs() { # IMAGE CMD...
	require_root
	"$BIN_DIR/c-run" --rm "$@"
}

sha256_of() {
	sha256sum "$1" | cut -d' ' -f1
}

# The store as it is: names and digests, and the blobs there.
store_state() {
	ci ls -q
	ci ls --json | python3 -c 'import json, sys; print([i["digest"] for i in json.load(sys.stdin)])'
	ls "$C_ROOT/blobs/sha256" "$C_ROOT/tmp"
}

# $output is one line, "c-image: " then PREFIX...
expect_one_line() { # PREFIX [WORD...]
	local w
	[ "${#lines[@]}" -eq 1 ] && [[ $output == "$1"* ]] ||
		{ printf 'expected one line "%s...", got:\n%s\n' "$1" "$output" >&2; return 1; }
	shift
	for w; do
		[[ $output == *"$w"* ]] || { printf 'the line lacks "%s": %s\n' "$w" "$output" >&2; return 1; }
	done
}

# A copy of the archive SRC with one change, as DST.
retar() { # SRC DST ACTION [ARG]
	python3 - "$@" <<'PY'
import fnmatch, gzip, io, json, sys, tarfile
src, dst, action = sys.argv[1:4]
arg = sys.argv[4] if len(sys.argv) > 4 else None
tin = tarfile.open(src)
tout = tarfile.open(dst, "w", format=tarfile.PAX_FORMAT)

def add(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    tout.addfile(ti, io.BytesIO(data))

if action == "first":  # an entry named ARG before all the others
    add(arg, b"x\n")
if action == "docker25":  # an OCI archive with docker 25's manifest.json too
    index = json.load(tin.extractfile("index.json"))
    d = index["manifests"][0]["digest"]
    m = json.load(tin.extractfile("blobs/sha256/" + d[7:]))
    index["manifests"][0]["annotations"] = {
        "io.containerd.image.name": "docker.io/library/" + arg,
        "org.opencontainers.image.ref.name": arg.split(":")[1]}
    add("manifest.json", json.dumps([{
        "Config": "blobs/sha256/" + m["config"]["digest"][7:],
        "RepoTags": [arg],
        "Layers": ["blobs/sha256/" + l["digest"][7:] for l in m["layers"]]}]).encode())
done = False
for m in tin.getmembers():
    data = tin.extractfile(m).read() if m.isfile() else None
    if action == "flip" and not done and m.isfile() and fnmatch.fnmatch(m.name, arg) and len(data) > 2048:
        data = data[:1500] + bytes([data[1500] ^ 1]) + data[1501:]  # inside the content
        done = True
        print(m.name)
    if action == "missing" and m.name == "manifest.json":
        doc = json.loads(data)
        doc[0]["Layers"][0] = "nothere.tar"
        data = json.dumps(doc).encode()
    if action == "gzip-layers" and m.isfile() and m.name.endswith(".tar") and "/" not in m.name:
        data = gzip.compress(data, mtime=0)
    if action == "docker25" and m.name == "index.json":
        data = json.dumps(index).encode()
    if data is not None:
        m.size = len(data)
        tout.addfile(m, io.BytesIO(data))
    else:
        tout.addfile(m)
tout.close()
PY
}

# ---- import -----------------------------------------------------------------------

@test "import a tar: one gzip layer, its diff_id the tar's sha256; the image runs" {
	run -0 ci import "$BB_TAR" local/bb:imported
	[[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
	local digest=$output
	run -0 inspect local/bb:imported 'j["digest"], [l["mediaType"] for l in j["manifest"]["layers"]], j["config"]["rootfs"]["diff_ids"]'
	expect_output "$digest ['application/vnd.oci.image.layer.v1.tar+gzip'] ['sha256:$(sha256_of "$BB_TAR")']"
	run -0 inspect local/bb:imported 'j["config"]["os"], j["config"]["history"][0]["comment"]'
	expect_output "linux Imported from $BB_TAR"
	run -0 ci check
	expect_output ok
	run -0 runs local/bb:imported cat /etc/os-release
	expect_line 'NAME="c-tools busybox fixture"'
}

@test "import gzip'd and zstd'd tars, and from stdin: the same layer" {
	gzip -c "$BB_TAR" >"$TEST_TMP/bb.tar.gz"
	zstd -q -c "$BB_TAR" >"$TEST_TMP/bb.tar.zst"
	ci import "$BB_TAR" plain >/dev/null
	ci import "$TEST_TMP/bb.tar.gz" gz >/dev/null
	ci import "$TEST_TMP/bb.tar.zst" zst >/dev/null
	ci import - stdin <"$BB_TAR" >/dev/null
	local want
	want=$(inspect plain 'j["manifest"]["layers"], j["config"]["rootfs"]')
	for n in gz zst stdin; do
		run -0 inspect "$n" 'j["manifest"]["layers"], j["config"]["rootfs"]'
		expect_output "$want"
	done
	run -0 inspect stdin 'j["config"]["history"][0]["comment"]'
	expect_output "Imported from -"
}

@test "import a directory: owners, modes, xattrs, hard links, device nodes and symlinks kept" {
	require_root
	"$BIN_DIR/c-unpack" --copy multilayer "$TEST_TMP/ml" >/dev/null
	run -0 ci import "$TEST_TMP/ml/rootfs" from-dir
	"$BIN_DIR/c-unpack" --copy from-dir "$TEST_TMP/again" >/dev/null
	diff <(fixture_multilayer_tree) <(fixture_tree "$TEST_TMP/again/rootfs")
	# the same tree is the same layer
	run -0 ci import "$TEST_TMP/ml/rootfs" from-dir-2
	[ "$(inspect from-dir 'j["manifest"]["layers"]')" = "$(inspect from-dir-2 'j["manifest"]["layers"]')" ]
}

@test "import --change, --message, --platform make the config docker import makes" {
	run -0 ci import -c 'CMD echo "hi there"' --change 'ENTRYPOINT ["/bin/sh", "-c"]' \
		-c 'ENV A=1 B="two words"' -c 'ENV C=${A}x' -c 'EXPOSE 80 53/udp' \
		-c 'LABEL org.example="a b" v=1' -c 'STOPSIGNAL SIGINT' -c 'USER 1000:1000' \
		-c 'VOLUME ["/data"]' -c 'WORKDIR /srv' -c 'WORKDIR app' \
		-m 'made by a test' --platform linux/arm64/v8 "$BB_TAR" changed
	run -0 inspect changed 'json.dumps(j["config"]["config"], sort_keys=True)'
	expect_output '{"Cmd": ["/bin/sh", "-c", "echo \"hi there\""], "Entrypoint": ["/bin/sh", "-c"], "Env": ["A=1", "B=two words", "C=1x"], "ExposedPorts": {"53/udp": {}, "80/tcp": {}}, "Labels": {"org.example": "a b", "v": "1"}, "StopSignal": "SIGINT", "User": "1000:1000", "Volumes": {"/data": {}}, "WorkingDir": "/srv/app"}'
	run -0 inspect changed 'j["config"]["architecture"], j["config"]["variant"], j["config"]["history"][0]["comment"]'
	expect_output "arm64 v8 made by a test"
}

@test "import: a bad --change or --platform is a usage error (2), a bad tar a data error (3); nothing stored" {
	local before
	before=$(store_state)
	run -2 ci import -c 'RUN make' "$BB_TAR" x
	expect_one_line 'c-image: change "RUN make": RUN is not one of'
	run -2 ci import --platform 'linux/' "$BB_TAR" x
	expect_one_line 'c-image: invalid platform "linux/"'
	echo "not a tar, not at all" >"$TEST_TMP/junk"
	run -3 ci import "$TEST_TMP/junk" x
	expect_one_line "c-image: import $TEST_TMP/junk: tar stream: not a tar archive"
	head -c 700000 "$BB_TAR" >"$TEST_TMP/cut.tar"
	run -3 ci import "$TEST_TMP/cut.tar" x
	expect_one_line "c-image: import $TEST_TMP/cut.tar: tar stream: truncated"
	python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
ti = tarfile.TarInfo("../escape"); ti.size = 2
t.addfile(ti, io.BytesIO(b"x\n")); t.close()' "$TEST_TMP/evil.tar"
	run -3 ci import "$TEST_TMP/evil.tar" x
	expect_one_line "c-image: import $TEST_TMP/evil.tar: entry \"../escape\": '..' components are not allowed"
	run -4 ci import "$TEST_TMP/nothere.tar" x
	expect_one_line "c-image: import $TEST_TMP/nothere.tar: open: $TEST_TMP/nothere.tar: No such file"
	run -0 ci check
	expect_output ok
	[ "$(store_state)" = "$before" ]
}

# ---- save: what podman and skopeo make of it ------------------------------------------

@test "save docker-archive: docker's layout; podman load and skopeo read it, config and diff_ids kept" {
	run -0 ci save -o "$TEST_TMP/bb.tar" example.com/busybox:latest
	expect_output ""
	run -0 python3 -c 'import json, sys, tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))
r = json.load(t.extractfile("repositories"))
print(len(m), m[0]["RepoTags"], m[0]["Config"], len(m[0]["Layers"]), list(r))' "$TEST_TMP/bb.tar"
	local config
	config=$(inspect busybox 'j["manifest"]["config"]["digest"][7:]')
	expect_output "1 ['example.com/busybox:latest'] $config.json 2 ['example.com/busybox']"
	run -0 pod load -i "$TEST_TMP/bb.tar"
	expect_line "Loaded image: example.com/busybox:latest"
	run -0 pod image inspect --format '{{.Id}} {{.RootFS.Layers}}' example.com/busybox:latest
	expect_output "$config $(inspect busybox '"[" + " ".join(j["config"]["rootfs"]["diff_ids"]) + "]"')"
	skopeo copy -q docker-archive:"$TEST_TMP/bb.tar" "oci:$TEST_TMP/sk:x"
	run -0 skopeo inspect --config "oci:$TEST_TMP/sk:x"
	run -0 python3 -c 'import json, sys; print(json.loads(sys.argv[1])["rootfs"]["diff_ids"])' "$output"
	expect_output "$(inspect busybox 'j["config"]["rootfs"]["diff_ids"]')"
}

@test "save oci-archive keeps every digest: skopeo copies it, podman loads it" {
	run -0 ci save --format oci-archive -o "$TEST_TMP/ml.tar" multilayer
	skopeo copy -q --preserve-digests "oci-archive:$TEST_TMP/ml.tar:multilayer" "oci:$TEST_TMP/sk:ml"
	run -0 skopeo inspect "oci:$TEST_TMP/sk:ml"
	expect_output_re "\"Digest\": \"$MULTI_DIGEST\""
	run -0 ci save --format oci-archive -o "$TEST_TMP/bb.tar" example.com/busybox:latest
	run -0 pod load -i "$TEST_TMP/bb.tar"
	expect_line "Loaded image: example.com/busybox:latest"
	run -0 pod image inspect --format '{{.Id}}' example.com/busybox:latest
	expect_output "$(inspect busybox 'j["manifest"]["config"]["digest"][7:]')"
}

@test "save several images in one archive, each format: names kept" {
	ci tag multilayer other/name:v2
	run -0 ci save -o "$TEST_TMP/d.tar" multilayer example.com/busybox:latest other/name:v2
	run -0 python3 -c 'import json, sys, tarfile
t = tarfile.open(sys.argv[1])
print(sorted(sorted(i["RepoTags"]) for i in json.load(t.extractfile("manifest.json"))))' "$TEST_TMP/d.tar"
	expect_output "[['example.com/busybox:latest'], ['multilayer:latest', 'other/name:v2']]"
	run -0 ci save --format oci-archive -o "$TEST_TMP/o.tar" multilayer example.com/busybox:latest other/name:v2
	run -0 python3 -c 'import json, sys, tarfile
t = tarfile.open(sys.argv[1])
print([(m["annotations"]["org.opencontainers.image.ref.name"], m["digest"]) for m in json.load(t.extractfile("index.json"))["manifests"]])' "$TEST_TMP/o.tar"
	expect_output "[('multilayer', '$MULTI_DIGEST'), ('example.com/busybox:latest', '$BUSYBOX_DIGEST'), ('other/name:v2', '$MULTI_DIGEST')]"
	run -0 env C_ROOT="$TEST_TMP/from-oci" "$BIN_DIR/c-image" load -q -i "$TEST_TMP/o.tar"
	expect_output "multilayer
example.com/busybox:latest
other/name:v2"
	run -0 env C_ROOT="$TEST_TMP/from-docker" "$BIN_DIR/c-image" load -q -i "$TEST_TMP/d.tar"
	expect_output "multilayer:latest
other/name:v2
example.com/busybox:latest"
}

@test "save to standard output, never to a terminal; an unknown image is 4" {
	ci save example.com/busybox:latest >"$TEST_TMP/out.tar"
	run -0 tar tf "$TEST_TMP/out.tar" manifest.json
	run -2 script -qec "$BIN_DIR/c-image save example.com/busybox:latest" /dev/null
	[[ $output == *"c-image: save: refusing to write an archive to a terminal"* ]]
	run -4 ci save -o "$TEST_TMP/x.tar" nosuch
	expect_one_line "c-image: image not found: nosuch"
	[ -z "$(find "$TEST_TMP" -maxdepth 1 -name '*x.tar*')" ]
}

@test "what c-unpack learns of a compressed layer is kept for save; a wrong record fails the save" {
	require_root
	local blob diff_id
	blob=$(inspect multilayer 'j["manifest"]["layers"][0]["digest"][7:]')
	diff_id=$(inspect multilayer 'j["config"]["rootfs"]["diff_ids"][0]')
	[ ! -e "$C_ROOT/layerinfo/sha256/$blob" ]
	"$BIN_DIR/c-unpack" --copy multilayer "$TEST_TMP/b" >/dev/null
	run -0 cat "$C_ROOT/layerinfo/sha256/$blob"
	expect_output "$diff_id $(gzip -dc "$C_ROOT/blobs/sha256/$blob" | wc -c)"
	# layer 2 is uncompressed: its blob says it all
	[ ! -e "$C_ROOT/layerinfo/sha256/$(inspect multilayer 'j["manifest"]["layers"][1]["digest"][7:]')" ]
	echo "$diff_id 512" >"$C_ROOT/layerinfo/sha256/$blob"
	run -3 ci save -o "$TEST_TMP/d.tar" multilayer
	expect_one_line "c-image: save: multilayer: layer sha256:$blob: more than 512 bytes uncompressed, not the 512 recorded"
	[ ! -e "$C_ROOT/layerinfo/sha256/$blob" ]
	run -0 ci save -o "$TEST_TMP/d.tar" multilayer
	run -0 ci rm multilayer
	[ ! -e "$C_ROOT/layerinfo/sha256/$blob" ]
}

@test "a save that fails midway leaves no file, and on a pipe no archive that looks whole" {
	local last
	last=$(inspect multilayer 'j["manifest"]["layers"][4]["digest"][7:]')
	rm "$C_ROOT/blobs/sha256/$last"
	run -4 ci save -o "$TEST_TMP/ml.tar" multilayer
	expect_one_line "c-image: save: multilayer: open blob: sha256:$last: No such file or directory"
	[ -z "$(find "$TEST_TMP" -maxdepth 1 -name '*ml.tar*')" ]
	# what went down the pipe (the layers before, or nothing) is refused
	run -4 bash -c '"$BIN_DIR/c-image" save multilayer >"$TEST_TMP/piped.tar"'
	run -3 env C_ROOT="$TEST_TMP/other" "$BIN_DIR/c-image" load -i "$TEST_TMP/piped.tar"
	expect_one_line "c-image: load: " "tar stream: "
	# the same with more than a block of libarchive's before the failure
	ci import "$BB_TAR" big >/dev/null
	run -4 bash -c '"$BIN_DIR/c-image" save big multilayer >"$TEST_TMP/piped.tar"'
	[ "$(stat -c %s "$TEST_TMP/piped.tar")" -gt 1000000 ]
	run -3 env C_ROOT="$TEST_TMP/other" "$BIN_DIR/c-image" load -i "$TEST_TMP/piped.tar"
	expect_one_line "c-image: load: " "truncated"
}

# ---- load: what podman and skopeo write ------------------------------------------------

@test "load podman save's docker-archive and oci-archive; the images run" {
	ci save -o "$TEST_TMP/bb.tar" example.com/busybox:latest
	pod load -q -i "$TEST_TMP/bb.tar" >/dev/null
	pod save -q --format docker-archive -o "$TEST_TMP/p-docker.tar" example.com/busybox:latest
	pod save -q --format oci-archive -o "$TEST_TMP/p-oci.tar" example.com/busybox:latest
	local config diff_ids
	config=$(inspect busybox 'j["manifest"]["config"]["digest"]')
	diff_ids=$(inspect busybox 'j["config"]["rootfs"]["diff_ids"]')
	for f in p-docker p-oci; do
		export C_ROOT=$TEST_TMP/root-$f
		run -0 ci load -i "$TEST_TMP/$f.tar"
		expect_output "Loaded image: example.com/busybox:latest"
		run -0 inspect example.com/busybox:latest 'j["manifest"]["config"]["digest"], j["config"]["rootfs"]["diff_ids"]'
		expect_output "$config $diff_ids"
		run -0 ci check
		expect_output ok
		run -0 runs example.com/busybox:latest cat /etc/os-release
		expect_line 'NAME="c-tools busybox fixture"'
	done
}

@test "load skopeo's docker-archive of the multilayer image: config and diff_ids kept, the same tree" {
	skopeo copy -q "oci:$C_ROOT:multilayer" "docker-archive:$TEST_TMP/ml.tar:example.com/ml:1"
	local config diff_ids
	config=$(inspect multilayer 'j["manifest"]["config"]["digest"]')
	diff_ids=$(inspect multilayer 'j["config"]["rootfs"]["diff_ids"]')
	export C_ROOT=$TEST_TMP/other
	run -0 ci load <"$TEST_TMP/ml.tar"
	expect_output "Loaded image: example.com/ml:1"
	run -0 inspect example.com/ml:1 'j["manifest"]["config"]["digest"], j["config"]["rootfs"]["diff_ids"], set(l["mediaType"] for l in j["manifest"]["layers"])'
	# uncompressed in the archive, stored gzip'd as skopeo copies a docker archive into an OCI layout
	expect_output "$config $diff_ids {'application/vnd.oci.image.layer.v1.tar+gzip'}"
	run -0 ci check
	expect_output ok
	if [ "$(id -u)" = 0 ]; then
		"$BIN_DIR/c-unpack" --copy example.com/ml:1 "$TEST_TMP/b" >/dev/null
		diff <(fixture_multilayer_tree) <(fixture_tree "$TEST_TMP/b/rootfs")
	fi
}

@test "load skopeo's docker-archive of the busybox image: it runs" {
	skopeo copy -q "oci:$C_ROOT:example.com/busybox:latest" "docker-archive:$TEST_TMP/bb.tar:example.com/bb:2"
	export C_ROOT=$TEST_TMP/other
	run -0 ci load -i "$TEST_TMP/bb.tar"
	expect_output "Loaded image: example.com/bb:2"
	run -0 runs example.com/bb:2 sh -c 'cat /etc/os-release; echo $PATH'
	expect_line 'NAME="c-tools busybox fixture"'
	expect_line "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

@test "an oci-archive round trip keeps every digest; a docker-archive one the config and diff_ids" {
	ci save --format oci-archive -o "$TEST_TMP/o.tar" multilayer
	ci save -o "$TEST_TMP/d.tar" multilayer
	export C_ROOT=$TEST_TMP/other
	run -0 ci load -i "$TEST_TMP/o.tar"
	run -0 ci ls --json
	expect_output_re "\"digest\": \"$MULTI_DIGEST\""
	run -0 ci load -i "$TEST_TMP/d.tar"
	expect_output "Loaded image: multilayer:latest"
	[ "$(inspect multilayer:latest 'j["manifest"]["config"], j["config"]["rootfs"]')" = \
		"$(inspect multilayer 'j["manifest"]["config"], j["config"]["rootfs"]')" ]
	run -0 ci check
	expect_output ok
}

@test "load archives gzip'd as a whole, and with gzip'd layers inside" {
	ci save -o "$TEST_TMP/d.tar" multilayer
	gzip -c "$TEST_TMP/d.tar" >"$TEST_TMP/d.tar.gz"
	retar "$TEST_TMP/d.tar" "$TEST_TMP/gz-layers.tar" gzip-layers
	local want
	want=$(inspect multilayer 'j["manifest"]["config"], j["config"]["rootfs"]')
	for f in d.tar.gz gz-layers.tar; do
		export C_ROOT=$TEST_TMP/root-$f
		run -0 ci load -i "$TEST_TMP/$f"
		expect_output "Loaded image: multilayer:latest"
		[ "$(inspect multilayer:latest 'j["manifest"]["config"], j["config"]["rootfs"]')" = "$want" ]
		run -0 ci check
		expect_output ok
	done
	# gzip'd layers are stored as they came
	run -0 inspect multilayer:latest '[l["digest"][7:] for l in j["manifest"]["layers"]]'
	run -0 python3 -c 'import gzip, hashlib, sys, tarfile
t = tarfile.open(sys.argv[1])
print([hashlib.sha256(t.extractfile(n).read()).hexdigest() for n in __import__("json").load(t.extractfile("manifest.json"))[0]["Layers"]])' "$TEST_TMP/gz-layers.tar"
	[ "$output" = "$(inspect multilayer:latest '[l["digest"][7:] for l in j["manifest"]["layers"]]')" ]
}

@test "load docker 25's archives (an OCI layout and manifest.json): manifest.json's names, blobs as they are" {
	ci save --format oci-archive -o "$TEST_TMP/o.tar" multilayer
	retar "$TEST_TMP/o.tar" "$TEST_TMP/d25.tar" docker25 ml25:v1
	export C_ROOT=$TEST_TMP/other
	run -0 ci load -i "$TEST_TMP/d25.tar"
	expect_output "Loaded image: ml25:v1"
	# the config and layer blobs as the archive had them (the second one
	# uncompressed, as docker 25 has them all)
	local expr='j["manifest"]["config"]["digest"], [(l["digest"], l["mediaType"]) for l in j["manifest"]["layers"]]'
	run -0 inspect ml25:v1 "$expr"
	expect_output "$(C_ROOT=$TEST_TMP/root inspect multilayer "$expr")"
	[[ $output == *"layer.v1.tar')"* ]]
	run -0 ci check
	expect_output ok
}

@test "load names each image it loaded (-q: the names alone, an unnamed one by its digest)" {
	ci save -o "$TEST_TMP/d.tar" "$BUSYBOX_DIGEST" multilayer
	export C_ROOT=$TEST_TMP/other
	run -0 --separate-stderr ci load -i "$TEST_TMP/d.tar"
	[ "${#lines[@]}" -eq 2 ] && [ "${lines[1]}" = "Loaded image: multilayer:latest" ]
	[[ ${lines[0]} =~ ^Loaded\ image:\ sha256:[0-9a-f]{64}$ ]]
	local digest=${lines[0]#Loaded image: }
	run -0 ci load -q -i "$TEST_TMP/d.tar"
	expect_output "$digest
multilayer:latest"
	run -0 ci ls -q
	expect_output "$digest
multilayer:latest"
	run -2 script -qec "$BIN_DIR/c-image load" /dev/null
	[[ $output == *"c-image: load: refusing to read an archive from a terminal"* ]]
}

# ---- load: bad archives ---------------------------------------------------------------

# Load FILE: refused with one line that starts with PREFIX (and holds each
# WORD), status 3, and the store as it was.
refused() { # FILE PREFIX [WORD...]
	local before file=$1
	shift
	before=$(store_state)
	run -3 ci load -i "$file"
	expect_one_line "$@"
	run -0 ci check
	expect_output ok
	[ "$(store_state)" = "$before" ] || { echo "the store changed"; diff <(echo "$before") <(store_state); return 1; }
}

@test "load a truncated archive: refused, the entry named, the store as it was" {
	ci save -o "$TEST_TMP/d.tar" multilayer
	head -c "$(($(stat -c %s "$TEST_TMP/d.tar") / 2))" "$TEST_TMP/d.tar" >"$TEST_TMP/cut.tar"
	# cut inside the biggest layer, the last one
	refused "$TEST_TMP/cut.tar" "c-image: load: $(inspect multilayer 'j["config"]["rootfs"]["diff_ids"][4][7:]').tar: tar stream: truncated: the stream ends inside an entry"
	gzip -c "$TEST_TMP/d.tar" >"$TEST_TMP/d.tar.gz"
	head -c "$(($(stat -c %s "$TEST_TMP/d.tar.gz") - 20))" "$TEST_TMP/d.tar.gz" >"$TEST_TMP/cut.tar.gz"
	refused "$TEST_TMP/cut.tar.gz" "c-image: load: " "gzip stream: unexpected end of data"
	head -c 10240 "$TEST_TMP/d.tar" >"$TEST_TMP/cut2.tar"
	refused "$TEST_TMP/cut2.tar" "c-image: load: " "truncated"
}

@test "load a layer whose digest does not match: refused, the store as it was" {
	ci save --format oci-archive -o "$TEST_TMP/o.tar" multilayer
	ci save -o "$TEST_TMP/d.tar" multilayer
	local entry
	entry=$(retar "$TEST_TMP/o.tar" "$TEST_TMP/bad.tar" flip 'blobs/sha256/*')
	# a store without these blobs (one that has a blob takes it from there)
	ci rm multilayer >/dev/null
	refused "$TEST_TMP/bad.tar" "c-image: load: $entry: digest mismatch: sha256:${entry##*/}: got sha256:"
	entry=$(retar "$TEST_TMP/d.tar" "$TEST_TMP/bad.tar" flip '*.tar')
	refused "$TEST_TMP/bad.tar" "c-image: load: $entry: diff_id mismatch: the config says sha256:${entry%.tar}, the layer has sha256:"
}

@test "load a manifest.json naming a missing file: refused, the store as it was" {
	ci save -o "$TEST_TMP/d.tar" multilayer
	retar "$TEST_TMP/d.tar" "$TEST_TMP/bad.tar" missing
	refused "$TEST_TMP/bad.tar" "c-image: load: nothere.tar: not in the archive"
}

@test "load an archive with a path out of it (../x, /x): refused, the store as it was" {
	ci save -o "$TEST_TMP/d.tar" multilayer
	retar "$TEST_TMP/d.tar" "$TEST_TMP/dotdot.tar" first ../x
	refused "$TEST_TMP/dotdot.tar" "c-image: load: ../x: '..' leads outside the archive"
	retar "$TEST_TMP/d.tar" "$TEST_TMP/abs.tar" first /x
	refused "$TEST_TMP/abs.tar" "c-image: load: /x: an absolute path"
}

@test "load what is no archive, or none at all: refused; a missing file is 4" {
	echo "just text" >"$TEST_TMP/text"
	refused "$TEST_TMP/text" "c-image: load: $TEST_TMP/text: tar stream: not a tar archive"
	tar -C "$TEST_TMP" -cf "$TEST_TMP/plain.tar" text
	refused "$TEST_TMP/plain.tar" "c-image: load: $TEST_TMP/plain.tar: neither manifest.json nor index.json"
	run -4 ci load -i "$TEST_TMP/nothere.tar"
	expect_one_line "c-image: load: open: $TEST_TMP/nothere.tar: No such file or directory"
}

@test "a failed load removes what it stored; one racing another process leaves it for prune" {
	ci save -o "$TEST_TMP/d.tar" multilayer
	retar "$TEST_TMP/d.tar" "$TEST_TMP/bad.tar" missing
	export C_ROOT=$TEST_TMP/fresh
	ci check >/dev/null
	run -3 ci load -i "$TEST_TMP/bad.tar"
	[ -z "$(ls "$C_ROOT/blobs/sha256")" ]
	# another process has the store open: the blobs wait for c-image prune
	flock -s "$C_ROOT/.use.lock" sleep 3 &
	sleep 0.3
	run -3 ci load -i "$TEST_TMP/bad.tar"
	[ -n "$(ls "$C_ROOT/blobs/sha256")" ]
	run -0 ci check
	expect_output ok
	wait
	run -0 ci prune
	[ -z "$(ls "$C_ROOT/blobs/sha256")" ]
}
