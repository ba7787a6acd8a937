/* lib/creds: process.user, noNewPrivileges and oomScoreAdj parsed with the
 * field named; the identity switch with its capabilities run in forked
 * children as root and observed with getresuid, getgroups and
 * /proc/self/status, before and after an execve; no_new_privs, oom_score_adj
 * and setgroups in a user namespace that denies it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "creds.h"
#include "json.h"
#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define B(c) C_CAP_BIT(CAP_##c)
#define DOCKER_DEFAULT UINT64_C(0xa80425fb)

/* ---- parsing --------------------------------------------------------------- */

static int parse(const char *doc, struct c_identity *out, c_err **e)
{
	_cleanup_json_ json_t *p = json_loads(doc, 0, NULL);

	if (!p) {
		printf("Bail out! bad test JSON: %s\n", doc);
		exit(1);
	}
	return c_identity_parse(p, out, e);
}

static void test_parse(void)
{
	struct c_identity c;
	c_err *e = NULL;
	int r;

	r = parse("{\"user\":{\"uid\":1000,\"gid\":1001,\"additionalGids\":[10,50,4294967294],"
		  "\"umask\":18},\"noNewPrivileges\":true,\"oomScoreAdj\":-500}",
		  &c, &e);
	ok(r == 0 && c.uid == 1000 && c.gid == 1001 && c.nadditional_gids == 3 &&
		   c.additional_gids[0] == 10 && c.additional_gids[1] == 50 &&
		   c.additional_gids[2] == 4294967294u && c.has_umask && c.umask == 022 &&
		   c.no_new_privs && c.has_oom_score_adj && c.oom_score_adj == -500,
	   "parse: user, gids, umask, noNewPrivileges, oomScoreAdj");
	if (r)
		tap_err_has(&e, "(success)");
	c_identity_free(&c);

	r = parse("{\"args\":[\"sh\"]}", &c, &e);
	ok(r == 0 && c.uid == 0 && c.gid == 0 && !c.nadditional_gids && !c.additional_gids &&
		   !c.has_umask && !c.no_new_privs && !c.has_oom_score_adj,
	   "parse: nothing given is root, umask unchanged, no attributes");
	c_identity_free(&c);

	r = parse(
		"{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[]},\"noNewPrivileges\":false}",
		&c, &e);
	ok(r == 0 && !c.nadditional_gids && !c.has_umask && !c.no_new_privs,
	   "parse: empty additionalGids, noNewPrivileges false");
	c_identity_free(&c);

	static const struct {
		const char *doc, *error;
	} bad[] = {
		{ "{\"user\":{\"gid\":0}}", "field process.user.uid: missing" },
		{ "{\"user\":{\"uid\":0}}", "field process.user.gid: missing" },
		{ "{\"user\":{\"uid\":\"1000\",\"gid\":0}}",
		  "field process.user.uid: expected integer, got string" },
		{ "{\"user\":{\"uid\":-1,\"gid\":0}}",
		  "field process.user.uid: -1 out of range 0..4294967294" },
		{ "{\"user\":{\"uid\":0,\"gid\":4294967295}}",
		  "field process.user.gid: 4294967295 out of range 0..4294967294" },
		{ "{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"x\"]}}",
		  "field process.user.additionalGids[1]: expected integer, got string" },
		{ "{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,2,-5]}}",
		  "field process.user.additionalGids[2]: -5 out of range 0..4294967294" },
		{ "{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":7}}",
		  "field process.user.additionalGids: expected array, got integer" },
		{ "{\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}}",
		  "field process.user.umask: 512 out of range 0..511" },
		{ "{\"user\":[0]}", "field process.user: expected object, got array" },
		{ "{\"noNewPrivileges\":\"yes\"}",
		  "field process.noNewPrivileges: expected boolean, got string" },
		{ "{\"oomScoreAdj\":1001}",
		  "field process.oomScoreAdj: 1001 out of range -1000..1000" },
		{ "{\"oomScoreAdj\":1.5}",
		  "field process.oomScoreAdj: expected integer, got number" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = parse(bad[i].doc, &c, &e);
		ok(r < 0 && e && e->status == C_EXIT_DATA && !c.additional_gids &&
			   tap_err_has(&e, bad[i].error),
		   "parse error: %s", bad[i].error);
		c_err_free(&e);
	}
}

/* ---- what a process sees of itself ------------------------------------------ */

