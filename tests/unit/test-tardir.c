/* A directory tree as a tar (lib/tardir.h) read back through lib/tarstream.h:
 * order, types, owners, modes, times, xattrs, hard links, symlinks, device
 * nodes; and the reader on gzip'd, truncated and non-tar streams. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "deflate.h"
#include "digest.h"
#include "tap.h"
#include "tardir.h"

static char dir[] = "/tmp/c-tools-tardir-XXXXXX";
static const char zeros[1024];

/* An fd reading the bytes (a file unlinked at once). */
static int fd_of(const void *buf, size_t len)
{
	char path[] = "/tmp/c-tools-tardir-in-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || c_write_all(fd, buf, len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		tap_bail("temp file", path);
	unlink(path);
	return fd;
}

/* One line per entry, as the reader sees it:
 *   NAME TYPE MODE UID:GID [-> LINK | = HARDLINK | size N sha HEX8] [xattr K=V]... */
static char *listing(const void *buf, size_t len, enum c_compression *comp, struct tap_buf *tee,
		     c_err **err)
{
	int fd = fd_of(buf, len);
	struct c_tarin *t = c_tarin_open(fd, tee ? tap_buf_put : NULL, tee, comp, err);
	struct archive_entry *e;
	struct tap_buf out = { 0 };
	int r = -1;

	while (t && (r = c_tarin_next(t, &e, err)) > 0) {
		char line[1024];
		const char *k;
		const void *v;
		size_t vn;
		int n;

		n = snprintf(line, sizeof line, "%s %o %04o %d:%d", archive_entry_pathname(e),
			     (unsigned)archive_entry_filetype(e) >> 12,
			     (unsigned)archive_entry_perm(e), (int)archive_entry_uid(e),
			     (int)archive_entry_gid(e));
		if (archive_entry_hardlink(e))
			n += snprintf(line + n, sizeof line - n, " = %s", archive_entry_hardlink(e));
		else if (archive_entry_symlink(e))
			n += snprintf(line + n, sizeof line - n, " -> %s", archive_entry_symlink(e));
		else if (archive_entry_filetype(e) == AE_IFCHR)
			n += snprintf(line + n, sizeof line - n, " %d:%d",
				      (int)archive_entry_rdevmajor(e), (int)archive_entry_rdevminor(e));
		else if (archive_entry_filetype(e) == AE_IFREG) {
			struct c_hasher h;
			struct c_digest d;
			const void *b;
			ssize_t got;
			int64_t total = 0;

			c_hasher_init(&h, C_DIGEST_SHA256);
			while ((got = c_tarin_data(t, &b, err)) > 0) {
				c_hasher_update(&h, b, (size_t)got);
				total += got;
			}
			if (got < 0) {
				r = -1;
				break;
			}
			c_hasher_final(&h, &d);
			n += snprintf(line + n, sizeof line - n, " size %lld sha %.8s", (long long)total,
				      c_digest_hex(&d));
		}
		if (archive_entry_filetype(e) == AE_IFREG || archive_entry_filetype(e) == AE_IFDIR)
			n += snprintf(line + n, sizeof line - n, " mtime %lld",
				      (long long)archive_entry_mtime(e));
		archive_entry_xattr_reset(e);
		while (archive_entry_xattr_next(e, &k, &v, &vn) == ARCHIVE_OK)
			n += snprintf(line + n, sizeof line - n, " xattr %s=%.*s", k, (int)vn,
				      (const char *)v);
		tap_buf_put(&out, line, strlen(line), err);
		tap_buf_put(&out, "\n", 1, err);
	}
	if (r == 0)
		r = c_tarin_finish(t, err);
	c_tarin_free(t);
	close(fd);
	if (r < 0) {
		free(out.buf);
		return NULL;
	}
	tap_buf_put(&out, "", 1, err);
	return out.buf;
}

static void set_mtime(const char *rel, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	if (utimensat(AT_FDCWD, tap_at(dir, rel), ts, AT_SYMLINK_NOFOLLOW) < 0)
		tap_bail("utimensat", rel);
}

