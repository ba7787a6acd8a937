#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "json.h"
#include "lock.h"

#define INDEX_MAX (64u << 20)
#define DOC_MAX (4u << 20)
#define REF_NAME "org.opencontainers.image.ref.name"

struct c_store {
	char *root;
	int dirfd;
	int use_lock; /* shared on .use.lock while open; exclusive during GC */
};

/* --- opening ----------------------------------------------------------------------- */

char *c_store_default_root(void)
{
	const char *env = getenv("C_ROOT"), *home;
	char *out;

	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/var/lib/c-tools");
	env = getenv("XDG_DATA_HOME");
	if (env && *env)
		return asprintf(&out, "%s/c-tools", env) < 0 ? NULL : out;
	home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	return asprintf(&out, "%s/.local/share/c-tools", home) < 0 ? NULL : out;
}

char *c_store_cache_dir(void)
{
	_cleanup_free_ char *root = c_store_default_root();
	c_err *err = NULL;
	char *out;

	/* no root, no cache: the caller does without */
	if (!root || c_mkdir_p(root, 0700, &err) < 0) {
		c_err_free(&err);
		return NULL;
	}
	return asprintf(&out, "%s/cache", root) >= 0 ? out : NULL;
}

static int mkdir_at(int dirfd, const char *name, c_err **err)
{
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return c_err_sys(err, "create directory", name);
	return 0;
}

static json_t *empty_index(void)
{
	return json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
}

/* Both files are made once; the index under the lock so that a late creator
 * cannot replace an index another process has already named images in. */
static int create_layout_files(struct c_store *s, c_err **err)
{
	struct stat st;
	int lock;
	int rc = 0;

	if (fstatat(s->dirfd, "oci-layout", &st, 0) < 0) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";

		if (errno != ENOENT)
			return c_err_sys(err, "stat", "oci-layout");
		if (c_write_file_atomic_at(s->dirfd, "oci-layout", layout, sizeof layout - 1, 0644,
					   err) < 0)
			return -1;
	}
	if (fstatat(s->dirfd, "index.json", &st, 0) == 0)
		return 0;
	if (errno != ENOENT)
		return c_err_sys(err, "stat", "index.json");
	lock = c_lock_at(s->dirfd, ".lock", 0, err);
	if (lock < 0)
		return -1;
	if (fstatat(s->dirfd, "index.json", &st, 0) < 0) {
		_cleanup_json_ json_t *idx = empty_index();
		_cleanup_free_ char *path = NULL;

		if (!idx || asprintf(&path, "%s/index.json", s->root) < 0)
			rc = c_err_sys(err, "create", "index.json");
		else
			rc = c_json_write_file(path, idx, 0644, err);
	}
	c_unlock(lock);
	return rc;
}

struct c_store *c_store_open(const char *root, c_err **err)
{
	struct c_store *s = calloc(1, sizeof *s);

	if (!s) {
		c_err_sys(err, "open store", root);
		return NULL;
	}
	s->dirfd = s->use_lock = -1;
	s->root = root ? strdup(root) : c_store_default_root();
	if (!s->root) {
		c_err_new(err, C_EXIT_USAGE, 0, "open store: no state root: set C_ROOT or HOME");
		goto fail;
	}
	/* 0700, as podman keeps its storage: containers' files live here */
	if (c_mkdir_p(s->root, 0700, err) < 0)
		goto fail_wrap;
	s->dirfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		c_err_sys(err, "open", s->root);
		goto fail_wrap;
	}
	if (mkdir_at(s->dirfd, "blobs", err) < 0 || mkdir_at(s->dirfd, "blobs/sha256", err) < 0 ||
	    mkdir_at(s->dirfd, "tmp", err) < 0)
		goto fail_wrap;
	s->use_lock = c_lock_at(s->dirfd, ".use.lock", C_LOCK_SHARED, err);
	if (s->use_lock < 0 || create_layout_files(s, err) < 0)
		goto fail_wrap;
	return s;
fail_wrap:
	c_err_wrap(err, "open store %s", s->root);
fail:
	c_store_close(s);
	return NULL;
}

void c_store_close(struct c_store *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	c_unlock(s->use_lock);
	free(s->root);
	free(s);
}

const char *c_store_root(const struct c_store *s)
{
	return s->root;
}

/* --- blobs ------------------------------------------------------------------------- */

/* "blobs/ALG/HEX", relative to the root. */
static char *blob_rel(const struct c_digest *d)
{
	char *p;

	if (asprintf(&p, "blobs/%s/%s", c_digest_alg_name(d->alg), c_digest_hex(d)) < 0)
		return NULL;
	return p;
}

char *c_store_blob_path(const struct c_store *s, const struct c_digest *d)
{
	char *p;

	if (asprintf(&p, "%s/blobs/%s/%s", s->root, c_digest_alg_name(d->alg), c_digest_hex(d)) < 0)
		return NULL;
	return p;
}

