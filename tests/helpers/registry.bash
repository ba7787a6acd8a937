# tests/helpers/registry.bash — a TLS registry on 127.0.0.1 and the fixture
# images the suites pull from it.  Load it after helpers/common, whose
# free_port it uses (it loads common itself when a suite has not).
#
#   load helpers/registry
#   setup_file()    { registry_start; registry_seed; }
#   teardown_file() { registry_stop; }
#
# One registry then serves every test of the file.  It only ever binds and is
# only ever spoken to on 127.0.0.1.
#
# Needs: docker-registry (Debian's, /usr/bin/docker-registry serve CONFIG),
# openssl, curl, skopeo, python3; busybox-static for the busybox image.
#
# ---- functions -----------------------------------------------------------------
#
# registry_start [--htpasswd USER:PASS] [--key rsa|ec]
#     Makes a CA and a server certificate for 127.0.0.1 and localhost (SAN
#     IP:127.0.0.1, DNS:localhost; RSA 2048 by default, or EC P-256) with
#     openssl, writes a config (filesystem storage, deletes enabled, TLS, and
#     with --htpasswd basic auth from a bcrypt htpasswd file) and starts
#     docker-registry on a free port of 127.0.0.1; returns once /v2/ answers
#     200 or 401.  Exports:
#       REGISTRY            127.0.0.1:PORT (image names start with it)
#       REGISTRY_PORT       PORT
#       REGISTRY_URL        https://127.0.0.1:PORT
#       REGISTRY_CA         the CA certificate (PEM)
#       REGISTRY_CERTS_DIR  a directory holding ca.crt, for skopeo
#                           --src-cert-dir/--dest-cert-dir and c-pull
#                           --cert-dir; it is CERTS_D/127.0.0.1:PORT
#       REGISTRY_CERTS_D    a certs.d root, laid out like
#                           /etc/containers/certs.d: 127.0.0.1:PORT/ca.crt and
#                           localhost:PORT/ca.crt
#       REGISTRY_DIR        the registry's private dir (config, storage, tls)
#       REGISTRY_LOG        its log
#       REGISTRY_PID        its pid
#     and with --htpasswd:
#       REGISTRY_USER, REGISTRY_PASSWORD, REGISTRY_CREDS (USER:PASS)
#       REGISTRY_AUTH_FILE  a containers-auth.json with those credentials;
#                           skopeo and podman read this variable, so they
#                           are logged in (unset it to test anonymous access)
#     The registry process gets no REGISTRY_* variable of ours: docker
#     distribution reads REGISTRY_<SECTION>_<KEY> as configuration.
#
# registry_stop
#     Stops the registry (TERM, then KILL after 5 s), removes REGISTRY_DIR and
#     unsets the variables.  Safe to call when none is running.
#
# registry_push SRC NAME:TAG [skopeo copy options...]
#     skopeo copy oci:SRC (DIR:TAG) to docker://$REGISTRY/NAME:TAG with the CA
#     and, when auth is on, the credentials.
#
# registry_seed [busybox] [multilayer] [multiarch] [test-init]
#     Builds the named fixture images (default: the first three) into
#     $REGISTRY_DIR/images/NAME and pushes them with --preserve-digests, so
#     the registry holds the layouts' exact bytes (skopeo would otherwise
#     gzip the uncompressed layer of multilayer).  Exports:
#       REGISTRY_IMAGES        the dir of the local OCI layouts
#       REGISTRY_BUSYBOX       $REGISTRY/c-tools/busybox:latest (OCI manifest;
#                              also tagged :1)
#       REGISTRY_BUSYBOX_V2S2  $REGISTRY/c-tools/busybox-v2s2:latest, the same
#                              image as a Docker schema 2 manifest
#       REGISTRY_MULTILAYER    $REGISTRY/c-tools/multilayer:latest
#       REGISTRY_MULTIARCH     $REGISTRY/c-tools/multiarch:latest (an index)
#       REGISTRY_TEST_INIT     $REGISTRY/c-tools/test-init:latest
#
# registry_curl PATH [curl options...]
#     curl -sS https://$REGISTRY/PATH with the CA (and credentials).
#
# fixture_busybox_image DIR [TAG]      (default tag: latest, for all four)
# fixture_multilayer_image DIR [TAG]
# fixture_multiarch_image DIR [TAG]
# fixture_test_init_image DIR [TAG]
#     Build the image into the OCI layout DIR (made, or added to) with
#     tests/fixtures/mkimage.py and print its manifest (or index) digest.
#     The same inputs always give the same digest.
# fixture_device_nodes_image DIR MINOR
#     One layer: /nodes/disk (block 7:MINOR) and /nodes/mem (char 1:1).
# oci_layer_blob DIR N
#     The path of layer N (from 0) of the image DIR's index.json names first.
#
# fixture_tree DIR
#     The listing of a tree (mkimage.py --tree; format in its --help).
# fixture_multilayer_tree
#     The listing that unpacking the multilayer image must give; compare:
#       diff <(fixture_multilayer_tree) <(fixture_tree ROOTFS)
#
# ---- the images ------------------------------------------------------------------
#
# busybox: layer 1 (gzip) the busybox-static binary as /bin/busybox and a
#   symlink /bin/NAME -> busybox for each applet below that it has; dirs
#   /dev /etc /home /home/user (1000:1000) /proc /root (0700) /sys /tmp (1777)
#   /var.  Layer 2 (gzip) /etc/passwd (root 0, user 1000, nobody 65534),
#   /etc/group (root 0, users 100 with member user, user 1000, nobody 65534),
#   /etc/os-release.  Config: Cmd ["sh"], Env PATH, WorkingDir /, and an
#   empty_layer history entry for the CMD (3 history entries, 2 layers).
#
# test-init: one layer with /c-test-init (from $TEST_INIT), /etc/passwd and
#   /etc/group as above, empty /dev /proc /sys and /tmp (1777).  Entrypoint
#   ["/c-test-init"], Cmd ["echo", "hello from c-test-init"].  Its digest
#   follows the build of c-test-init.
#
# multiarch: an image index of three one-layer images, linux/amd64,
#   linux/arm64/v8 and linux/arm/v7, each with /etc/arch holding its platform
#   ("amd64\n", "arm64\n", "arm\n") and Cmd ["cat", "/etc/arch"].
#
# multilayer: five layers (plus an empty_layer history entry) made to test
# layer application.  All entries 0:0, mtime 1704067200, unless said.
#   1 gzip   base: dirs /bin /data /etc /gone-dir /home /home/user (1000:1000)
#            /keep /opaque /opaque/lower-dir /replace-dir-by-file /tmp (1777);
#            /bin/tool 0755; /data/shared; /etc/hostname "base"; /etc/removed;
#            /gone-dir/a; /home/user/owned 0600 1000:1000; /keep/untouched
#            (mtime 946684800); /opaque/lower-a; /opaque/lower-dir/f;
#            /replace-dir-by-file/child; /replace-file-by-dir (a file)
#   2 none   links and special files: dirs /dev /links /usr /usr/bin;
#            /links/original with two hard links to it in this layer,
#            /links/hard-same-layer and /links/hard-same-layer-2;
#            /links/hard-lower-layer, a hard link to /data/shared of layer 1;
#            symlinks /links/symlink -> ../etc/hostname, /links/abs-symlink
#            -> /etc/hostname, /links/dangling -> /nonexistent;
#            /usr/bin/setuid-tool 4755, /usr/bin/setgid-tool 2755;
#            /xattr-file with xattr user.c-tools.test=hello (PAX
#            SCHILY.xattr); /empty (0 bytes); /dev/testnull char 1:3 0666;
#            /dev/testfifo fifo 0644
#   3 gzip   deletions: whiteouts .wh.removed in /etc, .wh.gone-dir (a whole
#            directory), .wh.original in /links (its hard links stay),
#            .wh.never-existed in /etc (deletes nothing); /opaque made
#            opaque (.wh..wh..opq) with a new /opaque/upper; /replace-file-by-dir
#            becomes a directory holding /replace-file-by-dir/inside
#   4 gzip   member names written "./name": /replace-dir-by-file becomes a
#            file ("now a file"); /etc/hostname rewritten ("multilayer")
#   5 gzip   /big/sparse: 8 MiB of zeros ending in "end\n"
# Final tree (what fixture_multilayer_tree lists exactly):
#   gone: /etc/removed, /etc/never-existed, /gone-dir, /links/original,
#         /opaque/lower-a, /opaque/lower-dir, /replace-dir-by-file/child, and
#         no name starting with .wh. anywhere
#   /opaque holds only upper; /replace-file-by-dir is a dir with inside;
#   /replace-dir-by-file is a file "now a file\n";
#   /etc/hostname is "multilayer\n", /links/symlink -> ../etc/hostname;
#   /data/shared and /links/hard-lower-layer: one inode, 2 links;
#   /links/hard-same-layer and -2: one inode, 2 links, "original\n";
#   /usr/bin/setuid-tool 4755, /usr/bin/setgid-tool 2755, /tmp 1777;
#   /home/user and /home/user/owned owned by 1000:1000, owned 0600;
#   /keep/untouched keeps mtime 946684800; /xattr-file has its xattr;
#   /big/sparse is 8388608 bytes; /dev/testnull char 1:3; /dev/testfifo fifo.
#   Config: Cmd ["/bin/tool"], Env PATH=/usr/bin:/bin and
#   FIXTURE=multilayer, WorkingDir /data, User 0:0, label
#   org.c-tools.fixture=multilayer; 6 history entries for 5 layers.