struct seen {
	TAP_STEP_REPORT;
	uid_t uid[3];
	gid_t gid[3];
	int ngroups;
	gid_t groups[32];
	mode_t umask;
	uint64_t inh, prm, eff, bnd, amb;
	int nnp;
	char oom[16];
};

static uint64_t status_field(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : UINT64_MAX;
}

static void read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static void observe(void *report)
{
	struct seen *s = report;
	char buf[8192];

	getresuid(&s->uid[0], &s->uid[1], &s->uid[2]);
	getresgid(&s->gid[0], &s->gid[1], &s->gid[2]);
	s->ngroups = getgroups(ARRAY_SIZE(s->groups), s->groups);
	s->umask = umask(0);
	read_small("/proc/self/status", buf, sizeof buf);
	s->inh = status_field(buf, "\nCapInh:");
	s->prm = status_field(buf, "\nCapPrm:");
	s->eff = status_field(buf, "\nCapEff:");
	s->bnd = status_field(buf, "\nCapBnd:");
	s->amb = status_field(buf, "\nCapAmb:");
	s->nnp = (int)status_field(buf, "\nNoNewPrivs:");
	read_small("/proc/self/oom_score_adj", s->oom, sizeof s->oom);
}

static struct seen in_child(tap_step_fn step, const void *arg)
{
	struct seen s;

	tap_step_in_child(step, arg, observe, &s, sizeof s);
	return s;
}

static void show(const struct seen *s)
{
	tap_diag("rc %d %s; uid %u/%u/%u gid %u/%u/%u, %d groups, umask %03o", s->rc, s->err,
		 s->uid[0], s->uid[1], s->uid[2], s->gid[0], s->gid[1], s->gid[2], s->ngroups,
		 (unsigned)s->umask);
	tap_diag("CapBnd %016llx CapEff %016llx CapPrm %016llx CapInh %016llx CapAmb %016llx",
		 (unsigned long long)s->bnd, (unsigned long long)s->eff, (unsigned long long)s->prm,
		 (unsigned long long)s->inh, (unsigned long long)s->amb);
}

static bool all_ids(const struct seen *s, unsigned uid, unsigned gid)
{
	for (int i = 0; i < 3; i++)
		if (s->uid[i] != uid || s->gid[i] != gid)
			return false;
	return true;
}

/* ---- the switch ---------------------------------------------------------------- */

struct switch_case {
	struct c_identity creds;
	const struct c_caps *caps;
};

static int do_switch(const void *arg, c_err **e)
{
	const struct switch_case *c = arg;

	return c_identity_switch(&c->creds, c->caps, e);
}

static gid_t three_gids[] = { 10, 50, 2000 };

static void test_switch(void)
{
	const uint64_t def = c_caps_docker_default();
	struct c_caps spec = { .bounding = def,
			       .permitted = def,
			       .effective = B(KILL) | B(NET_BIND_SERVICE),
			       .inheritable = B(NET_BIND_SERVICE),
			       .ambient = B(NET_BIND_SERVICE) },
		      docker = c_caps_for_user(def, 1000);
	struct c_caps now;
	struct switch_case c = { .creds = { .uid = 1000,
					    .gid = 1000,
					    .additional_gids = three_gids,
					    .nadditional_gids = 3,
					    .has_umask = true,
					    .umask = 027 },
				 .caps = &spec };
	struct seen s;
	c_err *e = NULL;

	if (c_caps_current(&now, &e) < 0) {
		tap_err_has(&e, "(success)");
		return;
	}

	s = in_child(do_switch, &c);
	if (!ok(s.rc == 0 && all_ids(&s, 1000, 1000) && s.ngroups == 3 && s.groups[0] == 10 &&
			s.groups[1] == 50 && s.groups[2] == 2000 && s.umask == 027,
		"switch to 1000:1000 with gids 10,50,2000 and umask 027: getresuid, getresgid, "
		"getgroups, umask"))
		show(&s);
	if (!ok(s.rc == 0 && s.eff == (B(KILL) | B(NET_BIND_SERVICE)) && s.prm == DOCKER_DEFAULT &&
			s.bnd == DOCKER_DEFAULT && s.inh == B(NET_BIND_SERVICE) &&
			s.amb == B(NET_BIND_SERVICE),
		"and the capabilities as the spec says: CapEff KILL+NET_BIND_SERVICE, CapPrm and "
		"CapBnd docker's, CapInh and CapAmb NET_BIND_SERVICE"))
		show(&s);

	c.creds.nadditional_gids = 0;
	c.creds.has_umask = false;
	c.caps = &docker;
	umask(022);
	s = in_child(do_switch, &c);
	if (!ok(s.rc == 0 && all_ids(&s, 1000, 1000) && s.ngroups == 0 && s.eff == 0 &&
			s.prm == 0 && s.inh == 0 && s.amb == 0 && s.bnd == DOCKER_DEFAULT &&
			s.umask == 022,
		"docker's sets for uid 1000: only the bounding set; no groups; umask kept"))
		show(&s);

	c.caps = NULL;
	s = in_child(do_switch, &c);
	if (!ok(s.rc == 0 && all_ids(&s, 1000, 1000) && s.eff == 0 && s.prm == 0 &&
			s.bnd == now.bounding,
		"no capabilities given, uid 1000: the kernel's rule, all dropped but bounding"))
		show(&s);

	c.creds.uid = c.creds.gid = 0;
	s = in_child(do_switch, &c);
	if (!ok(s.rc == 0 && all_ids(&s, 0, 0) && s.eff == now.effective &&
			s.prm == now.permitted && s.bnd == now.bounding,
		"no capabilities given, uid 0: all kept"))
		show(&s);

	c.creds.uid = 1000;
	c.caps = &spec;
	spec.permitted &= ~B(KILL);
	s = in_child(do_switch, &c);
	ok(s.rc < 0 && strstr(s.err, "capset: Operation not permitted"),
	   "effective beyond permitted: capset fails (%s)", s.err);
}

