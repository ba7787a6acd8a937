#!/usr/bin/env bats
# c-pull against Debian's docker-registry over TLS with a test CA: every
# reference form, both manifest formats, platforms, the store as other OCI
# tools read it, and the errors a user meets.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry

setup_file() {
	registry_start
	registry_seed busybox multilayer multiarch
}

teardown_file() {
	registry_stop
}

setup() {
	common_setup
	export C_ROOT=$TEST_TMP/root
}

pull() {
	run --separate-stderr "$BIN_DIR/c-pull" --cert-dir "$REGISTRY_CERTS_DIR" "$@"
}

# The digest skopeo reports for a reference in the test registry.
skopeo_digest() {
	skopeo inspect --cert-dir "$REGISTRY_CERTS_DIR" --format '{{.Digest}}' "docker://$1"
}

@test "pull prints the manifest digest, the one the registry serves" {
	pull "$REGISTRY_BUSYBOX"
	expect_status 0
	expect_eq "$output" "$(skopeo_digest "$REGISTRY_BUSYBOX")" "digest"
	[[ $stderr == *"blob sha256:"* ]] || { echo "no progress lines: $stderr"; return 1; }
}

@test "skopeo and umoci open what c-pull stored, under the full name" {
	pull -q "$REGISTRY_BUSYBOX"
	expect_status 0
	[ -z "$stderr" ] || { echo "-q printed: $stderr"; return 1; }
	run skopeo inspect "oci:$C_ROOT:$REGISTRY_BUSYBOX"
	expect_status 0
	[[ $output == *'"Architecture": "amd64"'* ]] || { echo "$output"; return 1; }
	run umoci unpack --image "$C_ROOT:$REGISTRY_BUSYBOX" "$TEST_TMP/bundle"
	expect_status 0
	[ -x "$TEST_TMP/bundle/rootfs/bin/busybox" ]
	[ "$(cat "$TEST_TMP/bundle/rootfs/etc/passwd" | head -n 1 | cut -d: -f1)" = root ]
}

@test "every reference form: tag, digest, tag@digest, stdin" {
	local want
	want=$(skopeo_digest "$REGISTRY_BUSYBOX")
	pull -q "$REGISTRY/c-tools/busybox:1"
	expect_status 0
	expect_eq "$output" "$want" "by tag"
	pull -q "$REGISTRY/c-tools/busybox@$want"
	expect_status 0
	expect_eq "$output" "$want" "by digest"
	pull -q "$REGISTRY/c-tools/busybox:1@$want"
	expect_status 0
	expect_eq "$output" "$want" "tag and digest"
	run --separate-stderr bash -c 'echo "$1" | "$2" -q --cert-dir "$3" -' _ \
		"$REGISTRY_BUSYBOX" "$BIN_DIR/c-pull" "$REGISTRY_CERTS_DIR"
	expect_status 0
	expect_eq "$output" "$want" "from stdin"
	run skopeo inspect "oci:$C_ROOT:$REGISTRY/c-tools/busybox@$want"
	expect_status 0
}

@test "a digest that does not match what the registry serves is refused" {
	local other=sha256:0000000000000000000000000000000000000000000000000000000000000000
	pull -q "$REGISTRY/c-tools/busybox@$other"
	[ "$status" -ne 0 ]
	[[ $stderr == *"$other"* ]] || { echo "$stderr"; return 1; }
}

@test "a Docker schema 2 manifest is stored as the OCI manifest skopeo writes" {
	pull -q "$REGISTRY_BUSYBOX_V2S2"
	expect_status 0
	skopeo copy -q --src-cert-dir "$REGISTRY_CERTS_DIR" "docker://$REGISTRY_BUSYBOX_V2S2" \
		"oci:$TEST_TMP/skopeo:x"
	expect_eq "$output" "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$TEST_TMP/skopeo/index.json")" \
		"digest of the converted manifest"
	run umoci unpack --image "$C_ROOT:$REGISTRY_BUSYBOX_V2S2" "$TEST_TMP/bundle"
	expect_status 0
}

# The content of /etc/arch in the image a name points to.
arch_of() {
	umoci unpack --image "$C_ROOT:$1" "$TEST_TMP/arch-bundle" >/dev/null &&
		cat "$TEST_TMP/arch-bundle/rootfs/etc/arch" && rm -rf "$TEST_TMP/arch-bundle"
}

@test "an index gives the host's platform, or the one asked for" {
	pull -q "$REGISTRY_MULTIARCH"
	expect_status 0
	[ "$(arch_of "$REGISTRY_MULTIARCH")" = amd64 ]
	pull -q --platform linux/arm64 "$REGISTRY_MULTIARCH"
	expect_status 0
	[ "$(arch_of "$REGISTRY_MULTIARCH")" = arm64 ]
	pull -q --platform linux/arm/v7 "$REGISTRY_MULTIARCH"
	expect_status 0
	[ "$(arch_of "$REGISTRY_MULTIARCH")" = arm ]
}