declare -F free_port >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

_REGISTRY_HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MKIMAGE=${MKIMAGE:-$_REGISTRY_HELPERS/../fixtures/mkimage.py}

_registry_die() {
	echo "registry: $*" >&2
	return 1
}

# _registry_certs DIR rsa|ec: DIR/ca.crt, ca.key, server.crt, server.key
_registry_certs() {
	local d=$1 alg=$2 newkey ku
	case $alg in
	rsa) newkey=rsa:2048 ku="digitalSignature, keyEncipherment" ;;
	ec) newkey=ec ku="digitalSignature" ;;
	*) _registry_die "unknown key type: $alg"; return 1 ;;
	esac
	mkdir -p "$d"
	if [ "$alg" = ec ]; then
		openssl ecparam -name prime256v1 -out "$d/ec.param" || return 1
		newkey=ec:$d/ec.param
	fi
	cat >"$d/openssl.cnf" <<-EOF
		[req]
		distinguished_name = dn_ca
		prompt = no
		[dn_ca]
		CN = c-tools test CA
		[dn_server]
		CN = 127.0.0.1
		[v3_ca]
		basicConstraints = critical, CA:TRUE
		keyUsage = critical, keyCertSign, cRLSign
		subjectKeyIdentifier = hash
		[v3_server]
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, $ku
		extendedKeyUsage = serverAuth
		subjectAltName = IP:127.0.0.1, DNS:localhost
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
	openssl req -x509 -new -nodes -newkey "$newkey" -config "$d/openssl.cnf" \
		-extensions v3_ca -days 7 -keyout "$d/ca.key" -out "$d/ca.crt" 2>"$d/openssl.log" &&
		openssl req -new -nodes -newkey "$newkey" -config "$d/openssl.cnf" \
			-subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>>"$d/openssl.log" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 7 -extfile "$d/openssl.cnf" \
			-extensions v3_server -out "$d/server.crt" 2>>"$d/openssl.log" ||
		{ cat "$d/openssl.log" >&2; _registry_die "openssl failed"; return 1; }
}

