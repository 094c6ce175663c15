/* core/json.c — strict JSON (see json.h).
 *
 * Owns the grammar vq accepts and the words it refuses with. Two passes:
 *   1. a scan of the raw bytes against RFC 8259 plus vq's rules (UTF-8, no NUL, depth,
 *      number length, text flags), which keeps the place of every number literal and
 *      names the field of the first fault;
 *   2. cJSON builds the tree from the same bytes (it accepts everything the scan does),
 *      then a walk gives each number node its literal and refuses duplicate keys, which
 *      are compared decoded (so "a" and "\u0061" are the same key).
 * Invariants: nothing reads text[len] or beyond; on failure nothing is allocated and *out
 * is untouched; recursion is bounded by VQ_JSON_DEPTH_MAX in both passes.
 */
#include "json.h"

#include "mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX 40 /* characters of a key shown in a path before "..." */
#define PAIRWISE 16 /* objects up to this many keys are checked for duplicates pairwise */

typedef struct span {
	size_t off, len;
} span;

/* One step of the path to where the scan is: an object member or an array element. */
typedef struct frame {
	const char *key; /* NULL for an array element */
	int raw;         /* key points into the JSON text, after its opening quote */
	long index;
} frame;

typedef struct scan {
	const unsigned char *s, *p, *end;
	unsigned flags;
	int nest;
	int nframes;
	frame path[VQ_JSON_DEPTH_MAX + 1];
	span *nums;
	size_t nnums, capnums;
	vq_json_error *e;
} scan;

/* --- code points ------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at p (well-formed: no overlong form, surrogate or code point
 * past U+10FFFF), or 0. */
static int utf8_next(const unsigned char *p, const unsigned char *end, unsigned long *cp)
{
	unsigned char b = p[0];
	int n;
	unsigned long c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2, c = b & 0x1f, min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3, c = b & 0x0f, min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4, c = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (end - p < n)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* The fault of one code point in text a person reads (NUL is a fault everywhere). */
static int cp_fault(unsigned long cp, int text)
{
	if (cp == 0)
		return VQ_TEXT_NUL;
	if (!text)
		return VQ_TEXT_OK;
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return VQ_TEXT_CONTROL;
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return VQ_TEXT_BIDI;
	return VQ_TEXT_OK;
}

const char *vq_json_text_reason(int fault)
{
	switch (fault) {
	case VQ_TEXT_UTF8:
		return "invalid UTF-8";
	case VQ_TEXT_NUL:
		return "NUL character not allowed";
	case VQ_TEXT_CONTROL:
		return "control character not allowed";
	case VQ_TEXT_BIDI:
		return "bidirectional control character not allowed";
	default:
		return "ok";
	}
}

int vq_json_text_check(const char *str, size_t len)
{
	const unsigned char *p = (const unsigned char *)str, *end = p + len;
	while (p < end) {
		unsigned long cp;
		int n = utf8_next(p, end, &cp);
		if (!n)
			return VQ_TEXT_UTF8;
		int f = cp_fault(cp, 1);
		if (f)
			return f;
		p += n;
	}
	return VQ_TEXT_OK;
}

/* --- errors ------------------------------------------------------------------------ */

/* Appends a key as a person can read it in a message: printable ASCII, escapes other than
 * \" \\ \/ and every other byte as '?', at most ECHO_MAX characters. */
static size_t put_key(char *buf, size_t w, size_t cap, const frame *f, const unsigned char *end)
{
	const unsigned char *k = (const unsigned char *)f->key;
	size_t shown = 0;
	int cut = 0;
	char tmp[ECHO_MAX + 4];
	for (;;) {
		if (f->raw ? (k >= end || *k == '"') : *k == '\0')
			break;
		unsigned char ch = *k++;
		if (f->raw && ch == '\\' && k < end) {
			unsigned char x = *k++;
			ch = x == '"' || x == '\\' || x == '/' ? x : '?';
			if (x == 'u')
				for (int i = 0; i < 4 && k < end && *k != '"'; i++)
					k++;
		} else if (ch < 0x20 || ch >= 0x7f) {
			ch = '?';
		}
		if (shown == ECHO_MAX) {
			cut = 1;
			break;
		}
		tmp[shown++] = (char)ch;
	}
	tmp[shown] = '\0';
	int n = snprintf(buf + w, cap - w, "%s%s", shown ? tmp : "''", cut ? "..." : "");
	return n < 0 ? w : w + (size_t)n >= cap ? cap - 1 : w + (size_t)n;
}

static void put_path(const frame *path, int n, const unsigned char *end, char *buf, size_t cap)
{
	size_t w = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && w + 1 < cap; i++) {
		if (path[i].key) {
			if (w) {
				buf[w++] = '.';
				buf[w] = '\0';
			}
			w = put_key(buf, w, cap, &path[i], end);
		} else {
			int k = snprintf(buf + w, cap - w, "[%ld]", path[i].index);
			w = k < 0 ? w : w + (size_t)k >= cap ? cap - 1 : w + (size_t)k;
		}
	}
}

