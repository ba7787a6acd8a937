/* Image references and platforms, against what docker and podman accept. */
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "tap.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG "sha256:" HEX

struct ref_case {
	const char *in;
	const char *str, *domain, *path, *tag, *familiar;
	const char *msg; /* set for refused ones: a piece of the message */
};

#define GOOD(in_, str_, domain_, path_, tag_, familiar_)                                   \
	{ .in = in_, .str = str_, .domain = domain_, .path = path_, .tag = tag_,            \
	  .familiar = familiar_ }
#define BAD(in_, msg_) { .in = in_, .msg = msg_ }

static const struct ref_case ref_cases[] = {
	GOOD("busybox", "docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest",
	     "busybox:latest"),
	GOOD("library/busybox:1.36", "docker.io/library/busybox:1.36", "docker.io",
	     "library/busybox", "1.36", "busybox:1.36"),
	GOOD("docker.io/busybox", "docker.io/library/busybox:latest", "docker.io",
	     "library/busybox", "latest", "busybox:latest"),
	GOOD("docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "docker.io",
	     "library/busybox", "latest", "busybox:latest"),
	GOOD("index.docker.io/busybox", "docker.io/library/busybox:latest", "docker.io",
	     "library/busybox", "latest", "busybox:latest"),
	GOOD("index.docker.io/a/b:t", "docker.io/a/b:t", "docker.io", "a/b", "t", "a/b:t"),
	GOOD("user/repo", "docker.io/user/repo:latest", "docker.io", "user/repo", "latest",
	     "user/repo:latest"),
	GOOD("library/a/b", "docker.io/library/a/b:latest", "docker.io", "library/a/b", "latest",
	     "library/a/b:latest"),
	GOOD("ghcr.io/o/r:tag", "ghcr.io/o/r:tag", "ghcr.io", "o/r", "tag", "ghcr.io/o/r:tag"),
	GOOD("host:5000/a/b/c@" DG, "host:5000/a/b/c@" DG, "host:5000", "a/b/c", "",
	     "host:5000/a/b/c@" DG),
	GOOD("repo:tag@" DG, "docker.io/library/repo:tag@" DG, "docker.io", "library/repo", "tag",
	     "repo:tag@" DG),
	GOOD("busybox@" DG, "docker.io/library/busybox@" DG, "docker.io", "library/busybox", "",
	     "busybox@" DG),
	GOOD("localhost/x", "localhost/x:latest", "localhost", "x", "latest", "localhost/x:latest"),
	GOOD("localhost:5000/x", "localhost:5000/x:latest", "localhost:5000", "x", "latest",
	     "localhost:5000/x:latest"),
	GOOD("localhost", "docker.io/library/localhost:latest", "docker.io", "library/localhost",
	     "latest", "localhost:latest"),
	GOOD("localhost:5000", "docker.io/library/localhost:5000", "docker.io", "library/localhost",
	     "5000", "localhost:5000"),
	GOOD("127.0.0.1:5000/c-tools/busybox:latest", "127.0.0.1:5000/c-tools/busybox:latest",
	     "127.0.0.1:5000", "c-tools/busybox", "latest", "127.0.0.1:5000/c-tools/busybox:latest"),
	GOOD("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000", "x", "latest",
	     "[::1]:5000/x:latest"),
	GOOD("[2001:db8::1]/x:t", "[2001:db8::1]/x:t", "[2001:db8::1]", "x", "t",
	     "[2001:db8::1]/x:t"),
	GOOD("Foo/bar", "Foo/bar:latest", "Foo", "bar", "latest", "Foo/bar:latest"),
	GOOD("a.b-c.d/x__y.z--w_v", "a.b-c.d/x__y.z--w_v:latest", "a.b-c.d", "x__y.z--w_v", "latest",
	     "a.b-c.d/x__y.z--w_v:latest"),
	GOOD("foo.bar", "docker.io/library/foo.bar:latest", "docker.io", "library/foo.bar", "latest",
	     "foo.bar:latest"),
	GOOD("a:_Tag.-x", "docker.io/library/a:_Tag.-x", "docker.io", "library/a", "_Tag.-x",
	     "a:_Tag.-x"),
	GOOD("sha256:" HEX, "docker.io/library/sha256:" HEX, "docker.io", "library/sha256", HEX,
	     "sha256:" HEX),
	GOOD("Docker.io/busybox", "Docker.io/busybox:latest", "Docker.io", "busybox", "latest",
	     "Docker.io/busybox:latest"),

	BAD("", "empty reference"),
	BAD("Busybox", "repository name must be lowercase"),
	BAD("foo/Bar", "repository name must be lowercase"),
	BAD("ghcr.io/Owner/r", "repository name must be lowercase"),
	BAD("a:b:c", "invalid repository name component \"a:b\""),
	BAD("busybox:", "empty tag"),
	BAD("busybox@", "malformed digest \"\""),
	BAD("busybox:@" DG, "empty tag"),
	BAD("busybox@sha256:abc", "64 lowercase hex digits"),
	BAD("busybox@sha256:" HEX "0", "64 lowercase hex digits"),
	BAD("busybox@md5:0123456789abcdef0123456789abcdef", "unsupported algorithm"),
	BAD("busybox@" DG "@" DG, "malformed digest"),
	BAD(HEX, "cannot specify 64-byte hexadecimal strings"),
	BAD("busybox:-x", "tag must start with a letter, digit or '_'"),
	BAD("busybox:a/b", "invalid domain \"busybox:a\""),
	BAD("busybox:t+x", "has a character other than"),
	BAD("/busybox", "invalid repository name component \"\""),
	BAD("busybox/", "invalid repository name component \"\""),
	BAD("a//b", "invalid repository name component \"\""),
	BAD("ghcr.io/", "empty repository name"),
	BAD("-a", "invalid repository name component \"-a\""),
	BAD("a-", "invalid repository name component \"a-\""),
	BAD("a._b", "invalid repository name component \"a._b\""),
	BAD("a___b", "invalid repository name component \"a___b\""),
	BAD("a b", "invalid repository name component \"a b\""),
	BAD("-host.io/x", "invalid domain \"-host.io\""),
	BAD("host.io:/x", "invalid domain \"host.io:\""),
	BAD("host.io:50a/x", "invalid domain \"host.io:50a\""),
	BAD("host..io/x", "invalid domain \"host..io\""),
	BAD("[::1/x", "invalid domain \"[::1\""),
	BAD("[]:5000/x", "invalid domain \"[]:5000\""),
	BAD("[::1]x/x", "invalid domain \"[::1]x\""),
	BAD("host_1.io/x", "invalid domain \"host_1.io\""),
};

