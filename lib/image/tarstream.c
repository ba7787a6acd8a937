#include "tarstream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inflate.h"

#define ZEROS (64 << 10)
static const char zeros[ZEROS];

/* --- in -------------------------------------------------------------------------- */

struct c_tarin {
	struct c_inflate *z;
	struct archive *a;
	c_tar_sink tee;
	void *arg;
	c_err *read_err; /* why the read callback failed: the inflater's or the tee's */
	bool eof;
	/* the current entry (NULL before the first and at the end), its data */
	struct archive_entry *entry;
	const void *blk;
	size_t blk_len;
	int64_t blk_off, pos;
	bool data_end;
	bool skipped; /* its data passed over (libarchive is at the next header) */
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct c_tarin *t = data;
	ssize_t n;

	if (t->eof)
		return 0;
	n = c_inflate_read(t->z, buf, &t->read_err);
	if (n > 0 && t->tee && t->tee(t->arg, *buf, (size_t)n, &t->read_err) < 0)
		n = -1;
	if (n < 0) {
		archive_set_error(a, EIO, "read failed");
		return -1;
	}
	t->eof = n == 0;
	return n;
}

static int tar_fail(struct c_tarin *t, c_err **err)
{
	const char *msg = archive_error_string(t->a);

	if (t->read_err) {
		*err = t->read_err;
		t->read_err = NULL;
		return -1;
	}
	if (msg && strstr(msg, "Truncated"))
		msg = "truncated: the stream ends inside an entry";
	else if (msg && strstr(msg, "Unrecognized archive format"))
		msg = "not a tar archive";
	return c_err_new(err, C_EXIT_DATA, 0, "tar stream: %s",
			 msg ? msg : "truncated or damaged: no header where one should be");
}

struct c_tarin *c_tarin_open(int fd, c_tar_sink tee, void *arg, enum c_compression *comp,
			     c_err **err)
{
	struct c_tarin *t = calloc(1, sizeof *t);

	if (!t) {
		c_err_sys(err, "allocate", "tar reader");
		return NULL;
	}
	t->tee = tee;
	t->arg = arg;
	t->z = c_inflate_new_sniffed(fd, comp, err);
	if (!t->z)
		goto fail;
	t->a = archive_read_new();
	if (!t->a) {
		c_err_new(err, C_EXIT_FAIL, ENOMEM, "tar reader: out of memory");
		goto fail;
	}
	if (archive_read_support_format_tar(t->a) != ARCHIVE_OK ||
	    archive_read_open(t->a, t, NULL, read_cb, NULL) != ARCHIVE_OK) {
		tar_fail(t, err);
		goto fail;
	}
	return t;
fail:
	c_tarin_free(t);
	return NULL;
}

int c_tarin_next(struct c_tarin *t, struct archive_entry **entry, c_err **err)
{
	la_int64_t before;
	int r;

	/* the rest of the entry before, so that what the next header call
	 * reads is the next header or the end marker */
	if (t->entry && !t->skipped && archive_read_data_skip(t->a) < ARCHIVE_WARN)
		return tar_fail(t, err);
	t->entry = NULL;
	t->skipped = false;
	before = archive_filter_bytes(t->a, 0);
	r = archive_read_next_header(t->a, entry);
	if (r == ARCHIVE_EOF && archive_filter_bytes(t->a, 0) == before) {
		/* libarchive takes the end of the stream at a header for the end;
		 * an archive cut there lacks its end marker */
		return c_err_new(err, C_EXIT_DATA, 0, "tar stream: truncated: no end-of-archive marker");
	}
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN)
		return tar_fail(t, err);
	t->entry = *entry;
	t->blk_len = 0;
	t->pos = 0;
	t->data_end = false;
	return 1;
}

/* Zeros for a hole from pos up to end. */
static ssize_t hole(struct c_tarin *t, int64_t end, const void **buf)
{
	int64_t n = end - t->pos < ZEROS ? end - t->pos : ZEROS;

	*buf = zeros;
	t->pos += n;
	return n;
}

