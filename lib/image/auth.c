#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "cleanup.h"
#include "file.h"
#include "json.h"

/* An auth file is a few entries; anything bigger is not one. */
#define AUTH_FILE_MAX (1 << 20)

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void c_creds_free(struct c_creds *c)
{
	if (!c)
		return;
	free(c->user);
	wipe_free(c->secret);
	c->user = NULL;
	c->secret = NULL;
}

void c_auth_free_header(char *header)
{
	wipe_free(header);
}

/* ---- credentials --------------------------------------------------------------- */

static int split_user_secret(const char *s, size_t len, struct c_creds *out)
{
	const char *colon = memchr(s, ':', len);

	if (!colon)
		return -1;
	out->user = strndup(s, colon - s);
	out->secret = strndup(colon + 1, len - (colon + 1 - s));
	if (!out->user || !out->secret) {
		c_creds_free(out);
		return -1;
	}
	return 0;
}

/* --creds "user:password"; podman would prompt for a missing password, and
 * there is no prompt here. */
static int creds_from_option(const char *opt, struct c_creds *out, c_err **err)
{
	const char *colon = strchr(opt, ':');

	if (colon == opt || !*opt)
		return c_err_new(err, C_EXIT_USAGE, 0, "--creds: user name missing");
	if (!colon || !colon[1])
		return c_err_new(err, C_EXIT_USAGE, 0, "--creds: password missing");
	if (split_user_secret(opt, strlen(opt), out) < 0)
		return c_err_sys(err, "--creds", NULL);
	return 1;
}

/* Compare a host or an auth file key the way podman does: no scheme, no
 * path, and Docker Hub's aliases as "docker.io".  A key without a scheme
 * keeps its path unless that is docker's "/v1/" or "/v2/": "host/ns/repo"
 * keys are for one repository, and a lookup by host must not use them.
 * Returns the length of the host part in *hostlen, or false when the key
 * is not a host key. */
static bool key_host(const char *key, const char **host, size_t *hostlen)
{
	static const char *const api_paths[] = { "/", "/v1", "/v1/", "/v2", "/v2/" };
	bool had_scheme = false;
	const char *slash;
	size_t i;

	if (!strncasecmp(key, "https://", 8)) {
		key += 8;
		had_scheme = true;
	} else if (!strncasecmp(key, "http://", 7)) {
		key += 7;
		had_scheme = true;
	}
	slash = strchr(key, '/');
	if (slash && !had_scheme) {
		for (i = 0; i < sizeof api_paths / sizeof *api_paths; i++)
			if (!strcmp(slash, api_paths[i]))
				break;
		if (i == sizeof api_paths / sizeof *api_paths)
			return false;
	}
	*host = key;
	*hostlen = slash ? (size_t)(slash - key) : strlen(key);
	return *hostlen > 0;
}

static bool is_docker_hub(const char *h, size_t len)
{
	static const char *const names[] = { "docker.io", "index.docker.io",
					     "registry-1.docker.io" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i]) == len && !strncasecmp(h, names[i], len))
			return true;
	return false;
}

static bool key_matches(const char *key, const char *host)
{
	const char *a, *b;
	size_t alen, blen;

	if (!key_host(key, &a, &alen) || !key_host(host, &b, &blen))
		return false;
	if (is_docker_hub(a, alen) && is_docker_hub(b, blen))
		return true;
	return alen == blen && !strncasecmp(a, b, alen);
}

/* Overwrite the secrets jansson holds before the document is freed. */
static void wipe_auth_entries(json_t *auths)
{
	static const char *const fields[] = { "auth", "password", "identitytoken",
					      "registrytoken" };
	const char *key;
	json_t *entry, *v;
	size_t i;

	json_object_foreach(auths, key, entry) {
		for (i = 0; i < sizeof fields / sizeof *fields; i++) {
			v = json_object_get(entry, fields[i]);
			if (json_is_string(v))
				explicit_bzero((char *)json_string_value(v), json_string_length(v));
		}
	}
}

