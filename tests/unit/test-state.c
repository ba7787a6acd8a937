/* lib/state: c-run's container records under a state root of the test's own
 * — ids and names checked, records added (under the root's lock, raced by
 * several processes), saved and read back field by field, found by id,
 * prefix or name, listed past records that are being made or are corrupt,
 * removed; writes that fail halfway (a file size limit in a forked child)
 * leave the old record or none; the live status and the process helpers
 * against children of the test. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "json.h"
#include "lock.h"
#include "proc.h"
#include "state.h"
#include "tap.h"

static char tmp[] = "/tmp/c-tools-state-XXXXXX";
static char root[PATH_MAX];

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int status_of(c_err **e)
{
	int st = *e ? (*e)->status : 0;

	c_err_free(e);
	return st;
}

/* A record to add: id and name given, the rest as c-run fills it before
 * the process exists. */
static struct c_state record(const char *id, const char *name)
{
	return (struct c_state){ .id = (char *)id,
				 .name = (char *)name,
				 .bundle = "/b",
				 .stop_timeout = -1,
				 .exit_code = -1 };
}

/* Free what c_state_add() gave a record made by record(), whose other
 * strings are the caller's. */
static void forget(struct c_state *s)
{
	free(s->dir);
	free(s->run_dir);
	free(s->boot_id);
	s->dir = s->run_dir = s->boot_id = NULL;
}

/* Add a record, then forget it. */
static int add(const char *id, const char *name, c_err **e)
{
	struct c_state s = record(id, name);
	int rc = c_state_add(root, &s, e);

	forget(&s);
	return rc;
}

static void test_ids(void)
{
	static const char *const bad[] = { "-a", ".a", "_a", "a/b", "a b", "..", "a:b", "\xc3\xa9" };
	char long_id[C_STATE_ID_MAX + 2];
	c_err *e = NULL;
	int refused = 0;

	memset(long_id, 'a', sizeof long_id - 1);
	long_id[C_STATE_ID_MAX + 1] = '\0';
	ok(c_state_check_id("a", "id", &e) == 0 && c_state_check_id("A0_.-z9", "id", &e) == 0,
	   "ids: a letter or digit, then letters, digits, _ . -");
	long_id[C_STATE_ID_MAX] = '\0';
	ok(c_state_check_id(long_id, "id", &e) == 0, "ids: %d characters are fine", C_STATE_ID_MAX);
	long_id[C_STATE_ID_MAX] = 'a';
	ok(c_state_check_id(long_id, "id", &e) < 0 && e && e->status == C_EXIT_USAGE &&
		   tap_err_has(&e, "must be 1 to 128 characters"),
	   "ids: %d characters are refused, the limit said", C_STATE_ID_MAX + 1);
	ok(c_state_check_id("", "name", &e) < 0 &&
		   tap_err_has(&e, "name \"\": must be 1 to 128 characters"),
	   "ids: an empty one is refused, named with what it is");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (c_state_check_id(bad[i], "name", &e) < 0 && e->status == C_EXIT_USAGE)
			refused++;
		else
			tap_diag("accepted: %s", bad[i]);
		c_err_free(&e);
	}
	ok(refused == (int)(sizeof bad / sizeof *bad),
	   "ids: a leading . - _, a slash, a space, a colon or a non-ASCII letter is refused");
	ok(c_state_check_id("a/b", "name", &e) < 0 &&
		   tap_err_has(&e, "name \"a/b\": only [A-Za-z0-9][A-Za-z0-9_.-]* allowed"),
	   "ids: the error names the id and the rule");
}

static void test_default_roots(void)
{
	char *r;

	setenv("XDG_RUNTIME_DIR", "/x/run", 1);
	r = c_state_oci_root();
	if (geteuid() == 0)
		ok(r && !strcmp(r, "/run/c-run"), "OCI root as root: /run/c-run (got %s)",
		   r ? r : "NULL");
	else
		ok(r && !strcmp(r, "/x/run/c-run"),
		   "OCI root as a user: $XDG_RUNTIME_DIR/c-run (got %s)", r ? r : "NULL");
	free(r);
	unsetenv("XDG_RUNTIME_DIR");
	setenv("C_ROOT", "/some/store", 1);
	r = c_state_docker_root();
	ok(r && !strcmp(r, "/some/store/containers"),
	   "docker front's root: $C_ROOT/containers (got %s)", r ? r : "NULL");
	free(r);
	unsetenv("C_ROOT");
}

