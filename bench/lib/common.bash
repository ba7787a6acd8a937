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

# Whether a process has STRING in its command line (this script's has not).
running() { # STRING
	local p
	for p in /proc/[0-9]*; do
		grep -qsF -- "$1" "$p/cmdline" && return 0
	done
	return 1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
quartiles() { # the 25th and 75th percentiles, in ms
	sort -n | awk '{ v[NR] = $1 } END { printf "%.1f-%.1f", v[int((NR + 3) / 4)] * 1000,
		v[int((3 * NR + 3) / 4)] * 1000 }'
}

# bench_turns [--optional] RUN TOOL...: `RUN TOOL` once for each tool,
# untimed, then $RUNS rounds in which the tools take turns, each round
# starting one tool further on (no tool always follows the same one), each
# run after $GAP s of quiet and timed by bash's clock (µs).  The medians
# (seconds) and the quartiles (ms) go to the caller's associative arrays med
# and iqr.  A run that fails ends the bench with its stderr, which RUN
# leaves in $work/err; with --optional, a tool whose untimed run fails is
# left out of the turns instead, its status and first line of stderr in the
# caller's associative array why.  Where the caller defines bench_before
# and bench_after, they run untimed before and after every run (TOOL as
# their argument): what a run needs made, or leaves to clear.
bench_turns() {
	local optional=false run t i j t0 t1 rc
	if [ "$1" = --optional ]; then
		optional=true
		shift
	fi
	run=$1
	shift
	local -a tools=()
	local -A times=()
	for t; do
		rc=0
		bench_hook bench_before "$t"
		"$run" "$t" || rc=$?
		bench_hook bench_after "$t"
		if [ "$rc" = 0 ]; then
			tools+=("$t")
		elif $optional; then
			why[$t]="status $rc: $(head -n 1 "$work/err")"
		else
			die "$run $t failed (status $rc): $(head -c 300 "$work/err")"
		fi
	done
	for ((i = 0; i < RUNS; i++)); do
		for ((j = 0; j < ${#tools[@]}; j++)); do
			t=${tools[(i + j) % ${#tools[@]}]}
			bench_hook bench_before "$t"
			[ "$GAP" = 0 ] || sleep "$GAP"
			t0=$EPOCHREALTIME
			"$run" "$t" || die "$run $t failed (status $?): $(head -c 300 "$work/err")"
			t1=$EPOCHREALTIME
			bench_hook bench_after "$t"
			times[$t]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') "
		done
	done
	for t in "${tools[@]}"; do
		med[$t]=$(tr ' ' '\n' <<<"${times[$t]}" | grep . | median)
		iqr[$t]=$(tr ' ' '\n' <<<"${times[$t]}" | grep . | quartiles)
	done
}

# HOOK ARG...: runs the function HOOK where the caller defined it.
bench_hook() {
	if declare -F "$1" >/dev/null; then
		"$@"
	fi
}
