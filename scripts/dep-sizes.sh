#!/bin/sh
# dep-sizes.sh — what each static library adds to a program, from the
# linker map of that program (the unit tests are linked with -Wl,-Map).
#
#   scripts/dep-sizes.sh build/musl/tests/test-deps.map
#
# Sums the sizes of the input sections kept in the output (code, read-only
# data, data, bss, unwind tables), grouped by the archive they came from.
set -eu
map=${1:?usage: dep-sizes.sh MAPFILE}
awk '
function hex(s,   i, v) {
	v = 0
	for (i = 3; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
	return v
}
/^Linker script and memory map/ { mapping = 1; next }
!mapping { next }
# An input section line: " .text.foo  0xADDR  0xSIZE  FILE"; a long section
# name puts the rest on the next line.
/^ \.[^ ]+$/ { pending = $1; next }
{
	if (pending != "" && $1 ~ /^0x/) { name = pending; addr = $1; size = $2; file = $3 }
	else if ($1 ~ /^\./ && $2 ~ /^0x/) { name = $1; addr = $2; size = $3; file = $4 }
	else { pending = ""; next }
	pending = ""
	if (name !~ /^\.(text|rodata|data|bss|tdata|tbss|eh_frame|init_array|fini_array)/) next
	if (size !~ /^0x/ || file == "") next
	lib = file
	sub(/\(.*/, "", lib)
	n = split(lib, parts, "/")
	lib = parts[n]
	if (lib ~ /\.o$/) lib = "(program objects)"
	bytes[lib] += hex(size)
}
END {
	for (l in bytes) { printf "%-22s %9d\n", l, bytes[l]; total += bytes[l] }
	printf "%-22s %9d\n", "total", total
}' "$map" | sort -k2 -n
