/* lib/passwd and lib/spec: users resolved inside a rootfs, and the OCI
 * runtime config made from an image config.
 *
 * Under a fresh mkdtemp directory T:
 *   T/full/etc/{passwd,group}   a rootfs with users, groups, junk lines
 *   T/empty/                    a rootfs without /etc
 *   T/link/etc/passwd -> /../../outside/passwd, with T/link/outside/passwd
 *                                (inside) and T/outside/passwd (the host's
 *                                victim) both present
 *   T/bundle/                   where config.json is written
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "passwd.h"
#include "path.h"
#include "spec.h"
#include "tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char top[PATH_MAX];

static const char *at(const char *rel)
{
	return tap_at(top, rel);
}

static int open_root(const char *rel)
{
	int fd = open(at(rel), O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		tap_bail("open", at(rel));
	return fd;
}

static const char passwd[] = "# users of the test image\n"
			     "root:x:0:0:root:/root:/bin/sh\n"
			     "\n"
			     "   \n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "+::::::\n"
			     "broken:x:notanumber:1::/broken:/bin/sh\n"
			     "short:x\n"
			     "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
			     "bob:x:1001:1001::/home/bob:/bin/sh\r\n"
			     "nohome:x:1002:1002:::/bin/sh\n"
			     "2000:x:3000:3000::/home/numname:/bin/sh\n"
			     "alice:x:1111:1111:second alice:/nope:/bin/sh\n"
			     "last:x:1003:1003::/home/last:/bin/sh"; /* no final newline */

static const char group[] = "# groups\n"
			    "root:x:0:root\n"
			    "wheel:x:10:root,alice\n"
			    "alice:x:1000:\n"
			    "bob:x:1001:\n"
			    "staff:x:50:alice, bob\n"
			    "bad:x:nan:alice\n"
			    "docker:x:999:bob\n"
			    "6000:x:6001:\n";

