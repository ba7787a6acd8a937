#!/usr/bin/env bats
# c-pull against a registry with htpasswd basic auth: where credentials come
# from, what happens without them, and that they never show.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry

PASSWORD=Secr3t-pass-for-c-tools

setup_file() {
	registry_start --htpasswd "puller:$PASSWORD"
	registry_seed busybox
}

teardown_file() {
	registry_stop
}

setup() {
	common_setup
	export C_ROOT=$TEST_TMP/root
	# Only what each test gives: no auth file, no runtime dir, an empty home.
	unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR
	export HOME=$TEST_TMP/home
	mkdir -p "$HOME"
}

pull() {
	run --separate-stderr "$BIN_DIR/c-pull" -q --cert-dir "$REGISTRY_CERTS_DIR" "$@"
}

no_secret_shown() {
	[[ $output != *"$PASSWORD"* && $stderr != *"$PASSWORD"* ]] ||
		{ echo "the password was printed"; return 1; }
}

@test "without credentials: authentication required for HOST, exit 5" {
	pull "$REGISTRY_BUSYBOX"
	expect_status 5
	[[ $stderr == "c-pull: "*": authentication required for $REGISTRY" ]] || { echo "$stderr"; return 1; }
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
}

@test "--creds logs in" {
	pull --creds "puller:$PASSWORD" "$REGISTRY_BUSYBOX"
	expect_status 0
	[[ $output == sha256:* ]]
	no_secret_shown
}

@test "a wrong password: authentication failed, exit 5, no secret shown" {
	pull --creds "puller:wrong-$PASSWORD" "$REGISTRY_BUSYBOX"
	expect_status 5
	[[ $stderr == "c-pull: "*": authentication failed for $REGISTRY" ]] || { echo "$stderr"; return 1; }
	no_secret_shown
}

auth_json() { # FILE
	local auth
	auth=$(printf 'puller:%s' "$PASSWORD" | base64 -w0)
	mkdir -p "$(dirname "$1")"
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REGISTRY" "$auth" >"$1"
}

@test "credentials from REGISTRY_AUTH_FILE" {
	auth_json "$TEST_TMP/auth.json"
	REGISTRY_AUTH_FILE=$TEST_TMP/auth.json pull "$REGISTRY_BUSYBOX"
	expect_status 0
	no_secret_shown
}

@test "credentials from XDG_RUNTIME_DIR/containers/auth.json" {
	auth_json "$TEST_TMP/run/containers/auth.json"
	XDG_RUNTIME_DIR=$TEST_TMP/run pull "$REGISTRY_BUSYBOX"
	expect_status 0
}

@test "credentials from ~/.docker/config.json" {
	auth_json "$HOME/.docker/config.json"
	pull "$REGISTRY_BUSYBOX"
	expect_status 0
}

@test "a malformed auth file is an error naming the file, not the secret" {
	printf '{"auths": {"%s": {"auth": "%s"' "$REGISTRY" "$PASSWORD" >"$TEST_TMP/bad.json"
	REGISTRY_AUTH_FILE=$TEST_TMP/bad.json pull "$REGISTRY_BUSYBOX"
	[ "$status" -ne 0 ]
	[[ $stderr == *"$TEST_TMP/bad.json"* ]] || { echo "$stderr"; return 1; }
	no_secret_shown
}
