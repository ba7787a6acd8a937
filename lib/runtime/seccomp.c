#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "digest.h"
#include "file.h"
#include "json.h"
#include "seccomp-default.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Bump when the cache file's layout, or what the compiler makes of the same
 * inputs, changes within one c-tools version. */
/* 2: the syscall dispatch compacted (compact()); 3: its leaves shared */
#define CACHE_FORMAT 3
#define CACHE_MAGIC "CTSECBPF"

#define X32_BIT 0x40000000U
#define X32_OWN_FIRST 512 /* x32's own calls are 512..547; new ones share x86_64's numbers */
#define PATH_LEN 160

struct arch {
	uint32_t token;     /* SCMP_ARCH_*, the kernel's AUDIT_ARCH_* but for x32 */
	const char *scmp;   /* its name after "SCMP_ARCH_" in profiles */
	const char *docker; /* its name in includes/excludes.arches */
};

static const struct arch arches[] = {
	{ SCMP_ARCH_X86_64, "X86_64", "amd64" },
	{ SCMP_ARCH_X86, "X86", "x86" },
	{ SCMP_ARCH_X32, "X32", "x32" },
	{ SCMP_ARCH_AARCH64, "AARCH64", "arm64" },
	{ SCMP_ARCH_ARM, "ARM", "arm" },
	{ SCMP_ARCH_PPC64LE, "PPC64LE", "ppc64le" },
	{ SCMP_ARCH_PPC64, "PPC64", "ppc64" },
	{ SCMP_ARCH_PPC, "PPC", "ppc" },
	{ SCMP_ARCH_S390X, "S390X", "s390x" },
	{ SCMP_ARCH_S390, "S390", "s390" },
	{ SCMP_ARCH_RISCV64, "RISCV64", "riscv64" },
	{ SCMP_ARCH_MIPS, "MIPS", "mips" },
	{ SCMP_ARCH_MIPS64, "MIPS64", "mips64" },
	{ SCMP_ARCH_MIPS64N32, "MIPS64N32", "mips64n32" },
	{ SCMP_ARCH_MIPSEL, "MIPSEL", "mipsle" },
	{ SCMP_ARCH_MIPSEL64, "MIPSEL64", "mipsel64" },
	{ SCMP_ARCH_MIPSEL64N32, "MIPSEL64N32", "mips3l64n32" }, /* docker's spelling */
	{ SCMP_ARCH_PARISC, "PARISC", "parisc" },
	{ SCMP_ARCH_PARISC64, "PARISC64", "parisc64" },
};