# _registry_bcrypt PASSWORD: a bcrypt hash (cost 4: auth is checked on every
# request), the only hash docker distribution's htpasswd accepts.
_registry_bcrypt() {
	local h
	h=$(python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)) or "")' "$1" 2>/dev/null)
	case $h in
	'$2'*) printf '%s\n' "$h"; return 0 ;;
	esac
	if command -v htpasswd >/dev/null; then
		htpasswd -nbBC 4 x "$1" | sed -n 's/^x://p'
		return
	fi
	_registry_die "no bcrypt: neither python3's crypt module nor htpasswd (apache2-utils)"
}

registry_start() {
	local creds='' alg=rsa port='' code i cfg
	while [ $# -gt 0 ]; do
		case $1 in
		--htpasswd) creds=$2; shift 2 ;;
		--key) alg=$2; shift 2 ;;
		*) _registry_die "registry_start: unknown option $1"; return 1 ;;
		esac
	done
	command -v docker-registry >/dev/null || { _registry_die "docker-registry is not installed"; return 1; }
	REGISTRY_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/registry.XXXXXX") || return 1
	export REGISTRY_DIR REGISTRY_LOG=$REGISTRY_DIR/registry.log
	export REGISTRY_CA=$REGISTRY_DIR/tls/ca.crt
	_registry_certs "$REGISTRY_DIR/tls" "$alg" || return 1
	mkdir -p "$REGISTRY_DIR/storage"

	local auth=''
	if [ -n "$creds" ]; then
		[[ $creds == ?*:?* ]] || { _registry_die "--htpasswd wants USER:PASS"; return 1; }
		export REGISTRY_USER=${creds%%:*} REGISTRY_PASSWORD=${creds#*:}
		export REGISTRY_CREDS=$creds
		local hash
		hash=$(_registry_bcrypt "$REGISTRY_PASSWORD") && [ -n "$hash" ] || return 1
		printf '%s:%s\n' "$REGISTRY_USER" "$hash" >"$REGISTRY_DIR/htpasswd"
		auth="auth:
  htpasswd:
    realm: c-tools-test
    path: \"$REGISTRY_DIR/htpasswd\""
	fi

	# Our own REGISTRY_* variables must not reach it: distribution reads
	# REGISTRY_<SECTION>_<KEY> from the environment as configuration.
	local -a unset_env=()
	for i in $(compgen -e); do
		[[ $i == REGISTRY_* ]] && unset_env+=(-u "$i")
	done

	for _ in 1 2 3; do
		port=$(free_port) || return 1
		cfg=$REGISTRY_DIR/config.yml
		cat >"$cfg" <<-EOF
			version: 0.1
			log:
			  level: info
			  formatter: text
			storage:
			  filesystem:
			    rootdirectory: "$REGISTRY_DIR/storage"
			  delete:
			    enabled: true
			  maintenance:
			    uploadpurging:
			      enabled: false
			http:
			  addr: "127.0.0.1:$port"
			  secret: c-tools-test-secret
			  tls:
			    certificate: "$REGISTRY_DIR/tls/server.crt"
			    key: "$REGISTRY_DIR/tls/server.key"
			health:
			  storagedriver:
			    enabled: false
			$auth
		EOF
		env "${unset_env[@]}" docker-registry serve "$cfg" >"$REGISTRY_LOG" 2>&1 </dev/null 3>&- &
		REGISTRY_PID=$!
		for ((i = 0; i < 100; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
				--cacert "$REGISTRY_CA" "https://127.0.0.1:$port/v2/" 2>/dev/null) || true
			case $code in 200 | 401) break 2 ;; esac
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$REGISTRY_PID" 2>/dev/null || true
		wait "$REGISTRY_PID" 2>/dev/null || true
		REGISTRY_PID=
		grep -q "address already in use" "$REGISTRY_LOG" || break
	done
	if [ -z "$REGISTRY_PID" ]; then
		cat "$REGISTRY_LOG" >&2
		_registry_die "docker-registry did not start"
		return 1
	fi
	export REGISTRY_PID REGISTRY_PORT=$port REGISTRY=127.0.0.1:$port
	export REGISTRY_URL=https://127.0.0.1:$port
	export REGISTRY_CERTS_D=$REGISTRY_DIR/certs.d
	export REGISTRY_CERTS_DIR=$REGISTRY_CERTS_D/$REGISTRY
	mkdir -p "$REGISTRY_CERTS_DIR" "$REGISTRY_CERTS_D/localhost:$port"
	cp "$REGISTRY_CA" "$REGISTRY_CERTS_DIR/ca.crt"
	cp "$REGISTRY_CA" "$REGISTRY_CERTS_D/localhost:$port/ca.crt"
	if [ -n "$creds" ]; then
		export REGISTRY_AUTH_FILE=$REGISTRY_DIR/auth.json
		printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" \
			"$(printf '%s' "$creds" | base64 -w0)" >"$REGISTRY_AUTH_FILE"
	fi
}

