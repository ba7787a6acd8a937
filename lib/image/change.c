#include "change.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "json.h"
#include "signame.h"

#define ESCAPE '\\'

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p)
			return -1;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int putc_(struct buf *b, char c)
{
	return put(b, &c, 1);
}

/* A fresh empty string in b (a word may be ""). */
static int start(struct buf *b)
{
	return put(b, "", 0);
}

/* --- one word, as the shell takes it (buildkit's ProcessWord) ------------------------- */

struct lex {
	const char *p;
	json_t *env; /* array of "NAME=VALUE" */
	const char *change; /* for messages */
	c_err **err;
};

static const char *getenv_in(json_t *env, const char *name, size_t n)
{
	size_t i;
	json_t *v;

	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, name, n) && s[n] == '=')
			return s + n + 1;
	}
	return NULL;
}

static int lex_fail(struct lex *l, const char *why)
{
	return c_err_new(l->err, C_EXIT_DATA, 0, "change \"%s\": %s", l->change, why);
}

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int process_until(struct lex *l, char stop, struct buf *out);

/* After a '$': a variable, or the '$' itself. */
static int process_dollar(struct lex *l, struct buf *out)
{
	const char *name, *val;
	size_t n;
	char mod;

	if (*l->p != '{') {
		if (!name_start(*l->p))
			return putc_(out, '$');
		for (name = l->p; name_char(*l->p); l->p++)
			;
		val = getenv_in(l->env, name, l->p - name);
		return val ? put(out, val, strlen(val)) : 0;
	}
	l->p++;
	name = l->p;
	while (name_char(*l->p))
		l->p++;
	n = l->p - name;
	if (!n || !name_start(*name))
		return lex_fail(l, "bad substitution: a variable name must follow ${");
	val = getenv_in(l->env, name, n);
	if (*l->p == '}') {
		l->p++;
		return val ? put(out, val, strlen(val)) : 0;
	}
	if (*l->p != ':' || (l->p[1] != '-' && l->p[1] != '+'))
		return lex_fail(l, *l->p ? "unsupported modifier in substitution (only :- and :+)"
					 : "missing '}' in substitution");
	mod = l->p[1];
	l->p += 2;
	{
		struct buf word = { 0 };
		bool set = val && *val;
		int rc = process_until(l, '}', &word);

		if (rc == 0 && mod == '-')
			rc = set ? put(out, val, strlen(val)) : put(out, word.s ? word.s : "", word.len);
		else if (rc == 0 && set)
			rc = put(out, word.s ? word.s : "", word.len);
		free(word.s);
		return rc;
	}
}

static int process_single(struct lex *l, struct buf *out)
{
	const char *end = strchr(l->p, '\'');
	int rc;

	if (!end)
		return lex_fail(l, "unexpected end of statement while looking for matching single-quote");
	rc = put(out, l->p, end - l->p);
	l->p = end + 1;
	return rc;
}

static int process_double(struct lex *l, struct buf *out)
{
	for (;;) {
		char c = *l->p;

		if (!c)
			return lex_fail(l, "unexpected end of statement while looking for matching double-quote");
		l->p++;
		if (c == '"')
			return 0;
		if (c == '$') {
			if (process_dollar(l, out) < 0)
				return -1;
			continue;
		}
		/* a backslash escapes only " $ and itself here, and is dropped
		 * at the end */
		if (c == ESCAPE && !*l->p)
			continue;
		if (c == ESCAPE && (*l->p == '"' || *l->p == '$' || *l->p == ESCAPE))
			c = *l->p++;
		if (putc_(out, c) < 0)
			return -1;
	}
}

/* The word up to stop ('\0': the end), quotes removed, escapes and
 * variables applied; a -1 without *l->err is out of memory. */
static int process_until(struct lex *l, char stop, struct buf *out)
{
	if (start(out) < 0)
		return -1;
	while (*l->p) {
		char c = *l->p++;
		int rc;

		if (stop && c == stop)
			return 0;
		if (c == '\'')
			rc = process_single(l, out);
		else if (c == '"')
			rc = process_double(l, out);
		else if (c == '$')
			rc = process_dollar(l, out);
		else if (c == ESCAPE)
			rc = *l->p ? putc_(out, *l->p++) : 0;
		else
			rc = putc_(out, c);
		if (rc < 0)
			return -1;
	}
	return stop ? lex_fail(l, "missing '}' in substitution") : 0;
}

/* --- instructions -------------------------------------------------------------------- */