static const struct {
	const char *name;
	uint32_t action;
	bool takes_errno; /* the action's 16 data bits are errnoRet */
} actions[] = {
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	unsigned int flag;
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

/* An architecture of the filter and the highest syscall number the profile
 * names there (-1: none), for the ENOSYS stub. */
struct arch_top {
	const struct arch *arch;
	int top;
	int top_low; /* x32: the highest below its own block */
};

struct parse {
	const char *source, *where;
	c_err **err;
	uint64_t caps;
	const struct arch *target;
	unsigned int kmajor, kminor; /* the running kernel, for minKernel */
	uint32_t def_action;
	unsigned int flags;
	bool uncompacted;
	scmp_filter_ctx ctx;
	struct arch_top tops[ARRAY_SIZE(arches)];
	size_t ntops;
	size_t nrules;
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* --- errors that name the JSON path ------------------------------------------- */

/* Paths in a profile are a few levels deep; one that does not fit is cut,
 * which only shortens an error message. */
static const char *path_fit(char buf[PATH_LEN], int n)
{
	if (n >= PATH_LEN)
		memcpy(buf + PATH_LEN - 4, "...", 4);
	return buf;
}

static const char *path_key(char buf[PATH_LEN], const char *parent, const char *key)
{
	return path_fit(buf, snprintf(buf, PATH_LEN, "%s%s%s", parent, *parent ? "." : "", key));
}

static const char *path_idx(char buf[PATH_LEN], const char *parent, size_t i)
{
	return path_fit(buf, snprintf(buf, PATH_LEN, "%s[%zu]", parent, i));
}

static int vbad(struct parse *p, int errnum, const char *path, const char *fmt, va_list ap)
{
	char msg[256];
	const char *dot = *p->where && *path ? "." : "";

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (!*p->where && !*path)
		path = "(top)";
	return c_err_new(p->err, C_EXIT_DATA, errnum, "seccomp profile %s: %s%s%s: %s", p->source,
			 p->where, dot, path, msg);
}

static int bad(struct parse *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct parse *p, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(p, 0, path, fmt, ap);
	va_end(ap);
	return -1;
}

static int bad_errno(struct parse *p, int errnum, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad_errno(struct parse *p, int errnum, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(p, errnum, path, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- typed access to the profile ------------------------------------------------ */

/* NULL when v is of type t, else what is wrong with it (in buf).  Strings
 * hold no NUL: jansson refuses "\u0000" unless told otherwise. */
static const char *type_problem(json_t *v, json_type t, char buf[64])
{
	if (json_typeof(v) == t)
		return NULL;
	snprintf(buf, 64, "expected %s, got %s", c_json_kind_name(t), c_json_type_name(v));
	return buf;
}

/* obj[key] (obj's own path is `path`), checked to be of type t; JSON null
 * counts as absent. */
static int get(struct parse *p, json_t *obj, const char *path, const char *key, json_type t,
	       bool required, json_t **out)
{
	char fp[PATH_LEN], why[64];
	json_t *v = c_json_present(obj, key);
	const char *problem;

	*out = NULL;
	if (!v)
		return required ? bad(p, path_key(fp, path, key), "missing") : 0;
	problem = type_problem(v, t, why);
	if (problem)
		return bad(p, path_key(fp, path, key), "%s", problem);
	*out = v;
	return 0;
}

/* The same for a member of an array. */
static int get_idx(struct parse *p, json_t *arr, const char *path, size_t i, json_type t,
		   json_t **out)
{
	char fp[PATH_LEN], why[64];
	const char *problem;

	*out = json_array_get(arr, i);
	problem = type_problem(*out, t, why);
	if (problem)
		return bad(p, path_idx(fp, path, i), "%s", problem);
	return 0;
}

/* An integer in 0..max; *found tells whether it was there. */
static int get_uint(struct parse *p, json_t *obj, const char *path, const char *key,
		    bool required, uint64_t max, uint64_t *out, bool *found)
{
	char fp[PATH_LEN];
	json_t *v;
	json_int_t n;

	if (get(p, obj, path, key, JSON_INTEGER, required, &v) < 0)
		return -1;
	*found = v != NULL;
	if (!v)
		return 0;
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return bad(p, path_key(fp, path, key), "%lld is not 0..%llu", (long long)n,
			   (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}

/* --- actions, operators, architectures ------------------------------------------ */

/* obj[key] with its errno under errno_key, as a libseccomp action. */
static int parse_action(struct parse *p, json_t *obj, const char *path, const char *key,
			const char *errno_key, uint32_t *out)
{
	char fp[PATH_LEN];
	const char *name;
	uint64_t errnum = EPERM;
	bool has_errno;
	json_t *v;

	if (get(p, obj, path, key, JSON_STRING, true, &v) < 0)
		return -1;
	name = json_string_value(v);
	if (get_uint(p, obj, path, errno_key, false, 0xffff, &errnum, &has_errno) < 0)
		return -1;
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return bad(p, path_key(fp, path, key),
			   "SCMP_ACT_NOTIFY is not supported (c-run has no seccomp agent)");
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(name, actions[i].name))
			continue;
		if (has_errno && !actions[i].takes_errno)
			return bad(p, path_key(fp, path, errno_key),
				   "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one, not %s", name);
		*out = actions[i].action | (actions[i].takes_errno ? (uint32_t)errnum : 0);
		return 0;
	}
	return bad(p, path_key(fp, path, key), "unknown action \"%.64s\"", name);
}

static const struct arch *arch_by_token(uint32_t token)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (arches[i].token == token)
			return &arches[i];
	return NULL;
}

/* "SCMP_ARCH_X86_64" → its entry. */
static const struct arch *arch_by_name(const char *s)
{
	if (strncmp(s, "SCMP_ARCH_", 10))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (!strcmp(s + 10, arches[i].scmp))
			return &arches[i];
	return NULL;
}

static int add_arch(struct parse *p, const struct arch *a)
{
	int rc;

	for (size_t i = 0; i < p->ntops; i++)
		if (p->tops[i].arch == a)
			return 0;
	rc = seccomp_arch_add(p->ctx, a->token);
	if (rc < 0 && rc != -EEXIST)
		return c_err_new(p->err, C_EXIT_FAIL, -rc, "seccomp: add architecture SCMP_ARCH_%s",
				 a->scmp);
	p->tops[p->ntops++] = (struct arch_top){ a, -1, -1 };
	return 0;
}

/* A list of architecture names at path, all added to the filter. */
static int add_arch_list(struct parse *p, json_t *list, const char *path)
{
	char fp[PATH_LEN];
	size_t i;
	json_t *v;

	json_array_foreach (list, i, v) {
		const struct arch *a;

		if (get_idx(p, list, path, i, JSON_STRING, &v) < 0)
			return -1;
		a = arch_by_name(json_string_value(v));
		if (!a)
			return bad(p, path_idx(fp, path, i), "unknown architecture \"%.64s\"",
				   json_string_value(v));
		if (add_arch(p, a) < 0)
			return -1;
	}
	return 0;
}

/* The target first, then "architectures", or the archMap entry of the
 * target: the others are for other machines and may name architectures
 * this libseccomp does not know. */
static int parse_arches(struct parse *p, json_t *top)
{
	char fp[PATH_LEN], sp[PATH_LEN];
	json_t *list, *map, *entry;
	size_t i;

	if (get(p, top, "", "architectures", JSON_ARRAY, false, &list) < 0 ||
	    get(p, top, "", "archMap", JSON_ARRAY, false, &map) < 0)
		return -1;
	if (add_arch(p, p->target) < 0)
		return -1;
	if (list && map && json_array_size(list) && json_array_size(map))
		return bad(p, "archMap", "use either architectures or archMap, not both");
	if (json_array_size(list))
		return add_arch_list(p, list, "architectures");
	json_array_foreach (map, i, entry) {
		const char *name;
		json_t *v, *subs;

		path_idx(fp, "archMap", i);
		if (get_idx(p, map, "archMap", i, JSON_OBJECT, &entry) < 0 ||
		    get(p, entry, fp, "architecture", JSON_STRING, true, &v) < 0)
			return -1;
		name = json_string_value(v);
		if (strncmp(name, "SCMP_ARCH_", 10) || strcmp(name + 10, p->target->scmp))
			continue;
		if (get(p, entry, fp, "subArchitectures", JSON_ARRAY, false, &subs) < 0)
			return -1;
		return subs ? add_arch_list(p, subs, path_key(sp, fp, "subArchitectures")) : 0;
	}
	return 0;
}

static int parse_flags(struct parse *p, json_t *top)
{
	char fp[PATH_LEN];
	json_t *list, *v;
	size_t i, j;

	if (get(p, top, "", "flags", JSON_ARRAY, false, &list) < 0)
		return -1;
	json_array_foreach (list, i, v) {
		if (get_idx(p, list, "flags", i, JSON_STRING, &v) < 0)
			return -1;
		for (j = 0; j < ARRAY_SIZE(filter_flags); j++)
			if (!strcmp(json_string_value(v), filter_flags[j].name))
				break;
		if (j == ARRAY_SIZE(filter_flags))
			return bad(p, path_idx(fp, "flags", i), "unsupported flag \"%.64s\"",
				   json_string_value(v));
		p->flags |= filter_flags[j].flag;
	}
	return 0;
}

/* --- includes and excludes -------------------------------------------------------- */

static bool cap_held(const struct parse *p, const char *name)
{
	int cap = c_cap_from_name(name);

	return cap >= 0 && (p->caps >> cap & 1);
}

/* Whether the running kernel is at least minKernel ("MAJOR.MINOR"). */
static int kernel_at_least(struct parse *p, json_t *v, const char *path, bool *yes)
{
	const char *s = json_string_value(v);
	unsigned int major, minor;
	int end = 0;

	if (sscanf(s, "%3u.%3u%n", &major, &minor, &end) != 2 || s[end] || (!major && !minor))
		return bad(p, path, "kernel version \"%.32s\" is not MAJOR.MINOR", s);
	*yes = p->kmajor > major || (p->kmajor == major && p->kminor >= minor);
	return 0;
}

/* Evaluate includes (include = true) or excludes: *keep is cleared when the
 * rule must be skipped.  Every field is checked even once the answer is
 * known, so that a profile's mistakes do not depend on the machine. */
static int apply_filter(struct parse *p, json_t *rule, const char *path, bool include,
			bool *keep)
{
	char fp[PATH_LEN], ip[PATH_LEN];
	json_t *f, *caps, *list, *kver, *v;
	bool all_caps = true, any_cap = false, any_arch = false, newer = false;
	size_t i;

	if (get(p, rule, path, include ? "includes" : "excludes", JSON_OBJECT, false, &f) < 0)
		return -1;
	if (!f)
		return 0;
	path_key(fp, path, include ? "includes" : "excludes");
	if (get(p, f, fp, "caps", JSON_ARRAY, false, &caps) < 0 ||
	    get(p, f, fp, "arches", JSON_ARRAY, false, &list) < 0 ||
	    get(p, f, fp, "minKernel", JSON_STRING, false, &kver) < 0)
		return -1;
	json_array_foreach (caps, i, v) {
		bool held;

		if (get_idx(p, caps, path_key(ip, fp, "caps"), i, JSON_STRING, &v) < 0)
			return -1;
		held = cap_held(p, json_string_value(v));
		all_caps &= held;
		any_cap |= held;
	}
	json_array_foreach (list, i, v) {
		if (get_idx(p, list, path_key(ip, fp, "arches"), i, JSON_STRING, &v) < 0)
			return -1;
		any_arch |= !strcmp(json_string_value(v), p->target->docker);
	}
	if (kver && *json_string_value(kver)) {
		if (kernel_at_least(p, kver, path_key(ip, fp, "minKernel"), &newer) < 0)
			return -1;
		if (newer != include)
			*keep = false;
	}
	if (include ? !all_caps : any_cap)
		*keep = false;
	if (json_array_size(list) && any_arch != include)
		*keep = false;
	return 0;
}

/* --- rules -------------------------------------------------------------------------- */

static int parse_cond(struct parse *p, json_t *args, const char *path, size_t i,
		      struct scmp_arg_cmp *c)
{
	char ap[PATH_LEN], fp[PATH_LEN];
	uint64_t index = 0, value = 0, two = 0;
	json_t *arg, *op;
	bool found;
	size_t j;

	path_idx(ap, path, i);
	if (get_idx(p, args, path, i, JSON_OBJECT, &arg) < 0 ||
	    get_uint(p, arg, ap, "index", true, 5, &index, &found) < 0 ||
	    get_uint(p, arg, ap, "value", true, INT64_MAX, &value, &found) < 0 ||
	    get_uint(p, arg, ap, "valueTwo", false, INT64_MAX, &two, &found) < 0 ||
	    get(p, arg, ap, "op", JSON_STRING, true, &op) < 0)
		return -1;
	for (j = 0; j < ARRAY_SIZE(operators); j++)
		if (!strcmp(json_string_value(op), operators[j].name))
			break;
	if (j == ARRAY_SIZE(operators))
		return bad(p, path_key(fp, ap, "op"), "unknown operator \"%.64s\"",
			   json_string_value(op));
	*c = (struct scmp_arg_cmp){ (unsigned int)index, operators[j].op, value, two };
	return 0;
}

/* Record the syscall's number on each architecture of the filter. */
static void note_number(struct parse *p, const char *name)
{
	for (size_t i = 0; i < p->ntops; i++) {
		struct arch_top *t = &p->tops[i];
		int nr = seccomp_syscall_resolve_name_arch(t->arch->token, name);

		if (nr < 0)
			continue;
		if (t->arch->token == SCMP_ARCH_X32) {
			nr &= ~(int)X32_BIT;
			if (nr < X32_OWN_FIRST && nr > t->top_low)
				t->top_low = nr;
		}
		if (nr > t->top)
			t->top = nr;
	}
}

static int add_one(struct parse *p, const char *path, const char *name, int nr, uint32_t action,
		   const struct scmp_arg_cmp *conds, size_t n)
{
	int rc = seccomp_rule_add_array(p->ctx, action, nr, (unsigned int)n, conds);

	if (rc < 0)
		return bad_errno(p, -rc, path, "add a rule for %s", name);
	p->nrules++;
	return 0;
}

/* Add the rule for one syscall: its conditions all in one rule, or, when two
 * test the same argument, one rule each (so that any may hold). */
static int add_rule(struct parse *p, json_t *args, const char *path, const char *name, int nr,
		    uint32_t action, bool split)
{
	struct scmp_arg_cmp conds[6];
	size_t i, n = 0;
	json_t *v;

	if (split) {
		json_array_foreach (args, i, v) {
			if (parse_cond(p, args, path, i, &conds[0]) < 0 ||
			    add_one(p, path, name, nr, action, conds, 1) < 0)
				return -1;
		}
		return 0;
	}
	/* Distinct arguments: at most six conditions. */
	json_array_foreach (args, i, v) {
		if (parse_cond(p, args, path, i, &conds[n++]) < 0)
			return -1;
	}
	return add_one(p, path, name, nr, action, conds, n);
}

/* Whether two conditions of args test the same argument (checking them all). */
static int same_index(struct parse *p, json_t *args, const char *path, bool *split)
{
	unsigned int seen = 0;
	struct scmp_arg_cmp c;
	size_t i;
	json_t *v;

	json_array_foreach (args, i, v) {
		if (parse_cond(p, args, path, i, &c) < 0)
			return -1;
		if (seen & 1U << c.arg)
			*split = true;
		seen |= 1U << c.arg;
	}
	return 0;
}

static int parse_rule(struct parse *p, json_t *rule, const char *path)
{
	char fp[PATH_LEN], np[PATH_LEN], ap[PATH_LEN];
	json_t *names, *one, *args, *v;
	bool keep = true, split = false;
	uint32_t action;
	size_t i;

	if (get(p, rule, path, "names", JSON_ARRAY, false, &names) < 0 ||
	    get(p, rule, path, "name", JSON_STRING, false, &one) < 0 ||
	    parse_action(p, rule, path, "action", "errnoRet", &action) < 0 ||
	    get(p, rule, path, "args", JSON_ARRAY, false, &args) < 0 ||
	    same_index(p, args, path_key(ap, path, "args"), &split) < 0 ||
	    apply_filter(p, rule, path, true, &keep) < 0 ||
	    apply_filter(p, rule, path, false, &keep) < 0)
		return -1;
	if (names && one)
		return bad(p, path, "has both \"names\" and \"name\"");
	if (!json_array_size(names) && !one)
		return bad(p, path_key(fp, path, "names"), "missing or empty");
	for (i = 0; one ? i < 1 : i < json_array_size(names); i++) {
		const char *name;
		int nr;

		if (one)
			v = one;
		else if (get_idx(p, names, path_key(np, path, "names"), i, JSON_STRING, &v) < 0)
			return -1;
		name = json_string_value(v);
		if (!*name)
			return bad(p, one ? path_key(fp, path, "name") : path_idx(fp, np, i),
				   "empty syscall name");
		if (!keep)
			continue; /* names checked all the same */
		/* Numbers are the native architecture's; libseccomp translates
		 * them for the others.  Unknown names are skipped, as runc does. */
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		note_number(p, name);
		/* libseccomp refuses a rule that repeats the default. */
		if (action == p->def_action)
			continue;
		if (add_rule(p, args, ap, name, nr, action, split) < 0)
			return -1;
	}
	return 0;
}

static int parse_rules(struct parse *p, json_t *top)
{
	char fp[PATH_LEN];
	json_t *list, *rule;
	size_t i;

	if (get(p, top, "", "syscalls", JSON_ARRAY, false, &list) < 0)
		return -1;
	json_array_foreach (list, i, rule) {
		if (get_idx(p, list, "syscalls", i, JSON_OBJECT, &rule) < 0 ||
		    parse_rule(p, rule, path_idx(fp, "syscalls", i)) < 0)
			return -1;
	}
	return 0;
}

/* --- the ENOSYS stub -------------------------------------------------------------------
 *
 * Built from its end: "ja 1" then "ret ENOSYS", and libseccomp's program
 * follows.  Each architecture's block knows how many instructions come after
 * it (rest, up to the ENOSYS return), which gives the jump offsets: to the
 * next block (or to the "ja", which skips the return, when no block is left),
 * to ENOSYS, to the filter.  The first instruction loads the architecture; a
 * block whose arch test fails jumps to the next with it still loaded. */

#define STUB_MAX (ARRAY_SIZE(arches) * 7 + 3)
_Static_assert(STUB_MAX < 256, "stub jumps must fit in 8 bits");

#define LD_ARCH BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))
#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

struct block {
	struct sock_filter insn[7];
	size_t len, rest;
};

static uint8_t to_next(const struct block *b, size_t i)
{
	return (uint8_t)(b->len - 1 - i);
}

static uint8_t to_enosys(const struct block *b, size_t i)
{
	return (uint8_t)(b->len - 1 - i + b->rest - 1);
}

static uint8_t to_filter(const struct block *b, size_t i)
{
	return (uint8_t)(b->len - 1 - i + b->rest);
}

/* x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry X32_BIT. */
static void x86_64_block(struct block *b, const struct arch_top *t64, const struct arch_top *t32)
{
	struct sock_filter *s = b->insn;
	bool has64 = t64 && t64->top >= 0, has32 = t32 && t32->top >= 0;
	size_t x32_at = has64 ? 4 : 3;

	b->len = 3 + has64 + 3 * has32;
	s[0] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
					    to_next(b, 0));
	s[1] = (struct sock_filter)LD_NR;
	s[2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_BIT,
					    has32 ? (uint8_t)(x32_at - 3) : to_filter(b, 2),
					    has64 ? 0 : to_filter(b, 2));
	if (has64)
		s[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						    (uint32_t)t64->top + 1, to_enosys(b, 3),
						    to_filter(b, 3));
	if (!has32)
		return;
	s[x32_at] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						 X32_BIT | (uint32_t)(t32->top + 1),
						 to_enosys(b, x32_at), 0);
	s[x32_at + 1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						     X32_BIT | X32_OWN_FIRST,
						     to_filter(b, x32_at + 1), 0);
	s[x32_at + 2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						     X32_BIT | (uint32_t)(t32->top_low + 1),
						     to_enosys(b, x32_at + 2),
						     to_filter(b, x32_at + 2));
}

static void plain_block(struct block *b, const struct arch_top *t)
{
	struct sock_filter *s = b->insn;
	/* s390 shows a filter a number past its syscall table as 0 (setup,
	 * long gone), which would otherwise get the default action. */
	bool s390 = t->arch->token == SCMP_ARCH_S390 || t->arch->token == SCMP_ARCH_S390X;
	size_t last = s390 ? 3 : 2;

	b->len = last + 1;
	s[0] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, t->arch->token, 0,
					    to_next(b, 0));
	s[1] = (struct sock_filter)LD_NR;
	if (s390)
		s[2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, to_enosys(b, 2),
						    0);
	s[last] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)t->top + 1,
					       to_enosys(b, last), to_filter(b, last));
}

