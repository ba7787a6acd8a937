/* Registry credentials, challenges, tokens and base64. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "base64.h"
#include "tap.h"

static char tmp[] = "/tmp/test-auth.XXXXXX";

static int line_lacks(const c_err *e, const char *secret)
{
	char *line = c_err_line(e);
	int clean = line && !strstr(line, secret);

	if (!clean)
		tap_diag("leaks: %s", line ? line : "(null)");
	free(line);
	return clean;
}

/* tmp/REL, parents made; the returned path is static. */
static const char *put(const char *rel, const char *text)
{
	static char path[512];
	char *slash;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	for (slash = strchr(path + strlen(tmp) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		tap_diag("cannot write %s", path);
		exit(99);
	}
	return path;
}

static void setenv_tmp(const char *name, const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	setenv(name, path, 1);
}

/* Look host up with the files in place: "user:secret", "" for none, or
 * "error" (the error is left in *e). */
static char *lookup(const char *host, const char *creds_opt, c_err **e)
{
	struct c_creds c = { (char *)"junk", (char *)"junk" };
	char *s = NULL;
	int rc = c_auth_lookup(host, creds_opt, &c, e);

	if (rc < 0)
		s = strdup(!c.user && !c.secret ? "error" : "error, creds left set");
	else if (rc == 0)
		s = strdup(!c.user && !c.secret ? "" : "none, creds left set");
	else if (asprintf(&s, "%s:%s", c.user, c.secret) < 0)
		s = NULL;
	c_creds_free(&c);
	return s;
}

static int lookup_is(const char *host, const char *creds_opt, const char *want)
{
	c_err *e = NULL;
	char *got = lookup(host, creds_opt, &e);
	int same = got && !strcmp(got, want);

	if (!same)
		tap_diag("%s: got \"%s\", want \"%s\"", host, got ? got : "(null)", want);
	if (e) {
		if (!same)
			tap_err_has(&e, "");
		c_err_free(&e);
	}
	free(got);
	return same;
}

/* base64 of "alice:pw-<n>" */
static const char *auth_json(const char *key, const char *b64)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}", key, b64);
	return buf;
}

static void test_lookup_order(void)
{
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
	setenv_tmp("HOME", "home");
	setenv_tmp("XDG_RUNTIME_DIR", "run");
	setenv_tmp("XDG_CONFIG_HOME", "config");

	ok(lookup_is("r.example:5000", NULL, ""), "no auth files: no credentials");

	put("home/.docker/config.json",
	    "{\"auths\": {\"r.example:5000\": {\"auth\": \"ZG9ja2VyOmQtcGFzcw==\"}}}");
	ok(lookup_is("r.example:5000", NULL, "docker:d-pass"), "$HOME/.docker/config.json");
	ok(lookup_is("other.example", NULL, ""), "another host is not matched");

	put("dockercfg/config.json", auth_json("r.example:5000", "ZGM6ZGMtcGFzcw=="));
	setenv_tmp("DOCKER_CONFIG", "dockercfg");
	ok(lookup_is("r.example:5000", NULL, "dc:dc-pass"), "$DOCKER_CONFIG replaces ~/.docker");
	unsetenv("DOCKER_CONFIG");

	put("config/containers/auth.json", auth_json("r.example:5000", "Y2ZnOmNmZy1wYXNz"));
	ok(lookup_is("r.example:5000", NULL, "cfg:cfg-pass"),
	   "$XDG_CONFIG_HOME/containers/auth.json before docker's");

	put("run/containers/auth.json", auth_json("r.example:5000", "cnVuOnJ1bi1wYXNz"));
	ok(lookup_is("r.example:5000", NULL, "run:run-pass"),
	   "$XDG_RUNTIME_DIR/containers/auth.json before that");

	put("explicit.json", auth_json("r.example:5000", "ZXhwOmV4cC1wYXNz"));
	setenv_tmp("REGISTRY_AUTH_FILE", "explicit.json");
	ok(lookup_is("r.example:5000", NULL, "exp:exp-pass"), "$REGISTRY_AUTH_FILE first");
	ok(lookup_is("r.example:5000", "cli:cli-pass", "cli:cli-pass"), "--creds before any file");

	put("explicit.json", auth_json("elsewhere.example", "ZXhwOmV4cC1wYXNz"));
	ok(lookup_is("r.example:5000", NULL, "run:run-pass"),
	   "a file without the host falls through to the next");
	put("explicit.json", "{\"credsStore\": \"secretservice\"}");
	ok(lookup_is("r.example:5000", NULL, "run:run-pass"), "a file without auths falls through");
	put("explicit.json", "{\"auths\": {\"r.example:5000\": {}}}");
	ok(lookup_is("r.example:5000", NULL, "run:run-pass"),
	   "an empty entry (a credential helper's) falls through");
	setenv_tmp("REGISTRY_AUTH_FILE", "does-not-exist.json");
	ok(lookup_is("r.example:5000", NULL, "run:run-pass"), "a missing file is skipped");
	unsetenv("REGISTRY_AUTH_FILE");
}

