#include "pull.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "manifest.h"
#include "ref.h"

/* An index may name an index; a chain longer than this is a loop or abuse. */
#define MAX_INDEX_DEPTH 4

struct fetched {
	char *body;
	size_t len;
	struct c_digest digest;
	struct c_manifest *manifest;
};

static void fetched_free(struct fetched *f)
{
	free(f->body);
	c_manifest_free(f->manifest);
	memset(f, 0, sizeof *f);
}

/* Fetch the manifest `reference` names, going down indexes to the one for
 * the platform. */
static int resolve_manifest(struct c_registry *reg, const struct c_ref *ref,
			    const struct c_platform *want, struct fetched *out, c_err **err)
{
	char reference[C_DIGEST_STR_MAX + C_REF_TAG_MAX];

	snprintf(reference, sizeof reference, "%s", ref->has_digest ? ref->digest.str : ref->tag);
	for (int depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
		_cleanup_free_ char *type = NULL;
		const struct c_descriptor *d;

		if (c_registry_get_manifest(reg, reference, C_MANIFEST_MAX, &out->body, &out->len, &type,
					    &out->digest, err) < 0)
			return -1;
		out->manifest = c_manifest_parse(out->body, out->len, type, ref->str, err);
		if (!out->manifest)
			return -1;
		if (!out->manifest->is_index)
			return 0;
		d = c_index_select(out->manifest, want, ref->str, err);
		if (!d)
			return -1;
		snprintf(reference, sizeof reference, "%s", d->digest.str);
		fetched_free(out);
	}
	return c_err_new(err, C_EXIT_DATA, 0, "%s: indexes nested deeper than %d", ref->str,
			 MAX_INDEX_DEPTH);
}

/* The config is small: fetch it whole, check it against the manifest. */
static int pull_config(struct c_registry *reg, struct c_store *store, const struct c_ref *ref,
		       const struct c_manifest *m, c_err **err)
{
	const struct c_descriptor *d = &m->config;
	_cleanup_free_ char *body = NULL;
	struct c_image_config config;
	size_t len;
	int rc;

	if (c_store_has_blob(store, &d->digest))
		return 0;
	if (d->size > C_CONFIG_MAX)
		return c_err_new(err, C_EXIT_DATA, 0, "config %s of %s: %lld bytes, more than %d",
				 d->digest.str, ref->str, (long long)d->size, C_CONFIG_MAX);
	if (c_registry_get_blob(reg, &d->digest, C_CONFIG_MAX, &body, &len, err) < 0)
		return c_err_wrap(err, "config of %s", ref->str);
	if ((int64_t)len != d->size)
		return c_err_new(err, C_EXIT_DATA, 0, "size mismatch: %s: expected %lld bytes, got %zu",
				 d->digest.str, (long long)d->size, len);
	if (c_image_config_parse(body, len, d->digest.str, &config, err) < 0)
		return c_err_wrap(err, "config of %s", ref->str);
	rc = config.ndiff_ids == m->nlayers ?
		     0 :
		     c_err_new(err, C_EXIT_DATA, 0, "%s: %zu layers but %zu diff_ids in its config",
			       ref->str, m->nlayers, config.ndiff_ids);
	c_image_config_free(&config);
	if (rc < 0)
		return -1;
	return c_store_put_blob(store, &d->digest, body, len, err);
}

static int pull_layers(struct c_registry *reg, struct c_store *store, const struct c_manifest *m,
		       const struct c_fetch_opts *opts, c_err **err)
{
	_cleanup_free_ struct c_fetch_blob *blobs = calloc(m->nlayers ? m->nlayers : 1,
							    sizeof *blobs);

	if (!blobs)
		return c_err_sys(err, "pull", "layers");
	for (size_t i = 0; i < m->nlayers; i++) {
		blobs[i].digest = m->layers[i].digest;
		blobs[i].size = m->layers[i].size;
	}
	return c_fetch_blobs(reg, store, blobs, m->nlayers, opts, err);
}

/* The store is an OCI layout: keep a Docker manifest as the OCI manifest
 * skopeo would write, after the registry's bytes were verified. */
static int to_oci(struct fetched *f, c_err **err)
{
	uint8_t hash[C_SHA256_LEN];
	size_t len;
	char *oci = c_manifest_to_oci(f->manifest, &len, err);

	if (!oci)
		return -1;
	free(f->body);
	f->body = oci;
	f->len = len;
	c_sha256(oci, len, hash);
	c_digest_from_hash(&f->digest, C_DIGEST_SHA256, hash);
	return 0;
}

static int pull(struct c_store *store, const struct c_ref *ref, const struct c_pull_opts *opts,
		struct c_digest *out, c_err **err)
{
	struct c_platform want;
	struct c_registry *reg;
	struct fetched f = { 0 };
	int rc = -1;

	if (opts->platform) {
		if (c_platform_parse(&want, opts->platform, err) < 0)
			return -1;
	} else {
		c_platform_host(&want);
	}
	reg = c_registry_open(ref->domain, ref->path, &opts->registry, err);
	if (!reg)
		return -1;
	if (resolve_manifest(reg, ref, &want, &f, err) < 0 ||
	    pull_config(reg, store, ref, f.manifest, err) < 0 ||
	    pull_layers(reg, store, f.manifest, &opts->fetch, err) < 0)
		goto out;
	if (strcmp(f.manifest->media_type, C_MEDIA_DOCKER_MANIFEST) == 0 &&
	    to_oci(&f, err) < 0)
		goto out;
	/* The manifest and the name last: a name only ever points at an image
	 * whose every blob is in the store. */
	if (c_store_put_blob(store, &f.digest, f.body, f.len, err) < 0 ||
	    c_store_set_name(store, ref->str, C_MEDIA_OCI_MANIFEST, &f.digest, (int64_t)f.len,
			     err) < 0)
		goto out;
	*out = f.digest;
	rc = 0;
out:
	fetched_free(&f);
	c_registry_close(reg);
	return rc;
}

int c_pull(struct c_store *store, const char *refstr, const struct c_pull_opts *opts,
	   struct c_digest *manifest, c_err **err)
{
	struct c_ref ref;

	if (c_ref_parse(&ref, refstr, err) < 0)
		return -1;
	return pull(store, &ref, opts, manifest, err);
}
