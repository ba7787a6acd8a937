SRC_PKG=zlib
LIBS=libz.a
build() {
	./configure --static --prefix="$PREFIX"
	make -j"$jobs" libz.a
	make install
}