static void build(void)
{
	char longline[C_PASSWD_LINE_MAX + 64];

	snprintf(top, sizeof top, "%s/test-spec.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		tap_bail("mkdtemp", top);
	tap_mkdir(at("full"));
	tap_mkdir(at("full/etc"));
	tap_put(at("full/etc/passwd"), passwd);
	tap_put(at("full/etc/group"), group);
	tap_mkdir(at("empty"));
	tap_mkdir(at("link"));
	tap_mkdir(at("link/etc"));
	tap_mkdir(at("link/outside"));
	tap_mkdir(at("outside"));
	tap_put(at("outside/passwd"), "evil:x:666:666::/evil:/bin/sh\n");
	tap_put(at("link/outside/passwd"), "good:x:7:7::/good:/bin/sh\n");
	if (symlink("/../../outside/passwd", at("link/etc/passwd")) < 0)
		tap_bail("symlink", at("link/etc/passwd"));
	tap_mkdir(at("fifo"));
	tap_mkdir(at("fifo/etc"));
	if (mkfifo(at("fifo/etc/passwd"), 0644) < 0)
		tap_bail("mkfifo", at("fifo/etc/passwd"));
	tap_mkdir(at("long"));
	tap_mkdir(at("long/etc"));
	memset(longline, 'a', sizeof longline - 2);
	longline[sizeof longline - 2] = '\n';
	longline[sizeof longline - 1] = '\0';
	tap_put(at("long/etc/passwd"), longline);
	tap_mkdir(at("bundle"));
}

/* ---- users --------------------------------------------------------------- */

struct user_case {
	const char *root, *spec;
	long uid, gid;
	const char *gids; /* additional gids, "" for none */
	const char *home;
	const char *error; /* expected error text, NULL for success */
};

static const struct user_case user_cases[] = {
	{ "full", "", 0, 0, "0,10", "/root", NULL },
	{ "full", "root", 0, 0, "0,10", "/root", NULL },
	{ "full", "alice", 1000, 1000, "10,50", "/home/alice", NULL },
	{ "full", "1000", 1000, 1000, "10,50", "/home/alice", NULL }, /* runc: uid in passwd */
	{ "full", "bob", 1001, 1001, "50,999", "/home/bob", NULL },   /* CRLF line */
	{ "full", "daemon", 1, 1, "", "/usr/sbin", NULL },
	{ "full", "nohome", 1002, 1002, "", "/", NULL },
	{ "full", "last", 1003, 1003, "", "/home/last", NULL },
	{ "full", "2000", 3000, 3000, "", "/home/numname", NULL }, /* name before uid */
	{ "full", "alice:staff", 1000, 50, "", "/home/alice", NULL },
	{ "full", "alice:999", 1000, 999, "", "/home/alice", NULL },
	{ "full", "alice:4242", 1000, 4242, "", "/home/alice", NULL },
	{ "full", "alice:6000", 1000, 6001, "", "/home/alice", NULL }, /* group named "6000" */
	{ "full", "alice:", 1000, 1000, "10,50", "/home/alice", NULL },
	{ "full", "4242", 4242, 0, "", "/", NULL }, /* docker: unknown uid → gid 0 */
	{ "full", "4242:docker", 4242, 999, "", "/", NULL },
	{ "full", "4242:77", 4242, 77, "", "/", NULL },
	{ "full", ":staff", 0, 50, "", "/root", NULL },
	{ "full", "2147483647", 2147483647, 0, "", "/", NULL },
	{ "full", "mallory", 0, 0, "", "",
	  "user \"mallory\" not found in the image's /etc/passwd" },
	{ "full", "broken", 0, 0, "", "", "user \"broken\" not found" },
	{ "full", "#", 0, 0, "", "", "user \"#\" not found" },
	{ "full", "alice:nogroup", 0, 0, "", "",
	  "group \"nogroup\" not found in the image's /etc/group" },
	{ "full", "2147483648", 0, 0, "", "", "uid out of range" },
	{ "full", "alice:99999999999", 0, 0, "", "", "gid out of range" },
	{ "full", "a:b:c", 0, 0, "", "", "more than one ':'" },
	{ "empty", "", 0, 0, "", "/", NULL },
	{ "empty", "1234", 1234, 0, "", "/", NULL },
	{ "empty", "1:2", 1, 2, "", "/", NULL },
	{ "empty", "root", 0, 0, "", "", "user \"root\" not found in the image's /etc/passwd" },
	{ "empty", "1:wheel", 0, 0, "", "", "group \"wheel\" not found" },
	{ "link", "good", 7, 7, "", "/good", NULL },
	{ "link", "evil", 0, 0, "", "", "user \"evil\" not found" },
	{ "fifo", "0", 0, 0, "", "", "not a regular file" },
	{ "long", "0", 0, 0, "", "", "line 1: longer than" },
};

static void gids_str(const struct c_user *u, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < u->nadditional_gids && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "," : "",
				      (unsigned)u->additional_gids[i]);
}

static void test_user_case(const struct user_case *c, const char *how)
{
	_cleanup_close_ int rootfd = open_root(c->root);
	struct c_user u;
	c_err *e = NULL;
	char gids[256];
	int r;

	r = c_user_resolve(rootfd, c->spec, &u, &e);
	if (c->error) {
		ok(r < 0 && e && e->status == C_EXIT_DATA && tap_err_has(&e, c->error),
		   "%s: %s \"%s\": error \"%s\"", how, c->root, c->spec, c->error);
		c_err_free(&e);
		return;
	}
	if (r < 0) {
		tap_err_has(&e, "(success)");
		ok(0, "%s: %s \"%s\" resolves", how, c->root, c->spec);
		return;
	}
	gids_str(&u, gids, sizeof gids);
	ok((long)u.uid == c->uid && (long)u.gid == c->gid && !strcmp(gids, c->gids) &&
		   !strcmp(u.home, c->home),
	   "%s: %s \"%s\" → %ld:%ld [%s] %s", how, c->root, c->spec, c->uid, c->gid, c->gids,
	   c->home);
	if ((long)u.uid != c->uid || (long)u.gid != c->gid || strcmp(gids, c->gids) ||
	    strcmp(u.home, c->home))
		tap_diag("got %u:%u [%s] %s", (unsigned)u.uid, (unsigned)u.gid, gids, u.home);
	c_user_free(&u);
}

