/* The error convention: one line "prog: context: what: object: reason" and a
 * status that says what kind of failure it was. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "tap.h"

/* What c_err_print() wrote to stderr. */
static char *capture_print(const c_err *e)
{
	static char buf[512];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	if (!tmp || saved < 0)
		return NULL;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	c_err_print(e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof buf - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static void test_sys_error(void)
{
	c_err *e = NULL;
	char *line;
	int rc;

	errno = 0;
	rc = open("/nonexistent/c-tools-test", O_RDONLY | O_CLOEXEC);
	ok(rc < 0 && c_err_sys(&e, "open", "/nonexistent/c-tools-test") == -1,
	   "c_err_sys returns -1");
	ok(errno == ENOENT, "c_err_sys leaves errno as it found it");
	ok(e && e->errnum == ENOENT && e->status == C_EXIT_NOTFOUND,
	   "ENOENT is recorded with status not-found");
	line = c_err_line(e);
	ok(line && !strcmp(line, "open: /nonexistent/c-tools-test: No such file or directory"),
	   "line is what: object: reason (%s)", line);
	free(line);
	c_err_wrap(&e, "load %s", "config.json");
	line = c_err_line(e);
	ok(line && !strcmp(line, "load config.json: open: /nonexistent/c-tools-test: "
				 "No such file or directory"),
	   "context is prepended on the way up (%s)", line);
	free(line);
	ok(!strcmp(capture_print(e), "test-err: load config.json: open: "
				     "/nonexistent/c-tools-test: No such file or directory\n"),
	   "printed as one line with the program name");
	rc = c_err_report(&e);
	ok(rc == C_EXIT_NOTFOUND && e == NULL, "report returns the status and frees");
}

static void test_other_errors(void)
{
	c_err *e = NULL;
	char *line;

	errno = EACCES;
	c_err_sys(&e, "mkdir", "/x");
	ok(e->status == C_EXIT_FAIL && e->errnum == EACCES, "other errnos are failures");
	c_err_free(&e);
	ok(e == NULL, "free clears the pointer");

	c_err_new(&e, C_EXIT_DATA, 0, "digest mismatch: %s: got %s", "sha256:aa", "sha256:bb");
	line = c_err_line(e);
	ok(line && !strcmp(line, "digest mismatch: sha256:aa: got sha256:bb"),
	   "an error without errno carries its own reason");
	free(line);
	ok(e->status == C_EXIT_DATA, "explicit status is kept");
	c_err_free(&e);

	c_err_sys(&e, "sync", NULL);
	line = c_err_line(e);
	ok(line && !strncmp(line, "sync: ", 6), "an error without object (%s)", line);
	free(line);
	c_err_free(&e);

	ok(c_err_wrap(NULL, "x") == -1 && c_err_new(NULL, 1, 0, "y") == -1,
	   "a NULL error slot is tolerated");
}

static void test_exit_statuses(void)
{
	ok(C_EXIT_OK == 0 && C_EXIT_FAIL == 1 && C_EXIT_USAGE == 2 && C_EXIT_DATA == 3 &&
		   C_EXIT_NOTFOUND == 4 && C_EXIT_AUTH == 5 && C_EXIT_NET == 6,
	   "the documented exit statuses (man/c-tools.7) hold");
}

int main(int argc, char **argv)
{
	c_err_init(argv[0]);
	ok(!strcmp(c_progname, "test-err"), "program name is the basename of argv[0]");
	test_sys_error();
	test_other_errors();
	test_exit_statuses();
	return tap_done();
}
