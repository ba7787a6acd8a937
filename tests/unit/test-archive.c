/* Images saved as archives (lib/save.h) and loaded back (lib/load.h): both
 * formats, several images, names, digests kept; and bad archives refused
 * with one line naming the entry, leaving the store as it was. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deflate.h"
#include "json.h"
#include "load.h"
#include "manifest.h"
#include "mklayer.h"
#include "save.h"
#include "tap.h"
#include "tardir.h"
#include "tarstream.h"

static char dir[] = "/tmp/c-tools-archive-XXXXXX";

static struct c_store *store(const char *name)
{
	c_err *e = NULL;
	struct c_store *s = c_store_open(tap_at(dir, name), &e);

	if (!s)
		tap_bail("open store", name);
	return s;
}

/* A layer of one file, made here. */
static struct c_descriptor layer(struct c_store *s, const char *path, const char *content,
				 struct c_digest *diff_id)
{
	struct c_descriptor d = { .compression = C_COMPRESSION_GZIP };
	struct tap_buf tar = { 0 };
	struct c_tarout *o = c_tarout_new(tap_buf_put, &tar, NULL);
	struct archive_entry *ae = archive_entry_new();
	struct c_mklayer *l;
	struct c_mklayer_out out;
	c_err *e = NULL;

	archive_entry_copy_pathname(ae, path);
	archive_entry_set_mode(ae, S_IFREG | 0644);
	archive_entry_set_size(ae, (la_int64_t)strlen(content));
	if (!o || c_tarout_header(o, ae, &e) < 0 || c_tarout_data(o, content, strlen(content), &e) < 0 ||
	    c_tarout_close(o, &e) < 0)
		tap_bail("tar", path);
	c_tarout_free(o);
	archive_entry_free(ae);
	l = c_mklayer_new(s, &e);
	if (!l || c_mklayer_write(l, tar.buf, tar.len, &e) < 0 || c_mklayer_commit(l, &out, &e) < 0)
		tap_bail("layer", path);
	c_mklayer_free(l);
	free(tar.buf);
	d.digest = out.digest;
	d.size = out.size;
	*diff_id = out.diff_id;
	return d;
}

/* An image of two layers named name; its manifest digest in *m, config's in *c. */
static void image(struct c_store *s, const char *name, const char *tag, struct c_digest *m,
		  struct c_digest *c)
{
	struct c_descriptor l[2];
	struct c_digest ids[2];
	struct c_store_image img;
	char cfg[1024];
	c_err *e = NULL;

	l[0] = layer(s, "etc/base", "base\n", &ids[0]);
	l[1] = layer(s, "etc/tag", tag, &ids[1]); /* a word: the Cmd below has it too */
	snprintf(cfg, sizeof cfg,
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"%s\"]},"
		 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
		 tag, ids[0].str, ids[1].str);
	c_digest_of(C_DIGEST_SHA256, cfg, strlen(cfg), c);
	if (c_mkimage(s, cfg, strlen(cfg), l, 2, &img, &e) < 0)
		tap_bail("mkimage", name);
	img.name = name ? strdup(name) : NULL;
	if (c_store_set_names(s, &img, 1, &e) < 0)
		tap_bail("name", name);
	*m = img.digest;
	c_store_image_clear(&img);
}

static int load(struct c_store *s, const char *file, char *out, size_t n, c_err **err)
{
	struct c_store_image *imgs = NULL;
	size_t k;

	*out = '\0';
	if (c_load(s, file, &imgs, &k, err) < 0)
		return -1;
	for (size_t i = 0; i < k; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s ",
			 imgs[i].name ? imgs[i].name : imgs[i].digest.str);
	c_store_images_free(imgs, k);
	return 0;
}

static int save(struct c_store *s, const char *const *what, size_t n, enum c_save_format f,
		const char *file, c_err **err)
{
	struct c_store_image imgs[8] = { 0 };
	int rc = 0;

	for (size_t i = 0; i < n && i < 8; i++) {
		if (c_store_resolve(s, what[i], &imgs[i], err) < 0)
			tap_bail("resolve", what[i]);
		/* by digest: without a name, as c-image save does */
		if (!strncmp(what[i], "sha256:", 7)) {
			free(imgs[i].name);
			imgs[i].name = NULL;
		}
	}
	rc = c_save(s, imgs, n, f, file, err);
	for (size_t i = 0; i < n; i++)
		c_store_image_clear(&imgs[i]);
	return rc;
}

