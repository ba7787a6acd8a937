/* digest.h — sha256 and sha512 hashing, and OCI content digests.
 *
 * sha256 is the hot path: every blob and layer is hashed while it streams.
 * It runs on the x86 SHA extensions (SHA-NI) when the CPU has them, chosen
 * once at run time, and on BearSSL's portable code otherwise.  sha512 only
 * exists because the OCI image spec registers it; BearSSL does it.
 *
 * Hashing a stream whose digest is known:
 *
 *     struct c_hasher h;
 *     struct c_digest got;
 *
 *     c_hasher_init(&h, want.alg);
 *     while ((n = read(fd, buf, sizeof buf)) > 0)
 *             c_hasher_update(&h, buf, n);
 *     c_hasher_final(&h, &got);
 *     if (c_digest_verify(&want, &got, err) < 0)
 *             return -1;
 */
#ifndef C_DIGEST_H
#define C_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "err.h"

#define C_SHA256_LEN 32
#define C_SHA512_LEN 64
#define C_DIGEST_MAX_LEN C_SHA512_LEN
/* "sha512:" + 128 hex digits + NUL */
#define C_DIGEST_STR_MAX (7 + 2 * C_DIGEST_MAX_LEN + 1)

/* --- sha256 ----------------------------------------------------------------- */

struct c_sha256 {
	bool shani; /* which implementation this context was started with */
	union {
		br_sha256_context br;
		struct {
			uint32_t h[8];
			uint64_t count; /* bytes hashed so far */
			uint8_t buf[64];
		} ni;
	};
};

void c_sha256_init(struct c_sha256 *ctx);
/* Whole 64-byte blocks are hashed straight from `data`; only a partial block
 * at either end is copied, so feed large block-aligned buffers. */
void c_sha256_update(struct c_sha256 *ctx, const void *data, size_t len);
/* Writes the hash; the context must be initialised again before reuse. */
void c_sha256_final(struct c_sha256 *ctx, uint8_t out[C_SHA256_LEN]);
void c_sha256(const void *data, size_t len, uint8_t out[C_SHA256_LEN]);

/* For tests and benchmarks: make contexts initialised from now on use the
 * portable BearSSL code even where SHA-NI is available (true), or go back to
 * the automatic choice (false).  Contexts already started keep theirs. */
void c_sha256_use_generic(bool generic);
/* The implementation new contexts use: "sha-ni" or "bearssl". */
const char *c_sha256_impl(void);

/* --- OCI digests -------------------------------------------------------------- */

enum c_digest_alg {
	C_DIGEST_SHA256,
	C_DIGEST_SHA512,
};

/* A digest in the OCI sense, "algorithm:encoded", always well formed: it
 * comes from c_digest_parse(), c_digest_from_hash() or c_hasher_final(). */
struct c_digest {
	enum c_digest_alg alg;
	uint8_t bytes[C_DIGEST_MAX_LEN]; /* the first c_digest_len(alg) are used */
	char str[C_DIGEST_STR_MAX];      /* canonical text, "sha256:<hex>" */
};

const char *c_digest_alg_name(enum c_digest_alg alg);
/* Length of the binary hash in bytes. */
size_t c_digest_len(enum c_digest_alg alg);

/* The encoded part of d->str, e.g. for blobs/sha256/<hex>. */
const char *c_digest_hex(const struct c_digest *d);

/* Lowercase hex of `len` bytes into `out`, which holds 2 * len + 1. */
void c_hex_encode(char *out, const void *in, size_t len);

/* Parse and validate `s` against the OCI digest grammar, accepting only the
 * registered algorithms sha256 (64 lowercase hex digits) and sha512 (128).
 * Fails with status C_EXIT_DATA and a message that quotes `s`:
 *     malformed digest "sha256:ABC": encoded part must be 64 lowercase hex digits
 * The _n form takes strings that carry a length and may hold NUL bytes
 * (JSON strings, HTTP headers). */
int c_digest_parse(struct c_digest *d, const char *s, c_err **err);
int c_digest_parse_n(struct c_digest *d, const char *s, size_t len, c_err **err);

/* Fill `d` from a binary hash of c_digest_len(alg) bytes, formatting d->str. */
void c_digest_from_hash(struct c_digest *d, enum c_digest_alg alg, const uint8_t *hash);

bool c_digest_equal(const struct c_digest *a, const struct c_digest *b);
/* 0 when `got` is `want`; otherwise -1 and a C_EXIT_DATA error
 * "digest mismatch: expected <want>, got <got>". */
int c_digest_verify(const struct c_digest *want, const struct c_digest *got, c_err **err);

/* --- either algorithm, for content whose digest names it ---------------------- */

struct c_hasher {
	enum c_digest_alg alg;
	union {
		struct c_sha256 sha256;
		br_sha512_context sha512;
	};
};

void c_hasher_init(struct c_hasher *h, enum c_digest_alg alg);
void c_hasher_update(struct c_hasher *h, const void *data, size_t len);
/* Fills `out`; the hasher must be initialised again before reuse. */
void c_hasher_final(struct c_hasher *h, struct c_digest *out);

/* The digest of len bytes at buf, in one call. */
void c_digest_of(enum c_digest_alg alg, const void *buf, size_t len, struct c_digest *out);

#endif
