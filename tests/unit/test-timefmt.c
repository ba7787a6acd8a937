/* test-timefmt.c — times and sizes as people read them (lib/timefmt.h). */
#include "tap.h"
#include "timefmt.h"

static void parse(void)
{
	time_t t = 0;

	ok(c_time_parse("2024-01-01T00:00:00Z", &t) && t == 1704067200, "parse: UTC with Z");
	ok(c_time_parse("2024-01-01T02:30:00.123456789+02:30", &t) && t == 1704067200,
	   "parse: fractions, and an offset taken off");
	ok(c_time_parse("2023-12-31T23:00:00-01:00", &t) && t == 1704067200,
	   "parse: a negative offset added");
	ok(!c_time_parse("2024-01-01 00:00:00", &t) && !c_time_parse("2024-01-01T00:00:00", &t) &&
		   !c_time_parse("yesterday", &t),
	   "parse: no T, no zone, or no date at all is not a time");
}

static const char *ago(long secs)
{
	static char out[64];
	char when[C_RFC3339_MAX];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec -= secs;
	c_time_rfc3339(&ts, when);
	c_time_since(when, out, sizeof out);
	return out;
}

static void since(void)
{
	char out[16];

	ok(!strcmp(ago(0), "Less than a second"), "since: now is less than a second (%s)", ago(0));
	ok(!strcmp(ago(30), "30 seconds"), "since: 30 seconds (%s)", ago(30));
	ok(!strcmp(ago(90), "About a minute"), "since: 90 s is about a minute (%s)", ago(90));
	ok(!strcmp(ago(3 * 3600 + 60), "3 hours"), "since: 3 hours (%s)", ago(3 * 3600 + 60));
	ok(!strcmp(ago(400L * 86400), "About a year"), "since: 400 days (%s)", ago(400L * 86400));
	c_time_since("garbage", out, sizeof out);
	ok(!strcmp(out, "?"), "since: an unreadable time is \"?\"");
}

static void sizes(void)
{
	char a[16], b[16], c[16];

	c_human_size(a, sizeof a, 289);
	c_human_size(b, sizeof b, 52300000);
	c_human_size(c, sizeof c, 1000);
	ok(!strcmp(a, "289B") && !strcmp(b, "52.3MB") && !strcmp(c, "1kB"),
	   "sizes: docker's decimal units, three digits (%s %s %s)", a, b, c);
}

int main(void)
{
	parse();
	since();
	sizes();
	return tap_done();
}
