/* lib/caps: names against the kernel's header and the running kernel, the
 * OCI capabilities object, docker's --cap-add/--cap-drop/--privileged, and
 * the sets applied as root in forked children, observed in
 * /proc/self/status and by what the process can no longer do. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "creds.h"
#include "json.h"
#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DOCKER_DEFAULT UINT64_C(0xa80425fb)

static int last;

/* ---- what a process sees of itself ---------------------------------------- */

struct seen {
	TAP_STEP_REPORT;
	uint64_t inh, prm, eff, bnd, amb;
	int chown_errno; /* fchown of a file of our own to 1234:1234 */
	int raw_errno;	 /* socket(AF_INET, SOCK_RAW) */
};

static uint64_t status_field(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : UINT64_MAX;
}

static void read_status(struct seen *s)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	s->inh = status_field(buf, "\nCapInh:");
	s->prm = status_field(buf, "\nCapPrm:");
	s->eff = status_field(buf, "\nCapEff:");
	s->bnd = status_field(buf, "\nCapBnd:");
	s->amb = status_field(buf, "\nCapAmb:");
}

/* After the step: the sets, and whether a file of our own can be given
 * away and a raw socket made. */
static void observe(void *report)
{
	struct seen *s = report;
	char path[] = "/tmp/test-caps.XXXXXX";
	int fd = mkstemp(path), sock;

	unlink(path);
	read_status(s);
	s->chown_errno = fchown(fd, 1234, 1234) < 0 ? errno : 0;
	sock = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	s->raw_errno = sock < 0 ? errno : 0;
	if (sock >= 0)
		close(sock);
	if (fd >= 0)
		close(fd);
}

/* Run step in a forked child and bring back what the child then sees. */
static struct seen in_child(tap_step_fn step, const void *arg)
{
	struct seen s;

	tap_step_in_child(step, arg, observe, &s, sizeof s);
	return s;
}

/* ---- names ---------------------------------------------------------------- */

#define K(c) #c, c
static const struct {
	const char *name;
	int cap;
} header_caps[] = {
	{ K(CAP_CHOWN) },
	{ K(CAP_DAC_OVERRIDE) },
	{ K(CAP_DAC_READ_SEARCH) },
	{ K(CAP_FOWNER) },
	{ K(CAP_FSETID) },
	{ K(CAP_KILL) },
	{ K(CAP_SETGID) },
	{ K(CAP_SETUID) },
	{ K(CAP_SETPCAP) },
	{ K(CAP_LINUX_IMMUTABLE) },
	{ K(CAP_NET_BIND_SERVICE) },
	{ K(CAP_NET_BROADCAST) },
	{ K(CAP_NET_ADMIN) },
	{ K(CAP_NET_RAW) },
	{ K(CAP_IPC_LOCK) },
	{ K(CAP_IPC_OWNER) },
	{ K(CAP_SYS_MODULE) },
	{ K(CAP_SYS_RAWIO) },
	{ K(CAP_SYS_CHROOT) },
	{ K(CAP_SYS_PTRACE) },
	{ K(CAP_SYS_PACCT) },
	{ K(CAP_SYS_ADMIN) },
	{ K(CAP_SYS_BOOT) },
	{ K(CAP_SYS_NICE) },
	{ K(CAP_SYS_RESOURCE) },
	{ K(CAP_SYS_TIME) },
	{ K(CAP_SYS_TTY_CONFIG) },
	{ K(CAP_MKNOD) },
	{ K(CAP_LEASE) },
	{ K(CAP_AUDIT_WRITE) },
	{ K(CAP_AUDIT_CONTROL) },
	{ K(CAP_SETFCAP) },
	{ K(CAP_MAC_OVERRIDE) },
	{ K(CAP_MAC_ADMIN) },
	{ K(CAP_SYSLOG) },
	{ K(CAP_WAKE_ALARM) },
	{ K(CAP_BLOCK_SUSPEND) },
	{ K(CAP_AUDIT_READ) },
	{ K(CAP_PERFMON) },
	{ K(CAP_BPF) },
	{ K(CAP_CHECKPOINT_RESTORE) },
};

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

