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

bool c_time_parse(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int off_h = 0, off_m = 0, n = 0;
	const char *p;
	char sign;

	if (sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &n) != 6)
		return false;
	p = s + n;
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	sign = *p;
	if ((sign == '+' || sign == '-') && sscanf(p + 1, "%d:%d", &off_h, &off_m) != 2)
		return false;
	else if (sign != '+' && sign != '-' && sign != 'Z' && sign != 'z')
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm) - (sign == '-' ? -1 : sign == '+' ? 1 : 0) * (off_h * 3600 + off_m * 60);
	return true;
}

void c_time_since(const char *rfc3339, char *out, size_t n)
{
	static const struct { long secs; const char *one, *unit; } units[] = {
		{ 365L * 86400, "About a year", "years" }, { 30L * 86400, "About a month", "months" },
		{ 7L * 86400, "About a week", "weeks" },   { 86400, "About a day", "days" },
		{ 3600, "About an hour", "hours" },       { 60, "About a minute", "minutes" },
	};
	time_t t;
	long ago;

	if (!rfc3339 || !c_time_parse(rfc3339, &t)) {
		snprintf(out, n, "?");
		return;
	}
	ago = (long)(time(NULL) - t);
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

void c_human_size(char *out, size_t n, int64_t bytes)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof units / sizeof *units) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%lldB", (long long)bytes);
	else
		snprintf(out, n, "%.3g%s", v, units[u]);
}