static void noop_problem(const char *line, void *arg)
{
	tap_diag("problem: %s", line);
}

/* index.json's entries as "NAME=DIGEST ", and the store checked. */
static char *state(struct c_store *s)
{
	struct c_store_image *imgs;
	struct tap_buf m = { 0 };
	c_err *e = NULL;
	size_t n;
	char line[400];

	if (c_store_list(s, &imgs, &n, &e) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%s=%.19s ", imgs[i].name ? imgs[i].name : "-",
			 imgs[i].digest.str);
		tap_buf_put(&m, line, strlen(line), &e);
	}
	c_store_images_free(imgs, n);
	snprintf(line, sizeof line, "problems=%d", c_store_check(s, noop_problem, NULL, &e));
	tap_buf_put(&m, line, strlen(line), &e);
	return m.buf;
}

static int count_dir(const char *rel)
{
	DIR *d = opendir(tap_at(dir, rel));
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* The config digest and diff_ids of what name resolves to in s. */
static char *summary(struct c_store *s, const char *name)
{
	struct c_store_image img;
	struct c_manifest *m = NULL;
	struct c_image_config cfg = { 0 };
	char *buf = NULL, *cbuf = NULL, *out = NULL;
	size_t len, clen;
	c_err *e = NULL;

	if (c_store_resolve(s, name, &img, &e) == 0 &&
	    c_store_read_blob(s, &img.digest, 1 << 20, &buf, &len, &e) == 0 &&
	    (m = c_manifest_parse(buf, len, img.media_type, name, &e)) &&
	    c_store_read_blob(s, &m->config.digest, 1 << 20, &cbuf, &clen, &e) == 0 &&
	    c_image_config_parse(cbuf, clen, name, &cfg, &e) == 0 && cfg.ndiff_ids == 2)
		asprintf(&out, "%s %s %s", m->config.digest.str, cfg.diff_ids[0].str,
			 cfg.diff_ids[1].str);
	if (e)
		tap_diag("summary %s: %s", name, e->msg);
	c_err_free(&e);
	c_image_config_free(&cfg);
	c_manifest_free(m);
	free(buf);
	free(cbuf);
	c_store_image_clear(&img);
	return out ? out : strdup("?");
}

static struct tap_buf slurp(const char *file)
{
	struct tap_buf m = { 0 };
	char b[65536];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	while (fd >= 0 && (k = read(fd, b, sizeof b)) > 0)
		tap_buf_put(&m, b, (size_t)k, NULL);
	if (fd >= 0)
		close(fd);
	return m;
}

/* --- archives edited entry by entry ------------------------------------------------ */

struct ent {
	char *name, *link;
	mode_t mode;
	struct tap_buf data;
};

static size_t read_all(const char *file, struct ent *ents, size_t max)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	c_err *e = NULL;
	struct c_tarin *t = c_tarin_open(fd, NULL, NULL, NULL, &e);
	struct archive_entry *ae;
	size_t n = 0;

	while (t && n < max && c_tarin_next(t, &ae, &e) > 0) {
		const void *b;
		ssize_t k;

		memset(&ents[n], 0, sizeof ents[n]);
		ents[n].name = strdup(archive_entry_pathname(ae));
		ents[n].mode = archive_entry_mode(ae);
		if (archive_entry_symlink(ae))
			ents[n].link = strdup(archive_entry_symlink(ae));
		while ((k = c_tarin_data(t, &b, &e)) > 0)
			tap_buf_put(&ents[n].data, b, (size_t)k, &e);
		n++;
	}
	if (e)
		tap_bail("read archive", file);
	c_tarin_free(t);
	close(fd);
	return n;
}