static void test_users(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(user_cases); i++)
		test_user_case(&user_cases[i], "openat2");
	/* The symlink case again through the component walk. */
	c_path_test_force_walk(1);
	for (size_t i = 0; i < ARRAY_SIZE(user_cases); i++)
		if (!strcmp(user_cases[i].root, "link"))
			test_user_case(&user_cases[i], "walk");
	c_path_test_force_walk(0);
}

/* ---- spec ---------------------------------------------------------------- */

/* JSON_ALLOW_NUL: a caller may hand c_spec_from_image() a document parsed
 * more leniently than c_json_parse() does. */
static json_t *parse(const char *doc)
{
	json_t *v = json_loads(doc, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);

	if (!v)
		tap_bail("parse test JSON", doc);
	return v;
}

static json_t *make(const char *doc, const struct c_spec_opts *opts, c_err **e)
{
	_cleanup_json_ json_t *img = parse(doc);
	_cleanup_close_ int rootfd = open_root("full");

	return c_spec_from_image(img, rootfd, opts, e);
}

/* The dotted path in v, e.g. "process.user.uid" or "linux.namespaces.0.type". */
static json_t *get(json_t *v, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); v && k; k = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(k, NULL, 10))
				     : json_object_get(v, k);
	return v;
}

static const char *str(json_t *v, const char *path)
{
	const char *s = json_string_value(get(v, path));

	return s ? s : "(none)";
}

/* arr as "a|b|c" */
static const char *joined(json_t *arr)
{
	static char buf[4096];
	size_t n = 0, i;
	json_t *v;

	buf[0] = '\0';
	if (!json_is_array(arr))
		return "(not an array)";
	json_array_foreach(arr, i, v) n +=
		(size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "|" : "",
				 json_is_string(v) ? json_string_value(v) : "?");
	return buf;
}

/* The OCI runtime spec's required fields, and the types c-run relies on. */
static bool oci_valid(json_t *s, bool has_command)
{
	json_t *args = get(s, "process.args"), *v, *mounts = get(s, "mounts");
	const char *cwd = json_string_value(get(s, "process.cwd"));
	size_t i;

	if (!json_is_string(get(s, "ociVersion")) || !json_is_string(get(s, "root.path")) ||
	    !json_is_object(get(s, "process")) || !cwd || cwd[0] != '/' ||
	    !json_is_integer(get(s, "process.user.uid")) ||
	    !json_is_integer(get(s, "process.user.gid")) || !json_is_array(get(s, "process.env")))
		return false;
	if (has_command && (!json_is_array(args) || !json_array_size(args)))
		return false;
	json_array_foreach(args, i, v) if (!json_is_string(v)) return false;
	json_array_foreach(get(s, "process.env"), i,
			   v) if (!json_is_string(v) ||
				  !strchr(json_string_value(v), '=')) return false;
	if (!json_is_array(mounts))
		return false;
	json_array_foreach(mounts, i, v)
	{
		const char *d = json_string_value(json_object_get(v, "destination"));

		if (!d || d[0] != '/')
			return false;
	}
	json_array_foreach(get(s, "linux.namespaces"), i, v)
	{
		const char *t = str(v, "type");

		if (!strstr(" pid network mount ipc uts user cgroup ", t) || strchr(t, ' '))
			return false;
	}
	json_object_foreach(get(s, "annotations"), cwd, v) if (!json_is_string(v)) return false;
	return true;
}

static void test_args(void)
{
	static const struct {
		const char *config, *args, *name;
	} cases[] = {
		{ "{\"Entrypoint\":[\"/bin/ep\",\"-x\"],\"Cmd\":[\"a\",\"b\"]}", "/bin/ep|-x|a|b",
		  "Entrypoint + Cmd" },
		{ "{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"]}", "/bin/sh|-c|echo hi", "Cmd alone" },
		{ "{\"Entrypoint\":[\"/bin/ep\"]}", "/bin/ep", "Entrypoint alone" },
		{ "{\"Entrypoint\":null,\"Cmd\":[\"/bin/sh\"]}", "/bin/sh", "Entrypoint null" },
		{ "{\"Entrypoint\":[],\"Cmd\":[\"/bin/sh\"]}", "/bin/sh", "Entrypoint empty" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char doc[512];
		c_err *e = NULL;
		json_t *s;

		snprintf(doc, sizeof doc, "{\"config\":%s}", cases[i].config);
		s = make(doc, NULL, &e);
		ok(s && !strcmp(joined(get(s, "process.args")), cases[i].args) &&
			   oci_valid(s, true),
		   "args: %s", cases[i].name);
		if (!s)
			tap_err_has(&e, "(success)");
		json_decref(s);
	}

	c_err *e = NULL;
	json_t *s = make("{\"config\":{\"Cmd\":null}}", NULL, &e);

	ok(s && !get(s, "process.args") && oci_valid(s, false),
	   "args: no command leaves process.args out");
	json_decref(s);
	s = make("{}", NULL, &e);
	ok(s && !get(s, "process.args") && !strcmp(str(s, "process.cwd"), "/") &&
		   oci_valid(s, false),
	   "args: no config at all");
	json_decref(s);
}