/* ---- after execve ---------------------------------------------------------------- */

/* The re-executed test: bind a port below 1024 (in the new network namespace
 * its parent made) and report what it got. */
static int bind_80(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), bind_errno;
	struct seen s = { 0 };

	bind_errno = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
	observe(&s);
	printf("%d %u %llx %llx %llx\n", bind_errno, s.uid[1], (unsigned long long)s.eff,
	       (unsigned long long)s.prm, (unsigned long long)s.amb);
	return 0;
}

struct exec_seen {
	int bind_errno;
	unsigned uid;
	unsigned long long eff, prm, amb;
};

static int exec_as(const struct switch_case *c, struct exec_seen *out)
{
	char line[256] = "";
	int p[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		c_err *e = NULL;

		if (unshare(CLONE_NEWNET) < 0 || dup2(p[1], 1) < 0)
			_exit(2);
		if (c_identity_switch(&c->creds, c->caps, &e) < 0) {
			c_err_print(e);
			_exit(3);
		}
		execl("/proc/self/exe", "test-creds", "--bind-80", (char *)NULL);
		_exit(4);
	}
	close(p[1]);
	n = read(p[0], line, sizeof line - 1);
	close(p[0]);
	waitpid(pid, &status, 0);
	if (n <= 0 || sscanf(line, "%d %u %llx %llx %llx", &out->bind_errno, &out->uid, &out->eff,
			     &out->prm, &out->amb) != 5) {
		tap_diag("child exit status %d, said \"%s\"", WEXITSTATUS(status), line);
		return -1;
	}
	return 0;
}

static void test_exec(void)
{
	const uint64_t def = c_caps_docker_default(), nbs = B(NET_BIND_SERVICE);
	struct c_caps ambient = { .bounding = def,
				  .permitted = def,
				  .effective = nbs,
				  .inheritable = nbs,
				  .ambient = nbs },
		      effective_only = { .bounding = def, .permitted = def, .effective = def };
	struct switch_case c = { .creds = { .uid = 1000, .gid = 1000 }, .caps = &ambient };
	struct exec_seen x = { -1, 0, 0, 0, 0 };
	char unpriv[16];
	int r;

	read_small("/proc/sys/net/ipv4/ip_unprivileged_port_start", unpriv, sizeof unpriv);
	if (atoi(unpriv) <= 80) {
		tap_skip("ambient capabilities across execve",
			 "ports below 1024 are not privileged");
		return;
	}
	r = exec_as(&c, &x);
	ok(r == 0 && x.uid == 1000 && x.bind_errno == 0 && x.eff == nbs && x.prm == nbs &&
		   x.amb == nbs,
	   "ambient NET_BIND_SERVICE for uid 1000 survives execve: binds port 80, CapEff = "
	   "CapPrm = CapAmb = %llx (got bind %s, %llx %llx %llx)",
	   (unsigned long long)nbs, x.bind_errno ? strerror(x.bind_errno) : "ok", x.eff, x.prm,
	   x.amb);

	c.caps = &effective_only;
	r = exec_as(&c, &x);
	ok(r == 0 && x.uid == 1000 && x.bind_errno == EACCES && x.eff == 0 && x.prm == 0,
	   "effective but not ambient: gone after execve, port 80 refused (got bind %s, %llx)",
	   x.bind_errno ? strerror(x.bind_errno) : "ok", x.eff);
}