static const struct arch_top *find_top(const struct parse *p, uint32_t token)
{
	for (size_t i = 0; i < p->ntops; i++)
		if (p->tops[i].arch->token == token)
			return &p->tops[i];
	return NULL;
}

/* The stub into buf[STUB_MAX]; returns its first instruction's index, or
 * STUB_MAX when the profile needs none. */
static size_t make_stub(const struct parse *p, struct sock_filter buf[STUB_MAX])
{
	uint32_t kind = p->def_action & SECCOMP_RET_ACTION_FULL;
	size_t at = STUB_MAX;

	/* Permissive defaults let new syscalls through anyway; a tracer
	 * handles them itself. */
	if (kind == SCMP_ACT_ALLOW || kind == SCMP_ACT_LOG || kind == SCMP_ACT_TRACE(0) ||
	    p->def_action == SCMP_ACT_ERRNO(ENOSYS))
		return STUB_MAX;
	buf[--at] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(ENOSYS));
	buf[--at] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1); /* no arch matched */
	for (size_t i = p->ntops; i-- > 0;) {
		const struct arch_top *t = &p->tops[i];
		const struct arch_top *t64 = find_top(p, SCMP_ARCH_X86_64);
		const struct arch_top *t32 = find_top(p, SCMP_ARCH_X32);
		struct block b = { .rest = STUB_MAX - at };

		if (t->arch->token == SCMP_ARCH_X86_64 || t->arch->token == SCMP_ARCH_X32) {
			if (t == t32 && t64)
				continue; /* x86_64's block covers it */
			if ((!t64 || t64->top < 0) && (!t32 || t32->top < 0))
				continue;
			x86_64_block(&b, t64, t32);
		} else if (t->top >= 0) {
			plain_block(&b, t);
		} else {
			continue; /* the profile names nothing here */
		}
		at -= b.len;
		memcpy(&buf[at], b.insn, b.len * sizeof *b.insn);
	}
	if (at == STUB_MAX - 2)
		return STUB_MAX;
	buf[--at] = (struct sock_filter)LD_ARCH;
	return at;
}

