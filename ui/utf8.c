/* ui/utf8.c — strict UTF-8 decoding (see utf8.h). No state; no allocation. */
#include "ui/utf8.h"

size_t vq_utf8_next(const char *s, size_t len, int32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char c = u[0];
	size_t n;
	int32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		*cp = -1;
		return 1;
	}
	if (len < n)
		goto invalid;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			goto invalid;
		v = (v << 6) | (u[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		goto invalid;
	*cp = v;
	return n;
invalid:
	*cp = -1;
	return 1;
}

int vq_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		int32_t cp;
		i += vq_utf8_next(s + i, len - i, &cp);
		if (cp < 0)
			return 0;
	}
	return 1;
}

size_t vq_utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t i = 0;
	while (i < len) {
		int32_t cp;
		size_t n = vq_utf8_next(s + i, len - i, &cp);
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

size_t vq_utf8_count(const char *s, size_t len)
{
	size_t i = 0, count = 0;
	while (i < len) {
		int32_t cp;
		i += vq_utf8_next(s + i, len - i, &cp);
		count++;
	}
	return count;
}
