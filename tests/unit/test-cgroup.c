/* lib/cgroup: layouts, the files written for a resources object, and what
 * the limits do to real processes.
 *
 * Fake trees (always run), under a fresh mkdtemp directory T, with the test
 * hook pointing /proc at T/v2/proc or T/v1/proc:
 *   T/v2/sys/fs/cgroup      a pure cgroup v2 mount (plain files stand in for
 *                           the control files)
 *   T/v1/sys/fs/cgroup/...  this machine's hybrid shape: v1 controllers, cpu
 *                           and cpuacct co-mounted, memory at a mount point
 *                           with a space, name=systemd and an empty cgroup2
 *                           at unified
 *
 * Real hierarchies (root only): cgroups under our own one, named
 * c-tools-test-PID/..., with children moved in as c-run moves the container's
 * process: pids.max 1, 4M of memory, kill, join, destroy.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "json.h"
#include "tap.h"

static char top[PATH_MAX], proc[PATH_MAX];

static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...)
{
	static char buf[8][PATH_MAX];
	static int i;
	char *b = buf[i++ % 8];
	int n = snprintf(b, PATH_MAX, "%s/", top);
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(b + n, PATH_MAX - (size_t)n, fmt, ap) >= PATH_MAX - n)
		tap_bail("path too long", fmt);
	va_end(ap);
	return b;
}

static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s", path);
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			tap_bail("mkdir", p);
		if (!s)
			return;
		*s = '/';
	}
}

static void put_in(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		tap_bail("path too long", file);
	tap_put(path, text);
}

/* A file's text without its trailing newlines, NULL when unreadable. */
static char *slurp(const char *path)
{
	static char buf[8][65536];
	static int i;
	char *b = buf[i++ % 8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, b + len, sizeof buf[0] - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	while (len > 0 && b[len - 1] == '\n')
		len--;
	b[len] = '\0';
	return b;
}

static bool file_is(const char *dir, const char *file, const char *want)
{
	char path[PATH_MAX];
	const char *got;

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "(null)", file);
	got = slurp(path);
	if (got && !strcmp(got, want))
		return true;
	tap_diag("%s: got \"%s\", want \"%s\"", path, got ? got : "(unreadable)", want);
	return false;
}

static bool gone(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		tap_diag("%s: still there", path);
		return false;
	}
	return errno == ENOENT;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static json_t *parse(const char *text)
{
	c_err *e = NULL;
	json_t *v = c_json_parse(text, strlen(text), "test", &e);

	if (!v) {
		c_err_print(e);
		tap_bail("parse", text);
	}
	return v;
}

/* create path with the resources in JSON text; NULL (and *e) on failure */
static struct c_cgroup *create(const char *path, const char *res, c_err **e)
{
	json_t *r = res ? parse(res) : NULL;
	struct c_cgroup *cg = c_cgroup_create(path, r, e);

	json_decref(r);
	return cg;
}

static int rm_file(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return type == FTW_F ? remove(p) : 0;
}

/* The fake control files, which a real cgroupfs would drop with the dir. */
static void drop_files(const char *dir)
{
	nftw(dir, rm_file, 16, FTW_PHYS);
}

/* ---- a child that waits to be moved in ---------------------------------- */

struct kid {
	pid_t pid;
	int go;	 /* write a byte to let it run */
	int out; /* its stdout */
};

static struct kid spawn(void (*body)(void))
{
	int go[2], out[2];
	struct kid k;
	char c;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		tap_bail("pipe", "");
	k.pid = fork();
	if (k.pid < 0)
		tap_bail("fork", "");
	if (k.pid == 0) {
		alarm(30); /* never outlive a test that went wrong */
		close(go[1]);
		close(out[0]);
		if (read(go[0], &c, 1) != 1 || dup2(out[1], 1) < 0)
			_exit(99);
		body();
		fflush(stdout);
		_exit(0);
	}
	close(go[0]);
	close(out[1]);
	k.go = go[1];
	k.out = out[0];
	return k;
}

/* Let it run; its output into buf, lines ending in '|' to fit a TAP line,
 * and its wait status returned. */