/* --- compacting --------------------------------------------------------------------------- */

/* libseccomp's program finds a syscall's rule with a binary search whose
 * leaves compare one number each (JEQ): 1259 instructions for docker's
 * profile on x86_64 with x86 and x32, which the kernel checks, converts
 * and compiles at every container start (~0.45 ms on the development
 * machine).  Wherever the program has just loaded the syscall number, a
 * "dispatch" follows: jumps on that number alone (JEQ, JGT, JGE against
 * constants; JA) up to the first other instruction, its exit.  The
 * constants cut the numbers into intervals, each with one exit; running
 * the dispatch once per interval and merging neighbours with the same exit
 * gives a handful of intervals (161 and 120 for the profile above), and a
 * binary search over them takes the dispatch's place: JGE nodes, then one
 * JA per distinct exit that the nodes jump to (emit_shared()), or, where
 * that would need a jump longer than 8 bits, a JA to the exit at each leaf
 * (emit_search()).  365 instructions, loaded in ~0.18 ms, with the same
 * answer for every input.  A dispatch entered other than at its start, or
 * one that tests bits (JSET), stays as it is, and so does the whole
 * program when a jump of the new one would not fit in 8 bits. */

#define DISPATCH_NONE UINT16_MAX

/* One dispatch: where it starts, how many instructions it had, and its
 * intervals (the first number of each, and its exit as an old index). */