/* A record's runtime dir: the same for the same root and id, another for
 * another root, in /run/c-tools as root. */
static void test_run_dir(void)
{
	struct c_state a = record("rd", NULL), b = record("rd", NULL);
	char other[PATH_MAX + 8];
	c_err *e = NULL;

	snprintf(other, sizeof other, "%s-other", root);
	ok(c_state_add(root, &a, &e) == 0 && c_state_add(other, &b, &e) == 0 && a.run_dir &&
		   b.run_dir && strcmp(a.run_dir, b.run_dir) &&
		   !strcmp(strrchr(a.run_dir, '/'), "/rd") &&
		   (geteuid() != 0 || !strncmp(a.run_dir, "/run/c-tools/", 13)),
	   "run dir: RUN/HASH/ID, HASH the records root's (%s, %s)", a.run_dir ? a.run_dir : "-",
	   b.run_dir ? b.run_dir : "-");
	c_err_free(&e);
	if (a.dir)
		c_state_remove(root, &a, &e);
	if (b.dir)
		c_state_remove(other, &b, &e);
	c_err_free(&e);
	forget(&a);
	forget(&b);
	tap_remove_tree(other);
}

static void test_add(void)
{
	struct c_state s = record("first", "web"), t;
	char *path, list[256];
	c_err *e = NULL;

	ok(c_state_add(root, &s, &e) == 0 && s.dir && !strcmp(s.dir, tap_at(root, "first")),
	   "add: the root is made and the record's dir is ROOT/ID");
	if (e)
		tap_err_has(&e, "(success)");
	path = tap_at(root, "first/state.json");
	ok(mode_of(root) == 0700 && mode_of(tap_at(root, "first")) == 0700 && mode_of(path) == 0600,
	   "add: root and record 0700, state.json 0600 (%o %o %o)", mode_of(root),
	   mode_of(tap_at(root, "first")), mode_of(path));
	ok(exists(tap_at(root, ".lock")), "add: ROOT/.lock is the lock file");
	ok(tap_ls(tap_at(root, "first"), list, sizeof list) == 0 && !strcmp(list, "state.json "),
	   "add: state.json alone in the record, no temp file (%s)", list);
	forget(&s);

	s = record("second", "web");
	ok(c_state_add(root, &s, &e) < 0 && e && e->status == C_EXIT_FAIL && e->errnum == EEXIST &&
		   tap_err_has(&e, "container name web (first)"),
	   "add: a name taken is EEXIST naming the name and its container");
	ok(!s.dir && !exists(tap_at(root, "second")), "add: and no dir is made for it");

	s = record("first", "other");
	ok(c_state_add(root, &s, &e) < 0 && e && e->status == C_EXIT_FAIL && e->errnum == EEXIST &&
		   tap_err_has(&e, "container: first: File exists"),
	   "add: an id taken is EEXIST naming the id");
	ok(!s.dir && c_state_load(root, "first", &t, &e) == 0 && t.name && !strcmp(t.name, "web"),
	   "add: and the record there is untouched");
	c_state_clear(&t);
	c_err_free(&e);

	ok(add("noname1", NULL, &e) == 0 && add("noname2", NULL, &e) == 0,
	   "add: containers without a name do not clash");
	c_err_free(&e);
}

