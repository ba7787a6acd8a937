#include "devices.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Device programs attached to one cgroup that a replace can take away. */
#define OLD_PROGS_MAX 64

const struct c_dev_rule c_dev_defaults[] = {
	{ true, C_DEV_CHAR, C_DEV_ANY, C_DEV_ANY, C_DEV_MKNOD },
	{ true, C_DEV_BLOCK, C_DEV_ANY, C_DEV_ANY, C_DEV_MKNOD },
	{ true, C_DEV_CHAR, 1, 3, C_DEV_RWM },	       /* null */
	{ true, C_DEV_CHAR, 1, 5, C_DEV_RWM },	       /* zero */
	{ true, C_DEV_CHAR, 1, 7, C_DEV_RWM },	       /* full */
	{ true, C_DEV_CHAR, 1, 8, C_DEV_RWM },	       /* random */
	{ true, C_DEV_CHAR, 1, 9, C_DEV_RWM },	       /* urandom */
	{ true, C_DEV_CHAR, 5, 0, C_DEV_RWM },	       /* tty */
	{ true, C_DEV_CHAR, 5, 1, C_DEV_RWM },	       /* console */
	{ true, C_DEV_CHAR, 5, 2, C_DEV_RWM },	       /* ptmx */
	{ true, C_DEV_CHAR, 136, C_DEV_ANY, C_DEV_RWM }, /* pts */
};
const size_t c_dev_ndefaults = ARRAY_SIZE(c_dev_defaults);

static int oom(c_err **err)
{
	return c_err_new(err, C_EXIT_FAIL, ENOMEM, "out of memory");
}

/* ---- rules ----------------------------------------------------------------- */

static void number_text(char *buf, size_t size, uint32_t n)
{
	if (n == C_DEV_ANY)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%" PRIu32, n);
}

const char *c_dev_rule_text(const struct c_dev_rule *r, char buf[C_DEV_RULE_TEXT])
{
	char major[12], minor[12], access[4];
	size_t k = 0;

	/* the kernel reads nothing after an "a" */
	if (r->type == C_DEV_ALL) {
		snprintf(buf, C_DEV_RULE_TEXT, "a");
		return buf;
	}
	number_text(major, sizeof major, r->major);
	number_text(minor, sizeof minor, r->minor);
	if (r->access & C_DEV_READ)
		access[k++] = 'r';
	if (r->access & C_DEV_WRITE)
		access[k++] = 'w';
	if (r->access & C_DEV_MKNOD)
		access[k++] = 'm';
	access[k] = '\0';
	snprintf(buf, C_DEV_RULE_TEXT, "%c %s:%s %s", r->type == C_DEV_BLOCK ? 'b' : 'c', major,
		 minor, access);
	return buf;
}

static bool parse_number(const char *s, size_t len, uint32_t *out)
{
	uint64_t n = 0;

	if (len == 1 && *s == '*') {
		*out = C_DEV_ANY;
		return true;
	}
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n >= C_DEV_ANY)
		return false;
	*out = (uint32_t)n;
	return true;
}

int c_dev_rule_parse(const char *text, bool allow, const char *what, struct c_dev_rule *out,
		     c_err **err)
{
	const char *numbers, *colon, *access;

	*out = (struct c_dev_rule){ allow, C_DEV_ALL, C_DEV_ANY, C_DEV_ANY, C_DEV_RWM };
	if (!strcmp(text, "a") || !strcmp(text, "a *:* rwm"))
		return 0;
	if ((text[0] != 'b' && text[0] != 'c') || text[1] != ' ')
		goto bad;
	out->type = text[0] == 'b' ? C_DEV_BLOCK : C_DEV_CHAR;
	numbers = text + 2;
	colon = strchr(numbers, ':');
	access = strchr(numbers, ' ');
	if (!colon || !access || colon > access ||
	    !parse_number(numbers, (size_t)(colon - numbers), &out->major) ||
	    !parse_number(colon + 1, (size_t)(access - colon - 1), &out->minor))
		goto bad;
	out->access = 0;
	for (access++; *access; access++) {
		unsigned bit = *access == 'r' ? C_DEV_READ : *access == 'w' ? C_DEV_WRITE
						 : *access == 'm' ? C_DEV_MKNOD : 0;

		if (!bit || (out->access & bit))
			goto bad;
		out->access |= bit;
	}
	if (out->access)
		return 0;
bad:
	return c_err_new(err, C_EXIT_USAGE, 0,
			 "%s \"%s\": expected \"TYPE MAJOR:MINOR ACCESS\" (c 1:3 rwm, b *:* m) or \"a\"",
			 what, text);
}

