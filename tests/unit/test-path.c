/* test-path.c — lib/path.c: the lexical cleaner and joiner, and lookups that
 * must stay inside a root, through openat2 and through the component walk.
 *
 * Each suite builds, under a fresh mkdtemp directory T:
 *   T/victim, T/d/victim    files a breakout would reach
 *   T/outside/              a directory a breakout would write into
 *   T/d/root/               the root, full of hostile symlinks
 * and checks that every lookup lands inside T/d/root and nothing outside it
 * changes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "err.h"
#include "path.h"
#include "tap.h"

static char top[PATH_MAX]; /* T */
static const char *mode;   /* "openat2", "walk" */
static int rootfd = -1;

static const char *at(const char *rel)
{
	return tap_at(top, rel);
}

static void mkdirs(const char *rel)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof p, "%s", at(rel));
	for (s = p + strlen(top) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			tap_bail("mkdir", p);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		tap_bail("mkdir", p);
}

static void sym(const char *target, const char *rel)
{
	if (symlink(target, at(rel)) < 0)
		tap_bail("symlink", at(rel));
}

static int exists(const char *rel)
{
	struct stat st;

	return lstat(at(rel), &st) == 0;
}

static int is_dir(const char *rel)
{
	struct stat st;

	return lstat(at(rel), &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *read_fd(int fd)
{
	static char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The host file T/rel's content. */
static const char *host(const char *rel)
{
	_cleanup_close_ int fd = open(at(rel), O_RDONLY | O_CLOEXEC);

	return fd < 0 ? "(missing)" : read_fd(fd);
}

static void build(void)
{
	char link[PATH_MAX];
	int i;

	snprintf(top, sizeof top, "%s/test-path.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		tap_bail("mkdtemp", top);
	tap_put(at("victim"), "host-victim");
	mkdirs("d/root");
	tap_put(at("d/victim"), "host-victim-2");
	mkdirs("outside");

	mkdirs("d/root/etc");
	mkdirs("d/root/dir/sub");
	tap_put(at("d/root/file"), "file");
	tap_put(at("d/root/victim"), "inside-victim");
	tap_put(at("d/root/etc/passwd"), "inside-passwd");
	tap_put(at("d/root/dir/sub/f"), "deep");
	sym("/etc/passwd", "d/root/abs");
	sym("../../../../victim", "d/root/rel");
	sym("chain2", "d/root/chain1");
	sym("/dir/chain3", "d/root/chain2");
	sym("../file", "d/root/dir/chain3");
	sym("loop2", "d/root/loop1");
	sym("loop1", "d/root/loop2");
	sym("/dir", "d/root/dirlink");
	sym("dir/sub", "d/root/deeplink");
	sym("/etc", "d/root/etclink");
	sym("/file", "d/root/dir/sub/toroot");
	sym("/etc", "d/root/dir/sub/toetc");
	sym("../../newfile", "d/root/dang");
	sym("../../../outside", "d/root/outlink");
	sym(at("outside"), "d/root/hostabs");
	sym(at("victim"), "d/root/hostvictim");
	sym(at("created"), "d/root/hostdang");
	/* l0 -> l1 -> ... -> l40 -> file: l1 takes 40 expansions, l0 one too many */
	for (i = 0; i <= C_PATH_MAX_SYMLINKS; i++) {
		snprintf(link, sizeof link, "d/root/l%d", i);
		if (i == C_PATH_MAX_SYMLINKS)
			sym("file", link);
		else {
			char target[32];

			snprintf(target, sizeof target, "l%d", i + 1);
			sym(target, link);
		}
	}

	rootfd = open(at("d/root"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		tap_bail("open", at("d/root"));
}

static void teardown(void)
{
	close(rootfd);
	tap_remove_tree(top);
}

/* Opens path in the root; the fd, or -1 with the error's errno in *e. */
static int open_in(const char *path, int flags, int *e)
{
	c_err *err = NULL;
	int fd = c_path_open_in_root(rootfd, path, flags, 0644, &err);

	*e = 0;
	if (fd < 0) {
		*e = err ? err->errnum : -1;
		c_err_free(&err);
	}
	return fd;
}

/* Content of path read through the root, or "(errno name)". */
static const char *read_in(const char *path)
{
	static char failed[64];
	int e, fd = open_in(path, O_RDONLY, &e);
	const char *text;

	if (fd < 0) {
		snprintf(failed, sizeof failed, "(%s)", strerror(e));
		return failed;
	}
	text = read_fd(fd);
	close(fd);
	return text;
}

static void check_read(const char *path, const char *want)
{
	const char *got = read_in(path);

	if (!ok(strcmp(got, want) == 0, "%s: read '%s' gives %s", mode, path, want))
		tap_diag("got %s", got);
}

static void check_fails(const char *path, int flags, int want, const char *why)
{
	int e, fd = open_in(path, flags, &e);

	if (!ok(fd < 0 && e == want, "%s: %s: '%s' fails with %s", mode, why, path,
		strerror(want)))
		tap_diag("got fd %d, %s", fd, e ? strerror(e) : "no error");
	if (fd >= 0)
		close(fd);
}

static int same_file(int fd, const char *rel)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(at(rel), &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void check_same(const char *path, int flags, const char *rel, const char *why)
{
	int e, fd = open_in(path, flags, &e);

	if (!ok(fd >= 0 && same_file(fd, rel), "%s: %s: '%s' is T/%s", mode, why, path, rel))
		tap_diag("fd %d, %s", fd, e ? strerror(e) : "other file");
	if (fd >= 0)
		close(fd);
}

static void test_reads(void)
{
	check_read("file", "file");
	check_read("/file", "file");
	check_read("./dir/../file", "file");
	check_read("../../victim", "inside-victim");
	check_read("/../../../victim", "inside-victim");
	check_read("abs", "inside-passwd");
	check_read("/etc/passwd", "inside-passwd");
	check_read("rel", "inside-victim");
	check_read("chain1", "file");
	check_read("dirlink/chain3", "file");
	check_read("dirlink/sub/f", "deep");
	check_read("etclink/passwd", "inside-passwd");
	/* an absolute symlink deep down starts again from the root */
	check_read("dir/sub/toroot", "file");
	check_read("dir/sub/toetc/passwd", "inside-passwd");
	/* ".." after a symlink is the link target's parent, not lexical */
	check_read("deeplink/../sub/f", "deep");
	check_read("l1", "file");
	check_fails("l0", O_RDONLY, ELOOP, "41 symlinks");
	check_fails("loop1", O_RDONLY, ELOOP, "symlink loop");
	check_fails("loop1/x", O_RDONLY, ELOOP, "symlink loop in a parent");
	check_fails("hostvictim", O_RDONLY, ENOENT, "host absolute symlink");
	check_fails("missing", O_RDONLY, ENOENT, "missing file");
	check_fails("", O_RDONLY, ENOENT, "empty path");
}

static void test_flags(void)
{
	struct stat st;
	int e, fd;

	check_fails("abs", O_RDONLY | O_NOFOLLOW, ELOOP, "O_NOFOLLOW on a final symlink");
	check_fails("abs", O_WRONLY | O_CREAT | O_EXCL, EEXIST, "O_CREAT|O_EXCL on a symlink");
	check_fails("file", O_RDONLY | O_DIRECTORY, ENOTDIR, "O_DIRECTORY on a file");
	check_fails("file/", O_RDONLY, ENOTDIR, "trailing slash on a file");
	check_fails("nodir/", O_RDONLY | O_CREAT, EISDIR, "O_CREAT with a trailing slash");
	check_fails("/", O_RDONLY | O_CREAT, EISDIR, "O_CREAT of the root");

	fd = open_in("abs", O_PATH | O_NOFOLLOW, &e);
	ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode),
	   "%s: O_PATH|O_NOFOLLOW opens the symlink itself", mode);
	if (fd >= 0)
		close(fd);
	check_same("abs", O_PATH, "d/root/etc/passwd", "O_PATH follows the symlink");
	check_same("dirlink", O_RDONLY | O_DIRECTORY, "d/root/dir", "O_DIRECTORY through a symlink");
	check_same("dirlink/", O_RDONLY | O_NOFOLLOW, "d/root/dir",
		   "a trailing slash follows despite O_NOFOLLOW");
	check_same("/", O_RDONLY | O_DIRECTORY, "d/root", "'/' is the root");
	check_same("../..", O_RDONLY | O_DIRECTORY, "d/root", "'../..' is the root");
	check_same("dir/sub/../../..", O_PATH, "d/root", "'..' past the top is the root");
}

static void test_create(void)
{
	int e, fd;

	fd = open_in("dir/new", O_WRONLY | O_CREAT | O_EXCL, &e);
	ok(fd >= 0 && exists("d/root/dir/new"), "%s: O_CREAT|O_EXCL creates a file", mode);
	if (fd >= 0)
		close(fd);

	/* openat2(RESOLVE_IN_ROOT) creates the target of a dangling symlink
	 * inside the root; the walk does the same. */
	fd = open_in("dang", O_WRONLY | O_CREAT, &e);
	ok(fd >= 0 && exists("d/root/newfile"),
	   "%s: O_CREAT through a dangling '../../newfile' creates root/newfile", mode);
	ok(!exists("newfile") && !exists("d/newfile"), "%s: and nothing outside", mode);
	if (fd >= 0)
		close(fd);

	check_fails("hostdang", O_WRONLY | O_CREAT, ENOENT,
		    "O_CREAT through a dangling host-absolute symlink");
	ok(!exists("created"), "%s: T/created was not made", mode);

	check_fails("outlink/x", O_WRONLY | O_CREAT, ENOENT,
		    "O_CREAT under a symlinked dir pointing outside");
	ok(!exists("outside/x"), "%s: T/outside/x was not made", mode);

	check_fails("hostvictim", O_WRONLY | O_CREAT | O_TRUNC, ENOENT,
		    "O_TRUNC through a host-absolute symlink");
	fd = open_in("../../victim", O_WRONLY | O_TRUNC, &e);
	ok(fd >= 0, "%s: O_TRUNC of '../../victim' opens", mode);
	if (fd >= 0)
		close(fd);
	ok(strcmp(host("victim"), "host-victim") == 0 && strcmp(host("d/victim"), "host-victim-2") == 0,
	   "%s: the victims outside the root are untouched", mode);
	ok(strcmp(host("d/root/victim"), "") == 0, "%s: the inside victim was truncated", mode);
}

static void test_error_text(void)
{
	c_err *err = NULL;
	char *line;

	ok(c_path_open_in_root(rootfd, "loop1", O_RDONLY, 0, &err) < 0 && err,
	   "%s: a loop is an error", mode);
	line = c_err_line(err);
	ok(line && strstr(line, "loop1") && err->errnum == ELOOP,
	   "%s: the error names the path and the reason", mode);
	tap_diag("%s", line ? line : "(null)");
	free(line);
	c_err_free(&err);
	ok(c_path_open_in_root(rootfd, "missing", O_RDONLY, 0, &err) < 0 && err &&
	   err->status == C_EXIT_NOTFOUND, "%s: a missing file is C_EXIT_NOTFOUND", mode);
	c_err_free(&err);
}

static void suite(const char *name, int walk)
{
	mode = name;
	c_path_test_force_walk(walk);
	build();
	test_reads();
	test_flags();
	test_create();
	test_error_text();
	teardown();
	c_path_test_force_walk(0);
}

/* mkdir -p the path in the root; 1 when the returned fd is T/want. */
static int mkdir_is(const char *path, const char *want)
{
	c_err *err = NULL;
	int fd = c_path_mkdir_p_in_root(rootfd, path, 0755, &err);
	int same = fd >= 0 && same_file(fd, want);

	if (fd < 0) {
		char *line = c_err_line(err);

		tap_diag("%s", line ? line : "(null)");
		free(line);
		c_err_free(&err);
	} else {
		close(fd);
	}
	return same;
}

static int mkdir_errno(const char *path)
{
	c_err *err = NULL;
	int fd = c_path_mkdir_p_in_root(rootfd, path, 0755, &err);
	int e = err ? err->errnum : 0;

	if (fd >= 0)
		close(fd);
	c_err_free(&err);
	return e;
}

static void test_mkdir_p(void)
{
	char rel[PATH_MAX];

	mode = "mkdir -p";
	build();
	ok(mkdir_is("a/b/c", "d/root/a/b/c"), "mkdir -p: a/b/c");
	ok(mkdir_is("a/b/c", "d/root/a/b/c"), "mkdir -p: again, it exists");
	ok(mkdir_is("dir/sub", "d/root/dir/sub"), "mkdir -p: an existing dir");
	ok(mkdir_is("/../../up/x/", "d/root/up/x"), "mkdir -p: '..' stops at the root");
	ok(!exists("up") && !exists("d/up"), "mkdir -p: nothing made above the root");
	ok(mkdir_is("dirlink/new", "d/root/dir/new"), "mkdir -p: through a symlink to a dir");
	ok(mkdir_is("dir/sub/toetc/x", "d/root/etc/x"),
	   "mkdir -p: through an absolute symlink deep down");
	ok(mkdir_is("outlink/p/q", "d/root/outside/p/q"),
	   "mkdir -p: a symlink to '../../../outside' creates inside");
	ok(!exists("outside/p"), "mkdir -p: T/outside/p was not made");
	snprintf(rel, sizeof rel, "d/root%s/m", at("outside"));
	ok(mkdir_is("hostabs/m", rel), "mkdir -p: a host-absolute symlink creates inside");
	ok(!exists("outside/m"), "mkdir -p: T/outside/m was not made");
	ok(mkdir_errno("file/x") == ENOTDIR, "mkdir -p: a file on the way is ENOTDIR");
	ok(mkdir_errno("loop1/x") == ELOOP, "mkdir -p: a loop is ELOOP");
	ok(mkdir_errno("") == ENOENT, "mkdir -p: empty path is ENOENT");
	ok(is_dir("d/root/a/b/c"), "mkdir -p: made on disk");
	teardown();
}

static const struct {
	const char *name, *clean, *joined; /* joined under "/r" */
} lexical[] = {
	{ "", ".", "/r" },
	{ "/", ".", "/r" },
	{ ".", ".", "/r" },
	{ "..", ".", "/r" },
	{ "../..", ".", "/r" },
	{ "a", "a", "/r/a" },
	{ "a/", "a", "/r/a" },
	{ "a//b/", "a/b", "/r/a/b" },
	{ "./a//b/", "a/b", "/r/a/b" },
	{ "//a///b//", "a/b", "/r/a/b" },
	{ "a/..", ".", "/r" },
	{ "a/../..", ".", "/r" },
	{ "a/../../b", "b", "/r/b" },
	{ "/a/b/../c", "a/c", "/r/a/c" },
	{ "a/./b/.", "a/b", "/r/a/b" },
	{ "a/b/../../../../c/d", "c/d", "/r/c/d" },
	{ "/../etc/passwd", "etc/passwd", "/r/etc/passwd" },
	{ "...", "...", "/r/..." },
	{ "..a/b..", "..a/b..", "/r/..a/b.." },
	{ "a/.../b", "a/.../b", "/r/a/.../b" },
	{ "a/b/c/../..", "a", "/r/a" },
};

static void test_lexical(void)
{
	static const struct {
		const char *root, *name, *joined;
	} roots[] = {
		{ "/", "a/b", "/a/b" },
		{ "/", "..", "/" },
		{ "//", "x", "/x" },
		{ "r/", "a", "r/a" },
		{ "r///", "", "r" },
		{ ".", "../a", "./a" },
	};
	c_err *err = NULL;
	char *out;
	size_t i;

	for (i = 0; i < sizeof lexical / sizeof *lexical; i++) {
		out = NULL;
		if (!ok(c_path_clean(lexical[i].name, &out, &err) == 0 &&
			strcmp(out, lexical[i].clean) == 0,
			"clean '%s' is '%s'", lexical[i].name, lexical[i].clean))
			tap_diag("got '%s'", out ? out : "(error)");
		free(out);
		out = NULL;
		if (!ok(c_path_join_under("/r", lexical[i].name, &out, &err) == 0 &&
			strcmp(out, lexical[i].joined) == 0,
			"join '/r' '%s' is '%s'", lexical[i].name, lexical[i].joined))
			tap_diag("got '%s'", out ? out : "(error)");
		free(out);
	}
	for (i = 0; i < sizeof roots / sizeof *roots; i++) {
		out = NULL;
		if (!ok(c_path_join_under(roots[i].root, roots[i].name, &out, &err) == 0 &&
			strcmp(out, roots[i].joined) == 0,
			"join '%s' '%s' is '%s'", roots[i].root, roots[i].name, roots[i].joined))
			tap_diag("got '%s'", out ? out : "(error)");
		free(out);
	}
	ok(c_path_join_under("", "a", &out, &err) < 0 && err && err->errnum == EINVAL,
	   "join under an empty root is refused");
	c_err_free(&err);
}

static void test_no_dotdot(void)
{
	static const char *refused[] = { "..", "../x", "a/..", "a/../b", "/a/b/../c/", "a//..//" };
	static const char *allowed[] = { "a", "/a/b/", "...", "..a", "a..", "a/.../b", ".", "" };
	c_err *err = NULL;
	char *line;
	size_t i;

	for (i = 0; i < sizeof refused / sizeof *refused; i++) {
		ok(c_path_check_no_dotdot(refused[i], &err) < 0 && err &&
		   err->status == C_EXIT_DATA && err->errnum == 0 &&
		   strstr(err->msg, refused[i]) && strstr(err->msg, "'..'"),
		   "no-dotdot refuses '%s'", refused[i]);
		c_err_free(&err);
	}
	for (i = 0; i < sizeof allowed / sizeof *allowed; i++) {
		ok(c_path_check_no_dotdot(allowed[i], &err) == 0 && !err,
		   "no-dotdot allows '%s'", allowed[i]);
		c_err_free(&err);
	}
	c_path_check_no_dotdot("usr/../../etc/shadow", &err);
	line = c_err_line(err);
	ok(line && strcmp(line, "refuse path: usr/../../etc/shadow: '..' components are not allowed") == 0,
	   "no-dotdot error line names the path and the rule");
	free(line);
	c_err_free(&err);
}

int main(void)
{
	umask(022);
	test_lexical();
	test_no_dotdot();
	suite("openat2", 0);
	suite("walk", 1);
	test_mkdir_p();
	return tap_done();
}
