#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "inflate.h"
#include "json.h"
#include "manifest.h"
#include "mklayer.h"
#include "tarstream.h"

#define SMALL_MAX (1 << 20)  /* files kept in memory ... */
#define MEM_MAX (256 << 20)  /* ... up to this much in all */
#define LINKS_MAX 16
#define REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME "io.containerd.image.name"

enum kind {
	E_MEM,  /* a small file, kept in memory */
	E_BLOB, /* a file now in the store as a blob */
	E_LINK, /* a symlink or hard link to another path */
};

struct entry {
	char *path;
	enum kind kind;
	char *data; /* E_MEM */
	size_t len;
	struct c_digest digest; /* E_BLOB */
	int64_t size;
	bool layer_known;       /* E_BLOB: compression and diff_id known */
	enum c_compression comp;
	struct c_digest diff_id;
	char *target; /* E_LINK: the path it leads to, or NULL when it leads out */
	const char *why; /* E_LINK without a target: why */
};

struct loader {
	struct c_store *s;
	const char *input;
	struct entry *e;
	size_t n, cap;
	json_t *by_path; /* path -> index into e */
	size_t mem;      /* bytes kept in memory */
	struct c_digest *stored; /* every blob this load stored, for c_store_drop_unused */
	size_t nstored, capstored;
	char *buf;
};

/* --- the entries ---------------------------------------------------------------------- */

static int remember_blob(struct loader *ld, const struct c_digest *d, c_err **err)
{
	if (ld->nstored == ld->capstored) {
		size_t cap = ld->capstored ? 2 * ld->capstored : 64;
		struct c_digest *p = realloc(ld->stored, cap * sizeof *p);

		if (!p)
			return c_err_sys(err, "load", "blob list");
		ld->stored = p;
		ld->capstored = cap;
	}
	ld->stored[ld->nstored++] = *d;
	return 0;
}

static void entry_clear(struct entry *e)
{
	free(e->path);
	free(e->data);
	free(e->target);
	memset(e, 0, sizeof *e);
}

/* A new record for path; a later entry of the same path replaces an
 * earlier one, as tar does. */
static struct entry *add_entry(struct loader *ld, const char *path, enum kind kind, c_err **err)
{
	json_t *have = json_object_get(ld->by_path, path);
	struct entry *e;

	if (have) {
		e = &ld->e[json_integer_value(have)];
		if (e->kind == E_MEM)
			ld->mem -= e->len;
		entry_clear(e);
	} else {
		if (ld->n == ld->cap) {
			size_t cap = ld->cap ? 2 * ld->cap : 64;

			e = realloc(ld->e, cap * sizeof *e);
			if (!e)
				goto oom;
			ld->e = e;
			ld->cap = cap;
		}
		if (json_object_set_new(ld->by_path, path, json_integer((json_int_t)ld->n)) < 0)
			goto oom;
		e = &ld->e[ld->n++];
		memset(e, 0, sizeof *e);
	}
	e->kind = kind;
	e->path = strdup(path);
	if (!e->path)
		goto oom;
	return e;
oom:
	c_err_sys(err, "load", path);
	return NULL;
}

/* Clean a path inside the archive: "." and empty components dropped, ".."
 * applied; NULL (no error made) when it climbs above the top.  dir, when
 * set, is what a relative path is taken from. */
