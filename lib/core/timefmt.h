/* timefmt.h — times and sizes as containers' tools print them: RFC 3339
 * with nanoseconds in UTC (OCI state, logs), docker's "5 minutes" (ago),
 * and docker's sizes ("52.3MB"). */
#ifndef C_TIMEFMT_H
#define C_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Enough for "2006-01-02T15:04:05.999999999Z" and its NUL. */
#define C_RFC3339_MAX 40

/* ts (the current time when NULL) as 2006-01-02T15:04:05.123456789Z. */
void c_time_rfc3339(const struct timespec *ts, char out[C_RFC3339_MAX]);

/* An RFC 3339 time as image configs and states write it, fractions and
 * offsets included; false when it is not one. */
bool c_time_parse(const char *rfc3339, time_t *out);

/* How long ago an RFC 3339 time was, in docker's words ("About a
 * minute", "3 hours", "Less than a second"), for "Up …" and "… ago"; "?"
 * when it cannot be read. */
void c_time_since(const char *rfc3339, char *out, size_t n);

/* A size as docker prints it: decimal units, three significant digits
 * ("52.3MB", "289B"). */
void c_human_size(char *out, size_t n, int64_t bytes);

#endif
