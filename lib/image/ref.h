/* ref.h — image references and platforms, as docker and podman read them.
 *
 * References follow github.com/distribution/reference's ParseNormalizedNamed:
 *
 *     busybox                      docker.io/library/busybox:latest
 *     docker.io/busybox:1.36       docker.io/library/busybox:1.36
 *     index.docker.io/a/b          docker.io/a/b:latest
 *     host:5000/a/b@sha256:HEX     host:5000/a/b@sha256:HEX   (no tag)
 *     repo:tag@sha256:HEX          docker.io/library/repo:tag@sha256:HEX
 *     [::1]:5000/x, localhost/x    that domain
 *
 * The first component is a domain when it holds '.' or ':', is "localhost",
 * or has an uppercase letter ("Foo/bar" is the domain "Foo", as in the Go
 * library); otherwise the domain is docker.io and a one-component path gets
 * "library/".  Path components are [a-z0-9]+ joined by '.', '_', "__" or
 * runs of '-'; a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; the digest must be
 * sha256 or sha512 (c_digest_parse); domain + "/" + path is at most 255
 * bytes.  Without tag and digest the tag is "latest".
 *
 * Platforms follow containerd's platforms.Parse and Normalize: "os/arch[/variant]",
 * or an OS or an architecture alone; aarch64 → arm64, x86_64 → amd64,
 * armhf → arm/v7, armel → arm/v6, i386 → 386, "arm" means arm/v7.
 */
#ifndef C_REF_H
#define C_REF_H

#include <stdbool.h>

#include "digest.h"
#include "err.h"

#define C_REF_NAME_MAX 255 /* domain + "/" + path */
#define C_REF_TAG_MAX 128
/* domain/path:tag@digest */
#define C_REF_STR_MAX (C_REF_NAME_MAX + 1 + C_REF_TAG_MAX + 1 + C_DIGEST_STR_MAX)

#define C_REF_DEFAULT_DOMAIN "docker.io"

/* Plain values: a struct c_ref can be copied and needs no freeing. */
struct c_ref {
	char domain[C_REF_NAME_MAX + 1]; /* "docker.io", "host:5000", "[::1]:5000" */
	char path[C_REF_NAME_MAX + 1];   /* "library/busybox" */
	char repo[C_REF_NAME_MAX + 1];   /* "docker.io/library/busybox" */
	char tag[C_REF_TAG_MAX + 1];     /* "" when only a digest was given */
	bool has_digest;
	struct c_digest digest;
	char str[C_REF_STR_MAX];         /* canonical: repo[:tag][@digest] */
	char familiar[C_REF_STR_MAX];    /* for people: "busybox:latest", "a/b:1" */
};

/* Parse and normalise s.  Errors are C_EXIT_DATA:
 *     invalid reference "Foo/Bar": repository name must be lowercase */
int c_ref_parse(struct c_ref *ref, const char *s, c_err **err);

/* The host[:port] to send registry API requests to: registry-1.docker.io for
 * docker.io, the domain itself otherwise. */
const char *c_ref_api_host(const char *domain);

/* --- platforms -------------------------------------------------------------- */

#define C_PLATFORM_FIELD_MAX 64 /* bytes per field, with the NUL */
#define C_PLATFORM_STR_MAX (3 * C_PLATFORM_FIELD_MAX)

struct c_platform {
	char os[C_PLATFORM_FIELD_MAX];           /* "linux" */
	char arch[C_PLATFORM_FIELD_MAX];         /* "arm64" */
	char variant[C_PLATFORM_FIELD_MAX];      /* "v8", or "" */
	char os_version[C_PLATFORM_FIELD_MAX];   /* Windows builds; usually "" */
};

/* The platform this binary was built for: linux/amd64, linux/arm64, ... */
void c_platform_host(struct c_platform *p);

/* Parse a --platform value: "os/arch[/variant]", "os" (with the host's
 * architecture) or "arch" (with linux), normalised.  Errors are C_EXIT_DATA:
 *     invalid platform "linux/": empty architecture */
int c_platform_parse(struct c_platform *p, const char *spec, c_err **err);

/* Lowercase and map the aliases in place (aarch64 → arm64, armhf → arm/v7...). */
void c_platform_normalize(struct c_platform *p);

/* "os/arch" or "os/arch/variant" into buf. */
const char *c_platform_str(const struct c_platform *p, char buf[C_PLATFORM_STR_MAX]);

/* How well an image for `have` serves `want`: -1 when it cannot run there,
 * else a score, higher is better.  Both sides are normalised first.  OS and
 * architecture must be equal.  For arm, arm64 and amd64 the variant is a
 * level (arm: "" = v7; arm64: "", "v8" = 8; amd64: "" = v1) and an image of
 * a lower level runs too, the highest preferred; a wanted variant of ""
 * means the architecture's default level.  Other architectures need the
 * same variant, except that a wanted "" takes any, "" first. */
int c_platform_score(const struct c_platform *want, const struct c_platform *have);

#endif