static void check_ref(const struct ref_case *c)
{
	struct c_ref r;
	c_err *e = NULL;
	int rc = c_ref_parse(&r, c->in, &e);
	char *line;

	if (c->str) {
		if (!ok(rc == 0 && !strcmp(r.str, c->str) && !strcmp(r.domain, c->domain) &&
				!strcmp(r.path, c->path) && !strcmp(r.tag, c->tag) &&
				!strcmp(r.familiar, c->familiar),
			"\"%s\" is %s", c->in, c->str)) {
			if (rc < 0)
				tap_diag("error: %s", e->msg);
			else
				tap_diag("got %s | %s | %s | %s | %s", r.str, r.domain, r.path,
					 r.tag, r.familiar);
		}
		c_err_free(&e);
		return;
	}
	line = rc < 0 ? c_err_line(e) : NULL;
	if (!ok(rc < 0 && e->status == C_EXIT_DATA && !strncmp(line, "invalid reference \"", 19) &&
			!strncmp(line + 19, c->in, strlen(c->in)) && strstr(line, c->msg),
		"\"%.40s\" is refused: %s", c->in, c->msg))
		tap_diag("got: %s", rc < 0 ? line : r.str);
	free(line);
	c_err_free(&e);
}

static void test_refs(void)
{
	struct c_ref r;
	c_err *e = NULL;
	char name[400];
	size_t i;

	for (i = 0; i < sizeof ref_cases / sizeof ref_cases[0]; i++)
		check_ref(&ref_cases[i]);

	ok(c_ref_parse(&r, "busybox@" DG, &e) == 0 && r.has_digest &&
		   !strcmp(r.digest.str, DG) && r.digest.alg == C_DIGEST_SHA256 &&
		   !strcmp(r.repo, "docker.io/library/busybox"),
	   "a digest reference keeps the parsed digest and no tag");
	ok(c_ref_parse(&r, "busybox", &e) == 0 && !r.has_digest &&
		   !strcmp(r.repo, "docker.io/library/busybox"),
	   "the repository has no tag");

	/* The limit counts the normalised name: docker.io/library/ + 237 = 255. */
	memset(name, 'a', 237);
	name[237] = '\0';
	ok(c_ref_parse(&r, name, &e) == 0 && strlen(r.repo) == 255, "a name of 255 characters");
	name[237] = 'a';
	name[238] = '\0';
	ok(c_ref_parse(&r, name, &e) < 0 && strstr(e->msg, "not be more than 255 characters"),
	   "a name of 256 characters is refused");
	c_err_free(&e);
	memset(name, 'a', 300);
	memcpy(name, "h.io/", 5);
	name[300] = '\0';
	ok(c_ref_parse(&r, name, &e) < 0 && strstr(e->msg, "not be more than 255"),
	   "a long name with a domain is refused");
	c_err_free(&e);
	memset(name, 'a', 300);
	name[0] = 'h';
	name[1] = '.';
	name[298] = '/';
	name[299] = 'x';
	ok(c_ref_parse(&r, name, &e) < 0 && strstr(e->msg, "not be more than 255"),
	   "a long domain is refused");
	c_err_free(&e);
	snprintf(name, sizeof name, "x:%0128d", 0);
	ok(c_ref_parse(&r, name, &e) == 0 && strlen(r.tag) == 128, "a tag of 128 characters");
	snprintf(name, sizeof name, "x:%0129d", 0);
	ok(c_ref_parse(&r, name, &e) < 0 && strstr(e->msg, "tag longer than 128"),
	   "a tag of 129 characters is refused");
	c_err_free(&e);

	ok(!strcmp(c_ref_api_host("docker.io"), "registry-1.docker.io") &&
		   !strcmp(c_ref_api_host("127.0.0.1:5000"), "127.0.0.1:5000"),
	   "registry API host");
}

