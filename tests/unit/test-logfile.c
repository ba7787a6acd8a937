/* A container's log: CRI records written as output arrives, read back byte
 * for byte per stream, the cap and its rotation, --tail; and the times
 * ps prints. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "logfile.h"
#include "tap.h"
#include "timefmt.h"

static char dir[] = "/tmp/c-tools-logfile-XXXXXX";
static char out_path[256], err_path[256];

static char *at(const char *name)
{
	return tap_at(dir, name);
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	c_err *e = NULL;

	if (c_read_file(path, 1 << 20, &data, &len, &e) < 0) {
		c_err_free(&e);
		return strdup("");
	}
	return data;
}

/* c_logfile_print with fds 1 and 2 sent to files; *out and *errout are
 * what it printed on each. */
static int print_log(const char *path, const struct c_logfile_read_opts *o, char **out,
		     char **errout)
{
	int saved1 = dup(1), saved2 = dup(2), rc;
	int f1 = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int f2 = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	c_err *e = NULL;

	fflush(stdout);
	dup2(f1, 1);
	dup2(f2, 2);
	rc = c_logfile_print(path, o, &e);
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(saved1);
	close(saved2);
	close(f1);
	close(f2);
	if (rc < 0) {
		tap_diag("%s", e->msg);
		c_err_free(&e);
	}
	*out = slurp(out_path);
	*errout = slurp(err_path);
	return rc;
}

static void test_round_trip(void)
{
	struct c_logfile_read_opts all = { .tail = -1 }, stamped = { .tail = -1, .timestamps = true };
	char *path = at("rt.log"), *out, *errout, *file;
	c_err *e = NULL;
	struct c_logfile *log = c_logfile_open(path, 0, 1, &e);

	ok(log, "a log opens");
	if (!log)
		return;
	c_logfile_write(log, C_LOG_STDOUT, "one\ntw", 6, &e);
	c_logfile_write(log, C_LOG_STDERR, "err\n", 4, &e);
	c_logfile_write(log, C_LOG_STDOUT, "o\n\nend", 6, &e);
	c_logfile_close(log);
	ok(!e, "writes succeed");
	file = slurp(path);
	ok(strstr(file, "Z stdout F one\n") && strstr(file, "Z stdout P tw\n") &&
		   strstr(file, "Z stderr F err\n") && strstr(file, "Z stdout F \n") &&
		   strstr(file, "Z stdout P end\n"),
	   "records in the CRI format: F ends a line, P goes on");
	free(file);
	ok(print_log(path, &all, &out, &errout) == 0, "the log prints");
	ok(!strcmp(out, "one\ntwo\n\nend"), "stdout back byte for byte (got \"%s\")", out);
	ok(!strcmp(errout, "err\n"), "stderr back apart (got \"%s\")", errout);
	free(out);
	free(errout);
	print_log(path, &stamped, &out, &errout);
	ok(strlen(out) > 31 && out[4] == '-' && out[10] == 'T' && out[29] == 'Z' &&
		   out[30] == ' ' && !strncmp(out + 31, "one\n", 4) && !strstr(out, "Z o\n"),
	   "--timestamps: each line once, at its start (got \"%s\")", out);
	free(out);
	free(errout);
}

static void test_tail(void)
{
	char *path = at("tail.log"), *out, *errout;
	c_err *e = NULL;
	struct c_logfile *log = c_logfile_open(path, 0, 1, &e);
	struct c_logfile_read_opts o = { .tail = 2 };

	c_logfile_write(log, C_LOG_STDOUT, "1\n2\n3\n4\n", 8, &e);
	c_logfile_close(log);
	print_log(path, &o, &out, &errout);
	ok(!strcmp(out, "3\n4\n"), "--tail 2 (got \"%s\")", out);
	free(out);
	free(errout);
	o.tail = 10;
	print_log(path, &o, &out, &errout);
	ok(!strcmp(out, "1\n2\n3\n4\n"), "--tail beyond the start prints all (got \"%s\")", out);
	free(out);
	free(errout);
	log = c_logfile_open(path, 0, 1, &e);
	c_logfile_write(log, C_LOG_STDOUT, "fi", 2, &e);
	c_logfile_write(log, C_LOG_STDOUT, "ve", 2, &e);
	c_logfile_close(log);
	o.tail = 1;
	print_log(path, &o, &out, &errout);
	ok(!strcmp(out, "five"), "--tail 1 with an unfinished last line (got \"%s\")", out);
	free(out);
	free(errout);
	print_log(at("missing.log"), &o, &out, &errout);
	ok(!strcmp(out, ""), "a missing log is an empty one");
	free(out);
	free(errout);
}

