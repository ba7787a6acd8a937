# bench/lib/common.bash — the set-up every benchmark does alike: its name in
# errors, the programs and privileges it needs, a tmpfs to work on that is
# gone at exit, the median of its runs.  Sourced from the repository's top
# directory by bench/NAME.sh.

bench_name=$(basename "$0" .sh)

die() {
	echo "bench/$bench_name: $*" >&2
	exit 1
}

# c-tools programs the benchmark runs (paths): built before it starts, so a
# missing one is not mistaken for a failed run.
bench_built() {
	local p
	for p; do
		[ -x "$p" ] || die "$p is missing; run make first"
	done
}

bench_root() { # WHY
	[ "$(id -u)" = 0 ] || die "needs root ($1)"
}

# Commands to run at exit, the last added first, so that what was set up
# later (a mount) is undone before what it sits on (its mount point).
bench_exit_cmds=()
bench_on_exit() { # COMMAND [ARG...]
	local cmd
	printf -v cmd '%q ' "$@"
	bench_exit_cmds=("$cmd" "${bench_exit_cmds[@]}")
}
bench_exit() {
	local cmd
	for cmd in "${bench_exit_cmds[@]}"; do
		eval "$cmd" || true
	done
}
trap bench_exit EXIT

# A tmpfs of SIZE at $work for everything the runs write: on this machine's
# ext4, creating many files soon after deleting many is several times slower
# for minutes, which would swamp the comparison.
bench_tmpfs() { # SIZE
	work=$(mktemp -d "/tmp/c-tools-bench-$bench_name.XXXXXX")
	bench_on_exit rmdir "$work"
	mount -t tmpfs -o size="$1" tmpfs "$work" || die "mount a tmpfs on $work failed"
	bench_on_exit umount "$work"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
