/* lib/rlimit: names, process.rlimits and --ulimit parsed with the field or
 * argument named, and limits applied in forked children without
 * CAP_SYS_RESOURCE (dropped first, wherever the test runs): lowering shows
 * in getrlimit, raising above the hard limit fails naming the limit and both
 * values, clamped defaults always apply. */
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "caps.h"
#include "cleanup.h"
#include "json.h"
#include "rlimit.h"
#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define INF RLIM_INFINITY

/* ---- names ---------------------------------------------------------------- */

#define R(c) #c, c
static const struct {
	const char *name;
	int resource;
} all_limits[] = {
	{ R(RLIMIT_CPU) },	{ R(RLIMIT_FSIZE) }, { R(RLIMIT_DATA) },   { R(RLIMIT_STACK) },
	{ R(RLIMIT_CORE) },	{ R(RLIMIT_RSS) },   { R(RLIMIT_NPROC) },  { R(RLIMIT_NOFILE) },
	{ R(RLIMIT_MEMLOCK) },	{ R(RLIMIT_AS) },    { R(RLIMIT_LOCKS) },  { R(RLIMIT_SIGPENDING) },
	{ R(RLIMIT_MSGQUEUE) }, { R(RLIMIT_NICE) },  { R(RLIMIT_RTPRIO) }, { R(RLIMIT_RTTIME) },
};

static void test_names(void)
{
	bool all = true;

	for (size_t i = 0; i < ARRAY_SIZE(all_limits); i++) {
		const char *n = c_rlimit_name(all_limits[i].resource);

		if (!n || strcmp(n, all_limits[i].name) ||
		    c_rlimit_from_name(all_limits[i].name) != all_limits[i].resource) {
			tap_diag("%s: got %s", all_limits[i].name, n ? n : "NULL");
			all = false;
		}
	}
	ok(all && ARRAY_SIZE(all_limits) == RLIMIT_NLIMITS,
	   "names: all %d limits of <sys/resource.h> map both ways", RLIMIT_NLIMITS);
	ok(c_rlimit_from_name("nofile") < 0 && c_rlimit_from_name("rlimit_nofile") < 0 &&
		   c_rlimit_from_name("RLIMIT_FOO") < 0 && c_rlimit_name(RLIMIT_NLIMITS) == NULL,
	   "names: the spec's names are exact; unknown ones are none");
}

/* ---- process.rlimits ----------------------------------------------------------- */

static int parse(const char *process, struct c_rlimit **out, size_t *n, c_err **e)
{
	_cleanup_json_ json_t *p = json_loads(process, 0, NULL);

	if (!p) {
		printf("Bail out! bad test JSON: %s\n", process);
		exit(1);
	}
	return c_rlimits_parse(p, out, n, e);
}

static void test_parse(void)
{
	struct c_rlimit *l = NULL;
	size_t n = 9;
	c_err *e = NULL;
	int r;

	r = parse("{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":2048,\"soft\":1024},"
		  "{\"soft\":0,\"type\":\"RLIMIT_CORE\",\"hard\":-1},"
		  "{\"type\":\"RLIMIT_STACK\",\"hard\":9223372036854775807,\"soft\":8388608}]}",
		  &l, &n, &e);
	ok(r == 0 && n == 3 && l[0].resource == RLIMIT_NOFILE && l[0].soft == 1024 &&
		   l[0].hard == 2048 && l[1].resource == RLIMIT_CORE && l[1].soft == 0 &&
		   l[1].hard == INF && l[2].resource == RLIMIT_STACK && l[2].soft == 8388608 &&
		   l[2].hard == 9223372036854775807ULL,
	   "parse: three limits, -1 is unlimited");
	if (r)
		tap_err_has(&e, "(success)");

	_cleanup_json_ json_t *j = r ? NULL : c_rlimits_to_json(l, n);
	_cleanup_free_ char *dump = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	ok(dump && !strcmp(dump, "[{\"type\":\"RLIMIT_NOFILE\",\"hard\":2048,\"soft\":1024},"
				 "{\"type\":\"RLIMIT_CORE\",\"hard\":-1,\"soft\":0},"
				 "{\"type\":\"RLIMIT_STACK\",\"hard\":9223372036854775807,"
				 "\"soft\":8388608}]"),
	   "to_json: written back in the spec's form, unlimited as -1 (%s)", dump ? dump : "-");
	free(l);

	r = parse("{\"args\":[]}", &l, &n, &e);
	ok(r == 0 && !l && n == 0, "parse: no rlimits");
	r = parse("{\"rlimits\":[]}", &l, &n, &e);
	ok(r == 0 && !l && n == 0, "parse: empty rlimits");

	static const struct {
		const char *doc, *error;
	} bad[] = {
		{ "{\"rlimits\":[{\"hard\":1,\"soft\":1}]}",
		  "field process.rlimits[0].type: missing" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":1,\"soft\":1},"
		  "{\"type\":\"RLIMIT_FOO\",\"hard\":1,\"soft\":1}]}",
		  "field process.rlimits[1].type: unknown limit \"RLIMIT_FOO\"" },
		{ "{\"rlimits\":[{\"type\":\"nofile\",\"hard\":1,\"soft\":1}]}",
		  "field process.rlimits[0].type: unknown limit \"nofile\"" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":\"1\",\"soft\":1}]}",
		  "field process.rlimits[0].hard: expected integer, got string" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1}]}",
		  "field process.rlimits[0].soft: missing" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":2048}]}",
		  "field process.rlimits[0]: soft limit 2048 above hard limit 1024" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":-1}]}",
		  "field process.rlimits[0]: soft limit unlimited above hard limit 1024" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":-2,\"soft\":1}]}",
		  "field process.rlimits[0].hard: -2: expected a limit, or -1 for unlimited" },
		{ "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":1},"
		  "{\"type\":\"RLIMIT_CORE\",\"hard\":1,\"soft\":1},"
		  "{\"type\":\"RLIMIT_NOFILE\",\"hard\":2,\"soft\":2}]}",
		  "field process.rlimits[2].type: RLIMIT_NOFILE given twice (also at [0])" },
		{ "{\"rlimits\":[\"RLIMIT_NOFILE\"]}",
		  "field process.rlimits[0]: expected object, got string" },
		{ "{\"rlimits\":{}}", "field process.rlimits: expected array, got object" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		l = NULL;
		r = parse(bad[i].doc, &l, &n, &e);
		ok(r < 0 && !l && e && e->status == C_EXIT_DATA && tap_err_has(&e, bad[i].error),
		   "parse error: %s", bad[i].error);
		c_err_free(&e);
	}
}