static void test_names(void)
{
	bool all = true;
	int probed = 0, r;
	c_err *e = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(header_caps); i++) {
		const char *n = c_cap_name(header_caps[i].cap);

		if (!n || strcmp(n, header_caps[i].name) ||
		    c_cap_from_name(header_caps[i].name) != header_caps[i].cap) {
			tap_diag("%s (%d): got name %s", header_caps[i].name, header_caps[i].cap,
				 n ? n : "NULL");
			all = false;
		}
	}
	ok(all && ARRAY_SIZE(header_caps) == C_CAP_LAST_KNOWN + 1 &&
		   CAP_LAST_CAP == C_CAP_LAST_KNOWN,
	   "names: every CAP_ of <linux/capability.h> maps both ways");

	r = c_cap_last(&last, &e);
	ok(r == 0 && last >= 36, "cap_last_cap read: %d", last);
	c_err_free(&e);
	while (probed < 64 && prctl(PR_CAPBSET_READ, probed, 0, 0, 0) >= 0)
		probed++;
	ok(probed - 1 == last, "cap_last_cap agrees with PR_CAPBSET_READ's own end (%d)",
	   probed - 1);

	all = true;
	for (int cap = 0; cap <= last && cap <= C_CAP_LAST_KNOWN; cap++) {
		char low[64], bare[64];
		const char *n = c_cap_name(cap);

		snprintf(low, sizeof low, "%s", n ? n : "");
		lower(low);
		snprintf(bare, sizeof bare, "%s", n ? n + 4 : "");
		if (!n || c_cap_from_name(n) != cap || c_cap_from_name(low) != cap ||
		    c_cap_from_name(bare) != cap || c_cap_from_name(low + 4) != cap) {
			tap_diag("capability %d (%s) does not round trip", cap, n ? n : "NULL");
			all = false;
		}
	}
	ok(all, "names: 0..%d round trip as CAP_X, cap_x, X and x", last);
	ok(c_cap_from_name("ALL") < 0 && c_cap_from_name("CAP_FOO") < 0 &&
		   c_cap_from_name("") < 0 && c_cap_from_name("CAP_") < 0 &&
		   c_cap_from_name("CHOWNX") < 0 && c_cap_name(C_CAP_LAST_KNOWN + 1) == NULL &&
		   c_cap_name(-1) == NULL,
	   "names: ALL, unknown and out-of-range ones are no capability");
	ok(c_caps_upto(40) == UINT64_C(0x1ffffffffff) && c_caps_upto(0) == 1 &&
		   c_caps_upto(63) == UINT64_MAX,
	   "c_caps_upto covers 0..last");
	ok(c_caps_docker_default() == DOCKER_DEFAULT, "docker's default set is 0x%llx",
	   (unsigned long long)c_caps_docker_default());
}

/* ---- process.capabilities ------------------------------------------------- */

static json_t *parse_doc(const char *doc)
{
	json_t *v = json_loads(doc, 0, NULL);

	if (!v) {
		printf("Bail out! bad test JSON: %s\n", doc);
		exit(1);
	}
	return v;
}

static int parse(const char *process, int with_last, struct c_caps *out, bool *present, c_err **e)
{
	_cleanup_json_ json_t *p = parse_doc(process);

	return c_caps_parse(p, with_last, out, present, e);
}

#define B(c) C_CAP_BIT(CAP_##c)