static void test_rotation(void)
{
	char *path = at("rot.log"), *out, *errout, line[32], want[4096] = "";
	struct c_logfile_read_opts o = { .tail = -1 };
	struct stat st;
	c_err *e = NULL;
	struct c_logfile *log = c_logfile_open(path, 300, 3, &e);
	bool within = true;
	size_t wlen;

	for (int i = 0; i < 60; i++) {
		int n = snprintf(line, sizeof line, "line %d\n", i);

		c_logfile_write(log, C_LOG_STDOUT, line, (size_t)n, &e);
	}
	/* one write far over the cap is split across files, not one big file */
	{
		char big[2000];

		memset(big, 'x', sizeof big);
		for (size_t i = 49; i < sizeof big; i += 50)
			big[i] = '\n';
		c_logfile_write(log, C_LOG_STDOUT, big, sizeof big, &e);
	}
	c_logfile_close(log);
	ok(!e, "writes over the cap succeed");
	for (int i = 0; i < 3; i++) {
		char name[64];

		snprintf(name, sizeof name, i ? "rot.log.%d" : "rot.log", i);
		within = within && stat(at(name), &st) == 0 && st.st_size <= 300;
	}
	ok(within, "three files, none over the cap");
	ok(stat(at("rot.log.3"), &st) < 0, "no fourth file");
	print_log(path, &o, &out, &errout);
	for (int i = 0; i < 40; i++)
		strcat(want, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	wlen = strlen(out);
	ok(wlen > 0 && wlen <= strlen(want) && !strcmp(out, want + strlen(want) - wlen),
	   "what is kept is the newest lines, whole and in order (got %zu bytes: \"%.120s\")", wlen, out);
	free(out);
	free(errout);

	log = c_logfile_open(at("one.log"), 100, 1, &e);
	for (int i = 0; i < 20; i++)
		c_logfile_write(log, C_LOG_STDERR, "0123456789\n", 11, &e);
	c_logfile_close(log);
	ok(stat(at("one.log"), &st) == 0 && st.st_size <= 100 && stat(at("one.log.1"), &st) < 0,
	   "max-file 1: the file starts again at the cap");
}

static void test_time_since(void)
{
	struct timespec then;
	char stamp[C_RFC3339_MAX], out[64];

	clock_gettime(CLOCK_REALTIME, &then);
	then.tv_sec -= 90;
	c_time_rfc3339(&then, stamp);
	c_time_since(stamp, out, sizeof out);
	ok(!strcmp(out, "About a minute"), "90 s: About a minute (got \"%s\")", out);
	then.tv_sec -= 3 * 3600;
	c_time_rfc3339(&then, stamp);
	c_time_since(stamp, out, sizeof out);
	ok(!strcmp(out, "3 hours"), "3 h: 3 hours (got \"%s\")", out);
	then.tv_sec += 3 * 3600 + 90 - 5;
	c_time_rfc3339(&then, stamp);
	c_time_since(stamp, out, sizeof out);
	ok(!strcmp(out, "5 seconds"), "5 s (got \"%s\")", out);
	c_time_since("yesterday", out, sizeof out);
	ok(!strcmp(out, "?"), "an unreadable time");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(out_path, sizeof out_path, "%s/stdout", dir);
	snprintf(err_path, sizeof err_path, "%s/stderr", dir);
	test_round_trip();
	test_tail();
	test_rotation();
	test_time_since();
	tap_remove_tree(dir);
	return tap_done();
}