/* ---- --ulimit ------------------------------------------------------------------ */

static void test_ulimit(void)
{
	static const struct {
		const char *arg;
		int resource;
		rlim_t soft, hard;
	} good[] = {
		{ "nofile=1024", RLIMIT_NOFILE, 1024, 1024 },
		{ "nofile=1024:2048", RLIMIT_NOFILE, 1024, 2048 },
		{ "NProc=10:20", RLIMIT_NPROC, 10, 20 },
		{ "core=unlimited", RLIMIT_CORE, INF, INF },
		{ "core=-1", RLIMIT_CORE, INF, INF },
		{ "core=0:unlimited", RLIMIT_CORE, 0, INF },
		{ "memlock=-1:-1", RLIMIT_MEMLOCK, INF, INF },
		{ "stack=8388608:unlimited", RLIMIT_STACK, 8388608, INF },
		{ "rttime=0", RLIMIT_RTTIME, 0, 0 },
		{ "as=1:2", RLIMIT_AS, 1, 2 },
		{ "msgqueue=18446744073709551614", RLIMIT_MSGQUEUE, 18446744073709551614ULL,
		  18446744073709551614ULL },
	};
	static const struct {
		const char *arg, *error;
	} bad[] = {
		{ "nofile", "--ulimit \"nofile\": expected NAME=SOFT[:HARD]" },
		{ "=5", "--ulimit \"=5\": expected NAME=SOFT[:HARD]" },
		{ "bogus=1", "--ulimit \"bogus=1\": unknown limit \"bogus\"" },
		{ "RLIMIT_NOFILE=1", "unknown limit \"RLIMIT_NOFILE\"" },
		{ "nofile=", "--ulimit \"nofile=\": \"\": expected a number, \"unlimited\" or -1" },
		{ "nofile=abc", "\"abc\": expected a number" },
		{ "nofile=1:", "\"\": expected a number" },
		{ "nofile=-2", "\"-2\": expected a number" },
		{ "nofile=+5", "\"+5\": expected a number" },
		{ "nofile= 5", "\" 5\": expected a number" },
		{ "nofile=5k", "\"5k\": expected a number" },
		{ "nofile=99999999999999999999", "\"99999999999999999999\": expected a number" },
		{ "nofile=18446744073709551615", "\"18446744073709551615\": expected a number" },
		{ "nofile=1:2:3",
		  "--ulimit \"nofile=1:2:3\": expected NAME=SOFT[:HARD], got more" },
		{ "nofile=2048:1024",
		  "--ulimit \"nofile=2048:1024\": soft limit 2048 above hard limit 1024" },
		{ "nofile=unlimited:1024", "soft limit unlimited above hard limit 1024" },
	};
	struct c_rlimit l;
	c_err *e = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		l = (struct c_rlimit){ -1, 0, 0 };
		r = c_rlimit_parse_ulimit(good[i].arg, &l, &e);
		ok(r == 0 && l.resource == good[i].resource && l.soft == good[i].soft &&
			   l.hard == good[i].hard,
		   "--ulimit %s", good[i].arg);
		if (r)
			tap_err_has(&e, "(success)");
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = c_rlimit_parse_ulimit(bad[i].arg, &l, &e);
		ok(r < 0 && e && e->status == C_EXIT_USAGE && tap_err_has(&e, bad[i].error),
		   "--ulimit %s: %s", bad[i].arg, bad[i].error);
		c_err_free(&e);
	}
}