registry_stop() {
	local i
	# bats runs this under set -e: nothing here may fail
	if [ -n "${REGISTRY_PID:-}" ]; then
		kill "$REGISTRY_PID" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$REGISTRY_PID" 2>/dev/null || true
		wait "$REGISTRY_PID" 2>/dev/null || true
	fi
	if [ -n "${REGISTRY_DIR:-}" ] && [ -d "$REGISTRY_DIR" ]; then
		rm -rf "$REGISTRY_DIR"
	fi
	unset REGISTRY REGISTRY_PORT REGISTRY_URL REGISTRY_CA REGISTRY_CERTS_DIR \
		REGISTRY_CERTS_D REGISTRY_DIR REGISTRY_LOG REGISTRY_PID REGISTRY_USER \
		REGISTRY_PASSWORD REGISTRY_CREDS REGISTRY_AUTH_FILE REGISTRY_IMAGES \
		REGISTRY_BUSYBOX REGISTRY_BUSYBOX_V2S2 REGISTRY_MULTILAYER \
		REGISTRY_MULTIARCH REGISTRY_TEST_INIT
	return 0
}

registry_push() {
	local src=$1 dest=$2
	shift 2
	[ -n "${REGISTRY:-}" ] || { _registry_die "no registry started"; return 1; }
	local -a creds=()
	[ -n "${REGISTRY_CREDS:-}" ] && creds=(--dest-creds "$REGISTRY_CREDS")
	skopeo copy --quiet --insecure-policy --dest-cert-dir "$REGISTRY_CERTS_DIR" \
		"${creds[@]}" "$@" "oci:$src" "docker://$REGISTRY/$dest"
}