static size_t offset(const scan *sc, const unsigned char *at)
{
	size_t len = (size_t)(sc->end - sc->s);
	if (at >= sc->end) /* the end itself: the last byte, as cJSON says */
		return len ? len - 1 : 0;
	return (size_t)(at - sc->s);
}

/* A fault of the field the scan is in. */
static int fail(scan *sc, const unsigned char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(scan *sc, const unsigned char *at, const char *fmt, ...)
{
	put_path(sc->path, sc->nframes, sc->end, sc->e->path, sizeof sc->e->path);
	sc->e->at = offset(sc, at);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sc->e->reason, sizeof sc->e->reason, fmt, ap);
	va_end(ap);
	return VQ_EBADREQ;
}

/* A fault of the document: not JSON at all, or something after it. */
static int fail_doc(scan *sc, const unsigned char *at, const char *what)
{
	sc->e->path[0] = '\0';
	sc->e->at = offset(sc, at);
	snprintf(sc->e->reason, sizeof sc->e->reason, "%s near byte %zu", what, sc->e->at);
	return VQ_EBADREQ;
}

static int syntax(scan *sc, const unsigned char *at)
{
	return fail_doc(sc, at, "invalid JSON");
}

void vq_json_error_text(const vq_json_error *e, const char *doc, char *buf, size_t buflen)
{
	if (!buflen)
		return;
	if (e->path[0])
		snprintf(buf, buflen, "%s: %s", e->path, e->reason);
	else if (doc && *doc)
		snprintf(buf, buflen, "%s: %s", doc, e->reason);
	else
		snprintf(buf, buflen, "%s", e->reason);
}

/* --- pass 1: the scan ---------------------------------------------------------------- */

