#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *c_progname = "c-tools";

/* Returned when there is no memory to describe the error itself. */
static c_err oom_err = { ENOMEM, C_EXIT_FAIL, (char *)"out of memory" };

void c_err_init(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	c_progname = slash ? slash + 1 : argv0;
}

int c_err_newv(c_err **err, int status, int errnum, const char *fmt, va_list ap)
{
	c_err *e;

	if (!err)
		return -1;
	e = malloc(sizeof *e);
	if (!e) {
		*err = &oom_err;
		return -1;
	}
	if (vasprintf(&e->msg, fmt, ap) < 0) {
		free(e);
		*err = &oom_err;
		return -1;
	}
	e->errnum = errnum;
	e->status = status;
	*err = e;
	return -1;
}

int c_err_new(c_err **err, int status, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	c_err_newv(err, status, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int c_err_sys(c_err **err, const char *what, const char *object)
{
	int saved = errno;
	int status = saved == ENOENT ? C_EXIT_NOTFOUND : C_EXIT_FAIL;

	if (object)
		c_err_new(err, status, saved, "%s: %s", what, object);
	else
		c_err_new(err, status, saved, "%s", what);
	errno = saved;
	return -1;
}

int c_err_wrap(c_err **err, const char *fmt, ...)
{
	char *ctx, *msg;
	va_list ap;

	if (!err || !*err || *err == &oom_err)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0) {
		va_end(ap);
		return -1; /* keep the inner message rather than lose it */
	}
	va_end(ap);
	if (asprintf(&msg, "%s: %s", ctx, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(ctx);
	return -1;
}

char *c_err_line(const c_err *err)
{
	char *line;

	if (!err)
		return strdup("unknown error");
	if (err->errnum) {
		if (asprintf(&line, "%s: %s", err->msg, strerror(err->errnum)) < 0)
			return NULL;
		return line;
	}
	return strdup(err->msg);
}

void c_err_print(const c_err *err)
{
	char *line = c_err_line(err);

	fprintf(stderr, "%s: %s\n", c_progname, line ? line : err->msg);
	free(line);
}

void c_err_free(c_err **err)
{
	if (!err || !*err)
		return;
	if (*err != &oom_err) {
		free((*err)->msg);
		free(*err);
	}
	*err = NULL;
}

int c_err_report(c_err **err)
{
	int status = C_EXIT_FAIL;

	if (err && *err) {
		status = (*err)->status;
		c_err_print(*err);
		c_err_free(err);
	}
	return status;
}

noreturn void c_die(c_err **err)
{
	exit(c_err_report(err));
}

noreturn void c_die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s --help')\n", c_progname);
	exit(C_EXIT_USAGE);
}
