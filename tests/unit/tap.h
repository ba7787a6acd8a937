/* tap.h — a minimal TAP producer for the C unit tests of lib/.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines, skips as
 * "ok N - name # SKIP reason", and the plan "1..N" at the end; tests/run
 * counts them.  Exit status is 1 when anything failed.
 *
 * Also the helpers more than one test needs (checks in a forked child, temp
 * trees).  Helpers for a few tests only have headers of their own beside
 * this one (tap-server.h: servers on 127.0.0.1); every test is rebuilt when
 * any of them changes. */
#ifndef C_TAP_H
#define C_TAP_H

#include <dirent.h>
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

/* The same, and whether the error's status is status (showing it when
 * not). */
static inline int tap_err_has_status(c_err **e, int status, const char *want)
{
	int st = *e ? (*e)->status : 0;

	if (st != status)
		tap_diag("status %d, not %d", st, status);
	return tap_err_has(e, want) && st == status;
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

/* A step under test run in a forked child, for checks that change the
 * process for good: its report (a struct of the caller's) starts with
 * TAP_STEP_REPORT, the step's return value and its error line, and the
 * caller's observe(report) then adds what the process sees of itself after
 * the step.  rc is -2 when the child did not report. */
#define TAP_STEP_REPORT                                                                            \
	int rc;	       /* of the step under test; -2: no report */                                 \
	char err[512] /* its error line */

struct tap_step_report {
	TAP_STEP_REPORT;
};

typedef int (*tap_step_fn)(const void *arg, c_err **e);

struct tap_step {
	tap_step_fn fn;
	const void *arg;
	void (*observe)(void *report);
};

static inline void tap_step_run(const void *arg, void *report)
{
	const struct tap_step *st = arg;
	struct tap_step_report *r = report;
	c_err *e = NULL;

	r->rc = st->fn(st->arg, &e);
	tap_err_copy(r->err, sizeof r->err, &e);
	st->observe(report);
}

static inline void tap_step_in_child(tap_step_fn fn, const void *arg,
				     void (*observe)(void *report), void *report, size_t len)
{
	memset(report, 0, len);
	if (tap_in_child(tap_step_run, &(struct tap_step){ fn, arg, observe }, report, len) < 0)
		((struct tap_step_report *)report)->rc = -2;
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

/* The names in dir but . and .., sorted, each followed by a space, into
 * buf: "a b " ("" for an empty dir); -1 when dir cannot be read. */
static inline int tap_ls(const char *dir, char *buf, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..") && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s ", names[i]->d_name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return n < 0 ? -1 : 0;
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
