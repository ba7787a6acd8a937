# BearSSL has only a `lib` target and no install target.
SRC_PKG=bearssl
LIBS=libbearssl.a
build() {
	make -j"$jobs" lib CC="$CC" CFLAGS="$CFLAGS -fPIC" LD="$CC" AR=ar
	cp build/libbearssl.a "$PREFIX/lib/"
	cp inc/*.h "$PREFIX/include/"
}
