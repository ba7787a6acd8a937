/* The image store: layout creation, blob ingest (whole, streamed, resumed,
 * raced by two processes), names in index.json (also raced), resolving,
 * garbage collection and the consistency check. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

static char root[] = "/tmp/c-tools-store-XXXXXX";

static bool exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	return stat(p, &st) == 0;
}

static off_t file_size(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", root, rel);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

static void digest_of(const void *data, size_t len, struct c_digest *d)
{
	struct c_hasher h;

	c_hasher_init(&h, C_DIGEST_SHA256);
	c_hasher_update(&h, data, len);
	c_hasher_final(&h, d);
}

static void put(struct c_store *s, const char *data, struct c_digest *d)
{
	c_err *e = NULL;

	digest_of(data, strlen(data), d);
	if (c_store_put_blob(s, d, data, strlen(data), &e) < 0) {
		tap_diag("put: %s", e->msg);
		c_err_free(&e);
	}
}

static int status_of(c_err **e)
{
	int st = *e ? (*e)->status : 0;

	c_err_free(e);
	return st;
}

static void test_layout(struct c_store **s)
{
	c_err *e = NULL;

	*s = c_store_open(root, &e);
	ok(*s, "open creates the store");
	ok(exists("oci-layout") && exists("index.json") && exists("blobs/sha256") && exists("tmp"),
	   "oci-layout, index.json, blobs/sha256 and tmp made");
	c_store_close(c_store_open(root, &e));
	ok(!e, "opening again is fine");
	setenv("C_ROOT", "/x/y", 1);
	char *def = c_store_default_root();
	ok(def && !strcmp(def, "/x/y"), "default root from $C_ROOT");
	free(def);
	unsetenv("C_ROOT");
}

static void test_put(struct c_store *s)
{
	struct c_digest d, other;
	c_err *e = NULL;
	char *buf = NULL;
	size_t len;

	put(s, "hello", &d);
	ok(c_store_has_blob(s, &d) && file_size("blobs/sha256/" "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824") == 5,
	   "put_blob stores under blobs/sha256/HEX");
	ok(c_store_read_blob(s, &d, 100, &buf, &len, &e) == 0 && len == 5 && !memcmp(buf, "hello", 5),
	   "read_blob gives it back");
	free(buf);
	digest_of("other", 5, &other);
	ok(c_store_put_blob(s, &other, "hello", 5, &e) < 0 && status_of(&e) == C_EXIT_DATA,
	   "put_blob with the wrong digest is a data error");
	ok(!c_store_has_blob(s, &other) && !exists("tmp/sha256-" "d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa.partial"),
	   "and leaves nothing behind");
}

static void test_stream(struct c_store *s)
{
	static char big[200000];
	struct c_blob_writer w;
	struct c_digest d, bad;
	char partial[128];
	c_err *e = NULL;

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7 + i / 251);
	digest_of(big, sizeof big, &d);
	snprintf(partial, sizeof partial, "tmp/sha256-%s.partial", c_digest_hex(&d));

	ok(c_blob_begin(s, &d, sizeof big, &w, &e) == 0 && !w.present && w.offset == 0,
	   "begin a new blob at offset 0");
	ok(c_blob_write(&w, big, 70000, &e) == 0, "write a first part");
	c_blob_abort(&w);
	ok(file_size(partial) == 70000 && !c_store_has_blob(s, &d), "abort keeps the partial file");

	ok(c_blob_begin(s, &d, sizeof big, &w, &e) == 0 && w.offset == 70000,
	   "begin again resumes at the partial's size");
	ok(c_blob_write(&w, big + 70000, sizeof big - 70000, &e) == 0 &&
		   c_blob_commit(&w, &e) == 0,
	   "write the rest and commit");
	ok(c_store_has_blob(s, &d) && file_size(partial) < 0, "blob stored, partial gone");
	ok(c_blob_begin(s, &d, sizeof big, &w, &e) == 0 && w.present,
	   "begin on a stored blob says present");
	c_blob_abort(&w);

	digest_of("not this", 8, &bad);
	snprintf(partial, sizeof partial, "tmp/sha256-%s.partial", c_digest_hex(&bad));
	ok(c_blob_begin(s, &bad, 8, &w, &e) == 0 && c_blob_write(&w, "not that", 8, &e) == 0,
	   "stream wrong content");
	ok(c_blob_commit(&w, &e) < 0 && e && strstr(e->msg, "digest mismatch") &&
		   status_of(&e) == C_EXIT_DATA,
	   "commit refuses a digest mismatch");
	ok(file_size(partial) < 0 && !c_store_has_blob(s, &bad), "and removes the partial file");

	ok(c_blob_begin(s, &bad, 4, &w, &e) == 0 && c_blob_write(&w, "not this", 8, &e) < 0 &&
		   e && strstr(e->msg, "size mismatch") && status_of(&e) == C_EXIT_DATA,
	   "writing past the expected size is refused at once");
	ok(file_size(partial) < 0, "and drops the partial file");
}

/* Two processes ingest one blob: the second waits on the partial's lock and
 * then finds the blob present.  Exit 10: wrote it, 11: found it, 1: failed. */
