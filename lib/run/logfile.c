#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "timefmt.h"

/* Rotated files are looked for up to this many. */
#define MAX_FILES 100

struct c_logfile {
	char *path;
	int fd;
	long long size, max_size;
	int max_files;
};

static const char *const stream_names[] = { [C_LOG_STDOUT] = "stdout",
					    [C_LOG_STDERR] = "stderr" };

static int open_append(struct c_logfile *log, c_err **err)
{
	struct stat st;

	log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log->fd < 0 || fstat(log->fd, &st) < 0)
		return c_err_sys(err, "open log", log->path);
	log->size = st.st_size;
	return 0;
}

struct c_logfile *c_logfile_open(const char *path, long long max_size, int max_files,
				 c_err **err)
{
	struct c_logfile *log = calloc(1, sizeof *log);

	if (!log || !(log->path = strdup(path))) {
		free(log);
		c_err_sys(err, "allocate", path);
		return NULL;
	}
	log->max_size = max_size;
	log->max_files = max_files < 1 ? 1 : max_files > MAX_FILES ? MAX_FILES : max_files;
	if (open_append(log, err) < 0) {
		c_logfile_close(log);
		return NULL;
	}
	return log;
}

void c_logfile_close(struct c_logfile *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
}

static int rotate(struct c_logfile *log, c_err **err)
{
	char from[PATH_MAX], to[PATH_MAX];

	close(log->fd);
	log->fd = -1;
	for (int i = log->max_files - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof from, "%s", log->path);
		else
			snprintf(from, sizeof from, "%s.%d", log->path, i - 1);
		snprintf(to, sizeof to, "%s.%d", log->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return c_err_sys(err, "rotate log", from);
	}
	/* one file only: the cap means starting again */
	if (log->max_files == 1 && unlink(log->path) < 0 && errno != ENOENT)
		return c_err_sys(err, "rotate log", log->path);
	return open_append(log, err);
}

/* Records go out in one write each run of them that fits under the cap,
 * so the cap holds however large a read of the container's output was. */
static int flush(struct c_logfile *log, const char *out, size_t len, c_err **err)
{
	if (len && c_write_all(log->fd, out, len) < 0)
		return c_err_sys(err, "write log", log->path);
	log->size += (long long)len;
	return 0;
}

int c_logfile_write(struct c_logfile *log, int stream, const char *buf, size_t n, c_err **err)
{
	char ts[C_RFC3339_MAX];
	size_t cap, len = 0, lines = 1;
	_cleanup_free_ char *out = NULL;

	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	cap = n + lines * (C_RFC3339_MAX + 12);
	out = malloc(cap);
	if (!out)
		return c_err_sys(err, "log", log->path);
	c_time_rfc3339(NULL, ts);
	for (const char *p = buf, *end = buf + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t seg = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char head[C_RFC3339_MAX + 12];
		size_t hlen = (size_t)snprintf(head, sizeof head, "%s %s %c ", ts,
					       stream_names[stream], nl ? 'F' : 'P');

		if (log->max_size > 0 && log->size + (long long)len > 0 &&
		    log->size + (long long)(len + hlen + seg + 1) > log->max_size) {
			if (flush(log, out, len, err) < 0 || rotate(log, err) < 0)
				return -1;
			len = 0;
		}
		memcpy(out + len, head, hlen);
		len += hlen;
		memcpy(out + len, p, seg);
		len += seg;
		out[len++] = '\n';
		p += seg + (nl != NULL);
	}
	return flush(log, out, len, err);
}

/* --- reading ---------------------------------------------------------------------------- */

struct printer {
	const struct c_logfile_read_opts *o;
	bool mid_line[3]; /* per stream: the last record was a P */
	c_err **err;
};

/* One record, "TS STREAM TAG CONTENT" without its newline; a line that is
 * not a record (a torn write) is skipped. */
static int print_record(struct printer *pr, const char *rec, size_t n)
{
	const char *s1 = memchr(rec, ' ', n), *s2, *content;
	int stream;
	bool whole;

	if (!s1 || !(s2 = memchr(s1 + 1, ' ', n - (size_t)(s1 + 1 - rec))) ||
	    (size_t)(s2 + 3 - rec) > n || s2[2] != ' ')
		return 0;
	if (!strncmp(s1 + 1, "stdout ", 7))
		stream = C_LOG_STDOUT;
	else if (!strncmp(s1 + 1, "stderr ", 7))
		stream = C_LOG_STDERR;
	else
		return 0;
	whole = s2[1] == 'F';
	content = s2 + 3;
	if (pr->o->timestamps && !pr->mid_line[stream] &&
	    (c_write_all(stream, rec, (size_t)(s1 - rec)) < 0 || c_write_all(stream, " ", 1) < 0))
		return c_err_sys(pr->err, "write", stream_names[stream]);
	if (c_write_all(stream, content, n - (size_t)(content - rec)) < 0 ||
	    (whole && c_write_all(stream, "\n", 1) < 0))
		return c_err_sys(pr->err, "write", stream_names[stream]);
	pr->mid_line[stream] = !whole;
	return 0;
}