static void test_key_forms(void)
{
	static const struct {
		const char *key, *host;
		bool match;
	} cases[] = {
		{ "r.example:5000", "r.example:5000", true },
		{ "https://r.example:5000", "r.example:5000", true },
		{ "http://r.example:5000/", "r.example:5000", true },
		{ "https://r.example:5000/v1/", "r.example:5000", true },
		{ "https://r.example:5000/any/path", "r.example:5000", true },
		{ "r.example:5000/v1/", "r.example:5000", true },
		{ "r.example:5000/v2/", "r.example:5000", true },
		{ "R.Example:5000", "r.example:5000", true },
		{ "https://index.docker.io/v1/", "docker.io", true },
		{ "index.docker.io", "docker.io", true },
		{ "registry-1.docker.io", "docker.io", true },
		{ "docker.io", "index.docker.io", true },
		{ "r.example:5000/ns/repo", "r.example:5000", false },
		{ "r.example:5001", "r.example:5000", false },
		{ "r.example", "r.example:5000", false },
		{ "r.example:5000", "r.example", false },
		{ "quay.io", "docker.io", false },
		{ "https://", "r.example:5000", false },
	};
	size_t i;

	setenv_tmp("REGISTRY_AUTH_FILE", "keys.json");
	setenv_tmp("XDG_RUNTIME_DIR", "nothing");
	setenv_tmp("XDG_CONFIG_HOME", "nothing");
	setenv_tmp("HOME", "nothing");
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		put("keys.json", auth_json(cases[i].key, "dTpw"));
		ok(lookup_is(cases[i].host, NULL, cases[i].match ? "u:p" : ""),
		   "key \"%s\" %s host %s", cases[i].key,
		   cases[i].match ? "matches" : "does not match", cases[i].host);
	}

	put("keys.json", "{\"auths\": {\"https://r.example:5000\": {\"auth\": \"YTpi\"},"
			 " \"r.example:5000\": {\"auth\": \"dTpw\"}}}");
	ok(lookup_is("r.example:5000", NULL, "u:p"), "the exact key wins over an earlier alias");
	put("keys.json", "{\"auths\": {\"https://r.example:5000/v1/\": {\"auth\": \"YTpi\"},"
			 " \"http://r.example:5000\": {\"auth\": \"dTpw\"}}}");
	ok(lookup_is("r.example:5000", NULL, "a:b"), "otherwise the first alias in the file");
}