static void test_race_blob(void)
{
	static char data[64 * 1024];
	struct c_digest d;
	int codes[2], wrote = 0, found = 0;
	pid_t pids[2];

	memset(data, 'r', sizeof data);
	digest_of(data, sizeof data, &d);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			c_err *e = NULL;
			struct c_store *s = c_store_open(root, &e);
			struct c_blob_writer w;

			if (!s || c_blob_begin(s, &d, sizeof data, &w, &e) < 0)
				_exit(1);
			if (w.present)
				_exit(11);
			for (size_t off = 0; off < sizeof data; off += 8192) {
				if (c_blob_write(&w, data + off, 8192, &e) < 0)
					_exit(1);
				usleep(10000);
			}
			_exit(c_blob_commit(&w, &e) == 0 ? 10 : 1);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;

		codes[i] = waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		wrote += codes[i] == 10;
		found += codes[i] == 11;
	}
	ok(wrote == 1 && found == 1, "two ingests of one blob: one writes, one finds it (%d, %d)",
	   codes[0], codes[1]);
}

static size_t count_names(struct c_store *s, const char *prefix)
{
	struct c_store_image *imgs;
	size_t n, count = 0;
	c_err *e = NULL;

	if (c_store_list(s, &imgs, &n, &e) < 0) {
		c_err_free(&e);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		count += imgs[i].name && !strncmp(imgs[i].name, prefix, strlen(prefix));
	c_store_images_free(imgs, n);
	return count;
}

static void test_names(struct c_store *s)
{
	static const char *const bad[] = { "", "a//b", "-a", "a-", "a b", "a:", "/a", "a/", "é" };
	struct c_digest a, b;
	struct c_store_image img;
	c_err *e = NULL;
	pid_t pids[2];
	int good = 0;

	put(s, "manifest a", &a);
	put(s, "manifest b", &b);
	ok(c_store_set_name(s, "example.com/x/y:1", "application/vnd.oci.image.manifest.v1+json",
			    &a, 10, &e) == 0,
	   "set a name");
	ok(c_store_set_name(s, "z", "application/vnd.oci.image.manifest.v1+json", &a, 10, &e) == 0 &&
		   c_store_set_name(s, "example.com/x/y:1",
				    "application/vnd.oci.image.manifest.v1+json", &b, 10, &e) == 0,
	   "append one, replace the first");
	ok(count_names(s, "example.com/x/y:1") == 1 && count_names(s, "z") == 1,
	   "each name once in index.json");
	ok(c_store_resolve(s, "example.com/x/y:1", &img, &e) == 0 && c_digest_equal(&img.digest, &b),
	   "the replaced name points at the new digest");
	c_store_image_clear(&img);
	ok(c_store_resolve(s, "y:1", &img, &e) == 0 && c_digest_equal(&img.digest, &b),
	   "resolve a unique suffix after /");
	c_store_image_clear(&img);
	ok(c_store_resolve(s, "z", &img, &e) == 0 && !strcmp(img.name, "z"), "resolve a name");
	c_store_image_clear(&img);
	char prefix[20];
	snprintf(prefix, sizeof prefix, "%.12s", c_digest_hex(&a));
	ok(c_store_resolve(s, prefix, &img, &e) == 0 && c_digest_equal(&img.digest, &a),
	   "resolve a 12-digit digest prefix");
	c_store_image_clear(&img);
	ok(c_store_resolve(s, "nope", &img, &e) < 0 && status_of(&e) == C_EXIT_NOTFOUND,
	   "an unknown name is not found");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		good += c_store_set_name(s, bad[i], "x", &a, 10, &e) == 0;
		c_err_free(&e);
	}
	ok(good == 0, "names outside the ref.name grammar are refused");
	ok(c_store_check_name("127.0.0.1:5000/c-tools/busy--box:latest", &e) == 0 &&
		   c_store_check_name("a@sha256:ab", &e) == 0,
	   "registry:port/repo:tag and @ names are fine");
	ok(c_store_remove_name(s, "z", &e) == 0 && count_names(s, "z") == 0, "remove a name");
	ok(c_store_remove_name(s, "z", &e) < 0 && status_of(&e) == C_EXIT_NOTFOUND,
	   "removing it again is not found");

	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct c_store *cs = c_store_open(root, &e);
			char name[32];

			for (int k = 0; cs && k < 20; k++) {
				snprintf(name, sizeof name, "race/p%d:%d", i, k);
				if (c_store_set_name(cs, name, "x", &a, 10, &e) < 0)
					_exit(1);
			}
			_exit(cs ? 0 : 1);
		}
	}
	for (int i = 0; i < 2; i++)
		waitpid(pids[i], NULL, 0);
	ok(count_names(s, "race/") == 40, "2 processes x 20 names: all 40 in index.json (%zu)",
	   count_names(s, "race/"));
	ok(c_store_remove_digest(s, &a, NULL, &e) == 0 && count_names(s, "race/") == 0,
	   "remove every name of a digest");
	/* "manifest b" is no manifest: GC would rightly refuse to run */
	ok(c_store_remove_name(s, "example.com/x/y:1", &e) == 0, "clean up");
}