static void test_env_cwd(void)
{
	struct c_spec_opts opts = { .user = "alice" };
	c_err *e = NULL;
	json_t *s;

	s = make("{\"config\":{\"Env\":[\"A=1\",\"B=\"],\"Cmd\":[\"x\"]}}", NULL, &e);
	ok(s &&
		   !strcmp(joined(get(s, "process.env")),
			   "A=1|B=|PATH=" C_SPEC_DEFAULT_PATH "|HOME=/root"),
	   "env: PATH default and root's HOME appended");
	ok(s && !strstr(joined(get(s, "process.env")), "TERM="), "env: no TERM");
	json_decref(s);

	s = make("{\"config\":{\"Env\":[\"PATH=/bin\",\"X=a=b\"],\"User\":\"bob\"}}", NULL, &e);
	ok(s && !strcmp(joined(get(s, "process.env")), "PATH=/bin|X=a=b|HOME=/home/bob"),
	   "env: the image's PATH is kept, HOME from bob's passwd entry");
	json_decref(s);

	s = make("{\"config\":{\"Env\":[\"HOME=/srv\"],\"User\":\"bob\"}}", NULL, &e);
	ok(s && !strcmp(joined(get(s, "process.env")), "HOME=/srv|PATH=" C_SPEC_DEFAULT_PATH),
	   "env: the image's HOME is kept");
	json_decref(s);

	s = make("{\"config\":{\"User\":\"4242\"}}", NULL, &e);
	ok(s && strstr(joined(get(s, "process.env")), "HOME=/") &&
		   json_integer_value(get(s, "process.user.uid")) == 4242 &&
		   json_integer_value(get(s, "process.user.gid")) == 0 &&
		   !get(s, "process.user.additionalGids"),
	   "user: unknown uid → gid 0, HOME=/, no additionalGids");
	json_decref(s);

	s = make("{\"config\":{\"User\":\"bob\"}}", &opts, &e);
	ok(s && json_integer_value(get(s, "process.user.uid")) == 1000 &&
		   json_integer_value(get(s, "process.user.gid")) == 1000 &&
		   json_integer_value(get(s, "process.user.additionalGids.0")) == 10 &&
		   json_integer_value(get(s, "process.user.additionalGids.1")) == 50 &&
		   json_array_size(get(s, "process.user.additionalGids")) == 2,
	   "user: the override wins over the image's User, with supplementary groups");
	json_decref(s);

	s = make("{\"config\":{\"User\":\"mallory\"}}", NULL, &e);
	ok(!s && e && e->status == C_EXIT_DATA && tap_err_has(&e, "user \"mallory\" not found"),
	   "user: an unknown name is an error");
	c_err_free(&e);

	s = make("{\"config\":{\"WorkingDir\":\"/app\"}}", NULL, &e);
	ok(s && !strcmp(str(s, "process.cwd"), "/app"), "cwd: WorkingDir");
	json_decref(s);
	s = make("{\"config\":{\"WorkingDir\":\"\"}}", NULL, &e);
	ok(s && !strcmp(str(s, "process.cwd"), "/"), "cwd: empty WorkingDir is /");
	json_decref(s);
}

static const char *ann(json_t *a, const char *key)
{
	return json_string_value(json_object_get(a, key)) ?: "";
}