struct platform_case {
	const char *in;
	const char *out; /* NULL: refused, and `msg` is in the message */
	const char *msg;
};

#define PLAT(in_, out_) { .in = in_, .out = out_ }

static const struct platform_case platform_cases[] = {
	PLAT("linux/amd64", "linux/amd64"),
	PLAT("linux/x86_64", "linux/amd64"),
	PLAT("linux/x86-64/v1", "linux/amd64"),
	PLAT("linux/amd64/v3", "linux/amd64/v3"),
	PLAT("Linux/AMD64", "linux/amd64"),
	PLAT("linux/aarch64", "linux/arm64"),
	PLAT("linux/arm64/v8", "linux/arm64/v8"),
	PLAT("linux/aarch64/8", "linux/arm64/v8"),
	PLAT("linux/arm64/9.0", "linux/arm64/v9"),
	PLAT("linux/armhf", "linux/arm/v7"),
	PLAT("linux/armel", "linux/arm/v6"),
	PLAT("linux/arm", "linux/arm/v7"),
	PLAT("linux/arm/6", "linux/arm/v6"),
	PLAT("linux/i386", "linux/386"),
	PLAT("linux/s390x", "linux/s390x"),
	PLAT("linux/riscv64", "linux/riscv64"),
	PLAT("windows/amd64", "windows/amd64"),
	PLAT("macos/arm64", "darwin/arm64"),
	PLAT("arm64", "linux/arm64"),
	PLAT("aarch64", "linux/arm64"),
	PLAT("ppc64le", "linux/ppc64le"),
	BAD("", "empty platform"),
	BAD("linux/", "empty architecture"),
	BAD("/amd64", "empty operating system"),
	BAD("linux/arm/", "empty variant"),
	BAD("linux/arm/v7/x", "expected os/arch[/variant]"),
	BAD("linux/am d64", "architecture has a character"),
	BAD("foo", "unknown operating system or architecture"),
};

static void test_platform_parse(void)
{
	struct c_platform p, host;
	char buf[C_PLATFORM_STR_MAX];
	c_err *e = NULL;
	size_t i;

	for (i = 0; i < sizeof platform_cases / sizeof platform_cases[0]; i++) {
		const struct platform_case *c = &platform_cases[i];
		int rc = c_platform_parse(&p, c->in, &e);

		if (c->out) {
			if (!ok(rc == 0 && !strcmp(c_platform_str(&p, buf), c->out),
				"platform \"%s\" is %s", c->in, c->out))
				tap_diag("got %s", rc < 0 ? e->msg : buf);
		} else if (!ok(rc < 0 && e->status == C_EXIT_DATA &&
				       strstr(e->msg, "invalid platform \"") && strstr(e->msg, c->msg),
			       "platform \"%s\" is refused: %s", c->in, c->msg)) {
			tap_diag("got %s", rc < 0 ? e->msg : c_platform_str(&p, buf));
		}
		c_err_free(&e);
	}

	c_platform_host(&host);
	ok(!strcmp(host.os, "linux") &&
#if defined(__x86_64__)
		   !strcmp(c_platform_str(&host, buf), "linux/amd64"),
#elif defined(__aarch64__)
		   !strcmp(c_platform_str(&host, buf), "linux/arm64"),
#else
		   *host.arch,
#endif
	   "host platform is %s", c_platform_str(&host, buf));
	ok(c_platform_parse(&p, "linux", &e) == 0 && !strcmp(p.arch, host.arch) &&
		   !strcmp(p.variant, host.variant),
	   "an OS alone takes the host's architecture");
}