/* ---- attributes ------------------------------------------------------------------- */

static int set_nnp(const void *arg, c_err **e)
{
	return c_no_new_privs(e);
}

static int set_oom(const void *arg, c_err **e)
{
	return c_oom_score_adj(*(const int *)arg, e);
}

/* Without CAP_SYS_RESOURCE, as c-run's child would be on this machine. */
static int lower_oom(const void *arg, c_err **e)
{
	struct c_caps now;

	if (c_caps_current(&now, e) < 0)
		return -2;
	now.effective &= ~B(SYS_RESOURCE);
	if (c_caps_apply_sets(&now, e) < 0)
		return -2;
	return c_oom_score_adj(-1000, e);
}

static void test_attributes(void)
{
	int v = 500;
	struct seen s;

	s = in_child(set_nnp, NULL);
	ok(s.rc == 0 && s.nnp == 1, "no_new_privs: NoNewPrivs 1 in /proc/self/status");
	s = in_child(set_oom, &v);
	ok(s.rc == 0 && !strcmp(s.oom, "500\n"), "oom_score_adj 500 written (read back %.*s)",
	   (int)strcspn(s.oom, "\n"), s.oom);
	s = in_child(lower_oom, NULL);
	ok(s.rc == -1 &&
		   strstr(s.err, "write -1000 to /proc/self/oom_score_adj: Permission denied"),
	   "lowering it without CAP_SYS_RESOURCE names the value and the file (%s)", s.err);
}

/* ---- a user namespace that denies setgroups ---------------------------------------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int in_userns(const void *arg, c_err **e)
{
	const struct c_identity *creds = arg;

	if (unshare(CLONE_NEWUSER) < 0 || write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", "0 0 1") < 0 ||
	    write_file("/proc/self/gid_map", "0 0 1") < 0)
		return -2;
	return c_identity_switch(creds, NULL, e);
}

static void test_userns(void)
{
	static gid_t zero[] = { 0 }, many[30];
	struct c_identity none = { 0 }, some = { .additional_gids = zero, .nadditional_gids = 1 },
			  lots = { .additional_gids = many, .nadditional_gids = ARRAY_SIZE(many) };
	struct seen s;

	s = in_child(in_userns, &none);
	if (s.rc == -2) {
		tap_skip("setgroups denied in a user namespace", "cannot make a user namespace");
		return;
	}
	ok(s.rc == 0 && all_ids(&s, 0, 0), "setgroups denied, no additional gids: not an error");
	s = in_child(in_userns, &some);
	ok(s.rc == -1 && strstr(s.err, "setgroups 0: /proc/self/setgroups is \"deny\" in this user "
				       "namespace: Operation not permitted"),
	   "setgroups denied with gids asked: the error says why (%s)", s.err);
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = 100000 + i;
	s = in_child(in_userns, &lots);
	ok(s.rc == -1 && strstr(s.err, "setgroups 100000,100001,") &&
		   strstr(s.err, "100007,...: /proc/self/setgroups") && strlen(s.err) < 160,
	   "thirty gids are cut short in the message (%s)", s.err);
}

int main(int argc, char **argv)
{
	struct c_caps now;
	c_err *e = NULL;
	const uint64_t need = B(SETUID) | B(SETGID) | B(SETPCAP) | B(NET_BIND_SERVICE);

	if (argc > 1 && !strcmp(argv[1], "--bind-80"))
		return bind_80();
	test_parse();
	if (geteuid() || c_caps_current(&now, &e) < 0 || (now.effective & need) != need) {
		c_err_free(&e);
		tap_skip("identity switch", "needs root with SETUID, SETGID, SETPCAP");
	} else {
		test_switch();
		test_exec();
		test_attributes();
		test_userns();
	}
	return tap_done();
}