static void test_parse(void)
{
	struct c_caps s;
	bool present = true;
	c_err *e = NULL;
	int r;

	r = parse("{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"net_admin\",\"KILL\","
		  "\"cap_sys_admin\"],\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\","
		  "\"CAP_NET_BIND_SERVICE\"],\"inheritable\":[\"CAP_NET_BIND_SERVICE\"],"
		  "\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}}",
		  last, &s, &present, &e);
	ok(r == 0 && present && s.bounding == (B(CHOWN) | B(NET_ADMIN) | B(KILL) | B(SYS_ADMIN)) &&
		   s.effective == B(KILL) && s.permitted == (B(KILL) | B(NET_BIND_SERVICE)) &&
		   s.inheritable == B(NET_BIND_SERVICE) && s.ambient == B(NET_BIND_SERVICE),
	   "parse: five sets, names in every spelling");
	if (r)
		tap_err_has(&e, "(success)");

	r = parse("{\"args\":[\"sh\"]}", last, &s, &present, &e);
	ok(r == 0 && !present && !s.bounding && !s.effective, "parse: no capabilities object");

	r = parse("{\"capabilities\":{}}", last, &s, &present, &e);
	ok(r == 0 && present && !s.bounding && !s.permitted && !s.ambient,
	   "parse: absent arrays are empty");

	r = parse("{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_BPF\","
		  "\"CAP_CHECKPOINT_RESTORE\",\"CAP_PERFMON\"]}}",
		  37, &s, &present, &e);
	ok(r == 0 && s.bounding == (B(CHOWN) | B(KILL)),
	   "parse: capabilities above the kernel's last are dropped silently");

	static const struct {
		const char *doc, *error;
	} bad[] = {
		{ "{\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_MKNOD\","
		  "\"CAP_FOO\"]}}",
		  "field process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"" },
		{ "{\"capabilities\":{\"effective\":[12]}}",
		  "field process.capabilities.effective[0]: expected string, got integer" },
		{ "{\"capabilities\":{\"ambient\":\"CAP_KILL\"}}",
		  "field process.capabilities.ambient: expected array, got string" },
		{ "{\"capabilities\":[\"CAP_KILL\"]}",
		  "field process.capabilities: expected object, got array" },
		{ "{\"capabilities\":{\"inheritable\":[\"ALL\"]}}",
		  "field process.capabilities.inheritable[0]: unknown capability \"ALL\"" },
		{ "{\"capabilities\":{\"effective\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
		  "\"permitted\":[\"CAP_KILL\"]}}",
		  "field process.capabilities.effective: CAP_CHOWN is not in permitted" },
		{ "{\"capabilities\":{\"permitted\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_CHOWN\"],"
		  "\"ambient\":[\"CAP_CHOWN\"]}}",
		  "field process.capabilities.ambient: CAP_CHOWN is not in both permitted and "
		  "inheritable" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = parse(bad[i].doc, last, &s, &present, &e);
		ok(r < 0 && e && e->status == C_EXIT_DATA && tap_err_has(&e, bad[i].error),
		   "parse error: %s", bad[i].error);
		c_err_free(&e);
	}
}

static void test_json(void)
{
	struct c_caps in = { .bounding = DOCKER_DEFAULT | B(CHECKPOINT_RESTORE),
			     .effective = B(KILL),
			     .permitted = B(KILL) | B(SYS_ADMIN),
			     .inheritable = B(NET_BIND_SERVICE),
			     .ambient = 0 },
		      back;
	_cleanup_json_ json_t *j = c_caps_to_json(&in), *p = json_object(), *d = NULL;
	_cleanup_free_ char *dump = NULL;
	bool present;
	c_err *e = NULL;

	json_object_set(p, "capabilities", j);
	ok(j && c_caps_parse(p, C_CAP_LAST_KNOWN, &back, &present, &e) == 0 &&
		   !memcmp(&in, &back, sizeof in),
	   "to_json: parses back to the same five sets");
	c_err_free(&e);
	ok(j && !json_object_get(j, "ambient") && json_object_size(j) == 4,
	   "to_json: the empty ambient set is left out");

	struct c_caps docker = c_caps_for_user(c_caps_docker_default(), 0);

	d = c_caps_to_json(&docker);
	dump = json_dumps(json_object_get(d, "bounding"), JSON_COMPACT);
	ok(dump && !strcmp(dump, "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\","
				 "\"CAP_FSETID\",\"CAP_KILL\",\"CAP_SETGID\",\"CAP_SETUID\","
				 "\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_NET_RAW\","
				 "\"CAP_SYS_CHROOT\",\"CAP_MKNOD\",\"CAP_AUDIT_WRITE\","
				 "\"CAP_SETFCAP\"]"),
	   "to_json: docker's default bounding set in number order");
}

/* ---- docker's options ------------------------------------------------------ */

static void test_tweak(void)
{
	static const char *const net_admin[] = { "net_admin" }, *const chown_[] = { "CHOWN" },
				 *const all[] = { "all" }, *const cap_chown[] = { "cap_chown" },
				 *const net_raw[] = { "CAP_NET_RAW", "NET_RAW" },
				 *const bogus[] = { "CAP_KILL", "CAP_FOO" },
				 *const cap_all[] = { "cap_all" }, *const bpf[] = { "bpf" };
	const uint64_t def = c_caps_docker_default(), every = c_caps_upto(last);
	static const struct c_caps_docker none = { 0 };
	uint64_t caps;
	c_err *e = NULL;

#define TWEAK(base, ...)                                                                           \
	(caps = (base),                                                                            \
	 c_caps_tweak(&caps, every, last, &(struct c_caps_docker){ __VA_ARGS__ }, &e))

	caps = def;
	ok(c_caps_tweak(&caps, every, last, &none, &e) == 0 && caps == def,
	   "tweak: no options keep the list");
	ok(TWEAK(def, .add = net_admin, .nadd = 1) == 0 && caps == (def | B(NET_ADMIN)),
	   "tweak: --cap-add net_admin");
	ok(TWEAK(def, .drop = chown_, .ndrop = 1) == 0 && caps == (def & ~B(CHOWN)),
	   "tweak: --cap-drop CHOWN");
	ok(TWEAK(def, .add = cap_chown, .nadd = 1, .drop = chown_, .ndrop = 1) == 0 && caps == def,
	   "tweak: dropped and added: added after the drop, so kept");
	ok(TWEAK(def, .add = cap_chown, .nadd = 1, .drop = all, .ndrop = 1) == 0 &&
		   caps == B(CHOWN),
	   "tweak: --cap-drop ALL --cap-add cap_chown leaves CHOWN alone");
	ok(TWEAK(def, .add = all, .nadd = 1, .drop = net_raw, .ndrop = 2) == 0 &&
		   caps == (every & ~B(NET_RAW)),
	   "tweak: --cap-add ALL --cap-drop NET_RAW: everything but NET_RAW");
	ok(TWEAK(def, .privileged = true, .add = bogus, .nadd = 2, .drop = all, .ndrop = 1) == 0 &&
		   caps == every,
	   "tweak: --privileged is every capability, options unread");
	ok(TWEAK(def, .privileged = true) == 0 && caps == every &&
		   TWEAK(def, .add = all, .nadd = 1) == 0 && caps == every,
	   "tweak: --privileged and --cap-add ALL give `all`");
	ok(TWEAK(def, .add = bpf, .nadd = 1) == 0 && (last >= CAP_BPF) == !!(caps & B(BPF)),
	   "tweak: a capability the kernel has (BPF here: %s) is added",
	   last >= CAP_BPF ? "yes" : "no");
	caps = def;
	ok(c_caps_tweak(&caps, c_caps_upto(37), 37,
			&(struct c_caps_docker){ .add = bpf, .nadd = 1 }, &e) == 0 &&
		   caps == def,
	   "tweak: one above the kernel's last is dropped silently");
	ok(TWEAK(def, .add = bogus, .nadd = 2) < 0 && e && e->status == C_EXIT_USAGE &&
		   tap_err_has(&e, "--cap-add: unknown capability \"CAP_FOO\""),
	   "tweak: unknown --cap-add names the name");
	c_err_free(&e);
	ok(TWEAK(def, .drop = cap_all, .ndrop = 1) < 0 &&
		   tap_err_has(&e, "--cap-drop: unknown capability \"cap_all\""),
	   "tweak: cap_all is no ALL (as docker)");
	c_err_free(&e);

	struct c_caps root = c_caps_for_user(def, 0), user = c_caps_for_user(def, 1000);

	ok(root.bounding == def && root.effective == def && root.permitted == def &&
		   !root.inheritable && !root.ambient,
	   "for_user: root gets bounding, effective and permitted");
	ok(user.bounding == def && !user.effective && !user.permitted && !user.inheritable &&
		   !user.ambient,
	   "for_user: another uid gets the bounding set only");
#undef TWEAK
}

/* ---- applying, as root ------------------------------------------------------ */

static void test_current(void)
{
	struct c_caps now;
	struct seen s = { 0 };
	c_err *e = NULL;

	read_status(&s);
	ok(c_caps_current(&now, &e) == 0 && now.bounding == s.bnd && now.effective == s.eff &&
		   now.permitted == s.prm && now.inheritable == s.inh && now.ambient == s.amb,
	   "current: the five sets agree with /proc/self/status (CapBnd %016llx)",
	   (unsigned long long)s.bnd);
	c_err_free(&e);
}

/* Full creds switch as root (uid 0 stays), as c-run does it. */
static int switch_root(const void *arg, c_err **e)
{
	struct c_identity root = { 0 };

	return c_identity_switch(&root, arg, e);
}

static const char *errno_name(int n)
{
	return n ? strerror(n) : "works";
}

static void check_seen(const struct seen *s, const char *what)
{
	if (s->rc)
		tap_diag("%s: rc %d: %s", what, s->rc, s->err);
	tap_diag("%s: CapBnd %016llx CapEff %016llx CapPrm %016llx CapInh %016llx CapAmb "
		 "%016llx chown %s raw %s",
		 what, (unsigned long long)s->bnd, (unsigned long long)s->eff,
		 (unsigned long long)s->prm, (unsigned long long)s->inh, (unsigned long long)s->amb,
		 errno_name(s->chown_errno), errno_name(s->raw_errno));
}

/* Drop CAP_SYS_RESOURCE from permitted, then ask for it back. */
static int ask_back(const void *arg, c_err **e)
{
	struct c_caps now;

	if (c_caps_current(&now, e) < 0)
		return -1;
	now.permitted &= ~B(SYS_RESOURCE);
	now.effective &= ~B(SYS_RESOURCE);
	if (c_caps_apply_sets(&now, e) < 0)
		return -2;
	now.permitted |= B(SYS_RESOURCE);
	return c_caps_apply_sets(&now, e);
}

/* Drop CAP_SYS_ADMIN from the bounding set, then ask for it as inheritable. */
static int inheritable_outside(const void *arg, c_err **e)
{
	struct c_caps now;

	if (c_caps_current(&now, e) < 0 ||
	    c_caps_apply_bounding(now.bounding & ~B(SYS_ADMIN), e) < 0)
		return -2;
	now.inheritable |= B(SYS_ADMIN);
	return c_caps_apply_sets(&now, e);
}

/* With CAP_SETPCAP, a drop goes ahead without a look: one already gone
 * drops again without an error. */
static int drop_twice(const void *arg, c_err **e)
{
	struct c_caps now;

	if (c_caps_current(&now, e) < 0 ||
	    c_caps_apply_bounding(now.bounding & ~B(SYS_ADMIN), e) < 0)
		return -2;
	return c_caps_apply_bounding(now.bounding & ~B(SYS_ADMIN) & ~B(SYS_BOOT), e);
}

/* Without CAP_SETPCAP in the effective set: what is gone already is no
 * error, a drop that is still needed is one naming the capability. */
static int drop_without_setpcap(const void *arg, c_err **e)
{
	struct c_caps now;

	if (c_caps_current(&now, e) < 0 ||
	    c_caps_apply_bounding(now.bounding & ~B(SYS_BOOT), e) < 0)
		return -2;
	now.effective &= ~B(SETPCAP);
	if (c_caps_apply_sets(&now, e) < 0 ||
	    c_caps_apply_bounding(now.bounding & ~B(SYS_BOOT), e) < 0)
		return -2;
	return c_caps_apply_bounding(now.bounding & ~B(SYS_BOOT) & ~B(SYS_ADMIN), e);
}

static void test_apply(void)
{
	const uint64_t def = c_caps_docker_default(), gone = B(CHOWN) | B(NET_RAW);
	const uint64_t need = B(CHOWN) | B(SETUID) | B(SETGID) | B(SETPCAP) | B(NET_RAW);
	struct c_caps now, set;
	struct seen s;
	c_err *e = NULL;

	if (geteuid() || c_caps_current(&now, &e) < 0 || (now.effective & need) != need) {
		c_err_free(&e);
		tap_skip("applying capabilities",
			 "needs root with CHOWN, SETUID, SETGID, SETPCAP, NET_RAW");
		return;
	}

	s = in_child(switch_root, NULL);
	if (!ok(s.rc == 0 && s.chown_errno == 0 && s.raw_errno == 0 && s.eff == now.effective,
		"control: no capabilities given, root keeps its own; chown and raw sockets work"))
		check_seen(&s, "no caps");

	set = c_caps_for_user(def, 0);
	s = in_child(switch_root, &set);
	if (!ok(s.rc == 0 && s.bnd == DOCKER_DEFAULT && s.eff == DOCKER_DEFAULT &&
			s.prm == DOCKER_DEFAULT && s.inh == 0 && s.amb == 0,
		"docker's default set as root: CapBnd, CapEff, CapPrm 00000000a80425fb"))
		check_seen(&s, "default");
	ok(s.chown_errno == 0 && s.raw_errno == 0, "with it, chown and raw sockets still work");

	set = c_caps_for_user(def & ~gone, 0);
	s = in_child(switch_root, &set);
	if (!ok(s.rc == 0 && s.bnd == (DOCKER_DEFAULT & ~gone) && s.eff == s.bnd && s.prm == s.bnd,
		"default minus CHOWN and NET_RAW: gone from all three sets"))
		check_seen(&s, "minus");
	ok(s.chown_errno == EPERM, "without CAP_CHOWN, chown to another uid fails: %s",
	   errno_name(s.chown_errno));
	ok(s.raw_errno == EPERM, "without CAP_NET_RAW, socket(AF_INET, SOCK_RAW) fails: %s",
	   errno_name(s.raw_errno));

	set = (struct c_caps){ .bounding = def, .effective = def & ~B(CHOWN), .permitted = def };
	s = in_child(switch_root, &set);
	if (!ok(s.rc == 0 && s.bnd == DOCKER_DEFAULT && s.prm == DOCKER_DEFAULT &&
			s.eff == (DOCKER_DEFAULT & ~B(CHOWN)) && s.chown_errno == EPERM,
		"effective applied as given: CHOWN permitted but not effective, chown fails"))
		check_seen(&s, "effective");

	set = (struct c_caps){ .bounding = def,
			       .effective = def,
			       .permitted = def,
			       .inheritable = B(NET_BIND_SERVICE) | B(KILL),
			       .ambient = B(NET_BIND_SERVICE) };
	s = in_child(switch_root, &set);
	if (!ok(s.rc == 0 && s.inh == (B(NET_BIND_SERVICE) | B(KILL)) &&
			s.amb == B(NET_BIND_SERVICE),
		"inheritable and ambient raised as root: CapInh, CapAmb"))
		check_seen(&s, "ambient");

	s = in_child(ask_back, NULL);
	ok(s.rc == -1 && strstr(s.err, "capset: CAP_SYS_RESOURCE: not in this process's "
				       "permitted set: Operation not permitted"),
	   "a capability no longer permitted is an error naming it (%s)", s.err);

	s = in_child(inheritable_outside, NULL);
	ok(s.rc == -1 &&
		   strstr(s.err, "capset: inheritable CAP_SYS_ADMIN: not in the bounding set"),
	   "an inheritable capability outside the bounding set is an error naming it (%s)", s.err);

	s = in_child(drop_twice, NULL);
	if (!ok(s.rc == 0 && s.bnd == (now.bounding & ~B(SYS_ADMIN) & ~B(SYS_BOOT)),
		"bounding: a capability dropped already drops again, with the next one"))
		check_seen(&s, "drop twice");

	s = in_child(drop_without_setpcap, NULL);
	ok(s.rc == -1 && s.bnd == (now.bounding & ~B(SYS_BOOT)) &&
		   strstr(s.err, "drop from the bounding set: CAP_SYS_ADMIN: Operation not "
				 "permitted"),
	   "bounding without CAP_SETPCAP: one gone already is no error, one to drop names "
	   "itself (%s)",
	   s.err);
}

int main(void)
{
	test_names();
	test_parse();
	test_json();
	test_tweak();
	test_current();
	test_apply();
	return tap_done();
}