static int finish(struct kid *k, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int status;

	if (write(k->go, "g", 1) != 1)
		tap_bail("write", "go pipe");
	close(k->go);
	while (len + 1 < size && (n = read(k->out, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	for (char *nl = strchr(buf, '\n'); nl; nl = strchr(nl, '\n'))
		*nl = '|';
	close(k->out);
	if (waitpid(k->pid, &status, 0) < 0)
		tap_bail("waitpid", "");
	return status;
}

static void wait_pause(void)
{
	pause();
}

static const char *const used[] = { "cpu",  "cpuacct", "cpuset", "memory",
				    "pids", "devices", "freezer" };

/* ---- fake v2 ------------------------------------------------------------- */

static void fake_v2(void)
{
	char mountinfo[2 * PATH_MAX + 256], cgdir[PATH_MAX];
	c_err *e = NULL;
	enum c_cgroup_version v = 0;
	struct c_cgroup *a, *b, *cg;
	unsigned long long kills = 0;
	const char *dir;
	int status;

	mkdirs(at("v2/proc/self"));
	mkdirs(at("v2/proc/4321"));
	mkdirs(at("v2/sys/fs/cgroup/user.slice/session-1.scope"));
	snprintf(cgdir, sizeof cgdir, "%s", at("v2/sys/fs/cgroup"));
	snprintf(mountinfo, sizeof mountinfo,
		 "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		 "25 22 0:22 / %s rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
		 "rw,nsdelegate,memory_recursiveprot\n"
		 "26 22 0:23 / /mnt/elsewhere rw shared:5 - cgroup2 cgroup2 rw\n",
		 cgdir);
	tap_put(at("v2/proc/self/mountinfo"), mountinfo);
	tap_put(at("v2/proc/self/cgroup"), "0::/user.slice/session-1.scope\n");
	tap_put(at("v2/sys/fs/cgroup/cgroup.controllers"),
	    "cpuset cpu io memory hugetlb pids rdma misc\n");
	snprintf(proc, sizeof proc, "%s", at("v2/proc"));
	c_cgroup_test_proc_root(proc);

	ok(c_cgroup_detect(&v, &e) == 0 && v == C_CGROUP_V2, "v2: a lone cgroup2 mount is v2");
	c_err_free(&e);

	a = create("/c-tools/a",
		   "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432},"
		   " \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000,"
		   "  \"cpus\": \"0-1\", \"mems\": \"0\"},"
		   " \"pids\": {\"limit\": 100},"
		   " \"devices\": [{\"allow\": true, \"type\": \"b\", \"major\": 7, \"minor\": 0,"
		   "  \"access\": \"r\"}]}",
		   &e);
	if (!ok(a != NULL, "v2: create /c-tools/a"))
		c_err_print(e);
	c_err_free(&e);
	if (!a)
		return;
	dir = c_cgroup_dir(a, "memory");
	ok(dir && !strcmp(dir, at("v2/sys/fs/cgroup/c-tools/a")) &&
	       c_cgroup_dir(a, "pids") == dir && c_cgroup_version(a) == C_CGROUP_V2,
	   "v2: one directory for every controller (%s)", dir);
	ok(file_is(dir, "memory.max", "67108864") && file_is(dir, "memory.low", "33554432"),
	   "v2: memory.max and memory.low");
	ok(file_is(dir, "cpu.weight", "100") && file_is(dir, "cpu.max", "50000 100000"),
	   "v2: cpu.weight from shares 1024 is the default 100; cpu.max \"quota period\"");
	ok(file_is(dir, "cpuset.cpus", "0-1") && file_is(dir, "cpuset.mems", "0") &&
	       file_is(dir, "pids.max", "100"),
	   "v2: cpuset.cpus, cpuset.mems, pids.max");
	ok(file_is(cgdir, "cgroup.subtree_control", "+cpuset +cpu +memory +pids") &&
	       file_is(at("v2/sys/fs/cgroup/c-tools"), "cgroup.subtree_control",
		       "+cpuset +cpu +memory +pids") &&
	       !exists(at("v2/sys/fs/cgroup/c-tools/a/cgroup.subtree_control")),
	   "v2: the offered controllers are enabled in every ancestor, not in the leaf");
	ok(file_is(dir, "c-tools.devices",
		   "deny a\nallow b 7:0 r\nallow c *:* m\nallow b *:* m\nallow c 1:3 rwm\n"
		   "allow c 1:5 rwm\nallow c 1:7 rwm\nallow c 1:8 rwm\nallow c 1:9 rwm\n"
		   "allow c 5:0 rwm\nallow c 5:1 rwm\nallow c 5:2 rwm\nallow c 136:* rwm"),
	   "v2: device rules are enforced, not skipped: every device denied, the spec's "
	   "rules, then the defaults (the fake tree's stand-in for the BPF program)");

	/* What v2 cannot apply is refused before anything is made. */
	{
		static const struct {
			const char *res, *want;
		} refused[] = {
			{ "{\"memory\": {\"limit\": 4194304, \"disableOOMKiller\": true}}",
			  "apply linux.resources.memory.disableOOMKiller: cgroup v2 has no switch to "
			  "disable the OOM killer" },
			{ "{\"memory\": {\"swappiness\": 30}}",
			  "apply linux.resources.memory.swappiness: cgroup v2 has no swappiness" },
			{ "{\"memory\": {\"kernel\": 4194304}}",
			  "apply linux.resources.memory.kernel: cgroup v2 has no kernel memory limit" },
			{ "{\"memory\": {\"kernelTCP\": 4194304}}",
			  "apply linux.resources.memory.kernelTCP: cgroup v2 has no kernel memory" },
			{ "{\"memory\": {\"limit\": 4194304, \"swap\": 8388608}}",
			  "apply linux.resources.memory.swap: this kernel keeps no swap accounting "
			  "(no " },
		};

		for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
			cg = create("/c-tools/refused", refused[i].res, &e);
			ok(!cg && e && e->status == C_EXIT_FAIL &&
				   tap_err_has(&e, refused[i].want) &&
				   !exists(at("v2/sys/fs/cgroup/c-tools/refused")),
			   "v2: refused, leaving no cgroup: %s", refused[i].want);
			c_err_free(&e);
		}
	}

	/* An existing cgroup is joined; its memory.swap.max says swap is accounted. */
	mkdirs(at("v2/sys/fs/cgroup/c-tools/b"));
	tap_put(at("v2/sys/fs/cgroup/c-tools/b/memory.swap.max"), "max\n");
	b = create("/c-tools/b",
		   "{\"memory\": {\"limit\": 67108864, \"swap\": 100663296},"
		   " \"cpu\": {\"quota\": -1, \"period\": 200000}, \"pids\": {\"limit\": 0}}",
		   &e);
	c_err_free(&e);
	dir = b ? c_cgroup_dir(b, NULL) : NULL;
	ok(b && file_is(dir, "memory.swap.max", "33554432"), "v2: memory.swap.max is swap - limit");
	ok(b && file_is(dir, "cpu.max", "max 200000") && file_is(dir, "pids.max", "max"),
	   "v2: quota -1 is \"max PERIOD\", pids limit 0 is \"max\"");
	cg = create("/c-tools/c",
		    "{\"memory\": {\"limit\": -1}, \"cpu\": {\"period\": 50000}}", &e);
	c_err_free(&e);
	ok(cg && file_is(c_cgroup_dir(cg, NULL), "memory.max", "max") &&
	       file_is(c_cgroup_dir(cg, NULL), "cpu.max", "max 50000"),
	   "v2: limit -1 is \"max\"; a period alone is \"max PERIOD\"");
	if (cg) {
		drop_files(c_cgroup_dir(cg, NULL));
		c_cgroup_destroy(cg, NULL);
		c_cgroup_free(cg);
	}

	/* shares → weight, values from runc's and youki's (22000 → 1204) tests
	 * and the formula */
	{
		static const struct {
			long long shares;
			const char *weight;
		} w[] = {
			{ 1, "1" },	     { 2, "1" },	   { 3, "2" },
			{ 10, "4" },	     { 100, "17" },	   { 512, "59" },
			{ 1024, "100" },     { 2048, "174" },	   { 5000, "356" },
			{ 22000, "1204" },   { 100000, "4340" },   { 262143, "10000" },
			{ 262144, "10000" }, { 1000000, "10000" },
		};
		bool all = true;

		for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
			char res[64], path[32];

			snprintf(res, sizeof res, "{\"cpu\": {\"shares\": %lld}}", w[i].shares);
			snprintf(path, sizeof path, "/weights/%lld", w[i].shares);
			cg = create(path, res, &e);
			c_err_free(&e);
			if (!cg || !file_is(c_cgroup_dir(cg, NULL), "cpu.weight", w[i].weight))
				all = false;
			if (cg) {
				drop_files(c_cgroup_dir(cg, NULL));
				c_cgroup_destroy(cg, NULL);
				c_cgroup_free(cg);
			}
		}
		ok(all, "v2: cpu.weight from cpu.shares for %zu values, 2..262144 clamped",
		   sizeof w / sizeof w[0]);
	}

	/* relative to our own cgroup */
	cg = create("rel/x", NULL, &e);
	c_err_free(&e);
	ok(cg &&
	       !strcmp(c_cgroup_dir(cg, "cpu"),
		       at("v2/sys/fs/cgroup/user.slice/session-1.scope/rel/x")) &&
	       file_is(at("v2/sys/fs/cgroup/user.slice"), "cgroup.subtree_control",
		       "+cpuset +cpu +memory +pids"),
	   "v2: a relative path is below our own cgroup, enabled from the root down");
	if (cg) {
		drop_files(at("v2/sys/fs/cgroup/user.slice/session-1.scope/rel"));
		ok(c_cgroup_destroy(cg, NULL) == 0 &&
		       gone(at("v2/sys/fs/cgroup/user.slice/session-1.scope/rel")) &&
		       exists(at("v2/sys/fs/cgroup/user.slice/session-1.scope")),
		   "v2: destroy removes the relative path's dirs, not our own cgroup");
		c_cgroup_free(cg);
	}

	/* enter, join, OOM count */
	dir = c_cgroup_dir(a, NULL);
	ok(c_cgroup_enter(a, 9000001, &e) == 0 && file_is(dir, "cgroup.procs", "9000001"),
	   "v2: enter writes the pid to cgroup.procs");
	c_err_free(&e);
	tap_put(at("v2/proc/4321/cgroup"), "0::/c-tools/b\n");
	ok(c_cgroup_join(4321, 0, &e) == 0 && file_is(c_cgroup_dir(b, NULL), "cgroup.procs", "0"),
	   "v2: join writes 0 (the caller) to the cgroup /proc/PID/cgroup names");
	c_err_free(&e);
	ok(c_cgroup_join(999999, 0, &e) < 0 && tap_err_has(&e, "/999999/cgroup"),
	   "v2: join of a process that is not there names its cgroup file");
	tap_put(at("v2/sys/fs/cgroup/c-tools/a/memory.events"),
	    "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\noom_group_kill 0\n");
	status = c_cgroup_oom_kills(a, &kills, &e);
	ok(status == 0 && kills == 2, "v2: OOM kills from memory.events (%llu)", kills);
	c_err_free(&e);

	/* kill: any signal but SIGKILL goes through cgroup.procs, also below */
	{
		struct kid k = spawn(wait_pause);
		char pid[24];

		mkdirs(at("v2/sys/fs/cgroup/c-tools/a/sub"));
		snprintf(pid, sizeof pid, "%d\n", (int)k.pid);
		tap_put(at("v2/sys/fs/cgroup/c-tools/a/sub/cgroup.procs"), pid);
		tap_put(at("v2/sys/fs/cgroup/c-tools/a/cgroup.procs"), "");
		tap_put(at("v2/sys/fs/cgroup/c-tools/a/cgroup.kill"), "");
		ok(c_cgroup_kill(a, SIGTERM, &e) == 0 && waitpid(k.pid, &status, 0) == k.pid &&
		       WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM &&
		       file_is(dir, "cgroup.kill", ""),
		   "v2: kill TERM signals the processes of the cgroups below too");
		c_err_free(&e);
		ok(c_cgroup_kill(a, SIGKILL, &e) == 0 && file_is(dir, "cgroup.kill", "1"),
		   "v2: kill KILL writes cgroup.kill where the kernel has it");
		c_err_free(&e);
		close(k.go);
		close(k.out);
	}

	/* destroy: the dirs this handle made, deepest first; c-tools was made by
	 * a, so it goes with a once nothing else is in it */
	drop_files(at("v2/sys/fs/cgroup/c-tools"));
	ok(c_cgroup_destroy(a, &e) == 0 && gone(at("v2/sys/fs/cgroup/c-tools/a")) &&
	       exists(at("v2/sys/fs/cgroup/c-tools")),
	   "v2: destroy removes the leaf and what is below it; a parent still in use stays");
	c_err_free(&e);
	ok(c_cgroup_destroy(b, &e) == 0 && gone(at("v2/sys/fs/cgroup/c-tools/b")),
	   "v2: a joined cgroup is removed too");
	c_err_free(&e);
	ok(c_cgroup_destroy(a, &e) == 0 && gone(at("v2/sys/fs/cgroup/c-tools")) && exists(cgdir),
	   "v2: ... and a second destroy leaves nothing, the mount root stays");
	c_err_free(&e);
	c_cgroup_free(a);
	c_cgroup_free(b);

	/* failures leave nothing behind */
	tap_put(at("v2/sys/fs/cgroup/cgroup.controllers"), "cpu memory\n");
	cg = create("/c-tools/p/q", "{\"pids\": {\"limit\": 5}}", &e);
	ok(!cg && tap_err_has(&e, "controller pids not offered by") &&
	       gone(at("v2/sys/fs/cgroup/c-tools")),
	   "v2: pids asked for but not offered: an error, and no directory left");
	tap_put(at("v2/sys/fs/cgroup/cgroup.controllers"),
	    "cpuset cpu io memory hugetlb pids rdma misc\n");
	unlink(at("v2/sys/fs/cgroup/cgroup.subtree_control"));
	mkdirs(at("v2/sys/fs/cgroup/cgroup.subtree_control"));
	cg = create("/c-tools/p/q", "{\"pids\": {\"limit\": 5}}", &e);
	ok(!cg && e && e->errnum == EISDIR &&
	       tap_err_has(&e, "/sys/fs/cgroup/cgroup.subtree_control: \"+pids\": ") &&
	       gone(at("v2/sys/fs/cgroup/c-tools")),
	   "v2: a needed controller that is refused fails the create, naming it, with errno, "
	   "and removes the dirs it made");
	/* refused as EBUSY is when the root of a container's cgroup namespace
	 * holds its init: without a limit, a cgroup without controllers */
	cg = create("/c-tools/p/q", NULL, &e);
	if (!ok(cg && !strcmp(c_cgroup_dir(cg, NULL), at("v2/sys/fs/cgroup/c-tools/p/q")) &&
		    !exists(at("v2/sys/fs/cgroup/c-tools/cgroup.subtree_control")),
		"v2: controllers that are refused and not needed are left out, here and below"))
		c_err_print(e);
	c_err_free(&e);
	if (cg) {
		drop_files(c_cgroup_dir(cg, NULL));
		ok(c_cgroup_destroy(cg, NULL) == 0 && gone(at("v2/sys/fs/cgroup/c-tools")),
		   "v2: ... and destroy removes what it made");
		c_cgroup_free(cg);
	}
	rmdir(at("v2/sys/fs/cgroup/cgroup.subtree_control"));
}

/* ---- fake v1 (this machine's hybrid layout) ------------------------------ */

static const char *const v1_mounts[][2] = {
	/* mount point below sys/fs/cgroup (mountinfo has \040 for the space),
	 * super options */
	{ "cpu,cpuacct", "rw,cpu,cpuacct" },
	{ "cpuset", "rw,cpuset" },
	{ "mem ory", "rw,memory" },
	{ "devices", "rw,devices" },
	{ "freezer", "rw,freezer" },
	{ "blkio", "rw,blkio" },
	{ "pids", "rw,pids" },
	{ "systemd", "rw,xattr,name=systemd" },
};

static void fake_v1(void)
{
	char mountinfo[8192], line[PATH_MAX + 200], mem[PATH_MAX];
	c_err *e = NULL;
	enum c_cgroup_version v = 0;
	struct c_cgroup *h, *cg;
	unsigned long long kills = 0;
	const char *dir;
	int status;
	size_t n = 0;

	mkdirs(at("v1/proc/self"));
	mkdirs(at("v1/proc/77"));
	n += (size_t)snprintf(mountinfo + n, sizeof mountinfo - n,
			      "31 23 0:28 / %s rw,nosuid,nodev,noexec shared:9 - tmpfs tmpfs "
			      "ro,mode=755\n",
			      at("v1/sys/fs/cgroup"));
	for (size_t i = 0; i < sizeof v1_mounts / sizeof v1_mounts[0]; i++) {
		const char *space = strchr(v1_mounts[i][0], ' ');
		int len = space ? (int)(space - v1_mounts[i][0]) : (int)strlen(v1_mounts[i][0]);

		/* freezer shows a cgroup below its hierarchy's root, as in a
		 * container that has its own cgroups bind-mounted */
		snprintf(line, sizeof line,
			 "%zu 31 0:%zu %s %s/%.*s%s%s rw,nosuid,nodev,noexec,relatime shared:%zu - "
			 "cgroup cgroup %s\n",
			 32 + i, 29 + i, strcmp(v1_mounts[i][0], "freezer") ? "/" : "/frozen",
			 at("v1/sys/fs/cgroup"), len, v1_mounts[i][0], space ? "\\040" : "",
			 space ? space + 1 : "", 10 + i, v1_mounts[i][1]);
		n += (size_t)snprintf(mountinfo + n, sizeof mountinfo - n, "%s", line);
		mkdirs(at("v1/sys/fs/cgroup/%s", v1_mounts[i][0]));
	}
	snprintf(mountinfo + n, sizeof mountinfo - n,
		 "41 31 0:38 / %s rw,nosuid,nodev,noexec,relatime shared:20 - cgroup2 cgroup2 "
		 "rw,nsdelegate\n",
		 at("v1/sys/fs/cgroup/unified"));
	tap_put(at("v1/proc/self/mountinfo"), mountinfo);
	tap_put(at("v1/proc/self/cgroup"), "9:name=systemd:/user/1\n8:pids:/\n7:blkio:/\n"
				       "6:freezer:/frozen/me\n5:devices:/\n4:memory:/machine/m1\n"
				       "3:cpuset:/\n2:cpu,cpuacct:/\n0::/user/1\n");
	mkdirs(at("v1/sys/fs/cgroup/unified"));
	mkdirs(at("v1/sys/fs/cgroup/mem ory/machine/m1"));
	mkdirs(at("v1/sys/fs/cgroup/freezer/me"));
	tap_put(at("v1/sys/fs/cgroup/cpuset/cpuset.cpus"), "0-3\n");
	tap_put(at("v1/sys/fs/cgroup/cpuset/cpuset.mems"), "0\n");
	tap_put(at("v1/sys/fs/cgroup/unified/cgroup.controllers"), "hugetlb\n");
	snprintf(proc, sizeof proc, "%s", at("v1/proc"));
	c_cgroup_test_proc_root(proc);

	ok(c_cgroup_detect(&v, &e) == 0 && v == C_CGROUP_V1,
	   "hybrid: v1 controllers beside an empty cgroup2 mount is v1");
	c_err_free(&e);

	h = create("/c-tools/h",
		   "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, "
		   "\"disableOOMKiller\": true, \"swappiness\": 30, "
		   "\"kernelTCP\": 16777216},"
		   " \"cpu\": {\"shares\": 512, \"quota\": 25000, \"period\": 50000, \"cpus\": "
		   "\"1\"},"
		   " \"pids\": {\"limit\": 5},"
		   " \"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
		   "  {\"allow\": false, \"type\": \"c\", \"major\": 10, \"minor\": 200, "
		   "\"access\": \"rwm\"}]}",
		   &e);
	if (!ok(h != NULL, "hybrid: create /c-tools/h"))
		c_err_print(e);
	c_err_free(&e);
	if (!h)
		return;
	snprintf(mem, sizeof mem, "%s", at("v1/sys/fs/cgroup/mem ory/c-tools/h"));
	ok(c_cgroup_version(h) == C_CGROUP_V1 && !strcmp(c_cgroup_dir(h, "memory"), mem) &&
	       !strcmp(c_cgroup_dir(h, "freezer"), at("v1/sys/fs/cgroup/freezer/c-tools/h")) &&
	       !strcmp(c_cgroup_dir(h, "cpu"), at("v1/sys/fs/cgroup/cpu,cpuacct/c-tools/h")) &&
	       c_cgroup_dir(h, "cpuacct") == c_cgroup_dir(h, "cpu"),
	   "hybrid: a directory per hierarchy from its mount point, cpu and cpuacct "
	   "co-mounted, the escaped space undone");
	ok(!exists(at("v1/sys/fs/cgroup/unified/c-tools")) &&
	       !exists(at("v1/sys/fs/cgroup/systemd/c-tools")) &&
	       !exists(at("v1/sys/fs/cgroup/blkio/c-tools")),
	   "hybrid: nothing made in unified, name=systemd or hierarchies we do not use");
	ok(file_is(mem, "memory.limit_in_bytes", "67108864") &&
	       file_is(mem, "memory.soft_limit_in_bytes", "33554432") &&
	       file_is(mem, "memory.oom_control", "1") &&
	       file_is(mem, "memory.swappiness", "30") &&
	       file_is(mem, "memory.kmem.tcp.limit_in_bytes", "16777216"),
	   "v1: memory limit, soft limit, OOM killer off, swappiness, kernel TCP limit");
	cg = create("/c-tools/noswap", "{\"memory\": {\"limit\": 4194304, \"swap\": 8388608}}", &e);
	ok(!cg && tap_err_has(&e, "apply linux.resources.memory.swap: this kernel keeps no swap "
				  "accounting (no ") &&
		   !exists(at("v1/sys/fs/cgroup/mem ory/c-tools/noswap")),
	   "v1: no memory.memsw.limit_in_bytes: a swap limit is refused, leaving no cgroup");
	dir = c_cgroup_dir(h, "cpu");
	ok(file_is(dir, "cpu.shares", "512") && file_is(dir, "cpu.cfs_period_us", "50000") &&
	       file_is(dir, "cpu.cfs_quota_us", "25000"),
	   "v1: cpu.shares and the CFS period and quota, unconverted");
	ok(file_is(at("v1/sys/fs/cgroup/cpuset/c-tools"), "cpuset.cpus", "0-3") &&
	       file_is(at("v1/sys/fs/cgroup/cpuset/c-tools"), "cpuset.mems", "0") &&
	       file_is(c_cgroup_dir(h, "cpuset"), "cpuset.cpus", "1") &&
	       file_is(c_cgroup_dir(h, "cpuset"), "cpuset.mems", "0"),
	   "v1: new cpusets get their parent's cpus and mems; the spec's cpus win");
	ok(file_is(c_cgroup_dir(h, "pids"), "pids.max", "5") &&
	       file_is(c_cgroup_dir(h, "devices"), "devices.deny", "c 10:200 rwm") &&
	       file_is(c_cgroup_dir(h, "devices"), "devices.allow", "c 136:* rwm"),
	   "v1: pids.max; the spec's device rules, then the defaults last");

	cg = create("rel", NULL, &e);
	c_err_free(&e);
	ok(cg &&
	       !strcmp(c_cgroup_dir(cg, "memory"), at("v1/sys/fs/cgroup/mem ory/machine/m1/rel")) &&
	       !strcmp(c_cgroup_dir(cg, "pids"), at("v1/sys/fs/cgroup/pids/rel")) &&
	       !strcmp(c_cgroup_dir(cg, "freezer"), at("v1/sys/fs/cgroup/freezer/me/rel")) &&
	       file_is(c_cgroup_dir(cg, "cpuset"), "cpuset.cpus", "0-3"),
	   "v1: a relative path is below our own cgroup in each hierarchy, seen through "
	   "each mount's root");
	if (cg) {
		for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
			drop_files(c_cgroup_dir(cg, used[i]));
		ok(c_cgroup_destroy(cg, NULL) == 0 &&
		       gone(at("v1/sys/fs/cgroup/mem ory/machine/m1/rel")) &&
		       exists(at("v1/sys/fs/cgroup/mem ory/machine/m1")) &&
		       gone(at("v1/sys/fs/cgroup/pids/rel")),
		   "v1: destroy of a relative path");
		c_cgroup_free(cg);
	}

	ok(c_cgroup_enter(h, 9000001, &e) == 0 && file_is(mem, "cgroup.procs", "9000001") &&
	       file_is(c_cgroup_dir(h, "freezer"), "cgroup.procs", "9000001") &&
	       file_is(c_cgroup_dir(h, "cpu"), "cgroup.procs", "9000001"),
	   "v1: enter writes the pid in every hierarchy");
	c_err_free(&e);
	tap_put(at("v1/proc/77/cgroup"), "9:name=systemd:/other\n8:pids:/c-tools/h\n"
				     "6:freezer:/frozen/c-tools/h\n4:memory:/c-tools/h\n"
				     "2:cpu,cpuacct:/c-tools/h\n0::/other\n");
	mkdirs(at("v1/sys/fs/cgroup/systemd/other"));
	mkdirs(at("v1/sys/fs/cgroup/unified/other"));
	ok(c_cgroup_join(77, 9000002, &e) == 0 && file_is(mem, "cgroup.procs", "9000002") &&
	       file_is(c_cgroup_dir(h, "pids"), "cgroup.procs", "9000002") &&
	       file_is(c_cgroup_dir(h, "cpu"), "cgroup.procs", "9000002") &&
	       file_is(c_cgroup_dir(h, "freezer"), "cgroup.procs", "9000002") &&
	       file_is(c_cgroup_dir(h, "devices"), "cgroup.procs", "9000001") &&
	       !exists(at("v1/sys/fs/cgroup/systemd/other/cgroup.procs")) &&
	       !exists(at("v1/sys/fs/cgroup/unified/other/cgroup.procs")),
	   "v1: join follows /proc/PID/cgroup in the hierarchies we use, only those");
	c_err_free(&e);
	tap_put(at("v1/sys/fs/cgroup/mem ory/c-tools/h/memory.oom_control"),
	    "oom_kill_disable 1\nunder_oom 0\noom_kill 7\n");
	status = c_cgroup_oom_kills(h, &kills, &e);
	ok(status == 0 && kills == 7, "v1: OOM kills from memory.oom_control (%llu)", kills);
	c_err_free(&e);

	{
		struct kid k = spawn(wait_pause);
		char pid[24];

		/* nothing but the child: the fake pids above are nobody's to kill */
		for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
			put_in(c_cgroup_dir(h, used[i]), "cgroup.procs", "");
		snprintf(pid, sizeof pid, "%d\n", (int)k.pid);
		tap_put(at("v1/sys/fs/cgroup/pids/c-tools/h/cgroup.procs"), pid);
		ok(c_cgroup_kill(h, SIGKILL, &e) == 0 && waitpid(k.pid, &status, 0) == k.pid &&
		       WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		       file_is(c_cgroup_dir(h, "freezer"), "freezer.state", "THAWED"),
		   "v1: kill freezes, kills what cgroup.procs lists, thaws");
		c_err_free(&e);
		close(k.go);
		close(k.out);
	}

	for (size_t i = 0; i < sizeof v1_mounts / sizeof v1_mounts[0]; i++)
		drop_files(at("v1/sys/fs/cgroup/%s/c-tools", v1_mounts[i][0]));
	ok(c_cgroup_destroy(h, &e) == 0 && gone(at("v1/sys/fs/cgroup/mem ory/c-tools")) &&
	       gone(at("v1/sys/fs/cgroup/cpu,cpuacct/c-tools")) &&
	       gone(at("v1/sys/fs/cgroup/freezer/c-tools")),
	   "v1: destroy removes the dirs it made in every hierarchy");
	c_err_free(&e);
	c_cgroup_free(h);

	/* open: from the path alone */
	mkdirs(at("v1/sys/fs/cgroup/pids/c-tools/o"));
	mkdirs(at("v1/sys/fs/cgroup/mem ory/c-tools/o"));
	cg = c_cgroup_open("/c-tools/o", &e);
	ok(cg && c_cgroup_dir(cg, "pids") && c_cgroup_dir(cg, "memory") && !c_cgroup_dir(cg, "cpu"),
	   "v1: open finds the cgroup where it is, leaves out where it is not");
	c_err_free(&e);
	ok(cg && c_cgroup_destroy(cg, &e) == 0 && gone(at("v1/sys/fs/cgroup/pids/c-tools/o")) &&
	       exists(at("v1/sys/fs/cgroup/pids/c-tools")),
	   "v1: an opened cgroup's destroy removes the leaf, not the shared parent");
	c_err_free(&e);
	c_cgroup_free(cg);
	cg = c_cgroup_open("/c-tools/o", &e);
	ok(!cg && e && e->status == C_EXIT_NOTFOUND && tap_err_has(&e, "/c-tools/o"),
	   "v1: open of a cgroup that is nowhere: not found");
}

/* ---- bad input ----------------------------------------------------------- */

/* ---- v1 without a devices controller --------------------------------------- */

static void fake_v1_without_devices(void)
{
	char mountinfo[2 * PATH_MAX + 256];
	struct c_cgroup *cg;
	c_err *e = NULL;

	mkdirs(at("nodev/proc/self"));
	mkdirs(at("nodev/sys/fs/cgroup/pids"));
	snprintf(mountinfo, sizeof mountinfo,
		 "31 23 0:28 / %s rw shared:9 - tmpfs tmpfs ro,mode=755\n"
		 "32 31 0:29 / %s rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
		 "rw,pids\n",
		 at("nodev/sys/fs/cgroup"), at("nodev/sys/fs/cgroup/pids"));
	tap_put(at("nodev/proc/self/mountinfo"), mountinfo);
	tap_put(at("nodev/proc/self/cgroup"), "1:pids:/\n");
	snprintf(proc, sizeof proc, "%s", at("nodev/proc"));
	c_cgroup_test_proc_root(proc);

	cg = create("/c-tools/x", "{\"pids\": {\"limit\": 5}}", &e);
	ok(!cg && e && e->status == C_EXIT_FAIL &&
		   tap_err_has(&e, "cgroup /c-tools/x: apply linux.resources.devices: no devices "
				   "cgroup controller mounted, so no device rule would be enforced") &&
		   !exists(at("nodev/sys/fs/cgroup/pids/c-tools")),
	   "v1 without a devices controller: a container is refused, not left with every device");
	c_err_free(&e);
	cg = create("/c-tools/x", "{\"devices\": [{\"allow\": true, \"access\": \"rwm\"}]}", &e);
	ok(cg != NULL, "v1 without a devices controller: rules that allow every device need none");
	c_err_free(&e);
	if (cg) {
		drop_files(c_cgroup_dir(cg, "pids"));
		c_cgroup_destroy(cg, NULL);
		c_cgroup_free(cg);
	}
}

static void bad_input(void)
{
	static const struct {
		const char *path, *res, *error;
	} cases[] = {
		{ "/c-tools/bad", "{\"memory\": {\"limit\": \"64m\"}}",
		  "field linux.resources.memory.limit: expected integer, got string" },
		{ "/c-tools/bad", "{\"memory\": {\"limit\": -2}}",
		  "field linux.resources.memory.limit: -2: expected bytes, or -1" },
		{ "/c-tools/bad", "{\"memory\": {\"limit\": 4194304, \"swap\": 1048576}}",
		  "field linux.resources.memory.swap: 1048576: below memory.limit 4194304" },
		{ "/c-tools/bad", "{\"memory\": {\"swap\": 1048576}}",
		  "field linux.resources.memory.swap: 1048576: needs memory.limit" },
		{ "/c-tools/bad", "{\"cpu\": {\"quota\": -5}}",
		  "field linux.resources.cpu.quota: -5: expected microseconds" },
		{ "/c-tools/bad", "{\"cpu\": {\"shares\": -1}}", "cpu.shares: -1" },
		{ "/c-tools/bad", "{\"cpu\": {\"cpus\": 3}}",
		  "field linux.resources.cpu.cpus: expected string, got integer" },
		{ "/c-tools/bad", "{\"pids\": {}}", "field linux.resources.pids.limit: missing" },
		{ "/c-tools/bad", "{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
		  "field linux.resources.devices[0].type: \"x\": expected a, b or c" },
		{ "/c-tools/bad", "{\"devices\": [{\"type\": \"c\"}]}",
		  "field linux.resources.devices[0].allow: missing" },
		{ "/c-tools/bad", "{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
		  "devices[0].access: \"rwx\"" },
		{ "/c-tools/bad", "[]", "field linux.resources: expected object, got array" },
		{ "/c-tools/bad", "{\"memory\": {\"swappiness\": 101}}",
		  "field linux.resources.memory.swappiness: 101: expected 0 to 100" },
		{ "/c-tools/bad", "{\"blockIO\": {\"weight\": 10}}",
		  "field linux.resources.blockIO: not supported by c-run" },
		{ "/c-tools/bad", "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1}]}",
		  "field linux.resources.hugepageLimits: not supported by c-run" },
		{ "/c-tools/bad", "{\"cpu\": {\"realtimeRuntime\": 10}}",
		  "field linux.resources.cpu.realtimeRuntime: not supported by c-run" },
		{ "/c-tools/../etc", NULL, "\"..\" are not allowed" },
		{ "./x", NULL, "\"..\" are not allowed" },
		{ "system.slice:c-tools:x", NULL, "slice:prefix:name form is not supported" },
		{ "/", NULL, "the root cgroup cannot be a container's" },
		{ "//", NULL, "the root cgroup cannot be a container's" },
		{ "", NULL, "cgroupsPath: empty" },
	};
	bool all = true;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c_err *e = NULL;
		struct c_cgroup *cg = create(cases[i].path, cases[i].res, &e);
		int status = e ? e->status : 0;

		if (cg || status != C_EXIT_DATA || !tap_err_has(&e, cases[i].error)) {
			tap_diag("case %zu: %s %s", i, cases[i].path,
				 cases[i].res ? cases[i].res : "");
			all = false;
		}
		c_cgroup_free(cg);
	}
	ok(all, "bad paths and resources are refused (C_EXIT_DATA, naming the field)");
	ok(gone(at("v1/sys/fs/cgroup/pids/c-tools/bad")) && gone(at("v1/sys/fs/cgroup/etc")),
	   "... before any directory is made");
}

