# Reading tar with gzip and zstd is all c-tools needs: no bsdtar/bsdcpio/bsdcat,
# no crypto, XML, ACL, lzma, bz2 or lz4.  --disable-maintainer-mode keeps
# configure from rerunning automake over Debian's patched sources.
SRC_PKG=libarchive
LIBS=libarchive.a
build() {
	./configure --prefix="$PREFIX" --enable-static --disable-shared \
		--disable-maintainer-mode --disable-bsdtar --disable-bsdcpio --disable-bsdcat \
		--disable-bsdunzip --disable-acl --without-openssl --without-xml2 --without-expat \
		--without-lzma --without-bz2lib --without-lz4 --without-libb2 --without-lzo2 \
		--without-nettle --without-mbedtls --without-cng --without-iconv \
		--with-zlib --with-zstd \
		CPPFLAGS="-I$PREFIX_zlib/include -I$PREFIX_zstd/include" LDFLAGS="-L$PREFIX_zlib/lib -L$PREFIX_zstd/lib"
	make -j"$jobs" libarchive.la
	make install-libLTLIBRARIES install-includeHEADERS
}
