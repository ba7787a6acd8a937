#!/usr/bin/env bats
# The fake registry of tests/fixtures/fakeregistry.py and its helpers
# (helpers/fakeregistry.bash), checked with curl: what c-pull's fault tests
# rely on must hold before a c-pull failure can be blamed on c-pull.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/fakeregistry

setup_file() {
	export IMG=$BATS_FILE_TMPDIR/busybox
	fixture_busybox_image "$IMG" >/dev/null
	MANIFEST=$(fake_manifest_digest "$IMG")
	CONFIG=$(fake_config_digest "$IMG")
	BIG=$(fake_layer_digests "$IMG" | head -n 1)  # the busybox binary, ~1 MB
	SMALL=$(fake_layer_digests "$IMG" | tail -n 1)
	export MANIFEST CONFIG BIG SMALL
}

teardown() {
	fake_stop
	common_teardown
}

blob_file() { # DIGEST: the layout's file of it
	echo "$IMG/blobs/sha256/${1#sha256:}"
}

sha() { # FILE: sha256:HEX of it
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

header() { # NAME FILE: the value of header NAME in a curl -D dump
	tr -d '\r' <"$2" | sed -n "s/^$1: //Ip" | tail -n 1
}

status_of() { # FILE: the status code of the last response in a curl -D dump
	sed -n 's/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$1" | tail -n 1
}

@test "fake: /v2/ answers 200 and the tags are listed" {
	fake_start "$IMG"
	run fake_curl v2/ -o /dev/null -w '%{http_code}'
	expect_output 200
	run fake_curl v2/c-tools/busybox/tags/list
	expect_output '{"name":"c-tools/busybox","tags":["latest"]}'
}

@test "fake: a manifest by tag and by digest, with its media type and digest" {
	fake_start "$IMG"
	fake_curl v2/c-tools/busybox/manifests/latest -D "$TEST_TMP/h" -o "$TEST_TMP/m"
	expect_eq "$(status_of "$TEST_TMP/h")" 200 status
	expect_eq "$(header Content-Type "$TEST_TMP/h")" application/vnd.oci.image.manifest.v1+json
	expect_eq "$(header Docker-Content-Digest "$TEST_TMP/h")" "$MANIFEST"
	expect_eq "$(sha "$TEST_TMP/m")" "$MANIFEST" "body digest"

	fake_curl "v2/c-tools/busybox/manifests/$MANIFEST" -D "$TEST_TMP/h2" -o "$TEST_TMP/m2"
	expect_eq "$(status_of "$TEST_TMP/h2")" 200 status
	expect_eq "$(header Content-Type "$TEST_TMP/h2")" application/vnd.oci.image.manifest.v1+json
	cmp "$TEST_TMP/m" "$TEST_TMP/m2"

	fake_curl v2/c-tools/busybox/manifests/latest -I -o "$TEST_TMP/h3"
	expect_eq "$(header Content-Length "$TEST_TMP/h3")" "$(stat -c %s "$TEST_TMP/m")" "HEAD length"
	expect_eq "$(header Docker-Content-Digest "$TEST_TMP/h3")" "$MANIFEST"
}

@test "fake: unknown manifests and blobs are 404 with distribution error codes" {
	fake_start "$IMG"
	run fake_curl v2/c-tools/busybox/manifests/nosuchtag -w ' %{http_code}'
	expect_output '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]} 404'
	# a blob that is not a manifest is no manifest
	run fake_curl "v2/c-tools/busybox/manifests/$BIG" -o /dev/null -w '%{http_code}'
	expect_output 404
	run fake_curl "v2/c-tools/busybox/blobs/sha256:$(printf '0%.0s' {1..64})" -w ' %{http_code}'
	expect_output_re 'BLOB_UNKNOWN.* 404$'
	run fake_curl v2/c-tools/busybox/blobs/sha256:../../index.json -o /dev/null -w '%{http_code}'
	expect_output 404
	run fake_curl v2/c-tools/busybox/blobs/x -X PUT -o /dev/null -w '%{http_code}'
	expect_output 405
}

@test "fake: blobs are served whole with their digest" {
	fake_start "$IMG"
	local d
	for d in "$CONFIG" "$BIG" "$SMALL"; do
		fake_curl "v2/c-tools/busybox/blobs/$d" -D "$TEST_TMP/h" -o "$TEST_TMP/b"
		expect_eq "$(sha "$TEST_TMP/b")" "$d" "content of $d"
		expect_eq "$(header Docker-Content-Digest "$TEST_TMP/h")" "$d"
	done
	fake_curl "v2/c-tools/busybox/blobs/$BIG" -I -o "$TEST_TMP/h"
	expect_eq "$(header Content-Length "$TEST_TMP/h")" "$(stat -c %s "$(blob_file "$BIG")")"
}

@test "fake: Range gives 206 with Content-Range and the right bytes; 416 past the end" {
	fake_start "$IMG"
	local size
	size=$(stat -c %s "$(blob_file "$BIG")")
	fake_curl "v2/c-tools/busybox/blobs/$BIG" -r 1000-1999 -D "$TEST_TMP/h" -o "$TEST_TMP/part"
	expect_eq "$(status_of "$TEST_TMP/h")" 206 status
	expect_eq "$(header Content-Range "$TEST_TMP/h")" "bytes 1000-1999/$size"
	cmp "$TEST_TMP/part" <(tail -c +1001 "$(blob_file "$BIG")" | head -c 1000)

	fake_curl "v2/c-tools/busybox/blobs/$BIG" -r 5000- -D "$TEST_TMP/h" -o "$TEST_TMP/rest"
	expect_eq "$(header Content-Range "$TEST_TMP/h")" "bytes 5000-$((size - 1))/$size"
	cmp "$TEST_TMP/rest" <(tail -c +5001 "$(blob_file "$BIG")")

	run fake_curl "v2/c-tools/busybox/blobs/$BIG" -r "$size-" -D "$TEST_TMP/h" -o /dev/null
	expect_eq "$(status_of "$TEST_TMP/h")" 416 status
	expect_eq "$(header Content-Range "$TEST_TMP/h")" "bytes */$size"

	expect_eq "$(fake_log_count "^GET /v2/c-tools/busybox/blobs/$BIG range=bytes=5000- auth=none status=206$")" 1 \
		"log lines of the ranged request"
}

@test "fake: --corrupt-blob serves other bytes of the same length" {
	fake_start "$IMG" --corrupt-blob "$BIG"
	fake_curl "v2/c-tools/busybox/blobs/$BIG" -o "$TEST_TMP/b"
	[ "$(sha "$TEST_TMP/b")" != "$BIG" ]
	expect_eq "$(stat -c %s "$TEST_TMP/b")" "$(stat -c %s "$(blob_file "$BIG")")" size
	expect_eq "$(cmp -l "$TEST_TMP/b" "$(blob_file "$BIG")" | wc -l)" 1 "bytes changed"
	fake_curl "v2/c-tools/busybox/blobs/$SMALL" -o "$TEST_TMP/s"
	expect_eq "$(sha "$TEST_TMP/s")" "$SMALL" "another blob"
}

@test "fake: --cut-blob sends BYTES then closes, once; the next request is whole" {
	fake_start --tls "$IMG" --cut-blob "$BIG:70000"
	run fake_curl "v2/c-tools/busybox/blobs/$BIG" -D "$TEST_TMP/h" -o "$TEST_TMP/b"
	expect_status 18 # curl: partial file
	expect_eq "$(header Content-Length "$TEST_TMP/h")" "$(stat -c %s "$(blob_file "$BIG")")" \
		"announced length"
	expect_eq "$(stat -c %s "$TEST_TMP/b")" 70000 "bytes received"
	cmp "$TEST_TMP/b" <(head -c 70000 "$(blob_file "$BIG")")

	# resume where it stopped, as c-pull does
	fake_curl "v2/c-tools/busybox/blobs/$BIG" -r 70000- -o "$TEST_TMP/rest"
	cat "$TEST_TMP/rest" >>"$TEST_TMP/b"
	expect_eq "$(sha "$TEST_TMP/b")" "$BIG" "resumed blob"
	fake_curl "v2/c-tools/busybox/blobs/$BIG" -o "$TEST_TMP/again"
	expect_eq "$(sha "$TEST_TMP/again")" "$BIG" "third request"
	expect_eq "$(fake_log_count ' cut=70000$')" 1 "cut requests"
	expect_eq "$(fake_log_count ' range=bytes=70000- .*status=206$')" 1 "resume logged with its Range"
}

@test "fake: --cut-times N cuts the first N requests" {
	fake_start "$IMG" --cut-blob "$SMALL:10" --cut-times 2
	run fake_curl "v2/c-tools/busybox/blobs/$SMALL" -o "$TEST_TMP/1"
	expect_status 18
	run fake_curl "v2/c-tools/busybox/blobs/$SMALL" -o "$TEST_TMP/2"
	expect_status 18
	expect_eq "$(stat -c %s "$TEST_TMP/2")" 10
	run fake_curl "v2/c-tools/busybox/blobs/$SMALL" -o "$TEST_TMP/3"
	expect_status 0
	expect_eq "$(sha "$TEST_TMP/3")" "$SMALL"
}

@test "fake: --slow-blob sleeps between chunks" {
	fake_start "$IMG" --slow-blob "$BIG:20"
	local t0 t1
	t0=$(date +%s%N)
	fake_curl "v2/c-tools/busybox/blobs/$BIG" -o "$TEST_TMP/b"
	t1=$(date +%s%N)
	expect_eq "$(sha "$TEST_TMP/b")" "$BIG"
	# ~1 MB in 16 KiB chunks: 62 pauses of 20 ms
	[ $(((t1 - t0) / 1000000)) -ge 1000 ] || { echo "took $(((t1 - t0) / 1000000)) ms" >&2; false; }
}

@test "fake: manifest faults: not JSON, another media type, huge, schema 1" {
	fake_start "$IMG" --manifest-not-json
	fake_curl v2/c-tools/busybox/manifests/latest -o "$TEST_TMP/m"
	run python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$TEST_TMP/m"
	[ "$status" -ne 0 ]
	fake_stop

	fake_start "$IMG" --manifest-media-type application/vnd.example.bogus+json
	fake_curl v2/c-tools/busybox/manifests/latest -D "$TEST_TMP/h" -o "$TEST_TMP/m"
	expect_eq "$(header Content-Type "$TEST_TMP/h")" application/vnd.example.bogus+json
	grep -q '"mediaType":"application/vnd.example.bogus+json"' "$TEST_TMP/m"
	expect_eq "$(header Docker-Content-Digest "$TEST_TMP/h")" "$(sha "$TEST_TMP/m")" \
		"digest of what was served"
	fake_stop

	fake_start "$IMG" --manifest-huge 5000000
	fake_curl v2/c-tools/busybox/manifests/latest -o "$TEST_TMP/m"
	expect_eq "$(stat -c %s "$TEST_TMP/m")" 5000000 size
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["layers"]' "$TEST_TMP/m"
	fake_stop

	fake_start "$IMG" --schema1
	fake_curl v2/c-tools/busybox/manifests/latest -D "$TEST_TMP/h" -o "$TEST_TMP/m"
	expect_eq "$(header Content-Type "$TEST_TMP/h")" \
		application/vnd.docker.distribution.manifest.v1+prettyjws
	python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))