static void test_entries(void)
{
	const char *path;
	c_err *e = NULL;
	char *got;

	setenv_tmp("REGISTRY_AUTH_FILE", "entries.json");
	/* "bob:pa:ss:word" */
	put("entries.json", auth_json("h", "Ym9iOnBhOnNzOndvcmQ="));
	ok(lookup_is("h", NULL, "bob:pa:ss:word"), "a password may contain ':'");
	put("entries.json", auth_json("h", "Ym9iOg=="));
	ok(lookup_is("h", NULL, "bob:"), "an empty password from a file is kept");
	put("entries.json", auth_json("h", "Ym9iOnB3"));
	ok(lookup_is("h", NULL, "bob:pw"), "auth without padding");
	put("entries.json", "{\"auths\": {\"h\": {\"username\": \"carol\", \"password\": \"c:pw\"}}}");
	ok(lookup_is("h", NULL, "carol:c:pw"), "username and password fields");
	put("entries.json", "{\"auths\": {\"h\": {\"auth\": \"\", \"username\": \"carol\","
			    " \"password\": \"pw\"}}}");
	ok(lookup_is("h", NULL, "carol:pw"), "an empty auth defers to username/password");

	/* "nocolon-s3cr3t" */
	path = put("entries.json", auth_json("h", "bm9jb2xvbi1zM2NyM3Q="));
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && e && e->status == C_EXIT_DATA,
	   "auth without ':' is bad data");
	free(got);
	ok(e && line_lacks(e, "s3cr3t") && line_lacks(e, "bm9jb2xvbi1zM2NyM3Q"),
	   "the error shows neither the secret nor its base64");
	ok(e && tap_err_has(&e, path) , "the error names the file");

	put("entries.json", auth_json("h", "not*base64"));
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") &&
		   tap_err_has(&e, "field auths.h.auth: not base64 of user:password"),
	   "auth that is not base64 names the field");
	free(got);

	path = put("entries.json", "{\"auths\": {\"h\": {\"auth\": \"dTpodW50ZXIy\",\n"
				   "\"password\": \"hunter2\" \"x\"}}}");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && e && e->status == C_EXIT_DATA,
	   "a malformed auth file is an error");
	free(got);
	ok(e && line_lacks(e, "hunter2") && line_lacks(e, "dTpodW50ZXIy"),
	   "its message holds no secret");
	ok(e && tap_err_has(&e, path), "its message names the file");

	path = put("entries.json", "{\"auths\": {\"h\": {\"auth\": \"dTpodW50ZXIy");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && e && line_lacks(e, "dTpodW50ZXIy") &&
		   tap_err_has(&e, "not valid JSON"),
	   "a file cut inside the secret does not echo it");
	free(got);

	put("entries.json", "{\"auths\": [\"h\"]}");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "field auths: expected object"),
	   "auths that is not an object");
	free(got);

	put("entries.json", "{\"auths\": {\"h\": {\"username\": \"carol\"}}}");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "auths.h: username without password"),
	   "a username without a password");
	free(got);

	put("entries.json", "{\"auths\": {\"h\": \"dTpw\"}}");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "field auths.h: expected object"),
	   "an entry that is not an object");
	free(got);

	put("entries.json", "{\"auths\": {\"h\": {\"auth\": 12}}}");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "field auths.h.auth: expected string"),
	   "an auth that is not a string");
	free(got);

	put("entries.json", "{\"auths\": {}, \"auths\": {}}");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "duplicate"), "duplicate keys refused");
	free(got);

	put("entries.json", "{\"auths\": {\"other\": {\"auth\": \"!!\"}}}");
	ok(lookup_is("h", NULL, ""), "a broken entry for another host is not looked at");

	setenv_tmp("REGISTRY_AUTH_FILE", "");
	got = lookup("h", NULL, &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "auth file"),
	   "an auth file that is a directory is an error");
	free(got);
	unsetenv("REGISTRY_AUTH_FILE");
}

static void test_creds_option(void)
{
	c_err *e = NULL;
	char *got;

	ok(lookup_is("h", "user:pass", "user:pass"), "--creds user:pass");
	ok(lookup_is("h", "user:pa:ss", "user:pa:ss"), "--creds: the password may hold ':'");

	got = lookup("h", "user", &e);
	ok(got && !strcmp(got, "error") && e && e->status == C_EXIT_USAGE &&
		   tap_err_has(&e, "--creds: password missing"),
	   "--creds user alone: password missing (no prompt)");
	free(got);
	got = lookup("h", "user:", &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "--creds: password missing"),
	   "--creds user: with an empty password");
	free(got);
	got = lookup("h", ":pass", &e);
	ok(got && !strcmp(got, "error") && e && e->status == C_EXIT_USAGE &&
		   line_lacks(e, "pass") && tap_err_has(&e, "--creds: user name missing"),
	   "--creds :pass: user missing, password not shown");
	free(got);
	got = lookup("h", "", &e);
	ok(got && !strcmp(got, "error") && tap_err_has(&e, "--creds"), "--creds empty");
	free(got);
}

/* ---- challenges ---- */

struct challenge_case {
	const char *header;
	int scheme; /* -1: an error */
	const char *realm, *service, *scope;
	const char *error; /* part of the message */
};

