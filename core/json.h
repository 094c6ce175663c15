/* core/json.h — strict JSON: the one door through which outside bytes become a cJSON tree.
 *
 * Every decoder of bytes vq did not make itself (vqd's requests, the site config and the
 * operators' tier rules, the gate's journal, the retained state and caches the screens
 * read) parses with vq_json_parse and reads numbers with vq_json_int, so all of them refuse
 * the same things with the same words:
 *   - anything RFC 8259 does not allow, and data after the value ("trailing data");
 *   - bytes that are not UTF-8, a lone UTF-16 surrogate in a \u escape, and NUL in any
 *     string or key, raw or as \u0000 (cJSON would cut the string there);
 *   - a key given twice in one object ("duplicate field");
 *   - nesting deeper than VQ_JSON_DEPTH_MAX ("too deep"), a number longer than
 *     VQ_JSON_NUMBER_MAX characters;
 *   - with VQ_JSON_TEXT, control characters (C0, DEL, C1) and bidirectional override or
 *     isolate characters (U+202A..U+202E, U+2066..U+2069) in any string or key, escaped
 *     or not: text that may reach a person (a screen, a log, the audit) cannot reorder or
 *     hide what is around it.
 * A refusal names the field as a path ("admissions[3].code", "tiers[1].names.en") and
 * says why. cJSON stays the tree; numbers also keep their literal text (below), so an
 * integer is read from what was written, never through a double.
 */
#ifndef VQ_JSON_H
#define VQ_JSON_H

#include "vq.h"

#include <cjson/cJSON.h>

#define VQ_JSON_DEPTH_MAX  16 /* objects and arrays inside each other; vq needs 4 */
#define VQ_JSON_NUMBER_MAX 40 /* characters of one number; int64 takes 20 */
#define VQ_JSON_PATH_MAX   96

enum vq_json_flags {
	VQ_JSON_TEXT = 1, /* every string and key is text a person may read (see above) */
	VQ_JSON_BOM = 2,  /* a leading UTF-8 byte-order mark is skipped (files people edit) */
};

typedef struct vq_json_error {
	char path[VQ_JSON_PATH_MAX]; /* the field, "members[2].card"; "" for the document */
	char reason[64];             /* "duplicate field", "invalid JSON near byte 12", ... */
	size_t at;                   /* byte offset where it was found */
} vq_json_error;

/* Parses len bytes (need not be NUL-terminated; never reads past len) into *out. On
 * failure returns VQ_EBADREQ (or VQ_ENOMEM), leaves *out alone and fills *e (may be
 * NULL). A number node of the tree keeps its literal text in valuestring (cJSON leaves
 * that field unused for numbers, copies it in cJSON_Duplicate and frees it in
 * cJSON_Delete); read it with vq_json_int. */
int vq_json_parse(const char *text, size_t len, unsigned flags, cJSON **out, vq_json_error *e);

/* "path: reason", or "doc: reason" when the error is about the whole document (doc NULL:
 * the reason alone). */
void vq_json_error_text(const vq_json_error *e, const char *doc, char *buf, size_t buflen);

/* The integer a number node holds. VQ_OK with *out; VQ_EBADREQ if v is not a number
 * written as an integer ("1.0", "1e0", "2.5" and "1e300" are not); VQ_EINVAL if it is one
 * but outside lo..hi (int64 at most). A number cJSON made (no literal) counts if its
 * double is whole and in range; nothing is cast before its range is checked. */
int vq_json_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out);

/* Whether len bytes are text a person may read: 0 if so, else one of these. */
enum vq_text_fault { VQ_TEXT_OK = 0, VQ_TEXT_UTF8, VQ_TEXT_NUL, VQ_TEXT_CONTROL, VQ_TEXT_BIDI };
int vq_json_text_check(const char *s, size_t len);
const char *vq_json_text_reason(int fault); /* "invalid UTF-8", ... */

#endif
