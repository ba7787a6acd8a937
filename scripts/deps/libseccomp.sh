# configure needs gperf; the kernel headers come from the -isystem dir in CFLAGS.
SRC_PKG=libseccomp
LIBS=libseccomp.a
build() {
	./configure --prefix="$PREFIX" --enable-static --disable-shared --disable-python
	make -j"$jobs" -C src
	make -C include install
	make -C src install
}
