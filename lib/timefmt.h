/* timefmt.h — times as containers' tools print them: RFC 3339 with
 * nanoseconds in UTC (OCI state, logs), and docker's "5 minutes" (ago). */
#ifndef C_TIMEFMT_H
#define C_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* Enough for "2006-01-02T15:04:05.999999999Z" and its NUL. */
#define C_RFC3339_MAX 40

/* ts (the current time when NULL) as 2006-01-02T15:04:05.123456789Z. */
void c_time_rfc3339(const struct timespec *ts, char out[C_RFC3339_MAX]);

/* How long ago an RFC 3339 UTC time was, in docker's words ("About a
 * minute", "3 hours", "Less than a second"), for "Up …" and "… ago"; "?"
 * when it cannot be read. */
void c_time_since(const char *rfc3339, char *out, size_t n);

#endif
