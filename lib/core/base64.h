/* base64.h — standard base64 (RFC 4648), for Basic auth, auth files and the
 * bodies of PEM files. */
#ifndef C_BASE64_H
#define C_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* With padding; caller frees. */
char *c_base64_encode(const void *data, size_t len);

/* NULL on malformed input (errno EINVAL); *len gets the decoded length and
 * the result is NUL-terminated after it.  Padding may be left out, but when
 * present must be right; whitespace is refused. */
void *c_base64_decode(const char *text, size_t *len);

/* The lenient form PEM bodies need: line breaks and blanks between the
 * characters are skipped, decoding stops at the padding.  Decodes [p, end)
 * into out (room for 3/4 of the input); -1 on a byte that is not base64. */
ssize_t c_base64_decode_pem(const char *p, const char *end, unsigned char *out);

#endif
