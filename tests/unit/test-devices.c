/* test-devices.c — device rules (lib/devices.h): their text, the v1
 * controller's state they leave, and the cgroup v2 BPF program made from
 * it.  The program is run by a small BPF interpreter here on every input of
 * a grid and must decide as the policy does; as root, the kernel itself is
 * asked too: the same rule lists written to a real v1 devices cgroup, and
 * the program attached to a real cgroup2 directory, each probed by a child
 * that makes and opens nodes of unused majors (60-62, "local/experimental
 * use", so no driver is ever opened). */
#include <stdint.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "devices.h"
#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

static char tmp[PATH_MAX];

static struct c_dev_rule rule(const char *text, bool allow)
{
	struct c_dev_rule r;
	c_err *e = NULL;

	if (c_dev_rule_parse(text, allow, "rule", &r, &e) < 0) {
		c_err_print(e);
		tap_bail("parse", text);
	}
	return r;
}

static void policy_of(struct c_dev_policy *p, const struct c_dev_rule *rules, size_t n)
{
	c_err *e = NULL;

	*p = (struct c_dev_policy){ 0 };
	for (size_t i = 0; i < n; i++)
		if (c_dev_policy_add(p, &rules[i], &e) < 0)
			tap_bail("policy", "add");
}

/* ---- text ------------------------------------------------------------------ */

static void text(void)
{
	static const char *const good[] = { "c 1:3 rwm", "b *:* m", "c 136:* rw", "b 8:0 r", "a",
					     "c 4294967294:0 w" };
	static const char *const bad[] = { "x 1:3 rwm", "c 1:3", "c 1 rwm", "c 1:3 rwx",
					   "c 1:3 rr", "c :3 r", "c 1:3 ", "c 4294967295:0 r",
					   "c -1:0 r", "" };
	char buf[C_DEV_RULE_TEXT], line[200];
	struct c_dev_rule r;
	c_err *e = NULL;
	bool all = true;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		r = rule(good[i], true);
		if (strcmp(c_dev_rule_text(&r, buf), good[i])) {
			tap_diag("%s read back as %s", good[i], buf);
			all = false;
		}
	}
	ok(all, "text: a rule reads back as the text it was parsed from");
	r = rule("c 1:3 mwr", false);
	ok(!r.allow && r.access == C_DEV_RWM && !strcmp(c_dev_rule_text(&r, buf), "c 1:3 rwm"),
	   "text: access letters in any order, written as rwm");
	r = rule("a *:* rwm", true);
	ok(r.type == C_DEV_ALL && !strcmp(c_dev_rule_text(&r, buf), "a"),
	   "text: \"a *:* rwm\" is \"a\"");
	all = true;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (c_dev_rule_parse(bad[i], true, "--device-cgroup-rule", &r, &e) == 0) {
			tap_diag("\"%s\" was taken", bad[i]);
			all = false;
			continue;
		}
		tap_err_copy(line, sizeof line, &e);
		if (!strstr(line, "--device-cgroup-rule \"") || !strstr(line, bad[i])) {
			tap_diag("\"%s\": %s", bad[i], line);
			all = false;
		}
	}
	ok(all, "text: a bad rule is an error naming the option and the text");
}

/* ---- the model ------------------------------------------------------------- */

static bool permits(const struct c_dev_policy *p, const char *dev, unsigned access)
{
	struct c_dev_rule d = rule(dev, true);

	return c_dev_policy_permits(p, d.type, d.major, d.minor, access);
}

