#!/bin/bash
# sha256 throughput side by side: c-tools on its fast path (SHA-NI where the
# CPU has it) and on its generic path (BearSSL), against sha256sum and
# openssl dgst.  One file of $SHA256_BENCH_MIB MiB (default 512) on tmpfs, so
# the disk stays out of it; the tools take turns, so drift in clock speed or
# load hits them all alike; the median of 5 timed runs each is reported.
#
# Run by bench/run with BUILD_DIR (default build/musl); needs
# $BUILD_DIR/bench/sha256 from `make bench`.  Timing is bash + date(1) only.
set -euo pipefail

BUILD_DIR=${BUILD_DIR:-build/musl}
BIN=$BUILD_DIR/bench/sha256
MIB=${SHA256_BENCH_MIB:-512}
RUNS=5

die() {
	echo "bench/sha256: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "$BIN is missing; run 'make bench' first"

names=("c-tools fast" "c-tools generic" "sha256sum" "openssl dgst")
have_openssl=1
if ! command -v openssl >/dev/null; then
	have_openssl=0
	unset 'names[3]'
fi
if grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then
	names[0]="c-tools fast (sha-ni)"
else
	names[0]="c-tools fast (no sha-ni)"
fi
names[1]="c-tools generic (bearssl)"

# A tmpfs with room for the file: /dev/shm, or one of our own (container
# runtimes give /dev/shm only 64 MiB).
dir='' mnt=''
cleanup() {
	if [ -n "$mnt" ]; then
		umount "$mnt" && rmdir "$mnt"
	elif [ -n "$dir" ]; then
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
	[ "$(df -k --output=avail /dev/shm | tail -n 1)" -gt $((MIB * 1024 + 65536)) ]; then
	dir=$(mktemp -d /dev/shm/c-tools-bench.XXXXXX)
elif [ "$(id -u)" = 0 ]; then
	mnt=$(mktemp -d /tmp/c-tools-bench.XXXXXX)
	mount -t tmpfs -o size=$((MIB + 16))m c-tools-bench "$mnt" || {
		rmdir "$mnt"
		mnt=
		die "cannot mount a tmpfs"
	}
	dir=$mnt
else
	die "need a tmpfs with $MIB MiB free: /dev/shm is not one or too small, and mounting one needs root"
fi
data=$dir/data
head -c "${MIB}M" /dev/urandom >"$data"
bytes=$((MIB * 1048576))

run_tool() {
	case $1 in
	0) "$BIN" "$data" ;;
	1) "$BIN" -g "$data" ;;
	2) sha256sum "$data" ;;
	3) openssl dgst -sha256 -r "$data" ;;
	esac
}

# Run tool $1 once; sets elapsed (ns) and digest (first field of its output).
elapsed='' digest=''
run_once() {
	local t0 t1
	t0=$(date +%s%N)
	run_tool "$1" >"$dir/out" || die "${names[$1]} failed"
	t1=$(date +%s%N)
	elapsed=$((t1 - t0))
	read -r digest _ <"$dir/out" || true
}

want=''
check_digest() {
	if [ -z "$want" ]; then
		want=$digest
	elif [ "$digest" != "$want" ]; then
		die "DIGESTS DISAGREE: ${names[$1]} says '$digest', ${names[0]} says '$want'"
	fi
}

declare -a times
# one untimed round warms the page cache and the binaries, and checks digests
for i in "${!names[@]}"; do
	run_once "$i"
	check_digest "$i"
done
for ((r = 0; r < RUNS; r++)); do
	for i in "${!names[@]}"; do
		run_once "$i"
		check_digest "$i"
		times[i]="${times[i]:-} $elapsed"
	done
done
[[ $want =~ ^[0-9a-f]{64}$ ]] || die "not a sha256 digest: '$want'"

declare -a median
for i in "${!names[@]}"; do
	# shellcheck disable=SC2086 # the list is split on purpose
	median[i]=$(printf '%s\n' ${times[i]} | sort -n | sed -n "$(((RUNS + 1) / 2))p")
done

# "x.yy" for a / b, rounded
ratio() {
	local r=$((($1 * 100 + $2 / 2) / $2))
	printf '%d.%02dx' $((r / 100)) $((r % 100))
}

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "sha256 of $MIB MiB on tmpfs, median of $RUNS runs; cpu: ${model:-unknown}"
echo "$(sha256sum --version | head -n 1); $( ((have_openssl)) && openssl version || echo 'openssl: not installed')"
printf '%-28s %13s %8s %13s %11s\n' tool time MB/s "vs sha256sum" "vs openssl"
for i in "${!names[@]}"; do
	t=${median[i]}
	vs_openssl=-
	((have_openssl)) && vs_openssl=$(ratio "${median[3]}" "$t")
	printf '%-28s %7d.%03d s %8d %13s %11s\n' "${names[i]}" $((t / 1000000000)) \
		$((t / 1000000 % 1000)) $((bytes * 1000 / t)) "$(ratio "${median[2]}" "$t")" "$vs_openssl"
done
echo "all digests agree: sha256:$want"
