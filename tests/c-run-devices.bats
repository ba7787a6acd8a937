#!/usr/bin/env bats
# shellcheck disable=SC2016 # container commands are single-quoted: they expand inside
# c-run: which devices a container can make and open.  Docker's rules: any
# node can be made (mknod), but only the standard ones (null, zero, full,
# random, urandom, tty, console, ptmx, the ptys) opened, whatever the image
# carries; --device HOST gives exactly that device, --device-cgroup-rule a
# rule, --privileged all of them; an OCI config's linux.resources.devices
# rules apply in order.  On this host the v1 devices controller enforces
# them; tests/vm/checks.sh has the same checks on a pure cgroup v2 host,
# where c-run attaches a BPF program (lib/devices.h).
#
# The host devices are the test's own: a loop device over a file holding a
# secret, and /dev/loop-control.  The OCI bundles share
# $BUNDLE's rootfs: their commands remove the nodes they make first.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/c-run

SECRET=HOSTSECRET-on-the-host-disk

setup_file() {
	c_run_bundle_setup_file
	export LOOP= LOOP_MINOR= LOOP_SKIP=
	printf '%s\n' "$SECRET" >"$BATS_FILE_TMPDIR/disk.img"
	truncate -s 1M "$BATS_FILE_TMPDIR/disk.img"
	if ! LOOP=$(losetup -f --show "$BATS_FILE_TMPDIR/disk.img" 2>"$BATS_FILE_TMPDIR/losetup.err"); then
		LOOP_SKIP="no loop device: $(cat "$BATS_FILE_TMPDIR/losetup.err")"
		return 0
	fi
	LOOP_MINOR=$((0x$(stat -c %T "$LOOP")))
	# the busybox bundle with a layer of nodes applied on top, one of them
	# that loop device's, as c-unpack applies an image's layers
	fixture_device_nodes_image "$BATS_FILE_TMPDIR/nodes" "$LOOP_MINOR" >/dev/null
	"$BIN_DIR/c-unpack" --copy bb "$BATS_FILE_TMPDIR/withnodes" >/dev/null
	"$BIN_DIR/c-unpack" --layer "$(oci_layer_blob "$BATS_FILE_TMPDIR/nodes" 0)" \
		"$BATS_FILE_TMPDIR/withnodes/rootfs" >/dev/null
}

teardown_file() {
	[ -z "$LOOP" ] || losetup -d "$LOOP"
}

need_loop() {
	[ -z "$LOOP_SKIP" ] || skip "$LOOP_SKIP"
}