bool c_dev_access_parse(const char *letters, unsigned *access)
{
	size_t n = strlen(letters);

	if (!n || n > 3 || strspn(letters, "rwm") != n)
		return false;
	*access = (strchr(letters, 'r') ? C_DEV_READ : 0) |
		  (strchr(letters, 'w') ? C_DEV_WRITE : 0) |
		  (strchr(letters, 'm') ? C_DEV_MKNOD : 0);
	return true;
}

/* A major or minor number: absent, null or -1 is "*". */
static int json_number(json_t *rule, const char *where, const char *key, uint32_t *out,
		       c_err **err)
{
	json_t *v;
	json_int_t n;

	if (c_json_get_present(rule, where, key, JSON_INTEGER, &v, err) < 0)
		return -1;
	n = v ? json_integer_value(v) : -1;
	if (n < -1 || n >= C_DEV_ANY)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.%s: %lld: expected a device number, or -1 for all", where,
				 key, (long long)n);
	*out = n < 0 ? C_DEV_ANY : (uint32_t)n;
	return 0;
}

int c_dev_rule_from_json(json_t *rule, const char *where, struct c_dev_rule *out, c_err **err)
{
	const char *type = "a", *access = "rwm";

	if (!json_is_object(rule))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s: expected object, got %s", where,
				 c_json_type_name(rule));
	if (c_json_get_bool(rule, where, "allow", true, &out->allow, err) < 0 ||
	    c_json_get_string(rule, where, "type", false, &type, err) < 0 ||
	    c_json_get_string(rule, where, "access", false, &access, err) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("abc", type[0]))
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.type: \"%s\": expected a, b or c",
				 where, type);
	if (!c_dev_access_parse(access, &out->access))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "field %s.access: \"%s\": expected letters of rwm", where, access);
	out->type = type[0] == 'a' ? C_DEV_ALL : type[0] == 'b' ? C_DEV_BLOCK : C_DEV_CHAR;
	if (json_number(rule, where, "major", &out->major, err) < 0 ||
	    json_number(rule, where, "minor", &out->minor, err) < 0)
		return -1;
	return 0;
}

json_t *c_dev_rule_to_json(const struct c_dev_rule *r)
{
	char text[C_DEV_RULE_TEXT];
	json_t *o;

	if (r->type == C_DEV_ALL)
		return json_pack("{s:b, s:s, s:s}", "allow", r->allow, "type", "a", "access", "rwm");
	/* "c MAJOR:MINOR ACCESS": the access is what follows the last space */
	c_dev_rule_text(r, text);
	o = json_pack("{s:b, s:s, s:s}", "allow", r->allow, "type", r->type == C_DEV_BLOCK ? "b" : "c",
		      "access", strrchr(text, ' ') + 1);
	if (o && r->major != C_DEV_ANY)
		json_object_set_new(o, "major", json_integer(r->major));
	if (o && r->minor != C_DEV_ANY)
		json_object_set_new(o, "minor", json_integer(r->minor));
	return o;
}

/* ---- the v1 controller's state ------------------------------------------- */

static bool same_device(const struct c_dev_rule *a, const struct c_dev_rule *b)
{
	return a->type == b->type && a->major == b->major && a->minor == b->minor;
}

