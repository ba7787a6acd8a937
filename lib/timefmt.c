#include "timefmt.h"

#include <stdio.h>
#include <string.h>

void c_time_rfc3339(const struct timespec *ts, char out[C_RFC3339_MAX])
{
	struct timespec now;
	struct tm tm;
	char date[32];

	if (!ts) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	gmtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, C_RFC3339_MAX, "%.20s.%09ldZ", date, ts->tv_nsec % 1000000000L);
}

void c_time_since(const char *rfc3339, char *out, size_t n)
{
	static const struct { long secs; const char *one, *unit; } units[] = {
		{ 365L * 86400, "About a year", "years" }, { 30L * 86400, "About a month", "months" },
		{ 7L * 86400, "About a week", "weeks" },   { 86400, "About a day", "days" },
		{ 3600, "About an hour", "hours" },       { 60, "About a minute", "minutes" },
	};
	struct tm tm = { 0 };
	const char *rest = rfc3339 ? strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long ago;

	if (!rest) {
		snprintf(out, n, "?");
		return;
	}
	ago = (long)(time(NULL) - timegm(&tm));
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (ago < units[i].secs)
			continue;
		if (ago < 2 * units[i].secs)
			snprintf(out, n, "%s", units[i].one);
		else
			snprintf(out, n, "%ld %s", ago / units[i].secs, units[i].unit);
		return;
	}
	if (ago < 1)
		snprintf(out, n, "Less than a second");
	else
		snprintf(out, n, "%ld second%s", ago, ago == 1 ? "" : "s");
}