/* ---- real hierarchies ---------------------------------------------------- */

static char prefix[64];

static struct c_cgroup *real_create(const char *name, const char *res)
{
	char path[128];
	c_err *e = NULL;
	struct c_cgroup *cg;

	snprintf(path, sizeof path, "%s/%s", prefix, name);
	cg = create(path, res, &e);
	if (!cg) {
		tap_diag("create %s:", path);
		c_err_print(e);
	}
	c_err_free(&e);
	return cg;
}

/* Move the kid in, as c-run moves the container's process right before it
 * execs, and let it run. */
static int run_in(struct c_cgroup *cg, struct kid *k, char *out, size_t size)
{
	c_err *e = NULL;

	if (c_cgroup_enter(cg, k->pid, &e) < 0) {
		c_err_print(e);
		c_err_free(&e);
	}
	return finish(k, out, size);
}

static void fork_then_echo(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	printf("fork: %s\n", pid < 0 && errno == EAGAIN ? "EAGAIN" : "worked");
	fflush(stdout);
	execl("/bin/echo", "echo", "ok", (char *)NULL);
	_exit(127);
}

static void echo_ok(void)
{
	execl("/bin/echo", "echo", "ok", (char *)NULL);
	_exit(127);
}

static void touch_64m(void)
{
	size_t size = 64 << 20;
	volatile char *p =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(2);
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	_exit(0);
}