static void ws(scan *sc)
{
	while (sc->p < sc->end &&
	       (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned long *out)
{
	if (end - p < 4)
		return 0;
	unsigned long v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (unsigned long)d;
	}
	*out = v;
	return 1;
}

static int check_cp(scan *sc, unsigned long cp, const unsigned char *at)
{
	int f = cp_fault(cp, (sc->flags & VQ_JSON_TEXT) != 0);
	return f ? fail(sc, at, "%s", vq_json_text_reason(f)) : VQ_OK;
}

/* A string (a key or a value); sc->p is at its opening quote. */
static int string(scan *sc)
{
	sc->p++;
	for (;;) {
		if (sc->p >= sc->end)
			return syntax(sc, sc->p);
		const unsigned char *at = sc->p;
		unsigned char c = *sc->p;
		unsigned long cp;
		if (c == '"') {
			sc->p++;
			return VQ_OK;
		}
		if (c == '\\') {
			if (sc->end - sc->p < 2)
				return syntax(sc, sc->end);
			c = sc->p[1];
			sc->p += 2;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				cp = c;
				break;
			case 'b':
				cp = 8;
				break;
			case 'f':
				cp = 12;
				break;
			case 'n':
				cp = 10;
				break;
			case 'r':
				cp = 13;
				break;
			case 't':
				cp = 9;
				break;
			case 'u':
				if (!hex4(sc->p, sc->end, &cp))
					return syntax(sc, at);
				sc->p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(sc, at, "invalid \\u escape (lone surrogate)");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					unsigned long lo;
					if (sc->end - sc->p < 6 || sc->p[0] != '\\' ||
					    sc->p[1] != 'u' || !hex4(sc->p + 2, sc->end, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						return fail(sc, at,
						            "invalid \\u escape (lone surrogate)");
					sc->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				break;
			default:
				return syntax(sc, at);
			}
			if (check_cp(sc, cp, at))
				return VQ_EBADREQ;
			continue;
		}
		if (c < 0x20) /* JSON wants these escaped; a raw NUL is no better */
			return fail(sc, at, "%s",
			            vq_json_text_reason(c ? VQ_TEXT_CONTROL : VQ_TEXT_NUL));
		int n = utf8_next(sc->p, sc->end, &cp);
		if (!n)
			return fail(sc, at, "%s", vq_json_text_reason(VQ_TEXT_UTF8));
		if (check_cp(sc, cp, at))
			return VQ_EBADREQ;
		sc->p += n;
	}
}

static int digits(scan *sc)
{
	if (sc->p >= sc->end || *sc->p < '0' || *sc->p > '9')
		return 0;
	while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
		sc->p++;
	return 1;
}

static int number(scan *sc)
{
	const unsigned char *start = sc->p;
	if (*sc->p == '-')
		sc->p++;
	if (sc->p < sc->end && *sc->p == '0')
		sc->p++;
	else if (sc->p >= sc->end || *sc->p < '1' || *sc->p > '9' || !digits(sc))
		return syntax(sc, sc->p);
	if (sc->p < sc->end && *sc->p == '.') {
		sc->p++;
		if (!digits(sc))
			return syntax(sc, sc->p);
	}
	if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
		sc->p++;
		if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
			sc->p++;
		if (!digits(sc))
			return syntax(sc, sc->p);
	}
	size_t len = (size_t)(sc->p - start);
	if (len > VQ_JSON_NUMBER_MAX)
		return fail(sc, start, "number too long (more than %d characters)",
		            VQ_JSON_NUMBER_MAX);
	if (sc->nnums == sc->capnums) {
		size_t cap = sc->capnums ? sc->capnums * 2 : 16;
		span *n = vq_realloc(sc->nums, cap * sizeof *n);
		if (!n)
			return VQ_ENOMEM;
		sc->nums = n;
		sc->capnums = cap;
	}
	sc->nums[sc->nnums++] = (span){(size_t)(start - sc->s), len};
	return VQ_OK;
}

static int literal(scan *sc, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
		return syntax(sc, sc->p);
	sc->p += n;
	return VQ_OK;
}

static int value(scan *sc);

/* An object or an array; sc->p is at its opening bracket. */
static int container(scan *sc, int object)
{
	if (sc->nest == VQ_JSON_DEPTH_MAX)
		return fail(sc, sc->p, "too deep (more than %d levels)", VQ_JSON_DEPTH_MAX);
	sc->nest++;
	sc->p++;
	ws(sc);
	unsigned char close = object ? '}' : ']';
	int rc;
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		sc->nest--;
		return VQ_OK;
	}
	frame *f = &sc->path[sc->nframes++];
	for (long i = 0;; i++) {
		*f = (frame){NULL, 0, i};
		if (object) {
			if (sc->p >= sc->end || *sc->p != '"')
				return syntax(sc, sc->p);
			f->key = (const char *)sc->p + 1;
			f->raw = 1;
			if ((rc = string(sc)))
				return rc;
			ws(sc);
			if (sc->p >= sc->end || *sc->p != ':')
				return syntax(sc, sc->p);
			sc->p++;
			ws(sc);
		}
		if ((rc = value(sc)))
			return rc;
		ws(sc);
		if (sc->p < sc->end && *sc->p == ',') {
			sc->p++;
			ws(sc);
			continue;
		}
		if (sc->p < sc->end && *sc->p == close) {
			sc->p++;
			break;
		}
		return syntax(sc, sc->p);
	}
	sc->nframes--;
	sc->nest--;
	return VQ_OK;
}

static int value(scan *sc)
{
	if (sc->p >= sc->end)
		return syntax(sc, sc->p);
	switch (*sc->p) {
	case '{':
		return container(sc, 1);
	case '[':
		return container(sc, 0);
	case '"':
		return string(sc);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		return literal(sc, "null");
	default:
		if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))
			return number(sc);
		return syntax(sc, sc->p);
	}
}

