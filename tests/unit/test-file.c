/* Whole-file reads with a cap, and atomic replacement. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "tap.h"

static char dir[] = "/tmp/c-tools-file-XXXXXX";

static char *at(const char *name)
{
	return tap_at(dir, name);
}

static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_read(void)
{
	c_err *e = NULL;
	char *buf = NULL, *line;
	size_t len = 99;

	ok(c_write_file_atomic(at("empty"), "", 0, 0644, &e) == 0, "write an empty file");
	ok(c_read_file(at("empty"), 10, &buf, &len, &e) == 0 && len == 0 && buf && !buf[0],
	   "read an empty file: empty NUL-terminated buffer");
	free(buf);

	ok(c_write_file_atomic(at("ten"), "0123456789", 10, 0644, &e) == 0, "write 10 bytes");
	ok(c_read_file(at("ten"), 10, &buf, &len, &e) == 0 && len == 10 &&
		   !strcmp(buf, "0123456789"),
	   "a file of exactly the cap is read");
	free(buf);
	buf = NULL;
	ok(c_read_file(at("ten"), 9, &buf, &len, &e) < 0 && !buf, "one byte over the cap is refused");
	line = c_err_line(e);
	ok(e->status == C_EXIT_DATA && strstr(line, at("ten")) && strstr(line, "larger than 9"),
	   "and the error names the file and the cap (%s)", line);
	free(line);
	c_err_free(&e);

	ok(c_read_file(at("missing"), 10, &buf, &len, &e) < 0 && e->status == C_EXIT_NOTFOUND,
	   "a missing file is not-found");
	c_err_free(&e);
}

static void test_atomic_replace(void)
{
	c_err *e = NULL;
	struct stat st;
	char *buf = NULL;

	ok(c_write_file_atomic(at("f"), "old", 3, 0600, &e) == 0, "create");
	ok(c_write_file_atomic(at("f"), "new content", 11, 0640, &e) == 0, "replace");
	ok(c_read_file(at("f"), 100, &buf, NULL, &e) == 0 && !strcmp(buf, "new content"),
	   "replaced content");
	free(buf);
	ok(stat(at("f"), &st) == 0 && (st.st_mode & 07777) == 0640, "mode as asked, umask aside");
	ok(count_entries() == 3, "no temp file left behind");

	ok(c_write_file_atomic(at("nodir/f"), "x", 1, 0644, &e) < 0 && e->errnum == ENOENT,
	   "writing into a missing directory fails");
	c_err_free(&e);
	ok(count_entries() == 3, "and leaves nothing");

	/* A symlink at the target is replaced, never written through. */
	ok(symlink(at("ten"), at("link")) == 0 &&
		   c_write_file_atomic(at("link"), "via", 3, 0644, &e) == 0 &&
		   lstat(at("link"), &st) == 0 && S_ISREG(st.st_mode),
	   "a symlink target is replaced by a file");
	ok(c_read_file(at("ten"), 100, &buf, NULL, &e) == 0 && !strcmp(buf, "0123456789"),
	   "and the symlink's target is untouched");
	free(buf);
}

/* Without the fsyncs, the same replacement as seen by readers. */
static void test_volatile_replace(void)
{
	c_err *e = NULL;
	struct stat st;
	char *buf = NULL;
	int before = count_entries();

	ok(c_write_file_volatile(at("v"), "old", 3, 0600, &e) == 0 &&
		   c_write_file_volatile(at("v"), "newer", 5, 0640, &e) == 0,
	   "volatile: create, then replace");
	ok(c_read_file(at("v"), 100, &buf, NULL, &e) == 0 && !strcmp(buf, "newer"),
	   "volatile: the new content");
	free(buf);
	ok(stat(at("v"), &st) == 0 && (st.st_mode & 07777) == 0640 && count_entries() == before + 1,
	   "volatile: mode as asked, no temp file left");
	ok(c_write_file_volatile(at("nodir/v"), "x", 1, 0644, &e) < 0 && e->errnum == ENOENT &&
		   count_entries() == before + 1,
	   "volatile: a missing directory fails and leaves nothing");
	c_err_free(&e);
}

/* A reader racing a writer sees the old content or the new, never a mix. */
static void test_no_torn_reads(void)
{
	enum { SIZE = 256 * 1024 };
	char *a = malloc(SIZE), *b = malloc(SIZE), *buf;
	c_err *e = NULL;
	int torn = 0, reads = 0;
	pid_t pid;

	memset(a, 'a', SIZE);
	memset(b, 'b', SIZE);
	c_write_file_atomic(at("race"), a, SIZE, 0644, &e);
	pid = fork();
	if (pid == 0) {
		for (int i = 0;; i++)
			if (c_write_file_atomic(at("race"), i & 1 ? a : b, SIZE, 0644, &e) < 0)
				_exit(1);
	}
	for (int i = 0; i < 300; i++) {
		size_t len;

		if (c_read_file(at("race"), SIZE, &buf, &len, &e) < 0) {
			torn++;
			c_err_free(&e);
			continue;
		}
		reads++;
		if (len != SIZE || (memcmp(buf, a, SIZE) && memcmp(buf, b, SIZE)))
			torn++;
		free(buf);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(torn == 0 && reads == 300, "300 reads during rewrites: none torn");
	free(a);
	free(b);
}

static void test_temp_commit(void)
{
	c_err *e = NULL;
	char *tmp = NULL, *buf = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = c_open_temp_at(dfd, "blob", 0644, &tmp, &e);

	ok(fd >= 0 && tmp && tmp[0] == '.' && strstr(tmp, "blob"), "temp file is hidden (%s)", tmp);
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "temp fd is close-on-exec");
	ok(write(fd, "streamed", 8) == 8 && c_commit_temp_at(dfd, fd, tmp, "blob", &e) == 0,
	   "commit renames into place");
	ok(c_read_file_at(dfd, "blob", 100, &buf, NULL, &e) == 0 && !strcmp(buf, "streamed"),
	   "committed content");
	ok(faccessat(dfd, tmp, F_OK, 0) < 0, "temp name is gone");
	free(buf);
	free(tmp);
	close(dfd);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_mkdir_p(void)
{
	char line[512];
	mode_t mask = umask(077);
	c_err *e = NULL;

	ok(c_mkdir_p(at("a/b/c"), 0751, &e) == 0 && mode_of(at("a")) == 0700 &&
		   mode_of(at("a/b")) == 0700 && mode_of(at("a/b/c")) == 0751,
	   "mkdir -p: parents 0755 less the umask (077 here), the last as asked, whatever it");
	c_err_free(&e);
	ok(c_mkdir_p(at("a/b/c/"), 0711, &e) == 0 && mode_of(at("a/b/c")) == 0751,
	   "mkdir -p: an existing directory is fine, and keeps its mode");
	c_err_free(&e);
	tap_put(at("a/file"), "x");
	ok(c_mkdir_p(at("a/file/d"), 0700, &e) < 0 && e && e->errnum == ENOTDIR,
	   "mkdir -p: a file in the way is ENOTDIR");
	tap_err_copy(line, sizeof line, &e);
	ok(strstr(line, "create directory: ") && strstr(line, "/a/file: Not a directory"),
	   "mkdir -p: the error names the path in the way (%s)", line);
	umask(mask);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_read();
	test_atomic_replace();
	test_volatile_replace();
	test_no_torn_reads();
	test_temp_commit();
	test_mkdir_p();
	tap_remove_tree(dir);
	return tap_done();
}