static void test_round_trip(void)
{
	struct c_state s = { .id = "full",
			     .bundle = "/bundles/full",
			     .name = "full-name",
			     .image = "busybox",
			     .cgroup = "/c-tools/full",
			     .created = "2024-01-01T00:00:00Z",
			     .finished = "2024-01-01T00:00:05Z",
			     .log = "/logs/full.log",
			     .pid = 4242,
			     .start_time = 123456789ULL,
			     .monitor = 4243,
			     .monitor_start = 987654321ULL,
			     .stop_signal = SIGINT,
			     .stop_timeout = 7,
			     .exit_code = 137,
			     .oom_killed = true,
			     .annotations = json_pack("{s:s}", "org.example.a", "b") },
			t, u;
	c_err *e = NULL;
	bool same;

	ok(c_state_add(root, &s, &e) == 0, "round trip: add a record with every field set");
	c_err_free(&e);
	ok(c_state_load(root, "full", &t, &e) == 0, "round trip: load it by id");
	c_err_free(&e);
	same = t.id && !strcmp(t.id, "full") && t.bundle && !strcmp(t.bundle, s.bundle) &&
	       t.name && !strcmp(t.name, s.name) && t.image && !strcmp(t.image, s.image) &&
	       t.cgroup && !strcmp(t.cgroup, s.cgroup) && t.created &&
	       !strcmp(t.created, s.created) && t.finished && !strcmp(t.finished, s.finished) &&
	       t.log && !strcmp(t.log, s.log) && t.dir && !strcmp(t.dir, s.dir);
	ok(same, "round trip: the strings come back, dir included");
	ok(t.pid == 4242 && t.start_time == 123456789ULL && t.monitor == 4243 &&
		   t.monitor_start == 987654321ULL && t.stop_signal == SIGINT &&
		   t.stop_timeout == 7 && t.exit_code == 137 && t.oom_killed,
	   "round trip: the numbers and oom_killed come back");
	ok(t.annotations && json_equal(t.annotations, s.annotations),
	   "round trip: the annotations come back");
	c_state_clear(&t);

	/* what c-run leaves unset reads back as unset */
	s.exit_code = -1;
	s.stop_timeout = -1;
	s.stop_signal = 0;
	s.monitor = 0;
	s.monitor_start = 0;
	s.finished = NULL;
	s.oom_killed = false;
	ok(c_state_save(&s, &e) == 0 && c_state_load(root, "full", &u, &e) == 0 &&
		   u.exit_code == -1 && u.stop_timeout == -1 && u.stop_signal == 0 &&
		   u.monitor == 0 && !u.finished && !u.oom_killed,
	   "round trip: unknown exit code, default timeout and signal, no end: as saved");
	c_err_free(&e);
	c_state_clear(&u);
	json_decref(s.annotations);
	forget(&s);
}

static void test_find(void)
{
	struct c_state t;
	c_err *e = NULL;

	ok(add("abc123", NULL, &e) == 0 && add("abd456", "abc", &e) == 0 &&
		   add("xyz789", "named", &e) == 0,
	   "find: add abc123, abd456 (named abc) and xyz789 (named named)");
	c_err_free(&e);
	ok(c_state_load(root, "xyz", &t, &e) == 0 && !strcmp(t.id, "xyz789"),
	   "find: a unique id prefix");
	c_state_clear(&t);
	ok(c_state_load(root, "named", &t, &e) == 0 && !strcmp(t.id, "xyz789"), "find: a name");
	c_state_clear(&t);
	ok(c_state_load(root, "abc", &t, &e) == 0 && !strcmp(t.id, "abd456"),
	   "find: a name before an id prefix it also is");
	c_state_clear(&t);
	ok(c_state_load(root, "ab", &t, &e) < 0 && e && e->status == C_EXIT_USAGE &&
		   tap_err_has(&e, "container ab: ambiguous"),
	   "find: a prefix of two ids is ambiguous, named");
	ok(c_state_load(root, "zz", &t, &e) < 0 && e && e->status == C_EXIT_NOTFOUND &&
		   tap_err_has(&e, "no such container: zz"),
	   "find: an unknown one is not found (exit 4), named");
	ok(c_state_load(tap_at(tmp, "no-root"), "abc123", &t, &e) < 0 &&
		   status_of(&e) == C_EXIT_NOTFOUND,
	   "find: in a root that does not exist, not found");
}