static void write_all(const char *file, struct ent *ents, size_t n)
{
	struct tap_buf out = { 0 };
	c_err *e = NULL;
	struct c_tarout *o = c_tarout_new(tap_buf_put, &out, &e);
	int fd;

	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_copy_pathname(ae, ents[i].name);
		archive_entry_set_mode(ae, ents[i].mode);
		if (ents[i].link)
			archive_entry_copy_symlink(ae, ents[i].link);
		if (S_ISREG(ents[i].mode))
			archive_entry_set_size(ae, (la_int64_t)ents[i].data.len);
		if (c_tarout_header(o, ae, &e) < 0 ||
		    (S_ISREG(ents[i].mode) && c_tarout_data(o, ents[i].data.buf, ents[i].data.len, &e) < 0))
			tap_bail("write", ents[i].name);
		archive_entry_free(ae);
	}
	c_tarout_close(o, &e);
	c_tarout_free(o);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || c_write_all(fd, out.buf, out.len) < 0)
		tap_bail("write", file);
	close(fd);
	free(out.buf);
}

static void free_all(struct ent *ents, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ents[i].name);
		free(ents[i].link);
		free(ents[i].data.buf);
	}
}

static struct ent *find(struct ent *ents, size_t n, const char *suffix)
{
	for (size_t i = 0; i < n; i++) {
		size_t a = strlen(ents[i].name), b = strlen(suffix);

		if (a >= b && !strcmp(ents[i].name + a - b, suffix))
			return &ents[i];
	}
	return NULL;
}

/* manifest.json's first layer named path instead. */
static void set_layer0(struct ent *ents, size_t n, const char *path)
{
	struct ent *mj = find(ents, n, "manifest.json");
	json_t *doc = json_loads(mj->data.buf, 0, NULL);
	char *text;

	json_array_set_new(json_object_get(json_array_get(doc, 0), "Layers"), 0, json_string(path));
	text = json_dumps(doc, JSON_COMPACT);
	mj->data.len = 0;
	tap_buf_put(&mj->data, text, strlen(text), NULL);
	free(text);
	json_decref(doc);
}

static bool is_layer_tar(const struct ent *e)
{
	return strstr(e->name, ".tar") && !strchr(e->name, '/') && e->data.len > 600;
}

static bool is_blob(const struct ent *e)
{
	return !strncmp(e->name, "blobs/sha256/", 13) && e->data.len > 40;
}

/* The archive src with one bit flipped at byte `at` (from the end when
 * negative) of the first entry pick() takes, as dst; that entry's name. */
static char *tamper(const char *src, const char *dst, bool (*pick)(const struct ent *), long at)
{
	struct ent ents[64];
	size_t n = read_all(tap_at(dir, src), ents, 64);
	char *name = NULL;

	for (size_t i = 0; i < n && !name; i++)
		if (pick(&ents[i])) {
			ents[i].data.buf[at >= 0 ? (size_t)at : ents[i].data.len + at] ^= 1;
			name = strdup(ents[i].name);
		}
	write_all(tap_at(dir, dst), ents, n);
	free_all(ents, n);
	if (!name)
		tap_bail("tamper", src);
	return name;
}

/* Load the file into s: the status and the error line (0 when it loaded). */
static int refused(struct c_store *s, const char *file, char *line, size_t n)
{
	char out[1024];
	c_err *e = NULL;

	int st;

	if (load(s, file, out, sizeof out, &e) == 0) {
		snprintf(line, n, "loaded: %.900s", out);
		return 0;
	}
	st = e->status;
	tap_err_copy(line, n, &e);
	return st;
}

/* --- the tests ----------------------------------------------------------------------- */

