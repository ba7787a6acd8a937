/* err.h — the one error convention of c-tools.
 *
 * A function that can fail returns -1 (or NULL) and fills a `c_err **`
 * argument.  The error is made at the failure site, where the object is known
 * (a path, a reference, a digest, a JSON field) and errno is still fresh;
 * callers on the way up prepend what they were doing with c_err_wrap().
 * main() prints it as one line and exits with the error's status:
 *
 *     c-pull: pull busybox: write blob: /var/lib/c-tools/blobs/...: No space left on device
 *     ^prog   ^context      ^what       ^object                      ^reason (errno)
 *
 * Exit statuses (every program documents these in its man page, and may add
 * its own above 63; c-run keeps docker's 125/126/127 and the container's own):
 */
#ifndef C_ERR_H
#define C_ERR_H

#include <stdarg.h>
#include <stdnoreturn.h>

enum {
	C_EXIT_OK = 0,
	C_EXIT_FAIL = 1,     /* the operation failed: a system call, I/O, resources */
	C_EXIT_USAGE = 2,    /* bad command line */
	C_EXIT_DATA = 3,     /* bad input: malformed JSON, digest or reference, a
	                        digest mismatch, a refused archive entry */
	C_EXIT_NOTFOUND = 4, /* the named object does not exist */
	C_EXIT_AUTH = 5,     /* authentication required or refused */
	C_EXIT_NET = 6,      /* network or TLS failure */
};

typedef struct c_err {
	int errnum; /* errno at the failure site, 0 if the reason is not a system error */
	int status; /* C_EXIT_* */
	char *msg;  /* "context: what: object" (+ reason when errnum is 0) */
} c_err;

/* The program name used in messages; set once from main(). */
extern const char *c_progname;
void c_err_init(const char *argv0);

/* "what: object: strerror(errno)", status C_EXIT_FAIL (C_EXIT_NOTFOUND for
 * ENOENT).  Reads errno, so call it right after the failing call.  Returns -1. */
int c_err_sys(c_err **err, const char *what, const char *object);

/* A formatted message with an explicit status and errno (0 for none).
 * Returns -1. */
int c_err_new(c_err **err, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int c_err_newv(c_err **err, int status, int errnum, const char *fmt, va_list ap);

/* Prepend "context: " to an error made below.  Returns -1. */
int c_err_wrap(c_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The one line, without the program name and newline; caller frees. */
char *c_err_line(const c_err *err);

/* Print "prog: line" on stderr. */
void c_err_print(const c_err *err);

void c_err_free(c_err **err);

/* Print, free, and return the exit status: `return c_err_report(&err);` */
int c_err_report(c_err **err);

/* Print and exit with the error's status. */
noreturn void c_die(c_err **err);

/* "prog: message" and exit 2; for command-line mistakes. */
noreturn void c_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