static size_t count_list(const char *id, size_t *total)
{
	struct c_state *list;
	size_t n, found = 0;
	c_err *e = NULL;

	*total = 0;
	if (c_state_list(root, &list, &n, &e) < 0) {
		tap_err_has(&e, "(success)");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		found += !strcmp(list[i].id, id);
	*total = n;
	c_state_list_free(list, n);
	return found;
}

static void test_list(void)
{
	struct c_state *list, t;
	size_t n, before, total;
	c_err *e = NULL;

	count_list("", &before);
	ok(before >= 7 && count_list("full", &total) == 1 && count_list("abc123", &total) == 1,
	   "list: every record once (%zu)", before);
	tap_mkdir(tap_at(root, "being-made"));
	tap_mkdir(tap_at(root, "corrupt"));
	tap_put(tap_at(root, "corrupt/state.json"), "{\"id\": \"corrupt\", \"c-tools\": {");
	tap_mkdir(tap_at(root, "noid"));
	tap_put(tap_at(root, "noid/state.json"), "{\"c-tools\": {\"name\": \"noid\"}}");
	ok(count_list("being-made", &total) == 0 && count_list("corrupt", &total) == 1 &&
		   count_list("noid", &total) == 1 && total == before + 2,
	   "list: a dir without state.json is left out; one cut short, or without an id, is listed");
	ok(c_state_load(root, "corrupt", &t, &e) == 0 && t.damaged &&
		   c_state_status(&t) == C_STATUS_STOPPED && !strcmp(t.id, "corrupt"),
	   "load: a corrupt record is found as a damaged, stopped container");
	c_state_clear(&t);
	c_err_free(&e);
	ok(add("corrupt", NULL, &e) < 0 && e && e->errnum == EEXIST &&
		   tap_err_has(&e, "container: corrupt: File exists"),
	   "add: the id of a corrupt record stays taken");
	ok(c_state_list(tap_at(tmp, "no-root"), &list, &n, &e) == 0 && n == 0 && !list,
	   "list: a root that does not exist has no containers");
	tap_put(tap_at(tmp, "a-file"), "x");
	ok(c_state_list(tap_at(tmp, "a-file"), &list, &n, &e) < 0 && e &&
		   e->status == C_EXIT_FAIL && tap_err_has(&e, "open state root: "),
	   "list: a root that is no directory is an error naming it");
	c_remove_tree(tap_at(root, "being-made"));
	c_remove_tree(tap_at(root, "corrupt"));
	c_remove_tree(tap_at(root, "noid"));
}

static void test_remove(void)
{
	struct c_state t;
	c_err *e = NULL;

	ok(c_state_load(root, "noname1", &t, &e) == 0, "remove: load noname1");
	tap_put(tap_at(t.dir, "config.json"), "{}");
	ok(c_state_remove(root, &t, &e) == 0 && !exists(t.dir),
	   "remove: the record's dir goes, with what is in it");
	c_state_clear(&t);
	ok(c_state_load(root, "noname1", &t, &e) < 0 && status_of(&e) == C_EXIT_NOTFOUND,
	   "remove: then it is not found");
	ok(add("noname1", NULL, &e) == 0, "remove: and its id is free again");
	c_err_free(&e);
}

/* ---- writes that fail halfway -------------------------------------------- */

struct after {
	TAP_STEP_REPORT;
	bool dir_set; /* s->dir after c_state_add */
};

static struct c_state *step_state;

/* The step under a file size limit of 0: every write of a byte fails. */
static void no_file_writes(void)
{
	struct rlimit zero = { 0, 0 };

	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &zero);
}

static int add_no_writes(const void *arg, c_err **e)
{
	no_file_writes();
	return c_state_add(root, step_state, e);
}

static int save_no_writes(const void *arg, c_err **e)
{
	no_file_writes();
	return c_state_save(step_state, e);
}

static void observe_dir(void *report)
{
	((struct after *)report)->dir_set = step_state->dir != NULL;
}