static void test_annotations(void)
{
	const char *doc =
		"{\"created\":\"2024-01-02T03:04:05Z\",\"author\":\"me\",\"architecture\":"
		"\"amd64\","
		"\"os\":\"linux\",\"variant\":\"v8\",\"os.version\":\"6.1\","
		"\"os.features\":[\"a\",\"b\"],"
		"\"config\":{\"StopSignal\":\"SIGQUIT\","
		"\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},"
		"\"Volumes\":{\"/data\":{},\"/var/a,b\":{}},"
		"\"Labels\":{\"maintainer\":\"x\",\"org.opencontainers.image.os\":\"plan9\","
		"\"io.c-tools.seccomp\":\"unconfined\"}}}";
	c_err *e = NULL;
	json_t *s = make(doc, NULL, &e), *a = get(s, "annotations");

	ok(a, "annotations: made");
	ok(!strcmp(ann(a, "org.opencontainers.image.created"), "2024-01-02T03:04:05Z") &&
		   !strcmp(ann(a, "org.opencontainers.image.author"), "me") &&
		   !strcmp(ann(a, "org.opencontainers.image.architecture"), "amd64") &&
		   !strcmp(ann(a, "org.opencontainers.image.variant"), "v8") &&
		   !strcmp(ann(a, "org.opencontainers.image.os.version"), "6.1") &&
		   !strcmp(ann(a, "org.opencontainers.image.os.features"), "a,b"),
	   "annotations: created, author, architecture, variant, os.version, os.features");
	ok(!strcmp(ann(a, "org.opencontainers.image.os"), "plan9"),
	   "annotations: a label wins over the implicit os annotation");
	ok(!strcmp(ann(a, "org.opencontainers.image.stopSignal"), "SIGQUIT"),
	   "annotations: StopSignal");
	ok(!strcmp(ann(a, "org.opencontainers.image.exposedPorts"), "80/tcp,53/udp"),
	   "annotations: ExposedPorts comma-separated, in document order");
	ok(!strcmp(ann(a, C_SPEC_VOLUMES_ANNOTATION), "[\"/data\",\"/var/a,b\"]"),
	   "annotations: Volumes as a JSON array");
	ok(!strcmp(ann(a, "maintainer"), "x"), "annotations: Labels copied");
	ok(!strcmp(ann(a, C_SPEC_SECCOMP_ANNOTATION), "default") && !get(s, "linux.seccomp"),
	   "seccomp: the default-profile marker, not overridable by a label; no linux.seccomp");
	ok(s && oci_valid(s, false), "annotations: the config is valid");
	json_decref(s);
}

/* docker's default set, in the kernel's order */
static const char *const want_caps =
	"CAP_CHOWN|CAP_DAC_OVERRIDE|CAP_FOWNER|CAP_FSETID|CAP_KILL|CAP_SETGID|CAP_SETUID|"
	"CAP_SETPCAP|CAP_NET_BIND_SERVICE|CAP_NET_RAW|CAP_SYS_CHROOT|CAP_MKNOD|CAP_AUDIT_WRITE|"
	"CAP_SETFCAP";

