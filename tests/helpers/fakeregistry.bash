# tests/helpers/fakeregistry.bash — a fake registry (tests/fixtures/fakeregistry.py)
# that serves one OCI layout with faults on demand, for c-pull's fault tests.
# Load it after helpers/common and helpers/registry, whose certificate maker it
# uses (it loads them itself when a suite has not).
#
#   load helpers/registry          # for fixture_busybox_image
#   load helpers/fakeregistry
#   setup_file() { fixture_busybox_image "$BATS_FILE_TMPDIR/img" >/dev/null; }
#   @test ... { fake_start --tls "$BATS_FILE_TMPDIR/img" --cut-blob "$d:1000"; ...; }
#   teardown() { fake_stop; common_teardown; }
#
# One fake at a time per shell; it only binds and is only spoken to on
# 127.0.0.1 (and "localhost" for --redirect-blobs, which /etc/hosts maps there).
#
# ---- functions -----------------------------------------------------------------
#
# fake_start [--tls] LAYOUT [fakeregistry.py options...]
#     Starts the fake on a free port of 127.0.0.1 serving LAYOUT, with an
#     access log, and returns once it listens.  The options are the fake's
#     fault flags (--cut-blob DIGEST:BYTES, --require-bearer, ...; see
#     fakeregistry.py --help).  With --tls it serves HTTPS with a fresh CA and
#     a certificate for IP:127.0.0.1 and DNS:localhost (EC P-256).  Exports:
#       FAKE_PORT       the port
#       FAKE_HOST       127.0.0.1:PORT (image names start with it)
#       FAKE_URL        http(s)://127.0.0.1:PORT
#       FAKE_LOG        the access log: one line per request,
#                       "METHOD PATH range=R|- auth=basic|bearer|none status=N
#                       [cut=N] [AUTH-LEAK]" (never a credential)
#       FAKE_PID        its pid
#       FAKE_DIR        its private dir (stdout, stderr, log, tls)
#     and with --tls:
#       FAKE_CA         the CA certificate (PEM)
#       FAKE_CERTS_D    a certs.d root: 127.0.0.1:PORT/ca.crt, localhost:PORT/ca.crt
#       FAKE_CERTS_DIR  $FAKE_CERTS_D/127.0.0.1:PORT (for --cert-dir)
#
# fake_stop
#     Stops the fake (TERM, then KILL), removes FAKE_DIR and unsets the
#     variables.  Safe to call when none is running.
#
# fake_curl PATH [curl options...]
#     curl -sS $FAKE_URL/PATH, with the CA under --tls.
#
# fake_log_count REGEX
#     How many access log lines match the extended REGEX.
#
# fake_manifest_digest LAYOUT [TAG]     (default tag: latest)
# fake_config_digest LAYOUT [TAG]
# fake_layer_digests LAYOUT [TAG]       one per line, in manifest order
#     Digests read from an OCI layout, to name blobs in fault flags.

declare -F free_port >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
declare -F _registry_certs >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/registry.bash"

_FAKE_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAKEREGISTRY=${FAKEREGISTRY:-$_FAKE_HELPERS/../fixtures/fakeregistry.py}

_fake_die() {
	echo "fakeregistry: $*" >&2
	return 1
}

fake_start() {
	local tls='' layout dir i port=''
	if [ "${1:-}" = --tls ]; then
		tls=1
		shift
	fi
	layout=${1:?fake_start: LAYOUT missing}
	shift
	[ -z "${FAKE_PID:-}" ] || { _fake_die "fake_start: one is running already (pid $FAKE_PID)"; return 1; }
	dir=$(mktemp -d "${TMPDIR:-/tmp}/c-tools-fake.XXXXXX") || return 1
	set -- "$layout" --log "$dir/access.log" "$@"
	if [ -n "$tls" ]; then
		_registry_certs "$dir/tls" ec || { rm -rf "$dir"; return 1; }
		set -- "$@" --cert "$dir/tls/server.crt" --key "$dir/tls/server.key"
	fi
	# made here: the background child opens its redirections only later
	: >"$dir/access.log" && : >"$dir/stdout" || return 1
	# fd 3 is bats' own: a background child holding it makes bats wait for it
	python3 "$FAKEREGISTRY" "$@" >"$dir/stdout" 2>"$dir/stderr" 3>&- &
	export FAKE_PID=$! FAKE_DIR=$dir FAKE_LOG=$dir/access.log
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$dir/stdout")
		[ -n "$port" ] && break
		kill -0 "$FAKE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		cat "$dir/stderr" >&2
		fake_stop
		_fake_die "fake_start: the fake did not start"
		return 1
	fi
	export FAKE_PORT=$port FAKE_HOST=127.0.0.1:$port
	if [ -n "$tls" ]; then
		export FAKE_URL=https://$FAKE_HOST FAKE_CA=$dir/tls/ca.crt
		export FAKE_CERTS_D=$dir/certs.d FAKE_CERTS_DIR=$dir/certs.d/$FAKE_HOST
		mkdir -p "$FAKE_CERTS_DIR" "$FAKE_CERTS_D/localhost:$port"
		cp "$FAKE_CA" "$FAKE_CERTS_DIR/ca.crt"
		cp "$FAKE_CA" "$FAKE_CERTS_D/localhost:$port/ca.crt"
	else
		export FAKE_URL=http://$FAKE_HOST
		unset FAKE_CA FAKE_CERTS_D FAKE_CERTS_DIR
	fi
}

fake_stop() {
	local i
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$FAKE_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	[ -z "${FAKE_DIR:-}" ] || rm -rf "$FAKE_DIR"
	unset FAKE_PID FAKE_DIR FAKE_LOG FAKE_PORT FAKE_HOST FAKE_URL FAKE_CA FAKE_CERTS_D \
		FAKE_CERTS_DIR
	return 0
}

fake_curl() {
	local path=$1
	shift
	curl -sS ${FAKE_CA:+--cacert "$FAKE_CA"} "$@" "$FAKE_URL/$path"
}

fake_log_count() {
	grep -cE -- "$1" "$FAKE_LOG" || true
}

# _fake_layout_q LAYOUT TAG EXPR: EXPR over the manifest m of TAG in LAYOUT
_fake_layout_q() {
	python3 - "$1" "$2" "$3" <<-'EOF'
		import json, os, signal, sys
		signal.signal(signal.SIGPIPE, signal.SIG_DFL)
		layout, tag, expr = sys.argv[1:]
		index = json.load(open(os.path.join(layout, "index.json")))
		for d in index["manifests"]:
		    if (d.get("annotations") or {}).get("org.opencontainers.image.ref.name") == tag:
		        break
		else:
		    sys.exit("no tag %s in %s" % (tag, layout))
		m = json.load(open(os.path.join(layout, "blobs", "sha256", d["digest"][7:])))
		v = eval(expr)
		print("\n".join(v) if isinstance(v, list) else v)
	EOF
}

fake_manifest_digest() {
	_fake_layout_q "$1" "${2:-latest}" 'd["digest"]'
}

fake_config_digest() {
	_fake_layout_q "$1" "${2:-latest}" 'm["config"]["digest"]'
}

fake_layer_digests() {
	_fake_layout_q "$1" "${2:-latest}" '[l["digest"] for l in m["layers"]]'
}