struct dispatch {
	size_t entry, size, n;
	uint32_t *start, *exit;
};

/* What compact() works with: the program, and which dispatch each
 * instruction belongs to. */
struct compacting {
	const struct sock_filter *p;
	size_t len;
	uint16_t *owner;
	size_t *stack;
};

static bool number_jump(const struct sock_filter *s)
{
	return s->code == (BPF_JMP | BPF_JA) || s->code == (BPF_JMP | BPF_JEQ | BPF_K) ||
	       s->code == (BPF_JMP | BPF_JGT | BPF_K) || s->code == (BPF_JMP | BPF_JGE | BPF_K);
}

/* Where instruction i goes next: *n places (none after a RET). */
static void next_of(const struct sock_filter *p, size_t i, size_t to[2], size_t *n)
{
	*n = 0;
	if (BPF_CLASS(p[i].code) == BPF_RET)
		return;
	if (p[i].code == (BPF_JMP | BPF_JA)) {
		to[(*n)++] = i + 1 + p[i].k;
	} else if (BPF_CLASS(p[i].code) == BPF_JMP) {
		to[(*n)++] = i + 1 + p[i].jt;
		to[(*n)++] = i + 1 + p[i].jf;
	} else {
		to[(*n)++] = i + 1;
	}
}

/* The exit of dispatch id for syscall number nr. */
static size_t run_dispatch(const struct compacting *c, uint16_t id, size_t entry, uint32_t nr)
{
	size_t i = entry;

	while (c->owner[i] == id) {
		const struct sock_filter *s = &c->p[i];

		if (s->code == (BPF_JMP | BPF_JA))
			i += 1 + s->k;
		else if (s->code == (BPF_JMP | BPF_JEQ | BPF_K))
			i += 1 + (nr == s->k ? s->jt : s->jf);
		else if (s->code == (BPF_JMP | BPF_JGT | BPF_K))
			i += 1 + (nr > s->k ? s->jt : s->jf);
		else
			i += 1 + (nr >= s->k ? s->jt : s->jf);
	}
	return i;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Marks the dispatch starting at entry as id in c->owner; false (and
 * nothing marked) when it cannot be replaced. */
static bool mark_dispatch(struct compacting *c, uint16_t id, size_t entry, struct dispatch *d)
{
	size_t top = 0, to[2], nto;

	*d = (struct dispatch){ .entry = entry };
	c->stack[top++] = entry;
	while (top) {
		size_t i = c->stack[--top];

		/* anything else is an exit; another dispatch's, checked below */
		if (i >= c->len || c->owner[i] != DISPATCH_NONE || !number_jump(&c->p[i]))
			continue;
		c->owner[i] = id;
		d->size++;
		next_of(c->p, i, to, &nto);
		for (size_t k = 0; k < nto; k++)
			c->stack[top++] = to[k];
	}
	/* entered at its start only; no jump out of the program; its exits
	 * outside any other dispatch (whose instructions move) */
	for (size_t i = 0; d->size && i < c->len; i++) {
		next_of(c->p, i, to, &nto);
		for (size_t k = 0; k < nto; k++)
			if (to[k] >= c->len ||
			    (c->owner[to[k]] == id && c->owner[i] != id && to[k] != entry) ||
			    (c->owner[i] == id && c->owner[to[k]] != id &&
			     c->owner[to[k]] != DISPATCH_NONE))
				goto undo;
	}
	if (d->size >= 4)
		return true;
undo:
	for (size_t i = 0; i < c->len; i++)
		if (c->owner[i] == id)
			c->owner[i] = DISPATCH_NONE;
	return false;
}

/* The dispatch's intervals; false when it would not shrink (or on ENOMEM). */
static bool cut_dispatch(const struct compacting *c, uint16_t id, struct dispatch *d)
{
	_cleanup_free_ uint64_t *bound = malloc((2 * d->size + 1) * sizeof *bound);
	size_t nb = 0;

	if (!bound)
		return false;
	bound[nb++] = 0;
	for (size_t i = 0; i < c->len; i++) {
		uint16_t code = c->p[i].code;

		if (c->owner[i] != id || code == (BPF_JMP | BPF_JA))
			continue;
		if (code != (BPF_JMP | BPF_JGT | BPF_K))
			bound[nb++] = c->p[i].k;
		if (code != (BPF_JMP | BPF_JGE | BPF_K))
			bound[nb++] = (uint64_t)c->p[i].k + 1;
	}
	qsort(bound, nb, sizeof *bound, cmp_u64);
	d->start = malloc(nb * sizeof *d->start);
	d->exit = malloc(nb * sizeof *d->exit);
	if (!d->start || !d->exit)
		return false;
	for (size_t b = 0; b < nb; b++) {
		size_t exit;

		if (bound[b] > UINT32_MAX || (b && bound[b] == bound[b - 1]))
			continue;
		exit = run_dispatch(c, id, d->entry, (uint32_t)bound[b]);
		if (d->n && d->exit[d->n - 1] == exit)
			continue;
		d->start[d->n] = (uint32_t)bound[b];
		d->exit[d->n++] = (uint32_t)exit;
	}
	return 2 * d->n - 1 < d->size;
}

/* The nodes of intervals lo..hi (lo < hi) of d at out[pos...], in
 * preorder: a node, then its lower half, then its upper half; a half of one
 * interval is a jump to that interval's exit, at out[slot[i]].  Returns the
 * position after them. */
static size_t emit_nodes(const struct dispatch *d, const size_t *slot, size_t lo, size_t hi,
			 struct sock_filter *out, size_t pos)
{
	size_t mid = lo + (hi - lo + 1) / 2, node = pos++, left, right;

	left = mid - 1 == lo ? slot[lo] : pos;
	if (mid - 1 > lo)
		pos = emit_nodes(d, slot, lo, mid - 1, out, pos);
	right = hi == mid ? slot[mid] : pos;
	if (hi > mid)
		pos = emit_nodes(d, slot, mid, hi, out, pos);
	out[node] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, d->start[mid],
						 (uint8_t)(right - node - 1),
						 (uint8_t)(left - node - 1));
	return pos;
}

