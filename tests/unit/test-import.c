/* Layers and images made here (lib/mklayer.h) and c-image import
 * (lib/import.h): a tar, gzip'd or not, or a directory becomes a one-layer
 * image; refused inputs leave the store as it was. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deflate.h"
#include "import.h"
#include "inflate.h"
#include "json.h"
#include "manifest.h"
#include "mklayer.h"
#include "ref.h"
#include "tap.h"
#include "tardir.h"
#include "tarstream.h"

static char dir[] = "/tmp/c-tools-import-XXXXXX";

static void put_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || c_write_all(fd, buf, len) < 0)
		tap_bail("write", path);
	close(fd);
}

/* The uncompressed content of a blob. */
static struct tap_buf blob_content(struct c_store *s, const struct c_digest *d)
{
	char *path = c_store_blob_path(s, d);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct tap_buf m = { 0 };
	c_err *e = NULL;
	struct c_inflate *z = fd >= 0 ? c_inflate_new_sniffed(fd, NULL, &e) : NULL;
	const void *b;
	ssize_t n;

	while (z && (n = c_inflate_read(z, &b, &e)) > 0)
		tap_buf_put(&m, b, (size_t)n, &e);
	c_err_free(&e);
	c_inflate_free(z);
	if (fd >= 0)
		close(fd);
	free(path);
	return m;
}

static int count_dir(const char *rel)
{
	DIR *d = opendir(tap_at(dir, rel));
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || strlen(de->d_name) > 2;
	if (d)
		closedir(d);
	return n;
}

static void test_mklayer(struct c_store *s)
{
	size_t len = (5 << 20) + 12345;
	char *data = malloc(len);
	struct c_mklayer_out a, b;
	struct c_digest want;
	struct tap_buf back;
	c_err *e = NULL;
	int ok1 = 1, ok2 = 1;

	for (size_t i = 0; i < len; i++)
		data[i] = (char)((i * 31) ^ (i >> 9));
	c_digest_of(C_DIGEST_SHA256, data, len, &want);
	{
		struct c_mklayer *l = c_mklayer_new(s, &e);

		for (size_t off = 0, k = 1; l && off < len; off += k, k = k * 7 % 100003 + 1)
			ok1 &= c_mklayer_write(l, data + off, off + k > len ? len - off : k, &e) == 0;
		ok1 &= l && c_mklayer_commit(l, &a, &e) == 0;
		c_mklayer_free(l);
	}
	{
		struct c_mklayer *l = c_mklayer_new(s, &e);

		ok2 &= l && c_mklayer_write(l, data, len, &e) == 0 && c_mklayer_commit(l, &b, &e) == 0;
		c_mklayer_free(l);
	}
	ok(ok1 && ok2, "make two layers of 5 MiB, written in odd pieces and at once");
	ok(c_digest_equal(&a.diff_id, &want) && a.tar_size == (int64_t)len,
	   "the diff_id is the content's sha256");
	ok(c_digest_equal(&a.digest, &b.digest) && a.size == b.size,
	   "the same content gives the same blob, however it was written");
	back = blob_content(s, &a.digest);
	ok(c_store_has_blob(s, &a.digest) && back.len == len && !memcmp(back.buf, data, len),
	   "the blob in the store inflates to the content");
	free(back.buf);
	{
		struct c_mklayer *l = c_mklayer_new(s, &e);

		c_mklayer_write(l, "abandoned", 9, &e);
		c_mklayer_free(l);
	}
	ok(count_dir("root/tmp") == 0, "a layer not committed leaves nothing in tmp/");
	free(data);
}

