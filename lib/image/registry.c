#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "cleanup.h"
#include "cli.h"
#include "json.h"
#include "manifest.h"
#include "ref.h"

#define MAX_REDIRECTS 5
#define TOKEN_MAX (1 << 20)
#define TAGS_PAGE_MAX (4 << 20)


struct c_registry {
	char *domain;     /* as in the reference: messages, credentials */
	char *base;       /* scheme://endpoint, no trailing slash */
	char *repository;
	struct c_registry_opts opts;
	char *cert_dir, *creds_opt; /* owned copies behind opts */
	char *authz;      /* "Authorization: ..." once the registry asked */
	bool creds_looked_up;
	bool have_creds;
	struct c_creds creds;
	struct c_http *http;
};

/* "host[:port]" of an absolute URL, for comparing origins. */
static char *authority_of(const char *url)
{
	const char *p = strstr(url, "://"), *end;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	return strndup(p, (size_t)(end - p));
}

static bool same_origin(const char *a, const char *b)
{
	_cleanup_free_ char *x = authority_of(a), *y = authority_of(b);
	const char *sa = strstr(a, "://"), *sb = strstr(b, "://");

	if (!x || !y || !sa || !sb)
		return false;
	return sa - a == sb - b && !strncasecmp(a, b, (size_t)(sa - a)) && !strcasecmp(x, y);
}

static struct c_registry *registry_new(const char *domain, const char *base,
				       const char *repository, const struct c_registry_opts *opts,
				       c_err **err)
{
	struct c_registry *r = calloc(1, sizeof *r);
	struct c_http_config hc = { 0 };

	if (!r) {
		c_err_sys(err, "open registry", domain);
		return NULL;
	}
	r->opts = *opts;
	r->domain = strdup(domain);
	r->base = strdup(base);
	r->repository = strdup(repository);
	r->cert_dir = opts->cert_dir ? strdup(opts->cert_dir) : NULL;
	r->creds_opt = opts->creds ? strdup(opts->creds) : NULL;
	r->opts.cert_dir = r->cert_dir;
	r->opts.creds = r->creds_opt;
	if (!r->domain || !r->base || !r->repository || (opts->cert_dir && !r->cert_dir) ||
	    (opts->creds && !r->creds_opt)) {
		c_err_sys(err, "open registry", domain);
		c_registry_close(r);
		return NULL;
	}
	hc.tls_verify = opts->tls_verify;
	hc.cert_dir = r->cert_dir;
	r->http = c_http_new(&hc, err);
	if (!r->http) {
		c_registry_close(r);
		return NULL;
	}
	return r;
}

struct c_registry *c_registry_open(const char *domain, const char *repository,
				   const struct c_registry_opts *opts, c_err **err)
{
	_cleanup_free_ char *base = NULL;

	if (asprintf(&base, "%s://%s", opts->plain_http ? "http" : "https", c_ref_api_host(domain)) < 0) {
		c_err_sys(err, "open registry", domain);
		return NULL;
	}
	return registry_new(domain, base, repository, opts, err);
}

struct c_registry *c_registry_clone(const struct c_registry *r, c_err **err)
{
	struct c_registry *c = registry_new(r->domain, r->base, r->repository, &r->opts, err);

	if (c && r->authz && !(c->authz = strdup(r->authz))) {
		c_err_sys(err, "open registry", r->domain);
		c_registry_close(c);
		return NULL;
	}
	return c;
}

void c_registry_close(struct c_registry *r)
{
	if (!r)
		return;
	c_http_free(r->http);
	c_auth_free_header(r->authz);
	c_creds_free(&r->creds);
	free(r->domain);
	free(r->base);
	free(r->repository);
	free(r->cert_dir);
	free(r->creds_opt);
	free(r);
}

static int auth_required(struct c_registry *r, c_err **err)
{
	if (r->have_creds)
		return c_err_new(err, C_EXIT_AUTH, 0, "authentication failed for %s", r->domain);
	return c_err_new(err, C_EXIT_AUTH, 0, "authentication required for %s", r->domain);
}

static int lookup_creds(struct c_registry *r, c_err **err)
{
	int found;

	if (r->creds_looked_up)
		return 0;
	found = c_auth_lookup(r->domain, r->opts.creds, &r->creds, err);
	if (found < 0)
		return -1;
	r->creds_looked_up = true;
	r->have_creds = found > 0;
	return 0;
}

static void set_authz(struct c_registry *r, char *header)
{
	c_auth_free_header(r->authz);
	r->authz = header;
}