static void model(void)
{
	struct c_dev_policy p;
	struct c_dev_rule r[6];

	policy_of(&p, NULL, 0);
	ok(c_dev_policy_allows_all(&p) && permits(&p, "b 8:0 r", C_DEV_READ),
	   "model: a new cgroup allows every device");

	r[0] = rule("a", false);
	r[1] = rule("c 1:3 r", true);
	r[2] = rule("c 1:3 w", true);
	policy_of(&p, r, 3);
	ok(p.default_deny && p.n == 1 && p.ex[0].access == (C_DEV_READ | C_DEV_WRITE) &&
	       permits(&p, "c 1:3 r", C_DEV_READ | C_DEV_WRITE) &&
	       !permits(&p, "c 1:3 r", C_DEV_MKNOD) && !permits(&p, "c 1:5 r", C_DEV_READ),
	   "model: allows of one device merge, so an open for read and write passes");
	c_dev_policy_free(&p);

	r[1] = rule("c 1:3 r", true);
	r[2] = rule("c *:* w", true);
	policy_of(&p, r, 3);
	ok(permits(&p, "c 1:3 r", C_DEV_READ) && permits(&p, "c 1:3 r", C_DEV_WRITE) &&
	       !permits(&p, "c 1:3 r", C_DEV_READ | C_DEV_WRITE),
	   "model: one exception must hold every access asked for");
	c_dev_policy_free(&p);

	r[1] = rule("c *:* rwm", true);
	r[2] = rule("c 1:3 rwm", false);
	policy_of(&p, r, 3);
	ok(permits(&p, "c 1:3 r", C_DEV_READ) && p.n == 1,
	   "model: denying one device does not punch a hole in an allowed wildcard (v1)");
	c_dev_policy_free(&p);

	r[1] = rule("c 1:3 rwm", true);
	r[2] = rule("c 1:3 w", false);
	policy_of(&p, r, 3);
	ok(permits(&p, "c 1:3 r", C_DEV_READ | C_DEV_MKNOD) && !permits(&p, "c 1:3 r", C_DEV_WRITE),
	   "model: a deny takes its access from the same device's allow");
	c_dev_policy_free(&p);

	r[0] = rule("a", true);
	r[1] = rule("b 8:* r", false);
	policy_of(&p, r, 2);
	ok(!p.default_deny && !permits(&p, "b 8:1 r", C_DEV_READ | C_DEV_WRITE) &&
	       permits(&p, "b 8:1 r", C_DEV_WRITE) && permits(&p, "c 8:1 r", C_DEV_READ),
	   "model: under allow-all, a deny refuses any access it shares");
	c_dev_policy_free(&p);
	r[2] = rule("b 8:* r", true);
	policy_of(&p, r, 3);
	ok(c_dev_policy_allows_all(&p), "model: and an allow of the same takes the deny away");
	c_dev_policy_free(&p);
	r[3] = rule("c 5:1 rwm", false);
	r[4] = rule("a", false);
	policy_of(&p, r, 5);
	ok(p.default_deny && p.n == 0 && !permits(&p, "c 1:3 r", C_DEV_READ),
	   "model: \"a\" drops every exception");
	c_dev_policy_free(&p);
}

/* ---- a BPF interpreter for the instructions c_dev_program() writes ---------- */

/* 1 or 0 as the program returns, -1 on an instruction it does not know. */
static int bpf_run(const struct bpf_insn *prog, size_t n, uint32_t ctx[3])
{
	uint64_t r[11] = { 0 };

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &prog[pc];
		uint64_t src = BPF_SRC(i->code) == BPF_X ? r[i->src_reg] : (uint64_t)(int64_t)i->imm;
		bool taken;

		switch (BPF_CLASS(i->code)) {
		case BPF_LDX:
			if (i->code != (BPF_LDX | BPF_MEM | BPF_W) || i->off % 4 || i->off > 8)
				return -1;
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU:
		case BPF_ALU64:
			switch (BPF_OP(i->code)) {
			case BPF_MOV: r[i->dst_reg] = src; break;
			case BPF_AND: r[i->dst_reg] &= src; break;
			case BPF_RSH: r[i->dst_reg] >>= src; break;
			default: return -1;
			}
			if (BPF_CLASS(i->code) == BPF_ALU)
				r[i->dst_reg] &= UINT32_MAX;
			break;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_EXIT)
				return (int)r[0];
			if (BPF_OP(i->code) == BPF_JNE)
				taken = r[i->dst_reg] != src;
			else if (BPF_OP(i->code) == BPF_JEQ)
				taken = r[i->dst_reg] == src;
			else
				return -1;
			if (taken)
				pc += i->off;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

/* A random rule over a few devices: numbers that meet, wildcards, and one
 * major past INT32_MAX. */
static uint64_t seed = 0x6465766963657321ull;

static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(seed >> 33) % n;
}

static const uint32_t majors[] = { 60, 61, 62, 0x80000001u };
#define REAL_MAJORS 3 /* the first three: nodes the kernel can be asked about */
static const uint32_t minors[] = { 0, 1, 2 };

static struct c_dev_rule random_rule(void)
{
	struct c_dev_rule r;

	r.allow = rnd(2);
	r.type = rnd(12) == 0 ? C_DEV_ALL : rnd(2) ? C_DEV_CHAR : C_DEV_BLOCK;
	r.major = rnd(4) == 0 ? C_DEV_ANY : majors[rnd(ARRAY_SIZE(majors))];
	r.minor = rnd(4) == 0 ? C_DEV_ANY : minors[rnd(ARRAY_SIZE(minors))];
	r.access = 1 + rnd(C_DEV_RWM);
	return r;
}