/* The binary search over all of d's intervals at out[at...] with shared
 * leaves: its n - 1 nodes, then one JA per distinct exit (whose k is still
 * the old exit) for every node that ends there to jump to; about half the
 * instructions of emit_search()'s, which has a JA per interval.  Returns
 * its length, 0 when a jump would not fit (or on ENOMEM). */
static size_t emit_shared(const struct dispatch *d, struct sock_filter *out, size_t at)
{
	_cleanup_free_ size_t *slot = malloc(d->n * sizeof *slot);
	_cleanup_free_ uint32_t *exits = malloc(d->n * sizeof *exits);
	size_t nodes = d->n - 1, nexits = 0;

	if (!slot || !exits)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		size_t e = 0;

		while (e < nexits && exits[e] != d->exit[i])
			e++;
		if (e == nexits)
			exits[nexits++] = d->exit[i];
		slot[i] = nodes + e;
	}
	/* the longest jump: from the first node over the others to the last exit */
	if (nodes + nexits > UINT8_MAX + 2)
		return 0;
	if (nodes)
		emit_nodes(d, slot, 0, d->n - 1, out + at, 0);
	for (size_t e = 0; e < nexits; e++)
		out[at + nodes + e] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, exits[e]);
	return nodes + nexits;
}

/* The binary search over intervals lo..hi at out[at...], each leaf a JA
 * whose k is still the old exit, for a dispatch too large for
 * emit_shared(); returns its length, 0 when a jump would not fit. */
static size_t emit_search(const struct dispatch *d, size_t lo, size_t hi, struct sock_filter *out,
			  size_t at)
{
	size_t mid, left, right;

	if (lo == hi) {
		out[at] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, d->exit[lo]);
		return 1;
	}
	mid = lo + (hi - lo + 1) / 2;
	left = emit_search(d, lo, mid - 1, out, at + 1);
	right = left && left <= UINT8_MAX ? emit_search(d, mid, hi, out, at + 1 + left) : 0;
	if (!right)
		return 0;
	out[at] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, d->start[mid],
					       (uint8_t)left, 0);
	return 1 + left + right;
}

/* The program laid out anew into res (*out instructions), each dispatch
 * replaced by its search where it started; false when a jump would not
 * fit. */
static bool relay(const struct compacting *c, const struct dispatch *d, struct sock_filter *res,
		  size_t *map, size_t *out)
{
	size_t to[2], nto;

	*out = 0;
	for (size_t i = 0; i < c->len; i++) {
		map[i] = *out;
		if (c->owner[i] == DISPATCH_NONE) {
			res[(*out)++] = c->p[i];
		} else if (d[c->owner[i]].entry == i) {
			size_t w = emit_shared(&d[c->owner[i]], res, *out);

			if (!w)
				w = emit_search(&d[c->owner[i]], 0, d[c->owner[i]].n - 1, res, *out);
			if (!w)
				return false;
			*out += w;
		}
	}
	map[c->len] = *out;
	for (size_t i = 0; i < c->len; i++) {
		size_t at = map[i];

		if (c->owner[i] != DISPATCH_NONE) {
			/* a search's leaves: every exit lies after the search */
			for (size_t k = at; d[c->owner[i]].entry == i && k < map[i + 1]; k++)
				if (res[k].code == (BPF_JMP | BPF_JA))
					res[k].k = (uint32_t)(map[res[k].k] - k - 1);
			continue;
		}
		if (BPF_CLASS(c->p[i].code) != BPF_JMP)
			continue;
		next_of(c->p, i, to, &nto);
		if (c->p[i].code == (BPF_JMP | BPF_JA)) {
			res[at].k = (uint32_t)(map[to[0]] - at - 1);
			continue;
		}
		/* a search placed between a jump and its target can lengthen it */
		if (map[to[0]] - at - 1 > UINT8_MAX || map[to[1]] - at - 1 > UINT8_MAX)
			return false;
		res[at].jt = (uint8_t)(map[to[0]] - at - 1);
		res[at].jf = (uint8_t)(map[to[1]] - at - 1);
	}
	return true;
}

/* prog[0..*len) compacted in place, or left as it was (including when
 * memory runs out: the program is right either way). */