/* Ask the challenge's token endpoint for a pull token. */
static int fetch_token(struct c_registry *r, const struct c_auth_challenge *ch, c_err **err)
{
	_cleanup_free_ char *scope = NULL, *url = NULL, *body = NULL, *token = NULL;
	char *basic = NULL;
	const char *headers[2] = { NULL, NULL };
	struct c_http_request req = { .method = "GET", .headers = headers };
	struct c_http_response resp;
	size_t len;
	int rc;

	if (asprintf(&scope, "repository:%s:pull", r->repository) < 0)
		return c_err_sys(err, "token request for", r->domain);
	url = c_auth_token_url(ch, scope);
	if (!url)
		return c_err_sys(err, "token request for", r->domain);
	if (r->have_creds) {
		basic = c_auth_basic_header(&r->creds);
		if (!basic)
			return c_err_sys(err, "token request for", r->domain);
		headers[0] = basic;
	}
	req.url = url;
	rc = c_http_send(r->http, &req, &resp, err);
	c_auth_free_header(basic);
	if (rc < 0)
		return c_err_wrap(err, "token for %s", r->domain);
	if (resp.status == 401 || resp.status == 403) {
		c_http_done(r->http, &resp);
		return auth_required(r, err);
	}
	if (resp.status != 200) {
		int status = resp.status;

		c_http_done(r->http, &resp);
		return c_err_new(err, C_EXIT_AUTH, 0, "token for %s: HTTP %d", r->domain, status);
	}
	rc = c_http_read_all(r->http, &resp, TOKEN_MAX, &body, &len, err);
	c_http_done(r->http, &resp);
	if (rc < 0 || c_auth_parse_token(body, len, &token, err) < 0)
		return c_err_wrap(err, "token for %s", r->domain);
	set_authz(r, c_auth_bearer_header(token));
	explicit_bzero(token, strlen(token));
	if (!r->authz)
		return c_err_sys(err, "token for", r->domain);
	return 0;
}

/* Answer a 401 from the registry: Basic with the credentials, or a Bearer
 * token from the realm. */
static int authenticate(struct c_registry *r, const char *challenge, c_err **err)
{
	struct c_auth_challenge ch;
	int rc;

	if (!challenge)
		return auth_required(r, err);
	if (lookup_creds(r, err) < 0)
		return -1;
	if (c_auth_parse_challenge(challenge, &ch, err) < 0)
		return c_err_wrap(err, "authenticate to %s", r->domain);
	if (ch.scheme == C_AUTH_BASIC) {
		rc = r->have_creds ? 0 : auth_required(r, err);
		if (rc == 0) {
			set_authz(r, c_auth_basic_header(&r->creds));
			if (!r->authz)
				rc = c_err_sys(err, "authenticate to", r->domain);
		}
	} else {
		rc = fetch_token(r, &ch, err);
	}
	c_auth_challenge_free(&ch);
	return rc;
}