static void make_tree(bool *have_xattr, bool *have_dev)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 123456789 } };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	tap_mkdir(tap_at(dir, "t"));
	tap_mkdir(tap_at(dir, "t/b"));
	tap_mkdir(tap_at(dir, "t/a"));
	tap_mkdir(tap_at(dir, "t/a/empty"));
	tap_put(tap_at(dir, "t/a/file"), "hello\n");
	tap_put(tap_at(dir, "t/b/secret"), "s");
	tap_put(tap_at(dir, "t/b/tool"), "#!/bin/sh\n");
	if (chmod(tap_at(dir, "t/b/secret"), 0600) < 0 || chmod(tap_at(dir, "t/b/tool"), 04755) < 0 ||
	    link(tap_at(dir, "t/a/file"), tap_at(dir, "t/b/hard")) < 0 ||
	    symlink("../a/file", tap_at(dir, "t/b/sym")) < 0 ||
	    mkfifo(tap_at(dir, "t/b/fifo"), 0640) < 0 ||
	    utimensat(AT_FDCWD, tap_at(dir, "t/a/file"), ts, 0) < 0)
		tap_bail("make", "tree");
	*have_xattr = setxattr(tap_at(dir, "t/a/file"), "user.c-tools", "yes", 3, 0) == 0;
	setxattr(tap_at(dir, "t/a/file"), "trusted.overlay.opaque", "y", 1, 0);
	*have_dev = geteuid() == 0 && mknod(tap_at(dir, "t/b/null"), S_IFCHR | 0666, makedev(1, 3)) == 0;
	if (*have_dev)
		chmod(tap_at(dir, "t/b/null"), 0666);
	if (geteuid() == 0 && chown(tap_at(dir, "t/b/secret"), 1000, 1001) < 0)
		tap_bail("chown", "secret");
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tap_at(dir, "t/b/sock"));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		tap_bail("bind", sa.sun_path);
	close(s);
	/* times of our own, directories last */
	set_mtime("t/b/secret", 1500000000);
	set_mtime("t/b/tool", 1600000000);
	set_mtime("t/a/empty", 1300000000);
	set_mtime("t/a", 1200000000);
	set_mtime("t/b", 1400000000);
}