/* The whole records of buf[0..n); returns how many bytes they took. */
static ssize_t print_records(struct printer *pr, const char *buf, size_t n)
{
	size_t done = 0;

	if (n == 0)
		return 0;
	for (const char *nl; (nl = memchr(buf + done, '\n', n - done)); done = (size_t)(nl + 1 - buf))
		if (print_record(pr, buf + done, (size_t)(nl - buf - done)) < 0)
			return -1;
	return (ssize_t)done;
}

/* Where the last `tail` lines of the whole records buf[0..n) begin: right
 * after the tail'th F record from the end, not counting a last record that
 * is an F (it ends the last line).  Streams are not told apart. */
static size_t tail_start(const char *buf, size_t n, long tail)
{
	long seen = 0;

	if (tail < 0)
		return 0;
	if (tail == 0)
		return n;
	for (size_t end = n; end > 0;) {
		size_t start = end - 1;
		const char *s1, *s2;

		while (start > 0 && buf[start - 1] != '\n')
			start--;
		s1 = memchr(buf + start, ' ', end - start);
		s2 = s1 ? memchr(s1 + 1, ' ', end - (size_t)(s1 + 1 - buf)) : NULL;
		if (s2 && s2 + 1 < buf + end && s2[1] == 'F' && end != n && ++seen == tail)
			return end;
		end = start;
	}
	return 0;
}

static int read_more(int fd, const char *path, char **buf, size_t *len, size_t *cap,
		     c_err **err)
{
	for (;;) {
		ssize_t n;

		if (*cap - *len < 65536) {
			char *grown = realloc(*buf, *cap * 2 + 65536);

			if (!grown)
				return c_err_sys(err, "read log", path);
			*buf = grown;
			*cap = *cap * 2 + 65536;
		}
		n = read(fd, *buf + *len, *cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return c_err_sys(err, "read log", path);
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
}

static int print_pending(struct printer *pr, char *buf, size_t *len)
{
	ssize_t used = print_records(pr, buf, *len);

	if (used <= 0)
		return (int)used;
	memmove(buf, buf + used, *len - (size_t)used);
	*len -= (size_t)used;
	return 0;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* After the end: what the writer adds, through rotations, while it lives. */
static int follow(struct printer *pr, const char *path, int *fd, char **buf, size_t *len,
		  size_t *cap)
{
	_cleanup_free_ char *dir_copy = strdup(path);
	_cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	c_err **err = pr->err;
	bool last = false;

	if (!dir_copy || in < 0 ||
	    inotify_add_watch(in, dirname(dir_copy), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
		return c_err_sys(err, "follow log", path);
	while (!last) {
		char events[4096];

		/* checked before the read, so what was written before the
		 * writer went is read after */
		last = !pr->o->alive(pr->o->arg);
		if (*fd >= 0 && (read_more(*fd, path, buf, len, cap, err) < 0 ||
				 print_pending(pr, *buf, len) < 0))
			return -1;
		if (*fd < 0 || !same_file(*fd, path)) {
			int next = open(path, O_RDONLY | O_CLOEXEC);

			if (next < 0 && errno != ENOENT)
				return c_err_sys(err, "open log", path);
			if (next >= 0) {
				if (*fd >= 0)
					close(*fd);
				*fd = next;
				last = false;
				continue;
			}
		}
		if (!last && poll(&(struct pollfd){ in, POLLIN, 0 }, 1, 200) > 0)
			while (read(in, events, sizeof events) > 0)
				;
	}
	return 0;
}

int c_logfile_print(const char *path, const struct c_logfile_read_opts *o, c_err **err)
{
	struct printer pr = { .o = o, .err = err };
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0, cap = 0, start, whole;
	int oldest = 0;
	char rotated[PATH_MAX];

	/* the current file first, so a rotation while the others are read
	 * loses nothing: it is read from this fd */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return c_err_sys(err, "open log", path);
	for (int i = 1; i < MAX_FILES; i++) {
		snprintf(rotated, sizeof rotated, "%s.%d", path, i);
		if (access(rotated, F_OK) < 0)
			break;
		oldest = i;
	}
	for (int i = oldest; i >= 1; i--) {
		_cleanup_close_ int rfd = -1;

		snprintf(rotated, sizeof rotated, "%s.%d", path, i);
		rfd = open(rotated, O_RDONLY | O_CLOEXEC);
		if (rfd < 0 && errno == ENOENT)
			continue;
		if (rfd < 0 || read_more(rfd, rotated, &buf, &len, &cap, err) < 0)
			return rfd < 0 ? c_err_sys(err, "open log", rotated) : -1;
	}
	if (fd >= 0 && read_more(fd, path, &buf, &len, &cap, err) < 0)
		return -1;
	/* a torn last record is kept for follow to complete */
	whole = len;
	while (whole > 0 && buf[whole - 1] != '\n')
		whole--;
	start = tail_start(buf, whole, o->tail);
	if (len && print_records(&pr, buf + start, whole - start) < 0)
		return -1;
	if (len)
		memmove(buf, buf + whole, len - whole);
	len -= whole;
	return o->alive ? follow(&pr, path, &fd, &buf, &len, &cap) : 0;
}