/* ---- applying -------------------------------------------------------------------- */

struct seen {
	int rc;
	char err[512];
	struct rlimit nofile, core, nproc;
};

static int drop_sys_resource(c_err **e)
{
	struct c_caps now;

	if (c_caps_current(&now, e) < 0)
		return -1;
	now.effective &= ~C_CAP_BIT(CAP_SYS_RESOURCE);
	return c_caps_apply_sets(&now, e);
}

struct limits {
	const struct c_rlimit *l;
	size_t n;
};

static void apply(const void *arg, void *report)
{
	const struct limits *limits = arg;
	struct seen *s = report;
	c_err *e = NULL;

	s->rc = drop_sys_resource(&e) < 0 ? -2 : c_rlimits_apply(limits->l, limits->n, &e);
	tap_err_copy(s->err, sizeof s->err, &e);
	getrlimit(RLIMIT_NOFILE, &s->nofile);
	getrlimit(RLIMIT_CORE, &s->core);
	getrlimit(RLIMIT_NPROC, &s->nproc);
}

static struct seen apply_in_child(const struct c_rlimit *limits, size_t n)
{
	struct seen s = { 0 };

	if (tap_in_child(apply, &(struct limits){ limits, n }, &s, sizeof s) < 0)
		s.rc = -2;
	return s;
}

static void test_apply(void)
{
	struct rlimit nofile, core, nproc;
	struct seen s;
	char want[256];
	c_err *e = NULL;

	getrlimit(RLIMIT_NOFILE, &nofile);
	getrlimit(RLIMIT_CORE, &core);
	getrlimit(RLIMIT_NPROC, &nproc);
	if (nofile.rlim_max < 64 || nofile.rlim_max == INF || core.rlim_max < 2) {
		tap_skip("applying limits", "RLIMIT_NOFILE or RLIMIT_CORE too small here");
		return;
	}

	const struct c_rlimit lower[] = {
		{ RLIMIT_NOFILE, 32, nofile.rlim_max - 1 },
		{ RLIMIT_CORE, 0, 1 },
	};
	s = apply_in_child(lower, 2);
	ok(s.rc == 0 && s.nofile.rlim_cur == 32 && s.nofile.rlim_max == nofile.rlim_max - 1 &&
		   s.core.rlim_cur == 0 && s.core.rlim_max == 1,
	   "lowering RLIMIT_NOFILE and RLIMIT_CORE: getrlimit shows both (%s)", s.err);

	const struct c_rlimit above[] = {
		{ RLIMIT_CORE, 0, 0 },
		{ RLIMIT_NOFILE, nofile.rlim_max + 1, nofile.rlim_max + 1 },
		{ RLIMIT_NPROC, 1, 1 },
	};
	s = apply_in_child(above, 3);
	snprintf(want, sizeof want,
		 "setrlimit RLIMIT_NOFILE %llu:%llu (hard limit here %llu): Operation not "
		 "permitted",
		 (unsigned long long)nofile.rlim_max + 1, (unsigned long long)nofile.rlim_max + 1,
		 (unsigned long long)nofile.rlim_max);
	ok(s.rc == -1 && !strcmp(s.err, want), "above the hard limit: \"%s\" (got \"%s\")", want,
	   s.err);
	ok(s.core.rlim_max == 0 && s.nofile.rlim_max == nofile.rlim_max &&
		   s.nproc.rlim_max == nproc.rlim_max,
	   "applied in order up to the failing one, nothing after it");

	const struct c_rlimit docker_nofile = { RLIMIT_NOFILE, 1048576, 1048576 };
	struct c_rlimit clamped = docker_nofile;

	ok(c_rlimit_clamp(&clamped, &e) == 0 &&
		   clamped.hard == (nofile.rlim_max < 1048576 ? nofile.rlim_max : 1048576) &&
		   clamped.soft == clamped.hard,
	   "clamp: docker's 1048576:1048576 becomes %llu:%llu here",
	   (unsigned long long)clamped.soft, (unsigned long long)clamped.hard);
	c_err_free(&e);
	s = apply_in_child(&clamped, 1);
	ok(s.rc == 0 && s.nofile.rlim_cur == clamped.soft && s.nofile.rlim_max == clamped.hard,
	   "the clamped limit applies without CAP_SYS_RESOURCE (%s)", s.err);

	struct c_rlimit small = { RLIMIT_NOFILE, 10, 20 }, soft_above = { RLIMIT_NOFILE, INF, INF };

	ok(c_rlimit_clamp(&small, &e) == 0 && small.soft == 10 && small.hard == 20,
	   "clamp: a limit under the hard limit is kept");
	ok(c_rlimit_clamp(&soft_above, &e) == 0 && soft_above.hard == nofile.rlim_max &&
		   soft_above.soft == nofile.rlim_max,
	   "clamp: unlimited becomes the hard limit, soft too");
	c_err_free(&e);
}

int main(void)
{
	test_names();
	test_parse();
	test_ulimit();
	test_apply();
	return tap_done();
}
