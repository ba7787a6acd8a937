# Decompression only: c-tools reads zstd layers, never writes them.  -O2, not
# -Os: this is the hot path of unpacking a zstd layer.
SRC_PKG=libzstd
LIBS=libzstd.a
OPT=-O2
build() {
	make -C lib -j"$jobs" libzstd.a \
		ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 ZSTD_LIB_DEPRECATED=0 \
		ZSTD_LEGACY_SUPPORT=0 ZSTD_NO_UNUSED_FUNCTIONS=1 HAVE_PTHREAD=0
	cp lib/libzstd.a "$PREFIX/lib/"
	cp lib/zstd.h lib/zstd_errors.h "$PREFIX/include/"
}