static void sleep_with_grandchild(void)
{
	if (fork() < 0)
		_exit(2);
	execl("/bin/sleep", "sleep", "60", (char *)NULL);
	_exit(127);
}

static void devices_probe(void)
{
	const char *node = at("mem");
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	printf("null: %s\n", fd >= 0 ? "open" : strerror(errno));
	if (mknod(node, S_IFCHR | 0600, makedev(1, 1)) < 0) {
		printf("mknod: %s\n", strerror(errno));
		return;
	}
	fd = open(node, O_RDONLY | O_CLOEXEC);
	printf("mknod: ok, open 1:1: %s\n", fd >= 0 ? "open" : strerror(errno));
	unlink(node);
}

/* How many pids a cgroup.procs lists. */
static int count_procs(const char *dir)
{
	char path[PATH_MAX];
	const char *text;
	int n = 0;

	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	text = slurp(path);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n++;
	return n;
}

static bool lists_pid(const char *dir, pid_t pid)
{
	char path[PATH_MAX], want[24];
	const char *text;

	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	snprintf(want, sizeof want, "%d", (int)pid);
	text = slurp(path);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, want, strlen(want)) &&
		    (p[strlen(want)] == '\n' || !p[strlen(want)]))
			return true;
	return false;
}

static void destroy(struct c_cgroup *cg)
{
	c_err *e = NULL;

	if (cg && c_cgroup_destroy(cg, &e) < 0) {
		c_err_print(e);
		c_err_free(&e);
	}
	c_cgroup_free(cg);
}

