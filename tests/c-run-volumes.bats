#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-run's volumes and working directory, as docker has them: a named volume
# starts with what the image has at its mount point (owners, modes, times,
# symlinks, hardlinks, xattrs), once, and keeps what containers did to it;
# `nocopy` leaves it empty; a missing host directory of -v is made; a
# missing -w is made, also under --read-only.
#
# One store per file ($C_ROOT) holding "vol": busybox with a /data tree made
# to show every kind of entry, /empty-owned (an empty 1000:1000 0700 dir)
# /many (300 files, to give containers filling one volume time to meet),
# and /escape, a symlink to the host path $VICTIM.  $IMAGE_TREE is the listing of the image's /data as c-unpack
# makes it (mkimage.py --tree), which a filled volume must match exactly.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/c-run

# vol_image DIR: the image into the OCI layout DIR.
vol_image() {
	local bb
	bb=$(command -v busybox) || { echo "busybox is not installed (busybox-static)" >&2; return 1; }
	python3 - "$bb" "$VICTIM" <<'EOF' | python3 "$MKIMAGE" --ref latest - "$1" >/dev/null
import json, sys
bb, victim = sys.argv[1], sys.argv[2]
e = [{"path": "bin", "type": "dir"},
     {"path": "bin/busybox", "source": bb, "mode": "0755"}]
for a in ("sh cat echo ls rm touch pwd stat sleep test wc mkdir id find sort "
          "sha256sum readlink").split():
    e.append({"path": "bin/" + a, "type": "symlink", "target": "busybox"})
for d in ("dev", "etc", "proc", "sys", "var"):
    e.append({"path": d, "type": "dir"})
e.append({"path": "tmp", "type": "dir", "mode": "1777"})
e.append({"path": "etc/passwd", "content": "root:x:0:0:root:/root:/bin/sh\n"})
e.append({"path": "escape", "type": "symlink", "target": victim})
data = [
    {"path": "data", "type": "dir", "mode": "0750", "uid": 1000, "gid": 1000,
     "mtime": 1600000000},
    {"path": "data/file", "mode": "0640", "uid": 1000, "gid": 1000, "content": "from the image\n"},
    {"path": "data/old", "mtime": 946684800, "content": "old\n"},
    {"path": "data/hard", "type": "hardlink", "target": "data/file"},
    {"path": "data/link", "type": "symlink", "target": "file", "uid": 1000, "gid": 1000},
    {"path": "data/abs-link", "type": "symlink", "target": "/etc/passwd"},
    {"path": "data/setuid", "mode": "4755", "content": "#!/bin/sh\n"},
    {"path": "data/xattr", "content": "x\n", "xattrs": {"user.c-tools.test": "kept"}},
    {"path": "data/fifo", "type": "fifo", "mode": "0600"},
    {"path": "data/sub", "type": "dir", "mode": "0700", "mtime": 1500000000},
    {"path": "data/sub/deep", "type": "dir"},
    {"path": "data/sub/deep/f", "uid": 65534, "gid": 65534, "content": "deep\n"},
    {"path": "empty-owned", "type": "dir", "mode": "0700", "uid": 1000, "gid": 1000},
    {"path": "many", "type": "dir"},
]
data += [{"path": "many/f%03d" % i, "content": "file %d\n" % i} for i in range(300)]
print(json.dumps({"config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
                  "layers": [{"entries": e}, {"entries": data}]}))
EOF
}

setup_file() {
	export C_ROOT=$BATS_FILE_TMPDIR/root
	export STATE=$BATS_FILE_TMPDIR/state
	export VICTIM=$BATS_FILE_TMPDIR/victim
	mkdir "$VICTIM"
	echo "host secret" >"$VICTIM/secret"
	vol_image "$BATS_FILE_TMPDIR/vol"
	skopeo copy -q --preserve-digests "oci:$BATS_FILE_TMPDIR/vol:latest" "oci:$C_ROOT:vol"
	"$BIN_DIR/c-unpack" --copy vol "$BATS_FILE_TMPDIR/bundle" >/dev/null
	IMAGE_TREE=$(fixture_tree "$BATS_FILE_TMPDIR/bundle/rootfs/data")
	MANY_TREE=$(fixture_tree "$BATS_FILE_TMPDIR/bundle/rootfs/many")
	export IMAGE_TREE MANY_TREE
}