registry_curl() {
	local path=${1#/}
	shift
	local -a creds=()
	[ -n "${REGISTRY_CREDS:-}" ] && creds=(-u "$REGISTRY_CREDS")
	curl -sS --cacert "$REGISTRY_CA" "${creds[@]}" "$@" "https://$REGISTRY/$path"
}

registry_seed() {
	local names=("$@") n imgs
	[ ${#names[@]} -gt 0 ] || names=(busybox multilayer multiarch)
	[ -n "${REGISTRY:-}" ] || { _registry_die "no registry started"; return 1; }
	imgs=${REGISTRY_IMAGES:-$REGISTRY_DIR/images}
	export REGISTRY_IMAGES=$imgs
	mkdir -p "$imgs"
	for n in "${names[@]}"; do
		case $n in
		busybox)
			fixture_busybox_image "$imgs/busybox" >/dev/null &&
				registry_push "$imgs/busybox:latest" c-tools/busybox:latest --preserve-digests &&
				registry_push "$imgs/busybox:latest" c-tools/busybox:1 --preserve-digests &&
				registry_push "$imgs/busybox:latest" c-tools/busybox-v2s2:latest --format v2s2 ||
				return 1
			export REGISTRY_BUSYBOX=$REGISTRY/c-tools/busybox:latest
			export REGISTRY_BUSYBOX_V2S2=$REGISTRY/c-tools/busybox-v2s2:latest
			;;
		multilayer)
			fixture_multilayer_image "$imgs/multilayer" >/dev/null &&
				registry_push "$imgs/multilayer:latest" c-tools/multilayer:latest --preserve-digests || return 1
			export REGISTRY_MULTILAYER=$REGISTRY/c-tools/multilayer:latest
			;;
		multiarch)
			fixture_multiarch_image "$imgs/multiarch" >/dev/null &&
				registry_push "$imgs/multiarch:latest" c-tools/multiarch:latest --all --preserve-digests || return 1
			export REGISTRY_MULTIARCH=$REGISTRY/c-tools/multiarch:latest
			;;
		test-init)
			fixture_test_init_image "$imgs/test-init" >/dev/null &&
				registry_push "$imgs/test-init:latest" c-tools/test-init:latest --preserve-digests || return 1
			export REGISTRY_TEST_INIT=$REGISTRY/c-tools/test-init:latest
			;;
		*) _registry_die "registry_seed: no fixture named $n"; return 1 ;;
		esac
	done
}

# ---- fixture images -------------------------------------------------------------

_fixture_build() { # DIR TAG < SPEC
	python3 "$MKIMAGE" --ref "$2" - "$1"
}

_FIXTURE_PASSWD='root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'
_FIXTURE_GROUP='root:x:0:\nusers:x:100:user\nuser:x:1000:\nnobody:x:65534:\n'

