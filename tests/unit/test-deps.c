/* Each statically linked dependency is present and does its job here: a smoke
 * test of the build, and (through its link map) the measure of what each
 * library adds to a program (scripts/dep-sizes.sh). */
#include <archive.h>
#include <archive_entry.h>
#include <bearssl.h>
#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "tap.h"

/* "hello from a zstd frame\n" twice, compressed by zstd -19. */
static const unsigned char zstd_frame[] = {
	0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0xf5, 0x00, 0x00, 0xc0, 0x68, 0x65,
	0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x61, 0x20, 0x7a,
	0x73, 0x74, 0x64, 0x20, 0x66, 0x72, 0x61, 0x6d, 0x65, 0x0a, 0x01, 0x00,
	0x2c, 0x38, 0xc7, 0xc9, 0x95, 0xa8, 0x54,
};

/* A PAX tar holding etc/zstd.txt ("zstd layer content\n"), zstd -19. */
static const unsigned char zstd_tar[] = {
	0x28, 0xb5, 0x2f, 0xfd, 0x64, 0x00, 0x27, 0x6d, 0x02, 0x00, 0xe2, 0x83,
	0x0c, 0x10, 0xa0, 0xed, 0x76, 0xe8, 0xe9, 0xe6, 0x2d, 0x55, 0xa1, 0xc0,
	0xbf, 0x01, 0x57, 0xdf, 0xe9, 0x29, 0x06, 0xeb, 0xd8, 0xba, 0xa7, 0x02,
	0x64, 0x34, 0xb5, 0xe0, 0xdf, 0x30, 0x6d, 0x94, 0xf6, 0x83, 0x7f, 0xca,
	0xc9, 0x7d, 0x9b, 0xf2, 0xdf, 0xe7, 0xa0, 0x7b, 0xe7, 0x8a, 0xb5, 0xb1,
	0x0e, 0xb5, 0x2c, 0x09, 0x20, 0x50, 0xb7, 0x3d, 0xd2, 0x8b, 0xf1, 0xfe,
	0xb3, 0x60, 0x9e, 0x3a, 0xef, 0x4c, 0xda, 0x4a, 0x04, 0x06, 0x0d, 0xb0,
	0x34, 0xad, 0x2f, 0xd5, 0x3b, 0x00, 0xc0,
};

static unsigned char text[64 * 1024];

static void fill_text(void)
{
	uint32_t x = 12345;

	/* Compressible but not trivial: words from a small alphabet. */
	for (size_t i = 0; i < sizeof text; i++) {
		x = x * 1103515245 + 12345;
		text[i] = "abcdefgh \n"[(x >> 16) % 10];
	}
}

/* gzip with zlib, then inflate it with both zlib and ISA-L. */
static void test_zlib_isal(void)
{
	static unsigned char gz[sizeof text + 1024], out[sizeof text];
	struct inflate_state st;
	z_stream zs = { 0 };
	size_t gzlen;
	int rc;

	rc = deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = text;
	zs.avail_in = sizeof text;
	zs.next_out = gz;
	zs.avail_out = sizeof gz;
	rc = rc == Z_OK ? deflate(&zs, Z_FINISH) : rc;
	gzlen = zs.total_out;
	deflateEnd(&zs);
	ok(rc == Z_STREAM_END && gzlen < sizeof text / 2, "zlib %s gzips (%zu -> %zu bytes)",
	   zlibVersion(), sizeof text, gzlen);

	memset(&zs, 0, sizeof zs);
	rc = inflateInit2(&zs, 15 + 16);
	zs.next_in = gz;
	zs.avail_in = gzlen;
	zs.next_out = out;
	zs.avail_out = sizeof out;
	rc = rc == Z_OK ? inflate(&zs, Z_FINISH) : rc;
	inflateEnd(&zs);
	ok(rc == Z_STREAM_END && zs.total_out == sizeof text && !memcmp(out, text, sizeof text),
	   "zlib inflates it back");

	memset(out, 0, sizeof out);
	isal_inflate_init(&st);
	st.crc_flag = ISAL_GZIP;
	st.next_in = gz;
	st.avail_in = gzlen;
	st.next_out = out;
	st.avail_out = sizeof out;
	rc = isal_inflate(&st);
	ok(rc == ISAL_DECOMP_OK && st.block_state == ISAL_BLOCK_FINISH &&
		   st.total_out == sizeof text && !memcmp(out, text, sizeof text),
	   "ISA-L inflates zlib's gzip and checks its CRC");

	gz[gzlen - 8] ^= 1; /* the stored CRC32 */
	isal_inflate_init(&st);
	st.crc_flag = ISAL_GZIP;
	st.next_in = gz;
	st.avail_in = gzlen;
	st.next_out = out;
	st.avail_out = sizeof out;
	ok(isal_inflate(&st) == ISAL_INCORRECT_CHECKSUM, "ISA-L rejects a bad CRC");
}

