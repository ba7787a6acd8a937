#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"

json_t *c_json_parse(const char *buf, size_t len, const char *source, c_err **err)
{
	json_error_t jerr;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

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

int c_json_write_file(const char *path, const json_t *v, mode_t mode, c_err **err)
{
	_cleanup_free_ char *s = NULL;
	size_t len;

	s = c_json_dump(v, &len, err);
	if (!s)
		return c_err_wrap(err, "write %s", path);
	s[len] = '\n'; /* replaces the NUL; the length below says where to stop */
	return c_write_file_atomic(path, s, len + 1, mode, err);
}
