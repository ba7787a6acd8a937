/* JSON helpers: errors name the document and the field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "rlimit.h"
#include "tap.h"

static void test_parse(void)
{
	c_err *e = NULL;
	const char *doc = "{\"a\": 1,\n \"b\": }";
	json_t *v;

	v = c_json_parse("{\"z\":1,\"a\":[true,null]}", 23, "doc", &e);
	ok(v && json_is_object(v), "parse an object");
	json_decref(v);

	v = c_json_parse(doc, strlen(doc), "manifest sha256:ab", &e);
	ok(!v && e->status == C_EXIT_DATA, "malformed JSON is bad data");
	ok(tap_err_has(&e, "parse JSON: manifest sha256:ab: line 2"), "error names document and line");

	v = c_json_parse("{\"a\":1,\"a\":2}", 13, "dup", &e);
	ok(!v && tap_err_has(&e, "duplicate"), "duplicate keys are refused");

	v = c_json_parse("{} trailing", 11, "t", &e);
	ok(!v && tap_err_has(&e, "parse JSON: t"), "trailing garbage is refused");

	v = c_json_parse("", 0, "empty", &e);
	ok(!v && tap_err_has(&e, "empty"), "empty input is refused");
}

static json_int_t int_of(const char *doc, c_err **e)
{
	_cleanup_json_ json_t *v = c_json_parse(doc, strlen(doc), "big", e);

	return json_integer_value(json_array_get(v, 0));
}

/* Go's uint64 fields reach 2^64-1, which jansson alone refuses. */
static void test_uint64(void)
{
	const char *rlimits = "{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
			      "\"hard\":18446744073709551615,\"soft\":18446744073709551615},"
			      "{\"type\":\"RLIMIT_CORE\",\"hard\":18446744073709551615,\"soft\":0}]}";
	const char *strings = "{\"a\\\"18446744073709551615\":\"18446744073709551615\\\\\","
			      "\"n\":[18446744073709551615,1e-18446744073709551615,"
			      "18446744073709551615.0]}";
	_cleanup_json_ json_t *v = c_json_parse(rlimits, strlen(rlimits), "config.json", NULL);
	_cleanup_json_ json_t *s = c_json_parse(strings, strlen(strings), "strings", NULL);
	_cleanup_free_ struct c_rlimit *l = NULL;
	json_t *n = json_object_get(s, "n");
	char *big;
	size_t nl = 0;
	c_err *e = NULL;

	ok(v && c_rlimits_parse(v, &l, &nl, &e) == 0 && nl == 2 && l[0].hard == UINT64_MAX &&
		   l[0].soft == UINT64_MAX && l[1].hard == UINT64_MAX && l[1].soft == 0,
	   "runc's unlimited rlimit, 18446744073709551615, is UINT64_MAX in lib/rlimit");
	c_err_free(&e);
	ok((uint64_t)int_of("[18446744073709551615]", &e) == UINT64_MAX &&
		   int_of("[18446744073709551615]", &e) == -1,
	   "2^64-1 reads as -1, UINT64_MAX as uint64_t");
	ok((uint64_t)int_of("[9223372036854775808]", &e) == UINT64_C(9223372036854775808) &&
		   (uint64_t)int_of("[ 18446744073709551614 ]", &e) == UINT64_MAX - 1 &&
		   int_of("[9223372036854775807]", &e) == INT64_MAX &&
		   int_of("[-9223372036854775808]", &e) == INT64_MIN,
	   "2^63 and 2^64-2 come back exactly; int64's own range is untouched");
	ok(!e, "no error for any of them");
	c_err_free(&e);
	ok(s && !strcmp(json_string_value(json_object_get(s, "a\"18446744073709551615")),
			"18446744073709551615\\") &&
		   (uint64_t)json_integer_value(json_array_get(n, 0)) == UINT64_MAX &&
		   json_is_real(json_array_get(n, 1)) && json_is_real(json_array_get(n, 2)),
	   "digits in keys and strings, escaped quotes, exponents and reals are left alone");
	int_of("[18446744073709551616]", &e);
	ok(tap_err_has(&e, "too big integer"), "2^64 is still too big");
	int_of("[-9223372036854775809]", &e);
	ok(tap_err_has(&e, "too big negative integer"), "so is -2^63-1");
	int_of("[018446744073709551615]", &e);
	ok(tap_err_has(&e, "column 2"), "a leading zero is still refused");
	int_of("{\"a\":18446744073709551615,\"b\":x}", &e);
	big = e ? c_err_line(e) : NULL;
	c_err_free(&e);
	int_of("{\"a\":1.000000000000000000,\"b\":x}", &e);
	ok(big && tap_err_has(&e, big), "columns of errors after it are the text's (%s)",
	   big ? big : "no error");
	free(big);
}