struct change {
	json_t *config;
	json_t *env;  /* Env before this instruction, for the substitutions */
	const char *text; /* the whole change */
	const char *args; /* its arguments, white space trimmed */
	bool cmd_set;
	c_err **err;
};

static int fail(struct change *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct change *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return c_err_new(c->err, C_EXIT_DATA, 0, "change \"%s\": %s", c->text, why);
}

static int oom(struct change *c)
{
	return fail(c, "out of memory");
}

/* One word through the shell rules; caller frees. */
static char *expand(struct change *c, const char *word)
{
	struct lex l = { word, c->env, c->text, c->err };
	struct buf out = { 0 };

	if (process_until(&l, 0, &out) < 0) {
		if (!*c->err)
			oom(c);
		free(out.s);
		return NULL;
	}
	return out.s;
}

/* docker's parseWords: words split at white space outside quotes, the
 * quotes and escapes kept for expand().  A JSON array of strings. */
static json_t *split_words(struct change *c, const char *s)
{
	json_t *words = json_array();
	struct buf w = { 0 };
	bool in_word = false, blank_ok = false;
	char quote = 0;

	if (!words)
		return NULL;
	for (;; s++) {
		char ch = *s;

		if (!in_word) {
			if (!ch)
				break;
			if (isspace((unsigned char)ch))
				continue;
			in_word = true;
		}
		if (!ch || (!quote && isspace((unsigned char)ch))) {
			/* the word ends */
			if ((blank_ok || w.len) && json_array_append_new(words, json_string(w.s ? w.s : "")) < 0)
				goto oom;
			if (!ch)
				break;
			w.len = 0;
			w.s[0] = '\0';
			blank_ok = in_word = false;
			continue;
		}
		if (!quote && (ch == '\'' || ch == '"')) {
			quote = ch;
			blank_ok = true;
		} else if (quote && ch == quote) {
			quote = 0;
		} else if (ch == ESCAPE && quote != '\'') {
			/* it takes the next character along; at the end it is
			 * dropped, and ends a quote */
			if (!s[1]) {
				quote = 0;
				continue;
			}
			if (putc_(&w, ch) < 0)
				goto oom;
			ch = *++s;
		}
		if (putc_(&w, ch) < 0)
			goto oom;
	}
	free(w.s);
	return words;
oom:
	free(w.s);
	json_decref(words);
	oom(c);
	return NULL;
}

/* Words split at white space only (EXPOSE, VOLUME's plain form). */
static json_t *split_fields(const char *s)
{
	json_t *words = json_array();

	while (words && *s) {
		size_t n;

		s += strspn(s, " \t\r\n\v\f");
		n = strcspn(s, " \t\r\n\v\f");
		if (n && json_array_append_new(words, json_stringn(s, n)) < 0) {
			json_decref(words);
			return NULL;
		}
		s += n;
	}
	return words;
}

