/* lib/fetch: blobs from the fake registry of fakeregistry.h (127.0.0.1,
 * plain HTTP) into a store of the test's own, several at once: each on its
 * worker's own connection, verified before it appears; a digest or size
 * mismatch leaves nothing, a cut download leaves its partial file, which
 * the next run continues with a Range (or starts over when the registry
 * ignores it); the first error stops the others; the workers share the
 * session's authorization. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fakeregistry.h"
#include "fetch.h"
#include "manifest.h"
#include "store.h"
#include "tap-image.h"

#define NBLOBS 4

static char tmp[] = "/tmp/c-tools-fetch-XXXXXX";
static struct c_store *store;
static int ids[NBLOBS];
static struct c_fetch_blob blobs[NBLOBS], unknown;

static const struct fakereg_blob *blob(int i)
{
	return &fakereg_blobs[ids[i]];
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Fetch list[0..n) with jobs workers in a new session; progress lines go
 * to the file progress when not NULL. */
static int fetch(const struct c_fetch_blob *list, size_t n, int jobs, const char *creds,
		 const char *progress, c_err **e)
{
	struct c_fetch_opts o = { .jobs = jobs, .progress = progress != NULL };
	struct c_registry *r = fakereg_session(creds);
	int saved = -1, rc;

	if (progress) {
		int fd = open(progress, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		fflush(stderr);
		saved = dup(2);
		if (fd < 0 || saved < 0 || dup2(fd, 2) < 0)
			tap_bail("redirect stderr to", progress);
		close(fd);
	}
	rc = c_fetch_blobs(r, store, list, n, &o, e);
	if (progress) {
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
	}
	c_registry_close(r);
	return rc;
}

static char *partial(int i)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/store/tmp/sha256-%s.partial", tmp, c_digest_hex(&blob(i)->digest));
	return path;
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Whether the store has blob i, with its bytes. */
static bool stored(int i)
{
	char *buf = NULL;
	size_t len = 0;
	c_err *e = NULL;
	bool same = c_store_read_blob(store, &blob(i)->digest, 4 << 20, &buf, &len, &e) == 0 &&
		    len == blob(i)->len && !memcmp(buf, blob(i)->data, len);

	c_err_free(&e);
	free(buf);
	return same;
}

/* Drop blob i from the store, and its partial file. */
static void forget(int i)
{
	char *path = c_store_blob_path(store, &blob(i)->digest);

	if (path)
		unlink(path);
	free(path);
	unlink(partial(i));
}

static bool tmp_empty(void)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s/store/tmp)\"", tmp);
	return system(cmd) == 0;
}

/* How many connections the blob GETs of the log came on. */
static int connections(void)
{
	int n = atomic_load(&fakereg->nlog), seen[FAKEREG_LOG] = { 0 }, count = 0;

	for (int i = 0; i < n && i < FAKEREG_LOG; i++) {
		const char *c = strstr(fakereg->log[i], " conn=");
		int conn = c ? atoi(c + 6) : 0;

		if (!strstr(fakereg->log[i], "/blobs/") || conn <= 0 || conn >= FAKEREG_LOG)
			continue;
		count += !seen[conn];
		seen[conn] = 1;
	}
	return count;
}

static bool file_has(const char *path, const char *text)
{
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;
	bool has = c_read_file(path, 1 << 20, &buf, &len, &e) == 0 && strstr(buf, text);

	if (!has)
		tap_diag("%s: %s", path, buf ? buf : "(unreadable)");
	c_err_free(&e);
	free(buf);
	return has;
}

static void test_fetch(void)
{
	char progress[PATH_MAX], line[64];
	bool all = true;
	c_err *e = NULL;

	snprintf(progress, sizeof progress, "%s/progress", tmp);
	ok(fetch(blobs, 0, 0, NULL, NULL, &e) == 0 && atomic_load(&fakereg->nlog) == 0,
	   "no blobs: nothing asked");
	ok(fetch(blobs, 3, 3, NULL, progress, &e) == 0, "three blobs, three workers");
	if (e)
		tap_err_has(&e, "(success)");
	for (int i = 0; i < 3; i++)
		all = all && stored(i) && fakereg_count(blob(i)->digest.str, "status=200") == 1;
	ok(all, "each stored with its bytes, each asked once");
	ok(connections() == 3, "each on a connection of its own (%d)", connections());
	ok(tmp_empty(), "no partial file left");
	snprintf(line, sizeof line, "blob %.19s: done (", blob(0)->digest.str);
	ok(file_has(progress, line), "progress: a line per blob done");

	fakereg_reset();
	ok(fetch(blobs, 3, 2, NULL, progress, &e) == 0 && atomic_load(&fakereg->nlog) == 0,
	   "again: nothing asked, all present");
	snprintf(line, sizeof line, "blob %.19s: already present", blob(1)->digest.str);
	ok(file_has(progress, line), "progress: already present said");
	for (int i = 0; i < 3; i++)
		forget(i);

	/* images list one (empty) layer several times */
	struct c_fetch_blob twice[2] = { blobs[1], blobs[1] };

	fakereg_reset();
	ok(fetch(twice, 2, 2, NULL, NULL, &e) == 0 && stored(1) &&
		   fakereg_count(blob(1)->digest.str, NULL) == 1 && tmp_empty(),
	   "one blob listed twice, two workers: asked once, stored");
	c_err_free(&e);
	forget(1);
}