/* Size of the blob, or -1 when it is not there. */
static int64_t blob_size(struct c_store *s, const struct c_digest *d)
{
	_cleanup_free_ char *rel = blob_rel(d);
	struct stat st;

	if (!rel || fstatat(s->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return st.st_size;
}

bool c_store_has_blob(struct c_store *s, const struct c_digest *d)
{
	return blob_size(s, d) >= 0;
}

int c_store_read_blob(struct c_store *s, const struct c_digest *d, size_t max, char **out,
		      size_t *len, c_err **err)
{
	_cleanup_free_ char *rel = blob_rel(d), *buf = NULL;
	struct c_hasher h;
	struct c_digest got;
	size_t n;

	if (!rel)
		return c_err_sys(err, "read blob", d->str);
	if (c_read_file_at(s->dirfd, rel, max, &buf, &n, err) < 0)
		return c_err_wrap(err, "read blob %s", d->str);
	c_hasher_init(&h, d->alg);
	c_hasher_update(&h, buf, n);
	c_hasher_final(&h, &got);
	if (!c_digest_equal(d, &got))
		return c_err_new(err, C_EXIT_DATA, 0, "read blob: %s: content has digest %s", d->str,
				 got.str);
	*out = c_steal_ptr(&buf);
	if (len)
		*len = n;
	return 0;
}

int c_store_put_blob(struct c_store *s, const struct c_digest *d, const void *data, size_t len,
		     c_err **err)
{
	struct c_blob_writer w;

	if (c_blob_begin(s, d, (int64_t)len, &w, err) < 0)
		return -1;
	if (w.present) {
		c_blob_abort(&w);
		return 0;
	}
	if (c_blob_restart(&w, err) < 0 || c_blob_write(&w, data, len, err) < 0) {
		c_blob_discard(&w);
		return -1;
	}
	return c_blob_commit(&w, err);
}

/* --- streaming ingest -------------------------------------------------------------- */

static int blob_alg_dir(struct c_store *s, const struct c_digest *d, c_err **err)
{
	char dir[32];

	snprintf(dir, sizeof dir, "blobs/%s", c_digest_alg_name(d->alg));
	return mkdir_at(s->dirfd, dir, err);
}

/* Feed the rest of fd to h, counting the bytes into *count.  The buffer is
 * the heap's: pulls run this in threads with small stacks. */
static int hash_fd(int fd, struct c_hasher *h, int64_t *count)
{
	_cleanup_free_ char *buf = malloc(1 << 16);
	ssize_t n;

	if (!buf)
		return -1;
	while ((n = read(fd, buf, 1 << 16)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c_hasher_update(h, buf, (size_t)n);
		*count += n;
	}
	return 0;
}

/* Feed what an earlier run left in the partial file to the hasher; leaves the
 * file offset at its end. */
static int rehash_partial(struct c_blob_writer *w, c_err **err)
{
	c_hasher_init(&w->hasher, w->want.alg);
	w->offset = 0;
	if (lseek(w->fd, 0, SEEK_SET) < 0)
		return c_err_sys(err, "seek", w->partial);
	if (hash_fd(w->fd, &w->hasher, &w->offset) < 0)
		return c_err_sys(err, "read", w->partial);
	return 0;
}

/* Open and lock the partial file.  The holder before us may have renamed it
 * into blobs/ or removed it while we waited, so the lock only counts when the
 * path still names the file we locked. */
static int lock_partial(struct c_blob_writer *w, c_err **err)
{
	for (;;) {
		struct stat a, b;
		int fd = openat(w->store->dirfd, w->partial,
				O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (fd < 0)
			return c_err_sys(err, "open", w->partial);
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				c_err_sys(err, "lock", w->partial);
				close(fd);
				return -1;
			}
		}
		if (fstat(fd, &a) < 0) {
			c_err_sys(err, "stat", w->partial);
			close(fd);
			return -1;
		}
		if (fstatat(w->store->dirfd, w->partial, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			w->fd = fd;
			return 0;
		}
		close(fd);
		if (c_store_has_blob(w->store, &w->want))
			return 0;
	}
}

int c_blob_begin(struct c_store *s, const struct c_digest *want, int64_t size,
		 struct c_blob_writer *w, c_err **err)
{
	memset(w, 0, sizeof *w);
	w->store = s;
	w->want = *want;
	w->size = size;
	w->fd = -1;
	if (c_store_has_blob(s, want)) {
		w->present = true;
		return 0;
	}
	if (asprintf(&w->partial, "tmp/%s-%s.partial", c_digest_alg_name(want->alg),
		     c_digest_hex(want)) < 0) {
		w->partial = NULL;
		return c_err_sys(err, "begin blob", want->str);
	}
	if (lock_partial(w, err) < 0)
		goto fail;
	if (w->fd < 0 || c_store_has_blob(s, want)) {
		/* another process stored it while we waited; the partial file we
		 * hold is then one we just created */
		c_blob_discard(w);
		w->present = true;
		return 0;
	}
	if (rehash_partial(w, err) < 0)
		goto fail;
	if (size >= 0 && w->offset > size && c_blob_restart(w, err) < 0)
		goto fail;
	return 0;
fail:
	c_blob_abort(w);
	return c_err_wrap(err, "begin blob %s", want->str);
}

int c_blob_begin_new(struct c_store *s, enum c_digest_alg alg, struct c_blob_writer *w,
		     c_err **err)
{
	memset(w, 0, sizeof *w);
	w->store = s;
	w->want.alg = alg;
	w->size = -1;
	w->unknown = true;
	c_hasher_init(&w->hasher, alg);
	w->fd = c_open_temp_at(s->dirfd, "tmp/blob", 0644, &w->partial, err);
	if (w->fd < 0) {
		w->partial = NULL;
		return c_err_wrap(err, "begin blob");
	}
	return 0;
}

int c_blob_restart(struct c_blob_writer *w, c_err **err)
{
	if (ftruncate(w->fd, 0) < 0)
		return c_err_sys(err, "truncate", w->partial);
	if (lseek(w->fd, 0, SEEK_SET) < 0)
		return c_err_sys(err, "seek", w->partial);
	c_hasher_init(&w->hasher, w->want.alg);
	w->offset = 0;
	return 0;
}

static int size_mismatch(struct c_blob_writer *w, int64_t got, c_err **err)
{
	c_blob_discard(w);
	return c_err_new(err, C_EXIT_DATA, 0, "size mismatch: %s: expected %lld bytes, got %s%lld",
			 w->want.str, (long long)w->size, got > w->size ? "at least " : "",
			 (long long)got);
}

int c_blob_write(struct c_blob_writer *w, const void *buf, size_t len, c_err **err)
{
	/* a source that sends more than the descriptor says never fills the disk */
	if (w->size >= 0 && w->offset + (int64_t)len > w->size)
		return size_mismatch(w, w->offset + (int64_t)len, err);
	if (c_write_all(w->fd, buf, len) < 0)
		return c_err_sys(err, "write", w->partial);
	c_hasher_update(&w->hasher, buf, len);
	w->offset += (int64_t)len;
	return 0;
}

int c_blob_commit(struct c_blob_writer *w, c_err **err)
{
	_cleanup_free_ char *rel = NULL;
	struct c_digest got;
	char dir[32];

	if (w->present) {
		c_blob_abort(w);
		return 0;
	}
	if (w->size >= 0 && w->offset != w->size)
		return size_mismatch(w, w->offset, err);
	c_hasher_final(&w->hasher, &got);
	if (w->unknown) {
		w->want = got;
		if (c_store_has_blob(w->store, &got)) {
			c_blob_discard(w);
			return 0;
		}
	} else if (!c_digest_equal(&w->want, &got)) {
		c_blob_discard(w);
		return c_err_new(err, C_EXIT_DATA, 0, "digest mismatch: %s: got %s", w->want.str,
				 got.str);
	}
	rel = blob_rel(&w->want);
	if (!rel) {
		c_err_sys(err, "commit blob", w->want.str);
		goto fail;
	}
	if (fchmod(w->fd, 0644) < 0 || fsync(w->fd) < 0) {
		c_err_sys(err, "sync", w->partial);
		goto fail;
	}
	if (blob_alg_dir(w->store, &w->want, err) < 0)
		goto fail;
	if (renameat(w->store->dirfd, w->partial, w->store->dirfd, rel) < 0) {
		c_err_sys(err, "rename into store", rel);
		goto fail;
	}
	snprintf(dir, sizeof dir, "blobs/%s", c_digest_alg_name(w->want.alg));
	/* closing releases the lock only now, with the blob in place */
	free(w->partial);
	w->partial = NULL;
	c_blob_abort(w);
	if (c_fsync_dir_at(w->store->dirfd, dir, err) < 0)
		return c_err_wrap(err, "commit blob %s", got.str);
	return 0;
fail:
	c_blob_abort(w);
	return c_err_wrap(err, "commit blob %s", got.str);
}

void c_blob_abort(struct c_blob_writer *w)
{
	struct stat st;

	/* An empty partial file resumes nothing, nor does a new blob's temp
	 * file.  Unlinked while locked: a process waiting for the lock sees the
	 * inode gone and starts anew. */
	if (w->fd >= 0 && w->partial &&
	    (w->unknown || (fstat(w->fd, &st) == 0 && st.st_size == 0)))
		unlinkat(w->store->dirfd, w->partial, 0);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->partial);
	w->partial = NULL;
}

void c_blob_discard(struct c_blob_writer *w)
{
	if (w->fd >= 0 && w->partial)
		unlinkat(w->store->dirfd, w->partial, 0);
	c_blob_abort(w);
}

/* --- layer info --------------------------------------------------------------------- */

/* "layerinfo/ALG/HEX", relative to the root. */
static char *info_rel(const struct c_digest *d)
{
	char *p;

	if (asprintf(&p, "layerinfo/%s/%s", c_digest_alg_name(d->alg), c_digest_hex(d)) < 0)
		return NULL;
	return p;
}

int c_store_layer_info(struct c_store *s, const struct c_digest *blob, struct c_digest *diff_id,
		       int64_t *size)
{
	_cleanup_free_ char *rel = info_rel(blob), *buf = NULL;
	char id[C_DIGEST_STR_MAX];
	long long n;
	c_err *e = NULL;
	size_t len;

	if (!rel || c_read_file_at(s->dirfd, rel, 256, &buf, &len, &e) < 0) {
		c_err_free(&e);
		return 0;
	}
	if (sscanf(buf, "%135s %lld", id, &n) != 2 || n < 0 || c_digest_parse(diff_id, id, &e) < 0) {
		c_err_free(&e);
		return 0;
	}
	*size = n;
	return 1;
}

void c_store_set_layer_info(struct c_store *s, const struct c_digest *blob,
			    const struct c_digest *diff_id, int64_t size)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	c_err *e = NULL;
	char dir[64];
	int n;

	snprintf(dir, sizeof dir, "layerinfo/%s", c_digest_alg_name(blob->alg));
	if (mkdir_at(s->dirfd, "layerinfo", &e) < 0 || mkdir_at(s->dirfd, dir, &e) < 0 ||
	    asprintf(&path, "%s/%s/%s", s->root, dir, c_digest_hex(blob)) < 0 ||
	    (n = asprintf(&text, "%s %lld\n", diff_id->str, (long long)size)) < 0) {
		c_err_free(&e);
		return;
	}
	c_write_file_volatile(path, text, (size_t)n, 0644, &e);
	c_err_free(&e);
}

void c_store_drop_layer_info(struct c_store *s, const struct c_digest *blob)
{
	_cleanup_free_ char *rel = info_rel(blob);

	if (rel)
		unlinkat(s->dirfd, rel, 0);
}

/* --- names ------------------------------------------------------------------------- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int c_store_check_name(const char *name, c_err **err)
{
	const char *p = name;

	for (;;) {
		if (!is_alnum(*p))
			break;
		while (is_alnum(*p))
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '-' && p[1] == '-')
			p += 2;
		else if (strchr("-._:@+/", *p))
			p++;
		else
			break;
	}
	return c_err_new(err, C_EXIT_DATA, 0,
			 "invalid image name \"%s\": components of letters and digits joined by "
			 "one of - . _ : @ + or --, separated by /",
			 name);
}

static json_t *load_index(struct c_store *s, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	json_t *idx, *m;

	if (c_read_file_at(s->dirfd, "index.json", INDEX_MAX, &buf, &len, err) < 0)
		return NULL;
	idx = c_json_parse(buf, len, "index.json", err);
	if (!idx)
		return NULL;
	if (c_json_get(idx, "", "manifests", JSON_ARRAY, false, &m, err) < 0) {
		json_decref(idx);
		c_err_wrap(err, "index.json");
		return NULL;
	}
	if (!m && json_object_set_new(idx, "manifests", json_array()) < 0) {
		json_decref(idx);
		c_err_sys(err, "read", "index.json");
		return NULL;
	}
	return idx;
}

static int save_index(struct c_store *s, json_t *idx, c_err **err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/index.json", s->root) < 0)
		return c_err_sys(err, "write", "index.json");
	return c_json_write_file(path, idx, 0644, err);
}

static const char *entry_name(json_t *entry)
{
	return json_string_value(json_object_get(json_object_get(entry, "annotations"), REF_NAME));
}

/* Read index.json under the exclusive lock, let edit() change it, write it
 * back when edit() returns 1. */
typedef int (*index_edit_fn)(json_t *manifests, void *arg, c_err **err);

static int edit_index(struct c_store *s, index_edit_fn edit, void *arg, c_err **err)
{
	_cleanup_json_ json_t *idx = NULL;
	int lock = c_lock_at(s->dirfd, ".lock", 0, err);
	int rc;

	if (lock < 0)
		return -1;
	idx = load_index(s, err);
	rc = idx ? edit(json_object_get(idx, "manifests"), arg, err) : -1;
	if (rc > 0)
		rc = save_index(s, idx, err);
	c_unlock(lock);
	return rc;
}

struct set_names_args {
	json_t *descs; /* one descriptor per entry, the name in its annotations */
};

static bool has_digest(json_t *manifests, const char *digest)
{
	size_t i;
	json_t *e;

	json_array_foreach(manifests, i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));

		if (d && !strcmp(d, digest))
			return true;
	}
	return false;
}