static const struct challenge_case challenges[] = {
	{ "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
	  "scope=\"repository:library/busybox:pull\"",
	  C_AUTH_BEARER, "https://auth.example/token", "registry.example",
	  "repository:library/busybox:pull", NULL },
	{ "Basic realm=\"fake\"", C_AUTH_BASIC, "fake", NULL, NULL, NULL },
	{ "basic REALM=fake", C_AUTH_BASIC, "fake", NULL, NULL, NULL },
	{ "BEARER Realm=\"r\", Service=svc", C_AUTH_BEARER, "r", "svc", NULL, NULL },
	{ "Basic", C_AUTH_BASIC, "", NULL, NULL, NULL },
	{ "Bearer scope=\"a:b:pull\",service=\"s\",realm=\"https://t/x\"", C_AUTH_BEARER,
	  "https://t/x", "s", "a:b:pull", NULL },
	{ "Bearer realm=\"https://t/x\",scope=\"repository:a/b:pull,push\"", C_AUTH_BEARER,
	  "https://t/x", NULL, "repository:a/b:pull,push", NULL },
	{ "Bearer realm=\"a \\\"quoted\\\" \\\\ realm\"", C_AUTH_BEARER, "a \"quoted\" \\ realm",
	  NULL, NULL, NULL },
	{ "Bearer  realm = \"r\" ,  service = \"s\"  ", C_AUTH_BEARER, "r", "s", NULL, NULL },
	{ "Bearer realm=\"r\",error=\"invalid_token\",error_description=\"x, y\"",
	  C_AUTH_BEARER, "r", NULL, NULL, NULL },
	{ "Bearer realm=r,,service=s", C_AUTH_BEARER, "r", "s", NULL, NULL },
	{ "Negotiate abc==, Basic realm=\"second\"", C_AUTH_BASIC, "second", NULL, NULL, NULL },
	{ "Digest realm=\"d\", nonce=\"n, m\", Bearer realm=\"b\"", C_AUTH_BEARER, "b", NULL,
	  NULL, NULL },
	{ "Bearer realm=\"first\", Basic realm=\"second\"", C_AUTH_BEARER, "first", NULL, NULL,
	  NULL },
	{ "Bearer realm=\"\"", -1, NULL, NULL, NULL, "without a realm" },
	{ "Bearer service=\"s\",scope=\"x\"", -1, NULL, NULL, NULL, "without a realm" },
	{ "Negotiate", -1, NULL, NULL, NULL, "unsupported scheme Negotiate" },
	{ "Digest realm=\"d\", qop=\"auth\"", -1, NULL, NULL, NULL, "unsupported scheme Digest" },
	{ "", -1, NULL, NULL, NULL, "no challenge" },
	{ "Bearer realm=\"unterminated", -1, NULL, NULL, NULL, "unterminated" },
	{ "Bearer realm=", -1, NULL, NULL, NULL, "without a realm" },
	{ "Bearer service=s,realm=", -1, NULL, NULL, NULL, "without a value" },
	{ "Bearer realm=\"a\" service=\"b\"", -1, NULL, NULL, NULL, "malformed" },
	{ "Bearer realm=\"a\",realm=\"b\"", -1, NULL, NULL, NULL, "twice" },
	{ "=Bearer", -1, NULL, NULL, NULL, "malformed" },
	{ "Bearer realm=\"a\", =x", -1, NULL, NULL, NULL, "malformed" },
};

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void test_challenges(void)
{
	struct c_auth_challenge ch;
	const struct challenge_case *c;
	c_err *e = NULL;
	size_t i;
	int rc;

	for (i = 0; i < sizeof challenges / sizeof *challenges; i++) {
		c = &challenges[i];
		rc = c_auth_parse_challenge(c->header, &ch, &e);
		if (c->scheme < 0) {
			ok(rc < 0 && tap_err_has(&e, c->error), "challenge '%s': error '%s'", c->header,
			   c->error);
			continue;
		}
		ok(rc == 0 && (int)ch.scheme == c->scheme && same(ch.realm, c->realm) &&
			   same(ch.service, c->service) && same(ch.scope, c->scope),
		   "challenge '%s'", c->header);
		if (rc < 0)
			tap_err_has(&e, "");
		else if (!same(ch.realm, c->realm) || !same(ch.service, c->service) ||
			 !same(ch.scope, c->scope))
			tap_diag("got realm=%s service=%s scope=%s", ch.realm, ch.service,
				 ch.scope);
		c_auth_challenge_free(&ch);
	}

	rc = c_auth_parse_challenge("Kerberos", &ch, &e);
	ok(rc < 0 && e && e->status == C_EXIT_AUTH, "an unsupported scheme is an auth failure");
	c_err_free(&e);
	rc = c_auth_parse_challenge("Bearer realm=\"x", &ch, &e);
	ok(rc < 0 && e && e->status == C_EXIT_DATA && !ch.realm && !ch.service && !ch.scope,
	   "a malformed challenge is bad data and leaves nothing to free");
	c_err_free(&e);
}