/* --- pass 2: the tree ---------------------------------------------------------------- */

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key of o given twice (the later one), or NULL. VQ_ENOMEM in *rc if it cannot tell. */
static const char *duplicate(const cJSON *o, int *rc)
{
	int n = 0;
	const cJSON *k, *q;
	for (k = o->child; k; k = k->next)
		n++;
	if (n <= PAIRWISE) {
		for (k = o->child; k; k = k->next)
			for (q = o->child; q != k; q = q->next)
				if (strcmp(q->string, k->string) == 0)
					return k->string;
		return NULL;
	}
	const char **keys = vq_malloc((size_t)n * sizeof *keys);
	if (!keys) {
		*rc = VQ_ENOMEM;
		return NULL;
	}
	int i = 0;
	for (k = o->child; k; k = k->next)
		keys[i++] = k->string;
	qsort(keys, (size_t)n, sizeof *keys, by_str);
	const char *dup = NULL;
	for (i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	vq_free(keys);
	return dup;
}

/* Gives every number its literal (in document order, as the scan met them) and refuses
 * duplicate keys. */
static int walk(scan *sc, cJSON *node, size_t *next)
{
	if (cJSON_IsNumber(node)) {
		if (*next >= sc->nnums)
			return syntax(sc, sc->end); /* cJSON and the scan disagree: refuse */
		span sp = sc->nums[(*next)++];
		char *lit = vq_malloc(sp.len + 1);
		if (!lit)
			return VQ_ENOMEM;
		memcpy(lit, sc->s + sp.off, sp.len);
		lit[sp.len] = '\0';
		node->valuestring = lit;
		return VQ_OK;
	}
	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return VQ_OK;
	int rc = VQ_OK;
	if (cJSON_IsObject(node)) {
		const char *dup = duplicate(node, &rc);
		if (rc)
			return rc;
		if (dup) {
			sc->path[sc->nframes++] = (frame){dup, 0, 0};
			return fail(sc, sc->s, "duplicate field");
		}
	}
	frame *f = &sc->path[sc->nframes++];
	long i = 0;
	for (cJSON *c = node->child; c; c = c->next, i++) {
		*f = cJSON_IsObject(node) ? (frame){c->string, 0, 0} : (frame){NULL, 0, i};
		if ((rc = walk(sc, c, next)))
			return rc;
	}
	sc->nframes--;
	return VQ_OK;
}

int vq_json_parse(const char *text, size_t len, unsigned flags, cJSON **out, vq_json_error *e)
{
	vq_json_error spare;
	scan sc;
	memset(&sc, 0, sizeof sc);
	sc.e = e ? e : &spare;
	memset(sc.e, 0, sizeof *sc.e);
	if (!out || (!text && len))
		return VQ_EINVAL;
	sc.s = sc.p = (const unsigned char *)(text ? text : "");
	sc.end = sc.s + len;
	sc.flags = flags;
	cJSON *root = NULL;
	size_t bom = 0;
	if ((flags & VQ_JSON_BOM) && len >= 3 && memcmp(sc.p, "\xef\xbb\xbf", 3) == 0)
		sc.p += bom = 3; /* cJSON skips one only in 5 bytes or more: it never sees it */
	ws(&sc);
	int rc = value(&sc);
	if (rc)
		goto cleanup;
	ws(&sc);
	if (sc.p < sc.end) {
		rc = fail_doc(&sc, sc.p, "trailing data after the JSON value");
		goto cleanup;
	}
	const char *stop = NULL;
	root = cJSON_ParseWithLengthOpts(text + bom, len - bom, &stop, 0);
	if (!root) {
		rc = VQ_ENOMEM; /* the scan accepted it, so cJSON can only have run out */
		goto cleanup;
	}
	size_t next = 0;
	sc.nframes = 0;
	rc = walk(&sc, root, &next);
	if (rc == VQ_OK && next != sc.nnums)
		rc = syntax(&sc, sc.end);
cleanup:
	vq_free(sc.nums);
	if (rc) {
		cJSON_Delete(root);
		if (rc == VQ_ENOMEM)
			snprintf(sc.e->reason, sizeof sc.e->reason, "out of memory");
		return rc;
	}
	*out = root;
	return VQ_OK;
}

/* --- numbers ------------------------------------------------------------------------- */

int vq_json_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return VQ_EBADREQ;
	int64_t r;
	const char *lit = v->valuestring;
	if (lit) {
		int neg = *lit == '-';
		const char *d = lit + neg;
		if (!*d)
			return VQ_EBADREQ;
		uint64_t mag = 0, limit = neg ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;
		int big = 0;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return VQ_EBADREQ; /* a fraction or an exponent: not an integer */
			unsigned dig = (unsigned)(*d - '0');
			if (mag > (limit - dig) / 10)
				big = 1; /* keep reading: "1e999999..." is still not an integer */
			else
				mag = mag * 10 + dig;
		}
		if (big)
			return VQ_EINVAL;
		r = neg ? (mag == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
	} else {
		double x = v->valuedouble;
		if (x != x || x != floor(x))
			return VQ_EBADREQ;
		if (x < -9223372036854775808.0 || x >= 9223372036854775808.0)
			return VQ_EINVAL;
		r = (int64_t)x;
	}
	if (r < lo || r > hi)
		return VQ_EINVAL;
	*out = r;
	return VQ_OK;
}