static void test_getters(void)
{
	const char *doc = "{\"name\":\"x\",\"size\":42,\"big\":1.5,\"ok\":false,"
			  "\"config\":{\"Env\":\"not-an-array\"}}";
	_cleanup_json_ json_t *v = c_json_parse(doc, strlen(doc), "d", NULL);
	json_t *config = NULL, *env = NULL;
	const char *s = NULL;
	long long n = 0;
	bool b = true;
	c_err *e = NULL;

	ok(c_json_get_string(v, "", "name", true, &s, &e) == 0 && !strcmp(s, "x"), "string");
	ok(c_json_get_int(v, "", "size", true, &n, &e) == 0 && n == 42, "integer");
	ok(c_json_get_bool(v, "", "ok", true, &b, &e) == 0 && !b, "boolean");
	ok(c_json_get_int(v, "", "big", true, &n, &e) < 0 &&
		   tap_err_has(&e, "field big: expected integer, got number"),
	   "a real where an integer is wanted");
	ok(c_json_get_string(v, "", "missing", true, &s, &e) < 0 &&
		   tap_err_has(&e, "field missing: missing"),
	   "a required field that is absent");
	s = "kept";
	ok(c_json_get_string(v, "", "missing", false, &s, &e) == 0 && !strcmp(s, "kept"),
	   "an optional field that is absent leaves the default");
	ok(c_json_get(v, "", "config", JSON_OBJECT, true, &config, &e) == 0 && config,
	   "nested object");
	ok(c_json_get(config, "config", "Env", JSON_ARRAY, true, &env, &e) < 0 &&
		   tap_err_has(&e, "field config.Env: expected array, got string"),
	   "nested field errors carry the dotted path");
	ok(c_json_get(config, "config", "Env", JSON_STRING, true, &env, &e) == 0 &&
		   c_json_get(env, "config.Env", "x", JSON_STRING, true, &env, &e) < 0 &&
		   tap_err_has(&e, "field config.Env: expected object"),
	   "looking into a non-object names it");
}

/* Go writes null for unset fields: those read as absent. */
static void test_present(void)
{
	const char *doc = "{\"memory\":null,\"cpu\":{\"shares\":2},\"pids\":7,\"devices\":[]}";
	_cleanup_json_ json_t *v = c_json_parse(doc, strlen(doc), "d", NULL);
	json_t *got = v;
	c_err *e = NULL;

	ok(!c_json_present(v, "memory") && !c_json_present(v, "swap") &&
		   !c_json_present(NULL, "cpu") &&
		   c_json_present(v, "pids") == json_object_get(v, "pids"),
	   "present: null, absent and a NULL object are nothing; a value is itself");
	ok(c_json_get_present(v, "resources", "memory", JSON_OBJECT, &got, &e) == 0 && !got,
	   "get_present: null is absent");
	got = v;
	ok(c_json_get_present(NULL, "resources", "memory", JSON_OBJECT, &got, &e) == 0 && !got,
	   "get_present: so is anything in an absent object");
	ok(c_json_get_present(v, "resources", "cpu", JSON_OBJECT, &got, &e) == 0 &&
		   got == json_object_get(v, "cpu"),
	   "get_present: a value of the type");
	ok(c_json_get_present(v, "resources", "pids", JSON_OBJECT, &got, &e) < 0 && !got &&
		   tap_err_has(&e, "field resources.pids: expected object, got integer"),
	   "get_present: a value of another type is an error naming the field");
	ok(c_json_get_present(json_object_get(v, "devices"), "resources.devices", "x", JSON_OBJECT,
			      &got, &e) < 0 &&
		   tap_err_has(&e, "field resources.devices: expected object, got array"),
	   "get_present: looking into a non-object names it");
}

static void test_write(void)
{
	char dir[] = "/tmp/c-tools-json-XXXXXX", path[64], *buf = NULL;
	const char *doc = "{\"z\":1,\"a\":{\"y\":\"\\u00e9\",\"b\":[1,2]}}";
	_cleanup_json_ json_t *v = c_json_parse(doc, strlen(doc), "d", NULL);
	_cleanup_json_ json_t *back = NULL;
	c_err *e = NULL;
	size_t len;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/doc.json", dir);
	ok(c_json_write_file(path, v, 0644, &e) == 0, "write a document atomically");
	ok(c_read_file(path, 1000, &buf, &len, &e) == 0 &&
		   !strcmp(buf, "{\"z\":1,\"a\":{\"y\":\"\xc3\xa9\",\"b\":[1,2]}}\n"),
	   "compact, key order kept, newline-terminated");
	free(buf);
	back = c_json_load_file(path, 1000, &e);
	ok(back && json_equal(back, v), "round trip");
	ok(!c_json_load_file(path, 10, &e) && tap_err_has(&e, "larger than 10"),
	   "load_file caps the size");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_parse();
	test_uint64();
	test_getters();
	test_present();
	test_write();
	return tap_done();
}