assert m["schemaVersion"] == 1 and m["fsLayers"][0]["blobSum"] == sys.argv[2]' "$TEST_TMP/m" "$SMALL"
}

@test "fake: --require-basic answers 401 with a Basic challenge; credentials let in" {
	fake_start --tls "$IMG" --require-basic 'alice:s3cr:et'
	fake_curl v2/c-tools/busybox/manifests/latest -D "$TEST_TMP/h" -o "$TEST_TMP/body"
	expect_eq "$(status_of "$TEST_TMP/h")" 401 status
	expect_eq "$(header WWW-Authenticate "$TEST_TMP/h")" 'Basic realm="fake"'
	grep -q '"code":"UNAUTHORIZED"' "$TEST_TMP/body"
	run fake_curl v2/c-tools/busybox/manifests/latest -u alice:wrong -o /dev/null -w '%{http_code}'
	expect_output 401
	run fake_curl v2/c-tools/busybox/manifests/latest -u 'alice:s3cr:et' -o /dev/null -w '%{http_code}'
	expect_output 200
	expect_eq "$(fake_log_count 'auth=basic status=200$')" 1 "logged as basic"
	# no credential in the log, neither plain nor encoded
	! grep -e 's3cr' -e "$(printf 'alice:s3cr:et' | base64)" -e 'wrong' "$FAKE_LOG"
}