static void test_mismatch(void)
{
	struct c_fetch_blob wrong_size = blobs[0];
	char want[256];
	c_err *e = NULL;

	fakereg_reset();
	snprintf(fakereg->f.corrupt, sizeof fakereg->f.corrupt, "%s", blob(1)->digest.str);
	snprintf(want, sizeof want, "digest mismatch: %s", blob(1)->digest.str);
	ok(fetch(&blobs[1], 1, 1, NULL, NULL, &e) < 0 && e && e->status == C_EXIT_DATA &&
		   tap_err_has(&e, want),
	   "a blob with other bytes is a digest mismatch naming it");
	ok(!c_store_has_blob(store, &blob(1)->digest) && size_of(partial(1)) < 0 && tmp_empty(),
	   "and leaves nothing: no blob, no partial file");

	fakereg_reset();
	wrong_size.size = blob(0)->len + 10;
	snprintf(want, sizeof want, "size mismatch: %s", blob(0)->digest.str);
	ok(fetch(&wrong_size, 1, 1, NULL, NULL, &e) < 0 && e && e->status == C_EXIT_DATA &&
		   tap_err_has(&e, want),
	   "a blob shorter than its descriptor says is a size mismatch naming it");
	ok(!c_store_has_blob(store, &blob(0)->digest) && tmp_empty(), "and leaves nothing");
	wrong_size.size = blob(0)->len - 10;
	ok(fetch(&wrong_size, 1, 1, NULL, NULL, &e) < 0 && e && e->status == C_EXIT_DATA &&
		   tap_err_has(&e, want),
	   "a blob longer than its descriptor says is a size mismatch");
	ok(!c_store_has_blob(store, &blob(0)->digest) && tmp_empty(), "and leaves nothing");
}

static void test_resume(void)
{
	char progress[PATH_MAX], range[64], line[64];
	c_err *e = NULL;
	int fd;

	snprintf(progress, sizeof progress, "%s/progress", tmp);
	fakereg_reset();
	snprintf(fakereg->f.cut, sizeof fakereg->f.cut, "%s", blob(2)->digest.str);
	fakereg->f.cut_bytes = 300000;
	fakereg->f.cut_times = 1;
	ok(fetch(&blobs[2], 1, 1, NULL, NULL, &e) < 0 && e && e->status == C_EXIT_NET &&
		   tap_err_has(&e, blob(2)->digest.str),
	   "a download cut short is a network error naming the blob");
	ok(!c_store_has_blob(store, &blob(2)->digest) && size_of(partial(2)) == 300000,
	   "the blob is not stored; its partial file keeps the 300000 bytes that came (%lld)",
	   (long long)size_of(partial(2)));

	snprintf(range, sizeof range, "range=bytes=300000- ");
	ok(fetch(&blobs[2], 1, 1, NULL, progress, &e) == 0 && stored(2) &&
		   fakereg_count(blob(2)->digest.str, range) == 1 &&
		   fakereg_count(range, "status=206") == 1,
	   "the next run asks from byte 300000 and stores the whole blob");
	snprintf(line, sizeof line, "blob %.19s: done, resumed (", blob(2)->digest.str);
	ok(file_has(progress, line), "progress: done, resumed");
	ok(size_of(partial(2)) < 0, "the partial file is gone");
	forget(2);

	fakereg_reset();
	snprintf(fakereg->f.cut, sizeof fakereg->f.cut, "%s", blob(2)->digest.str);
	fakereg->f.cut_bytes = 300000;
	fakereg->f.cut_times = 1;
	fetch(&blobs[2], 1, 1, NULL, NULL, &e);
	c_err_free(&e);
	fakereg->f.no_range = true;
	ok(size_of(partial(2)) == 300000 && fetch(&blobs[2], 1, 1, NULL, NULL, &e) == 0 &&
		   stored(2) && fakereg_count(range, "status=200") == 1,
	   "a registry that ignores the Range: the blob is fetched whole again, and right");
	forget(2);

	/* a partial file as long as the blob: only its check is left */
	fakereg_reset();
	fd = open(partial(2), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || c_write_all(fd, blob(2)->data, blob(2)->len) < 0)
		tap_bail("write", partial(2));
	close(fd);
	ok(fetch(&blobs[2], 1, 1, NULL, NULL, &e) == 0 && stored(2) &&
		   atomic_load(&fakereg->nlog) == 0,
	   "a whole partial file is checked and stored without asking");
	forget(2);
}

