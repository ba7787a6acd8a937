/* tap.h — a minimal TAP producer for the C unit tests of lib/.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines, skips as
 * "ok N - name # SKIP reason", and the plan "1..N" at the end; tests/run
 * counts them.  Exit status is 1 when anything failed. */
#ifndef C_TAP_H
#define C_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

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

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#endif