@test "fake: --require-bearer: challenge, token with curl, then access" {
	fake_start --tls "$IMG" --require-bearer
	fake_curl v2/ -o /dev/null -D "$TEST_TMP/h"
	expect_eq "$(header WWW-Authenticate "$TEST_TMP/h")" \
		"Bearer realm=\"https://127.0.0.1:$FAKE_PORT/token\",service=\"fake\""
	fake_curl v2/c-tools/busybox/manifests/latest -o /dev/null -D "$TEST_TMP/h"
	expect_eq "$(status_of "$TEST_TMP/h")" 401 status
	expect_eq "$(header WWW-Authenticate "$TEST_TMP/h")" \
		"Bearer realm=\"https://127.0.0.1:$FAKE_PORT/token\",service=\"fake\",scope=\"repository:c-tools/busybox:pull\""

	local token
	fake_curl 'token?service=fake&scope=repository%3Ac-tools%2Fbusybox%3Apull' -o "$TEST_TMP/t"
	token=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$TEST_TMP/t")
	[ -n "$token" ]
	run fake_curl v2/c-tools/busybox/manifests/latest -H "Authorization: Bearer $token" \
		-o /dev/null -w '%{http_code}'
	expect_output 200
	run fake_curl v2/c-tools/busybox/manifests/latest -H "Authorization: Bearer nope" \
		-o /dev/null -w '%{http_code}'
	expect_output 401
	run fake_curl 'token?service=other' -o /dev/null -w '%{http_code}'
	expect_output 400
	! grep -F "$token" "$FAKE_LOG"
}