static void test_stop(void)
{
	struct c_fetch_blob two[2] = { blobs[3], unknown };
	char want[256];
	c_err *e = NULL;
	double t0;

	fakereg_reset();
	snprintf(fakereg->f.slow, sizeof fakereg->f.slow, "%s", blob(3)->digest.str);
	fakereg->f.slow_ms = 40;
	snprintf(want, sizeof want, "blob unknown: %s", unknown.digest.str);
	t0 = now_ms();
	ok(fetch(two, 2, 2, NULL, NULL, &e) < 0 && e && e->status == C_EXIT_NOTFOUND &&
		   tap_err_has(&e, want),
	   "an unknown blob is the error, named, while another downloads");
	ok(now_ms() - t0 < 1500, "the other stops after its current read (%.0f ms, all of it: ~%d ms)",
	   now_ms() - t0, (int)(blob(3)->len / FAKEREG_CHUNK) * 40);
	ok(!c_store_has_blob(store, &blob(3)->digest), "and is not stored");
	forget(3);
}

static void test_auth(void)
{
	struct c_registry *r;
	char *body = NULL, *type = NULL;
	size_t len;
	struct c_digest d;
	struct c_fetch_opts o = { .jobs = 3 };
	c_err *e = NULL;
	bool all = true;

	fakereg_reset();
	fakereg->f.auth = FAKEREG_BASIC;
	snprintf(fakereg->f.user_pass, sizeof fakereg->f.user_pass, "u:p");
	r = fakereg_session("u:p");
	ok(c_registry_get_manifest(r, "latest", 1 << 20, &body, &len, &type, &d, &e) == 0 &&
		   c_fetch_blobs(r, store, blobs, 3, &o, &e) == 0,
	   "basic auth: a manifest, then three blobs with three workers");
	free(body);
	free(type);
	c_registry_close(r);
	for (int i = 0; i < 3; i++)
		all = all && stored(i);
	ok(all && fakereg_count("status=401", NULL) == 1 &&
		   fakereg_count("/blobs/", "auth=basic status=200") == 3,
	   "the workers send the session's authorization: one challenge in all");
	for (int i = 0; i < 3; i++)
		forget(i);

	fakereg_reset();
	fakereg->f.auth = FAKEREG_BASIC;
	snprintf(fakereg->f.user_pass, sizeof fakereg->f.user_pass, "u:p");
	ok(fetch(blobs, 3, 3, NULL, NULL, &e) < 0 && e && e->status == C_EXIT_AUTH &&
		   tap_err_has(&e, "authentication required for 127.0.0.1:"),
	   "without credentials: authentication required");
	ok(tmp_empty() && !c_store_has_blob(store, &blob(0)->digest), "and nothing is left");
	fakereg_reset();
}

static void content(void)
{
	static const size_t sizes[NBLOBS] = { 70000, 123457, 1000000, 1 << 20 };
	char doc[512];
	int n;

	for (int i = 0; i < NBLOBS; i++) {
		char *data = malloc(sizes[i]);

		if (!data)
			tap_bail("malloc", "blob");
		for (size_t k = 0; k < sizes[i]; k++)
			data[k] = (char)(k * (7 + i) + k / 4093);
		ids[i] = fakereg_blob(data, sizes[i], NULL);
		free(data);
		blobs[i].digest = blob(i)->digest;
		blobs[i].size = (int64_t)sizes[i];
	}
	n = snprintf(doc, sizeof doc, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"layers\":[]}",
		     C_MEDIA_OCI_MANIFEST);
	fakereg_tag("latest", fakereg_blob(doc, (size_t)n, C_MEDIA_OCI_MANIFEST));
	c_digest_parse(&unknown.digest,
		       "sha256:2222222222222222222222222222222222222222222222222222222222222222", NULL);
	unknown.size = 10;
}

int main(void)
{
	char root[PATH_MAX];

	if (!mkdtemp(tmp))
		tap_bail("mkdtemp", tmp);
	fakereg_isolate(tmp);
	snprintf(root, sizeof root, "%s/store", tmp);
	store = tap_store_open(root);
	content();
	fakereg_start();
	test_fetch();
	test_mismatch();
	test_resume();
	test_stop();
	test_auth();
	fakereg_stop();
	c_store_close(store);
	tap_remove_tree(tmp);
	return tap_done();
}