/* jansson's message quotes the text near the error, which in an auth file
 * or a token answer may be a secret: keep only what comes before it. */
static json_t *parse_secret_json(const char *buf, size_t len, const char *what,
				 const char *source, c_err **err)
{
	json_error_t jerr;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	char *near;

	if (v)
		return v;
	near = strstr(jerr.text, " near ");
	if (near)
		*near = '\0';
	if (source)
		c_err_new(err, C_EXIT_DATA, 0, "%s: %s: not valid JSON: line %d column %d: %s",
			  what, source, jerr.line, jerr.column, jerr.text);
	else
		c_err_new(err, C_EXIT_DATA, 0, "%s: not valid JSON: line %d column %d: %s", what,
			  jerr.line, jerr.column, jerr.text);
	explicit_bzero(&jerr, sizeof jerr);
	return NULL;
}

/* One "auths" entry: 1 with *out filled, 0 when it holds no user and
 * password (docker leaves empty entries for credential helpers). */
static int creds_from_entry(json_t *entry, const char *key, struct c_creds *out, c_err **err)
{
	const char *auth = NULL, *user = NULL, *pass = NULL;
	_cleanup_free_ char *where = NULL;
	char *plain;
	size_t len;
	int rc;

	if (asprintf(&where, "auths.%s", key) < 0)
		return c_err_sys(err, "read entry", key);
	if (!json_is_object(entry))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: expected object, got %s", where,
				 c_json_type_name(entry));
	if (c_json_get_string(entry, where, "auth", false, &auth, err) < 0 ||
	    c_json_get_string(entry, where, "username", false, &user, err) < 0 ||
	    c_json_get_string(entry, where, "password", false, &pass, err) < 0)
		return -1;
	if (auth && *auth) {
		plain = c_base64_decode(auth, &len);
		rc = plain ? split_user_secret(plain, len, out) : -1;
		if (rc < 0 && errno == ENOMEM)
			c_err_sys(err, "decode", where);
		else if (rc < 0)
			c_err_new(err, C_EXIT_DATA, 0, "field %s.auth: not base64 of user:password",
				  where);
		if (plain) {
			explicit_bzero(plain, len);
			free(plain);
		}
		return rc < 0 ? -1 : 1;
	}
	if (!user || !*user)
		return 0;
	if (!pass)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: username without password", where);
	out->user = strdup(user);
	out->secret = strdup(pass);
	if (!out->user || !out->secret) {
		c_creds_free(out);
		return c_err_sys(err, "copy credentials of", where);
	}
	return 1;
}

/* The entry for host in an "auths" object: the exact key first, then the
 * first key (in file order) that means the same host. */