static size_t random_rules(struct c_dev_rule *r, size_t max)
{
	size_t n = 0, len = 1 + rnd((unsigned)max - 1);

	/* docker's configs start with "deny all"; half of these do */
	if (rnd(2))
		r[n++] = (struct c_dev_rule){ false, C_DEV_ALL, C_DEV_ANY, C_DEV_ANY, C_DEV_RWM };
	while (n < len)
		r[n++] = random_rule();
	return n;
}

static void show_rules(const struct c_dev_rule *r, size_t n)
{
	char buf[C_DEV_RULE_TEXT];

	for (size_t i = 0; i < n; i++)
		tap_diag("  %s %s", r[i].allow ? "allow" : "deny ", c_dev_rule_text(&r[i], buf));
}

static void program_against_model(void)
{
	struct c_dev_rule rules[10];
	size_t lists = 0, inputs = 0, bad = 0;

	for (int t = 0; t < 2000 && !bad; t++) {
		size_t n = random_rules(rules, ARRAY_SIZE(rules)), len;
		struct c_dev_policy p;
		struct bpf_insn *prog;
		c_err *e = NULL;

		policy_of(&p, rules, n);
		if (c_dev_program(&p, &prog, &len, &e) < 0)
			tap_bail("program", "make");
		lists++;
		for (unsigned type = C_DEV_BLOCK; type <= C_DEV_CHAR; type++)
			for (size_t ma = 0; ma < ARRAY_SIZE(majors) + 1; ma++)
				for (size_t mi = 0; mi < ARRAY_SIZE(minors) + 1; mi++)
					for (unsigned acc = 1; acc <= C_DEV_RWM; acc++) {
						/* and a number no rule names */
						uint32_t major = ma < ARRAY_SIZE(majors) ? majors[ma] : 7;
						uint32_t minor = mi < ARRAY_SIZE(minors) ? minors[mi] : 9;
						uint32_t ctx[3] = { acc << 16 | type, major, minor };
						int want = c_dev_policy_permits(&p, type, major, minor, acc);
						int got = bpf_run(prog, len, ctx);

						inputs++;
						if (got == want)
							continue;
						if (!bad++) {
							tap_diag("type %u %u:%u access %u: program %d, "
								 "model %d, after:",
								 type, major, minor, acc, got, want);
							show_rules(rules, n);
						}
					}
		free(prog);
		c_dev_policy_free(&p);
	}
	ok(!bad, "program: decides as the model on %zu inputs of %zu random rule lists", inputs,
	   lists);
}

static void defaults_program(void)
{
	struct c_dev_policy p = { 0 };
	struct c_dev_rule deny_all = rule("a", false);
	struct bpf_insn *prog;
	c_err *e = NULL;
	size_t len;
	uint32_t null_rw[3] = { (C_DEV_READ | C_DEV_WRITE) << 16 | C_DEV_CHAR, 1, 3 };
	uint32_t mem_r[3] = { C_DEV_READ << 16 | C_DEV_CHAR, 1, 1 };
	uint32_t sda_mknod[3] = { C_DEV_MKNOD << 16 | C_DEV_BLOCK, 8, 0 };
	uint32_t sda_r[3] = { C_DEV_READ << 16 | C_DEV_BLOCK, 8, 0 };
	uint32_t pts_rw[3] = { (C_DEV_READ | C_DEV_WRITE) << 16 | C_DEV_CHAR, 136, 4 };

	c_dev_policy_add(&p, &deny_all, &e);
	for (size_t i = 0; i < c_dev_ndefaults; i++)
		c_dev_policy_add(&p, &c_dev_defaults[i], &e);
	if (c_dev_program(&p, &prog, &len, &e) < 0)
		tap_bail("program", "defaults");
	ok(bpf_run(prog, len, null_rw) == 1 && bpf_run(prog, len, mem_r) == 0 &&
	       bpf_run(prog, len, sda_mknod) == 1 && bpf_run(prog, len, sda_r) == 0 &&
	       bpf_run(prog, len, pts_rw) == 1,
	   "program: docker's defaults: /dev/null and ptys open, /dev/mem and disks do not, "
	   "any node can be made (%zu instructions)",
	   len);
	free(prog);
	c_dev_policy_free(&p);
}

/* ---- the kernel's own answers ----------------------------------------------- */

static const unsigned accesses[] = { C_DEV_MKNOD, C_DEV_READ, C_DEV_WRITE,
				     C_DEV_READ | C_DEV_WRITE };

struct probe {
	char procs[PATH_MAX + 16]; /* the cgroup.procs to move into */
	char nodes[PATH_MAX + 8];  /* where the nodes are */
};