@test "no image for the platform: exit 4 and the platforms there are" {
	pull -q --platform linux/s390x "$REGISTRY_MULTIARCH"
	expect_status 4
	[[ $stderr == *"linux/s390x"* && $stderr == *"linux/amd64"* ]] || { echo "$stderr"; return 1; }
}

@test "an unknown tag: manifest unknown, exit 4, nothing named" {
	pull -q "$REGISTRY/c-tools/busybox:nope"
	expect_status 4
	expect_eq "$stderr" "c-pull: manifest unknown: $REGISTRY/c-tools/busybox:nope" "error"
	[ "${#lines[@]}" -eq 0 ]
}

@test "a second pull fetches nothing again" {
	pull "$REGISTRY_MULTILAYER"
	expect_status 0
	local first=$output
	pull "$REGISTRY_MULTILAYER"
	expect_status 0
	expect_eq "$output" "$first" "digest"
	[[ $stderr == *"already present"* && $stderr != *"done"* ]] || { echo "$stderr"; return 1; }
}

@test "without the registry's CA the pull fails on the certificate, exit 6" {
	run --separate-stderr "$BIN_DIR/c-pull" -q --cert-dir "$TEST_TMP" "$REGISTRY_BUSYBOX"
	expect_status 6
	[[ $stderr == *"$REGISTRY"* && $stderr == *certificate* ]] || { echo "$stderr"; return 1; }
	[ ! -s "$C_ROOT/index.json" ] || ! grep -q busybox "$C_ROOT/index.json"
}

@test "--tls-verify=false pulls without the CA" {
	run --separate-stderr "$BIN_DIR/c-pull" -q --tls-verify=false --cert-dir "$TEST_TMP" \
		"$REGISTRY_BUSYBOX"
	expect_status 0
}

@test "the CA from /etc/containers/certs.d/HOST:PORT is trusted" {
	require_root
	local dir=/etc/containers/certs.d/$REGISTRY
	[ ! -e "$dir" ] || skip "$dir exists on this machine"
	mkdir -p "$dir"
	cp "$REGISTRY_CA" "$dir/ca.crt"
	run --separate-stderr "$BIN_DIR/c-pull" -q "$REGISTRY_BUSYBOX"
	rm -rf "$dir"
	expect_status 0
}

@test "bad references and options are one-line errors" {
	pull -q "Foo/Bar"
	expect_status 3
	[[ $stderr == "c-pull: "*'"Foo/Bar"'* ]] || { echo "$stderr"; return 1; }
	pull -q "$REGISTRY_BUSYBOX" extra
	expect_status 2
	pull --jobs 0 "$REGISTRY_BUSYBOX"
	expect_status 2
	pull --tls-verify=maybe "$REGISTRY_BUSYBOX"
	expect_status 2
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
}

@test "c-image tags lists a repository's tags on its registry" {
	run --separate-stderr "$BIN_DIR/c-image" tags --cert-dir "$REGISTRY_CERTS_DIR" \
		"$REGISTRY/c-tools/busybox"
	expect_status 0
	expect_eq "$(echo "$output" | sort | tr '\n' ' ')" "1 latest " "tags"
	run --separate-stderr "$BIN_DIR/c-image" tags --cert-dir "$REGISTRY_CERTS_DIR" \
		"$REGISTRY/c-tools/nothing-here"
	expect_status 4
}

@test "a registry's own CA is tried first, and the system's CAs still vouch when it fails" {
	local other=$TEST_TMP/other-ca
	mkdir -p "$other"
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 1 \
		-subj "/CN=unrelated CA" -keyout "$other/ca.key" -out "$other/ca.crt" 2>/dev/null
	rm "$other/ca.key"
	# certs.d holds a CA that did not sign the registry; the system's has the one that did
	SSL_CERT_DIR= SSL_CERT_FILE=$REGISTRY_CA \
		run --separate-stderr "$BIN_DIR/c-pull" -q --cert-dir "$other" "$REGISTRY_BUSYBOX"
	expect_status 0
	SSL_CERT_DIR= SSL_CERT_FILE=$other/ca.crt \
		run --separate-stderr "$BIN_DIR/c-pull" -q --cert-dir "$other" "$REGISTRY_BUSYBOX"
	expect_status 6
	[[ $stderr == *"unknown authority"* ]] || { echo "$stderr"; return 1; }
}

@test "c-pull composes with c-unpack through a pipe" {
	run --separate-stderr bash -c '"$1" -q --cert-dir "$2" "$3" | "$4" --copy - "$5"' _ "$BIN_DIR/c-pull" \
		"$REGISTRY_CERTS_DIR" "$REGISTRY_BUSYBOX" "$BIN_DIR/c-unpack" "$TEST_TMP/bundle"
	expect_status 0
	expect_output "$TEST_TMP/bundle"
	[ -x "$TEST_TMP/bundle/rootfs/bin/busybox" ] && [ -f "$TEST_TMP/bundle/config.json" ]
}