fixture_busybox_image() {
	local dir=$1 tag=${2:-latest} bb links='' a applets
	bb=$(command -v busybox) || { _registry_die "busybox is not installed (busybox-static)"; return 1; }
	file -L "$bb" 2>/dev/null | grep -q "statically linked" ||
		echo "registry: warning: $bb is not static; the busybox image will not run" >&2
	applets=" $(busybox --list | tr '\n' ' ') "
	for a in sh ash cat chmod chown cp cut date dd df dirname basename echo env \
		expr false find grep head hostname id kill ln ls mkdir mkfifo mknod \
		mount mv nproc od printf ps pwd readlink rm rmdir sed seq sh sha256sum \
		sleep sort stat sync tail tar tee test timeout touch tr true umount \
		uname uniq wc which whoami xargs yes; do
		case $applets in *" $a "*) ;; *) continue ;; esac
		case $links in *"\"bin/$a\""*) continue ;; esac
		links="$links,
      {\"path\": \"bin/$a\", \"type\": \"symlink\", \"target\": \"busybox\"}"
	done
	_fixture_build "$dir" "$tag" <<EOF
{
  "config": {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "Cmd": ["sh"],
    "WorkingDir": "/",
    "Labels": {"org.c-tools.fixture": "busybox"}
  },
  "layers": [
    {"created_by": "busybox-static rootfs", "entries": [
      {"path": "bin", "type": "dir"},
      {"path": "bin/busybox", "source": "$bb", "mode": "0755"}$links,
      {"path": "dev", "type": "dir"},
      {"path": "etc", "type": "dir"},
      {"path": "home", "type": "dir"},
      {"path": "home/user", "type": "dir", "uid": 1000, "gid": 1000},
      {"path": "proc", "type": "dir"},
      {"path": "root", "type": "dir", "mode": "0700"},
      {"path": "sys", "type": "dir"},
      {"path": "tmp", "type": "dir", "mode": "1777"},
      {"path": "var", "type": "dir"}
    ]},
    {"created_by": "users and groups", "entries": [
      {"path": "etc/passwd", "content": "$_FIXTURE_PASSWD"},
      {"path": "etc/group", "content": "$_FIXTURE_GROUP"},
      {"path": "etc/os-release", "content": "NAME=\"c-tools busybox fixture\"\\nID=c-tools-busybox\\n"}
    ]},
    {"empty": true, "created_by": "CMD [\"sh\"]"}
  ]
}
EOF
}

fixture_test_init_image() {
	local dir=$1 tag=${2:-latest}
	local init=${TEST_INIT:-$_REGISTRY_HELPERS/../../build/musl/tests/c-test-init}
	[ -x "$init" ] || { _registry_die "c-test-init is not built: $init"; return 1; }
	_fixture_build "$dir" "$tag" <<EOF
{
  "config": {
    "Env": ["PATH=/"],
    "Entrypoint": ["/c-test-init"],
    "Cmd": ["echo", "hello from c-test-init"],
    "Labels": {"org.c-tools.fixture": "test-init"}
  },
  "layers": [
    {"created_by": "c-test-init", "entries": [
      {"path": "c-test-init", "source": "$init", "mode": "0755"},
      {"path": "dev", "type": "dir"},
      {"path": "etc", "type": "dir"},
      {"path": "etc/passwd", "content": "$_FIXTURE_PASSWD"},
      {"path": "etc/group", "content": "$_FIXTURE_GROUP"},
      {"path": "proc", "type": "dir"},
      {"path": "sys", "type": "dir"},
      {"path": "tmp", "type": "dir", "mode": "1777"}
    ]}
  ]
}
EOF
}

# fixture_device_nodes_image DIR MINOR: one layer of device nodes, for the
# checks that a container cannot open what its image carries: /nodes/disk
# (block 7:MINOR, a loop device) and /nodes/mem (char 1:1).
fixture_device_nodes_image() {
	local dir=$1 minor=$2
	_fixture_build "$dir" latest <<EOF
{
  "config": {"Cmd": ["sh"]},
  "layers": [{"entries": [
    {"path": "nodes", "type": "dir"},
    {"path": "nodes/disk", "type": "block", "major": 7, "minor": $minor, "mode": "0600"},
    {"path": "nodes/mem", "type": "char", "major": 1, "minor": 1, "mode": "0600"}
  ]}]
}
EOF
}

# oci_layer_blob DIR N: the path of layer N (from 0) of the image that the OCI
# layout DIR's index.json names first.
oci_layer_blob() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
blob = lambda digest: d + "/blobs/sha256/" + digest.split(":")[1]
m = json.load(open(blob(json.load(open(d + "/index.json"))["manifests"][0]["digest"])))
print(blob(m["layers"][n]["digest"]))
EOF
}