int c_dev_policy_add(struct c_dev_policy *p, const struct c_dev_rule *r, c_err **err)
{
	if (r->type == C_DEV_ALL) {
		p->default_deny = !r->allow;
		p->n = 0;
		return 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct c_dev_rule *e = &p->ex[i];

		if (!same_device(e, r))
			continue;
		if (r->allow == p->default_deny) {
			e->access |= r->access;
		} else if (!(e->access &= ~r->access)) {
			memmove(e, e + 1, (p->n - i - 1) * sizeof *e);
			p->n--;
		}
		return 0;
	}
	/* a rule with the default takes away from nothing */
	if (r->allow != p->default_deny)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct c_dev_rule *ex = realloc(p->ex, cap * sizeof *ex);

		if (!ex)
			return oom(err);
		p->ex = ex;
		p->cap = cap;
	}
	p->ex[p->n++] = *r;
	return 0;
}

static bool matches(const struct c_dev_rule *e, unsigned type, uint32_t major, uint32_t minor)
{
	return (e->type & type) && (e->major == C_DEV_ANY || e->major == major) &&
	       (e->minor == C_DEV_ANY || e->minor == minor);
}

bool c_dev_policy_permits(const struct c_dev_policy *p, unsigned type, uint32_t major,
			  uint32_t minor, unsigned access)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct c_dev_rule *e = &p->ex[i];

		if (!matches(e, type, major, minor))
			continue;
		if (p->default_deny && !(access & ~e->access))
			return true;
		if (!p->default_deny && (access & e->access))
			return false;
	}
	return !p->default_deny;
}

bool c_dev_policy_allows_all(const struct c_dev_policy *p)
{
	return !p->default_deny && p->n == 0;
}

void c_dev_policy_free(struct c_dev_policy *p)
{
	free(p->ex);
	*p = (struct c_dev_policy){ 0 };
}

/* ---- the BPF program --------------------------------------------------------- */

/* Registers once the context is read: the device's type, the access asked
 * for, its major and minor; R1 (the context) is scratch after that. */
enum { R0, R1, R2, R3, R4, R5 };
#define TYPE R2
#define ACCESS R3
#define MAJOR R4
#define MINOR R5

struct prog {
	struct bpf_insn *v;
	size_t n, cap;
	bool failed;
};

static size_t emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct bpf_insn *v = realloc(p->v, cap * sizeof *v);

		if (!v) {
			p->failed = true;
			return p->n;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off,
					.imm = imm };
	return p->n++;
}

/* "if reg != value goto next"; a value above INT32_MAX goes through R1, as
 * an immediate would be sign-extended to 64 bits. */
static size_t jump_unless_equal(struct prog *p, uint8_t reg, uint32_t value)
{
	if (value <= INT32_MAX)
		return emit(p, BPF_JMP | BPF_JNE | BPF_K, reg, 0, 0, (int32_t)value);
	emit(p, BPF_ALU | BPF_MOV | BPF_K, R1, 0, 0, (int32_t)value);
	return emit(p, BPF_JMP | BPF_JNE | BPF_X, reg, R1, 0, 0);
}

/* One exception: its checks jump to the next one, all of them passed
 * return its verdict. */
