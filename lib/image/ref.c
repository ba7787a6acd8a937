#include "ref.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"

static int invalid(c_err **err, const char *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int invalid(c_err **err, const char *s, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return c_err_new(err, C_EXIT_DATA, 0, "invalid reference \"%s\": %s", s, reason);
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static bool has_upper(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )* */
static bool valid_component(const char *s, size_t len)
{
	size_t i = 0, sep;

	for (;;) {
		if (i == len || !is_lower_alnum(s[i]))
			return false;
		while (i < len && is_lower_alnum(s[i]))
			i++;
		if (i == len)
			return true;
		sep = i;
		if (s[i] == '-') {
			while (i < len && s[i] == '-')
				i++;
		} else if (s[i] == '_' && i + 1 < len && s[i + 1] == '_') {
			i += 2;
		} else if (s[i] == '.' || s[i] == '_') {
			i++;
		}
		if (i == sep)
			return false;
	}
}

/* [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] */
static bool valid_label(const char *s, size_t len)
{
	if (!len || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* host[:port], host being labels joined by '.' (IPv4 included) or [IPv6]. */
static bool valid_domain(const char *s)
{
	const char *port, *p = s, *dot;

	if (*s == '[') {
		p = s + 1;
		while (isxdigit((unsigned char)*p) || *p == ':')
			p++;
		if (p == s + 1 || *p != ']')
			return false;
		port = p + 1;
		if (*port && *port != ':')
			return false;
	} else {
		port = strchr(s, ':');
		if (!port)
			port = s + strlen(s);
		for (;;) {
			dot = memchr(p, '.', port - p);
			if (!valid_label(p, (dot ? dot : port) - p))
				return false;
			if (!dot)
				break;
			p = dot + 1;
		}
	}
	if (!*port)
		return true;
	if (!port[1])
		return false;
	for (p = port + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]) || (s[i] >= 'A' && s[i] <= 'F'))
			return false;
	return i == 64;
}

static int parse_tag(struct c_ref *ref, const char *s, const char *tag, size_t len,
		     c_err **err)
{
	if (!len)
		return invalid(err, s, "empty tag");
	if (len > C_REF_TAG_MAX)
		return invalid(err, s, "tag longer than %d characters", C_REF_TAG_MAX);
	if (!is_word(tag[0]))
		return invalid(err, s, "tag must start with a letter, digit or '_'");
	for (size_t i = 1; i < len; i++)
		if (!is_word(tag[i]) && tag[i] != '.' && tag[i] != '-')
			return invalid(err, s, "tag \"%.*s\" has a character other than "
					       "letters, digits, '_', '.' and '-'",
				       (int)len, tag);
	memcpy(ref->tag, tag, len);
	ref->tag[len] = '\0';
	return 0;
}

static int parse_path(struct c_ref *ref, const char *s, const char *path, size_t len,
		      c_err **err)
{
	const char *p = path, *end = path + len, *slash;

	if (!len)
		return invalid(err, s, "empty repository name");
	while (p <= end) {
		slash = memchr(p, '/', end - p);
		if (!slash)
			slash = end;
		if (has_upper(p, slash - p))
			return invalid(err, s, "repository name must be lowercase");
		if (!valid_component(p, slash - p))
			return invalid(err, s, "invalid repository name component \"%.*s\"",
				       (int)(slash - p), p);
		p = slash + 1;
	}
	return 0;
}

/* splitDockerDomain of the Go library, on the name without tag and digest. */
static int split_domain(struct c_ref *ref, const char *s, const char *name, size_t len,
			const char **path, size_t *plen, c_err **err)
{
	const char *slash = memchr(name, '/', len);
	size_t dlen = slash ? (size_t)(slash - name) : 0;

	if (!slash || (!memchr(name, '.', dlen) && !memchr(name, ':', dlen) &&
		       !(dlen == 9 && !memcmp(name, "localhost", 9)) && !has_upper(name, dlen))) {
		strcpy(ref->domain, C_REF_DEFAULT_DOMAIN);
		*path = name;
		*plen = len;
		return 0;
	}
	if (dlen > C_REF_NAME_MAX)
		return invalid(err, s, "repository name must not be more than %d characters",
			       C_REF_NAME_MAX);
	memcpy(ref->domain, name, dlen);
	ref->domain[dlen] = '\0';
	if (!valid_domain(ref->domain))
		return invalid(err, s, "invalid domain \"%s\"", ref->domain);
	if (!strcmp(ref->domain, LEGACY_DOMAIN))
		strcpy(ref->domain, C_REF_DEFAULT_DOMAIN);
	*path = slash + 1;
	*plen = len - dlen - 1;
	return 0;
}

static void familiarize(struct c_ref *ref)
{
	const char *path = ref->path;
	char *out = ref->familiar;
	size_t n = sizeof ref->familiar;
	int w;

	if (strcmp(ref->domain, C_REF_DEFAULT_DOMAIN)) {
		w = snprintf(out, n, "%s", ref->repo);
	} else {
		if (!strncmp(path, OFFICIAL_PREFIX, strlen(OFFICIAL_PREFIX)) &&
		    !strchr(path + strlen(OFFICIAL_PREFIX), '/'))
			path += strlen(OFFICIAL_PREFIX);
		w = snprintf(out, n, "%s", path);
	}
	if (*ref->tag)
		w += snprintf(out + w, n - w, ":%s", ref->tag);
	if (ref->has_digest)
		snprintf(out + w, n - w, "@%s", ref->digest.str);
}

int c_ref_parse(struct c_ref *ref, const char *s, c_err **err)
{
	const char *at, *name_end, *colon, *lastslash, *path = NULL;
	size_t nlen, plen = 0, prefix;
	c_err *derr = NULL;
	int w;

	memset(ref, 0, sizeof *ref);
	if (!*s)
		return invalid(err, s, "empty reference");
	if (is_hex64(s))
		return invalid(err, s, "cannot specify 64-byte hexadecimal strings");

	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	if (at) {
		if (c_digest_parse(&ref->digest, at + 1, &derr) < 0) {
			invalid(err, s, "%s", derr->msg);
			c_err_free(&derr);
			return -1;
		}
		ref->has_digest = true;
	}

	/* A ':' after the last '/' starts the tag; one before it is a port. */
	lastslash = memrchr(s, '/', name_end - s);
	colon = memrchr(lastslash ? lastslash : s, ':', name_end - (lastslash ? lastslash : s));
	if (colon && parse_tag(ref, s, colon + 1, name_end - colon - 1, err) < 0)
		return -1;
	nlen = (colon ? colon : name_end) - s;

	if (split_domain(ref, s, s, nlen, &path, &plen, err) < 0)
		return -1;
	prefix = !strcmp(ref->domain, C_REF_DEFAULT_DOMAIN) && !memchr(path, '/', plen)
			 ? strlen(OFFICIAL_PREFIX)
			 : 0;
	if (strlen(ref->domain) + 1 + prefix + plen > C_REF_NAME_MAX)
		return invalid(err, s, "repository name must not be more than %d characters",
			       C_REF_NAME_MAX);
	if (parse_path(ref, s, path, plen, err) < 0)
		return -1;
	snprintf(ref->path, sizeof ref->path, "%s%.*s", prefix ? OFFICIAL_PREFIX : "",
		 (int)plen, path);
	/* Both parts fit: their lengths were checked above. */
	nlen = strlen(ref->domain);
	memcpy(ref->repo, ref->domain, nlen);
	ref->repo[nlen] = '/';
	strcpy(ref->repo + nlen + 1, ref->path);

	if (!*ref->tag && !ref->has_digest)
		strcpy(ref->tag, "latest");
	w = snprintf(ref->str, sizeof ref->str, "%s", ref->repo);
	if (*ref->tag)
		w += snprintf(ref->str + w, sizeof ref->str - w, ":%s", ref->tag);
	if (ref->has_digest)
		snprintf(ref->str + w, sizeof ref->str - w, "@%s", ref->digest.str);
	familiarize(ref);
	return 0;
}

const char *c_ref_api_host(const char *domain)
{
	return strcmp(domain, C_REF_DEFAULT_DOMAIN) ? domain : "registry-1.docker.io";
}

/* --- platforms -------------------------------------------------------------- */

static const char *const known_os[] = {
	"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
};

static const char *const known_arch[] = {
	"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
	"riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = tolower((unsigned char)*s);
}

static void set(char *field, const char *value)
{
	snprintf(field, C_PLATFORM_FIELD_MAX, "%s", value);
}

void c_platform_normalize(struct c_platform *p)
{
	char *a = p->arch, *v = p->variant;

	lower(p->os);
	lower(a);
	lower(v);
	if (!strcmp(p->os, "macos"))
		set(p->os, "darwin");
	if (!strcmp(a, "i386")) {
		set(a, "386");
		*v = '\0';
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
		set(a, "amd64");
		if (!strcmp(v, "v1"))
			*v = '\0';
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		set(a, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8.0"))
			set(v, "v8");
		else if (!strcmp(v, "9") || !strcmp(v, "9.0") || !strcmp(v, "v9.0"))
			set(v, "v9");
	} else if (!strcmp(a, "armhf")) {
		set(a, "arm");
		set(v, "v7");
	} else if (!strcmp(a, "armel")) {
		set(a, "arm");
		set(v, "v6");
	} else if (!strcmp(a, "arm")) {
		if (!*v || !strcmp(v, "7"))
			set(v, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8"))
			snprintf(v, C_PLATFORM_FIELD_MAX, "v%c", v[0]);
	}
}

void c_platform_host(struct c_platform *p)
{
	memset(p, 0, sizeof *p);
	set(p->os, "linux");
#if defined(__x86_64__)
	set(p->arch, "amd64");
#elif defined(__aarch64__)
	set(p->arch, "arm64");
#elif defined(__i386__)
	set(p->arch, "386");
#elif defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH <= 6
	set(p->arch, "arm");
	snprintf(p->variant, sizeof p->variant, "v%d", __ARM_ARCH);
#elif defined(__arm__)
	set(p->arch, "arm");
	set(p->variant, "v7");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	set(p->arch, "ppc64le");
#elif defined(__powerpc64__)
	set(p->arch, "ppc64");
#elif defined(__s390x__)
	set(p->arch, "s390x");
#elif defined(__riscv) && __riscv_xlen == 64
	set(p->arch, "riscv64");
#elif defined(__loongarch64)
	set(p->arch, "loong64");
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	set(p->arch, "mips64le");
#elif defined(__mips64)
	set(p->arch, "mips64");
#elif defined(__mips__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	set(p->arch, "mipsle");
#elif defined(__mips__)
	set(p->arch, "mips");
#else
#error "unknown architecture: add it to c_platform_host()"
#endif
}

static int bad_platform(c_err **err, const char *spec, const char *reason)
{
	return c_err_new(err, C_EXIT_DATA, 0, "invalid platform \"%s\": %s", spec, reason);
}

/* containerd's specifier components: [A-Za-z0-9_.-]+ */
static int copy_part(char *field, const char *spec, const char *part, size_t len,
		     const char *what, c_err **err)
{
	char reason[64];

	snprintf(reason, sizeof reason, "empty %s", what);
	if (!len)
		return bad_platform(err, spec, reason);
	if (len >= C_PLATFORM_FIELD_MAX) {
		snprintf(reason, sizeof reason, "%s longer than %d characters", what,
			 C_PLATFORM_FIELD_MAX - 1);
		return bad_platform(err, spec, reason);
	}
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)part[i]) && !strchr("_.-", part[i])) {
			snprintf(reason, sizeof reason, "%s has a character other than "
							"letters, digits, '_', '.' and '-'",
				 what);
			return bad_platform(err, spec, reason);
		}
	memcpy(field, part, len);
	field[len] = '\0';
	return 0;
}

int c_platform_parse(struct c_platform *p, const char *spec, c_err **err)
{
	const char *s1 = strchr(spec, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	struct c_platform host;

	memset(p, 0, sizeof *p);
	if (s2 && strchr(s2 + 1, '/'))
		return bad_platform(err, spec, "expected os/arch[/variant]");
	if (!s1) {
		if (copy_part(p->os, spec, spec, strlen(spec), "platform", err) < 0)
			return -1;
		c_platform_normalize(p);
		if (in_list(p->os, known_os, sizeof known_os / sizeof known_os[0])) {
			c_platform_host(&host);
			set(p->arch, host.arch);
			set(p->variant, host.variant);
			return 0;
		}
		/* Not an OS: an architecture on linux. */
		memcpy(p->arch, p->os, sizeof p->arch);
		set(p->os, "linux");
		c_platform_normalize(p);
		if (!in_list(p->arch, known_arch, sizeof known_arch / sizeof known_arch[0]))
			return bad_platform(err, spec, "unknown operating system or architecture");
		return 0;
	}
	if (copy_part(p->os, spec, spec, s1 - spec, "operating system", err) < 0 ||
	    copy_part(p->arch, spec, s1 + 1, (s2 ? s2 : s1 + strlen(s1)) - s1 - 1,
		      "architecture", err) < 0 ||
	    (s2 && copy_part(p->variant, spec, s2 + 1, strlen(s2 + 1), "variant", err) < 0))
		return -1;
	c_platform_normalize(p);
	/* containerd keeps what was written: arm64/v8 stays, arm64 has none. */
	if (s2 && !strcmp(p->arch, "arm64") && !*p->variant)
		set(p->variant, "v8");
	return 0;
}

const char *c_platform_str(const struct c_platform *p, char buf[C_PLATFORM_STR_MAX])
{
	snprintf(buf, C_PLATFORM_STR_MAX, "%s/%s%s%s", p->os, p->arch, *p->variant ? "/" : "",
		 p->variant);
	return buf;
}

/* The variant as a level, major * 10 + minor, for the architectures whose
 * variants are ordered; -1 when unordered or unknown. */
static int level(const char *arch, const char *variant)
{
	int dflt, major = 0, minor = 0;
	const char *v = variant + 1;

	if (!strcmp(arch, "arm"))
		dflt = 70;
	else if (!strcmp(arch, "arm64"))
		dflt = 80;
	else if (!strcmp(arch, "amd64"))
		dflt = 10;
	else
		return -1;
	if (!*variant)
		return dflt;
	if (variant[0] != 'v' || !isdigit((unsigned char)*v))
		return -1;
	while (isdigit((unsigned char)*v) && major < 100)
		major = major * 10 + *v++ - '0';
	if (*v == '.' && isdigit((unsigned char)v[1]) && !v[2]) {
		minor = v[1] - '0';
		v += 2;
	}
	return *v || major >= 100 ? -1 : major * 10 + minor;
}

int c_platform_score(const struct c_platform *want, const struct c_platform *have)
{
	struct c_platform w = *want, h = *have;
	int lw, lh;

	c_platform_normalize(&w);
	c_platform_normalize(&h);
	if (strcmp(w.os, h.os) || strcmp(w.arch, h.arch))
		return -1;
	if (*w.os_version && *h.os_version && strcmp(w.os_version, h.os_version))
		return -1;
	lw = level(w.arch, w.variant);
	lh = level(h.arch, h.variant);
	if (lw >= 0 && lh >= 0) {
		if (lh > lw)
			return -1;
		/* Higher levels first; the same spelling wins a tie (v8 over ""). */
		return 2 + 2 * lh + !strcmp(w.variant, h.variant);
	}
	if (!strcmp(w.variant, h.variant))
		return 2;
	return *w.variant ? -1 : 1;
}
