#!/usr/bin/env bats
# c-run on a pure cgroup v2 host: limits, the container's cgroup, and the
# device rules that a BPF program enforces there.  This machine's cgroups are
# hybrid (v1 controllers), so the checks run in a VM: qemu (plain emulation) boots
# Debian's kernel with an initramfs made here (tests/vm/): busybox, the
# static programs of this build, the busybox fixture as an OCI bundle and
# tests/vm/checks.sh, which prints TAP on the serial console; its init
# mounts cgroup2 alone at /sys/fs/cgroup and leaves the root's
# subtree_control empty, as on a fresh host without systemd.
#
# setup_file boots the VM once (about 20 s here); each test below is one of
# the VM's checks, found by its name in the console's log.  What a check
# does is in tests/vm/checks.sh.  The suite is skipped only when qemu or
# the kernel cannot be had (scripts/test-deps.sh installs qemu; the kernel
# is fetched by tests/vm/kernel.sh with apt-get download and cached).

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/registry
load helpers/c-run

setup_file() {
	export VM_SKIP= VM_LOG=$BATS_FILE_TMPDIR/console.log
	local kernel
	if ! command -v "${QEMU:-qemu-system-x86_64}" >/dev/null; then
		VM_SKIP="needs ${QEMU:-qemu-system-x86_64} (Debian's qemu-system-x86)"
		return 0
	fi
	if ! kernel=$("$REPO_ROOT/tests/vm/kernel.sh" 2>"$BATS_FILE_TMPDIR/kernel.err"); then
		VM_SKIP="no kernel for the VM: $(tail -n 1 "$BATS_FILE_TMPDIR/kernel.err")"
		return 0
	fi
	# the busybox fixture, unpacked as c-run.bats has it, with a layer of
	# device nodes on top (one of them /dev/loop0's, 7:0, the VM's disk)
	c_run_setup_file
	"$BIN_DIR/c-unpack" --copy bb "$BATS_FILE_TMPDIR/bundle" >/dev/null
	fixture_device_nodes_image "$BATS_FILE_TMPDIR/nodes" 0 >/dev/null
	"$BIN_DIR/c-unpack" --layer "$(oci_layer_blob "$BATS_FILE_TMPDIR/nodes" 0)" \
		"$BATS_FILE_TMPDIR/bundle/rootfs" >/dev/null
	VM_MODULES=$(dirname "$kernel")/modules \
		"$REPO_ROOT/tests/vm/initramfs.sh" "$BATS_FILE_TMPDIR/initramfs" "$BATS_FILE_TMPDIR/bundle"
	local t0=$SECONDS rc=0
	"$REPO_ROOT/tests/vm/boot.sh" "$kernel" "$BATS_FILE_TMPDIR/initramfs" \
		>"$BATS_FILE_TMPDIR/console.raw" 2>&1 || rc=$?
	# the serial line ends its lines with \r\n
	tr -d '\r' <"$BATS_FILE_TMPDIR/console.raw" >"$VM_LOG"
	export VM_STATUS=$rc VM_SECONDS=$((SECONDS - t0))
}

setup() {
	common_setup
	[ -z "$VM_SKIP" ] || skip "$VM_SKIP"
}

# The end of the console's log, for a failure.
vm_tail() {
	echo "--- the VM's console, last lines (all of it: $VM_LOG):"
	tail -n 30 "$VM_LOG"
}

# The VM's result for the check named as this test, and its "# " lines.
vm_check() {
	local name=${1:-$BATS_TEST_DESCRIPTION} line result= diag=() in=
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ (.*)$ ]]; then
			[ -z "$in" ] || break
			[ "${BASH_REMATCH[2]}" = "$name" ] || continue
			in=1
			result=${BASH_REMATCH[1]:-ok}
		elif [ -n "$in" ] && [[ $line == "#"* ]]; then
			diag+=("$line")
		fi
	done <"$VM_LOG"
	if [ -z "$result" ]; then
		echo "the VM printed no result for: $name (qemu's status $VM_STATUS after $VM_SECONDS s)"
		vm_tail
		return 1
	fi
	[ "$result" = ok ] && return 0
	printf '%s\n' "${diag[@]}"
	return 1
}

