# Debian's jansson source has no configure script; its CMake build needs no
# autotools.
SRC_PKG=jansson
LIBS=libjansson.a
build() {
	cmake -S . -B build -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
		-DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
		-DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON
	make -C build -j"$jobs" jansson
	make -C build install
}