/* A blob whose digest is only known at its end. */
static void test_new_blob(struct c_store *s)
{
	struct c_blob_writer w;
	struct c_digest d;
	c_err *e = NULL;
	char path[512];

	digest_of("made here", 9, &d);
	ok(c_blob_begin_new(s, C_DIGEST_SHA256, &w, &e) == 0 && w.partial &&
		   !strncmp(w.partial, "tmp/", 4),
	   "begin_new opens a temp file in tmp/");
	snprintf(path, sizeof path, "%s", w.partial ? w.partial : "");
	ok(c_blob_write(&w, "made ", 5, &e) == 0 && c_blob_write(&w, "here", 4, &e) == 0 &&
		   c_blob_commit(&w, &e) == 0,
	   "write and commit");
	ok(c_digest_equal(&w.want, &d) && w.offset == 9 && c_store_has_blob(s, &d),
	   "commit names the blob after its content");
	ok(file_size(path) < 0, "the temp file is gone");
	ok(c_blob_begin_new(s, C_DIGEST_SHA256, &w, &e) == 0 &&
		   c_blob_write(&w, "made here", 9, &e) == 0 && c_blob_commit(&w, &e) == 0 &&
		   c_digest_equal(&w.want, &d),
	   "the same content again: present already, committed all the same");
	ok(c_blob_begin_new(s, C_DIGEST_SHA256, &w, &e) == 0 &&
		   c_blob_write(&w, "dropped", 7, &e) == 0,
	   "a third, abandoned");
	snprintf(path, sizeof path, "%s", w.partial);
	c_blob_abort(&w);
	ok(file_size(path) < 0, "abort removes a new blob's temp file (nothing to resume)");
}

/* What a layer blob holds uncompressed, kept beside it. */
static void test_layer_info(struct c_store *s)
{
	struct c_digest blob, id, got;
	int64_t size = -1;
	c_err *e = NULL;
	char path[512];

	put(s, "a layer blob", &blob);
	digest_of("its tar", 7, &id);
	ok(!c_store_layer_info(s, &blob, &got, &size), "nothing known of a new blob");
	c_store_set_layer_info(s, &blob, &id, 12345);
	ok(c_store_layer_info(s, &blob, &got, &size) && c_digest_equal(&got, &id) && size == 12345,
	   "its diff_id and size once recorded");
	snprintf(path, sizeof path, "layerinfo/sha256/%s", c_digest_hex(&blob));
	ok(exists(path), "as layerinfo/sha256/HEX");
	c_store_drop_layer_info(s, &blob);
	ok(!c_store_layer_info(s, &blob, &got, &size), "dropped");
	c_store_set_layer_info(s, &blob, &id, 1);
	ok(c_store_gc(s, 0, NULL, NULL, &e) == 0 && !c_store_has_blob(s, &blob) && !exists(path),
	   "gc removes it with its blob");
	snprintf(path, sizeof path, "%s/layerinfo/sha256/%s", root, c_digest_hex(&blob));
	tap_put(path, "garbage");
	ok(!c_store_layer_info(s, &blob, &got, &size), "a file that does not parse is nothing known");
	unlink(path);
}