fixture_multiarch_image() {
	local dir=$1 tag=${2:-latest}
	_fixture_build "$dir" "$tag" <<'EOF'
{"index": [
  {"architecture": "amd64", "os": "linux",
   "config": {"Cmd": ["cat", "/etc/arch"]},
   "layers": [{"entries": [{"path": "etc", "type": "dir"},
                           {"path": "etc/arch", "content": "amd64\n"}]}]},
  {"architecture": "arm64", "variant": "v8", "os": "linux",
   "config": {"Cmd": ["cat", "/etc/arch"]},
   "layers": [{"entries": [{"path": "etc", "type": "dir"},
                           {"path": "etc/arch", "content": "arm64\n"}]}]},
  {"architecture": "arm", "variant": "v7", "os": "linux",
   "config": {"Cmd": ["cat", "/etc/arch"]},
   "layers": [{"entries": [{"path": "etc", "type": "dir"},
                           {"path": "etc/arch", "content": "arm\n"}]}]}
]}
EOF
}

fixture_multilayer_image() {
	local dir=$1 tag=${2:-latest}
	_fixture_build "$dir" "$tag" <<'EOF'
{
  "config": {
    "Env": ["PATH=/usr/bin:/bin", "FIXTURE=multilayer"],
    "Cmd": ["/bin/tool"],
    "WorkingDir": "/data",
    "User": "0:0",
    "Labels": {"org.c-tools.fixture": "multilayer"}
  },
  "layers": [
    {"created_by": "layer 1: base", "compression": "gzip", "entries": [
      {"path": "bin", "type": "dir"},
      {"path": "bin/tool", "mode": "0755", "content": "#!/bin/sh\necho tool\n"},
      {"path": "data", "type": "dir"},
      {"path": "data/shared", "content": "shared content\n"},
      {"path": "etc", "type": "dir"},
      {"path": "etc/hostname", "content": "base\n"},
      {"path": "etc/removed", "content": "to be deleted\n"},
      {"path": "gone-dir", "type": "dir"},
      {"path": "gone-dir/a", "content": "a\n"},
      {"path": "home", "type": "dir"},
      {"path": "home/user", "type": "dir", "uid": 1000, "gid": 1000},
      {"path": "home/user/owned", "mode": "0600", "uid": 1000, "gid": 1000, "content": "mine\n"},
      {"path": "keep", "type": "dir"},
      {"path": "keep/untouched", "mtime": 946684800, "content": "untouched\n"},
      {"path": "opaque", "type": "dir"},
      {"path": "opaque/lower-a", "content": "lower a\n"},
      {"path": "opaque/lower-dir", "type": "dir"},
      {"path": "opaque/lower-dir/f", "content": "lower f\n"},
      {"path": "replace-dir-by-file", "type": "dir"},
      {"path": "replace-dir-by-file/child", "content": "child\n"},
      {"path": "replace-file-by-dir", "content": "was a file\n"},
      {"path": "tmp", "type": "dir", "mode": "1777"}
    ]},
    {"created_by": "layer 2: links and special files", "compression": "none", "entries": [
      {"path": "dev", "type": "dir"},
      {"path": "dev/testfifo", "type": "fifo"},
      {"path": "dev/testnull", "type": "char", "major": 1, "minor": 3, "mode": "0666"},
      {"path": "empty", "content": ""},
      {"path": "links", "type": "dir"},
      {"path": "links/original", "content": "original\n"},
      {"path": "links/hard-same-layer", "type": "hardlink", "target": "links/original"},
      {"path": "links/hard-same-layer-2", "type": "hardlink", "target": "links/original"},
      {"path": "links/hard-lower-layer", "type": "hardlink", "target": "data/shared"},
      {"path": "links/symlink", "type": "symlink", "target": "../etc/hostname"},
      {"path": "links/abs-symlink", "type": "symlink", "target": "/etc/hostname"},
      {"path": "links/dangling", "type": "symlink", "target": "/nonexistent"},
      {"path": "usr", "type": "dir"},
      {"path": "usr/bin", "type": "dir"},
      {"path": "usr/bin/setuid-tool", "mode": "4755", "content": "#!/bin/sh\nexit 0\n"},
      {"path": "usr/bin/setgid-tool", "mode": "2755", "content": "#!/bin/sh\nexit 0\n"},
      {"path": "xattr-file", "content": "xattr\n", "xattrs": {"user.c-tools.test": "hello"}}
    ]},
    {"created_by": "layer 3: deletions", "compression": "gzip", "entries": [
      {"path": "etc/removed", "type": "whiteout"},
      {"path": "etc/never-existed", "type": "whiteout"},
      {"path": "gone-dir", "type": "whiteout"},
      {"path": "links/original", "type": "whiteout"},
      {"path": "opaque", "type": "dir"},
      {"path": "opaque", "type": "opaque"},
      {"path": "opaque/upper", "content": "upper\n"},
      {"path": "replace-file-by-dir", "type": "dir"},
      {"path": "replace-file-by-dir/inside", "content": "inside\n"}
    ]},
    {"created_by": "layer 4: replacements", "compression": "gzip", "prefix": "./", "entries": [
      {"path": "replace-dir-by-file", "content": "now a file\n"},
      {"path": "etc/hostname", "content": "multilayer\n"}
    ]},
    {"created_by": "layer 5: big", "compression": "gzip", "entries": [
      {"path": "big", "type": "dir"},
      {"path": "big/sparse", "size": 8388608, "at": 8388604, "content": "end\n"}
    ]},
    {"empty": true, "created_by": "CMD [\"/bin/tool\"]"}
  ]
}
EOF
}