static void test_failed_writes(void)
{
	struct c_state s = record("halfway", "halfway"), t;
	char before[4096], list[256];
	struct after a;
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;

	step_state = &s;
	tap_step_in_child(add_no_writes, NULL, observe_dir, &a, sizeof a);
	ok(a.rc < 0 && strstr(a.err, "File too large"),
	   "add with no room for state.json fails (%s)", a.err);
	ok(!exists(tap_at(root, "halfway")) && c_state_load(root, "halfway", &t, &e) < 0 &&
		   status_of(&e) == C_EXIT_NOTFOUND,
	   "add: nothing of the record stays, its name is free");
	ok(a.rc < 0 && !a.dir_set, "add: s->dir is set on success only");

	ok(c_state_load(root, "full", &t, &e) == 0 &&
		   c_read_file(tap_at(t.dir, "state.json"), sizeof before - 1, &buf, &len, &e) == 0,
	   "save: read a record's state.json");
	snprintf(before, sizeof before, "%s", buf ? buf : "");
	free(buf);
	buf = NULL;
	free(t.name);
	t.name = strdup("renamed");
	step_state = &t;
	tap_step_in_child(save_no_writes, NULL, observe_dir, &a, sizeof a);
	ok(a.rc < 0 && strstr(a.err, "File too large") && strstr(a.err, "state.json"),
	   "save that cannot write fails naming the file (%s)", a.err);
	ok(c_read_file(tap_at(t.dir, "state.json"), sizeof before, &buf, &len, &e) == 0 &&
		   !strcmp(buf, before),
	   "save: the old state.json is there as it was");
	free(buf);
	ok(tap_ls(t.dir, list, sizeof list) == 0 && !strcmp(list, "state.json "),
	   "save: and no temp file is left beside it (%s)", list);
	c_state_clear(&t);
	c_err_free(&e);
}

/* ---- locking ------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_lock(void)
{
	int p[2], status, wins = 0, clashes = 0;
	pid_t holder, racers[6];
	double t0, waited;
	c_err *e = NULL;
	char c;

	if (pipe(p) < 0)
		tap_bail("pipe", "lock holder");
	holder = fork();
	if (holder == 0) {
		int fd = c_lock(tap_at(root, ".lock"), 0, &e);

		close(p[0]);
		if (write(p[1], "L", 1) != 1 || fd < 0)
			_exit(1);
		usleep(400000);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	t0 = now_ms();
	ok(c == 'L' && add("after-lock", NULL, &e) == 0,
	   "lock: add while another process holds the root's lock");
	waited = now_ms() - t0;
	c_err_free(&e);
	waitpid(holder, &status, 0);
	ok(waited >= 300, "lock: it waited for the lock (%.0f ms)", waited);

	/* six processes add six ids with one name: the lock keeps the name unique */
	for (int i = 0; i < 6; i++) {
		racers[i] = fork();
		if (racers[i] == 0) {
			char id[32];
			int rc;

			snprintf(id, sizeof id, "racer%d", i);
			rc = add(id, "contested", &e);
			_exit(rc == 0 ? 0 : e && e->errnum == EEXIST ? 10 : 1);
		}
	}
	for (int i = 0; i < 6; i++) {
		int code = waitpid(racers[i], &status, 0) == racers[i] && WIFEXITED(status)
				   ? WEXITSTATUS(status)
				   : -1;

		wins += code == 0;
		clashes += code == 10;
	}
	ok(wins == 1 && clashes == 5,
	   "lock: 6 processes add one name at once: one wins, 5 are told EEXIST (%d, %d)", wins,
	   clashes);
	{
		struct c_state *list;
		size_t n, named = 0;

		if (c_state_list(root, &list, &n, &e) == 0) {
			for (size_t i = 0; i < n; i++)
				named += list[i].name && !strcmp(list[i].name, "contested");
			c_state_list_free(list, n);
		}
		c_err_free(&e);
		ok(named == 1, "lock: and the list has the name once (%zu)", named);
	}
}

/* ---- status and processes ------------------------------------------------- */