@test "a default container cannot read or write a host disk through a node it makes" {
	need_loop
	run_cr --rm bb sh -c "mknod /tmp/l b 7 $LOOP_MINOR && echo made && head -c 10 /tmp/l"
	[ "$status" -ne 0 ] || { echo "read: $output"; return 1; }
	expect_output made
	[[ $stderr == *"/tmp/l: Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	run_cr --rm bb sh -c "mknod /tmp/l b 7 $LOOP_MINOR && echo x > /tmp/l"
	[ "$status" -ne 0 ] || { echo "wrote"; return 1; }
	[[ $stderr == *"Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	expect_eq "$(head -c ${#SECRET} "$LOOP")" "$SECRET" "the disk, after"
}

# /dev/mem needs CAP_SYS_RAWIO as well, which a default container lacks;
# /dev/loop-control needs nothing but the device rules (it would let the
# container add and remove the host's loop devices)
@test "a default container cannot open /dev/mem or the host's loop-control" {
	run_cr --rm bb sh -c 'mknod /tmp/mem c 1 1 && mknod /tmp/lc c 10 237 && echo made &&
		{ head -c 1 /tmp/mem; head -c 1 /tmp/lc; } 2>&1'
	expect_output "made
head: /tmp/mem: Operation not permitted
head: /tmp/lc: Operation not permitted"
}

@test "device nodes an image's layer carries cannot be opened" {
	need_loop
	[ -b "$BATS_FILE_TMPDIR/withnodes/rootfs/nodes/disk" ] || { echo "no node in the bundle"; return 1; }
	run_cr --rm "$BATS_FILE_TMPDIR/withnodes" sh -c 'head -c 10 /nodes/disk; head -c 1 /nodes/mem'
	[ "$status" -ne 0 ] || { echo "$output"; return 1; }
	expect_output ""
	[[ $stderr == *"/nodes/disk: Operation not permitted"* &&
		$stderr == *"/nodes/mem: Operation not permitted"* ]] || { echo "$stderr"; return 1; }
}

@test "the standard nodes work, and mknod of null (c 1 3) still gives a working null" {
	run_cr --rm bb sh -c 'echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 &&
		head -c 1 /dev/urandom > /dev/null && mknod /tmp/n c 1 3 && echo y > /tmp/n && cat /tmp/n && echo ok'
	expect_status 0
	expect_output " 00 00 00 00
ok"
}

@test "--device HOST makes exactly that device usable, at its path or another" {
	need_loop
	run_cr --rm --device "$LOOP" bb sh -c "head -c ${#SECRET} $LOOP"
	expect_status 0
	expect_output "$SECRET"
	run_cr --rm --device "$LOOP:/dev/xvdc" bb sh -c "head -c ${#SECRET} /dev/xvdc; ls -l /dev/xvdc"
	expect_status 0
	[[ ${lines[0]} == "$SECRET"* ]] || { echo "$output"; return 1; }
	[[ $output =~ brw-------\ .*\ 7,\ +$LOOP_MINOR\ .*/dev/xvdc ]] || { echo "$output"; return 1; }
	# another minor of the same major stays closed
	local other=$(((LOOP_MINOR + 1) % 8))
	run_cr --rm --device "$LOOP" bb sh -c "mknod /tmp/o b 7 $other && head -c 1 /tmp/o"
	[ "$status" -ne 0 ] && [[ $stderr == *"/tmp/o: Operation not permitted"* ]] ||
		{ echo "status $status: $stderr"; return 1; }
}

@test "--device HOST:CTR:r gives read access only" {
	need_loop
	run_cr --rm --device "$LOOP:/dev/disk:r" bb sh -c "head -c ${#SECRET} /dev/disk && echo && echo x > /dev/disk"
	[ "$status" -ne 0 ] || { echo "wrote"; return 1; }
	expect_output "$SECRET"
	[[ $stderr == *"/dev/disk: Operation not permitted"* ]] || { echo "$stderr"; return 1; }
}

@test "--device-cgroup-rule allows the devices it names" {
	need_loop
	run_cr --rm --device-cgroup-rule "b 7:$LOOP_MINOR r" bb sh -c \
		"mknod /tmp/l b 7 $LOOP_MINOR && head -c ${#SECRET} /tmp/l"
	expect_status 0
	expect_output "$SECRET"
}

@test "--privileged: every host device is in /dev and opens" {
	need_loop
	run_cr --rm --privileged bb sh -c "head -c ${#SECRET} $LOOP && echo && head -c 1 /dev/loop-control"
	[ "$status" -ne 0 ] || { echo "read loop-control"; return 1; }
	expect_output "$SECRET"
	# opened, then a read refused by its driver, not by the device rules
	[[ $stderr == *loop-control* && $stderr != *"Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	run_cr --rm --privileged "$BATS_FILE_TMPDIR/withnodes" head -c "${#SECRET}" /nodes/disk
	expect_status 0
	expect_output "$SECRET"
}

@test "a process exec'd into a container meets the container's rules: c-attach --exec and OCI exec" {
	need_loop
	run_cr -d --name dx --device "$LOOP:/dev/given:r" bb sleep 100
	expect_status 0
	run --separate-stderr "$BIN_DIR/c-attach" --exec dx sh -c \
		"head -c ${#SECRET} /dev/given && echo && rm -f /tmp/m && mknod /tmp/m c 1 1 && head -c 1 /tmp/m"
	[ "$status" -ne 0 ] || { echo "$output"; return 1; }
	expect_output "$SECRET"
	[[ $stderr == *"/tmp/m: Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	run --separate-stderr "$BIN_DIR/c-run" --root "$STATE" exec dx sh -c 'echo x > /dev/given'
	[ "$status" -ne 0 ] && [[ $stderr == *"/dev/given: Operation not permitted"* ]] ||
		{ echo "status $status: $stderr"; return 1; }
}

@test "a --device that is missing is 125; one that is no device, or bad permissions or rules, a usage error" {
	run_cr --rm --device /dev/no-such-disk bb true
	expect_status 125
	expect_error_line "--device" "/dev/no-such-disk" "No such file or directory"
	run_cr --rm --device /etc/passwd bb true
	expect_status 2
	expect_error_line "--device /etc/passwd: not a device node"
	run_cr --rm --device /dev/null:/dev/n:rwx bb true
	expect_status 2
	expect_error_line '--device "/dev/null:/dev/n:rwx": permissions "rwx"'
	run_cr --rm --device null bb true
	expect_status 2
	expect_error_line '--device "null": expected HOST[:CONTAINER][:PERMS]'
	run_cr --rm --device-cgroup-rule 'c 1:3 rwx' bb true
	expect_status 2
	expect_error_line '--device-cgroup-rule "c 1:3 rwx"'
	run cr ps -a -q
	expect_output ""
}

# ---- the OCI front: linux.resources.devices --------------------------------------

# dev_bundle DIR RULES CMD: an OCI bundle running sh -c CMD, whose
# linux.resources.devices is the JSON RULES
dev_bundle() {
	EDIT='c["linux"]["resources"] = {"devices": json.loads(os.environ["RULES"])}' RULES=$2 \
		oci_bundle "$1" sh -c "$3"
}

@test "OCI: linux.resources.devices rules apply in order, after docker's deny all" {
	need_loop
	local disk='"type": "b", "major": 7, "minor": '$LOOP_MINOR
	# allow, then take write away: read only
	dev_bundle "$TEST_TMP/d1" '[{"allow": false, "access": "rwm"},
		{"allow": true, '"$disk"', "access": "rwm"}, {"allow": false, '"$disk"', "access": "w"}]' \
		"rm -f /tmp/l; mknod /tmp/l b 7 $LOOP_MINOR; head -c ${#SECRET} /tmp/l; echo; echo x > /tmp/l"
	run_oci run --bundle "$TEST_TMP/d1" "dev1-$SFX"
	[ "$status" -ne 0 ] || { echo "wrote: $output"; return 1; }
	expect_output "$SECRET"
	[[ $stderr == *"/tmp/l: Operation not permitted"* ]] || { echo "$stderr"; return 1; }
	# the same two the other way round: the allow comes last and wins
	dev_bundle "$TEST_TMP/d2" '[{"allow": false, "access": "rwm"},
		{"allow": false, '"$disk"', "access": "w"}, {"allow": true, '"$disk"', "access": "rwm"}]' \
		"rm -f /tmp/l; mknod /tmp/l b 7 $LOOP_MINOR && head -c ${#SECRET} /tmp/l && cat /tmp/l > /tmp/l && echo rw"
	run_oci run --bundle "$TEST_TMP/d2" "dev2-$SFX"
	expect_status 0
	expect_output "${SECRET}rw"
}

@test "OCI: a config that denies every device still has docker's standard nodes" {
	dev_bundle "$TEST_TMP/d3" '[{"allow": false, "access": "rwm"}]' \
		'rm -f /tmp/m; echo x > /dev/null && head -c 1 /dev/zero | wc -c && mknod /tmp/m c 1 1 && head -c 1 /tmp/m'
	run_oci run --bundle "$TEST_TMP/d3" "dev3-$SFX"
	[ "$status" -ne 0 ] || { echo "$output"; return 1; }
	expect_output 1
	[[ $stderr == *"/tmp/m: Operation not permitted"* ]] || { echo "$stderr"; return 1; }
}

@test "OCI: a bad device rule is one error line naming the field, and nothing is left" {
	dev_bundle "$TEST_TMP/d4" '[{"allow": true, "type": "c", "major": 1, "access": "rwx"}]' true
	run_oci run --bundle "$TEST_TMP/d4" "dev4-$SFX"
	[ "$status" -ne 0 ] || return 1
	expect_error_line 'field linux.resources.devices[0].access: "rwx": expected letters of rwm'
	no_trace_of "dev4-$SFX"
}