static void test_defaults(void)
{
	struct c_spec_opts opts = { .hostname = "box1" };
	c_err *e = NULL;
	json_t *s = make("{\"config\":{\"Cmd\":[\"/bin/true\"]}}", NULL, &e), *v;
	_cleanup_free_ char *dump = NULL;
	char ns[256] = "";
	size_t i;

	ok(s && oci_valid(s, true), "defaults: valid");
	ok(!strcmp(str(s, "ociVersion"), "1.0.2") && !strcmp(str(s, "root.path"), "rootfs") &&
		   json_is_false(get(s, "root.readonly")),
	   "defaults: ociVersion, root");
	ok(!strcmp(str(s, "hostname"), C_SPEC_DEFAULT_HOSTNAME), "defaults: hostname");
	ok(json_is_false(get(s, "process.terminal")) &&
		   json_is_true(get(s, "process.noNewPrivileges")),
	   "defaults: terminal false, noNewPrivileges");
	ok(!strcmp(joined(get(s, "process.capabilities.bounding")), want_caps) &&
		   !strcmp(joined(get(s, "process.capabilities.effective")), want_caps) &&
		   !strcmp(joined(get(s, "process.capabilities.permitted")), want_caps) &&
		   !get(s, "process.capabilities.inheritable") &&
		   !get(s, "process.capabilities.ambient"),
	   "defaults: docker's capability set exactly, not inheritable or ambient");
	ok(!strcmp(str(s, "process.rlimits.0.type"), "RLIMIT_NOFILE") &&
		   json_integer_value(get(s, "process.rlimits.0.hard")) == 1024 &&
		   json_integer_value(get(s, "process.rlimits.0.soft")) == 1024,
	   "defaults: RLIMIT_NOFILE 1024");
	json_array_foreach(get(s, "linux.namespaces"), i, v) snprintf(
		ns + strlen(ns), sizeof ns - strlen(ns), "%s%s", i ? "|" : "", str(v, "type"));
	ok(!strcmp(ns, "pid|network|ipc|uts|mount|cgroup"), "defaults: namespaces");
	ok(!strcmp(joined(get(s, "linux.maskedPaths")),
		   "/proc/asound|/proc/acpi|/proc/kcore|/proc/keys|/proc/latency_stats|"
		   "/proc/timer_list|/proc/timer_stats|/proc/sched_debug|/proc/scsi|/sys/firmware|"
		   "/sys/devices/virtual/powercap"),
	   "defaults: masked paths");
	ok(!strcmp(joined(get(s, "linux.readonlyPaths")),
		   "/proc/bus|/proc/fs|/proc/irq|/proc/sys|/proc/sysrq-trigger"),
	   "defaults: read-only paths");
	ok(json_array_size(get(s, "mounts")) == 7 &&
		   !strcmp(str(s, "mounts.0.destination"), "/proc") &&
		   !strcmp(str(s, "mounts.1.destination"), "/dev") &&
		   !strcmp(joined(get(s, "mounts.1.options")),
			   "nosuid|strictatime|mode=755|size=65536k") &&
		   !strcmp(str(s, "mounts.2.type"), "devpts") &&
		   !strcmp(joined(get(s, "mounts.2.options")),
			   "nosuid|noexec|newinstance|ptmxmode=0666|mode=0620|gid=5") &&
		   !strcmp(joined(get(s, "mounts.3.options")),
			   "nosuid|noexec|nodev|mode=1777|size=65536k") &&
		   !strcmp(str(s, "mounts.4.type"), "mqueue") &&
		   !strcmp(joined(get(s, "mounts.5.options")), "nosuid|noexec|nodev|ro") &&
		   !strcmp(str(s, "mounts.6.destination"), "/sys/fs/cgroup") &&
		   strstr(joined(get(s, "mounts.6.options")), "|ro"),
	   "defaults: mounts");
	dump = s ? c_json_dump(s, NULL, NULL) : NULL;
	ok(dump &&
		   !strncmp(dump,
			    "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,"
			    "\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[0,10]},"
			    "\"args\":[\"/bin/true\"],",
			    120) &&
		   strstr(dump, "\"root\":") < strstr(dump, "\"hostname\":") &&
		   strstr(dump, "\"hostname\":") < strstr(dump, "\"mounts\":") &&
		   strstr(dump, "\"mounts\":") < strstr(dump, "\"annotations\":") &&
		   strstr(dump, "\"annotations\":") < strstr(dump, "\"linux\":"),
	   "defaults: key order is stable");
	json_decref(s);

	s = make("{}", &opts, &e);
	ok(s && !strcmp(str(s, "hostname"), "box1"), "defaults: hostname from the options");
	json_decref(s);
}