# The volume NAME's directory on the host.
vdata() {
	echo "$C_ROOT/volumes/$1/_data"
}

# The volume NAME has nothing beside _data but its lock: no temp copies.
no_leftovers() {
	local left
	left=$(ls -A "$C_ROOT/volumes/$1")
	expect_eq "$(echo "$left" | tr '\n' ' ')" "_data lock " "entries of $C_ROOT/volumes/$1"
}

# ---- named volumes: the image's content on first use ---------------------------

@test "a new named volume over /data gets the image's /data: owners, modes, times, links, xattrs" {
	run_cr --rm -v filled:/data vol sh -c 'cat /data/file; stat -c "%u:%g %a" /data /data/file'
	expect_status 0
	expect_output "$(printf 'from the image\n1000:1000 750\n1000:1000 640')"
	# the same tree, entry for entry (hardlinks as hardlinks, symlinks as
	# they were, the setuid bit, user xattrs, file mtimes)
	diff <(echo "$IMAGE_TREE") <(fixture_tree "$(vdata filled)")
	# the volume's own directory, and directories' times
	expect_eq "$(stat -c '%u:%g %a %Y' "$(vdata filled)")" "1000:1000 750 1600000000" "volume root"
	expect_eq "$(stat -c '%a %Y' "$(vdata filled)/sub")" "700 1500000000" "/data/sub"
	expect_eq "$(stat -c '%i' "$(vdata filled)/file")" "$(stat -c '%i' "$(vdata filled)/hard")" \
		"hardlink inode"
	expect_eq "$(readlink "$(vdata filled)/abs-link")" /etc/passwd "absolute symlink"
	expect_eq "$(stat -c '%F %a' "$(vdata filled)/fifo")" "fifo 600" "fifo"
	no_leftovers filled
}

@test "an empty image directory gives the new volume only its owner and mode" {
	run_cr --rm -v owned:/empty-owned vol sh -c 'ls -A /empty-owned | wc -l'
	expect_status 0
	expect_output 0
	expect_eq "$(stat -c '%u:%g %a' "$(vdata owned)")" "1000:1000 700" "volume root"
}

@test "a volume's changes are seen by the next container, and never undone by a refill" {
	run_cr --rm -v kept:/data vol sh -c 'echo mine > /data/new; rm /data/file /data/hard; rm -r /data/sub'
	expect_status 0
	run_cr --rm -v kept:/data vol sh -c 'cat /data/new; ls /data | sort | tr "\n" " "'
	expect_status 0
	expect_output "$(printf 'mine\nabs-link fifo link new old setuid xattr ')"
	# another image's content at the same path does not get in either
	run_cr --rm -v kept:/many vol sh -c 'ls /many | wc -l'
	expect_status 0
	expect_output 7
	no_leftovers kept
}

@test "-v NAME:/dst:nocopy leaves a new volume empty; a later use without it fills it" {
	run_cr --rm -v nocp:/data:nocopy vol sh -c 'ls -A /data | wc -l'
	expect_status 0
	expect_output 0
	[ -z "$(ls -A "$(vdata nocp)")" ]
	# still empty, so docker's rule (copy into an empty volume) applies
	run_cr --rm -v nocp:/data:ro vol cat /data/file
	expect_status 0
	expect_output "from the image"
}

@test "a named volume over a path the image lacks starts empty" {
	run_cr --rm -v fresh:/nowhere/sub vol sh -c 'ls -A /nowhere/sub | wc -l; echo x > /nowhere/sub/f'
	expect_status 0
	expect_output 0
	expect_eq "$(cat "$(vdata fresh)/f")" x "volume file"
}

@test "two containers starting on one new volume at once: both run, it is filled once" {
	local i pids=() rc=0
	for i in 1 2 3; do
		"$BIN_DIR/c-run" --rm -v race:/many vol \
			sh -c 'ls /many/f* | wc -l; echo $$ >> /many/starts' \
			>"$TEST_TMP/out$i" 2>"$TEST_TMP/err$i" </dev/null 3>&- &
		pids+=($!)
	done
	for i in 0 1 2; do
		wait "${pids[$i]}" || { rc=$?; cat "$TEST_TMP/err$((i + 1))" >&2; }
	done
	expect_eq "$rc" 0 "exit status"
	# each saw the whole copy, never a part, never two (the others'
	# /many/starts aside)
	for i in 1 2 3; do
		expect_eq "$(cat "$TEST_TMP/out$i")" 300 "files seen by container $i"
	done
	# all three wrote to the one directory the volume is now
	expect_eq "$(wc -l <"$(vdata race)/starts")" 3 "lines in /many/starts"
	diff <(echo "$MANY_TREE") <(fixture_tree "$(vdata race)" | grep -v '^/starts ')
	no_leftovers race
}