static void test_tree(void)
{
	struct tap_buf tar = { 0 }, tar2 = { 0 }, tee = { 0 };
	bool have_xattr, have_dev;
	enum c_compression comp = C_COMPRESSION_GZIP;
	char want[2048], secret_owner[32], me[32], *got;
	c_err *e = NULL;

	snprintf(me, sizeof me, "%d:%d", (int)geteuid(), (int)getegid());
	snprintf(secret_owner, sizeof secret_owner, "%d:%d", geteuid() ? (int)geteuid() : 1000,
		 geteuid() ? (int)getegid() : 1001);

	make_tree(&have_xattr, &have_dev);
	ok(c_tar_dir(tap_at(dir, "t"), tap_buf_put, &tar, &e) == 0, "tar a tree");
	if (e)
		tap_diag("%s", e->msg);
	c_err_free(&e);
	got = listing(tar.buf, tar.len, &comp, &tee, &e);
	snprintf(want, sizeof want,
		 "a/ 4 0755 %1$s mtime %2$lld\n"
		 "a/empty/ 4 0755 %1$s mtime %3$lld\n"
		 "a/file 10 0644 %1$s size 6 sha 5891b5b5 mtime 1000000000%4$s\n"
		 "b/ 4 0755 %1$s mtime %5$lld\n"
		 "b/fifo 1 0640 %1$s\n"
		 "b/hard 0 0644 %1$s = a/file%4$s\n"
		 "%6$s"
		 "b/secret 10 0600 %7$s size 1 sha 043a7187 mtime %8$lld\n"
		 "b/sym 12 0777 %1$s -> ../a/file\n"
		 "b/tool 10 4755 %1$s size 10 sha a8076d3d mtime %9$lld\n",
		 me, 1200000000LL, 1300000000LL,
		 have_xattr ? " xattr user.c-tools=yes" : "", 1400000000LL,
		 have_dev ? "b/null 2 0666 0:0 1:3\n" : "",
		 secret_owner, 1500000000LL, 1600000000LL);
	if (!ok(got && !strcmp(got, want), "sorted names, types, modes, owners, links, xattrs; no socket, no overlay xattr"))
		tap_diag("want:\n%s# got:\n%s", want, got ? got : "(null)");
	ok(comp == C_COMPRESSION_NONE, "read as an uncompressed tar");
	ok(tee.len == tar.len && !memcmp(tee.buf, tar.buf, tar.len), "the tee saw every byte (%zu)",
	   tee.len);
	ok(c_tar_dir(tap_at(dir, "t"), tap_buf_put, &tar2, &e) == 0 && tar2.len == tar.len &&
		   !memcmp(tar2.buf, tar.buf, tar.len),
	   "the same tree gives the same tar");
	if (!have_xattr)
		tap_diag("no user xattrs on this file system: not checked");
	free(got);
	free(tar2.buf);
	free(tee.buf);

	/* the reader: gzip'd, truncated, not a tar */
	{
		struct tap_buf gz = { 0 };
		struct c_deflate *z = c_deflate_new(tap_buf_put, &gz, &e);
		char *plain = listing(tar.buf, tar.len, NULL, NULL, &e);

		c_deflate_write(z, tar.buf, tar.len, &e);
		c_deflate_finish(z, &e);
		c_deflate_free(z);
		got = listing(gz.buf, gz.len, &comp, NULL, &e);
		ok(got && plain && !strcmp(got, plain) && comp == C_COMPRESSION_GZIP,
		   "a gzip'd tar reads the same");
		free(got);
		got = listing(gz.buf, gz.len - 30, &comp, NULL, &e);
		ok(!got && tap_err_has(&e, "gzip stream"), "a truncated gzip'd tar: the gzip error");
		free(plain);
		free(gz.buf);
	}
	{
		int failed = 0, cuts = 0;

		/* at every block up to the end marker: between entries, inside
		 * one, between a pax header and its entry */
		for (size_t cut = 0; cut + 1024 <= tar.len && memcmp(tar.buf + cut, zeros, 1024);
		     cut += 512) {
			got = listing(tar.buf, cut, NULL, NULL, &e);
			cuts++;
			failed += !got && e && e->status == C_EXIT_DATA &&
				  !strncmp(e->msg, "tar stream: ", 12);
			free(got);
			c_err_free(&e);
		}
		ok(cuts > 10 && failed == cuts,
		   "a tar cut at any block before its end marker is refused (%d of %d)", failed, cuts);
	}
	got = listing(tar.buf, 2600, NULL, NULL, &e);
	ok(!got && tap_err_has(&e, "tar stream: truncated: the stream ends inside an entry"),
	   "cut inside an entry's data: truncated");
	got = listing(tar.buf, 3072, NULL, NULL, &e);
	ok(!got && tap_err_has(&e, "tar stream: truncated: no end-of-archive marker"),
	   "cut between two entries: no end-of-archive marker");
	got = listing(tar.buf, 0, NULL, NULL, &e);
	ok(!got && tap_err_has(&e, "tar stream: not a tar archive"), "an empty stream");
	got = listing("this is not a tar archive, not at all, really", 45, NULL, NULL, &e);
	ok(!got && e && e->status == C_EXIT_DATA && tap_err_has(&e, "tar stream: not a tar archive"),
	   "not a tar: a data error");
	ok(c_tar_dir(tap_at(dir, "nonexistent"), tap_buf_put, &tar, &e) < 0 &&
		   tap_err_has(&e, "nonexistent"),
	   "a missing directory is named");
	free(tar.buf);
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_bail("mkdtemp", dir);
	test_tree();
	if (!tap_failed)
		tap_remove_tree(dir);
	return tap_done();
}