static void test_malformed(void)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "[]", "image config: expected object, got array" },
		{ "{\"config\":\"x\"}", "field config: expected object, got string" },
		{ "{\"config\":{\"Env\":\"A=1\"}}",
		  "field config.Env: expected array, got string" },
		{ "{\"config\":{\"Env\":[\"A=1\",2]}}",
		  "field config.Env[1]: expected string, got integer" },
		{ "{\"config\":{\"Env\":[\"NOEQUALS\"]}}",
		  "field config.Env[0]: \"NOEQUALS\": expected NAME=VALUE" },
		{ "{\"config\":{\"Env\":[\"=x\"]}}",
		  "field config.Env[0]: \"=x\": expected NAME=VALUE" },
		{ "{\"config\":{\"Cmd\":\"/bin/sh\"}}",
		  "field config.Cmd: expected array, got string" },
		{ "{\"config\":{\"Entrypoint\":[\"/bin/sh\",{}]}}",
		  "field config.Entrypoint[1]: expected string, got object" },
		{ "{\"config\":{\"Cmd\":[\"/bin/sh\\u0000x\"]}}",
		  "field config.Cmd[0]: contains a NUL byte" },
		{ "{\"config\":{\"User\":0}}", "field config.User: expected string, got integer" },
		{ "{\"config\":{\"WorkingDir\":\"app\"}}",
		  "field config.WorkingDir: \"app\": expected an absolute path" },
		{ "{\"config\":{\"WorkingDir\":5}}", "field config.WorkingDir: expected string" },
		{ "{\"config\":{\"StopSignal\":9}}", "field config.StopSignal: expected string" },
		{ "{\"config\":{\"Labels\":[]}}",
		  "field config.Labels: expected object, got array" },
		{ "{\"config\":{\"Labels\":{\"a\":\"b\",\"n\":1}}}",
		  "field config.Labels.n: expected string, got integer" },
		{ "{\"config\":{\"ExposedPorts\":[\"80/tcp\"]}}",
		  "field config.ExposedPorts: expected object" },
		{ "{\"config\":{\"Volumes\":\"/data\"}}", "field config.Volumes: expected object" },
		{ "{\"created\":1}", "field created: expected string" },
		{ "{\"os.features\":[\"a\",1]}", "field os.features[1]: expected string" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		c_err *e = NULL;
		json_t *s = make(cases[i].doc, NULL, &e);

		ok(!s && e && e->status == C_EXIT_DATA && tap_err_has(&e, cases[i].want),
		   "malformed: %s", cases[i].want);
		json_decref(s);
		c_err_free(&e);
	}
}

static int count_entries(const char *dir)
{
	struct stat st;
	char p[PATH_MAX];
	int n = 0;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(c_steal_fd(&fd)) : NULL;
	struct dirent *de;

	if (!d)
		tap_bail("opendir", dir);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			n += stat(p, &st) == 0;
		}
	closedir(d);
	return n;
}

/* A child reads config.json over and over while the parent rewrites it: every
 * read must parse (never a half-written file). */
static void test_write(void)
{
	const char *bundle = at("bundle"), *path = at("bundle/config.json");
	c_err *e = NULL;
	json_t *small = make("{\"config\":{\"Cmd\":[\"a\"]}}", NULL, &e);
	json_t *big = make("{\"config\":{\"Cmd\":[\"b\"],\"Labels\":{\"pad\":\""
			   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			   "xxxxxxxxxxxxxxxxx"
			   "\"}}}",
			   NULL, &e);
	json_t *back;
	struct stat st;
	pid_t pid;
	int status, bad = 0;
	mode_t old = umask(077);

	ok(c_spec_write(bundle, small, &e) == 0, "write: config.json written");
	umask(old);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644,
	   "write: mode 0644 despite umask 077");
	back = c_json_load_file(path, 1 << 20, NULL);
	ok(back && json_equal(back, small), "write: reads back equal");
	json_decref(back);

	pid = fork();
	if (pid < 0)
		tap_bail("fork", "reader");
	if (pid == 0) {
		for (int i = 0; i < 2000; i++) {
			json_t *v = c_json_load_file(path, 1 << 20, NULL);

			bad += !v;
			json_decref(v);
		}
		_exit(bad ? 1 : 0);
	}
	for (int i = 0; i < 200 && !bad; i++)
		bad = c_spec_write(bundle, i % 2 ? small : big, &e) < 0;
	if (waitpid(pid, &status, 0) < 0)
		tap_bail("waitpid", "reader");
	ok(!bad && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "write: a concurrent reader always sees a whole file");
	ok(count_entries(bundle) == 1, "write: no temp files left behind");
	ok(c_spec_write(at("bundle/missing"), small, &e) < 0 && tap_err_has(&e, "bundle/missing"),
	   "write: a missing bundle dir is an error naming it");
	json_decref(small);
	json_decref(big);
}

int main(void)
{
	build();
	test_users();
	test_args();
	test_env_cwd();
	test_annotations();
	test_defaults();
	test_malformed();
	test_write();
	tap_remove_tree(top);
	return tap_done();
}