struct score_case {
	const char *want, *have;
	int match; /* 1: usable, 0: not */
};

static const struct score_case score_cases[] = {
	{ "linux/amd64", "linux/amd64", 1 },
	{ "linux/amd64", "linux/arm64", 0 },
	{ "linux/amd64", "windows/amd64", 0 },
	{ "linux/amd64", "linux/x86_64", 1 },
	{ "linux/amd64", "linux/amd64/v1", 1 },
	{ "linux/amd64", "linux/amd64/v3", 0 },
	{ "linux/amd64/v3", "linux/amd64/v2", 1 },
	{ "linux/amd64/v3", "linux/amd64", 1 },
	{ "linux/arm64", "linux/arm64/v8", 1 },
	{ "linux/arm64/v8", "linux/arm64", 1 },
	{ "linux/arm64", "linux/aarch64", 1 },
	{ "linux/arm64", "linux/arm64/v9", 0 },
	{ "linux/arm64/v9", "linux/arm64/v8", 1 },
	{ "linux/arm64/v8.2", "linux/arm64/v8.1", 1 },
	{ "linux/arm64/v8.1", "linux/arm64/v8.2", 0 },
	{ "linux/arm", "linux/arm/v7", 1 },
	{ "linux/arm", "linux/arm/v6", 1 },
	{ "linux/arm", "linux/arm/v8", 0 },
	{ "linux/arm/v6", "linux/arm/v7", 0 },
	{ "linux/arm/v6", "linux/arm/v5", 1 },
	{ "linux/arm/v7", "linux/arm", 1 },
	{ "linux/arm64", "linux/arm", 0 },
	{ "linux/riscv64", "linux/riscv64", 1 },
	{ "linux/riscv64", "linux/riscv64/rva22", 1 },
	{ "linux/riscv64/rva22", "linux/riscv64", 0 },
	{ "linux/riscv64/rva22", "linux/riscv64/RVA22", 1 },
};

static struct c_platform plat(const char *s)
{
	struct c_platform p;
	const char *s1 = strchr(s, '/'), *s2 = strchr(s1 + 1, '/');

	/* Not c_platform_parse: image platforms are written unnormalised. */
	memset(&p, 0, sizeof p);
	snprintf(p.os, sizeof p.os, "%.*s", (int)(s1 - s), s);
	snprintf(p.arch, sizeof p.arch, "%.*s", (int)(s2 ? s2 - s1 - 1 : (long)strlen(s1 + 1)),
		 s1 + 1);
	if (s2)
		snprintf(p.variant, sizeof p.variant, "%s", s2 + 1);
	return p;
}

static void test_platform_score(void)
{
	struct c_platform w, h1, h2;
	size_t i;

	for (i = 0; i < sizeof score_cases / sizeof score_cases[0]; i++) {
		const struct score_case *c = &score_cases[i];
		struct c_platform want = plat(c->want), have = plat(c->have);

		ok((c_platform_score(&want, &have) >= 0) == c->match, "%s %s %s", c->want,
		   c->match ? "runs" : "does not run", c->have);
	}
	w = plat("linux/arm");
	h1 = plat("linux/arm/v6");
	h2 = plat("linux/arm/v7");
	ok(c_platform_score(&w, &h2) > c_platform_score(&w, &h1), "arm: v7 preferred to v6");
	w = plat("linux/arm64/v8");
	h1 = plat("linux/arm64");
	h2 = plat("linux/arm64/v8");
	ok(c_platform_score(&w, &h2) > c_platform_score(&w, &h1),
	   "arm64/v8: the same spelling wins a tie");
	w = plat("linux/amd64/v3");
	h1 = plat("linux/amd64");
	h2 = plat("linux/amd64/v2");
	ok(c_platform_score(&w, &h2) > c_platform_score(&w, &h1), "amd64/v3: v2 preferred to v1");
	w = plat("windows/amd64");
	h1 = plat("windows/amd64");
	snprintf(w.os_version, sizeof w.os_version, "10.0.17763.1");
	snprintf(h1.os_version, sizeof h1.os_version, "10.0.20348.1");
	ok(c_platform_score(&w, &h1) < 0, "a different os.version does not match");
}

int main(void)
{
	test_refs();
	test_platform_parse();
	test_platform_score();
	return tap_done();
}