static void test_round_trips(void)
{
	struct c_store *a = store("a");
	struct c_digest m1, c1, m2, c2;
	const char *both[] = { "arch/one:1", "arch/two" }, *bydigest[1];
	char out[1024], *s1, *s2, *before;
	c_err *e = NULL;

	image(a, "arch/one:1", "one", &m1, &c1);
	image(a, "arch/two", "two", &m2, &c2);
	{
		/* a second name for the first image */
		struct c_store_image again;

		c_store_resolve(a, "arch/one:1", &again, &e);
		free(again.name);
		again.name = strdup("arch/one:again");
		c_store_set_names(a, &again, 1, &e);
		c_store_image_clear(&again);
	}
	ok(save(a, both, 2, C_SAVE_DOCKER, tap_at(dir, "d.tar"), &e) == 0, "save two images, docker-archive");
	{
		struct c_store *b = store("b");

		ok(load(b, tap_at(dir, "d.tar"), out, sizeof out, &e) == 0 &&
			   !strcmp(out, "arch/one:1 arch/two:latest "),
		   "load them: their names (\":latest\" added to a name without a tag): %s", out);
		s1 = summary(a, "arch/one:1");
		s2 = summary(b, "arch/one:1");
		ok(strcmp(s1, "?") && !strcmp(s1, s2), "the config digest and diff_ids are kept");
		free(s1);
		free(s2);
		s1 = state(b);
		ok(s1 && strstr(s1, "problems=0"), "the store checks ok: %s", s1);
		free(s1);
		c_store_close(b);
	}
	{
		/* what the store records of a layer is checked as it is used */
		struct c_store_image img;
		struct c_manifest *m = NULL;
		char *buf = NULL;
		struct c_digest id;
		int64_t size;
		size_t len;

		c_store_resolve(a, "arch/one:1", &img, &e);
		if (c_store_read_blob(a, &img.digest, 1 << 20, &buf, &len, &e) == 0)
			m = c_manifest_parse(buf, len, img.media_type, "x", &e);
		ok(m && c_store_layer_info(a, &m->layers[0].digest, &id, &size),
		   "the layers made here are known to the store");
		c_store_set_layer_info(a, &m->layers[0].digest, &id, size + 512);
		ok(save(a, both, 1, C_SAVE_DOCKER, tap_at(dir, "wrong.tar"), &e) < 0 &&
			   tap_err_has(&e, "bytes uncompressed, not the") &&
			   !c_store_layer_info(a, &m->layers[0].digest, &id, &size) &&
			   access(tap_at(dir, "wrong.tar"), F_OK) < 0,
		   "a wrong size recorded: the save fails, no file, the record dropped");
		ok(save(a, both, 1, C_SAVE_DOCKER, tap_at(dir, "right.tar"), &e) == 0 &&
			   c_store_layer_info(a, &m->layers[0].digest, &id, &size),
		   "the next save reads the layer twice and records it again");
		c_manifest_free(m);
		free(buf);
		c_store_image_clear(&img);
	}
	ok(save(a, both, 2, C_SAVE_OCI, tap_at(dir, "o.tar"), &e) == 0, "save them, oci-archive");
	{
		struct c_store *c = store("c");
		struct c_store_image img;

		ok(load(c, tap_at(dir, "o.tar"), out, sizeof out, &e) == 0 &&
			   !strcmp(out, "arch/one:1 arch/two "),
		   "load them: names as they were: %s", out);
		ok(c_store_resolve(c, "arch/one:1", &img, &e) == 0 && c_digest_equal(&img.digest, &m1),
		   "the manifest digest is kept");
		c_store_image_clear(&img);
		c_store_close(c);
	}
	bydigest[0] = m2.str;
	ok(save(a, bydigest, 1, C_SAVE_DOCKER, tap_at(dir, "nameless.tar"), &e) == 0, "save by digest");
	{
		struct c_store *d = store("d");
		ok(load(d, tap_at(dir, "nameless.tar"), out, sizeof out, &e) == 0 &&
			   !strncmp(out, "sha256:", 7) && strlen(out) == 72,
		   "an image saved without a name loads without one: %s", out);
		before = state(d);
		ok(load(d, tap_at(dir, "nameless.tar"), out, sizeof out, &e) == 0, "load it again");
		s1 = state(d);
		ok(before && s1 && !strcmp(before, s1), "one entry still: %s", s1);
		free(before);
		free(s1);
		c_store_close(d);
	}
	{
		/* gzip'd as a whole */
		struct tap_buf tar = slurp(tap_at(dir, "d.tar")), gz = { 0 };
		struct c_deflate *z = c_deflate_new(tap_buf_put, &gz, &e);
		struct c_store *g = store("g");
		int fd;

		c_deflate_write(z, tar.buf, tar.len, &e);
		c_deflate_finish(z, &e);
		c_deflate_free(z);
		fd = open(tap_at(dir, "d.tar.gz"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || c_write_all(fd, gz.buf, gz.len) < 0)
			tap_bail("write", "d.tar.gz");
		close(fd);
		ok(load(g, tap_at(dir, "d.tar.gz"), out, sizeof out, &e) == 0 &&
			   !strcmp(out, "arch/one:1 arch/two:latest "),
		   "a gzip'd archive loads");
		free(tar.buf);
		free(gz.buf);
		c_store_close(g);
	}
	if (e)
		tap_diag("%s", e->msg);
	c_err_free(&e);
	c_store_close(a);
}

/* Each bad archive: refused with the line, and the store as it was. */
static void bad(struct c_store *s, const char *file, int status, const char *want,
		const char *what)
{
	char line[1024], *before = state(s), *after;
	int blobs = count_dir("bad/blobs/sha256");
	int st = refused(s, file, line, sizeof line);

	after = state(s);
	if (!ok(st == status && strstr(line, want) && before && after && !strcmp(before, after) &&
			count_dir("bad/blobs/sha256") == blobs && count_dir("bad/tmp") == 0,
		"%s", what))
		tap_diag("status %d, line: %s\n# want: %s\n# before: %s\n# after: %s", st, line, want,
			 before, after);
	free(before);
	free(after);
}

static void test_bad(void)
{
	struct c_store *s = store("bad");
	struct ent ents[64];
	struct c_digest m, c;
	struct ent *x = NULL;
	size_t n;

	image(s, "bad/kept", "kept", &m, &c);

	n = read_all(tap_at(dir, "d.tar"), ents, 64);
	free(ents[0].name);
	ents[0].name = strdup("../x");
	write_all(tap_at(dir, "dotdot.tar"), ents, n);
	bad(s, tap_at(dir, "dotdot.tar"), 3, "load: ../x: '..' leads outside the archive",
	    "an entry ../x");
	free(ents[0].name);
	ents[0].name = strdup("/abs");
	write_all(tap_at(dir, "abs.tar"), ents, n);
	bad(s, tap_at(dir, "abs.tar"), 3, "load: /abs: an absolute path", "an absolute entry");
	free_all(ents, n);

	n = read_all(tap_at(dir, "d.tar"), ents, 64);
	set_layer0(ents, n, "nothere.tar");
	write_all(tap_at(dir, "missing.tar"), ents, n);
	bad(s, tap_at(dir, "missing.tar"), 3, "load: nothere.tar: not in the archive",
	    "manifest.json naming a missing file");
	free_all(ents, n);

	{
		char want[300], *name;

		name = tamper("d.tar", "diffid.tar", is_layer_tar, 600); /* inside the content */
		snprintf(want, sizeof want, "load: %s: diff_id mismatch: the config says", name);
		bad(s, tap_at(dir, "diffid.tar"), 3, want, "a docker layer that is not what its config says");
		free(name);
		name = tamper("o.tar", "digest.tar", is_blob, -1);
		snprintf(want, sizeof want, "load: %s: digest mismatch", name);
		bad(s, tap_at(dir, "digest.tar"), 3, want, "an OCI blob whose digest does not match");
		free(name);
	}

	{
		int in = open(tap_at(dir, "o.tar"), O_RDONLY), out;
		char buf[3000];
		ssize_t k = read(in, buf, sizeof buf);

		close(in);
		out = open(tap_at(dir, "cut.tar"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		c_write_all(out, buf, (size_t)k);
		close(out);
		bad(s, tap_at(dir, "cut.tar"), 3, "truncated", "a truncated archive");
	}

	n = read_all(tap_at(dir, "d.tar"), ents, 64);
	x = find(ents, n, "/layer.tar");
	free(x->link);
	x->link = strdup("../../etc/passwd");
	{
		/* manifest.json names the legacy symlink instead of the file */
		char want[200];

		set_layer0(ents, n, x->name);
		write_all(tap_at(dir, "link.tar"), ents, n);
		snprintf(want, sizeof want, "load: %s: a link that leads outside the archive", x->name);
		bad(s, tap_at(dir, "link.tar"), 3, want, "a layer symlink out of the archive");
	}
	free_all(ents, n);
	bad(s, tap_at(dir, "nonexistent.tar"), 4, "nonexistent.tar", "a missing file");
	c_store_close(s);
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_bail("mkdtemp", dir);
	test_round_trips();
	test_bad();
	if (!tap_failed)
		tap_remove_tree(dir);
	return tap_done();
}