/* Point one name at desc: it keeps its place in the list, and other entries
 * of the same name go. */
static int set_one_name(json_t *manifests, const char *name, json_t *desc, c_err **err)
{
	bool placed = false;
	size_t i = 0;

	while (i < json_array_size(manifests)) {
		const char *n = entry_name(json_array_get(manifests, i));

		if (!n || strcmp(n, name) != 0) {
			i++;
		} else if (!placed) {
			if (json_array_set(manifests, i++, desc) < 0)
				return c_err_sys(err, "update", "index.json");
			placed = true;
		} else if (json_array_remove(manifests, i) < 0) {
			return c_err_sys(err, "update", "index.json");
		}
	}
	if (!placed && json_array_append(manifests, desc) < 0)
		return c_err_sys(err, "update", "index.json");
	return 0;
}

static int set_names_edit(json_t *manifests, void *arg, c_err **err)
{
	struct set_names_args *a = arg;
	size_t i;
	json_t *desc;

	json_array_foreach(a->descs, i, desc) {
		const char *name = entry_name(desc);

		if (!name && !has_digest(manifests, json_string_value(json_object_get(desc, "digest"))) &&
		    json_array_append(manifests, desc) < 0)
			return c_err_sys(err, "update", "index.json");
		if (name && set_one_name(manifests, name, desc, err) < 0)
			return -1;
	}
	return 1;
}