struct verdicts {
	char entered;
	char allowed[2][REAL_MAJORS][ARRAY_SIZE(minors)][ARRAY_SIZE(accesses)];
};

/* In a child: into the cgroup, then every access to every node, EPERM
 * being the controller's refusal (a driverless major opens with ENXIO). */
static void probe(const void *arg, void *report)
{
	const struct probe *pr = arg;
	struct verdicts *v = report;
	int fd = open(pr->procs, O_WRONLY | O_CLOEXEC);

	v->entered = fd >= 0 && write(fd, "0", 1) == 1;
	if (fd >= 0)
		close(fd);
	if (!v->entered)
		return;
	for (int t = 0; t < 2; t++)
		for (size_t ma = 0; ma < REAL_MAJORS; ma++)
			for (size_t mi = 0; mi < ARRAY_SIZE(minors); mi++)
				for (size_t a = 0; a < ARRAY_SIZE(accesses); a++) {
					char node[PATH_MAX + 48];
					int rc;
					mode_t kind = t ? S_IFCHR : S_IFBLK;
					dev_t dev = makedev(majors[ma], minors[mi]);

					if (accesses[a] == C_DEV_MKNOD) {
						snprintf(node, sizeof node, "%s/made", pr->nodes);
						rc = mknod(node, kind | 0600, dev);
						if (rc == 0)
							unlink(node);
					} else {
						int flags = accesses[a] == C_DEV_READ	 ? O_RDONLY
							    : accesses[a] == C_DEV_WRITE ? O_WRONLY
											 : O_RDWR;

						snprintf(node, sizeof node, "%s/%c%zu_%zu", pr->nodes,
							 t ? 'c' : 'b', ma, mi);
						rc = open(node, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
						if (rc >= 0)
							close(rc);
					}
					v->allowed[t][ma][mi][a] = rc >= 0 || errno != EPERM;
				}
}

static void make_nodes(const char *dir)
{
	for (int t = 0; t < 2; t++)
		for (size_t ma = 0; ma < REAL_MAJORS; ma++)
			for (size_t mi = 0; mi < ARRAY_SIZE(minors); mi++) {
				char node[PATH_MAX + 32];

				snprintf(node, sizeof node, "%s/%c%zu_%zu", dir, t ? 'c' : 'b', ma, mi);
				if (mknod(node, (t ? S_IFCHR : S_IFBLK) | 0600,
					  makedev(majors[ma], minors[mi])) < 0)
					tap_bail("mknod", node);
			}
}

/* Whether the kernel's verdicts are the model's; the first difference is
 * shown. */
static bool agrees(const struct verdicts *v, const struct c_dev_policy *p,
		   const struct c_dev_rule *rules, size_t n, const char *who)
{
	for (int t = 0; t < 2; t++)
		for (size_t ma = 0; ma < REAL_MAJORS; ma++)
			for (size_t mi = 0; mi < ARRAY_SIZE(minors); mi++)
				for (size_t a = 0; a < ARRAY_SIZE(accesses); a++) {
					bool want = c_dev_policy_permits(
						p, t ? C_DEV_CHAR : C_DEV_BLOCK, majors[ma],
						minors[mi], accesses[a]);

					if (v->allowed[t][ma][mi][a] == want)
						continue;
					tap_diag("%s: %c %u:%u access %u: kernel %s, model %s, after:",
						 who, t ? 'c' : 'b', majors[ma], minors[mi],
						 accesses[a], want ? "refuses" : "allows",
						 want ? "allows" : "refuses");
					show_rules(rules, n);
					return false;
				}
	return true;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

static int write_rule(const char *dir, const struct c_dev_rule *r)
{
	char path[PATH_MAX + 16], buf[C_DEV_RULE_TEXT];
	int fd, rc;

	snprintf(path, sizeof path, "%s/%s", dir, r->allow ? "devices.allow" : "devices.deny");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	c_dev_rule_text(r, buf);
	rc = write(fd, buf, strlen(buf)) == (ssize_t)strlen(buf) ? 0 : -1;
	close(fd);
	return rc;
}

#define KERNEL_LISTS 150

/* A cgroup of this test's below root, the probe moving into it. */
static void probe_in(const char *root, const char *nodes, char dir[PATH_MAX], struct probe *pr)
{
	snprintf(dir, PATH_MAX, "%s/c-tools-test-devices-%d", root, (int)getpid());
	snprintf(pr->procs, sizeof pr->procs, "%s/cgroup.procs", dir);
	snprintf(pr->nodes, sizeof pr->nodes, "%s", nodes);
}

static void kernel_v1(const char *nodes)
{
	const char *root = "/sys/fs/cgroup/devices";
	char dir[PATH_MAX];
	struct probe pr;
	int lists = 0, good = 0;

	if (getuid() != 0 || !is_fs(root, CGROUP_SUPER_MAGIC)) {
		tap_skip("kernel v1: the devices controller decides as the model",
			 "needs root and the v1 devices controller at /sys/fs/cgroup/devices");
		return;
	}
	probe_in(root, nodes, dir, &pr);
	for (int t = 0; t < KERNEL_LISTS && good == lists; t++) {
		struct c_dev_rule rules[8];
		size_t n = random_rules(rules, ARRAY_SIZE(rules));
		struct c_dev_policy p;
		struct verdicts v;

		if (mkdir(dir, 0755) < 0)
			tap_bail("mkdir", dir);
		lists++;
		for (size_t i = 0; i < n; i++)
			if (write_rule(dir, &rules[i]) < 0)
				tap_bail("write a rule to", dir);
		policy_of(&p, rules, n);
		if (tap_in_child(probe, &pr, &v, sizeof v) == 0 && v.entered &&
		    agrees(&v, &p, rules, n, "v1"))
			good++;
		c_dev_policy_free(&p);
		if (rmdir(dir) < 0)
			tap_bail("rmdir", dir);
	}
	ok(good == lists, "kernel v1: the devices controller decides as the model (%d of %d lists)",
	   good, lists);
}

/* A cgroup2 mount: the unified one of a hybrid host, or the only one. */
static const char *cgroup2_mount(void)
{
	static const char *const where[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };

	for (size_t i = 0; i < ARRAY_SIZE(where); i++)
		if (is_fs(where[i], CGROUP2_SUPER_MAGIC))
			return where[i];
	return NULL;
}

static uint32_t attached(int fd)
{
	uint32_t ids[8];
	union bpf_attr a;

	memset(&a, 0, sizeof a);
	a.query.target_fd = (uint32_t)fd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = 8;
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof a) < 0)
		return UINT32_MAX;
	return a.query.prog_cnt;
}