@test "fake: --require-bearer --token-key access_token --require-basic: /token needs Basic" {
	fake_start "$IMG" --require-bearer --token-key access_token --require-basic u:p
	fake_curl 'token?service=fake' -o /dev/null -D "$TEST_TMP/h"
	expect_eq "$(status_of "$TEST_TMP/h")" 401 status
	expect_eq "$(header WWW-Authenticate "$TEST_TMP/h")" 'Basic realm="fake"'
	fake_curl 'token?service=fake&scope=repository%3Ac-tools%2Fbusybox%3Apull' -u u:p -o "$TEST_TMP/t"
	run python3 -c 'import json, sys; t = json.load(open(sys.argv[1])); print("token" in t, t["access_token"][:5])' "$TEST_TMP/t"
	expect_output "False fake-"
	# Basic is for /token only: the registry itself wants the token
	run fake_curl v2/c-tools/busybox/manifests/latest -u u:p -o /dev/null -w '%{http_code}'
	expect_output 401
}

@test "fake: --redirect-blobs sends blob GETs to localhost; curl does not leak auth" {
	fake_start --tls "$IMG" --redirect-blobs --require-basic u:p
	run fake_curl "v2/c-tools/busybox/blobs/$BIG" -u u:p -o /dev/null -w '%{http_code} %{redirect_url}'
	expect_output "307 https://localhost:$FAKE_PORT/blobdata/$BIG"
	# HEAD is answered in place
	run fake_curl "v2/c-tools/busybox/blobs/$BIG" -u u:p -I -o /dev/null -w '%{http_code}'
	expect_output 200

	fake_curl "v2/c-tools/busybox/blobs/$BIG" -u u:p -L -o "$TEST_TMP/b"
	expect_eq "$(sha "$TEST_TMP/b")" "$BIG" "content after the redirect"
	expect_eq "$(fake_log_count "^GET /blobdata/$BIG range=- auth=none status=200$")" 1 \
		"anonymous /blobdata requests"
	expect_eq "$(fake_log_count AUTH-LEAK)" 0 "leaks"

	# a client that keeps its credentials across hosts is caught
	fake_curl "v2/c-tools/busybox/blobs/$SMALL" -u u:p --location-trusted -o "$TEST_TMP/s"
	expect_eq "$(fake_log_count "^GET /blobdata/$SMALL .*auth=basic status=200 AUTH-LEAK$")" 1 \
		"the leak is logged"
}

@test "fake: --repo limits the names served; fake_stop cleans up" {
	fake_start "$IMG" --repo c-tools/busybox
	run fake_curl v2/other/name/manifests/latest -w ' %{http_code}'
	expect_output_re 'NAME_UNKNOWN.* 404$'
	local pid=$FAKE_PID dir=$FAKE_DIR
	fake_stop
	! kill -0 "$pid" 2>/dev/null
	[ ! -e "$dir" ]
	[ -z "${FAKE_URL:-}" ]
}

@test "fake: bad arguments are refused" {
	run python3 "$FAKEREGISTRY" "$TEST_TMP"
	expect_status 2
	expect_output_re 'not an OCI layout'
	run python3 "$FAKEREGISTRY" "$IMG" --cut-blob "$BIG"
	expect_status 2
	run python3 "$FAKEREGISTRY" "$IMG" --cert /dev/null
	expect_status 2
}