@test "the VM boots, runs every check and powers off" {
	local plan results
	[ "$VM_STATUS" = 0 ] || { echo "qemu's status: $VM_STATUS after $VM_SECONDS s"; vm_tail; return 1; }
	grep -q '^# vm: checks ended' "$VM_LOG" || { echo "the checks did not end"; vm_tail; return 1; }
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$VM_LOG")
	results=$(grep -cE '^(not )?ok [0-9]+ - ' "$VM_LOG")
	[ -n "$plan" ] && [ "$plan" = "$results" ] ||
		{ echo "plan ${plan:-none}, $results results"; vm_tail; return 1; }
	# the names below are the VM's: one test each
	expect_eq "$results" "$(grep -c '^@test "' "$BATS_TEST_FILENAME" | awk '{ print $1 - 1 }')" \
		"checks in the VM and tests here"
}

@test "the VM is pure cgroup v2: one cgroup2 mount, no v1, the root's subtree_control empty" {
	vm_check
}

@test "c-run enables cpuset, cpu, memory and pids in the root's subtree_control itself" {
	vm_check
}

@test "the container's cgroup /c-tools/ID holds its process while it runs and is gone after" {
	vm_check
}

@test "--rm leaves no state and no cgroup" {
	vm_check
}

@test "--memory 4M still runs one command, and memory.max is 4 MiB" {
	vm_check
}

@test "a memory hog under --memory 8M is OOM-killed: 137, oomKilled in its state" {
	vm_check
}

@test "--pids-limit 1 still runs one command, and pids.max is 1" {
	vm_check
}

@test "a fork loop under --pids-limit 5 meets EAGAIN and the container still ends" {
	vm_check
}

@test "--pids-limit 5 lets exactly 4 children be forked beside pid 1" {
	vm_check
}

@test "--cpus 0.5 is cpu.max 50000 100000, inside and on the host" {
	vm_check
}

@test "--cpu-shares is cpu.weight: 1024 is 100, 512 is 59, 2 is 1, 262144 is 10000" {
	vm_check
}

@test "--cpuset-cpus 1 is cpuset.cpus 1, and the process may run on CPU 1 only" {
	vm_check
}

@test "--memory-swap is memory.swap.max, the swap beyond --memory; -1 is max" {
	vm_check
}

@test "a cpuset the kernel refuses is one error line, 125, and no cgroup left" {
	vm_check
}

@test "the container has its own cgroup namespace: /proc/self/cgroup is 0::/" {
	vm_check
}

@test "without a cgroup namespace the process is in /c-tools/ID, bound at /sys/fs/cgroup" {
	vm_check
}

@test "OCI: run --bundle with a cgroupsPath runs in that cgroup and removes it" {
	vm_check
}

@test "OCI: create, start, state, kill, delete with a cgroupsPath leave no cgroup" {
	vm_check
}

@test "OCI: kill --all signals every process of the cgroup" {
	vm_check
}

@test "OCI: delete --force of a running container leaves no cgroup" {
	vm_check
}

@test "-d, stop, rm: the detached container's cgroup goes with it" {
	vm_check
}

@test "c-attach --exec runs in the detached container's cgroup" {
	vm_check
}

@test "5 containers in parallel all succeed and leave no cgroup" {
	vm_check
}

@test "run from a child cgroup: /c-tools/ID still works; a limit on a relative cgroupsPath is EBUSY" {
	vm_check
}

@test "in a container, whose cgroup namespace's root holds processes, a container without limits runs" {
	vm_check
}

@test "lo is up in a default container: a server in it answers on 127.0.0.1" {
	vm_check
}

@test "a default container cannot read or write a host disk through a node it makes" {
	vm_check
}

@test "a default container cannot open /dev/mem or the host's loop-control" {
	vm_check
}

@test "device nodes an image's layer carries cannot be opened" {
	vm_check
}

@test "the standard nodes work, and mknod of null (c 1 3) still gives a working null" {
	vm_check
}

@test "--device gives exactly that device, with its permissions" {
	vm_check
}

@test "--device-cgroup-rule allows the devices it names" {
	vm_check
}

@test "--privileged: every host device is in /dev and opens" {
	vm_check
}

@test "OCI: linux.resources.devices rules apply in order" {
	vm_check
}

@test "a process exec'd into a container meets its device rules" {
	vm_check
}

@test "where bpf(2) is refused, a container is refused too, unless its rules allow every device" {
	vm_check
}

@test "no container and no cgroup is left at the end" {
	vm_check
}