static void compact(struct sock_filter *prog, size_t *len)
{
	static const struct sock_filter ld_nr = LD_NR;
	struct compacting c = { .p = prog, .len = *len };
	_cleanup_free_ struct sock_filter *res = malloc(*len * sizeof *res);
	_cleanup_free_ struct dispatch *d = calloc(*len / 4 + 1, sizeof *d);
	_cleanup_free_ size_t *map = malloc((*len + 1) * sizeof *map);
	_cleanup_free_ uint16_t *owner = malloc(*len * sizeof *owner);
	_cleanup_free_ size_t *stack = malloc((2 * *len + 1) * sizeof *stack);
	size_t nd = 0, out = 0;

	if (!res || !d || !map || !owner || !stack || *len >= DISPATCH_NONE)
		return;
	c.owner = owner;
	c.stack = stack;
	for (size_t i = 0; i < c.len; i++)
		owner[i] = DISPATCH_NONE;
	for (size_t i = 0; i + 1 < c.len; i++) {
		if (prog[i].code != ld_nr.code || prog[i].k != ld_nr.k ||
		    !mark_dispatch(&c, (uint16_t)nd, i + 1, &d[nd]))
			continue;
		if (cut_dispatch(&c, (uint16_t)nd, &d[nd])) {
			nd++;
			continue;
		}
		free(d[nd].start);
		free(d[nd].exit);
		for (size_t k = 0; k < c.len; k++)
			if (owner[k] == nd)
				owner[k] = DISPATCH_NONE;
	}
	if (nd && relay(&c, d, res, map, &out)) {
		memcpy(prog, res, out * sizeof *res);
		*len = out;
	}
	for (size_t k = 0; k < nd; k++) {
		free(d[k].start);
		free(d[k].exit);
	}
}

/* --- compiling ------------------------------------------------------------------------ */

/* libseccomp's program, behind the stub, into f. */
static int export_program(struct parse *p, struct c_seccomp *f)
{
	struct sock_filter stub[STUB_MAX];
	size_t first = make_stub(p, stub), nstub = STUB_MAX - first, n, len;
	_cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	_cleanup_free_ char *bpf = NULL;
	struct stat st;
	int rc;

	if (fd < 0)
		return c_err_sys(p->err, "memfd_create", "seccomp-bpf");
	rc = seccomp_export_bpf(p->ctx, fd);
	if (rc < 0)
		return c_err_new(p->err, C_EXIT_FAIL, -rc, "seccomp profile %s: export BPF",
				 p->source);
	if (fstat(fd, &st) < 0)
		return c_err_sys(p->err, "stat", "seccomp-bpf");
	n = (size_t)st.st_size / sizeof *stub;
	if (n + nstub > BPF_MAXINSNS)
		return c_err_new(p->err, C_EXIT_DATA, 0,
				 "seccomp profile %s: %zu BPF instructions, the kernel takes %d",
				 p->source, n + nstub, BPF_MAXINSNS);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return c_err_sys(p->err, "seek", "seccomp-bpf");
	if (c_read_fd(fd, "seccomp-bpf", (size_t)st.st_size, &bpf, &len, p->err) < 0)
		return -1;
	if (len != (size_t)st.st_size || len % sizeof *stub)
		return c_err_new(p->err, C_EXIT_FAIL, 0, "seccomp: exported BPF of %zu bytes", len);
	/* the stub jumps to libseccomp's first instruction, which stays */
	if (!p->uncompacted)
		compact((struct sock_filter *)bpf, &n);
	f->prog.filter = malloc((n + nstub) * sizeof *stub);
	if (!f->prog.filter)
		return c_err_sys(p->err, "allocate", "seccomp filter");
	memcpy(f->prog.filter, &stub[first], nstub * sizeof *stub);
	memcpy(f->prog.filter + nstub, bpf, n * sizeof *stub);
	f->prog.len = (unsigned short)(n + nstub);
	f->flags = p->flags;
	return 0;
}

static int compile(struct parse *p, const char *text, size_t len, struct c_seccomp *f)
{
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
	_cleanup_json_ json_t *top = c_json_parse(text, len, p->source, p->err);
	int rc;

	if (!top)
		return c_err_wrap(p->err, "seccomp profile");
	if (!json_is_object(top))
		return bad(p, "", "expected object, got %s", c_json_type_name(top));
	if (parse_action(p, top, "", "defaultAction", "defaultErrnoRet", &p->def_action) < 0 ||
	    parse_flags(p, top) < 0)
		return -1;
	ctx = seccomp_init(p->def_action);
	if (!ctx)
		return c_err_new(p->err, C_EXIT_FAIL, 0,
				 "seccomp profile %s: libseccomp refused default action %#x",
				 p->source, p->def_action);
	if (p->target->token != seccomp_arch_native()) {
		rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
		if (rc < 0)
			return c_err_new(p->err, C_EXIT_FAIL, -rc,
					 "seccomp: remove the native architecture");
	}
	p->ctx = ctx;
	if (parse_arches(p, top) < 0 || parse_rules(p, top) < 0)
		return -1;
	/* A binary search over the syscalls instead of a list; libseccomp
	 * 2.5.4 gets it wrong without rules, and short lists gain nothing. */
	if (p->nrules > 32) {
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
		if (rc < 0)
			return c_err_new(p->err, C_EXIT_FAIL, -rc, "seccomp: optimise the filter");
	}
	return export_program(p, f);
}

/* --- the cache -------------------------------------------------------------------------- */

struct cache_head {
	char magic[8];
	uint32_t format, flags, len, zero;
	uint8_t key[C_SHA256_LEN];
};
/* ...then len instructions, then the sha256 of all that. */

#define CACHE_MAX (sizeof(struct cache_head) + BPF_MAXINSNS * sizeof(struct sock_filter) + C_SHA256_LEN)

static void cache_key(const struct c_seccomp_opts *o, const char *text, size_t len,
		      uint32_t arch, const struct utsname *u, uint8_t key[C_SHA256_LEN])
{
	const struct scmp_version *v = seccomp_version();
	struct c_sha256 h;
	char head[512];
	int n = snprintf(head, sizeof head,
			 "c-tools seccomp cache %d\nc-tools %s\nlibseccomp %u.%u.%u\nkernel %s\n"
			 "arch %08x\ncaps %016llx\n",
			 CACHE_FORMAT, C_TOOLS_VERSION, v->major, v->minor, v->micro, u->release,
			 arch, (unsigned long long)o->caps);

	c_sha256_init(&h);
	c_sha256_update(&h, head, n < (int)sizeof head ? (size_t)n : sizeof head - 1);
	c_sha256_update(&h, text, len);
	c_sha256_final(&h, key);
}

/* 1 with f filled when path holds the program for key; 0 when it is missing
 * or damaged (the caller compiles and writes it again). */