static json_t *entry_descriptor(const struct c_store_image *img)
{
	json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", img->media_type, "digest",
			      img->digest.str, "size", (json_int_t)img->size);

	if (d && img->name &&
	    json_object_set_new(d, "annotations", json_pack("{s:s}", REF_NAME, img->name)) < 0) {
		json_decref(d);
		return NULL;
	}
	return d;
}

int c_store_set_names(struct c_store *s, const struct c_store_image *imgs, size_t n,
		      c_err **err)
{
	_cleanup_json_ json_t *descs = json_array();
	struct set_names_args a = { descs };

	if (!descs)
		return c_err_sys(err, "update", "index.json");
	for (size_t i = 0; i < n; i++) {
		const char *what = imgs[i].name ? imgs[i].name : imgs[i].digest.str;

		if (imgs[i].name && c_store_check_name(imgs[i].name, err) < 0)
			return -1;
		if (!c_store_has_blob(s, &imgs[i].digest))
			return c_err_new(err, C_EXIT_NOTFOUND, 0, "name %s: blob not in the store: %s",
					 what, imgs[i].digest.str);
		if (json_array_append_new(descs, entry_descriptor(&imgs[i])) < 0)
			return c_err_new(err, C_EXIT_DATA, 0, "name %s: bad descriptor", what);
	}
	if (edit_index(s, set_names_edit, &a, err) < 0)
		return n == 1 ? c_err_wrap(err, "name %s", imgs[0].name ? imgs[0].name : imgs[0].digest.str)
			      : c_err_wrap(err, "name %zu images", n);
	return 0;
}

int c_store_set_name(struct c_store *s, const char *name, const char *media_type,
		     const struct c_digest *d, int64_t size, c_err **err)
{
	struct c_store_image img = { (char *)name, (char *)media_type, *d, size };

	if (!name)
		return c_err_new(err, C_EXIT_DATA, 0, "invalid image name: none");
	return c_store_set_names(s, &img, 1, err);
}

struct remove_args {
	const char *name;
	const struct c_digest *digest;
	size_t removed;
};

static int remove_edit(json_t *manifests, void *arg, c_err **err)
{
	struct remove_args *a = arg;
	size_t i = 0;

	while (i < json_array_size(manifests)) {
		json_t *e = json_array_get(manifests, i);
		const char *n = entry_name(e), *dg = json_string_value(json_object_get(e, "digest"));
		bool match = a->name ? n && strcmp(n, a->name) == 0
				     : dg && strcmp(dg, a->digest->str) == 0;

		if (!match) {
			i++;
			continue;
		}
		if (json_array_remove(manifests, i) < 0)
			return c_err_sys(err, "update", "index.json");
		a->removed++;
	}
	return a->removed > 0;
}

int c_store_remove_name(struct c_store *s, const char *name, c_err **err)
{
	struct remove_args a = { name, NULL, 0 };

	if (edit_index(s, remove_edit, &a, err) < 0)
		return c_err_wrap(err, "remove %s", name);
	if (!a.removed)
		return c_err_new(err, C_EXIT_NOTFOUND, 0, "image not found: %s", name);
	return 0;
}

int c_store_remove_digest(struct c_store *s, const struct c_digest *d, size_t *removed,
			  c_err **err)
{
	struct remove_args a = { NULL, d, 0 };

	if (edit_index(s, remove_edit, &a, err) < 0)
		return c_err_wrap(err, "remove %s", d->str);
	if (removed)
		*removed = a.removed;
	return 0;
}