static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void test_status(void)
{
	struct c_state s = record("st", NULL);
	json_t *oci;
	pid_t child;
	c_err *e = NULL;
	int status;

	ok(c_state_add(root, &s, &e) == 0, "status: add a record");
	c_err_free(&e);
	ok(c_state_status(&s) == C_STATUS_CREATING &&
		   !strcmp(c_status_name(C_STATUS_CREATING), "creating"),
	   "status: no pid yet is creating");

	child = sleeper();
	s.pid = child;
	s.start_time = c_proc_start_time(child);
	ok(s.start_time > 0 && c_state_status(&s) == C_STATUS_RUNNING,
	   "status: a live process is running");
	tap_put(tap_at(s.dir, "exec.fifo"), "");
	ok(c_state_status(&s) == C_STATUS_CREATED, "status: live with exec.fifo there is created");
	unlink(tap_at(s.dir, "exec.fifo"));

	oci = c_state_oci(&s);
	ok(oci && !strcmp(json_string_value(json_object_get(oci, "status")), "running") &&
		   json_integer_value(json_object_get(oci, "pid")) == child &&
		   !strcmp(json_string_value(json_object_get(oci, "ociVersion")), "1.0.2") &&
		   !strcmp(json_string_value(json_object_get(oci, "id")), "st") &&
		   !strcmp(json_string_value(json_object_get(oci, "bundle")), "/b") &&
		   !json_object_get(oci, "c-tools") && json_object_size(oci) == 5,
	   "oci state: ociVersion, id, status, pid and bundle, nothing of c-run's own");
	json_decref(oci);

	s.start_time++;
	ok(c_state_status(&s) == C_STATUS_STOPPED,
	   "status: the pid with another start time (recycled) is stopped");
	s.start_time--;

	kill(child, SIGKILL);
	usleep(100000);
	ok(c_proc_start_time(child) == 0 && c_state_status(&s) == C_STATUS_STOPPED,
	   "status: exited but not yet reaped is stopped");
	waitpid(child, &status, 0);
	ok(c_state_status(&s) == C_STATUS_STOPPED && !strcmp(c_status_name(C_STATUS_STOPPED), "stopped"),
	   "status: reaped is stopped");
	oci = c_state_oci(&s);
	ok(oci && !strcmp(json_string_value(json_object_get(oci, "status")), "stopped") &&
		   !json_object_get(oci, "pid"),
	   "oci state: a stopped container has no pid");
	json_decref(oci);
	forget(&s);
}

static void test_processes(void)
{
	struct c_state s = { 0 };
	unsigned long long mine = c_proc_start_time(getpid());
	char buf[1024], *p;
	unsigned long long field22 = 0;
	pid_t child;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), status;
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	double t0;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		field22 = strtoull(p + 1, NULL, 10);
	ok(mine > 0 && mine == field22, "start time: field 22 of /proc/self/stat (%llu)", mine);

	child = fork();
	if (child == 0) {
		usleep(150000);
		_exit(0);
	}
	t0 = now_ms();
	ok(c_proc_wait_exit(child, c_proc_start_time(child), 5000) == 0 && now_ms() - t0 >= 100,
	   "wait_exit: returns when the process exits");
	waitpid(child, &status, 0);
	ok(c_proc_start_time(child) == 0 && c_proc_wait_exit(child, 1, 1000) == 0,
	   "wait_exit: a process gone already is no wait");

	child = sleeper();
	errno = 0;
	ok(c_proc_wait_exit(child, c_proc_start_time(child), 100) < 0 && errno == ETIMEDOUT,
	   "wait_exit: a live process past the timeout is ETIMEDOUT");
	t0 = now_ms();
	ok(c_proc_wait_exit(child, c_proc_start_time(child) + 1, 5000) == 0 && now_ms() - t0 < 1000,
	   "wait_exit: the pid with another start time is taken as gone at once");

	s.monitor = child;
	s.monitor_start = c_proc_start_time(child);
	ok(c_state_monitor_alive(&s), "monitor: alive while its process is");
	s.monitor_start++;
	ok(!c_state_monitor_alive(&s), "monitor: not with another start time");
	s.monitor_start--;
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	ok(!c_state_monitor_alive(&s), "monitor: not after it exited");
	s.monitor = 0;
	ok(!c_state_monitor_alive(&s), "monitor: none without a pid");
}

int main(void)
{
	if (!mkdtemp(tmp))
		tap_bail("mkdtemp", tmp);
	snprintf(root, sizeof root, "%s/state/root", tmp);
	test_ids();
	test_default_roots();
	test_run_dir();
	test_add();
	test_round_trip();
	test_find();
	test_list();
	test_remove();
	test_failed_writes();
	test_lock();
	test_status();
	test_processes();
	tap_remove_tree(tmp);
	return tap_done();
}
