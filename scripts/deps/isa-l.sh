# ISA-L's assembly needs nasm; Makefile.unx builds the static library alone.
SRC_PKG=libisal
LIBS=libisal.a
OPT=-O2
build() {
	make -j"$jobs" -f Makefile.unx lib CC="$CC" CFLAGS_="$CFLAGS"
	cp bin/isa-l.a "$PREFIX/lib/libisal.a"
	mkdir -p "$PREFIX/include/isa-l"
	cp include/*.h "$PREFIX/include/isa-l/"
	cp isa-l.h "$PREFIX/include/" 2>/dev/null || true
}