@test "a copy-mode bundle's rootfs fills a volume too" {
	run_cr --rm -v frombundle:/data "$BATS_FILE_TMPDIR/bundle" cat /data/sub/deep/f
	expect_status 0
	expect_output deep
	diff <(echo "$IMAGE_TREE") <(fixture_tree "$(vdata frombundle)")
}

@test "a bad volume name is refused: one line, exit 125, nothing made" {
	run_cr -v 'b@d:/data' vol true
	expect_status 125
	expect_error_line 'b@d' 'volume name'
	[ ! -e "$C_ROOT/volumes/b@d" ]
}

@test "-v modes other than ro, rw and nocopy, and nocopy on a host path, are refused" {
	run_cr -v 'x:/data:nocopy,bogus' vol true
	[ "$status" -ne 0 ]
	expect_error_line 'unknown mode "bogus"'
	run_cr -v "$TEST_TMP/h:/data:nocopy" vol true
	[ "$status" -ne 0 ]
	expect_error_line 'nocopy is for named volumes'
	[ ! -e "$TEST_TMP/h" ]
}

# ---- host directories ------------------------------------------------------------

@test "-v HOSTPATH:/dst with a missing HOSTPATH makes it, 0755, and binds it" {
	run_cr --rm -v "$TEST_TMP/made/by/c-run:/out" vol sh -c 'echo hi > /out/f'
	expect_status 0
	expect_eq "$(cat "$TEST_TMP/made/by/c-run/f")" hi "host file"
	expect_eq "$(stat -c '%F %a %u' "$TEST_TMP/made/by/c-run")" "directory 755 0" "host dir"
	expect_eq "$(stat -c '%a' "$TEST_TMP/made")" 755 "its parent"
}

@test "-v HOSTPATH:/dst where HOSTPATH's parent is a file fails with one line" {
	touch "$TEST_TMP/file"
	run_cr --rm -v "$TEST_TMP/file/sub:/out" vol true
	expect_status 125
	expect_error_line "$TEST_TMP/file" "Not a directory"
}

# ---- the working directory ----------------------------------------------------------

@test "-w DIR missing in the image is made and is the working directory" {
	run_cr --rm -w /made/for/me vol sh -c 'pwd; stat -c "%a %u" /made/for/me /made'
	expect_status 0
	expect_output "$(printf '/made/for/me\n755 0\n755 0')"
}

@test "-w DIR missing in the image works with --read-only, which still refuses writes" {
	run_cr --rm --read-only -w /ro/work vol sh -c 'pwd; touch /ro/work/f'
	[ "$status" -ne 0 ]
	expect_output /ro/work
	[[ $stderr == *"Read-only file system"* ]] || { echo "$stderr"; return 1; }
}

@test "-w DIR inside a volume is made in the volume" {
	run_cr --rm -v wd:/vol -w /vol/sub vol pwd
	expect_status 0
	expect_output /vol/sub
	[ -d "$(vdata wd)/sub" ]
}

@test "a symlink in the image that points at a host path leads inside the root, for -v and -w" {
	# /escape -> $VICTIM, an absolute path that exists on the host
	run_cr --rm -v esc:/escape vol sh -c 'ls -A /escape | wc -l'
	expect_status 0
	expect_output 0
	[ -z "$(ls -A "$(vdata esc)")" ] || { ls -la "$(vdata esc)"; return 1; }
	# pwd shows the link's target, inside the root: no "secret" there
	run_cr --rm -w /escape/made vol sh -c 'pwd; ls -A "$(pwd)/.."'
	expect_status 0
	expect_output "$(printf '%s\nmade' "$VICTIM/made")"
	expect_eq "$(ls -A "$VICTIM" | tr '\n' ' ')" "secret " "the host's $VICTIM"
}