ssize_t c_tarin_data(struct c_tarin *t, const void **buf, c_err **err)
{
	for (;;) {
		la_int64_t off;
		int r;

		if (t->blk_len) {
			size_t n = t->blk_len;

			if (t->pos < t->blk_off)
				return hole(t, t->blk_off, buf);
			*buf = t->blk;
			t->pos += (int64_t)n;
			t->blk_len = 0;
			return (ssize_t)n;
		}
		if (t->data_end)
			return t->pos < archive_entry_size(t->entry)
				       ? hole(t, archive_entry_size(t->entry), buf)
				       : 0;
		r = archive_read_data_block(t->a, &t->blk, &t->blk_len, &off);
		if (r == ARCHIVE_EOF) {
			t->blk_len = 0;
			t->data_end = true;
		} else if (r < ARCHIVE_WARN) {
			t->blk_len = 0;
			return tar_fail(t, err);
		} else {
			t->blk_off = off;
		}
	}
}

int c_tarin_skip(struct c_tarin *t, c_err **err)
{
	t->blk_len = 0;
	t->data_end = true;
	t->pos = archive_entry_size(t->entry);
	if (t->skipped)
		return 0;
	t->skipped = true;
	return archive_read_data_skip(t->a) < ARCHIVE_WARN ? tar_fail(t, err) : 0;
}

int c_tarin_finish(struct c_tarin *t, c_err **err)
{
	const void *buf;

	while (!t->eof) {
		if (read_cb(t->a, t, &buf) < 0)
			return tar_fail(t, err);
	}
	return 0;
}

void c_tarin_free(struct c_tarin *t)
{
	if (!t)
		return;
	if (t->a)
		archive_read_free(t->a);
	c_inflate_free(t->z);
	c_err_free(&t->read_err);
	free(t);
}

/* --- out ------------------------------------------------------------------------- */

struct c_tarout {
	struct archive *a;
	c_tar_sink sink;
	void *arg;
	c_err *write_err; /* why the sink failed */
	bool closed;
	bool failed; /* nothing more goes to the sink */
};

static la_ssize_t write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
	struct c_tarout *o = data;

	if (o->failed) {
		archive_set_error(a, EIO, "the archive failed before");
		return -1;
	}
	if (o->sink(o->arg, buf, len, &o->write_err) < 0) {
		archive_set_error(a, EIO, "write failed");
		return -1;
	}
	return (la_ssize_t)len;
}

static int out_fail(struct c_tarout *o, const char *what, c_err **err)
{
	const char *msg = archive_error_string(o->a);

	if (o->write_err) {
		*err = o->write_err;
		o->write_err = NULL;
		return -1;
	}
	return c_err_new(err, C_EXIT_FAIL, 0, "tar writer: %s: %s", what,
			 msg ? msg : "failed");
}

struct c_tarout *c_tarout_new(c_tar_sink sink, void *arg, c_err **err)
{
	struct c_tarout *o = calloc(1, sizeof *o);

	if (!o || !(o->a = archive_write_new())) {
		free(o);
		c_err_new(err, C_EXIT_FAIL, ENOMEM, "tar writer: out of memory");
		return NULL;
	}
	o->sink = sink;
	o->arg = arg;
	if (archive_write_set_format_pax_restricted(o->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(o->a, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
	    archive_write_set_bytes_per_block(o->a, 64 << 10) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(o->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(o->a, o, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		out_fail(o, "set up", err);
		c_tarout_free(o);
		return NULL;
	}
	return o;
}

int c_tarout_header(struct c_tarout *o, struct archive_entry *e, c_err **err)
{
	if (archive_write_header(o->a, e) < ARCHIVE_WARN)
		return out_fail(o, archive_entry_pathname(e), err);
	return 0;
}

int c_tarout_data(struct c_tarout *o, const void *buf, size_t len, c_err **err)
{
	while (len) {
		la_ssize_t n = archive_write_data(o->a, buf, len);

		if (n <= 0)
			return out_fail(o, "data", err);
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

int c_tarout_close(struct c_tarout *o, c_err **err)
{
	if (archive_write_close(o->a) != ARCHIVE_OK)
		return out_fail(o, "close", err);
	o->closed = true;
	return 0;
}

void c_tarout_free(struct c_tarout *o)
{
	if (!o)
		return;
	/* an archive that failed must not get an end marker that makes it
	 * look complete: what libarchive writes when freed goes nowhere
	 * (archive_write_fail() would do that too, but leaks its buffer) */
	o->failed = !o->closed;
	archive_write_free(o->a);
	c_err_free(&o->write_err);
	free(o);
}