static void test_mkimage(struct c_store *s)
{
	static const char cfg[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
				  "{\"type\":\"layers\",\"diff_ids\":[]}}";
	struct c_descriptor layer = { .compression = C_COMPRESSION_GZIP };
	struct c_store_image img;
	struct c_digest cd;
	char *buf = NULL;
	size_t len;
	c_err *e = NULL;
	struct c_manifest *m = NULL;

	c_digest_of(C_DIGEST_SHA256, "x", 1, &layer.digest);
	layer.size = 1;
	c_digest_of(C_DIGEST_SHA256, cfg, sizeof cfg - 1, &cd);
	ok(c_mkimage(s, cfg, sizeof cfg - 1, &layer, 1, &img, &e) == 0 && !img.name &&
		   !strcmp(img.media_type, C_MEDIA_OCI_MANIFEST),
	   "mkimage stores a config and an OCI manifest");
	if (c_store_read_blob(s, &img.digest, 4096, &buf, &len, &e) == 0)
		m = c_manifest_parse(buf, len, img.media_type, "test", &e);
	ok(m && c_digest_equal(&m->config.digest, &cd) && m->nlayers == 1 &&
		   !strcmp(m->layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip") &&
		   !strcmp(m->config.media_type, C_MEDIA_OCI_CONFIG) && (int64_t)len == img.size,
	   "its manifest: the config as given, the layer as gzip");
	c_manifest_free(m);
	free(buf);
	c_store_image_clear(&img);
}

static void test_config(void)
{
	const char *changes[] = { "CMD [\"sh\"]", "ENV A=1" };
	struct c_import_opts o = { changes, 2, NULL, "linux/arm64/v8" };
	json_t *cfg;
	c_err *e = NULL;
	char *s;

	cfg = c_import_config(&o, "rootfs.tar", &e);
	s = cfg ? json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	ok(s && strstr(s, "\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\","
			  "\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"A=1\"]},\"rootfs\":{\"type\":"
			  "\"layers\",\"diff_ids\":[]},\"history\":[{\"created\":") &&
		   strstr(s, "\"comment\":\"Imported from rootfs.tar\"}]"),
	   "the config: platform, changes, rootfs, history");
	if (s && !strstr(s, "\"variant\":\"v8\""))
		tap_diag("%s", s);
	free(s);
	json_decref(cfg);
	o.platform = NULL;
	o.message = "from the test";
	cfg = c_import_config(&o, "-", &e);
	{
		struct c_platform host;

		c_platform_host(&host);
		ok(cfg && !strcmp(json_string_value(json_object_get(cfg, "architecture")), host.arch) &&
			   !strcmp(json_string_value(json_object_get(
					   json_array_get(json_object_get(cfg, "history"), 0),
					   "comment")),
				   "from the test"),
		   "the host's platform by default; a message as the comment");
	}
	json_decref(cfg);
	o.platform = "linux/";
	ok(!c_import_config(&o, "-", &e) && tap_err_has(&e, "invalid platform"), "a bad platform");
	o.platform = NULL;
	changes[1] = "RUN x";
	ok(!c_import_config(&o, "-", &e) && tap_err_has(&e, "RUN is not one of"), "a bad change");
}

/* index.json's names, one a line. */
static char *names(struct c_store *s)
{
	struct c_store_image *imgs;
	struct tap_buf m = { 0 };
	size_t n;
	c_err *e = NULL;

	if (c_store_list(s, &imgs, &n, &e) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		tap_buf_put(&m, imgs[i].name ? imgs[i].name : "-", strlen(imgs[i].name ? imgs[i].name : "-"),
		       &e);
		tap_buf_put(&m, "\n", 1, &e);
	}
	tap_buf_put(&m, "", 1, &e);
	c_store_images_free(imgs, n);
	return m.buf;
}

static int import(struct c_store *s, const char *src, const char *name, struct c_digest *d,
		  c_err **err)
{
	struct c_import_opts o = { NULL, 0, NULL, NULL };
	json_t *cfg = c_import_config(&o, src, err);
	int rc = cfg ? c_import(s, src, cfg, name, d, err) : -1;

	json_decref(cfg);
	return rc;
}

/* The diff_id in the image's config. */
static bool diff_id_is(struct c_store *s, const struct c_digest *manifest,
		       const struct c_digest *want)
{
	char *buf = NULL, *cbuf = NULL;
	size_t len, clen;
	c_err *e = NULL;
	struct c_manifest *m = NULL;
	struct c_image_config cfg = { 0 };
	bool yes = false;

	if (c_store_read_blob(s, manifest, 1 << 20, &buf, &len, &e) == 0 &&
	    (m = c_manifest_parse(buf, len, C_MEDIA_OCI_MANIFEST, "t", &e)) &&
	    c_store_read_blob(s, &m->config.digest, 1 << 20, &cbuf, &clen, &e) == 0 &&
	    c_image_config_parse(cbuf, clen, "t", &cfg, &e) == 0)
		yes = cfg.ndiff_ids == 1 && c_digest_equal(&cfg.diff_ids[0], want);
	c_err_free(&e);
	c_image_config_free(&cfg);
	c_manifest_free(m);
	free(buf);
	free(cbuf);
	return yes;
}

static void test_import(struct c_store *s)
{
	struct tap_buf tar = { 0 }, gz = { 0 }, evil = { 0 };
	struct c_digest d1, d2, d3, want;
	c_err *e = NULL;
	char *list;
	int blobs;

	tap_mkdir(tap_at(dir, "tree"));
	tap_mkdir(tap_at(dir, "tree/etc"));
	tap_put(tap_at(dir, "tree/etc/hostname"), "imported\n");
	if (c_tar_dir(tap_at(dir, "tree"), tap_buf_put, &tar, &e) < 0)
		tap_bail("tar", "tree");
	put_file(tap_at(dir, "tree.tar"), tar.buf, tar.len);
	{
		struct c_deflate *z = c_deflate_new(tap_buf_put, &gz, &e);

		c_deflate_write(z, tar.buf, tar.len, &e);
		c_deflate_finish(z, &e);
		c_deflate_free(z);
		put_file(tap_at(dir, "tree.tar.gz"), gz.buf, gz.len);
	}
	c_digest_of(C_DIGEST_SHA256, tar.buf, tar.len, &want);

	ok(import(s, tap_at(dir, "tree.tar"), "imp/tar", &d1, &e) == 0 && diff_id_is(s, &d1, &want),
	   "import a tar: its sha256 is the diff_id");
	ok(import(s, tap_at(dir, "tree.tar.gz"), "imp/gz", &d2, &e) == 0 && diff_id_is(s, &d2, &want),
	   "import it gzip'd: the same diff_id");
	ok(import(s, tap_at(dir, "tree"), NULL, &d3, &e) == 0 && diff_id_is(s, &d3, &want),
	   "import the directory: the same tar");
	list = names(s);
	ok(list && strstr(list, "imp/tar\nimp/gz\n-\n"), "named, and the last one without a name");
	free(list);

	/* refused: "../x", a truncated tar; nothing named, no blob left */
	blobs = count_dir("root/blobs/sha256");
	{
		struct c_tarout *o = c_tarout_new(tap_buf_put, &evil, &e);
		struct archive_entry *ae = archive_entry_new();

		archive_entry_copy_pathname(ae, "../x");
		archive_entry_set_mode(ae, S_IFREG | 0644);
		archive_entry_set_size(ae, 2);
		c_tarout_header(o, ae, &e);
		c_tarout_data(o, "x\n", 2, &e);
		c_tarout_close(o, &e);
		c_tarout_free(o);
		archive_entry_free(ae);
		put_file(tap_at(dir, "evil.tar"), evil.buf, evil.len);
	}
	ok(import(s, tap_at(dir, "evil.tar"), "imp/evil", &d1, &e) < 0 && e &&
		   e->status == C_EXIT_DATA && tap_err_has(&e, "entry \"../x\": '..' components are not allowed"),
	   "a tar with ../x is refused");
	put_file(tap_at(dir, "cut.tar"), tar.buf, tar.len - 1100);
	ok(import(s, tap_at(dir, "cut.tar"), "imp/cut", &d1, &e) < 0 && tap_err_has(&e, "truncated"),
	   "a truncated tar is refused");
	ok(import(s, tap_at(dir, "nonexistent.tar"), "imp/none", &d1, &e) < 0 && e &&
		   e->status == C_EXIT_NOTFOUND && tap_err_has(&e, "nonexistent.tar"),
	   "a missing file is not found");
	list = names(s);
	ok(list && !strstr(list, "evil") && !strstr(list, "cut") &&
		   count_dir("root/blobs/sha256") == blobs && count_dir("root/tmp") == 0,
	   "and the store is as it was: no name, no blob, nothing in tmp/");
	free(list);
	free(tar.buf);
	free(gz.buf);
	free(evil.buf);
}

int main(void)
{
	struct c_store *s;
	c_err *e = NULL;

	if (!mkdtemp(dir))
		tap_bail("mkdtemp", dir);
	s = c_store_open(tap_at(dir, "root"), &e);
	if (!s)
		tap_bail("open store", dir);
	test_mklayer(s);
	test_mkimage(s);
	test_config();
	test_import(s);
	c_store_close(s);
	if (!tap_failed)
		tap_remove_tree(dir);
	return tap_done();
}