/* The next URL of a redirect: Location absolute, or a path on this origin. */
static char *resolve_location(const char *from, const char *location)
{
	const char *scheme_end = strstr(from, "://"), *path;
	char *url;

	if (strstr(location, "://"))
		return strdup(location);
	if (!scheme_end || location[0] != '/')
		return NULL;
	path = scheme_end + 3 + strcspn(scheme_end + 3, "/?#");
	if (asprintf(&url, "%.*s%s", (int)(path - from), from, location) < 0)
		return NULL;
	return url;
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Send a request to the registry, authenticating and following redirects;
 * on success resp holds the final response (any status but 401/3xx). */
static int request(struct c_registry *r, const char *url, const char *extra,
		   struct c_http_response *resp, c_err **err)
{
	_cleanup_free_ char *cur = strdup(url);
	bool retried_auth = false;
	int redirects = 0;

	if (!cur)
		return c_err_sys(err, "request", url);
	for (;;) {
		bool to_registry = same_origin(cur, r->base);
		const char *headers[3] = { extra, NULL, NULL };
		struct c_http_request req = { .method = "GET", .url = cur, .headers = headers };
		char *next;

		/* Credentials go to the registry only, never to where it redirects. */
		if (to_registry && r->authz)
			headers[extra ? 1 : 0] = r->authz;
		if (c_http_send(r->http, &req, resp, err) < 0)
			return -1;
		if (resp->status == 401 && to_registry) {
			char *challenge = NULL;
			const char *h = c_http_header(resp, "WWW-Authenticate");
			int rc;

			if (retried_auth) {
				c_http_done(r->http, resp);
				return auth_required(r, err);
			}
			if (h && !(challenge = strdup(h))) {
				c_http_done(r->http, resp);
				return c_err_sys(err, "authenticate to", r->domain);
			}
			c_http_done(r->http, resp);
			rc = authenticate(r, challenge, err);
			free(challenge);
			if (rc < 0)
				return -1;
			retried_auth = true;
			continue;
		}
		if (!is_redirect(resp->status))
			return 0;
		next = c_http_header(resp, "Location") ?
			       resolve_location(cur, c_http_header(resp, "Location")) :
			       NULL;
		c_http_done(r->http, resp);
		if (!next)
			return c_err_new(err, C_EXIT_NET, 0, "GET %s: redirect without a usable Location",
					 r->domain);
		if (++redirects > MAX_REDIRECTS) {
			free(next);
			return c_err_new(err, C_EXIT_NET, 0, "GET %s: more than %d redirects", r->domain,
					 MAX_REDIRECTS);
		}
		free(cur);
		cur = next;
	}
}

/* The registry's error code, e.g. MANIFEST_UNKNOWN, from an error body. */
static int status_error(struct c_registry *r, struct c_http_response *resp, const char *what,
			const char *object, c_err **err)
{
	int status = resp->status;

	c_http_done(r->http, resp);
	if (status == 404)
		return c_err_new(err, C_EXIT_NOTFOUND, 0, "%s unknown: %s", what, object);
	if (status == 403)
		return c_err_new(err, C_EXIT_AUTH, 0, "%s %s: access denied by %s", what, object,
				 r->domain);
	return c_err_new(err, C_EXIT_NET, 0, "%s %s: HTTP %d from %s", what, object, status,
			 r->domain);
}

static char *strip_params(const char *content_type)
{
	return content_type ? strndup(content_type, strcspn(content_type, "; \t")) : NULL;
}

int c_registry_get_manifest(struct c_registry *r, const char *reference, size_t max, char **body,
			    size_t *len, char **media_type, struct c_digest *digest, c_err **err)
{
	_cleanup_free_ char *url = NULL, *name = NULL, *buf = NULL, *type = NULL;
	struct c_http_response resp;
	struct c_digest want;
	struct c_hasher h;
	bool by_digest = strchr(reference, ':') != NULL;
	const char *dcd;
	size_t n;

	if (asprintf(&name, "%s/%s%s%s", r->domain, r->repository, by_digest ? "@" : ":",
		     reference) < 0 ||
	    asprintf(&url, "%s/v2/%s/manifests/%s", r->base, r->repository, reference) < 0)
		return c_err_sys(err, "manifest", reference);
	if (by_digest && c_digest_parse(&want, reference, err) < 0)
		return -1;
	if (request(r, url, "Accept: " C_MANIFEST_ACCEPT, &resp, err) < 0)
		return c_err_wrap(err, "manifest %s", name);
	if (resp.status != 200)
		return status_error(r, &resp, "manifest", name, err);
	type = strip_params(c_http_header(&resp, "Content-Type"));
	dcd = c_http_header(&resp, "Docker-Content-Digest");
	if (dcd && !by_digest && c_digest_parse(&want, dcd, err) < 0) {
		c_http_done(r->http, &resp);
		return c_err_wrap(err, "manifest %s: Docker-Content-Digest", name);
	}
	if (c_http_read_all(r->http, &resp, max, &buf, &n, err) < 0) {
		c_http_done(r->http, &resp);
		return c_err_wrap(err, "manifest %s", name);
	}
	c_http_done(r->http, &resp);
	c_hasher_init(&h, by_digest || dcd ? want.alg : C_DIGEST_SHA256);
	c_hasher_update(&h, buf, n);
	c_hasher_final(&h, digest);
	if ((by_digest || dcd) && c_digest_verify(&want, digest, err) < 0)
		return c_err_wrap(err, "manifest %s", name);
	*body = c_steal_ptr(&buf);
	*len = n;
	*media_type = c_steal_ptr(&type);
	return 0;
}

int c_registry_blob_open(struct c_registry *r, const struct c_digest *d, int64_t offset,
			 struct c_http_response *resp, bool *resumed, c_err **err)
{
	_cleanup_free_ char *url = NULL;
	char range[64];

	if (asprintf(&url, "%s/v2/%s/blobs/%s", r->base, r->repository, d->str) < 0)
		return c_err_sys(err, "blob", d->str);
	snprintf(range, sizeof range, "Range: bytes=%lld-", (long long)offset);
	if (request(r, url, offset > 0 ? range : NULL, resp, err) < 0)
		return c_err_wrap(err, "blob %s", d->str);
	if (resp->status == 206 && offset > 0) {
		const char *cr = c_http_header(resp, "Content-Range");
		long long start;

		/* Only a range that starts where we asked continues our bytes. */
		if (!cr || sscanf(cr, "bytes %lld-", &start) != 1 || start != offset) {
			c_http_done(r->http, resp);
			return c_err_new(err, C_EXIT_NET, 0, "blob %s: unexpected Content-Range",
					 d->str);
		}
		*resumed = true;
		return 0;
	}
	if (resp->status == 200) {
		*resumed = false;
		return 0;
	}
	return status_error(r, resp, "blob", d->str, err);
}

ssize_t c_registry_read(struct c_registry *r, struct c_http_response *resp, void *buf, size_t len,
			c_err **err)
{
	return c_http_read(r->http, resp, buf, len, err);
}

void c_registry_done(struct c_registry *r, struct c_http_response *resp)
{
	c_http_done(r->http, resp);
}

int c_registry_get_blob(struct c_registry *r, const struct c_digest *d, size_t max, char **body,
			size_t *len, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	struct c_http_response resp;
	struct c_digest got;
	struct c_hasher h;
	bool resumed;
	size_t n;

	if (c_registry_blob_open(r, d, 0, &resp, &resumed, err) < 0)
		return -1;
	if (c_http_read_all(r->http, &resp, max, &buf, &n, err) < 0) {
		c_http_done(r->http, &resp);
		return c_err_wrap(err, "blob %s", d->str);
	}
	c_http_done(r->http, &resp);
	c_hasher_init(&h, d->alg);
	c_hasher_update(&h, buf, n);
	c_hasher_final(&h, &got);
	if (c_digest_verify(d, &got, err) < 0)
		return -1;
	*body = c_steal_ptr(&buf);
	*len = n;
	return 0;
}

/* The target of a Link: <URL>; rel="next" header, resolved against from. */
static char *next_link(const char *from, const char *link)
{
	const char *lt, *gt;
	_cleanup_free_ char *target = NULL;

	if (!link || !strstr(link, "rel=\"next\"") || !(lt = strchr(link, '<')) ||
	    !(gt = strchr(lt, '>')))
		return NULL;
	target = strndup(lt + 1, (size_t)(gt - lt - 1));
	return target ? resolve_location(from, target) : NULL;
}

static int append_tags(json_t *doc, const char *where, char ***tags, size_t *ntags, c_err **err)
{
	json_t *list, *t;
	size_t i;

	if (c_json_get(doc, "", "tags", JSON_ARRAY, false, &list, err) < 0)
		return c_err_wrap(err, "tags of %s", where);
	json_array_foreach(list, i, t) {
		char **grown;

		if (!json_is_string(t))
			return c_err_new(err, C_EXIT_DATA, 0, "tags of %s: field tags[%zu]: expected string",
					 where, i);
		grown = realloc(*tags, (*ntags + 1) * sizeof **tags);
		if (!grown)
			return c_err_sys(err, "tags of", where);
		*tags = grown;
		if (!((*tags)[*ntags] = strdup(json_string_value(t))))
			return c_err_sys(err, "tags of", where);
		(*ntags)++;
	}
	return 0;
}

static void free_tags(char ***tags, size_t *ntags)
{
	for (size_t i = 0; i < *ntags; i++)
		free((*tags)[i]);
	free(*tags);
	*tags = NULL;
	*ntags = 0;
}

static int list_tags(struct c_registry *r, char ***tags, size_t *ntags, c_err **err)
{
	_cleanup_free_ char *url = NULL, *where = NULL;

	if (asprintf(&url, "%s/v2/%s/tags/list", r->base, r->repository) < 0 ||
	    asprintf(&where, "%s/%s", r->domain, r->repository) < 0)
		return c_err_sys(err, "tags of", r->repository);
	while (url) {
		_cleanup_free_ char *body = NULL;
		_cleanup_json_ json_t *doc = NULL;
		struct c_http_response resp;
		size_t len;
		char *next;

		if (request(r, url, NULL, &resp, err) < 0)
			return c_err_wrap(err, "tags of %s", where);
		if (resp.status != 200)
			return status_error(r, &resp, "repository", where, err);
		next = next_link(url, c_http_header(&resp, "Link"));
		if (c_http_read_all(r->http, &resp, TAGS_PAGE_MAX, &body, &len, err) < 0) {
			c_http_done(r->http, &resp);
			free(next);
			return c_err_wrap(err, "tags of %s", where);
		}
		c_http_done(r->http, &resp);
		free(url);
		url = next;
		doc = c_json_parse(body, len, where, err);
		if (!doc || append_tags(doc, where, tags, ntags, err) < 0)
			return -1;
	}
	return 0;
}

int c_registry_list_tags(struct c_registry *r, char ***tags, size_t *ntags, c_err **err)
{
	*tags = NULL;
	*ntags = 0;
	if (list_tags(r, tags, ntags, err) < 0) {
		free_tags(tags, ntags);
		return -1;
	}
	return 0;
}

bool c_registry_cli_option(int c, const char *arg, struct c_registry_opts *opts)
{
	switch (c) {
	case C_REGISTRY_OPT_TLS_VERIFY:
		opts->tls_verify = c_cli_bool("--tls-verify", arg);
		return true;
	case C_REGISTRY_OPT_PLAIN_HTTP:
		opts->plain_http = true;
		return true;
	case C_REGISTRY_OPT_CERT_DIR:
		opts->cert_dir = arg;
		return true;
	case C_REGISTRY_OPT_CREDS:
		opts->creds = arg;
		return true;
	}
	return false;
}