static char *archive_path(const char *dir, const char *path)
{
	size_t cap = (dir ? strlen(dir) : 0) + strlen(path) + 2, len = 0;
	char *out = malloc(cap), *joined = NULL;
	const char *p;

	if (!out)
		return NULL;
	if (dir && *dir && asprintf(&joined, "%s/%s", dir, path) < 0) {
		free(out);
		return NULL;
	}
	p = joined ? joined : path;
	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (!n || (n == 1 && *p == '.')) {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (!len) {
				free(out);
				free(joined);
				return NULL;
			}
			while (len && out[--len] != '/')
				;
		} else {
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	out[len] = '\0';
	free(joined);
	return out;
}

/* --- the pass over the archive ------------------------------------------------------- */

/* The entry's data into memory. */
static int keep_in_memory(struct loader *ld, struct c_tarin *t, struct entry *e, int64_t size,
			  c_err **err)
{
	const void *buf;
	ssize_t n;

	e->data = malloc((size_t)size + 1);
	if (!e->data)
		return c_err_sys(err, "load", e->path);
	while ((n = c_tarin_data(t, &buf, err)) > 0) {
		if (e->len + (size_t)n > (size_t)size)
			return c_err_new(err, C_EXIT_DATA, 0, "more data than its header says");
		memcpy(e->data + e->len, buf, (size_t)n);
		e->len += (size_t)n;
	}
	e->data[e->len] = '\0';
	ld->mem += e->len;
	return n < 0 ? -1 : 0;
}

/* blobs/ALG/HEX: into the store, verified against its name. */
static int take_blob(struct loader *ld, struct c_tarin *t, struct entry *e,
		     const struct c_digest *want, int64_t size, c_err **err)
{
	struct c_blob_writer w;
	const void *buf;
	ssize_t n;

	if (c_blob_begin(ld->s, want, size, &w, err) < 0)
		return -1;
	e->digest = *want;
	e->size = size;
	if (w.present) {
		c_blob_abort(&w);
		return c_tarin_skip(t, err);
	}
	if (c_blob_restart(&w, err) < 0) {
		c_blob_discard(&w);
		return -1;
	}
	while ((n = c_tarin_data(t, &buf, err)) > 0)
		if (c_blob_write(&w, buf, (size_t)n, err) < 0)
			break;
	if (n != 0) {
		c_blob_discard(&w);
		return -1;
	}
	if (remember_blob(ld, want, err) < 0) {
		c_blob_discard(&w);
		return -1;
	}
	return c_blob_commit(&w, err);
}

/* Where a streamed layer goes: as it is, or gzip'd. */
struct layer_sink {
	struct c_blob_writer w;
	struct c_mklayer *l;
	bool open;
};

static int sink_write(struct layer_sink *k, const void *buf, size_t len, c_err **err)
{
	return k->l ? c_mklayer_write(k->l, buf, len, err) : c_blob_write(&k->w, buf, len, err);
}

/* Any other big file: a layer, stored as it is when it is compressed, else
 * gzip'd with its diff_id computed on the way.  Its first bytes say which. */
static int take_layer(struct loader *ld, struct c_tarin *t, struct entry *e, c_err **err)
{
	struct layer_sink k = { .open = false };
	unsigned char head[C_COMPRESSION_MAGIC_MAX];
	size_t hlen = 0;
	const void *buf = NULL;
	ssize_t n = 0;
	int rc = -1;

	while (hlen < sizeof head && (n = c_tarin_data(t, &buf, err)) > 0) {
		size_t take = sizeof head - hlen < (size_t)n ? sizeof head - hlen : (size_t)n;

		memcpy(head + hlen, buf, take);
		hlen += take;
		buf = (const char *)buf + take;
		n -= (ssize_t)take;
	}
	if (n < 0)
		return -1;
	e->comp = c_compression_sniff(head, hlen);
	if (e->comp == C_COMPRESSION_NONE)
		k.l = c_mklayer_new(ld->s, err);
	k.open = k.l || (e->comp != C_COMPRESSION_NONE &&
			 c_blob_begin_new(ld->s, C_DIGEST_SHA256, &k.w, err) == 0);
	if (k.open && sink_write(&k, head, hlen, err) == 0 &&
	    (n == 0 || sink_write(&k, buf, (size_t)n, err) == 0)) {
		while ((n = c_tarin_data(t, &buf, err)) > 0)
			if (sink_write(&k, buf, (size_t)n, err) < 0)
				break;
		rc = n == 0 ? 0 : -1;
	}
	if (rc == 0 && k.l) {
		struct c_mklayer_out out;

		rc = c_mklayer_commit(k.l, &out, err);
		e->digest = out.digest;
		e->size = out.size;
		e->comp = C_COMPRESSION_GZIP;
		e->diff_id = out.diff_id;
		e->layer_known = true;
	} else if (rc == 0) {
		rc = c_blob_commit(&k.w, err);
		e->digest = k.w.want;
		e->size = k.w.offset;
	} else if (k.open && !k.l) {
		c_blob_discard(&k.w);
	}
	c_mklayer_free(k.l);
	if (rc == 0)
		rc = remember_blob(ld, &e->digest, err);
	return rc;
}

/* blobs/ALG/HEX names a blob: its digest in *d. */
static bool blob_path(const char *path, struct c_digest *d)
{
	char text[C_DIGEST_STR_MAX + 8];
	const char *alg, *hex;
	c_err *ignore = NULL;

	if (strncmp(path, "blobs/", 6))
		return false;
	alg = path + 6;
	hex = strchr(alg, '/');
	if (!hex || strchr(hex + 1, '/') || (size_t)(hex - alg) > 8 ||
	    snprintf(text, sizeof text, "%.*s:%s", (int)(hex - alg), alg, hex + 1) >= (int)sizeof text)
		return false;
	if (c_digest_parse(d, text, &ignore) < 0) {
		c_err_free(&ignore);
		return false;
	}
	return true;
}

static bool small_name(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	return !strcmp(base, "json") || (n > 5 && !strcmp(base + n - 5, ".json"));
}

static int take_entry(struct loader *ld, struct c_tarin *t, struct archive_entry *ae,
		      const char *raw, c_err **err)
{
	_cleanup_free_ char *path = NULL;
	mode_t type = archive_entry_filetype(ae);
	const char *link = archive_entry_hardlink(ae);
	int64_t size = archive_entry_size(ae);
	struct c_digest d;
	struct entry *e;

	if (raw[0] == '/')
		return c_err_new(err, C_EXIT_DATA, 0, "an absolute path");
	path = archive_path(NULL, raw);
	if (!path)
		return c_err_new(err, C_EXIT_DATA, 0, "'..' leads outside the archive");
	if (!*path || (type == AE_IFDIR && !link))
		return 0;
	if (link || type == AE_IFLNK) {
		char *dir = strrchr(path, '/') ? strndup(path, strrchr(path, '/') - path) : NULL;
		const char *target = link ? link : archive_entry_symlink(ae);

		if (!(e = add_entry(ld, path, E_LINK, err))) {
			free(dir);
			return -1;
		}
		if (!target || target[0] == '/')
			e->why = "a link to an absolute path";
		else if (!(e->target = archive_path(link ? NULL : dir, target)))
			e->why = "a link that leads outside the archive";
		free(dir);
		return 0;
	}
	if (type != AE_IFREG)
		return 0;
	if (blob_path(path, &d)) {
		e = add_entry(ld, path, E_BLOB, err);
		return e ? take_blob(ld, t, e, &d, size, err) : -1;
	}
	/* small files in memory, any other is a layer */
	if (size < 0 || (size > SMALL_MAX && !(small_name(path) && size <= C_CONFIG_MAX)) ||
	    ld->mem + (size_t)size > MEM_MAX) {
		e = add_entry(ld, path, E_BLOB, err);
		return e ? take_layer(ld, t, e, err) : -1;
	}
	e = add_entry(ld, path, E_MEM, err);
	return e ? keep_in_memory(ld, t, e, size, err) : -1;
}

static int read_archive(struct loader *ld, int fd, c_err **err)
{
	struct c_tarin *t = c_tarin_open(fd, NULL, NULL, NULL, err);
	struct archive_entry *ae;
	int r;

	if (!t)
		return c_err_wrap(err, "%s", ld->input);
	bool in_entry = false;

	while ((r = c_tarin_next(t, &ae, err)) > 0) {
		const char *raw = archive_entry_pathname(ae);

		if (take_entry(ld, t, ae, raw ? raw : "", err) < 0) {
			c_err_wrap(err, "%s", raw ? raw : "");
			in_entry = true;
			r = -1;
			break;
		}
	}
	if (r == 0 && c_tarin_finish(t, err) < 0)
		r = -1;
	/* the archive itself: a header that cannot be read, the end of a
	 * compressed stream */
	if (r < 0 && !in_entry)
		c_err_wrap(err, "%s", ld->input);
	c_tarin_free(t);
	return r;
}

/* --- after the pass ------------------------------------------------------------------- */

/* The file at path, links followed. */
static struct entry *lookup(struct loader *ld, const char *path, c_err **err)
{
	const char *p = path;

	for (int hops = 0; hops <= LINKS_MAX; hops++) {
		json_t *i = json_object_get(ld->by_path, p);
		struct entry *e = i ? &ld->e[json_integer_value(i)] : NULL;

		if (!e) {
			c_err_new(err, C_EXIT_DATA, 0, "%s: not in the archive", p);
			return NULL;
		}
		if (e->kind != E_LINK)
			return e;
		if (!e->target) {
			c_err_new(err, C_EXIT_DATA, 0, "%s: %s", p, e->why);
			return NULL;
		}
		p = e->target;
	}
	c_err_new(err, C_EXIT_DATA, 0, "%s: too many links", path);
	return NULL;
}

static const char *mem_of(struct entry *e, const char *what, c_err **err)
{
	if (e->kind == E_MEM)
		return e->data;
	c_err_new(err, C_EXIT_DATA, 0, "%s: too big for %s", e->path, what);
	return NULL;
}

/* The bytes of a small file: kept in memory, or (docker 25 names its
 * configs blobs/sha256/HEX) read back from the store into *copy. */
static int entry_bytes(struct loader *ld, struct entry *e, size_t max, const char **out,
		       size_t *len, char **copy, c_err **err)
{
	if (e->kind == E_MEM) {
		*out = e->data;
		*len = e->len;
		return 0;
	}
	if (c_store_read_blob(ld->s, &e->digest, max, copy, len, err) < 0)
		return c_err_wrap(err, "%s", e->path);
	*out = *copy;
	return 0;
}

/* The diff_id of a stored compressed layer: its blob inflated. */
static int blob_diff_id(struct loader *ld, struct entry *e, c_err **err)
{
	_cleanup_free_ char *path = c_store_blob_path(ld->s, &e->digest);
	_cleanup_close_ int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct c_inflate *z;
	struct c_hasher h;
	const void *buf;
	int64_t size = 0;
	ssize_t n;

	if (fd < 0)
		return c_err_sys(err, "open blob", e->digest.str);
	z = c_inflate_new_sniffed(fd, &e->comp, err);
	if (!z)
		return -1;
	if (e->comp == C_COMPRESSION_NONE && e->digest.alg == C_DIGEST_SHA256) {
		/* an uncompressed layer (docker 25's blobs): its own digest */
		c_inflate_free(z);
		e->diff_id = e->digest;
		e->layer_known = true;
		return 0;
	}
	c_hasher_init(&h, C_DIGEST_SHA256);
	while ((n = c_inflate_read(z, &buf, err)) > 0) {
		c_hasher_update(&h, buf, (size_t)n);
		size += n;
	}
	c_inflate_free(z);
	if (n < 0)
		return c_err_wrap(err, "%s", e->path);
	c_hasher_final(&h, &e->diff_id);
	e->layer_known = true;
	if (e->comp != C_COMPRESSION_NONE)
		c_store_set_layer_info(ld->s, &e->digest, &e->diff_id, size);
	return 0;
}

/* A layer kept in memory: into the store like a streamed one. */
static int mem_layer(struct loader *ld, struct entry *e, c_err **err)
{
	enum c_compression comp = c_compression_sniff(e->data, e->len);
	struct c_mklayer *l;
	struct c_mklayer_out out;

	if (comp != C_COMPRESSION_NONE) {
		c_digest_of(C_DIGEST_SHA256, e->data, e->len, &e->digest);
		if (c_store_put_blob(ld->s, &e->digest, e->data, e->len, err) < 0)
			return -1;
		e->size = (int64_t)e->len;
	} else {
		l = c_mklayer_new(ld->s, err);
		if (!l || c_mklayer_write(l, e->data, e->len, err) < 0 ||
		    c_mklayer_commit(l, &out, err) < 0) {
			c_mklayer_free(l);
			return -1;
		}
		c_mklayer_free(l);
		e->digest = out.digest;
		e->size = out.size;
		e->comp = C_COMPRESSION_GZIP;
		e->diff_id = out.diff_id;
		e->layer_known = true;
	}
	if (remember_blob(ld, &e->digest, err) < 0)
		return -1;
	ld->mem -= e->len;
	free(e->data);
	e->data = NULL;
	e->kind = E_BLOB;
	return 0;
}

/* The layer at path as a descriptor, its diff_id checked. */
static int docker_layer(struct loader *ld, const char *path, const struct c_digest *want,
			struct c_descriptor *d, c_err **err)
{
	struct entry *e = lookup(ld, path, err);

	if (!e)
		return -1;
	if (e->kind == E_MEM && mem_layer(ld, e, err) < 0)
		return c_err_wrap(err, "%s", path);
	if (!e->layer_known && blob_diff_id(ld, e, err) < 0)
		return -1;
	if (!c_digest_equal(&e->diff_id, want))
		return c_err_new(err, C_EXIT_DATA, 0,
				 "%s: diff_id mismatch: the config says %s, the layer has %s", path,
				 want->str, e->diff_id.str);
	d->compression = e->comp;
	d->digest = e->digest;
	d->size = e->size;
	return 0;
}

static int add_image(struct c_store_image **imgs, size_t *n, const struct c_store_image *img,
		     const char *name, c_err **err)
{
	struct c_store_image *p = realloc(*imgs, (*n + 1) * sizeof *p);

	if (!p)
		return c_err_sys(err, "load", img->digest.str);
	*imgs = p;
	p += (*n)++;
	*p = (struct c_store_image){ NULL, strdup(img->media_type), img->digest, img->size };
	if (name)
		p->name = strdup(name);
	if (!p->media_type || (name && !p->name))
		return c_err_sys(err, "load", img->digest.str);
	return name ? c_store_check_name(name, err) : 0;
}

static int docker_item(struct loader *ld, json_t *item, size_t idx,
		       struct c_store_image **imgs, size_t *n, c_err **err)
{
	_cleanup_free_ struct c_descriptor *layers = NULL;
	struct c_image_config cfg = { 0 };
	struct c_store_image img = { 0 };
	json_t *list = NULL, *tags = NULL, *v;
	const char *config_path, *config = NULL;
	_cleanup_free_ char *copy = NULL;
	size_t config_len = 0;
	char where[48];
	struct entry *ce;
	size_t i;
	int rc = -1;

	snprintf(where, sizeof where, "[%zu]", idx);
	if (c_json_get_string(item, where, "Config", true, &config_path, err) < 0 ||
	    c_json_get(item, where, "Layers", JSON_ARRAY, true, &list, err) < 0 ||
	    c_json_get_present(item, where, "RepoTags", JSON_ARRAY, &tags, err) < 0)
		return c_err_wrap(err, "manifest.json");
	ce = lookup(ld, config_path, err);
	if (!ce || entry_bytes(ld, ce, C_CONFIG_MAX, &config, &config_len, &copy, err) < 0 ||
	    c_image_config_parse(config, config_len, config_path, &cfg, err) < 0)
		return -1;
	if (cfg.ndiff_ids != json_array_size(list)) {
		c_err_new(err, C_EXIT_DATA, 0, "manifest.json: %s: %zu layers for the %zu diff_ids of %s",
			  where, json_array_size(list), cfg.ndiff_ids, config_path);
		goto out;
	}
	layers = calloc(cfg.ndiff_ids + 1, sizeof *layers);
	if (!layers) {
		c_err_sys(err, "load", config_path);
		goto out;
	}
	json_array_foreach(list, i, v) {
		if (!json_is_string(v)) {
			c_err_new(err, C_EXIT_DATA, 0, "manifest.json: %s.Layers[%zu]: expected string",
				  where, i);
			goto out;
		}
		if (docker_layer(ld, json_string_value(v), &cfg.diff_ids[i], &layers[i], err) < 0)
			goto out;
	}
	if (c_mkimage(ld->s, config, config_len, layers, cfg.ndiff_ids, &img, err) < 0 ||
	    remember_blob(ld, &img.digest, err) < 0) {
		c_err_wrap(err, "%s", config_path);
		goto out;
	}
	{
		struct c_digest cd;

		c_digest_of(C_DIGEST_SHA256, config, config_len, &cd);
		if (remember_blob(ld, &cd, err) < 0)
			goto out;
	}
	rc = 0;
	json_array_foreach(tags, i, v) {
		if (!json_is_string(v) || add_image(imgs, n, &img, json_string_value(v), err) < 0) {
			rc = c_err_wrap(err, "manifest.json: %s.RepoTags[%zu]", where, i);
			break;
		}
	}
	if (rc == 0 && !json_array_size(tags))
		rc = add_image(imgs, n, &img, NULL, err);
out:
	c_store_image_clear(&img);
	c_image_config_free(&cfg);
	return rc;
}

static int load_docker(struct loader *ld, struct entry *me, struct c_store_image **imgs,
		       size_t *n, c_err **err)
{
	const char *text = mem_of(me, "manifest.json", err);
	_cleanup_json_ json_t *doc = text ? c_json_parse(text, me->len, "manifest.json", err) : NULL;
	size_t i;
	json_t *item;

	if (!doc)
		return -1;
	if (!json_is_array(doc))
		return c_err_new(err, C_EXIT_DATA, 0, "manifest.json: expected an array");
	json_array_foreach(doc, i, item) {
		if (docker_item(ld, item, i, imgs, n, err) < 0)
			return -1;
	}
	return 0;
}

/* What an OCI image of the archive references must be in the store. */
static int oci_visit(struct c_store *s, const struct c_store_node *node, void *arg,
		     c_err **err)
{
	const char *what = node->state == C_STORE_MISSING ? "not in the archive"
			   : node->state == C_STORE_SIZE  ? "not of the size its descriptor says"
							  : node->problem;

	if (node->state == C_STORE_OK)
		return 0;
	if (node->parent)
		return c_err_new(err, C_EXIT_DATA, 0, "blobs/%s/%s: %s (referenced by %s)",
				 c_digest_alg_name(node->digest.alg), c_digest_hex(&node->digest),
				 what, node->parent->digest.str);
	return c_err_new(err, C_EXIT_DATA, 0, "blobs/%s/%s: %s (named by index.json)",
			 c_digest_alg_name(node->digest.alg), c_digest_hex(&node->digest), what);
}

static int load_oci(struct loader *ld, struct entry *ie, struct c_store_image **imgs,
		    size_t *n, c_err **err)
{
	const char *text = mem_of(ie, "index.json", err);
	_cleanup_json_ json_t *doc = text ? c_json_parse(text, ie->len, "index.json", err) : NULL;
	json_t *list, *desc;
	size_t i;

	if (!doc)
		return -1;
	if (c_json_get(doc, "", "manifests", JSON_ARRAY, true, &list, err) < 0)
		return c_err_wrap(err, "index.json");
	json_array_foreach(list, i, desc) {
		struct c_store_image img = { 0 };
		const char *mt = NULL, *dg = NULL, *name = NULL;
		json_t *ann = NULL;
		long long size = -1;
		char where[40];
		int rc;

		snprintf(where, sizeof where, "manifests[%zu]", i);
		if (!json_is_object(desc) ||
		    c_json_get_string(desc, where, "mediaType", true, &mt, err) < 0 ||
		    c_json_get_string(desc, where, "digest", true, &dg, err) < 0 ||
		    c_json_get_int(desc, where, "size", true, &size, err) < 0 ||
		    c_json_get_present(desc, where, "annotations", JSON_OBJECT, &ann, err) < 0) {
			if (!*err)
				c_err_new(err, C_EXIT_DATA, 0, "%s: expected an object", where);
			return c_err_wrap(err, "index.json");
		}
		if (c_digest_parse(&img.digest, dg, err) < 0)
			return c_err_wrap(err, "index.json: %s.digest", where);
		name = json_string_value(json_object_get(ann, CONTAINERD_NAME));
		if (!name)
			name = json_string_value(json_object_get(ann, REF_NAME));
		img.media_type = (char *)mt;
		img.size = size;
		if (c_store_walk(ld->s, &img, oci_visit, NULL, err) < 0)
			return -1;
		rc = add_image(imgs, n, &img, name, err);
		if (rc < 0)
			return c_err_wrap(err, "index.json: %s", where);
	}
	return 0;
}

/* --- the whole ------------------------------------------------------------------------ */

static void loader_free(struct loader *ld)
{
	for (size_t i = 0; i < ld->n; i++)
		entry_clear(&ld->e[i]);
	free(ld->e);
	free(ld->stored);
	json_decref(ld->by_path);
}

int c_load(struct c_store *s, const char *input, struct c_store_image **imgs, size_t *n,
	   c_err **err)
{
	struct loader ld = { .s = s, .input = input && strcmp(input, "-") ? input : "-" };
	_cleanup_close_ int fd = -1;
	json_t *mi, *ii;
	int rc = -1;

	*imgs = NULL;
	*n = 0;
	ld.by_path = json_object();
	if (!ld.by_path) {
		c_err_sys(err, "load", ld.input);
		goto out;
	}
	if (strcmp(ld.input, "-") && (fd = open(ld.input, O_RDONLY | O_CLOEXEC)) < 0) {
		c_err_sys(err, "open", ld.input);
		goto out;
	}
	if (read_archive(&ld, fd >= 0 ? fd : 0, err) < 0)
		goto out;
	mi = json_object_get(ld.by_path, "manifest.json");
	ii = json_object_get(ld.by_path, "index.json");
	if (mi)
		rc = load_docker(&ld, &ld.e[json_integer_value(mi)], imgs, n, err);
	else if (ii)
		rc = load_oci(&ld, &ld.e[json_integer_value(ii)], imgs, n, err);
	else
		c_err_new(err, C_EXIT_DATA, 0,
			  "%s: neither manifest.json nor index.json: not a docker or OCI archive",
			  ld.input);
	if (rc == 0)
		rc = c_store_set_names(s, *imgs, *n, err);
out:
	if (rc < 0) {
		c_store_images_free(*imgs, *n);
		*imgs = NULL;
		*n = 0;
	}
	/* what this load stored and no name uses: all of it after a failure */
	c_store_drop_unused(s, ld.stored, ld.nstored, NULL);
	loader_free(&ld);
	return rc < 0 ? c_err_wrap(err, "load") : 0;
}