static void test_zstd(void)
{
	char out[128];
	size_t n = ZSTD_decompress(out, sizeof out, zstd_frame, sizeof zstd_frame);

	ok(!ZSTD_isError(n) && n == 48 && !memcmp(out, "hello from a zstd frame\n", 24),
	   "zstd %s decompresses a frame", ZSTD_versionString());
}

static int read_tar(const void *buf, size_t len, const char *want_name, const char *want_data)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	char data[64] = { 0 };
	int found = 0;

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		goto out;
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		if (strcmp(archive_entry_pathname(ent), want_name))
			continue;
		if (archive_read_data(a, data, sizeof data - 1) > 0 && !strcmp(data, want_data))
			found = 1;
	}
out:
	archive_read_free(a);
	return found;
}

static void test_libarchive(void)
{
	static char buf[16384];
	struct archive *a = archive_write_new();
	struct archive_entry *ent = archive_entry_new();
	size_t used = 0;

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	archive_write_open_memory(a, buf, sizeof buf, &used);
	archive_entry_set_pathname(ent, "bin/hello");
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 04755);
	archive_entry_set_size(ent, 6);
	archive_write_header(a, ent);
	archive_write_data(a, "hello\n", 6);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ent);
	ok(used > 0 && (unsigned char)buf[0] == 0x1f, "%s writes a tar.gz", archive_version_string());
	ok(read_tar(buf, used, "bin/hello", "hello\n"), "and reads it back");
	ok(read_tar(zstd_tar, sizeof zstd_tar, "etc/zstd.txt", "zstd layer content\n"),
	   "libarchive reads a zstd-compressed tar");
}

static void test_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int p[2], rc = -1;
	ssize_t n = 0;
	char bpf[8192];

	if (ctx && pipe(p) == 0) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		if (rc == 0)
			rc = seccomp_export_bpf(ctx, p[1]);
		close(p[1]);
		n = read(p[0], bpf, sizeof bpf);
		close(p[0]);
	}
	seccomp_release(ctx);
	ok(rc == 0 && n > 0 && n % 8 == 0, "libseccomp compiles a filter to BPF (%zd bytes)", n);
}

static void test_jansson(void)
{
	json_t *v = json_pack("{s:s,s:[i,b]}", "a", "x", "b", 1, 1);
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

	ok(s && !strcmp(s, "{\"a\":\"x\",\"b\":[1,true]}"), "jansson %s packs and dumps",
	   JANSSON_VERSION);
	free(s);
	json_decref(v);
}

static void test_bearssl(void)
{
	static br_ssl_client_context cc;
	static br_x509_minimal_context xc;
	static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	br_sha256_context sc;
	unsigned char h[32];

	br_sha256_init(&sc);
	br_sha256_update(&sc, "abc", 3);
	br_sha256_out(&sc, h);
	ok(h[0] == 0xba && h[31] == 0xad, "BearSSL hashes");
	br_ssl_client_init_full(&cc, &xc, NULL, 0);
	br_ssl_engine_set_buffer(&cc.eng, iobuf, sizeof iobuf, 1);
	ok(br_ssl_client_reset(&cc, "localhost", 0) == 1, "BearSSL sets up a TLS client");
}

int main(void)
{
	fill_text();
	test_zlib_isal();
	test_zstd();
	test_libarchive();
	test_seccomp();
	test_jansson();
	test_bearssl();
	return tap_done();
}
