/* json.h — JSON through jansson, with errors that name the document and the
 * field.
 *
 * Every document c-tools reads comes from somewhere untrusted (a registry, an
 * image, a user's file), so parsing caps the size, refuses duplicate keys
 * (two readers could otherwise disagree on a manifest) and the typed getters
 * report "FIELD: expected TYPE" with the dotted path of the field, e.g.
 *     manifest sha256:ab12…: field layers[2].digest: expected string, got number
 */
#ifndef C_JSON_H
#define C_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

static inline void c_json_decrefp(json_t **j)
{
	json_decref(*j);
}
#define _cleanup_json_ __attribute__((cleanup(c_json_decrefp)))

/* Parse len bytes; `source` names the document in errors (a path, a digest).
 * An integer above INT64_MAX, up to UINT64_MAX (Go's uint64 fields: runc
 * writes 18446744073709551615 for an unlimited rlimit), reads as its two's
 * complement, so (uint64_t)json_integer_value() gives it back: 2^64-1 is -1.
 * A reader of a signed field sees a negative number, as Go's int64(uint64)
 * would. */
json_t *c_json_parse(const char *buf, size_t len, const char *source, c_err **err);

/* Read and parse a file of at most max bytes. */
json_t *c_json_load_file(const char *path, size_t max, c_err **err);

/* Look up obj[key] and check its type.  `where` is obj's own dotted path ("" at
 * the top) for messages.  A missing key is an error when required, else
 * *out = NULL and 0 is returned.  `type` is a JSON_* type; JSON_TRUE stands
 * for either boolean, JSON_INTEGER accepts only integers. */
int c_json_get(json_t *obj, const char *where, const char *key, json_type type,
	       bool required, json_t **out, c_err **err);

/* obj[key], or NULL when obj is NULL, the key is absent or its value is
 * null: writers in Go (runc, podman, docker's image configs) put null for a
 * field they leave unset. */
json_t *c_json_present(const json_t *obj, const char *key);

/* c_json_get of an optional field where null counts as absent (*out = NULL),
 * in an obj that may itself be absent (NULL). */
int c_json_get_present(json_t *obj, const char *where, const char *key, json_type type,
		       json_t **out, c_err **err);

/* Typed conveniences over c_json_get; optional fields leave *out untouched. */
int c_json_get_string(json_t *obj, const char *where, const char *key, bool required,
		      const char **out, c_err **err);
int c_json_get_int(json_t *obj, const char *where, const char *key, bool required,
		   long long *out, c_err **err);
int c_json_get_bool(json_t *obj, const char *where, const char *key, bool required,
		    bool *out, c_err **err);

/* The name of a JSON type for messages ("string", "object", ...). */
const char *c_json_type_name(const json_t *v);
/* The same word for a type: "object", "integer", ... */
const char *c_json_kind_name(json_type t);

/* Serialize compactly, keys in insertion order (the order of an OCI document
 * is part of its digest).  Caller frees. */
char *c_json_dump(const json_t *v, size_t *len, c_err **err);

/* Serialize and write atomically (see file.h), with a trailing newline. */
int c_json_write_file(const char *path, const json_t *v, mode_t mode, c_err **err);
/* ... or without the fsyncs, for runtime state (c_write_file_volatile). */
int c_json_write_file_volatile(const char *path, const json_t *v, mode_t mode, c_err **err);

#endif