static int read_cache(const char *path, const uint8_t key[C_SHA256_LEN], struct c_seccomp *f,
		      c_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	const struct cache_head *h;
	uint8_t sum[C_SHA256_LEN];
	c_err *e = NULL;
	size_t len, body;

	if (fd < 0)
		return errno == ENOENT ? 0 : c_err_sys(err, "open", path);
	if (c_read_fd(fd, path, CACHE_MAX, &buf, &len, &e) < 0) {
		if (!e->errnum) { /* too large to be one */
			c_err_free(&e);
			return 0;
		}
		if (err)
			*err = e;
		else
			c_err_free(&e);
		return -1;
	}
	h = (const struct cache_head *)buf;
	if (len < sizeof *h + C_SHA256_LEN || memcmp(h->magic, CACHE_MAGIC, sizeof h->magic) ||
	    h->format != CACHE_FORMAT || h->zero || !h->len || h->len > BPF_MAXINSNS)
		return 0;
	body = sizeof *h + h->len * sizeof(struct sock_filter);
	if (len != body + C_SHA256_LEN || memcmp(h->key, key, C_SHA256_LEN))
		return 0;
	c_sha256(buf, body, sum);
	if (memcmp(sum, buf + body, C_SHA256_LEN))
		return 0;
	f->prog.filter = malloc(h->len * sizeof(struct sock_filter));
	if (!f->prog.filter)
		return c_err_sys(err, "allocate", "seccomp filter");
	memcpy(f->prog.filter, buf + sizeof *h, h->len * sizeof(struct sock_filter));
	f->prog.len = (unsigned short)h->len;
	f->flags = h->flags;
	f->cached = true;
	return 1;
}

static int write_cache(const char *dir, const char *path, const uint8_t key[C_SHA256_LEN],
		       const struct c_seccomp *f, c_err **err)
{
	struct cache_head h = { .magic = CACHE_MAGIC, .format = CACHE_FORMAT,
				.flags = f->flags, .len = f->prog.len };
	size_t body = sizeof h + f->prog.len * sizeof *f->prog.filter;
	_cleanup_free_ uint8_t *buf = malloc(body + C_SHA256_LEN);

	if (!buf)
		return c_err_sys(err, "write", path);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return c_err_sys(err, "create directory", dir);
	memcpy(h.key, key, sizeof h.key);
	memcpy(buf, &h, sizeof h);
	memcpy(buf + sizeof h, f->prog.filter, body - sizeof h);
	c_sha256(buf, body, buf + body);
	return c_write_file_atomic(path, buf, body + C_SHA256_LEN, 0600, err);
}

/* --- the API ---------------------------------------------------------------------------- */

int c_seccomp_prepare(const struct c_seccomp_opts *o, struct c_seccomp **out, c_err **err)
{
	struct parse p = {
		.source = !o->profile ? "(default)" : o->source ? o->source : "(unnamed)",
		.where = o->where ? o->where : "",
		.err = err,
		.caps = o->caps,
		.uncompacted = o->uncompacted,
	};
	const char *text = o->profile ? o->profile : c_seccomp_default_profile;
	size_t len = o->profile ? o->profile_len : sizeof c_seccomp_default_profile - 1;
	uint32_t arch = o->arch ? o->arch : seccomp_arch_native();
	_cleanup_free_ char *path = NULL;
	uint8_t key[C_SHA256_LEN];
	char hex[2 * C_SHA256_LEN + 1];
	struct c_seccomp *f;
	struct utsname u;
	int rc;

	p.target = arch_by_token(arch);
	if (!p.target)
		return c_err_new(err, C_EXIT_FAIL, 0, "seccomp: unknown architecture %#x", arch);
	if (uname(&u) < 0)
		return c_err_sys(err, "uname", NULL);
	/* A release that does not parse counts as 0.0: older than any minKernel. */
	if (sscanf(u.release, "%u.%u", &p.kmajor, &p.kminor) != 2)
		p.kmajor = p.kminor = 0;
	f = calloc(1, sizeof *f);
	if (!f)
		return c_err_sys(err, "allocate", "seccomp filter");
	if (o->cache_dir && !o->uncompacted) {
		cache_key(o, text, len, arch, &u, key);
		c_hex_encode(hex, key, sizeof key);
		if (asprintf(&path, "%s/seccomp-%s.bpf", o->cache_dir, hex) < 0) {
			path = NULL;
			c_err_sys(err, "allocate", "seccomp cache path");
			goto fail;
		}
		rc = read_cache(path, key, f, err);
		if (rc < 0) {
			c_err_wrap(err, "seccomp cache");
			goto fail;
		}
		if (rc > 0)
			goto done;
	}
	if (compile(&p, text, len, f) < 0)
		goto fail;
	if (path && write_cache(o->cache_dir, path, key, f, err) < 0) {
		c_err_wrap(err, "seccomp cache");
		goto fail;
	}
done:
	*out = f;
	return 0;
fail:
	c_seccomp_free(f);
	return -1;
}

int c_seccomp_load(const struct c_seccomp *f, c_err **err)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog) == 0)
		return 0;
	if (errno == EACCES)
		return c_err_new(err, C_EXIT_FAIL, EACCES,
				 "load seccomp filter: set no_new_privs first, or keep CAP_SYS_ADMIN");
	return c_err_sys(err, "load seccomp filter", NULL);
}

void c_seccomp_free(struct c_seccomp *f)
{
	if (!f)
		return;
	free(f->prog.filter);
	free(f);
}

json_t *c_seccomp_features(void)
{
	json_t *acts = json_array(), *ops = json_array(), *archs = json_array();
	char name[32];
	bool ok = acts && ops && archs;

	for (size_t i = 0; ok && i < sizeof actions / sizeof actions[0]; i++)
		ok = json_array_append_new(acts, json_string(actions[i].name)) == 0;
	for (size_t i = 0; ok && i < sizeof operators / sizeof operators[0]; i++)
		ok = json_array_append_new(ops, json_string(operators[i].name)) == 0;
	for (size_t i = 0; ok && i < sizeof arches / sizeof arches[0]; i++) {
		snprintf(name, sizeof name, "SCMP_ARCH_%s", arches[i].scmp);
		ok = json_array_append_new(archs, json_string(name)) == 0;
	}
	if (!ok) {
		json_decref(acts);
		json_decref(ops);
		json_decref(archs);
		return NULL;
	}
	return json_pack("{s:b, s:o, s:o, s:o}", "enabled", 1, "actions", acts, "operators", ops,
			 "archs", archs);
}
