/* logfile.h — a container's log, in the CRI ("k8s-file") format podman and
 * Kubernetes write:
 *
 *     2026-11-23T10:00:00.123456789Z stdout F a whole line
 *     2026-11-23T10:00:00.123456790Z stderr P a piece of a line
 *
 * one record per line: time, stream, F when the container's line ended
 * there (its newline is not kept) or P when it goes on in the next record
 * of the stream.  Written as the output arrives, so nothing waits for a
 * newline, and read back byte for byte.
 *
 * The size is capped: when a record would take the file over max_size it
 * is rotated (PATH → PATH.1 → … → PATH.N-1, the oldest dropped), keeping
 * at most max_files files.
 */
#ifndef C_LOGFILE_H
#define C_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum { C_LOG_STDOUT = 1, C_LOG_STDERR = 2 };

struct c_logfile;

/* Append to path (made 0600 when missing).  max_size <= 0: no cap. */
struct c_logfile *c_logfile_open(const char *path, long long max_size, int max_files,
				 c_err **err);
int c_logfile_write(struct c_logfile *log, int stream, const char *buf, size_t n,
		    c_err **err);
void c_logfile_close(struct c_logfile *log);

struct c_logfile_read_opts {
	long tail;       /* the last lines only; < 0: all */
	bool timestamps; /* each line prefixed with its time */
	/* follow: after the end, print what is added (across rotations) until
	 * alive(arg) says the writer is gone; NULL: stop at the end */
	bool (*alive)(void *arg);
	void *arg;
};

/* Print the log (its rotated files first): stdout records on fd 1, stderr
 * records on fd 2.  A missing log is an empty one. */
int c_logfile_print(const char *path, const struct c_logfile_read_opts *o, c_err **err);

#endif