static int creds_from_auths(json_t *auths, const char *host, struct c_creds *out, c_err **err)
{
	const char *key;
	json_t *entry;
	int rc;

	entry = json_object_get(auths, host);
	if (entry) {
		rc = creds_from_entry(entry, host, out, err);
		if (rc != 0)
			return rc;
	}
	json_object_foreach(auths, key, entry) {
		if (!strcmp(key, host) || !key_matches(key, host))
			continue;
		rc = creds_from_entry(entry, key, out, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* 1 found, 0 not there (no file, no "auths", no entry), -1 error. */
static int creds_from_file(const char *path, const char *host, struct c_creds *out, c_err **err)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *auths = NULL;
	c_err *read_err = NULL;
	char *buf = NULL;
	size_t len;
	int rc;

	if (c_read_file(path, AUTH_FILE_MAX, &buf, &len, &read_err) < 0) {
		rc = read_err->errnum;
		if (rc == ENOENT || rc == ENOTDIR) {
			c_err_free(&read_err);
			return 0;
		}
		if (err)
			*err = read_err;
		else
			c_err_free(&read_err);
		return c_err_wrap(err, "auth file");
	}
	doc = parse_secret_json(buf, len, "auth file", path, err);
	explicit_bzero(buf, len);
	free(buf);
	if (!doc)
		return -1;
	if (c_json_get(doc, "", "auths", JSON_OBJECT, false, &auths, err) < 0)
		return c_err_wrap(err, "auth file: %s", path);
	if (!auths)
		return 0;
	rc = creds_from_auths(auths, host, out, err);
	wipe_auth_entries(auths);
	if (rc < 0)
		return c_err_wrap(err, "auth file: %s", path);
	return rc;
}

/* podman's order: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json
 * (/run/containers/UID/auth.json without XDG_RUNTIME_DIR),
 * ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json, then docker's
 * $DOCKER_CONFIG/config.json or $HOME/.docker/config.json. */
static int auth_file_paths(char *paths[5])
{
	const char *env, *home = getenv("HOME");
	int n = 0, rc = 0;

	if ((env = getenv("REGISTRY_AUTH_FILE")) && *env)
		rc |= asprintf(&paths[n++], "%s", env);
	if ((env = getenv("XDG_RUNTIME_DIR")) && *env)
		rc |= asprintf(&paths[n++], "%s/containers/auth.json", env);
	else
		rc |= asprintf(&paths[n++], "/run/containers/%u/auth.json", (unsigned)getuid());
	if ((env = getenv("XDG_CONFIG_HOME")) && *env)
		rc |= asprintf(&paths[n++], "%s/containers/auth.json", env);
	else if (home && *home)
		rc |= asprintf(&paths[n++], "%s/.config/containers/auth.json", home);
	if ((env = getenv("DOCKER_CONFIG")) && *env)
		rc |= asprintf(&paths[n++], "%s/config.json", env);
	else if (home && *home)
		rc |= asprintf(&paths[n++], "%s/.docker/config.json", home);
	return rc < 0 ? -1 : n;
}

int c_auth_lookup(const char *host, const char *creds_opt, struct c_creds *out, c_err **err)
{
	char *paths[5] = { NULL };
	int i, n, rc = 0;

	out->user = NULL;
	out->secret = NULL;
	if (creds_opt)
		return creds_from_option(creds_opt, out, err);
	n = auth_file_paths(paths);
	if (n < 0)
		rc = c_err_sys(err, "credentials for", host);
	for (i = 0; i < n && rc == 0; i++)
		rc = creds_from_file(paths[i], host, out, err);
	for (i = 0; i < 5; i++)
		free(paths[i]);
	return rc;
}

char *c_auth_basic_header(const struct c_creds *c)
{
	char *plain = NULL, *b64, *header = NULL;
	int n;

	n = asprintf(&plain, "%s:%s", c->user, c->secret);
	if (n < 0)
		return NULL;
	b64 = c_base64_encode(plain, (size_t)n);
	wipe_free(plain);
	if (!b64)
		return NULL;
	if (asprintf(&header, "Authorization: Basic %s", b64) < 0)
		header = NULL;
	wipe_free(b64);
	return header;
}

char *c_auth_bearer_header(const char *token)
{
	char *header;

	if (asprintf(&header, "Authorization: Bearer %s", token) < 0)
		return NULL;
	return header;
}

/* ---- challenges ------------------------------------------------------------------ */

void c_auth_challenge_free(struct c_auth_challenge *ch)
{
	if (!ch)
		return;
	free(ch->realm);
	free(ch->service);
	free(ch->scope);
	ch->realm = ch->service = ch->scope = NULL;
}

/* RFC 7230 tchar */
static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *skip_token(const char *p)
{
	while (is_tchar(*p))
		p++;
	return p;
}

/* If p starts a token68 (Negotiate's blob) that ends the challenge, return
 * its end, else NULL. */
static const char *skip_token68(const char *p)
{
	const char *q = p;

	while (is_token68_char(*q))
		q++;
	if (q == p)
		return NULL;
	while (*q == '=')
		q++;
	q = skip_ows(q);
	return *q == ',' || !*q ? q : NULL;
}

/* A quoted-string starting at *p (at the opening quote): the unescaped
 * value, *p moved past the closing quote; NULL when unterminated. */
static char *quoted_string(const char **p)
{
	const char *s = *p + 1;
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		*o++ = *s;
	}
	if (*s != '"') {
		free(out);
		errno = EINVAL;
		return NULL;
	}
	*o = '\0';
	*p = s + 1;
	return out;
}

struct param_parse {
	const char *header;
	bool known;                  /* keep the values: a scheme we speak */
	struct c_auth_challenge *ch; /* where they go */
};

static int challenge_syntax(const struct param_parse *pp, const char *why, c_err **err)
{
	return c_err_new(err, C_EXIT_DATA, 0, "WWW-Authenticate: %s: \"%.200s\"", why,
			 pp->header);
}

static int set_param(const struct param_parse *pp, const char *name, size_t nlen, char *value,
		     c_err **err)
{
	char **slot = NULL;

	if (pp->known) {
		if (nlen == 5 && !strncasecmp(name, "realm", 5))
			slot = &pp->ch->realm;
		else if (nlen == 7 && !strncasecmp(name, "service", 7))
			slot = &pp->ch->service;
		else if (nlen == 5 && !strncasecmp(name, "scope", 5))
			slot = &pp->ch->scope;
	}
	if (!slot) {
		free(value);
		return 0;
	}
	if (*slot) {
		free(value);
		return challenge_syntax(pp, "a parameter appears twice", err);
	}
	*slot = value;
	return 0;
}

/* The auth-params after a scheme, up to the next challenge or the end.
 * *pos is moved to where the next challenge starts. */
static int parse_params(const struct param_parse *pp, const char **pos, c_err **err)
{
	const char *p = skip_ows(*pos), *name, *name_end;
	char *value;

	if ((name = skip_token68(p))) {
		*pos = name;
		return 0;
	}
	for (;;) {
		p = skip_ows(p);
		while (*p == ',')
			p = skip_ows(p + 1);
		name = p;
		name_end = skip_token(p);
		p = skip_ows(name_end);
		if (name_end == name || *p != '=') {
			/* the scheme of the next challenge, or the end */
			if (name_end == name && *name)
				return challenge_syntax(pp, "malformed", err);
			*pos = name;
			return 0;
		}
		p = skip_ows(p + 1);
		if (*p == '"') {
			value = quoted_string(&p);
			if (!value && errno == EINVAL)
				return challenge_syntax(pp, "unterminated quoted string", err);
		} else {
			const char *v = p;

			p = skip_token(p);
			if (p == v)
				return challenge_syntax(pp, "parameter without a value", err);
			value = strndup(v, p - v);
		}
		if (!value)
			return c_err_sys(err, "parse", "WWW-Authenticate");
		if (set_param(pp, name, name_end - name, value, err) < 0)
			return -1;
		p = skip_ows(p);
		if (*p && *p != ',')
			return challenge_syntax(pp, "malformed", err);
	}
}

/* A header may list several challenges ("Bearer realm=…, Basic realm=…");
 * the first one with a scheme we speak is taken. */
int c_auth_parse_challenge(const char *header, struct c_auth_challenge *ch, c_err **err)
{
	struct param_parse pp = { .header = header, .ch = ch };
	const char *p = header, *scheme, *unknown = NULL;
	size_t unknown_len = 0, len;

	memset(ch, 0, sizeof *ch);
	for (;;) {
		p = skip_ows(p);
		while (*p == ',')
			p = skip_ows(p + 1);
		if (!*p)
			break;
		scheme = p;
		p = skip_token(p);
		len = p - scheme;
		if (!len || (*p && *p != ' ' && *p != '\t' && *p != ','))
			return challenge_syntax(&pp, "malformed", err);
		pp.known = false;
		if (len == 5 && !strncasecmp(scheme, "Basic", 5)) {
			pp.known = true;
			ch->scheme = C_AUTH_BASIC;
		} else if (len == 6 && !strncasecmp(scheme, "Bearer", 6)) {
			pp.known = true;
			ch->scheme = C_AUTH_BEARER;
		} else if (!unknown) {
			unknown = scheme;
			unknown_len = len;
		}
		if (parse_params(&pp, &p, err) < 0) {
			c_auth_challenge_free(ch);
			return -1;
		}
		if (pp.known)
			break;
	}
	if (!pp.known) {
		if (unknown)
			return c_err_new(err, C_EXIT_AUTH, 0,
					 "WWW-Authenticate: unsupported scheme %.*s",
					 (int)(unknown_len > 40 ? 40 : unknown_len), unknown);
		return challenge_syntax(&pp, "no challenge", err);
	}
	if (ch->scheme == C_AUTH_BEARER && (!ch->realm || !*ch->realm)) {
		c_auth_challenge_free(ch);
		return challenge_syntax(&pp, "Bearer challenge without a realm", err);
	}
	/* Basic needs no realm to work, and servers that omit it exist. */
	if (!ch->realm && !(ch->realm = strdup(""))) {
		c_auth_challenge_free(ch);
		return c_err_sys(err, "parse", "WWW-Authenticate");
	}
	return 0;
}

/* ---- tokens ---------------------------------------------------------------------- */

int c_auth_parse_token(const char *body, size_t len, char **token, c_err **err)
{
	static const char *const keys[] = { "token", "access_token" };
	_cleanup_json_ json_t *doc = NULL;
	const char *t = NULL;
	json_t *v;
	size_t i;
	int rc = 0;

	*token = NULL;
	doc = parse_secret_json(body, len, "token response", NULL, err);
	if (!doc)
		return -1;
	if (!json_is_object(doc))
		return c_err_new(err, C_EXIT_DATA, 0, "token response: expected object, got %s",
				 c_json_type_name(doc));
	for (i = 0; i < sizeof keys / sizeof *keys && rc == 0 && !t; i++) {
		rc = c_json_get_string(doc, "", keys[i], false, &t, err);
		if (t && !*t)
			t = NULL;
	}
	if (rc < 0)
		c_err_wrap(err, "token response");
	else if (!t)
		rc = c_err_new(err, C_EXIT_AUTH, 0, "token response: no token");
	else if (!(*token = strdup(t)))
		rc = c_err_sys(err, "token response", NULL);
	for (i = 0; i < sizeof keys / sizeof *keys; i++) {
		v = json_object_get(doc, keys[i]);
		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
	return rc;
}

static bool is_unreserved(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Append "&name=value" (the first separator being sep), percent-encoded. */
static void put_param(FILE *f, char *sep, const char *name, const char *value, size_t len)
{
	size_t i;

	fprintf(f, "%c%s=", *sep, name);
	*sep = '&';
	for (i = 0; i < len; i++) {
		if (is_unreserved(value[i]))
			fputc(value[i], f);
		else
			fprintf(f, "%%%02X", (unsigned char)value[i]);
	}
}

char *c_auth_token_url(const struct c_auth_challenge *ch, const char *scope)
{
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	const char *s = ch->scope ? ch->scope : scope, *end;
	char *url = NULL;
	size_t size;
	FILE *f;

	f = open_memstream(&url, &size);
	if (!f)
		return NULL;
	fputs(ch->realm, f);
	if (ch->service)
		put_param(f, &sep, "service", ch->service, strlen(ch->service));
	/* Several scopes are separated by spaces; the token servers of docker
	 * distribution take each as its own scope parameter. */
	while (s && *s) {
		end = strchrnul(s, ' ');
		if (end > s)
			put_param(f, &sep, "scope", s, end - s);
		s = *end ? end + 1 : end;
	}
	if (fclose(f) != 0) {
		free(url);
		errno = ENOMEM;
		return NULL;
	}
	return url;
}