fixture_tree() {
	python3 "$MKIMAGE" --tree "$1"
}

fixture_multilayer_tree() {
	cat <<'EOF'
/big d 0755 0:0
/big/sparse - 0644 0:0 size=8388608 sha256=650abbb21ff49465 mtime=1704067200
/bin d 0755 0:0
/bin/tool - 0755 0:0 size=20 sha256=bf664cf84f00f6ed mtime=1704067200
/data d 0755 0:0
/data/shared - 0644 0:0 size=15 sha256=8446e508a4da5677 mtime=1704067200 links=2
/dev d 0755 0:0
/dev/testfifo p 0644 0:0
/dev/testnull c 0666 0:0 1:3
/empty - 0644 0:0 size=0 sha256=e3b0c44298fc1c14 mtime=1704067200
/etc d 0755 0:0
/etc/hostname - 0644 0:0 size=11 sha256=aa2c6506340eadc3 mtime=1704067200
/home d 0755 0:0
/home/user d 0755 1000:1000
/home/user/owned - 0600 1000:1000 size=5 sha256=fcbc800db3f18670 mtime=1704067200
/keep d 0755 0:0
/keep/untouched - 0644 0:0 size=10 sha256=0967b63182a9178f mtime=946684800
/links d 0755 0:0
/links/abs-symlink l 0777 0:0 -> /etc/hostname
/links/dangling l 0777 0:0 -> /nonexistent
/links/hard-lower-layer - 0644 0:0 size=15 sha256=8446e508a4da5677 mtime=1704067200 links=2 same=/data/shared
/links/hard-same-layer - 0644 0:0 size=9 sha256=25718360e05d3c2d mtime=1704067200 links=2
/links/hard-same-layer-2 - 0644 0:0 size=9 sha256=25718360e05d3c2d mtime=1704067200 links=2 same=/links/hard-same-layer
/links/symlink l 0777 0:0 -> ../etc/hostname
/opaque d 0755 0:0
/opaque/upper - 0644 0:0 size=6 sha256=e83189db38554920 mtime=1704067200
/replace-dir-by-file - 0644 0:0 size=11 sha256=5af7f3f90ccadc90 mtime=1704067200
/replace-file-by-dir d 0755 0:0
/replace-file-by-dir/inside - 0644 0:0 size=7 sha256=7b2441693c861bf6 mtime=1704067200
/tmp d 1777 0:0
/usr d 0755 0:0
/usr/bin d 0755 0:0
/usr/bin/setgid-tool - 2755 0:0 size=17 sha256=306c6ca740756034 mtime=1704067200
/usr/bin/setuid-tool - 4755 0:0 size=17 sha256=306c6ca740756034 mtime=1704067200
/xattr-file - 0644 0:0 size=6 sha256=58d523efd2924433 mtime=1704067200 xattr:user.c-tools.test=hello
EOF
}