static void kernel_bpf(const char *nodes)
{
	const char *root = cgroup2_mount();
	char dir[PATH_MAX];
	struct probe pr;
	int lists = 0, good = 0, replaced = 0;
	c_err *e = NULL;

	if (getuid() != 0 || !root) {
		tap_skip("kernel BPF: the attached program decides as the model",
			 "needs root and a cgroup2 mount");
		return;
	}
	probe_in(root, nodes, dir, &pr);
	if (mkdir(dir, 0755) < 0)
		tap_bail("mkdir", dir);
	for (int t = 0; t < KERNEL_LISTS && good == lists; t++) {
		struct c_dev_rule rules[8];
		size_t n = random_rules(rules, ARRAY_SIZE(rules));
		struct c_dev_policy p;
		struct verdicts v;
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			tap_bail("open", dir);
		policy_of(&p, rules, n);
		lists++;
		/* every list replaces the one before, on the same cgroup */
		if (c_dev_attach(fd, dir, &p, &e) < 0) {
			c_err_print(e);
			c_err_free(&e);
		} else {
			replaced += attached(fd) == (c_dev_policy_allows_all(&p) ? 0 : 1);
			if (tap_in_child(probe, &pr, &v, sizeof v) == 0 && v.entered &&
			    agrees(&v, &p, rules, n, "BPF"))
				good++;
		}
		c_dev_policy_free(&p);
		close(fd);
	}
	ok(good == lists, "kernel BPF: the attached program decides as the model (%d of %d lists)",
	   good, lists);
	ok(replaced == lists, "kernel BPF: each attach replaces the program before (%d of %d)",
	   replaced, lists);
	if (rmdir(dir) < 0)
		tap_bail("rmdir", dir);
}

int main(void)
{
	char nodes[PATH_MAX + 8];
	struct statvfs vfs;

	text();
	model();
	defaults_program();
	program_against_model();

	snprintf(tmp, sizeof tmp, "%s/c-tools-test-devices.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		tap_bail("mkdtemp", tmp);
	snprintf(nodes, sizeof nodes, "%s/dev", tmp);
	tap_mkdir(nodes);
	if (getuid() == 0 && statvfs(nodes, &vfs) == 0 && !(vfs.f_flag & ST_NODEV)) {
		make_nodes(nodes);
		kernel_v1(nodes);
		kernel_bpf(nodes);
	} else {
		tap_skip("kernel: the v1 controller and the BPF program decide as the model",
			 "needs root and a TMPDIR whose device nodes open");
	}
	tap_remove_tree(tmp);
	return tap_done();
}
