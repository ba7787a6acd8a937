#include "rlimit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "json.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The OCI name is "RLIMIT_" + the docker name in upper case. */
static const struct {
	int resource;
	const char *oci, *docker;
} limits_table[] = {
	{ RLIMIT_CPU, "RLIMIT_CPU", "cpu" },
	{ RLIMIT_FSIZE, "RLIMIT_FSIZE", "fsize" },
	{ RLIMIT_DATA, "RLIMIT_DATA", "data" },
	{ RLIMIT_STACK, "RLIMIT_STACK", "stack" },
	{ RLIMIT_CORE, "RLIMIT_CORE", "core" },
	{ RLIMIT_RSS, "RLIMIT_RSS", "rss" },
	{ RLIMIT_NPROC, "RLIMIT_NPROC", "nproc" },
	{ RLIMIT_NOFILE, "RLIMIT_NOFILE", "nofile" },
	{ RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", "memlock" },
	{ RLIMIT_AS, "RLIMIT_AS", "as" },
	{ RLIMIT_LOCKS, "RLIMIT_LOCKS", "locks" },
	{ RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING", "sigpending" },
	{ RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", "msgqueue" },
	{ RLIMIT_NICE, "RLIMIT_NICE", "nice" },
	{ RLIMIT_RTPRIO, "RLIMIT_RTPRIO", "rtprio" },
	{ RLIMIT_RTTIME, "RLIMIT_RTTIME", "rttime" },
};

const char *c_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(limits_table); i++)
		if (limits_table[i].resource == resource)
			return limits_table[i].oci;
	return NULL;
}

int c_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(limits_table); i++)
		if (!strcmp(limits_table[i].oci, name))
			return limits_table[i].resource;
	return -1;
}

static int from_docker_name(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(limits_table); i++)
		if (strlen(limits_table[i].docker) == len &&
		    !strncasecmp(limits_table[i].docker, name, len))
			return limits_table[i].resource;
	return -1;
}

static const char *fmt_limit(rlim_t v, char buf[24])
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, 24, "%" PRIu64, (uint64_t)v);
	return buf;
}

/* -1 (our spelling of unlimited, see rlimit.h) or 0..2^63-1. */
static int json_limit(json_t *obj, const char *where, const char *key, rlim_t *out, c_err **err)
{
	json_t *v;
	long long n;

	if (c_json_get(obj, where, key, JSON_INTEGER, true, &v, err) < 0)
		return -1;
	n = json_integer_value(v);
	if (n < -1)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.%s: %lld: expected a limit, or -1 for unlimited", where,
				 key, n);
	*out = n == -1 ? RLIM_INFINITY : (rlim_t)n;
	return 0;
}

static int parse_one(json_t *item, const char *where, struct c_rlimit *out, c_err **err)
{
	char soft[24], hard[24];
	const char *type;

	if (c_json_get_string(item, where, "type", true, &type, err) < 0)
		return -1;
	out->resource = c_rlimit_from_name(type);
	if (out->resource < 0)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.type: unknown limit \"%s\"", where,
				 type);
	if (json_limit(item, where, "hard", &out->hard, err) < 0 ||
	    json_limit(item, where, "soft", &out->soft, err) < 0)
		return -1;
	if (out->soft > out->hard)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: soft limit %s above hard limit %s",
				 where, fmt_limit(out->soft, soft), fmt_limit(out->hard, hard));
	return 0;
}