static void real(void)
{
	struct c_cgroup *anchor, *cg;
	enum c_cgroup_version v;
	unsigned long long kills = 99;
	char out[256], dirs[8][PATH_MAX];
	const char *d;
	c_err *e = NULL;
	struct kid k;
	int status;
	size_t nd = 0;

	c_cgroup_test_proc_root(NULL);
	if (geteuid() != 0) {
		tap_skip("real cgroups", "not root");
		return;
	}
	if (c_cgroup_detect(&v, &e) < 0) {
		c_err_free(&e);
		tap_skip("real cgroups", "no cgroup mounted");
		return;
	}
	/* v1: below our own cgroups, where the session's limits hold; v2 forbids
	 * that (no internal processes), so from the root */
	snprintf(prefix, sizeof prefix, "%sc-tools-test-%d", v == C_CGROUP_V2 ? "/" : "",
		 (int)getpid());
	/* made first, destroyed last: it made the prefix directory */
	anchor = real_create("anchor", NULL);
	if (!ok(anchor != NULL, "real: create %s/anchor", prefix))
		return;
	if (!c_cgroup_dir(anchor, "memory") || !c_cgroup_dir(anchor, "pids")) {
		tap_skip("real cgroups", "no memory or pids controller");
		destroy(anchor);
		return;
	}
	for (size_t i = 0; i < sizeof used / sizeof used[0]; i++) {
		d = c_cgroup_dir(anchor, used[i]);
		if (d && nd < 8)
			snprintf(dirs[nd++], PATH_MAX, "%s", d);
	}

	/* pids.max 1: the process moved in last can still exec, not fork */
	cg = real_create("pids", "{\"pids\": {\"limit\": 1}}");
	k = spawn(fork_then_echo);
	status = cg ? run_in(cg, &k, out, sizeof out) : -1;
	if (!ok(cg && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    !strcmp(out, "fork: EAGAIN|ok|") &&
		    file_is(c_cgroup_dir(cg, "pids"), "pids.max", "1"),
		"real: under pids.max 1 a child runs echo, but its fork fails with EAGAIN"))
		tap_diag("its output: %s", out);
	destroy(cg);

	/* 4M of memory: a small command still runs; 64M gets the OOM killer */
	cg = real_create("small", "{\"memory\": {\"limit\": 4194304, \"swap\": 4194304}}");
	k = spawn(echo_ok);
	status = cg ? run_in(cg, &k, out, sizeof out) : -1;
	if (!ok(cg && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !strcmp(out, "ok|"),
		"real: under 4M of memory echo runs (status %#x)", status))
		tap_diag("its output: %s", out);
	destroy(cg);
	cg = real_create("oom", "{\"memory\": {\"limit\": 4194304, \"swap\": 4194304}}");
	ok(cg && c_cgroup_oom_kills(cg, &kills, &e) == 0 && kills == 0,
	   "real: no OOM kill to begin with");
	c_err_free(&e);
	k = spawn(touch_64m);
	status = cg ? run_in(cg, &k, out, sizeof out) : -1;
	ok(cg && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "real: a child touching 64M under 4M is killed by SIGKILL (status %#x)", status);
	kills = 0;
	if (cg && c_cgroup_oom_kills(cg, &kills, &e) < 0)
		c_err_print(e);
	ok(kills >= 1, "real: and the OOM kill is counted (%llu)", kills);
	c_err_free(&e);
	destroy(cg);

	/* values read back, device rules at work */
	cg = real_create("values",
			 "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": "
			 "134217728},"
			 " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, "
			 "\"cpus\": \"0\", \"mems\": \"0\"},"
			 " \"pids\": {\"limit\": 10},"
			 " \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}");
	if (cg && v == C_CGROUP_V1) {
		const char *mem = c_cgroup_dir(cg, "memory"), *cpu = c_cgroup_dir(cg, "cpu");
		const char *cpuset = c_cgroup_dir(cg, "cpuset"), *dev = c_cgroup_dir(cg, "devices");
		char path[PATH_MAX];
		const char *list;

		ok(file_is(mem, "memory.limit_in_bytes", "67108864") &&
		       file_is(mem, "memory.soft_limit_in_bytes", "33554432") &&
		       file_is(mem, "memory.memsw.limit_in_bytes", "134217728"),
		   "real v1: memory limits read back");
		ok(cpu && file_is(cpu, "cpu.shares", "512") &&
		       file_is(cpu, "cpu.cfs_quota_us", "50000") &&
		       file_is(cpu, "cpu.cfs_period_us", "100000"),
		   "real v1: cpu values read back");
		ok(cpuset && file_is(cpuset, "cpuset.cpus", "0") &&
		       file_is(cpuset, "cpuset.mems", "0") &&
		       file_is(c_cgroup_dir(cg, "pids"), "pids.max", "10"),
		   "real v1: cpuset and pids values read back");
		snprintf(path, sizeof path, "%s/devices.list", dev ? dev : "");
		list = dev ? slurp(path) : NULL;
		ok(list && strstr(list, "c 1:3 rwm") && strstr(list, "c 136:* rwm") &&
		       strstr(list, "c *:* m") && !strstr(list, "a *:* rwm"),
		   "real v1: devices.list is the default allow list");
		k = spawn(devices_probe);
		status = run_in(cg, &k, out, sizeof out);
		if (!ok(WIFEXITED(status) &&
			    !strcmp(out,
				    "null: open|mknod: ok, open 1:1: Operation not permitted|"),
			"real v1: /dev/null opens, a 1:1 node can be made but not opened"))
			tap_diag("its output: %s", out);
	} else if (cg) {
		tap_skip("real v1 values", "v2 machine");
	}
	destroy(cg);

	/* kill and destroy from another handle, opened from the path alone */
	cg = real_create("kill", NULL);
	k = spawn(sleep_with_grandchild);
	close(k.out);
	if (cg && c_cgroup_enter(cg, k.pid, &e) == 0) {
		char path[128];
		struct c_cgroup *again;

		if (write(k.go, "g", 1) != 1)
			tap_bail("write", "go pipe");
		for (int i = 0; i < 500 && count_procs(c_cgroup_dir(cg, "pids")) < 2; i++)
			usleep(10000);
		ok(count_procs(c_cgroup_dir(cg, "pids")) == 2,
		   "real: a child and its grandchild are in the cgroup");
		snprintf(path, sizeof path, "%s/kill", prefix);
		again = c_cgroup_open(path, &e);
		ok(again && c_cgroup_kill(again, SIGKILL, &e) == 0 &&
		       waitpid(k.pid, &status, 0) == k.pid && WIFSIGNALED(status) &&
		       WTERMSIG(status) == SIGKILL,
		   "real: kill through a reopened handle kills the sleeping child");
		c_err_free(&e);
		ok(again && c_cgroup_destroy(again, &e) == 0 && gone(c_cgroup_dir(cg, "pids")) &&
		       gone(c_cgroup_dir(cg, "memory")),
		   "real: ... and the grandchild: destroy finds the cgroup empty and removes it");
		c_err_free(&e);
		c_cgroup_free(again);
	} else {
		c_err_print(e);
		c_err_free(&e);
		kill(k.pid, SIGKILL);
		waitpid(k.pid, NULL, 0);
		ok(0, "real: enter the kill test's child");
	}
	close(k.go);
	destroy(cg);

	/* join: a second child goes where the first one is */
	cg = real_create("join", NULL);
	if (cg) {
		struct kid first = spawn(wait_pause), second = spawn(wait_pause);

		close(first.out);
		close(second.out);
		ok(c_cgroup_enter(cg, first.pid, &e) == 0 &&
		       c_cgroup_join(first.pid, second.pid, &e) == 0 &&
		       lists_pid(c_cgroup_dir(cg, "memory"), second.pid) &&
		       lists_pid(c_cgroup_dir(cg, "pids"), second.pid) &&
		       lists_pid(c_cgroup_dir(cg, "freezer"), second.pid),
		   "real: join moves a process into another's cgroups");
		c_err_free(&e);
		ok(c_cgroup_kill(cg, SIGKILL, &e) == 0 && waitpid(first.pid, &status, 0) > 0 &&
		       WIFSIGNALED(status) && waitpid(second.pid, &status, 0) > 0 &&
		       WIFSIGNALED(status),
		   "real: kill gets both");
		c_err_free(&e);
		close(first.go);
		close(second.go);
	}
	destroy(cg);

	/* a value the kernel refuses: the file and value named, nothing left */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof path, "%s/refused", prefix);
		cg = create(path, "{\"cpu\": {\"cpus\": \"4095\"}}", &e);
		ok(!cg && tap_err_has(&e, "/refused/cpuset.cpus: \"4095\": "),
		   "real: cpus 4095 is refused, the error names the file and the value");
		snprintf(path, sizeof path, "%s", c_cgroup_dir(anchor, "cpuset"));
		snprintf(strrchr(path, '/'), sizeof path - (size_t)(strrchr(path, '/') - path),
			 "/refused");
		ok(gone(path), "real: no directory is left behind (%s)", path);
		c_cgroup_free(cg);
	}

	/* the anchor made the prefix dir: destroying it last removes everything */
	destroy(anchor);
	{
		bool all = nd > 0;

		for (size_t i = 0; i < nd; i++) {
			char *slash = strrchr(dirs[i], '/');

			all &= gone(dirs[i]);
			*slash = '\0';
			all &= gone(dirs[i]);
		}
		ok(all, "real: destroy removed every directory, %zu hierarchies", nd);
	}
}

int main(void)
{
	snprintf(top, sizeof top, "%s/test-cgroup.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
		tap_bail("mkdtemp", top);
	fake_v2();
	fake_v1();
	fake_v1_without_devices();
	bad_input();
	real();
	tap_remove_tree(top);
	return tap_done();
}
