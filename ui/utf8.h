/* ui/utf8.h — decoding UTF-8, strictly: what text layout, glyph checks and i18n agree on.
 *
 * Strict means RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. A byte
 * that does not start a valid sequence is one invalid unit, so decoding always moves on.
 */
#ifndef VQ_UI_UTF8_H
#define VQ_UI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[0..len), len > 0: returns its length in bytes (1..4) and
 * sets *cp, or returns 1 and sets *cp = -1 if s does not start a valid sequence. */
size_t vq_utf8_next(const char *s, size_t len, int32_t *cp);

/* 1 if all of s[0..len) is valid UTF-8. */
int vq_utf8_valid(const char *s, size_t len);

/* The longest prefix of s[0..len) of at most max bytes that does not cut a character. */
size_t vq_utf8_prefix(const char *s, size_t len, size_t max);

/* Code points in s[0..len), invalid units counted one each. */
size_t vq_utf8_count(const char *s, size_t len);

#endif