/* ---- tokens ---- */

static void test_tokens(void)
{
	static const struct {
		const char *body, *token, *error;
	} cases[] = {
		{ "{\"token\":\"abc\"}", "abc", NULL },
		{ "{\"access_token\":\"xyz\",\"expires_in\":300}", "xyz", NULL },
		{ "{\"token\":\"abc\",\"access_token\":\"xyz\"}", "abc", NULL },
		{ "{\"token\":\"\",\"access_token\":\"xyz\"}", "xyz", NULL },
		{ "{\"expires_in\":300}", NULL, "token response: no token" },
		{ "{\"token\":\"\"}", NULL, "token response: no token" },
		{ "{\"token\":42}", NULL, "token response: field token: expected string" },
		{ "[\"abc\"]", NULL, "token response: expected object, got array" },
		{ "{\"token\":\"s3cr3t-tok", NULL, "token response: not valid JSON" },
		{ "", NULL, "token response: not valid JSON" },
	};
	c_err *e = NULL;
	char *token;
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		rc = c_auth_parse_token(cases[i].body, strlen(cases[i].body), &token, &e);
		if (cases[i].token)
			ok(rc == 0 && token && !strcmp(token, cases[i].token), "token from %s",
			   cases[i].body);
		else
			ok(rc < 0 && !token && e && line_lacks(e, "s3cr3t") &&
				   tap_err_has(&e, cases[i].error),
			   "token from '%s': error '%s'", cases[i].body, cases[i].error);
		free(token);
		c_err_free(&e);
	}
	rc = c_auth_parse_token("{\"expires_in\":300}", 18, &token, &e);
	ok(rc < 0 && e && e->status == C_EXIT_AUTH, "no token is an auth failure");
	c_err_free(&e);
	/* The body is not NUL-terminated: only len bytes count. */
	rc = c_auth_parse_token("{\"token\":\"t\"}garbage", 13, &token, &e);
	ok(rc == 0 && token && !strcmp(token, "t"), "only len bytes of the body are read");
	free(token);
	c_err_free(&e);
}

static int url_is(const char *realm, const char *service, const char *ch_scope,
		  const char *scope, const char *want)
{
	struct c_auth_challenge ch = { C_AUTH_BEARER, (char *)realm, (char *)service,
				       (char *)ch_scope };
	char *url = c_auth_token_url(&ch, scope);
	int same_url = url && !strcmp(url, want);

	if (!same_url)
		tap_diag("got %s", url ? url : "(null)");
	free(url);
	return same_url;
}