/* Several names in one rewrite; all or none. */
static void test_set_names(struct c_store *s)
{
	static const char mt[] = "application/vnd.oci.image.manifest.v1+json";
	struct c_digest a, b, missing;
	struct c_store_image imgs[3], *list;
	size_t n, unnamed = 0;
	c_err *e = NULL;

	put(s, "names a", &a);
	put(s, "names b", &b);
	digest_of("nowhere", 7, &missing);
	imgs[0] = (struct c_store_image){ (char *)"multi/a:1", (char *)mt, a, 7 };
	imgs[1] = (struct c_store_image){ (char *)"multi/b:1", (char *)mt, b, 7 };
	imgs[2] = (struct c_store_image){ (char *)"Bad Name", (char *)mt, b, 7 };
	ok(c_store_set_names(s, imgs, 3, &e) < 0 && status_of(&e) == C_EXIT_DATA &&
		   count_names(s, "multi/") == 0,
	   "one bad name among three: none is set");
	imgs[2] = (struct c_store_image){ (char *)"multi/c:1", (char *)mt, missing, 7 };
	ok(c_store_set_names(s, imgs, 3, &e) < 0 && status_of(&e) == C_EXIT_NOTFOUND &&
		   count_names(s, "multi/") == 0,
	   "one missing blob among three: none is set");
	ok(c_store_set_names(s, imgs, 2, &e) == 0 && count_names(s, "multi/") == 2,
	   "two good ones: both set");
	imgs[0] = (struct c_store_image){ NULL, (char *)mt, a, 7 };
	imgs[1] = (struct c_store_image){ NULL, (char *)mt, b, 7 };
	ok(c_store_set_names(s, imgs, 2, &e) == 0, "entries without a name");
	imgs[0].digest = missing;
	ok(c_store_set_names(s, imgs, 1, &e) < 0 && status_of(&e) == C_EXIT_NOTFOUND,
	   "... need their blob too");
	imgs[0].digest = a;
	ok(c_store_remove_name(s, "multi/a:1", &e) == 0 && c_store_set_names(s, imgs, 2, &e) == 0 &&
		   c_store_set_names(s, imgs, 1, &e) == 0,
	   "drop a's name, add a and b unnamed again, and a once more");
	if (c_store_list(s, &list, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			unnamed += !list[i].name && c_digest_equal(&list[i].digest, &a);
		unnamed += 10 * count_names(s, "multi/b:1");
		c_store_images_free(list, n);
	}
	ok(unnamed == 11, "an unnamed entry is added only for a digest no entry has yet (%zu)",
	   unnamed);
	ok(c_store_remove_digest(s, &a, NULL, &e) == 0 && c_store_remove_digest(s, &b, NULL, &e) == 0,
	   "clean up");
}

/* Blobs a failed load stored go again; what a name uses stays. */
static void test_drop_unused(struct c_store *s)
{
	static const char mt[] = "application/vnd.oci.image.manifest.v1+json";
	struct c_digest d[3];
	char doc[256];
	c_err *e = NULL;
	pid_t pid;

	put(s, "loose layer", &d[0]);
	snprintf(doc, sizeof doc, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\","
		 "\"digest\":\"%s\",\"size\":11},\"layers\":[]}", d[0].str);
	put(s, doc, &d[1]);
	put(s, "unused", &d[2]);
	ok(c_store_set_name(s, "keep", mt, &d[1], (int64_t)strlen(doc), &e) == 0,
	   "a name reaches two of three blobs");
	pid = fork();
	if (pid == 0) {
		struct c_store *cs = c_store_open(root, &e);

		sleep(2);
		_exit(cs ? 0 : 1);
	}
	usleep(300000);
	ok(c_store_drop_unused(s, d, 3, &e) == 0 && c_store_has_blob(s, &d[2]),
	   "while another process has the store open, nothing is dropped, and that is fine");
	waitpid(pid, NULL, 0);
	ok(c_store_drop_unused(s, d, 3, &e) == 0 && !c_store_has_blob(s, &d[2]) &&
		   c_store_has_blob(s, &d[0]) && c_store_has_blob(s, &d[1]),
	   "then the unused one goes, the named image's stay");
	ok(c_store_remove_name(s, "keep", &e) == 0 && c_store_drop_unused(s, d, 2, &e) == 0 &&
		   !c_store_has_blob(s, &d[0]) && !c_store_has_blob(s, &d[1]),
	   "once unnamed, they go too");
}

struct collected {
	int n;
	char list[2048];
};

static void on_gc(const char *what, int64_t bytes, void *arg)
{
	struct collected *c = arg;

	c->n++;
	strncat(c->list, what, sizeof c->list - strlen(c->list) - 2);
	strcat(c->list, " ");
}

static void on_problem(const char *line, void *arg)
{
	struct collected *c = arg;

	tap_diag("problem: %s", line);
	c->n++;
	strncat(c->list, line, sizeof c->list - strlen(c->list) - 2);
	strcat(c->list, "\n");
}

static void test_gc_check(struct c_store *s)
{
	struct c_digest cfg, layer, shared, man, garbage, man2;
	struct collected got = { 0 };
	char doc[1024], path[512];
	c_err *e = NULL;
	int fd;

	put(s, "{\"created\":\"2024-01-01T00:00:00Z\"}", &cfg);
	put(s, "layer bytes", &layer);
	put(s, "shared layer", &shared);
	put(s, "garbage", &garbage);
	snprintf(doc, sizeof doc,
		 "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"%s\",\"size\":%zu},"
		 "\"layers\":[{\"mediaType\":\"l\",\"digest\":\"%s\",\"size\":11},"
		 "{\"mediaType\":\"l\",\"digest\":\"%s\",\"size\":12}]}",
		 cfg.str, strlen("{\"created\":\"2024-01-01T00:00:00Z\"}"), layer.str, shared.str);
	put(s, doc, &man);
	ok(c_store_set_name(s, "img", "application/vnd.oci.image.manifest.v1+json", &man,
			    (int64_t)strlen(doc), &e) == 0,
	   "name an image of config and two layers");
	snprintf(doc, sizeof doc,
		 "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"%s\",\"size\":%zu},"
		 "\"layers\":[{\"mediaType\":\"l\",\"digest\":\"%s\",\"size\":12}]}",
		 cfg.str, strlen("{\"created\":\"2024-01-01T00:00:00Z\"}"), shared.str);
	put(s, doc, &man2);
	ok(c_store_set_name(s, "img2", "application/vnd.oci.image.manifest.v1+json", &man2,
			    (int64_t)strlen(doc), &e) == 0,
	   "and a second sharing a layer");
	ok(c_store_check(s, on_problem, &got, &e) == 0, "check passes a good store");

	ok(c_store_gc(s, 0, on_gc, &got, &e) == 0, "gc runs");
	ok(!c_store_has_blob(s, &garbage) && strstr(got.list, garbage.str),
	   "gc removed and reported an unreachable blob");
	ok(c_store_has_blob(s, &man) && c_store_has_blob(s, &cfg) && c_store_has_blob(s, &layer) &&
		   c_store_has_blob(s, &shared),
	   "gc kept what the names reach");
	ok(c_store_remove_name(s, "img", &e) == 0 && c_store_gc(s, 0, NULL, NULL, &e) == 0 &&
		   !c_store_has_blob(s, &man) && !c_store_has_blob(s, &layer) &&
		   c_store_has_blob(s, &shared) && c_store_has_blob(s, &cfg),
	   "untag + gc frees the image's own blobs, keeps the shared ones");

	/* a second handle is another user: a NOWAIT GC refuses */
	pid_t pid = fork();
	if (pid == 0) {
		struct c_store *cs = c_store_open(root, &e);

		sleep(2);
		_exit(cs ? 0 : 1);
	}
	usleep(300000);
	ok(c_store_gc(s, C_STORE_GC_NOWAIT, NULL, NULL, &e) < 0 && e &&
		   strstr(e->msg, "in use by another process"),
	   "gc NOWAIT refuses while another process has the store open");
	c_err_free(&e);
	ok(c_store_gc(s, 0, NULL, NULL, &e) == 0, "gc waits for it to close");
	waitpid(pid, NULL, 0);

	snprintf(path, sizeof path, "%s/blobs/sha256/%s", root, c_digest_hex(&shared));
	fd = open(path, O_WRONLY | O_TRUNC);
	ok(fd >= 0 && write(fd, "shared lazer", 12) == 12, "corrupt a blob");
	close(fd);
	snprintf(path, sizeof path, "%s/blobs/sha256/%s", root, c_digest_hex(&cfg));
	ok(unlink(path) == 0, "delete a blob");
	memset(&got, 0, sizeof got);
	ok(c_store_check(s, on_problem, &got, &e) == 2, "check finds two problems");
	ok(strstr(got.list, "corrupt blob: ") && strstr(got.list, shared.str),
	   "the corrupt blob is reported");
	ok(strstr(got.list, "missing blob: ") && strstr(got.list, cfg.str) &&
		   strstr(got.list, "img2"),
	   "the dangling reference is reported with its image name");
}

int main(void)
{
	struct c_store *s;

	if (!mkdtemp(root))
		return 1;
	test_layout(&s);
	if (!s)
		return tap_done();
	test_put(s);
	test_stream(s);
	test_race_blob();
	test_names(s);
	test_new_blob(s);
	test_layer_info(s);
	test_set_names(s);
	test_drop_unused(s);
	test_gc_check(s);
	c_store_close(s);
	if (!tap_failed)
		tap_remove_tree(root);
	return tap_done();
}
