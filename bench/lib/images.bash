# bench/lib/images.bash — the images the benchmarks share, made once and
# cached under ${XDG_CACHE_HOME:-$HOME/.cache}/c-tools/bench (debootstrap
# needs root and Debian's mirror):
#   $cache/minbase   a debootstrap --variant=minbase bookworm rootfs
#   $cache/single    an OCI layout: that rootfs as one gzip layer
#   $cache/five      an OCI layout: the same rootfs in five gzip layers
# Sourced from the repository's top directory; `bench_images` makes them.
# And, not cached, `busybox_image LAYOUT [ENTRY-JSON...]`: a busybox-static
# image ("latest", command /bin/true) in the OCI layout LAYOUT, with more
# layer entries in mkimage.py's JSON.

cache=${XDG_CACHE_HOME:-$HOME/.cache}/c-tools/bench

mirror() {
	sed -n 's/^URIs:[[:space:]]*\([^ ]*debian\/\?\)$/\1/p' /etc/apt/sources.list.d/*.sources \
		2>/dev/null | head -n 1
}

make_rootfs() {
	local dir=$cache/minbase
	if [ ! -f "$dir.done" ]; then
		rm -rf "$dir"
		echo "bench: debootstrap --variant=minbase bookworm (once)" >&2
		debootstrap --variant=minbase bookworm "$dir" "$(mirror)" >&2
		touch "$dir.done"
	fi
	# As an image build would leave it (apt-get clean).
	rm -f "$dir"/var/cache/apt/archives/*.deb
	rm -rf "$dir"/var/lib/apt/lists/*
}

# Five trees that together hold the rootfs, as hard-linked copies.
make_five_trees() {
	local root=$cache/minbase five=$cache/five-trees i
	[ -f "$five.done" ] && return 0
	rm -rf "$five"
	for i in 1 2 3 4 5; do mkdir -p "$five/$i"; done
	(cd "$root" && cp -al --parents usr/lib "$five/1/")
	(cd "$root" && cp -al --parents usr/bin usr/sbin "$five/2/")
	(cd "$root" && cp -al --parents usr/share "$five/3/")
	(cd "$root" && cp -al --parents var "$five/4/")
	(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr ! -name var \
		-exec cp -al --parents {} "$five/5/" \;)
	(cd "$root" && find usr -mindepth 1 -maxdepth 1 ! -name lib ! -name bin ! -name sbin \
		! -name share -exec cp -al --parents {} "$five/5/" \;)
	touch "$five.done"
}

make_layout() { # NAME SPEC-JSON
	local out=$cache/$1
	[ -f "$out.done" ] && return 0
	rm -rf "$out"
	echo "$2" | python3 tests/fixtures/mkimage.py - "$out" >/dev/null
	touch "$out.done"
}

# Install the Debian packages a benchmark needs that are missing.
bench_need() {
	local p
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" >&2
	done
}

bench_images() {
	bench_need debootstrap python3
	make_rootfs
	make_five_trees
	make_layout single "{\"ref\":\"latest\",\"config\":{\"Cmd\":[\"bash\"]},
		\"layers\":[{\"dir\":\"$cache/minbase\",\"owner\":\"keep\"}]}"
	make_layout five "{\"ref\":\"latest\",\"config\":{\"Cmd\":[\"bash\"]},\"layers\":[
		{\"dir\":\"$cache/five-trees/1\",\"owner\":\"keep\"},
		{\"dir\":\"$cache/five-trees/2\",\"owner\":\"keep\"},
		{\"dir\":\"$cache/five-trees/3\",\"owner\":\"keep\"},
		{\"dir\":\"$cache/five-trees/4\",\"owner\":\"keep\"},
		{\"dir\":\"$cache/five-trees/5\",\"owner\":\"keep\"}]}"
}

busybox_image() {
	local layout=$1 extra=''
	shift
	for e; do extra+=", $e"; done
	python3 tests/fixtures/mkimage.py - "$layout" >/dev/null <<EOF
{"ref": "latest",
 "config": {"Cmd": ["/bin/true"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
 "layers": [{"created_by": "busybox-static", "entries": [
   {"path": "bin", "type": "dir"},
   {"path": "bin/busybox", "source": "$(command -v busybox)", "mode": "0755"},
   {"path": "bin/true", "type": "symlink", "target": "busybox"},
   {"path": "dev", "type": "dir"}, {"path": "etc", "type": "dir"},
   {"path": "proc", "type": "dir"}, {"path": "sys", "type": "dir"},
   {"path": "tmp", "type": "dir", "mode": "1777"}$extra]}]}
EOF
}