static void test_token_url(void)
{
	ok(url_is("https://auth.example/token", "registry.example",
		  "repository:library/busybox:pull", NULL,
		  "https://auth.example/token?service=registry.example"
		  "&scope=repository%3Alibrary%2Fbusybox%3Apull"),
	   "service and the challenge's scope, percent-encoded");
	ok(url_is("https://t/token", "fake", NULL, "repository:c-tools/busybox:pull",
		  "https://t/token?service=fake&scope=repository%3Ac-tools%2Fbusybox%3Apull"),
	   "the given scope when the challenge has none");
	ok(url_is("https://t/token", "fake", "repository:a:pull", "repository:b:pull",
		  "https://t/token?service=fake&scope=repository%3Aa%3Apull"),
	   "the challenge's scope wins over the given one");
	ok(url_is("https://t/token", NULL, NULL, "repository:a:pull",
		  "https://t/token?scope=repository%3Aa%3Apull"),
	   "no service");
	ok(url_is("https://t/token", NULL, NULL, NULL, "https://t/token"), "neither");
	ok(url_is("https://t/token?account=x", "s", NULL, NULL,
		  "https://t/token?account=x&service=s"),
	   "a realm that has a query already");
	ok(url_is("https://t/token", "a b&c=d/é", NULL, NULL,
		  "https://t/token?service=a%20b%26c%3Dd%2F%C3%A9"),
	   "reserved, space and non-ASCII bytes are encoded");
	ok(url_is("https://t/token", "s", "repository:a:pull repository:b:pull,push", NULL,
		  "https://t/token?service=s&scope=repository%3Aa%3Apull"
		  "&scope=repository%3Ab%3Apull%2Cpush"),
	   "several scopes become several parameters");
	ok(url_is("https://t/token", "s", NULL, "A-Z_a.z~09",
		  "https://t/token?service=s&scope=A-Z_a.z~09"),
	   "unreserved characters stay");
}

static void test_headers(void)
{
	struct c_creds c = { (char *)"user", (char *)"pa:ss" };
	char *h;

	h = c_auth_basic_header(&c);
	ok(h && !strcmp(h, "Authorization: Basic dXNlcjpwYTpzcw=="), "Basic header");
	c_auth_free_header(h);
	h = c_auth_bearer_header("tok.en");
	ok(h && !strcmp(h, "Authorization: Bearer tok.en"), "Bearer header");
	c_auth_free_header(h);
	c_auth_free_header(NULL);
	c_creds_free(NULL);
	ok(1, "freeing NULL is fine");
}

/* ---- base64 ---- */

static int decodes_to(const char *text, const char *want)
{
	size_t len = 99;
	char *got = c_base64_decode(text, &len);
	int same_bytes = got && len == strlen(want) && !memcmp(got, want, len) && !got[len];

	free(got);
	return same_bytes;
}

static void test_base64(void)
{
	static const char *const vectors[][2] = {
		{ "", "" },	    { "f", "Zg==" },	    { "fo", "Zm8=" },
		{ "foo", "Zm9v" },  { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *const malformed[] = {
		"Z", "Zg=", "Zg===", "Z===", "Zm9v!", "Zg==Zg==", " Zg==", "Zm9v\t", "Zm=v",
		"Zm9vY", "====", "Zm-_",
	};
	unsigned char data[300], *back;
	bool all = true;
	size_t i, n, len;
	char *enc;

	for (i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		enc = c_base64_encode(vectors[i][0], strlen(vectors[i][0]));
		ok(enc && !strcmp(enc, vectors[i][1]) && decodes_to(vectors[i][1], vectors[i][0]),
		   "RFC 4648 vector \"%s\" <-> \"%s\"", vectors[i][0], vectors[i][1]);
		free(enc);
	}
	ok(decodes_to("Zg", "f") && decodes_to("Zm8", "fo"), "padding may be left out");
	ok(decodes_to("+/+/", "\xfb\xff\xbf"), "+ and / are the last two letters");

	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof data && all; n++) {
		enc = c_base64_encode(data, n);
		back = enc ? c_base64_decode(enc, &len) : NULL;
		all = back && len == n && !memcmp(back, data, n) && strlen(enc) == (n + 2) / 3 * 4;
		if (!all)
			tap_diag("round trip fails at %zu bytes", n);
		free(enc);
		free(back);
	}
	ok(all, "round trips of 0..%zu bytes of all values", sizeof data);
	ok(!c_base64_decode("Zm9v\n", &len) && errno == EINVAL, "a trailing newline is refused");

	for (i = 0; i < sizeof malformed / sizeof *malformed; i++) {
		errno = 0;
		back = c_base64_decode(malformed[i], &len);
		ok(!back && errno == EINVAL, "malformed base64 \"%s\" refused", malformed[i]);
		free(back);
	}
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 99;
	}
	test_lookup_order();
	test_key_forms();
	test_entries();
	test_creds_option();
	test_challenges();
	test_tokens();
	test_token_url();
	test_headers();
	test_base64();
	tap_remove_tree(tmp);
	return tap_done();
}