/* --- listing and resolving --------------------------------------------------------- */

void c_store_image_clear(struct c_store_image *img)
{
	free(img->name);
	free(img->media_type);
	memset(img, 0, sizeof *img);
}

void c_store_images_free(struct c_store_image *imgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c_store_image_clear(&imgs[i]);
	free(imgs);
}

static int parse_descriptor(json_t *desc, const char *where, struct c_store_image *img,
			    c_err **err)
{
	const char *mt = "", *dg;
	long long size;

	memset(img, 0, sizeof *img);
	if (c_json_get_string(desc, where, "mediaType", false, &mt, err) < 0 ||
	    c_json_get_string(desc, where, "digest", true, &dg, err) < 0 ||
	    c_json_get_int(desc, where, "size", true, &size, err) < 0)
		return -1;
	if (c_digest_parse(&img->digest, dg, err) < 0)
		return c_err_wrap(err, "field %s.digest", where);
	if (size < 0)
		return c_err_new(err, C_EXIT_DATA, 0, "field %s.size: negative", where);
	img->size = size;
	img->media_type = strdup(mt);
	if (!img->media_type)
		return c_err_sys(err, "read descriptor", where);
	return 0;
}

static int image_from_entry(json_t *entry, size_t i, struct c_store_image *img, c_err **err)
{
	char where[40];
	const char *name;

	snprintf(where, sizeof where, "manifests[%zu]", i);
	if (parse_descriptor(entry, where, img, err) < 0) {
		c_store_image_clear(img);
		return c_err_wrap(err, "index.json");
	}
	name = entry_name(entry);
	if (name && !(img->name = strdup(name))) {
		c_store_image_clear(img);
		return c_err_sys(err, "read", "index.json");
	}
	return 0;
}

int c_store_list(struct c_store *s, struct c_store_image **out, size_t *n, c_err **err)
{
	_cleanup_json_ json_t *idx = load_index(s, err);
	struct c_store_image *imgs;
	json_t *manifests;
	size_t count;

	if (!idx)
		return -1;
	manifests = json_object_get(idx, "manifests");
	count = json_array_size(manifests);
	imgs = calloc(count ? count : 1, sizeof *imgs);
	if (!imgs)
		return c_err_sys(err, "list", "index.json");
	for (size_t i = 0; i < count; i++) {
		if (image_from_entry(json_array_get(manifests, i), i, &imgs[i], err) < 0) {
			c_store_images_free(imgs, i);
			return -1;
		}
	}
	*out = imgs;
	*n = count;
	return 0;
}