int c_rlimits_parse(json_t *process, struct c_rlimit **out, size_t *n, c_err **err)
{
	_cleanup_free_ struct c_rlimit *limits = NULL;
	json_t *arr, *item;
	size_t i;

	*out = NULL;
	*n = 0;
	if (c_json_get(process, "process", "rlimits", JSON_ARRAY, false, &arr, err) < 0)
		return -1;
	if (!arr || !json_array_size(arr))
		return 0;
	limits = calloc(json_array_size(arr), sizeof *limits);
	if (!limits)
		return c_err_sys(err, "parse", "process.rlimits");
	json_array_foreach(arr, i, item)
	{
		char where[48];

		snprintf(where, sizeof where, "process.rlimits[%zu]", i);
		if (parse_one(item, where, &limits[i], err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (limits[j].resource == limits[i].resource)
				return c_err_new(err, C_EXIT_DATA, 0,
						 "field %s.type: %s given twice (also at [%zu])",
						 where, c_rlimit_name(limits[i].resource), j);
	}
	*out = c_steal_ptr(&limits);
	*n = json_array_size(arr);
	return 0;
}

static json_t *json_value(rlim_t v)
{
	return json_integer(v == RLIM_INFINITY ? -1 : (json_int_t)v);
}

json_t *c_rlimits_to_json(const struct c_rlimit *limits, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_pack("{s:s,s:o,s:o}", "type", c_rlimit_name(limits[i].resource),
				      "hard", json_value(limits[i].hard), "soft",
				      json_value(limits[i].soft));

		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* One value of --ulimit: a decimal, or "unlimited" or -1. */
static int ulimit_value(const char *arg, const char *s, size_t len, rlim_t *out, c_err **err)
{
	char buf[32], *end = buf;
	unsigned long long v = 0;

	if (len < sizeof buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (!strcmp(buf, "unlimited") || !strcmp(buf, "-1")) {
			*out = RLIM_INFINITY;
			return 0;
		}
		errno = 0;
		if (buf[0] >= '0' && buf[0] <= '9')
			v = strtoull(buf, &end, 10);
	}
	if (end == buf || *end || errno || v == RLIM_INFINITY)
		return c_err_new(
			err, C_EXIT_USAGE, 0,
			"--ulimit \"%s\": \"%.*s\": expected a number, \"unlimited\" or -1", arg,
			(int)len, s);
	*out = (rlim_t)v;
	return 0;
}

int c_rlimit_parse_ulimit(const char *arg, struct c_rlimit *out, c_err **err)
{
	const char *eq = strchr(arg, '='), *value, *colon;
	char soft[24], hard[24];

	if (!eq || eq == arg)
		return c_err_new(err, C_EXIT_USAGE, 0, "--ulimit \"%s\": expected NAME=SOFT[:HARD]",
				 arg);
	out->resource = from_docker_name(arg, (size_t)(eq - arg));
	if (out->resource < 0)
		return c_err_new(err, C_EXIT_USAGE, 0, "--ulimit \"%s\": unknown limit \"%.*s\"",
				 arg, (int)(eq - arg), arg);
	value = eq + 1;
	colon = strchr(value, ':');
	if (colon && strchr(colon + 1, ':'))
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--ulimit \"%s\": expected NAME=SOFT[:HARD], got more than two "
				 "values",
				 arg);
	if (ulimit_value(arg, value, colon ? (size_t)(colon - value) : strlen(value), &out->soft,
			 err) < 0)
		return -1;
	out->hard = out->soft;
	if (colon && ulimit_value(arg, colon + 1, strlen(colon + 1), &out->hard, err) < 0)
		return -1;
	if (out->soft > out->hard)
		return c_err_new(err, C_EXIT_USAGE, 0,
				 "--ulimit \"%s\": soft limit %s above hard limit %s", arg,
				 fmt_limit(out->soft, soft), fmt_limit(out->hard, hard));
	return 0;
}

static int apply_one(const struct c_rlimit *l, c_err **err)
{
	struct rlimit want = { l->soft, l->hard }, now;
	char soft[24], hard[24], here[24];
	int saved;

	if (!setrlimit(l->resource, &want))
		return 0;
	saved = errno;
	if (saved == EPERM && !getrlimit(l->resource, &now))
		return c_err_new(err, C_EXIT_FAIL, saved, "setrlimit %s %s:%s (hard limit here %s)",
				 c_rlimit_name(l->resource), fmt_limit(l->soft, soft),
				 fmt_limit(l->hard, hard), fmt_limit(now.rlim_max, here));
	return c_err_new(err, C_EXIT_FAIL, saved, "setrlimit %s %s:%s", c_rlimit_name(l->resource),
			 fmt_limit(l->soft, soft), fmt_limit(l->hard, hard));
}

int c_rlimits_apply(const struct c_rlimit *limits, size_t n, c_err **err)
{
	for (size_t i = 0; i < n; i++)
		if (apply_one(&limits[i], err) < 0)
			return -1;
	return 0;
}

int c_rlimit_clamp(struct c_rlimit *limit, c_err **err)
{
	struct rlimit now;

	if (getrlimit(limit->resource, &now) < 0)
		return c_err_sys(err, "getrlimit", c_rlimit_name(limit->resource));
	if (limit->hard > now.rlim_max)
		limit->hard = now.rlim_max;
	if (limit->soft > limit->hard)
		limit->soft = limit->hard;
	return 0;
}