static void emit_exception(struct prog *p, const struct c_dev_rule *e, bool default_deny)
{
	size_t jumps[4], nj = 0;

	jumps[nj++] = emit(p, BPF_JMP | BPF_JNE | BPF_K, TYPE, 0, 0, (int32_t)e->type);
	if (e->access != C_DEV_RWM) {
		emit(p, BPF_ALU | BPF_MOV | BPF_X, R1, ACCESS, 0, 0);
		emit(p, BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)e->access);
		/* an allow must hold every access asked for, a deny share one */
		jumps[nj++] = default_deny ? emit(p, BPF_JMP | BPF_JNE | BPF_X, R1, ACCESS, 0, 0)
					   : emit(p, BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 0, 0);
	}
	if (e->major != C_DEV_ANY)
		jumps[nj++] = jump_unless_equal(p, MAJOR, e->major);
	if (e->minor != C_DEV_ANY)
		jumps[nj++] = jump_unless_equal(p, MINOR, e->minor);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, default_deny);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < nj && !p->failed; i++)
		p->v[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

int c_dev_program(const struct c_dev_policy *pol, struct bpf_insn **insns, size_t *n, c_err **err)
{
	struct prog p = { 0 };

	if (pol->n > 4000)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "device rules: %zu exceptions, more than a BPF program can jump over",
				 pol->n);
	/* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor */
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, TYPE, R1, 0, 0);
	emit(&p, BPF_ALU | BPF_AND | BPF_K, TYPE, 0, 0, 0xffff);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, ACCESS, R1, 0, 0);
	emit(&p, BPF_ALU | BPF_RSH | BPF_K, ACCESS, 0, 0, 16);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, MAJOR, R1, 4, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, MINOR, R1, 8, 0);
	for (size_t i = 0; i < pol->n; i++)
		emit_exception(&p, &pol->ex[i], pol->default_deny);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, !pol->default_deny);
	emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (p.failed) {
		free(p.v);
		return oom(err);
	}
	*insns = p.v;
	*n = p.n;
	return 0;
}

/* ---- load and attach ----------------------------------------------------- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int load(const struct bpf_insn *insns, size_t n)
{
	union bpf_attr a;

	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "MIT";
	snprintf(a.prog_name, sizeof a.prog_name, "c_tools_devices");
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* The ids of the device programs attached to the cgroup itself. */
static int query(int cgroup_fd, uint32_t ids[OLD_PROGS_MAX], uint32_t *n)
{
	union bpf_attr a;

	memset(&a, 0, sizeof a);
	a.query.target_fd = (uint32_t)cgroup_fd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = OLD_PROGS_MAX;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -1;
	*n = a.query.prog_cnt;
	return 0;
}

static int attach(int cgroup_fd, int prog_fd, int cmd)
{
	union bpf_attr a;

	memset(&a, 0, sizeof a);
	a.target_fd = (uint32_t)cgroup_fd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = cmd == BPF_PROG_ATTACH ? BPF_F_ALLOW_MULTI : 0;
	return sys_bpf(cmd, &a);
}

static int detach_id(int cgroup_fd, uint32_t id)
{
	union bpf_attr a;
	_cleanup_close_ int fd = -1;

	memset(&a, 0, sizeof a);
	a.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	/* gone meanwhile: nothing to detach */
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	return attach(cgroup_fd, fd, BPF_PROG_DETACH) < 0 && errno != ENOENT ? -1 : 0;
}

int c_dev_attach(int cgroup_fd, const char *path, const struct c_dev_policy *p, c_err **err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	_cleanup_close_ int prog = -1;
	uint32_t old[OLD_PROGS_MAX], nold = 0;
	size_t n;

	if (c_dev_policy_allows_all(p)) {
		/* without BPF there is nothing attached to take away */
		if (query(cgroup_fd, old, &nold) < 0)
			return 0;
	} else {
		if (c_dev_program(p, &insns, &n, err) < 0)
			return -1;
		prog = load(insns, n);
		if (prog < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "load the BPF device program for %s",
					 path);
		if (query(cgroup_fd, old, &nold) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "query the device programs of %s",
					 path);
		if (attach(cgroup_fd, prog, BPF_PROG_ATTACH) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno, "attach the BPF device program to %s",
					 path);
	}
	for (uint32_t i = 0; i < nold; i++)
		if (detach_id(cgroup_fd, old[i]) < 0)
			return c_err_new(err, C_EXIT_FAIL, errno,
					 "detach the earlier device program %" PRIu32 " from %s", old[i],
					 path);
	return 0;
}
