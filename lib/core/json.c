#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of the n digits at s when it is above INT64_MAX and at most
 * UINT64_MAX; a leading zero, which JSON refuses, is left for jansson to
 * refuse. */
static bool above_int64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n < 19 || n > 20 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = s[i] - '0';

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return v > INT64_MAX;
}

/* jansson holds integers as int64_t and refuses larger ones, but Go writes
 * uint64 fields up to 2^64-1: runc and podman put 18446744073709551615
 * (RLIM_INFINITY) in process.rlimits.  *out is a copy of buf where each such
 * integer is its two's complement, as Go's int64(uint64) has it, padded with
 * spaces to keep the columns of errors (a 19-digit one grows by a byte);
 * NULL when there is none. */
static int wrap_uint64(const char *buf, size_t len, char **out, size_t *out_len)
{
	char *w = NULL;
	size_t i = 0, copied = 0, n = 0;

	*out = NULL;
	while (i < len) {
		size_t start;
		bool minus;
		uint64_t v;
		char neg[24];
		int k;

		if (buf[i] == '"') {
			for (i++; i < len && buf[i] != '"'; i++)
				i += buf[i] == '\\';
			i++;
			continue;
		}
		if (buf[i] != '-' && !is_digit(buf[i])) {
			i++;
			continue;
		}
		minus = buf[i] == '-';
		i += minus;
		start = i;
		while (i < len && is_digit(buf[i]))
			i++;
		if (i < len && (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E')) {
			while (i < len && (is_digit(buf[i]) || (buf[i] && strchr(".eE+-", buf[i]))))
				i++;
			continue;
		}
		if (minus || !above_int64(buf + start, i - start, &v))
			continue;
		if (!w) {
			/* each rewrite of at least 19 bytes adds at most one */
			w = malloc(len + len / 19 + 1);
			if (!w)
				return -1;
		}
		k = snprintf(neg, sizeof neg, "%" PRId64, (int64_t)v);
		memcpy(w + n, buf + copied, start - copied);
		n += start - copied;
		memcpy(w + n, neg, k);
		n += k;
		for (; (size_t)k < i - start; k++)
			w[n++] = ' ';
		copied = i;
	}
	if (w) {
		memcpy(w + n, buf + copied, len - copied);
		*out = w;
		*out_len = n + len - copied;
	}
	return 0;
}

json_t *c_json_parse(const char *buf, size_t len, const char *source, c_err **err)
{
	_cleanup_free_ char *wide = NULL;
	json_error_t jerr;
	json_t *v;

	if (wrap_uint64(buf, len, &wide, &len) < 0) {
		c_err_sys(err, "parse JSON", source);
		return NULL;
	}
	v = json_loadb(wide ? wide : buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		c_err_new(err, C_EXIT_DATA, 0, "parse JSON: %s: line %d column %d: %s", source,
			  jerr.line, jerr.column, jerr.text);
	return v;
}

json_t *c_json_load_file(const char *path, size_t max, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (c_read_file(path, max, &buf, &len, err) < 0)
		return NULL;
	return c_json_parse(buf, len, path, err);
}

const char *c_json_kind_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

const char *c_json_type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	return c_json_kind_name(json_typeof(v));
}

static bool has_type(const json_t *v, json_type want)
{
	if (want == JSON_TRUE || want == JSON_FALSE)
		return json_is_boolean(v);
	return json_typeof(v) == want;
}

int c_json_get(json_t *obj, const char *where, const char *key, json_type type,
	       bool required, json_t **out, c_err **err)
{
	const char *dot = where && *where ? "." : "";
	json_t *v;

	*out = NULL;
	if (!json_is_object(obj))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: expected object, got %s",
				 where && *where ? where : "(top)", c_json_type_name(obj));
	v = json_object_get(obj, key);
	if (!v) {
		if (!required)
			return 0;
		return c_err_new(err, C_EXIT_DATA, 0, "field %s%s%s: missing", where ? where : "",
				 dot, key);
	}
	if (!has_type(v, type))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s%s%s: expected %s, got %s",
				 where ? where : "", dot, key, c_json_kind_name(type),
				 c_json_type_name(v));
	*out = v;
	return 0;
}

json_t *c_json_present(const json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

int c_json_get_present(json_t *obj, const char *where, const char *key, json_type type,
		       json_t **out, c_err **err)
{
	*out = NULL;
	if (!obj || json_is_null(json_object_get(obj, key)))
		return 0;
	return c_json_get(obj, where, key, type, false, out, err);
}

int c_json_get_string(json_t *obj, const char *where, const char *key, bool required,
		      const char **out, c_err **err)
{
	json_t *v;

	if (c_json_get(obj, where, key, JSON_STRING, required, &v, err) < 0)
		return -1;
	if (v)
		*out = json_string_value(v);
	return 0;
}

int c_json_get_int(json_t *obj, const char *where, const char *key, bool required,
		   long long *out, c_err **err)
{
	json_t *v;

	if (c_json_get(obj, where, key, JSON_INTEGER, required, &v, err) < 0)
		return -1;
	if (v)
		*out = json_integer_value(v);
	return 0;
}

int c_json_get_bool(json_t *obj, const char *where, const char *key, bool required,
		    bool *out, c_err **err)
{
	json_t *v;

	if (c_json_get(obj, where, key, JSON_TRUE, required, &v, err) < 0)
		return -1;
	if (v)
		*out = json_is_true(v);
	return 0;
}

char *c_json_dump(const json_t *v, size_t *len, c_err **err)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (!s) {
		errno = ENOMEM;
		c_err_sys(err, "serialize JSON", NULL);
		return NULL;
	}
	if (len)
		*len = strlen(s);
	return s;
}

static int write_json(const char *path, const json_t *v, mode_t mode, bool durable,
		      c_err **err)
{
	_cleanup_free_ char *s = NULL;
	size_t len;

	s = c_json_dump(v, &len, err);
	if (!s)
		return c_err_wrap(err, "write %s", path);
	s[len] = '\n'; /* replaces the NUL; the length below says where to stop */
	return durable ? c_write_file_atomic(path, s, len + 1, mode, err)
		       : c_write_file_volatile(path, s, len + 1, mode, err);
}

int c_json_write_file(const char *path, const json_t *v, mode_t mode, c_err **err)
{
	return write_json(path, v, mode, true, err);
}

int c_json_write_file_volatile(const char *path, const json_t *v, mode_t mode, c_err **err)
{
	return write_json(path, v, mode, false, err);
}
