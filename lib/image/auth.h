/* auth.h — registry credentials and challenges.
 *
 * Credentials are looked up the way podman does: the --creds option, then
 * $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/auth.json
 * (/run/containers/UID/auth.json when it is unset), then
 * ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json, then
 * $HOME/.docker/config.json ($DOCKER_CONFIG/config.json when set); the first
 * file with an entry for the host wins.  In each file the "auths" object is
 * keyed by "host[:port]" (also "https://host[:port]/any/path" and
 * "host/v1/"-style keys docker writes; "docker.io", "index.docker.io" and
 * "registry-1.docker.io" are one host; "host/ns/repo" keys, which are for one
 * repository, do not match), the exact key before its aliases, and each
 * entry has "auth" (base64 of "user:password") or "username"/"password"; an
 * empty entry (a credential helper's) is skipped.
 * A secret is never printed, logged or put in an error message, and is wiped
 * from memory when freed.
 */
#ifndef C_AUTH_H
#define C_AUTH_H

#include <stddef.h>

#include "err.h"

struct c_creds {
	char *user;
	char *secret;
};

/* host is "host[:port]" as in a reference ("docker.io" for Docker Hub).
 * creds_opt is --creds "user[:password]" or NULL.  Returns 1 and fills *out
 * when credentials are found, 0 when there are none, -1 on error (a file that
 * exists but is not valid JSON is an error naming the file, C_EXIT_DATA;
 * --creds without a password is C_EXIT_USAGE, as there is no prompt).
 * *out is all NULL unless 1 is returned. */
int c_auth_lookup(const char *host, const char *creds_opt, struct c_creds *out, c_err **err);
void c_creds_free(struct c_creds *c);

enum c_auth_scheme {
	C_AUTH_BASIC,
	C_AUTH_BEARER,
};

/* A WWW-Authenticate challenge: Basic realm="…" or
 * Bearer realm="…",service="…",scope="…" (quoted or token values, any order,
 * case-insensitive scheme and keys). */
struct c_auth_challenge {
	enum c_auth_scheme scheme;
	char *realm;
	char *service; /* NULL when absent */
	char *scope;   /* NULL when absent */
};

/* A header listing several challenges gives the first Basic or Bearer one.
 * Errors: only other schemes, C_EXIT_AUTH naming the first; bad syntax or a
 * Bearer challenge without realm, C_EXIT_DATA.  Basic without a realm gets
 * realm "". */
int c_auth_parse_challenge(const char *header, struct c_auth_challenge *ch, c_err **err);
void c_auth_challenge_free(struct c_auth_challenge *ch);

/* "Authorization: Basic <base64(user:secret)>"; caller frees (and it holds
 * the secret: free it with c_auth_free_header). */
char *c_auth_basic_header(const struct c_creds *c);

/* "Authorization: Bearer <token>". */
char *c_auth_bearer_header(const char *token);
void c_auth_free_header(char *header);

/* The token of a token endpoint's JSON answer: "token", else "access_token"
 * (an empty one counts as none); neither is "token response: no token",
 * C_EXIT_AUTH.  Only len bytes of body are read. */
int c_auth_parse_token(const char *body, size_t len, char **token, c_err **err);

/* The token endpoint URL for a challenge: realm?service=…&scope=… with the
 * values percent-encoded (all but RFC 3986's unreserved characters); scope
 * is the challenge's or, when it has none, the one given (e.g.
 * "repository:library/busybox:pull"); space-separated scopes become one
 * scope parameter each.  NULL (errno set) when out of memory. */
char *c_auth_token_url(const struct c_auth_challenge *ch, const char *scope);

#endif