/* The arguments as a JSON array of strings, or NULL when they are not one. */
static json_t *json_form(const char *args)
{
	json_t *v, *e;
	size_t i;

	if (*args != '[')
		return NULL;
	v = json_loads(args, JSON_DECODE_ANY, NULL);
	if (!json_is_array(v)) {
		json_decref(v);
		return NULL;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

/* CMD and ENTRYPOINT: exec form, or the shell's. */
static json_t *command_line(struct change *c)
{
	json_t *v = json_form(c->args);

	if (v)
		return v;
	v = json_pack("[s,s,s]", "/bin/sh", "-c", c->args);
	if (!v)
		oom(c);
	return v;
}

static int set(struct change *c, const char *key, json_t *v)
{
	if (!v || json_object_set_new(c->config, key, v) < 0)
		return *c->err ? -1 : oom(c);
	return 0;
}

static int do_cmd(struct change *c)
{
	c->cmd_set = true;
	return set(c, "Cmd", command_line(c));
}

static int do_entrypoint(struct change *c)
{
	if (set(c, "Entrypoint", command_line(c)) < 0)
		return -1;
	if (!c->cmd_set)
		json_object_del(c->config, "Cmd");
	return 0;
}

/* An object member of the config, made when missing. */
static json_t *member(struct change *c, const char *key)
{
	json_t *o = json_object_get(c->config, key);

	if (json_is_object(o))
		return o;
	o = json_object();
	return set(c, key, o) < 0 ? NULL : o;
}

/* ENV and LABEL: the pairs, keys and values expanded, to fn. */
static int name_values(struct change *c, int (*fn)(struct change *, const char *, const char *))
{
	_cleanup_json_ json_t *words = split_words(c, c->args);
	size_t i;
	json_t *w;

	if (!words)
		return -1;
	if (!json_array_size(words))
		return fail(c, "needs at least one argument");
	if (!strchr(json_string_value(json_array_get(words, 0)), '=')) {
		/* the old form: KEY VALUE..., the rest of the line */
		size_t k = strcspn(c->args, " \t\r\n\v\f");
		const char *rest = c->args + k + strspn(c->args + k, " \t\r\n\v\f");
		_cleanup_free_ char *key = strndup(c->args, k);
		_cleanup_free_ char *ekey = NULL, *eval = NULL;

		if (!*rest)
			return fail(c, "needs two arguments (KEY VALUE) or KEY=VALUE pairs");
		if (!key)
			return oom(c);
		ekey = expand(c, key);
		eval = ekey ? expand(c, rest) : NULL;
		return eval ? fn(c, ekey, eval) : -1;
	}
	json_array_foreach(words, i, w) {
		const char *word = json_string_value(w), *eq = strchr(word, '=');
		_cleanup_free_ char *key = NULL, *ekey = NULL, *eval = NULL;

		if (!eq)
			return fail(c, "can't find = in \"%s\": must be of the form name=value", word);
		key = strndup(word, eq - word);
		if (!key)
			return oom(c);
		ekey = expand(c, key);
		eval = ekey ? expand(c, eq + 1) : NULL;
		if (!eval || fn(c, ekey, eval) < 0)
			return -1;
	}
	return 0;
}

static int env_one(struct change *c, const char *key, const char *value)
{
	json_t *env = json_object_get(c->config, "Env"), *v;
	_cleanup_free_ char *kv = NULL;
	size_t i, n = strlen(key);

	if (!*key)
		return fail(c, "an ENV name cannot be empty");
	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return oom(c);
	if (!json_is_array(env)) {
		env = json_array();
		if (set(c, "Env", env) < 0)
			return -1;
	}
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s && !strncmp(s, key, n) && s[n] == '=')
			return json_array_set_new(env, i, json_string(kv)) < 0 ? oom(c) : 0;
	}
	return json_array_append_new(env, json_string(kv)) < 0 ? oom(c) : 0;
}

static int label_one(struct change *c, const char *key, const char *value)
{
	json_t *labels = member(c, "Labels");

	if (!labels)
		return -1;
	if (!*key)
		return fail(c, "a LABEL name cannot be empty");
	return json_object_set_new(labels, key, json_string(value)) < 0 ? oom(c) : 0;
}

static int do_env(struct change *c)
{
	return name_values(c, env_one);
}

static int do_label(struct change *c)
{
	return name_values(c, label_one);
}