static bool is_hex(const char *p)
{
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Which rule of c_store_resolve() an entry matches: lower is better; 0 none. */
static int match_rank(const struct c_store_image *img, const char *what, const char *tagged,
		      const char *hex)
{
	size_t nlen, wlen;

	if (img->name && strcmp(img->name, what) == 0)
		return 1;
	if (img->name && tagged && strcmp(img->name, tagged) == 0)
		return 2;
	if (strcmp(img->digest.str, what) == 0)
		return 3;
	if (img->name) {
		nlen = strlen(img->name);
		wlen = strlen(what);
		if (nlen > wlen && img->name[nlen - wlen - 1] == '/' &&
		    strcmp(img->name + nlen - wlen, what) == 0)
			return 4;
		if (tagged) {
			wlen = strlen(tagged);
			if (nlen > wlen && img->name[nlen - wlen - 1] == '/' &&
			    strcmp(img->name + nlen - wlen, tagged) == 0)
				return 5;
		}
	}
	if (hex && img->digest.alg == C_DIGEST_SHA256 &&
	    strncmp(c_digest_hex(&img->digest), hex, strlen(hex)) == 0)
		return 6;
	return 0;
}

/* A manifest blob named by digest that no entry points at (a platform
 * manifest of an index, say): its media type comes from its own content. */
static int resolve_blob(struct c_store *s, const char *what, struct c_store_image *out,
			c_err **err)
{
	_cleanup_json_ json_t *doc = NULL;
	const char *mt = "";
	c_err *ignore = NULL;

	memset(out, 0, sizeof *out);
	if (c_digest_parse(&out->digest, what, &ignore) < 0) {
		c_err_free(&ignore);
		return 0;
	}
	out->size = blob_size(s, &out->digest);
	if (out->size < 0)
		return 0;
	doc = c_store_read_json(s, &out->digest, err);
	if (!doc || !json_is_object(doc))
		return doc ? c_err_new(err, C_EXIT_DATA, 0, "blob %s: not a manifest", what) : -1;
	json_unpack(doc, "{s?s}", "mediaType", &mt);
	out->media_type = strdup(mt);
	if (!out->media_type)
		return c_err_sys(err, "resolve", what);
	return 1;
}

int c_store_resolve(struct c_store *s, const char *what, struct c_store_image *out,
		    c_err **err)
{
	_cleanup_free_ char *tagged = NULL;
	struct c_store_image *imgs;
	const char *last = strrchr(what, '/'), *hex = NULL;
	size_t n, best_i = 0, nbest = 0;
	int best = 0, rc;

	if (!strchr(last ? last : what, ':') && !strchr(what, '@') &&
	    asprintf(&tagged, "%s:latest", what) < 0)
		return c_err_sys(err, "resolve", what);
	hex = strncmp(what, "sha256:", 7) == 0 ? what + 7 : what;
	if (strlen(hex) < 12 || strlen(hex) > 64 || !is_hex(hex))
		hex = NULL;
	if (c_store_list(s, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int r = match_rank(&imgs[i], what, tagged, hex);

		if (!r || (best && r > best))
			continue;
		/* two entries of one digest are one image */
		if (r == best && strcmp(imgs[i].digest.str, imgs[best_i].digest.str) == 0)
			continue;
		nbest = r == best ? nbest + 1 : 1;
		best = r;
		best_i = i;
	}
	if (best && nbest == 1) {
		*out = imgs[best_i];
		memset(&imgs[best_i], 0, sizeof imgs[best_i]);
		c_store_images_free(imgs, n);
		return 0;
	}
	c_store_images_free(imgs, n);
	if (best)
		return c_err_new(err, C_EXIT_DATA, 0, "ambiguous image name: %s", what);
	rc = resolve_blob(s, what, out, err);
	if (rc > 0)
		return 0;
	c_store_image_clear(out);
	if (rc < 0)
		return -1;
	return c_err_new(err, C_EXIT_NOTFOUND, 0, "image not found: %s", what);
}

json_t *c_store_read_json(struct c_store *s, const struct c_digest *d, c_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (c_store_read_blob(s, d, DOC_MAX, &buf, &len, err) < 0)
		return NULL;
	return c_json_parse(buf, len, d->str, err);
}

/* --- walking ----------------------------------------------------------------------- */

static bool is_index_type(const char *mt)
{
	return !strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
	       !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json");
}

static bool is_manifest_type(const char *mt)
{
	return !strcmp(mt, "application/vnd.oci.image.manifest.v1+json") ||
	       !strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json");
}

struct walk {
	struct c_store *s;
	c_store_visit_fn fn;
	void *arg;
	json_t *seen; /* digest -> true */
};

static int walk_node(struct walk *w, struct c_store_node *node, c_err **err);

/* Walk the descriptors of doc[key] (an array, or one object with `single`). */
static int walk_children(struct walk *w, const struct c_store_node *parent, const char *key,
			 bool single, enum c_store_kind kind, c_err **err)
{
	json_t *list = json_object_get(parent->doc, key);
	size_t n = single ? (list != NULL) : json_array_size(list);

	for (size_t i = 0; i < n; i++) {
		json_t *desc = single ? list : json_array_get(list, i);
		struct c_store_node child = { .kind = kind, .parent = parent, .name = parent->name };
		struct c_store_image img;
		char where[48];
		int rc;

		if (single)
			snprintf(where, sizeof where, "%s", key);
		else
			snprintf(where, sizeof where, "%s[%zu]", key, i);
		if (parse_descriptor(desc, where, &img, err) < 0) {
			c_store_image_clear(&img);
			return c_err_wrap(err, "%s", parent->digest.str);
		}
		child.media_type = img.media_type;
		child.digest = img.digest;
		child.size = img.size;
		child.platform = json_object_get(desc, "platform");
		if (kind == C_STORE_BLOB && is_manifest_type(img.media_type))
			child.kind = C_STORE_MANIFEST;
		else if (kind == C_STORE_BLOB && is_index_type(img.media_type))
			child.kind = C_STORE_INDEX;
		else if (kind == C_STORE_MANIFEST && is_index_type(img.media_type))
			child.kind = C_STORE_INDEX;
		rc = walk_node(w, &child, err);
		c_store_image_clear(&img);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Read a manifest or index; an unreadable one is C_STORE_BAD, not an error,
 * so that the caller decides (check reports it, GC stops). */
static void read_doc(struct walk *w, struct c_store_node *node, c_err **problem)
{
	node->doc = c_store_read_json(w->s, &node->digest, problem);
	if (node->doc && !json_is_object(node->doc)) {
		c_err_new(problem, C_EXIT_DATA, 0, "%s: not a JSON object", node->digest.str);
		json_decref(node->doc);
		node->doc = NULL;
	}
	if (!node->doc)
		return;
	/* what the document says it is wins over a vague descriptor */
	if (json_is_array(json_object_get(node->doc, "manifests")))
		node->kind = C_STORE_INDEX;
	else if (json_is_object(json_object_get(node->doc, "config")))
		node->kind = C_STORE_MANIFEST;
}

static int walk_node(struct walk *w, struct c_store_node *node, c_err **err)
{
	_cleanup_free_ char *problem_line = NULL;
	c_err *problem = NULL;
	int rc;

	if (json_object_get(w->seen, node->digest.str))
		return 0;
	if (json_object_set_new(w->seen, node->digest.str, json_true()) < 0)
		return c_err_sys(err, "walk", node->digest.str);
	node->actual_size = blob_size(w->s, &node->digest);
	if (node->actual_size < 0)
		node->state = C_STORE_MISSING;
	else if (node->actual_size != node->size)
		node->state = C_STORE_SIZE;
	if (node->state == C_STORE_OK &&
	    (node->kind == C_STORE_INDEX || node->kind == C_STORE_MANIFEST)) {
		read_doc(w, node, &problem);
		if (problem) {
			problem_line = c_err_line(problem);
			c_err_free(&problem);
			node->state = C_STORE_BAD;
			node->problem = problem_line ? problem_line : "unreadable";
		}
	}
	rc = w->fn(w->s, node, w->arg, err);
	if (rc == 0 && node->doc && node->kind == C_STORE_INDEX)
		rc = walk_children(w, node, "manifests", false, C_STORE_BLOB, err);
	if (rc == 0 && node->doc && node->kind == C_STORE_MANIFEST)
		rc = walk_children(w, node, "config", true, C_STORE_CONFIG, err);
	if (rc == 0 && node->doc && node->kind == C_STORE_MANIFEST)
		rc = walk_children(w, node, "layers", false, C_STORE_LAYER, err);
	json_decref(node->doc);
	node->doc = NULL;
	return rc;
}

static int walk_image(struct walk *w, const struct c_store_image *img, c_err **err)
{
	struct c_store_node node = {
		.kind = is_index_type(img->media_type) ? C_STORE_INDEX : C_STORE_MANIFEST,
		.media_type = img->media_type,
		.digest = img->digest,
		.size = img->size,
		.name = img->name,
	};

	return walk_node(w, &node, err);
}

int c_store_walk(struct c_store *s, const struct c_store_image *img, c_store_visit_fn fn,
		 void *arg, c_err **err)
{
	struct walk w = { s, fn, arg, json_object() };
	int rc;

	if (!w.seen)
		return c_err_sys(err, "walk", img->digest.str);
	rc = walk_image(&w, img, err);
	json_decref(w.seen);
	return rc;
}

/* --- garbage collection ------------------------------------------------------------ */

/* A reachable manifest that cannot be read hides what it references. */
static int gc_visit(struct c_store *s, const struct c_store_node *node, void *arg, c_err **err)
{
	if (node->state == C_STORE_BAD)
		return c_err_new(err, C_EXIT_DATA, 0,
				 "cannot tell garbage from %s's blobs: %s (see c-image check)",
				 node->name ? node->name : node->digest.str, node->problem);
	return 0;
}

/* Mark everything reachable from index.json into w->seen. */
static int gc_mark(struct c_store *s, struct walk *w, c_err **err)
{
	struct c_store_image *imgs;
	size_t n;
	int rc = 0;

	if (c_store_list(s, &imgs, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_image(w, &imgs[i], err);
	c_store_images_free(imgs, n);
	return rc;
}

/* Open dir (relative to the root) for reading: 1, 0 when it does not exist,
 * or -1.  *fd is the directory's own fd, closed with *d. */
static int open_store_dir(struct c_store *s, const char *dir, DIR **d, int *fd, c_err **err)
{
	*fd = openat(s->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? 0 : c_err_sys(err, "open", dir);
	*d = fdopendir(*fd);
	if (!*d) {
		c_err_sys(err, "open", dir);
		close(*fd);
		return -1;
	}
	return 1;
}

/* Remove the entries of dir (relative to the root) for which keep() is false. */
static int sweep_dir(struct c_store *s, const char *dir, const char *alg, json_t *seen,
		     c_store_gc_fn fn, void *arg, c_err **err)
{
	struct dirent *de;
	int fd, rc;
	DIR *d;

	rc = open_store_dir(s, dir, &d, &fd, err);
	if (rc <= 0)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		char what[C_DIGEST_STR_MAX + 300];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (alg)
			snprintf(what, sizeof what, "%s:%s", alg, de->d_name);
		else
			snprintf(what, sizeof what, "%s/%s", dir, de->d_name);
		if (seen && json_object_get(seen, what))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0) {
			c_err_sys(err, "remove", what);
			closedir(d);
			return -1;
		}
		if (fn)
			fn(what, st.st_size, arg);
	}
	if (errno) {
		c_err_sys(err, "read directory", dir);
		closedir(d);
		return -1;
	}
	if (fsync(fd) < 0) {
		c_err_sys(err, "fsync", dir);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

static int gc_sweep(struct c_store *s, json_t *seen, c_store_gc_fn fn, void *arg, c_err **err)
{
	static const char *const algs[] = { "sha256", "sha512" };

	for (size_t i = 0; i < sizeof algs / sizeof *algs; i++) {
		char dir[32];

		snprintf(dir, sizeof dir, "blobs/%s", algs[i]);
		if (sweep_dir(s, dir, algs[i], seen, fn, arg, err) < 0)
			return -1;
		/* what was known of the blobs that went, unreported */
		snprintf(dir, sizeof dir, "layerinfo/%s", algs[i]);
		if (sweep_dir(s, dir, algs[i], seen, NULL, NULL, err) < 0)
			return -1;
	}
	/* nobody else has the store open, so nothing in tmp/ is in use */
	return sweep_dir(s, "tmp", NULL, NULL, fn, arg, err);
}

/* flock converts the handle's shared lock in place; the conversion is not
 * atomic, so a failed or finished GC takes the shared lock again. */
static int use_lock(struct c_store *s, int op, c_err **err)
{
	char what[] = ".use.lock";

	while (flock(s->use_lock, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return c_err_new(err, C_EXIT_FAIL, 0, "store in use by another process: %s",
					 s->root);
		return c_err_sys(err, "lock", what);
	}
	return 0;
}

int c_store_gc(struct c_store *s, int flags, c_store_gc_fn fn, void *arg, c_err **err)
{
	struct walk w = { s, gc_visit, NULL, NULL };
	int lock, rc = -1;

	if (use_lock(s, LOCK_EX | ((flags & C_STORE_GC_NOWAIT) ? LOCK_NB : 0), err) < 0)
		goto out;
	lock = c_lock_at(s->dirfd, ".lock", 0, err);
	if (lock < 0)
		goto out;
	w.seen = json_object();
	if (!w.seen)
		c_err_sys(err, "collect garbage", s->root);
	else if (gc_mark(s, &w, err) == 0 && gc_sweep(s, w.seen, fn, arg, err) == 0)
		rc = 0;
	json_decref(w.seen);
	c_unlock(lock);
out:
	if (use_lock(s, LOCK_SH, rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc < 0 ? c_err_wrap(err, "collect garbage") : 0;
}

int c_store_drop_unused(struct c_store *s, const struct c_digest *d, size_t n, c_err **err)
{
	struct walk w = { s, gc_visit, NULL, NULL };
	c_err *busy = NULL;
	int lock, rc = -1;

	if (!n)
		return 0;
	if (use_lock(s, LOCK_EX | LOCK_NB, &busy) < 0) {
		/* in use: the blobs wait for the next GC */
		c_err_free(&busy);
		return use_lock(s, LOCK_SH, err);
	}
	lock = c_lock_at(s->dirfd, ".lock", 0, err);
	if (lock < 0)
		goto out;
	w.seen = json_object();
	if (!w.seen) {
		c_err_sys(err, "drop unused blobs", s->root);
	} else if (gc_mark(s, &w, err) == 0) {
		bool removed[2] = { false, false };

		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			_cleanup_free_ char *rel = blob_rel(&d[i]);

			if (json_object_get(w.seen, d[i].str))
				continue;
			if (!rel || (unlinkat(s->dirfd, rel, 0) < 0 && errno != ENOENT))
				rc = c_err_sys(err, "remove", d[i].str);
			c_store_drop_layer_info(s, &d[i]);
			removed[d[i].alg == C_DIGEST_SHA512] = true;
		}
		for (int i = 0; i < 2 && rc == 0; i++)
			if (removed[i])
				rc = c_fsync_dir_at(s->dirfd, i ? "blobs/sha512" : "blobs/sha256", err);
	}
	json_decref(w.seen);
	c_unlock(lock);
out:
	if (use_lock(s, LOCK_SH, rc < 0 ? NULL : err) < 0)
		rc = -1;
	return rc < 0 ? c_err_wrap(err, "drop unused blobs") : 0;
}

/* --- checking ---------------------------------------------------------------------- */

struct check {
	c_store_problem_fn fn;
	void *arg;
	int problems;
	json_t *corrupt; /* digests of blobs whose content is wrong, reported once */
};

static void problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct check *c, const char *fmt, ...)
{
	char *line;
	va_list ap;

	c->problems++;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) >= 0) {
		c->fn(line, c->arg);
		free(line);
	}
	va_end(ap);
}

static void check_blob(struct check *c, int dirfd, const char *alg, const char *file)
{
	char text[C_DIGEST_STR_MAX + 300];
	struct c_digest want, got;
	struct c_hasher h;
	int64_t size = 0;
	c_err *e = NULL;
	int fd;

	snprintf(text, sizeof text, "%s:%s", alg, file);
	if (c_digest_parse(&want, text, &e) < 0) {
		c_err_free(&e);
		problem(c, "stray file: blobs/%s/%s", alg, file);
		return;
	}
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	c_hasher_init(&h, want.alg);
	if (fd < 0 || hash_fd(fd, &h, &size) < 0) {
		problem(c, "unreadable blob: %s: %s", want.str, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	c_hasher_final(&h, &got);
	if (!c_digest_equal(&want, &got)) {
		problem(c, "corrupt blob: %s: content has digest %s", want.str, got.str);
		json_object_set_new(c->corrupt, want.str, json_true());
	}
}

static int check_blobs(struct c_store *s, struct check *c, const char *alg, c_err **err)
{
	char dir[32];
	struct dirent *de;
	int fd, rc;
	DIR *d;

	snprintf(dir, sizeof dir, "blobs/%s", alg);
	rc = open_store_dir(s, dir, &d, &fd, err);
	if (rc <= 0)
		return rc;
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			check_blob(c, fd, alg, de->d_name);
	}
	if (errno) {
		c_err_sys(err, "read directory", dir);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

static const char *kind_name(enum c_store_kind k)
{
	static const char *const names[] = { "index", "manifest", "config", "layer", "blob" };

	return names[k];
}

static int check_visit(struct c_store *s, const struct c_store_node *node, void *arg,
		       c_err **err)
{
	struct check *c = arg;
	char whose[C_DIGEST_STR_MAX + 300];

	if (node->parent)
		snprintf(whose, sizeof whose, "%s of %s (%s)", kind_name(node->kind),
			 node->parent->digest.str, node->name ? node->name : "unnamed");
	else
		snprintf(whose, sizeof whose, "index.json entry %s",
			 node->name ? node->name : "(unnamed)");
	switch (node->state) {
	case C_STORE_OK:
		break;
	case C_STORE_MISSING:
		problem(c, "missing blob: %s: %s", node->digest.str, whose);
		break;
	case C_STORE_SIZE:
		problem(c, "size mismatch: %s: %s says %lld bytes, the blob has %lld",
			node->digest.str, whose, (long long)node->size,
			(long long)node->actual_size);
		break;
	case C_STORE_BAD:
		/* corrupt content was reported by the blob scan already */
		if (!json_object_get(c->corrupt, node->digest.str))
			problem(c, "invalid %s: %s: %s", kind_name(node->kind), node->digest.str,
				node->problem);
		break;
	}
	return 0;
}

static void check_layout(struct c_store *s, struct check *c)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *j = NULL;
	const char *version = NULL;
	c_err *e = NULL;
	size_t len;

	if (c_read_file_at(s->dirfd, "oci-layout", DOC_MAX, &buf, &len, &e) == 0)
		j = c_json_parse(buf, len, "oci-layout", &e);
	if (j && c_json_get_string(j, "", "imageLayoutVersion", true, &version, &e) == 0)
		return;
	problem(c, "invalid oci-layout: %s", e ? e->msg : "");
	c_err_free(&e);
}

static int check_index(struct c_store *s, struct check *c, c_err **err)
{
	_cleanup_json_ json_t *idx = NULL;
	struct walk w = { s, check_visit, c, json_object() };
	c_err *e = NULL;
	json_t *manifests;
	int rc = 0;

	if (!w.seen)
		return c_err_sys(err, "check", "index.json");
	idx = load_index(s, &e);
	if (!idx) {
		problem(c, "invalid index.json: %s", e->msg);
		c_err_free(&e);
		json_decref(w.seen);
		return 0;
	}
	manifests = json_object_get(idx, "manifests");
	for (size_t i = 0; i < json_array_size(manifests) && rc == 0; i++) {
		struct c_store_image img;

		if (image_from_entry(json_array_get(manifests, i), i, &img, &e) < 0) {
			problem(c, "invalid %s", e->msg);
			c_err_free(&e);
			continue;
		}
		if (img.name && c_store_check_name(img.name, &e) < 0) {
			problem(c, "index.json: %s", e->msg);
			c_err_free(&e);
		}
		/* a malformed descriptor inside a manifest stops that image only */
		if (walk_image(&w, &img, &e) < 0) {
			if (e->status != C_EXIT_DATA)
				rc = -1;
			else
				problem(c, "invalid manifest: %s", e->msg);
			if (rc < 0)
				*err = e;
			else
				c_err_free(&e);
		}
		c_store_image_clear(&img);
	}
	json_decref(w.seen);
	return rc;
}

int c_store_check(struct c_store *s, c_store_problem_fn fn, void *arg, c_err **err)
{
	struct check c = { fn, arg, 0, json_object() };
	int rc;

	if (!c.corrupt)
		return c_err_sys(err, "check", s->root);
	check_layout(s, &c);
	rc = check_blobs(s, &c, "sha256", err);
	if (rc == 0)
		rc = check_blobs(s, &c, "sha512", err);
	if (rc == 0)
		rc = check_index(s, &c, err);
	json_decref(c.corrupt);
	if (rc < 0)
		return c_err_wrap(err, "check %s", s->root);
	return c.problems;
}
