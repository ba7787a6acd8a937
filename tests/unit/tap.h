/* tap.h — a minimal TAP producer for the C unit tests of lib/.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines, skips as
 * "ok N - name # SKIP reason", and the plan "1..N" at the end; tests/run
 * counts them.  Exit status is 1 when anything failed.
 *
 * Also the helpers more than one test needs (checks in a forked child, temp
 * trees): here rather than in a header of their own, which the Makefile's
 * rule for the tests would have to list beside this one. */
#ifndef C_TAP_H
#define C_TAP_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdnoreturn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "file.h"

static int tap_count, tap_failed;

static inline int tap_ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		tap_failed++;
	fflush(stdout);
	return pass;
}

static inline void tap_skip(const char *name, const char *reason)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_count, name, reason);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Whether the error's line contains want (showing the line when not); the
 * error is consumed either way. */
static inline int tap_err_has(c_err **e, const char *want)
{
	char *line = *e ? c_err_line(*e) : NULL;
	int found = line && strstr(line, want);

	if (!found)
		tap_diag("got: %s", line ? line : "(no error)");
	free(line);
	c_err_free(e);
	return found;
}

/* The error's line into buf (cut to size), "" when there is none; the error
 * is consumed. */
static inline void tap_err_copy(char *buf, size_t size, c_err **e)
{
	char *line = *e ? c_err_line(*e) : NULL;

	snprintf(buf, size, "%s", line ? line : *e ? "?" : "");
	free(line);
	c_err_free(e);
}

/* Run fn(arg, report) in a forked child and bring the len bytes it leaves in
 * report back to the parent's report: for checks that change the process
 * for good (credentials, capabilities, limits, seccomp filters).  0, or -1
 * when the child could not be made or did not report in full. */
static inline int tap_in_child(void (*fn)(const void *arg, void *report), const void *arg,
			       void *report, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(arg, report);
		_exit(c_write_all(p[1], report, len) < 0 ? 1 : 0);
	}
	close(p[1]);
	/* A report larger than PIPE_BUF comes in pieces. */
	while (pid > 0 && got < len && (n = read(p[0], (char *)report + got, len - got)) != 0) {
		if (n > 0)
			got += n;
		else if (errno != EINTR)
			break;
	}
	close(p[0]);
	if (pid < 0 || waitpid(pid, NULL, 0) < 0)
		return -1;
	return got == len ? 0 : -1;
}

/* A test's set-up failed: say so in TAP and stop. */
static inline noreturn void tap_bail(const char *what, const char *obj)
{
	printf("Bail out! %s: %s: %s\n", what, obj, strerror(errno));
	exit(1);
}

/* Set-up: a file holding text (0644), a directory (0755); bail on failure. */
static inline void tap_put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		tap_bail("create", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		tap_bail("write", path);
	close(fd);
}

static inline void tap_mkdir(const char *path)
{
	if (mkdir(path, 0755) < 0)
		tap_bail("mkdir", path);
}

/* dir/rel, in one of 16 buffers so that a test can hold a few at once. */
static inline char *tap_at(const char *dir, const char *rel)
{
	static char buf[16][PATH_MAX];
	static int i;
	char *b = buf[i++ % 16];

	if (snprintf(b, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		tap_bail("path", rel);
	}
	return b;
}

/* Remove a test's temp tree; what stays is said, for the user to look at. */
static inline void tap_remove_tree(const char *dir)
{
	c_remove_tree(dir);
	if (access(dir, F_OK) == 0)
		tap_diag("could not remove %s", dir);
}

/* A growing buffer, NUL-terminated after what went in, and a writer into
 * it shaped like lib/'s sinks (gzip, tar streams). */
struct tap_buf {
	char *buf;
	size_t len, cap;
};

static inline int tap_buf_put(void *arg, const void *data, size_t len, c_err **err)
{
	struct tap_buf *b = arg;

	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len) * 2 + 1;
		b->buf = realloc(b->buf, b->cap);
		if (!b->buf)
			tap_bail("realloc", "tap_buf");
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#endif