static long port_number(const char *s, size_t n)
{
	long v = 0;

	if (!n || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* PORT[-PORT][/PROTO] into ExposedPorts, as nat.ParsePortSpecs reads it. */
static int expose_one(struct change *c, json_t *ports, const char *spec)
{
	const char *slash = strchr(spec, '/'), *proto = slash ? slash + 1 : "tcp";
	size_t len = slash ? (size_t)(slash - spec) : strlen(spec);
	const char *dash = memchr(spec, '-', len);
	long lo = port_number(spec, dash ? (size_t)(dash - spec) : len);
	long hi = dash ? port_number(dash + 1, len - (dash + 1 - spec)) : lo;
	char key[32];

	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return fail(c, "invalid protocol in \"%s\": tcp, udp or sctp", spec);
	if (lo < 0 || hi < lo)
		return fail(c, "invalid port \"%s\": PORT[-PORT][/PROTOCOL], ports 1 to 65535", spec);
	for (long p = lo; p <= hi; p++) {
		snprintf(key, sizeof key, "%ld/%s", p, proto);
		if (json_object_set_new(ports, key, json_object()) < 0)
			return oom(c);
	}
	return 0;
}

/* EXPOSE and VOLUME: each word, expanded, to fn. */
static int each_word(struct change *c, json_t *words, json_t *into,
		     int (*fn)(struct change *, json_t *, const char *))
{
	size_t i;
	json_t *w;

	if (!json_array_size(words))
		return fail(c, "needs at least one argument");
	json_array_foreach(words, i, w) {
		_cleanup_free_ char *e = expand(c, json_string_value(w));

		if (!e || fn(c, into, e) < 0)
			return -1;
	}
	return 0;
}

static int do_expose(struct change *c)
{
	_cleanup_json_ json_t *words = split_fields(c->args);
	json_t *ports = words ? member(c, "ExposedPorts") : NULL;

	if (!words)
		return oom(c);
	return ports ? each_word(c, words, ports, expose_one) : -1;
}

static int volume_one(struct change *c, json_t *volumes, const char *path)
{
	if (!*path)
		return fail(c, "a VOLUME cannot be an empty string");
	return json_object_set_new(volumes, path, json_object()) < 0 ? oom(c) : 0;
}

static int do_volume(struct change *c)
{
	json_t *form = json_form(c->args);
	_cleanup_json_ json_t *words = form ? form : split_fields(c->args);
	json_t *volumes = words ? member(c, "Volumes") : NULL;

	if (!words)
		return oom(c);
	return volumes ? each_word(c, words, volumes, volume_one) : -1;
}

static int do_user(struct change *c)
{
	_cleanup_free_ char *v = expand(c, c->args);

	return v ? set(c, "User", json_string(v)) : -1;
}

static int do_stopsignal(struct change *c)
{
	_cleanup_free_ char *v = expand(c, c->args);
	int sig;

	if (!v)
		return -1;
	if (c_signal_parse(v, &sig, c->err) < 0)
		return c_err_wrap(c->err, "change \"%s\"", c->text);
	return set(c, "StopSignal", json_string(v));
}

/* A relative WORKDIR goes on from the one before; the result is clean. */
static int do_workdir(struct change *c)
{
	_cleanup_free_ char *v = expand(c, c->args), *joined = NULL;
	const char *cur = json_string_value(json_object_get(c->config, "WorkingDir"));
	struct buf out = { 0 };
	const char *p;
	int rc;

	if (!v)
		return -1;
	if (!*v)
		return fail(c, "WORKDIR cannot be empty");
	if (*v != '/' && asprintf(&joined, "/%s/%s", cur ? cur : "", v) < 0)
		return oom(c);
	p = joined ? joined : v;
	/* clean: no empty or "." components, ".." applied, never above / */
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if ((n == 1 && *p == '.') || !n) {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (out.len && out.s[--out.len] != '/')
				;
			if (out.s)
				out.s[out.len] = '\0';
		} else if (putc_(&out, '/') < 0 || put(&out, p, n) < 0) {
			free(out.s);
			return oom(c);
		}
		p += n;
	}
	if (!out.len && put(&out, "/", 1) < 0)
		return oom(c);
	rc = set(c, "WorkingDir", json_string(out.s));
	free(out.s);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(struct change *c);
} instructions[] = {
	{ "CMD", do_cmd },       { "ENTRYPOINT", do_entrypoint }, { "ENV", do_env },
	{ "EXPOSE", do_expose }, { "LABEL", do_label },           { "STOPSIGNAL", do_stopsignal },
	{ "USER", do_user },     { "VOLUME", do_volume },         { "WORKDIR", do_workdir },
};

static int apply_one(struct change *c, const char *text)
{
	size_t n = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	const char *rest = text + n;
	_cleanup_free_ char *args = NULL;
	_cleanup_json_ json_t *valid = NULL;
	size_t len;

	c->text = text;
	valid = json_string(text); /* jansson checks UTF-8 */
	if (!valid)
		return c_err_new(c->err, C_EXIT_DATA, 0, "change: not UTF-8 text");
	if (!n)
		return fail(c, "expected an instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
			       "STOPSIGNAL, USER, VOLUME or WORKDIR");
	if (*rest == '=')
		rest++;
	else if (*rest && !isspace((unsigned char)*rest))
		return fail(c, "expected white space after the instruction");
	rest += strspn(rest, " \t\r\n\v\f");
	len = strlen(rest);
	while (len && isspace((unsigned char)rest[len - 1]))
		len--;
	args = strndup(rest, len);
	if (!args)
		return oom(c);
	c->args = args;
	for (size_t i = 0; i < sizeof instructions / sizeof instructions[0]; i++) {
		if (strlen(instructions[i].name) != n || strncasecmp(text, instructions[i].name, n))
			continue;
		if (!*args)
			return fail(c, "%s needs at least one argument", instructions[i].name);
		return instructions[i].fn(c);
	}
	return fail(c, "%.*s is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, "
		       "VOLUME, WORKDIR",
		    (int)n, text);
}

int c_change_apply(json_t *config, const char *const *changes, size_t n, c_err **err)
{
	struct change c = { .config = config, .err = err };
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		/* substitutions see the Env as it was before the instruction */
		c.env = json_deep_copy(json_object_get(config, "Env"));
		if (!c.env)
			c.env = json_array();
		rc = c.env ? apply_one(&c, changes[i]) : c_err_sys(err, "apply", changes[i]);
		json_decref(c.env);
	}
	return rc;
}
